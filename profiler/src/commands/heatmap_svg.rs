//! The monotonicity heatmap as a standalone SVG. Written directly: it is a
//! grid of rectangles and labels, and SVG text needs no font machinery
//! (which a plotting crate would pull in to measure label sizes).

use latscope_shared::monotonicity::Monotonicity;
use std::fmt::Write;

/// Fill colour of a ρ: red below `threshold`, yellow to green above.
fn colour(rho: f64, threshold: f64) -> String {
    if rho < threshold {
        let t = ((rho - 0.5) / (threshold - 0.5)).clamp(0.0, 1.0);
        format!("hsl({:.0},75%,{:.0}%)", 10.0 + 30.0 * t, 45.0 + 10.0 * t)
    } else {
        let t = ((rho - threshold) / (1.0 - threshold)).clamp(0.0, 1.0);
        format!("hsl({:.0},60%,{:.0}%)", 50.0 + 70.0 * t, 55.0 - 10.0 * t)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The heatmap in the clustered device order, cells below `threshold`
/// outlined, each cell's ρ in its tooltip and printed in it.
pub fn heatmap_svg(m: &Monotonicity, threshold: f64, title: &str) -> String {
    let n = m.devices.len();
    let cell = 26.0;
    let label = 130.0;
    let top = label + 30.0;
    let size = label + n as f64 * cell;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="sans-serif">"#,
        w = size + 80.0,
        h = top + n as f64 * cell + 40.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="14">{}</text>"#,
        escape(title)
    );
    for (r, &d) in m.order.iter().enumerate() {
        let name = escape(&m.devices[d]);
        let y = top + r as f64 * cell;
        let x = label + r as f64 * cell;
        let _ = writeln!(
            svg,
            r#"<text x="{:.0}" y="{:.0}" font-size="11" text-anchor="end">{name}</text>"#,
            label - 4.0,
            y + cell * 0.65
        );
        let _ = writeln!(
            svg,
            r#"<text font-size="11" transform="translate({:.0},{:.0}) rotate(-60)">{name}</text>"#,
            x + cell * 0.6,
            top - 4.0
        );
    }
    for (r, &a) in m.order.iter().enumerate() {
        for (c, &b) in m.order.iter().enumerate() {
            let rho = m.rho(a, b);
            let (x, y) = (label + c as f64 * cell, top + r as f64 * cell);
            let outline = if rho < threshold {
                r##" stroke="#900" stroke-width="1""##
            } else {
                ""
            };
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.0}" y="{y:.0}" width="{w:.0}" height="{w:.0}" fill="{}"{outline}><title>{} vs {}: ρ = {rho:.3}</title></rect>"#,
                colour(rho, threshold),
                escape(&m.devices[a]),
                escape(&m.devices[b]),
                w = cell - 1.0
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="8" text-anchor="middle">{:.0}</text>"#,
                x + (cell - 1.0) / 2.0,
                y + cell * 0.6,
                rho * 100.0
            );
        }
    }
    let _ = writeln!(
        svg,
        r#"<text x="10" y="{:.0}" font-size="11">Spearman ρ × 100 over {} common architectures; outlined: below {threshold}.</text>"#,
        top + n as f64 * cell + 25.0,
        m.archs
    );
    svg.push_str("</svg>\n");
    svg
}
