//! Architecture graphs as batched dense tensors.
//!
//! Every graph of a search space has the same number of nodes (`graph-v1`),
//! so a batch of B graphs is stored *node-major*: the state of node i of
//! graph b is row `i·B + b` of a `(nodes·B) × width` matrix. Message passing
//! then works on whole `B × width` blocks (one vectorised multiply-add per
//! pair of nodes that are connected in any graph of the batch) and the
//! weight products are single large matrix products, instead of loops over
//! graphs and nodes.

use crate::error::{Error, Result};
use latscope_shared::encoding::graph_v1;
use latscope_shared::space::Arch;
use ndarray::{s, Array2, Array3, ArrayView2, Zip};

/// Node features and normalised adjacencies of a set of graphs with the same
/// node count.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphInputs {
    /// Nodes per graph.
    pub nodes: usize,
    /// `(graphs·nodes) × node_dim`, graph-major (row `g·nodes + i`).
    pub node_features: Array2<f32>,
    /// `graphs × nodes × nodes`: `forward[g, i, j]` weighs node j's state in
    /// node i's update along the data flow (j feeds i, or j = i), rows
    /// normalised to sum 1 (mean over predecessors and self).
    pub forward: Array3<f32>,
    /// The same against the data flow (i feeds j, or j = i): how a node's
    /// consumers see it. Both directions matter for latency (a node's cost
    /// depends on what it reads, its influence on what reads it).
    pub backward: Array3<f32>,
}

impl GraphInputs {
    /// From `graph-v1` of each architecture; with `positions`, each node's
    /// features also hold a one-hot of its index, since the cost of an
    /// operation depends on where it sits (resolution and channels differ
    /// per FBNet layer, which a chain's structure alone cannot tell a
    /// shallow GNN).
    pub fn from_archs(archs: &[Arch], positions: bool) -> Result<Self> {
        let Some(first) = archs.first() else {
            return Err(Error::Empty {
                context: "graph inputs".into(),
                what: "architecture",
            });
        };
        let (nodes, vocab) = {
            let g = graph_v1(first);
            (g.nodes, g.vocabulary)
        };
        let dim = vocab + if positions { nodes } else { 0 };
        let mut feats = Array2::<f32>::zeros((archs.len() * nodes, dim));
        let mut adjacency = Vec::with_capacity(archs.len());
        for (g, arch) in archs.iter().enumerate() {
            let enc = graph_v1(arch);
            if enc.nodes != nodes || enc.vocabulary != vocab {
                return Err(Error::WrongSpace {
                    arch: arch.to_string(),
                    space: arch.space(),
                    of: "this graph batch",
                    expected: first.space(),
                });
            }
            for i in 0..nodes {
                let row = g * nodes + i;
                for t in 0..vocab {
                    feats[[row, t]] = enc.node_types[i * vocab + t];
                }
                if positions {
                    feats[[row, vocab + i]] = 1.0;
                }
            }
            adjacency.push(
                Array2::from_shape_vec((nodes, nodes), enc.adjacency).expect("graph-v1 shape"),
            );
        }
        Self::new(nodes, feats, &adjacency)
    }

    /// From node features (graph-major rows) and one 0/1 adjacency per graph
    /// (`adjacency[g][[i, j]] ≠ 0` when node i feeds node j).
    pub fn new(
        nodes: usize,
        node_features: Array2<f32>,
        adjacency: &[Array2<f32>],
    ) -> Result<Self> {
        let graphs = adjacency.len();
        if node_features.nrows() != graphs * nodes {
            return Err(Error::CountMismatch {
                context: format!("graph inputs ({graphs} graphs of {nodes} nodes)"),
                got: node_features.nrows(),
                got_what: "feature rows",
                expected: graphs * nodes,
                expected_what: "nodes",
            });
        }
        if let Some((g, a)) = adjacency
            .iter()
            .enumerate()
            .find(|(_, a)| a.dim() != (nodes, nodes))
        {
            return Err(Error::CountMismatch {
                context: format!("graph inputs: adjacency {g} of shape {:?}", a.dim()),
                got: if a.nrows() != nodes {
                    a.nrows()
                } else {
                    a.ncols()
                },
                got_what: "rows or columns",
                expected: nodes,
                expected_what: "nodes",
            });
        }
        let mut forward = Array3::<f32>::zeros((graphs, nodes, nodes));
        let mut backward = Array3::<f32>::zeros((graphs, nodes, nodes));
        for (g, a) in adjacency.iter().enumerate() {
            for i in 0..nodes {
                for j in 0..nodes {
                    let self_loop = i == j;
                    forward[[g, i, j]] = f32::from(self_loop || a[[j, i]] != 0.0);
                    backward[[g, i, j]] = f32::from(self_loop || a[[i, j]] != 0.0);
                }
            }
        }
        for m in [&mut forward, &mut backward] {
            for mut row in m.lanes_mut(ndarray::Axis(2)) {
                let sum: f32 = row.sum();
                row.mapv_inplace(|v| v / sum);
            }
        }
        Ok(GraphInputs {
            nodes,
            node_features,
            forward,
            backward,
        })
    }

