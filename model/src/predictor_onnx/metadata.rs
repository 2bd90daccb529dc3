//! The `metadata_props` of a predictor file: names, meanings, parsing.
//!
//! | key | value |
//! |---|---|
//! | `latscope.kind` | `latency-predictor` (architecture files say `architecture`) |
//! | `latscope.format_version` | `2` (`1`: files without `arch_ops`, still read) |
//! | `latscope.space` | `nb201` or `fbnet` |
//! | `latscope.encoding` | encodings joined by `+`, e.g. `onehot-v1+features-v1` |
//! | `latscope.input_dim` / `latscope.embedding_dim` | widths of `arch` and `embedding` |
//! | `latscope.devices` | JSON array of device names, one per `latency_ms` column |
//! | `latscope.adapted_devices` | JSON `[{name, samples}]` of the devices added by adaptation |
//! | `latscope.trained_devices` | how many of them were trained (the rest were added by adaptation) |
//! | `latscope.input_mean`, `latscope.input_std` | JSON arrays: the input standardisation the graph applies |
//! | `latscope.output_mean`, `latscope.output_std` | JSON arrays: `ln(ms) = z·std + mean`, applied in the graph |
//! | `latscope.reference_archs` | JSON array of architecture strings to measure first on a new device |
//! | `latscope.method` | how it was trained |
//! | `latscope.embedding_blocks` | ensemble members: equal blocks of `embedding` |
//! | `latscope.embedding_outputs` | leading columns of each block that are outputs (devices, ln MACs) |
//! | `latscope.structure_ops` | operation counts among the structure columns at the end of `embedding` (absent: no structure columns) |
//! | `latscope.adaptation` | default few-shot adaptation (`auto`, `head`, `ridge`, `blend`) |
//! | `latscope.scan.agreement` | JSON: how the distilled scan network (output `latency_ms_scan`) follows `latency_ms` (absent: no scan network) |
//! | `latscope.raw_input` | JSON [`RawInput`]: how to form the `arch_ops` input (absent: the file has none) |
//! | `latscope.extra.*` | training data summary, command line, measured accuracy |

use crate::error::{Error, Result};
use crate::onnx_pb::read::{decode_model, ModelProto};
use latscope_shared::encoding::Encoding;
use latscope_shared::space::SpaceId;
use std::collections::BTreeMap;

