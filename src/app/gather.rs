//! Gathering: every source's articles, files and feeds, extracted and classified.
//!
//! Feeds are fetched concurrently (the fetcher bounds it, one request per host at a time).
//! A feed item that is only a teaser gets its linked page fetched (as an untrusted link, all
//! pages of the run at once within one time budget) and the page's article taken instead,
//! when the source allows it. With a writable ledger, each feed's validators
//! and items are stored, so the next run can send a conditional GET and a 304 still yields
//! every item fetched earlier and not yet sent; items leave the store once out of the window.
//! A failing source is reported with its category and never stops the others.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeDelta};
use tokio::task::JoinSet;

use super::{Loaded, load_articles};
use crate::config::{Config, FeedLocation, FeedSource, FetchFull, SourceConfig};
use crate::extract;
use crate::ingest::feed::{self, FeedOutcome, entry_key};
use crate::ingest::fetch::{FetchError, Fetched, Fetcher, Trust, Validators, decode_page};
use crate::ledger::Ledger;
use crate::model::{FeedEntry, RawArticle};
use crate::select::{self, TopicMatcher};
use crate::summarize;
use crate::text::word_count;

/// How the ledger is used while gathering.
#[derive(Debug)]
pub enum FeedState<'a> {
    /// Store validators and items (`run`).
    Write(&'a mut Ledger),
    /// Read what is stored, change nothing (`preview`, `articles`, `run --dry-run`).
    Read(Option<&'a Ledger>),
}

impl FeedState<'_> {
    /// The ledger to read from, in either state.
    fn ledger(&self) -> Option<&Ledger> {
        match self {
            FeedState::Write(ledger) => Some(ledger),
            FeedState::Read(ledger) => *ledger,
        }
    }
}

/// What happened to one feed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedReport {
    /// The source's id.
    pub source_id: String,
    /// Its URL or file.
    pub location: String,
    /// Items this fetch gave (0 for a 304 or a failure).
    pub fetched: usize,
    /// Items offered to selection (fetched now or stored earlier).
    pub items: usize,
    /// True on a 304.
    pub not_modified: bool,
    /// The failure, when the feed could not be fetched or read.
    pub failure: Option<FetchError>,
    /// Notes: a partly readable feed, pages that could not be fetched.
    pub notes: Vec<String>,
}

/// Reads every source and classifies its articles.
///
/// # Errors
/// When the ledger cannot be read or written, or the HTTP client cannot be set up.
pub async fn gather(
    config: &Config,
    mut state: FeedState<'_>,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<(Loaded, Vec<FeedReport>)> {
    let mut loaded = load_articles(config);
    let feeds: Vec<&FeedSource> = config
        .sources
        .iter()
        .filter_map(|source| match source {
            SourceConfig::Feed(feed) => Some(feed),
            SourceConfig::Files { .. } => None,
        })
        .collect();
    if feeds.is_empty() {
        return Ok((loaded, Vec::new()));
    }
    let fetcher = Arc::new(Fetcher::new(&config.fetch).map_err(anyhow::Error::msg)?);
    let mut tasks = JoinSet::new();
    let mut waiting: BTreeMap<usize, DateTime<FixedOffset>> = BTreeMap::new();
    for (idx, source) in feeds.iter().enumerate() {
        let ledger = state.ledger();
        if let Some(until) =
            ledger.map(|l| l.feed_retry_after(&source.id, now)).transpose()?.flatten()
        {
            waiting.insert(idx, until);
            continue;
        }
        let validators = match (ledger, &source.location) {
            (Some(ledger), FeedLocation::Url(url)) => stored_validators(ledger, source, url)?,
            _ => None,
        };
        let source = (*source).clone();
        let fetcher = Arc::clone(&fetcher);
        tasks.spawn(async move {
            let outcome = feed::fetch(&source, &fetcher, validators.as_ref()).await;
            (idx, outcome)
        });
    }
    let mut outcomes: BTreeMap<usize, Result<FeedOutcome, FetchError>> = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok((idx, outcome)) = done {
            outcomes.insert(idx, outcome);
        }
    }

    let mut fetched: Vec<(FeedReport, Option<Fresh>)> = Vec::new();
    for (idx, source) in feeds.iter().enumerate() {
        let mut report = FeedReport {
            source_id: source.id.clone(),
            location: source.location.to_string(),
            fetched: 0,
            items: 0,
            not_modified: false,
            failure: None,
            notes: Vec::new(),
        };
        let fresh = match outcomes.remove(&idx) {
            _ if waiting.contains_key(&idx) => {
                let until = waiting.get(&idx).map(DateTime::to_rfc3339).unwrap_or_default();
                report.notes.push(format!(
                    "not fetched: the server asked to wait until {until} (Retry-After); stored items used"
                ));
                None
            }
            Some(Ok(FeedOutcome::Fresh {
                entries, validators, partial, lossy, modified, ..
            })) => {
                report.fetched = entries.len();
                report.notes.extend(partial);
                if lossy {
                    report.notes.push("bytes invalid in the feed's charset were replaced".into());
                }
                Some(Fresh { entries, validators, first_seen: modified.unwrap_or(now) })
            }
            Some(Ok(FeedOutcome::NotModified)) => {
                report.not_modified = true;
                None
            }
            Some(Err(failure)) => {
                if let (FeedState::Write(ledger), Some(until)) =
                    (&mut state, failure.retry_until(now))
                {
                    ledger.set_feed_retry_after(
                        &source.id,
                        &source.location.to_string(),
                        Some(until),
                        now,
                    )?;
                }
                report.failure = Some(failure);
                None
            }
            None => {
                report.failure = Some(FetchError::new(
                    crate::ingest::fetch::FailureCategory::Connect,
                    "the fetch task ended without a result",
                ));
                None
            }
        };
        fetched.push((report, fresh));
    }
    fetch_full_pages(&feeds, &mut fetched, &fetcher, config).await;

    let matcher = TopicMatcher::new(&config.select.topics);
    let mut reports = Vec::new();
    for (source, (mut report, fresh)) in feeds.iter().zip(fetched) {
        let items = items_to_offer(&mut state, source, fresh, now, config)?;
        report.items = items.len();
        let location = source.location.to_string();
        let results = crate::parallel::map(items, |(entry, first_seen)| {
            let raw = RawArticle::feed_item(entry, &source.id, &location, Some(first_seen));
            let path = raw.path.clone();
            (path, extract::clean(raw).map(|article| select::classify(article, &matcher)))
        });
        for (path, result) in results {
            match result {
                Ok(classified) => loaded.articles.push(classified),
                Err(err) => loaded
                    .skipped
                    .push(super::Skipped { path, reason: format!("feed `{}`: {err}", source.id) }),
            }
        }
        reports.push(report);
    }
    Ok((loaded, reports))
}

