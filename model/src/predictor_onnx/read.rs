//! Reading a [`PredictorSpec`] back from a predictor file, so a file can be
//! extended (e.g. with adapted devices) and written again.

use super::metadata::{self as meta, PredictorMeta};
use super::metadata::{decode_file, metadata_props};
use super::scan::{ScanAgreement, ScanNetwork};
use super::spec::{AdaptationFeatures, AdaptedDevice, PredictorSpec, StructureFeatures};
use crate::error::{Error, Result};
use crate::nn::{Dense, Mlp};
use crate::onnx_pb::read::{ModelProto, TensorProto};
use ndarray::{Array1, Array2};
use std::collections::{BTreeMap, HashMap};

fn invalid(what: String) -> Error {
    Error::InvalidModel(format!("cannot read the predictor back: {what}"))
}

struct Tensors<'a>(HashMap<&'a str, &'a TensorProto>);

impl<'a> Tensors<'a> {
    /// The initializers of a decoded predictor file, by name.
    fn of(model: &'a ModelProto) -> Result<Self> {
        let graph = model
            .graph
            .as_ref()
            .ok_or_else(|| invalid("no graph".into()))?;
        Ok(Tensors(
            graph
                .initializer
                .iter()
                .map(|t| (t.name.as_str(), t))
                .collect(),
        ))
    }
}

impl Tensors<'_> {
    fn f32s(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let t = self
            .0
            .get(name)
            .ok_or_else(|| invalid(format!("no initializer {name:?}")))?;
        let values = t
            .f32_values()
            .ok_or_else(|| invalid(format!("{name:?} is not float32 data")))?;
        let dims: Vec<usize> = t.dims.iter().map(|&d| d.max(0) as usize).collect();
        if dims.iter().product::<usize>() != values.len() {
            return Err(invalid(format!(
                "{name:?}: dims {dims:?} do not match its data"
            )));
        }
        Ok((dims, values))
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn i64s(&self, name: &str) -> Result<Vec<i64>> {
        let t = self
            .0
            .get(name)
            .ok_or_else(|| invalid(format!("no initializer {name:?}")))?;
        if !t.raw_data.is_empty() {
            let chunks = t.raw_data.chunks_exact(8);
            if !chunks.remainder().is_empty() {
                return Err(invalid(format!("{name:?}: truncated int64 data")));
            }
            return Ok(chunks
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect());
        }
        Ok(t.int64_data.clone())
    }
}

fn json_f32s(props: &BTreeMap<&str, &str>, key: &str) -> Result<Vec<f32>> {
    let text = props.get(key).ok_or_else(|| invalid(format!("no {key}")))?;
    serde_json::from_str(text).map_err(|e| invalid(format!("{key}: {e}")))
}

impl PredictorSpec {
    /// The spec of a predictor file written by `export_predictor`, from its
    /// bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_proto(&decode_file(bytes)?)
    }

    /// The spec of a predictor model built with tract-onnx's types.
    #[cfg(feature = "tract")]
    pub fn from_model(model: &tract_onnx::pb::ModelProto) -> Result<Self> {
        Self::from_bytes(&prost::Message::encode_to_vec(model))
    }

    /// The spec of a decoded predictor file.
    pub(crate) fn from_proto(model: &ModelProto) -> Result<Self> {
        Self::from_proto_and_meta(model, PredictorMeta::from_proto(model)?)
    }

    /// The spec of a decoded predictor file whose metadata `m` the caller
    /// has read already.
    pub(crate) fn from_proto_and_meta(model: &ModelProto, m: PredictorMeta) -> Result<Self> {
        let tensors = Tensors::of(model)?;
        let props = metadata_props(model);
        let members = read_members(&tensors, m.layout.blocks)?;
        let trained = m.devices[..m.trained_devices].to_vec();
        let input_columns = read_input_columns(&tensors)?;
        let (_, adapt_mean) = tensors.f32s("adapt.mean")?;
        let (_, adapt_scale) = tensors.f32s("adapt.scale")?;
        let adapted_meta = read_adapted_meta(&props)?;
        let structure = read_structure(&tensors)?;
        let adapted = read_adapted(&tensors, adapted_meta)?;
        let extra = m.extra.clone();
        let scan = read_scan(&tensors, m.scan.clone())?;
        let spec = PredictorSpec {
            space: m.space,
            encodings: m.encodings,
            devices: trained,
            input_mean: json_f32s(&props, meta::INPUT_MEAN)?,
            input_std: json_f32s(&props, meta::INPUT_STD)?,
            members,
            output_mean: json_f32s(&props, meta::OUTPUT_MEAN)?,
            output_std: json_f32s(&props, meta::OUTPUT_STD)?,
            adaptation: AdaptationFeatures {
                input_columns,
                mean: adapt_mean,
                scale: adapt_scale,
                default: m.adaptation,
                structure,
            },
            adapted,
            reference_archs: m.reference_archs,
            method: m.method,
            extra,
            scan,
        };
        // The weights (initializers) and the metadata must fit together; a
        // file that fails here has one of them wrong, and either may be it.
        spec.validate().map_err(|e| {
            invalid(format!(
                "its weights and its metadata ({}, {}, {}, {}, {}, {}) do not fit together: {e}",
                meta::INPUT_MEAN,
                meta::INPUT_STD,
                meta::OUTPUT_MEAN,
                meta::OUTPUT_STD,
                meta::DEVICES,
                meta::TRAINED_DEVICES,
            ))
        })?;
        Ok(spec)
    }
}

