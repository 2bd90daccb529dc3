//! Few-shot methods on real HELP data (small subsets, so the debug build
//! stays fast): determinism under a seed, and `mlp-ridge` beating `flops`.

mod common;

use latscope_model::adapt::{FitKind, StructuredConfig};
use latscope_model::eval::registry::{make_method, method_names};
use latscope_model::fewshot::{FewShotMethod, PretrainContext};
use latscope_model::methods::{
    Adaptation, FeaturesRidge, Flops, MlpRidge, MlpRidgeConfig, NearestDevice, OpCount,
};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::metrics::spearman;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// NB201 restricted to `n` random archs (seeded).
fn nb201_subset(n: usize) -> LatencyTable {
    let full = common::table(latscope_shared::space::SpaceId::Nb201);
    let mut rows: Vec<usize> = (0..full.n_archs()).collect();
    rows.shuffle(&mut ChaCha8Rng::seed_from_u64(11));
    rows.truncate(n);
    full.select_archs(&rows).expect("subset")
}

fn small_mlp(adaptation: Adaptation, epochs: usize) -> MlpRidge {
    MlpRidge::new(MlpRidgeConfig {
        hidden: vec![64, 64],
        ensemble: 1,
        train: common::short_training(epochs),
        adaptation,
        ..MlpRidgeConfig::default()
    })
}

fn small_structured(candidates: &[FitKind], epochs: usize) -> MlpRidge {
    let mut mlp = small_mlp(Adaptation::Auto, epochs);
    mlp.config.structured = StructuredConfig {
        candidates: candidates.to_vec(),
        ..StructuredConfig::default()
    };
    mlp
}

const AUTO: [FitKind; 3] = [FitKind::Head, FitKind::Structured, FitKind::Blend];

/// K random (arch, ms) samples of `device` and every other arch as query.
fn split(
    table: &LatencyTable,
    device: &str,
    k: usize,
    seed: u64,
) -> (Vec<(usize, f64)>, Vec<usize>, Vec<f64>) {
    let d = table.require_device(device).unwrap();
    let mut col: Vec<(usize, f64)> = table.measured(d).collect();
    col.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let (s, q) = col.split_at(k);
    (
        s.to_vec(),
        q.iter().map(|x| x.0).collect(),
        q.iter().map(|x| x.1).collect(),
    )
}

#[test]
fn every_method_is_deterministic_under_a_seed() {
    let table = nb201_subset(300);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let ctx = PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 7,
    };
    let methods: Vec<Box<dyn FewShotMethod>> = vec![
        Box::new(Flops),
        Box::new(FeaturesRidge::default()),
        Box::new(NearestDevice),
        Box::new(small_mlp(Adaptation::Ridge, 2)),
        Box::new(small_mlp(Adaptation::Head, 2)),
        Box::new(OpCount),
        Box::new(small_structured(&[FitKind::Structured], 2)),
        Box::new(small_structured(&AUTO, 2)),
        Box::new(small_structured(&[FitKind::Blend], 2)),
    ];
    let (samples, query, _) = split(&table, "fpga", 10, 1);
    for m in methods {
        let a = m
            .pretrain(&ctx)
            .unwrap()
            .adapt_and_predict(&samples, &query)
            .unwrap();
        let model = m.pretrain(&ctx).unwrap();
        let b = model.adapt_and_predict(&samples, &query).unwrap();
        assert_eq!(a, b, "{} is not reproducible", m.name());
        assert_eq!(a.len(), query.len());
        assert!(a.iter().all(|v| v.is_finite() && *v > 0.0), "{}", m.name());
        // Adapting to another device in between leaves the model unchanged.
        let (other, q2, _) = split(&table, "raspi4", 5, 2);
        model.adapt_and_predict(&other, &q2).unwrap();
        assert_eq!(
            b,
            model.adapt_and_predict(&samples, &query).unwrap(),
            "{}",
            m.name()
        );
    }
    for name in method_names() {
        assert_eq!(make_method(name).unwrap().name(), name);
    }
    assert!(make_method("nope").is_err());
}

