//! Structural checks of the exported graphs (no inference here; see
//! `tests/arch_onnx.rs` for runs through tract).

use super::*;
use latscope_shared::ir::{Activation, NetworkBuilder, Op, Shape};
use latscope_shared::space::{Dataset, SpaceId};

fn ops(model: &ModelProto) -> Vec<&str> {
    model
        .graph
        .as_ref()
        .unwrap()
        .node
        .iter()
        .map(|n| n.op_type.as_str())
        .collect()
}

fn tiny_classifier() -> Network {
    let (mut b, x) = NetworkBuilder::new("tiny", Shape::new(3, 8, 8));
    let c = b.conv("c", x, 4, 3, 1, 1);
    let n = b.batch_norm("bn", c);
    let r = b.activation("act", n, Activation::Relu6);
    let g = b.push("gap", Op::GlobalAvgPool, &[r]);
    let l = b.linear("fc", g, 5, true);
    b.finish(l).unwrap()
}

#[test]
fn header_names_opset_and_io() {
    let model = export_network(&tiny_classifier(), &ExportOptions::new(1)).unwrap();
    assert_eq!(model.ir_version, IR_VERSION);
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.opset_import[0].version, OPSET_VERSION);
    assert_eq!(model.opset_import[0].domain, "");
    let graph = model.graph.as_ref().unwrap();
    assert_eq!(graph.input.len(), 1);
    assert_eq!(graph.input[0].name, INPUT_NAME);
    assert_eq!(graph.output.len(), 1);
    assert_eq!(graph.output[0].name, OUTPUT_NAME);
    assert_eq!(
        ops(&model),
        [
            "Conv",
            "BatchNormalization",
            "Clip",
            "GlobalAveragePool",
            "Flatten",
            "Gemm"
        ]
    );
    // The classifier writes the graph output directly.
    assert_eq!(graph.node.last().unwrap().output, [OUTPUT_NAME]);
    assert_eq!(graph.node.last().unwrap().name, "fc");
}

#[test]
fn symbolic_and_fixed_batch_dimensions() {
    use pb::tensor_shape_proto::dimension::Value;
    use pb::type_proto;
    let dims = |model: &ModelProto, output: bool| -> Vec<Value> {
        let g = model.graph.as_ref().unwrap();
        let vi = if output { &g.output[0] } else { &g.input[0] };
        let Some(type_proto::Value::TensorType(t)) = vi.r#type.as_ref().unwrap().value.as_ref()
        else {
            panic!("not a tensor type")
        };
        t.shape
            .as_ref()
            .unwrap()
            .dim
            .iter()
            .map(|d| d.value.clone().unwrap())
            .collect()
    };
    let net = tiny_classifier();
    let symbolic = export_network(&net, &ExportOptions::new(0)).unwrap();
    let n = Value::DimParam(BATCH_DIM.into());
    assert_eq!(
        dims(&symbolic, false),
        [
            n.clone(),
            Value::DimValue(3),
            Value::DimValue(8),
            Value::DimValue(8)
        ]
    );
    assert_eq!(dims(&symbolic, true), [n, Value::DimValue(5)]);
    let fixed = export_network(&net, &ExportOptions::new(0).with_batch(4)).unwrap();
    assert_eq!(dims(&fixed, true), [Value::DimValue(4), Value::DimValue(5)]);
    assert!(export_network(&net, &ExportOptions::new(0).with_batch(0)).is_err());
}

