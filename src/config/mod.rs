//! Configuration: `config.toml` parsed once into validated, typed sections.
//!
//! [`raw`] is the serde mirror of the file; [`validate`] turns it into [`Config`], collecting
//! every problem before failing. Each stage receives only its own section.

mod delivery;
pub mod raw;
mod recover;
mod subscribers;
pub mod validate;

pub use subscribers::{ListMode, SubscriberList, check_address};

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use std::time::Duration;

use chrono::TimeDelta;
use lettre::Address;
use lettre::message::Mailbox;

use crate::model::Subscriber;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[digest]` and the parts of it that rendering needs.
    pub digest: DigestConfig,
    /// `[select]` plus the topics.
    pub select: SelectConfig,
    /// `[summary]`.
    pub summary: SummaryConfig,
    /// `[[sources]]`.
    pub sources: Vec<SourceConfig>,
    /// `[[subscribers]]` followed by the rows of `subscribers_file` (not those rows when
    /// loaded with [`Config::load_without_list`] or [`Config::load_checking_list`]).
    pub subscribers: Vec<Subscriber>,
    /// `subscribers_file`, when the config names one.
    pub subscribers_file: Option<SubscriberList>,
    /// `[delivery]` and `[smtp]`.
    pub delivery: DeliveryConfig,
    /// The delivery ledger (SQLite).
    pub state_file: PathBuf,
    /// `[fetch]`.
    pub fetch: FetchConfig,
    /// `[web]`.
    pub web: WebConfig,
    /// `[bounces]`.
    pub bounces: BouncesConfig,
}

/// `[bounces]`: the policy for bounces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BouncesConfig {
    /// Soft bounces within `soft_window` that suppress an address (a hard bounce and a
    /// complaint suppress at once).
    pub soft_limit: usize,
    /// The span soft bounces are counted over.
    pub soft_window: chrono::TimeDelta,
    /// Where Mailgun's webhook signing key is: an environment variable, or a file.
    pub mailgun_key: Option<SecretSource>,
    /// The SNS topic of SES notifications, for `/hooks/ses`.
    pub ses_topic_arn: Option<String>,
}

/// Where a secret is read from at run time (never the config itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file's first line.
    File(PathBuf),
}

impl SecretSource {
    /// The secret, when it is set.
    ///
    /// # Errors
    /// When the file cannot be read; the message names it.
    pub fn read(&self) -> Result<Option<String>, String> {
        match self {
            SecretSource::Env(name) => Ok(std::env::var(name).ok().filter(|s| !s.is_empty())),
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|text| {
                    text.lines().next().map(|l| l.trim().to_owned()).filter(|s| !s.is_empty())
                })
                .map_err(|err| format!("cannot read `{}`: {err}", path.display())),
        }
    }
}

/// `[web]`: the subscribers' web service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// The public address, without a trailing slash; personal links (one-click unsubscribe,
    /// preferences, "View in browser") need it.
    pub base_url: Option<String>,
    /// Where `serve` listens.
    pub listen: std::net::SocketAddr,
    /// How long a confirmation link works.
    pub confirm_within: Duration,
    /// Whether `/subscribe` takes sign-ups.
    pub signups: bool,
    /// The shard this config runs as (`--shard K/N`, see [`crate::shard::Shard::configure`]);
    /// never read from the file.
    pub shard: Option<crate::shard::Shard>,
}

/// `[fetch]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time for a whole request.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Networks and hosts that links from content may reach although they are private.
    pub allow_private: Vec<AllowedPrivate>,
    /// Time all of a run's teaser pages may take together.
    pub full_fetch_budget: Duration,
}

/// An entry of `[fetch] allow_private`: a network (`10.0.0.0/8`, `127.0.0.1`) or a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedPrivate {
    /// An address and prefix length.
    Network {
        /// The network's address.
        addr: std::net::IpAddr,
        /// The prefix length.
        prefix: u8,
    },
    /// A host name, lower-case, without a trailing dot.
    Host(String),
}

