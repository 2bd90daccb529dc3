//! Tasks and the structural split, on the shipped HELP data: tasks are
//! sound, and a method cannot see more of a test device than its K samples.

mod common;

use latscope_model::error::Result;
use latscope_model::eval::task::{BUILTIN_TASKS, REPORTED_TEST_DEVICES, VALIDATION_TASKS};
use latscope_model::eval::{evaluate, EvalConfig, Task, TaskSpec, TaskSplit};
use latscope_model::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};
use latscope_model::sampler::{Sampler, SamplerKind};
use latscope_shared::space::SpaceId;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

fn disjoint_and_present(task: &Task) {
    let t = common::table(task.space);
    task.validate(t).unwrap();
    let train: HashSet<&String> = task.train_devices.iter().collect();
    assert!(!task.test_devices.is_empty(), "{task}");
    for d in &task.test_devices {
        assert!(!train.contains(d), "{d} both trains and tests in {task}");
        assert!(t.device_position(d).is_some(), "{d}");
    }
    for d in &task.train_devices {
        assert!(t.device_position(d).is_some(), "{d}");
    }
}

#[test]
fn builtin_tasks_are_disjoint_and_in_the_data() {
    let expect = [("N0", 9, 6), ("N5", 17, 1), ("F0", 9, 3), ("F5", 15, 4)];
    for (name, n_train, n_test) in expect {
        let task = Task::builtin(name).unwrap();
        assert_eq!(task.train_devices.len(), n_train, "{name}");
        assert_eq!(task.test_devices.len(), n_test, "{name}");
        disjoint_and_present(&task);
    }
    assert_eq!(Task::builtin("N5").unwrap().test_devices, ["eyeriss"]);
    assert!(Task::builtin("N5").unwrap().notes[0].contains("HW-NAS-Bench"));
    assert_eq!(BUILTIN_TASKS.len(), 4);
    assert!(Task::builtin("n0").is_some());
    assert!("N9".parse::<TaskSpec>().is_err());
    // A task of the other space is refused.
    let e = Task::builtin("F0")
        .unwrap()
        .validate(common::table(SpaceId::Nb201))
        .unwrap_err();
    assert!(e.to_string().contains("fbnet"), "{e}");
}

#[test]
fn validation_tasks_never_touch_a_reported_test_device() {
    let mut reported: Vec<String> = BUILTIN_TASKS
        .iter()
        .flat_map(|n| Task::builtin(n).unwrap().test_devices)
        .collect();
    reported.sort();
    reported.dedup();
    let mut listed: Vec<String> = REPORTED_TEST_DEVICES
        .iter()
        .map(|d| d.to_string())
        .collect();
    listed.sort();
    assert_eq!(reported, listed);
    for name in VALIDATION_TASKS {
        let task = Task::builtin(name).unwrap();
        assert_eq!(task.name, name);
        disjoint_and_present(&task);
        for d in task.train_devices.iter().chain(&task.test_devices) {
            assert!(
                !listed.contains(d),
                "{name} uses the reported test device {d}"
            );
        }
    }
}

/// Spearman ρ of two devices over the architectures both measured.
fn device_rho(space: SpaceId, a: &str, b: &str) -> f64 {
    let t = common::table(space);
    let (ca, cb) = (
        t.device_column(t.device_position(a).unwrap()),
        t.device_column(t.device_position(b).unwrap()),
    );
    let (xa, xb): (Vec<f64>, Vec<f64>) = ca
        .iter()
        .zip(&cb)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .unzip();
    latscope_shared::metrics::spearman(&xa, &xb).unwrap()
}

