//! Backpropagation through an [`Mlp`] (ReLU between layers, linear output).

use super::dense::Mlp;
use ndarray::{Array1, Array2, Axis, Zip};

/// Gradients of a loss with respect to every layer's `(weight, bias)`.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpGrads {
    /// `(weight, bias)` gradients, one pair per layer in the network's order and shaped like
    /// it.
    pub layers: Vec<(Array2<f32>, Array1<f32>)>,
}

impl MlpGrads {
    /// Global L2 norm of all gradients.
    pub fn norm(&self) -> f32 {
        self.layers
            .iter()
            .map(|(w, b)| w.iter().chain(b.iter()).map(|g| g * g).sum::<f32>())
            .sum::<f32>()
            .sqrt()
    }

    /// Multiplies every gradient by `s`.
    pub fn scale(&mut self, s: f32) {
        for (w, b) in &mut self.layers {
            w.mapv_inplace(|g| g * s);
            b.mapv_inplace(|g| g * s);
        }
    }
}

/// Gradients of a loss given `acts` (from [`Mlp::forward_all`] on the batch)
/// and `d_out`, the loss's gradient with respect to the network's output.
pub fn backward(mlp: &Mlp, acts: &[Array2<f32>], d_out: Array2<f32>) -> MlpGrads {
    backward_impl(mlp, acts, d_out, false).0
}

/// [`backward`] plus the loss's gradient with respect to the network's
/// input, for an MLP stacked on another trainable model (a GNN's head).
pub fn backward_with_input(
    mlp: &Mlp,
    acts: &[Array2<f32>],
    d_out: Array2<f32>,
) -> (MlpGrads, Array2<f32>) {
    let (grads, d_in) = backward_impl(mlp, acts, d_out, true);
    (grads, d_in.expect("requested"))
}

fn backward_impl(
    mlp: &Mlp,
    acts: &[Array2<f32>],
    d_out: Array2<f32>,
    want_input: bool,
) -> (MlpGrads, Option<Array2<f32>>) {
    let n = mlp.layers.len();
    assert_eq!(
        acts.len(),
        n + 1,
        "forward_all gives one activation per layer plus the input"
    );
    let mut layers = Vec::with_capacity(n);
    let mut delta = d_out;
    let mut d_input = None;
    for i in (0..n).rev() {
        let gw = acts[i].t().dot(&delta);
        let gb = delta.sum_axis(Axis(0));
        layers.push((gw, gb));
        if i > 0 {
            let mut d = delta.dot(&mlp.layers[i].weight.t());
            // ReLU: acts[i] is the post-activation of layer i−1; its gradient
            // passes where the output was positive.
            Zip::from(&mut d).and(&acts[i]).for_each(|g, &a| {
                if a <= 0.0 {
                    *g = 0.0;
                }
            });
            delta = d;
        } else if want_input {
            d_input = Some(delta.dot(&mlp.layers[0].weight.t()));
        }
    }
    layers.reverse();
    (MlpGrads { layers }, d_input)
}
