//! Graph neural networks over architecture graphs (`graph-v1`): batched
//! graph tensors, a two-direction GCN with a dense head, its hand-written
//! backpropagation and training (with [`crate::nn`]'s losses and AdamW).

mod gcn;
mod graphs;
mod train;

pub use gcn::{Gcn, GcnActivations};
pub use graphs::{BatchAdjacency, GraphBatch, GraphInputs};
pub use train::{gcn_embed, gcn_loss_and_grads, train_gcn};
