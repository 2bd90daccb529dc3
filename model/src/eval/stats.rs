//! Mean and standard deviation over seeds.

use serde::{Deserialize, Serialize};

/// Mean and sample standard deviation (divisor n − 1; 0 for a single value)
/// of `n` values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation, with divisor n − 1 (0 for a single value).
    pub sd: f64,
    /// Number of values summarised (at least 1).
    pub n: usize,
}

impl MeanSd {
    /// Panics on an empty slice (the runner never aggregates nothing).
    pub fn of(values: &[f64]) -> MeanSd {
        assert!(!values.is_empty(), "mean of no values");
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        MeanSd { mean, sd, n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5; squared deviations
        // 9+1+1+1+0+0+4+16 = 32; sample variance 32/7; sd sqrt(32/7).
        let m = MeanSd::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m.n, 8);
        assert!((m.mean - 5.0).abs() < 1e-12);
        assert!((m.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(
            MeanSd::of(&[0.3]),
            MeanSd {
                mean: 0.3,
                sd: 0.0,
                n: 1
            }
        );
    }
}
