//! A measurement campaign: time each architecture not yet in the output
//! file and append its row at once, so an interrupted run loses nothing
//! and a rerun resumes where it stopped.

use super::Backend;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use latscope_shared::dataset::{LatencyRecord, LongAppender};
use latscope_shared::space::Arch;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What to do when one architecture fails to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnError {
    /// Report it, skip the row and go on.
    Skip,
    /// Report it and stop (rows already written stay).
    Stop,
}

/// How a campaign went.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CampaignReport {
    /// Architectures timed by this run, each now a row of the output.
    pub measured: usize,
    /// Architectures skipped because the output already had a row for them
    /// on this device (an earlier run, resumed).
    pub already_there: usize,
    /// Architectures whose measurement failed (no row written).
    pub failed: usize,
}

/// A campaign's output, open for appending: locked against a second
/// process, a torn last row set aside, and the rows already there.
pub struct Output {
    path: PathBuf,
    writer: LongAppender,
    existing: Vec<LatencyRecord>,
}

/// Opens `out` for a campaign ([`LongAppender::open`]), saying on stderr
/// when an interrupted run left a torn last row (moved to `<out>.torn`; its
/// architecture is measured again).
pub fn open(out: &Path) -> Result<Output> {
    let (writer, existing) = LongAppender::open(out)?;
    if let Some(torn) = writer.torn() {
        eprintln!(
            "warning: {}:{}: the last row was cut off by an interrupted run ({:?}); \
             moved it to {} and measuring its architecture again",
            out.display(),
            torn.line,
            torn.text,
            torn.moved_to.display()
        );
    }
    Ok(Output {
        path: out.to_path_buf(),
        writer,
        existing,
    })
}

/// Measures `archs` on `backend` as device `device`, appending to `out`
/// ([`open`]).
pub fn run(
    backend: &mut dyn Backend,
    archs: &[Arch],
    device: &str,
    out: Output,
    on_error: OnError,
    show_progress: bool,
) -> Result<CampaignReport> {
    let Output {
        path: out,
        mut writer,
        existing,
    } = out;
    let done: HashSet<(String, String)> = existing
        .iter()
        .filter(|r| r.device == device)
        .map(|r| (r.space.name().to_string(), r.arch.clone()))
        .collect();
    let todo: Vec<&Arch> = archs
        .iter()
        .filter(|a| !done.contains(&(a.space().name().to_string(), a.to_string())))
        .collect();
    let mut report = CampaignReport {
        already_there: archs.len() - todo.len(),
        ..CampaignReport::default()
    };
    let bar = if show_progress {
        ProgressBar::new(todo.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} archs, ETA {eta} {msg}",
        )
        .expect("the template is valid"),
    );
    for arch in todo {
        match backend.measure(arch) {
            Ok(t) => {
                let mut row = LatencyRecord::new(arch, device, t.median_ms);
                row.p10_ms = Some(t.p10_ms);
                row.p90_ms = Some(t.p90_ms);
                row.runs = Some(t.runs as u32);
                row.batch = Some(backend.batch() as u32);
                row.precision = Some(backend.precision().to_string());
                row.source = Some(if t.constant_output {
                    bar.suspend(|| {
                        eprintln!(
                            "note: {arch}: the runtime computed a constant (the output does not \
                             depend on the input), so {:.5} ms is not the network's work; the \
                             row's source says constant-output",
                            t.median_ms
                        )
                    });
                    format!("{}+constant-output", backend.source())
                } else {
                    backend.source()
                });
                writer.append(&row)?;
                report.measured += 1;
                bar.set_message(format!("last {:.3} ms", t.median_ms));
            }
            Err(e) => {
                report.failed += 1;
                bar.suspend(|| eprintln!("error: {arch}: {e:#}"));
                if on_error == OnError::Stop || backend.fatal() {
                    bar.abandon();
                    return Err(e).with_context(|| {
                        format!(
                            "stopped after {} new rows (they are in {}); rerun to resume",
                            report.measured,
                            out.display()
                        )
                    });
                }
            }
        }
        bar.inc(1);
    }
    bar.finish();
    Ok(report)
}
