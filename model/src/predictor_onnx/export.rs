//! Writing a [`PredictorSpec`] as an ONNX model.

use super::metadata::{self as meta, encodings_name, entry};
use super::read::AdaptedMeta;
use super::spec::PredictorSpec;
use super::{EMBEDDING_OUTPUT, INPUT_NAME, LATENCY_OUTPUT};
use crate::arch_onnx::proto::{attr_int, node, tensor_f32, tensor_i64, value_info_f32, Dim};
use crate::arch_onnx::{IR_VERSION, OPSET_VERSION};
use crate::error::Result;
use crate::nn::Mlp;
use tract_onnx::pb::{GraphProto, ModelProto, OperatorSetIdProto};
use tract_onnx::pb::{NodeProto, TensorProto};

/// Symbolic batch dimension of the input and outputs.
const BATCH: Dim = Dim::Symbolic("N");

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Builds the ONNX model of a predictor (checks the spec first).
pub fn export_predictor(spec: &PredictorSpec) -> Result<ModelProto> {
    spec.validate()?;
    let f = spec.input_dim();
    let d = spec.devices.len();
    let inv_std: Vec<f32> = spec.input_std.iter().map(|s| 1.0 / s).collect();
    let mut initializer = vec![
        tensor_f32("input_mean", &[f], &spec.input_mean),
        tensor_f32("input_inv_std", &[f], &inv_std),
        tensor_f32("output_mean", &[d], &spec.output_mean),
    ];
    let mut nodes = vec![
        node(
            "Sub",
            "standardise.sub",
            &[INPUT_NAME, "input_mean"],
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
    ];
    let mut block_names = Vec::with_capacity(spec.members.len());
    let mut output_names = Vec::with_capacity(spec.members.len());
    let picked = (!spec.adaptation.input_columns.is_empty()).then(|| {
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
    });
    for (m, mlp) in spec.members.iter().enumerate() {
        let (z, hidden) = member_nodes(m, mlp, &mut nodes, &mut initializer);
        let mut parts = vec![z.clone()];
        parts.extend(picked.clone());
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
    // Adaptation features: blocks side by side, standardised and weighted.
    let e = spec.embedding_dim();
    initializer.push(tensor_f32("adapt.mean", &[e], &spec.adaptation.mean));
    initializer.push(tensor_f32("adapt.scale", &[e], &spec.adaptation.scale));
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
    nodes.push(node(
        "Mul",
        "adapt.mul",
        &["adapt.centred", "adapt.scale"],
        EMBEDDING_OUTPUT,
        vec![],
    ));
    if !spec.adapted.is_empty() {
        // Adapted devices: ln(ms) affine in the embedding.
        let a = spec.adapted.len();
        let mut w = vec![0f32; e * a];
        for (j, device) in spec.adapted.iter().enumerate() {
            for (i, v) in device.weights.iter().enumerate() {
                w[i * a + j] = *v;
            }
        }
        let b: Vec<f32> = spec.adapted.iter().map(|d| d.bias).collect();
        initializer.push(tensor_f32("adapted.weight", &[e, a], &w));
        initializer.push(tensor_f32("adapted.bias", &[a], &b));
        nodes.push(node(
            "Gemm",
            "adapted.gemm",
            &[EMBEDDING_OUTPUT, "adapted.weight", "adapted.bias"],
            "adapted.log_ms",
            vec![],
        ));
        nodes.push(node(
            "Exp",
            "adapted.to_ms",
            &["adapted.log_ms"],
            "adapted_ms",
            vec![],
        ));
        nodes.push(node(
            "Concat",
            "latency.concat",
            &["trained_ms", "adapted_ms"],
            LATENCY_OUTPUT,
            vec![attr_int("axis", 1)],
        ));
    }

    let graph = GraphProto {
        name: format!("latscope {} latency predictor", spec.space),
        node: nodes,
        initializer,
        input: vec![value_info_f32(INPUT_NAME, &[BATCH, Dim::Fixed(f)])],
        output: vec![
            value_info_f32(LATENCY_OUTPUT, &[BATCH, Dim::Fixed(d + spec.adapted.len())]),
            value_info_f32(EMBEDDING_OUTPUT, &[BATCH, Dim::Fixed(spec.embedding_dim())]),
        ],
        ..Default::default()
    };
    let mut metadata_props = vec![
        entry(meta::KIND, meta::KIND_PREDICTOR),
        entry(meta::FORMAT_VERSION, meta::CURRENT_FORMAT),
        entry(meta::SPACE, spec.space.name()),
        entry(meta::ENCODING, encodings_name(&spec.encodings)),
        entry(meta::INPUT_DIM, f.to_string()),
        entry(meta::EMBEDDING_DIM, spec.embedding_dim().to_string()),
        entry(meta::DEVICES, json(&spec.all_devices())),
        entry(meta::TRAINED_DEVICES, d.to_string()),
        entry(meta::INPUT_MEAN, json(&spec.input_mean)),
        entry(meta::INPUT_STD, json(&spec.input_std)),
        entry(meta::OUTPUT_MEAN, json(&spec.output_mean)),
        entry(meta::OUTPUT_STD, json(&spec.output_std)),
        entry(meta::REFERENCE_ARCHS, json(&spec.reference_archs)),
        entry(meta::METHOD, spec.method.clone()),
        entry(meta::EMBEDDING_BLOCKS, spec.members.len().to_string()),
        entry(meta::EMBEDDING_OUTPUTS, spec.layout().outputs.to_string()),
        entry(meta::ADAPTATION, spec.adaptation.default.name()),
    ];
    if !spec.adapted.is_empty() {
        let adapted: Vec<AdaptedMeta> = spec
            .adapted
            .iter()
            .map(|a| AdaptedMeta {
                name: a.name.clone(),
                samples: a.samples,
            })
            .collect();
        metadata_props.push(entry(meta::ADAPTED_DEVICES, json(&adapted)));
    }
    metadata_props.extend(
        spec.extra
            .iter()
            .map(|(k, v)| entry(&format!("{}{k}", meta::EXTRA_PREFIX), v.clone())),
    );
    Ok(ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET_VERSION,
        }],
        producer_name: "latscope".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!(
            "latscope latency predictor for {} on {} devices: input `arch` [N, {f}] ({}), \
             output `latency_ms` [N, {d}] and `embedding` [N, {}]",
            spec.space,
            d,
            encodings_name(&spec.encodings),
            spec.embedding_dim()
        ),
        graph: Some(graph),
        metadata_props,
        ..Default::default()
    })
}

/// One member's Gemm/Relu chain from the standardised input `h0`; returns
/// the names of its output (standardised log-latencies) and of its last
/// hidden layer.
fn member_nodes(
    m: usize,
    mlp: &Mlp,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) -> (String, String) {
    let last = mlp.layers.len() - 1;
    let mut current = "h0".to_string();
    let mut hidden = String::new();
    for (i, layer) in mlp.layers.iter().enumerate() {
        let prefix = format!("member{m}.layer{i}");
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
