//! Architecture-side inputs shared by the methods: encodings and cost
//! features of every architecture of a task (public knowledge, computed once).

use crate::error::Result;
use latscope_shared::encoding::Encoding;
use latscope_shared::features::cost_features;
use latscope_shared::space::Arch;
use ndarray::{concatenate, Array2, Axis};

/// `onehot-v1`, `features-v1` and MACs of a list of architectures.
#[derive(Clone, Debug)]
pub struct ArchInputs {
    /// `n × onehot_len`.
    pub onehot: Array2<f32>,
    /// `n × features-v1 dim`.
    pub features: Array2<f32>,
    /// Multiply-accumulates ("FLOPs") per architecture.
    pub macs: Vec<f64>,
}

impl ArchInputs {
    /// Encodes every architecture of `archs` (all of one space) and computes its cost features;
    /// empty input gives empty matrices.
    pub fn compute(archs: &[Arch]) -> Result<Self> {
        let space = archs.first().map(Arch::space);
        let d_onehot = space.map_or(0, |s| Encoding::OneHotV1.dim(s));
        let d_feat = space.map_or(0, |s| Encoding::FeaturesV1.dim(s));
        let onehot = Encoding::OneHotV1.encode_all(archs)?;
        let mut features = Vec::with_capacity(archs.len() * d_feat);
        let mut macs = Vec::with_capacity(archs.len());
        for arch in archs {
            features.extend(Encoding::FeaturesV1.encode(arch)?);
            macs.push(cost_features(&arch.lower_default()?).macs as f64);
        }
        let n = archs.len();
        Ok(ArchInputs {
            onehot: Array2::from_shape_vec((n, d_onehot), onehot).expect("encode_all shape"),
            features: Array2::from_shape_vec((n, d_feat), features).expect("features shape"),
            macs,
        })
    }

    /// Number of architectures.
    pub fn len(&self) -> usize {
        self.macs.len()
    }

    /// True when there are no architectures.
    pub fn is_empty(&self) -> bool {
        self.macs.is_empty()
    }

    /// `[onehot, features]` side by side.
    pub fn onehot_and_features(&self) -> Array2<f32> {
        concatenate(Axis(1), &[self.onehot.view(), self.features.view()])
            .expect("same number of rows")
    }
}