impl AllowedPrivate {
    /// Parses `10.0.0.0/8`, `fd00::/8`, `127.0.0.1` or `intranet.example.org`.
    ///
    /// # Errors
    /// What is wrong with the entry.
    pub fn parse(text: &str) -> Result<AllowedPrivate, String> {
        let text = text.trim();
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        if let Ok(addr) = addr_text.trim_start_matches('[').trim_end_matches(']').parse() {
            let max = if matches!(addr, std::net::IpAddr::V4(_)) { 32 } else { 128 };
            let prefix = match prefix_text {
                None => max,
                Some(prefix) => match prefix.parse::<u8>() {
                    Ok(prefix) if prefix <= max => prefix,
                    _ => return Err(format!("`{text}`: the prefix length must be 0 to {max}")),
                },
            };
            return Ok(AllowedPrivate::Network { addr, prefix });
        }
        let host = text.trim_end_matches('.').to_ascii_lowercase();
        let valid = prefix_text.is_none()
            && !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if valid {
            Ok(AllowedPrivate::Host(host))
        } else {
            Err(format!("`{text}` is neither a network (`10.0.0.0/8`), an address nor a host name"))
        }
    }

    /// True when `ip` is in this network (never for a host name).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let AllowedPrivate::Network { addr, prefix } = self else { return false };
        let (net, ip, bits): (u128, u128, u32) = match (addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => (u32::from(*net).into(), u32::from(ip).into(), 32),
            (IpAddr::V6(net), IpAddr::V6(ip)) => (u128::from(*net), u128::from(ip), 128),
            (IpAddr::V4(net), IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(ip) => (u32::from(*net).into(), u32::from(ip).into(), 32),
                None => return false,
            },
            (IpAddr::V6(_), IpAddr::V4(_)) => return false,
        };
        let shift = bits - u32::from(*prefix);
        shift >= bits || (net >> shift) == (ip >> shift)
    }
}

/// Where a feed is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedLocation {
    /// An http or https URL.
    Url(String),
    /// A local file.
    Path(PathBuf),
}

impl fmt::Display for FeedLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedLocation::Url(url) => f.write_str(url),
            FeedLocation::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

/// When to fetch an item's linked page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchFull {
    /// When the item is a teaser: fewer than two sentences or under 50 words.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `[delivery]`, with `[smtp]` when configured.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Where messages go.
    pub mode: DeliveryMode,
    /// The From mailbox.
    pub from: Mailbox,
    /// The Reply-To mailbox.
    pub reply_to: Option<Mailbox>,
    /// The List-Id value without angle brackets (`morning-digest.example.org`).
    pub list_id: String,
    /// Subject template (placeholders checked at load).
    pub subject: String,
    /// Fewest selected stories for a subscriber to get a mail.
    pub min_items: usize,
    /// The one-click unsubscribe page, when there is one.
    pub unsubscribe_url: Option<String>,
    /// The address of the `mailto:` unsubscribe link.
    pub unsubscribe_email: Address,
    /// The environment variable holding the secret of personal link tokens.
    pub unsubscribe_secret_env: String,
    /// A file holding that secret, read instead of the variable.
    pub unsubscribe_secret_file: Option<PathBuf>,
    /// The postal address shown in every footer.
    pub postal_address: Option<String>,
    /// The return path's mailbox, for VERP.
    pub bounce_address: Option<Address>,
    /// Most bytes of HTML before the lowest-ranked stories are dropped.
    pub clip_budget: Option<usize>,
    /// Attempts per message within a run.
    pub max_attempts: u32,
    /// Failed messages in a row that stop the run.
    pub max_consecutive_failures: usize,
    /// DKIM signing, when configured.
    pub dkim: Option<DkimConfig>,
    /// The relay, when `[smtp]` is present.
    pub smtp: Option<SmtpConfig>,
}

/// `[delivery] mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Write each message as an `.eml` file under `<output_dir>/<date>/outbox/`.
    Outbox,
    /// Send over SMTP with `[smtp]`.
    Smtp,
}

/// `[delivery.dkim]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimConfig {
    /// The PEM private key file.
    pub key_file: PathBuf,
    /// The selector.
    pub selector: String,
    /// The signing domain.
    pub domain: String,
    /// The key's algorithm.
    pub algorithm: DkimAlgorithm,
}

/// A DKIM key's algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimAlgorithm {
    /// RSA with SHA-256.
    Rsa,
    /// Ed25519 with SHA-256.
    Ed25519,
}

/// `[smtp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// How the connection is encrypted.
    pub tls: TlsMode,
    /// Extra root certificates to trust, when configured.
    pub ca_file: Option<PathBuf>,
    /// Login name, when the relay needs one.
    pub username: Option<String>,
    /// Where the password is read from at send time.
    pub password: Option<PasswordSource>,
    /// Connect and command timeout.
    pub timeout: Duration,
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Most messages a second.
    pub rate: Option<f64>,
    /// Most messages in any hour, across runs.
    pub max_per_hour: Option<usize>,
    /// First retry delay; it doubles with each attempt.
    pub retry_delay: Duration,
}

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: localhost only unless `allow_insecure`.
    None,
}

