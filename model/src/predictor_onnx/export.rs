//! Writing a [`PredictorSpec`] as an ONNX model.

use super::metadata::{self as meta, encodings_name, entry};
use super::spec::PredictorSpec;
use super::{EMBEDDING_OUTPUT, INPUT_NAME, LATENCY_OUTPUT};
use crate::arch_onnx::proto::{attr_int, node, tensor_f32, value_info_f32, Dim};
use crate::arch_onnx::{IR_VERSION, OPSET_VERSION};
use crate::error::Result;
use tract_onnx::pb::{GraphProto, ModelProto, OperatorSetIdProto};

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
        tensor_f32("output_std", &[d], &spec.output_std),
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
    let last = spec.mlp.layers.len() - 1;
    let mut current = "h0".to_string();
    for (i, layer) in spec.mlp.layers.iter().enumerate() {
        let w = format!("layer{i}.weight");
        let b = format!("layer{i}.bias");
        initializer.push(tensor_f32(
            &w,
            &[layer.inputs(), layer.outputs()],
            &layer.weight.iter().copied().collect::<Vec<_>>(),
        ));
        initializer.push(tensor_f32(&b, &[layer.outputs()], &layer.bias.to_vec()));
        let gemm_out = if i == last {
            "z".to_string()
        } else {
            format!("layer{i}.linear")
        };
        nodes.push(node(
            "Gemm",
            &format!("layer{i}.gemm"),
            &[&current, &w, &b],
            &gemm_out,
            vec![attr_int("transB", 0)],
        ));
        current = if i == last {
            gemm_out
        } else {
            // The last hidden layer's activation is the `embedding` output.
            let act = if i + 1 == last {
                EMBEDDING_OUTPUT.to_string()
            } else {
                format!("h{}", i + 1)
            };
            nodes.push(node(
                "Relu",
                &format!("layer{i}.relu"),
                &[&gemm_out],
                &act,
                vec![],
            ));
            act
        };
    }
    nodes.push(node(
        "Mul",
        "destandardise.mul",
        &["z", "output_std"],
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
    nodes.push(node("Exp", "to_ms", &["log_ms"], LATENCY_OUTPUT, vec![]));

    let graph = GraphProto {
        name: format!("latscope {} latency predictor", spec.space),
        node: nodes,
        initializer,
        input: vec![value_info_f32(INPUT_NAME, &[BATCH, Dim::Fixed(f)])],
        output: vec![
            value_info_f32(LATENCY_OUTPUT, &[BATCH, Dim::Fixed(d)]),
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
        entry(meta::DEVICES, json(&spec.devices)),
        entry(meta::INPUT_MEAN, json(&spec.input_mean)),
        entry(meta::INPUT_STD, json(&spec.input_std)),
        entry(meta::OUTPUT_MEAN, json(&spec.output_mean)),
        entry(meta::OUTPUT_STD, json(&spec.output_std)),
        entry(meta::REFERENCE_ARCHS, json(&spec.reference_archs)),
        entry(meta::METHOD, spec.method.clone()),
    ];
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

/// [`export_predictor`], encoded as bytes.
pub fn export_predictor_bytes(spec: &PredictorSpec) -> Result<Vec<u8>> {
    Ok(prost::Message::encode_to_vec(&export_predictor(spec)?))
}
