//! [`PredictorSpec`]: everything a predictor file holds, in Rust form.

use super::scan::ScanNetwork;
use crate::adapt::{cost_slope, CostColumn, FeatureLayout, StructureLayout};
use crate::error::{Error, Result};
use crate::nn::Mlp;
use latscope_shared::encoding::Encoding;
use latscope_shared::space::{Arch, SpaceId};
use ndarray::{Array2, Axis};
use std::collections::BTreeMap;

/// The `embedding` output: one block per member,
/// `(raw − mean) · scale` with `raw = [member output (D) | standardised
/// input columns | member's last hidden layer]`. The output and input
/// columns are the block's "outputs" for [`crate::adapt`] (devices, and
/// e.g. ln MACs as a "FLOPs device").
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptationFeatures {
    /// Columns of the standardised input appended after the outputs.
    pub input_columns: Vec<usize>,
    /// `members × block width` values each.
    pub mean: Vec<f32>,
    /// Multipliers applied after subtracting [`Self::mean`], `members × block width` values:
    /// each part's weight (outputs, hidden layer, input columns) spread over its columns, over
    /// the column's standard deviation, so the parts count as intended in a ridge fit.
    pub scale: Vec<f32>,
    /// The adaptation this predictor was evaluated with (`auto`, `head`,
    /// `ridge`, `blend`): what consumers should use by default.
    pub default: crate::adapt::Adaptation,
    /// The structure columns appended to `embedding` (None: the file has
    /// none, and only the log-space adaptations work).
    pub structure: Option<StructureFeatures>,
}

/// The structure columns at the end of `embedding`:
/// `(raw − mean) · multiplier` with `raw = [trained devices' ms | operation
/// counts]`, the counts summed in the graph from the `onehot-v1` part of
/// the input (which must come first).
#[derive(Clone, Debug, PartialEq)]
pub struct StructureFeatures {
    /// Operations per searchable position.
    pub ops: usize,
    /// Values subtracted from the raw structure columns, `trained devices + ops` of them (ms
    /// for the device columns, counts for the operations).
    pub mean: Vec<f32>,
    /// Multipliers applied after subtracting [`Self::mean`], one per structure column, so that
    /// a ridge in ms over them is well scaled.
    pub multiplier: Vec<f32>,
}

/// A device added after training by few-shot adaptation, as the closed form
/// every adaptation in [`crate::adapt`] has:
/// `ms = exp(embedding·weights + bias) · max(embedding·lin_weights +
/// lin_bias, floor)^power` (`power` 0: the log-space part alone), so the
/// file predicts it like any other column.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptedDevice {
    /// The device's name, its `latency_ms` column label after the trained devices'.
    pub name: String,
    /// Weights of the log-space part over the embedding, one per `embedding` column (zeros for
    /// unused columns).
    pub weights: Vec<f32>,
    /// Intercept of the log-space part, in ln ms.
    pub bias: f32,
    /// Empty when `power` is 0.
    pub lin_weights: Vec<f32>,
    /// Intercept of the linear part, in ms; unused when `power` is 0.
    pub lin_bias: f32,
    /// Lower bound (ms, positive) on the linear part before raising it to `power`, so a
    /// negative extrapolation cannot give a NaN or a sign flip.
    pub floor: f32,
    /// Exponent of the linear part: 0 for a log-space fit alone, 1 for a fit in ms alone, in
    /// between for a blend of the two.
    pub power: f32,
    /// Measured architectures it was adapted from.
    pub samples: usize,
    /// Which fit it uses (`head`, `structured`, `blend`, `op-count`,
    /// `ridge`) and how well it predicted its samples left out.
    pub fit: String,
    /// Leave-one-out errors of the chosen fit on its samples, when they were computed (`None`
    /// for fits made without leave-one-out, e.g. too few samples).
    pub loo: Option<crate::adapt::LooSummary>,
}

