//! The few kernels cuDNN and cuBLAS do not provide, compiled with NVRTC
//! when the backend starts.
//!
//! Each kernel exists for float (`_f32`) and half (`_f16`) tensors. Half
//! values travel as `unsigned short` and are converted with the PTX `cvt`
//! instructions, exactly as `cuda_fp16.hpp` does, so the source needs no
//! header: NVRTC compiles it on any CUDA installation. Arithmetic is done in
//! float. Channel indices work for both layouts: the caller passes the
//! number of elements between consecutive channels' values (`inner`: H·W for
//! NCHW, 1 for NHWC).

// Activation codes shared with the kernels' `act` argument (see
// `activate` in the source below).

/// No activation: the value is stored as computed.
pub(super) const ACT_NONE: i32 = 0;
/// ReLU: `max(v, 0)`.
pub(super) const ACT_RELU: i32 = 1;
/// ReLU6: `min(max(v, 0), 6)`.
pub(super) const ACT_RELU6: i32 = 2;
/// Hard swish: `v · min(max(v + 3, 0), 6) / 6`.
pub(super) const ACT_HSWISH: i32 = 3;

/// Names of the kernels, without the dtype suffix.
pub const KERNEL_NAMES: [&str; 4] = [
    "channel_affine",
    "add4",
    "global_avg_pool",
    "channel_shuffle",
];

/// Threads per block of the element-wise kernels.
pub const BLOCK: u32 = 256;

const COMMON: &str = r#"
__device__ __forceinline__ float load_f32(const float* p, long long i) { return p[i]; }
__device__ __forceinline__ void store_f32(float* p, long long i, float v) { p[i] = v; }
#ifdef __CUDACC_RTC__
__device__ __forceinline__ float load_f16(const unsigned short* p, long long i) {
    float f; unsigned short h = p[i];
    asm("{cvt.f32.f16 %0, %1;}\n" : "=f"(f) : "h"(h));
    return f;
}
__device__ __forceinline__ void store_f16(unsigned short* p, long long i, float v) {
    unsigned short h;
    asm("{cvt.rn.f16.f32 %0, %1;}\n" : "=h"(h) : "f"(v));
    p[i] = h;
}
#else
// Host build of the same source (the kernels' CPU test): IEEE half
// conversions in plain C, for normal and zero values (what the test uses).
__device__ __forceinline__ float load_f16(const unsigned short* p, long long i) {
    unsigned int h = p[i], sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    unsigned int bits = exp == 0 ? sign : sign | ((exp + 112) << 23) | (man << 13);
    float f; memcpy(&f, &bits, 4); return f;
}
__device__ __forceinline__ void store_f16(unsigned short* p, long long i, float v) {
    unsigned int bits; memcpy(&bits, &v, 4);
    unsigned int sign = (bits >> 16) & 0x8000u;
    int exp = (int)((bits >> 23) & 0xff) - 112;
    unsigned int man = bits & 0x7fffffu;
    if (exp <= 0) { p[i] = (unsigned short)sign; return; }
    unsigned int h = sign | ((unsigned int)exp << 10) | (man >> 13);
    unsigned int rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h += 1;  // to nearest, ties to even
    p[i] = (unsigned short)h;
}
#endif
__device__ __forceinline__ float activate(float v, int act) {
    switch (act) {
        case 1: return fmaxf(v, 0.0f);
        case 2: return fminf(fmaxf(v, 0.0f), 6.0f);
        case 3: return v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
        default: return v;
    }
}
"#;

/// The kernels for one element type `T` with loader/storer suffix `S`.
const TEMPLATE: &str = r#"
// y = act(x * scale[c] + shift[c]); scale and shift may be null.
extern "C" __global__ void channel_affine_S(const T* x, T* y, const float* scale,
        const float* shift, long long n, int channels, int inner, int act) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        int c = (int)((i / inner) % channels);
        float v = load_S(x, i);
        if (scale) v *= scale[c];
        if (shift) v += shift[c];
        store_S(y, i, activate(v, act));
    }
}

// y = act(a + b [+ c [+ d]]); terms beyond `count` are not read.
extern "C" __global__ void add4_S(const T* a, const T* b, const T* c, const T* d, T* y,
        long long n, int count, int act) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        float v = load_S(a, i) + load_S(b, i);
        if (count > 2) v += load_S(c, i);
        if (count > 3) v += load_S(d, i);
        store_S(y, i, activate(v, act));
    }
}

// One thread per (sample, channel): the mean over the positions.
extern "C" __global__ void global_avg_pool_S(const T* x, T* y, int batch, int channels,
        int positions, int nhwc) {
    long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (t >= (long long)batch * channels) return;
    long long n = t / channels, c = t % channels;
    long long base = n * channels * positions + (nhwc ? c : c * positions);
    long long step = nhwc ? channels : 1;
    float sum = 0.0f;
    for (int p = 0; p < positions; ++p) sum += load_S(x, base + p * step);
    store_S(y, t, sum / positions);
}

// ShuffleNet's shuffle: output channel j*groups + g is input channel g*(C/groups) + j.
extern "C" __global__ void channel_shuffle_S(const T* x, T* y, long long n, int channels,
        int positions, int groups, int nhwc) {
    int per_group = channels / groups;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        long long sample = i / ((long long)channels * positions);
        long long rest = i % ((long long)channels * positions);
        int co, p;
        if (nhwc) { co = (int)(rest % channels); p = (int)(rest / channels); }
        else { co = (int)(rest / positions); p = (int)(rest % positions); }
        int ci = (co % groups) * per_group + co / groups;
        long long src = sample * channels * positions
            + (nhwc ? (long long)p * channels + ci : (long long)ci * positions + p);
        store_S(y, i, load_S(x, src));
    }
}
"#;

/// The whole CUDA source: both element types.
pub fn source() -> String {
    let mut src = String::from(COMMON);
    for (ty, suffix) in [("float", "f32"), ("unsigned short", "f16")] {
        src.push_str(
            &TEMPLATE
                .replace("const T*", &format!("const {ty}*"))
                .replace("T* y", &format!("{ty}* y"))
                .replace("_S", &format!("_{suffix}")),
        );
    }
    src
}

/// Blocks for an element-wise kernel over `n` elements: enough to fill the
/// GPU, capped so huge tensors loop instead (grid-stride loops).
pub fn grid_for(n: u64, sm_count: u32) -> u32 {
    let needed = n.div_ceil(u64::from(BLOCK)).max(1);
    needed.min(u64::from(sm_count.max(1)) * 32) as u32
}

#[cfg(test)]
mod host_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_element_types_are_generated_without_leftover_placeholders() {
        let src = source();
        for name in KERNEL_NAMES {
            for suffix in ["f32", "f16"] {
                let needle = format!("void {name}_{suffix}(");
                assert!(src.contains(&needle), "missing {needle}");
            }
        }
        assert!(!src.contains("_S("), "an unreplaced suffix is left");
        assert!(!src.contains(" T*"), "an unreplaced element type is left");
        assert!(src.contains("const unsigned short* x"));
    }

    #[test]
    fn grids_cover_small_tensors_and_cap_large_ones() {
        assert_eq!(grid_for(1, 132), 1);
        assert_eq!(grid_for(256 * 10 + 1, 132), 11);
        assert_eq!(grid_for(u64::MAX / 2, 132), 132 * 32);
    }
}
