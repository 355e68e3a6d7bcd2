//! Extract: turn one file's text into an [`Article`] of plain paragraphs.
//!
//! The format is told apart by extension and content ([`detect_format`]): plain-text page
//! dumps ([`dump`]), Markdown with front matter ([`markdown`]) and HTML pages ([`html`]).
//! HTML never leaves this module. Pure: no I/O, no clock.

pub mod depth;
pub mod dump;
mod hollow;
pub mod html;
pub mod markdown;
pub mod noise;

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use crate::model::{Article, ArticleFormat, ArticleId, DateOrigin, RawArticle};
use crate::text::normalize;

/// Why a file gave no article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The file's structure is broken (for example its front matter).
    #[error("{0}")]
    Malformed(String),
    /// No article text was found.
    #[error("no article text found")]
    Empty,
    /// The text found is not prose (random bytes, binary data, symbols).
    #[error("not an article: {0}")]
    NotProse(String),
}

/// Tells the format by extension, then by content: a `.txt` holding an HTML document is
/// HTML, and one opening with front matter is Markdown.
pub fn detect_format(path: &Path, text: &str) -> ArticleFormat {
    let extension =
        path.extension().and_then(|ext| ext.to_str()).unwrap_or("").to_ascii_lowercase();
    let start = text.trim_start_matches('\u{FEFF}').trim_start();
    let head = start.get(..start.len().min(64)).unwrap_or(start).to_ascii_lowercase();
    match extension.as_str() {
        "html" | "htm" => ArticleFormat::Html,
        "md" | "markdown" => ArticleFormat::Markdown,
        _ if head.starts_with("<!doctype html") || head.starts_with("<html") => ArticleFormat::Html,
        _ if start.starts_with("+++\n")
            || start.starts_with("---\n")
            || start.starts_with("+++\r\n")
            || start.starts_with("---\r\n") =>
        {
            ArticleFormat::Markdown
        }
        _ => ArticleFormat::TextDump,
    }
}

