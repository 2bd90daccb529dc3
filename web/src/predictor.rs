//! Loading a predictor file and asking it for latencies, as the page and
//! embedding tools do.

use latscope_model::predictor_onnx::Predictor;
use latscope_shared::space::Arch;

/// A loaded predictor plus the parsing the JS side needs.
#[derive(Debug)]
pub struct LoadedPredictor {
    predictor: Predictor,
}

impl LoadedPredictor {
    /// Loads ONNX bytes; the error says why a file is not a usable predictor.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        Predictor::from_bytes(bytes)
            .map(|predictor| LoadedPredictor { predictor })
            .map_err(|e| e.to_string())
    }

    pub fn space(&self) -> &'static str {
        self.predictor.meta().space.name()
    }

    pub fn devices(&self) -> Vec<String> {
        self.predictor.meta().devices.clone()
    }

    pub fn reference_archs(&self) -> Vec<String> {
        self.predictor.meta().reference_archs.clone()
    }

    /// Parses architecture strings of the predictor's space; the error names
    /// the first bad one and its position.
    pub fn parse_archs(&self, archs: &[String]) -> Result<Vec<Arch>, String> {
        let space = self.predictor.meta().space;
        archs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                space
                    .parse_arch(s)
                    .map_err(|e| format!("architecture {i}: {e}"))
            })
            .collect()
    }

    /// Latencies in ms, row-major `[archs × devices]`.
    pub fn predict(&self, archs: &[String]) -> Result<Vec<f32>, String> {
        let archs = self.parse_archs(archs)?;
        let prediction = self
            .predictor
            .predict_archs(&archs)
            .map_err(|e| e.to_string())?;
        Ok(prediction.latency_ms.iter().copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latscope_model::adapt::Adaptation;
    use latscope_model::nn::Mlp;
    use latscope_model::predictor_onnx::{
        export_predictor_bytes, AdaptationFeatures, PredictorSpec,
    };
    use latscope_shared::encoding::Encoding;
    use latscope_shared::space::SpaceId;

    fn file() -> (PredictorSpec, Vec<u8>) {
        let spec = PredictorSpec {
            space: SpaceId::Nb201,
            encodings: vec![Encoding::OneHotV1],
            devices: vec!["a".into(), "b".into()],
            input_mean: vec![0.2; 30],
            input_std: vec![0.4; 30],
            members: vec![Mlp::new(&[30, 12, 2], 1)],
            output_mean: vec![2.0, 1.0],
            output_std: vec![0.5, 0.25],
            adaptation: AdaptationFeatures {
                input_columns: vec![],
                mean: vec![0.0; 14],
                scale: vec![1.0; 14],
                default: Adaptation::Head,
            },
            adapted: vec![],
            reference_archs: vec![],
            method: "test".into(),
            extra: Default::default(),
        };
        let bytes = export_predictor_bytes(&spec).unwrap();
        (spec, bytes)
    }

    #[test]
    fn predictions_match_the_rust_forward_pass() {
        let (spec, bytes) = file();
        let p = LoadedPredictor::from_bytes(&bytes).unwrap();
        assert_eq!(p.space(), "nb201");
        assert_eq!(p.devices(), ["a", "b"]);
        let archs = vec![
            "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|".to_string(),
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|".to_string(),
        ];
        let got = p.predict(&archs).unwrap();
        let parsed = p.parse_archs(&archs).unwrap();
        let (want, _) = spec.forward(&spec.encode(&parsed).unwrap());
        for (a, b) in got.iter().zip(want.iter()) {
            assert!((a - b).abs() <= 1e-5 * b.abs(), "{a} vs {b}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = LoadedPredictor::from_bytes(b"\x01\x02garbage").unwrap_err();
        assert!(err.contains("not an ONNX model"), "{err}");
        let (_, bytes) = file();
        let p = LoadedPredictor::from_bytes(&bytes).unwrap();
        let err = p
            .predict(&[
                "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|".into(),
                "bogus".into(),
            ])
            .unwrap_err();
        assert!(
            err.contains("architecture 1") && err.contains("bogus"),
            "{err}"
        );
    }
}
