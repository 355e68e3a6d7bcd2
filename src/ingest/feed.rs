//! Feeds: RSS 0.9x, 1.0 and 2.0, Atom 1.0 and JSON Feed 1.1 (feed-rs), read over HTTP or from
//! a file, turned into [`FeedEntry`] values with their content still HTML.
//!
//! A malformed feed yields the items that can still be read: when the whole document does not
//! parse, each `<item>` or `<entry>` is parsed on its own. Duplicate GUIDs inside one feed are
//! told apart by a hash of the item's link and title. Nothing here interprets the content.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use regex::Regex;
use sha2::{Digest as _, Sha256};

use super::fetch::{FailureCategory, FetchError, Fetched, Fetcher, Trust, Validators, decode};
use crate::config::{FeedLocation, FeedSource};
use crate::model::FeedEntry;

/// What fetching one feed gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// A new body, parsed.
    Fresh {
        /// The items.
        entries: Vec<FeedEntry>,
        /// The validators for next time.
        validators: Validators,
        /// When only part of the feed could be read: why.
        partial: Option<String>,
        /// True when bytes were not valid in the feed's charset and were replaced.
        lossy: bool,
        /// For a local file, its modification time: the date of items that state none.
        modified: Option<DateTime<FixedOffset>>,
        /// The feed's own title, text only.
        title: Option<String>,
    },
    /// 304 Not Modified: the items stored from earlier fetches stand.
    NotModified,
}

/// Fetches (or reads) and parses one feed.
///
/// # Errors
/// [`FetchError`] when nothing could be fetched or read.
pub async fn fetch(
    source: &FeedSource,
    fetcher: &Fetcher,
    validators: Option<&Validators>,
) -> Result<FeedOutcome, FetchError> {
    let (bytes, content_type, base, validators, modified) = match &source.location {
        FeedLocation::Url(url) => match fetcher.get(url, validators, Trust::Operator).await? {
            Fetched::NotModified => return Ok(FeedOutcome::NotModified),
            Fetched::Body { bytes, content_type, url, validators } => {
                (bytes, content_type, Some(url), validators, None)
            }
        },
        FeedLocation::Path(path) => {
            let (bytes, modified) =
                super::files::read_capped(path, fetcher.max_bytes()).map_err(|reason| {
                    let reason = reason.strip_prefix("cannot read the file: ").unwrap_or(&reason);
                    FetchError::new(
                        FailureCategory::File,
                        format!("cannot read `{}`: {reason}", path.display()),
                    )
                })?;
            (bytes, None, None, Validators::default(), modified)
        }
    };
    let (text, lossy) = decode(&bytes, content_type.as_deref());
    let parsed = parse(&text, base.as_deref(), source)?;
    Ok(FeedOutcome::Fresh {
        entries: parsed.entries,
        validators,
        partial: parsed.partial,
        lossy,
        modified,
        title: parsed.title,
    })
}

/// A feed's text, parsed.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    /// The feed's own title, text only.
    pub title: Option<String>,
    /// Its items, in feed order.
    pub entries: Vec<FeedEntry>,
    /// Why only part of the feed could be read, when so.
    pub partial: Option<String>,
}

/// Parses a feed's text into entries.
///
/// # Errors
/// [`FailureCategory::NotAFeed`] or [`FailureCategory::Malformed`] when no item is readable.
pub fn parse(
    text: &str,
    base: Option<&str>,
    source: &FeedSource,
) -> Result<ParsedFeed, FetchError> {
    match parse_whole(text, base) {
        Err(err) if err == PARSER_PANICKED => Err(FetchError::new(FailureCategory::Internal, err)),
        Ok(feed) => {
            let title = feed_title(&feed);
            Ok(ParsedFeed { title, entries: entries(feed, base, source), partial: None })
        }
        Err(err) => {
            let head: String = text.trim_start().chars().take(300).collect::<String>();
            let head = head.to_ascii_lowercase();
            if head.starts_with("<!doctype html") || head.starts_with("<html") {
                return Err(FetchError::new(
                    FailureCategory::NotAFeed,
                    "an HTML page, not a feed; point `url` at the feed itself (look for <link rel=\"alternate\" type=\"application/rss+xml\"> in the page)",
                ));
            }
            if !(head.starts_with('<') || head.starts_with('{')) {
                return Err(FetchError::new(
                    FailureCategory::NotAFeed,
                    "neither XML nor JSON: not a feed",
                ));
            }
            // The commonest break: a bare `&` in a title or link. Escaped, the whole feed
            // often reads, namespaces and all.
            let repaired = escape_stray_ampersands(text);
            if repaired != text
                && let Ok(feed) = parse_whole(&repaired, base)
            {
                let title = feed_title(&feed);
                let reason = format!("read after escaping stray `&` characters ({err})");
                return Ok(ParsedFeed {
                    title,
                    entries: entries(feed, base, source),
                    partial: Some(reason),
                });
            }
            let recovered = recover(text, base, source);
            if recovered.is_empty() {
                Err(FetchError::new(
                    FailureCategory::Malformed,
                    format!("not a readable feed: {err}"),
                ))
            } else {
                let reason = format!("read {} items of a malformed feed ({err})", recovered.len());
                let title = recovered.first().map(|entry| entry.source_name.clone());
                Ok(ParsedFeed { title, entries: recovered, partial: Some(reason) })
            }
        }
    }
}

