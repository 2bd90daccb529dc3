//! The explorer's computations on the shipped predictors and datasets,
//! natively: the same code the wasm module runs in the page.

use latscope_model::predictor_onnx::Predictor;
use latscope_shared::dataset::{read_accuracy, AccuracyDataset, LatencyTable};
use latscope_shared::encoding::EncodingCache;
use latscope_shared::metrics::spearman;
use latscope_shared::space::SpaceId;
use latscope_web::{
    arch_summary, lookup_measured, read_measured, Error, ErrorKind, ScanOutputs, SpaceScan,
    SpaceTable,
};
use std::rc::Rc;

fn static_file(path: &str) -> Vec<u8> {
    let full = format!("{}/../static/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn predictor(space: &str) -> Rc<Predictor> {
    let bytes = static_file(&format!("predictors/{space}.onnx"));
    Rc::new(Predictor::from_bytes(&bytes).unwrap())
}

fn measured(space: &str) -> LatencyTable {
    let bytes = static_file(&format!("data/{space}_latency.csv.gz"));
    read_measured(&bytes, &format!("{space}_latency.csv.gz"), space).unwrap()
}

/// The canonical strings of a dataset's architectures.
fn arch_strings(table: &LatencyTable) -> Vec<String> {
    table.archs().iter().map(|a| a.to_string()).collect()
}

/// Latencies (ms) row-major `[archs × devices]`, as `Predictor.predict`
/// gives them.
fn predict(p: &Predictor, archs: &[String]) -> Vec<f32> {
    let parsed = p.parse_archs(archs).unwrap();
    let prediction = p.predict_archs(&parsed).unwrap();
    prediction.latency_ms.iter().copied().collect()
}

/// `Predictor.adapt`: the file's default adaptation from string samples.
fn adapt(p: &Predictor, sample_archs: &[String], sample_ms: &[f64], query: &[String]) -> Vec<f64> {
    let samples = p.parse_samples(sample_archs, sample_ms).unwrap();
    p.adapt(&samples, &p.parse_archs(query).unwrap(), None)
        .unwrap()
}

/// Every 26th NB201 cell of the dataset (601 architectures).
fn nb201_subset() -> Vec<String> {
    latscope_web::enumerate_space("nb201")
        .unwrap()
        .into_iter()
        .step_by(26)
        .collect()
}

fn scan(p: &Rc<Predictor>, archs: &[String], chunk: usize) -> SpaceTable {
    scan_with(p, archs, chunk, None)
}

fn scan_with(
    p: &Rc<Predictor>,
    archs: &[String],
    chunk: usize,
    features: Option<Rc<EncodingCache>>,
) -> SpaceTable {
    let parsed = p.parse_archs(archs).unwrap();
    // The ensemble's exact latencies (the scan network's are checked in
    // `the_scan_network_ranks_like_the_ensemble_and_adapts_alike`).
    let mut scan = SpaceScan::with_outputs(p.clone(), parsed, features, ScanOutputs::Ensemble);
    let mut steps = 0;
    while scan.done() < scan.total() {
        let before = scan.done();
        assert!(scan.step(chunk).unwrap() > before);
        steps += 1;
    }
    assert_eq!(steps, archs.len().div_ceil(chunk));
    scan.finish().unwrap()
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs())
}

#[test]
fn a_chunked_scan_equals_predicting_at_once() {
    for (space, archs) in [
        ("nb201", nb201_subset()),
        ("fbnet", arch_strings(&measured("fbnet"))[..300].to_vec()),
    ] {
        let p = predictor(space);
        let table = scan(&p, &archs, 128);
        let direct = predict(&p, &archs);
        let devices = &p.meta().devices;
        let d = devices.len();
        assert_eq!(table.devices(), devices.as_slice());
        for (j, device) in devices.iter().enumerate() {
            let column = table.latency(device).unwrap();
            for (i, &v) in column.iter().enumerate() {
                assert!(close(v, direct[i * d + j]), "{space} {device} {i}");
            }
        }
        for (arch, mflops) in archs.iter().zip(table.mflops()).step_by(37) {
            assert_eq!(*mflops, arch_summary(space, arch).unwrap().mflops);
        }
    }
}

