//! The CPU backend: the architecture's own ONNX export, run by tract.

use super::stats::{summarise, timed_runs, TimingSummary};
use super::Backend;
use crate::network::{export_network_bytes, ArchRunner, ExportOptions, RunnerOptions};
use anyhow::{Context, Result};
use latscope_shared::space::{Arch, Dataset};
use std::time::Instant;

/// Settings of the CPU backend.
#[derive(Clone, Debug)]
pub struct CpuBackend {
    /// The dataset whose input shape and class count each architecture is
    /// built for; `None` takes its space's default dataset.
    pub dataset: Option<Dataset>,
    /// Samples per forward pass (the exported model's fixed batch).
    pub batch: usize,
    /// Threads for tract's matrix products, as in
    /// [`RunnerOptions::threads`]: `None` leaves tract single-threaded.
    pub threads: Option<usize>,
    /// Untimed forward passes before the timed ones (0 is allowed).
    pub warmup: usize,
    /// At least this many timed runs…
    pub runs: usize,
    /// …and at least this much timed time, ms (up to 100 × `runs` runs).
    pub min_time_ms: f64,
}

impl Backend for CpuBackend {
    fn measure(&mut self, arch: &Arch) -> Result<TimingSummary> {
        let dataset = self.dataset.unwrap_or(arch.space().default_dataset());
        let net = arch.lower(dataset)?;
        // Weights do not change the work a CPU does; the seed only makes
        // reruns byte-identical.
        let bytes = export_network_bytes(&net, &ExportOptions::new(0).with_batch(self.batch))?;
        let mut runner = ArchRunner::with_options(
            &bytes,
            self.batch,
            &RunnerOptions {
                threads: self.threads,
            },
        )
        .context("loading the architecture into tract")?;
        // Two different inputs, the same output: tract folded the network into a constant.
        let constant_output = runner.run_random(1)?.values == runner.run_random(2)?.values;
        runner.load_input(&runner.random_input(1))?;
        for _ in 0..self.warmup {
            runner.run_loaded()?;
        }
        let timings = timed_runs(self.runs, self.min_time_ms, || {
            let start = Instant::now();
            runner.run_loaded()?;
            Ok(start.elapsed().as_secs_f64() * 1e3)
        })?;
        let summary = summarise(&timings).context("no timed runs (--runs 0)")?;
        Ok(TimingSummary {
            constant_output,
            ..summary
        })
    }

    fn source(&self) -> String {
        match self.threads {
            Some(n) => format!("latscope-cpu(tract,threads={n})"),
            None => "latscope-cpu(tract)".into(),
        }
    }

    fn batch(&self) -> usize {
        self.batch
    }

    fn precision(&self) -> &'static str {
        "fp32"
    }

    fn description(&self) -> serde_json::Value {
        let mut d = super::record::cpu_description(self.threads);
        d["warmup"] = self.warmup.into();
        d["runs"] = self.runs.into();
        d["min_time_ms"] = self.min_time_ms.into();
        d
    }
}
