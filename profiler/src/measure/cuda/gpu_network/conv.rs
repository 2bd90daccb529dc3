//! Convolutions on the GPU: uploading the filter and bias, cuDNN's
//! descriptors, the algorithm (cuDNN's own timed search, cached per
//! geometry in the session), and the fused conv + bias + activation call
//! with its fallback to the conv followed by our `channel_affine` kernel.

use super::builder::Builder;
use super::enqueue::enqueue_conv;
use super::host_layout::{act_code, weight_bytes};
use super::{dnn_err, Arg, ChosenAlgo, ConvLaunch, KernelLaunch};
use crate::measure::cuda::kernels;
use crate::measure::cuda::plan::ConvGeometry;
use crate::measure::cuda::session::ConvKey;
use crate::measure::cuda::{Layout, Precision};
use anyhow::{anyhow, Result};
use cudarc::cudnn::result as cudnn;
use cudarc::cudnn::sys as dnn;
use latscope_shared::ir::{Activation, Shape};
use std::ffi::c_void;

/// The cuDNN descriptors of one convolution.
struct ConvDescriptors {
    x_desc: dnn::cudnnTensorDescriptor_t,
    w_desc: dnn::cudnnFilterDescriptor_t,
    conv_desc: dnn::cudnnConvolutionDescriptor_t,
    y_desc: dnn::cudnnTensorDescriptor_t,
}

impl Builder<'_> {
    /// Prepares `y = act(conv(x, weight) + bias)` for geometry `g`.
    pub(super) fn conv(
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
        let d = self.conv_descriptors(g, dims)?;
        let bias_desc = self.tensor_desc_as(
            dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW,
            1,
            Shape::new(g.output.channels, 1, 1),
        )?;
        let chosen = self.choose_algo(g, &d, x, w, y)?;
        let (act_desc, fused_mode) = self.fused_activation(chosen, act)?;
        let mut launch = ConvLaunch {
            x_desc: d.x_desc,
            x,
            w_desc: d.w_desc,
            w,
            conv_desc: d.conv_desc,
            y_desc: d.y_desc,
            y,
            bias_desc,
            bias: bias_typed,
            act_desc,
            chosen,
            fused: fused_mode.is_some(),
            bias_act: self.bias_act(g, y, bias_f32, act),
        };
        if launch.fused {
            launch.fused = self.fused_call_runs(&launch)?;
        }
        Ok(launch)
    }

    /// Input, filter, convolution and output descriptors for geometry `g`
    /// (`dims`: the filter's [out, in/groups, kh, kw]).
    fn conv_descriptors(&mut self, g: ConvGeometry, dims: [usize; 4]) -> Result<ConvDescriptors> {
        let x_desc = self.tensor_desc(g.input)?;
        let y_desc = self.tensor_desc(g.output)?;
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
        Ok(ConvDescriptors {
            x_desc,
            w_desc,
            conv_desc,
            y_desc,
        })
    }

    /// The algorithm for this geometry: the session's cached choice, else
    /// cuDNN's search on these buffers. The convolution descriptor gets the
    /// math type the algorithm was measured with.
    fn choose_algo(
        &mut self,
        g: ConvGeometry,
        d: &ConvDescriptors,
        x: u64,
        w: u64,
        y: u64,
    ) -> Result<ChosenAlgo> {
        let key = ConvKey {
            geometry: g,
            batch: self.batch,
            precision: self.precision,
            layout: self.layout,
        };
        let chosen = match self.session.algos.get(&key) {
            Some(&c) => c,
            None => {
                let c = self.search(d.x_desc, x, d.w_desc, w, d.conv_desc, d.y_desc, y)?;
                self.session.algos.insert(key, c);
                c
            }
        };
        // SAFETY: a live descriptor; the math type cuDNN measured the algorithm with.
        unsafe { cudnn::set_convolution_math_type(d.conv_desc, chosen.math) }
            .map_err(dnn_err("cudnnSetConvolutionMathType"))?;
        Ok(chosen)
    }

    /// The activation descriptor of the fused call, and its mode when the
    /// fused call can apply `act` with this algorithm (None: unfused).
    fn fused_activation(
        &mut self,
        chosen: ChosenAlgo,
        act: Option<Activation>,
    ) -> Result<(
        dnn::cudnnActivationDescriptor_t,
        Option<dnn::cudnnActivationMode_t>,
    )> {
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
        Ok((act_desc, fused_mode))
    }

    /// The follow-up kernel of an unfused conv: bias, then activation.
    fn bias_act(
        &self,
        g: ConvGeometry,
        y: u64,
        bias_f32: u64,
        act: Option<Activation>,
    ) -> KernelLaunch {
        let total = (g.output.elements() as usize * self.batch) as i64;
        let inner = match self.layout {
            Layout::Nchw => g.output.positions() as i32,
            Layout::Nhwc => 1,
        };
        self.kernel(
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
        )
    }

    /// Whether the fused call runs here. Some configurations (data type,
    /// layout, algorithm) have no fused kernel: try it once now and fall
    /// back if so.
    fn fused_call_runs(&mut self, launch: &ConvLaunch) -> Result<bool> {
        let probe = enqueue_conv(self.session, launch)
            .and_then(|()| Ok(self.session.stream.synchronize()?));
        // Any cuDNN refusal (NOT_SUPPORTED, or BAD_PARAM for a data-type
        // combination this cuDNN lacks) falls back to the unfused pair,
        // which is always valid; driver errors are real errors.
        match probe {
            Ok(()) => Ok(true),
            Err(e) if format!("{e:#}").contains("CUDNN_STATUS") => Ok(false),
            Err(e) => Err(e),
        }
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
}
