//! Render: a digest to an email-ready HTML page, its plain-text twin and a subject line,
//! through the askama templates in `templates/`.
//!
//! Only plain text reaches the templates and askama escapes all of it; nothing derived from
//! an article is marked safe. The HTML's CSS is inlined with css-inline (media queries for
//! dark mode and small screens stay in a style block). Pure: no I/O, no clock.

use askama::Template;
use chrono::NaiveDate;

use crate::model::{Digest, DigestItem};

/// Width the plain-text version is wrapped at.
pub const TEXT_WIDTH: usize = 72;

/// Who a digest is for, for its footer and its links.
#[derive(Debug, Clone, Default)]
pub struct Audience<'a> {
    /// Why the reader got this digest, one sentence.
    pub reason: String,
    /// The reader's unsubscribe link; `None` renders a placeholder (previews).
    pub unsubscribe_url: Option<&'a str>,
    /// The reader's preferences page ("Manage topics"), when there is a web service.
    pub preferences_url: Option<&'a str>,
    /// The digest's page in the web archive ("View in browser").
    pub view_url: Option<&'a str>,
    /// The sender's postal address.
    pub postal_address: Option<&'a str>,
    /// A page of the web archive, for anyone: no personal parts (no reason, no unsubscribe
    /// or preferences link), and a sign-up link instead when given.
    pub web: bool,
    /// The sign-up page, for web pages.
    pub subscribe_url: Option<&'a str>,
}

/// The rendered digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line: `<title> — <date>: <top headline>`.
    pub subject: String,
    /// The HTML email, CSS inlined.
    pub html: String,
    /// The plain-text alternative.
    pub text: String,
}

/// Why rendering failed (a template or the CSS inliner).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed to render.
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    /// The CSS could not be inlined.
    #[error("cannot inline the CSS: {0}")]
    Inline(String),
}

/// Placeholder unsubscribe target for previews; sending fills in the real link.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "#unsubscribe";

/// Renders one digest.
///
/// # Errors
/// [`RenderError`] when a template or the CSS inliner fails.
pub fn render(
    digest: &Digest,
    language: &str,
    audience: &Audience<'_>,
) -> Result<Rendered, RenderError> {
    let date_long = long_date(digest.date);
    let unsubscribe_href = audience.unsubscribe_url.unwrap_or(UNSUBSCRIBE_PLACEHOLDER);
    let sections: Vec<SectionView<'_>> = digest
        .sections
        .iter()
        .map(|section| SectionView {
            anchor: &section.id,
            name: &section.name,
            items: section
                .items
                .iter()
                .map(|item| item_view(item, digest.date, audience))
                .collect(),
        })
        .collect();
    let item_count = digest.item_count();
    let ranked = ranked(digest);
    // "Today in brief": the most important stories across topics, when there are enough.
    let brief_len = match item_count {
        0..=3 => 0,
        4..=6 => 3,
        7..=9 => 4,
        _ => 5,
    };
    let brief: Vec<BriefView<'_>> = ranked
        .iter()
        .take(brief_len)
        .map(|item| BriefView {
            title: &item.article.title,
            link: story_link(&item.article, audience).map(|(href, _)| href),
            source: &item.article.source,
        })
        .collect();
    let preheader = ranked
        .iter()
        .take(3)
        .map(|item| item.article.title.as_str())
        .collect::<Vec<_>>()
        .join(" · ");

    let html_page = DigestHtml {
        lang: language,
        title: &digest.title,
        date_long: &date_long,
        item_count,
        preheader: &preheader,
        brief: &brief,
        sections: &sections,
        reason: &audience.reason,
        unsubscribe_href,
        preferences_href: audience.preferences_url,
        view_href: audience.view_url,
        postal_address: audience.postal_address,
        web: audience.web,
        subscribe_href: audience.subscribe_url,
    }
    .render()?;
    let inliner = css_inline::CSSInliner::options().keep_at_rules(true).build();
    let html = inliner.inline(&html_page).map_err(|err| RenderError::Inline(err.to_string()))?;
    let html = charset_first(&html);

    let text = DigestText {
        title: &digest.title,
        date_long: &date_long,
        item_count,
        brief: &brief,
        sections: &sections,
        reason_wrapped: &textwrap::fill(&audience.reason, TEXT_WIDTH),
        unsubscribe_href,
        preferences_href: audience.preferences_url,
        view_href: audience.view_url,
        postal_address: audience.postal_address,
        web: audience.web,
        subscribe_href: audience.subscribe_url,
    }
    .render()?;

    Ok(Rendered { subject: subject(DEFAULT_SUBJECT, digest), html, text })
}

