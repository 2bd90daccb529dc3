//! `mlp-hw` (hardware-embedding MLP) on a small subset of the real NB201
//! data: reproducible under a seed, an error without reference samples,
//! and better than `flops` on a held-out device.

mod common;

use latscope_model::fewshot::{FewShotMethod, PretrainContext};
use latscope_model::methods::{reference_archs, Flops, HwEmbedding, HwEmbeddingConfig, Imputation};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::metrics::spearman;
use latscope_shared::space::SpaceId;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// NB201 restricted to the reference archs plus `n` random others (seeded).
fn nb201_subset(n: usize) -> LatencyTable {
    let full = common::table(SpaceId::Nb201);
    let refs: HashSet<_> = reference_archs(SpaceId::Nb201)
        .unwrap()
        .into_iter()
        .collect();
    let mut rows: Vec<usize> = (0..full.n_archs())
        .filter(|&a| !refs.contains(&full.archs()[a]))
        .collect();
    rows.shuffle(&mut ChaCha8Rng::seed_from_u64(11));
    rows.truncate(n);
    rows.extend((0..full.n_archs()).filter(|&a| refs.contains(&full.archs()[a])));
    rows.sort_unstable();
    full.select_archs(&rows).expect("subset")
}

fn small(epochs: usize, imputation: Imputation) -> HwEmbedding {
    HwEmbedding::new(HwEmbeddingConfig {
        hidden: vec![64, 64],
        ensemble: 1,
        train: common::short_training(epochs),
        max_archs_per_device: None,
        imputation,
        ..HwEmbeddingConfig::default()
    })
}

/// The first `k` reference archs of `device` (then random others to fill
/// K, like `--sampler reference`) as samples, every other arch as query.
fn reference_split(
    table: &LatencyTable,
    device: &str,
    k: usize,
    seed: u64,
) -> (Vec<(usize, f64)>, Vec<usize>, Vec<f64>) {
    let d = table.require_device(device).unwrap();
    let refs = reference_archs(table.space()).unwrap();
    let mut picked: Vec<usize> = refs
        .iter()
        .map(|r| table.archs().iter().position(|a| a == r).unwrap())
        .take(k)
        .collect();
    let mut rest: Vec<usize> = (0..table.n_archs())
        .filter(|a| !picked.contains(a))
        .collect();
    rest.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    picked.extend(rest.iter().take(k.saturating_sub(picked.len())));
    let value = |a: usize| table.value(a, d).unwrap();
    let query: Vec<usize> = (0..table.n_archs())
        .filter(|a| !picked.contains(a))
        .collect();
    (
        picked.iter().map(|&a| (a, value(a))).collect(),
        query.clone(),
        query.iter().map(|&a| value(a)).collect(),
    )
}

fn context<'a>(table: &'a LatencyTable, train: &'a LatencyTable, seed: u64) -> PretrainContext<'a> {
    PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train,
        seed,
    }
}

#[test]
fn reproducible_under_a_seed_and_needs_reference_samples() {
    let table = nb201_subset(200);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let method = small(2, Imputation::Ridge);
    assert_eq!(method.name(), "mlp-hw");
    let (samples, query, _) = reference_split(&table, "fpga", 5, 1);
    let a = method
        .pretrain(&context(&table, &train, 7))
        .unwrap()
        .adapt_and_predict(&samples, &query)
        .unwrap();
    let model = method.pretrain(&context(&table, &train, 7)).unwrap();
    let b = model.adapt_and_predict(&samples, &query).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), query.len());
    assert!(a.iter().all(|v| v.is_finite() && *v > 0.0));
    // Another device in between leaves the model unchanged.
    let (other, q2, _) = reference_split(&table, "raspi4", 10, 2);
    model.adapt_and_predict(&other, &q2).unwrap();
    assert_eq!(b, model.adapt_and_predict(&samples, &query).unwrap());
    // Another seed, another model.
    let c = method
        .pretrain(&context(&table, &train, 8))
        .unwrap()
        .adapt_and_predict(&samples, &query)
        .unwrap();
    assert_ne!(a, c);

    // Samples that are not reference architectures: a clear error.
    let refs: HashSet<usize> = reference_split(&table, "fpga", 10, 0)
        .0
        .iter()
        .map(|s| s.0)
        .collect();
    let fpga = table.require_device("fpga").unwrap();
    let plain: Vec<(usize, f64)> = (0..table.n_archs())
        .filter(|a| !refs.contains(a))
        .take(5)
        .map(|a| (a, table.value(a, fpga).unwrap()))
        .collect();
    let e = model
        .adapt_and_predict(&plain, &[0])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("reference architecture") && e.contains("--sampler reference"),
        "{e}"
    );
    assert!(model.adapt_and_predict(&[], &[0]).is_err());
}

#[test]
fn pretraining_needs_the_reference_archs_in_the_task() {
    let full = common::table(SpaceId::Nb201);
    let refs: HashSet<_> = reference_archs(SpaceId::Nb201)
        .unwrap()
        .into_iter()
        .collect();
    let rows: Vec<usize> = (0..full.n_archs())
        .filter(|&a| !refs.contains(&full.archs()[a]))
        .take(50)
        .collect();
    let table = full.select_archs(&rows).unwrap();
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let e = small(1, Imputation::Mean)
        .pretrain(&context(&table, &train, 0))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("reference architecture"), "{e}");
}

#[test]
fn beats_flops_on_a_held_out_device() {
    let table = nb201_subset(1200);
    let train = table.select_devices(&common::NB201_TRAIN).unwrap();
    let ctx = context(&table, &train, 3);
    let flops = Flops.pretrain(&ctx).unwrap();
    let hw = small(15, Imputation::Mean).pretrain(&ctx).unwrap();
    for (device, k) in [("eyeriss", 10), ("eyeriss", 5), ("fpga", 10)] {
        let (samples, query, truth) = reference_split(&table, device, k, 0);
        let rho_flops =
            spearman(&flops.adapt_and_predict(&samples, &query).unwrap(), &truth).unwrap();
        let rho_hw = spearman(&hw.adapt_and_predict(&samples, &query).unwrap(), &truth).unwrap();
        assert!(
            rho_hw > rho_flops + 0.05 && rho_hw > 0.7,
            "{device} K={k}: mlp-hw ρ {rho_hw:.3} vs flops {rho_flops:.3}"
        );
    }
}