    /// Number of graphs held.
    pub fn graphs(&self) -> usize {
        self.forward.shape()[0]
    }

    /// Width of each node's feature row.
    pub fn node_dim(&self) -> usize {
        self.node_features.ncols()
    }

    /// The graphs `rows`, node-major, ready for a forward pass.
    pub fn batch(&self, rows: &[usize]) -> GraphBatch {
        let (n, b) = (self.nodes, rows.len());
        let mut x = Array2::<f32>::zeros((n * b, self.node_dim()));
        for (k, &g) in rows.iter().enumerate() {
            for i in 0..n {
                x.row_mut(i * b + k)
                    .assign(&self.node_features.row(g * n + i));
            }
        }
        GraphBatch {
            graphs: b,
            nodes: n,
            x,
            forward: BatchAdjacency::gather(&self.forward, rows),
            backward: BatchAdjacency::gather(&self.backward, rows),
        }
    }
}

/// A batch of graphs, node-major (see the module documentation).
#[derive(Clone, Debug)]
pub struct GraphBatch {
    /// Graphs in the batch (B).
    pub graphs: usize,
    /// Nodes per graph, the same for every graph.
    pub nodes: usize,
    /// `(nodes·graphs) × node_dim`.
    pub x: Array2<f32>,
    /// Adjacencies along the data flow, for the batch.
    pub forward: BatchAdjacency,
    /// Adjacencies against the data flow, for the batch.
    pub backward: BatchAdjacency,
}

/// One normalised adjacency per graph of a batch, laid out so that the
/// weight of node j in node i's update is a vector over the batch.
#[derive(Clone, Debug)]
pub struct BatchAdjacency {
    /// `nodes × nodes × graphs`.
    weights: Array3<f32>,
    /// Node pairs (i, j) with a non-zero weight in some graph of the batch.
    pairs: Vec<(usize, usize)>,
}

impl BatchAdjacency {
    fn gather(all: &Array3<f32>, rows: &[usize]) -> Self {
        let n = all.shape()[1];
        let weights = Array3::from_shape_fn((n, n, rows.len()), |(i, j, k)| all[[rows[k], i, j]]);
        let pairs = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| weights.slice(s![i, j, ..]).iter().any(|&w| w != 0.0))
            .collect();
        BatchAdjacency { weights, pairs }
    }

    /// `Â·H` per graph (`transpose`: `Âᵀ·H`, for backpropagation), on a
    /// node-major `(nodes·B) × width` state.
    pub fn apply(&self, h: ArrayView2<'_, f32>, transpose: bool) -> Array2<f32> {
        let b = self.weights.shape()[2];
        let mut out = Array2::<f32>::zeros(h.raw_dim());
        for &(i, j) in &self.pairs {
            let (dst, src) = if transpose { (j, i) } else { (i, j) };
            let w = self.weights.slice(s![i, j, ..]);
            let src = h.slice(s![src * b..(src + 1) * b, ..]);
            let mut dst = out.slice_mut(s![dst * b..(dst + 1) * b, ..]);
            Zip::from(dst.rows_mut())
                .and(src.rows())
                .and(&w)
                .for_each(|mut d, s, &w| d.scaled_add(w, &s));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn normalised_both_directions_and_batched_product_matches_dense() {
        // 0 → 1 → 2 and 0 → 2.
        let a = array![[0.0f32, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]];
        let b = array![[0.0f32, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]];
        let feats = Array2::from_shape_fn((6, 2), |(r, c)| (r * 2 + c) as f32);
        let g = GraphInputs::new(3, feats.clone(), &[a, b]).unwrap();
        // Node 2 of graph 0 reads 0, 1 and itself.
        assert_eq!(g.forward.slice(s![0, 2, ..]).to_vec(), vec![1.0 / 3.0; 3]);
        // Node 0 of graph 1 is read by 1 (and itself).
        assert_eq!(g.backward.slice(s![1, 0, ..]).to_vec(), vec![0.5, 0.5, 0.0]);

        let batch = g.batch(&[1, 0]);
        for (adj, dense) in [(&batch.forward, &g.forward), (&batch.backward, &g.backward)] {
            let y = adj.apply(batch.x.view(), false);
            let yt = adj.apply(batch.x.view(), true);
            for (k, &graph) in [1usize, 0].iter().enumerate() {
                let xg = feats.slice(s![graph * 3..graph * 3 + 3, ..]);
                let m = dense.slice(s![graph, .., ..]);
                let want = m.dot(&xg);
                let want_t = m.t().dot(&xg);
                for i in 0..3 {
                    for c in 0..2 {
                        assert!((y[[i * 2 + k, c]] - want[[i, c]]).abs() < 1e-5);
                        assert!((yt[[i * 2 + k, c]] - want_t[[i, c]]).abs() < 1e-5);
                    }
                }
            }
        }
    }
}