#[test]
fn initializers_are_named_after_ir_nodes() {
    let model = export_network(&tiny_classifier(), &ExportOptions::new(1)).unwrap();
    let names: Vec<&str> = model
        .graph
        .as_ref()
        .unwrap()
        .initializer
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    for expected in [
        "c.weight",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "fc.weight",
        "fc.bias",
        "latscope.relu6.min",
        "latscope.relu6.max",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_eq!(
        initializer_f32(&model, "c.weight").unwrap().len(),
        4 * 3 * 9
    );
    let count = parameter_count(&model);
    assert_eq!(count.trainable, 4 * 3 * 9 + 4 * 2 + 5 * 4 + 5);
    assert_eq!(count.buffers, 4 * 2);
    assert_eq!(count.constants, 2);
}

#[test]
fn batch_norm_statistics_have_the_documented_ranges() {
    let model = export_network(&tiny_classifier(), &ExportOptions::new(9)).unwrap();
    let get = |n: &str| initializer_f32(&model, n).unwrap();
    assert!(get("bn.weight").iter().all(|v| (0.5..1.5).contains(v)));
    assert!(get("bn.running_var").iter().all(|v| (0.5..1.5).contains(v)));
    assert!(get("bn.bias").iter().all(|v| v.abs() <= 0.1));
    assert!(get("bn.running_mean").iter().all(|v| v.abs() <= 0.1));
    let bound = 1.0 / 2.0; // 1/sqrt(fan_in = 4)
    assert!(get("fc.bias").iter().all(|v| v.abs() <= bound));
}

#[test]
fn nary_add_uses_sum_and_binary_add_uses_add() {
    let (mut b, x) = NetworkBuilder::new("adds", Shape::new(2, 4, 4));
    let i = b.push("id", Op::Identity, &[x]);
    let two = b.sum("two", &[x, i]);
    let three = b.sum("three", &[x, i, two]);
    let net = b.finish(three).unwrap();
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    assert_eq!(ops(&model), ["Identity", "Add", "Sum", "Flatten"]);
    let sum = &model.graph.as_ref().unwrap().node[2];
    assert_eq!(sum.input, ["input", "id", "two"]);
}

#[test]
fn channel_shuffle_is_reshape_transpose_reshape() {
    let (mut b, x) = NetworkBuilder::new("shuffle", Shape::new(6, 2, 2));
    let s = b.push("sh", Op::ChannelShuffle { groups: 3 }, &[x]);
    let net = b.finish(s).unwrap();
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    assert_eq!(ops(&model), ["Reshape", "Transpose", "Reshape", "Flatten"]);
    let shape = |name: &str| {
        let t = model
            .graph
            .as_ref()
            .unwrap()
            .initializer
            .iter()
            .find(|t| t.name == name)
            .unwrap();
        t.raw_data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape("sh.split_shape"), [0, 3, 2, 2, 2]);
    assert_eq!(shape("sh.merge_shape"), [0, 6, 2, 2]);
}

#[test]
fn linear_output_feeding_4d_ops_is_unsqueezed_once() {
    let (mut b, x) = NetworkBuilder::new("mlp", Shape::new(4, 1, 1));
    let l1 = b.linear("l1", x, 3, false);
    let r = b.relu("r", l1); // stays [N, 3]
    let bn = b.batch_norm("bn", r); // needs [N, 3, 1, 1]
    let bn2 = b.batch_norm("bn2", r); // reuses the unsqueezed tensor
    let s = b.sum("s", &[bn, bn2]);
    let l2 = b.linear("l2", s, 2, true);
    let net = b.finish(l2).unwrap();
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    assert_eq!(
        ops(&model),
        [
            "Flatten",
            "Gemm",
            "Relu",
            "Unsqueeze",
            "BatchNormalization",
            "BatchNormalization",
            "Add",
            "Flatten",
            "Gemm"
        ]
    );
    assert_eq!(
        parameter_count(&model).trainable,
        12 + 3 * 2 * 2 + 2 * 3 + 2
    );
}

#[test]
fn nb201_graph_maps_every_ir_node() {
    let net = SpaceId::Nb201
        .parse_arch(
            "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|",
        )
        .unwrap()
        .lower(Dataset::Cifar10)
        .unwrap();
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    let graph = model.graph.as_ref().unwrap();
    // Every IR node but the input is an ONNX node of the same name, plus one
    // Flatten before the classifier.
    assert_eq!(graph.node.len(), net.nodes.len() - 1 + 1);
    for ir in &net.nodes[1..] {
        assert!(
            graph.node.iter().any(|n| n.name == ir.name),
            "{} not exported",
            ir.name
        );
    }
    let pool = graph
        .node
        .iter()
        .find(|n| n.op_type == "AveragePool")
        .unwrap();
    let cip = pool
        .attribute
        .iter()
        .find(|a| a.name == "count_include_pad")
        .unwrap();
    assert_eq!(cip.i, 0, "NB201's cell pool excludes padding");
    let shortcut = graph
        .node
        .iter()
        .find(|n| n.name == "stage1.reduce.shortcut.avg_pool")
        .unwrap();
    let cip = shortcut
        .attribute
        .iter()
        .find(|a| a.name == "count_include_pad")
        .unwrap();
    assert_eq!(cip.i, 1);
}

#[test]
fn fbnet_graph_has_grouped_convs_and_shuffles() {
    let arch = ["k3_e1_g2", "skip", "k5_e6", "k5_e1_g2", "k3_e3"]
        .iter()
        .cycle()
        .take(22)
        .copied()
        .collect::<Vec<_>>()
        .join("-");
    let net = SpaceId::Fbnet
        .parse_arch(&arch)
        .unwrap()
        .lower(Dataset::Cifar100)
        .unwrap();
    let model = export_network(&net, &ExportOptions::new(0)).unwrap();
    let graph = model.graph.as_ref().unwrap();
    let grouped = graph
        .node
        .iter()
        .filter(|n| n.op_type == "Conv")
        .filter(|n| n.attribute.iter().any(|a| a.name == "group" && a.i == 2))
        .count();
    let shuffles = graph
        .node
        .iter()
        .filter(|n| n.op_type == "Transpose")
        .count();
    assert!(
        grouped > 0 && shuffles > 0,
        "grouped {grouped} shuffles {shuffles}"
    );
}

#[test]
fn invalid_networks_are_refused() {
    let (mut b, x) = NetworkBuilder::new("bad", Shape::new(2, 4, 4));
    let i = b.push("id", Op::Identity, &[x]);
    let mut net = b.finish(i).unwrap();
    net.nodes[1].shape = Shape::new(3, 4, 4);
    assert!(matches!(
        export_network(&net, &ExportOptions::default()),
        Err(Error::Shared(_))
    ));
}

#[test]
fn colliding_tensor_names_are_an_export_error() {
    // A node named like another node's initializer.
    let (mut b, x) = NetworkBuilder::new("clash", Shape::new(2, 4, 4));
    let c = b.conv("c", x, 2, 1, 1, 1);
    let i = b.push("c.weight", Op::Identity, &[c]);
    let net = b.finish(i).unwrap();
    let err = export_network(&net, &ExportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("c.weight"), "{err}");
}

#[test]
fn same_seed_same_bytes_other_seed_other_weights() {
    let net = tiny_classifier();
    let a = export_network_bytes(&net, &ExportOptions::new(5)).unwrap();
    let b = export_network_bytes(&net, &ExportOptions::new(5)).unwrap();
    assert_eq!(a, b);
    let m5 = export_network(&net, &ExportOptions::new(5)).unwrap();
    let m6 = export_network(&net, &ExportOptions::new(6)).unwrap();
    assert_ne!(
        initializer_f32(&m5, "c.weight"),
        initializer_f32(&m6, "c.weight")
    );
    assert_eq!(ops(&m5), ops(&m6));
}

#[test]
fn graph_name_is_tool_friendly() {
    assert_eq!(
        graph_name("nb201/cifar10 |none~0|+x"),
        "nb201_cifar10__none_0__x"
    );
    assert_eq!(graph_name(""), "latscope");
}
