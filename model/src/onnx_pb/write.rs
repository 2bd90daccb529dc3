//! Building ONNX models with tract-onnx's prost types (the whole schema),
//! for the predictor files and the measurement library's network export.

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The ONNX operator set latscope writes.
pub const OPSET_VERSION: i64 = 17;
/// The ONNX IR version written with [`OPSET_VERSION`].
pub const IR_VERSION: i64 = 8;

/// A model around `graph` with latscope's opset, IR version and producer.
pub fn model_proto(
    graph: GraphProto,
    doc_string: String,
    metadata_props: Vec<StringStringEntryProto>,
) -> ModelProto {
    ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET_VERSION,
        }],
        producer_name: "latscope".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string,
        graph: Some(graph),
        metadata_props,
        ..Default::default()
    }
}

/// One `metadata_props` entry.
pub fn metadata_entry(key: &str, value: impl Into<String>) -> StringStringEntryProto {
    StringStringEntryProto {
        key: key.to_string(),
        value: value.into(),
    }
}

/// One dimension of a graph input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(usize),
    /// A named symbolic size, e.g. the batch `"N"`.
    Symbolic(&'static str),
}

/// An integer attribute.
pub fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

/// An integer-list attribute.
pub fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

/// A float attribute.
pub fn attr_float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Float as i32,
        f: value,
        ..Default::default()
    }
}

/// A node of the default ONNX domain.
pub fn node(
    op_type: &str,
    name: &str,
    inputs: &[&str],
    output: &str,
    attributes: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.to_string()],
        name: name.to_string(),
        op_type: op_type.to_string(),
        attribute: attributes,
        ..Default::default()
    }
}

/// A float32 tensor stored little-endian in `raw_data`.
pub fn tensor_f32(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, values.len(), DataType::Float, bytes)
}

/// An int64 tensor stored little-endian in `raw_data`.
pub fn tensor_i64(name: &str, dims: &[usize], values: &[i64]) -> TensorProto {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, values.len(), DataType::Int64, bytes)
}

/// An int32 tensor stored little-endian in `raw_data`.
pub fn tensor_i32(name: &str, dims: &[usize], values: &[i32]) -> TensorProto {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, values.len(), DataType::Int32, bytes)
}

/// A float64 tensor (whole numbers beyond float32's exact range), stored
/// little-endian in `raw_data`.
pub fn tensor_f64(name: &str, dims: &[usize], values: &[f64]) -> TensorProto {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, values.len(), DataType::Double, bytes)
}

fn raw_tensor(
    name: &str,
    dims: &[usize],
    len: usize,
    data_type: DataType,
    raw_data: Vec<u8>,
) -> TensorProto {
    debug_assert_eq!(dims.iter().product::<usize>(), len, "{name}");
    TensorProto {
        name: name.to_string(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: data_type as i32,
        raw_data,
        ..Default::default()
    }
}

/// A float32 graph input or output of the given shape.
pub fn value_info_f32(name: &str, dims: &[Dim]) -> ValueInfoProto {
    value_info(name, DataType::Float, dims)
}

/// An int64 graph input or output of the given shape.
pub fn value_info_i64(name: &str, dims: &[Dim]) -> ValueInfoProto {
    value_info(name, DataType::Int64, dims)
}

fn value_info(name: &str, elem_type: DataType, dims: &[Dim]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(n) => dimension::Value::DimValue(*n as i64),
                Dim::Symbolic(s) => dimension::Value::DimParam(s.to_string()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem_type as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The values of a float32 tensor, whichever field holds them; `None` for
/// other data types or external data.
pub fn tensor_values_f32(tensor: &TensorProto) -> Option<Vec<f32>> {
    super::read::f32_values(tensor.data_type, &tensor.raw_data, &tensor.float_data)
}

/// Number of elements of a tensor, from its dims (1 for a scalar).
pub fn tensor_len(tensor: &TensorProto) -> u64 {
    tensor.dims.iter().map(|&d| d.max(0) as u64).product()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_tensors_round_trip_through_raw_data() {
        let t = tensor_f32("w", &[2, 2], &[1.0, -2.5, 0.0, 3.25]);
        assert_eq!(tensor_values_f32(&t).unwrap(), vec![1.0, -2.5, 0.0, 3.25]);
        assert_eq!(tensor_len(&t), 4);
        let scalar = tensor_f32("s", &[], &[0.0]);
        assert_eq!(tensor_len(&scalar), 1);
        assert!(tensor_values_f32(&tensor_i64("i", &[1], &[5])).is_none());
    }
}
