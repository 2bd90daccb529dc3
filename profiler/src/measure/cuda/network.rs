//! A planned network made ready on the GPU: buffers, uploaded weights,
//! cuDNN descriptors and chosen algorithms, and the list of launches one
//! forward pass makes.

use super::kernels::{self, ACT_HSWISH, ACT_NONE, ACT_RELU, ACT_RELU6};
use super::plan::{ConvGeometry, Plan, PoolKind, Step};
use super::session::{ChosenAlgo, ConvKey, GpuSession};
use super::{Layout, Precision};
use anyhow::{anyhow, bail, Context, Result};
use cudarc::cublas::sys as cublas_sys;
use cudarc::cudnn::result as cudnn;
use cudarc::cudnn::sys as dnn;
use cudarc::driver::{CudaFunction, CudaSlice, DevicePtr, LaunchConfig, PushKernelArg};
use latscope_shared::ir::{Activation, Shape};
use std::ffi::c_void;

static ONE: f32 = 1.0;
static ZERO: f32 = 0.0;

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

struct ConvLaunch {
    x_desc: dnn::cudnnTensorDescriptor_t,
    x: u64,
    w_desc: dnn::cudnnFilterDescriptor_t,
    w: u64,
    conv_desc: dnn::cudnnConvolutionDescriptor_t,
    y_desc: dnn::cudnnTensorDescriptor_t,
    y: u64,
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
    pub convs: usize,
    pub fused_convs: usize,
    pub kernels: usize,
    pub pools: usize,
    pub gemms: usize,
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

fn act_code(act: Option<Activation>) -> i32 {
    match act {
        None => ACT_NONE,
        Some(Activation::Relu) => ACT_RELU,
        Some(Activation::Relu6) => ACT_RELU6,
        Some(Activation::HSwish) => ACT_HSWISH,
    }
}

/// Converts float weights to the bytes of `precision`, in `layout`'s filter
/// order for 4-D conv weights (`dims` = [out, in/groups, kh, kw]).
fn weight_bytes(
    values: &[f32],
    dims: Option<[usize; 4]>,
    precision: Precision,
    layout: Layout,
) -> Vec<u8> {
    let ordered: Vec<f32> = match (dims, layout) {
        (Some([o, i, kh, kw]), Layout::Nhwc) => {
            // OIHW → OHWI (cuDNN's NHWC filter order, "KRSC").
            let mut out = vec![0.0; values.len()];
            for oc in 0..o {
                for ic in 0..i {
                    for y in 0..kh {
                        for x in 0..kw {
                            out[((oc * kh + y) * kw + x) * i + ic] =
                                values[((oc * i + ic) * kh + y) * kw + x];
                        }
                    }
                }
            }
            out
        }
        _ => values.to_vec(),
    };
    precision.encode(&ordered)
}

struct Builder<'s> {
    session: &'s mut GpuSession,
    precision: Precision,
    layout: Layout,
    batch: usize,
    net: GpuNetwork,
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
        let activation_bytes = plan.activation_elements(batch) as usize * precision.bytes();
        let param_bytes: usize = plan
            .steps
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
            .sum();
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

