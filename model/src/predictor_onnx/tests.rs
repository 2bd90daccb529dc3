//! Round trips of predictor files through tract, and the errors foreign or
//! broken files get.

use super::metadata::{self, PredictorMeta};
use super::*;
use crate::nn::Mlp;
use latscope_shared::encoding::Encoding;
use latscope_shared::space::{Arch, SpaceId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

fn spec() -> PredictorSpec {
    let encodings = vec![Encoding::OneHotV1, Encoding::FeaturesV1];
    let f: usize = encodings.iter().map(|e| e.dim(SpaceId::Nb201)).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    PredictorSpec {
        space: SpaceId::Nb201,
        encodings,
        devices: vec!["dev_a".into(), "dev_b".into(), "dev_c".into()],
        input_mean: (0..f).map(|_| rng.random_range(-1.0..1.0)).collect(),
        input_std: (0..f).map(|_| rng.random_range(0.5..3.0)).collect(),
        members: vec![Mlp::new(&[f, 16, 8, 3], 9), Mlp::new(&[f, 16, 8, 3], 10)],
        output_mean: vec![1.0, 2.0, 0.5],
        output_std: vec![0.3, 0.1, 0.5],
        adaptation: AdaptationFeatures {
            // ln MACs and one one-hot column.
            input_columns: vec![30, 2],
            mean: (0..26).map(|_| rng.random_range(-1.0..1.0)).collect(),
            scale: (0..26).map(|_| rng.random_range(0.1..2.0)).collect(),
            default: crate::adapt::Adaptation::Head,
            structure: None,
        },
        adapted: vec![],
        reference_archs: vec![nb201(0).to_string()],
        method: "test".into(),
        extra: BTreeMap::from([("note".to_string(), "hand-made".to_string())]),
        scan: None,
    }
}

fn nb201(code: usize) -> Arch {
    Arch::Nb201(latscope_shared::space::nb201::Cell::from_code(code).unwrap())
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn tract_gives_the_numbers_of_the_rust_forward_pass() {
    let spec = spec();
    let bytes = export_predictor_bytes(&spec).unwrap();
    let predictor = Predictor::from_bytes(&bytes).unwrap();
    for n in [1, 7] {
        let archs: Vec<Arch> = (0..n).map(|i| nb201(i * 2231 + 17)).collect();
        let got = predictor.predict_archs(&archs).unwrap();
        let (want_ms, want_emb) = spec.forward(&spec.encode(&archs).unwrap());
        assert_eq!(got.latency_ms.dim(), (n, 3));
        assert_eq!(got.embedding.dim(), (n, 26));
        for (a, b) in got.latency_ms.iter().zip(&want_ms) {
            assert!(close(*a, *b), "{a} vs {b}");
        }
        for (a, b) in got.embedding.iter().zip(&want_emb) {
            assert!(close(*a, *b), "{a} vs {b}");
        }
    }
}

/// [`spec`] with structure columns (3 devices + 5 operation counts) and
/// adapted devices of every form.
fn structured_spec() -> PredictorSpec {
    let mut spec = spec();
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    spec.adaptation.structure = Some(StructureFeatures {
        ops: 5,
        mean: (0..8).map(|_| rng.random_range(-1.0..3.0)).collect(),
        multiplier: (0..8)
            .map(|i| {
                if i == 7 {
                    0.0
                } else {
                    rng.random_range(0.1..2.0)
                }
            })
            .collect(),
    });
    spec.adaptation.default = crate::adapt::Adaptation::Auto;
    let e = spec.embedding_dim();
    let mut weights = |scale: f32| -> Vec<f32> {
        (0..e)
            .map(|_| scale * rng.random_range(-1.0..1.0))
            .collect()
    };
    let head = AdaptedDevice::log_affine("head_dev", weights(0.05), 0.3, 10, "head");
    let blend = AdaptedDevice {
        name: "blend_dev".into(),
        weights: weights(0.05),
        bias: 0.1,
        lin_weights: weights(0.5),
        lin_bias: 4.0,
        floor: 0.02,
        power: 0.5,
        samples: 10,
        fit: "blend".into(),
        loo: Some(crate::adapt::LooSummary {
            log_rmse: 0.07,
            spearman: Some(0.9),
        }),
    };
    let floored = AdaptedDevice {
        name: "floored_dev".into(),
        weights: vec![0.0; e],
        bias: 0.0,
        lin_weights: vec![0.0; e],
        lin_bias: -1.0,
        floor: 0.5,
        power: 1.0,
        samples: 5,
        fit: "structured".into(),
        loo: None,
    };
    spec.adapted = vec![head, blend, floored];
    spec
}

#[test]
fn structure_columns_and_structured_devices_survive_the_round_trip() {
    let spec = structured_spec();
    spec.validate().unwrap();
    let model = export_predictor(&spec).unwrap();
    assert_eq!(PredictorSpec::from_model(&model).unwrap(), spec);
    let predictor = Predictor::from_model(&model).unwrap();
    assert_eq!(predictor.meta().layout, spec.layout());
    let archs: Vec<Arch> = (0..9).map(|i| nb201(i * 1733 + 5)).collect();
    let got = predictor.predict_archs(&archs).unwrap();
    let (want_ms, want_emb) = spec.forward(&spec.encode(&archs).unwrap());
    assert_eq!(got.embedding.ncols(), 26 + 8);
    assert_eq!(got.latency_ms.ncols(), 6);
    for (a, b) in got.latency_ms.iter().zip(&want_ms) {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    for (a, b) in got.embedding.iter().zip(&want_emb) {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    // The counts are the cell's operations: the all-`none` cell (code 0)
    // has 6 of the first operation; the floor holds the linear part up.
    let counts_col = 26 + 3;
    let st = spec.adaptation.structure.as_ref().unwrap();
    let row = predictor.predict_archs(&[nb201(0)]).unwrap().embedding;
    assert!(close(
        row[[0, counts_col]],
        (6.0 - st.mean[3]) * st.multiplier[3]
    ));
    assert!(got.latency_ms.column(5).iter().all(|v| close(*v, 0.5)));
}

#[test]
fn metadata_round_trips() {
    let spec = spec();
    let meta = PredictorMeta::from_bytes(&prost::Message::encode_to_vec(
        &export_predictor(&spec).unwrap(),
    ))
    .unwrap();
    assert_eq!(meta.space, SpaceId::Nb201);
    assert_eq!(meta.encodings, spec.encodings);
    assert_eq!(meta.devices, spec.devices);
    assert_eq!(meta.input_dim, 30 + 20);
    // Two members × (3 devices + 2 input columns + 8 hidden).
    assert_eq!(meta.embedding_dim, 26);
    assert_eq!(meta.layout, spec.layout());
    assert_eq!((meta.layout.blocks, meta.layout.outputs), (2, 5));
    assert_eq!(meta.adaptation, crate::adapt::Adaptation::Head);
    assert_eq!(meta.reference_archs, spec.reference_archs);
    assert_eq!(meta.extra["note"], "hand-made");
    let raw = meta
        .raw_input
        .expect("onehot-v1+features-v1 have a table form");
    assert_eq!(raw.input, RAW_INPUT_NAME);
    assert_eq!(raw.positions, SpaceId::Nb201.layout().positions);
    assert_eq!(raw.choices, SpaceId::Nb201.layout().choices);
}

/// The file as format 1 wrote it: `arch` alone, no raw input.
fn format_1(mut model: tract_onnx::pb::ModelProto) -> tract_onnx::pb::ModelProto {
    super::load::cut_raw_input(&mut model);
    model
        .metadata_props
        .retain(|e| e.key != metadata::RAW_INPUT);
    for e in &mut model.metadata_props {
        if e.key == metadata::FORMAT_VERSION {
            e.value = "1".into();
        }
    }
    model
}

#[test]
fn format_1_files_without_the_raw_input_still_load_in_both_engines() {
    let spec = spec();
    let bytes = prost::Message::encode_to_vec(&format_1(export_predictor(&spec).unwrap()));
    let archs: Vec<Arch> = (0..5).map(|i| nb201(i * 3001 + 4)).collect();
    let (want, _) = spec.forward(&spec.encode(&archs).unwrap());
    for predictor in [
        Predictor::from_bytes(&bytes).unwrap(),
        Predictor::reference_from_bytes(&bytes).unwrap(),
    ] {
        assert!(predictor.meta().raw_input.is_none());
        let got = predictor.predict_archs(&archs).unwrap().latency_ms;
        assert!(got.iter().zip(&want).all(|(a, b)| close(*a, *b)));
    }
}

#[test]
fn a_raw_input_the_metadata_does_not_match_is_refused() {
    // Metadata describing another space's positions.
    let mut model = export_predictor(&spec()).unwrap();
    let fbnet = serde_json::json!({
        "input": RAW_INPUT_NAME,
        "positions": SpaceId::Fbnet.layout().positions,
        "choices": SpaceId::Fbnet.layout().choices,
        "from_string": "",
    });
    for e in &mut model.metadata_props {
        if e.key == metadata::RAW_INPUT {
            e.value = fbnet.to_string();
        }
    }
    let err = load_error(&model);
    assert!(
        err.contains(metadata::RAW_INPUT) && err.contains("are not those of nb201"),
        "{err}"
    );
    // The input without its description, and the description without it.
    let mut model = export_predictor(&spec()).unwrap();
    model
        .metadata_props
        .retain(|e| e.key != metadata::RAW_INPUT);
    let err = load_error(&model);
    assert!(err.contains("[\"arch_ops\", \"arch\"]"), "{err}");
    let mut model = export_predictor(&spec()).unwrap();
    super::load::cut_raw_input(&mut model);
    let err = load_error(&model);
    assert!(err.contains("inputs [\"arch_ops\", \"arch\"]"), "{err}");
}

fn load_error(model: &tract_onnx::pb::ModelProto) -> String {
    Predictor::from_bytes(&prost::Message::encode_to_vec(model))
        .unwrap_err()
        .to_string()
}

#[test]
fn foreign_and_broken_files_are_named_for_what_they_are() {
    let err = Predictor::from_bytes(b"definitely not protobuf")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an ONNX model"), "{err}");

    // The architecture export's own mark (its test, in the measurement
    // library, loads a real export).
    let mut model = export_predictor(&spec()).unwrap();
    for e in &mut model.metadata_props {
        if e.key == metadata::KIND {
            e.value = metadata::KIND_ARCHITECTURE.into();
        }
    }
    let err = load_error(&model);
    assert!(err.contains("architecture model"), "{err}");

    let mut model = export_predictor(&spec()).unwrap();
    model.metadata_props.clear();
    model.producer_name = "pytorch".into();
    let err = load_error(&model);
    assert!(
        err.contains("latscope.kind") && err.contains("pytorch"),
        "{err}"
    );

    let mut model = export_predictor(&spec()).unwrap();
    for e in &mut model.metadata_props {
        if e.key == metadata::FORMAT_VERSION {
            e.value = "99".into();
        }
        if e.key == metadata::INPUT_DIM {
            e.value = "31".into();
        }
    }
    let err = load_error(&model);
    assert!(err.contains("\"99\""), "{err}");

    let mut model = export_predictor(&spec()).unwrap();
    model.metadata_props.retain(|e| e.key != metadata::DEVICES);
    let err = load_error(&model);
    assert!(err.contains(metadata::DEVICES), "{err}");
}

#[test]
fn inconsistent_specs_and_inputs_are_rejected() {
    let mut bad = spec();
    bad.output_std.pop();
    let err = export_predictor(&bad).unwrap_err().to_string();
    assert!(err.contains("output width"), "{err}");
    let mut bad = spec();
    bad.adaptation.input_columns.push(50);
    let err = export_predictor(&bad).unwrap_err().to_string();
    assert!(err.contains("column 50 is outside the 50 inputs"), "{err}");
    let mut bad = spec();
    bad.members[1] = Mlp::new(&[50, 16, 9, 3], 1);
    let err = export_predictor(&bad).unwrap_err().to_string();
    assert!(err.contains("member 1"), "{err}");

    let predictor = Predictor::from_bytes(&export_predictor_bytes(&spec()).unwrap()).unwrap();
    let fbnet = SpaceId::Fbnet.parse_arch(&["skip"; 22].join("-")).unwrap();
    let err = predictor.predict_archs(&[fbnet]).unwrap_err().to_string();
    assert!(err.contains("fbnet") && err.contains("nb201"), "{err}");
    let err = predictor
        .predict_encoded(&ndarray::Array2::zeros((2, 3)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("50 input values"), "{err}");
}
