//! Convolutions on the GPU: uploading the filter and bias, cuDNN's
//! descriptors, the algorithm (cuDNN's own timed search, cached per
//! geometry in the session), and the fused conv + bias + activation call
//! with its fallback to the conv followed by our `channel_affine` kernel.

use super::builder::Builder;
use super::enqueue::{enqueue_conv, plain_conv};
use super::host_layout::{act_code, weight_bytes};
use super::{dnn_err, Arg, ChosenAlgo, ConvLaunch, ConvOperands, KernelLaunch};
use crate::measure::cuda::kernels;
use crate::measure::cuda::plan::ConvGeometry;
use crate::measure::cuda::session::ConvKey;
use crate::measure::cuda::{Layout, Precision};
use anyhow::{anyhow, Result};
use cudarc::cudnn::result as cudnn;
use cudarc::cudnn::sys as dnn;
use latscope_shared::ir::{Activation, Shape};
use std::ffi::c_void;

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
        let operands = self.conv_operands(g, dims, x, w, y)?;
        let bias_desc = self.tensor_desc_as(
            dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW,
            1,
            Shape::new(g.output.channels, 1, 1),
        )?;
        let chosen = self.choose_algo(g, &operands)?;
        let (act_desc, fused_mode) = self.fused_activation(chosen, act)?;
        let mut launch = ConvLaunch {
            operands,
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
    /// (`dims`: the filter's [out, in/groups, kh, kw]), with the buffers
    /// `x`, `w` and `y` they describe.
    fn conv_operands(
        &mut self,
        g: ConvGeometry,
        dims: [usize; 4],
        x: u64,
        w: u64,
        y: u64,
    ) -> Result<ConvOperands> {
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
        Ok(ConvOperands {
            x_desc,
            x,
            w_desc,
            w,
            conv_desc,
            y_desc,
            y,
        })
    }

    /// The algorithm for this geometry: the session's cached choice, else
    /// the first of cuDNN's search results ([`rank_candidates`]) whose plain
    /// convolution call runs here with the math type it will be timed with
    /// (a refusal then would only show while timing). The convolution
    /// descriptor is left with that math type.
    fn choose_algo(&mut self, g: ConvGeometry, o: &ConvOperands) -> Result<ChosenAlgo> {
        let key = ConvKey {
            geometry: g,
            batch: self.batch,
            precision: self.precision,
            layout: self.layout,
        };
        if let Some(&chosen) = self.session.algos.get(&key) {
            set_math(o.conv_desc, chosen.math)?;
            return Ok(chosen);
        }
        let candidates = self.search(o)?;
        let mut refusals = Vec::new();
        for candidate in candidates {
            set_math(o.conv_desc, candidate.math)?;
            match self.plain_call_runs(o, candidate)? {
                None => {
                    self.session.algos.insert(key, candidate);
                    return Ok(candidate);
                }
                Some(refusal) => refusals.push(format!("{:?}: {refusal}", candidate.algo)),
            }
        }
        Err(anyhow!(
            "cuDNN found no usable algorithm for this convolution: within the {} MiB workspace \
             (try a larger --workspace-mib) none that it timed ran again{}{}",
            self.session.workspace_bytes() >> 20,
            if refusals.is_empty() { "" } else { ": " },
            refusals.join("; ")
        ))
    }

    /// Runs the plain convolution once with `candidate` (the descriptor
    /// already has its math type): `None` if it ran, else cuDNN's refusal.
    /// Other failures are errors.
    fn plain_call_runs(
        &mut self,
        o: &ConvOperands,
        candidate: ChosenAlgo,
    ) -> Result<Option<String>> {
        let refusal = match plain_conv(self.session, o, candidate.algo) {
            Ok(()) => None,
            Err(e) => {
                let text = format!("{e:?}");
                if !is_refusal(&text) {
                    return Err(anyhow!("cudnnConvolutionForward: {text}"));
                }
                Some(text)
            }
        };
        // A sticky error behind a refusal shows here, as an error.
        self.session.stream.synchronize()?;
        Ok(refusal)
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
        // A cuDNN refusal falls back to the unfused pair, which is always
        // valid; anything else is a real error.
        match probe {
            Ok(()) => Ok(true),
            Err(e) if is_refusal(&format!("{e:#}")) => {
                self.session.stream.synchronize()?;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// cuDNN's own search: every algorithm timed on these buffers, ranked
    /// by [`rank_candidates`].
    fn search(&mut self, o: &ConvOperands) -> Result<Vec<ChosenAlgo>> {
        const MAX: usize =
            dnn::cudnnConvolutionFwdAlgo_t::CUDNN_CONVOLUTION_FWD_ALGO_COUNT as usize;
        // SAFETY: zeroed plain-data structs that cuDNN fills.
        let mut perf: [dnn::cudnnConvolutionFwdAlgoPerf_t; MAX] = unsafe { std::mem::zeroed() };
        let mut returned = 0;
        // SAFETY: descriptors match the buffers; the workspace is the session's.
        unsafe {
            dnn::cudnnFindConvolutionForwardAlgorithmEx(
                self.session.cudnn,
                o.x_desc,
                o.x as *const c_void,
                o.w_desc,
                o.w as *const c_void,
                o.conv_desc,
                o.y_desc,
                o.y as *mut c_void,
                MAX as i32,
                &mut returned,
                perf.as_mut_ptr(),
                self.session.workspace_ptr() as *mut c_void,
                self.session.workspace_bytes(),
            )
            .result()
            .map_err(dnn_err("cudnnFindConvolutionForwardAlgorithmEx"))?;
        }
        let candidates = rank_candidates(
            &perf[..returned.max(0) as usize],
            self.precision,
            self.session.workspace_bytes(),
        );
        if candidates.is_empty() {
            return Err(anyhow!(
                "cuDNN found no usable algorithm for this convolution within the {} MiB workspace \
                 (try a larger --workspace-mib)",
                self.session.workspace_bytes() >> 20
            ));
        }
        Ok(candidates)
    }
}

/// Whether a cuDNN error (its text) is cuDNN declining a configuration
/// (NOT_SUPPORTED, or BAD_PARAM for a data-type combination this cuDNN
/// lacks, with cuDNN 9's sub-codes) rather than a failure: EXECUTION_FAILED
/// or INTERNAL_ERROR may hide a broken context and must not be taken for a
/// refusal.
fn is_refusal(text: &str) -> bool {
    text.contains("NOT_SUPPORTED") || text.contains("BAD_PARAM")
}

/// Sets the math type a convolution is run with.
fn set_math(
    conv_desc: dnn::cudnnConvolutionDescriptor_t,
    math: dnn::cudnnMathType_t,
) -> Result<()> {
    // SAFETY: a live descriptor.
    unsafe { cudnn::set_convolution_math_type(conv_desc, math) }
        .map_err(dnn_err("cudnnSetConvolutionMathType"))
}

/// cuDNN's search results (fastest first) as the algorithms to try, best
/// first: those that ran and fit the workspace. For fp32, tensor-core
/// results are dropped (fp32 means fp32, no TF32), and results timed with
/// FMA math come before those timed with the default math type, whose
/// times may include TF32 kernels that will not run here: every fp32
/// choice runs with FMA math. fp16 keeps cuDNN's order and math types.
fn rank_candidates(
    results: &[dnn::cudnnConvolutionFwdAlgoPerf_t],
    precision: Precision,
    workspace_bytes: usize,
) -> Vec<ChosenAlgo> {
    use dnn::cudnnMathType_t as M;
    let mut usable: Vec<&dnn::cudnnConvolutionFwdAlgoPerf_t> = results
        .iter()
        .filter(|p| {
            p.status == dnn::cudnnStatus_t::CUDNN_STATUS_SUCCESS && p.memory <= workspace_bytes
        })
        .filter(|p| {
            precision == Precision::Fp16
                || !matches!(
                    p.mathType,
                    M::CUDNN_TENSOR_OP_MATH | M::CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
                )
        })
        .collect();
    if precision == Precision::Fp32 {
        // A stable sort: cuDNN's time order within each group.
        usable.sort_by_key(|p| p.mathType != M::CUDNN_FMA_MATH);
    }
    let mut seen = Vec::new();
    usable
        .into_iter()
        // One try per algorithm: cuDNN may list one under two math types.
        .filter(|p| {
            let fresh = !seen.contains(&p.algo);
            seen.push(p.algo);
            fresh
        })
        .map(|p| ChosenAlgo {
            algo: p.algo,
            math: match precision {
                Precision::Fp32 => M::CUDNN_FMA_MATH,
                Precision::Fp16 => p.mathType,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnn::cudnnConvolutionFwdAlgo_t as A;
    use dnn::cudnnMathType_t as M;

    fn result(algo: A, math: M, memory: usize, ok: bool) -> dnn::cudnnConvolutionFwdAlgoPerf_t {
        // SAFETY: a plain-data struct; every field that matters is set below.
        let mut p: dnn::cudnnConvolutionFwdAlgoPerf_t = unsafe { std::mem::zeroed() };
        p.algo = algo;
        p.mathType = math;
        p.memory = memory;
        p.status = if ok {
            dnn::cudnnStatus_t::CUDNN_STATUS_SUCCESS
        } else {
            dnn::cudnnStatus_t::CUDNN_STATUS_NOT_SUPPORTED
        };
        p
    }

    /// What cuDNN may report for fp32 on Ampere and later: the fastest
    /// timed with TF32 (default or tensor-op math), FMA results after them.
    fn fp32_results() -> Vec<dnn::cudnnConvolutionFwdAlgoPerf_t> {
        vec![
            result(
                A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                M::CUDNN_TENSOR_OP_MATH,
                0,
                true,
            ),
            result(
                A::CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED,
                M::CUDNN_DEFAULT_MATH,
                1 << 20,
                true,
            ),
            result(
                A::CUDNN_CONVOLUTION_FWD_ALGO_FFT,
                M::CUDNN_FMA_MATH,
                64 << 20,
                true,
            ),
            result(
                A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                M::CUDNN_FMA_MATH,
                0,
                true,
            ),
            result(
                A::CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
                M::CUDNN_FMA_MATH,
                0,
                false,
            ),
            result(
                A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                M::CUDNN_FMA_MATH,
                0,
                true,
            ),
        ]
    }

    #[test]
    fn fp32_tries_fma_timed_algorithms_first_and_never_tensor_cores() {
        let ranked = rank_candidates(&fp32_results(), Precision::Fp32, 32 << 20);
        let algos: Vec<A> = ranked.iter().map(|c| c.algo).collect();
        assert_eq!(
            algos,
            [
                // FMA-timed, in cuDNN's order; FFT needs more than 32 MiB.
                A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                // Then the default-math result; the failed GEMM is gone.
                A::CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED,
            ]
        );
        assert!(ranked.iter().all(|c| c.math == M::CUDNN_FMA_MATH));
    }

    #[test]
    fn fp16_keeps_cudnns_order_and_math_types() {
        let ranked = rank_candidates(&fp32_results(), Precision::Fp16, 32 << 20);
        let got: Vec<(A, M)> = ranked.iter().map(|c| (c.algo, c.math)).collect();
        assert_eq!(
            got,
            [
                (
                    A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                    M::CUDNN_TENSOR_OP_MATH
                ),
                (
                    A::CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED,
                    M::CUDNN_DEFAULT_MATH
                ),
                (
                    A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                    M::CUDNN_FMA_MATH
                ),
            ]
        );
    }

    #[test]
    fn only_refusals_let_the_next_algorithm_be_tried() {
        assert!(is_refusal("CudnnError(CUDNN_STATUS_NOT_SUPPORTED)"));
        assert!(is_refusal("CudnnError(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)"));
        assert!(is_refusal("CudnnError(CUDNN_STATUS_BAD_PARAM)"));
        assert!(!is_refusal("CudnnError(CUDNN_STATUS_EXECUTION_FAILED)"));
        assert!(!is_refusal("CudnnError(CUDNN_STATUS_INTERNAL_ERROR)"));
    }

    #[test]
    fn nothing_usable_is_an_empty_list() {
        let only_tensor_cores = [result(
            A::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
            M::CUDNN_TENSOR_OP_MATH,
            0,
            true,
        )];
        assert!(rank_candidates(&only_tensor_cores, Precision::Fp32, 1 << 20).is_empty());
        assert!(rank_candidates(&[], Precision::Fp16, 1 << 20).is_empty());
    }
}
