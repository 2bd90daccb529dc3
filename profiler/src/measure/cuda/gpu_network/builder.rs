//! Turning each step of a plan into the launches of a forward pass: NVRTC
//! kernels for element-wise work, cuDNN pools, a cuBLAS GEMM per linear
//! layer and memsets for zero tensors (convolutions are in `conv`). The
//! builder owns the descriptors and uploads it creates, through the
//! network it fills.

use super::host_layout::{act_code, weight_bytes};
use super::{dnn_err, Arg, GpuNetwork, KernelLaunch, Launch};
use crate::measure::cuda::kernels::{self, ACT_NONE};
use crate::measure::cuda::plan::{Plan, PoolKind, Step};
use crate::measure::cuda::session::GpuSession;
use crate::measure::cuda::{Layout, Precision};
use anyhow::{anyhow, Result};
use cudarc::cudnn::result as cudnn;
use cudarc::cudnn::sys as dnn;
use cudarc::driver::DevicePtr;
use latscope_shared::ir::{Activation, NodeId, Shape};

/// Builds the launches of one network for one batch size.
pub(super) struct Builder<'s> {
    pub(super) session: &'s mut GpuSession,
    pub(super) precision: Precision,
    pub(super) layout: Layout,
    pub(super) batch: usize,
    pub(super) net: GpuNetwork,
}

/// Where each value of the plan lives on the GPU.
type ValuePtr<'a> = &'a dyn Fn(NodeId) -> u64;

/// A pooling window: kernel, stride and padding, square.
struct Window {
    kernel: usize,
    stride: usize,
    padding: usize,
}

