//! `RawConfig`: the serde mirror of `config.toml`, the only `Deserialize` types of the config.
//!
//! Every table denies unknown keys, so a typo fails loudly with its line and column. Defaults
//! live here, in one place; `config.toml` at the repository root documents each of them.

use serde::Deserialize;
use toml::Spanned;

/// The whole file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// A CSV file of subscribers (`email,name,topics`, topics separated by `;`), read besides
    /// `[[subscribers]]`; relative to the config file.
    pub subscribers_file: Option<Spanned<String>>,
    /// The delivery ledger (SQLite); default `<output_dir>/newsdigest.sqlite`.
    pub state_file: Option<Spanned<String>>,
    /// `[digest]`
    #[serde(default)]
    pub digest: RawDigest,
    /// `[select]`
    #[serde(default)]
    pub select: RawSelect,
    /// `[summary]`
    #[serde(default)]
    pub summary: RawSummary,
    /// `[[sources]]`
    #[serde(default)]
    pub sources: Vec<RawSource>,
    /// `[[topics]]`
    #[serde(default)]
    pub topics: Vec<RawTopic>,
    /// `[[subscribers]]`
    #[serde(default)]
    pub subscribers: Vec<RawSubscriber>,
    /// `[delivery]`
    #[serde(default)]
    pub delivery: RawDelivery,
    /// `[smtp]`, needed by `mode = "smtp"`.
    pub smtp: Option<Spanned<RawSmtp>>,
    /// `[fetch]`: how feeds and pages are fetched over HTTP.
    #[serde(default)]
    pub fetch: RawFetch,
    /// `[web]`: the subscribers' web service (`newsdigest serve`).
    #[serde(default)]
    pub web: RawWeb,
    /// `[bounces]`: when bounces suppress an address.
    #[serde(default)]
    pub bounces: RawBounces,
}

/// `[bounces]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBounces {
    /// Soft bounces that suppress an address…
    pub soft_limit: Option<Spanned<i64>>,
    /// … within this span (`15d`).
    pub soft_window: Option<Spanned<String>>,
    /// The environment variable holding Mailgun's webhook signing key (`serve` then takes
    /// Mailgun's bounce and complaint webhooks at `/hooks/mailgun`).
    pub mailgun_key_env: Option<Spanned<String>>,
    /// A file holding that key (its first line), instead.
    pub mailgun_key_file: Option<Spanned<String>>,
    /// The SNS topic SES publishes bounces and complaints to (`serve` then takes them at
    /// `/hooks/ses`, verified by SNS's signature).
    pub ses_topic_arn: Option<Spanned<String>>,
}

/// `[web]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    /// The public address of `serve` (`https://news.example.org`); personal links use it.
    pub base_url: Option<Spanned<String>>,
    /// Where `serve` listens (`127.0.0.1:8080`).
    pub listen: Option<Spanned<String>>,
    /// How long a sign-up's confirmation link works (`48h`).
    pub confirm_within: Option<Spanned<String>>,
    /// Whether `/subscribe` takes sign-ups (default true).
    pub signups: Option<bool>,
}

/// `[fetch]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFetch {
    /// Time to connect.
    pub connect_timeout: Spanned<String>,
    /// Time for a whole request, body included.
    pub timeout: Spanned<String>,
    /// Largest body accepted, in bytes.
    pub max_bytes: Spanned<i64>,
    /// Requests in flight at once (at most one per host).
    pub concurrency: Spanned<i64>,
    /// Networks (`10.0.0.0/8`) and hosts that links found in feeds and pages may reach
    /// although they are private.
    pub allow_private: Vec<Spanned<String>>,
    /// Time all of a run's teaser pages may take together.
    pub full_fetch_budget: Spanned<String>,
}

impl Default for RawFetch {
    fn default() -> Self {
        RawFetch {
            connect_timeout: Spanned::new(0..0, "10s".to_owned()),
            timeout: Spanned::new(0..0, "30s".to_owned()),
            max_bytes: Spanned::new(0..0, 10 * 1024 * 1024),
            concurrency: Spanned::new(0..0, 8),
            allow_private: Vec::new(),
            full_fetch_budget: Spanned::new(0..0, "60s".to_owned()),
        }
    }
}

