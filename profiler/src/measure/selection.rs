//! Which architectures a campaign measures, and which share of them this
//! shard takes.

use anyhow::{bail, Context, Result};
use latscope_shared::dataset::read_tables_path;
use latscope_shared::features::cost_features_without_signatures;
use latscope_shared::space::{Arch, SpaceId};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::str::FromStr;

/// `--shard i/n`: this process measures positions i, i+n, i+2n, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This process's position `i`, in `0..count`.
    pub index: usize,
    /// How many processes share the list, `n` (at least 1).
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard takes i/n with 0 <= i < n, e.g. 0/4; got {s:?}");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// This shard's share of `items`: those at positions `index`,
    /// `index + count`, ..., in their order. The shards `0/n` to
    /// `(n-1)/n` together take every item exactly once.
    pub fn take<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip(self.index)
            .step_by(self.count)
            .cloned()
            .collect()
    }
}

/// Every architecture of a space that can be enumerated (NB201, in
/// benchmark-index order).
pub fn all(space: SpaceId) -> Result<Vec<Arch>> {
    space.enumerate().map_err(|e| {
        anyhow::anyhow!("{e}; choose some with --random N, --list FILE or --from-dataset FILE")
    })
}

/// `n` distinct architectures drawn uniformly (seeded) from `pool`, in pool
/// order. Growing `n` with the same seed keeps the earlier picks, so a
/// campaign can be extended and resumed.
pub fn random(pool: &[Arch], n: usize, seed: u64) -> Result<Vec<Arch>> {
    if n > pool.len() {
        bail!(
            "--random {n} asks for more architectures than the {} available",
            pool.len()
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.shuffle(&mut rng);
    let mut picked = order[..n].to_vec();
    picked.sort_unstable();
    Ok(picked.into_iter().map(|i| pool[i].clone()).collect())
}

/// `n` architectures spread over the cost range: the pool sorted by FLOPs
/// (of the space's default dataset) is cut into `n` strata of equal size,
/// and one architecture is drawn (seeded) from each. Cheap and expensive
/// networks are then measured in equal measure, which a uniform draw from
/// a space crowded in the middle does not give. Returned in pool order.
pub fn stratified(pool: &[Arch], n: usize, seed: u64) -> Result<Vec<Arch>> {
    if n == 0 || n > pool.len() {
        bail!(
            "--stratified {n} must be between 1 and the {} architectures available",
            pool.len()
        );
    }
    let mut by_cost: Vec<(f64, usize)> = Vec::with_capacity(pool.len());
    for (i, arch) in pool.iter().enumerate() {
        let net = arch.lower(arch.space().default_dataset())?;
        by_cost.push((cost_features_without_signatures(&net).mflops(), i));
    }
    by_cost.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut picked: Vec<usize> = (0..n)
        .map(|k| {
            let (lo, hi) = (k * pool.len() / n, (k + 1) * pool.len() / n);
            by_cost[rng.random_range(lo..hi)].1
        })
        .collect();
    picked.sort_unstable();
    Ok(picked.into_iter().map(|i| pool[i].clone()).collect())
}

/// One architecture per line; blank lines and `#` comments are skipped.
pub fn from_list(space: SpaceId, path: &Path) -> Result<Vec<Arch>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the architecture list {}", path.display()))?;
    let mut archs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let arch = space
            .parse_arch(line)
            .with_context(|| format!("{}:{}", path.display(), n + 1))?;
        archs.push(arch);
    }
    if archs.is_empty() {
        bail!("{} lists no architectures", path.display());
    }
    Ok(archs)
}

/// The architectures of a dataset file (of the given space), in file order.
pub fn from_dataset(space: SpaceId, path: &Path) -> Result<Vec<Arch>> {
    let tables = read_tables_path(path)?;
    let table = tables
        .into_iter()
        .find(|t| t.space() == space)
        .with_context(|| format!("{} holds no {space} architectures", path.display()))?;
    Ok(table.archs().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_list() {
        let items: Vec<usize> = (0..10).collect();
        let shards: Vec<Vec<usize>> = (0..3)
            .map(|i| Shard { index: i, count: 3 }.take(&items))
            .collect();
        assert_eq!(shards[0], [0, 3, 6, 9]);
        assert_eq!(shards[2], [2, 5, 8]);
        assert_eq!(shards.concat().len(), 10);
        assert!("3/3".parse::<Shard>().is_err());
        assert!("a/3".parse::<Shard>().unwrap_err().contains("i/n"));
    }

    #[test]
    fn random_is_seeded_and_distinct() {
        let pool = all(SpaceId::Nb201).unwrap();
        let a = random(&pool, 50, 1).unwrap();
        assert_eq!(a, random(&pool, 50, 1).unwrap());
        assert_ne!(a, random(&pool, 50, 2).unwrap());
        let mut codes: Vec<String> = a.iter().map(|x| x.to_string()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 50);
        assert!(random(&pool, 20_000, 1).is_err());
        // Extending a campaign keeps what it already picked.
        let more = random(&pool, 80, 1).unwrap();
        assert!(a.iter().all(|x| more.contains(x)));
    }

    #[test]
    fn stratified_covers_the_cost_range() {
        let pool = all(SpaceId::Nb201).unwrap();
        let picked = stratified(&pool, 10, 3).unwrap();
        assert_eq!(picked, stratified(&pool, 10, 3).unwrap());
        let flops = |a: &Arch| {
            cost_features_without_signatures(&a.lower(a.space().default_dataset()).unwrap())
                .mflops()
        };
        let mut costs: Vec<f64> = pool.iter().map(flops).collect();
        costs.sort_by(f64::total_cmp);
        let mut got: Vec<f64> = picked.iter().map(flops).collect();
        got.sort_by(f64::total_cmp);
        // One pick per tenth of the sorted costs: the k-th pick lies in the k-th decile.
        for (k, c) in got.iter().enumerate() {
            let lo = costs[k * pool.len() / 10];
            let hi = costs[(k + 1) * pool.len() / 10 - 1];
            assert!((lo..=hi).contains(c), "pick {k}: {c} outside [{lo}, {hi}]");
        }
        assert!(stratified(&pool, 0, 1).is_err());
    }
}