/// Extracts the article from one file.
///
/// # Errors
/// [`ExtractError::Malformed`] for broken front matter, [`ExtractError::Empty`] when no
/// article text is found.
pub fn clean(raw: RawArticle) -> Result<Article, ExtractError> {
    let format = match raw.feed {
        Some(_) => ArticleFormat::FeedItem,
        None => detect_format(&raw.path, &raw.text),
    };
    let guid = raw.feed.as_ref().and_then(|entry| entry.guid.clone());
    let stem =
        raw.path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let (title, paragraphs, stated_date, url, source, author, tags) = match format {
        ArticleFormat::TextDump => {
            let extracted = dump::extract(&raw.text);
            (extracted.title, extracted.paragraphs, None, None, None, None, Vec::new())
        }
        ArticleFormat::Markdown => {
            let parsed = markdown::parse(&raw.text).map_err(ExtractError::Malformed)?;
            (
                parsed.title,
                parsed.paragraphs,
                parsed.date,
                parsed.url,
                parsed.source,
                parsed.author,
                parsed.tags,
            )
        }
        ArticleFormat::FeedItem => {
            let entry = raw.feed.clone().unwrap_or_default();
            // Titles, names and authors may hold markup (Atom `type="html"`, CDATA) and
            // entities HTML declares but XML does not: their text, decoded once.
            let title = entry.title.as_deref().map(html::inline_text);
            (
                title,
                feed_text(&entry),
                entry.published.map(|date| date.to_rfc3339()),
                entry.link,
                Some(html::inline_text(&entry.source_name)).filter(|name| !name.is_empty()),
                entry.author.as_deref().map(html::inline_text).filter(|name| !name.is_empty()),
                entry.categories,
            )
        }
        ArticleFormat::Html => {
            let parsed = html::parse(&raw.text);
            (
                parsed.title,
                parsed.paragraphs,
                parsed.published,
                parsed.url,
                parsed.site_name,
                parsed.author,
                parsed.tags,
            )
        }
    };
    // A feed item with a title or a link is a story, whatever its text: a headline with a
    // link is worth a line in a digest, and so is a short post. Text that is not prose is
    // dropped from it, not it. A file needs a few words of prose to be an article.
    let feed_item = format == ArticleFormat::FeedItem;
    let story = feed_item && (title.as_deref().is_some_and(|t| !t.is_empty()) || url.is_some());
    let text = paragraphs.join("\n");
    let paragraphs = match crate::text::not_prose(&text) {
        _ if paragraphs.is_empty() && story => paragraphs,
        None if feed_item && !paragraphs.is_empty() => paragraphs,
        None if crate::text::word_count_over(&text, 3) >= 3 => paragraphs,
        Some(_) if story => Vec::new(),
        Some(reason) if !paragraphs.is_empty() => return Err(ExtractError::NotProse(reason)),
        None if !paragraphs.is_empty() => {
            return Err(ExtractError::NotProse("fewer than three words".to_owned()));
        }
        _ => return Err(ExtractError::Empty),
    };
    // A date written by hand in front matter must parse; a page's metadata may hold any
    // format, and one we cannot read is passed over (the file time stands in).
    let bad_date = stated_date.as_deref().filter(|date| parse_date(date).is_none());
    if let Some(date) = bad_date.filter(|_| format == ArticleFormat::Markdown) {
        return Err(ExtractError::Malformed(format!(
            "date `{date}` is not RFC 3339 (2024-03-01T08:00:00Z) or YYYY-MM-DD"
        )));
    }
    let paragraphs = drop_repeated_standfirst(paragraphs);
    let title = title.map(|title| normalize(&title)).filter(|title| !title.is_empty());
    // An untitled feed item is named by its first words, never by its link's file name
    // (which would turn `javascript:alert(document.cookie)` into a headline).
    let url = url.and_then(|url| canonical_url(&url));
    let title = match (title, format, paragraphs.first()) {
        (Some(title), ..) => title,
        (None, ArticleFormat::FeedItem, Some(first)) => headline_from(first),
        (None, ArticleFormat::FeedItem, None) => {
            // Only a link: its site stands in, never a slug or an id.
            let host = url.as_deref().and_then(|url| url.split('/').nth(2)).unwrap_or("");
            format!("Link from {}", host.trim_start_matches("www."))
        }
        (None, ..) => stem,
    };
    let (published, date_origin) = match stated_date.as_deref().and_then(parse_date) {
        Some(date) => (Some(date), DateOrigin::Stated),
        None => match raw.modified {
            Some(modified) => (Some(modified), DateOrigin::FileTime),
            None => (None, DateOrigin::Unknown),
        },
    };
    // Feed items: the GUID first (links are not always unique), then the canonical link,
    // then the content. Selection also treats two ids with one canonical link as one story.
    let id = match (&guid, &url) {
        (Some(guid), _) => ArticleId::from_guid(&raw.source_id, guid),
        (None, Some(url)) => ArticleId::from_url(url),
        (None, None) => ArticleId::from_content(&title, &paragraphs),
    };
    Ok(Article {
        id,
        title,
        paragraphs,
        url,
        published,
        date_origin,
        source: source.or(raw.source_name).unwrap_or(raw.source_id),
        author,
        tags,
        origin: raw.path,
        format,
        copies: Vec::new(),
    })
}

/// A standfirst that the next paragraph repeats at its start (a page's summary line over an
/// article that opens with the same sentence) is dropped, so the lead is not said twice.
fn drop_repeated_standfirst(mut paragraphs: Vec<String>) -> Vec<String> {
    let words = |text: &str| crate::text::words(text);
    if let [first, second, ..] = paragraphs.as_slice() {
        let (a, b) = (words(first), words(second));
        // The same words, or the same words and more.
        if a.len() >= 5 && b.len() >= a.len() && b[..a.len()] == a[..] {
            paragraphs.remove(0);
        }
    }
    paragraphs
}

/// The most words of an untitled item's first sentence that stand as its title.
const UNTITLED_WORDS: usize = 12;

