//! The orchestrator: the one place that knows the order of the stages.
//!
//! `ingest → extract → select → summarize → render → archive → deliver`, with the ledger.
//! It turns per-item failures into report entries, never into early returns: one bad file
//! never stops a digest, one refused recipient never stops the others. [`run`] holds the
//! sending commands (`run`, `retry`, `status`, `unsubscribe`, `check --smtp`).

pub mod audience;
pub mod bounces;
pub mod edition;
pub mod gather;
pub mod run;
pub mod subscribers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::model::{Article, Classified, Digest, RawArticle, Summary};
use crate::render::{Audience, IndexEntry};
use crate::select::TopicMatcher;
use crate::summarize::DigestMeta;
use crate::{archive, extract, ingest, render, select, summarize};

/// A file that gave no article, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// Every article the sources hold, classified, plus what was skipped.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Articles, in source and path order.
    pub articles: Vec<Classified>,
    /// Files and folders that gave no article.
    pub skipped: Vec<Skipped>,
    /// Files that were not valid UTF-8 and were decoded lossily.
    pub lossy: Vec<PathBuf>,
}

/// Reads, extracts and classifies every article of every source.
pub fn load_articles(config: &Config) -> Loaded {
    let ingested = ingest::collect(&config.sources);
    let matcher = TopicMatcher::new(&config.select.topics);
    let mut loaded = Loaded {
        skipped: ingested
            .failures
            .into_iter()
            .map(|failure| Skipped { path: failure.path, reason: failure.reason })
            .collect(),
        ..Loaded::default()
    };
    // Extraction is the CPU work of a run: on every core, the longest pages first.
    let results = crate::parallel::map_heaviest_first(
        ingested.items,
        |raw| raw.text.len(),
        |raw| {
            let path = raw.path.clone();
            let lossy = raw.lossy;
            let result = extract::clean(raw).map(|article| select::classify(article, &matcher));
            (path, lossy, result)
        },
    );
    for (path, lossy, result) in results {
        if lossy {
            loaded.lossy.push(path.clone());
        }
        match result {
            Ok(classified) => loaded.articles.push(classified),
            Err(err) => loaded.skipped.push(Skipped { path, reason: err.to_string() }),
        }
    }
    loaded
}

/// One article file, parsed for `newsdigest article FILE`.
#[derive(Debug)]
pub struct SingleArticle {
    /// The article and its topics.
    pub classified: Classified,
    /// Its lead summary.
    pub summary: Summary,
    /// True when the file was not valid UTF-8.
    pub lossy: bool,
}

/// One feed read for `newsdigest feed FILE|URL`: what a feed source would offer.
#[derive(Debug)]
pub struct SingleFeed {
    /// The feed's own title, when it has one.
    pub title: Option<String>,
    /// Its items, in feed order, as articles.
    pub items: Vec<Article>,
    /// Items left out: their title or link, and why.
    pub skipped: Vec<(String, String)>,
    /// Why only part of the feed could be read, when so.
    pub partial: Option<String>,
}

/// Reads one feed (a file, or a URL fetched as a source's would be) and extracts its items.
///
/// # Errors
/// When the feed cannot be fetched, read or parsed; the error names it and its category.
pub async fn feed(config: &Config, location: &str) -> anyhow::Result<SingleFeed> {
    let lower = location.to_ascii_lowercase();
    let location = if lower.starts_with("http://") || lower.starts_with("https://") {
        crate::config::FeedLocation::Url(location.to_owned())
    } else {
        crate::config::FeedLocation::Path(PathBuf::from(location))
    };
    // No id and no name: the feed's own title is then the entries' source name.
    let source = crate::config::FeedSource {
        id: String::new(),
        location,
        name: None,
        fetch_full: crate::config::FetchFull::Never,
        tags: Vec::new(),
    };
    let fetcher = ingest::fetch::Fetcher::new(&config.fetch).map_err(anyhow::Error::msg)?;
    let outcome = ingest::feed::fetch(&source, &fetcher, None)
        .await
        .map_err(|err| anyhow::anyhow!("feed `{}`: {err}", source.location))?;
    let ingest::feed::FeedOutcome::Fresh { entries, partial, title, .. } = outcome else {
        anyhow::bail!("feed `{}`: not modified", source.location);
    };
    let title = title.map(|title| extract::html::inline_text(&title)).filter(|t| !t.is_empty());
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries {
        let name = entry.title.clone().or_else(|| entry.link.clone()).unwrap_or_default();
        let raw = RawArticle::feed_item(entry, "feed", "", None);
        match extract::clean(raw) {
            Ok(article) => items.push(article),
            Err(err) => skipped.push((name, err.to_string())),
        }
    }
    Ok(SingleFeed { title, items, skipped, partial })
}

