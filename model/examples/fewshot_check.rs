//! Self-check of the few-shot methods on the N0 (NAS-Bench-201) and F0
//! (FBNet) tasks of ANCHORS.md: pretrain on the training devices, adapt to
//! each test device from K random samples, Spearman ρ on all remaining
//! architectures.
//!
//! ```text
//! cargo run --release -p latscope-model --example fewshot_check -- \
//!     [--task n0|f0|both] [--methods flops,features-ridge,nearest-device,mlp-ridge,mlp-head] \
//!     [--k 5,10,20] [--seeds 3] [--hidden 256,256] [--epochs 40] [--ensemble 3] \
//!     [--rank 0.5] [--hidden-weight 1] [--features-weight 0] [--max-train-archs N] \
//!     [--criterion mse|spearman] [--lr 0.002] [--wd 0.01]
//! ```

use latscope_model::eval::registry::make_method;
use latscope_model::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use latscope_model::methods::{Adaptation, FeaturesRidge, MlpRidge, MlpRidgeConfig, MlpRidgeModel};
use latscope_model::ridge::LooCriterion;
use latscope_shared::dataset::{read_wide_path, LatencyTable};
use latscope_shared::metrics::spearman;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

struct Task {
    name: &'static str,
    file: &'static str,
    train: Vec<&'static str>,
    test: Vec<&'static str>,
    anchor: f64,
}

fn tasks() -> Vec<Task> {
    vec![
        Task {
            name: "n0",
            file: "nb201_latency.csv.gz",
            train: vec![
                "1080ti_1",
                "1080ti_32",
                "1080ti_256",
                "silver_4114",
                "silver_4210r",
                "samsung_a50",
                "pixel3",
                "essential_ph_1",
                "samsung_s7",
            ],
            test: vec![
                "titan_rtx_256",
                "gold_6226",
                "fpga",
                "pixel2",
                "raspi4",
                "eyeriss",
            ],
            anchor: 0.959,
        },
        Task {
            name: "f0",
            file: "fbnet_latency.csv.gz",
            train: vec![
                "1080ti_1",
                "1080ti_32",
                "1080ti_64",
                "silver_4114",
                "silver_4210r",
                "samsung_a50",
                "pixel3",
                "essential_ph_1",
                "samsung_s7",
            ],
            test: vec!["fpga", "raspi4", "eyeriss"],
            anchor: 0.961,
        },
    ]
}

fn arg(args: &HashMap<String, String>, key: &str) -> Option<String> {
    args.get(key).cloned()
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().unwrap())
        .collect()
}

fn mlp_config(args: &HashMap<String, String>, adaptation: Adaptation) -> MlpRidgeConfig {
    let mut c = MlpRidgeConfig {
        adaptation,
        ..MlpRidgeConfig::default()
    };
    if let Some(v) = arg(args, "hidden") {
        c.hidden = list(&v);
    }
    if let Some(v) = arg(args, "epochs") {
        c.train.epochs = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "ensemble") {
        c.ensemble = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "rank") {
        c.train.rank_weight = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "lr") {
        c.train.learning_rate = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "wd") {
        c.train.adam.weight_decay = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "batch") {
        c.train.batch_size = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "hidden-weight") {
        c.hidden_weight = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "outputs-weight") {
        c.outputs_weight = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "features-weight") {
        c.features_weight = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "onehot-weight") {
        c.onehot_weight = v.parse().unwrap();
    }
    if let Some(v) = arg(args, "max-train-archs") {
        c.max_train_archs = Some(v.parse().unwrap());
    }
    if let Some(v) = arg(args, "criterion") {
        c.criterion = if v == "spearman" {
            LooCriterion::Spearman
        } else {
            LooCriterion::Mse
        };
    }
    c
}