    fn enqueue(&self, s: &GpuSession, launch: &Launch) -> Result<()> {
        let one = &ONE as *const f32 as *const c_void;
        let zero = &ZERO as *const f32 as *const c_void;
        match launch {
            Launch::Conv(c) => enqueue_conv(s, c)?,
            Launch::Kernel(k) => launch_kernel(s, k)?,
            Launch::Pool {
                desc,
                x_desc,
                x,
                y_desc,
                y,
            } => {
                // SAFETY: as for convs.
                unsafe {
                    dnn::cudnnPoolingForward(
                        s.cudnn,
                        *desc,
                        one,
                        *x_desc,
                        *x as *const c_void,
                        zero,
                        *y_desc,
                        *y as *mut c_void,
                    )
                    .result()
                    .map_err(dnn_err("cudnnPoolingForward"))?;
                }
            }
            &Launch::Gemm {
                x,
                w,
                y,
                batch,
                in_features,
                out_features,
            } => {
                // Row-major y[N,K] = x[N,C]·W[K,C]ᵀ is column-major
                // yᵀ[K,N] = Wᵀ[K,C]… i.e. op(A)=Aᵀ with A = W seen as C×K.
                let dtype = self.precision.cuda_dtype();
                // SAFETY: pointers sized by `build`; cuBLAS's workspace is set.
                unsafe {
                    cudarc::cublas::result::gemm_ex(
                        s.cublas,
                        cublas_sys::cublasOperation_t::CUBLAS_OP_T,
                        cublas_sys::cublasOperation_t::CUBLAS_OP_N,
                        out_features,
                        batch,
                        in_features,
                        one,
                        w as *const c_void,
                        dtype,
                        in_features,
                        x as *const c_void,
                        dtype,
                        in_features,
                        zero,
                        y as *mut c_void,
                        dtype,
                        out_features,
                        cublas_sys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                        cublas_sys::cublasGemmAlgo_t::CUBLAS_GEMM_DFALT,
                    )
                    .map_err(|e| anyhow!("cublasGemmEx: {e}"))?;
                }
            }
            &Launch::Memset { ptr, bytes } => {
                // SAFETY: `ptr` heads a buffer of at least `bytes` bytes.
                unsafe {
                    cudarc::driver::result::memset_d8_async(ptr, 0, bytes, s.stream.cu_stream())
                }?;
            }
        }
        Ok(())
    }
}

fn launch_kernel(s: &GpuSession, k: &KernelLaunch) -> Result<()> {
    let mut builder = s.stream.launch_builder(&k.function);
    for arg in &k.args {
        match arg {
            Arg::Ptr(p) => builder.arg(p),
            Arg::I64(v) => builder.arg(v),
            Arg::I32(v) => builder.arg(v),
        };
    }
    let cfg = LaunchConfig {
        grid_dim: (k.grid, 1, 1),
        block_dim: (kernels::BLOCK, 1, 1),
        shared_mem_bytes: 0,
    };
    // SAFETY: the argument lists match the kernels' signatures (built
    // next to each other in `Builder`).
    unsafe { builder.launch(cfg) }.with_context(|| format!("launching {}", k.name))?;
    Ok(())
}

/// One convolution: the fused cuDNN call, or the conv and our bias kernel.
fn enqueue_conv(s: &GpuSession, c: &ConvLaunch) -> Result<()> {
    let one = &ONE as *const f32 as *const c_void;
    let zero = &ZERO as *const f32 as *const c_void;
    // SAFETY: descriptors and pointers were set up by `Builder::conv` for
    // these buffers; the workspace is at least the chosen size.
    unsafe {
        if c.fused {
            dnn::cudnnConvolutionBiasActivationForward(
                s.cudnn,
                one,
                c.x_desc,
                c.x as *const c_void,
                c.w_desc,
                c.w as *const c_void,
                c.conv_desc,
                c.chosen.algo,
                s.workspace_ptr() as *mut c_void,
                c.chosen.workspace_bytes,
                zero,
                c.y_desc,
                c.y as *const c_void,
                c.bias_desc,
                c.bias as *const c_void,
                c.act_desc,
                c.y_desc,
                c.y as *mut c_void,
            )
            .result()
            .map_err(dnn_err("cudnnConvolutionBiasActivationForward"))?;
        } else {
            cudnn::convolution_forward(
                s.cudnn,
                one,
                c.x_desc,
                c.x as *const c_void,
                c.w_desc,
                c.w as *const c_void,
                c.conv_desc,
                c.chosen.algo,
                s.workspace_ptr() as *mut c_void,
                c.chosen.workspace_bytes,
                zero,
                c.y_desc,
                c.y as *mut c_void,
            )
            .map_err(dnn_err("cudnnConvolutionForward"))?;
            launch_kernel(s, &c.bias_act)?;
        }
    }
    Ok(())
}

