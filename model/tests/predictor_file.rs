//! A predictor trained in Rust, written as an ONNX file and read back: the
//! numbers from the training code, from tract on the file and from
//! onnxruntime on the file agree, and few-shot adaptation from the file's
//! `embedding` output equals the training code's adaptation.
//!
//! The onnxruntime part needs a Python with `onnx`, `onnxruntime` and `numpy`
//! (`$LATSCOPE_PYTHON`, else `python3`); without one it prints why and skips.

mod common;

use latscope_model::adapt::Adaptation;
use latscope_model::distil::{distil_scan_network, ArchSet, DistilConfig};
use latscope_model::fewshot::PretrainContext;
use latscope_model::methods::{MlpRidge, MlpRidgeConfig, MlpRidgeModel};
use latscope_model::predictor_onnx::{
    export_predictor, export_predictor_bytes, Predictor, PredictorSpec, ScanNetwork,
};
use latscope_shared::dataset::LatencyTable;
use latscope_shared::space::{Arch, SpaceId};
use ndarray::Array2;
use std::path::PathBuf;
use std::process::Command;

const TRAIN: [&str; 4] = ["1080ti_32", "silver_4114", "pixel3", "samsung_s7"];
const TARGET: &str = "raspi4";

fn nb201_subset(n: usize) -> LatencyTable {
    let full = common::table(SpaceId::Nb201);
    let rows: Vec<usize> = (0..n).map(|i| i * 37 % full.n_archs()).collect();
    full.select_archs(&rows).expect("subset")
}

fn trained(table: &LatencyTable) -> MlpRidgeModel {
    let train = table.select_devices(&TRAIN).unwrap();
    let method = MlpRidge::new(MlpRidgeConfig {
        hidden: vec![32, 16],
        ensemble: 2,
        train: common::short_training(4),
        ..MlpRidgeConfig::default()
    });
    method
        .pretrain_model(&PretrainContext {
            space: table.space(),
            archs: table.archs(),
            train: &train,
            seed: 3,
        })
        .unwrap()
}

fn spec_of(model: &MlpRidgeModel, table: &LatencyTable) -> PredictorSpec {
    let refs = table.archs()[..3].iter().map(|a| a.to_string()).collect();
    model
        .to_spec(SpaceId::Nb201, refs, Default::default())
        .unwrap()
}

fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-3),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn file_predictions_and_adaptation_equal_the_training_code() {
    let table = nb201_subset(400);
    let model = trained(&table);
    let spec = spec_of(&model, &table);
    let predictor = Predictor::from_bytes(&export_predictor_bytes(&spec).unwrap()).unwrap();
    let archs = table.archs();

    let from_code = model.predict_archs(archs).unwrap();
    let from_file = predictor.predict_archs(archs).unwrap();
    assert_eq!(from_file.latency_ms.dim(), (400, TRAIN.len()));
    for ((a, d), want) in from_code.indexed_iter() {
        let got = f64::from(from_file.latency_ms[[a, d]]);
        assert_close("latency", got, *want, 1e-4);
    }
    assert_eq!(from_file.embedding.dim(), model.features.dim());
    for (got, want) in from_file.embedding.iter().zip(&model.features) {
        assert!((got - want).abs() < 1e-3, "embedding {got} vs {want}");
    }

    // Adapt to a device the model never saw, from 12 measured archs.
    let target = table.device_position(TARGET).unwrap();
    let samples: Vec<(usize, f64)> = (0..12)
        .map(|i| (i * 31 % 400, table.value(i * 31 % 400, target).unwrap()))
        .collect();
    let query: Vec<usize> = (0..400).filter(|a| a % 31 != 0).collect();
    let sample_archs: Vec<(Arch, f64)> = samples
        .iter()
        .map(|&(a, ms)| (archs[a].clone(), ms))
        .collect();
    let query_archs: Vec<Arch> = query.iter().map(|&a| archs[a].clone()).collect();
    for adaptation in Adaptation::ALL {
        let want = model.adapt_with(adaptation, &samples, &query).unwrap();
        let got = predictor
            .adapt(&sample_archs, &query_archs, Some(adaptation))
            .unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert_close(&format!("adapted ({adaptation})"), *g, *w, 1e-3);
        }
    }
    // The adapted device written into the file predicts what adapt() does.
    let model_proto = export_predictor(&spec).unwrap();
    let mut extended = PredictorSpec::from_model(&model_proto).unwrap();
    assert_eq!(
        extended, spec,
        "a file reads back into the spec it was written from"
    );
    // One added device per adaptation; `auto` also with a forced
    // structured fit and a forced blend, so every form of the formula is in
    // the graph.
    for adaptation in Adaptation::ALL {
        let device = predictor
            .adapted_device(
                &format!("new_pi_{adaptation}"),
                &sample_archs,
                Some(adaptation),
            )
            .unwrap();
        extended.adapted.push(device);
    }
    assert!(extended.adapted.iter().any(|d| d.fit == "head"));
    let bytes = export_predictor_bytes(&extended).unwrap();
    let reloaded = Predictor::from_bytes(&bytes).unwrap();
    assert_eq!(reloaded.meta().devices.last().unwrap(), "new_pi_auto");
    assert_eq!(reloaded.meta().trained_devices, TRAIN.len());
    let got = reloaded.predict_archs(&query_archs).unwrap().latency_ms;
    for (j, adaptation) in Adaptation::ALL.into_iter().enumerate() {
        let want = predictor
            .adapt(&sample_archs, &query_archs, Some(adaptation))
            .unwrap();
        for (i, w) in want.iter().enumerate() {
            assert_close(
                &format!("adapted column ({adaptation})"),
                f64::from(got[[i, TRAIN.len() + j]]),
                *w,
                1e-4,
            );
        }
    }
    assert_eq!(
        PredictorSpec::from_model(&prost::Message::decode(bytes.as_slice()).unwrap()).unwrap(),
        extended
    );

    let err = predictor
        .adapt(&[(archs[0].clone(), -2.0)], &query_archs, None)
        .unwrap_err();
    assert!(err.to_string().contains("-2 ms"), "{err}");
}

