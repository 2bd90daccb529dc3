//! Writing a [`PredictorSpec`] as an ONNX model.

use super::metadata::{self as meta, encodings_name};
use super::raw_input::{choice_tables, raw_input_meta, raw_input_nodes};
use super::read::AdaptedMeta;
use super::scan::ScanNetwork;
use super::spec::{AdaptedDevice, PredictorSpec, StructureFeatures};
use super::{EMBEDDING_OUTPUT, INPUT_NAME, LATENCY_OUTPUT, SCAN_OUTPUT};
use super::{ENCODED_ROWS, RAW_INPUT_NAME};
use crate::error::Result;
use crate::nn::Mlp;
use crate::onnx_pb::{
    attr_int, metadata_entry, model_proto, node, tensor_f32, tensor_i64, value_info_f32,
    value_info_i64, Dim,
};
use latscope_shared::encoding::ChoiceTables;
use std::sync::Arc;
use tract_onnx::pb::{GraphProto, ModelProto};
use tract_onnx::pb::{NodeProto, StringStringEntryProto, TensorProto};

/// Symbolic batch dimension of the input and outputs.
const BATCH: Dim = Dim::Symbolic("N");

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Builds the ONNX model of a predictor (checks the spec first).
pub fn export_predictor(spec: &PredictorSpec) -> Result<ModelProto> {
    spec.validate()?;
    // Whether the file gets the raw input is decided once, here: the graph,
    // its inputs, the metadata and the doc string all follow it.
    let tables = choice_tables(spec);
    let raw_input = tables.is_some();
    let (nodes, initializer) = graph_nodes(spec, tables.as_deref());
    Ok(model_proto(
        predictor_graph(spec, raw_input, nodes, initializer),
        model_doc(spec, raw_input),
        predictor_metadata(spec, raw_input),
    ))
}

/// Every node and initializer of the predictor's graph, in file order:
/// the raw input's encoding (where the encodings have a table form),
/// standardisation, members, ensemble latency, embedding, then the
/// optional structure columns and adapted devices.
fn graph_nodes(
    spec: &PredictorSpec,
    tables: Option<&[Arc<ChoiceTables>]>,
) -> (Vec<NodeProto>, Vec<TensorProto>) {
    let (mut nodes, mut initializer) = (vec![], vec![]);
    // The tensor of encoded rows the predictor reads: both inputs' rows in
    // a file with the raw input, else the `arch` input itself.
    let rows = match tables {
        Some(tables) => {
            raw_input_nodes(spec, tables, &mut nodes, &mut initializer);
            ENCODED_ROWS
        }
        None => INPUT_NAME,
    };
    standardise_input_nodes(spec, rows, &mut nodes, &mut initializer);
    let picked = picked_input_nodes(spec, &mut nodes, &mut initializer);
    let (block_names, output_names) =
        member_block_nodes(spec, picked.as_deref(), &mut nodes, &mut initializer);
    let trained_ms = ensemble_latency_nodes(spec, &output_names, &mut nodes, &mut initializer);
    embedding_block_nodes(spec, &block_names, &mut nodes, &mut initializer);
    if let Some(st) = &spec.adaptation.structure {
        structure_nodes(spec, st, rows, trained_ms, &mut nodes, &mut initializer);
    }
    if !spec.adapted.is_empty() {
        adapted_nodes(spec, spec.embedding_dim(), &mut nodes, &mut initializer);
        nodes.push(node(
            "Concat",
            "latency.concat",
            &["trained_ms", "adapted_ms"],
            LATENCY_OUTPUT,
            vec![attr_int("axis", 1)],
        ));
    }
    if let Some(scan) = &spec.scan {
        scan_nodes(scan, &mut nodes, &mut initializer);
    }
    (nodes, initializer)
}

/// The scan network's branch from `h0`: its MLP, destandardised and
/// exponentiated into `latency_ms_scan`.
fn scan_nodes(scan: &ScanNetwork, nodes: &mut Vec<NodeProto>, initializer: &mut Vec<TensorProto>) {
    let (z, _) = mlp_nodes("scan", &scan.mlp, nodes, initializer);
    let columns = scan.output_mean.len();
    initializer.push(tensor_f32("scan.output_std", &[columns], &scan.output_std));
    initializer.push(tensor_f32(
        "scan.output_mean",
        &[columns],
        &scan.output_mean,
    ));
    nodes.push(node(
        "Mul",
        "scan.destandardise.mul",
        &[&z, "scan.output_std"],
        "scan.log_scaled",
        vec![],
    ));
    nodes.push(node(
        "Add",
        "scan.destandardise.add",
        &["scan.log_scaled", "scan.output_mean"],
        "scan.log_ms",
        vec![],
    ));
    nodes.push(node(
        "Exp",
        "scan.to_ms",
        &["scan.log_ms"],
        SCAN_OUTPUT,
        vec![],
    ));
}