fn parser(base: Option<&str>) -> feed_rs::parser::Parser {
    // An empty id marks an item without its own GUID, so identity falls back to the link.
    feed_rs::parser::Builder::new().base_uri(base).id_generator(|_, _, _| String::new()).build()
}

fn parse_whole(text: &str, base: Option<&str>) -> Result<feed_rs::model::Feed, String> {
    // The XML reader under feed-rs has panicked on hostile input (see `fetch::decode`); a
    // panic there must cost one feed, never the run.
    let text = super::dialects::normalize(text);
    guarded(|| parser(base).parse(text.as_bytes()))
}

/// Runs a parser, turning a panic into [`PARSER_PANICKED`] and a parse error into words.
fn guarded<T, E: std::fmt::Display>(
    parse: impl FnOnce() -> Result<T, E> + std::panic::UnwindSafe,
) -> Result<T, String> {
    std::panic::catch_unwind(parse)
        .map_err(|_| PARSER_PANICKED.to_owned())?
        .map_err(|err| err.to_string())
}

/// What `parse_whole` says when the parser panicked: a bug, never the feed's fault alone.
const PARSER_PANICKED: &str = "the feed parser failed unexpectedly on this feed; this is a \
    bug in newsdigest: please report it with the feed attached";

/// Parses each `<item>`/`<entry>` of a broken document on its own.
/// Each item is wrapped in a root that declares the original root's namespace prefixes, so
/// `content:encoded`, `dc:date` and `media:*` keep their meaning.
fn recover(text: &str, base: Option<&str>, source: &FeedSource) -> Vec<FeedEntry> {
    let prefixes = namespace_declarations(text);
    let patterns = [
        (
            r"(?s)<item[\s>].*?</item>",
            format!("<rss version=\"2.0\"{prefixes}><channel><title>t</title>"),
            "</channel></rss>",
        ),
        (
            r"(?s)<entry[\s>].*?</entry>",
            format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"{prefixes}><title>t</title>"),
            "</feed>",
        ),
    ];
    let mut out = Vec::new();
    for (pattern, open, close) in patterns {
        let Ok(regex) = Regex::new(pattern) else { continue };
        for chunk in regex.find_iter(text) {
            let wrapped = format!("{open}{}{close}", chunk.as_str());
            if let Ok(mut feed) = parse_whole(&wrapped, base) {
                feed.title = None;
                out.extend(entries(feed, base, source));
            }
        }
    }
    let mut guids = BTreeMap::new();
    for entry in &mut out {
        disambiguate(entry, &mut guids);
    }
    out
}

/// The feed's title as written (markup and entities are extract's business).
fn feed_title(feed: &feed_rs::model::Feed) -> Option<String> {
    feed.title.as_ref().map(|title| title.content.trim().to_owned()).filter(|t| !t.is_empty())
}