/// A feed's new items, with their validators and the time new items count as first seen
/// (now, or a local file's modification time).
struct Fresh {
    entries: Vec<FeedEntry>,
    validators: Validators,
    first_seen: DateTime<FixedOffset>,
}

fn stored_validators(
    ledger: &Ledger,
    source: &FeedSource,
    url: &str,
) -> anyhow::Result<Option<Validators>> {
    Ok(ledger
        .feed_validators(&source.id, url)?
        .map(|(etag, last_modified)| Validators { etag, last_modified }))
}

/// The items of a feed to offer to selection: stored ones (from earlier fetches, not yet out
/// of the window) merged with this fetch's, each with the time it was first seen.
fn items_to_offer(
    state: &mut FeedState<'_>,
    source: &FeedSource,
    fresh: Option<Fresh>,
    now: DateTime<FixedOffset>,
    config: &Config,
) -> anyhow::Result<Vec<(FeedEntry, DateTime<FixedOffset>)>> {
    // Feed order: this fetch's items as the feed lists them, then stored ones it no longer
    // lists, oldest first.
    let order: BTreeMap<String, usize> = fresh
        .as_ref()
        .map(|fresh| {
            fresh.entries.iter().enumerate().map(|(idx, entry)| (entry_key(entry), idx)).collect()
        })
        .unwrap_or_default();
    let mut items = stored_and_fresh(state, source, fresh, now, config)?;
    items.sort_by_key(|(entry, first_seen)| {
        (order.get(&entry_key(entry)).copied().unwrap_or(usize::MAX), *first_seen)
    });
    Ok(items)
}

/// The items of [`items_to_offer`], in the store's order.
fn stored_and_fresh(
    state: &mut FeedState<'_>,
    source: &FeedSource,
    fresh: Option<Fresh>,
    now: DateTime<FixedOffset>,
    config: &Config,
) -> anyhow::Result<Vec<(FeedEntry, DateTime<FixedOffset>)>> {
    let keep_after = now - config.select.window - TimeDelta::days(1);
    match state {
        FeedState::Write(ledger) => {
            if let Some(Fresh { entries, validators, first_seen }) = &fresh {
                let keyed: Vec<(String, FeedEntry)> =
                    entries.iter().map(|entry| (entry_key(entry), entry.clone())).collect();
                ledger.store_feed(
                    &source.id,
                    &source.location.to_string(),
                    (validators.etag.as_deref(), validators.last_modified.as_deref()),
                    &keyed,
                    *first_seen,
                    now,
                )?;
            }
            ledger.prune_feed_items(keep_after)?;
            Ok(ledger
                .feed_items(&source.id)?
                .into_iter()
                .map(|item| (item.entry, item.first_seen))
                .collect())
        }
        FeedState::Read(ledger) => {
            let mut items: BTreeMap<String, (FeedEntry, DateTime<FixedOffset>)> = BTreeMap::new();
            if let Some(ledger) = ledger {
                for item in ledger.feed_items(&source.id)? {
                    if item.entry.published.unwrap_or(item.first_seen) >= keep_after {
                        items.insert(entry_key(&item.entry), (item.entry, item.first_seen));
                    }
                }
            }
            let (entries, fetched_at) =
                fresh.map_or((Vec::new(), now), |fresh| (fresh.entries, fresh.first_seen));
            for entry in entries {
                let key = entry_key(&entry);
                let first_seen = items.get(&key).map_or(fetched_at, |(_, seen)| *seen);
                items.insert(key, (entry, first_seen));
            }
            Ok(items.into_values().collect())
        }
    }
}