impl Builder<'_> {
    /// A launch of the NVRTC kernel `name` compiled for this precision.
    pub(super) fn kernel(&self, name: &'static str, args: Vec<Arg>, grid: u32) -> KernelLaunch {
        KernelLaunch {
            name,
            function: self.session.function(name, self.precision).clone(),
            args,
            grid,
        }
    }

    /// Appends the launches of one plan step.
    pub(super) fn add(&mut self, step: &Step, plan: &Plan, ptr: ValuePtr) -> Result<()> {
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
            } => self.channel_affine(plan, ptr, (*input, *output), scale, shift, *act)?,
            Step::Add {
                inputs,
                output,
                act,
            } => self.sum(plan, ptr, inputs, *output, *act),
            Step::Pool {
                input,
                output,
                kind,
                kernel,
                stride,
                padding,
            } => {
                let window = Window {
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                };
                self.pool(plan, ptr, (*input, *output), *kind, window)?
            }
            Step::GlobalAvgPool { input, output } => {
                self.global_avg_pool(plan, ptr, (*input, *output))
            }
            Step::Linear {
                input,
                output,
                in_features,
                out_features,
                weight,
                bias,
            } => self.linear(
                ptr,
                (*input, *output),
                (*in_features, *out_features),
                weight,
                bias.as_deref(),
            )?,
            Step::ChannelShuffle {
                input,
                output,
                groups,
            } => self.channel_shuffle(plan, ptr, (*input, *output), *groups),
            Step::Zero { output } => self.net.launches.push(Launch::Memset {
                ptr: ptr(*output),
                bytes: self.elements(plan, *output) as usize * self.precision.bytes(),
            }),
        }
        Ok(())
    }

    /// Elements of value `v` over the whole batch.
    fn elements(&self, plan: &Plan, v: NodeId) -> i64 {
        (plan.shapes[v].elements() as usize * self.batch) as i64
    }

    /// The stride between channels of value `v` (its positions in NCHW, 1 in
    /// NHWC), as the per-channel kernels take it.
    fn channel_stride(&self, plan: &Plan, v: NodeId) -> i32 {
        match self.layout {
            Layout::Nchw => plan.shapes[v].positions() as i32,
            Layout::Nhwc => 1,
        }
    }

    fn grid_for(&self, total: i64) -> u32 {
        kernels::grid_for(total as u64, self.session.sm_count())
    }

    /// `output = act(input · scale[c] + shift[c])` as one kernel.
    fn channel_affine(
        &mut self,
        plan: &Plan,
        ptr: ValuePtr,
        (input, output): (NodeId, NodeId),
        scale: &Option<Vec<f32>>,
        shift: &Option<Vec<f32>>,
        act: Option<Activation>,
    ) -> Result<()> {
        let scale = scale.as_ref().map_or(Ok(0), |v| self.upload_f32(v))?;
        let shift = shift.as_ref().map_or(Ok(0), |v| self.upload_f32(v))?;
        let total = self.elements(plan, output);
        let launch = self.kernel(
            "channel_affine",
            vec![
                Arg::Ptr(ptr(input)),
                Arg::Ptr(ptr(output)),
                Arg::Ptr(scale),
                Arg::Ptr(shift),
                Arg::I64(total),
                Arg::I32(plan.shapes[output].channels as i32),
                Arg::I32(self.channel_stride(plan, output)),
                Arg::I32(act_code(act)),
            ],
            self.grid_for(total),
        );
        self.net.launches.push(Launch::Kernel(launch));
        Ok(())
    }

    /// `output = act(sum of inputs)`: four terms per launch; later launches
    /// add to the output in place, and only the last applies `act`.
    fn sum(
        &mut self,
        plan: &Plan,
        ptr: ValuePtr,
        inputs: &[NodeId],
        output: NodeId,
        act: Option<Activation>,
    ) {
        let total = self.elements(plan, output);
        let y = ptr(output);
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
                Arg::I32(if last { act_code(act) } else { ACT_NONE }),
            ]);
            let launch = self.kernel("add4", args, self.grid_for(total));
            self.net.launches.push(Launch::Kernel(launch));
            if !last {
                terms.insert(0, y);
            }
        }
    }

    /// A max or average pool as one cuDNN call.
    fn pool(
        &mut self,
        plan: &Plan,
        ptr: ValuePtr,
        (input, output): (NodeId, NodeId),
        kind: PoolKind,
        window: Window,
    ) -> Result<()> {
        let mode = match kind {
            PoolKind::Max => dnn::cudnnPoolingMode_t::CUDNN_POOLING_MAX,
            PoolKind::Avg {
                count_include_pad: true,
            } => dnn::cudnnPoolingMode_t::CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
            PoolKind::Avg {
                count_include_pad: false,
            } => dnn::cudnnPoolingMode_t::CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
        };
        let desc =
            cudnn::create_pooling_descriptor().map_err(dnn_err("cudnnCreatePoolingDescriptor"))?;
        self.net.pool_descs.push(desc);
        let (k, s, p) = (
            window.kernel as i32,
            window.stride as i32,
            window.padding as i32,
        );
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
        let x_desc = self.tensor_desc(plan.shapes[input])?;
        let y_desc = self.tensor_desc(plan.shapes[output])?;
        self.net.launches.push(Launch::Pool {
            desc,
            x_desc,
            x: ptr(input),
            y_desc,
            y: ptr(output),
        });
        Ok(())
    }

    /// The mean over positions of each sample's channels, one thread each.
    fn global_avg_pool(&mut self, plan: &Plan, ptr: ValuePtr, (input, output): (NodeId, NodeId)) {
        let shape = plan.shapes[input];
        let threads = (self.batch * shape.channels) as u64;
        let launch = self.kernel(
            "global_avg_pool",
            vec![
                Arg::Ptr(ptr(input)),
                Arg::Ptr(ptr(output)),
                Arg::I32(self.batch as i32),
                Arg::I32(shape.channels as i32),
                Arg::I32(shape.positions() as i32),
                Arg::I32(matches!(self.layout, Layout::Nhwc) as i32),
            ],
            threads.div_ceil(u64::from(kernels::BLOCK)) as u32,
        );
        self.net.launches.push(Launch::Kernel(launch));
    }

    /// `output = input · weightᵀ (+ bias)`: a cuBLAS GEMM, then the bias as
    /// a per-channel shift.
    fn linear(
        &mut self,
        ptr: ValuePtr,
        (input, output): (NodeId, NodeId),
        (in_features, out_features): (usize, usize),
        weight: &[f32],
        bias: Option<&[f32]>,
    ) -> Result<()> {
        let w = self.upload(&weight_bytes(weight, None, self.precision, self.layout))?;
        let y = ptr(output);
        self.net.launches.push(Launch::Gemm {
            x: ptr(input),
            w,
            y,
            batch: self.batch as i32,
            in_features: in_features as i32,
            out_features: out_features as i32,
        });
        if let Some(bias) = bias {
            let shift = self.upload_f32(bias)?;
            let total = (self.batch * out_features) as i64;
            let launch = self.kernel(
                "channel_affine",
                vec![
                    Arg::Ptr(y),
                    Arg::Ptr(y),
                    Arg::Ptr(0),
                    Arg::Ptr(shift),
                    Arg::I64(total),
                    Arg::I32(out_features as i32),
                    Arg::I32(1),
                    Arg::I32(ACT_NONE),
                ],
                self.grid_for(total),
            );
            self.net.launches.push(Launch::Kernel(launch));
        }
        Ok(())
    }

    /// ShuffleNet's channel shuffle as one gather kernel.
    fn channel_shuffle(
        &mut self,
        plan: &Plan,
        ptr: ValuePtr,
        (input, output): (NodeId, NodeId),
        groups: usize,
    ) {
        let shape = plan.shapes[output];
        let total = self.elements(plan, output);
        let launch = self.kernel(
            "channel_shuffle",
            vec![
                Arg::Ptr(ptr(input)),
                Arg::Ptr(ptr(output)),
                Arg::I64(total),
                Arg::I32(shape.channels as i32),
                Arg::I32(shape.positions() as i32),
                Arg::I32(groups as i32),
                Arg::I32(matches!(self.layout, Layout::Nhwc) as i32),
            ],
            self.grid_for(total),
        );
        self.net.launches.push(Launch::Kernel(launch));
    }

    /// A descriptor for `batch` samples of `shape` in the network's layout.
    pub(super) fn tensor_desc(&mut self, shape: Shape) -> Result<dnn::cudnnTensorDescriptor_t> {
        self.tensor_desc_as(self.layout.cudnn_format(), self.batch, shape)
    }

    /// A tensor descriptor in this network's precision (owned by the network).
    pub(super) fn tensor_desc_as(
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

    /// Uploads parameter bytes, kept alive by the network; their address.
    pub(super) fn upload(&mut self, bytes: &[u8]) -> Result<u64> {
        let buffer = self
            .session
            .stream
            .clone_htod(bytes)
            .map_err(|e| anyhow!("uploading {} bytes of weights: {e}", bytes.len()))?;
        let ptr = buffer.device_ptr(&self.session.stream).0;
        self.net._params.push(buffer);
        Ok(ptr)
    }

    /// Uploads float parameters as fp32 (the kernels' per-channel inputs).
    pub(super) fn upload_f32(&mut self, values: &[f32]) -> Result<u64> {
        self.upload(&Precision::Fp32.encode(values))
    }
}
