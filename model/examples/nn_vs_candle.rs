//! Measures the hand-written `latscope_model::nn` stack (ndarray,
//! hand-written backpropagation and AdamW, `train_mlp`) against the same
//! training written with candle (`candle-core` autograd, `candle_nn::Linear`,
//! `VarMap`, `candle_nn::AdamW`) on CPU in f32.
//!
//! The job is the pretraining of one `mlp-ridge`/`mlp-auto` member as
//! shipped (`MlpRidgeConfig::default()`): input `[onehot-v1, features-v1]`
//! standardised, one output per training device of task N0 (standardised
//! ln latency, NaN where missing), hidden widths and `TrainConfig` as in the
//! default config (AdamW with decoupled weight decay on weights only,
//! cosine learning-rate decay, global-norm clipping, masked MSE plus the
//! pairwise logistic ranking loss). Both implementations start from the same
//! seeded weights (`Mlp::new`) and see the same batches in the same order
//! (the shuffles of `train_mlp`, replayed); 20 % of the architectures are
//! held out (a random split per seed).
//!
//! For 3 seeds it prints the wall-clock training time (median of 3 runs,
//! interleaved), the final training MSE and the held-out MSE (standardised
//! ln latency, averaged over cells) and the held-out Spearman ρ of
//! predictions against measured latency (per device, then averaged).
//!
//! Run (candle is an optional dependency, compiled only with the feature):
//!
//! ```text
//! cargo run --release -p latscope-model --example nn_vs_candle --features candle-compare
//! ```
//!
//! An optional argument names another NB201 latency file (default:
//! `static/data/nb201_latency.csv.gz`). Candle's CPU matmul uses
//! `RAYON_NUM_THREADS` threads (default: the physical cores); the
//! hand-written stack is single-threaded (`matrixmultiply` without
//! threading), so `RAYON_NUM_THREADS=1` gives the like-for-like comparison.

use latscope_model::eval::Task;
use latscope_model::methods::{ArchInputs, MlpRidgeConfig};
use latscope_model::nn::{evaluate_mse, loss_and_grads, train_mlp, Mlp, Standardizer, TrainConfig};
use latscope_shared::dataset::{read_tables_path, LatencyTable};
use latscope_shared::metrics::spearman;
use latscope_shared::space::SpaceId;
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::error::Error;
use std::time::Instant;

type AnyResult<T> = std::result::Result<T, Box<dyn Error>>;

/// The candle version of `train_mlp` for this job: everything a port of
/// `nn::train` (dense layers, backprop, AdamW, losses) to candle needs.
/// (`Standardizer` and the ONNX export stay as they are either way.)
mod candle_mlp {
    use candle_core::backprop::GradStore;
    use candle_core::{DType, Device, Module, Result, Tensor, Var};
    use candle_nn::{AdamW, Linear, Optimizer, ParamsAdamW, VarBuilder, VarMap};
    use latscope_model::nn::{Dense, Mlp, TrainConfig};
    use ndarray::{Array1, Array2, ArrayView2};
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Dense layers with ReLU between them, parameters in a `VarMap`.
    pub struct Net {
        pub varmap: VarMap,
        pub layers: Vec<Linear>,
    }

    pub fn tensor(a: ArrayView2<'_, f32>, dev: &Device) -> Result<Tensor> {
        let a = a.as_standard_layout();
        Tensor::from_slice(a.as_slice().expect("standard layout"), a.dim(), dev)
    }

    impl Net {
        /// A network with `init`'s weights (candle's `Linear` is out × in).
        pub fn from_mlp(init: &Mlp, dev: &Device) -> Result<Self> {
            let mut varmap = VarMap::new();
            let vb = VarBuilder::from_varmap(&varmap, DType::F32, dev);
            let mut layers = Vec::new();
            for (i, l) in init.layers.iter().enumerate() {
                layers.push(candle_nn::linear(l.inputs(), l.outputs(), vb.pp(i))?);
                varmap.set_one(format!("{i}.weight"), tensor(l.weight.t(), dev)?)?;
                let bias = l.bias.as_slice().expect("contiguous bias");
                varmap.set_one(
                    format!("{i}.bias"),
                    Tensor::from_slice(bias, l.outputs(), dev)?,
                )?;
            }
            Ok(Net { varmap, layers })
        }

        pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
            let mut h = x.clone();
            for (i, layer) in self.layers.iter().enumerate() {
                h = layer.forward(&h)?;
                if i + 1 < self.layers.len() {
                    h = h.relu()?;
                }
            }
            Ok(h)
        }

        /// The trained weights as an [`Mlp`] (what export and the rest of
        /// the crate use).
        pub fn to_mlp(&self) -> Result<Mlp> {
            let mut layers = Vec::new();
            for l in &self.layers {
                let w = l.weight().t()?.contiguous()?;
                let (inputs, outputs) = w.dims2()?;
                let weight = Array2::from_shape_vec((inputs, outputs), w.flatten_all()?.to_vec1()?)
                    .expect("weight shape");
                let bias = Array1::from(l.bias().expect("linear has a bias").to_vec1::<f32>()?);
                layers.push(Dense { weight, bias });
            }
            Ok(Mlp { layers })
        }
    }

    /// Masked MSE (NaN targets skipped) plus `rank_weight` times the pairwise
    /// logistic ranking loss, as `nn::loss_and_grads` computes it.
    pub fn objective(pred: &Tensor, y: &Tensor, cfg: &TrainConfig) -> Result<Tensor> {
        let present = y.eq(y)?; // NaN ≠ NaN
        let y0 = present.where_cond(y, &y.zeros_like()?)?;
        let mask = present.to_dtype(DType::F32)?;
        let count = mask.sum_all()?.to_scalar::<f32>()?.max(1.0);
        let mse = (((pred - &y0)? * &mask)?.sqr()?.sum_all()? / count as f64)?;
        if cfg.rank_weight <= 0.0 {
            return Ok(mse);
        }
        // Ordered pairs (i, j), per column, with y_i > y_j + margin (a NaN
        // difference compares false, so pairs with a missing target drop).
        let dy = y.unsqueeze(1)?.broadcast_sub(&y.unsqueeze(0)?)?;
        let pairs = dy.gt(cfg.rank_margin)?.to_dtype(DType::F32)?;
        let n_pairs = pairs.sum_all()?.to_scalar::<f32>()?;
        if n_pairs == 0.0 {
            return Ok(mse);
        }
        let z = (pred.unsqueeze(1)?.broadcast_sub(&pred.unsqueeze(0)?)? * cfg.rank_scale as f64)?;
        // ln(1 + e^{−z}) = −ln σ(z): candle's fused sigmoid, z floored at
        // −80 so that σ(z) cannot underflow to 0 (a pair wrong by more than
        // 80/scale standard deviations; its gradient is then 0, not 1).
        let softplus = candle_nn::ops::sigmoid(&z.maximum(-80f32)?)?.log()?.neg()?;
        let rank = ((softplus * pairs)?.sum_all()? / n_pairs as f64)?;
        mse + (rank * cfg.rank_weight as f64)?
    }

    /// Scales the gradients of `vars` down to global L2 norm `clip_norm`.
    fn clip(grads: &mut GradStore, vars: &[Var], cfg: &TrainConfig) -> Result<()> {
        let Some(max) = cfg.clip_norm else {
            return Ok(());
        };
        let mut sq = 0.0f32;
        for v in vars {
            if let Some(g) = grads.get(v) {
                sq += g.sqr()?.sum_all()?.to_scalar::<f32>()?;
            }
        }
        let norm = sq.sqrt();
        if norm > max {
            for v in vars {
                if let Some(g) = grads.remove(v) {
                    grads.insert(v, (g * (max / norm) as f64)?);
                }
            }
        }
        Ok(())
    }

    /// `nn::train_mlp` without validation (the shipped setting): AdamW with
    /// weight decay on weights only (two optimisers: candle's `AdamW` decays
    /// every variable it holds), cosine decay, clipping, the same batches.
    /// Returns the mean objective per epoch.
    pub fn train(
        net: &Net,
        x: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        cfg: &TrainConfig,
    ) -> Result<Vec<f32>> {
        assert_eq!(cfg.validation_fraction, 0.0, "validation not ported");
        let dev = Device::Cpu;
        let (xt, yt) = (tensor(x, &dev)?, tensor(y, &dev)?);
        let (mut weights, mut biases) = (Vec::new(), Vec::new());
        for (name, var) in net.varmap.data().lock().expect("varmap lock").iter() {
            if name.ends_with(".weight") {
                weights.push(var.clone());
            } else {
                biases.push(var.clone());
            }
        }
        let all: Vec<Var> = weights.iter().chain(&biases).cloned().collect();
        let params = ParamsAdamW {
            lr: cfg.learning_rate as f64,
            beta1: cfg.adam.beta1 as f64,
            beta2: cfg.adam.beta2 as f64,
            eps: cfg.adam.eps as f64,
            weight_decay: cfg.adam.weight_decay as f64,
        };
        let no_decay = ParamsAdamW {
            weight_decay: 0.0,
            ..params.clone()
        };
        let mut opt_w = AdamW::new(weights, params)?;
        let mut opt_b = AdamW::new(biases, no_decay)?;
        // train_mlp's generator and shuffles: the same batches.
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut rows: Vec<usize> = (0..x.nrows()).collect();
        rows.shuffle(&mut rng);
        let total_steps = (rows.len().div_ceil(cfg.batch_size) * cfg.epochs).max(1);
        let mut step = 0;
        let mut epoch_loss = Vec::with_capacity(cfg.epochs);
        for _ in 0..cfg.epochs {
            rows.shuffle(&mut rng);
            let mut sum = 0.0f64;
            for batch in rows.chunks(cfg.batch_size) {
                let ids = Tensor::from_iter(batch.iter().map(|&r| r as u32), &dev)?;
                let pred = net.forward(&xt.index_select(&ids, 0)?)?;
                let loss = objective(&pred, &yt.index_select(&ids, 0)?, cfg)?;
                sum += loss.to_scalar::<f32>()? as f64 * batch.len() as f64;
                let mut grads = loss.backward()?;
                clip(&mut grads, &all, cfg)?;
                let lr = cfg.learning_rate_at(step, total_steps) as f64;
                opt_w.set_learning_rate(lr);
                opt_b.set_learning_rate(lr);
                opt_w.step(&grads)?;
                opt_b.step(&grads)?;
                step += 1;
            }
            epoch_loss.push((sum / rows.len() as f64) as f32);
        }
        Ok(epoch_loss)
    }
}
// (end of the candle version)

