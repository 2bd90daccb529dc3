//! What a caller holding architecture *strings* asks of a loaded
//! [`Predictor`]: parse a list of them (an error names the position of the
//! first bad one), pair measured architectures with their latencies, find a
//! device by name, rank architectures on it, and say how far to trust a
//! device adapted from measurements ([`FitSummary`]). The browser module
//! (`latscope-web`) is built on these; any tool taking user input as text
//! can be.

use super::load::Predictor;
use crate::adapt::{Adaptation, FitKind, LooSummary};
use crate::error::{Error, Result};
use latscope_shared::space::Arch;
use serde::Serialize;

/// How well one adaptation fit predicted a set of measurements when each
/// was left out in turn (the confidence `profiler adapt` prints).
/// Serialises with camelCase keys (`typicalError`) for JS.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitQuality {
    /// The fit's name ([`FitKind::name`]: `head`, `ridge`, `blend`, ...).
    pub fit: &'static str,
    /// Leave-one-out Spearman ρ of the predictions with the measurements
    /// (None below 3 measurements or for constant values).
    pub spearman: Option<f64>,
    /// Typical relative error of a left-out prediction, exp(RMSE of ln ms)
    /// − 1 (0.1 = 10 %; None when the RMSE is not finite, below 3
    /// measurements).
    pub typical_error: Option<f64>,
}

impl FitQuality {
    fn new(kind: FitKind, loo: &LooSummary) -> Self {
        FitQuality {
            fit: kind.name(),
            spearman: loo.spearman,
            typical_error: loo.log_rmse.is_finite().then(|| loo.log_rmse.exp() - 1.0),
        }
    }
}

/// The automatic adaptation's choice for one set of measurements on a new
/// device, and every candidate fit's leave-one-out quality.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitSummary {
    /// How many measured architectures the fit saw.
    pub samples: usize,
    /// The fit the adaptation uses (the best candidate by leave-one-out).
    pub chosen: FitQuality,
    /// Every fit that was tried, in the adaptation's order.
    pub candidates: Vec<FitQuality>,
}

impl Predictor {
    /// Parses architecture strings of the predictor's space. The error
    /// ([`Error::InvalidArchAt`]) names the first string that does not
    /// parse and its 0-based position (`architecture 3: ...`).
    pub fn parse_archs<S: AsRef<str>>(&self, archs: &[S]) -> Result<Vec<Arch>> {
        self.parse_list(archs, false)
    }

    /// [`parse_archs`](Self::parse_archs) for architectures measured on a
    /// new device: the error says `measured architecture 3: ...`.
    pub fn parse_measured_archs<S: AsRef<str>>(&self, archs: &[S]) -> Result<Vec<Arch>> {
        self.parse_list(archs, true)
    }

    fn parse_list<S: AsRef<str>>(&self, archs: &[S], measured: bool) -> Result<Vec<Arch>> {
        let space = self.meta().space;
        archs
            .iter()
            .enumerate()
            .map(|(position, s)| {
                space
                    .parse_arch(s.as_ref())
                    .map_err(|source| Error::InvalidArchAt {
                        measured,
                        position,
                        source,
                    })
            })
            .collect()
    }

    /// Pairs measured architecture strings with their latencies in ms
    /// (`ms[i]` belongs to `archs[i]`), the samples [`adapt`](Self::adapt)
    /// takes. Unequal lengths are [`Error::SampleCount`]; the latencies
    /// themselves are checked by the adaptation.
    pub fn parse_samples<S: AsRef<str>>(
        &self,
        archs: &[S],
        ms: &[f64],
    ) -> Result<Vec<(Arch, f64)>> {
        if archs.len() != ms.len() {
            return Err(Error::SampleCount {
                archs: archs.len(),
                latencies: ms.len(),
            });
        }
        Ok(self
            .parse_measured_archs(archs)?
            .into_iter()
            .zip(ms.iter().copied())
            .collect())
    }

    /// The column of a device in [`Prediction::latency_ms`](super::Prediction);
    /// [`Error::UnknownDevice`] lists the devices there are.
    pub fn device_index(&self, device: &str) -> Result<usize> {
        let devices = &self.meta().devices;
        devices
            .iter()
            .position(|d| d == device)
            .ok_or_else(|| Error::UnknownDevice {
                device: device.to_string(),
                known: devices.clone(),
            })
    }

    /// Indices into `archs`, fastest first on `device` by predicted latency
    /// (ties keep input order).
    pub fn rank(&self, device: &str, archs: &[Arch]) -> Result<Vec<usize>> {
        let column = self.device_index(device)?;
        let latency = self.predict_archs(archs)?.latency_ms;
        let mut order: Vec<usize> = (0..archs.len()).collect();
        order.sort_by(|&a, &b| latency[[a, column]].total_cmp(&latency[[b, column]]));
        Ok(order)
    }

