//! The CUDA backend: an architecture's IR run with cuDNN (convolutions,
//! fused with bias and ReLU where cuDNN allows; pooling), cuBLAS (linear
//! layers) and a few NVRTC kernels (element-wise ops, global pooling,
//! channel shuffle), timed with CUDA events, optionally replayed from a
//! CUDA graph.
//!
//! cudarc loads every CUDA library at run time, so this compiles and its
//! GPU-free parts are tested on machines without CUDA; `GpuSession::open`
//! reports what is missing on such a machine.
//!
//! The weights are the ones the ONNX export writes for the same seed, so the
//! GPU output can be checked against the CPU backend (`profiler measure
//! --verify`, and the GPU tests in `gpu_tests.rs`).

pub mod gpu_network;
pub mod info;
pub mod kernels;
pub mod libs;
pub mod nvrtc;
pub mod plan;
pub mod session;
mod timing;
pub mod verify;

#[cfg(test)]
mod gpu_tests;

use super::stats::{summarise, TimingSummary};
use super::Backend;
use crate::network::tensor_values_f32;
use crate::network::{export_network, ExportOptions};
use anyhow::{bail, Context, Result};
use gpu_network::GpuNetwork;
use latscope_shared::ir::Network;
use latscope_shared::space::{Arch, Dataset};
use session::GpuSession;
use std::collections::HashMap;

pub use timing::TimingMode;

/// Element type of weights and activations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Precision {
    /// Single precision throughout, with FMA math only: no TF32 tensor
    /// cores, so the results match the CPU backend closely.
    Fp32,
    /// Half precision with float accumulation, on tensor cores.
    Fp16,
}

impl Precision {
    /// The name written in the `precision` column and device names:
    /// `fp32` or `fp16`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Precision::Fp32 => "f32",
            Precision::Fp16 => "f16",
        }
    }

    /// Bytes of one element: 4 for fp32, 2 for fp16.
    pub fn bytes(self) -> usize {
        match self {
            Precision::Fp32 => 4,
            Precision::Fp16 => 2,
        }
    }

    /// Little-endian bytes of `values` in this precision.
    pub fn encode(self, values: &[f32]) -> Vec<u8> {
        match self {
            Precision::Fp32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            Precision::Fp16 => values
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                .collect(),
        }
    }

    /// Floats from little-endian bytes of this precision.
    pub fn decode(self, bytes: &[u8]) -> Vec<f32> {
        match self {
            Precision::Fp32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Precision::Fp16 => bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        }
    }

    fn cudnn_dtype(self) -> cudarc::cudnn::sys::cudnnDataType_t {
        use cudarc::cudnn::sys::cudnnDataType_t as T;
        match self {
            Precision::Fp32 => T::CUDNN_DATA_FLOAT,
            Precision::Fp16 => T::CUDNN_DATA_HALF,
        }
    }

    fn cuda_dtype(self) -> cudarc::cublas::sys::cudaDataType {
        use cudarc::cublas::sys::cudaDataType as T;
        match self {
            Precision::Fp32 => T::CUDA_R_32F,
            Precision::Fp16 => T::CUDA_R_16F,
        }
    }

    /// fp32 is true fp32 (FMA, no TF32); fp16 may use tensor cores.
    fn math_type(self) -> cudarc::cudnn::sys::cudnnMathType_t {
        use cudarc::cudnn::sys::cudnnMathType_t as M;
        match self {
            Precision::Fp32 => M::CUDNN_FMA_MATH,
            Precision::Fp16 => M::CUDNN_TENSOR_OP_MATH,
        }
    }
}

/// Memory layout of activations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Layout {
    /// Channels first, `[N, C, H, W]`: the ONNX export's and the CPU
    /// backend's order, and what `--layout auto` picks for fp32.
    Nchw,
    /// Channels last: what tensor-core convolutions read natively.
    Nhwc,
}

impl Layout {
    /// The layout `--layout auto` picks: channels-last for fp16, where
    /// tensor-core kernels want it, NCHW for fp32.
    pub fn auto(precision: Precision) -> Self {
        match precision {
            Precision::Fp32 => Layout::Nchw,
            Precision::Fp16 => Layout::Nhwc,
        }
    }

    /// The layout as `--layout` spells it, written into the `source`
    /// column: `nchw` or `nhwc`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Nchw => "nchw",
            Layout::Nhwc => "nhwc",
        }
    }

    fn cudnn_format(self) -> cudarc::cudnn::sys::cudnnTensorFormat_t {
        use cudarc::cudnn::sys::cudnnTensorFormat_t as F;
        match self {
            Layout::Nchw => F::CUDNN_TENSOR_NCHW,
            Layout::Nhwc => F::CUDNN_TENSOR_NHWC,
        }
    }
}

