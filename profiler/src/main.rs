//! `profiler`: the latscope command line.
//!
//! Each subcommand lives in its own module under `commands/`, over the
//! measurement library (`latscope_profiler`) and the predictors
//! (`latscope_model`); this file only parses arguments and reports errors
//! (with their context chain) on exit.

mod commands;

use clap::Parser;

fn main() {
    let cli = commands::Cli::parse();
    if let Err(err) = commands::run(cli) {
        // A closed pipe (`profiler info ... | head`) is the reader's choice,
        // not a failure.
        if is_broken_pipe(&err) {
            return;
        }
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