#[test]
fn bad_samples_are_errors() {
    let table = nb201_subset(50);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let ctx = PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 0,
    };
    let model = Flops.pretrain(&ctx).unwrap();
    assert!(model.adapt_and_predict(&[], &[0]).is_err());
    assert!(model.adapt_and_predict(&[(0, -1.0)], &[0]).is_err());
    assert!(model.adapt_and_predict(&[(50, 1.0)], &[0]).is_err());
    assert!(model.adapt_and_predict(&[(0, 1.0)], &[50]).is_err());
}

#[test]
fn mlp_ridge_beats_flops_on_a_held_out_device() {
    let table = nb201_subset(1200);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    assert!(train.device_position("eyeriss").is_none());
    let ctx = PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 3,
    };
    let flops = Flops.pretrain(&ctx).unwrap();
    let mlp = small_mlp(Adaptation::Ridge, 15).pretrain(&ctx).unwrap();
    let (mut rho_flops, mut rho_mlp) = (0.0, 0.0);
    for seed in 0..2 {
        let (samples, query, truth) = split(&table, "eyeriss", 20, seed);
        rho_flops += spearman(&flops.adapt_and_predict(&samples, &query).unwrap(), &truth).unwrap();
        rho_mlp += spearman(&mlp.adapt_and_predict(&samples, &query).unwrap(), &truth).unwrap();
    }
    let (rho_flops, rho_mlp) = (rho_flops / 2.0, rho_mlp / 2.0);
    assert!(
        rho_mlp > rho_flops + 0.1,
        "mlp-ridge ρ {rho_mlp:.3} vs flops {rho_flops:.3}"
    );
    assert!(rho_mlp > 0.8, "mlp-ridge ρ {rho_mlp:.3}");
}

/// Mean ρ over `seeds` draws of K samples of `device`.
fn mean_rho(
    model: &dyn latscope_model::fewshot::PretrainedModel,
    table: &LatencyTable,
    device: &str,
    k: usize,
    seeds: u64,
) -> f64 {
    (0..seeds)
        .map(|seed| {
            let (samples, query, truth) = split(table, device, k, seed);
            spearman(&model.adapt_and_predict(&samples, &query).unwrap(), &truth).unwrap()
        })
        .sum::<f64>()
        / seeds as f64
}

#[test]
fn structure_wins_on_an_additive_device_and_the_prior_on_a_phone() {
    // fpga runs every operator of the cell one after another: latency in ms
    // is nearly a sum of per-operation costs. pixel2 is not additive.
    let table = nb201_subset(1500);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let ctx = PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 5,
    };
    let op_count = OpCount.pretrain(&ctx).unwrap();
    let head = small_mlp(Adaptation::Head, 15).pretrain(&ctx).unwrap();
    let structured = small_structured(&[FitKind::Structured], 15)
        .pretrain(&ctx)
        .unwrap();
    let auto = small_structured(&AUTO, 15).pretrain(&ctx).unwrap();
    let fpga: Vec<f64> = [&op_count, &head, &structured, &auto]
        .iter()
        .map(|m| mean_rho(m.as_ref(), &table, "fpga", 10, 3))
        .collect();
    assert!(fpga[0] > 0.99, "op-count on fpga: ρ {:.3}", fpga[0]);
    assert!(
        fpga[2] > fpga[1] && fpga[2] > 0.98,
        "mlp-struct {:.3} vs mlp-head {:.3} on fpga",
        fpga[2],
        fpga[1]
    );
    assert!(fpga[3] > 0.98, "mlp-auto on fpga: ρ {:.3}", fpga[3]);
    let pixel2_count = mean_rho(op_count.as_ref(), &table, "pixel2", 10, 3);
    let pixel2_auto = mean_rho(auto.as_ref(), &table, "pixel2", 10, 3);
    assert!(
        pixel2_auto > pixel2_count,
        "mlp-auto {pixel2_auto:.3} vs op-count {pixel2_count:.3} on pixel2"
    );
}

