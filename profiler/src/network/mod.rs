//! Exporting a [`Network`] as an ONNX model of the architecture itself, with
//! seeded (untrained) weights, so any ONNX runtime can execute and time it.
//!
//! # Format
//!
//! * ONNX opset [`OPSET_VERSION`] (17, default domain only) with IR version
//!   [`IR_VERSION`] (8), the pair ONNX 1.12 introduced. Opset ≥ 14 is needed
//!   for `HardSwish`; 17 is widely supported (onnxruntime ≥ 1.12, tract).
//! * One input, `input`: float32 `[N, C, H, W]`, where `N` is the symbolic
//!   dimension `"N"` or the fixed [`ExportOptions::batch`].
//! * One output, `output`: float32 `[N, K]` with K the elements of the
//!   network's output shape (the class count for a classifier ending in a
//!   linear layer; other outputs are flattened).
//! * ONNX node names are the IR node names; each node's output tensor is
//!   named like its node. Initializers are `<node>.weight`, `<node>.bias`,
//!   `<node>.running_mean`, `<node>.running_var` (PyTorch's state-dict
//!   names), `<node>.split_shape` / `<node>.merge_shape` for channel
//!   shuffles, and a few shared `latscope.*` constants.
//!
//! # Operator mapping
//!
//! | IR op | ONNX |
//! |---|---|
//! | `Conv2d` | `Conv` (group, kernel_shape, strides, pads, dilations 1), bias input when the IR has one |
//! | `BatchNorm` | `BatchNormalization` (inference, epsilon 1e-5) |
//! | `Activation::Relu` | `Relu` |
//! | `Activation::Relu6` | `Clip` with scalar min 0 / max 6 inputs |
//! | `Activation::HSwish` | `HardSwish` |
//! | `AvgPool` | `AveragePool` (count_include_pad as in the IR) |
//! | `MaxPool` | `MaxPool` |
//! | `GlobalAvgPool` | `GlobalAveragePool` |
//! | `Add` | `Add` for 2 inputs, `Sum` for more |
//! | `Linear` | `Flatten(axis 1)` of its input, then `Gemm(transB = 1)` |
//! | `ChannelShuffle{g}` | `Reshape [0, g, C/g, H, W]` → `Transpose [0, 2, 1, 3, 4]` → `Reshape [0, C, H, W]` (0 copies the batch) |
//! | `Identity` | `Identity` |
//! | `Zero` | `Mul` by a scalar 0 (the result is shaped like the input) |
//!
//! A linear layer's `[N, K]` output feeding an op that needs 4-D input is
//! turned back into `[N, K, 1, 1]` with `Unsqueeze`.
//!
//! # Weights
//!
//! Conv weights are He-normal (std √(2 / fan_in)), linear weights normal with
//! std 1/√fan_in, biases uniform in ±1/√fan_in; batch-norm γ ~ U(0.5, 1.5),
//! β ~ U(−0.1, 0.1), running mean ~ U(−0.1, 0.1), running variance
//! ~ U(0.5, 1.5). Each tensor is drawn from a ChaCha8 stream chosen by the
//! seed and the tensor's name, so the same seed gives the same bytes, on
//! every platform (see `weights.rs`).

mod error;
mod lower;
mod runner;
mod weights;

pub use error::{Error, Result};
pub use latscope_model::onnx_pb::{tensor_len, tensor_values_f32, IR_VERSION, OPSET_VERSION};
pub use runner::{ArchRunner, RunOutput, RunnerOptions};
pub use tract_onnx::pb;

use latscope_model::onnx_pb::{metadata_entry, model_proto, value_info_f32, Dim};
use latscope_model::predictor_onnx::metadata;
use latscope_shared::ir::Network;
use pb::{GraphProto, ModelProto};
/// Name of the graph input.
pub const INPUT_NAME: &str = "input";
/// Name of the graph output.
pub const OUTPUT_NAME: &str = "output";
/// The symbolic batch dimension used when [`ExportOptions::batch`] is `None`.
pub const BATCH_DIM: &str = "N";

/// How to export a network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExportOptions {
    /// Seed of the random weights: the same seed gives the same bytes.
    pub seed: u64,
    /// A fixed batch size, or `None` for the symbolic dimension [`BATCH_DIM`].
    pub batch: Option<usize>,
}

impl ExportOptions {
    /// Weights drawn from `seed`, with the symbolic batch dimension
    /// [`BATCH_DIM`].
    pub fn new(seed: u64) -> Self {
        ExportOptions { seed, batch: None }
    }

    /// The same options with the batch dimension fixed at `batch` samples
    /// (0 is refused by [`export_network`]).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = Some(batch);
        self
    }
}