/// A validation test device that ranks the space like a reported test device (ρ ≥ .99) is a
/// near-copy of it: choosing on it would be choosing on the reported task. (The proxy tasks test
/// on every other device of their space, so they cannot be disjoint from validation; the README
/// says so.)
#[test]
fn validation_test_devices_are_no_near_copies_of_reported_ones() {
    for name in VALIDATION_TASKS {
        let val = Task::builtin(name).unwrap();
        for reported in BUILTIN_TASKS.map(|n| Task::builtin(n).unwrap()) {
            if reported.space != val.space {
                continue;
            }
            for v in &val.test_devices {
                for r in &reported.test_devices {
                    let rho = device_rho(val.space, v, r);
                    assert!(
                        rho < 0.99,
                        "{name}'s test device {v} ranks {} like {}'s {r}: ρ {rho:.4}",
                        val.space,
                        reported.name
                    );
                }
            }
        }
    }
    // The check bites: 2080ti_256 (once a validation test device) copies titan_rtx_256.
    assert!(device_rho(SpaceId::Nb201, "2080ti_256", "titan_rtx_256") >= 0.99);
}

#[test]
fn generated_and_single_device_tasks_are_sound() {
    for space in SpaceId::ALL {
        for seed in [1, 2] {
            let spec: TaskSpec = format!("auto-{space}-{seed}").parse().unwrap();
            let task = spec.resolve(common::table(space)).unwrap();
            assert_eq!(task.name, format!("auto-{space}-{seed}"));
            disjoint_and_present(&task);
            assert!(task.train_devices.len() >= 3 && task.test_devices.len() >= 2);
            // Deterministic.
            assert_eq!(task, spec.resolve(common::table(space)).unwrap());
        }
    }
    let t = "plenty-nb201-pixel2".parse::<TaskSpec>().unwrap();
    let task = t.resolve(common::table(SpaceId::Nb201)).unwrap();
    assert!(task.train_devices.is_empty());
    assert_eq!(task.test_devices, ["pixel2"]);
    let task = "loo-fbnet-raspi4"
        .parse::<TaskSpec>()
        .unwrap()
        .resolve(common::table(SpaceId::Fbnet))
        .unwrap();
    assert_eq!(task.train_devices.len(), 26);
    disjoint_and_present(&task);
    let task = "proxy-nb201-pixel3"
        .parse::<TaskSpec>()
        .unwrap()
        .resolve(common::table(SpaceId::Nb201))
        .unwrap();
    assert_eq!(task.train_devices, ["pixel3"]);
    assert_eq!(task.test_devices.len(), 26);
    disjoint_and_present(&task);
    assert!("proxy-nb201-".parse::<TaskSpec>().is_err());
    assert!("plenty-nb201-nope"
        .parse::<TaskSpec>()
        .unwrap()
        .resolve(common::table(SpaceId::Nb201))
        .is_err());
}

#[test]
fn training_table_has_no_test_column() {
    let full = common::table(SpaceId::Nb201);
    let task = Task::builtin("N0").unwrap();
    let split = TaskSplit::new(full, &task).unwrap();
    let train = split.train_table();
    assert_eq!(train.devices(), task.train_devices.as_slice());
    for d in &task.test_devices {
        assert!(train.device_position(d).is_none(), "{d} leaked");
    }
    assert_eq!(train.n_archs(), full.n_archs());
    // The training columns are the full table's, untouched.
    for (i, d) in task.train_devices.iter().enumerate() {
        let j = full.device_position(d).unwrap();
        assert_eq!(train.device_column(i), full.device_column(j));
    }
    let ctx = split.pretrain_context(3);
    assert_eq!(ctx.archs, full.archs());
    assert_eq!(ctx.seed, 3);
    assert_eq!(ctx.space, SpaceId::Nb201);
}

/// What the spy saw.
#[derive(Default)]
struct Seen {
    train_devices: Vec<Vec<String>>,
    train_cells: Vec<Vec<Option<f64>>>,
    samples: Vec<Vec<(usize, f64)>>,
    queries: Vec<Vec<usize>>,
}

/// A method that records everything it is given and predicts the arch
/// index (any non-constant prediction will do).
struct Spy(Rc<RefCell<Seen>>);
struct SpyModel(Rc<RefCell<Seen>>);

impl FewShotMethod for Spy {
    fn name(&self) -> String {
        "spy".into()
    }
    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        let mut seen = self.0.borrow_mut();
        seen.train_devices.push(ctx.train.devices().to_vec());
        seen.train_cells.push(ctx.train.latency().to_vec());
        Ok(Box::new(SpyModel(self.0.clone())))
    }
}

