//! `graph-v1`: adjacency plus one-hot node types, for graph neural networks.

use crate::space::Arch;

/// An op graph as dense float matrices.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphEncoding {
    /// Number of graph nodes (input, one per choice, output).
    pub nodes: usize,
    /// Vocabulary size: input, output and the space's operations.
    pub vocabulary: usize,
    /// `adjacency[i * nodes + j]` = 1 when node i feeds node j.
    pub adjacency: Vec<f32>,
    /// `node_types[i * vocabulary + t]` = 1 when node i has type t.
    pub node_types: Vec<f32>,
}

impl GraphEncoding {
    /// Adjacency then node types, one flat vector (the `graph-v1` layout).
    pub fn flatten(self) -> Vec<f32> {
        let mut v = self.adjacency;
        v.extend(self.node_types);
        v
    }
}

/// The `graph-v1` encoding of an architecture.
pub fn graph_v1(arch: &Arch) -> GraphEncoding {
    let graph = arch.op_graph();
    let nodes = graph.node_types.len();
    let vocabulary = arch.space().graph_vocabulary().len();
    let adjacency = graph
        .adjacency
        .iter()
        .flatten()
        .map(|&edge| if edge { 1.0 } else { 0.0 })
        .collect();
    let mut node_types = vec![0.0; nodes * vocabulary];
    for (i, &t) in graph.node_types.iter().enumerate() {
        node_types[i * vocabulary + t] = 1.0;
    }
    GraphEncoding {
        nodes,
        vocabulary,
        adjacency,
        node_types,
    }
}