impl Builder<'_> {
    fn kernel(&self, name: &'static str, args: Vec<Arg>, grid: u32) -> KernelLaunch {
        KernelLaunch {
            name,
            function: self.session.function(name, self.precision).clone(),
            args,
            grid,
        }
    }

    fn add(&mut self, step: &Step, plan: &Plan, ptr: &dyn Fn(usize) -> u64) -> Result<()> {
        let batch = self.batch;
        let layout = self.layout;
        let n = |v: usize| (plan.shapes[v].elements() as usize * batch) as i64;
        let inner = |v: usize| match layout {
            Layout::Nchw => plan.shapes[v].positions() as i32,
            Layout::Nhwc => 1,
        };
        let sm = self.session.sm_count();
        match step {
            Step::Conv {
                input,
                output,
                geometry,
                weight,
                bias,
                act,
            } => {
                let conv = self.conv(*geometry, ptr(*input), ptr(*output), weight, bias, *act)?;
                self.net.launches.push(Launch::Conv(conv));
            }
            Step::ChannelAffine {
                input,
                output,
                scale,
                shift,
                act,
            } => {
                let scale = scale.as_ref().map_or(Ok(0), |v| self.upload_f32(v))?;
                let shift = shift.as_ref().map_or(Ok(0), |v| self.upload_f32(v))?;
                let total = n(*output);
                self.net.launches.push(Launch::Kernel(self.kernel(
                    "channel_affine",
                    vec![
                        Arg::Ptr(ptr(*input)),
                        Arg::Ptr(ptr(*output)),
                        Arg::Ptr(scale),
                        Arg::Ptr(shift),
                        Arg::I64(total),
                        Arg::I32(plan.shapes[*output].channels as i32),
                        Arg::I32(inner(*output)),
                        Arg::I32(act_code(*act)),
                    ],
                    kernels::grid_for(total as u64, sm),
                )));
            }
            Step::Add {
                inputs,
                output,
                act,
            } => {
                let total = n(*output);
                let y = ptr(*output);
                // Four terms per launch; later launches add to y in place.
                let mut terms: Vec<u64> = inputs.iter().map(|&v| ptr(v)).collect();
                while terms.len() > 1 {
                    let take = terms.len().min(4);
                    let chunk: Vec<u64> = terms.drain(..take).collect();
                    let last = terms.is_empty();
                    let mut args: Vec<Arg> = (0..4)
                        .map(|i| Arg::Ptr(*chunk.get(i).unwrap_or(&0)))
                        .collect();
                    args.extend([
                        Arg::Ptr(y),
                        Arg::I64(total),
                        Arg::I32(chunk.len() as i32),
                        Arg::I32(if last { act_code(*act) } else { ACT_NONE }),
                    ]);
                    self.net.launches.push(Launch::Kernel(self.kernel(
                        "add4",
                        args,
                        kernels::grid_for(total as u64, sm),
                    )));
                    if !last {
                        terms.insert(0, y);
                    }
                }
            }
            Step::Pool {
                input,
                output,
                kind,
                kernel,
                stride,
                padding,
            } => {
                let mode = match kind {
                    PoolKind::Max => dnn::cudnnPoolingMode_t::CUDNN_POOLING_MAX,
                    PoolKind::Avg {
                        count_include_pad: true,
                    } => dnn::cudnnPoolingMode_t::CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
                    PoolKind::Avg {
                        count_include_pad: false,
                    } => dnn::cudnnPoolingMode_t::CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
                };
                let desc = cudnn::create_pooling_descriptor()
                    .map_err(dnn_err("cudnnCreatePoolingDescriptor"))?;
                self.net.pool_descs.push(desc);
                let (k, s, p) = (*kernel as i32, *stride as i32, *padding as i32);
                // SAFETY: a fresh descriptor.
                unsafe {
                    dnn::cudnnSetPooling2dDescriptor(
                        desc,
                        mode,
                        dnn::cudnnNanPropagation_t::CUDNN_NOT_PROPAGATE_NAN,
                        k,
                        k,
                        p,
                        p,
                        s,
                        s,
                    )
                    .result()
                    .map_err(dnn_err("cudnnSetPooling2dDescriptor"))?;
                }
                let x_desc = self.tensor_desc(plan.shapes[*input])?;
                let y_desc = self.tensor_desc(plan.shapes[*output])?;
                self.net.launches.push(Launch::Pool {
                    desc,
                    x_desc,
                    x: ptr(*input),
                    y_desc,
                    y: ptr(*output),
                });
            }
            Step::GlobalAvgPool { input, output } => {
                let shape = plan.shapes[*input];
                let threads = (self.batch * shape.channels) as u64;
                self.net.launches.push(Launch::Kernel(self.kernel(
                    "global_avg_pool",
                    vec![
                        Arg::Ptr(ptr(*input)),
                        Arg::Ptr(ptr(*output)),
                        Arg::I32(self.batch as i32),
                        Arg::I32(shape.channels as i32),
                        Arg::I32(shape.positions() as i32),
                        Arg::I32(matches!(self.layout, Layout::Nhwc) as i32),
                    ],
                    threads.div_ceil(u64::from(kernels::BLOCK)) as u32,
                )));
            }
            Step::Linear {
                input,
                output,
                in_features,
                out_features,
                weight,
                bias,
            } => {
                let w = self.upload(&weight_bytes(weight, None, self.precision, self.layout))?;
                let y = ptr(*output);
                self.net.launches.push(Launch::Gemm {
                    x: ptr(*input),
                    w,
                    y,
                    batch: self.batch as i32,
                    in_features: *in_features as i32,
                    out_features: *out_features as i32,
                });
                if let Some(bias) = bias {
                    let shift = self.upload_f32(bias)?;
                    let total = (self.batch * out_features) as i64;
                    self.net.launches.push(Launch::Kernel(self.kernel(
                        "channel_affine",
                        vec![
                            Arg::Ptr(y),
                            Arg::Ptr(y),
                            Arg::Ptr(0),
                            Arg::Ptr(shift),
                            Arg::I64(total),
                            Arg::I32(*out_features as i32),
                            Arg::I32(1),
                            Arg::I32(ACT_NONE),
                        ],
                        kernels::grid_for(total as u64, sm),
                    )));
                }
            }
            Step::ChannelShuffle {
                input,
                output,
                groups,
            } => {
                let shape = plan.shapes[*output];
                let total = n(*output);
                self.net.launches.push(Launch::Kernel(self.kernel(
                    "channel_shuffle",
                    vec![
                        Arg::Ptr(ptr(*input)),
                        Arg::Ptr(ptr(*output)),
                        Arg::I64(total),
                        Arg::I32(shape.channels as i32),
                        Arg::I32(shape.positions() as i32),
                        Arg::I32(*groups as i32),
                        Arg::I32(matches!(self.layout, Layout::Nhwc) as i32),
                    ],
                    kernels::grid_for(total as u64, sm),
                )));
            }
            Step::Zero { output } => self.net.launches.push(Launch::Memset {
                ptr: ptr(*output),
                bytes: n(*output) as usize * self.precision.bytes(),
            }),
        }
        Ok(())
    }

    fn conv(
        &mut self,
        g: ConvGeometry,
        x: u64,
        y: u64,
        weight: &[f32],
        bias: &[f32],
        act: Option<Activation>,
    ) -> Result<ConvLaunch> {
        let in_per_group = g.input.channels / g.groups;
        let dims = [g.output.channels, in_per_group, g.kernel, g.kernel];
        let w = self.upload(&weight_bytes(
            weight,
            Some(dims),
            self.precision,
            self.layout,
        ))?;
        let bias_typed = self.upload(&self.precision.encode(bias))?;
        let bias_f32 = self.upload_f32(bias)?;
        let x_desc = self.tensor_desc(g.input)?;
        let y_desc = self.tensor_desc(g.output)?;
        let bias_desc = self.tensor_desc_as(
            dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW,
            1,
            Shape::new(g.output.channels, 1, 1),
        )?;
        let w_desc =
            cudnn::create_filter_descriptor().map_err(dnn_err("cudnnCreateFilterDescriptor"))?;
        self.net.filter_descs.push(w_desc);
        let conv_desc = cudnn::create_convolution_descriptor()
            .map_err(dnn_err("cudnnCreateConvolutionDescriptor"))?;
        self.net.conv_descs.push(conv_desc);
        let (p, s) = (g.padding as i32, g.stride as i32);
        // SAFETY: fresh descriptors.
        unsafe {
            cudnn::set_filter4d_descriptor(
                w_desc,
                self.precision.cudnn_dtype(),
                self.layout.cudnn_format(),
                dims.map(|d| d as i32),
            )
            .map_err(dnn_err("cudnnSetFilter4dDescriptor"))?;
            cudnn::set_convolution2d_descriptor(
                conv_desc,
                p,
                p,
                s,
                s,
                1,
                1,
                dnn::cudnnConvolutionMode_t::CUDNN_CROSS_CORRELATION,
                dnn::cudnnDataType_t::CUDNN_DATA_FLOAT,
            )
            .map_err(dnn_err("cudnnSetConvolution2dDescriptor"))?;
            cudnn::set_convolution_group_count(conv_desc, g.groups as i32)
                .map_err(dnn_err("cudnnSetConvolutionGroupCount"))?;
            cudnn::set_convolution_math_type(conv_desc, self.precision.math_type())
                .map_err(dnn_err("cudnnSetConvolutionMathType"))?;
        }
        let key = ConvKey {
            geometry: g,
            batch: self.batch,
            precision: self.precision,
            layout: self.layout,
        };
        let chosen = match self.session.algos.get(&key) {
            Some(&c) => c,
            None => {
                let c = self.search(x_desc, x, w_desc, w, conv_desc, y_desc, y)?;
                self.session.algos.insert(key, c);
                c
            }
        };
        // SAFETY: a live descriptor; the math type cuDNN measured the algorithm with.
        unsafe { cudnn::set_convolution_math_type(conv_desc, chosen.math) }
            .map_err(dnn_err("cudnnSetConvolutionMathType"))?;

        let act_desc = cudnn::create_activation_descriptor()
            .map_err(dnn_err("cudnnCreateActivationDescriptor"))?;
        self.net.act_descs.push(act_desc);
        // cuDNN fuses ReLU with any algorithm, identity only with implicit
        // precomputed GEMM; other activations go to our bias_act kernel.
        let precomp = chosen.algo
            == dnn::cudnnConvolutionFwdAlgo_t::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
        let fused_mode = match act {
            Some(Activation::Relu) => Some(dnn::cudnnActivationMode_t::CUDNN_ACTIVATION_RELU),
            None if precomp => Some(dnn::cudnnActivationMode_t::CUDNN_ACTIVATION_IDENTITY),
            _ => None,
        };
        // SAFETY: a fresh descriptor.
        unsafe {
            dnn::cudnnSetActivationDescriptor(
                act_desc,
                fused_mode.unwrap_or(dnn::cudnnActivationMode_t::CUDNN_ACTIVATION_IDENTITY),
                dnn::cudnnNanPropagation_t::CUDNN_NOT_PROPAGATE_NAN,
                0.0,
            )
            .result()
            .map_err(dnn_err("cudnnSetActivationDescriptor"))?;
        }
        let total = (g.output.elements() as usize * self.batch) as i64;
        let inner = match self.layout {
            Layout::Nchw => g.output.positions() as i32,
            Layout::Nhwc => 1,
        };
        let mut launch = ConvLaunch {
            x_desc,
            x,
            w_desc,
            w,
            conv_desc,
            y_desc,
            y,
            bias_desc,
            bias: bias_typed,
            act_desc,
            chosen,
            fused: fused_mode.is_some(),
            bias_act: self.kernel(
                "channel_affine",
                vec![
                    Arg::Ptr(y),
                    Arg::Ptr(y),
                    Arg::Ptr(0),
                    Arg::Ptr(bias_f32),
                    Arg::I64(total),
                    Arg::I32(g.output.channels as i32),
                    Arg::I32(inner),
                    Arg::I32(act_code(act)),
                ],
                kernels::grid_for(total as u64, self.session.sm_count()),
            ),
        };
        if launch.fused {
            // Some configurations (data type, layout, algorithm) have no
            // fused kernel: try it once now and fall back if so.
            let probe = enqueue_conv(self.session, &launch)
                .and_then(|()| Ok(self.session.stream.synchronize()?));
            // Any cuDNN refusal (NOT_SUPPORTED, or BAD_PARAM for a data-type
            // combination this cuDNN lacks) falls back to the unfused pair,
            // which is always valid; driver errors are real errors.
            if let Err(e) = probe {
                if !format!("{e:#}").contains("CUDNN_STATUS") {
                    return Err(e);
                }
                launch.fused = false;
            }
        }
        Ok(launch)
    }

    /// cuDNN's own search: every algorithm timed on these buffers; the
    /// fastest that fits the workspace wins. For fp32, algorithms that would
    /// use TF32 tensor cores are skipped (fp32 means fp32).
    #[allow(clippy::too_many_arguments)]
    fn search(
        &mut self,
        x_desc: dnn::cudnnTensorDescriptor_t,
        x: u64,
        w_desc: dnn::cudnnFilterDescriptor_t,
        w: u64,
        conv_desc: dnn::cudnnConvolutionDescriptor_t,
        y_desc: dnn::cudnnTensorDescriptor_t,
        y: u64,
    ) -> Result<ChosenAlgo> {
        const MAX: usize =
            dnn::cudnnConvolutionFwdAlgo_t::CUDNN_CONVOLUTION_FWD_ALGO_COUNT as usize;
        // SAFETY: zeroed plain-data structs that cuDNN fills.
        let mut perf: [dnn::cudnnConvolutionFwdAlgoPerf_t; MAX] = unsafe { std::mem::zeroed() };
        let mut returned = 0;
        // SAFETY: descriptors match the buffers; the workspace is the session's.
        unsafe {
            dnn::cudnnFindConvolutionForwardAlgorithmEx(
                self.session.cudnn,
                x_desc,
                x as *const c_void,
                w_desc,
                w as *const c_void,
                conv_desc,
                y_desc,
                y as *mut c_void,
                MAX as i32,
                &mut returned,
                perf.as_mut_ptr(),
                self.session.workspace_ptr() as *mut c_void,
                self.session.workspace_bytes(),
            )
            .result()
            .map_err(dnn_err("cudnnFindConvolutionForwardAlgorithmEx"))?;
        }
        let allowed = |p: &dnn::cudnnConvolutionFwdAlgoPerf_t| {
            p.status == dnn::cudnnStatus_t::CUDNN_STATUS_SUCCESS
                && p.memory <= self.session.workspace_bytes()
                && (self.precision == Precision::Fp16
                    || !matches!(
                        p.mathType,
                        dnn::cudnnMathType_t::CUDNN_TENSOR_OP_MATH
                            | dnn::cudnnMathType_t::CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
                    ))
        };
        perf[..returned.max(0) as usize]
            .iter()
            .find(|p| allowed(p))
            .map(|p| ChosenAlgo {
                algo: p.algo,
                // CUDNN_DEFAULT_MATH would let fp32 use TF32 on Ampere and
                // later; FMA runs the same non-tensor-core kernel without it.
                math: match self.precision {
                    Precision::Fp32 => dnn::cudnnMathType_t::CUDNN_FMA_MATH,
                    Precision::Fp16 => p.mathType,
                },
                workspace_bytes: p.memory,
            })
            .ok_or_else(|| {
                anyhow!(
                    "cuDNN found no usable algorithm for this convolution within the {} MiB workspace \
                     (try a larger --workspace-mib)",
                    self.session.workspace_bytes() >> 20
                )
            })
    }

    /// A descriptor for `batch` samples of `shape` in the network's layout.
    fn tensor_desc(&mut self, shape: Shape) -> Result<dnn::cudnnTensorDescriptor_t> {
        self.tensor_desc_as(self.layout.cudnn_format(), self.batch, shape)
    }

    fn tensor_desc_as(
        &mut self,
        format: dnn::cudnnTensorFormat_t,
        batch: usize,
        shape: Shape,
    ) -> Result<dnn::cudnnTensorDescriptor_t> {
        let desc =
            cudnn::create_tensor_descriptor().map_err(dnn_err("cudnnCreateTensorDescriptor"))?;
        self.net.tensor_descs.push(desc);
        // SAFETY: a fresh descriptor.
        unsafe {
            cudnn::set_tensor4d_descriptor(
                desc,
                format,
                self.precision.cudnn_dtype(),
                [batch, shape.channels, shape.height, shape.width].map(|d| d as i32),
            )
        }
        .map_err(dnn_err("cudnnSetTensor4dDescriptor"))?;
        Ok(desc)
    }

    fn upload(&mut self, bytes: &[u8]) -> Result<u64> {
        let buffer = self
            .session
            .stream
            .clone_htod(bytes)
            .map_err(|e| anyhow!("uploading {} bytes of weights: {e}", bytes.len()))?;
        let ptr = buffer.device_ptr(&self.session.stream).0;
        self.net._params.push(buffer);
        Ok(ptr)
    }

    fn upload_f32(&mut self, values: &[f32]) -> Result<u64> {
        self.upload(&Precision::Fp32.encode(values))
    }
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