/// `h0 = (rows − mean) · (1 / std)` of the encoded rows, with the input
/// and output standardisation initializers.
fn standardise_input_nodes(
    spec: &PredictorSpec,
    rows: &str,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let f = spec.input_dim();
    let d = spec.devices.len();
    let inv_std: Vec<f32> = spec.input_std.iter().map(|s| 1.0 / s).collect();
    // `output_mean` is only read at the end of the graph but is listed
    // here: the initializer order is part of the file's bytes.
    initializer.extend([
        tensor_f32("input_mean", &[f], &spec.input_mean),
        tensor_f32("input_inv_std", &[f], &inv_std),
        tensor_f32("output_mean", &[d], &spec.output_mean),
    ]);
    nodes.extend([
        node(
            "Sub",
            "standardise.sub",
            &[rows, "input_mean"],
            "x_centred",
            vec![],
        ),
        node(
            "Mul",
            "standardise.mul",
            &["x_centred", "input_inv_std"],
            "h0",
            vec![],
        ),
    ]);
}

/// The Gather of the standardised input columns that every member block
/// repeats; returns its output name, or None when no column is picked.
fn picked_input_nodes(
    spec: &PredictorSpec,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) -> Option<String> {
    (!spec.adaptation.input_columns.is_empty()).then(|| {
        let idx: Vec<i64> = spec
            .adaptation
            .input_columns
            .iter()
            .map(|&c| c as i64)
            .collect();
        initializer.push(tensor_i64("adapt.input_columns", &[idx.len()], &idx));
        nodes.push(node(
            "Gather",
            "adapt.pick_inputs",
            &["h0", "adapt.input_columns"],
            "adapt.inputs",
            vec![attr_int("axis", 1)],
        ));
        "adapt.inputs".to_string()
    })
}

/// Every member's chain and its unscaled embedding block `[output | picked
/// inputs | last hidden layer]`; returns the block names and the members'
/// output names.
fn member_block_nodes(
    spec: &PredictorSpec,
    picked: Option<&str>,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) -> (Vec<String>, Vec<String>) {
    let mut block_names = Vec::with_capacity(spec.members.len());
    let mut output_names = Vec::with_capacity(spec.members.len());
    for (m, mlp) in spec.members.iter().enumerate() {
        let (z, hidden) = mlp_nodes(&format!("member{m}"), mlp, nodes, initializer);
        let mut parts = vec![z.clone()];
        parts.extend(picked.map(str::to_string));
        parts.push(hidden);
        let block = format!("member{m}.adapt");
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        nodes.push(node(
            "Concat",
            &format!("member{m}.concat"),
            &refs,
            &block,
            vec![attr_int("axis", 1)],
        ));
        block_names.push(block);
        output_names.push(z);
    }
    (block_names, output_names)
}

/// The trained devices' ms: the ensemble mean of the members' standardised
/// log-latencies, destandardised and exponentiated. Returns the name of
/// that output (`latency_ms` itself when no device was adapted).
fn ensemble_latency_nodes(
    spec: &PredictorSpec,
    output_names: &[String],
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) -> &'static str {
    let d = spec.devices.len();
    // Ensemble mean of the standardised log-latencies.
    let mut total = output_names[0].clone();
    for (i, z) in output_names.iter().enumerate().skip(1) {
        let sum = format!("ensemble.sum{i}");
        nodes.push(node(
            "Add",
            &format!("ensemble.add{i}"),
            &[&total, z],
            &sum,
            vec![],
        ));
        total = sum;
    }
    // The division by the member count is folded into the output std.
    let k = spec.members.len() as f32;
    let scaled_std: Vec<f32> = spec.output_std.iter().map(|s| s / k).collect();
    initializer.push(tensor_f32("output_std_over_members", &[d], &scaled_std));
    nodes.push(node(
        "Mul",
        "destandardise.mul",
        &[&total, "output_std_over_members"],
        "log_scaled",
        vec![],
    ));
    nodes.push(node(
        "Add",
        "destandardise.add",
        &["log_scaled", "output_mean"],
        "log_ms",
        vec![],
    ));
    let trained_ms = if spec.adapted.is_empty() {
        LATENCY_OUTPUT
    } else {
        "trained_ms"
    };
    nodes.push(node("Exp", "to_ms", &["log_ms"], trained_ms, vec![]));
    trained_ms
}

