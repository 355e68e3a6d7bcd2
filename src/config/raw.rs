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
        RawSummary { max_sentences: Spanned::new(0..0, 3), max_words: Spanned::new(0..0, 60) }
    }
}

/// `[[sources]]`: where articles come from, tagged by `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RawSource {
    /// `kind = "files"`: article files under a folder.
    Files(RawFilesSource),
}

/// `kind = "files"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilesSource {
    /// A short unique name; defaults to the folder's name.
    pub id: Option<String>,
    /// The folder, searched recursively; relative to the config file.
    ///
    /// (No `Spanned` here: serde buffers internally tagged enums, which loses spans.)
    pub path: String,
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
