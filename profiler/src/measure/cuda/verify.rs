//! Checking the GPU's numbers against the CPU backend: the same
//! architecture, the same seeded weights (the ONNX export's) and the same
//! input, run by cuDNN/cuBLAS here and by tract there.

use super::gpu_network::LaunchCounts;
use super::{CudaBackend, Precision};
use crate::measure::stats::TimingSummary;
use crate::measure::Backend;
use crate::network::random_input;
use crate::network::{export_network_bytes, ArchRunner, ExportOptions};
use anyhow::{bail, Context, Result};
use latscope_shared::ir::Network;
use latscope_shared::space::{Arch, Dataset};

/// Largest |gpu − cpu| relative to the largest |cpu| output that each
/// precision may show. fp32 leaves room for cuDNN's Winograd and FFT
/// algorithms (they round differently from a direct convolution); fp16
/// has an 11-bit mantissa through some twenty layers.
pub fn tolerance(precision: Precision) -> f64 {
    match precision {
        Precision::Fp32 => 2e-3,
        Precision::Fp16 => 3e-2,
    }
}

/// How the GPU output compares with the CPU's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// max |gpu − cpu| / max |cpu|.
    pub relative_error: f64,
    /// Number of output floats the GPU produced (batch × output elements).
    pub outputs: usize,
    /// What the GPU's forward pass launched.
    pub launches: LaunchCounts,
}

/// Runs `net` on both backends for `batch` samples with weight seed `seed`.
pub fn compare(
    backend: &mut CudaBackend,
    net: &Network,
    batch: usize,
    seed: u64,
) -> Result<Agreement> {
    let bytes = export_network_bytes(net, &ExportOptions::new(seed).with_batch(batch))?;
    let mut cpu = ArchRunner::new(&bytes, batch).context("loading the architecture into tract")?;
    let input = random_input(1, cpu.input_len());
    let expected = cpu.run(&input)?.values;
    let (got, launches) = backend.run_once(net, seed, &input)?;
    Ok(Agreement {
        launches,
        ..agreement(&expected, &got)
    })
}

/// max |got − expected| / max |expected| (NaN anywhere gives infinity).
pub fn agreement(expected: &[f32], got: &[f32]) -> Agreement {
    if expected.len() != got.len() {
        return Agreement {
            relative_error: f64::INFINITY,
            outputs: got.len(),
            launches: LaunchCounts::default(),
        };
    }
    let scale = expected
        .iter()
        .fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    let mut worst = 0.0f64;
    for (&e, &g) in expected.iter().zip(got) {
        let d = (f64::from(g) - f64::from(e)).abs();
        if d.is_nan() {
            worst = f64::INFINITY;
        } else {
            worst = worst.max(d);
        }
    }
    Agreement {
        relative_error: if scale > 0.0 { worst / scale } else { worst },
        outputs: got.len(),
        launches: LaunchCounts::default(),
    }
}

/// The CUDA backend, optionally checking each architecture against the CPU
/// backend before timing it (`profiler measure --verify`); a mismatch
/// beyond [`tolerance`] fails that architecture.
pub struct VerifyingCuda {
    inner: CudaBackend,
    verify: bool,
    dataset: Option<Dataset>,
    /// Worst relative error and launch totals over the verified architectures.
    verified: Option<VerifiedSoFar>,
}

#[derive(Default)]
struct VerifiedSoFar {
    worst: f64,
    archs: usize,
    convs: usize,
    fused: usize,
}

impl VerifyingCuda {
    /// Wraps `inner`; `verify` false times only. `dataset` must be the one
    /// `inner` builds its networks for.
    pub fn new(inner: CudaBackend, verify: bool, dataset: Option<Dataset>) -> Self {
        VerifyingCuda {
            inner,
            verify,
            dataset,
            verified: None,
        }
    }

    fn check(&mut self, arch: &Arch) -> Result<()> {
        let net = arch.lower(self.dataset.unwrap_or(arch.space().default_dataset()))?;
        let precision = self.inner.settings().precision;
        let batch = self.inner.batch();
        let a = compare(&mut self.inner, &net, batch, 0)?;
        let so_far = self.verified.get_or_insert_with(VerifiedSoFar::default);
        so_far.worst = so_far.worst.max(a.relative_error);
        so_far.archs += 1;
        so_far.convs += a.launches.convs;
        so_far.fused += a.launches.fused_convs;
        if a.relative_error > tolerance(precision) {
            bail!(
                "the GPU output differs from the CPU backend's by {:.2e} (relative; {} allows {:.0e})",
                a.relative_error,
                precision.name(),
                tolerance(precision)
            );
        }
        Ok(())
    }
}

impl Drop for VerifyingCuda {
    fn drop(&mut self) {
        if let Some(v) = &self.verified {
            eprintln!(
                "verified {} architectures against the cpu backend: worst relative error {:.2e}; \
                 {} of {} convolutions ran as one fused cuDNN call",
                v.archs, v.worst, v.fused, v.convs
            );
        }
    }
}

impl Backend for VerifyingCuda {
    fn measure(&mut self, arch: &Arch) -> Result<TimingSummary> {
        if self.verify {
            self.check(arch)?;
        }
        self.inner.measure(arch)
    }
    fn source(&self) -> String {
        self.inner.source()
    }
    fn batch(&self) -> usize {
        self.inner.batch()
    }
    fn precision(&self) -> &'static str {
        self.inner.precision()
    }
    fn fatal(&self) -> bool {
        self.inner.fatal()
    }
    fn description(&self) -> serde_json::Value {
        let mut d = self.inner.description();
        d["verify"] = self.verify.into();
        d
    }
    fn gpu_name(&self) -> Option<&str> {
        self.inner.gpu_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_is_relative_to_the_largest_output() {
        let a = agreement(&[1.0, -4.0, 2.0], &[1.0, -4.0, 2.04]);
        assert!((a.relative_error - 0.01).abs() < 1e-6);
        assert_eq!(agreement(&[1.0], &[f32::NAN]).relative_error, f64::INFINITY);
        assert_eq!(agreement(&[1.0], &[1.0, 2.0]).relative_error, f64::INFINITY);
        assert_eq!(agreement(&[0.0, 0.0], &[0.0, 0.0]).relative_error, 0.0);
    }
}