/// The objective and the largest gradient difference of both
/// implementations on one batch, from the same weights.
fn first_batch_check(
    init: &Mlp,
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    cfg: &TrainConfig,
) -> AnyResult<(f32, f32, f32)> {
    let (hand_loss, hand_grads) = loss_and_grads(init, x, y, cfg);
    let dev = candle_core::Device::Cpu;
    let net = candle_mlp::Net::from_mlp(init, &dev)?;
    let pred = net.forward(&candle_mlp::tensor(x, &dev)?)?;
    let loss = candle_mlp::objective(&pred, &candle_mlp::tensor(y, &dev)?, cfg)?;
    let grads = loss.backward()?;
    let mut worst = 0.0f32;
    for (layer, (gw, gb)) in net.layers.iter().zip(&hand_grads.layers) {
        let cw = grads.get(layer.weight()).ok_or("no weight gradient")?;
        let cw: Vec<Vec<f32>> = cw.to_vec2()?; // out × in
        for ((i, o), &g) in gw.indexed_iter() {
            worst = worst.max((cw[o][i] - g).abs());
        }
        let bias = layer.bias().ok_or("no bias")?;
        let cb: Vec<f32> = grads.get(bias).ok_or("no bias gradient")?.to_vec1()?;
        for (c, g) in cb.iter().zip(gb) {
            worst = worst.max((c - g).abs());
        }
    }
    Ok((hand_loss, loss.to_scalar::<f32>()?, worst))
}

/// Training MSE, held-out MSE and mean per-device held-out Spearman ρ.
struct Quality {
    train_mse: f32,
    held_mse: f32,
    held_rho: f64,
}

