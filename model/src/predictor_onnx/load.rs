//! Loading a predictor file and running it: in tract (the ONNX graph
//! itself), or by the reference forward pass of the file's weights
//! ([`PredictorSpec::forward`], the Rust computation the graph is tested
//! against), which needs no tract and loads in milliseconds.

use super::metadata::decode_file;
use super::metadata::PredictorMeta;
use super::spec::{AdaptedDevice, PredictorSpec};
#[cfg(feature = "tract")]
use super::ENCODED_ROWS;
use super::{EMBEDDING_OUTPUT, INPUT_NAME, LATENCY_OUTPUT, RAW_INPUT_NAME, SCAN_OUTPUT};
use crate::adapt::{
    adapt_log_latency, fit_device, suggest_rows, AdaptConfig, Adaptation, DeviceFit,
    StructuredConfig, SUGGESTED_DESIGN,
};
#[cfg(feature = "tract")]
use crate::error::TractFailure;
use crate::error::{Error, Result};
use crate::onnx_pb::read::{ModelProto, ValueInfoProto};
use latscope_shared::space::Arch;
use ndarray::{Array2, Axis};
#[cfg(feature = "tract")]
use tract_onnx::prelude::*;

#[cfg(feature = "tract")]
type Plan = std::sync::Arc<TypedSimplePlan>;
#[cfg(feature = "tract")]
use std::sync::OnceLock;

/// A loaded predictor: its metadata and the engine that computes its
/// outputs for any batch.
pub struct Predictor {
    meta: PredictorMeta,
    engine: Engine,
}

/// What computes a predictor's outputs.
enum Engine {
    /// The file's ONNX graph, run by tract.
    #[cfg(feature = "tract")]
    Tract {
        /// `latency_ms` and `embedding` from the ensemble.
        plan: Plan,
        /// The graph with `latency_ms_scan` as its only output, when the
        /// file has a scan network; optimised into `scan_plan` on first
        /// use, so loading does not pay for a plan that only whole-space
        /// scans need.
        scan_model: Option<InferenceModel>,
        scan_plan: OnceLock<Plan>,
    },
    /// The file's weights, run by the reference forward pass. Boxed: a
    /// spec holds every weight of the file.
    Reference(Box<PredictorSpec>),
}

/// Which engine a [`Predictor`] runs its file with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// The ONNX graph in tract ([`Predictor::from_bytes`]).
    Tract,
    /// The reference forward pass of the file's weights
    /// ([`Predictor::reference_from_bytes`]).
    Reference,
}

impl EngineKind {
    /// `tract` or `reference`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Tract => "tract",
            EngineKind::Reference => "reference",
        }
    }
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Predictor")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// Latencies (ms, `[N, D]`) and embeddings (`[N, H]`) of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Predicted latency in ms, one row per architecture and one column per device of
    /// [`PredictorMeta::devices`].
    pub latency_ms: Array2<f32>,
    /// The adaptation features of each architecture (`embedding_dim` columns), for fitting new
    /// devices with [`crate::adapt`].
    pub embedding: Array2<f32>,
}

/// Runs `plan` on `x`; its outputs, named `names` for errors, as 2-D arrays.
#[cfg(feature = "tract")]
fn run_plan(plan: &Plan, x: &Array2<f32>, names: &[&str]) -> Result<Vec<Array2<f32>>> {
    let input: Tensor = x.clone().into_dyn().into();
    let outputs = plan
        .run(tvec!(input.into()))
        .map_err(TractFailure::during("running the predictor"))?;
    outputs
        .iter()
        .zip(names)
        .map(|(output, name)| {
            output
                .to_plain_array_view::<f32>()
                .map_err(TractFailure::during(format!("reading output {name}")))?
                .to_owned()
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| Error::InvalidModel(format!("output {name} is not 2-D: {e}")))
        })
        .collect()
}

/// The optimised, runnable plan of a graph with its input shape set.
#[cfg(feature = "tract")]
fn plan_of(model: InferenceModel) -> Result<Plan> {
    Ok(model
        .into_optimized()
        .map_err(TractFailure::during("optimising the predictor"))?
        .into_runnable()
        .map_err(TractFailure::during("planning the predictor"))?)
}