impl AdaptedDevice {
    /// A device whose ln(ms) is affine in the embedding.
    pub fn log_affine(name: &str, weights: Vec<f32>, bias: f32, samples: usize, fit: &str) -> Self {
        AdaptedDevice {
            name: name.to_string(),
            weights,
            bias,
            lin_weights: vec![],
            lin_bias: 1.0,
            floor: 1.0,
            power: 0.0,
            samples,
            fit: fit.to_string(),
            loo: None,
        }
    }

    /// Latency (ms) of one embedding row.
    pub fn predict_row(&self, embedding: &[f32]) -> f32 {
        let dot = |w: &[f32]| embedding.iter().zip(w).map(|(e, w)| e * w).sum::<f32>();
        let log = (dot(&self.weights) + self.bias).exp();
        if self.power == 0.0 {
            return log;
        }
        log * (dot(&self.lin_weights) + self.lin_bias)
            .max(self.floor)
            .powf(self.power)
    }
}

/// A trained multi-device latency predictor.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictorSpec {
    /// The search space whose architectures the predictor takes.
    pub space: SpaceId,
    /// Encodings concatenated (in this order) to form the input.
    pub encodings: Vec<Encoding>,
    /// The trained devices, one per member output.
    pub devices: Vec<String>,
    /// Input standardisation: `(x - mean) / std` per input feature.
    pub input_mean: Vec<f32>,
    /// Per-feature standard deviations of the raw encoded input, `input_dim` values, all
    /// positive.
    pub input_std: Vec<f32>,
    /// Ensemble members, each mapping standardised inputs to standardised
    /// log-latencies (one per device) through at least one hidden layer;
    /// the prediction is their mean.
    pub members: Vec<Mlp>,
    /// `ln(ms) = z * output_std + output_mean` per device.
    pub output_mean: Vec<f32>,
    /// Per-device standard deviations of the training ln-ms targets, one per trained device.
    pub output_std: Vec<f32>,
    /// How the `embedding` output (the adaptation features) is made.
    pub adaptation: AdaptationFeatures,
    /// Devices added by adaptation, predicted after the trained ones.
    pub adapted: Vec<AdaptedDevice>,
    /// Architectures a new device should measure first for adaptation
    /// (canonical strings).
    pub reference_archs: Vec<String>,
    /// Method name and settings, e.g. `mlp-ridge`.
    pub method: String,
    /// Free-form key/values recorded as `latscope.extra.<key>` (training
    /// data summary, command line, measured accuracy...).
    pub extra: BTreeMap<String, String>,
    /// The small network distilled from the ensemble for whole-space scans
    /// (None: the file has none; scans run the ensemble).
    pub scan: Option<ScanNetwork>,
}

impl PredictorSpec {
    /// Length of the encoded input of one architecture.
    pub fn input_dim(&self) -> usize {
        self.encodings.iter().map(|e| e.dim(self.space)).sum()
    }

    /// Every `latency_ms` column: trained devices, then adapted ones.
    pub fn all_devices(&self) -> Vec<String> {
        let adapted = self.adapted.iter().map(|a| a.name.clone());
        self.devices.iter().cloned().chain(adapted).collect()
    }

    /// Width of one member's block of the `embedding` output.
    pub fn block_width(&self) -> usize {
        let hidden = self
            .members
            .first()
            .and_then(|m| m.layers.last())
            .map_or(0, |l| l.inputs());
        self.devices.len() + self.adaptation.input_columns.len() + hidden
    }

    /// Width of the structure columns (0 without them).
    pub fn structure_width(&self) -> usize {
        self.adaptation
            .structure
            .as_ref()
            .map_or(0, |s| self.devices.len() + s.ops)
    }

    /// Width of the `embedding` output.
    pub fn embedding_dim(&self) -> usize {
        self.members.len() * self.block_width() + self.structure_width()
    }