const ORT_CHECK: &str = r#"
import sys
import numpy as np, onnx, onnxruntime as ort
path, n, f, d, e = sys.argv[1], *map(int, sys.argv[2:6])
onnx.checker.check_model(onnx.load(path), full_check=True)
x = np.fromfile(path + ".x.bin", dtype="<f4").reshape(n, f)
want_ms = np.fromfile(path + ".ms.bin", dtype="<f4").reshape(n, d)
want_emb = np.fromfile(path + ".emb.bin", dtype="<f4").reshape(n, e)
ops = np.fromfile(path + ".ops.bin", dtype="<i8").reshape(n, -1)
ort.set_default_logger_severity(3)
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
# Both inputs: the encoded rows, then the same architectures' raw rows.
ms, emb, scan = sess.run(["latency_ms", "embedding", "latency_ms_scan"], {"arch": x, "arch_ops": ops})
assert ms.shape[0] == 2 * n, ms.shape
want_ms, want_emb = np.vstack([want_ms, want_ms]), np.vstack([want_emb, want_emb])
want_scan = np.fromfile(path + ".scan.bin", dtype="<f4").reshape(n, d)
want_scan = np.vstack([want_scan, want_scan])
rel = float(np.abs(ms - want_ms).max() / np.abs(want_ms).max())
abs_emb = float(np.abs(emb - want_emb).max())
rel_scan = float((np.abs(scan - want_scan) / want_scan).max())
print(f"onnxruntime {ort.__version__}: latency max rel diff {rel:.1e}, embedding max abs diff "
      f"{abs_emb:.1e}, scan network max rel diff {rel_scan:.1e}")
sys.exit(0 if rel < 1e-5 and abs_emb < 1e-4 and rel_scan < 1e-5 else 1)
"#;

/// A scan network distilled in a few epochs: enough to check the file
/// computes what the spec does, not how well it follows the ensemble.
fn quick_scan_network(spec: &PredictorSpec, x: &Array2<f32>) -> ScanNetwork {
    let config = DistilConfig {
        hidden: vec![16],
        epochs: 3,
        seed: 1,
    };
    distil_scan_network(
        spec,
        ArchSet {
            x,
            name: "test cells",
        },
        None,
        &config,
    )
    .unwrap()
}