    /// Which fit the file's default adaptation chooses for measured
    /// `(architecture, ms)` samples and how well each candidate predicted
    /// them when each was left out: the confidence `profiler adapt` prints.
    /// None for files whose default adaptation is not
    /// [`Adaptation::Auto`] (they have no choice to report).
    pub fn fit_summary(&self, samples: &[(Arch, f64)]) -> Result<Option<FitSummary>> {
        if self.meta().adaptation != Adaptation::Auto {
            return Ok(None);
        }
        let samples = super::without_folded(samples)?;
        let archs: Vec<Arch> = samples.iter().map(|(a, _)| a.clone()).collect();
        let ms: Vec<f64> = samples.iter().map(|(_, ms)| *ms).collect();
        let embedding = self.predict_archs(&archs)?.embedding;
        let fit = self.fit_device(&embedding, &ms)?;
        Ok(Some(FitSummary {
            samples: samples.len(),
            chosen: FitQuality::new(fit.kind, &fit.loo),
            candidates: fit
                .candidates
                .iter()
                .map(|(kind, loo)| FitQuality::new(*kind, loo))
                .collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Mlp;
    use crate::predictor_onnx::{
        export_predictor_bytes, AdaptationFeatures, PredictorSpec, StructureFeatures,
    };
    use latscope_shared::encoding::Encoding;
    use latscope_shared::space::nb201::Cell;
    use latscope_shared::space::SpaceId;

    fn predictor(adaptation: Adaptation) -> Predictor {
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
                default: adaptation,
                // The 2 devices and NB201's 5 operation counts: what the
                // automatic adaptation needs.
                structure: Some(StructureFeatures {
                    ops: 5,
                    mean: vec![0.5; 7],
                    multiplier: vec![1.0; 7],
                }),
            },
            adapted: vec![],
            reference_archs: vec![],
            method: "test".into(),
            extra: Default::default(),
            scan: None,
        };
        Predictor::from_bytes(&export_predictor_bytes(&spec).unwrap()).unwrap()
    }

    fn cells(codes: &[usize]) -> Vec<String> {
        codes
            .iter()
            .map(|&c| Cell::from_code(c).unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_bad_string_is_named_by_its_position() {
        let p = predictor(Adaptation::Head);
        let mut archs = cells(&[3, 77]);
        assert_eq!(p.parse_archs(&archs).unwrap().len(), 2);
        archs.push("bogus".into());
        let err = p.parse_archs(&archs).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArchAt {
                    measured: false,
                    position: 2,
                    ..
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.starts_with("architecture 2: ") && text.contains("bogus"));
        let err = p.parse_measured_archs(&archs).unwrap_err();
        assert!(
            err.to_string().starts_with("measured architecture 2: "),
            "{err}"
        );
    }

    #[test]
    fn samples_pair_up_or_say_how_many_of_each() {
        let p = predictor(Adaptation::Head);
        let archs = cells(&[3, 77, 1200]);
        let samples = p.parse_samples(&archs, &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(samples[2].1, 3.0);
        assert_eq!(samples[1].0.to_string(), archs[1]);
        let err = p.parse_samples(&archs[..2], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(matches!(
            err,
            Error::SampleCount {
                archs: 2,
                latencies: 3
            }
        ));
        assert_eq!(err.to_string(), "2 measured architectures but 3 latencies");
    }

    #[test]
    fn ranking_orders_by_the_device_column() {
        let p = predictor(Adaptation::Head);
        let archs = p.parse_archs(&cells(&[3, 77, 1200, 5000, 9999])).unwrap();
        let latency = p.predict_archs(&archs).unwrap().latency_ms;
        let order = p.rank("b", &archs).unwrap();
        assert_eq!(order.len(), 5);
        assert!(order
            .windows(2)
            .all(|w| latency[[w[0], 1]] <= latency[[w[1], 1]]));
        let err = p.rank("c", &archs).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownDevice { device, known } if device == "c" && known == &["a", "b"]),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "no device \"c\"; the predictor has a, b");
    }

    #[test]
    fn fit_summary_is_the_automatic_fits_own() {
        let archs = cells(&[3, 77, 1200, 5000, 9999, 15000]);
        let ms = [1.0, 2.0, 1.5, 3.0, 2.5, 0.7];
        let head = predictor(Adaptation::Head);
        let samples = head.parse_samples(&archs, &ms).unwrap();
        assert_eq!(head.fit_summary(&samples).unwrap(), None);
        let auto = predictor(Adaptation::Auto);
        let summary = auto.fit_summary(&samples).unwrap().unwrap();
        let embedding = auto
            .predict_archs(&auto.parse_archs(&archs).unwrap())
            .unwrap()
            .embedding;
        let fit = auto.fit_device(&embedding, &ms).unwrap();
        assert_eq!(summary.samples, 6);
        assert_eq!(summary.chosen.fit, fit.kind.name());
        assert_eq!(summary.chosen.spearman, fit.loo.spearman);
        assert_eq!(summary.candidates.len(), fit.candidates.len());
        let json = serde_json::to_value(&summary).unwrap();
        assert!(json["chosen"].get("typicalError").is_some(), "{json}");
    }
}
