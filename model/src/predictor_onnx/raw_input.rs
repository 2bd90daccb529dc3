//! The raw `arch_ops` input of a predictor file: the operation index at
//! each searchable position, encoded inside the graph from tables built at
//! export ([`ChoiceTables`]), so any ONNX runtime can predict from an
//! architecture string with no latscope code.
//!
//! The encoded rows from `arch_ops` are appended to the rows of the encoded
//! `arch` input, whose default (an initializer) has no rows: a runtime fed
//! only `arch_ops` predicts those, and one fed only `arch` (latscope itself)
//! those. Every node and initializer of this part is named `raw.*`, so
//! latscope's own loader can cut it off again ([`super::load`]).

use super::metadata::RawInput;
use super::spec::PredictorSpec;
use super::{ENCODED_ROWS, INPUT_NAME, RAW_INPUT_NAME};
use crate::onnx_pb::{attr_int, attr_ints, node, tensor_f32, tensor_f64, tensor_i32, tensor_i64};
use latscope_shared::encoding::{ChoiceTables, PositionCosts, LOG_SUMS, PLAIN_SUMS};
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{AttributeProto, NodeProto, TensorProto};

/// Prefix of every node and initializer of the raw input's branch.
pub(crate) const RAW_PREFIX: &str = "raw.";
/// The node that appends the raw input's rows to the encoded input's.
pub(crate) const ROWS_NODE: &str = "input.rows";

/// The tables of each of the spec's encodings, or `None` when one has no
/// form computed from choice indices (the file then has no raw input).
pub(crate) fn choice_tables(spec: &PredictorSpec) -> Option<Vec<std::sync::Arc<ChoiceTables>>> {
    spec.encodings
        .iter()
        .map(|&e| ChoiceTables::of(spec.space, e).ok())
        .collect()
}

/// What the metadata says about the raw input.
pub(crate) fn raw_input_meta(spec: &PredictorSpec) -> RawInput {
    let layout = spec.space.layout();
    RawInput {
        input: RAW_INPUT_NAME.into(),
        positions: layout.positions,
        choices: layout.choices,
        from_string: spec.space.choice_notation().into(),
    }
}

/// The nodes and initializers that encode `arch_ops` and append the rows
/// to `arch`'s as [`ENCODED_ROWS`].
pub(crate) fn raw_input_nodes(
    spec: &PredictorSpec,
    tables: &[std::sync::Arc<ChoiceTables>],
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let positions = spec.space.layout().positions.len();
    let mut blocks = Vec::with_capacity(tables.len());
    for (i, t) in tables.iter().enumerate() {
        let block = format!("{RAW_PREFIX}block{i}");
        match t.as_ref() {
            ChoiceTables::OneHot { choices } => {
                one_hot(i, *choices, positions, &block, nodes, initializer)
            }
            ChoiceTables::PerCell {
                width,
                row_of_cell,
                rows,
            } => per_cell(i, *width, row_of_cell, rows, &block, nodes, initializer),
            ChoiceTables::PositionCosts(costs) => {
                position_costs(i, costs, positions, &block, nodes, initializer)
            }
        }
        blocks.push(block);
    }
    let encoded = format!("{RAW_PREFIX}encoded");
    let refs: Vec<&str> = blocks.iter().map(String::as_str).collect();
    nodes.push(node("Concat", &encoded, &refs, &encoded, vec![axis(1)]));
    // `arch`'s default: no rows, so a runtime may feed `arch_ops` alone.
    initializer.push(tensor_f32(INPUT_NAME, &[0, spec.input_dim()], &[]));
    nodes.push(node(
        "Concat",
        ROWS_NODE,
        &[INPUT_NAME, &encoded],
        ENCODED_ROWS,
        vec![axis(0)],
    ));
}

fn axis(a: i64) -> AttributeProto {
    attr_int("axis", a)
}

/// `onehot-v1`: rows of the identity gathered by choice, flattened.
fn one_hot(
    i: usize,
    k: usize,
    positions: usize,
    block: &str,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let eye: Vec<f32> = (0..k * k)
        .map(|j| if j / k == j % k { 1.0 } else { 0.0 })
        .collect();
    let (table, cube, shape) = (
        format!("{RAW_PREFIX}identity{i}"),
        format!("{RAW_PREFIX}onehot{i}"),
        format!("{RAW_PREFIX}onehot{i}.shape"),
    );
    initializer.push(tensor_f32(&table, &[k, k], &eye));
    initializer.push(tensor_i64(&shape, &[2], &[-1, (positions * k) as i64]));
    nodes.push(node(
        "Gather",
        &cube,
        &[&table, RAW_INPUT_NAME],
        &cube,
        vec![axis(0)],
    ));
    nodes.push(node("Reshape", block, &[&cube, &shape], block, vec![]));
}