/// NCHW floats to NHWC.
pub fn nchw_to_nhwc(values: &[f32], shape: Shape) -> Vec<f32> {
    let (c, hw) = (shape.channels, shape.positions() as usize);
    let per_sample = c * hw;
    let mut out = vec![0.0; values.len()];
    for (sample, chunk) in values.chunks(per_sample).enumerate() {
        for ch in 0..c {
            for p in 0..hw {
                out[sample * per_sample + p * c + ch] = chunk[ch * hw + p];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhwc_filters_and_inputs_are_transposed_correctly() {
        // 2 out, 3 in, 1×2 kernel… use a square 2×2 kernel: value = o·100 + i·10 + y·2 + x.
        let (o, i, k) = (2, 3, 2);
        let oihw: Vec<f32> = (0..o)
            .flat_map(|oc| {
                (0..i).flat_map(move |ic| {
                    (0..k).flat_map(move |y| {
                        (0..k).map(move |x| (oc * 100 + ic * 10 + y * 2 + x) as f32)
                    })
                })
            })
            .collect();
        let bytes = weight_bytes(&oihw, Some([o, i, k, k]), Precision::Fp32, Layout::Nhwc);
        let ohwi = Precision::Fp32.decode(&bytes);
        // OHWI: index ((oc·k + y)·k + x)·i + ic.
        assert_eq!(ohwi[((k + 1) * k) * i + 2], 100.0 + 20.0 + 2.0);
        assert_eq!(ohwi[1], 10.0);

        let shape = Shape::new(3, 2, 2);
        let nchw: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let nhwc = nchw_to_nhwc(&nchw, shape);
        // Sample 1, position 3, channel 2: NCHW index 12 + 2·4 + 3 = 23.
        assert_eq!(nhwc[12 + 3 * 3 + 2], 23.0);
        assert_eq!(nhwc[1], 4.0);
    }
}