/// Parses one file the way a source would.
///
/// # Errors
/// When the file cannot be read or gives no article; the error names the file.
pub fn article(config: &Config, path: &Path) -> anyhow::Result<SingleArticle> {
    let raw = ingest::files::read_article("file", path, ingest::files::DEFAULT_MAX_BYTES)
        .map_err(|reason| anyhow::anyhow!("cannot read `{}`: {reason}", path.display()))?;
    let lossy = raw.lossy;
    let article =
        extract::clean(raw).with_context(|| format!("no article in `{}`", path.display()))?;
    let summary = summarize::lead(&article, &config.summary, &config.digest.language);
    let classified = select::classify(article, &TopicMatcher::new(&config.select.topics));
    Ok(SingleArticle { classified, summary, lossy })
}

/// One digest written by `preview`.
#[derive(Debug, Clone)]
pub struct PreviewedDigest {
    /// The topic-set slug (`all`, `climate+ukraine-war`).
    pub slug: String,
    /// The HTML file.
    pub html: PathBuf,
    /// The text file.
    pub text: PathBuf,
    /// Stories in it.
    pub items: usize,
    /// Subscribers who would receive it.
    pub subscribers: usize,
}

/// What `preview` did.
#[derive(Debug)]
pub struct PreviewReport {
    /// Articles read.
    pub articles: usize,
    /// Articles inside the window after deduplication.
    pub selected: usize,
    /// Digests written (topic sets with at least one story).
    pub digests: Vec<PreviewedDigest>,
    /// Topic sets that had no story today.
    pub empty: Vec<String>,
    /// The index page.
    pub index: PathBuf,
    /// Files that gave no article.
    pub skipped: Vec<Skipped>,
    /// Files decoded lossily.
    pub lossy: Vec<PathBuf>,
    /// What each feed source gave.
    pub feeds: Vec<gather::FeedReport>,
}

/// The digests of one day, one per distinct topic set of the audience (see
/// [`audience::audience`]; one for all topics when there is nobody), each with its set's
/// index, in the sets' order by topics. A set left with no member has no digest.
pub fn plan_digests(
    config: &Config,
    sets: &[audience::TopicSet],
    selection: &crate::model::Selection,
    now: DateTime<FixedOffset>,
) -> Vec<(Digest, usize)> {
    let mut order: Vec<usize> =
        (0..sets.len()).filter(|&index| sets[index].subscribers > 0 || sets.len() == 1).collect();
    order.sort_by(|&a, &b| sets[a].topics.cmp(&sets[b].topics));
    order
        .into_iter()
        .map(|index| {
            let topics = &sets[index].topics;
            let sections = select::sections(selection, topics, &config.select);
            let topic_names = if topics.is_empty() {
                Vec::new()
            } else {
                config
                    .select
                    .topics
                    .iter()
                    .filter(|topic| topics.contains(&topic.id))
                    .map(|topic| topic.name.clone())
                    .collect()
            };
            let meta = DigestMeta {
                title: config.digest.title.clone(),
                date: now.date_naive(),
                slug: slug(topics),
                topic_names,
                language: config.digest.language.clone(),
            };
            (summarize::digest(sections, meta, &config.summary), index)
        })
        .collect()
}

