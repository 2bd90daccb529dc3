//! Property tests of reading predictor files: the shipped files with bytes
//! cut off, flipped or replaced, and with each `latscope.*` metadata value
//! replaced by arbitrary text. Loading (in tract and by the reference
//! forward pass) gives a predictor or an error; it never panics, and a bad
//! metadata value is named by its key. Cases: [`BYTE_CASES`] byte
//! mutations (tract: [`TRACT_CASES`]), [`METADATA_CASES`] metadata values.

use latscope_model::predictor_onnx::Predictor;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::path::PathBuf;
use std::sync::OnceLock;
use tract_onnx::pb::ModelProto;

const BYTE_CASES: u32 = 300;
const TRACT_CASES: u32 = 40;
const METADATA_CASES: u32 = 300;

fn shipped() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/predictors/nb201.onnx"),
        )
        .unwrap()
    })
}

/// The shipped file cut at a point, with some bytes replaced, or (one case
/// in eight) arbitrary bytes.
fn damaged() -> impl Strategy<Value = Vec<u8>> {
    let len = shipped().len();
    prop_oneof![
        7 => (0.0..=1.0f64, proptest::collection::vec((0..len, any::<u8>()), 0..8)).prop_map(
            move |(keep, flips)| {
                let mut bytes = shipped().to_vec();
                for (at, b) in flips {
                    bytes[at] = b;
                }
                bytes.truncate(((keep * len as f64) as usize).max(1));
                bytes
            }
        ),
        1 => proptest::collection::vec(any::<u8>(), 0..4096),
    ]
}

proptest! {
    #![proptest_config(Config::with_cases(BYTE_CASES))]

    #[test]
    fn damaged_files_load_by_reference_or_say_why(bytes in damaged()) {
        if let Err(e) = Predictor::reference_from_bytes(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(TRACT_CASES))]

    #[test]
    fn damaged_files_load_in_tract_or_say_why(bytes in damaged()) {
        if let Err(e) = Predictor::from_bytes(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(METADATA_CASES))]

    #[test]
    fn a_bad_metadata_value_is_named_by_its_key(
        key in 0usize..64,
        value in prop_oneof![any::<String>(), "[0-9.eE+-]{0,6}", "\\[[0-9., a-z\"]{0,12}\\]"],
    ) {
        let mut model: ModelProto = prost::Message::decode(shipped()).unwrap();
        let n = model.metadata_props.len();
        let entry = &mut model.metadata_props[key % n];
        let name = entry.key.clone();
        entry.value = value;
        let bytes = prost::Message::encode_to_vec(&model);
        if let Err(e) = Predictor::reference_from_bytes(&bytes) {
            let message = e.to_string();
            prop_assert!(message.contains(&name), "{name}: {message}");
        }
    }
}
