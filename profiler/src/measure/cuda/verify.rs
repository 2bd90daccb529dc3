//! Checking the GPU's numbers against the CPU backend: the same
//! architecture, the same seeded weights (the ONNX export's) and the same
//! input, run by cuDNN/cuBLAS here and by tract there.

use super::network::LaunchCounts;
use super::{CudaBackend, Precision};
use anyhow::{Context, Result};
use latscope_model::arch_onnx::random_input;
use latscope_model::{export_network_bytes, ArchRunner, ExportOptions};
use latscope_shared::ir::Network;

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