/// The `blocks` ensemble members, each from its `member{k}.layer{i}`
/// weights and biases.
fn read_members(tensors: &Tensors<'_>, blocks: usize) -> Result<Vec<Mlp>> {
    let stored = (0..)
        .take_while(|k| tensors.has(&format!("member{k}.layer0.weight")))
        .count();
    if stored != blocks {
        return Err(invalid(format!(
            "{} is {blocks} but the file has the weights of {stored} ensemble members",
            meta::EMBEDDING_BLOCKS
        )));
    }
    (0..blocks)
        .map(|k| read_mlp(tensors, &format!("member{k}")))
        .collect()
}

/// The MLP whose layers are `{name}.layer{i}.weight` and `.bias` (as many
/// layers as there are weights).
fn read_mlp(tensors: &Tensors<'_>, name: &str) -> Result<Mlp> {
    let mut layers = Vec::new();
    while tensors.has(&format!("{name}.layer{}.weight", layers.len())) {
        let i = layers.len();
        let (dims, w) = tensors.f32s(&format!("{name}.layer{i}.weight"))?;
        let (_, b) = tensors.f32s(&format!("{name}.layer{i}.bias"))?;
        if dims.len() != 2 || b.len() != dims[1] {
            return Err(invalid(format!("{name} layer {i}: bad shapes {dims:?}")));
        }
        layers.push(Dense {
            weight: Array2::from_shape_vec((dims[0], dims[1]), w).expect("checked"),
            bias: Array1::from(b),
        });
    }
    Ok(Mlp { layers })
}

/// The scan network, when the metadata records one (its weights must then
/// be there).
fn read_scan(
    tensors: &Tensors<'_>,
    agreement: Option<ScanAgreement>,
) -> Result<Option<ScanNetwork>> {
    let Some(agreement) = agreement else {
        return Ok(None);
    };
    Ok(Some(ScanNetwork {
        mlp: read_mlp(tensors, "scan")?,
        output_mean: tensors.f32s("scan.output_mean")?.1,
        output_std: tensors.f32s("scan.output_std")?.1,
        agreement,
    }))
}

/// The input columns the embedding blocks repeat (none when the file has
/// no `adapt.input_columns`).
fn read_input_columns(tensors: &Tensors<'_>) -> Result<Vec<usize>> {
    if tensors.has("adapt.input_columns") {
        tensors
            .i64s("adapt.input_columns")?
            .into_iter()
            .map(|c| usize::try_from(c).map_err(|_| invalid(format!("input column {c}"))))
            .collect::<Result<_>>()
    } else {
        Ok(Vec::new())
    }
}