/// Adaptation features: the member blocks side by side, standardised and
/// weighted, written to `embedding` (or to `adapt.blocks` when structure
/// columns follow).
fn embedding_block_nodes(
    spec: &PredictorSpec,
    block_names: &[String],
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let blocks_width = spec.adaptation.mean.len();
    initializer.push(tensor_f32(
        "adapt.mean",
        &[blocks_width],
        &spec.adaptation.mean,
    ));
    initializer.push(tensor_f32(
        "adapt.scale",
        &[blocks_width],
        &spec.adaptation.scale,
    ));
    let refs: Vec<&str> = block_names.iter().map(String::as_str).collect();
    nodes.push(node(
        "Concat",
        "adapt.concat",
        &refs,
        "adapt.raw",
        vec![attr_int("axis", 1)],
    ));
    nodes.push(node(
        "Sub",
        "adapt.sub",
        &["adapt.raw", "adapt.mean"],
        "adapt.centred",
        vec![],
    ));
    let blocks_out = if spec.adaptation.structure.is_some() {
        "adapt.blocks"
    } else {
        EMBEDDING_OUTPUT
    };
    nodes.push(node(
        "Mul",
        "adapt.mul",
        &["adapt.centred", "adapt.scale"],
        blocks_out,
        vec![],
    ));
}

/// The graph around `nodes`: the `arch` input and the `latency_ms` and
/// `embedding` outputs.
fn predictor_graph(
    spec: &PredictorSpec,
    raw_input: bool,
    nodes: Vec<NodeProto>,
    initializer: Vec<TensorProto>,
) -> GraphProto {
    let f = spec.input_dim();
    let d = spec.devices.len();
    GraphProto {
        name: format!("latscope {} latency predictor", spec.space),
        node: nodes,
        initializer,
        input: raw_input
            .then(|| {
                let positions = spec.space.layout().positions.len();
                value_info_i64(RAW_INPUT_NAME, &[BATCH, Dim::Fixed(positions)])
            })
            .into_iter()
            .chain([value_info_f32(INPUT_NAME, &[BATCH, Dim::Fixed(f)])])
            .collect(),
        output: [
            value_info_f32(LATENCY_OUTPUT, &[BATCH, Dim::Fixed(d + spec.adapted.len())]),
            value_info_f32(EMBEDDING_OUTPUT, &[BATCH, Dim::Fixed(spec.embedding_dim())]),
        ]
        .into_iter()
        .chain(
            spec.scan
                .as_ref()
                .map(|_| value_info_f32(SCAN_OUTPUT, &[BATCH, Dim::Fixed(d + spec.adapted.len())])),
        )
        .collect(),
        ..Default::default()
    }
}