#[test]
fn a_scan_network_is_computed_in_the_file_and_leaves_the_ensemble_alone() {
    let table = nb201_subset(300);
    let model = trained(&table);
    let plain_spec = spec_of(&model, &table);
    let x = plain_spec.encode(table.archs()).unwrap();
    let mut spec = plain_spec.clone();
    // Distilled properly on 200 cells, checked on the 100 others too.
    let (fit, held) = (
        x.slice(ndarray::s![..200, ..]).to_owned(),
        x.slice(ndarray::s![200.., ..]).to_owned(),
    );
    let config = DistilConfig {
        epochs: 200,
        ..DistilConfig::default()
    };
    let scan = distil_scan_network(
        &spec,
        ArchSet {
            x: &fit,
            name: "200 cells",
        },
        Some(ArchSet {
            x: &held,
            name: "100 other cells",
        }),
        &config,
    )
    .unwrap();
    let agreement = scan.agreement.clone();
    assert_eq!(agreement.spearman.len(), TRAIN.len());
    assert!(agreement.min_spearman() > 0.95, "{agreement:?}");
    assert!(agreement.median_relative_error < 0.05, "{agreement:?}");
    // 200 cells teach less than the whole space: unseen ones rank worse.
    assert!(
        (0.5..agreement.min_spearman())
            .contains(&agreement.held_out.as_ref().unwrap().min_spearman),
        "{agreement:?}"
    );
    spec.scan = Some(scan);

    let bytes = export_predictor_bytes(&spec).unwrap();
    let with_scan = Predictor::from_bytes(&bytes).unwrap();
    let without = Predictor::from_bytes(&export_predictor_bytes(&plain_spec).unwrap()).unwrap();
    assert!(with_scan.has_scan_network() && !without.has_scan_network());
    assert_eq!(with_scan.meta().scan.as_ref(), Some(&agreement));
    // The ensemble's outputs are the same numbers with or without it.
    assert_eq!(
        with_scan.predict_encoded(&x).unwrap(),
        without.predict_encoded(&x).unwrap()
    );
    assert_eq!(without.predict_scan_encoded(&x).unwrap(), None);
    // The file's scan output is the spec's scan network.
    let from_file = with_scan.predict_scan_encoded(&x).unwrap().unwrap();
    let from_code = spec.forward_scan(&x).unwrap();
    for (got, want) in from_file.iter().zip(&from_code) {
        assert_close("scan latency", f64::from(*got), f64::from(*want), 1e-5);
    }
    // It reads back, and a spec whose devices outgrew it is refused.
    let proto = export_predictor(&spec).unwrap();
    let mut back = PredictorSpec::from_model(&proto).unwrap();
    assert_eq!(back, spec);
    back.adapted.push(
        with_scan
            .adapted_device(
                "new",
                &[
                    (table.archs()[0].clone(), 3.0),
                    (table.archs()[1].clone(), 4.0),
                ],
                None,
            )
            .unwrap(),
    );
    let err = export_predictor(&back).unwrap_err().to_string();
    assert!(err.contains("scan network gives 4 columns"), "{err}");
}

