//! Tests that need an NVIDIA GPU. Without one (or without the CUDA
//! libraries) each prints why it is skipped and passes: CI has no GPU. On a
//! GPU machine, run the release test binary one test at a time
//! (`--test-threads=1`: cuDNN's handle teardown synchronises the whole
//! device, which would break another test's graph capture) with
//! `LATSCOPE_REQUIRE_GPU=1`, which makes every skip a failure, so a run that
//! found no GPU cannot look green (`tests/gpu/device_checks.sh` does both).

use super::verify::{compare, tolerance};
use super::{CudaBackend, CudaSettings, Layout, Precision, TimingMode};
use crate::measure::Backend;
use latscope_shared::space::{Dataset, SpaceId};

const NB201: [&str; 3] = [
    "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|",
    "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
];
const FBNET: &str = "k3_e1-k3_e1_g2-k5_e6-skip-k3_e3-k5_e1_g2-k3_e6-k5_e3-skip-k3_e1-k3_e1_g2-k5_e6-skip-k3_e3-k5_e1_g2-k3_e6-k5_e3-skip-k3_e1-k3_e1_g2-k5_e6-k3_e6";

fn settings(batch: usize, precision: Precision, mode: TimingMode) -> CudaSettings {
    CudaSettings {
        gpu: 0,
        dataset: None,
        batch,
        precision,
        layout: Layout::auto(precision),
        mode,
        warmup: 2,
        runs: 10,
        min_time_ms: 0.0,
        workspace_mib: 256,
    }
}

/// The backend, or `None` after printing why there is no GPU here; with
/// `LATSCOPE_REQUIRE_GPU=1` a missing GPU fails the test instead.
fn open(s: CudaSettings) -> Option<CudaBackend> {
    match CudaBackend::open(s) {
        Ok(b) => Some(b),
        Err(e) if gpu_required() => panic!("LATSCOPE_REQUIRE_GPU is set but: {e:#}"),
        Err(e) => {
            eprintln!("skipped (no usable GPU): {e:#}");
            None
        }
    }
}

/// Whether `LATSCOPE_REQUIRE_GPU` asks for skips to be failures.
fn gpu_required() -> bool {
    std::env::var("LATSCOPE_REQUIRE_GPU").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Eager passes and graph replays (captured after a pass on another input,
/// so a launch the capture missed shows) against tract.
#[test]
fn gpu_outputs_match_the_cpu_backend() {
    let pairs = [
        (Precision::Fp32, Layout::Nchw),
        (Precision::Fp32, Layout::Nhwc),
        (Precision::Fp16, Layout::Nhwc),
        (Precision::Fp16, Layout::Nchw),
    ];
    let modes = [TimingMode::Eager, TimingMode::Graph];
    for ((precision, layout), mode) in pairs.into_iter().flat_map(|p| modes.map(|m| (p, m))) {
        let Some(mut backend) = open(CudaSettings {
            layout,
            ..settings(2, precision, mode)
        }) else {
            return;
        };
        let nets = NB201
            .iter()
            .map(|a| (SpaceId::Nb201, *a, Dataset::Cifar10))
            .chain([(SpaceId::Fbnet, FBNET, Dataset::Cifar10)]);
        for (space, arch, dataset) in nets {
            let net = space.parse_arch(arch).unwrap().lower(dataset).unwrap();
            let a = compare(&mut backend, &net, 2, 7).unwrap();
            eprintln!(
                "{} {} {} {space} {arch}: relative error {:.2e}, {:?}",
                precision.name(),
                layout.name(),
                mode.name(),
                a.relative_error,
                a.launches
            );
            assert!(
                a.relative_error <= tolerance(precision),
                "{} {} {}: {arch} differs from the CPU by {:.2e}",
                precision.name(),
                layout.name(),
                mode.name(),
                a.relative_error
            );
        }
    }
}

#[test]
fn eager_and_graph_timings_are_positive_and_recorded() {
    for mode in [TimingMode::Eager, TimingMode::Graph] {
        let Some(mut backend) = open(settings(32, Precision::Fp16, mode)) else {
            return;
        };
        let arch = SpaceId::Nb201.parse_arch(NB201[2]).unwrap();
        let t = backend.measure(&arch).unwrap();
        eprintln!("{}: {t:?}", mode.name());
        assert!(t.median_ms > 0.0 && t.p10_ms <= t.median_ms && t.median_ms <= t.p90_ms);
        assert!(
            backend.source().ends_with(&format!(";{})", mode.name())),
            "{}",
            backend.source()
        );
        assert!(backend.source().contains(&backend.info().name));
    }
}

#[test]
fn out_of_memory_is_an_error_and_the_gpu_stays_usable() {
    // 2^21 ImageNet-sized FBNet samples need terabytes of activations.
    let Some(mut backend) = open(CudaSettings {
        dataset: Some(Dataset::ImageNet),
        ..settings(1 << 21, Precision::Fp32, TimingMode::Eager)
    }) else {
        return;
    };
    let arch = SpaceId::Fbnet.parse_arch(FBNET).unwrap();
    let err = backend.measure(&arch).unwrap_err();
    assert!(format!("{err:#}").contains("out of GPU memory"), "{err:#}");
    assert!(!backend.fatal());
    let Some(mut small) = open(settings(1, Precision::Fp32, TimingMode::Eager)) else {
        return;
    };
    assert!(small
        .measure(&SpaceId::Nb201.parse_arch(NB201[0]).unwrap())
        .is_ok());
}