/// The `latscope.*` metadata entries [`meta::PredictorMeta`] reads back.
fn predictor_metadata(spec: &PredictorSpec, raw_input: bool) -> Vec<StringStringEntryProto> {
    let f = spec.input_dim();
    let d = spec.devices.len();
    let mut metadata_props = vec![
        metadata_entry(meta::KIND, meta::KIND_PREDICTOR),
        metadata_entry(meta::FORMAT_VERSION, meta::CURRENT_FORMAT),
        metadata_entry(meta::SPACE, spec.space.name()),
        metadata_entry(meta::ENCODING, encodings_name(&spec.encodings)),
        metadata_entry(meta::INPUT_DIM, f.to_string()),
        metadata_entry(meta::EMBEDDING_DIM, spec.embedding_dim().to_string()),
        metadata_entry(meta::DEVICES, json(&spec.all_devices())),
        metadata_entry(meta::TRAINED_DEVICES, d.to_string()),
        metadata_entry(meta::INPUT_MEAN, json(&spec.input_mean)),
        metadata_entry(meta::INPUT_STD, json(&spec.input_std)),
        metadata_entry(meta::OUTPUT_MEAN, json(&spec.output_mean)),
        metadata_entry(meta::OUTPUT_STD, json(&spec.output_std)),
        metadata_entry(meta::REFERENCE_ARCHS, json(&spec.reference_archs)),
        metadata_entry(meta::METHOD, spec.method.clone()),
        metadata_entry(meta::EMBEDDING_BLOCKS, spec.members.len().to_string()),
        metadata_entry(meta::EMBEDDING_OUTPUTS, spec.layout().outputs.to_string()),
        metadata_entry(meta::ADAPTATION, spec.adaptation.default.name()),
    ];
    if let Some(st) = &spec.adaptation.structure {
        metadata_props.push(metadata_entry(meta::STRUCTURE_OPS, st.ops.to_string()));
    }
    if let Some(scan) = &spec.scan {
        metadata_props.push(metadata_entry(meta::SCAN_AGREEMENT, json(&scan.agreement)));
    }
    if raw_input {
        metadata_props.push(metadata_entry(meta::RAW_INPUT, json(&raw_input_meta(spec))));
    }
    if !spec.adapted.is_empty() {
        let adapted: Vec<AdaptedMeta> = spec
            .adapted
            .iter()
            .map(|a| AdaptedMeta {
                name: a.name.clone(),
                samples: a.samples,
                fit: a.fit.clone(),
                loo: a.loo,
            })
            .collect();
        metadata_props.push(metadata_entry(meta::ADAPTED_DEVICES, json(&adapted)));
    }
    metadata_props.extend(
        spec.extra
            .iter()
            .map(|(k, v)| metadata_entry(&format!("{}{k}", meta::EXTRA_PREFIX), v.clone())),
    );
    metadata_props
}

/// The model's doc string: what goes in and what comes out.
fn model_doc(spec: &PredictorSpec, raw_input: bool) -> String {
    let f = spec.input_dim();
    let d = spec.devices.len();
    let raw = if raw_input {
        format!(
            "`{RAW_INPUT_NAME}` [N, {}] int64 (the operation index at each position, as \
             latscope.raw_input says) or ",
            spec.space.layout().positions.len()
        )
    } else {
        String::new()
    };
    format!(
        "latscope latency predictor for {} on {} devices: input {raw}`arch` [N, {f}] ({}), \
         output `latency_ms` [N, {d}] and `embedding` [N, {}]",
        spec.space,
        d,
        encodings_name(&spec.encodings),
        spec.embedding_dim()
    )
}

/// The structure columns appended to the embedding: the trained devices'
/// ms and the operation counts (a MatMul of the input with a 0/1 matrix
/// that sums the `onehot-v1` part per operation), standardised.
fn structure_nodes(
    spec: &PredictorSpec,
    st: &StructureFeatures,
    rows: &str,
    trained_ms: &str,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let f = spec.input_dim();
    let w = spec.structure_width();
    initializer.push(tensor_f32(
        "structure.counts",
        &[f, st.ops],
        &spec.count_matrix(st.ops),
    ));
    initializer.push(tensor_f32("structure.mean", &[w], &st.mean));
    initializer.push(tensor_f32("structure.multiplier", &[w], &st.multiplier));
    nodes.push(node(
        "MatMul",
        "structure.count",
        &[rows, "structure.counts"],
        "structure.op_counts",
        vec![],
    ));
    nodes.push(node(
        "Concat",
        "structure.concat",
        &[trained_ms, "structure.op_counts"],
        "structure.raw",
        vec![attr_int("axis", 1)],
    ));
    nodes.push(node(
        "Sub",
        "structure.sub",
        &["structure.raw", "structure.mean"],
        "structure.centred",
        vec![],
    ));
    nodes.push(node(
        "Mul",
        "structure.mul",
        &["structure.centred", "structure.multiplier"],
        "structure",
        vec![],
    ));
    nodes.push(node(
        "Concat",
        "embedding.concat",
        &["adapt.blocks", "structure"],
        EMBEDDING_OUTPUT,
        vec![attr_int("axis", 1)],
    ));
}

/// `[e × a]` row-major matrix with one column per adapted device.
fn columns(spec: &PredictorSpec, e: usize, pick: impl Fn(&AdaptedDevice) -> &[f32]) -> Vec<f32> {
    let a = spec.adapted.len();
    let mut w = vec![0f32; e * a];
    for (j, device) in spec.adapted.iter().enumerate() {
        for (i, v) in pick(device).iter().enumerate() {
            w[i * a + j] = *v;
        }
    }
    w
}

