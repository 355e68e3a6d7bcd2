//! Domain types shared by the stages. No I/O, no serde.
//!
//! Data flows `RawArticle → Article → Selection → Digest`; each stage consumes its input and
//! returns the next type.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};

/// A stable identity for an article: its canonical URL when known, else a content hash.
///
/// Later runs recognise an article by this id, so its format is a compatibility boundary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArticleId(String);

impl ArticleId {
    /// An id from a canonical URL (already normalised by the caller).
    pub fn from_url(url: &str) -> Self {
        ArticleId(format!("url:{url}"))
    }

    /// An id from a feed item's GUID, scoped by its source (GUIDs are unique per feed only).
    pub fn from_guid(source_id: &str, guid: &str) -> Self {
        ArticleId(format!("guid:{source_id}:{guid}"))
    }

    /// An id from the article's title and text, for articles with no URL.
    pub fn from_content(title: &str, paragraphs: &[String]) -> Self {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(title.as_bytes());
        for paragraph in paragraphs {
            hasher.update(b"\n");
            hasher.update(paragraph.as_bytes());
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
        ArticleId(format!("sha256:{hex}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The format of an article file, told apart by extension and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleFormat {
    /// A news page saved as plain text, with the noise a page dump carries.
    TextDump,
    /// Markdown, optionally with TOML (`+++`) or YAML (`---`) front matter.
    Markdown,
    /// An HTML page.
    Html,
    /// An item of an RSS, Atom or JSON feed.
    FeedItem,
}

impl ArticleFormat {
    /// A short lowercase name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ArticleFormat::TextDump => "text",
            ArticleFormat::Markdown => "markdown",
            ArticleFormat::Html => "html",
            ArticleFormat::FeedItem => "feed",
        }
    }
}

/// What ingest produces: the untrusted bytes of one file, not yet understood.
#[derive(Debug, Clone)]
pub struct RawArticle {
    /// The file it came from.
    pub path: PathBuf,
    /// The `id` of the `[[sources]]` entry that found it.
    pub source_id: String,
    /// The file's content, decoded to text (lossily if it was not UTF-8).
    pub text: String,
    /// True when the file was not valid UTF-8 and was decoded lossily.
    pub lossy: bool,
    /// The file's modification time (for a feed, the fetch time), used when the article
    /// states no date.
    pub modified: Option<DateTime<FixedOffset>>,
    /// The source's display name, when configured: used for articles that state none.
    pub source_name: Option<String>,
    /// For a feed item: what the feed said of it (`text` is then empty).
    pub feed: Option<FeedEntry>,
}

impl RawArticle {
    /// A feed item as a raw article: its path is its link (else `fallback_path`, the feed's
    /// location), `first_seen` dates it when it states no date.
    pub fn feed_item(
        entry: FeedEntry,
        source_id: &str,
        fallback_path: &str,
        first_seen: Option<DateTime<FixedOffset>>,
    ) -> RawArticle {
        RawArticle {
            path: PathBuf::from(entry.link.as_deref().unwrap_or(fallback_path)),
            source_id: source_id.to_owned(),
            text: String::new(),
            lossy: false,
            modified: first_seen,
            source_name: None,
            feed: Some(entry),
        }
    }
}

/// One feed item as the feed gave it: untrusted, its content still HTML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedEntry {
    /// The item's own id (RSS GUID, Atom id, JSON Feed id), made unique within its feed.
    pub guid: Option<String>,
    /// The item's title.
    pub title: Option<String>,
    /// The item's link.
    pub link: Option<String>,
    /// Published (or else updated) time.
    pub published: Option<DateTime<FixedOffset>>,
    /// The author's name.
    pub author: Option<String>,
    /// Categories, used as stated tags.
    pub categories: Vec<String>,
    /// The content, else the summary: HTML or plain text.
    pub content: String,
    /// The summary (description) as well, when `content` is the item's content and the
    /// summary differs: extract takes whichever of the two gives more text (a
    /// `content:encoded` holding only an image must not hide a description with a sentence).
    pub summary: Option<String>,
    /// True when `content` is the linked page's article rather than the feed's own text.
    pub full_page: bool,
    /// The feed's display name (configured, else the feed's title, else the source id).
    pub source_name: String,
}

/// Where an article's publication date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrigin {
    /// The file stated it (front matter, HTML metadata).
    Stated,
    /// The file's modification time stood in.
    FileTime,
    /// Neither was known (no date: the article never falls inside a window).
    Unknown,
}