/// Leaves the graph that latscope runs in tract: the encoded `arch` input
/// alone. latscope encodes on its side (with cached encodings), and tract
/// would fold `arch`, whose empty default is an initializer, into a
/// constant.
#[cfg(feature = "tract")]
pub(super) fn cut_raw_input(proto: &mut tract_onnx::pb::ModelProto) {
    use super::raw_input::{RAW_PREFIX, ROWS_NODE};
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    graph
        .node
        .retain(|n| !n.name.starts_with(RAW_PREFIX) && n.name != ROWS_NODE);
    for name in graph.node.iter_mut().flat_map(|n| n.input.iter_mut()) {
        if name == ENCODED_ROWS {
            *name = INPUT_NAME.to_string();
        }
    }
    graph.input.retain(|i| i.name != RAW_INPUT_NAME);
    graph
        .initializer
        .retain(|t| !t.name.starts_with(RAW_PREFIX) && t.name != INPUT_NAME);
}

/// The metadata of a predictor file whose graph has the predictor's input
/// and outputs; foreign graphs get an error naming what they have.
fn checked_meta(model: &ModelProto) -> Result<PredictorMeta> {
    let meta = PredictorMeta::from_proto(model)?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| Error::InvalidModel("the model has no graph".into()))?;
    let names = |list: &[ValueInfoProto]| list.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
    let inputs = names(&graph.input);
    let outputs = names(&graph.output);
    let expected: &[&str] = if meta.scan.is_some() {
        &[LATENCY_OUTPUT, EMBEDDING_OUTPUT, SCAN_OUTPUT]
    } else {
        &[LATENCY_OUTPUT, EMBEDDING_OUTPUT]
    };
    let expected_inputs: &[&str] = if meta.raw_input.is_some() {
        &[RAW_INPUT_NAME, INPUT_NAME]
    } else {
        &[INPUT_NAME]
    };
    if inputs != expected_inputs || outputs != expected {
        return Err(Error::InvalidModel(format!(
            "a predictor has inputs {expected_inputs:?} (with {RAW_INPUT_NAME} exactly when \
             the metadata describes it) and outputs {expected:?} (the third only when the \
             metadata records a scan network); this file has inputs {inputs:?} and outputs \
             {outputs:?}"
        )));
    }
    Ok(meta)
}

