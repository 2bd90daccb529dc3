//! Timing a forward pass with CUDA events.
//!
//! Each timed run is bracketed by two events on the stream and waited for,
//! so every sample is one forward pass's latency. In `eager` mode the
//! kernels are launched one by one (what a framework's eager mode does, so
//! launch overhead is included); in `graph` mode the forward pass is
//! captured once into a CUDA graph and replayed, which leaves mostly the
//! kernels' own time. The difference between the two is the launch cost.

use super::gpu_network::GpuNetwork;
use super::session::GpuSession;
use super::CudaSettings;
use crate::measure::stats::timed_runs;
use anyhow::{anyhow, Context, Result};
use cudarc::driver::sys::{CUevent_flags, CUgraphInstantiate_flags, CUstreamCaptureMode};
use cudarc::driver::CudaGraph;

/// How forward passes are issued while timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TimingMode {
    /// Kernel by kernel from the host.
    Eager,
    /// One CUDA-graph launch per forward pass.
    Graph,
}

impl TimingMode {
    /// The mode as `--timing` spells it, written into the `source` column
    /// and the run's description: `eager` or `graph`.
    pub fn name(self) -> &'static str {
        match self {
            TimingMode::Eager => "eager",
            TimingMode::Graph => "graph",
        }
    }
}

/// Warm-up, then timed runs until both `runs` samples and `min_time_ms` of
/// GPU time are collected. Returns the per-run latencies, ms.
///
/// In graph mode, a forward pass that cannot be captured (a cuDNN kernel
/// that refuses stream capture, say) is an error for this architecture
/// only: a failed capture leaves the context usable, so a campaign goes on
/// with the next one, and a graph dataset holds graph timings only.
pub fn time(session: &GpuSession, net: &GpuNetwork, s: &CudaSettings) -> Result<Vec<f64>> {
    let stream = &session.stream;
    // Eager warm-up also lets cuDNN and the driver finish lazy set-up, which
    // must not happen during graph capture.
    for _ in 0..s.warmup.max(1) {
        net.forward(session)?;
    }
    stream.synchronize().context("warm-up")?;
    let graph = match s.mode {
        TimingMode::Eager => None,
        TimingMode::Graph => Some(capture(session, net, s.warmup).context(
            "this architecture cannot be timed in graph mode (--timing eager can time it)",
        )?),
    };
    let timed = Some(CUevent_flags::CU_EVENT_DEFAULT);
    let start = session.ctx.new_event(timed)?;
    let end = session.ctx.new_event(timed)?;
    timed_runs(s.runs, s.min_time_ms, || {
        start.record(stream)?;
        match &graph {
            Some(g) => g.launch()?,
            None => net.forward(session)?,
        }
        end.record(stream)?;
        end.synchronize()?;
        Ok(f64::from(start.elapsed_ms(&end)?))
    })
}

/// The forward pass captured into an uploaded CUDA graph, replayed
/// `warmup` times (at least once). After a failed capture the stream is
/// synchronised: an error there (a sticky one) is returned instead.
pub(super) fn capture(session: &GpuSession, net: &GpuNetwork, warmup: usize) -> Result<CudaGraph> {
    let stream = &session.stream;
    stream.begin_capture(CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_RELAXED)?;
    let captured = net.forward(session);
    // End the capture whatever happened, so the stream is usable again.
    let graph = stream.end_capture(CUgraphInstantiate_flags(0));
    let graph = captured
        .context("capturing the forward pass into a CUDA graph")
        .and_then(|()| graph.context("instantiating the CUDA graph"))
        .and_then(|g| g.ok_or_else(|| anyhow!("the CUDA graph capture recorded nothing")));
    let graph = match graph {
        Ok(graph) => graph,
        Err(e) => {
            stream
                .synchronize()
                .context("the stream after a failed CUDA-graph capture")?;
            return Err(e);
        }
    };
    graph.upload()?;
    for _ in 0..warmup.max(1) {
        graph.launch()?;
    }
    stream.synchronize().context("replaying the CUDA graph")?;
    Ok(graph)
}