/// Adapted devices: `exp(embedding·W + b)`, times
/// `max(embedding·V + c, floor)^power` when any device has a part linear
/// in ms (see [`AdaptedDevice`]); the result goes to `adapted_ms`.
fn adapted_nodes(
    spec: &PredictorSpec,
    e: usize,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let a = spec.adapted.len();
    let vector = |f: fn(&AdaptedDevice) -> f32| spec.adapted.iter().map(f).collect::<Vec<f32>>();
    initializer.push(tensor_f32(
        "adapted.weight",
        &[e, a],
        &columns(spec, e, |d| &d.weights),
    ));
    initializer.push(tensor_f32("adapted.bias", &[a], &vector(|d| d.bias)));
    nodes.push(node(
        "Gemm",
        "adapted.gemm",
        &[EMBEDDING_OUTPUT, "adapted.weight", "adapted.bias"],
        "adapted.log_ms",
        vec![],
    ));
    let linear = spec.adapted.iter().any(|d| d.power != 0.0);
    let exp_out = if linear { "adapted.exp" } else { "adapted_ms" };
    nodes.push(node(
        "Exp",
        "adapted.to_ms",
        &["adapted.log_ms"],
        exp_out,
        vec![],
    ));
    if !linear {
        return;
    }
    initializer.push(tensor_f32(
        "adapted.lin_weight",
        &[e, a],
        &columns(spec, e, |d| &d.lin_weights),
    ));
    initializer.push(tensor_f32(
        "adapted.lin_bias",
        &[a],
        &vector(|d| d.lin_bias),
    ));
    initializer.push(tensor_f32("adapted.floor", &[a], &vector(|d| d.floor)));
    initializer.push(tensor_f32("adapted.power", &[a], &vector(|d| d.power)));
    nodes.push(node(
        "Gemm",
        "adapted.lin_gemm",
        &[EMBEDDING_OUTPUT, "adapted.lin_weight", "adapted.lin_bias"],
        "adapted.lin_ms",
        vec![],
    ));
    nodes.push(node(
        "Max",
        "adapted.apply_floor",
        &["adapted.lin_ms", "adapted.floor"],
        "adapted.lin_floored",
        vec![],
    ));
    nodes.push(node(
        "Pow",
        "adapted.pow",
        &["adapted.lin_floored", "adapted.power"],
        "adapted.lin_part",
        vec![],
    ));
    nodes.push(node(
        "Mul",
        "adapted.combine",
        &["adapted.exp", "adapted.lin_part"],
        "adapted_ms",
        vec![],
    ));
}

/// One member's Gemm/Relu chain from the standardised input `h0`; returns
/// the names of its output (standardised log-latencies) and of its last
/// hidden layer.
fn mlp_nodes(
    name: &str,
    mlp: &Mlp,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) -> (String, String) {
    let last = mlp.layers.len() - 1;
    let mut current = "h0".to_string();
    let mut hidden = String::new();
    for (i, layer) in mlp.layers.iter().enumerate() {
        let prefix = format!("{name}.layer{i}");
        let (w, b) = (format!("{prefix}.weight"), format!("{prefix}.bias"));
        initializer.push(tensor_f32(
            &w,
            &[layer.inputs(), layer.outputs()],
            &layer.weight.iter().copied().collect::<Vec<_>>(),
        ));
        initializer.push(tensor_f32(&b, &[layer.outputs()], &layer.bias.to_vec()));
        let linear = format!("{prefix}.linear");
        nodes.push(node(
            "Gemm",
            &format!("{prefix}.gemm"),
            &[&current, &w, &b],
            &linear,
            vec![attr_int("transB", 0)],
        ));
        if i == last {
            return (linear, hidden);
        }
        let act = format!("{prefix}.relu");
        nodes.push(node(
            "Relu",
            &format!("{prefix}.relu"),
            &[&linear],
            &act,
            vec![],
        ));
        hidden = act.clone();
        current = act;
    }
    unreachable!("validate() requires at least two layers")
}

/// [`export_predictor`], encoded as bytes.
pub fn export_predictor_bytes(spec: &PredictorSpec) -> Result<Vec<u8>> {
    Ok(prost::Message::encode_to_vec(&export_predictor(spec)?))
}
