//! One GPU, opened once per campaign: the context and stream, the cuDNN and
//! cuBLAS handles, the NVRTC-compiled kernels, one workspace, the cache of
//! convolution algorithms cuDNN's search chose, and what the GPU is.

use super::info::GpuInfo;
use super::kernels;
use super::libs;
use super::plan::ConvGeometry;
use super::{Layout, Precision};
use anyhow::{anyhow, bail, Context, Result};
use cudarc::cublas::sys as cublas_sys;
use cudarc::cudnn::sys as cudnn_sys;
use cudarc::driver::{CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr};
use std::collections::HashMap;
use std::sync::Arc;

/// cuBLAS's workspace: NVIDIA recommends 32 MiB on Hopper. Setting it
/// ourselves keeps cuBLAS from allocating during CUDA-graph capture.
const CUBLAS_WORKSPACE_BYTES: usize = 32 << 20;

/// What cuDNN's search picked for one convolution configuration.
#[derive(Clone, Copy, Debug)]
pub(super) struct ChosenAlgo {
    /// The forward algorithm (implicit GEMM, Winograd, FFT, ...).
    pub(super) algo: cudnn_sys::cudnnConvolutionFwdAlgo_t,
    /// The math type to run it with: FMA for fp32 (never TF32), the one
    /// the search timed for fp16 (tensor cores allowed).
    pub(super) math: cudnn_sys::cudnnMathType_t,
    /// Workspace the algorithm needs, bytes; at most the session's.
    pub(super) workspace_bytes: usize,
}

/// A convolution configuration: what cuDNN's choice depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ConvKey {
    /// Shapes, kernel, stride, padding and groups.
    pub(super) geometry: ConvGeometry,
    /// Samples per forward pass.
    pub(super) batch: usize,
    /// Element type of the tensors.
    pub(super) precision: Precision,
    /// Memory layout of the tensors.
    pub(super) layout: Layout,
}

/// An open GPU.
pub struct GpuSession {
    /// The GPU's CUDA context.
    pub(super) ctx: Arc<CudaContext>,
    /// The one stream every launch, copy and timing event goes to.
    pub(super) stream: Arc<CudaStream>,
    /// cuDNN's handle, bound to `stream`.
    pub(super) cudnn: cudnn_sys::cudnnHandle_t,
    /// cuBLAS's handle, bound to `stream`, with its own workspace.
    pub(super) cublas: cublas_sys::cublasHandle_t,
    functions: HashMap<String, CudaFunction>,
    /// Workspace for cuDNN's search and for every convolution: allocated
    /// once, for the whole campaign.
    pub(super) workspace: CudaSlice<u8>,
    _cublas_workspace: CudaSlice<u8>,
    /// What cuDNN's search chose for each convolution configuration met so
    /// far: each is searched once per campaign.
    pub(super) algos: HashMap<ConvKey, ChosenAlgo>,
    /// What the GPU and its software are, read when it was opened.
    pub info: GpuInfo,
}

impl Drop for GpuSession {
    fn drop(&mut self) {
        // SAFETY: the handles were created in `open` and are destroyed once.
        unsafe {
            let _ = cudarc::cudnn::result::destroy_handle(self.cudnn);
            let _ = cudarc::cublas::result::destroy_handle(self.cublas);
        }
    }
}

impl GpuSession {
    /// Opens GPU `ordinal` with a `workspace_mib` cuDNN workspace.
    ///
    /// Every failure is an error that says what is missing: no libraries,
    /// no GPU, a GPU the driver cannot start, a library too old for the
    /// functions latscope calls (cudarc panics on a missing symbol; that is
    /// caught here and reported).
    pub fn open(ordinal: usize, workspace_mib: usize) -> Result<Self> {
        libs::ensure_all()?;
        catch_missing_symbols(|| Self::open_checked(ordinal, workspace_mib))
    }

