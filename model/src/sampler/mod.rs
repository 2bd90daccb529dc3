//! Which K architectures to measure on a new device.
//!
//! * `random`: uniformly, without replacement.
//! * `cost-stratified`: the candidates sorted by FLOPs (MACs of the network
//!   on the space's default dataset) and cut into K quantile buckets of equal
//!   size; one random architecture per bucket, so every cost range is
//!   covered (NASFLAT buckets by parameters; ESM's lesson is to cover every
//!   latency range).
//! * `encoding-diverse`: like NASFLAT's encoding sampler, ⌈K/2⌉ from k-means
//!   clusters of the `onehot-v1` encodings (the candidate nearest each
//!   centroid) and the rest by farthest-point selection in cosine distance
//!   from everything chosen so far.
//! * `reference`: HELP's reference architectures first (in file order; the
//!   first K of them when K < 10), then random ones to fill K.
//! * `suggest` and `suggest-log`: what `profiler adapt --suggest` proposes,
//!   the greedy design of [`crate::adapt::suggest_rows`] over a pretrained
//!   model's structure columns or its predicted ln ms. They need the model,
//!   so [`Sampler::sample`] refuses them and the evaluation asks the model
//!   ([`crate::fewshot::PretrainedModel::suggest`]).
//!
//! Every sampler is deterministic for a seed, returns exactly K distinct
//! candidates, and errors when K exceeds the candidates.

mod kmeans;

use crate::adapt::DesignColumns;
use crate::error::{Error, Result};
use latscope_shared::features::cost_features;
use latscope_shared::space::Arch;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// The sampling strategies, by command-line name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SamplerKind {
    /// `random`: K candidates uniformly, without replacement.
    Random,
    /// `cost-stratified`: one random candidate from each of K equal-size FLOPs quantile
    /// buckets, so every cost range is covered.
    CostStratified,
    /// `encoding-diverse`: ⌈K/2⌉ k-means centroids' nearest candidates in `onehot-v1` space,
    /// the rest by farthest-point selection in cosine distance.
    EncodingDiverse,
    /// `reference`: HELP's reference architectures first, then random ones to fill K.
    Reference,
    /// `suggest`: the greedy design over a pretrained model's structure columns; needs the
    /// model.
    Suggest,
    /// `suggest-log`: the greedy design over a pretrained model's predicted ln ms; needs the
    /// model.
    SuggestLog,
}

impl SamplerKind {
    /// Every sampler, in the order their names are listed to users.
    pub const ALL: [SamplerKind; 6] = [
        SamplerKind::Random,
        SamplerKind::CostStratified,
        SamplerKind::EncodingDiverse,
        SamplerKind::Reference,
        SamplerKind::Suggest,
        SamplerKind::SuggestLog,
    ];

    /// The sampler's command-line name; [`FromStr`] parses it back.
    pub const fn name(&self) -> &'static str {
        match self {
            SamplerKind::Random => "random",
            SamplerKind::CostStratified => "cost-stratified",
            SamplerKind::EncodingDiverse => "encoding-diverse",
            SamplerKind::Reference => "reference",
            SamplerKind::Suggest => "suggest",
            SamplerKind::SuggestLog => "suggest-log",
        }
    }

    /// The columns a model-driven sampler spreads its picks over (None for
    /// the samplers that need no model).
    pub const fn design(&self) -> Option<DesignColumns> {
        match self {
            SamplerKind::Suggest => Some(DesignColumns::Structure),
            SamplerKind::SuggestLog => Some(DesignColumns::LogOutputs),
            _ => None,
        }
    }
}

impl fmt::Display for SamplerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SamplerKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| Error::UnknownName {
                what: "sampler",
                name: s.to_string(),
                known: Self::ALL.map(|k| k.name().to_string()).to_vec(),
            })
    }
}

/// FLOPs (MACs) of each architecture on its space's default dataset.
pub fn arch_macs(archs: &[Arch]) -> Result<Vec<f64>> {
    archs
        .iter()
        .map(|a| Ok(cost_features(&a.lower_default()?).macs as f64))
        .collect()
}

/// A sampler over a fixed list of architectures, with what its strategy
/// needs computed once.
#[derive(Clone, Debug)]
pub struct Sampler {
    kind: SamplerKind,
    n_archs: usize,
    /// cost-stratified: MACs per architecture.
    macs: Vec<f64>,
    /// encoding-diverse: one-hot encodings, row-major.
    onehot: Vec<f32>,
    dim: usize,
    /// reference: positions of the reference architectures, in file order.
    reference: Vec<usize>,
}

impl Sampler {
    /// Prepares `kind` for `archs`. `reference` (HELP's reference
    /// architectures) is needed by the `reference` sampler only; those not
    /// among `archs` are ignored (an error if none is found).
    pub fn new(kind: SamplerKind, archs: &[Arch], reference: &[Arch]) -> Result<Self> {
        let mut s = Sampler {
            kind,
            n_archs: archs.len(),
            macs: Vec::new(),
            onehot: Vec::new(),
            dim: 0,
            reference: Vec::new(),
        };
        match kind {
            SamplerKind::Random | SamplerKind::Suggest | SamplerKind::SuggestLog => {}
            SamplerKind::CostStratified => s.macs = arch_macs(archs)?,
            SamplerKind::EncodingDiverse => {
                s.dim = archs.first().map_or(0, |a| a.space().onehot_len());
                s.onehot = archs.iter().flat_map(Arch::onehot).collect();
            }
            SamplerKind::Reference => {
                let position: HashMap<&Arch, usize> =
                    archs.iter().enumerate().map(|(i, a)| (a, i)).collect();
                s.reference = reference
                    .iter()
                    .filter_map(|a| position.get(a).copied())
                    .collect();
                if s.reference.is_empty() {
                    return Err(Error::Empty {
                        context: "the reference sampler".into(),
                        what: "reference architecture in the data",
                    });
                }
            }
        }
        Ok(s)
    }