fn python() -> String {
    std::env::var("LATSCOPE_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn write_f32(path: &std::path::Path, a: &Array2<f32>) {
    let bytes: Vec<u8> = a.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn onnxruntime_gives_the_numbers_of_tract() {
    let py = python();
    match Command::new(&py)
        .args(["-c", "import onnx, onnxruntime, numpy"])
        .output()
    {
        Ok(out) if out.status.success() => {}
        other => {
            latscope_shared::test_dependency::skip_or_fail(&format!(
                "{py} with onnx, onnxruntime and numpy is not available ({other:?})"
            ));
            return;
        }
    }
    let table = nb201_subset(64);
    let model = trained(&table);
    let mut spec = spec_of(&model, &table);
    // With a device added by adaptation, so its Gemm/Exp/Concat are checked too.
    let plain = Predictor::from_bytes(&export_predictor_bytes(&spec).unwrap()).unwrap();
    let target = table.device_position(TARGET).unwrap();
    let samples: Vec<(Arch, f64)> = (0..8)
        .map(|a| (table.archs()[a].clone(), table.value(a, target).unwrap()))
        .collect();
    for adaptation in Adaptation::ALL {
        spec.adapted.push(
            plain
                .adapted_device(&format!("new_pi_{adaptation}"), &samples, Some(adaptation))
                .unwrap(),
        );
    }
    // And the linear part's every form: a structured fit and a blend.
    let auto = spec.adapted.last().unwrap().clone();
    for (name, power) in [("forced_structured", 1.0), ("forced_blend", 0.5)] {
        let mut device = auto.clone();
        device.name = name.into();
        device.power = power;
        device.lin_weights = (0..spec.embedding_dim())
            .map(|i| (i % 7) as f32 * 0.01)
            .collect();
        device.lin_bias = 2.0;
        device.floor = 0.05;
        spec.adapted.push(device);
    }
    // And a scan network over every column, trained and adapted.
    let x = spec.encode(table.archs()).unwrap();
    spec.scan = Some(quick_scan_network(&spec, &x));
    let bytes = export_predictor_bytes(&spec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("predictor.onnx");
    std::fs::write(&path, &bytes).unwrap();
    let loaded = Predictor::from_bytes(&bytes).unwrap();
    let tract = loaded.predict_encoded(&x).unwrap();
    let scan = loaded.predict_scan_encoded(&x).unwrap().unwrap();
    let stem = path.to_str().unwrap();
    write_f32(&PathBuf::from(format!("{stem}.x.bin")), &x);
    write_f32(&PathBuf::from(format!("{stem}.ms.bin")), &tract.latency_ms);
    write_f32(&PathBuf::from(format!("{stem}.emb.bin")), &tract.embedding);
    write_f32(&PathBuf::from(format!("{stem}.scan.bin")), &scan);
    let ops: Vec<u8> = table
        .archs()
        .iter()
        .flat_map(|a| a.choices())
        .flat_map(|c| (c as i64).to_le_bytes())
        .collect();
    std::fs::write(format!("{stem}.ops.bin"), ops).unwrap();
    let dims = [
        x.nrows(),
        x.ncols(),
        tract.latency_ms.ncols(),
        tract.embedding.ncols(),
    ];
    let out = Command::new(&py)
        .args(["-c", ORT_CHECK, stem])
        .args(dims.map(|v| v.to_string()))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "onnxruntime disagrees: {report}");
}

/// The largest relative difference between two arrays of positive values.
fn max_rel(got: &Array2<f32>, want: &Array2<f32>) -> f64 {
    assert_eq!(got.dim(), want.dim());
    got.iter()
        .zip(want)
        .map(|(g, w)| f64::from((g - w).abs() / w.abs().max(1e-3)))
        .fold(0.0, f64::max)
}

#[test]
fn the_reference_engine_gives_the_numbers_of_tract_on_the_shipped_files() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/predictors");
    for space in [SpaceId::Nb201, SpaceId::Fbnet] {
        let bytes = std::fs::read(root.join(format!("{}.onnx", space.name()))).unwrap();
        let tract = Predictor::from_bytes(&bytes).unwrap();
        let reference = Predictor::reference_from_bytes(&bytes).unwrap();
        assert_eq!(tract.engine().name(), "tract");
        assert_eq!(reference.engine().name(), "reference");
        assert_eq!(tract.meta(), reference.meta());
        let table = common::table(space);
        let archs: Vec<Arch> = (0..300)
            .map(|i| table.archs()[i * 13 % table.n_archs()].clone())
            .collect();
        let x = tract.encode(&archs).unwrap();
        let (t, r) = (
            tract.predict_encoded(&x).unwrap(),
            reference.predict_encoded(&x).unwrap(),
        );
        let latency = max_rel(&r.latency_ms, &t.latency_ms);
        assert!(latency < 1e-5, "{space:?} latency: {latency:e}");
        let embedding = r
            .embedding
            .iter()
            .zip(&t.embedding)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(embedding < 1e-4, "{space:?} embedding: {embedding:e}");
        let scan = max_rel(
            &reference.predict_scan_encoded(&x).unwrap().unwrap(),
            &tract.predict_scan_encoded(&x).unwrap().unwrap(),
        );
        assert!(scan < 1e-5, "{space:?} scan network: {scan:e}");
        // A device adapted from 12 samples: the same fit, the same answers.
        let column = table.devices().iter().position(|d| d == "raspi4").unwrap();
        let samples: Vec<(Arch, f64)> = table
            .measured(column)
            .step_by(97)
            .take(12)
            .map(|(row, ms)| (table.archs()[row].clone(), ms))
            .collect();
        let query = &archs[..50];
        let (t, r) = (
            tract.adapt(&samples, query, None).unwrap(),
            reference.adapt(&samples, query, None).unwrap(),
        );
        for (a, b) in r.iter().zip(&t) {
            assert_close("adapted latency", *a, *b, 1e-4);
        }
    }
    let err = Predictor::reference_from_bytes(b"not a predictor")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an ONNX model"), "{err}");
}

/// tract, used directly (as a Rust user of the file would, without
/// latscope), runs the raw input too: `arch`'s empty default becomes a
/// constant and the rows are `arch_ops`'s.
#[test]
fn tract_alone_predicts_from_arch_ops_as_latscope_does() {
    use tract_onnx::prelude::*;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/predictors");
    for space in [SpaceId::Nb201, SpaceId::Fbnet] {
        let path = root.join(format!("{}.onnx", space.name()));
        let latscope = Predictor::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
        let table = common::table(space);
        let archs: Vec<Arch> = (0..40)
            .map(|i| table.archs()[i * 101 % table.n_archs()].clone())
            .collect();
        let want = latscope.predict_archs(&archs).unwrap().latency_ms;
        let positions = space.layout().positions.len();
        let ops: Vec<i64> = archs
            .iter()
            .flat_map(|a| a.choices())
            .map(|c| c as i64)
            .collect();
        let plan = tract_onnx::onnx()
            .model_for_path(&path)
            .unwrap()
            .with_input_fact(0, i64::fact([archs.len(), positions]).into())
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap();
        let input = tract_ndarray::Array2::from_shape_vec((archs.len(), positions), ops).unwrap();
        let out = plan.run(tvec!(input.into_tensor().into())).unwrap();
        let got = out[0].to_plain_array_view::<f32>().unwrap().to_owned();
        let got = got.into_dimensionality::<ndarray::Ix2>().unwrap();
        let worst = max_rel(&got, &want);
        assert!(worst < 1e-5, "{space:?}: {worst:e}");
    }
}