    /// The ln MACs output of each embedding block and its scale ([`cost_column_from`]).
    pub fn cost_column(&self) -> Option<CostColumn> {
        cost_column_from(
            self.space,
            &self.encodings,
            self.devices.len(),
            &self.adaptation.input_columns,
            &self.input_std,
            &self.adaptation.scale,
        )
    }

    /// How [`crate::adapt`] reads the `embedding` output.
    pub fn layout(&self) -> FeatureLayout {
        FeatureLayout {
            blocks: self.members.len(),
            outputs: self.devices.len() + self.adaptation.input_columns.len(),
            structure: self.adaptation.structure.as_ref().map(|s| StructureLayout {
                devices: self.devices.len(),
                ops: s.ops,
            }),
            cost: self.cost_column(),
        }
    }

    /// The `[input_dim × ops]` matrix that sums the `onehot-v1` part of the
    /// input into operation counts.
    pub fn count_matrix(&self, ops: usize) -> Vec<f32> {
        let f = self.input_dim();
        let onehot = self.space.onehot_len();
        let mut m = vec![0f32; f * ops];
        for c in 0..onehot.min(f) {
            m[c * ops + c % ops] = 1.0;
        }
        m
    }

    /// Checks that every part has the size the others imply.
    pub fn validate(&self) -> Result<()> {
        self.check_widths()?;
        self.check_members()?;
        self.check_adaptation_features()?;
        self.check_input_std()?;
        self.check_adapted_devices()?;
        match &self.scan {
            Some(scan) => scan.check(self.input_dim(), self.all_devices().len()),
            None => Ok(()),
        }
    }

    /// Something to standardise and predict, with the input and output
    /// standardisation as wide as the encodings and devices.
    fn check_widths(&self) -> Result<()> {
        let f = self.input_dim();
        let d = self.devices.len();
        if self.encodings.is_empty() {
            return inconsistent("no input encoding".into());
        }
        if d == 0 {
            return inconsistent("no devices".into());
        }
        if self.members.is_empty() {
            return inconsistent("no ensemble member".into());
        }
        if self.input_mean.len() != f || self.input_std.len() != f {
            return inconsistent(format!(
                "input width: encodings give {f}, mean/std have {}/{}",
                self.input_mean.len(),
                self.input_std.len()
            ));
        }
        if self.output_mean.len() != d || self.output_std.len() != d {
            return inconsistent(format!(
                "output width: {d} devices, mean/std have {}/{}",
                self.output_mean.len(),
                self.output_std.len()
            ));
        }
        Ok(())
    }

