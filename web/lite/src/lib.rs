//! `latscope-web-lite.js`: the whole [`latscope_web`] API, built without its
//! `tract` feature. The explorer page loads it on its main thread, so that
//! the first prediction waits for a module of about a tenth of the size of
//! `latscope-web.js` and for a predictor read in milliseconds (its
//! `Predictor` runs the reference forward pass of the file's weights, the
//! same numbers as tract's). The page's Web Worker loads the full module,
//! whose tract runs the files' graphs for the whole-space scans.
//!
//! This crate only links the bindings into a module of its own: a cargo
//! feature cannot be switched off for one of two builds of the same crate,
//! and two builds of one crate would overwrite each other's `.wasm`.

#![deny(missing_docs)]

pub use latscope_web::*;