/// Runs the pipeline and writes the day's previews and index; contacts no mail server and
/// changes no state.
///
/// # Errors
/// When a digest cannot be rendered or a file cannot be written.
pub async fn preview(config: &Config, now: DateTime<FixedOffset>) -> anyhow::Result<PreviewReport> {
    let mut ledger = match crate::ledger::Ledger::open_read_only(&config.state_file)? {
        Some(ledger) => ledger,
        None => crate::ledger::Ledger::scratch()?,
    };
    let sets = audience::audience(config, &mut ledger, audience::Record::Read, &|_| true, now)?;
    let (loaded, feeds) =
        gather::gather(config, gather::FeedState::Read(Some(&ledger)), now).await?;
    let n_articles = loaded.articles.len();
    let selection = select::select(loaded.articles, &config.select, now);
    let mut empty = Vec::new();
    let mut rendered_digests = Vec::new();
    for (digest, set) in plan_digests(config, &sets, &selection, now) {
        if digest.item_count() == 0 {
            empty.push(digest.slug);
            continue;
        }
        let audience =
            Audience { reason: reason(&digest), unsubscribe_url: None, ..Audience::default() };
        let rendered = render::render(&digest, &config.digest.language, &audience)
            .with_context(|| format!("cannot render the digest `{}`", digest.slug))?;
        rendered_digests.push((digest, rendered, sets[set].subscribers));
    }
    let pages: Vec<ArchivePage> = rendered_digests
        .iter()
        .map(|(digest, rendered, subscribers)| ArchivePage {
            slug: digest.slug.clone(),
            label: label(digest),
            items: digest.item_count(),
            html: rendered.html.clone(),
            text: rendered.text.clone(),
            subscribers: *subscribers,
        })
        .collect();
    let (digests, index) = write_archive(config, now.date_naive(), &pages, NOTHING_SENT)?;
    Ok(PreviewReport {
        articles: n_articles,
        selected: selection.articles.len(),
        digests,
        empty,
        index,
        skipped: loaded.skipped,
        lossy: loaded.lossy,
        feeds,
    })
}

/// One digest to write to the archive.
#[derive(Debug)]
pub struct ArchivePage {
    /// The digest's slug (file names).
    pub slug: String,
    /// What it covers, for the index.
    pub label: String,
    /// Stories in it.
    pub items: usize,
    /// Its HTML.
    pub html: String,
    /// Its text.
    pub text: String,
    /// How many subscribers receive it.
    pub subscribers: usize,
}

/// The index page's sentence for digests that were only previewed.
pub const NOTHING_SENT: &str = "Previews only: nothing has been sent.";

/// Writes each page as `<slug>.html` and `<slug>.txt` under the edition's folder, then the
/// index page linking them, saying `status`; returns what was written and the index's path.
///
/// # Errors
/// When a file cannot be written or the index cannot be rendered.
pub fn write_archive(
    config: &Config,
    date: chrono::NaiveDate,
    pages: &[ArchivePage],
    status: &str,
) -> anyhow::Result<(Vec<PreviewedDigest>, PathBuf)> {
    let dir = archive::edition_dir(&config.digest.output_dir, date);
    let mut written = Vec::new();
    for page in pages {
        let html = dir.join(format!("{}.html", page.slug));
        let text = dir.join(format!("{}.txt", page.slug));
        archive::write_atomic(&html, page.html.as_bytes())?;
        archive::write_atomic(&text, page.text.as_bytes())?;
        written.push(PreviewedDigest {
            slug: page.slug.clone(),
            html,
            text,
            items: page.items,
            subscribers: page.subscribers,
        });
    }
    let index = write_index(config, date, pages, &BTreeMap::new(), status)?;
    Ok((written, index))
}

/// Writes the index page of `date`'s digests, each with what became of it (`delivered`, by
/// slug) and `status` under the title; returns its path.
///
/// # Errors
/// When the page cannot be rendered or written.
pub fn write_index(
    config: &Config,
    date: chrono::NaiveDate,
    pages: &[ArchivePage],
    delivered: &BTreeMap<String, String>,
    status: &str,
) -> anyhow::Result<PathBuf> {
    let entries: Vec<IndexEntry> = pages
        .iter()
        .map(|page| IndexEntry {
            label: page.label.clone(),
            html_file: format!("{}.html", page.slug),
            text_file: format!("{}.txt", page.slug),
            items: page.items,
            subscribers: match page.subscribers {
                0 => "preview only".to_owned(),
                1 => "1 subscriber".to_owned(),
                n => format!("{n} subscribers"),
            },
            delivered: delivered.get(&page.slug).cloned(),
        })
        .collect();
    let index_html =
        render::render_index(&config.digest.title, date, &config.digest.language, &entries, status)
            .context("cannot render the index page")?;
    let index = archive::edition_dir(&config.digest.output_dir, date).join("index.html");
    archive::write_atomic(&index, index_html.as_bytes())?;
    Ok(index)
}

