//! `profiler train`, `adapt` and `predict`: a predictor file from data,
//! a new device from a few measurements.

mod common;

use common::{
    data, long_rows, nb201_subset_file, shipped, stderr_of_failure, stdout_of, ALL_CONV3, ALL_NONE,
};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::space::SpaceId;
use std::path::{Path, PathBuf};

#[test]
fn train_then_adapt_to_an_unseen_device() {
    let dir = tempfile::tempdir().unwrap();
    let (train, model) = train_small_predictor(dir.path());
    refuses_to_overwrite_without_force(&train, &model);
    let unseen = unseen_device_files(dir.path());
    let pred = adapt_ranks_the_unseen_device(dir.path(), &model, &unseen);
    exported_device_predicts_the_same(dir.path(), &model, &unseen, &pred);
    check_scores_held_out_measurements(dir.path(), &model, &unseen);
    bad_inputs_are_named(dir.path(), &model, &unseen);
}

/// Trains a small predictor on 600 NB201 architectures × 3 devices; returns
/// the training data file and the predictor file.
fn train_small_predictor(dir: &Path) -> (PathBuf, PathBuf) {
    let archs: Vec<usize> = (0..600).map(|i| i * 26).collect();
    let train = nb201_subset_file(dir, &archs, &["1080ti_32", "pixel3", "silver_4114"]);
    let model = dir.join("p.onnx");
    let text = stdout_of(&[
        "train",
        "--data",
        train.to_str().unwrap(),
        "--epochs",
        "3",
        "--ensemble",
        "1",
        "--hidden",
        "32,16",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(
        text.contains("600 nb201 architectures × 3 devices"),
        "{text}"
    );
    (train, model)
}

/// `train` never overwrites a predictor file without --force.
fn refuses_to_overwrite_without_force(train: &Path, model: &Path) {
    let err = stderr_of_failure(&[
        "train",
        "--data",
        train.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(err.contains("--force"), "{err}");
}

/// A device the predictor was not trained on (raspi4): the full data set,
/// the few samples written for `adapt` and the architectures queried.
struct UnseenDevice {
    full: LatencyTable,
    /// raspi4's column in `full`.
    raspi: usize,
    /// The samples file's text, and where it is written.
    samples: String,
    samples_path: PathBuf,
    query: Vec<usize>,
    query_path: PathBuf,
}

/// raspi4 was not trained on: writes 12 of its measured architectures as
/// samples, and every 7th of the others as the query.
fn unseen_device_files(dir: &Path) -> UnseenDevice {
    let full =
        latscope_shared::dataset::read_wide_path(data("nb201_latency.csv.gz"), None).unwrap();
    let raspi = full.device_position("raspi4").unwrap();
    let mut samples = String::from("arch,latency_ms,notes\n");
    for a in (0..12).map(|i| i * 1301 + 5) {
        let ms = full.value(a, raspi).unwrap();
        samples.push_str(&format!("{},{ms},measured by hand\n", full.archs()[a]));
    }
    let samples_path = dir.join("mine.csv");
    std::fs::write(&samples_path, &samples).unwrap();
    let query: Vec<usize> = (0..full.n_archs())
        .filter(|a| a % 1301 != 5)
        .step_by(7)
        .collect();
    let query_text: String = query
        .iter()
        .map(|&a| format!("{}\n", full.archs()[a]))
        .collect();
    let query_path = dir.join("query.txt");
    std::fs::write(&query_path, query_text).unwrap();
    UnseenDevice {
        full,
        raspi,
        samples,
        samples_path,
        query,
        query_path,
    }
}

/// `adapt` from the samples predicts the query as `my_pi`, says which fit
/// it chose, and ranks the unseen device well; returns the predictions.
fn adapt_ranks_the_unseen_device(dir: &Path, model: &Path, unseen: &UnseenDevice) -> Vec<f64> {
    let out = dir.join("pred.csv");
    let text = stdout_of(&[
        "adapt",
        "--predictor",
        model.to_str().unwrap(),
        "--samples",
        unseen.samples_path.to_str().unwrap(),
        "--query",
        unseen.query_path.to_str().unwrap(),
        "--name",
        "my_pi",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("from 12 measured architectures"), "{text}");
    // The default adaptation is auto: it says which fit it chose and how
    // well each candidate predicted the samples left out.
    assert!(text.contains("(auto adaptation)"), "{text}");
    assert!(
        text.contains("fit: ")
            && text.contains("leave-one-out")
            && text.contains("candidates: cost-blend"),
        "{text}"
    );
    let rows = long_rows(&out);
    assert_eq!(rows.len(), unseen.query.len());
    let truth: Vec<f64> = unseen
        .query
        .iter()
        .map(|&a| unseen.full.value(a, unseen.raspi).unwrap())
        .collect();
    let pred: Vec<f64> = rows.iter().map(|r| r.latency_ms).collect();
    assert!(rows.iter().all(|r| r.device == "my_pi"));
    let rho = latscope_shared::metrics::spearman(&truth, &pred).unwrap();
    // The FLOPs ranking alone gives 0.87 on raspi4; adaptation must not be worse by much.
    eprintln!("ρ on the unseen device: {rho:.3}");
    assert!(rho > 0.8, "ρ on the unseen device: {rho}");
    pred
}

/// `adapt --check` scores the device on measurements it was not adapted from: the ρ it prints
/// are Spearman's of the predictions and of MACs against those measurements, with a sample and
/// a network computing a constant left out and counted.
fn check_scores_held_out_measurements(dir: &Path, model: &Path, unseen: &UnseenDevice) {
    let arch_of = |a: usize| unseen.full.archs()[a].to_string();
    let held: Vec<usize> = unseen
        .query
        .iter()
        .copied()
        .step_by(37)
        .filter(|&a| {
            let arch = SpaceId::Nb201.parse_arch(&arch_of(a)).unwrap();
            arch.output_depends_on_input()
        })
        .collect();
    let mut text = String::from("arch,latency_ms\n");
    for &a in &held {
        text.push_str(&format!(
            "{},{}\n",
            arch_of(a),
            unseen.full.value(a, unseen.raspi).unwrap()
        ));
    }
    let sampled = unseen
        .samples
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .take(2)
        .collect::<Vec<_>>();
    text.push_str(&format!(
        "{},{}\n{ALL_NONE},0.011\n",
        sampled[0], sampled[1]
    ));
    let held_path = dir.join("held_out.csv");
    std::fs::write(&held_path, text).unwrap();
    let query_path = dir.join("held_query.txt");
    let query: String = held.iter().map(|&a| format!("{}\n", arch_of(a))).collect();
    std::fs::write(&query_path, query).unwrap();
    let out = dir.join("held_pred.csv");
    let printed = stdout_of(&[
        "adapt",
        "--predictor",
        model.to_str().unwrap(),
        "--samples",
        unseen.samples_path.to_str().unwrap(),
        "--query",
        query_path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--check",
        held_path.to_str().unwrap(),
    ]);
    let line = printed
        .lines()
        .find(|l| l.starts_with("check on "))
        .unwrap_or_else(|| panic!("no check line: {printed}"));
    assert!(
        line.contains(&format!(
            "check on {} held-out architectures of {} (2 left out: 1 among the samples, 1 \
             computing a constant)",
            held.len(),
            held_path.display()
        )),
        "{line}"
    );
    let measured: Vec<f64> = held
        .iter()
        .map(|&a| unseen.full.value(a, unseen.raspi).unwrap())
        .collect();
    let predicted: Vec<f64> = long_rows(&out).iter().map(|r| r.latency_ms).collect();
    let macs: Vec<f64> = held
        .iter()
        .map(|&a| {
            let arch = SpaceId::Nb201.parse_arch(&arch_of(a)).unwrap();
            latscope_shared::features::cost_features(&arch.lower_default().unwrap()).macs as f64
        })
        .collect();
    let rho = |x: &[f64]| latscope_shared::metrics::spearman(x, &measured).unwrap();
    let expected = format!(
        "ρ {:.3} adapted, ρ {:.3} zero-shot MACs",
        rho(&predicted),
        rho(&macs)
    );
    assert!(line.contains(&expected), "{line}\nexpected {expected}");
    assert!(printed.contains("smallest prediction "), "{printed}");
}

/// The same device written into a predictor file by `export
/// --add-device` predicts the same as `adapt` did (`pred`); a device
/// already in the file is refused.
fn exported_device_predicts_the_same(
    dir: &Path,
    model: &Path,
    unseen: &UnseenDevice,
    pred: &[f64],
) {
    let extended = dir.join("p_plus.onnx");
    let text = stdout_of(&[
        "export",
        "--predictor",
        model.to_str().unwrap(),
        "--add-device",
        &format!("my_pi={}", unseen.samples_path.display()),
        "-o",
        extended.to_str().unwrap(),
    ]);
    assert!(text.contains("3 trained, 1 adapted"), "{text}");
    let file =
        latscope_model::predictor_onnx::Predictor::from_bytes(&std::fs::read(&extended).unwrap())
            .unwrap();
    assert_eq!(file.meta().devices.last().unwrap(), "my_pi");
    let archs: Vec<_> = unseen
        .query
        .iter()
        .map(|&a| unseen.full.archs()[a].clone())
        .collect();
    let from_file = file.predict_archs(&archs).unwrap().latency_ms;
    for (i, p) in pred.iter().enumerate() {
        let got = f64::from(from_file[[i, 3]]);
        assert!((got - p).abs() <= 1e-4 * p, "{got} vs {p}");
    }
    let err = stderr_of_failure(&[
        "export",
        "--predictor",
        extended.to_str().unwrap(),
        "--add-device",
        &format!("pixel3={}", unseen.samples_path.display()),
        "-o",
        dir.join("q.onnx").to_str().unwrap(),
    ]);
    assert!(err.contains("already a device"), "{err}");
}

/// `adapt` names a bad measurement by line and value, and says when a file
/// is not a predictor. Overwrites the samples file.
fn bad_inputs_are_named(dir: &Path, model: &Path, unseen: &UnseenDevice) {
    let samples_path = &unseen.samples_path;
    // Bad measurements are named by file, line and value.
    std::fs::write(
        samples_path,
        format!("{}{},-3,typo\n", unseen.samples, unseen.full.archs()[99]),
    )
    .unwrap();
    let err = stderr_of_failure(&[
        "adapt",
        "--predictor",
        model.to_str().unwrap(),
        "--samples",
        samples_path.to_str().unwrap(),
        "-o",
        dir.join("x.csv").to_str().unwrap(),
    ]);
    assert!(
        err.contains("mine.csv:14: ") && err.contains("\"-3\""),
        "{err}"
    );
    // A file that is not a predictor.
    let err = stderr_of_failure(&[
        "adapt",
        "--predictor",
        samples_path.to_str().unwrap(),
        "--samples",
        samples_path.to_str().unwrap(),
        "-o",
        dir.join("y.csv").to_str().unwrap(),
    ]);
    assert!(err.contains("not an ONNX model"), "{err}");
}

#[test]
fn predict_prints_every_device_of_the_shipped_predictor() {
    let predictor = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/predictors/nb201.onnx");
    let predictor = predictor.to_str().unwrap();
    let text = stdout_of(&["predict", "--predictor", predictor, ALL_CONV3, ALL_NONE]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "arch,device,latency_ms");
    // 27 devices × 2 architectures.
    assert_eq!(lines.len(), 1 + 2 * 27, "{text}");
    let ms = |arch: &str, device: &str| -> f64 {
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{arch},{device},")))
            .unwrap_or_else(|| panic!("no row for {device}"));
        row.rsplit(',').next().unwrap().parse().unwrap()
    };
    // The all-conv cell is much slower than the empty one on every GPU.
    assert!(ms(ALL_CONV3, "titan_rtx_256") > 3.0 * ms(ALL_NONE, "titan_rtx_256"));
    let err = stderr_of_failure(&["predict", "--predictor", predictor, "k3_e1"]);
    assert!(
        err.contains("architecture 1") && err.contains("k3_e1"),
        "{err}"
    );
}

/// `profiler distil` writes the file again with a scan network fitted on
/// the given networks (plus random ones), reports its agreement with the
/// ensemble, keeps the ensemble's numbers, and never touches its input.
#[test]
fn distil_adds_a_scan_network_and_keeps_the_ensemble() {
    use latscope_model::predictor_onnx::Predictor;
    let dir = tempfile::tempdir().unwrap();
    let input = shipped("predictors/nb201.onnx");
    let before = std::fs::read(&input).unwrap();
    let subset = nb201_subset_file(
        dir.path(),
        &(0..300).map(|i| i * 41).collect::<Vec<_>>(),
        &["pixel3"],
    );
    let out = dir.path().join("distilled.onnx");
    let text = stdout_of(&[
        "distil",
        "--predictor",
        input.to_str().unwrap(),
        "--data",
        subset.to_str().unwrap(),
        "--random",
        "100",
        "--hidden",
        "16",
        "--epochs",
        "20",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("on 300 nb201 networks of"), "{text}");
    assert!(text.contains("and 100 random ones"), "{text}");
    assert!(text.contains("relative error: median"), "{text}");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the input file changed"
    );
    let original = Predictor::from_bytes(&before).unwrap();
    let distilled = Predictor::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    let agreement = distilled.meta().scan.clone().unwrap();
    assert_eq!(agreement.spearman.len(), 27);
    assert!(
        agreement.set.contains("300 nb201 networks"),
        "{}",
        agreement.set
    );
    let cells: Vec<_> = (0..50)
        .map(|i| SpaceId::Nb201.arch_at_benchmark_index(i * 300).unwrap())
        .collect();
    assert_eq!(
        distilled.predict_archs(&cells).unwrap(),
        original.predict_archs(&cells).unwrap(),
        "the ensemble's outputs changed"
    );
    // An existing output needs --force; the input is never the output.
    let err = stderr_of_failure(&[
        "distil",
        "--predictor",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("exists; pass --force"), "{err}");
    let err = stderr_of_failure(&[
        "distil",
        "--predictor",
        input.to_str().unwrap(),
        "-o",
        input.to_str().unwrap(),
        "--force",
    ]);
    assert!(err.contains("--out must differ from --predictor"), "{err}");
}

/// `export` without devices writes the file again in the current format,
/// keeping everything it predicts, its scan network included.
#[test]
fn export_without_devices_rewrites_a_file_unchanged_in_what_it_predicts() {
    use latscope_model::predictor_onnx::Predictor;
    let dir = tempfile::tempdir().unwrap();
    let input = common::shipped("predictors/fbnet.onnx");
    let out = dir.path().join("again.onnx");
    let text = stdout_of(&[
        "export",
        "--predictor",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("27 trained, 0 adapted"), "{text}");
    assert!(!text.contains("dropped"), "{text}");
    let (before, after) = (
        Predictor::from_bytes(&std::fs::read(&input).unwrap()).unwrap(),
        Predictor::from_bytes(&std::fs::read(&out).unwrap()).unwrap(),
    );
    assert_eq!(before.meta(), after.meta());
    assert!(after.meta().raw_input.is_some() && after.meta().scan.is_some());
    let archs: Vec<_> = before
        .meta()
        .reference_archs
        .iter()
        .map(|a| SpaceId::Fbnet.parse_arch(a).unwrap())
        .collect();
    let x = after.encode(&archs).unwrap();
    assert_eq!(
        before.predict_encoded(&x).unwrap().latency_ms,
        after.predict_encoded(&x).unwrap().latency_ms
    );
    assert_eq!(
        before.predict_scan_encoded(&x).unwrap(),
        after.predict_scan_encoded(&x).unwrap()
    );
}