/// `[digest]`: what the digest is called and where it is written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDigest {
    /// Title shown at the top of every digest.
    pub title: String,
    /// Language of the digests (the HTML `lang` attribute; `en` drives sentence splitting).
    pub language: String,
    /// Output folder for previews and the archive, relative to the config file.
    pub output_dir: String,
}

impl Default for RawDigest {
    fn default() -> Self {
        RawDigest {
            title: "The Morning Digest".to_owned(),
            language: "en".to_owned(),
            output_dir: "digests".to_owned(),
        }
    }
}

/// `[select]`: which articles make it into a digest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSelect {
    /// How far back from "now" an article may be published: `24h`, `36h`, `2d`, `90m`.
    pub window: Spanned<String>,
    /// At most this many articles per topic section.
    pub max_per_topic: Spanned<i64>,
    /// Name of a catch-all section for articles that match no topic; absent: no such section.
    pub other_section: Option<String>,
}

impl Default for RawSelect {
    fn default() -> Self {
        RawSelect {
            window: Spanned::new(0..0, "24h".to_owned()),
            max_per_topic: Spanned::new(0..0, 5),
            other_section: None,
        }
    }
}

/// `[summary]`: how long the lead summaries are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSummary {
    /// At most this many whole sentences.
    pub max_sentences: Spanned<i64>,
    /// At most this many words.
    pub max_words: Spanned<i64>,
}

impl Default for RawSummary {
    fn default() -> Self {
        RawSummary { max_sentences: Spanned::new(0..0, 3), max_words: Spanned::new(0..0, 40) }
    }
}

/// `[[sources]]`: where articles come from. One flat table for every `kind` (checked in
/// `validate`), not a serde-tagged enum: serde buffers tagged enums, which loses the place
/// of every key inside them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// `files` (article files under a folder) or `feed` (RSS, Atom or JSON Feed).
    pub kind: Spanned<String>,
    /// A short unique name; defaults to the folder's name, the URL's host and path, or the
    /// feed file's stem.
    pub id: Option<Spanned<String>>,
    /// Files: the publication name shown for articles that state none. Feeds: the name
    /// shown in digests (default: the feed's own title).
    pub name: Option<Spanned<String>>,
    /// Files: the folder, searched recursively; relative to the config file.
    pub path: Option<Spanned<String>>,
    /// Files: the largest file read, in bytes (default 10 MiB); larger ones are skipped.
    pub max_bytes: Option<Spanned<i64>>,
    /// Feeds: `https://…`, `http://…`, or a path relative to the config file.
    pub url: Option<Spanned<String>>,
    /// Feeds: `auto` (default), `always` or `never`: fetch the linked page when an item is
    /// a teaser.
    pub fetch_full: Option<Spanned<String>>,
    /// Feeds: topic hints for every item (matched like front-matter tags).
    pub tags: Option<Spanned<Vec<String>>>,
}

/// `[[topics]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    /// Unique id, used by subscribers and front matter.
    pub id: Spanned<String>,
    /// Display name; defaults to the id.
    pub name: Option<String>,
    /// Words and phrases that put an article in this topic.
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    /// Words and phrases that keep an article out of this topic.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// The least relevance score for a match (default 2: one title hit, or two body hits).
    pub min_score: Option<Spanned<f64>>,
}

/// `[[subscribers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubscriber {
    /// Address, `jane@example.com`.
    pub email: Spanned<String>,
    /// Display name.
    pub name: Option<String>,
    /// Topic ids; empty means every topic.
    #[serde(default)]
    pub topics: Vec<Spanned<String>>,
}