/// Where the SMTP password comes from; never the config file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An environment variable's name.
    Env(String),
    /// A file whose first line is the password.
    File(PathBuf),
}

/// `[digest]`.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// Title of every digest.
    pub title: String,
    /// Language code (`en`).
    pub language: String,
    /// Folder for previews and the archive (absolute, or relative to the working directory).
    pub output_dir: PathBuf,
}

/// `[select]` with the compiled topic list.
#[derive(Debug, Clone)]
pub struct SelectConfig {
    /// Articles published within this span before "now" are eligible.
    pub window: TimeDelta,
    /// Most articles per topic section.
    pub max_per_topic: usize,
    /// Name of the catch-all section for unmatched articles, when configured.
    pub other_section: Option<String>,
    /// Topics, in the configured order.
    pub topics: Vec<TopicConfig>,
}

/// One `[[topics]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Keywords and phrases.
    pub keywords: Vec<String>,
    /// Exclusions.
    pub exclude: Vec<String>,
    /// Least score for a match.
    pub min_score: f64,
}

/// `[summary]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryConfig {
    /// Most whole sentences.
    pub max_sentences: usize,
    /// Word budget; `None` lifts it (`article --sentences N`).
    pub max_words: Option<usize>,
}

/// One `[[sources]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceConfig {
    /// Article files under a folder.
    Files {
        /// Unique id.
        id: String,
        /// The folder (resolved against the config file's folder).
        path: PathBuf,
        /// The name shown for articles that state no publication.
        name: Option<String>,
        /// The largest file read, in bytes.
        max_bytes: usize,
    },
    /// A feed.
    Feed(FeedSource),
}

/// One `kind = "feed"` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSource {
    /// Unique id.
    pub id: String,
    /// Where it is read from.
    pub location: FeedLocation,
    /// Display name, when configured (else the feed's title).
    pub name: Option<String>,
    /// When to fetch linked pages.
    pub fetch_full: FetchFull,
    /// Topic hints for every item.
    pub tags: Vec<String>,
}

impl SourceConfig {
    /// The source's id.
    pub fn id(&self) -> &str {
        match self {
            SourceConfig::Files { id, .. } => id,
            SourceConfig::Feed(feed) => &feed.id,
        }
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    ///
    /// # Errors
    /// [`ConfigError`] when the file cannot be read, is not valid TOML, or has invalid values;
    /// all problems are collected.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with(path, ListMode::Load)
    }

    /// [`Config::load`] checking every row of `subscribers_file` without keeping them: for
    /// `run`, which reads them again as it goes ([`Config::for_each_listed`]), so that its
    /// memory does not grow with the list.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_checking_list(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with(path, ListMode::Check)
    }

    /// [`Config::load`] without reading `subscribers_file`: for the commands that work on the
    /// ledger alone (`status`, `retry`, `unsubscribe`, …), which then start at once whatever
    /// the list's size. `subscribers` holds the config's own `[[subscribers]]` only.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_without_list(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with(path, ListMode::Skip)
    }

    fn load_with(path: &Path, list: ListMode) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            path: path.to_path_buf(),
            problems: vec![ConfigProblem::new("", format!("cannot read the file: {err}"))],
            text: String::new(),
        })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let parsed =
            recover::raw_config(&text).and_then(|raw| validate::validate_with(raw, base_dir, list));
        parsed.map_err(|problems| ConfigError { path: path.to_path_buf(), problems, text })
    }

    /// Parses and validates config text; relative paths are resolved against `base_dir`.
    ///
    /// # Errors
    /// Every problem found, each with its key path and, where known, its place in `text`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Config, Vec<ConfigProblem>> {
        let raw = recover::raw_config(text)?;
        validate::validate(raw, base_dir)
    }

    /// Calls `each` with every listed subscriber: `[[subscribers]]`, then the rows of
    /// `subscribers_file`, from memory when they were loaded, else read from the file again
    /// one at a time (see [`Config::load_checking_list`]). Not the rows of a config loaded
    /// with [`Config::load_without_list`].
    ///
    /// # Errors
    /// A row that is no longer valid (the file changed since it was checked), or what `each`
    /// returns.
    pub fn for_each_listed(
        &self,
        mut each: impl FnMut(Subscriber) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        for subscriber in &self.subscribers {
            each(subscriber.clone())?;
        }
        match &self.subscribers_file {
            Some(list) if list.mode == ListMode::Check => {
                subscribers::for_each_row(list, &self.select.topics, each)
            }
            _ => Ok(()),
        }
    }

    /// What is valid but probably not meant: no subscribers at all.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let listed = self.subscribers_file.as_ref().is_some_and(|list| list.rows != Some(0));
        if self.subscribers.is_empty() && !listed {
            warnings.push(
                "no subscribers: `run` writes the digests but sends them to nobody; add \
                 [[subscribers]] or `subscribers_file`"
                    .to_owned(),
            );
        }
        warnings
    }

    /// The configuration used when there is no config file: defaults, no sources, no topics.
    pub fn defaults() -> Config {
        #[allow(clippy::expect_used, reason = "the defaults are valid: tested below")]
        Config::parse("", Path::new(".")).expect("the default config is valid")
    }
}

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Key path, `subscribers[2].topics`; empty for file-level problems.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
}

