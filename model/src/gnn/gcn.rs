//! A graph convolutional network with a dense head, and its backpropagation.
//!
//! Layer l: `H' = relu([Â_f·H | Â_b·H]·W + b)`, where `Â_f` averages over a
//! node's predecessors and itself and `Â_b` over its successors and itself
//! (both edge directions, as in BRP-NAS/HELP-style GCNs, with one weight
//! matrix over both messages). Readout: `[mean over nodes | output node]`
//! of the last layer, optionally followed by per-graph global features, into
//! an [`Mlp`] head with one output per training device.

use super::graphs::GraphBatch;
use crate::nn::{backward_with_input, Dense, Mlp, MlpGrads};
use ndarray::{concatenate, s, Array2, ArrayView2, Axis, Zip};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Message-passing layers and the head.
#[derive(Clone, Debug, PartialEq)]
pub struct Gcn {
    /// Layer l maps `2·width_l` (both directions' messages) to `width_{l+1}`.
    pub layers: Vec<Dense>,
    /// Input: `2·last width` readout plus the global features.
    pub head: Mlp,
}

/// Everything a forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct GcnActivations {
    /// Per layer, its input `[Â_f·H | Â_b·H]`.
    messages: Vec<Array2<f32>>,
    /// Per layer, its output after the ReLU (`states[0]` is the input).
    states: Vec<Array2<f32>>,
    /// The head's activations (input = readout and global features first).
    head: Vec<Array2<f32>>,
}

impl GcnActivations {
    /// Per graph: `[mean over nodes | output node]` of the last layer.
    pub fn readout(&self) -> ArrayView2<'_, f32> {
        let r = self.states.last().map_or(0, |h| 2 * h.ncols());
        self.head[0].slice(s![.., ..r])
    }

    /// The head's last hidden layer (the readout when the head is linear).
    pub fn last_hidden(&self) -> &Array2<f32> {
        &self.head[self.head.len() - 2]
    }

    /// Per graph, one value per output.
    pub fn output(&self) -> &Array2<f32> {
        self.head.last().expect("the head has an output")
    }
}

impl crate::nn::DenseLayers for Gcn {
    fn dense_layers(&self) -> Vec<&Dense> {
        self.all_layers().collect()
    }
    fn dense_layers_mut(&mut self) -> Vec<&mut Dense> {
        self.all_layers_mut().collect()
    }
}

impl Gcn {
    /// `node_dim` input features per node, message widths `widths`,
    /// `global` features per graph, head hidden widths `head_hidden`,
    /// `outputs` outputs; seeded He initialisation.
    pub fn new(
        node_dim: usize,
        widths: &[usize],
        global: usize,
        head_hidden: &[usize],
        outputs: usize,
        seed: u64,
    ) -> Self {
        assert!(!widths.is_empty(), "a GCN needs at least one layer");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut inputs = node_dim;
        let mut layers = Vec::with_capacity(widths.len());
        for &w in widths {
            layers.push(Dense::new(2 * inputs, w, &mut rng));
            inputs = w;
        }
        let mut head_widths = vec![2 * inputs + global];
        head_widths.extend(head_hidden);
        head_widths.push(outputs);
        let head = Mlp::new(&head_widths, rand::Rng::random(&mut rng));
        Gcn { layers, head }
    }

    /// Width of the output: one standardised ln ms per training device.
    pub fn outputs(&self) -> usize {
        self.head.outputs()
    }

    /// Global features per graph the head expects.
    pub fn global_features(&self) -> usize {
        self.head.inputs() - 2 * self.layers.last().map_or(0, Dense::outputs)
    }

    /// Every layer, message layers first: the order of the [`MlpGrads`] that
    /// [`Self::backward`] returns and of the optimiser's state.
    pub fn all_layers(&self) -> impl Iterator<Item = &Dense> {
        self.layers.iter().chain(&self.head.layers)
    }

    /// Every layer, mutably, in the order of [`Self::all_layers`].
    pub fn all_layers_mut(&mut self) -> impl Iterator<Item = &mut Dense> {
        self.layers.iter_mut().chain(&mut self.head.layers)
    }

    /// Forward pass on a batch; `global` is `graphs × global_features`.
    pub fn forward(&self, batch: &GraphBatch, global: ArrayView2<'_, f32>) -> GcnActivations {
        assert_eq!(global.dim(), (batch.graphs, self.global_features()));
        let mut messages = Vec::with_capacity(self.layers.len());
        let mut states = vec![batch.x.clone()];
        for layer in &self.layers {
            let h = states.last().expect("input state");
            let m = concatenate(
                Axis(1),
                &[
                    batch.forward.apply(h.view(), false).view(),
                    batch.backward.apply(h.view(), false).view(),
                ],
            )
            .expect("same rows");
            let mut z = layer.forward(m.view());
            z.mapv_inplace(|v| v.max(0.0));
            messages.push(m);
            states.push(z);
        }
        let h = states.last().expect("at least one layer");
        let (b, n) = (batch.graphs, batch.nodes);
        let mut mean = Array2::<f32>::zeros((b, h.ncols()));
        for i in 0..n {
            mean += &h.slice(s![i * b..(i + 1) * b, ..]);
        }
        mean.mapv_inplace(|v| v / n as f32);
        let last = h.slice(s![(n - 1) * b..n * b, ..]);
        let head_in = concatenate(Axis(1), &[mean.view(), last, global]).expect("same rows");
        let head = self.head.forward_all(head_in.view());
        GcnActivations {
            messages,
            states,
            head,
        }
    }

    /// Gradients of a loss whose gradient with respect to the output is
    /// `d_out`, given the batch's activations.
    pub fn backward(
        &self,
        batch: &GraphBatch,
        acts: &GcnActivations,
        d_out: Array2<f32>,
    ) -> MlpGrads {
        let (head_grads, d_head_in) = backward_with_input(&self.head, &acts.head, d_out);
        let (b, n) = (batch.graphs, batch.nodes);
        let h = acts.states.last().expect("at least one layer");
        let width = h.ncols();
        // Readout: the mean spreads its gradient over all nodes, the output
        // node gets its own on top.
        let d_mean = d_head_in.slice(s![.., ..width]).mapv(|v| v / n as f32);
        let mut d_h = Array2::<f32>::zeros(h.raw_dim());
        for i in 0..n {
            d_h.slice_mut(s![i * b..(i + 1) * b, ..]).assign(&d_mean);
        }
        d_h.slice_mut(s![(n - 1) * b..n * b, ..])
            .scaled_add(1.0, &d_head_in.slice(s![.., width..2 * width]));
        let mut grads = Vec::with_capacity(self.layers.len() + self.head.layers.len());
        for l in (0..self.layers.len()).rev() {
            // ReLU on the layer's output.
            Zip::from(&mut d_h)
                .and(&acts.states[l + 1])
                .for_each(|g, &a| {
                    if a <= 0.0 {
                        *g = 0.0;
                    }
                });
            grads.push((acts.messages[l].t().dot(&d_h), d_h.sum_axis(Axis(0))));
            if l > 0 {
                let d_m = d_h.dot(&self.layers[l].weight.t());
                let w = d_m.ncols() / 2;
                let mut d_prev = batch.forward.apply(d_m.slice(s![.., ..w]), true);
                d_prev += &batch.backward.apply(d_m.slice(s![.., w..]), true);
                d_h = d_prev;
            }
        }
        grads.reverse();
        grads.extend(head_grads.layers);
        MlpGrads { layers: grads }
    }
}
