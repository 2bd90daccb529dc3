//! Evaluation metrics (filled in by the metrics module work).
