//! Cost features (in progress).