/// The ln MACs column of a decoded predictor file's embedding and its scale, from its weights
/// and metadata ([`super::spec::cost_column_from`]); None where the embedding has none.
pub(crate) fn cost_column_of_file(
    model: &ModelProto,
    m: &PredictorMeta,
) -> Result<Option<crate::adapt::CostColumn>> {
    let tensors = Tensors::of(model)?;
    let props = metadata_props(model);
    let (_, scale) = tensors.f32s("adapt.scale")?;
    Ok(super::spec::cost_column_from(
        m.space,
        &m.encodings,
        m.trained_devices,
        &read_input_columns(&tensors)?,
        &json_f32s(&props, meta::INPUT_STD)?,
        &scale,
    ))
}

/// The adapted devices' names and fit details from the metadata (none when
/// the file has no adapted device).
fn read_adapted_meta(props: &BTreeMap<&str, &str>) -> Result<Vec<AdaptedMeta>> {
    Ok(match props.get(meta::ADAPTED_DEVICES) {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| invalid(format!("{}: {e}", meta::ADAPTED_DEVICES)))?,
        None => Vec::new(),
    })
}

/// The structure columns' standardisation, when the file has them.
fn read_structure(tensors: &Tensors<'_>) -> Result<Option<StructureFeatures>> {
    if !tensors.has("structure.mean") {
        return Ok(None);
    }
    let (dims, _) = tensors.f32s("structure.counts")?;
    let (_, mean) = tensors.f32s("structure.mean")?;
    let (_, multiplier) = tensors.f32s("structure.multiplier")?;
    Ok(Some(StructureFeatures {
        ops: dims.get(1).copied().unwrap_or(0),
        mean,
        multiplier,
    }))
}

/// The adapted devices described by `adapted_meta`, their weights read
/// from the `adapted.*` initializers (one column per device).
fn read_adapted(
    tensors: &Tensors<'_>,
    adapted_meta: Vec<AdaptedMeta>,
) -> Result<Vec<AdaptedDevice>> {
    let mut adapted = Vec::with_capacity(adapted_meta.len());
    if adapted_meta.is_empty() {
        return Ok(adapted);
    }
    let a = adapted_meta.len();
    let matrix = |name: &str| -> Result<(usize, Vec<f32>)> {
        let (dims, w) = tensors.f32s(name)?;
        if dims.len() != 2 || dims[1] != a {
            return Err(invalid(format!("{name} has dims {dims:?} for {a} devices")));
        }
        Ok((dims[0], w))
    };
    let vector = |name: &str| -> Result<Vec<f32>> {
        let (_, v) = tensors.f32s(name)?;
        if v.len() != a {
            return Err(invalid(format!(
                "{name} has {} values for {a} devices",
                v.len()
            )));
        }
        Ok(v)
    };
    let (e, w) = matrix("adapted.weight")?;
    let b = vector("adapted.bias")?;
    let linear = tensors.has("adapted.lin_weight");
    // Without the linear part every device is log-affine: the values
    // `AdaptedDevice::log_affine` gives.
    let (lin_w, lin_b, floor, power) = if linear {
        (
            matrix("adapted.lin_weight")?.1,
            vector("adapted.lin_bias")?,
            vector("adapted.floor")?,
            vector("adapted.power")?,
        )
    } else {
        (vec![], vec![1.0; a], vec![1.0; a], vec![0.0; a])
    };
    for (j, info) in adapted_meta.into_iter().enumerate() {
        let column = |m: &[f32]| (0..e).map(|i| m[i * a + j]).collect::<Vec<f32>>();
        adapted.push(AdaptedDevice {
            name: info.name,
            weights: column(&w),
            bias: b[j],
            lin_weights: if power[j] == 0.0 {
                vec![]
            } else {
                column(&lin_w)
            },
            lin_bias: lin_b[j],
            floor: floor[j],
            power: power[j],
            samples: info.samples,
            fit: info.fit,
            loo: info.loo,
        });
    }
    Ok(adapted)
}

/// What the metadata records of an adapted device.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct AdaptedMeta {
    pub name: String,
    pub samples: usize,
    /// Which fit the device uses (absent in older files: a log-space one).
    #[serde(default = "log_space_fit")]
    pub fit: String,
    /// Its leave-one-out confidence, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loo: Option<crate::adapt::LooSummary>,
}

fn log_space_fit() -> String {
    "log-affine".into()
}
