//! Samplers on the real architecture lists, and the FLOPs baseline against
//! an independent computation of the FLOPs ranking.

mod common;

use latscope_model::eval::{evaluate, EvalConfig, Task, TaskSplit};
use latscope_model::methods::Flops;
use latscope_model::sampler::{arch_macs, Sampler, SamplerKind};
use latscope_shared::dataset::{read_reference_archs_path, LatencyTable};
use latscope_shared::features::cost_features;
use latscope_shared::metrics::spearman;
use latscope_shared::space::{Arch, SpaceId};
use std::collections::HashSet;

fn fbnet() -> &'static LatencyTable {
    common::table(SpaceId::Fbnet)
}

fn nb201() -> &'static LatencyTable {
    common::table(SpaceId::Nb201)
}

fn reference(space: SpaceId) -> Vec<Arch> {
    read_reference_archs_path(
        common::data(&format!("{space}_reference_archs.txt")),
        Some(space),
    )
    .unwrap()
    .into_iter()
    .map(|(_, a)| a)
    .collect()
}

#[test]
fn samplers_are_deterministic_distinct_and_exact() {
    let table = fbnet();
    let archs = table.archs();
    let refs = reference(SpaceId::Fbnet);
    // Every other architecture, so candidates are a strict subset.
    let candidates: Vec<usize> = (0..archs.len()).step_by(2).collect();
    let allowed: HashSet<usize> = candidates.iter().copied().collect();
    for kind in SamplerKind::ALL {
        let sampler = Sampler::new(kind, archs, &refs).unwrap();
        if kind.design().is_some() {
            // Model-driven: the evaluation asks the pretrained model.
            let e = sampler.sample(&candidates, 5, 0).unwrap_err().to_string();
            assert!(e.contains("pretrained model"), "{e}");
            continue;
        }
        for k in [0, 1, 5, 10, 20] {
            let a = sampler.sample(&candidates, k, 42).unwrap();
            assert_eq!(a, sampler.sample(&candidates, k, 42).unwrap(), "{kind}");
            assert_eq!(a.len(), k, "{kind} K {k}");
            let set: HashSet<usize> = a.iter().copied().collect();
            assert_eq!(set.len(), k, "{kind}: duplicates in {a:?}");
            assert!(a.iter().all(|x| allowed.contains(x)), "{kind}");
        }
        let e = sampler
            .sample(&candidates[..4], 5, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("K = 5") && e.contains("4 candidates"), "{e}");
        assert!(sampler.sample(&[1, 1], 1, 0).is_err());
        assert!(sampler.sample(&[archs.len()], 1, 0).is_err());
        // All candidates: a permutation of them.
        let all = sampler.sample(&candidates[..30], 30, 9).unwrap();
        assert_eq!(all.iter().copied().collect::<HashSet<_>>().len(), 30);
    }
    // Different seeds usually differ (random-based samplers).
    let random = Sampler::new(SamplerKind::Random, archs, &[]).unwrap();
    assert_ne!(
        random.sample(&candidates, 10, 1).unwrap(),
        random.sample(&candidates, 10, 2).unwrap()
    );
}

#[test]
fn reference_sampler_puts_helps_archs_first() {
    let table = nb201();
    let refs = reference(SpaceId::Nb201);
    assert_eq!(refs.len(), 10);
    let positions: Vec<usize> = refs.iter().map(|a| table.position_of(a).unwrap()).collect();
    let s = Sampler::new(SamplerKind::Reference, table.archs(), &refs).unwrap();
    let all: Vec<usize> = (0..table.n_archs()).collect();
    assert_eq!(s.sample(&all, 5, 0).unwrap(), positions[..5]);
    let twenty = s.sample(&all, 20, 0).unwrap();
    assert_eq!(twenty[..10], positions[..]);
    assert_eq!(twenty.iter().collect::<HashSet<_>>().len(), 20);
    // A reference arch that is not a candidate is skipped, not returned.
    let without: Vec<usize> = all.iter().copied().filter(|&a| a != positions[0]).collect();
    let got = s.sample(&without, 10, 0).unwrap();
    assert_eq!(got[..9], positions[1..]);
    assert!(!got.contains(&positions[0]));
}