impl ConfigProblem {
    /// A problem at a key path with no known place in the file.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem { key: key.into(), message: message.into(), hint: None, span: None }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the byte range in the file (ignored when empty, as for defaults).
    pub fn at(mut self, span: Range<usize>) -> Self {
        if !span.is_empty() {
            self.span = Some(span);
        }
        self
    }
}

/// A config file that could not be used, with every problem found in it.
#[derive(Debug, Clone)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// The problems, in file order.
    pub problems: Vec<ConfigProblem>,
    /// The file's text, to turn spans into line and column.
    text: String,
}

impl ConfigError {
    /// Wraps problems found in `text` (read from `path`).
    pub fn new(path: PathBuf, text: String, problems: Vec<ConfigProblem>) -> Self {
        ConfigError { path, problems, text }
    }
}

impl std::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "invalid config `{}`: {count} {noun}", self.path.display())?;
        for problem in &self.problems {
            write!(f, "\n  ")?;
            if let Some(span) = &problem.span {
                let (line, column) = line_column(&self.text, span.start);
                write!(f, "{}:{line}:{column}: ", self.path.display())?;
            }
            if !problem.key.is_empty() {
                write!(f, "{}: ", problem.key)?;
            }
            write!(f, "{}", problem.message)?;
            if let Some(hint) = &problem.hint {
                write!(f, "\n    hint: {hint}")?;
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |rest| rest.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let config = Config::defaults();
        assert_eq!(config.summary, SummaryConfig { max_sentences: 3, max_words: Some(40) });
        assert_eq!(config.select.window, TimeDelta::hours(24));
        assert_eq!(config.select.max_per_topic, 5);
    }

    #[test]
    fn web_section_is_checked() {
        let config = Config::parse(
            "[web]\nbase_url = \"https://news.example.org/\"\nlisten = \"0.0.0.0:9000\"\nconfirm_within = \"24h\"\n[delivery]\npostal_address = \"1 Quay Street,\\n  Harbour Town\"\n",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(config.web.base_url.as_deref(), Some("https://news.example.org"));
        assert_eq!(config.web.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.web.confirm_within, Duration::from_secs(24 * 3600));
        assert_eq!(config.delivery.postal_address.as_deref(), Some("1 Quay Street, Harbour Town"));
        assert_eq!(Config::defaults().web.base_url, None);
        assert_eq!(Config::defaults().web.listen.to_string(), "127.0.0.1:8080");
        assert!(
            Config::parse("[web]\nbase_url = \"http://127.0.0.1:8080\"\n", Path::new(".")).is_ok()
        );
        for (text, message) in [
            ("[web]\nbase_url = \"http://news.example.org\"\n", "is plain http"),
            ("[web]\nbase_url = \"https://news.example.org/?a=1\"\n", "has a query"),
            ("[web]\nbase_url = \"news\"\n", "is not an absolute URL"),
            ("[web]\nlisten = \"8080\"\n", "is not an address and port"),
            (
                "[web]\nbase_url = \"https://n.example.org\"\n[delivery]\nunsubscribe_url = \"https://n.example.org/u\"\n",
                "are both set",
            ),
        ] {
            let problems = Config::parse(text, Path::new(".")).unwrap_err();
            assert!(problems.iter().any(|p| p.message.contains(message)), "{text}: {problems:?}");
        }
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 0), (1, 1));
    }
}
