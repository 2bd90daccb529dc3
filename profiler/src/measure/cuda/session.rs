//! One GPU, opened once per campaign: the context and stream, the cuDNN and
//! cuBLAS handles, the NVRTC-compiled kernels, one workspace, the cache of
//! convolution algorithms cuDNN's search chose, and what the GPU is.

use super::info::GpuInfo;
use super::kernels;
use super::libs;
use super::nvrtc;
use super::plan::ConvGeometry;
use super::{Layout, Precision};
use anyhow::{anyhow, bail, Context, Result};
use cudarc::cublas::sys as cublas_sys;
use cudarc::cudnn::sys as cudnn_sys;
use cudarc::driver::{CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr};
use cudarc::nvrtc::Ptx;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Once};

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
    /// The algorithm chosen for each convolution configuration met so far
    /// (cuDNN's search, then a trial call): each is searched once per
    /// campaign.
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
///
/// Machine code (`sm_<cc>`) first: a 13.x NVRTC newer than the driver
/// writes PTX that the driver refuses (CUDA_ERROR_UNSUPPORTED_PTX_VERSION),
/// while its machine code loads on any 13.x driver. PTX (`compute_<cc>`,
/// compiled by the driver at load) is the fallback for an NVRTC that cannot
/// write machine code for this GPU.
fn compile_kernels(
    ctx: &Arc<CudaContext>,
    major: i32,
    minor: i32,
) -> Result<HashMap<String, CudaFunction>> {
    let module = match nvrtc::compile_cubin(major, minor) {
        Ok(cubin) => ctx.load_module(Ptx::from_binary(cubin)).map_err(|e| {
            anyhow!("loading the NVRTC-compiled machine code for sm_{major}{minor}: {e}")
        }),
        Err(e) => Err(e),
    };
    let module = match module {
        Ok(module) => module,
        Err(cubin_error) => {
            let ptx = nvrtc::compile_ptx(major, minor)?;
            ctx.load_module(ptx).map_err(|e| {
                anyhow!(
                    "loading the NVRTC-compiled kernels: machine code: {cubin_error:#}; PTX: {e} \
                     (an NVRTC newer than the driver writes PTX the driver cannot read: use the \
                     NVRTC of the driver's CUDA version)"
                )
            })?
        }
    };
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

thread_local! {
    /// Set while [`catch_missing_symbols`] runs on this thread: the panic
    /// hook stays quiet there, because the panic becomes an error.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
    /// Where the last quiet panic on this thread happened, for its error.
    static QUIET_PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// How the error of a panic that is not a missing library function starts.
pub const INTERNAL_ERROR: &str = "internal error in latscope's CUDA backend";

/// Installs, once per process, a panic hook that is silent on threads
/// inside [`catch_missing_symbols`] and hands every other panic to the hook
/// that was there before. Swapping the process-wide hook per call instead
/// would race between threads (parallel tests): one thread's silent hook
/// could stay installed and swallow another thread's assertion message.
fn install_quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET_PANICS.with(Cell::get) {
                let at = info.location().map(|l| l.to_string());
                QUIET_PANIC_AT.with(|a| *a.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into an error: cudarc panics when a library
/// lacks a symbol it binds (e.g. cuDNN 8 instead of 9) or cannot be opened;
/// any other panic is a latscope bug, reported as one.
pub fn catch_missing_symbols<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_quiet_hook();
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(was_quiet));
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let at = QUIET_PANIC_AT.with(|a| a.borrow_mut().take());
            Err(panic_error(&panic_message(payload.as_ref()), at.as_deref()))
        }
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// The error a caught panic becomes: a missing library function (cudarc's
/// "Missing symbol" / "Unable to dynamically load") names the versions
/// latscope needs; anything else says it is a bug, and where it happened.
fn panic_error(message: &str, at: Option<&str>) -> anyhow::Error {
    if message.contains("Missing symbol") || message.contains("Unable to dynamically load") {
        anyhow!(
            "a CUDA library is missing a function latscope needs ({message}); \
             latscope needs the CUDA 13 driver API, NVRTC 13, cuBLAS 13 and cuDNN 9"
        )
    } else {
        let at = at.map(|a| format!(" at {a}")).unwrap_or_default();
        anyhow!("{INTERNAL_ERROR} (please report it): {message}{at}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_symbol_panic_becomes_an_error_naming_the_libraries() {
        let e = catch_missing_symbols::<()>(|| panic!("Missing symbol cudnnFoo: not found"))
            .unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("cudnnFoo") && text.contains("cuDNN 9"),
            "{text}"
        );
        let e = catch_missing_symbols::<()>(|| panic!("index out of bounds")).unwrap_err();
        let text = format!("{e:#}");
        assert!(text.starts_with(INTERNAL_ERROR), "{text}");
        assert!(text.contains("session.rs:"), "where it happened: {text}");
    }
}