/// What to measure next comes from the pretrained model, continues one
/// greedy design as measurements arrive, and the automatic adaptation
/// states its leave-one-out confidence from 3 samples on.
#[test]
fn suggestions_and_stated_confidence() {
    use latscope_model::adapt::DesignColumns;
    let table = nb201_subset(400);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let ctx = PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 3,
    };
    let model = small_mlp(Adaptation::Auto, 3).pretrain(&ctx).unwrap();
    let candidates: Vec<usize> = (0..table.n_archs()).step_by(2).collect();
    for columns in [DesignColumns::Structure, DesignColumns::LogOutputs] {
        let ten = model
            .suggest(&[], &candidates, 10, columns)
            .unwrap()
            .unwrap();
        let distinct: std::collections::HashSet<usize> = ten.iter().copied().collect();
        assert_eq!(distinct.len(), 10, "{columns:?}: {ten:?}");
        assert!(ten.iter().all(|a| candidates.contains(a)), "{columns:?}");
        let rest = model
            .suggest(&ten[..6], &candidates, 4, columns)
            .unwrap()
            .unwrap();
        assert_eq!(rest, ten[6..], "{columns:?}");
    }
    let flops = Flops.pretrain(&ctx).unwrap();
    assert!(flops
        .suggest(&[], &candidates, 3, DesignColumns::Structure)
        .is_none());

    let (samples, query, _) = split(&table, "eyeriss", 10, 1);
    let adapted = model.adapt_with_confidence(&samples, &query).unwrap();
    assert_eq!(
        adapted.predictions,
        model.adapt_and_predict(&samples, &query).unwrap()
    );
    let stated = adapted.stated.expect("auto states a confidence");
    assert!(stated.loo.log_rmse.is_finite() && stated.loo.log_rmse > 0.0);
    assert!(stated.loo.spearman.is_some());
    assert!(["head", "structured", "blend"].contains(&stated.fit.as_str()));
    let two = model.adapt_with_confidence(&samples[..2], &query).unwrap();
    assert!(two.stated.is_none(), "no leave-one-out from 2 samples");
    assert!(Flops
        .pretrain(&ctx)
        .unwrap()
        .adapt_with_confidence(&samples, &query)
        .unwrap()
        .stated
        .is_none());
}

/// The cost fit is the zero-shot cost ranking itself (its slope is physics, never fitted, so
/// five samples cannot turn it round); the cost residual starts from it; without an ln MACs
/// column the default adapts without the cost fits and asking for one alone is an error.
#[test]
fn cost_fits_start_from_the_macs_ranking() {
    let table = nb201_subset(600);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let ctx = PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 4,
    };
    let flops = Flops.pretrain(&ctx).unwrap();
    let cost = small_structured(&[FitKind::Cost], 2)
        .pretrain(&ctx)
        .unwrap();
    for (device, seed) in [("pixel2", 0), ("eyeriss", 1), ("gold_6226", 2)] {
        let (samples, query, truth) = split(&table, device, 5, seed);
        let by_macs = flops.adapt_and_predict(&samples, &query).unwrap();
        let by_cost = cost.adapt_and_predict(&samples, &query).unwrap();
        let agreement = spearman(&by_macs, &by_cost).unwrap();
        assert!(agreement > 0.9999, "{device}: cost vs flops ρ {agreement}");
        // Same slope as flops (latency ∝ MACs): only the scale is fitted.
        let ratios: Vec<f64> = by_cost.iter().zip(&by_macs).map(|(c, f)| c / f).collect();
        let spread = ratios.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            / ratios.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(spread < 1.01, "{device}: cost / flops varies by {spread}");
        assert!(spearman(&by_cost, &truth).unwrap() > 0.0);
    }

    let mut no_macs = small_mlp(Adaptation::Auto, 2);
    no_macs.config.flops_output = false;
    let model = no_macs.pretrain(&ctx).unwrap();
    let (samples, query, _) = split(&table, "fpga", 10, 3);
    let predictions = model.adapt_and_predict(&samples, &query).unwrap();
    assert!(predictions.iter().all(|v| v.is_finite() && *v > 0.0));
    let mut only_cost = small_structured(&[FitKind::Cost], 2);
    only_cost.config.flops_output = false;
    let err = only_cost
        .pretrain(&ctx)
        .unwrap()
        .adapt_and_predict(&samples, &query)
        .unwrap_err();
    assert!(err.to_string().contains("ln MACs"), "{err}");
}