/// A story of "Today in brief".
struct BriefView<'a> {
    title: &'a str,
    link: Option<String>,
    source: &'a str,
}

/// Where a story leads, and how its follow-on link says so: its own URL ("Read at
/// <source>"), else its place in the edition's page of the web archive, which shows the
/// whole text of such stories ("Read the whole story"). `None` when neither exists: a
/// preview of a story with no URL, or the archive page itself, where the text is shown.
fn story_link(
    article: &crate::model::Article,
    audience: &Audience<'_>,
) -> Option<(String, String)> {
    if let Some(url) = &article.url {
        return Some((url.clone(), format!("Read at {} →", article.source)));
    }
    let page = audience.view_url.filter(|_| !audience.web)?;
    Some((format!("{page}#{}", story_anchor(&article.id)), "Read the whole story →".to_owned()))
}

/// A story's anchor in a rendered digest: `story-` and eight hex digits of a hash of its id,
/// the same in the email and on the archive page, whatever else the edition holds.
pub fn story_anchor(id: &crate::model::ArticleId) -> String {
    use sha2::{Digest as _, Sha256};
    let hash = Sha256::digest(id.as_str().as_bytes());
    let hex: String = hash.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
    format!("story-{hex}")
}

/// The digest's stories, each once, most important first: its topic score, times one plus
/// the number of other sources that carried it ("Also in"), times its recency (1 for the
/// newest story of the digest, halving over each day older; 0.5 without a date). Ties keep
/// the digest's order.
pub fn ranked(digest: &Digest) -> Vec<&DigestItem> {
    let items: Vec<&DigestItem> = digest.sections.iter().flat_map(|s| s.items.iter()).collect();
    let newest = items.iter().filter_map(|item| item.article.published).max();
    let weight = |item: &DigestItem| {
        let recency = match (item.article.published, newest) {
            (Some(at), Some(newest)) => {
                let days = (newest - at).num_minutes().max(0) as f64 / (24.0 * 60.0);
                0.5_f64.powf(days)
            }
            _ => 0.5,
        };
        item.matched.score * (1.0 + item.article.also_in().len() as f64) * recency
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut unique: Vec<(usize, &DigestItem)> = items
        .into_iter()
        .filter(|item| seen.insert(item.article.id.as_str().to_owned()))
        .enumerate()
        .collect();
    unique.sort_by(|(ia, a), (ib, b)| weight(b).total_cmp(&weight(a)).then(ia.cmp(ib)));
    unique.into_iter().map(|(_, item)| item).collect()
}

/// The `<meta charset>` as the head's first element: the CSS inliner puts the kept `<style>`
/// (media queries) before it, and a browser looks for the charset in the first 1024 bytes.
fn charset_first(html: &str) -> String {
    const META: &str = "<meta charset=\"utf-8\">";
    match (html.find(META), html.find("<head>")) {
        (Some(meta), Some(head)) if meta > head => {
            let without = format!("{}{}", &html[..meta], &html[meta + META.len()..]);
            let at = head + "<head>".len();
            format!("{}{META}{}", &without[..at], &without[at..])
        }
        _ => html.to_owned(),
    }
}

/// The default subject template.
pub const DEFAULT_SUBJECT: &str = "{headline} {more} — {title}";

/// Fills a subject template: `{title}`, `{date}` (`26 Nov 2026`), `{headline}` (the first
/// story's title), `{count}` (number of stories) and `{topics}` (the topic names, or `All
/// topics`). With no story, separators left dangling by an empty `{headline}` are trimmed.
/// Control characters are replaced by spaces, so the result is safe as a header.
pub fn subject(template: &str, digest: &Digest) -> String {
    // The top story by the ranking of "Today in brief".
    let headline = ranked(digest).first().map_or("", |item| item.article.title.as_str());
    let more = match digest.item_count() {
        0 | 1 => String::new(),
        n => format!("+ {} more", n - 1),
    };
    let topics = if digest.topic_names.is_empty() {
        "All topics".to_owned()
    } else {
        digest.topic_names.join(", ")
    };
    let mut out = String::new();
    for part in template_parts(template) {
        match part {
            TemplatePart::Text(text) | TemplatePart::Unclosed(text) => out.push_str(text),
            TemplatePart::Placeholder("title") => out.push_str(&digest.title),
            TemplatePart::Placeholder("date") => out.push_str(&short_date(digest.date)),
            TemplatePart::Placeholder("headline") => out.push_str(headline),
            TemplatePart::Placeholder("more") => out.push_str(&more),
            TemplatePart::Placeholder("count") => out.push_str(&digest.item_count().to_string()),
            TemplatePart::Placeholder("topics") => out.push_str(&topics),
            TemplatePart::Placeholder(other) => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
    }
    let out = crate::text::normalize(&out);
    out.trim_end_matches([' ', ':', '-', '—', '–', '|', '·']).to_owned()
}

/// The placeholders a subject template may use (the config checks against this list).
pub const SUBJECT_PLACEHOLDERS: [&str; 6] =
    ["title", "date", "headline", "count", "topics", "more"];

/// A piece of a subject template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplatePart<'a> {
    /// Text as written.
    Text(&'a str),
    /// The name inside `{…}`.
    Placeholder(&'a str),
    /// A `{` that is never closed, and the rest of the template after it, `{` included.
    Unclosed(&'a str),
}

/// Splits a subject template into its text and `{name}` placeholders, in order.
pub fn template_parts(template: &str) -> Vec<TemplatePart<'_>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(TemplatePart::Text(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            parts.push(TemplatePart::Unclosed(&rest[open..]));
            return parts;
        };
        parts.push(TemplatePart::Placeholder(&after[..close]));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Text(rest));
    }
    parts
}

