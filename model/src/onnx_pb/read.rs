//! The fields of ONNX's schema (`onnx.proto`, field numbers as there) that
//! reading a predictor file touches: its metadata, its graph's input and
//! output names, and its initializers.
//!
//! Declared here rather than taken from tract-onnx's complete types because
//! linking tract-onnx at all keeps all of tract in a wasm module (its
//! operator registry runs static constructors), and the page's main-thread
//! module reads predictor files without tract. prost skips the fields not
//! declared, so any ONNX model decodes.

/// `ModelProto`: the graph and the metadata.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    /// The tool that wrote the model (named in errors about foreign files).
    #[prost(string, tag = "2")]
    pub producer_name: String,
    /// The computation.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Key-value metadata: where latscope keeps everything a consumer needs.
    #[prost(message, repeated, tag = "14")]
    pub metadata_props: Vec<StringStringEntryProto>,
}

/// `GraphProto`: the weights and the names of the inputs and outputs.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    /// The constant tensors (weights).
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// The graph's inputs.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// The graph's outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `ValueInfoProto`: a named value (only the name is read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    /// The value's name.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `TensorProto`: a named tensor with its values inline.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// The shape.
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// The element type (`TensorProto.DataType`: 1 is float32, 7 int64).
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    /// float32 values, when not in `raw_data`.
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// int64 values, when not in `raw_data`.
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    /// The tensor's name.
    #[prost(string, tag = "8")]
    pub name: String,
    /// The values as little-endian bytes (`Bytes`: prost copies a field
    /// into it once, where a `Vec<u8>` costs a second copy; the weights
    /// are most of a predictor file).
    #[prost(bytes = "bytes", tag = "9")]
    pub raw_data: bytes::Bytes,
}

/// `StringStringEntryProto`: one metadata entry.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringEntryProto {
    /// The key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `TensorProto.DataType.FLOAT`.
pub const FLOAT: i32 = 1;

/// The float32 values of a tensor of `data_type` stored in `raw_data`
/// (little-endian) or `float_data`; None for another type or a truncated
/// `raw_data`.
pub fn f32_values(data_type: i32, raw_data: &[u8], float_data: &[f32]) -> Option<Vec<f32>> {
    if data_type != FLOAT {
        return None;
    }
    if !raw_data.is_empty() {
        if !raw_data.len().is_multiple_of(4) {
            return None;
        }
        let mut values = vec![0f32; raw_data.len() / 4];
        // ONNX stores little-endian floats, the layout of a float in memory
        // on little-endian machines (x86, ARM, wasm32): one copy. A loop
        // over the values was a visible part of loading a predictor in the
        // browser, where a function's first run is unoptimised code.
        bytemuck::cast_slice_mut::<f32, u8>(&mut values).copy_from_slice(raw_data);
        if cfg!(target_endian = "big") {
            for v in &mut values {
                *v = f32::from_bits(u32::from_le(v.to_bits()));
            }
        }
        return Some(values);
    }
    Some(float_data.to_vec())
}

impl TensorProto {
    /// The float32 values ([`f32_values`]).
    pub fn f32_values(&self) -> Option<Vec<f32>> {
        f32_values(self.data_type, &self.raw_data, &self.float_data)
    }
}

/// Decodes an ONNX model, or says why the bytes are not one.
pub fn decode_model(bytes: &[u8]) -> Result<ModelProto, prost::DecodeError> {
    prost::Message::decode(bytes)
}