/// Steps `scan` to the end in chunks of `chunk`.
fn run_to_end(scan: &mut SpaceScan, chunk: usize) {
    while scan.done() < scan.total() {
        scan.step(chunk).unwrap();
    }
}

/// The shipped predictors' scan networks: a whole-space table made with
/// one ranks every device like the ensemble, has no embedding rows until
/// they are set (from an embedding-only scan, as the page's worker makes
/// them, at once or in parts) or first needed, and adds a device exactly as the ensemble's
/// table does either way.
#[test]
fn the_scan_network_ranks_like_the_ensemble_and_adapts_alike() {
    let p = predictor("nb201");
    assert!(p.has_scan_network());
    let recorded = p.meta().scan.clone().unwrap();
    assert_eq!(recorded.spearman.len(), p.meta().devices.len());
    let archs = nb201_subset();
    let parsed = p.parse_archs(&archs).unwrap();
    let exact = scan(&p, &archs, 601);
    let fast_table = || {
        let mut fast = SpaceScan::new(p.clone(), parsed.clone(), None);
        assert_eq!(fast.outputs(), ScanOutputs::ScanNetwork);
        run_to_end(&mut fast, 200);
        assert!(fast.embedding().is_empty());
        fast.finish().unwrap()
    };
    let mut fast = fast_table();
    assert!(!fast.has_embedding() && exact.has_embedding());
    for (j, device) in p.meta().devices.iter().enumerate() {
        let column = |t: &SpaceTable| -> Vec<f64> {
            t.latency(device)
                .unwrap()
                .iter()
                .map(|&v| f64::from(v))
                .collect()
        };
        let rho = spearman(&column(&fast), &column(&exact)).unwrap();
        // 601 of the 15625 cells the file's agreement was measured on.
        assert!(
            rho > 0.99 && rho > recorded.spearman[j] - 0.01,
            "{device}: ρ {rho}"
        );
    }
    assert_eq!(fast.mflops(), exact.mflops());

    let mut embedding = SpaceScan::embedding_only(p.clone(), parsed.clone(), None);
    run_to_end(&mut embedding, 250);
    assert!(embedding.latency_ms().is_empty());
    let e = p.meta().embedding_dim;
    let wrong = fast.set_embedding(vec![0.0; e]).unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::InvalidInput, "{wrong}");
    fast.set_embedding(embedding.embedding().to_vec()).unwrap();
    assert!(fast.has_embedding());

    // The same rows in parts, as the page gives them: whole rows only, the
    // last one completes them, nothing after that.
    let mut parts = fast_table();
    let rows = embedding.embedding();
    let half_row = parts.append_embedding_rows(&rows[..e / 2]).unwrap_err();
    assert_eq!(half_row.kind(), ErrorKind::InvalidInput, "{half_row}");
    for part in rows.chunks(250 * e) {
        assert!(!parts.has_embedding());
        parts.append_embedding_rows(part).unwrap();
    }
    assert!(parts.has_embedding());
    let after = parts.append_embedding_rows(&rows[..e]).unwrap_err();
    assert_eq!(after.kind(), ErrorKind::InvalidState, "{after}");
    let too_many = fast_table();
    too_many.append_embedding_rows(&rows[e..]).unwrap();
    let past_end = too_many.append_embedding_rows(&rows[..2 * e]).unwrap_err();
    assert_eq!(past_end.kind(), ErrorKind::InvalidInput, "{past_end}");

    let mut exact = exact;
    let mut lazy = fast_table();
    let sample_archs: Vec<String> = archs.iter().step_by(60).cloned().collect();
    let sample_ms: Vec<f64> = (0..sample_archs.len())
        .map(|i| 3.0 + i as f64 * 0.7)
        .collect();
    for table in [&mut exact, &mut fast, &mut lazy, &mut parts] {
        table.add_device("mine", &sample_archs, &sample_ms).unwrap();
    }
    assert!(lazy.has_embedding());
    let mine = exact.latency("mine").unwrap();
    for other in [&fast, &lazy, &parts] {
        for (a, b) in other.latency("mine").unwrap().iter().zip(mine) {
            assert!(close(*a, *b), "{a} vs {b}");
        }
    }
}