    /// Every member maps the input to the devices through at least one
    /// hidden layer, its layers fit together and its last hidden layer is
    /// as wide as the first member's (the embedding blocks share a width).
    fn check_members(&self) -> Result<()> {
        let f = self.input_dim();
        let d = self.devices.len();
        let hidden = self.members[0].layers.last().map_or(0, |l| l.inputs());
        for (m, mlp) in self.members.iter().enumerate() {
            if mlp.layers.len() < 2 {
                return inconsistent(format!(
                    "member {m}: the MLP needs a hidden layer (has {} layers)",
                    mlp.layers.len()
                ));
            }
            if mlp.inputs() != f || mlp.outputs() != d {
                return inconsistent(format!(
                    "member {m} maps {} inputs to {} outputs; the file has {f} and {d}",
                    mlp.inputs(),
                    mlp.outputs()
                ));
            }
            if mlp.layers.last().map(|l| l.inputs()) != Some(hidden) {
                return inconsistent(format!("member {m}: last hidden layer width differs"));
            }
            for pair in mlp.layers.windows(2) {
                if pair[0].outputs() != pair[1].inputs() {
                    return inconsistent(format!(
                        "member {m}: consecutive layers do not fit together"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `embedding` recipe fits: input columns inside the input, the
    /// structure columns' standardisation as wide as they are (and their
    /// counts computable), the blocks' standardisation as wide as the blocks.
    fn check_adaptation_features(&self) -> Result<()> {
        let f = self.input_dim();
        if let Some(&c) = self.adaptation.input_columns.iter().find(|&&c| c >= f) {
            return inconsistent(format!(
                "adaptation input column {c} is outside the {f} inputs"
            ));
        }
        let e = self.embedding_dim();
        let eb = e - self.structure_width();
        if let Some(st) = &self.adaptation.structure {
            self.check_structure(st)?;
        }
        if self.adaptation.mean.len() != eb || self.adaptation.scale.len() != eb {
            return inconsistent(format!(
                "embedding width {e}, adaptation mean/scale have {}/{}",
                self.adaptation.mean.len(),
                self.adaptation.scale.len()
            ));
        }
        Ok(())
    }

    /// The structure columns' standardisation is as wide as they are, and
    /// the operation counts can be summed from a leading `onehot-v1`.
    fn check_structure(&self, st: &StructureFeatures) -> Result<()> {
        let w = self.structure_width();
        if st.mean.len() != w || st.multiplier.len() != w {
            return inconsistent(format!(
                "structure width {w}, mean/multiplier have {}/{}",
                st.mean.len(),
                st.multiplier.len()
            ));
        }
        if self.encodings.first() != Some(&Encoding::OneHotV1)
            || st.ops == 0
            || !self.space.onehot_len().is_multiple_of(st.ops)
        {
            return inconsistent(format!(
                "structure columns need onehot-v1 as the first encoding and a whole number \
                 of positions of {} operations",
                st.ops
            ));
        }
        Ok(())
    }

    /// Every input standard deviation is positive and finite (the graph
    /// divides by it).
    fn check_input_std(&self) -> Result<()> {
        if let Some(i) = self
            .input_std
            .iter()
            .position(|s| !(*s > 0.0 && s.is_finite()))
        {
            return inconsistent(format!(
                "input_std[{i}] = {} is not positive",
                self.input_std[i]
            ));
        }
        Ok(())
    }

    /// Every adapted device has a weight per embedding column, and no
    /// device name (trained or adapted) appears twice.
    fn check_adapted_devices(&self) -> Result<()> {
        let e = self.embedding_dim();
        if let Some(a) = self
            .adapted
            .iter()
            .find(|a| a.weights.len() != e || (a.power != 0.0 && a.lin_weights.len() != e))
        {
            return inconsistent(format!(
                "adapted device {:?} has {}/{} weights for an embedding of {e}",
                a.name,
                a.weights.len(),
                a.lin_weights.len()
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self
            .all_devices()
            .into_iter()
            .find(|d| !seen.insert(d.clone()))
        {
            return inconsistent(format!("device {dup:?} appears twice"));
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
                return Err(Error::WrongSpace {
                    arch: arch.to_string(),
                    space: arch.space(),
                    of: "the predictor",
                    expected: self.space,
                });
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

    /// The input as the graph's first nodes standardise it (`h0`).
    pub fn standardise(&self, x: &Array2<f32>) -> Array2<f32> {
        let mut z = x.clone();
        for (mut col, (m, s)) in z
            .axis_iter_mut(Axis(1))
            .zip(self.input_mean.iter().zip(&self.input_std))
        {
            col.mapv_inplace(|v| (v - m) * (1.0 / s));
        }
        z
    }

    /// The scan network's latencies (ms) for encoded inputs, as the graph's
    /// `latency_ms_scan` output computes them; None without a scan network.
    pub fn forward_scan(&self, x: &Array2<f32>) -> Option<Array2<f32>> {
        let scan = self.scan.as_ref()?;
        Some(scan.forward_standardised(&self.standardise(x)))
    }

    /// The same computation as the ONNX graph, in Rust: latencies (ms) and
    /// embeddings for encoded inputs. The reference the file is tested
    /// against, and what training code uses.
    pub fn forward(&self, x: &Array2<f32>) -> (Array2<f32>, Array2<f32>) {
        let z = self.standardise(x);
        let picked = z.select(Axis(1), &self.adaptation.input_columns);
        let mut sum = Array2::<f32>::zeros((x.nrows(), self.devices.len()));
        let mut blocks = Vec::with_capacity(self.members.len());
        for mlp in &self.members {
            let mut outs = mlp.forward_all(z.view());
            let y = outs.pop().expect("the MLP has layers");
            let hidden = outs.pop().expect("the MLP has a hidden layer");
            sum += &y;
            blocks.push(
                ndarray::concatenate(Axis(1), &[y.view(), picked.view(), hidden.view()])
                    .expect("same rows"),
            );
        }
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        let mut embedding = ndarray::concatenate(Axis(1), &views).expect("same rows");
        for (mut col, (m, s)) in embedding
            .axis_iter_mut(Axis(1))
            .zip(self.adaptation.mean.iter().zip(&self.adaptation.scale))
        {
            col.mapv_inplace(|v| (v - m) * s);
        }
        let k = 1.0 / self.members.len() as f32;
        for (mut col, (m, s)) in sum
            .axis_iter_mut(Axis(1))
            .zip(self.output_mean.iter().zip(&self.output_std))
        {
            col.mapv_inplace(|v| (v * k * s + m).exp());
        }
        if let Some(st) = &self.adaptation.structure {
            let counts = x.dot(
                &Array2::from_shape_vec((x.ncols(), st.ops), self.count_matrix(st.ops))
                    .expect("count matrix shape"),
            );
            let mut tail =
                ndarray::concatenate(Axis(1), &[sum.view(), counts.view()]).expect("same rows");
            for (mut col, (m, k)) in tail
                .axis_iter_mut(Axis(1))
                .zip(st.mean.iter().zip(&st.multiplier))
            {
                col.mapv_inplace(|v| (v - m) * k);
            }
            embedding =
                ndarray::concatenate(Axis(1), &[embedding.view(), tail.view()]).expect("same rows");
        }
        if self.adapted.is_empty() {
            return (sum, embedding);
        }
        let extra = Array2::from_shape_fn((x.nrows(), self.adapted.len()), |(i, a)| {
            let row: Vec<f32> = embedding.row(i).to_vec();
            self.adapted[a].predict_row(&row)
        });
        let all = ndarray::concatenate(Axis(1), &[sum.view(), extra.view()]).expect("same rows");
        (all, embedding)
    }
}

/// The error of a spec whose parts do not fit together.
fn inconsistent(what: String) -> Result<()> {
    Err(Error::InvalidModel(format!(
        "inconsistent predictor: {what}"
    )))
}

/// The ln MACs output column of each embedding block and how many ln MACs one unit of it is:
/// there when the one input column appended to the `devices` outputs is `features-v1`'s first,
/// ln(1 + MACs) (how [`crate::methods::MlpRidge`] builds it), standardised with `input_std` and
/// scaled by the block's `scale`.
pub fn cost_column_from(
    space: SpaceId,
    encodings: &[Encoding],
    devices: usize,
    input_columns: &[usize],
    input_std: &[f32],
    scale: &[f32],
) -> Option<CostColumn> {
    let &[input] = input_columns else {
        return None;
    };
    let before: usize = encodings
        .iter()
        .take_while(|e| **e != Encoding::FeaturesV1)
        .map(|e| e.dim(space))
        .sum();
    let is_macs = encodings.contains(&Encoding::FeaturesV1)
        && input == before
        && latscope_shared::encoding::feature_names()[0] == "ln1p_macs";
    let column_scale = *scale.get(devices)?;
    let std = f64::from(*input_std.get(input)?);
    (is_macs && column_scale > 0.0).then(|| CostColumn {
        column: devices,
        slope: cost_slope(std, column_scale),
    })
}
