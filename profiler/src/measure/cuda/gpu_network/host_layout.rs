//! Host-side conversions before an upload: weights to a precision and
//! cuDNN's filter order, inputs from NCHW to NHWC, activations to kernel
//! codes.

use crate::measure::cuda::kernels::{ACT_HSWISH, ACT_NONE, ACT_RELU, ACT_RELU6};
use crate::measure::cuda::{Layout, Precision};
use latscope_shared::ir::{Activation, Shape};

/// The activation code the NVRTC kernels take.
pub(super) fn act_code(act: Option<Activation>) -> i32 {
    match act {
        None => ACT_NONE,
        Some(Activation::Relu) => ACT_RELU,
        Some(Activation::Relu6) => ACT_RELU6,
        Some(Activation::HSwish) => ACT_HSWISH,
    }
}

/// Converts float weights to the bytes of `precision`, in `layout`'s filter
/// order for 4-D conv weights (`dims` = [out, in/groups, kh, kw]).
pub(super) fn weight_bytes(
    values: &[f32],
    dims: Option<[usize; 4]>,
    precision: Precision,
    layout: Layout,
) -> Vec<u8> {
    let ordered: Vec<f32> = match (dims, layout) {
        (Some([o, i, kh, kw]), Layout::Nhwc) => {
            // OIHW → OHWI (cuDNN's NHWC filter order, "KRSC").
            let mut out = vec![0.0; values.len()];
            for oc in 0..o {
                for ic in 0..i {
                    for y in 0..kh {
                        for x in 0..kw {
                            out[((oc * kh + y) * kw + x) * i + ic] =
                                values[((oc * i + ic) * kh + y) * kw + x];
                        }
                    }
                }
            }
            out
        }
        _ => values.to_vec(),
    };
    precision.encode(&ordered)
}

/// NCHW floats to NHWC.
pub fn nchw_to_nhwc(values: &[f32], shape: Shape) -> Vec<f32> {
    let (c, hw) = (shape.channels, shape.positions() as usize);
    let per_sample = c * hw;
    let mut out = vec![0.0; values.len()];
    for (sample, chunk) in values.chunks(per_sample).enumerate() {
        for ch in 0..c {
            for p in 0..hw {
                out[sample * per_sample + p * c + ch] = chunk[ch * hw + p];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhwc_filters_and_inputs_are_transposed_correctly() {
        // 2 out, 3 in, 1×2 kernel… use a square 2×2 kernel: value = o·100 + i·10 + y·2 + x.
        let (o, i, k) = (2, 3, 2);
        let oihw: Vec<f32> = (0..o)
            .flat_map(|oc| {
                (0..i).flat_map(move |ic| {
                    (0..k).flat_map(move |y| {
                        (0..k).map(move |x| (oc * 100 + ic * 10 + y * 2 + x) as f32)
                    })
                })
            })
            .collect();
        let bytes = weight_bytes(&oihw, Some([o, i, k, k]), Precision::Fp32, Layout::Nhwc);
        let ohwi = Precision::Fp32.decode(&bytes);
        // OHWI: index ((oc·k + y)·k + x)·i + ic.
        assert_eq!(ohwi[((k + 1) * k) * i + 2], 100.0 + 20.0 + 2.0);
        assert_eq!(ohwi[1], 10.0);

        let shape = Shape::new(3, 2, 2);
        let nchw: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let nhwc = nchw_to_nhwc(&nchw, shape);
        // Sample 1, position 3, channel 2: NCHW index 12 + 2·4 + 3 = 23.
        assert_eq!(nhwc[12 + 3 * 3 + 2], 23.0);
        assert_eq!(nhwc[1], 4.0);
    }
}
