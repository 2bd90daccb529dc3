//! Encodings (in progress).