/// An untitled item's headline: its first sentence, cut to [`UNTITLED_WORDS`] words (with
/// `…` when cut).
fn headline_from(paragraph: &str) -> String {
    let words: Vec<&str> = paragraph.split_whitespace().collect();
    // The first sentence ends at a word ending in . ! or ? (after at least three words).
    let sentence_end = words
        .iter()
        .enumerate()
        .skip(2)
        .find(|(_, word)| word.ends_with(['.', '!', '?']))
        .map_or(words.len(), |(idx, _)| idx + 1);
    let sentence = &words[..sentence_end];
    if sentence.len() <= UNTITLED_WORDS {
        return sentence.join(" ").trim_end_matches('.').to_owned();
    }
    let cut = sentence[..UNTITLED_WORDS].join(" ");
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

/// A feed item's paragraphs: from its content or its summary, whichever gives more words
/// (the content on a tie).
pub fn feed_text(entry: &crate::model::FeedEntry) -> Vec<String> {
    let content = feed_item_text(&entry.content);
    match entry.summary.as_deref().map(feed_item_text) {
        Some(summary)
            if crate::text::word_count(&summary.join(" "))
                > crate::text::word_count(&content.join(" ")) =>
        {
            summary
        }
        _ => content,
    }
}

/// A feed item's text as paragraphs: blocks of its HTML, or, when the block rules keep
/// nothing of a short text ("Example description", a link labelled "Comments"), the text
/// itself as one paragraph.
fn feed_item_text(content: &str) -> Vec<String> {
    let paragraphs = html::fragment(content);
    if !paragraphs.is_empty() {
        return paragraphs;
    }
    let text = html::inline_text(content);
    if text.is_empty() { Vec::new() } else { vec![text] }
}

/// Parses RFC 3339, `YYYY-MM-DDTHH:MM:SS` (taken as UTC), `YYYY-MM-DD HH:MM:SS` and
/// `YYYY-MM-DD` (midnight UTC).
pub fn parse_date(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date);
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(date) = DateTime::parse_from_str(text, format) {
            return Some(date);
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    {
        if let Ok(date) = NaiveDateTime::parse_from_str(text, format) {
            return Some(date.and_utc().fixed_offset());
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
}

/// Normalises a URL for identity: lower-case scheme and host, no fragment, no tracking
/// parameters (`utm_*`, `fbclid`, `gclid`, `mc_cid`, `mc_eid`). `None` for non-web URLs.
pub fn canonical_url(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (authority, path_query) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains(char::is_whitespace) {
        return None;
    }
    let (path, query) = match path_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_query, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
            !pair.is_empty()
                && !key.starts_with("utm_")
                && !matches!(key.as_str(), "fbclid" | "gclid" | "mc_cid" | "mc_eid")
        })
        .collect();
    let mut out = format!("{scheme}://{}{path}", authority.to_ascii_lowercase());
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {

    /// Issue 12: a standfirst that the first paragraph repeats is kept once.
    #[test]
    fn a_repeated_standfirst_is_kept_once() {
        let lead = "Regulators approved a wind farm on Thursday.";
        let twice =
            vec![lead.to_owned(), format!("{lead} Work starts in spring."), "More.".to_owned()];
        assert_eq!(
            drop_repeated_standfirst(twice),
            [format!("{lead} Work starts in spring."), "More.".to_owned()]
        );
        let same = vec![lead.to_owned(), lead.to_owned()];
        assert_eq!(drop_repeated_standfirst(same), [lead.to_owned()]);
        let different = vec![
            "A different standfirst about the farm.".to_owned(),
            format!("{lead} Work starts."),
        ];
        assert_eq!(drop_repeated_standfirst(different.clone()), different);
        let short = vec!["Wind farm.".to_owned(), "Wind farm approved after review.".to_owned()];
        assert_eq!(drop_repeated_standfirst(short.clone()), short, "too short to tell");
    }

    use super::*;

    #[test]
    fn dates() {
        let want = DateTime::parse_from_rfc3339("2024-03-01T08:00:00Z").unwrap();
        assert_eq!(parse_date("2024-03-01T08:00:00Z"), Some(want));
        assert_eq!(parse_date("2024-03-01T08:00:00"), Some(want));
        assert_eq!(parse_date("2024-03-01T09:00:00+0100"), Some(want));
        assert_eq!(
            parse_date("2024-03-01").map(|d| d.to_rfc3339()),
            Some("2024-03-01T00:00:00+00:00".to_owned())
        );
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn canonical_urls() {
        assert_eq!(
            canonical_url("HTTPS://News.Example.COM/a/b?utm_source=x&id=3&fbclid=y#top").as_deref(),
            Some("https://news.example.com/a/b?id=3")
        );
        assert_eq!(canonical_url("https://example.com").as_deref(), Some("https://example.com/"));
        assert_eq!(canonical_url("mailto:a@b.c"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(detect_format(Path::new("a.txt"), "<!DOCTYPE html><p>x"), ArticleFormat::Html);
        assert_eq!(
            detect_format(Path::new("a.txt"), "+++\ntitle='x'\n+++\n"),
            ArticleFormat::Markdown
        );
        assert_eq!(detect_format(Path::new("a.txt"), "Headline\n\nBody."), ArticleFormat::TextDump);
        assert_eq!(detect_format(Path::new("a.HTM"), "plain"), ArticleFormat::Html);
    }
}
