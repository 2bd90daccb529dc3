//! Loading a predictor file and asking it for latencies, as the page and
//! embedding tools do.

use latscope_model::adapt::{Adaptation, FitKind, LooSummary};
use latscope_model::predictor_onnx::Predictor;
use latscope_shared::space::Arch;
use ndarray::Array2;
use serde::Serialize;

/// How well one fit predicted the measurements, each left out in turn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitQuality {
    pub fit: &'static str,
    /// Leave-one-out Spearman ρ (None below 3 measurements).
    pub spearman: Option<f64>,
    /// Typical relative error, exp(RMSE of ln ms) − 1 (None below 3).
    #[serde(rename = "typicalError")]
    pub typical_error: Option<f64>,
}

/// The automatic adaptation's choice for a set of measurements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitSummary {
    pub samples: usize,
    pub chosen: FitQuality,
    pub candidates: Vec<FitQuality>,
}

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

    /// The versioned encodings the file takes, e.g. `onehot-v1+features-v1`.
    pub fn encodings(&self) -> String {
        latscope_model::predictor_onnx::encodings_name(&self.predictor.meta().encodings)
    }

    /// The training method recorded in the file.
    pub fn method(&self) -> &str {
        &self.predictor.meta().method
    }

    /// How many of [`devices`](Self::devices) were trained; the rest were
    /// added to the file by few-shot adaptation.
    pub fn trained_devices(&self) -> usize {
        self.predictor.meta().trained_devices
    }

    pub fn embedding_dim(&self) -> usize {
        self.predictor.meta().embedding_dim
    }

    /// The model crate's predictor, for computations the page batches itself.
    pub fn inner(&self) -> &Predictor {
        &self.predictor
    }

    /// The predictor's input row of one architecture.
    pub fn encode(&self, arch: &str) -> Result<Vec<f32>, String> {
        let archs = self.parse_archs(&[arch.to_string()])?;
        let x = self.predictor.encode(&archs).map_err(|e| e.to_string())?;
        Ok(x.into_iter().collect())
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

impl LoadedPredictor {
    /// Indices into `archs`, fastest first on `device` by prediction (ties
    /// keep input order).
    pub fn rank(&self, device: &str, archs: &[String]) -> Result<Vec<u32>, String> {
        let devices = self.devices();
        let column = devices.iter().position(|d| d == device).ok_or_else(|| {
            format!(
                "no device {device:?}; the predictor has {}",
                devices.join(", ")
            )
        })?;
        let latency = self.predict(archs)?;
        let ms = |i: u32| latency[i as usize * devices.len() + column];
        let mut order: Vec<u32> = (0..archs.len() as u32).collect();
        order.sort_by(|&a, &b| ms(a).total_cmp(&ms(b)));
        Ok(order)
    }

    /// Latency (ms) on a new device of each `query` architecture, adapted
    /// from the user's measurements (`sample_archs[i]` took `sample_ms[i]`
    /// ms) with the file's default adaptation: the same computation as
    /// `profiler adapt`.
    pub fn adapt(
        &self,
        sample_archs: &[String],
        sample_ms: &[f64],
        query: &[String],
    ) -> Result<Vec<f64>, String> {
        let samples = self.samples(sample_archs, sample_ms)?;
        let query = self.parse_archs(query)?;
        self.predictor
            .adapt(&samples, &query, None)
            .map_err(|e| e.to_string())
    }

    /// [`adapt`](Self::adapt) for architectures whose `embedding` rows are
    /// already known (a scanned search space).
    pub fn adapt_to_rows(
        &self,
        sample_archs: &[String],
        sample_ms: &[f64],
        query_embedding: &Array2<f32>,
    ) -> Result<Vec<f64>, String> {
        let samples = self.samples(sample_archs, sample_ms)?;
        let archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
        let sample_embedding = self
            .predictor
            .predict_archs(&archs)
            .map_err(|e| e.to_string())?
            .embedding;
        self.predictor
            .adapt_features(&sample_embedding, sample_ms, query_embedding, None)
            .map_err(|e| e.to_string())
    }

    /// Which fit the default adaptation chooses for these measurements and
    /// how well each candidate predicted them when each was left out: the
    /// confidence `profiler adapt` prints. None for files whose default is
    /// not the automatic adaptation.
    pub fn fit_summary(
        &self,
        sample_archs: &[String],
        sample_ms: &[f64],
    ) -> Result<Option<FitSummary>, String> {
        if self.predictor.meta().adaptation != Adaptation::Auto {
            return Ok(None);
        }
        let samples = self.samples(sample_archs, sample_ms)?;
        let archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
        let embedding = self
            .predictor
            .predict_archs(&archs)
            .map_err(|e| e.to_string())?
            .embedding;
        let fit = self
            .predictor
            .fit_device(&embedding, sample_ms)
            .map_err(|e| e.to_string())?;
        let quality = |kind: FitKind, loo: &LooSummary| FitQuality {
            fit: kind.name(),
            spearman: loo.spearman,
            typical_error: loo.log_rmse.is_finite().then(|| loo.log_rmse.exp() - 1.0),
        };
        Ok(Some(FitSummary {
            samples: sample_ms.len(),
            chosen: quality(fit.kind, &fit.loo),
            candidates: fit.candidates.iter().map(|(k, l)| quality(*k, l)).collect(),
        }))
    }

    /// The `n` architectures to measure next among those whose `embedding`
    /// rows are `candidates` (`candidate_archs` in the same order), given the
    /// measured ones: the same choice as `profiler adapt --suggest`.
    pub fn suggest_among(
        &self,
        measured_archs: &[String],
        candidate_archs: &[String],
        candidates: &Array2<f32>,
        n: usize,
    ) -> Result<Vec<String>, String> {
        let measured = self
            .parse_archs(measured_archs)
            .map_err(|e| format!("measured {e}"))?;
        let parsed = self.parse_archs(candidate_archs)?;
        let picked = self
            .predictor
            .suggest_among(&measured, &parsed, candidates, n)
            .map_err(|e| e.to_string())?;
        Ok(picked
            .into_iter()
            .map(|i| candidate_archs[i].clone())
            .collect())
    }

    /// Pairs measured architectures with their latencies, checking both.
    fn samples(
        &self,
        sample_archs: &[String],
        sample_ms: &[f64],
    ) -> Result<Vec<(Arch, f64)>, String> {
        if sample_archs.len() != sample_ms.len() {
            return Err(format!(
                "{} measured architectures but {} latencies",
                sample_archs.len(),
                sample_ms.len()
            ));
        }
        Ok(self
            .parse_archs(sample_archs)
            .map_err(|e| format!("measured {e}"))?
            .into_iter()
            .zip(sample_ms.iter().copied())
            .collect())
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
                structure: None,
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
    fn adaptation_matches_the_model_crate() {
        let (_, bytes) = file();
        let p = LoadedPredictor::from_bytes(&bytes).unwrap();
        let archs: Vec<String> = [3, 77, 1200, 5000, 9999, 15000]
            .iter()
            .map(|&c| {
                latscope_shared::space::nb201::Cell::from_code(c)
                    .unwrap()
                    .to_string()
            })
            .collect();
        let ms = [1.0, 2.0, 1.5, 3.0, 2.5, 0.7];
        let got = p.adapt(&archs[..4], &ms[..4], &archs[4..]).unwrap();
        let parsed = p.parse_archs(&archs).unwrap();
        let samples: Vec<_> = parsed[..4].iter().cloned().zip(ms).collect();
        let want = p.predictor.adapt(&samples, &parsed[4..], None).unwrap();
        assert_eq!(got, want);
        let err = p.adapt(&archs[..2], &ms[..3], &archs).unwrap_err();
        assert!(err.contains("2 measured architectures but 3"), "{err}");
        let err = p.adapt(&archs[..2], &[1.0, 0.0], &archs).unwrap_err();
        assert!(err.contains("0 ms"), "{err}");
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