/// `[delivery]`: how digests leave the machine and what their headers say.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDelivery {
    /// `outbox` (write `.eml` files) or `smtp`.
    pub mode: Spanned<String>,
    /// The From mailbox, `Name <address>`.
    pub from: Spanned<String>,
    /// The Reply-To mailbox.
    pub reply_to: Option<Spanned<String>>,
    /// The List-Id (`morning.example.org`); default derived from the From address.
    pub list_id: Option<Spanned<String>>,
    /// Subject template with `{title}`, `{date}`, `{headline}`, `{count}`, `{topics}`.
    pub subject: Spanned<String>,
    /// A subscriber with fewer selected articles than this gets no mail that day.
    pub min_items: Spanned<i64>,
    /// An https page that unsubscribes in one click, given `email` and `token`.
    pub unsubscribe_url: Option<Spanned<String>>,
    /// The address of `List-Unsubscribe: <mailto:…>`; default Reply-To, else From.
    pub unsubscribe_email: Option<Spanned<String>>,
    /// The environment variable holding the secret of personal link tokens.
    pub unsubscribe_secret_env: String,
    /// A file holding that secret (its first line), instead of the environment variable.
    pub unsubscribe_secret_file: Option<Spanned<String>>,
    /// The sender's postal address, shown in every footer (CAN-SPAM asks for one).
    pub postal_address: Option<Spanned<String>>,
    /// The return path's mailbox (`bounces@example.org`): each message's envelope sender is
    /// `bounces+TOKEN@example.org`, naming the subscriber and the day (VERP).
    pub bounce_address: Option<Spanned<String>>,
    /// Drop the lowest-ranked stories until a digest's HTML fits this many bytes.
    pub clip_budget: Option<Spanned<i64>>,
    /// Attempts per message within a run, for transient failures.
    pub max_attempts: Spanned<i64>,
    /// Stop the run after this many failed messages in a row.
    pub max_consecutive_failures: Spanned<i64>,
    /// Optional DKIM signing.
    pub dkim: Option<RawDkim>,
}

impl Default for RawDelivery {
    fn default() -> Self {
        RawDelivery {
            mode: Spanned::new(0..0, "outbox".to_owned()),
            from: Spanned::new(0..0, "newsdigest <newsdigest@localhost>".to_owned()),
            reply_to: None,
            list_id: None,
            subject: Spanned::new(0..0, "{headline} {more} — {title}".to_owned()),
            min_items: Spanned::new(0..0, 1),
            unsubscribe_url: None,
            unsubscribe_email: None,
            unsubscribe_secret_env: "NEWSDIGEST_UNSUBSCRIBE_SECRET".to_owned(),
            unsubscribe_secret_file: None,
            postal_address: None,
            bounce_address: None,
            clip_budget: None,
            max_attempts: Spanned::new(0..0, 4),
            max_consecutive_failures: Spanned::new(0..0, 20),
            dkim: None,
        }
    }
}

/// `[delivery.dkim]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDkim {
    /// The private key file: PKCS#1 PEM for RSA, base64 of the 32-byte key for Ed25519.
    pub key_file: Spanned<String>,
    /// The selector: the key is published at `<selector>._domainkey.<domain>`.
    pub selector: Spanned<String>,
    /// The signing domain (`d=`); default the From address's domain.
    pub domain: Option<Spanned<String>>,
    /// `rsa` (default) or `ed25519`.
    pub algorithm: Option<Spanned<String>>,
}

/// `[smtp]`: the relay.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    /// Host name of the relay.
    pub host: Spanned<String>,
    /// Port; default by `tls`: 587 for starttls, 465 for tls, 25 for none.
    pub port: Option<Spanned<i64>>,
    /// `starttls` (default), `tls` or `none`.
    pub tls: Option<Spanned<String>>,
    /// Allow `tls = "none"` to a host other than localhost.
    #[serde(default)]
    pub allow_insecure: bool,
    /// PEM file of extra root certificates to trust (a private relay's own CA).
    pub ca_file: Option<Spanned<String>>,
    /// Login name.
    pub username: Option<Spanned<String>>,
    /// The environment variable holding the password.
    pub password_env: Option<Spanned<String>>,
    /// A file holding the password (its first line).
    pub password_file: Option<Spanned<String>>,
    /// Connect and command timeout (`30s`).
    pub timeout: Option<Spanned<String>>,
    /// Messages in flight at once (default 4).
    pub concurrency: Option<Spanned<i64>>,
    /// At most this many messages a second.
    pub rate: Option<Spanned<f64>>,
    /// At most this many messages in any hour, across runs.
    pub max_per_hour: Option<Spanned<i64>>,
    /// First retry delay; doubles each attempt, with jitter (`2s`).
    pub retry_delay: Option<Spanned<String>>,
}