    fn open_checked(ordinal: usize, workspace_mib: usize) -> Result<Self> {
        let count = CudaContext::device_count().map_err(|e| {
            anyhow!(
                "the NVIDIA driver is installed but CUDA cannot start ({e}); \
                 is a GPU visible to this process (CUDA_VISIBLE_DEVICES, container runtime)?"
            )
        })?;
        if count <= 0 {
            bail!("no CUDA GPU found (the driver reports 0 devices)");
        }
        if ordinal >= count as usize {
            bail!("--gpu {ordinal}: this machine has {count} CUDA GPU(s), numbered from 0");
        }
        let ctx = CudaContext::new(ordinal).context("creating the CUDA context")?;
        // One stream, raw pointers: cudarc's per-buffer event tracking would
        // only add work (and events inside CUDA-graph capture).
        // SAFETY: no buffer of this context exists yet.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().context("creating a CUDA stream")?;
        let (major, minor) = ctx.compute_capability()?;
        let functions = compile_kernels(&ctx, major, minor)?;

        // cuDNN and cuBLAS attach to the context current on this thread.
        ctx.bind_to_thread()?;
        let cudnn = cudarc::cudnn::result::create_handle()
            .map_err(|e| anyhow!("cuDNN cannot start: {e}"))?;
        // SAFETY: fresh handle; the stream outlives the session (held in it).
        unsafe { cudarc::cudnn::result::set_stream(cudnn, stream.cu_stream() as _) }
            .map_err(|e| anyhow!("cudnnSetStream: {e}"))?;
        let cublas = cudarc::cublas::result::create_handle()
            .map_err(|e| anyhow!("cuBLAS cannot start: {e}"))?;
        // SAFETY: as above.
        unsafe { cudarc::cublas::result::set_stream(cublas, stream.cu_stream() as _) }
            .map_err(|e| anyhow!("cublasSetStream: {e}"))?;

        let workspace_bytes = workspace_mib << 20;
        let workspace = stream.alloc_zeros::<u8>(workspace_bytes.max(1)).map_err(|e| {
            anyhow!("allocating the {workspace_mib} MiB cuDNN workspace: {e} (try a smaller --workspace-mib)")
        })?;
        let cublas_workspace = stream
            .alloc_zeros::<u8>(CUBLAS_WORKSPACE_BYTES)
            .map_err(|e| anyhow!("allocating cuBLAS's workspace: {e}"))?;
        {
            let (ptr, _guard) = cublas_workspace.device_ptr(&stream);
            // SAFETY: the buffer lives as long as the handle (both in the session).
            unsafe {
                cublas_sys::cublasSetWorkspace_v2(cublas, ptr as _, CUBLAS_WORKSPACE_BYTES)
                    .result()
                    .map_err(|e| anyhow!("cublasSetWorkspace: {e}"))?;
            }
        }
        let info = GpuInfo::read(&ctx, ordinal, cublas, (major, minor))?;
        Ok(GpuSession {
            ctx,
            stream,
            cudnn,
            cublas,
            functions,
            workspace,
            _cublas_workspace: cublas_workspace,
            algos: HashMap::new(),
            info,
        })
    }

    /// The kernel `name` for `precision`.
    pub fn function(&self, name: &str, precision: Precision) -> &CudaFunction {
        let full = format!("{name}_{}", precision.suffix());
        self.functions
            .get(&full)
            .unwrap_or_else(|| panic!("kernel {full} is compiled in open()"))
    }

    /// Bytes of the cuDNN workspace.
    pub fn workspace_bytes(&self) -> usize {
        self.workspace.len()
    }

    /// The workspace's device address.
    pub fn workspace_ptr(&self) -> u64 {
        self.workspace.device_ptr(&self.stream).0
    }

    /// SM count, for kernel grids.
    pub fn sm_count(&self) -> u32 {
        self.info.sm_count.max(1) as u32
    }

    /// Free device memory, bytes.
    pub fn free_memory(&self) -> Result<usize> {
        Ok(self.ctx.mem_get_info()?.0)
    }
}

/// Compiles the element-wise kernels for this GPU's architecture and loads them.
fn compile_kernels(
    ctx: &Arc<CudaContext>,
    major: i32,
    minor: i32,
) -> Result<HashMap<String, CudaFunction>> {
    // NVRTC wants a 'static arch string; there are only a handful.
    let arch: &'static str = Box::leak(format!("compute_{major}{minor}").into_boxed_str());
    let opts = cudarc::nvrtc::CompileOptions {
        arch: Some(arch),
        // The kernels must match the CPU backend: no flush-to-zero, no fast math.
        use_fast_math: Some(false),
        ..Default::default()
    };
    let ptx = cudarc::nvrtc::compile_ptx_with_opts(kernels::source(), opts)
        .map_err(|e| anyhow!("NVRTC could not compile latscope's kernels for {arch}: {e}"))?;
    let module = ctx.load_module(ptx).map_err(|e| {
        anyhow!(
            "loading the NVRTC-compiled kernels: {e} (an NVRTC newer than the driver writes PTX \
             the driver cannot read: use the NVRTC of the driver's CUDA version)"
        )
    })?;
    let mut functions = HashMap::new();
    for name in kernels::KERNEL_NAMES {
        for precision in [Precision::Fp32, Precision::Fp16] {
            let full = format!("{name}_{}", precision.suffix());
            let f = module
                .load_function(&full)
                .with_context(|| format!("kernel {full} is missing from the compiled module"))?;
            functions.insert(full, f);
        }
    }
    Ok(functions)
}

/// Runs `f`, turning a panic (cudarc panics when a library lacks a symbol
/// it binds, e.g. cuDNN 8 instead of 9) into an error that says so.
pub fn catch_missing_symbols<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            bail!(
                "a CUDA library is missing a function latscope needs ({message}); \
                 latscope needs the CUDA 13 driver API, NVRTC 13, cuBLAS 13 and cuDNN 9"
            )
        }
    }
}
