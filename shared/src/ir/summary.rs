//! Human-readable listings of a network.

use super::{Network, Op};
use std::fmt::Write;

impl Network {
    /// One line per node: id, name, op with its parameters, inputs, output shape.
    pub fn layer_table(&self) -> String {
        let mut out = String::new();
        let width = self.nodes.iter().map(|n| n.name.len()).max().unwrap_or(4);
        for (id, node) in self.nodes.iter().enumerate() {
            let inputs: Vec<String> = node.inputs.iter().map(|i| i.to_string()).collect();
            let _ = writeln!(
                out,
                "{id:>4}  {:<width$}  {:<28} <- [{}]  {}",
                node.name,
                describe(&node.op),
                inputs.join(","),
                node.shape,
            );
        }
        out
    }
}

/// The op with its parameters in a compact form, e.g. `conv k3 s2 g1 ->32`.
pub fn describe(op: &Op) -> String {
    match op {
        Op::Conv2d {
            out_channels,
            kernel,
            stride,
            groups,
            bias,
            ..
        } => format!(
            "conv k{kernel} s{stride} g{groups} ->{out_channels}{}",
            if *bias { " +bias" } else { "" }
        ),
        Op::AvgPool { kernel, stride, .. } => format!("avg_pool k{kernel} s{stride}"),
        Op::MaxPool { kernel, stride, .. } => format!("max_pool k{kernel} s{stride}"),
        Op::Linear { out_features, .. } => format!("linear ->{out_features}"),
        Op::ChannelShuffle { groups } => format!("channel_shuffle g{groups}"),
        other => other.kind().to_string(),
    }
}
