//! Small dense neural networks on ndarray: the layers, their forward pass
//! and their fitting (hand-written backpropagation, AdamW, masked MSE and
//! pairwise ranking losses, standardisation).

mod adam;
mod backprop;
mod dense;
mod loss;
mod standardize;
mod train;
mod train_config;
mod training_loop;

pub use adam::{Adam, AdamConfig};
pub use backprop::{backward, backward_with_input, MlpGrads};
pub use dense::{Dense, Mlp};
pub use loss::{masked_mse, pairwise_logistic};
pub use standardize::Standardizer;
pub(crate) use train::{check_batch_size, check_finite};
pub use train::{evaluate_mse, loss_and_grads, train_mlp};
pub use train_config::{TrainConfig, TrainReport};
pub use training_loop::{run_training, shuffled_batches, DenseLayers, TrainingJob};
