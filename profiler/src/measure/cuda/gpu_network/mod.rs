//! A planned network made ready on the GPU: buffers, uploaded weights,
//! cuDNN descriptors and chosen algorithms, and the list of launches one
//! forward pass makes.
//!
//! * `builder`: each plan step as launches (kernels, pools, GEMMs, memsets);
//! * `conv`: convolutions (descriptors, cuDNN's algorithm search, the fused
//!   call and its fallback);
//! * `enqueue`: issuing one forward pass's launches on the stream;
//! * `host_layout`: host-side conversions (weights to a precision and
//!   filter order, NCHW to NHWC).

mod builder;
mod conv;
mod enqueue;
mod host_layout;

pub use host_layout::nchw_to_nhwc;

use super::plan::{Plan, Step};
use super::session::{ChosenAlgo, GpuSession};
use super::{Layout, Precision};
use anyhow::{anyhow, bail, Context, Result};
use builder::Builder;
use cudarc::cudnn::result as cudnn;
use cudarc::cudnn::sys as dnn;
use cudarc::driver::{CudaFunction, CudaSlice, DevicePtr};
use latscope_shared::ir::Shape;

/// A kernel argument.
#[derive(Clone, Copy, Debug)]
enum Arg {
    Ptr(u64),
    I64(i64),
    I32(i32),
}

/// One launch of a forward pass.
enum Launch {
    Conv(ConvLaunch),
    Kernel(KernelLaunch),
    Pool {
        desc: dnn::cudnnPoolingDescriptor_t,
        x_desc: dnn::cudnnTensorDescriptor_t,
        x: u64,
        y_desc: dnn::cudnnTensorDescriptor_t,
        y: u64,
    },
    Gemm {
        x: u64,
        w: u64,
        y: u64,
        batch: i32,
        in_features: i32,
        out_features: i32,
    },
    Memset {
        ptr: u64,
        bytes: usize,
    },
}

/// What a convolution reads and writes: the cuDNN descriptors and the
/// device addresses of its input, filter and output.
#[derive(Clone, Copy)]
struct ConvOperands {
    x_desc: dnn::cudnnTensorDescriptor_t,
    x: u64,
    w_desc: dnn::cudnnFilterDescriptor_t,
    w: u64,
    conv_desc: dnn::cudnnConvolutionDescriptor_t,
    y_desc: dnn::cudnnTensorDescriptor_t,
    y: u64,
}

struct ConvLaunch {
    operands: ConvOperands,
    bias_desc: dnn::cudnnTensorDescriptor_t,
    /// The bias in the tensors' precision (for the fused call).
    bias: u64,
    act_desc: dnn::cudnnActivationDescriptor_t,
    chosen: ChosenAlgo,
    /// One cuDNN call (conv + bias + ReLU/identity) or, where cuDNN has no
    /// fused form for it, the conv followed by `bias_act`.
    fused: bool,
    /// The follow-up kernel of an unfused conv (bias, then activation).
    bias_act: KernelLaunch,
}

/// One launch of an NVRTC kernel, its function resolved when built.
#[derive(Clone)]
struct KernelLaunch {
    name: &'static str,
    function: CudaFunction,
    args: Vec<Arg>,
    grid: u32,
}

/// Counts of what a forward pass launches, for reports and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaunchCounts {
    /// Convolutions (each with its bias and any activation), fused or not.
    pub convs: usize,
    /// Those of `convs` run as one cuDNN call with their bias and
    /// activation; each of the others is a cuDNN convolution followed by a
    /// bias-and-activation kernel, counted in `kernels`.
    pub fused_convs: usize,
    /// NVRTC kernel launches: element-wise ops, sums, global pooling,
    /// channel shuffles, linear biases, and the bias kernels of unfused
    /// convolutions.
    pub kernels: usize,
    /// cuDNN pooling calls (max and average pools).
    pub pools: usize,
    /// cuBLAS GEMMs, one per linear layer.
    pub gemms: usize,
    /// Memsets writing zeros (zero values that an op must read).
    pub memsets: usize,
}