fn quality(
    mlp: &Mlp,
    (xt, yt): (ArrayView2<'_, f32>, ArrayView2<'_, f32>),
    (xh, log_yh): (ArrayView2<'_, f32>, ArrayView2<'_, f32>),
    target: &Standardizer,
) -> AnyResult<Quality> {
    let yh = target.transform(log_yh);
    let pred = mlp.forward(xh);
    let mut rhos = Vec::new();
    for d in 0..yh.ncols() {
        let (p, t): (Vec<f64>, Vec<f64>) = (0..yh.nrows())
            .filter(|&r| !log_yh[[r, d]].is_nan())
            .map(|r| (pred[[r, d]] as f64, (log_yh[[r, d]] as f64).exp()))
            .unzip();
        rhos.push(spearman(&p, &t)?);
    }
    Ok(Quality {
        train_mse: evaluate_mse(mlp, xt, yt),
        held_mse: evaluate_mse(mlp, xh, yh.view()),
        held_rho: rhos.iter().sum::<f64>() / rhos.len() as f64,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    seed: u64,
    name: &'static str,
    times: Vec<f64>,
    repeatable: bool,
    q: Quality,
}

/// Training runs of one implementation: wall-clock seconds and the result.
type TimedRuns = Vec<(f64, Mlp)>;

fn main() -> AnyResult<()> {
    const SEEDS: [u64; 3] = [0, 1, 2];
    const REPEATS: usize = 3;
    const HELD_OUT: f64 = 0.2;
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../static/data/nb201_latency.csv.gz"
        )
        .into()
    });
    let full = read_tables_path(&path)?
        .into_iter()
        .find(|t| t.space() == SpaceId::Nb201)
        .ok_or("no NB201 table in the file")?;
    let task = Task::builtin("N0").ok_or("no task N0")?;
    let table = full.select_devices(&task.train_devices)?;
    let archs = table.archs();
    let (n, d) = (archs.len(), table.n_devices());

    let raw = ArchInputs::compute(archs)?.onehot_and_features();
    let x = Standardizer::fit(raw.view()).transform(raw.view());
    let log_y = Array2::from_shape_fn((n, d), |(a, j)| {
        table.value(a, j).map_or(f32::NAN, |v| v.ln() as f32)
    });
    let shipped = MlpRidgeConfig::default();
    let mut widths = vec![x.ncols()];
    widths.extend(&shipped.hidden);
    widths.push(d);
    let base = shipped.train.clone();
    let n_held = (n as f64 * HELD_OUT).round() as usize;

    print_setup(&path, &table, &log_y, n_held, &widths, &base);

    let mut rows = Vec::new();
    for seed in SEEDS {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(0x6e6e_7673 ^ seed));
        let (held, train) = order.split_at(n_held);
        let target = Standardizer::fit(log_y.select(Axis(0), train).view());
        let xt = x.select(Axis(0), train);
        let yt = target.transform(log_y.select(Axis(0), train).view());
        let xh = x.select(Axis(0), held);
        let log_yh = log_y.select(Axis(0), held);
        let init = Mlp::new(&widths, seed);
        let cfg = TrainConfig {
            seed,
            ..base.clone()
        };
        if seed == SEEDS[0] {
            let b = base.batch_size.min(xt.nrows());
            let (hl, cl, worst) = first_batch_check(
                &init,
                xt.slice(ndarray::s![..b, ..]),
                yt.slice(ndarray::s![..b, ..]),
                &cfg,
            )?;
            println!(
                "check, one batch of {b} from the same weights: objective hand-written {hl:.6}, \
                 candle {cl:.6}; largest |gradient difference| {worst:.2e}"
            );
        }
        let (mut hand, mut cand): (TimedRuns, TimedRuns) = (vec![], vec![]);
        for _ in 0..REPEATS {
            let mut m = init.clone();
            let t = Instant::now();
            train_mlp(&mut m, xt.view(), yt.view(), &cfg)?;
            hand.push((t.elapsed().as_secs_f64(), m));

            let t = Instant::now();
            let net = candle_mlp::Net::from_mlp(&init, &candle_core::Device::Cpu)?;
            candle_mlp::train(&net, xt.view(), yt.view(), &cfg)?;
            let m = net.to_mlp()?;
            cand.push((t.elapsed().as_secs_f64(), m));
            eprintln!(
                "seed {seed}: hand-written {:.2} s, candle {:.2} s",
                hand.last().map_or(0.0, |r| r.0),
                cand.last().map_or(0.0, |r| r.0)
            );
        }
        for (name, runs) in [("hand-written", hand), ("candle", cand)] {
            let q = quality(
                &runs[0].1,
                (xt.view(), yt.view()),
                (xh.view(), log_yh.view()),
                &target,
            )?;
            rows.push(Row {
                seed,
                name,
                repeatable: runs.iter().all(|r| r.1 == runs[0].1),
                times: runs.iter().map(|r| r.0).collect(),
                q,
            });
        }
    }

    print_table(&rows);
    Ok(())
}

