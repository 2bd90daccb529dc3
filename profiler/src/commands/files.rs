//! File conventions shared by the subcommands: never overwrite without
//! `--force`, the shipped data's default paths, loading one space's table.

use anyhow::{bail, Context, Result};
use latscope_model::predictor_onnx::PredictorSpec;
use latscope_shared::dataset::{read_reference_archs_path, read_tables_path, LatencyTable};
use latscope_shared::space::{Arch, SpaceId};
use std::path::{Path, PathBuf};

/// Refuses to overwrite `path` unless `force`.
pub fn check_new_file(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    Ok(())
}

/// Refuses `out` when it exists (unless `force`) or is the `input` file
/// itself: commands that rewrite a predictor never modify their input.
pub fn check_rewrite(input: &Path, out: &Path, force: bool) -> Result<()> {
    check_new_file(out, force)?;
    if out == input {
        bail!("--out must differ from --predictor (the input file is never modified)");
    }
    Ok(())
}

/// A predictor file's bytes and the spec it was written from (to extend it
/// and write it again).
pub fn read_predictor_spec(path: &Path) -> Result<(Vec<u8>, PredictorSpec)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let context = || format!("loading {}", path.display());
    let model = prost::Message::decode(bytes.as_slice()).with_context(context)?;
    let spec = PredictorSpec::from_model(&model).with_context(context)?;
    Ok((bytes, spec))
}

/// The shipped dataset of a space (relative to the repository root).
pub fn default_data(space: SpaceId) -> PathBuf {
    Path::new("static/data").join(format!("{space}_latency.csv.gz"))
}

/// The shipped NAS-Bench-201 test accuracies (the only space with accuracy data).
pub fn default_accuracy() -> PathBuf {
    Path::new("static/data").join("nb201_accuracy.csv.gz")
}

/// The shipped reference architectures of a space.
pub fn default_reference(space: SpaceId) -> PathBuf {
    Path::new("static/data").join(format!("{space}_reference_archs.txt"))
}

/// The table of one space from a dataset file (`space` picks one when the
/// file holds several).
pub fn load_table(path: &Path, space: Option<&str>) -> Result<LatencyTable> {
    if !path.exists() {
        bail!("{} not found", path.display());
    }
    let wanted: Option<SpaceId> = space.map(str::parse).transpose()?;
    let tables = read_tables_path(path)?;
    let found: Vec<SpaceId> = tables.iter().map(|t| t.space()).collect();
    let mut matching: Vec<LatencyTable> = tables
        .into_iter()
        .filter(|t| wanted.is_none_or(|s| t.space() == s))
        .collect();
    match (matching.len(), wanted) {
        (1, _) => Ok(matching.remove(0)),
        (0, Some(s)) => bail!(
            "{} holds no {s} architectures (it has {found:?})",
            path.display()
        ),
        (0, None) => bail!("{} holds no architectures", path.display()),
        _ => bail!(
            "{} holds several search spaces ({found:?}); choose one with --space",
            path.display()
        ),
    }
}

/// The table to analyse: `data` if given, else the shipped dataset of
/// `space`; `space` also picks one space of a file holding several.
/// Returns the path it read, for messages.
pub fn data_or_shipped(
    data: Option<&Path>,
    space: Option<SpaceId>,
) -> Result<(PathBuf, LatencyTable)> {
    let path = match (data, space) {
        (Some(path), _) => path.to_path_buf(),
        (None, Some(space)) => default_data(space),
        (None, None) => bail!("pass --data FILE or --space nb201|fbnet"),
    };
    let table = load_table(&path, space.map(|s| s.name()))?;
    Ok((path, table))
}

/// Reference architectures: from `path`, else the shipped file of the space
/// when it exists, else none.
pub fn reference_archs_for(space: SpaceId, path: Option<&Path>) -> Result<Vec<Arch>> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let p = default_reference(space);
            if !p.exists() {
                return Ok(Vec::new());
            }
            p
        }
    };
    Ok(read_reference_archs_path(&path, Some(space))
        .with_context(|| format!("reading reference architectures {}", path.display()))?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
}

/// Column indices of the named devices; with no names, every device of the
/// table that `by_default` accepts (e.g. all but the proxy).
pub fn device_indices(
    table: &LatencyTable,
    names: &[String],
    by_default: impl Fn(usize) -> bool,
) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..table.n_devices()).filter(|&d| by_default(d)).collect());
    }
    Ok(names
        .iter()
        .map(|n| table.require_device(n))
        .collect::<Result<_, _>>()?)
}