/// The shipped features-v1 cache gives the same predictions as lowering
/// every architecture, and MFLOPs within a few parts per million.
#[test]
fn the_feature_cache_changes_nothing_but_speed() {
    let p = predictor("nb201");
    let archs = nb201_subset();
    let cache = EncodingCache::from_bytes(
        &static_file("data/nb201_features-v1.bin.gz"),
        "nb201_features-v1.bin.gz",
    )
    .unwrap();
    let cached = scan_with(&p, &archs, 300, Some(Rc::new(cache)));
    let computed = scan(&p, &archs, 300);
    for d in &p.meta().devices {
        assert_eq!(cached.latency(d).unwrap(), computed.latency(d).unwrap());
    }
    for (a, b) in cached.mflops().iter().zip(computed.mflops()) {
        assert!((a - b).abs() <= 1e-5 * b, "{a} vs {b}");
    }
}

#[test]
fn rankings_standings_and_histograms_agree() {
    let p = predictor("nb201");
    let archs = nb201_subset();
    let table = scan(&p, &archs, 500);
    let device = "pixel3";
    let column = table.latency(device).unwrap();
    let order = table.order(device).unwrap();
    assert_eq!(order.len(), archs.len());
    assert!(order
        .windows(2)
        .all(|w| column[w[0] as usize] <= column[w[1] as usize]));
    // The fastest architecture ranks first, the slowest last.
    let first = table.standing(&archs[order[0] as usize], device).unwrap();
    assert_eq!((first.rank, first.of), (1, archs.len()));
    assert_eq!(first.faster_percent, 0.0);
    let last = table
        .standing(&archs[*order.last().unwrap() as usize], device)
        .unwrap();
    assert!(last.rank > archs.len() - 5, "{last:?}");
    let h = table.histogram(device, 20).unwrap();
    assert_eq!(h.counts.iter().sum::<usize>(), archs.len());
    assert_eq!(h.edges_ms.len(), 21);
    assert!(h.edges_ms.windows(2).all(|w| w[0] < w[1]));
    let min = column[order[0] as usize] as f64;
    assert!((h.edges_ms[0] - min).abs() < 1e-6 * min);
    let err = table
        .standing(&archs[0], "no_such_device")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no_such_device") && err.contains("pixel3"),
        "{err}"
    );
    let err = table
        .standing(
            "|none~0|+|none~0|none~1|+|none~0|none~1|nonsense~2|",
            device,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("nonsense"), "{err}");
}

#[test]
fn correlation_clusters_and_pareto_fronts() {
    let p = predictor("nb201");
    let archs = nb201_subset();
    let table = scan(&p, &archs, 1000);
    let devices = table.devices().to_vec();
    let n = devices.len();
    let rho = table.correlation().unwrap();
    assert_eq!(rho.len(), n * n);
    let as_f64 = |d: &str| -> Vec<f64> {
        table
            .latency(d)
            .unwrap()
            .iter()
            .map(|&v| v as f64)
            .collect()
    };
    let (a, b) = (&devices[0], &devices[n - 1]);
    let want = spearman(&as_f64(a), &as_f64(b)).unwrap();
    assert!((rho[n - 1] - want).abs() < 1e-12);
    let mut order = table.cluster_order().unwrap();
    order.sort();
    assert_eq!(order, (0..n as u32).collect::<Vec<_>>());

    let latency = table.latency("titan_rtx_32").unwrap();
    let mflops = table.mflops();
    let front = table.pareto_front("titan_rtx_32").unwrap();
    assert!(front.len() >= 3, "{front:?}");
    for &f in &front {
        let (lf, sf) = (latency[f as usize], mflops[f as usize]);
        let dominated = (0..archs.len())
            .any(|i| latency[i] <= lf && mflops[i] >= sf && (latency[i] < lf || mflops[i] > sf));
        assert!(!dominated, "front member {f} is dominated");
    }
}

