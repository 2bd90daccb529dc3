//! Small dense neural networks on ndarray: the layers, their forward pass
//! and (in the training modules) their fitting.

mod dense;

pub use dense::{Dense, Mlp};