/// Prints what is trained, on what, and with which settings.
fn print_setup(
    path: &str,
    table: &LatencyTable,
    log_y: &Array2<f32>,
    n_held: usize,
    widths: &[usize],
    base: &TrainConfig,
) {
    let (n, d) = (table.archs().len(), table.n_devices());
    println!(
        "nn_vs_candle: hand-written latscope_model::nn (train_mlp) vs candle-core/candle-nn 0.11.1, CPU, f32"
    );
    println!("data: {path}");
    println!(
        "task N0 training devices ({d}): {}; missing cells: {}",
        table.devices().join(","),
        log_y.iter().filter(|v| v.is_nan()).count()
    );
    println!(
        "rows: {n} architectures, {} train / {n_held} held out (random split per seed)",
        n - n_held
    );
    println!("network: widths {widths:?}, ReLU between layers (MlpRidgeConfig::default().hidden)");
    println!(
        "training (MlpRidgeConfig::default().train): epochs {}, batch {}, AdamW lr {} {}, \
         betas ({}, {}), eps {:e}, weight decay {} (weights only), clip {:?}, \
         loss MSE + {}·pairwise logistic (scale {}, margin {})",
        base.epochs,
        base.batch_size,
        base.learning_rate,
        if base.cosine_decay {
            "cosine → 0"
        } else {
            "constant"
        },
        base.adam.beta1,
        base.adam.beta2,
        base.adam.eps,
        base.adam.weight_decay,
        base.clip_norm,
        base.rank_weight,
        base.rank_scale,
        base.rank_margin
    );
    println!(
        "threads: hand-written 1 (ndarray/matrixmultiply), candle {} (RAYON_NUM_THREADS={})",
        candle_core::utils::get_num_threads(),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );
}

/// Prints one row per seed and implementation, the means, and the time ratio.
fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<5} {:<13} {:>9}  {:<22} {:>10} {:>13} {:>11}  runs identical",
        "seed", "impl", "time s", "(3 runs)", "train MSE", "held-out MSE", "held-out ρ"
    );
    for r in rows {
        let runs: Vec<String> = r.times.iter().map(|t| format!("{t:.2}")).collect();
        println!(
            "{:<5} {:<13} {:>9.2}  {:<22} {:>10.5} {:>13.5} {:>11.4}  {}",
            r.seed,
            r.name,
            median(r.times.clone()),
            format!("({})", runs.join(" ")),
            r.q.train_mse,
            r.q.held_mse,
            r.q.held_rho,
            if r.repeatable { "yes" } else { "no" }
        );
    }
    for name in ["hand-written", "candle"] {
        let sel: Vec<&Row> = rows.iter().filter(|r| r.name == name).collect();
        let k = sel.len() as f64;
        println!(
            "{:<5} {:<13} {:>9.2}  {:<22} {:>10.5} {:>13.5} {:>11.4}",
            "mean",
            name,
            sel.iter().map(|r| median(r.times.clone())).sum::<f64>() / k,
            "",
            sel.iter().map(|r| r.q.train_mse as f64).sum::<f64>() / k,
            sel.iter().map(|r| r.q.held_mse as f64).sum::<f64>() / k,
            sel.iter().map(|r| r.q.held_rho).sum::<f64>() / k
        );
    }
    let time = |name: &str| -> f64 {
        rows.iter()
            .filter(|r| r.name == name)
            .map(|r| median(r.times.clone()))
            .sum()
    };
    println!(
        "candle / hand-written training time: {:.2}×",
        time("candle") / time("hand-written")
    );
}
