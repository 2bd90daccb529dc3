//! Adam with decoupled weight decay (AdamW) for an [`Mlp`], or for any
//! ordered list of [`Dense`] layers (a GNN's message layers and head).

use super::backprop::MlpGrads;
use super::dense::{Dense, Mlp};
use ndarray::{Array1, Array2, Zip};

/// Adam hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Decay rate of the running mean of gradients (first moment); 0.9 by default.
    pub beta1: f32,
    /// Decay rate of the running mean of squared gradients (second moment); 0.999 by default.
    pub beta2: f32,
    /// Added to the second moment's square root to avoid dividing by zero.
    pub eps: f32,
    /// Decoupled weight decay on weights (not biases), per unit learning rate.
    pub weight_decay: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 1e-2,
        }
    }
}

/// First and second moment estimates, one pair per parameter tensor.
#[derive(Clone, Debug)]
pub struct Adam {
    /// The hyper-parameters every step uses.
    pub config: AdamConfig,
    step: i32,
    m: Vec<(Array2<f32>, Array1<f32>)>,
    v: Vec<(Array2<f32>, Array1<f32>)>,
}

impl Adam {
    /// Zero moments shaped like `mlp`'s layers, ready for its first step.
    pub fn new(mlp: &Mlp, config: AdamConfig) -> Self {
        Self::for_layers(&mlp.layers, config)
    }

    /// State for `layers`, in the order later updates list them.
    pub fn for_layers<'a>(layers: impl IntoIterator<Item = &'a Dense>, config: AdamConfig) -> Self {
        let zeros: Vec<(Array2<f32>, Array1<f32>)> = layers
            .into_iter()
            .map(|l| {
                (
                    Array2::zeros(l.weight.raw_dim()),
                    Array1::zeros(l.bias.len()),
                )
            })
            .collect();
        Adam {
            config,
            step: 0,
            m: zeros.clone(),
            v: zeros,
        }
    }

    /// One update with learning rate `lr`.
    pub fn update(&mut self, mlp: &mut Mlp, grads: &MlpGrads, lr: f32) {
        self.update_layers(mlp.layers.iter_mut(), grads, lr);
    }

    /// One update of `layers` (same order as [`Adam::for_layers`]) with
    /// learning rate `lr`; `grads.layers[i]` belongs to the i-th layer.
    pub fn update_layers<'a>(
        &mut self,
        layers: impl IntoIterator<Item = &'a mut Dense>,
        grads: &MlpGrads,
        lr: f32,
    ) {
        self.step += 1;
        let c = self.config;
        let bc1 = 1.0 - c.beta1.powi(self.step);
        let bc2 = 1.0 - c.beta2.powi(self.step);
        let step_size = lr / bc1;
        let decay = 1.0 - lr * c.weight_decay;
        for (i, layer) in layers.into_iter().enumerate() {
            assert!(i < self.m.len(), "more layers than Adam state");
            let (gw, gb) = (&grads.layers[i].0, &grads.layers[i].1);
            let (mw, mb) = &mut self.m[i];
            let (vw, vb) = &mut self.v[i];
            layer.weight.mapv_inplace(|w| w * decay);
            Zip::from(&mut layer.weight)
                .and(mw)
                .and(vw)
                .and(gw)
                .for_each(|p, m, v, &g| {
                    *m = c.beta1 * *m + (1.0 - c.beta1) * g;
                    *v = c.beta2 * *v + (1.0 - c.beta2) * g * g;
                    *p -= step_size * *m / ((*v / bc2).sqrt() + c.eps);
                });
            Zip::from(&mut layer.bias)
                .and(mb)
                .and(vb)
                .and(gb)
                .for_each(|p, m, v, &g| {
                    *m = c.beta1 * *m + (1.0 - c.beta1) * g;
                    *v = c.beta2 * *v + (1.0 - c.beta2) * g * g;
                    *p -= step_size * *m / ((*v / bc2).sqrt() + c.eps);
                });
        }
    }
}