/// Key whose value says what kind of latscope model the file is: [`KIND_PREDICTOR`] for a
/// latency predictor, [`KIND_ARCHITECTURE`] for an architecture export.
pub const KIND: &str = "latscope.kind";
/// The [`KIND`] value of a latency predictor file; [`PredictorMeta::from_bytes`] refuses any
/// other.
pub const KIND_PREDICTOR: &str = "latency-predictor";
/// The kind of an architecture's own ONNX export (`profiler export-arch`).
pub const KIND_ARCHITECTURE: &str = "architecture";
/// Key of the predictor format version, a decimal string; one of [`READ_FORMATS`] to be read.
pub const FORMAT_VERSION: &str = "latscope.format_version";
/// The format version this build writes. Bump it when a change to the file would make older
/// readers misread it. Version 2 added the raw `arch_ops` input ([`RAW_INPUT`]).
pub const CURRENT_FORMAT: &str = "2";
/// The format versions this build reads: version 1 files are version 2 files without
/// `arch_ops`.
pub const READ_FORMATS: [&str; 2] = ["1", "2"];
/// Key of the architecture search space the predictor encodes, by its short name (`nb201` or
/// `fbnet`).
pub const SPACE: &str = "latscope.space";
/// Key of the input encodings, their names joined by `+` in input column order (e.g.
/// `onehot-v1+features-v1`); see [`encodings_name`].
pub const ENCODING: &str = "latscope.encoding";
/// Key of the width of the `arch` input, a decimal string; must equal the sum of the encodings'
/// widths on the space.
pub const INPUT_DIM: &str = "latscope.input_dim";
/// Key of the width of the `embedding` output, a decimal string: the ensemble members' blocks
/// side by side, then any structure columns.
pub const EMBEDDING_DIM: &str = "latscope.embedding_dim";
/// Key of the device names as a JSON array of strings, one per `latency_ms` column and in that
/// order: trained devices first, then adapted ones.
pub const DEVICES: &str = "latscope.devices";
/// Key of the per-column means of the raw encoded input (JSON array of `input_dim` numbers),
/// which the graph subtracts before the first layer.
pub const INPUT_MEAN: &str = "latscope.input_mean";
/// Key of the per-column standard deviations of the raw encoded input (JSON array of
/// `input_dim` numbers) the graph divides by; never zero.
pub const INPUT_STD: &str = "latscope.input_std";
/// Key of the per-device mean of the training targets in ln ms (JSON array, one per trained
/// device): the graph turns a standardised output `z` into `ln(ms) = z·std + mean`.
pub const OUTPUT_MEAN: &str = "latscope.output_mean";
/// Key of the per-device standard deviation of the training targets in ln ms (JSON array, one
/// per trained device), the `std` of `ln(ms) = z·std + mean`.
pub const OUTPUT_STD: &str = "latscope.output_std";
/// Key of the reference architectures as a JSON array of architecture strings in the space's
/// notation: the ones to measure first on a new device before adapting.
pub const REFERENCE_ARCHS: &str = "latscope.reference_archs";
/// Key of a free-form description of how the predictor was trained (the method's name and
/// options), for people reading the file.
pub const METHOD: &str = "latscope.method";
/// Key of the scan network's agreement with the ensemble (JSON
/// [`crate::predictor_onnx::ScanAgreement`]); present exactly when the file
/// has the `latency_ms_scan` output.
pub const SCAN_AGREEMENT: &str = "latscope.scan.agreement";
/// Key of the adapted devices as a JSON array of `{name, samples, fit, loo}` objects, one per
/// device added by few-shot adaptation; absent when none were added.
pub const ADAPTED_DEVICES: &str = "latscope.adapted_devices";
/// Key of how many of the leading [`DEVICES`] were trained (the rest were added by adaptation),
/// a decimal string; absent in older files, which means all of them.
pub const TRAINED_DEVICES: &str = "latscope.trained_devices";
/// Key of the number of ensemble members, a decimal string: `embedding` begins with that many
/// blocks of equal width.
pub const EMBEDDING_BLOCKS: &str = "latscope.embedding_blocks";
/// Key of how many leading columns of each embedding block are outputs (the per-device
/// standardised predictions, then ln MACs), a decimal string.
pub const EMBEDDING_OUTPUTS: &str = "latscope.embedding_outputs";
/// Key of the default few-shot adaptation, one of `auto`, `head`, `ridge` or `blend` (see
/// [`crate::adapt::Adaptation`]).
pub const ADAPTATION: &str = "latscope.adaptation";
/// Key of the number of operation counts among the structure columns at the end of `embedding`,
/// a decimal string; absent when the file has no structure columns.
pub const STRUCTURE_OPS: &str = "latscope.structure_ops";
/// Key of the raw input's description (JSON [`RawInput`]); present exactly when the file has the
/// `arch_ops` input.
pub const RAW_INPUT: &str = "latscope.raw_input";
/// Prefix of free-form `key → value` string entries (training data summary, command line,
/// measured accuracy), kept in [`PredictorMeta::extra`] without it.
pub const EXTRA_PREFIX: &str = "latscope.extra.";

/// How to form a file's raw `arch_ops` input from an architecture: an int64 row per
/// architecture holding, for each of `positions` in order, the index of its operation in
/// `choices`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawInput {
    /// The graph input's name, `arch_ops`.
    pub input: String,
    /// The searchable positions, in column order.
    pub positions: Vec<String>,
    /// The operation names; a value of `arch_ops` is an index into this list.
    pub choices: Vec<String>,
    /// Where the operations stand in the space's architecture strings, for
    /// readers parsing them without latscope.
    pub from_string: String,
}