#[test]
fn accuracy_becomes_the_score_of_fronts_and_budget_answers() {
    let p = predictor("nb201");
    let archs = nb201_subset();
    let mut table = scan(&p, &archs, 1000);
    assert_eq!(table.score_name(), "MFLOPs");
    assert_eq!(table.score(), table.mflops());
    let bytes = static_file("data/nb201_accuracy.csv.gz");
    let accuracy = read_accuracy(&bytes[..], "nb201_accuracy.csv.gz").unwrap();
    table
        .use_accuracy(&accuracy, AccuracyDataset::Cifar100)
        .unwrap();
    assert_eq!(table.score_name(), "cifar100 test accuracy %");
    // The same scores looked up elsewhere (the page's worker) give the same
    // table; a wrong count or a missing accuracy is refused.
    let mut elsewhere = scan(&p, &archs, 1000);
    let looked_up = table.score().to_vec();
    let short = elsewhere
        .use_accuracy_scores(AccuracyDataset::Cifar100, looked_up[1..].to_vec())
        .unwrap_err();
    assert_eq!(short.kind(), ErrorKind::InvalidInput, "{short}");
    let mut missing = looked_up.clone();
    missing[7] = f64::NAN;
    let e = elsewhere
        .use_accuracy_scores(AccuracyDataset::Cifar100, missing)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains(&archs[7]), "{e}");
    elsewhere
        .use_accuracy_scores(AccuracyDataset::Cifar100, looked_up)
        .unwrap();
    assert_eq!(
        (elsewhere.score(), elsewhere.score_name()),
        (table.score(), table.score_name())
    );
    // Each row's score is that cell's accuracy in the file.
    for (row, arch) in archs.iter().enumerate().step_by(50) {
        let parsed = SpaceId::Nb201.parse_arch(arch).unwrap();
        let want = accuracy.get(&parsed, AccuracyDataset::Cifar100).unwrap();
        assert_eq!(table.score()[row], want, "{arch}");
    }
    // The front is the (latency, accuracy) front: no member is beaten on both.
    let latency = table.latency("pixel3").unwrap().to_vec();
    let score = table.score().to_vec();
    let front = table.pareto_front("pixel3").unwrap();
    assert!(front.len() >= 3, "{front:?}");
    for &f in &front {
        let (lf, sf) = (latency[f as usize], score[f as usize]);
        let dominated = (0..archs.len())
            .any(|i| latency[i] <= lf && score[i] >= sf && (latency[i] < lf || score[i] > sf));
        assert!(!dominated, "front member {f} is dominated");
    }
    // "Best accuracy under X ms": brute force over the rows agrees, and the
    // answer is on the front.
    let mut sorted = latency.clone();
    sorted.sort_by(f32::total_cmp);
    let budget = f64::from(sorted[sorted.len() / 4]);
    let best = table.best_under("pixel3", budget).unwrap().unwrap();
    let fits: Vec<usize> = (0..archs.len())
        .filter(|&i| f64::from(latency[i]) <= budget)
        .collect();
    assert_eq!(best.within_budget, fits.len());
    let top = fits.iter().map(|&i| score[i]).fold(f64::MIN, f64::max);
    assert_eq!(best.score, top);
    assert!(f64::from(best.latency_ms) <= budget);
    assert_eq!(best.arch, archs[best.row as usize]);
    assert!(front.contains(&best.row), "{best:?} is not on the front");
    let fastest = f64::from(sorted[0]);
    assert!(table.best_under("pixel3", fastest / 2.0).unwrap().is_none());
    assert!(matches!(
        table.best_under("nope", budget),
        Err(Error::UnknownDevice { .. })
    ));

    // FBNet has no accuracy: a clear error, the score stays MFLOPs.
    let fb = predictor("fbnet");
    let fb_archs: Vec<String> = arch_strings(&measured("fbnet"))
        .into_iter()
        .take(40)
        .collect();
    let mut fb_table = scan(&fb, &fb_archs, 40);
    let err = fb_table
        .use_accuracy(&accuracy, AccuracyDataset::Cifar10)
        .unwrap_err();
    assert!(matches!(err, Error::NoAccuracy { .. }), "{err}");
    assert!(err.to_string().contains("only nb201 has it"), "{err}");
    assert_eq!(fb_table.score_name(), "MFLOPs");
    table.use_mflops();
    assert_eq!(
        (table.score_name(), table.score()),
        ("MFLOPs", table.mflops())
    );
}