fn entries(feed: feed_rs::model::Feed, base: Option<&str>, source: &FeedSource) -> Vec<FeedEntry> {
    let source_name =
        source.name.clone().or_else(|| feed_title(&feed)).unwrap_or_else(|| source.id.clone());
    let mut guids = BTreeMap::new();
    feed.entries
        .into_iter()
        .map(|entry| {
            let link = entry
                .links
                .iter()
                .find(|link| link.rel.as_deref().is_none_or(|rel| rel == "alternate"))
                .or(entry.links.first())
                .map(|link| link.href.trim().to_owned())
                .filter(|link| is_web_link(link))
                // A GUID that is a web address is the permalink when there is no link.
                .or_else(|| permalink(entry.id.trim(), base));
            // media:title only stands in for a missing title; it never replaces one.
            let title = entry.title.map(|title| title.content).or_else(|| {
                entry.media.iter().find_map(|media| media.title.as_ref().map(|t| t.content.clone()))
            });
            // The content, else the summary; with both, extract takes whichever gives more.
            let summary = entry.summary.map(|summary| summary.content);
            let (content, summary) = match entry
                .content
                .and_then(|content| content.body)
                .filter(|b| !b.trim().is_empty())
            {
                Some(body) => {
                    let summary = summary.filter(|s| !s.trim().is_empty() && *s != body);
                    (body, summary)
                }
                None => (summary.unwrap_or_default(), None),
            };
            let mut categories: Vec<String> = entry
                .categories
                .into_iter()
                .map(|category| category.label.unwrap_or(category.term))
                .collect();
            categories.extend(source.tags.iter().cloned());
            let published: Option<DateTime<FixedOffset>> =
                entry.published.or(entry.updated).map(|date| date.fixed_offset());
            let mut out = FeedEntry {
                guid: Some(entry.id.trim().to_owned()).filter(|id| !id.is_empty()),
                title,
                link,
                published,
                author: entry.authors.into_iter().find_map(|person| person.name),
                categories,
                content,
                summary,
                full_page: false,
                source_name: source_name.clone(),
            };
            disambiguate(&mut out, &mut guids);
            out
        })
        .collect()
}

/// The `xmlns:prefix="…"` declarations of a document's root element, as attribute text.
fn namespace_declarations(text: &str) -> String {
    let Ok(declaration) = Regex::new(r#"\sxmlns:[\w.-]+\s*=\s*(?:"[^"]*"|'[^']*')"#) else {
        return String::new();
    };
    let root = super::dialects::root_start(text)
        .and_then(|at| text[at..].find('>').map(|end| &text[at..at + end]))
        .unwrap_or("");
    declaration.find_iter(root).map(|found| found.as_str()).collect()
}

/// `&` that starts no character reference becomes `&amp;`.
fn escape_stray_ampersands(text: &str) -> String {
    let Ok(reference) = Regex::new(r"^(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);") else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len() + 16);
    for (idx, piece) in text.split('&').enumerate() {
        if idx > 0 {
            out.push_str(if reference.is_match(piece) { "&" } else { "&amp;" });
        }
        out.push_str(piece);
    }
    out
}

/// An item's id as its permalink: an http(s) URL, or a path (`/2024/05/post`) on the feed's
/// own site. An id that is neither (`tag:…`, `urn:uuid:…`, `1`) identifies; it leads nowhere.
fn permalink(id: &str, base: Option<&str>) -> Option<String> {
    if is_web_link(id) {
        return Some(id.to_owned());
    }
    if !id.starts_with('/') || id.starts_with("//") {
        return None;
    }
    let joined = reqwest::Url::parse(base?).ok()?.join(id).ok()?;
    Some(joined.to_string()).filter(|link| is_web_link(link))
}

