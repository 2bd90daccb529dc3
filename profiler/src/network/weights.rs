//! Seeded, platform-independent weight generation.
//!
//! Every tensor draws from its own ChaCha8 stream: the generator is seeded
//! with the export seed and the stream number is a 64-bit FNV-1a hash of the
//! tensor's name. A layer's weights therefore depend only on the seed and the
//! layer's name, not on which other layers the network has, and the values
//! are bit-identical on every platform: the "normal" samples are built from
//! uniform floats with additions and multiplications only (an Irwin–Hall sum
//! of four uniforms), never with `ln`/`cos`, whose last bit varies between
//! math libraries (native vs. wasm32).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// FNV-1a, 64 bit: a stable hash (std's `DefaultHasher` may change between releases).
pub(crate) fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Draws the values of named tensors from one export seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WeightGen {
    seed: u64,
}

impl WeightGen {
    pub(crate) fn new(seed: u64) -> Self {
        WeightGen { seed }
    }

    fn rng(&self, name: &str) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(fnv1a(name));
        rng
    }

    /// `len` samples, approximately normal with mean 0 and standard deviation
    /// `std` (Irwin–Hall of 4 uniforms, rescaled to unit variance; bounded
    /// at ±3.46·std).
    pub(crate) fn normal(&self, name: &str, len: usize, std: f32) -> Vec<f32> {
        // The sum of 4 U(0,1) has mean 2 and variance 4/12 = 1/3.
        const SQRT_3: f32 = 1.732_050_8;
        let mut rng = self.rng(name);
        (0..len)
            .map(|_| {
                let sum: f32 = (0..4).map(|_| rng.random::<f32>()).sum();
                (sum - 2.0) * SQRT_3 * std
            })
            .collect()
    }

    /// `len` samples uniform in `[low, high)`.
    pub(crate) fn uniform(&self, name: &str, len: usize, low: f32, high: f32) -> Vec<f32> {
        let mut rng = self.rng(name);
        (0..len)
            .map(|_| low + (high - low) * rng.random::<f32>())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_reference_values() {
        // Reference values of the 64-bit FNV-1a test suite.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn same_name_same_values_other_name_other_values() {
        let g = WeightGen::new(7);
        assert_eq!(g.normal("a.weight", 16, 1.0), g.normal("a.weight", 16, 1.0));
        assert_ne!(g.normal("a.weight", 16, 1.0), g.normal("b.weight", 16, 1.0));
        assert_ne!(
            g.normal("a.weight", 16, 1.0),
            WeightGen::new(8).normal("a.weight", 16, 1.0)
        );
    }

    #[test]
    fn normal_has_the_requested_moments() {
        let v = WeightGen::new(1).normal("x", 100_000, 0.5);
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var.sqrt() - 0.5).abs() < 0.01, "std {}", var.sqrt());
    }

    #[test]
    fn uniform_stays_in_range() {
        let v = WeightGen::new(3).uniform("g", 10_000, 0.5, 1.5);
        assert!(v.iter().all(|&x| (0.5..1.5).contains(&x)));
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
    }
}