impl Predictor {
    /// Loads a predictor from ONNX bytes into tract. Foreign or malformed
    /// files get an error saying what is wrong with them.
    #[cfg(feature = "tract")]
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let meta = checked_meta(&decode_file(bytes)?)?;
        let mut proto: tract_onnx::pb::ModelProto = prost::Message::decode(bytes)
            .map_err(|e| Error::InvalidModel(format!("the bytes are not an ONNX model ({e})")))?;
        if meta.raw_input.is_some() {
            cut_raw_input(&mut proto);
        }
        let mut inference = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .map_err(TractFailure::during("translating the predictor graph"))?;
        let batch = inference.symbols.sym("N");
        inference
            .set_input_fact(
                0,
                f32::fact(&[batch.to_dim(), meta.input_dim.to_dim()]).into(),
            )
            .map_err(TractFailure::during("setting the input shape"))?;
        // Each plan computes only its outputs: optimising prunes the rest.
        let scan_model = if meta.scan.is_some() {
            let mut scan = inference.clone();
            let scan_outlet = inference
                .output_outlets()
                .map_err(TractFailure::during("reading the outputs"))?[2];
            scan.select_output_outlets(&[scan_outlet])
                .map_err(TractFailure::during("selecting the scan output"))?;
            Some(scan)
        } else {
            None
        };
        let ensemble_outputs = inference
            .output_outlets()
            .map_err(TractFailure::during("reading the outputs"))?[..2]
            .to_vec();
        inference
            .select_output_outlets(&ensemble_outputs)
            .map_err(TractFailure::during("selecting the ensemble outputs"))?;
        let plan = plan_of(inference)?;
        Ok(Predictor {
            meta,
            engine: Engine::Tract {
                plan,
                scan_model,
                scan_plan: OnceLock::new(),
            },
        })
    }

    /// Loads a model built with tract-onnx's types into tract.
    #[cfg(feature = "tract")]
    pub fn from_model(model: &tract_onnx::pb::ModelProto) -> Result<Self> {
        Self::from_bytes(&prost::Message::encode_to_vec(model))
    }

    /// Loads a predictor from ONNX bytes for the reference forward pass of
    /// its weights: the same numbers as [`Self::from_bytes`] (to float
    /// rounding; tested on the shipped files), without tract, so it loads
    /// in milliseconds and a wasm module that only uses this leaves tract
    /// out. Only files latscope wrote can be read this way, as only they
    /// can be read at all.
    pub fn reference_from_bytes(bytes: &[u8]) -> Result<Self> {
        let model = decode_file(bytes)?;
        let meta = checked_meta(&model)?;
        let spec = PredictorSpec::from_proto_and_meta(&model, meta.clone())?;
        Ok(Predictor {
            meta,
            engine: Engine::Reference(Box::new(spec)),
        })
    }

    /// Which engine computes this predictor's outputs.
    pub fn engine(&self) -> EngineKind {
        match self.engine {
            #[cfg(feature = "tract")]
            Engine::Tract { .. } => EngineKind::Tract,
            Engine::Reference(_) => EngineKind::Reference,
        }
    }

    /// The file's metadata: space, encodings, devices and embedding layout.
    pub fn meta(&self) -> &PredictorMeta {
        &self.meta
    }

    /// Predicts from encoded inputs `[N, input_dim]`.
    pub fn predict_encoded(&self, x: &Array2<f32>) -> Result<Prediction> {
        self.check_input(x)?;
        if x.nrows() == 0 {
            let d = self.meta.devices.len();
            return Ok(Prediction {
                latency_ms: Array2::zeros((0, d)),
                embedding: Array2::zeros((0, self.meta.embedding_dim)),
            });
        }
        let (latency_ms, embedding) = match &self.engine {
            #[cfg(feature = "tract")]
            Engine::Tract { plan, .. } => {
                let mut outputs = run_plan(plan, x, &[LATENCY_OUTPUT, EMBEDDING_OUTPUT])?;
                let embedding = outputs.pop().expect("two outputs");
                (outputs.pop().expect("two outputs"), embedding)
            }
            Engine::Reference(spec) => spec.forward(x),
        };
        Ok(Prediction {
            latency_ms,
            embedding,
        })
    }

    fn check_input(&self, x: &Array2<f32>) -> Result<()> {
        if x.ncols() != self.meta.input_dim {
            return Err(Error::CountMismatch {
                context: "predictor input".into(),
                got: x.ncols(),
                got_what: "values per architecture",
                expected: self.meta.input_dim,
                expected_what: "input values the predictor takes",
            });
        }
        Ok(())
    }

    /// Whether the file has a scan network ([`Self::predict_scan_encoded`]).
    pub fn has_scan_network(&self) -> bool {
        self.meta.scan.is_some()
    }

    /// Latencies (ms, `[N, D]`) from the file's scan network, the cheap
    /// stand-in for the ensemble's `latency_ms` when a whole space is
    /// ranked; None when the file has none.
    pub fn predict_scan_encoded(&self, x: &Array2<f32>) -> Result<Option<Array2<f32>>> {
        if !self.has_scan_network() {
            return Ok(None);
        }
        self.check_input(x)?;
        if x.nrows() == 0 {
            return Ok(Some(Array2::zeros((0, self.meta.devices.len()))));
        }
        match &self.engine {
            #[cfg(feature = "tract")]
            Engine::Tract {
                scan_model: Some(model),
                scan_plan,
                ..
            } => {
                let plan = match scan_plan.get() {
                    Some(plan) => plan,
                    None => {
                        let plan = plan_of(model.clone())?;
                        scan_plan.get_or_init(|| plan)
                    }
                };
                Ok(run_plan(plan, x, &[SCAN_OUTPUT])?.pop())
            }
            #[cfg(feature = "tract")]
            Engine::Tract {
                scan_model: None, ..
            } => Ok(None),
            Engine::Reference(spec) => Ok(spec.forward_scan(x)),
        }
    }

    /// Encodes architectures into the `[N, input_dim]` input with the
    /// file's encodings.
    pub fn encode(&self, archs: &[Arch]) -> Result<Array2<f32>> {
        let f = self.meta.input_dim;
        let mut x = Array2::zeros((archs.len(), f));
        for (i, arch) in archs.iter().enumerate() {
            if arch.space() != self.meta.space {
                return Err(Error::WrongSpace {
                    arch: arch.to_string(),
                    space: arch.space(),
                    of: "the predictor",
                    expected: self.meta.space,
                });
            }
            let mut col = 0;
            for e in &self.meta.encodings {
                for v in e.encode(arch)? {
                    x[[i, col]] = v;
                    col += 1;
                }
            }
        }
        Ok(x)
    }

    /// Encodes architectures with the file's encodings and predicts them.
    pub fn predict_archs(&self, archs: &[Arch]) -> Result<Prediction> {
        self.predict_encoded(&self.encode(archs)?)
    }

    /// Latency (ms) on a new device for each query architecture, adapted
    /// from measured `(architecture, ms)` samples with [`crate::adapt`]
    /// (`adaptation`: None for the file's default). Samples the runtime folded into a
    /// constant ([`folded_samples`]) are left out of the fit.
    pub fn adapt(
        &self,
        samples: &[(Arch, f64)],
        query: &[Arch],
        adaptation: Option<Adaptation>,
    ) -> Result<Vec<f64>> {
        let kept = without_folded(samples)?;
        let samples = kept.as_slice();
        let sample_archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
        let sample_features = self.predict_archs(&sample_archs)?.embedding;
        let query_features = self.predict_archs(query)?.embedding;
        let measured: Vec<f64> = samples.iter().map(|(_, ms)| *ms).collect();
        self.adapt_features(&sample_features, &measured, &query_features, adaptation)
    }

    /// [`adapt`](Self::adapt) from `embedding` rows already computed (the
    /// browser predicts the whole space once and adapts many times).
    pub fn adapt_features(
        &self,
        sample_features: &Array2<f32>,
        measured_ms: &[f64],
        query_features: &Array2<f32>,
        adaptation: Option<Adaptation>,
    ) -> Result<Vec<f64>> {
        if let Some((i, v)) = measured_ms
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            return Err(Error::NonPositiveLatency { sample: i, ms: *v });
        }
        let adaptation = adaptation.unwrap_or(self.meta.adaptation);
        if adaptation == Adaptation::Auto {
            return self
                .fit_device(sample_features, measured_ms)?
                .predict(query_features.view());
        }
        let config = AdaptConfig {
            adaptation,
            ..AdaptConfig::default()
        };
        let log_ms: Vec<f64> = measured_ms.iter().map(|v| v.ln()).collect();
        let log = adapt_log_latency(
            sample_features.view(),
            &log_ms,
            query_features.view(),
            self.meta.layout,
            &config,
        )?;
        Ok(log.into_iter().map(f64::exp).collect())
    }

    /// The `auto` adaptation's fit ([`fit_device`]) from `embedding` rows
    /// and measured ms: which fit the device uses, its formula and its
    /// leave-one-out confidence.
    pub fn fit_device(
        &self,
        sample_features: &Array2<f32>,
        measured_ms: &[f64],
    ) -> Result<DeviceFit> {
        fit_device(
            sample_features.view(),
            measured_ms,
            self.meta.layout,
            &StructuredConfig::default(),
        )
    }

    /// The `n` of `candidates` to measure next on a new device where the
    /// `measured` architectures are known already, as indices into
    /// `candidates`, most informative first ([`suggest_rows`] over
    /// [`SUGGESTED_DESIGN`]). `candidate_embedding` holds the candidates'
    /// `embedding` rows in the same order (callers that predicted them
    /// already pass them in); measured candidates are never suggested.
    pub fn suggest_among(
        &self,
        measured: &[Arch],
        candidates: &[Arch],
        candidate_embedding: &Array2<f32>,
        n: usize,
        include_constant_output: bool,
    ) -> Result<Vec<usize>> {
        if candidate_embedding.nrows() != candidates.len() {
            return Err(Error::CountMismatch {
                context: "suggest".into(),
                got: candidate_embedding.nrows(),
                got_what: "embedding rows",
                expected: candidates.len(),
                expected_what: "candidates",
            });
        }
        let measured_set: std::collections::HashSet<&Arch> = measured.iter().collect();
        // A network whose output cannot depend on its input times nothing on a runtime that
        // folds it into a constant: not worth a measurement unless asked for.
        let open: Vec<usize> = (0..candidates.len())
            .filter(|&i| !measured_set.contains(&candidates[i]))
            .filter(|&i| include_constant_output || candidates[i].output_depends_on_input())
            .collect();
        let measured_rows = self.predict_archs(measured)?.embedding;
        let rows = ndarray::concatenate(
            Axis(0),
            &[
                measured_rows.view(),
                candidate_embedding.select(Axis(0), &open).view(),
            ],
        )
        .map_err(|error| Error::Shape {
            context: "suggest: embedding rows",
            error,
        })?;
        let design = self
            .meta
            .layout
            .design_columns(rows.view(), SUGGESTED_DESIGN)?;
        let m = measured.len();
        let measured_rows: Vec<usize> = (0..m).collect();
        let open_rows: Vec<usize> = (m..rows.nrows()).collect();
        Ok(suggest_rows(design, &measured_rows, &open_rows, n)?
            .into_iter()
            .map(|r| open[r - m])
            .collect())
    }

    /// A new device adapted from measured `(architecture, ms)` samples, as
    /// the closed form [`adapt`](Self::adapt) applies, ready to be written
    /// into a predictor file: the `auto` fit's formula as it is, a
    /// log-space adaptation as the affine map from `embedding` to ln(ms)
    /// (recovered by evaluating it at the origin and at every unit vector).
    pub fn adapted_device(
        &self,
        name: &str,
        samples: &[(Arch, f64)],
        adaptation: Option<Adaptation>,
    ) -> Result<AdaptedDevice> {
        let archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
        let sample_features = self.predict_archs(&archs)?.embedding;
        let measured: Vec<f64> = samples.iter().map(|(_, ms)| *ms).collect();
        let adaptation = adaptation.unwrap_or(self.meta.adaptation);
        if adaptation == Adaptation::Auto {
            let fit = self.fit_device(&sample_features, &measured)?;
            let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            return Ok(AdaptedDevice {
                name: name.to_string(),
                weights: f32s(&fit.log_weights),
                bias: fit.log_bias as f32,
                lin_weights: if fit.power == 0.0 {
                    vec![]
                } else {
                    f32s(&fit.lin_weights)
                },
                lin_bias: fit.lin_bias as f32,
                floor: fit.floor as f32,
                power: fit.power as f32,
                samples: samples.len(),
                fit: fit.kind.name().to_string(),
                loo: Some(fit.loo),
            });
        }
        let e = self.meta.embedding_dim;
        let mut probes = Array2::<f32>::zeros((e + 1, e));
        for i in 0..e {
            probes[[i + 1, i]] = 1.0;
        }
        let ms = self.adapt_features(&sample_features, &measured, &probes, Some(adaptation))?;
        let bias = ms[0].ln();
        Ok(AdaptedDevice::log_affine(
            name,
            ms[1..].iter().map(|v| (v.ln() - bias) as f32).collect(),
            bias as f32,
            samples.len(),
            adaptation.name(),
        ))
    }
}

/// The samples a runtime folded into a constant ([`crate::adapt::folded`]), as indices into
/// `samples`.
pub fn folded_samples(samples: &[(Arch, f64)]) -> Vec<usize> {
    let constant: Vec<bool> = samples
        .iter()
        .map(|(a, _)| !a.output_depends_on_input())
        .collect();
    let ms: Vec<f64> = samples.iter().map(|(_, v)| *v).collect();
    crate::adapt::folded(&constant, &ms)
}

/// `samples` without those [`folded_samples`] names: what every adaptation of a file fits on
/// (`profiler adapt`, the page, the stated confidence). A latency that is not a positive number
/// is an error first, whatever its architecture.
pub fn without_folded(samples: &[(Arch, f64)]) -> Result<Vec<(Arch, f64)>> {
    if let Some((sample, (_, ms))) = samples
        .iter()
        .enumerate()
        .find(|(_, (_, v))| !(v.is_finite() && *v > 0.0))
    {
        return Err(Error::NonPositiveLatency { sample, ms: *ms });
    }
    let folded = folded_samples(samples);
    Ok(samples
        .iter()
        .enumerate()
        .filter(|(i, _)| !folded.contains(i))
        .map(|(_, s)| s.clone())
        .collect())
}
