//! `profiler evaluate --through-cli`: the shipped predictor scored through
//! the commands a user runs, not through the library calls `evaluate` makes.
//!
//! Per seed, `profiler train --data <data> --devices <the task's training
//! devices> --seed <seed>` writes a predictor file; per test device and K,
//! the sampled architectures and their measured latencies go to a samples
//! CSV, and `profiler adapt --predictor <file> --samples <csv> --query
//! <every other architecture>` (its default adaptation) writes the
//! predictions that the evaluation scores. The samples are the evaluation's
//! own draws, so the row sits beside `mlp-auto`'s and the two should agree
//! up to the file's float32 arithmetic.

use anyhow::{bail, Context};
use latscope_model::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use latscope_shared::dataset::read_tables_path;
use latscope_shared::space::Arch;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Name of the row in the evaluation's tables.
pub const THROUGH_CLI: &str = "train+adapt (CLI)";

/// The CLI as a few-shot method: pretraining runs `profiler train`,
/// adaptation runs `profiler adapt`, both as child processes of this binary.
pub struct ThroughCli {
    data: PathBuf,
    workdir: tempfile::TempDir,
}

impl ThroughCli {
    /// Trains from `data` (the file the evaluation read) into a temporary
    /// folder that is removed when the evaluation ends.
    pub fn new(data: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            data: data.to_path_buf(),
            workdir: tempfile::tempdir().context("creating a folder for the predictor files")?,
        })
    }
}

/// Runs this binary with `args`, failing with its stderr when it fails.
fn run_profiler(args: &[String]) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the profiler binary")?;
    let output = Command::new(&exe)
        .args(args)
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !output.status.success() {
        bail!(
            "`profiler {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

impl FewShotMethod for ThroughCli {
    fn name(&self) -> String {
        THROUGH_CLI.to_string()
    }

    fn pretrain(
        &self,
        ctx: &PretrainContext<'_>,
    ) -> latscope_model::error::Result<Box<dyn PretrainedModel>> {
        let predictor = self.workdir.path().join(format!("seed{}.onnx", ctx.seed));
        run_profiler(&[
            "train".into(),
            "--data".into(),
            self.data.display().to_string(),
            "--space".into(),
            ctx.space.to_string(),
            "--devices".into(),
            ctx.train.devices().join(","),
            "--seed".into(),
            ctx.seed.to_string(),
            "--force".into(),
            "-o".into(),
            predictor.display().to_string(),
        ])
        .map_err(model_error)?;
        Ok(Box::new(TrainedFile {
            predictor,
            archs: ctx.archs.to_vec(),
            workdir: self.workdir.path().to_path_buf(),
        }))
    }
}

/// A predictor file written by `profiler train`, adapted by `profiler adapt`.
struct TrainedFile {
    predictor: PathBuf,
    archs: Vec<Arch>,
    workdir: PathBuf,
}

impl TrainedFile {
    fn adapt(&self, samples: &[(usize, f64)], query: &[usize]) -> anyhow::Result<Vec<f64>> {
        let samples_path = self.workdir.join("samples.csv");
        let query_path = self.workdir.join("query.txt");
        let out_path = self.workdir.join("predicted.csv");
        let mut csv = String::from("arch,latency_ms\n");
        for &(a, ms) in samples {
            // `{:?}` prints the shortest text that reads back to the same f64.
            csv.push_str(&format!("{},{ms:?}\n", self.archs[a]));
        }
        std::fs::write(&samples_path, csv)
            .with_context(|| format!("writing {}", samples_path.display()))?;
        let mut lines = Vec::new();
        for &a in query {
            writeln!(lines, "{}", self.archs[a])?;
        }
        std::fs::write(&query_path, lines)
            .with_context(|| format!("writing {}", query_path.display()))?;
        run_profiler(&[
            "adapt".into(),
            "--predictor".into(),
            self.predictor.display().to_string(),
            "--samples".into(),
            samples_path.display().to_string(),
            "--query".into(),
            query_path.display().to_string(),
            "--name".into(),
            "target".into(),
            "--force".into(),
            "-o".into(),
            out_path.display().to_string(),
        ])?;
        let table = read_tables_path(&out_path)?
            .into_iter()
            .next()
            .with_context(|| format!("{} holds no predictions", out_path.display()))?;
        let by_arch: HashMap<Arch, usize> = table.arch_positions();
        query
            .iter()
            .map(|&a| {
                by_arch
                    .get(&self.archs[a])
                    .and_then(|&row| table.value(row, 0))
                    .with_context(|| {
                        format!(
                            "{} has no prediction for {}",
                            out_path.display(),
                            self.archs[a]
                        )
                    })
            })
            .collect()
    }
}

impl PretrainedModel for TrainedFile {
    fn adapt_and_predict(
        &self,
        samples: &[(usize, f64)],
        query: &[usize],
    ) -> latscope_model::error::Result<Vec<f64>> {
        self.adapt(samples, query).map_err(model_error)
    }
}

/// The CLI's failure (a child `profiler` that failed, a file that did not
/// read) as the model crate's error for a method outside it.
fn model_error(e: anyhow::Error) -> latscope_model::error::Error {
    latscope_model::error::Error::External {
        method: THROUGH_CLI.to_string(),
        message: format!("{e:#}"),
    }
}
