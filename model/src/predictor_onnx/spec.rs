//! [`PredictorSpec`]: everything a predictor file holds, in Rust form.

use crate::error::{Error, Result};
use crate::nn::Mlp;
use latscope_shared::encoding::Encoding;
use latscope_shared::space::{Arch, SpaceId};
use ndarray::{Array2, Axis};
use std::collections::BTreeMap;

/// A trained multi-device latency predictor.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictorSpec {
    pub space: SpaceId,
    /// Encodings concatenated (in this order) to form the input.
    pub encodings: Vec<Encoding>,
    /// One name per output column.
    pub devices: Vec<String>,
    /// Input standardisation: `(x - mean) / std` per input feature.
    pub input_mean: Vec<f32>,
    pub input_std: Vec<f32>,
    /// Maps standardised inputs to standardised log-latencies; at least one
    /// hidden layer (its last hidden layer is the `embedding` output).
    pub mlp: Mlp,
    /// `ln(ms) = z * output_std + output_mean` per device.
    pub output_mean: Vec<f32>,
    pub output_std: Vec<f32>,
    /// Architectures a new device should measure first for adaptation
    /// (canonical strings).
    pub reference_archs: Vec<String>,
    /// Method name and settings, e.g. `mlp-ridge`.
    pub method: String,
    /// Free-form key/values recorded as `latscope.extra.<key>` (training
    /// data summary, command line, measured accuracy...).
    pub extra: BTreeMap<String, String>,
}

impl PredictorSpec {
    /// Length of the encoded input of one architecture.
    pub fn input_dim(&self) -> usize {
        self.encodings.iter().map(|e| e.dim(self.space)).sum()
    }

    /// Width of the `embedding` output.
    pub fn embedding_dim(&self) -> usize {
        self.mlp.layers.last().map_or(0, |last| last.inputs())
    }

    /// Checks that every part has the size the others imply.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| {
            Err(Error::InvalidModel(format!(
                "inconsistent predictor: {what}"
            )))
        };
        let f = self.input_dim();
        let d = self.devices.len();
        if self.encodings.is_empty() {
            return bad("no input encoding".into());
        }
        if d == 0 {
            return bad("no devices".into());
        }
        if self.mlp.layers.len() < 2 {
            return bad(format!(
                "the MLP needs a hidden layer (has {} layers)",
                self.mlp.layers.len()
            ));
        }
        if self.mlp.inputs() != f || self.input_mean.len() != f || self.input_std.len() != f {
            return bad(format!(
                "input width: encodings give {f}, MLP takes {}, mean/std have {}/{}",
                self.mlp.inputs(),
                self.input_mean.len(),
                self.input_std.len()
            ));
        }
        if self.mlp.outputs() != d || self.output_mean.len() != d || self.output_std.len() != d {
            return bad(format!(
                "output width: {d} devices, MLP gives {}, mean/std have {}/{}",
                self.mlp.outputs(),
                self.output_mean.len(),
                self.output_std.len()
            ));
        }
        for pair in self.mlp.layers.windows(2) {
            if pair[0].outputs() != pair[1].inputs() {
                return bad("consecutive layers do not fit together".into());
            }
        }
        if let Some(i) = self
            .input_std
            .iter()
            .position(|s| !(*s > 0.0 && s.is_finite()))
        {
            return bad(format!(
                "input_std[{i}] = {} is not positive",
                self.input_std[i]
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.devices.iter().find(|d| !seen.insert(*d)) {
            return bad(format!("device {dup:?} appears twice"));
        }
        Ok(())
    }

    /// Encodes architectures into the `[N, F]` input (unstandardised: the
    /// graph standardises).
    pub fn encode(&self, archs: &[Arch]) -> Result<Array2<f32>> {
        let f = self.input_dim();
        let mut x = Array2::zeros((archs.len(), f));
        for (row, arch) in x.axis_iter_mut(Axis(0)).zip(archs) {
            if arch.space() != self.space {
                return Err(Error::InvalidInput(format!(
                    "{arch} is a {} architecture but the predictor is for {}",
                    arch.space(),
                    self.space
                )));
            }
            let mut values = Vec::with_capacity(f);
            for e in &self.encodings {
                values.extend(e.encode(arch)?);
            }
            for (dst, v) in row.into_iter().zip(values) {
                *dst = v;
            }
        }
        Ok(x)
    }

    /// The same computation as the ONNX graph, in Rust: latencies (ms) and
    /// embeddings for encoded inputs. The reference the file is tested
    /// against, and what training code uses.
    pub fn forward(&self, x: &Array2<f32>) -> (Array2<f32>, Array2<f32>) {
        let mut z = x.clone();
        for (mut col, (m, s)) in z
            .axis_iter_mut(Axis(1))
            .zip(self.input_mean.iter().zip(&self.input_std))
        {
            col.mapv_inplace(|v| (v - m) * (1.0 / s));
        }
        let mut outs = self.mlp.forward_all(z.view());
        let mut y = outs.pop().expect("the MLP has layers");
        let embedding = outs.pop().expect("the MLP has a hidden layer");
        for (mut col, (m, s)) in y
            .axis_iter_mut(Axis(1))
            .zip(self.output_mean.iter().zip(&self.output_std))
        {
            col.mapv_inplace(|v| (v * s + m).exp());
        }
        (y, embedding)
    }
}