/// One entry of the preview index page.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// What the digest covers (`All topics`, `Ukraine war + Technology`).
    pub label: String,
    /// Relative link to the HTML file.
    pub html_file: String,
    /// Relative link to the text file.
    pub text_file: String,
    /// Number of stories.
    pub items: usize,
    /// Who receives it (`2 subscribers`, `preview only`).
    pub subscribers: String,
    /// What became of it (`sent to 2`, `1 sent, 1 failed`), once delivered.
    pub delivered: Option<String>,
}

/// Renders the preview index page that links a day's digests.
///
/// # Errors
/// [`RenderError`] when the template fails.
/// `status` is the sentence under the title: what has been sent of these digests.
pub fn render_index(
    title: &str,
    date: NaiveDate,
    language: &str,
    entries: &[IndexEntry],
    status: &str,
) -> Result<String, RenderError> {
    let date_long = long_date(date);
    Ok(IndexHtml { lang: language, title, date_long: &date_long, entries, status }.render()?)
}

/// `Thursday, 26 November 2026`.
pub fn long_date(date: NaiveDate) -> String {
    date.format("%A, %-d %B %Y").to_string()
}

/// `26 Nov 2026`.
pub fn short_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

fn item_view<'a>(
    item: &'a DigestItem,
    edition: NaiveDate,
    audience: &Audience<'_>,
) -> ItemView<'a> {
    let article = &item.article;
    let link = story_link(article, audience);
    // The archive's page is where a story with no URL of its own can be read in full.
    let full_text: &[String] =
        if audience.web && article.url.is_none() { &article.paragraphs } else { &[] };
    // The edition's own date goes without saying.
    let date = article
        .published
        .map(|published| published.date_naive())
        .filter(|day| *day != edition)
        .map(short_date);
    // A story with no text of its own (a headline and a link) has no reading time.
    // Shown from 3 minutes: a shorter read goes without saying.
    let minutes = match crate::text::reading_minutes(&article.paragraphs) {
        minutes if minutes >= 3 && !article.paragraphs.is_empty() => minutes,
        _ => 0,
    };
    let mut meta = article.source.clone();
    if let Some(date) = &date {
        meta.push_str(" · ");
        meta.push_str(date);
    }
    if minutes > 0 {
        meta.push_str(&format!(" · {minutes} min read"));
    }
    ItemView {
        title: &article.title,
        // As written: capitals only shout in a plain-text mail.
        title_wrapped: textwrap::fill(&article.title, TEXT_WIDTH),
        anchor: story_anchor(&article.id),
        href: link.as_ref().map(|(href, _)| href.clone()),
        link_label: link.map(|(_, label)| label).unwrap_or_default(),
        full_text,
        source: &article.source,
        date,
        minutes,
        meta: textwrap::fill(&meta, TEXT_WIDTH),
        summary: &item.summary.text,
        summary_wrapped: textwrap::fill(&item.summary.text, TEXT_WIDTH),
        also_in: match article.also_in() {
            names if names.is_empty() => String::new(),
            names => format!("Also in: {}", names.join(", ")),
        },
    }
}