/// Settings of the CUDA backend.
#[derive(Clone, Debug)]
pub struct CudaSettings {
    /// CUDA ordinal of the GPU to open, from 0, as the process sees the
    /// GPUs (after `CUDA_VISIBLE_DEVICES`).
    pub gpu: usize,
    /// The dataset whose input shape and class count each architecture is
    /// built for; `None` takes its space's default dataset.
    pub dataset: Option<Dataset>,
    /// Samples per forward pass.
    pub batch: usize,
    /// Element type of weights and activations.
    pub precision: Precision,
    /// Memory layout of activations (and the matching filter order).
    pub layout: Layout,
    /// Whether timed passes are launched kernel by kernel or replayed from
    /// a CUDA graph.
    pub mode: TimingMode,
    /// Untimed forward passes before timing; at least one is always run,
    /// so cuDNN and the driver finish their lazy set-up (in graph mode, as
    /// many graph replays follow the capture).
    pub warmup: usize,
    /// At least this many timed runs…
    pub runs: usize,
    /// …and at least this much timed GPU time, ms.
    pub min_time_ms: f64,
    /// Size of the cuDNN workspace, MiB, allocated once for the campaign:
    /// convolution algorithms that need more are not chosen.
    pub workspace_mib: usize,
}

/// The CUDA backend, with its GPU open for the whole campaign.
pub struct CudaBackend {
    settings: CudaSettings,
    session: GpuSession,
    /// Set after an error that leaves the CUDA context unusable.
    broken: bool,
}

impl CudaBackend {
    /// Opens the GPU; fails with a message naming what is missing.
    pub fn open(settings: CudaSettings) -> Result<Self> {
        let session = GpuSession::open(settings.gpu, settings.workspace_mib)?;
        Ok(CudaBackend {
            settings,
            session,
            broken: false,
        })
    }

    /// The settings the backend was opened with.
    pub fn settings(&self) -> &CudaSettings {
        &self.settings
    }

    /// The open GPU and its software, as recorded in the run's
    /// description.
    pub fn info(&self) -> &info::GpuInfo {
        &self.session.info
    }

    /// Builds `arch` on the GPU with the weights the ONNX export draws for
    /// `seed`.
    pub fn prepare(&mut self, net: &Network, seed: u64) -> Result<(GpuNetwork, plan::Plan)> {
        let s = &self.settings;
        let model = export_network(net, &ExportOptions::new(seed).with_batch(s.batch))
            .context("exporting the architecture's weights")?;
        let tensors: HashMap<String, Vec<f32>> = model
            .graph
            .iter()
            .flat_map(|g| &g.initializer)
            // Each tensor decoded once (looking each name up would rescan
            // the initializer list per tensor).
            .filter_map(|t| Some((t.name.clone(), tensor_values_f32(t)?)))
            .collect();
        let plan = plan::plan(net, &|name| tensors.get(name).cloned())?;
        let gpu = GpuNetwork::build(&mut self.session, &plan, s.batch, s.precision, s.layout)?;
        Ok((gpu, plan))
    }

    /// One forward pass of `net` on `input` (NCHW floats), issued as the
    /// backend times it: the output floats and what the pass launched.
    ///
    /// In graph mode the output is a replay's: the graph is captured after
    /// an eager pass on other values and replayed on `input`, so a launch
    /// the capture missed leaves another input's numbers in the output and
    /// the comparison with the CPU backend fails.
    pub fn run_once(
        &mut self,
        net: &Network,
        seed: u64,
        input: &[f32],
    ) -> Result<(Vec<f32>, gpu_network::LaunchCounts)> {
        let (gpu, _) = self.prepare(net, seed)?;
        let (shape, layout) = (net.input_shape(), self.settings.layout);
        match self.settings.mode {
            TimingMode::Eager => {
                gpu.load_input(&self.session, input, shape, layout)?;
                gpu.forward(&self.session)?;
            }
            TimingMode::Graph => {
                let decoy = crate::network::random_input(u64::MAX, input.len());
                gpu.load_input(&self.session, &decoy, shape, layout)?;
                gpu.forward(&self.session)?;
                let graph = timing::capture(&self.session, &gpu, 1)?;
                gpu.load_input(&self.session, input, shape, layout)?;
                graph.launch()?;
            }
        }
        Ok((gpu.read_output(&self.session)?, gpu.counts()))
    }

