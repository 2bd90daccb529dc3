//! `nearest-device`: the training device whose measured latencies on the
//! sampled architectures correlate best (Spearman, ties broken by Pearson in
//! log space) with the target's, mapped by a line in log space.

use super::{check_samples, spearman_or};
use crate::adapt::fit_line;
use crate::error::{Error, Result};
use crate::fewshot::{FewShotMethod, PretrainContext, PretrainedModel};

/// Proxy-device transfer.
#[derive(Clone, Copy, Debug, Default)]
pub struct NearestDevice;

struct NearestDeviceModel {
    /// Log-latency per device, archs × devices, NaN where not measured.
    log: Vec<Vec<f64>>,
}

impl FewShotMethod for NearestDevice {
    fn name(&self) -> String {
        "nearest-device".into()
    }

    fn pretrain(&self, ctx: &PretrainContext<'_>) -> Result<Box<dyn PretrainedModel>> {
        if ctx.train.n_devices() == 0 {
            return Err(Error::Empty {
                context: "nearest-device".into(),
                what: "training device",
            });
        }
        let log = (0..ctx.train.n_devices())
            .map(|d| {
                ctx.train
                    .device_column(d)
                    .into_iter()
                    .map(|v| v.map_or(f64::NAN, f64::ln))
                    .collect()
            })
            .collect();
        Ok(Box::new(NearestDeviceModel { log }))
    }
}

impl PretrainedModel for NearestDeviceModel {
    fn adapt_and_predict(&self, samples: &[(usize, f64)], query: &[usize]) -> Result<Vec<f64>> {
        let y = check_samples(samples, query, self.log[0].len())?;
        let mut best: Option<(f64, f64, usize)> = None;
        for (d, col) in self.log.iter().enumerate() {
            let x: Vec<f64> = samples.iter().map(|s| col[s.0]).collect();
            if x.iter().any(|v| v.is_nan()) {
                continue;
            }
            let rho = spearman_or(&x, &y, -1.0);
            let r = latscope_shared::metrics::pearson(&x, &y).unwrap_or(-1.0);
            if best.is_none_or(|(br, bp, _)| rho > br || (rho == br && r > bp)) {
                best = Some((rho, r, d));
            }
        }
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let Some((_, _, d)) = best else {
            return Ok(vec![mean.exp(); query.len()]);
        };
        let col = &self.log[d];
        let x: Vec<f64> = samples.iter().map(|s| col[s.0]).collect();
        let (a, b) = fit_line(&x, &y);
        Ok(query
            .iter()
            .map(|&q| {
                if col[q].is_nan() {
                    mean
                } else {
                    a + b * col[q]
                }
                .exp()
            })
            .collect())
    }
}
