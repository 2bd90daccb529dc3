//! Architecture questions the page asks without a predictor: parse, cost,
//! encode, and the builder's layout of a space.

use crate::error::{Error, Result};
use latscope_shared::encoding::Encoding;
use latscope_shared::features::cost_features;
use latscope_shared::space::{Arch, SpaceId, SpaceLayout};
use serde::Serialize;

/// What the page shows about one architecture: its canonical form and
/// what it costs on the space's default dataset.
#[derive(Debug, Serialize)]
pub struct ArchSummary {
    /// The search space (`nb201` or `fbnet`).
    pub space: String,
    /// The canonical form of the string the user typed.
    pub arch: String,
    /// The dataset the network is lowered for (the space's default, e.g.
    /// `cifar10` for NB201): it sets the input size and classes.
    pub dataset: String,
    /// NB201 only: the architecture's index in the benchmark's table.
    pub benchmark_index: Option<usize>,
    /// Multiply-accumulates of one inference (batch 1), in millions:
    /// NAS-Bench-201's `flops` unit, and the Pareto views' score.
    pub mflops: f64,
    /// Parameters, in millions (NAS-Bench-201's `params`).
    pub mparams: f64,
    /// Kernels one inference launches, after folding batch-norm into the
    /// preceding conv and fusing the following activation.
    pub kernels: u64,
    /// fp32 bytes of activations one inference writes, summed over every
    /// node (no fusion): a memory-traffic proxy.
    pub activation_bytes_written: u64,
}

fn parse(space: &str, arch: &str) -> Result<Arch> {
    let space: SpaceId = space.parse()?;
    Ok(space.parse_arch(arch)?)
}

/// Parses, lowers on the space's default dataset and costs an architecture.
pub fn arch_summary(space: &str, arch: &str) -> Result<ArchSummary> {
    let arch = parse(space, arch)?;
    let net = arch.lower_default()?;
    let f = cost_features(&net);
    Ok(ArchSummary {
        space: arch.space().to_string(),
        arch: arch.to_string(),
        dataset: arch.space().default_dataset().to_string(),
        benchmark_index: arch.benchmark_index(),
        mflops: f.mflops(),
        mparams: f.mparams(),
        kernels: f.kernels,
        activation_bytes_written: f.activation_bytes_written,
    })
}

/// The builder layout of a space ([`SpaceId::layout`]): what the page's
/// selects and the drawn NB201 cell offer.
pub fn space_layout(space: &str) -> Result<SpaceLayout> {
    let id: SpaceId = space.parse()?;
    Ok(id.layout())
}

/// The architecture with choice `choices[p]` at each position `p` (indices
/// into [`SpaceLayout::choices`]), as its canonical string.
pub fn compose_arch(space: &str, choices: &[u32]) -> Result<String> {
    let id: SpaceId = space.parse()?;
    let choices: Vec<usize> = choices.iter().map(|&c| c as usize).collect();
    Ok(id.compose(&choices)?.to_string())
}

/// The choice index at each position of an architecture string: the
/// inverse of [`compose_arch`].
pub fn decompose_arch(space: &str, arch: &str) -> Result<Vec<u32>> {
    Ok(parse(space, arch)?
        .choices()
        .into_iter()
        .map(|c| c as u32)
        .collect())
}

/// Every architecture of a space that can be listed: the 15625 NB201 cells
/// in benchmark index order. FBNet is [`Error::NotListable`].
pub fn enumerate_space(space: &str) -> Result<Vec<String>> {
    let space: SpaceId = space.parse()?;
    let archs = space.enumerate().map_err(Error::NotListable)?;
    Ok(archs.iter().map(|a| a.to_string()).collect())
}

/// Encodes an architecture with a named, versioned encoding (`onehot-v1`,
/// `graph-v1` or `features-v1`).
pub fn encode_arch(space: &str, arch: &str, encoding: &str) -> Result<Vec<f32>> {
    let encoding: Encoding = encoding.parse()?;
    let arch = parse(space, arch)?;
    Ok(encoding.encode(&arch)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn summary_of_the_all_conv3x3_cell() {
        let s = arch_summary(
            "nb201",
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        )
        .unwrap();
        assert_eq!(s.mparams, 1.531546);
        assert_eq!(s.dataset, "cifar10");
    }

    #[test]
    fn compose_and_decompose_are_inverse() {
        for (space, arch) in [
            (
                "nb201",
                "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|",
            ),
            (
                "fbnet",
                "k3_e1_g2-skip-k5_e3-k5_e3-skip-k3_e1-k3_e6-k5_e1-k3_e6-k5_e6-skip-k5_e6-k5_e1-k3_e6-k3_e3-k5_e1_g2-k5_e6-k3_e6-k3_e1-k3_e1_g2-k3_e6-k5_e6",
            ),
        ] {
            let choices = decompose_arch(space, arch).unwrap();
            assert_eq!(compose_arch(space, &choices).unwrap(), arch);
        }
        assert_eq!(
            decompose_arch(
                "nb201",
                "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|"
            )
            .unwrap(),
            [3, 1, 0, 0, 4, 2]
        );
        let layout = space_layout("fbnet").unwrap();
        assert_eq!((layout.positions.len(), layout.choices.len()), (22, 9));
        assert_eq!(space_layout("nb201").unwrap().edges[2], (1, 2));
        assert!(compose_arch("nb201", &[0, 0, 0])
            .unwrap_err()
            .to_string()
            .contains("6 choices, got 3"));
        let err = compose_arch("nb201", &[0, 0, 9, 0, 0, 0]).unwrap_err();
        assert!(err.to_string().contains("choice 9 at position 2"), "{err}");
        assert_eq!(err.kind(), ErrorKind::InvalidArchitecture);
    }

    #[test]
    fn errors_name_the_bad_part() {
        let e = arch_summary("nb202", "x").unwrap_err();
        assert!(e.to_string().contains("nb202"), "{e}");
        assert_eq!(e.kind(), ErrorKind::UnknownSpace);
        let e = encode_arch(
            "nb201",
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "onehot",
        )
        .unwrap_err();
        assert!(e.to_string().contains("onehot-v1"), "{e}");
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        let e = arch_summary("fbnet", "k3_e1").unwrap_err();
        assert!(e.to_string().contains("k3_e1"), "{e}");
        assert_eq!(e.kind(), ErrorKind::InvalidArchitecture);
        let e = enumerate_space("fbnet").unwrap_err();
        assert!(matches!(e, Error::NotListable(_)), "{e:?}");
        assert!(e
            .to_string()
            .ends_with("pass a list of architectures (for example a dataset's)"));
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }
}