    fn measure_checked(&mut self, arch: &Arch) -> Result<TimingSummary> {
        let s = self.settings.clone();
        let dataset = s.dataset.unwrap_or(arch.space().default_dataset());
        let net = arch.lower(dataset)?;
        let (gpu, _) = self.prepare(&net, 0)?;
        let input =
            crate::network::random_input(1, net.input_shape().elements() as usize * s.batch);
        gpu.load_input(&self.session, &input, net.input_shape(), s.layout)?;
        let timings = timing::time(&self.session, &gpu, &s)?;
        summarise(&timings).context("no timed runs (--runs 0)")
    }
}

impl Backend for CudaBackend {
    fn measure(&mut self, arch: &Arch) -> Result<TimingSummary> {
        if self.broken {
            bail!("the CUDA context is unusable after an earlier error");
        }
        let result = session::catch_missing_symbols(|| self.measure_checked(arch));
        if let Err(e) = &result {
            if leaves_context_broken(&format!("{e:#}")) {
                self.broken = true;
            }
        }
        result
    }

    fn source(&self) -> String {
        let s = &self.settings;
        format!(
            "latscope-cuda({};{};{})",
            self.session.info.short(),
            s.layout.name(),
            s.mode.name()
        )
    }

    fn batch(&self) -> usize {
        self.settings.batch
    }

    fn precision(&self) -> &'static str {
        self.settings.precision.name()
    }

    fn fatal(&self) -> bool {
        self.broken
    }

    fn description(&self) -> serde_json::Value {
        let s = &self.settings;
        serde_json::json!({
            "kind": "cuda",
            "gpu": self.info(),
            "precision": s.precision.name(),
            "layout": s.layout.name(),
            "timing": s.mode.name(),
            "warmup": s.warmup,
            "runs": s.runs,
            "min_time_ms": s.min_time_ms,
            "workspace_mib": s.workspace_mib,
        })
    }

    fn gpu_name(&self) -> Option<&str> {
        Some(&self.info().name)
    }
}

/// Whether an error (its whole `{:#}` text) leaves the CUDA context
/// unusable. Out of memory, cuDNN refusals, failed graph captures and
/// latscope's own errors leave it usable; any other driver error (illegal
/// address, launch failure) is sticky, and every later architecture would
/// fail too, so the campaign stops. So does a panic inside the backend (a
/// latscope bug): it may have struck between two calls that belong
/// together, such as the start and end of a graph capture.
fn leaves_context_broken(text: &str) -> bool {
    let recoverable = [
        "out of GPU memory",
        "OUT_OF_MEMORY",
        "NOT_SUPPORTED",
        "no usable algorithm",
        "STREAM_CAPTURE",
    ];
    (text.contains("CUDA_ERROR") && !recoverable.iter().any(|r| text.contains(r)))
        || text.contains(session::INTERNAL_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sticky_driver_errors_stop_a_campaign() {
        for sticky in [
            "launching add4_f32: DriverError(CUDA_ERROR_ILLEGAL_ADDRESS, \"an illegal memory access was encountered\")",
            "warm-up: DriverError(CUDA_ERROR_LAUNCH_FAILED, \"unspecified launch failure\")",
            "internal error in latscope's CUDA backend (please report it): index out of bounds at plan.rs:3:4",
        ] {
            assert!(leaves_context_broken(sticky), "{sticky}");
        }
        for usable in [
            "allocating 3 GiB: out of GPU memory (CUDA_ERROR_OUT_OF_MEMORY)",
            "capturing the forward pass into a CUDA graph: DriverError(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, \"operation failed due to a previous error during capture\")",
            "cudnnConvolutionBiasActivationForward: CUDNN_STATUS_NOT_SUPPORTED",
            "cuDNN found no usable algorithm for this convolution",
        ] {
            assert!(!leaves_context_broken(usable), "{usable}");
        }
    }

    #[test]
    fn precisions_round_trip_their_bytes() {
        let values = [0.0f32, 1.0, -2.5, 65504.0, 1e-3];
        assert_eq!(
            Precision::Fp32.decode(&Precision::Fp32.encode(&values)),
            values
        );
        let halves = Precision::Fp16.decode(&Precision::Fp16.encode(&values));
        for (h, v) in halves.iter().zip(values) {
            assert!((h - v).abs() <= v.abs() * 1e-3, "{h} vs {v}");
        }
        assert_eq!(Precision::Fp16.encode(&values).len(), 10);
    }

    #[test]
    fn auto_layout_is_channels_last_for_half_only() {
        assert_eq!(Layout::auto(Precision::Fp16), Layout::Nhwc);
        assert_eq!(Layout::auto(Precision::Fp32), Layout::Nchw);
    }
}