#[test]
fn a_device_recovers_its_own_front_and_a_proxy_part_of_it() {
    let p = predictor("nb201");
    let table = scan(&p, &nb201_subset(), 1000);
    let same = table.front_recovery("pixel3", "pixel3").unwrap();
    assert_eq!(same.overlap, same.target_front.len());
    assert!((same.hypervolume_ratio - 1.0).abs() < 1e-12);
    let r = table.front_recovery("eyeriss", "titan_rtx_256").unwrap();
    assert_eq!(r.target_front, table.pareto_front("titan_rtx_256").unwrap());
    assert!(r.overlap <= r.proxy_front.len().min(r.target_front.len()));
    assert!(
        r.hypervolume_ratio > 0.0 && r.hypervolume_ratio <= 1.0 + 1e-12,
        "{r:?}"
    );
}

#[test]
fn proxy_choice_agrees_with_the_correlation_matrix() {
    let p = predictor("nb201");
    let table = scan(&p, &nb201_subset(), 1000);
    let targets = ["eyeriss".to_string(), "pixel2".to_string()];
    let picks = table.proxy_choice(&targets).unwrap();
    assert_eq!(picks.len(), table.devices().len() - 2);
    assert!(picks.windows(2).all(|w| w[0].worst >= w[1].worst));
    let n = table.devices().len();
    let rho = table.correlation().unwrap();
    let at = |d: &str| table.device_index(d).unwrap();
    let best = &picks[0];
    let want =
        rho[at(&best.proxy) * n + at("eyeriss")].min(rho[at(&best.proxy) * n + at("pixel2")]);
    assert_eq!(best.worst, want);
    assert!(table.proxy_choice(&["h900".to_string()]).is_err());
}

