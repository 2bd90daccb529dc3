//! Helpers for latscope's end-to-end tests: where the shipped files are.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

/// A file under `static/data/`.
pub fn shipped_data(name: &str) -> PathBuf {
    repo_root().join("static/data").join(name)
}
