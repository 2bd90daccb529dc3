//! Latency datasets.
