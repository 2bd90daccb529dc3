//! Each failure comes out as the right [`Error`] variant with the right
//! [`ErrorKind`] (the JS error's `kind`), through the same `#[wasm_bindgen]`
//! API the page calls (run natively: everything but the JS conversion).

use latscope_model::Error as ModelError;
use latscope_shared::Error as SharedError;
use latscope_web::api::{JsAccuracy, JsFeatureCache, JsPredictor, JsSpaceTable};
use latscope_web::{Error, ErrorKind};

const CELL: &str = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|";
const OTHER: &str = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

fn static_file(path: &str) -> Vec<u8> {
    let full = format!("{}/../static/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn nb201() -> JsPredictor {
    JsPredictor::new(&static_file("predictors/nb201.onnx")).unwrap_or_else(|e| panic!("{e}"))
}

/// The error of a call that must fail.
fn err<T>(result: latscope_web::Result<T>) -> Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

/// A finished table of two NB201 cells.
fn table(p: &JsPredictor) -> JsSpaceTable {
    let mut scan = p.scan(Some(vec![CELL.into(), OTHER.into()]), None).unwrap();
    scan.step(10).unwrap();
    scan.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn strings(archs: &[&str]) -> Vec<String> {
    archs.iter().map(|a| a.to_string()).collect()
}

#[test]
fn unknown_device() {
    let p = nb201();
    let e = err(p.rank("h900", strings(&[CELL, OTHER])));
    assert!(
        matches!(&e, Error::Model(ModelError::UnknownDevice { device, known })
            if device == "h900" && known.iter().any(|d| d == "pixel3")),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::UnknownDevice);
    assert!(e
        .to_string()
        .starts_with("no device \"h900\"; the predictor has "));

    let t = table(&p);
    let e = err(t.table().latency("h900"));
    assert!(
        matches!(&e, Error::UnknownDevice { device, known } if device == "h900" && known.len() == 27),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::UnknownDevice);
    assert!(e
        .to_string()
        .starts_with("no device \"h900\"; this table has "));
    assert_eq!(err(t.order("h900")).kind(), ErrorKind::UnknownDevice);
}

#[test]
fn invalid_architecture_names_its_position() {
    let p = nb201();
    let e = err(p.predict(strings(&[CELL, OTHER, "bogus"])));
    assert!(
        matches!(
            &e,
            Error::Model(ModelError::InvalidArchAt {
                measured: false,
                position: 2,
                source: SharedError::InvalidArch { .. },
            })
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidArchitecture);
    let text = e.to_string();
    assert!(
        text.starts_with("architecture 2: ") && text.contains("bogus"),
        "{text}"
    );

    let e = err(p.adapt(strings(&[CELL, "x"]), vec![1.0, 2.0], strings(&[OTHER])));
    assert!(
        e.to_string().starts_with("measured architecture 1: "),
        "{e}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidArchitecture);

    let e = err(latscope_web::compose_arch("nb201", &[0, 0, 0]));
    assert!(
        matches!(e, Error::Shared(SharedError::InvalidArch { .. })),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidArchitecture);
}

#[test]
fn invalid_predictor_file() {
    let e = err(JsPredictor::new(b"\x01\x02garbage"));
    assert!(
        matches!(
            &e,
            Error::PredictorFile {
                file: None,
                source: ModelError::InvalidModel(_)
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidPredictorFile);
    assert!(e.to_string().contains("not an ONNX model"), "{e}");
    // With a file name (as `fromUrl` gives) the message starts with it.
    let e = Error::PredictorFile {
        file: Some("p/bad.onnx".into()),
        source: ModelError::InvalidModel("x".into()),
    };
    assert_eq!(e.to_string(), "p/bad.onnx: invalid ONNX model: x");
}

#[test]
fn accuracy_of_fbnet_and_unknown_accuracy_datasets_are_unsupported() {
    let accuracy = JsAccuracy::new(&static_file("data/nb201_accuracy.csv.gz"), "acc").unwrap();
    let mut t = table(&nb201());
    let e = err(t.use_accuracy(&accuracy, "imagenet"));
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("imagenet16-120"), "{e}");
    let e = err(accuracy.lookup(vec!["k3_e1".into()], "cifar10"));
    assert_eq!(e.kind(), ErrorKind::InvalidArchitecture);
    let fbnet = JsPredictor::new(&static_file("predictors/fbnet.onnx")).unwrap();
    let arch = vec!["k3_e1"; 22].join("-");
    let mut scan = fbnet.scan(Some(vec![arch]), None).unwrap();
    scan.step(10).unwrap();
    let mut fb_table = scan.finish().unwrap();
    let e = err(fb_table.use_accuracy(&accuracy, "cifar10"));
    assert!(matches!(e, Error::NoAccuracy { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[test]
fn unknown_space_and_unsupported() {
    let e = err(latscope_web::enumerate_space("nb202"));
    assert!(
        matches!(&e, Error::Shared(SharedError::UnknownSpace { name, .. }) if name == "nb202"),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::UnknownSpace);

    let fbnet =
        JsPredictor::new(&static_file("predictors/fbnet.onnx")).unwrap_or_else(|e| panic!("{e}"));
    let e = err(fbnet.scan(None, None));
    assert!(
        matches!(e, Error::NotListable(SharedError::TooManyToList { .. })),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(
        e.to_string().contains("pass a list of architectures"),
        "{e}"
    );
    let e = err(latscope_web::encode_arch("nb201", CELL, "onehot"));
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[test]
fn not_in_table() {
    let p = nb201();
    let t = table(&p);
    let missing = "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|";
    let e = err(t.position_of(missing));
    assert!(
        matches!(&e, Error::NotInTable { arch, scanned: 2 } if arch == missing),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::NotInTable);
    assert_eq!(
        e.to_string(),
        format!("{missing} is not among the 2 scanned architectures")
    );
    // A string that does not parse is an architecture error, not a miss.
    assert_eq!(
        err(t.position_of("nope")).kind(),
        ErrorKind::InvalidArchitecture
    );
}

#[test]
fn invalid_input() {
    let p = nb201();
    let e = err(p.adapt(strings(&[CELL, OTHER]), vec![1.0], strings(&[CELL])));
    assert!(
        matches!(
            e,
            Error::Model(ModelError::SampleCount {
                archs: 2,
                latencies: 1
            })
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.to_string(), "2 measured architectures but 1 latencies");

    let e = err(p.adapt(strings(&[CELL, OTHER]), vec![1.0, 0.0], strings(&[CELL])));
    assert!(
        matches!(
            e,
            Error::Model(ModelError::NonPositiveLatency { sample: 1, ms }) if ms == 0.0
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("0 ms"), "{e}");

    let mut t = table(&p);
    assert_eq!((t.size(), t.arch(1).unwrap()), (2, OTHER.to_string()));
    let e = err(t.arch(2));
    assert!(
        matches!(e, Error::RowOutOfRange { row: 2, rows: 2 }),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = err(t.add_device("  ", strings(&[CELL, OTHER]), vec![1.0, 2.0]));
    assert!(matches!(e, Error::MissingDeviceName), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = err(t.add_device("pixel3", strings(&[CELL, OTHER]), vec![1.0, 2.0]));
    assert!(
        matches!(&e, Error::FileDevice(name) if name == "pixel3"),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    let e = err(latscope_web::api::spearman(&[1.0, 2.0], &[1.0]));
    assert!(matches!(e, Error::Metric(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn invalid_dataset_and_feature_cache() {
    let e = err(latscope_web::read_measured(
        b"arch,x\n1,2\n",
        "mine.csv",
        "nb201",
    ));
    assert!(matches!(e, Error::DatasetFile(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidDataset);
    assert!(e.to_string().contains("mine.csv"), "{e}");

    let bytes = static_file("data/nb201_latency.csv.gz");
    let e = err(latscope_web::read_measured(
        &bytes,
        "nb201_latency.csv.gz",
        "fbnet",
    ));
    assert!(
        matches!(&e, Error::SpaceNotInDataset { space, found, .. } if space == "fbnet" && found == &["nb201"]),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidDataset);
    assert_eq!(
        e.to_string(),
        "nb201_latency.csv.gz has no fbnet architectures (it has: nb201)"
    );

    let e = err(JsAccuracy::new(
        b"index,arch,cifar10_test_acc,cifar100_test_acc,imagenet16_120_test_acc\n0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,101,50,20\n",
        "acc.csv",
    ));
    assert!(matches!(e, Error::AccuracyFile(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidDataset);
    assert!(e.to_string().starts_with("acc.csv:2:"), "{e}");

    let e = err(JsFeatureCache::new(b"not a cache", "cache.bin"));
    assert!(matches!(e, Error::FeatureCacheFile(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidFeatureCache);
    assert!(e.to_string().contains("cache.bin"), "{e}");
}

#[test]
fn invalid_state_of_a_scan() {
    let p = nb201();
    let mut scan = p.scan(Some(strings(&[CELL, OTHER])), None).unwrap();
    scan.step(1).unwrap();
    let e = err(scan.finish());
    assert!(
        matches!(e, Error::ScanUnfinished { done: 1, total: 2 }),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    let e = err(scan.step(1));
    assert!(matches!(e, Error::ScanFinished), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    assert_eq!(e.to_string(), "this scan is finished already");
    assert_eq!(err(scan.total()).kind(), ErrorKind::InvalidState);
}

/// Fetch failures need a browser (the page test loads a missing file);
/// here only their message and kind.
#[test]
fn fetch_and_internal() {
    let e = Error::Fetch {
        url: "predictors/x.onnx".into(),
        reason: "HTTP 404 Not Found".into(),
    };
    assert_eq!(e.kind(), ErrorKind::Fetch);
    assert_eq!(
        e.to_string(),
        "fetching predictors/x.onnx: HTTP 404 Not Found"
    );
    assert_eq!(Error::NoFetch.kind(), ErrorKind::Fetch);
    assert_eq!(Error::Internal("x".into()).kind(), ErrorKind::Internal);
}

/// Model errors the page's calls do not reach today still get the kind of
/// what they are: a wrapped evaluation failure that of its cause.
#[test]
fn model_errors_beyond_the_api_keep_specific_kinds() {
    let kind = |e: ModelError| Error::Model(e).kind();
    let unknown = ModelError::UnknownDevice {
        device: "h900".into(),
        known: vec!["pixel3".into()],
    };
    let trial = ModelError::Trial {
        method: "mlp-auto".into(),
        seed: 0,
        k: 5,
        device: "h900".into(),
        error: Box::new(unknown),
    };
    assert_eq!(kind(trial), ErrorKind::UnknownDevice);
    let wrong_space = ModelError::WrongSpace {
        arch: "k3_e1".into(),
        space: latscope_shared::space::SpaceId::Fbnet,
        of: "the predictor",
        expected: latscope_shared::space::SpaceId::Nb201,
    };
    assert_eq!(kind(wrong_space), ErrorKind::InvalidArchitecture);
    let method = ModelError::UnknownName {
        what: "method",
        name: "nope".into(),
        known: vec!["flops".into()],
    };
    assert_eq!(kind(method), ErrorKind::Unsupported);
    let empty = ModelError::Empty {
        context: "ridge".into(),
        what: "sample",
    };
    assert_eq!(kind(empty), ErrorKind::InvalidInput);
}

#[test]
fn kinds_are_distinct_kebab_case() {
    let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    assert!(names
        .iter()
        .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    assert_eq!(ErrorKind::UnknownDevice.to_string(), "unknown-device");
}