/// A network ready to run on one GPU.
pub struct GpuNetwork {
    launches: Vec<Launch>,
    precision: Precision,
    /// Slot buffers and uploaded parameters, kept alive for the pointers.
    _buffers: Vec<CudaSlice<u8>>,
    _params: Vec<CudaSlice<u8>>,
    tensor_descs: Vec<dnn::cudnnTensorDescriptor_t>,
    filter_descs: Vec<dnn::cudnnFilterDescriptor_t>,
    conv_descs: Vec<dnn::cudnnConvolutionDescriptor_t>,
    pool_descs: Vec<dnn::cudnnPoolingDescriptor_t>,
    act_descs: Vec<dnn::cudnnActivationDescriptor_t>,
    input: (u64, usize),
    output: (u64, usize),
}

impl Drop for GpuNetwork {
    fn drop(&mut self) {
        // SAFETY: each descriptor was created by `build` and is destroyed once.
        unsafe {
            for &d in &self.tensor_descs {
                let _ = cudnn::destroy_tensor_descriptor(d);
            }
            for &d in &self.filter_descs {
                let _ = cudnn::destroy_filter_descriptor(d);
            }
            for &d in &self.conv_descs {
                let _ = cudnn::destroy_convolution_descriptor(d);
            }
            for &d in &self.pool_descs {
                let _ = dnn::cudnnDestroyPoolingDescriptor(d);
            }
            for &d in &self.act_descs {
                let _ = dnn::cudnnDestroyActivationDescriptor(d);
            }
        }
    }
}

fn dnn_err(what: &'static str) -> impl Fn(cudnn::CudnnError) -> anyhow::Error {
    move |e| anyhow!("{what}: {e}")
}

impl GpuNetwork {
    /// Allocates, uploads and prepares `plan` for `batch` samples.
    pub fn build(
        session: &mut GpuSession,
        plan: &Plan,
        batch: usize,
        precision: Precision,
        layout: Layout,
    ) -> Result<Self> {
        check_memory(session, plan, batch, precision)?;
        let mut buffers = Vec::with_capacity(plan.slot_elements.len());
        for &elements in &plan.slot_elements {
            let bytes = (elements as usize * batch * precision.bytes()).max(1);
            buffers.push(alloc(session, bytes)?);
        }
        let slot_ptr: Vec<u64> = buffers
            .iter()
            .map(|b| b.device_ptr(&session.stream).0)
            .collect();
        let value_ptr = |v: usize| -> u64 { slot_ptr[plan.slot_of[&v]] };
        let input_elements = plan.shapes[0].elements() as usize * batch;
        let output_elements = plan.shapes[plan.output].elements() as usize * batch;
        let net = GpuNetwork {
            launches: Vec::with_capacity(plan.steps.len()),
            precision,
            _buffers: Vec::new(),
            _params: Vec::new(),
            tensor_descs: Vec::new(),
            filter_descs: Vec::new(),
            conv_descs: Vec::new(),
            pool_descs: Vec::new(),
            act_descs: Vec::new(),
            input: (value_ptr(0), input_elements),
            output: (value_ptr(plan.output), output_elements),
        };
        let mut b = Builder {
            session,
            precision,
            layout,
            batch,
            net,
        };
        for step in &plan.steps {
            b.add(step, plan, &value_ptr)
                .with_context(|| format!("preparing a {} step", step.kind()))?;
        }
        let mut net = b.net;
        net._buffers = buffers;
        Ok(net)
    }

