//! Issuing the launches of one forward pass on the session's stream: cuDNN
//! convolutions and pools, cuBLAS GEMMs, NVRTC kernels and memsets. Nothing
//! here synchronises; the caller times or waits.

use super::{dnn_err, ConvLaunch, ConvOperands, GpuNetwork, KernelLaunch, Launch};
use crate::measure::cuda::kernels;
use crate::measure::cuda::session::GpuSession;
use anyhow::{anyhow, Context, Result};
use cudarc::cublas::sys as cublas_sys;
use cudarc::cudnn::result as cudnn;
use cudarc::cudnn::sys as dnn;
use cudarc::driver::{LaunchConfig, PushKernelArg};
use std::ffi::c_void;

/// cuDNN's alpha and beta scalars: y = 1·op(x) + 0·y.
static ONE: f32 = 1.0;
static ZERO: f32 = 0.0;

impl GpuNetwork {
    /// Issues one launch on the session's stream.
    pub(super) fn enqueue(&self, s: &GpuSession, launch: &Launch) -> Result<()> {
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

/// One NVRTC kernel launch.
pub(super) fn launch_kernel(s: &GpuSession, k: &KernelLaunch) -> Result<()> {
    let mut builder = s.stream.launch_builder(&k.function);
    for arg in &k.args {
        match arg {
            super::Arg::Ptr(p) => builder.arg(p),
            super::Arg::I64(v) => builder.arg(v),
            super::Arg::I32(v) => builder.arg(v),
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
pub(super) fn enqueue_conv(s: &GpuSession, c: &ConvLaunch) -> Result<()> {
    if !c.fused {
        plain_conv(s, &c.operands, c.chosen.algo).map_err(dnn_err("cudnnConvolutionForward"))?;
        return launch_kernel(s, &c.bias_act);
    }
    let o = &c.operands;
    let one = &ONE as *const f32 as *const c_void;
    let zero = &ZERO as *const f32 as *const c_void;
    // SAFETY: descriptors and pointers were set up by `Builder::conv` for
    // these buffers. The fused call gets the session's whole workspace: it
    // may need more than the plain convolution cuDNN's search sized, and
    // given too little it would quietly run unfused.
    unsafe {
        dnn::cudnnConvolutionBiasActivationForward(
            s.cudnn,
            one,
            o.x_desc,
            o.x as *const c_void,
            o.w_desc,
            o.w as *const c_void,
            o.conv_desc,
            c.chosen.algo,
            s.workspace_ptr() as *mut c_void,
            s.workspace_bytes(),
            zero,
            o.y_desc,
            o.y as *const c_void,
            c.bias_desc,
            c.bias as *const c_void,
            c.act_desc,
            o.y_desc,
            o.y as *mut c_void,
        )
        .result()
        .map_err(dnn_err("cudnnConvolutionBiasActivationForward"))?;
    }
    Ok(())
}

/// The plain convolution `y = conv(x, w)` with `algo` and the session's
/// whole workspace (the descriptor carries the math type): the unfused half
/// of [`enqueue_conv`], and the trial call of an algorithm at build time.
pub(super) fn plain_conv(
    s: &GpuSession,
    o: &ConvOperands,
    algo: dnn::cudnnConvolutionFwdAlgo_t,
) -> Result<(), cudnn::CudnnError> {
    let one = &ONE as *const f32 as *const c_void;
    let zero = &ZERO as *const f32 as *const c_void;
    // SAFETY: the descriptors were set up for these buffers by `Builder::conv`.
    unsafe {
        cudnn::convolution_forward(
            s.cudnn,
            one,
            o.x_desc,
            o.x as *const c_void,
            o.w_desc,
            o.w as *const c_void,
            o.conv_desc,
            algo,
            s.workspace_ptr() as *mut c_void,
            s.workspace_bytes(),
            zero,
            o.y_desc,
            o.y as *mut c_void,
        )
    }
}