impl PretrainedModel for SpyModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let mut seen = self.0.borrow_mut();
        seen.samples.push(samples.to_vec());
        seen.queries.push(query.to_vec());
        Ok(query.iter().map(|&a| a as f64 + 1.0).collect())
    }
}

#[test]
fn a_spy_method_sees_exactly_k_test_values() {
    let full = common::table(SpaceId::Fbnet);
    let task = Task::builtin("F0").unwrap();
    let split = TaskSplit::new(full, &task).unwrap();
    let sampler = Sampler::new(SamplerKind::Random, split.train_table().archs(), &[]).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let spy = Spy(seen.clone());
    let config = EvalConfig {
        ks: vec![5, 10],
        seeds: vec![0, 1],
    };
    let report = evaluate(&split, &[&spy], &[&sampler], &config, &mut |_| {}).unwrap();
    let seen = seen.borrow();

    // Pretraining: once per seed, the training devices only.
    assert_eq!(seen.train_devices.len(), 2);
    for devices in &seen.train_devices {
        assert_eq!(devices, &task.train_devices);
    }
    let train_only = full.select_devices(&task.train_devices).unwrap();
    for cells in &seen.train_cells {
        assert_eq!(cells.as_slice(), train_only.latency());
    }

    // Adaptation: per (seed, K, device), exactly K samples, each the true
    // latency of that device, and the query is every other architecture.
    assert_eq!(seen.samples.len(), 2 * 2 * task.test_devices.len());
    let mut i = 0;
    for _seed in 0..2 {
        for k in [5, 10] {
            for device in &task.test_devices {
                let d = full.device_position(device).unwrap();
                let samples = &seen.samples[i];
                let query = &seen.queries[i];
                assert_eq!(samples.len(), k);
                for &(a, v) in samples {
                    assert_eq!(full.value(a, d), Some(v));
                }
                let sampled: HashSet<usize> = samples.iter().map(|s| s.0).collect();
                assert_eq!(sampled.len(), k);
                assert_eq!(query.len(), full.n_archs() - k);
                assert!(query.iter().all(|a| !sampled.contains(a)));
                i += 1;
            }
        }
    }
    // The split handed out exactly what the spy saw, and nothing more.
    for (t, (name, count)) in split.test_devices().iter().zip(&report.measured) {
        assert_eq!(t.name(), name);
        assert_eq!(*count, 2 * (5 + 10));
        assert_eq!(t.measured_count(), *count);
    }
    // Scores are on the remaining archs only.
    for trial in &report.trials {
        assert_eq!(trial.score.n, full.n_archs() - trial.k);
    }
}

#[test]
fn test_device_measurement_is_checked_and_counted() {
    let full = common::table(SpaceId::Nb201);
    let split = TaskSplit::new(full, &Task::builtin("N5").unwrap()).unwrap();
    let eyeriss = &split.test_devices()[0];
    assert_eq!(eyeriss.name(), "eyeriss");
    assert_eq!(eyeriss.measured_count(), 0);
    let d = full.device_position("eyeriss").unwrap();
    assert_eq!(
        eyeriss.measure(&[3, 7]).unwrap(),
        vec![full.value(3, d).unwrap(), full.value(7, d).unwrap()]
    );
    assert_eq!(eyeriss.measured_count(), 2);
    assert!(eyeriss.measure(&[1, 1]).is_err());
    assert!(eyeriss.measure(&[full.n_archs()]).is_err());
    assert_eq!(eyeriss.measured_count(), 2, "failed calls hand out nothing");
    let trial = eyeriss.trial(&[0, 1, 2]).unwrap();
    assert_eq!(eyeriss.measured_count(), 5);
    assert_eq!(trial.query().len(), full.n_archs() - 3);
    // Wrong length, non-finite predictions are errors; a constant one scores 0.
    assert!(trial.score(&[1.0]).is_err());
    let mut p = vec![1.0; trial.query().len()];
    let s = trial.score(&p).unwrap();
    assert!(s.constant && s.spearman == 0.0 && s.kendall == 0.0);
    p[0] = f64::NAN;
    assert!(trial.score(&p).is_err());
}