struct SectionView<'a> {
    anchor: &'a str,
    name: &'a str,
    items: Vec<ItemView<'a>>,
}

struct ItemView<'a> {
    title: &'a str,
    title_wrapped: String,
    /// The story's anchor in the page.
    anchor: String,
    /// Where the headline and the follow-on link lead.
    href: Option<String>,
    /// The follow-on link's words (`Read at <source> →`).
    link_label: String,
    /// The whole text, on the archive's page, for a story with no URL (else empty).
    full_text: &'a [String],
    source: &'a str,
    date: Option<String>,
    minutes: usize,
    meta: String,
    summary: &'a str,
    summary_wrapped: String,
    also_in: String,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    lang: &'a str,
    title: &'a str,
    date_long: &'a str,
    item_count: usize,
    preheader: &'a str,
    brief: &'a [BriefView<'a>],
    sections: &'a [SectionView<'a>],
    reason: &'a str,
    unsubscribe_href: &'a str,
    preferences_href: Option<&'a str>,
    view_href: Option<&'a str>,
    postal_address: Option<&'a str>,
    web: bool,
    subscribe_href: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    title: &'a str,
    date_long: &'a str,
    item_count: usize,
    brief: &'a [BriefView<'a>],
    sections: &'a [SectionView<'a>],
    reason_wrapped: &'a str,
    unsubscribe_href: &'a str,
    preferences_href: Option<&'a str>,
    view_href: Option<&'a str>,
    postal_address: Option<&'a str>,
    web: bool,
    subscribe_href: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexHtml<'a> {
    lang: &'a str,
    title: &'a str,
    date_long: &'a str,
    entries: &'a [IndexEntry],
    status: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parts_in_order() {
        assert_eq!(
            template_parts("{title} — {date}: {when} {oops"),
            [
                TemplatePart::Placeholder("title"),
                TemplatePart::Text(" — "),
                TemplatePart::Placeholder("date"),
                TemplatePart::Text(": "),
                TemplatePart::Placeholder("when"),
                TemplatePart::Text(" "),
                TemplatePart::Unclosed("{oops"),
            ]
        );
        assert_eq!(template_parts("plain"), [TemplatePart::Text("plain")]);
    }
}