/// A predictor trained here, on the HELP NB201 data of every device but
/// pixel3, so "add my device" meets a device it has never seen (the shipped
/// files were trained on all 27).
fn predictor_without(held_out: &str, archs: &[String]) -> Rc<Predictor> {
    use latscope_model::fewshot::PretrainContext;
    use latscope_model::methods::{Adaptation, MlpRidge, MlpRidgeConfig};
    use latscope_model::nn::TrainConfig;
    use latscope_model::predictor_onnx::export_predictor_bytes;
    let path = format!(
        "{}/../static/data/nb201_latency.csv.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let full = latscope_shared::dataset::read_wide_path(path, None).unwrap();
    let wanted: std::collections::HashSet<&str> = archs.iter().map(String::as_str).collect();
    let rows: Vec<usize> = (0..full.n_archs())
        .filter(|&a| wanted.contains(full.archs()[a].to_string().as_str()))
        .collect();
    let table = full.select_archs(&rows).unwrap();
    let devices: Vec<String> = table
        .devices()
        .iter()
        .filter(|d| *d != held_out)
        .cloned()
        .collect();
    let train = table.select_devices(&devices).unwrap();
    let model = MlpRidge::new(MlpRidgeConfig {
        hidden: vec![64, 64],
        ensemble: 2,
        train: TrainConfig {
            epochs: 15,
            batch_size: 64,
            learning_rate: 3e-3,
            rank_weight: 0.5,
            ..TrainConfig::default()
        },
        adaptation: Adaptation::Auto,
        ..MlpRidgeConfig::default()
    })
    .pretrain_model(&PretrainContext {
        space: table.space(),
        archs: table.archs(),
        train: &train,
        seed: 1,
    })
    .unwrap();
    let spec = model
        .to_spec(table.space(), vec![], Default::default())
        .unwrap();
    assert!(!spec.devices.iter().any(|d| d == held_out));
    Rc::new(Predictor::from_bytes(&export_predictor_bytes(&spec).unwrap()).unwrap())
}

/// "Add my device" on real measurements of a device the predictor has never
/// seen: ten pixel3 latencies from the HELP data give a column that equals
/// `profiler adapt`'s computation (the file's default, auto) and ranks the
/// other scanned cells like the measured pixel3 latencies do.
#[test]
fn adding_a_device_from_ten_measurements() {
    let archs = nb201_subset();
    let p = predictor_without("pixel3", &archs);
    let data = measured("nb201");
    let mut table = scan(&p, &archs, 1000);
    let d = table.devices().len();
    assert_eq!(table.correlation().unwrap().len(), d * d);
    let truth: Vec<f64> = archs
        .iter()
        .map(|a| lookup_measured(&data, a, &["pixel3".into()]).unwrap()[0].unwrap())
        .collect();
    let samples: Vec<usize> = (0..10).map(|k| k * 59 + 3).collect();
    let sample_archs: Vec<String> = samples.iter().map(|&i| archs[i].clone()).collect();
    let sample_ms: Vec<f64> = samples.iter().map(|&i| truth[i]).collect();
    let devices = table
        .add_device(" my phone ", &sample_archs, &sample_ms)
        .map(|_| table.devices().to_vec())
        .unwrap();
    assert_eq!(devices.last().unwrap(), "my phone");
    let mine = table.latency("my phone").unwrap().to_vec();
    let want = adapt(&p, &sample_archs, &sample_ms, &archs);
    for (a, b) in mine.iter().zip(&want) {
        assert!(close(*a, *b as f32), "{a} vs {b}");
    }
    // Scored on the cells that were not measured.
    let (predicted, measured): (Vec<f64>, Vec<f64>) = (0..archs.len())
        .filter(|i| !samples.contains(i))
        .map(|i| (f64::from(mine[i]), truth[i]))
        .unzip();
    let rho = spearman(&predicted, &measured).unwrap();
    assert!(rho > 0.8, "ρ with measured pixel3 = {rho}");
    // The correlation matrix includes the new device (not a stale copy).
    let n = table.devices().len();
    assert_eq!(table.correlation().unwrap().len(), n * n);
    // Re-adding replaces the column; file devices are protected.
    table
        .add_device("my phone", &sample_archs[..5], &sample_ms[..5])
        .unwrap();
    assert_eq!(table.devices().len(), devices.len());
    let err = table
        .add_device("pixel2", &sample_archs, &sample_ms)
        .unwrap_err();
    assert!(
        matches!(&err, Error::FileDevice(name) if name == "pixel2"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("device of the predictor file"),
        "{err}"
    );
    let err = table
        .add_device("x", &sample_archs, &sample_ms[..3])
        .unwrap_err()
        .to_string();
    assert!(err.contains("10 measured architectures but 3"), "{err}");

    // The confidence the page states is the automatic fit's own.
    let samples = p.parse_samples(&sample_archs, &sample_ms).unwrap();
    let summary = p.fit_summary(&samples).unwrap().unwrap();
    assert_eq!(summary.samples, 10);
    let rows = p
        .predict_archs(&p.parse_archs(&sample_archs).unwrap())
        .unwrap();
    let fit = p.fit_device(&rows.embedding, &sample_ms).unwrap();
    assert_eq!(summary.chosen.fit, fit.kind.name());
    assert_eq!(summary.chosen.spearman, fit.loo.spearman);
    assert_eq!(summary.candidates.len(), fit.candidates.len());

    // Suggestions: one greedy design, continued after measuring, never a
    // measured cell; ten suggested measurements adapt pixel3 as well as the
    // bar for ten spread by index (ρ > .8 on the cells not measured).
    let nine = table.suggest(&[], 9).unwrap();
    assert_eq!(table.suggest(&nine[..6], 3).unwrap(), nine[6..]);
    let suggested = table.suggest(&[], 10).unwrap();
    assert!(suggested.iter().all(|a| archs.contains(a)));
    let rows: Vec<usize> = suggested
        .iter()
        .map(|a| table.position_of(a).unwrap())
        .collect();
    let ms: Vec<f64> = rows.iter().map(|&i| truth[i]).collect();
    let adapted = adapt(&p, &suggested, &ms, &archs);
    let (predicted, measured): (Vec<f64>, Vec<f64>) = (0..archs.len())
        .filter(|i| !rows.contains(i))
        .map(|i| (adapted[i], truth[i]))
        .unzip();
    let suggested_rho = spearman(&predicted, &measured).unwrap();
    eprintln!("pixel3 from 10 suggested cells: ρ {suggested_rho:.3} (10 by index: {rho:.3})");
    assert!(
        suggested_rho > 0.8,
        "ρ from suggested cells = {suggested_rho}"
    );
}

#[test]
fn measured_latencies_from_the_shipped_dataset() {
    let data = measured("nb201");
    assert_eq!(data.archs().len(), 15625);
    // Row 0 of the HELP NB201 table.
    let arch = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";
    let got = lookup_measured(&data, arch, &["1080ti_1".into(), "h100".into()]).unwrap();
    assert_eq!(got, [Some(10.75437068939209), None]);
    let bytes = static_file("data/nb201_latency.csv.gz");
    let err = read_measured(&bytes, "nb201_latency.csv.gz", "fbnet")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no fbnet architectures") && err.contains("nb201"),
        "{err}"
    );
    let err = read_measured(b"arch,x\n1,2\n", "mine.csv", "nb201")
        .unwrap_err()
        .to_string();
    assert!(err.contains("mine.csv"), "{err}");
}

/// The page's worker ranks the space and computes the correlation matrix
/// off the main thread; the main thread's table takes them, checking that
/// each order sorts its column, and answers as if it had ranked itself.
#[test]
fn rankings_from_another_table_are_checked_and_used() {
    let p = predictor("nb201");
    let archs = nb201_subset();
    let worker = scan(&p, &archs, 601);
    let latency: Vec<f32> = (0..archs.len())
        .flat_map(|i| {
            let worker = &worker;
            worker
                .devices()
                .iter()
                .map(move |d| worker.latency(d).unwrap()[i])
        })
        .collect();
    let parsed = p.parse_archs(&archs).unwrap();
    // A scan ranks as its finished table does, before any table exists.
    let mut ranked =
        SpaceScan::with_outputs(p.clone(), parsed.clone(), None, ScanOutputs::Ensemble);
    assert!(
        ranked.rankings().is_err(),
        "an unfinished scan has no rankings"
    );
    run_to_end(&mut ranked, 300);
    let (scan_orders, scan_rho) = ranked.rankings().unwrap();
    assert_eq!(scan_orders, worker.orders());
    assert_eq!(scan_rho, worker.correlation().unwrap());
    let fresh = || {
        SpaceTable::from_latencies(
            p.clone(),
            parsed.clone(),
            latency.clone(),
            worker.mflops().to_vec(),
        )
        .unwrap()
    };
    let main = fresh();
    main.set_rankings(&worker.orders(), worker.correlation().unwrap())
        .unwrap();
    let own = fresh();
    for d in worker.devices() {
        assert_eq!(main.order(d).unwrap(), own.order(d).unwrap());
    }
    assert_eq!(main.correlation().unwrap(), own.correlation().unwrap());
    let mut scrambled = worker.orders();
    scrambled.swap(0, 1);
    let e = fresh()
        .set_rankings(&scrambled, worker.correlation().unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("does not sort"), "{e}");
    let e = fresh().set_rankings(&scrambled[1..], vec![]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}
