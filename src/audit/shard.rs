//! Splitting an audit across machines: shard K of N holds the
//! repositories whose identity hashes to K - 1 modulo N — stable across
//! runs and machines, whatever order repositories are listed in. With
//! `--shards N`, Kubernetes Indexed Jobs' `JOB_COMPLETION_INDEX` (from 0)
//! picks K.

use sha2::Digest as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 1.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `K/N`, 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected K/N with 1 <= K <= N (such as 2/8)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Shard `JOB_COMPLETION_INDEX + 1` of `count`.
    pub fn from_job_index(count: u64) -> Result<Shard, String> {
        let index = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
            "--shards needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); or use --shard K/N".to_string()
        })?;
        let index: u64 = index.trim().parse().map_err(|_| format!("JOB_COMPLETION_INDEX {index:?} is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("JOB_COMPLETION_INDEX {index} is not below --shards {count}"));
        }
        Ok(Shard { index: index + 1, count })
    }

    pub fn holds(&self, identity: &str) -> bool {
        let digest = sha2::Sha256::digest(identity.as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(head) % self.count == self.index - 1
    }

    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_repositories() {
        let names: Vec<String> = (0..200).map(|n| format!("https://example.com/org/repo{n}")).collect();
        let shards: Vec<Shard> = (1..=3).map(|k| Shard { index: k, count: 3 }).collect();
        for name in &names {
            assert_eq!(shards.iter().filter(|s| s.holds(name)).count(), 1);
        }
        assert!(shards.iter().all(|s| names.iter().any(|n| s.holds(n))));
        assert!(Shard::parse("0/3").is_err() && Shard::parse("4/3").is_err() && Shard::parse("x").is_err());
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
    }
}
