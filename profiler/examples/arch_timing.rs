//! Times exporting an architecture and running it in tract.
//!
//! ```text
//! cargo run --release -p latscope-model --example arch_timing -- \
//!     [nb201|fbnet] [ARCH] [DATASET] [--batches 1,32] [--threads N] [--runs 10] [--dump DIR]
//! ```
//! Defaults: NB201 all-`nor_conv_3x3` on CIFAR-10, batches 1 and 32.
//! `--dump DIR` writes `model.onnx` and, per batch, the input and tract's
//! output as little-endian float32 (`input_b{B}.bin`, `tract_b{B}.bin`) for
//! cross-checking with other runtimes.

use latscope_profiler::network::{export_network_bytes, ExportOptions};
use latscope_profiler::network::{ArchRunner, RunnerOptions};
use latscope_shared::space::{Dataset, SpaceId};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut positional = Vec::new();
    let mut batches = vec![1, 32];
    let mut threads = None;
    let mut runs = 10usize;
    let mut dump: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--batches" => {
                batches = args
                    .next()
                    .ok_or("--batches needs a value")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--threads" => threads = Some(args.next().ok_or("--threads needs a value")?.parse()?),
            "--runs" => runs = args.next().ok_or("--runs needs a value")?.parse()?,
            "--dump" => dump = Some(args.next().ok_or("--dump needs a directory")?.into()),
            _ => positional.push(a),
        }
    }
    let space: SpaceId = positional.first().map_or("nb201", String::as_str).parse()?;
    let arch = positional.get(1).cloned().unwrap_or_else(|| {
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|".into()
    });
    let dataset: Dataset = match positional.get(2) {
        Some(d) => d.parse()?,
        None => space.default_dataset(),
    };
    let net = space.parse_arch(&arch)?.lower(dataset)?;
    println!("{}", net.name);

    let t = Instant::now();
    let bytes = export_network_bytes(&net, &ExportOptions::new(0))?;
    println!(
        "export: {:.1} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1e3,
        bytes.len()
    );
    if let Some(dir) = &dump {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("model.onnx"), &bytes)?;
    }
    let write_f32 = |name: String, values: &[f32]| -> std::io::Result<()> {
        match &dump {
            Some(dir) => {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                std::fs::write(dir.join(name), bytes)
            }
            None => Ok(()),
        }
    };

    for batch in batches {
        let t = Instant::now();
        let mut runner = ArchRunner::with_options(&bytes, batch, &RunnerOptions { threads })?;
        let load = t.elapsed();
        let t = Instant::now();
        let out = runner.run_random(1)?;
        let first = t.elapsed();
        write_f32(format!("input_b{batch}.bin"), &runner.random_input(1))?;
        write_f32(format!("tract_b{batch}.bin"), &out.values)?;
        runner.load_input(&runner.random_input(1))?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            runner.run_loaded()?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let max_abs = out.values.iter().fold(0f32, |m, v| m.max(v.abs()));
        println!(
            "batch {batch}: load+optimise {:.1} ms, first run {:.1} ms, median of {runs} runs {:.2} ms (min {:.2}), \
             output {:?}, max |logit| {max_abs:.3e}, plan nodes {}",
            load.as_secs_f64() * 1e3,
            first.as_secs_f64() * 1e3,
            times[times.len() / 2],
            times[0],
            out.shape,
            runner.plan_nodes()
        );
    }
    Ok(())
}