    /// A sampler prepared from precomputed MACs (cost-stratified only), for
    /// callers that already have them.
    pub fn cost_stratified_from_macs(macs: Vec<f64>) -> Self {
        Sampler {
            kind: SamplerKind::CostStratified,
            n_archs: macs.len(),
            macs,
            onehot: Vec::new(),
            dim: 0,
            reference: Vec::new(),
        }
    }

    /// Which strategy this sampler follows.
    pub fn kind(&self) -> SamplerKind {
        self.kind
    }

    /// Picks `k` distinct architectures among `candidates` (indices into the
    /// architectures the sampler was built for), deterministically for
    /// `seed`.
    pub fn sample(&self, candidates: &[usize], k: usize, seed: u64) -> Result<Vec<usize>> {
        let mut seen = HashSet::with_capacity(candidates.len());
        for &c in candidates {
            if c >= self.n_archs {
                return Err(Error::IndexOutOfRange {
                    context: format!("the {} sampler", self.kind),
                    what: "candidate",
                    index: c,
                    len: self.n_archs,
                });
            }
            if !seen.insert(c) {
                return Err(Error::Duplicate {
                    context: format!("the {} sampler", self.kind),
                    what: "candidate",
                    index: c,
                });
            }
        }
        if k > candidates.len() {
            return Err(Error::SampleTooLarge {
                k,
                candidates: candidates.len(),
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let picked = match self.kind {
            SamplerKind::Random => random_subset(candidates, k, &mut rng),
            SamplerKind::CostStratified => self.stratified(candidates, k, &mut rng),
            SamplerKind::EncodingDiverse => self.diverse(candidates, k, &mut rng),
            SamplerKind::Reference => self.with_reference(candidates, k, &mut rng),
            SamplerKind::Suggest | SamplerKind::SuggestLog => {
                return Err(Error::SamplerNeedsModel {
                    sampler: self.kind.name(),
                    method: None,
                })
            }
        };
        debug_assert_eq!(picked.len(), k);
        Ok(picked)
    }

    fn stratified(&self, candidates: &[usize], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        if k == 0 {
            return Vec::new();
        }
        // Random tie-breaks, so equal-FLOPs architectures are not ordered by
        // index (NB201 has many FLOPs ties).
        let mut keyed: Vec<(f64, u64, usize)> = candidates
            .iter()
            .map(|&c| (self.macs[c], rng.random::<u64>(), c))
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let n = keyed.len();
        (0..k)
            .map(|i| {
                let (lo, hi) = (i * n / k, (i + 1) * n / k);
                keyed[rng.random_range(lo..hi)].2
            })
            .collect()
    }

    fn diverse(&self, candidates: &[usize], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        if k == 0 {
            return Vec::new();
        }
        let row = |c: usize| &self.onehot[c * self.dim..(c + 1) * self.dim];
        let points: Vec<&[f32]> = candidates.iter().map(|&c| row(c)).collect();
        let clusters = k.div_ceil(2);
        let nearest = kmeans::nearest_to_centroids(&points, clusters, rng);
        let mut chosen: Vec<usize> = Vec::with_capacity(k);
        let mut taken = vec![false; candidates.len()];
        for i in nearest {
            if !taken[i] {
                taken[i] = true;
                chosen.push(i);
            }
        }
        // Farthest point in cosine distance; ties go to a random order.
        let tiebreak: Vec<u64> = (0..candidates.len()).map(|_| rng.random()).collect();
        let mut min_dist = vec![f64::INFINITY; candidates.len()];
        for &c in &chosen {
            update_min_dist(&points, c, &mut min_dist);
        }
        while chosen.len() < k {
            let next = (0..candidates.len())
                .filter(|&i| !taken[i])
                .max_by(|&a, &b| {
                    min_dist[a]
                        .total_cmp(&min_dist[b])
                        .then(tiebreak[a].cmp(&tiebreak[b]))
                })
                .expect("k ≤ candidates");
            taken[next] = true;
            chosen.push(next);
            update_min_dist(&points, next, &mut min_dist);
        }
        chosen.into_iter().map(|i| candidates[i]).collect()
    }

    fn with_reference(&self, candidates: &[usize], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let allowed: HashSet<usize> = candidates.iter().copied().collect();
        let mut picked: Vec<usize> = self
            .reference
            .iter()
            .copied()
            .filter(|r| allowed.contains(r))
            .take(k)
            .collect();
        let taken: HashSet<usize> = picked.iter().copied().collect();
        let rest: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|c| !taken.contains(c))
            .collect();
        picked.extend(random_subset(&rest, k - picked.len(), rng));
        picked
    }
}

fn update_min_dist(points: &[&[f32]], from: usize, min_dist: &mut [f64]) {
    for (i, p) in points.iter().enumerate() {
        let d = kmeans::cosine_distance(p, points[from]);
        if d < min_dist[i] {
            min_dist[i] = d;
        }
    }
}

/// `k` distinct elements of `items` by a partial Fisher–Yates shuffle.
pub fn random_subset(items: &[usize], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut v = items.to_vec();
    for i in 0..k {
        let j = rng.random_range(i..v.len());
        v.swap(i, j);
    }
    v.truncate(k);
    v
}