/// Any NB201 encoding: the cell's row of distinct rows, by its canonical
/// code.
fn per_cell(
    i: usize,
    width: usize,
    row_of_cell: &[i32],
    rows: &[f32],
    block: &str,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let weights = ChoiceTables::code_weights();
    let name = |what: &str| format!("{RAW_PREFIX}{what}{i}");
    let (w, terms, code, axes, cell_rows, row, table) = (
        name("code_weights"),
        name("code_terms"),
        name("code"),
        name("code_axes"),
        name("row_of_cell"),
        name("row"),
        name("rows"),
    );
    initializer.push(tensor_i64(&w, &[weights.len()], &weights));
    initializer.push(tensor_i64(&axes, &[1], &[1]));
    initializer.push(tensor_i32(&cell_rows, &[row_of_cell.len()], row_of_cell));
    initializer.push(tensor_f32(&table, &[rows.len() / width, width], rows));
    nodes.push(node("Mul", &terms, &[RAW_INPUT_NAME, &w], &terms, vec![]));
    nodes.push(node(
        "ReduceSum",
        &code,
        &[&terms, &axes],
        &code,
        vec![attr_int("keepdims", 0)],
    ));
    nodes.push(node(
        "Gather",
        &row,
        &[&cell_rows, &code],
        &row,
        vec![axis(0)],
    ));
    nodes.push(node("Gather", block, &[&table, &row], block, vec![axis(0)]));
}

/// FBNet's `features-v1`: per-(position, choice) costs gathered, summed
/// (or the maximum taken) over positions in float64, then `ln(1 + x)` on
/// the magnitudes, as [`latscope_shared::encoding::features_v1`] computes.
fn position_costs(
    i: usize,
    t: &PositionCosts,
    positions: usize,
    block: &str,
    nodes: &mut Vec<NodeProto>,
    initializer: &mut Vec<TensorProto>,
) {
    let name = |what: &str| format!("{RAW_PREFIX}{what}{i}");
    let rows = positions * t.choices;
    let offsets: Vec<i64> = (0..positions).map(|p| (p * t.choices) as i64).collect();
    initializer.push(tensor_i64(&name("row_offsets"), &[positions], &offsets));
    initializer.push(tensor_i64(&name("position_axes"), &[1], &[1]));
    initializer.push(tensor_f64(
        &name("log_sums"),
        &[rows, LOG_SUMS],
        &t.log_sums,
    ));
    initializer.push(tensor_f64(
        &name("max_activation"),
        &[rows],
        &t.max_activation,
    ));
    initializer.push(tensor_f64(
        &name("plain_sums"),
        &[rows, PLAIN_SUMS],
        &t.plain_sums,
    ));
    initializer.push(tensor_f64(&name("one"), &[], &[1.0]));
    let mut push = |op: &str, what: &str, inputs: &[&str], attrs: Vec<AttributeProto>| {
        let out = name(what);
        nodes.push(node(op, &out, inputs, &out, attrs));
        out
    };
    let table_rows = push(
        "Add",
        "table_rows",
        &[RAW_INPUT_NAME, &name("row_offsets")],
        vec![],
    );
    let gathered = push(
        "Gather",
        "log_parts",
        &[&name("log_sums"), &table_rows],
        vec![axis(0)],
    );
    let keep0 = || vec![attr_int("keepdims", 0)];
    let sums = push(
        "ReduceSum",
        "log_totals",
        &[&gathered, &name("position_axes")],
        keep0(),
    );
    let gathered = push(
        "Gather",
        "max_parts",
        &[&name("max_activation"), &table_rows],
        vec![axis(0)],
    );
    let max = push(
        "ReduceMax",
        "max_total",
        &[&gathered],
        vec![attr_ints("axes", &[1]), attr_int("keepdims", 1)],
    );
    let magnitudes = push("Concat", "magnitudes", &[&sums, &max], vec![axis(1)]);
    let plus_one = push(
        "Add",
        "magnitudes_plus_one",
        &[&magnitudes, &name("one")],
        vec![],
    );
    let logs = push("Log", "logs", &[&plus_one], vec![]);
    let to_f32 = || vec![attr_int("to", DataType::Float as i64)];
    let logs = push("Cast", "logs_f32", &[&logs], to_f32());
    let gathered = push(
        "Gather",
        "plain_parts",
        &[&name("plain_sums"), &table_rows],
        vec![axis(0)],
    );
    let plain = push(
        "ReduceSum",
        "plain_totals",
        &[&gathered, &name("position_axes")],
        keep0(),
    );
    let plain = push("Cast", "plain_f32", &[&plain], to_f32());
    nodes.push(node(
        "Concat",
        block,
        &[&logs, &plain],
        block,
        vec![axis(1)],
    ));
}