/// An article after extraction: plain text only, HTML never leaves `extract`.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Stable identity.
    pub id: ArticleId,
    /// Headline.
    pub title: String,
    /// Body paragraphs, plain text, NFC-normalised, whitespace collapsed.
    pub paragraphs: Vec<String>,
    /// Canonical URL when known.
    pub url: Option<String>,
    /// Publication time when known (stated or file time).
    pub published: Option<DateTime<FixedOffset>>,
    /// Where `published` came from.
    pub date_origin: DateOrigin,
    /// Name of the publication (site name, front matter `source`, else the source id).
    pub source: String,
    /// Author when stated.
    pub author: Option<String>,
    /// Topics or tags the file itself states.
    pub tags: Vec<String>,
    /// The file it came from.
    pub origin: PathBuf,
    /// Its format.
    pub format: ArticleFormat,
    /// Other sources' copies of the same story, folded into this one by selection.
    pub copies: Vec<StoryCopy>,
}

#[cfg(test)]
impl Article {
    /// An undated article for unit tests, its id from its title.
    pub(crate) fn for_test(title: &str, paragraphs: &[&str]) -> Article {
        Article {
            id: ArticleId::from_url(title),
            title: title.to_owned(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            url: None,
            published: None,
            date_origin: DateOrigin::Unknown,
            source: "s".to_owned(),
            author: None,
            tags: Vec::new(),
            origin: PathBuf::new(),
            format: ArticleFormat::Markdown,
            copies: Vec::new(),
        }
    }
}

/// Another source's copy of a story, kept so the digest can say `Also in: …` and the ledger
/// can remember that the copy went out too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryCopy {
    /// The copy's id.
    pub id: ArticleId,
    /// Its canonical URL.
    pub url: Option<String>,
    /// Its publication's name.
    pub source: String,
}

impl Article {
    /// The names of the other publications that carried this story, each once.
    pub fn also_in(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for copy in &self.copies {
            if copy.source != self.source && !names.contains(&copy.source.as_str()) {
                names.push(&copy.source);
            }
        }
        names
    }
}

/// Why an article belongs to a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicMatch {
    /// The topic's id.
    pub topic_id: String,
    /// Relevance: weighted keyword hits (title hits weigh more) plus stated tags.
    pub score: f64,
    /// The keywords (and `tag:` entries) that matched, in the order first found.
    pub terms: Vec<String>,
}

/// An article with the topics it matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The article.
    pub article: Article,
    /// Matched topics, best first.
    pub topics: Vec<TopicMatch>,
}

/// The result of selection: articles within the window, deduplicated, with their topics.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Articles kept, newest first.
    pub articles: Vec<Classified>,
    /// Articles dropped because they fell outside the window.
    pub outside_window: usize,
    /// Articles dropped as duplicates (same id or same normalised title).
    pub duplicates: usize,
}

/// A lead summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The summary text: whole sentences, or a cut first sentence ending in `…`.
    pub text: String,
    /// True when the first sentence alone exceeded the budget and was cut.
    pub truncated: bool,
}

/// One article as it appears in a digest.
#[derive(Debug, Clone)]
pub struct DigestItem {
    /// The article.
    pub article: Article,
    /// Its lead summary.
    pub summary: Summary,
    /// How it matched the section's topic.
    pub matched: TopicMatch,
}

/// One topic's section of a digest.
#[derive(Debug, Clone)]
pub struct TopicSection {
    /// Topic id (`other` for the catch-all section).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Items, most relevant first.
    pub items: Vec<DigestItem>,
}

/// A digest for one set of topics on one day.
#[derive(Debug, Clone)]
pub struct Digest {
    /// The digest's title (from config).
    pub title: String,
    /// The edition's date.
    pub date: NaiveDate,
    /// A stable name for this topic set, used for file names (`all`, `ukraine-war+tech`).
    pub slug: String,
    /// Display names of the topics this digest covers.
    pub topic_names: Vec<String>,
    /// Sections in the configured topic order; empty sections are left out.
    pub sections: Vec<TopicSection>,
}

impl Digest {
    /// Number of items across all sections.
    pub fn item_count(&self) -> usize {
        self.sections.iter().map(|section| section.items.len()).sum()
    }
}

/// A subscriber: where a digest goes and which topics it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Name and address.
    pub mailbox: lettre::message::Mailbox,
    /// Topic ids (validated to exist); empty means every topic.
    pub topics: Vec<String>,
    /// The id the ledger gave the address (personal links name it); `None` until the ledger
    /// has recorded it (in the config, and in dry runs of new addresses).
    pub id: Option<i64>,
    /// Listed in the config's `subscribers_file` rather than `[[subscribers]]`.
    pub from_file: bool,
}
