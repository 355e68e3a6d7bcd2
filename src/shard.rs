//! Shards: one edition sent by N machines (or N processes) together, `run --shard K/N`.
//!
//! A shard takes the subscribers whose address hashes to it: the first eight bytes of the
//! SHA-256 of the lowercased address, as a big-endian number, modulo N. The hash depends on
//! nothing but the address, so every machine agrees on who is whose without talking to the
//! others, and an address stays in its shard from day to day.
//!
//! Each shard keeps its own ledger, in a folder of its own beside the configured one
//! (`digests/shard-2-of-3/newsdigest.sqlite` for `state_file = "digests/newsdigest.sqlite"`),
//! so shards on one machine do not share a lock, and each marks the archive folders with its
//! own name ([`Shard::mark_name`]). `status --ledger …` adds up shard ledgers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// Shard `index` of `count` (both counted from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1 to `count`.
    pub index: u32,
    /// How many shards share the audience.
    pub count: u32,
}

/// The most shards a list can be split into.
pub const MAX_SHARDS: u32 = 4096;

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || format!("`{text}` is not a shard: write K/N, as in 2/3 (shard 2 of 3)");
        let (index, count) = text.trim().split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("`{text}`: the number of shards must be from 1 to {MAX_SHARDS}"));
        }
        if index == 0 || index > count {
            return Err(format!("`{text}`: the shard must be from 1 to {count}"));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The shard, from 1 to `count`, that `email` belongs to.
    pub fn of(email: &str, count: u32) -> u32 {
        let hash = Sha256::digest(email.trim().to_lowercase().as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&hash[..8]);
        let slot = u64::from_be_bytes(head) % u64::from(count.max(1));
        // Below `count`, which is a u32.
        u32::try_from(slot).unwrap_or(0) + 1
    }

    /// The shard of the same count that `email` belongs to (this one or another).
    pub fn owner_of(&self, email: &str) -> Shard {
        Shard { index: Shard::of(email, self.count), count: self.count }
    }

    /// True when `email` is this shard's to send.
    pub fn contains(&self, email: &str) -> bool {
        Shard::of(email, self.count) == self.index
    }

    /// This shard's ledger: `state_file`'s name in a folder `shard-K-of-N` beside it.
    pub fn state_file(&self, state_file: &Path) -> PathBuf {
        let name = state_file.file_name().map_or_else(
            || std::ffi::OsString::from("newsdigest.sqlite"),
            std::ffi::OsStr::to_os_string,
        );
        let parent = state_file.parent().unwrap_or_else(|| Path::new(""));
        parent.join(self.dir_name()).join(name)
    }

    /// `shard-K-of-N`: the folder of this shard's ledger, and the path its web service
    /// answers under.
    pub fn dir_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// This shard's public address under the list's `web.base_url` (`root`):
    /// `https://news.example.org/shard-2-of-3`. A shard's personal links name it, so a proxy
    /// in front of the shards' `serve` sends each request to the shard that can read it.
    pub fn base_url(&self, root: &str) -> String {
        format!("{}/{}", root.trim_end_matches('/'), self.dir_name())
    }

    /// This shard's bounce address: `bounces-shard-2-of-3@example.org` for
    /// `bounces@example.org`. A shard's VERP return paths name subscriber ids of its own
    /// ledger; the address tells whose ledger they are, so a shard reads only its own.
    ///
    /// # Errors
    /// When the address with the shard's name is not a valid address.
    pub fn bounce_address(&self, address: &lettre::Address) -> Result<lettre::Address, String> {
        lettre::Address::new(format!("{}-{}", address.user(), self.dir_name()), address.domain())
            .map_err(|err| {
                format!(
                    "delivery.bounce_address `{address}` cannot take the shard's name \
                     (`{}-{}`): {err}",
                    address.user(),
                    self.dir_name()
                )
            })
    }

    /// `config` as this shard runs it: its own ledger (see [`Shard::state_file`]), its own
    /// public address (see [`Shard::base_url`]) when there is a web service, its own bounce
    /// address (see [`Shard::bounce_address`]), and the shard recorded in `web.shard` for the
    /// service to send sign-ups of other shards on.
    ///
    /// # Errors
    /// As [`Shard::bounce_address`].
    pub fn configure(
        &self,
        mut config: crate::config::Config,
    ) -> Result<crate::config::Config, String> {
        config.state_file = self.state_file(&config.state_file);
        if let Some(base) = config.web.base_url.as_mut() {
            *base = self.base_url(base);
        }
        if let Some(address) = config.delivery.bounce_address.as_mut() {
            *address = self.bounce_address(address)?;
        }
        config.web.shard = Some(*self);
        Ok(config)
    }

    /// The list's `web.base_url` given a shard's (`base_url`), when it is one.
    pub fn root_url<'a>(&self, base_url: &'a str) -> Option<&'a str> {
        base_url.strip_suffix(&format!("/{}", self.dir_name()))
    }

    /// The name of this shard's ledger mark in an archive folder.
    pub fn mark_name(&self) -> String {
        format!("{}.shard-{}-of-{}", crate::archive::LEDGER_MARK, self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_refuses_the_rest() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(" 1 / 1 ".parse::<Shard>(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/5000", "-1/3"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn every_address_is_in_exactly_one_shard_and_shards_are_even() {
        let mut sizes = [0usize; 3];
        for i in 0..3000 {
            let email = format!("Reader{i}@Example.org");
            let owners: Vec<u32> =
                (1..=3).filter(|&index| Shard { index, count: 3 }.contains(&email)).collect();
            assert_eq!(owners.len(), 1, "{email}: {owners:?}");
            assert!(Shard { index: owners[0], count: 3 }.contains(&email.to_lowercase()));
            sizes[owners[0] as usize - 1] += 1;
        }
        assert!(sizes.iter().all(|&n| (900..1100).contains(&n)), "{sizes:?}");
        // Stable: the hash is SHA-256, not a per-process hasher.
        assert_eq!(Shard::of("ana@example.org", 3), Shard::of("ANA@example.org ", 3));
        assert!(Shard { index: 1, count: 1 }.contains("anyone@example.org"));
    }

    #[test]
    fn each_shard_has_its_own_ledger_folder_and_mark() {
        let shard = Shard { index: 2, count: 3 };
        assert_eq!(
            shard.state_file(Path::new("digests/newsdigest.sqlite")),
            Path::new("digests/shard-2-of-3/newsdigest.sqlite")
        );
        assert_eq!(shard.mark_name(), ".newsdigest-ledger.shard-2-of-3");
    }

    #[test]
    fn each_shard_has_its_own_public_address() {
        let shard = Shard { index: 2, count: 3 };
        let base = shard.base_url("https://news.example.org/");
        assert_eq!(base, "https://news.example.org/shard-2-of-3");
        assert_eq!(shard.root_url(&base), Some("https://news.example.org"));
        assert_eq!(Shard { index: 1, count: 3 }.root_url(&base), None);
        let mut config = crate::config::Config::defaults();
        config.web.base_url = Some("https://news.example.org/letters".to_owned());
        let ledger = shard.state_file(&config.state_file);
        config.delivery.bounce_address = "bounces@news.example.org".parse().ok();
        let config = shard.configure(config).unwrap();
        assert_eq!(
            config.delivery.bounce_address.map(|address| address.to_string()).as_deref(),
            Some("bounces-shard-2-of-3@news.example.org")
        );
        assert_eq!(
            config.web.base_url.as_deref(),
            Some("https://news.example.org/letters/shard-2-of-3")
        );
        assert_eq!(config.state_file, ledger);
        assert!(ledger.ends_with("digests/shard-2-of-3/newsdigest.sqlite"));
        assert_eq!(config.web.shard, Some(shard));
    }
}