/// Exports `net` as an ONNX model with seeded weights.
pub fn export_network(net: &Network, opts: &ExportOptions) -> Result<ModelProto> {
    net.validate()?;
    if opts.batch == Some(0) {
        return Err(Error::Export {
            network: net.name.clone(),
            reason: "the batch size must be at least 1".into(),
        });
    }
    let lowered = lower::Lowerer::new(net, opts.seed).lower()?;
    let batch = match opts.batch {
        Some(b) => Dim::Fixed(b),
        None => Dim::Symbolic(BATCH_DIM),
    };
    let input = net.input_shape();
    let output_len = net.output_shape().elements() as usize;
    let graph = GraphProto {
        name: graph_name(&net.name),
        doc_string: net.name.clone(),
        node: lowered.nodes,
        initializer: lowered.initializers,
        input: vec![value_info_f32(
            INPUT_NAME,
            &[
                batch.clone(),
                Dim::Fixed(input.channels),
                Dim::Fixed(input.height),
                Dim::Fixed(input.width),
            ],
        )],
        output: vec![value_info_f32(
            OUTPUT_NAME,
            &[batch, Dim::Fixed(output_len)],
        )],
        ..Default::default()
    };
    Ok(model_proto(
        graph,
        format!(
            "{} with random weights (seed {}); for latency measurement, not for accuracy",
            net.name, opts.seed
        ),
        vec![
            metadata_entry(metadata::KIND, metadata::KIND_ARCHITECTURE),
            metadata_entry("latscope.network", net.name.clone()),
            metadata_entry("latscope.seed", opts.seed.to_string()),
        ],
    ))
}

/// [`export_network`], encoded as the bytes of a `.onnx` file.
pub fn export_network_bytes(net: &Network, opts: &ExportOptions) -> Result<Vec<u8>> {
    Ok(prost::Message::encode_to_vec(&export_network(net, opts)?))
}

/// A graph name made of the network name's word characters (ONNX tools
/// print it; spaces and `|` make it awkward to use).
fn graph_name(network: &str) -> String {
    let mut name: String = network
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        name.push_str("latscope");
    }
    name
}

/// Parameter counts of an exported model, read from its initializers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParamCount {
    /// Conv / linear weights and biases and batch-norm γ, β: what PyTorch's
    /// `sum(p.numel() for p in model.parameters())` counts.
    pub trainable: u64,
    /// Batch-norm running means and variances.
    pub buffers: u64,
    /// Everything else (shape tensors, shared scalars).
    pub constants: u64,
}

/// A node's parameter tensor, named in the export as PyTorch's state dict
/// names it: `<node>.weight`, `<node>.bias`, `<node>.running_mean`,
/// `<node>.running_var`. The one home of these names: the export writes
/// them and the CUDA backend's plan reads the weights back by them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// A conv or linear weight, or a batch-norm's scale γ.
    Weight,
    /// A bias, or a batch-norm's shift β.
    Bias,
    /// A batch-norm's running mean (a buffer, not trained).
    RunningMean,
    /// A batch-norm's running variance (a buffer, not trained).
    RunningVar,
}

impl Param {
    /// The name's suffix after the node name, e.g. `running_mean`.
    pub fn suffix(self) -> &'static str {
        match self {
            Param::Weight => "weight",
            Param::Bias => "bias",
            Param::RunningMean => "running_mean",
            Param::RunningVar => "running_var",
        }
    }

    /// The initializer name of this parameter of `node`.
    pub fn of(self, node: &str) -> String {
        format!("{node}.{}", self.suffix())
    }

    /// Whether gradient descent would train it (weights and biases) rather
    /// than keep it as a statistic.
    pub fn trainable(self) -> bool {
        matches!(self, Param::Weight | Param::Bias)
    }

    /// The parameter an initializer name stands for, if it is one.
    pub fn of_name(name: &str) -> Option<Param> {
        let (_, suffix) = name.rsplit_once('.')?;
        [
            Param::Weight,
            Param::Bias,
            Param::RunningMean,
            Param::RunningVar,
        ]
        .into_iter()
        .find(|p| p.suffix() == suffix)
    }
}

/// Counts parameters by initializer name: `*.weight` and `*.bias` are
/// trainable, `*.running_mean` and `*.running_var` buffers (the exporter's
/// naming; see the module docs).
pub fn parameter_count(model: &ModelProto) -> ParamCount {
    let mut count = ParamCount::default();
    for t in model.graph.iter().flat_map(|g| &g.initializer) {
        let n = tensor_len(t);
        match Param::of_name(&t.name) {
            Some(p) if p.trainable() => count.trainable += n,
            Some(_) => count.buffers += n,
            None => count.constants += n,
        }
    }
    count
}

/// A deterministic input of `len` floats for `seed`: approximately
/// standard-normal values, bit-identical on every platform.
pub fn random_input(seed: u64, len: usize) -> Vec<f32> {
    weights::WeightGen::new(seed).normal(INPUT_NAME, len, 1.0)
}

/// The values of the float32 initializer `name`, if the model has one.
pub fn initializer_f32(model: &ModelProto, name: &str) -> Option<Vec<f32>> {
    model
        .graph
        .as_ref()?
        .initializer
        .iter()
        .find(|t| t.name == name)
        .and_then(tensor_values_f32)
}

#[cfg(test)]
mod tests;
