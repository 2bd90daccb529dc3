//! `profiler data`: look at and convert latency datasets.

use super::files::check_new_file;
use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use latscope_shared::dataset::{
    self, read_long_path, read_tables_path, tables_from_records, write_long_path, write_wide_path,
    Format, LatencyRecord, LatencyTable,
};
use latscope_shared::encoding::{Encoding, EncodingCache};
use latscope_shared::space::SpaceId;
use std::io::Write;
use std::path::PathBuf;

/// Inspect and convert latency datasets (wide HELP layout or latscope's long
/// layout, plain or gzip-compressed; the layout is read from the header).
#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Per-device counts and latency statistics (ms) of a dataset.
    Stats(StatsArgs),
    /// Convert between the wide layout (one column per device) and the long
    /// layout (one row per architecture and device). Wide → long is
    /// lossless; long → wide keeps only `latency_ms` (it warns when other
    /// measurement columns are dropped).
    Convert(ConvertArgs),
    /// Join long files (e.g. the shards of a `measure --shard i/n` campaign)
    /// into one. A row measured in two files is an error unless both rows
    /// are identical.
    Merge(MergeArgs),
    /// Encode every architecture of a space ahead of time (NB201 only): the
    /// explorer page reads this file instead of lowering all 15625 cells.
    Encode(EncodeArgs),
}

#[derive(Debug, Args)]
struct EncodeArgs {
    /// Search space (nb201; FBNet cannot be listed).
    #[arg(long, short = 's', value_parser = parse_space)]
    space: SpaceId,
    /// Encoding, e.g. features-v1.
    #[arg(long, default_value = "features-v1")]
    encoding: String,
    /// Output file; a name ending in .gz is gzip-compressed.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Long files to join, in order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output long file (.csv or .csv.gz).
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Dataset file (.csv or .csv.gz).
    file: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Layout {
    Wide,
    Long,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    /// Input dataset (.csv or .csv.gz, wide or long).
    input: PathBuf,
    /// Output file; a name ending in .gz is gzip-compressed.
    output: PathBuf,
    /// Output layout. Default: the other one.
    #[arg(long)]
    to: Option<Layout>,
    /// Keep only this search space (needed to write a wide file from a
    /// long file that mixes spaces).
    #[arg(long, value_parser = parse_space)]
    space: Option<SpaceId>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

fn parse_space(s: &str) -> Result<SpaceId, String> {
    s.parse::<SpaceId>().map_err(|e| e.to_string())
}

pub fn run(args: DataArgs) -> Result<()> {
    match args.command {
        DataCommand::Stats(a) => stats(a),
        DataCommand::Convert(a) => convert(a),
        DataCommand::Merge(a) => merge(a),
        DataCommand::Encode(a) => encode(a),
    }
}

fn encode(args: EncodeArgs) -> Result<()> {
    check_new_file(&args.out, args.force)?;
    let encoding: Encoding = args.encoding.parse()?;
    let cache = EncodingCache::compute(args.space, encoding)?;
    cache.write_path(&args.out)?;
    println!(
        "wrote {} of {} architectures of {} ({} values each) to {}",
        encoding,
        cache.rows.len() / cache.width,
        args.space,
        cache.width,
        args.out.display()
    );
    Ok(())
}

fn stats(args: StatsArgs) -> Result<()> {
    let tables = read_tables_path(&args.file)?;
    let all: Vec<_> = tables.iter().map(LatencyTable::stats).collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        return Ok(());
    }
    writeln!(out, "{}", args.file.display())?;
    for s in &all {
        write!(out, "{s}")?;
    }
    Ok(())
}

fn convert(args: ConvertArgs) -> Result<()> {
    check_new_file(&args.output, args.force)?;
    let from = dataset::detect_format_path(&args.input)?;
    let to = args.to.unwrap_or(match from {
        Format::Wide => Layout::Long,
        Format::Long => Layout::Wide,
    });
    let mut tables = match from {
        Format::Wide => read_tables_path(&args.input)?,
        Format::Long => {
            let records = read_long_path(&args.input)?;
            if matches!(to, Layout::Wide) {
                warn_dropped_columns(&records);
            }
            tables_from_records(records)?
        }
    };
    if let Some(space) = args.space {
        tables.retain(|t| t.space() == space);
        if tables.is_empty() {
            bail!("{} holds no {space} architectures", args.input.display());
        }
    }
    match to {
        Layout::Long => {
            let records: Vec<LatencyRecord> =
                tables.iter().flat_map(LatencyTable::to_records).collect();
            write_long_path(&records, &args.output)?;
            eprintln!("wrote {} rows to {}", records.len(), args.output.display());
        }
        Layout::Wide => {
            let [table] = tables.as_slice() else {
                let spaces: Vec<String> = tables.iter().map(|t| t.space().to_string()).collect();
                bail!(
                    "a wide file holds one search space but {} holds {}; choose one with --space",
                    args.input.display(),
                    spaces.join(" and ")
                );
            };
            write_wide_path(table, &args.output)?;
            eprintln!(
                "wrote {} architectures × {} devices to {}",
                table.n_archs(),
                table.n_devices(),
                args.output.display()
            );
        }
    }
    Ok(())
}

/// The wide layout has no place for p10/p90/runs/batch/precision/source.
fn warn_dropped_columns(records: &[LatencyRecord]) {
    let dropped = records
        .iter()
        .filter(|r| {
            r.p10_ms.is_some()
                || r.p90_ms.is_some()
                || r.runs.is_some()
                || r.batch.is_some()
                || r.precision.is_some()
                || r.source.is_some()
        })
        .count();
    if dropped > 0 {
        eprintln!(
            "warning: the wide layout keeps only latency_ms; the measurement columns \
             (p10_ms, p90_ms, runs, batch, precision, source) of {dropped} rows are not written"
        );
    }
}

fn merge(args: MergeArgs) -> Result<()> {
    check_new_file(&args.out, args.force)?;
    let mut merged: Vec<LatencyRecord> = Vec::new();
    // (space, arch, device) → (file, position in `merged`)
    let mut seen: std::collections::HashMap<(String, String, String), (usize, usize)> =
        std::collections::HashMap::new();
    let mut identical = 0;
    for (f, path) in args.inputs.iter().enumerate() {
        if dataset::detect_format_path(path)? != Format::Long {
            bail!(
                "{} is a wide file; merge joins long files (convert it first)",
                path.display()
            );
        }
        for record in read_long_path(path)? {
            let key = (
                record.space.name().to_string(),
                record.arch.clone(),
                record.device.clone(),
            );
            match seen.get(&key) {
                Some(&(_, at)) if merged[at] == record => identical += 1,
                Some(&(first_file, _)) => bail!(
                    "{} and {} both measure {} {} on {} with different values; \
                     remove one before merging",
                    args.inputs[first_file].display(),
                    path.display(),
                    key.0,
                    key.1,
                    key.2
                ),
                None => {
                    seen.insert(key, (f, merged.len()));
                    merged.push(record);
                }
            }
        }
    }
    write_long_path(&merged, &args.out)?;
    eprintln!(
        "wrote {} rows from {} files to {} ({identical} identical duplicates dropped)",
        merged.len(),
        args.inputs.len(),
        args.out.display()
    );
    Ok(())
}
