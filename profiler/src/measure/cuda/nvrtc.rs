//! Compiling latscope's kernels ([`super::kernels::source`]) with NVRTC,
//! into machine code for one GPU architecture or into PTX.
//!
//! cudarc's safe wrapper only returns PTX; machine code needs NVRTC's
//! `nvrtcGetCUBIN`, called here through cudarc's raw bindings. NVRTC runs
//! without a GPU, so both outputs are tested on machines without one.

use super::kernels;
use anyhow::{anyhow, Result};
use cudarc::nvrtc::{result, sys, Ptx};
use std::ffi::{CStr, CString};

/// Machine code (a cubin, an ELF image) of the kernels for compute
/// capability `major.minor` (`--gpu-architecture=sm_<cc>`). A cubin made by
/// any 13.x NVRTC loads on a 13.0 driver, which PTX from a newer NVRTC does
/// not.
pub fn compile_cubin(major: i32, minor: i32) -> Result<Vec<u8>> {
    let program = Program::compile(&format!("sm_{major}{minor}"))?;
    let mut size = 0usize;
    // SAFETY: a compiled program; the buffer has the size NVRTC reported.
    unsafe {
        sys::nvrtcGetCUBINSize(program.handle, &mut size)
            .result()
            .map_err(|e| anyhow!("nvrtcGetCUBINSize for sm_{major}{minor}: {e:?}"))?;
        let mut cubin = vec![0u8; size];
        sys::nvrtcGetCUBIN(program.handle, cubin.as_mut_ptr().cast())
            .result()
            .map_err(|e| anyhow!("nvrtcGetCUBIN for sm_{major}{minor}: {e:?}"))?;
        Ok(cubin)
    }
}

/// PTX of the kernels for compute capability `major.minor`
/// (`--gpu-architecture=compute_<cc>`), compiled by the driver when loaded.
pub fn compile_ptx(major: i32, minor: i32) -> Result<Ptx> {
    let program = Program::compile(&format!("compute_{major}{minor}"))?;
    // SAFETY: a compiled program.
    let text = unsafe { result::get_ptx(program.handle) }
        .map_err(|e| anyhow!("nvrtcGetPTX for compute_{major}{minor}: {e:?}"))?;
    // SAFETY: NVRTC's PTX is NUL-terminated.
    let text = unsafe { CStr::from_ptr(text.as_ptr()) };
    Ok(Ptx::from_src(text.to_string_lossy().into_owned()))
}

/// An NVRTC program, destroyed when dropped.
struct Program {
    handle: sys::nvrtcProgram,
    /// The source the program was created from, kept alive as long as the
    /// program (as cudarc's own wrapper does).
    _source: CString,
}

impl Program {
    /// The kernels compiled for `target` (`sm_90`, `compute_90`, ...). The
    /// options are NVRTC's defaults otherwise: no fast math, no
    /// flush-to-zero, so the kernels match the CPU backend.
    fn compile(target: &str) -> Result<Self> {
        let source = CString::new(kernels::source()).expect("the kernel source has no NUL");
        let program = Program {
            handle: result::create_program(&source, None)
                .map_err(|e| anyhow!("NVRTC could not start a program: {e:?}"))?,
            _source: source,
        };
        let options = [format!("--gpu-architecture={target}")];
        // SAFETY: a live program; the options are plain strings.
        if let Err(e) = unsafe { result::compile_program(program.handle, &options) } {
            // SAFETY: as above.
            let log = unsafe { result::get_program_log(program.handle) }
                .ok()
                // SAFETY: NVRTC's log is NUL-terminated.
                .map(|l| {
                    unsafe { CStr::from_ptr(l.as_ptr()) }
                        .to_string_lossy()
                        .into_owned()
                })
                .unwrap_or_default();
            return Err(anyhow!(
                "NVRTC could not compile latscope's kernels for {target}: {e:?}\n{log}"
            ));
        }
        Ok(program)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: created by create_program, destroyed once.
        let _ = unsafe { result::destroy_program(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::cuda::libs;

    /// Whether NVRTC can be opened here; where a folder was named (`make
    /// test` names the nvidia-cuda-nvrtc wheel's in .venv) or a GPU is
    /// required (LATSCOPE_REQUIRE_GPU, on a GPU machine), it must be: a
    /// broken set-up fails instead of skipping.
    fn nvrtc_here() -> bool {
        match libs::ensure(libs::NVRTC) {
            Ok(()) => true,
            Err(e) => {
                let set = |var| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0");
                assert!(
                    !set("LATSCOPE_CUDA_LIB_DIRS"),
                    "LATSCOPE_CUDA_LIB_DIRS is set but {e}"
                );
                assert!(
                    !set("LATSCOPE_REQUIRE_GPU"),
                    "LATSCOPE_REQUIRE_GPU is set but {e}"
                );
                latscope_shared::test_dependency::skip_or_fail(&e.to_string());
                false
            }
        }
    }

    /// Every entry point of both element types, for Hopper and Ampere.
    #[test]
    fn nvrtc_writes_ptx_with_every_kernel() {
        if !nvrtc_here() {
            return;
        }
        for (major, minor) in [(9, 0), (8, 0)] {
            let ptx = compile_ptx(major, minor).unwrap().to_src();
            for name in kernels::KERNEL_NAMES {
                for suffix in ["f32", "f16"] {
                    let entry = format!(".entry {name}_{suffix}(");
                    assert!(
                        ptx.contains(&entry),
                        "sm_{major}{minor}: no {entry} in the PTX"
                    );
                }
            }
            // The half kernels convert with cvt, as cuda_fp16.hpp does.
            assert!(ptx.contains("cvt.f32.f16") && ptx.contains("cvt.rn.f16.f32"));
        }
    }

    /// The machine code the backend loads first: an ELF image for the GPU's
    /// own architecture that names every kernel.
    #[test]
    fn nvrtc_writes_machine_code_with_every_kernel() {
        if !nvrtc_here() {
            return;
        }
        for (major, minor) in [(9, 0), (8, 0)] {
            let cubin = compile_cubin(major, minor).unwrap();
            assert_eq!(
                &cubin[..4],
                b"\x7fELF",
                "sm_{major}{minor}: not an ELF image"
            );
            for name in kernels::KERNEL_NAMES {
                for suffix in ["f32", "f16"] {
                    let symbol = format!("{name}_{suffix}\0");
                    assert!(
                        cubin.windows(symbol.len()).any(|w| w == symbol.as_bytes()),
                        "sm_{major}{minor}: no {name}_{suffix} in the cubin"
                    );
                }
            }
        }
    }

    #[test]
    fn a_target_nvrtc_does_not_know_is_an_error_with_its_log() {
        if !nvrtc_here() {
            return;
        }
        let e = compile_cubin(1, 0).unwrap_err();
        assert!(format!("{e:#}").contains("sm_10"), "{e:#}");
    }
}
