//! Latency numbers as text.
//!
//! HELP's files were written by Python, whose `repr(float)` is the shortest
//! string that reads back to the same `f64`, with `.0` on whole numbers and
//! an exponent outside `1e-4 <= |x| < 1e16`. Rust's `Display` picks the same
//! shortest digits but never uses an exponent and drops the `.0`, so
//! [`format_latency`] puts those back: every value re-reads to the same bits,
//! and a HELP file converted wide → long → wide comes back as the same text.

/// Formats `x` like Python's `repr(float)`: shortest round-trip digits,
/// `9.0` rather than `9`, `1e-05` rather than `0.00001`.
pub fn format_latency(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    if x == 0.0 || (-4..16).contains(&exponent) {
        let mut fixed = x.to_string();
        if !fixed.contains('.') {
            fixed.push_str(".0");
        }
        fixed
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_repr() {
        // Expected strings are Python 3's repr() of the same values.
        let cases = [
            (9.0, "9.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (10.75437068939209, "10.75437068939209"),
            (3.645620000000001, "3.645620000000001"),
            (0.00327686, "0.00327686"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.234e20, "1.234e+20"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e-300, "1e-300"),
            (123456.0, "123456.0"),
        ];
        for (x, want) in cases {
            assert_eq!(format_latency(x), want, "formatting {x:?}");
            assert_eq!(format_latency(x).parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
    }
}