/// What a consumer needs to use a predictor file, read from its metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictorMeta {
    /// The search space whose architectures the `arch` input encodes.
    pub space: SpaceId,
    /// The encodings concatenated, in order, to form the `arch` input.
    pub encodings: Vec<Encoding>,
    /// Width of the `arch` input: the sum of the encodings' widths on [`Self::space`].
    pub input_dim: usize,
    /// Width of the `embedding` output; consistent with [`Self::layout`].
    pub embedding_dim: usize,
    /// Device names, one per `latency_ms` column: the trained devices, then the adapted ones;
    /// never empty.
    pub devices: Vec<String>,
    /// The first `trained_devices` of `devices` were trained; the others
    /// were added by few-shot adaptation.
    pub trained_devices: usize,
    /// Architectures (in the space's string notation) to measure first on a new device, as
    /// few-shot samples for adaptation.
    pub reference_archs: Vec<String>,
    /// How the predictor was trained, as written by the trainer; informational only.
    pub method: String,
    /// How [`crate::adapt`] reads the `embedding` output.
    pub layout: crate::adapt::FeatureLayout,
    /// The default few-shot adaptation when the caller names none.
    pub adaptation: crate::adapt::Adaptation,
    /// `latscope.extra.*` entries, prefix removed.
    pub extra: BTreeMap<String, String>,
    /// How the scan network follows the ensemble (None: the file has no
    /// scan network).
    pub scan: Option<super::scan::ScanAgreement>,
    /// How to form the raw `arch_ops` input (None: the file has none).
    pub raw_input: Option<RawInput>,
}

/// The encodings' metadata form: names joined by `+`.
pub fn encodings_name(encodings: &[Encoding]) -> String {
    encodings
        .iter()
        .map(Encoding::name)
        .collect::<Vec<_>>()
        .join("+")
}

impl PredictorMeta {
    /// Reads and checks the metadata of a predictor file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_proto(&decode_file(bytes)?)
    }

    /// Reads and checks the metadata of a decoded model.
    pub(crate) fn from_proto(model: &ModelProto) -> Result<Self> {
        let props = metadata_props(model);
        check_kind(&props, &model.producer_name)?;
        let get = |key: &str| {
            props
                .get(key)
                .copied()
                .ok_or_else(|| invalid(format!("the metadata lacks {key:?}")))
        };
        let version = get(FORMAT_VERSION)?;
        if !READ_FORMATS.contains(&version) {
            return Err(invalid(format!(
                "{FORMAT_VERSION} is {version:?}: this build reads predictor format versions \
                 {}",
                READ_FORMATS.join(" and ")
            )));
        }
        let space: SpaceId = get(SPACE)?
            .parse()
            .map_err(|e| invalid(format!("{SPACE}: {e}")))?;
        let encodings = get(ENCODING)?
            .split('+')
            .map(|name| name.parse::<Encoding>())
            .collect::<latscope_shared::Result<Vec<_>>>()
            .map_err(|e| invalid(format!("{ENCODING}: {e}")))?;
        let input_dim = parse_usize(INPUT_DIM, get(INPUT_DIM)?)?;
        let expected: usize = encodings.iter().map(|e| e.dim(space)).sum();
        if input_dim != expected {
            return Err(invalid(format!(
                "{INPUT_DIM} is {input_dim} but {} on {space} gives {expected} values",
                encodings_name(&encodings)
            )));
        }
        let embedding_dim = parse_usize(EMBEDDING_DIM, get(EMBEDDING_DIM)?)?;
        let devices: Vec<String> = parse_json(DEVICES, get(DEVICES)?)?;
        if devices.is_empty() {
            return Err(invalid(format!("{DEVICES} is empty")));
        }
        let trained_devices = match props.get(TRAINED_DEVICES) {
            Some(v) => parse_usize(TRAINED_DEVICES, v)?,
            None => devices.len(),
        };
        if trained_devices == 0 || trained_devices > devices.len() {
            return Err(invalid(format!(
                "{TRAINED_DEVICES} is {trained_devices} for the {} devices in {DEVICES}",
                devices.len()
            )));
        }
        let reference_archs: Vec<String> = parse_json(REFERENCE_ARCHS, get(REFERENCE_ARCHS)?)?;
        let method = get(METHOD)?.to_string();
        let structure = props
            .get(STRUCTURE_OPS)
            .map(|v| parse_usize(STRUCTURE_OPS, v))
            .transpose()?
            .map(|ops| crate::adapt::StructureLayout {
                devices: trained_devices,
                ops,
            });
        let layout = crate::adapt::FeatureLayout {
            structure,
            blocks: parse_usize(EMBEDDING_BLOCKS, get(EMBEDDING_BLOCKS)?)?,
            outputs: parse_usize(EMBEDDING_OUTPUTS, get(EMBEDDING_OUTPUTS)?)?,
            // How ln MACs is scaled is in the weights, not the metadata: filled in below.
            cost: None,
        };
        layout.block_width(embedding_dim).map_err(|e| {
            // Any of these keys may be the wrong one: name them all.
            let structure = if layout.structure.is_some() {
                format!("/{STRUCTURE_OPS}/{TRAINED_DEVICES}")
            } else {
                String::new()
            };
            invalid(format!(
                "{EMBEDDING_DIM}/{EMBEDDING_BLOCKS}/{EMBEDDING_OUTPUTS}{structure}: {e}"
            ))
        })?;
        let adaptation = get(ADAPTATION)?
            .parse()
            .map_err(|e| invalid(format!("{ADAPTATION}: {e}")))?;
        let extra = props
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(EXTRA_PREFIX)
                    .map(|k| (k.to_string(), v.to_string()))
            })
            .collect();
        let scan = props
            .get(SCAN_AGREEMENT)
            .map(|v| parse_json(SCAN_AGREEMENT, v))
            .transpose()?;
        let raw_input = props
            .get(RAW_INPUT)
            .map(|v| parse_raw_input(space, v))
            .transpose()?;
        let mut meta = PredictorMeta {
            space,
            encodings,
            input_dim,
            embedding_dim,
            devices,
            trained_devices,
            reference_archs,
            method,
            layout,
            adaptation,
            extra,
            scan,
            raw_input,
        };
        meta.layout.cost = super::read::cost_column_of_file(model, &meta)?;
        Ok(meta)
    }
}

