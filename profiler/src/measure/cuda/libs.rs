//! Finding the CUDA libraries before cudarc touches them.
//!
//! cudarc opens libcuda, libnvrtc, libcublas and libcudnn by name when they
//! are first used and panics if one is missing. latscope looks for all four
//! first, so a machine without a driver or without cuDNN gets a message that
//! names what is missing and where it looked. A library that is not on the
//! loader's path but sits in a known place (the CUDA toolkit, the NVIDIA
//! wheels PyTorch installs, a folder in `LATSCOPE_CUDA_LIB_DIRS`) is loaded
//! from there by its full path; the dynamic loader then hands that copy to
//! cudarc when it asks by name, because the name matches its soname.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// One library the backend needs.
#[derive(Clone, Copy, Debug)]
pub struct CudaLib {
    /// What a user would call it.
    pub what: &'static str,
    /// File names to look for, most specific first.
    pub files: &'static [&'static str],
    /// cudarc's own probe (its name list).
    pub present: fn() -> bool,
    /// Libraries this one opens by name at run time (NVRTC's builtins,
    /// cuBLASLt, cuDNN 9's sub-libraries). When the library is loaded from
    /// a search folder, the files of that folder starting with these are
    /// loaded first, so those later lookups by name find them.
    pub companions: &'static [&'static str],
}

fn cuda_present() -> bool {
    // SAFETY: only tries to open the library by its candidate names.
    unsafe { cudarc::driver::sys::is_culib_present() }
}
fn nvrtc_present() -> bool {
    // SAFETY: as above.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}
fn cublas_present() -> bool {
    // SAFETY: as above.
    unsafe { cudarc::cublas::sys::is_culib_present() }
}
fn cudnn_present() -> bool {
    // SAFETY: as above.
    unsafe { cudarc::cudnn::sys::is_culib_present() }
}

/// The NVIDIA driver's CUDA library.
pub const DRIVER: CudaLib = CudaLib {
    what: "the NVIDIA driver (libcuda)",
    files: &["libcuda.so.1", "libcuda.so"],
    present: cuda_present,
    companions: &[],
};
/// The runtime compiler for the element-wise kernels.
pub const NVRTC: CudaLib = CudaLib {
    what: "NVRTC (libnvrtc, CUDA 13)",
    // CUDA 12's also works (a CUDA 12 build of PyTorch ships it): latscope
    // calls nothing newer, and its machine code runs on a 13 driver.
    files: &["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"],
    present: nvrtc_present,
    companions: &["libnvrtc-builtins.so"],
};
/// cuBLAS, for linear layers (it loads libcublasLt from its own folder).
pub const CUBLAS: CudaLib = CudaLib {
    what: "cuBLAS (libcublas, CUDA 13)",
    // As for NVRTC: cublasGemmEx and the workspace call are in cuBLAS 12.
    files: &["libcublas.so.13", "libcublas.so.12", "libcublas.so"],
    present: cublas_present,
    companions: &["libcublasLt.so"],
};
/// cuDNN 9, for convolutions and pooling.
pub const CUDNN: CudaLib = CudaLib {
    what: "cuDNN 9 (libcudnn)",
    files: &["libcudnn.so.9", "libcudnn.so"],
    present: cudnn_present,
    companions: &["libcudnn_"],
};

/// All four, in the order they are checked.
pub const ALL: [CudaLib; 4] = [DRIVER, NVRTC, CUBLAS, CUDNN];

/// Folders searched after the loader's own path.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LATSCOPE_CUDA_LIB_DIRS")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    for fixed in [
        "/usr/local/cuda/lib64",
        "/usr/local/cuda/targets/x86_64-linux/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/local/nvidia/lib64",
        "/usr/lib/wsl/lib",
    ] {
        dirs.push(fixed.into());
    }
    // CUDA toolkits installed side by side, and the NVIDIA wheels (the
    // libraries PyTorch itself uses): site-packages/nvidia/<part>/lib.
    dirs.extend(glob_dirs("/usr/local", "cuda-", "lib64"));
    for root in python_site_dirs() {
        let nvidia = root.join("nvidia");
        if let Ok(parts) = std::fs::read_dir(&nvidia) {
            for part in parts.flatten() {
                dirs.push(part.path().join("lib"));
            }
        }
    }
    dirs.retain(|d| d.is_dir());
    dirs.dedup();
    dirs
}

