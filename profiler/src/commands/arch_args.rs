//! The arguments that name one architecture, shared by several commands.

use anyhow::{Context, Result};
use clap::Args;
use latscope_shared::ir::Network;
use latscope_shared::space::{Arch, Dataset, SpaceId};

/// Which architecture, of which space, lowered for which dataset.
#[derive(Debug, Args)]
pub struct ArchArgs {
    /// Search space: nb201 or fbnet.
    #[arg(long, short = 's', value_parser = parse_space)]
    pub space: SpaceId,

    /// The architecture string. NB201: the canonical cell string, e.g.
    /// '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|'.
    /// FBNet: 22 layer choices joined by '-', e.g. 'k3_e1-k5_e6-...-skip'.
    /// For NB201 a benchmark index prefixed by '#' (e.g. '#1234') also works.
    #[arg(allow_hyphen_values = true)]
    pub arch: String,

    /// Dataset whose input size and class count the network is built for:
    /// cifar10, cifar100, imagenet16-120 (NB201) or cifar100, cifar10,
    /// imagenet (FBNet). Default: cifar10 for NB201, cifar100 for FBNet.
    #[arg(long, value_parser = parse_dataset)]
    pub dataset: Option<Dataset>,
}

fn parse_space(s: &str) -> Result<SpaceId, String> {
    s.parse::<SpaceId>().map_err(|e| e.to_string())
}

fn parse_dataset(s: &str) -> Result<Dataset, String> {
    s.parse::<Dataset>().map_err(|e| e.to_string())
}

impl ArchArgs {
    /// Parses the architecture string (or `#index` for NB201).
    pub fn arch(&self) -> Result<Arch> {
        Ok(self.space.parse_arch_or_index(&self.arch)?)
    }

    /// The dataset to lower for.
    pub fn dataset(&self) -> Dataset {
        self.dataset.unwrap_or(self.space.default_dataset())
    }

    /// Parses and lowers the architecture.
    pub fn network(&self) -> Result<(Arch, Network)> {
        let arch = self.arch()?;
        let net = arch
            .lower(self.dataset())
            .with_context(|| format!("building {} for {}", arch, self.dataset()))?;
        Ok((arch, net))
    }
}