/// True for an http or https URL. Any other link (`javascript:`, `data:`, `file:`) is
/// dropped: it is never followed, linked from a digest, or made into a title.
fn is_web_link(link: &str) -> bool {
    let lower = link.get(..8).unwrap_or(link).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A GUID seen before in this feed gets a suffix from the item's link and title.
fn disambiguate(entry: &mut FeedEntry, seen: &mut BTreeMap<String, usize>) {
    let Some(guid) = entry.guid.clone() else { return };
    let count = seen.entry(guid.clone()).or_insert(0);
    *count += 1;
    if *count > 1 {
        let mut hasher = Sha256::new();
        hasher.update(entry.link.as_deref().unwrap_or("").as_bytes());
        hasher.update(b"\n");
        hasher.update(entry.title.as_deref().unwrap_or("").as_bytes());
        let hash: String = hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
        entry.guid = Some(format!("{guid}#{hash}"));
    }
}

/// The key an entry is stored under: its GUID, else its link, else a hash of title and
/// content.
pub fn entry_key(entry: &FeedEntry) -> String {
    if let Some(guid) = &entry.guid {
        return format!("guid:{guid}");
    }
    if let Some(link) = &entry.link {
        return format!("link:{link}");
    }
    let mut hasher = Sha256::new();
    hasher.update(entry.title.as_deref().unwrap_or("").as_bytes());
    hasher.update(b"\n");
    hasher.update(entry.content.as_bytes());
    let hash: String = hasher.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See issue 9: one stray `&` made the feed malformed, and the item-by-item recovery
    /// lost the namespaces: `content:encoded` and `dc:date` were ignored.
    #[test]
    fn r9_a_stray_ampersand_keeps_namespaces_and_content() {
        let text = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Q&A weekly</title>
            <item><title>Salt & pepper</title><link>https://e.com/1?a=1&b=2</link><dc:date>2026-11-26T05:00:00Z</dc:date>
            <content:encoded><![CDATA[<p>The full story is here.</p>]]></content:encoded></item></channel></rss>"#;
        let parsed = parse(text, None, &source()).unwrap();
        assert_eq!(parsed.title.as_deref(), Some("Q&A weekly"));
        assert_eq!(parsed.entries[0].title.as_deref(), Some("Salt & pepper"));
        assert_eq!(parsed.entries[0].link.as_deref(), Some("https://e.com/1?a=1&b=2"));
        assert_eq!(parsed.entries[0].content, "<p>The full story is here.</p>");
        assert!(parsed.entries[0].published.is_some());
        assert!(parsed.partial.unwrap().starts_with("read after escaping stray `&`"));
        // Recovery item by item keeps the prefixes too.
        let broken = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
            <item><title>Good</title><content:encoded>Kept text.</content:encoded></item>
            <item><title>Bad</title><description><b>unclosed</description></item></channel></rss>"#;
        let parsed = parse(broken, None, &source()).unwrap();
        assert_eq!(parsed.entries[0].content, "Kept text.");
        assert_eq!(
            namespace_declarations(broken),
            r#" xmlns:content="http://purl.org/rss/1.0/modules/content/""#
        );
    }

    /// See issue 9: a caught panic was reported as a `connect` failure.
    #[test]
    fn r9_a_parser_panic_is_an_internal_failure_asking_for_a_report() {
        let caught = guarded::<(), String>(|| panic!("boom"));
        assert_eq!(caught, Err(PARSER_PANICKED.to_owned()));
        assert!(PARSER_PANICKED.contains("please report it"));
        assert_eq!(FailureCategory::Internal.name(), "internal");
    }
    use crate::config::FetchFull;

    fn source() -> FeedSource {
        FeedSource {
            id: "example".to_owned(),
            location: FeedLocation::Path("feed.xml".into()),
            name: None,
            fetch_full: FetchFull::Auto,
            tags: vec!["world".to_owned()],
        }
    }

    #[test]
    fn rss_items_with_duplicate_guids_and_no_guid() {
        let text = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Example News</title>
            <item><title>One</title><link>https://e.com/1</link><guid>same</guid>
              <pubDate>Thu, 26 Nov 2026 06:00:00 GMT</pubDate><category>Climate</category>
              <description>&lt;p&gt;First.&lt;/p&gt;</description></item>
            <item><title>Two</title><link>https://e.com/2</link><guid>same</guid></item>
            <item><title>Three</title><link>/3</link></item>
            </channel></rss>"#;
        let ParsedFeed { entries, partial, .. } =
            parse(text, Some("https://e.com/feed"), &source()).unwrap();
        assert_eq!(partial, None);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].guid.as_deref(), Some("same"));
        assert!(entries[1].guid.as_deref().unwrap().starts_with("same#"));
        assert_eq!(entries[2].guid, None);
        assert_eq!(entries[2].link.as_deref(), Some("https://e.com/3"));
        assert_eq!(entries[0].source_name, "Example News");
        assert_eq!(entries[0].categories, ["Climate", "world"]);
        assert_eq!(entries[0].content, "<p>First.</p>");
        assert_eq!(entries[0].published.unwrap().to_rfc3339(), "2026-11-26T06:00:00+00:00");
        assert_eq!(entry_key(&entries[2]), "link:https://e.com/3");
    }

    #[test]
    fn a_broken_feed_gives_the_items_that_parse() {
        let text = r#"<rss version="2.0"><channel><title>T</title>
            <item><title>Good</title><link>https://e.com/good</link></item>
            <item><title>Broken & unescaped</title><link>https://e.com/bad</item>
            <item><title>Also good</title><link>https://e.com/also</link></item>"#;
        let ParsedFeed { entries, partial, .. } = parse(text, None, &source()).unwrap();
        let titles: Vec<_> = entries.iter().map(|e| e.title.clone().unwrap()).collect();
        assert_eq!(titles, ["Good", "Also good"]);
        assert!(partial.unwrap().starts_with("read 2 items of a malformed feed"));
    }

    #[test]
    fn html_is_not_a_feed() {
        let err =
            parse("<!DOCTYPE html><html><body>hi</body></html>", None, &source()).unwrap_err();
        assert_eq!(err.category, FailureCategory::NotAFeed);
    }
}
