//! Architecture questions the page asks: parse, cost, encode.

use latscope_shared::encoding::Encoding;
use latscope_shared::features::cost_features;
use latscope_shared::space::{Arch, SpaceId, SpaceLayout};
use serde::Serialize;

/// What the page shows about one architecture.
#[derive(Debug, Serialize)]
pub struct ArchSummary {
    pub space: String,
    /// The canonical form of the string the user typed.
    pub arch: String,
    pub dataset: String,
    /// NB201 only: the benchmark's index.
    pub benchmark_index: Option<usize>,
    pub mflops: f64,
    pub mparams: f64,
    pub kernels: u64,
    pub activation_bytes_written: u64,
}

fn parse(space: &str, arch: &str) -> Result<Arch, String> {
    let space: SpaceId = space.parse().map_err(|e| format!("{e}"))?;
    space.parse_arch(arch).map_err(|e| e.to_string())
}

/// Parses, lowers on the space's default dataset and costs an architecture.
pub fn arch_summary(space: &str, arch: &str) -> Result<ArchSummary, String> {
    let arch = parse(space, arch)?;
    let net = arch.lower_default().map_err(|e| e.to_string())?;
    let f = cost_features(&net);
    Ok(ArchSummary {
        space: arch.space().to_string(),
        arch: arch.to_string(),
        dataset: arch.space().default_dataset().to_string(),
        benchmark_index: match &arch {
            Arch::Nb201(cell) => Some(cell.benchmark_index()),
            Arch::Fbnet(_) => None,
        },
        mflops: f.mflops(),
        mparams: f.mparams(),
        kernels: f.kernels,
        activation_bytes_written: f.activation_bytes_written,
    })
}

/// The builder layout of a space ([`SpaceId::layout`]).
pub fn space_layout(space: &str) -> Result<SpaceLayout, String> {
    let id: SpaceId = space.parse().map_err(|e| format!("{e}"))?;
    Ok(id.layout())
}

/// The architecture with choice `choices[p]` at each position `p` (indices
/// into [`SpaceLayout::choices`]), as its canonical string.
pub fn compose_arch(space: &str, choices: &[u32]) -> Result<String, String> {
    let id: SpaceId = space.parse().map_err(|e| format!("{e}"))?;
    let choices: Vec<usize> = choices.iter().map(|&c| c as usize).collect();
    id.compose(&choices)
        .map(|arch| arch.to_string())
        .map_err(|e| e.to_string())
}

/// The choice index at each position of an architecture string: the
/// inverse of [`compose_arch`].
pub fn decompose_arch(space: &str, arch: &str) -> Result<Vec<u32>, String> {
    Ok(parse(space, arch)?
        .choices()
        .into_iter()
        .map(|c| c as u32)
        .collect())
}

/// Every architecture of a space that can be listed: the 15625 NB201 cells
/// in benchmark index order.
pub fn enumerate_space(space: &str) -> Result<Vec<String>, String> {
    let space: SpaceId = space.parse().map_err(|e| format!("{e}"))?;
    let archs = space
        .enumerate()
        .map_err(|e| format!("{e}; pass a list of architectures (for example a dataset's)"))?;
    Ok(archs.iter().map(|a| a.to_string()).collect())
}

/// Encodes an architecture with a named, versioned encoding.
pub fn encode_arch(space: &str, arch: &str, encoding: &str) -> Result<Vec<f32>, String> {
    let encoding: Encoding = encoding.parse().map_err(|e| format!("{e}"))?;
    let arch = parse(space, arch)?;
    encoding.encode(&arch).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            .contains("6 choices, got 3"));
        assert!(compose_arch("nb201", &[0, 0, 9, 0, 0, 0])
            .unwrap_err()
            .contains("choice 9 at position 2"));
    }

    #[test]
    fn errors_name_the_bad_part() {
        let e = arch_summary("nb202", "x").unwrap_err();
        assert!(e.contains("nb202"), "{e}");
        let e = encode_arch(
            "nb201",
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "onehot",
        )
        .unwrap_err();
        assert!(e.contains("onehot-v1"), "{e}");
        let e = arch_summary("fbnet", "k3_e1").unwrap_err();
        assert!(e.contains("k3_e1"), "{e}");
    }
}