/// `<parent>/<prefix>*/<leaf>` folders.
fn glob_dirs(parent: &str, prefix: &str, leaf: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path().join(leaf))
        .collect()
}

/// site-packages / dist-packages folders of the system's Pythons, the
/// user's (`~/.local`), an activated virtual environment's, and those of
/// every `python3` on the PATH (a virtual environment or conda that is on
/// the PATH without being activated).
fn python_site_dirs() -> Vec<PathBuf> {
    let mut prefixes: Vec<PathBuf> = ["/usr/local", "/usr", "/opt/conda"]
        .iter()
        .map(PathBuf::from)
        .collect();
    if let Some(home) = std::env::var_os("HOME") {
        prefixes.push(Path::new(&home).join(".local"));
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        prefixes.push(venv.into());
    }
    if let Some(path) = std::env::var_os("PATH") {
        prefixes.extend(std::env::split_paths(&path).filter_map(|dir| python_prefix(&dir)));
    }
    let mut dirs = Vec::new();
    for prefix in prefixes {
        for lib in glob_dirs(&prefix.join("lib").to_string_lossy(), "python3", "") {
            dirs.push(lib.join("site-packages"));
            dirs.push(lib.join("dist-packages"));
        }
    }
    dirs.push("/usr/lib/python3/dist-packages".into());
    dirs
}

/// The installation prefix of the `python3` in PATH folder `bin_dir`
/// (`<prefix>/bin/python3`), if there is one.
fn python_prefix(bin_dir: &Path) -> Option<PathBuf> {
    if !bin_dir.join("python3").exists() || bin_dir.file_name()? != "bin" {
        return None;
    }
    Some(bin_dir.parent()?.to_path_buf())
}

/// Makes sure `lib` can be opened, loading it from a search folder if the
/// loader cannot find it by name. The error names the library and the
/// folders searched.
pub fn ensure(lib: CudaLib) -> Result<()> {
    if (lib.present)() {
        return Ok(());
    }
    let dirs = search_dirs();
    for dir in &dirs {
        for file in lib.files {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            load_companions(dir, lib.companions);
            // SAFETY: loading a CUDA library runs its initialisers, which is
            // what cudarc would do itself a moment later.
            match unsafe { libloading::Library::new(&path) } {
                Ok(handle) => {
                    // Kept loaded for the whole process, as cudarc keeps its own.
                    std::mem::forget(handle);
                    if (lib.present)() {
                        return Ok(());
                    }
                }
                Err(e) => bail!(
                    "{} found at {} but it does not load: {e}",
                    lib.what,
                    path.display()
                ),
            }
        }
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    bail!(
        "{} is not installed or not on the library path (looked for {} on the loader's path{}{}). \
         Install it, add its folder to LD_LIBRARY_PATH or LATSCOPE_CUDA_LIB_DIRS, or use --backend cpu",
        lib.what,
        lib.files.join(" / "),
        if searched.is_empty() { "" } else { " and in " },
        searched.join(", ")
    )
}

/// Loads the files of `dir` whose names start with one of `prefixes`
/// (best effort: one that fails to load is left to fail later, by name).
fn load_companions(dir: &Path, prefixes: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            prefixes.iter().any(|prefix| name.starts_with(prefix))
                && name.contains(".so")
                && !name.contains(".alt.")
        })
        .collect();
    files.sort();
    for file in files {
        // SAFETY: as in `ensure`; kept loaded for the process.
        if let Ok(handle) = unsafe { libloading::Library::new(&file) } {
            std::mem::forget(handle);
        }
    }
}

/// Checks all four libraries; the first missing one is the error.
pub fn ensure_all() -> Result<()> {
    ALL.iter().try_for_each(|&lib| ensure(lib))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_on_the_path_names_its_prefix() {
        let root = std::env::temp_dir().join(format!("latscope-libs-{}", std::process::id()));
        let bin = root.join("venv").join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        assert_eq!(python_prefix(&bin), None, "no python3 there yet");
        std::fs::write(bin.join("python3"), "").unwrap();
        assert_eq!(python_prefix(&bin), Some(root.join("venv")));
        std::fs::write(root.join("python3"), "").unwrap();
        assert_eq!(python_prefix(&root), None, "not a bin folder");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