    /// Copies one batch of input (NCHW floats, as the CPU backend takes it)
    /// to the GPU in this network's layout and precision.
    pub fn load_input(
        &self,
        session: &GpuSession,
        nchw: &[f32],
        shape: Shape,
        layout: Layout,
    ) -> Result<()> {
        if nchw.len() != self.input.1 {
            bail!(
                "input has {} floats, the network takes {}",
                nchw.len(),
                self.input.1
            );
        }
        let values = match layout {
            Layout::Nchw => nchw.to_vec(),
            Layout::Nhwc => nchw_to_nhwc(nchw, shape),
        };
        let bytes = self.precision.encode(&values);
        // SAFETY: the input buffer holds exactly `bytes.len()` bytes.
        unsafe {
            cudarc::driver::result::memcpy_htod_async(
                self.input.0,
                &bytes,
                session.stream.cu_stream(),
            )
        }?;
        session.stream.synchronize()?;
        Ok(())
    }

    /// The output as floats (N × K, same in both layouts: it is a vector).
    pub fn read_output(&self, session: &GpuSession) -> Result<Vec<f32>> {
        let mut bytes = vec![0u8; self.output.1 * self.precision.bytes()];
        session.stream.synchronize()?;
        // SAFETY: the output buffer holds at least `bytes.len()` bytes.
        unsafe {
            cudarc::driver::result::memcpy_dtoh_async(
                &mut bytes,
                self.output.0,
                session.stream.cu_stream(),
            )
        }?;
        session.stream.synchronize()?;
        Ok(self.precision.decode(&bytes))
    }

    /// What one forward pass launches.
    pub fn counts(&self) -> LaunchCounts {
        let mut c = LaunchCounts::default();
        for l in &self.launches {
            match l {
                Launch::Conv(conv) => {
                    c.convs += 1;
                    if conv.fused {
                        c.fused_convs += 1;
                    } else {
                        c.kernels += 1;
                    }
                }
                Launch::Kernel(_) => c.kernels += 1,
                Launch::Pool { .. } => c.pools += 1,
                Launch::Gemm { .. } => c.gemms += 1,
                Launch::Memset { .. } => c.memsets += 1,
            }
        }
        c
    }

    /// Enqueues one forward pass on the session's stream (no synchronisation).
    pub fn forward(&self, session: &GpuSession) -> Result<()> {
        for launch in &self.launches {
            self.enqueue(session, launch)?;
        }
        Ok(())
    }
}

/// Bytes of the parameters `plan` uploads in `precision`.
fn parameter_bytes(plan: &Plan, precision: Precision) -> usize {
    plan.steps
        .iter()
        .map(|s| match s {
            Step::Conv { weight, bias, .. } => {
                // The bias goes up twice: typed (fused call) and f32 (bias kernel).
                weight.len() * precision.bytes() + bias.len() * (precision.bytes() + 4)
            }
            Step::Linear { weight, bias, .. } => {
                weight.len() * precision.bytes() + bias.as_ref().map_or(0, |b| b.len() * 4)
            }
            Step::ChannelAffine { scale, shift, .. } => {
                (scale.as_ref().map_or(0, Vec::len) + shift.as_ref().map_or(0, Vec::len)) * 4
            }
            _ => 0,
        })
        .sum()
}

/// Refuses, before allocating anything, a batch whose activations and
/// weights cannot fit in the GPU's free memory.
fn check_memory(
    session: &GpuSession,
    plan: &Plan,
    batch: usize,
    precision: Precision,
) -> Result<()> {
    let activation_bytes = plan.activation_elements(batch) as usize * precision.bytes();
    let param_bytes = parameter_bytes(plan, precision);
    let free = session.free_memory()?;
    if activation_bytes + param_bytes > free {
        bail!(
            "out of GPU memory: batch {batch} needs {:.1} MiB of activations and {:.1} MiB of \
             weights, {:.1} MiB are free (try a smaller --batch)",
            mib(activation_bytes),
            mib(param_bytes),
            mib(free)
        );
    }
    Ok(())
}

fn alloc(session: &GpuSession, bytes: usize) -> Result<CudaSlice<u8>> {
    session.stream.alloc_zeros::<u8>(bytes).map_err(|e| {
        anyhow!(
            "out of GPU memory allocating {:.1} MiB: {e} (try a smaller --batch)",
            mib(bytes)
        )
    })
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}