/// Replaces teasers with the linked page's article, as each source's `fetch_full` says.
///
/// The pages of every feed are fetched at once (the fetcher keeps to one request per host),
/// as untrusted links, and all of them together within `fetch.full_fetch_budget`: a page not
/// fetched by then leaves its teaser in place, with a note.
async fn fetch_full_pages(
    feeds: &[&FeedSource],
    fetched: &mut [(FeedReport, Option<Fresh>)],
    fetcher: &Arc<Fetcher>,
    config: &Config,
) {
    let budget = config.fetch.full_fetch_budget;
    let deadline = tokio::time::Instant::now() + budget;
    let mut tasks = JoinSet::new();
    for (feed_idx, (source, (_, fresh))) in feeds.iter().zip(fetched.iter()).enumerate() {
        let Some(fresh) = fresh else { continue };
        if source.fetch_full == FetchFull::Never {
            continue;
        }
        for (entry_idx, entry) in fresh.entries.iter().enumerate() {
            let Some(link) = entry.link.clone() else { continue };
            let teaser = extract::feed_text(entry).join(" ");
            if source.fetch_full != FetchFull::Always
                && !is_teaser(&teaser, &config.digest.language)
            {
                continue;
            }
            // Computed once: the page must give more than the teaser to replace it.
            let teaser_words = word_count(&teaser);
            let fetcher = Arc::clone(fetcher);
            tasks.spawn(async move {
                let page =
                    tokio::time::timeout_at(deadline, fetcher.get(&link, None, Trust::Content))
                        .await;
                (feed_idx, entry_idx, link, teaser_words, page)
            });
        }
    }
    let mut pages = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(page) = done {
            pages.push(page);
        }
    }
    pages.sort_by_key(|(feed_idx, entry_idx, ..)| (*feed_idx, *entry_idx));
    let mut bodies = Vec::new();
    for (feed_idx, entry_idx, link, teaser_words, page) in pages {
        let Some((report, Some(_))) = fetched.get_mut(feed_idx) else { continue };
        match page {
            Ok(Ok(Fetched::Body { bytes, content_type, .. })) => {
                bodies.push((feed_idx, entry_idx, link, teaser_words, bytes, content_type));
            }
            Ok(Ok(Fetched::NotModified)) => {}
            Ok(Err(err)) => {
                report.notes.push(format!("full article {link}: {err}; the feed's teaser is used"));
            }
            Err(_) => {
                report.notes.push(format!(
                    "full article {link}: not fetched within fetch.full_fetch_budget ({}s for \
                     all pages of the run); the feed's teaser is used",
                    budget.as_secs_f64()
                ));
            }
        }
    }
    // Extraction is CPU work on independent pages: on every core.
    let parsed = crate::parallel::map(bodies, |(feed_idx, entry_idx, link, words, bytes, kind)| {
        let html = decode_page(&bytes, kind.as_deref()).0;
        (feed_idx, entry_idx, link, words, extract::html::parse(&html).paragraphs)
    });
    for (feed_idx, entry_idx, link, teaser_words, paragraphs) in parsed {
        let Some((report, Some(fresh))) = fetched.get_mut(feed_idx) else { continue };
        let Some(entry) = fresh.entries.get_mut(entry_idx) else { continue };
        if word_count(&paragraphs.join(" ")) <= teaser_words {
            report.notes.push(format!(
                "full article {link}: the page gave no more text than the teaser; the teaser is used"
            ));
            continue;
        }
        entry.content = paragraphs
            .iter()
            .map(|paragraph| format!("<p>{}</p>", crate::text::escape_html(paragraph)))
            .collect();
        entry.summary = None;
        entry.full_page = true;
    }
}

/// A teaser (the plain text of a feed item's content): fewer than two sentences, or under 50
/// words.
pub fn is_teaser(text: &str, language: &str) -> bool {
    word_count(text) < 50 || summarize::split_sentences(text, language).len() < 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teasers() {
        assert!(is_teaser("Only one sentence here.", "en"));
        let long = "This is a sentence with enough words to count. ".repeat(6);
        assert!(!is_teaser(&long, "en"));
        assert!(is_teaser(&"word ".repeat(80), "en"), "no sentence end at all");
    }
}
