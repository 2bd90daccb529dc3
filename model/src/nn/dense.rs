//! Fully connected layers and the multilayer perceptron built from them.
//!
//! The layout is the one ONNX `Gemm` expects with `transB = 0`: `weight` is
//! `in × out`, so a layer is `x · W + b` on row-major batches.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One fully connected layer: `y = x · weight + bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// `in × out`.
    pub weight: Array2<f32>,
    /// `out`.
    pub bias: Array1<f32>,
}

impl Dense {
    /// He-uniform weights (suited to a following ReLU), zero bias.
    pub fn new(inputs: usize, outputs: usize, rng: &mut ChaCha8Rng) -> Self {
        let bound = (6.0 / inputs.max(1) as f32).sqrt();
        let weight = Array2::from_shape_fn((inputs, outputs), |_| rng.random_range(-bound..bound));
        Dense {
            weight,
            bias: Array1::zeros(outputs),
        }
    }

    /// Width of the layer's input (the weight matrix's rows).
    pub fn inputs(&self) -> usize {
        self.weight.nrows()
    }

    /// Width of the layer's output (the weight matrix's columns).
    pub fn outputs(&self) -> usize {
        self.weight.ncols()
    }

    /// `x · weight + bias` for a batch (rows).
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        let mut y = x.dot(&self.weight);
        y += &self.bias.view().insert_axis(Axis(0));
        y
    }
}

/// Dense layers with ReLU between them and none after the last.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The layers, input first; consecutive layers' widths match.
    pub layers: Vec<Dense>,
}

impl Mlp {
    /// Layer widths `[inputs, hidden.., outputs]`, seeded initialisation.
    pub fn new(widths: &[usize], seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let layers = widths
            .windows(2)
            .map(|w| Dense::new(w[0], w[1], &mut rng))
            .collect();
        Mlp { layers }
    }

    /// Width of the network's input (0 without layers).
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, Dense::inputs)
    }

    /// Width of the network's output (0 without layers).
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, Dense::outputs)
    }

    /// The output of every layer (after its ReLU, except the last), the
    /// input first: what backpropagation and embedding extraction need.
    pub fn forward_all(&self, x: ArrayView2<'_, f32>) -> Vec<Array2<f32>> {
        let mut outs = vec![x.to_owned()];
        for (i, layer) in self.layers.iter().enumerate() {
            let mut y = layer.forward(outs[i].view());
            if i + 1 < self.layers.len() {
                y.mapv_inplace(|v| v.max(0.0));
            }
            outs.push(y);
        }
        outs
    }

    /// The network's output for a batch.
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        self.forward_all(x)
            .pop()
            .expect("forward_all returns the input at least")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn forward_by_hand() {
        let mlp = Mlp {
            layers: vec![
                Dense {
                    weight: array![[1.0, -1.0], [2.0, 0.5]],
                    bias: array![0.0, -1.0],
                },
                Dense {
                    weight: array![[1.0], [3.0]],
                    bias: array![0.5],
                },
            ],
        };
        // x = [1, 2]: hidden = [1+4, -1+1-1] = [5, -1] → ReLU [5, 0]; out = 5 + 0.5.
        let y = mlp.forward(array![[1.0, 2.0]].view());
        assert_eq!(y, array![[5.5]]);
    }

    #[test]
    fn seeded_initialisation_is_reproducible() {
        assert_eq!(Mlp::new(&[4, 8, 2], 3), Mlp::new(&[4, 8, 2], 3));
        assert_ne!(Mlp::new(&[4, 8, 2], 3), Mlp::new(&[4, 8, 2], 4));
    }
}