#[test]
fn cost_stratified_spans_the_flops_range() {
    let table = fbnet();
    let macs = arch_macs(table.archs()).unwrap();
    let s = Sampler::cost_stratified_from_macs(macs.clone());
    let all: Vec<usize> = (0..table.n_archs()).collect();
    let mut sorted = macs.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let picked = s.sample(&all, 10, 3).unwrap();
    let mut got: Vec<f64> = picked.iter().map(|&a| macs[a]).collect();
    got.sort_by(f64::total_cmp);
    // One per decile: the i-th smallest pick lies in the i-th decile.
    for (i, v) in got.iter().enumerate() {
        let (lo, hi) = (sorted[i * n / 10], sorted[(i + 1) * n / 10 - 1]);
        assert!(*v >= lo && *v <= hi, "pick {i}: {v} not in [{lo}, {hi}]");
    }
}

#[test]
fn flops_baseline_rho_is_the_flops_ranking() {
    let full = fbnet();
    let task = Task::builtin("F0").unwrap();
    let split = TaskSplit::new(full, &task).unwrap();
    let sampler = Sampler::new(SamplerKind::Random, split.train_table().archs(), &[]).unwrap();
    let config = EvalConfig {
        ks: vec![5],
        seeds: vec![0],
    };
    let report = evaluate(&split, &[&Flops], &[&sampler], &config, &mut |_| {}).unwrap();
    assert_eq!(report.trials.len(), 3);
    for trial in &report.trials {
        // Independently: FLOPs from the cost features, truth from the table,
        // over every arch not sampled.
        let d = full.device_position(&trial.device).unwrap();
        let sampled: HashSet<usize> = trial.sampled.iter().copied().collect();
        let (flops, truth): (Vec<f64>, Vec<f64>) = (0..full.n_archs())
            .filter(|a| !sampled.contains(a))
            .map(|a| {
                let net = full.archs()[a].lower_default().unwrap();
                (cost_features(&net).macs as f64, full.value(a, d).unwrap())
            })
            .unzip();
        let rho = spearman(&flops, &truth).unwrap();
        assert!(
            (trial.score.spearman - rho).abs() < 1e-12,
            "{}: {} vs {rho}",
            trial.device,
            trial.score.spearman
        );
        assert_eq!(trial.score.n, full.n_archs() - 5);
    }
    let text = report.render_table();
    assert!(
        text.contains("NASFLAT") && text.contains("not measured here"),
        "{text}"
    );
}

#[test]
fn several_samplers_share_one_pretraining_and_suggest_needs_a_model() {
    let full = fbnet();
    let task = Task::builtin("F0").unwrap();
    let split = TaskSplit::new(full, &task).unwrap();
    let archs = split.train_table().archs();
    let random = Sampler::new(SamplerKind::Random, archs, &[]).unwrap();
    let stratified = Sampler::new(SamplerKind::CostStratified, archs, &[]).unwrap();
    let config = EvalConfig {
        ks: vec![5],
        seeds: vec![0],
    };
    let report = evaluate(
        &split,
        &[&Flops],
        &[&random, &stratified],
        &config,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.methods, ["flops @random", "flops @cost-stratified"]);
    assert_eq!(report.sampler, "random, cost-stratified");
    assert_eq!(report.trials.len(), 6);
    // The random half is the single-sampler run.
    let alone = evaluate(&split, &[&Flops], &[&random], &config, &mut |_| {}).unwrap();
    for (a, b) in alone.trials.iter().zip(&report.trials[..3]) {
        assert_eq!((a.sampled.clone(), a.score), (b.sampled.clone(), b.score));
    }
    // flops cannot suggest what to measure.
    let suggest = Sampler::new(SamplerKind::Suggest, archs, &[]).unwrap();
    let e = evaluate(&split, &[&Flops], &[&suggest], &config, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("first method that can suggest"), "{e}");
}
