//! The kernels' own source, compiled for the host with the system's C++
//! compiler and run thread by thread (they are grid-stride loops with no
//! shared memory, so a sequential loop over blocks and threads is a faithful
//! schedule). Each kernel is checked in both layouts and both precisions
//! against a plain Rust computation of what the plan asks of it. Without a
//! C++ compiler the tests say so and pass.

use super::{source, ACT_HSWISH, ACT_NONE, ACT_RELU, ACT_RELU6, BLOCK};
use crate::measure::cuda::gpu_network::nchw_to_nhwc;
use latscope_shared::ir::Shape;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

const HARNESS: &str = r#"
#include <math.h>
#include <string.h>
#define __global__
#define __device__
#define __forceinline__ inline
struct Dim { unsigned int x; };
static Dim blockIdx, blockDim, threadIdx, gridDim;
SOURCE
#define LAUNCH(grid, call) do { gridDim.x = (grid); blockDim.x = BLOCK_SIZE; \
    for (unsigned block_ = 0; block_ < (unsigned)(grid); ++block_) \
        for (unsigned thread_ = 0; thread_ < BLOCK_SIZE; ++thread_) { \
            blockIdx.x = block_; threadIdx.x = thread_; call; } } while (0)
#define HOST(T, S) \
extern "C" void host_channel_affine_##S(unsigned g, const T* x, T* y, const float* sc, const float* sh, \
        long long n, int c, int inner, int act) { LAUNCH(g, channel_affine_##S(x, y, sc, sh, n, c, inner, act)); } \
extern "C" void host_add4_##S(unsigned g, const T* a, const T* b, const T* c, const T* d, T* y, \
        long long n, int count, int act) { LAUNCH(g, add4_##S(a, b, c, d, y, n, count, act)); } \
extern "C" void host_global_avg_pool_##S(unsigned g, const T* x, T* y, int batch, int c, int p, int nhwc) \
        { LAUNCH(g, global_avg_pool_##S(x, y, batch, c, p, nhwc)); } \
extern "C" void host_channel_shuffle_##S(unsigned g, const T* x, T* y, long long n, int c, int p, \
        int groups, int nhwc) { LAUNCH(g, channel_shuffle_##S(x, y, n, c, p, groups, nhwc)); }
HOST(float, f32)
HOST(unsigned short, f16)
"#;

/// The compiled kernels, or why there are none.
fn library() -> Result<&'static libloading::Library, String> {
    static LIB: OnceLock<Result<libloading::Library, String>> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("latscope-kernels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let src: PathBuf = dir.join("kernels.cpp");
        let lib: PathBuf = dir.join("libkernels.so");
        let code = HARNESS
            .replace("SOURCE", &source())
            .replace("BLOCK_SIZE", &BLOCK.to_string());
        std::fs::write(&src, code).map_err(|e| e.to_string())?;
        let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
        let out = Command::new(&cxx)
            .args(["-O1", "-shared", "-fPIC", "-o"])
            .arg(&lib)
            .arg(&src)
            .output()
            .map_err(|e| format!("no C++ compiler ({cxx}: {e})"))?;
        if !out.status.success() {
            // A compiler that runs but rejects the source is a real failure.
            panic!(
                "the kernels do not compile on the host:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // SAFETY: a library we just built from our own source.
        let loaded = unsafe { libloading::Library::new(&lib) }.map_err(|e| e.to_string());
        // Once loaded, the files are no longer needed (Linux keeps the mapping).
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The emulated blockIdx/threadIdx are globals of the library: one test
/// at a time may launch kernels.
static LAUNCHES: Mutex<()> = Mutex::new(());

macro_rules! kernels_or_skip {
    ($lib:ident, $guard:ident) => {
        let $guard = LAUNCHES.lock().unwrap_or_else(|e| e.into_inner());
        let $lib = match library() {
            Ok(lib) => lib,
            Err(why) => {
                latscope_shared::test_dependency::skip_or_fail(&why);
                return;
            }
        };
    };
}

type Affine<T> =
    unsafe extern "C" fn(u32, *const T, *mut T, *const f32, *const f32, i64, i32, i32, i32);
type Add4<T> =
    unsafe extern "C" fn(u32, *const T, *const T, *const T, *const T, *mut T, i64, i32, i32);
type Gap<T> = unsafe extern "C" fn(u32, *const T, *mut T, i32, i32, i32, i32);
type Shuffle<T> = unsafe extern "C" fn(u32, *const T, *mut T, i64, i32, i32, i32, i32);

fn act(v: f32, code: i32) -> f32 {
    match code {
        ACT_RELU => v.max(0.0),
        ACT_RELU6 => v.clamp(0.0, 6.0),
        ACT_HSWISH => v * (v + 3.0).clamp(0.0, 6.0) / 6.0,
        _ => v,
    }
}

/// Deterministic values in about [-4, 4].
fn values(n: usize, salt: u32) -> Vec<f32> {
    (0..n as u32)
        .map(|i| {
            let h = i
                .wrapping_mul(2_654_435_761)
                .wrapping_add(salt.wrapping_mul(40_503));
            ((h >> 8) % 8001) as f32 / 1000.0 - 4.0
        })
        .collect()
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}: [{i}] {g} vs {w}"
        );
    }
}

fn to_f16(v: &[f32]) -> Vec<u16> {
    v.iter()
        .map(|&x| half::f16::from_f32(x).to_bits())
        .collect()
}

fn from_f16(v: &[u16]) -> Vec<f32> {
    v.iter()
        .map(|&h| half::f16::from_bits(h).to_f32())
        .collect()
}

const SHAPE: Shape = Shape::new(6, 5, 3);
const BATCH: usize = 3;

#[test]
fn channel_affine_in_both_layouts_and_precisions() {
    kernels_or_skip!(lib, _launches);
    let n = BATCH * SHAPE.elements() as usize;
    let x = values(n, 1);
    let scale = values(SHAPE.channels, 2);
    let shift = values(SHAPE.channels, 3);
    for code in [ACT_NONE, ACT_RELU, ACT_RELU6, ACT_HSWISH] {
        let hw = SHAPE.positions() as usize;
        let want: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = i / hw % SHAPE.channels;
                act(v * scale[c] + shift[c], code)
            })
            .collect();
        for nhwc in [false, true] {
            let (input, expected) = if nhwc {
                (nchw_to_nhwc(&x, SHAPE), nchw_to_nhwc(&want, SHAPE))
            } else {
                (x.clone(), want.clone())
            };
            let inner = if nhwc { 1 } else { hw as i32 };
            // 2 blocks for 270 values: the grid-stride loop covers the rest.
            let mut y = vec![0.0f32; n];
            // SAFETY: the buffers hold n values; scale and shift hold C.
            unsafe {
                let f: libloading::Symbol<Affine<f32>> =
                    lib.get(b"host_channel_affine_f32").unwrap();
                f(
                    1,
                    input.as_ptr(),
                    y.as_mut_ptr(),
                    scale.as_ptr(),
                    shift.as_ptr(),
                    n as i64,
                    6,
                    inner,
                    code,
                );
            }
            assert_close(&y, &expected, 1e-6, &format!("f32 act {code} nhwc {nhwc}"));
            let xh = to_f16(&input);
            let mut yh = vec![0u16; n];
            // SAFETY: as above.
            unsafe {
                let f: libloading::Symbol<Affine<u16>> =
                    lib.get(b"host_channel_affine_f16").unwrap();
                f(
                    2,
                    xh.as_ptr(),
                    yh.as_mut_ptr(),
                    scale.as_ptr(),
                    shift.as_ptr(),
                    n as i64,
                    6,
                    inner,
                    code,
                );
            }
            let want_h: Vec<f32> = from_f16(&xh)
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let c = if nhwc {
                        i % SHAPE.channels
                    } else {
                        i / hw % SHAPE.channels
                    };
                    act(v * scale[c] + shift[c], code)
                })
                .collect();
            assert_close(
                &from_f16(&yh),
                &want_h,
                1e-3,
                &format!("f16 act {code} nhwc {nhwc}"),
            );
        }
    }
    // Null scale and shift: a bare activation.
    let mut y = vec![0.0f32; n];
    // SAFETY: null scale/shift are never read.
    unsafe {
        let f: libloading::Symbol<Affine<f32>> = lib.get(b"host_channel_affine_f32").unwrap();
        f(
            4,
            x.as_ptr(),
            y.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            n as i64,
            6,
            15,
            ACT_RELU,
        );
    }
    let relu: Vec<f32> = x.iter().map(|v| v.max(0.0)).collect();
    assert_close(&y, &relu, 0.0, "bare relu");
}

#[test]
fn add4_sums_two_to_four_terms() {
    kernels_or_skip!(lib, _launches);
    let n = 1000;
    let t: Vec<Vec<f32>> = (0..4).map(|k| values(n, 10 + k)).collect();
    for count in 2..=4usize {
        let want: Vec<f32> = (0..n)
            .map(|i| act((0..count).map(|k| t[k][i]).sum(), ACT_RELU6))
            .collect();
        let mut y = vec![0.0f32; n];
        let ptr = |k: usize| {
            if k < count {
                t[k].as_ptr()
            } else {
                std::ptr::null()
            }
        };
        // SAFETY: `count` non-null terms of n values; the rest are not read.
        unsafe {
            let f: libloading::Symbol<Add4<f32>> = lib.get(b"host_add4_f32").unwrap();
            f(
                3,
                ptr(0),
                ptr(1),
                ptr(2),
                ptr(3),
                y.as_mut_ptr(),
                n as i64,
                count as i32,
                ACT_RELU6,
            );
        }
        assert_close(&y, &want, 1e-6, &format!("add of {count}"));
    }
}

#[test]
fn global_average_pooling_in_both_layouts() {
    kernels_or_skip!(lib, _launches);
    let n = BATCH * SHAPE.elements() as usize;
    let x = values(n, 5);
    let hw = SHAPE.positions() as usize;
    let want: Vec<f32> = x
        .chunks(hw)
        .map(|c| c.iter().sum::<f32>() / hw as f32)
        .collect();
    for nhwc in [false, true] {
        let input = if nhwc {
            nchw_to_nhwc(&x, SHAPE)
        } else {
            x.clone()
        };
        let mut y = vec![0.0f32; BATCH * SHAPE.channels];
        // SAFETY: n inputs, N·C outputs; one thread per output.
        unsafe {
            let f: libloading::Symbol<Gap<f32>> = lib.get(b"host_global_avg_pool_f32").unwrap();
            f(
                1,
                input.as_ptr(),
                y.as_mut_ptr(),
                BATCH as i32,
                6,
                hw as i32,
                nhwc as i32,
            );
        }
        assert_close(&y, &want, 1e-5, &format!("gap nhwc {nhwc}"));
        let xh = to_f16(&input);
        let mut yh = vec![0u16; y.len()];
        // SAFETY: as above.
        unsafe {
            let f: libloading::Symbol<Gap<u16>> = lib.get(b"host_global_avg_pool_f16").unwrap();
            f(
                1,
                xh.as_ptr(),
                yh.as_mut_ptr(),
                BATCH as i32,
                6,
                hw as i32,
                nhwc as i32,
            );
        }
        assert_close(&from_f16(&yh), &want, 5e-3, &format!("gap f16 nhwc {nhwc}"));
    }
}

#[test]
fn channel_shuffle_matches_the_onnx_reshape_transpose() {
    kernels_or_skip!(lib, _launches);
    let groups = 3;
    let n = BATCH * SHAPE.elements() as usize;
    let x = values(n, 7);
    let (c, hw, per) = (
        SHAPE.channels,
        SHAPE.positions() as usize,
        SHAPE.channels / groups,
    );
    // ONNX: [N, g, C/g, H, W] → transpose(0, 2, 1) → [N, C, H, W].
    let mut want = vec![0.0; n];
    for s in 0..BATCH {
        for g in 0..groups {
            for j in 0..per {
                let (src, dst) = (g * per + j, j * groups + g);
                let base = s * c * hw;
                want[base + dst * hw..base + (dst + 1) * hw]
                    .copy_from_slice(&x[base + src * hw..base + (src + 1) * hw]);
            }
        }
    }
    for nhwc in [false, true] {
        let (input, expected) = if nhwc {
            (nchw_to_nhwc(&x, SHAPE), nchw_to_nhwc(&want, SHAPE))
        } else {
            (x.clone(), want.clone())
        };
        let mut y = vec![0.0f32; n];
        // SAFETY: n values in and out.
        unsafe {
            let f: libloading::Symbol<Shuffle<f32>> = lib.get(b"host_channel_shuffle_f32").unwrap();
            f(
                1,
                input.as_ptr(),
                y.as_mut_ptr(),
                n as i64,
                c as i32,
                hw as i32,
                groups as i32,
                nhwc as i32,
            );
        }
        assert_close(&y, &expected, 0.0, &format!("shuffle nhwc {nhwc}"));
    }
}

#[test]
fn host_half_conversions_match_the_half_crate() {
    kernels_or_skip!(lib, _launches);
    // Identity affine on f16 values round-trips them exactly; values that
    // need rounding when stored are checked through a scale of 1/3.
    let x: Vec<f32> = values(4000, 9);
    let xh = to_f16(&x);
    let third = [1.0f32 / 3.0];
    let mut yh = vec![0u16; xh.len()];
    // SAFETY: 4000 values; one channel.
    unsafe {
        let f: libloading::Symbol<Affine<u16>> = lib.get(b"host_channel_affine_f16").unwrap();
        f(
            2,
            xh.as_ptr(),
            yh.as_mut_ptr(),
            third.as_ptr(),
            std::ptr::null(),
            4000,
            1,
            1,
            ACT_NONE,
        );
    }
    let want: Vec<u16> = from_f16(&xh)
        .iter()
        .map(|&v| half::f16::from_f32(v * (1.0 / 3.0)).to_bits())
        .collect();
    let mismatches = yh.iter().zip(&want).filter(|(a, b)| a != b).count();
    assert_eq!(
        mismatches, 0,
        "{mismatches} of 4000 halves differ from the half crate's"
    );
}