/// The raw input's description, which must match the space's layout.
fn parse_raw_input(space: SpaceId, value: &str) -> Result<RawInput> {
    let raw: RawInput = parse_json(RAW_INPUT, value)?;
    let layout = space.layout();
    if raw.positions != layout.positions || raw.choices != layout.choices {
        return Err(invalid(format!(
            "{RAW_INPUT}: positions {:?} and choices {:?} are not those of {space} ({} \
             positions, choices {:?})",
            raw.positions,
            raw.choices,
            layout.positions.len(),
            layout.choices
        )));
    }
    Ok(raw)
}

/// Refuses files that are not latency predictors, saying what they are.
fn check_kind(props: &BTreeMap<&str, &str>, producer: &str) -> Result<()> {
    match props.get(KIND) {
        Some(&KIND_PREDICTOR) => Ok(()),
        Some(other) => Err(invalid(format!(
            "{KIND} is {other:?}: this is a latscope {other} model, not a latency \
                     predictor (whose {KIND} is {KIND_PREDICTOR:?})"
        ))),
        None if props.contains_key("latscope.network") => Err(invalid(
            "this is a latscope architecture model (from export-arch), not a latency predictor"
                .into(),
        )),
        None => Err(invalid(format!(
            "not a latscope latency predictor: the ONNX metadata has no {KIND:?} entry \
                     (producer: {:?})",
            producer
        ))),
    }
}

/// Decodes a predictor file's bytes, saying so when they are not ONNX.
pub(crate) fn decode_file(bytes: &[u8]) -> Result<ModelProto> {
    decode_model(bytes)
        .map_err(|e| Error::InvalidModel(format!("the bytes are not an ONNX model ({e})")))
}

/// A model's metadata entries by key.
pub(crate) fn metadata_props(model: &ModelProto) -> BTreeMap<&str, &str> {
    model
        .metadata_props
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_str()))
        .collect()
}

fn invalid(reason: String) -> Error {
    Error::InvalidModel(reason)
}

fn parse_usize(key: &str, value: &str) -> Result<usize> {
    value
        .parse()
        .map_err(|_| invalid(format!("{key} is {value:?}, not a whole number")))
}

fn parse_json<T: serde::de::DeserializeOwned>(key: &str, value: &str) -> Result<T> {
    serde_json::from_str(value)
        .map_err(|e| invalid(format!("{key} is not valid JSON of the expected form: {e}")))
}
