//! What the GPU and its software are, recorded with every campaign.

use anyhow::Result;
use cudarc::cublas::sys as cublas_sys;
use cudarc::driver::sys::CUdevice_attribute as Attr;
use cudarc::driver::CudaContext;
use serde::Serialize;
use std::process::Command;

/// The GPU a campaign ran on.
#[derive(Clone, Debug, Serialize)]
pub struct GpuInfo {
    /// The driver's marketing name, e.g. "NVIDIA H100 80GB HBM3".
    pub name: String,
    /// CUDA ordinal the GPU was opened as (`--gpu`).
    pub ordinal: usize,
    /// Compute capability as "major.minor", e.g. "9.0" for Hopper.
    pub compute_capability: String,
    /// Number of streaming multiprocessors; -1 if the driver does not say.
    pub sm_count: i32,
    /// Maximum SM clock the driver reports, MHz.
    pub sm_clock_max_mhz: i32,
    /// Maximum memory clock the driver reports, MHz.
    pub memory_clock_max_mhz: i32,
    /// Total device memory, MiB.
    pub memory_mib: usize,
    /// The CUDA version the driver supports, e.g. "13.0".
    pub driver_cuda_version: String,
    /// cuDNN's version as "major.minor.patch", e.g. "9.14.0".
    pub cudnn_version: String,
    /// cuBLAS's version as "major.minor.patch" ("0.0.0" if it did not
    /// answer).
    pub cublas_version: String,
    /// NVRTC's version as "major.minor" ("0.0" if it did not answer).
    pub nvrtc_version: String,
    /// The driver version from nvidia-smi, e.g. "580.65.06"; `None` when
    /// nvidia-smi is not installed or does not answer, like the three
    /// readings below. Those are taken at the start of the campaign, so
    /// boost or throttling shows here.
    pub driver_version: Option<String>,
    /// SM clock at the start of the campaign, MHz (nvidia-smi).
    pub sm_clock_now_mhz: Option<u32>,
    /// Memory clock at the start of the campaign, MHz (nvidia-smi).
    pub memory_clock_now_mhz: Option<u32>,
    /// nvidia-smi's persistence mode, "Enabled" or "Disabled": without it
    /// the driver may tear the GPU's state down between processes.
    pub persistence_mode: Option<String>,
}

impl GpuInfo {
    pub(crate) fn read(
        ctx: &CudaContext,
        ordinal: usize,
        cublas: cublas_sys::cublasHandle_t,
        (major, minor): (i32, i32),
    ) -> Result<Self> {
        let attr = |a: Attr| ctx.attribute(a).unwrap_or(-1);
        let mut driver = 0;
        // SAFETY: writes one int.
        unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut driver) }.result()?;
        let mut cublas_version = 0;
        // SAFETY: a live handle; writes one int.
        let _ = unsafe { cublas_sys::cublasGetVersion_v2(cublas, &mut cublas_version) };
        let (mut nvrtc_major, mut nvrtc_minor) = (0, 0);
        // SAFETY: writes two ints.
        let _ = unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut nvrtc_major, &mut nvrtc_minor) };
        let cudnn = cudarc::cudnn::result::get_version();
        let smi = nvidia_smi(ordinal);
        Ok(GpuInfo {
            name: ctx.name()?,
            ordinal,
            compute_capability: format!("{major}.{minor}"),
            sm_count: attr(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
            sm_clock_max_mhz: attr(Attr::CU_DEVICE_ATTRIBUTE_CLOCK_RATE) / 1000,
            memory_clock_max_mhz: attr(Attr::CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE) / 1000,
            memory_mib: ctx.total_mem()? >> 20,
            driver_cuda_version: format!("{}.{}", driver / 1000, driver % 1000 / 10),
            cudnn_version: cudnn_version_string(cudnn),
            cublas_version: format!(
                "{}.{}.{}",
                cublas_version / 10000,
                cublas_version % 10000 / 100,
                cublas_version % 100
            ),
            nvrtc_version: format!("{nvrtc_major}.{nvrtc_minor}"),
            driver_version: smi.as_ref().map(|s| s.driver.clone()),
            sm_clock_now_mhz: smi.as_ref().and_then(|s| s.sm_clock),
            memory_clock_now_mhz: smi.as_ref().and_then(|s| s.memory_clock),
            persistence_mode: smi.map(|s| s.persistence),
        })
    }

    /// The short form written in each row's `source` column.
    pub fn short(&self) -> String {
        format!(
            "{};sm{};{}SM;cuda{};cudnn{}",
            self.name,
            self.compute_capability.replace('.', ""),
            self.sm_count,
            self.driver_cuda_version,
            self.cudnn_version
        )
    }
}

/// cuDNN 9 encodes its version as major·10000 + minor·100 + patch.
pub fn cudnn_version_string(v: usize) -> String {
    if v >= 10000 {
        format!("{}.{}.{}", v / 10000, v % 10000 / 100, v % 100)
    } else {
        // cuDNN ≤ 8: major·1000 + minor·100 + patch.
        format!("{}.{}.{}", v / 1000, v % 1000 / 100, v % 100)
    }
}

struct SmiReading {
    driver: String,
    sm_clock: Option<u32>,
    memory_clock: Option<u32>,
    persistence: String,
}

/// One `nvidia-smi` query, if the tool is there and answers.
fn nvidia_smi(ordinal: usize) -> Option<SmiReading> {
    let out = Command::new("nvidia-smi")
        .args([
            "--query-gpu=driver_version,clocks.sm,clocks.mem,persistence_mode",
            "--format=csv,noheader,nounits",
            &format!("--id={ordinal}"),
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_smi_line(String::from_utf8_lossy(&out.stdout).lines().next()?)
}

fn parse_smi_line(line: &str) -> Option<SmiReading> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if fields.len() < 4 {
        return None;
    }
    Some(SmiReading {
        driver: fields[0].to_string(),
        sm_clock: fields[1].parse().ok(),
        memory_clock: fields[2].parse().ok(),
        persistence: fields[3].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cudnn_versions_decode_both_schemes() {
        assert_eq!(cudnn_version_string(91400), "9.14.0");
        assert_eq!(cudnn_version_string(90100), "9.1.0");
        assert_eq!(cudnn_version_string(8907), "8.9.7");
    }

    #[test]
    fn an_nvidia_smi_line_parses_and_a_short_one_does_not() {
        let r = parse_smi_line("580.65.06, 1980, 2619, Enabled").unwrap();
        assert_eq!(r.driver, "580.65.06");
        assert_eq!((r.sm_clock, r.memory_clock), (Some(1980), Some(2619)));
        assert_eq!(r.persistence, "Enabled");
        let na = parse_smi_line("580.65.06, [N/A], [N/A], Disabled").unwrap();
        assert_eq!(na.sm_clock, None);
        assert!(parse_smi_line("580.65.06").is_none());
    }
}