/// What a digest covers, for the index page: `All topics` or the topic names.
pub fn label(digest: &Digest) -> String {
    if digest.topic_names.is_empty() {
        "All topics".to_owned()
    } else {
        digest.topic_names.join(" + ")
    }
}

/// The footer's sentence on why the reader got this digest.
pub fn reason(digest: &Digest) -> String {
    if digest.topic_names.is_empty() {
        format!("You are receiving {} because you subscribed to every topic.", digest.title)
    } else {
        format!(
            "You are receiving {} because you subscribed to these topics: {}.",
            digest.title,
            digest.topic_names.join(", ")
        )
    }
}

/// A file name for a topic set: `all`, or the sorted topic ids joined by `+` (shortened with a
/// hash past 80 characters).
pub fn slug(topics: &[String]) -> String {
    if topics.is_empty() {
        return "all".to_owned();
    }
    let joined = topics.join("+");
    if joined.len() <= 80 {
        return joined;
    }
    use sha2::{Digest as _, Sha256};
    let hash = Sha256::digest(joined.as_bytes());
    let short: String = hash.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
    let mut head: String = joined.chars().take(60).collect();
    head.truncate(head.trim_end_matches('+').len());
    format!("{head}+{short}")
}

/// How many subscribers the config lists (`[[subscribers]]` and `subscribers_file`, read row
/// by row when the config was loaded without keeping them), and how many distinct digests
/// their topic sets make (at least one).
///
/// # Errors
/// When `subscribers_file` cannot be read again.
pub fn audience_counts(config: &Config) -> anyhow::Result<(usize, usize)> {
    let mut subscribers = 0;
    let mut sets: std::collections::BTreeSet<Vec<String>> = std::collections::BTreeSet::new();
    config.for_each_listed(|subscriber| {
        subscribers += 1;
        let mut topics = subscriber.topics;
        topics.sort_unstable();
        sets.insert(topics);
        Ok(())
    })?;
    Ok((subscribers, sets.len().max(1)))
}

/// Renders a small built-in digest through every template, to prove they work.
///
/// # Errors
/// When a template or the CSS inliner fails.
pub fn check_templates(config: &Config) -> anyhow::Result<()> {
    use crate::model::{
        Article, ArticleFormat, ArticleId, DateOrigin, DigestItem, TopicMatch, TopicSection,
    };
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let article = Article {
        id: ArticleId::from_url("https://example.com/check"),
        title: "Template check <&> \"quoted\"".to_owned(),
        paragraphs: vec!["A sentence to render.".to_owned()],
        url: Some("https://example.com/check?a=1&b=2".to_owned()),
        published: None,
        date_origin: DateOrigin::Unknown,
        source: "check".to_owned(),
        author: None,
        tags: Vec::new(),
        origin: PathBuf::from("check"),
        format: ArticleFormat::Markdown,
        copies: vec![crate::model::StoryCopy {
            id: ArticleId::from_url("https://example.org/copy"),
            url: Some("https://example.org/copy".to_owned()),
            source: "Other Source".to_owned(),
        }],
    };
    let digest = Digest {
        title: config.digest.title.clone(),
        date,
        slug: "check".to_owned(),
        topic_names: vec!["Check".to_owned()],
        sections: vec![TopicSection {
            id: "check".to_owned(),
            name: "Check".to_owned(),
            items: vec![DigestItem {
                article,
                summary: Summary { text: "A sentence to render.".to_owned(), truncated: false },
                matched: TopicMatch { topic_id: "check".to_owned(), score: 1.0, terms: Vec::new() },
            }],
        }],
    };
    let audience =
        Audience { reason: reason(&digest), unsubscribe_url: None, ..Audience::default() };
    render::render(&digest, &config.digest.language, &audience)
        .context("the digest templates fail")?;
    render::render_index(&config.digest.title, date, &config.digest.language, &[], NOTHING_SENT)
        .context("the index template fails")?;
    Ok(())
}