fn method(name: &str, args: &HashMap<String, String>) -> Box<dyn FewShotMethod> {
    match name {
        "mlp-ridge" => Box::new(MlpRidge::new(mlp_config(args, Adaptation::Ridge))),
        "mlp-head" => Box::new(MlpRidge::new(mlp_config(args, Adaptation::Head))),
        "mlp-blend" => Box::new(MlpRidge::new(mlp_config(args, Adaptation::Blend))),
        "features-onehot-ridge" => Box::new(FeaturesRidge {
            onehot: true,
            ..FeaturesRidge::default()
        }),
        other => make_method(other).unwrap(),
    }
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/data")
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut args = HashMap::new();
    for pair in raw.chunks(2) {
        let key = pair[0].trim_start_matches("--").to_string();
        args.insert(key, pair.get(1).cloned().unwrap_or_default());
    }
    let which = arg(&args, "task").unwrap_or_else(|| "both".into());
    let methods: Vec<String> = list(
        &arg(&args, "methods")
            .unwrap_or_else(|| "flops,features-ridge,nearest-device,mlp-ridge,mlp-head".into()),
    );
    let ks: Vec<usize> = list(&arg(&args, "k").unwrap_or_else(|| "5,10,20".into()));
    let n_seeds: u64 = arg(&args, "seeds").map_or(3, |v| v.parse().unwrap());
    let pretrain_seed: u64 = arg(&args, "pretrain-seed").map_or(0, |v| v.parse().unwrap());

    for task in tasks() {
        if which != "both" && which != task.name {
            continue;
        }
        let t0 = Instant::now();
        let full = read_wide_path(data_dir().join(task.file), None).expect("read data");
        let train = full.select_devices(&task.train).expect("train devices");
        println!(
            "\n== task {} ({} archs; {} train → {} test devices; read in {:.1}s)",
            task.name,
            full.n_archs(),
            task.train.len(),
            task.test.len(),
            t0.elapsed().as_secs_f64()
        );
        let ctx = PretrainContext {
            space: full.space(),
            archs: full.archs(),
            train: &train,
            seed: pretrain_seed,
        };
        let mut summary = Vec::new();
        // The mlp-* methods share one pretrained ensemble.
        let mut shared_mlp: Option<(Rc<MlpRidgeModel>, f64)> = None;
        for name in &methods {
            let m = method(name, &args);
            let t = Instant::now();
            let (model, pretrain_s): (Box<dyn PretrainedModel>, f64) =
                match name.strip_prefix("mlp-") {
                    Some(kind) => {
                        let (shared, secs) = shared_mlp.get_or_insert_with(|| {
                            let model = MlpRidge::new(mlp_config(&args, Adaptation::Ridge))
                                .pretrain_model(&ctx)
                                .expect("pretrain");
                            (Rc::new(model), t.elapsed().as_secs_f64())
                        });
                        let adaptation = match kind {
                            "head" => Adaptation::Head,
                            "blend" => Adaptation::Blend,
                            _ => Adaptation::Ridge,
                        };
                        (Box::new(Adapted(shared.clone(), adaptation)), *secs)
                    }
                    None => {
                        let model = m.pretrain(&ctx).expect("pretrain");
                        (model, t.elapsed().as_secs_f64())
                    }
                };
            let t = Instant::now();
            // rho[k][device] = mean over seeds.
            let mut table = vec![vec![0.0; task.test.len()]; ks.len()];
            for (di, dev) in task.test.iter().enumerate() {
                let col = test_column(&full, dev);
                for (ki, &k) in ks.iter().enumerate() {
                    let mut acc = 0.0;
                    for seed in 0..n_seeds {
                        acc += evaluate(model.as_ref(), &col, k, seed, di);
                    }
                    table[ki][di] = acc / n_seeds as f64;
                }
            }
            let adapt_s = t.elapsed().as_secs_f64();
            println!(
                "\n{} — pretrain {:.1}s, adapt+predict {:.2}s for {} runs",
                m.name(),
                pretrain_s,
                adapt_s,
                task.test.len() * ks.len() * n_seeds as usize
            );
            print!("{:>4}", "K");
            for dev in &task.test {
                print!(" {:>13}", dev);
            }
            println!(" {:>7}", "mean");
            for (ki, &k) in ks.iter().enumerate() {
                print!("{k:>4}");
                for v in &table[ki] {
                    print!(" {v:>13.4}");
                }
                let mean = table[ki].iter().sum::<f64>() / table[ki].len() as f64;
                println!(" {mean:>7.4}");
                summary.push((m.name(), k, mean));
            }
        }
        println!(
            "\nsummary {} (anchor NASFLAT {:.3}):",
            task.name, task.anchor
        );
        for (name, k, mean) in summary {
            println!("  {name:<22} K={k:<3} mean ρ {mean:.4}");
        }
        if methods.iter().any(|m| m == "mlp-ridge") && arg(&args, "timing").is_some() {
            let model: MlpRidgeModel = MlpRidge::new(mlp_config(&args, Adaptation::Ridge))
                .pretrain_model(&ctx)
                .unwrap();
            let t = Instant::now();
            let all = model.predict_archs(full.archs()).unwrap();
            println!(
                "predict_archs: {}×{} in {:.3}s (incl. encoding)",
                all.nrows(),
                all.ncols(),
                t.elapsed().as_secs_f64()
            );
        }
    }
}

/// A shared pretrained ensemble with a chosen adaptation.
struct Adapted(Rc<MlpRidgeModel>, Adaptation);

impl PretrainedModel for Adapted {
    fn adapt_and_predict(
        &self,
        samples: &[(usize, f64)],
        query: &[usize],
    ) -> latscope_model::Result<Vec<f64>> {
        self.0.adapt_with(self.1, samples, query)
    }
}

/// The test device's measured (arch, ms).
fn test_column(full: &LatencyTable, dev: &str) -> Vec<(usize, f64)> {
    let d = full.require_device(dev).expect("test device");
    full.measured(d).collect()
}

fn evaluate(
    model: &dyn PretrainedModel,
    col: &[(usize, f64)],
    k: usize,
    seed: u64,
    device: usize,
) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed * 1_000 + device as u64 * 37 + k as u64);
    let mut order: Vec<usize> = (0..col.len()).collect();
    order.shuffle(&mut rng);
    let samples: Vec<(usize, f64)> = order[..k].iter().map(|&i| col[i]).collect();
    let rest = &order[k..];
    let query: Vec<usize> = rest.iter().map(|&i| col[i].0).collect();
    let truth: Vec<f64> = rest.iter().map(|&i| col[i].1).collect();
    let pred = model.adapt_and_predict(&samples, &query).expect("adapt");
    spearman(&pred, &truth).unwrap_or(0.0)
}
