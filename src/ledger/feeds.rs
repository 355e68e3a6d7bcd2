//! Feeds: each source's ETag, Last-Modified and Retry-After, and the items fetched from it,
//! kept as versioned JSON records until they leave the window.

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};

use super::{Ledger, LedgerError, sqlite, time_text};
use crate::model::FeedEntry;

/// A feed item as stored: a versioned ledger record, not the domain type.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredEntry {
    guid: Option<String>,
    title: Option<String>,
    link: Option<String>,
    published: Option<String>,
    author: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    content: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    full_page: bool,
    source_name: String,
}

impl From<&FeedEntry> for StoredEntry {
    fn from(entry: &FeedEntry) -> Self {
        StoredEntry {
            guid: entry.guid.clone(),
            title: entry.title.clone(),
            link: entry.link.clone(),
            published: entry.published.map(time_text),
            author: entry.author.clone(),
            categories: entry.categories.clone(),
            content: entry.content.clone(),
            summary: entry.summary.clone(),
            full_page: entry.full_page,
            source_name: entry.source_name.clone(),
        }
    }
}

impl From<StoredEntry> for FeedEntry {
    fn from(stored: StoredEntry) -> Self {
        FeedEntry {
            guid: stored.guid,
            title: stored.title,
            link: stored.link,
            published: stored.published.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()),
            author: stored.author,
            categories: stored.categories,
            content: stored.content,
            summary: stored.summary,
            full_page: stored.full_page,
            source_name: stored.source_name,
        }
    }
}

/// A feed's stored ETag and Last-Modified.
pub type StoredValidators = (Option<String>, Option<String>);

/// A stored feed item and when it was first fetched (its date when the feed gives none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    /// The item.
    pub entry: FeedEntry,
    /// When it was first fetched.
    pub first_seen: DateTime<FixedOffset>,
}

/// What the ledger knows of one feed source, for `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeed {
    /// The source's id.
    pub source_id: String,
    /// Its URL or file.
    pub url: String,
    /// When it was last fetched (or tried).
    pub checked_at: String,
    /// True when an ETag or Last-Modified is kept for a conditional GET.
    pub conditional: bool,
    /// Not to be fetched before this time (Retry-After), when set.
    pub retry_after: Option<String>,
    /// Items kept from earlier fetches.
    pub items: usize,
}

impl Ledger {
    /// Every feed source the ledger knows, by id.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn stored_feeds(&self) -> Result<Vec<StoredFeed>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.source_id, f.url, f.checked_at,
                        f.etag IS NOT NULL OR f.last_modified IS NOT NULL, f.retry_after,
                        (SELECT COUNT(*) FROM feed_items i WHERE i.source_id = f.source_id)
                 FROM feeds f ORDER BY f.source_id",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(StoredFeed {
                    source_id: row.get(0)?,
                    url: row.get(1)?,
                    checked_at: row.get(2)?,
                    conditional: row.get(3)?,
                    retry_after: row.get(4)?,
                    items: row.get(5)?,
                })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// The ETag and Last-Modified stored for a feed source, when its URL is still `url`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn feed_validators(
        &self,
        source_id: &str,
        url: &str,
    ) -> Result<Option<StoredValidators>, LedgerError> {
        self.conn
            .query_row(
                "SELECT etag, last_modified FROM feeds WHERE source_id = ?1 AND url = ?2",
                params![source_id, url],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|err| self.err(err))
    }

    /// Until when a feed source asked not to be fetched (Retry-After), if that is after `now`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn feed_retry_after(
        &self,
        source_id: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<DateTime<FixedOffset>>, LedgerError> {
        let until: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT retry_after FROM feeds WHERE source_id = ?1",
                params![source_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|err| self.err(err))?;
        Ok(until
            .flatten()
            .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
            .filter(|until| *until > now))
    }

    /// Records (or, with `None`, clears) a feed source's Retry-After time.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn set_feed_retry_after(
        &mut self,
        source_id: &str,
        url: &str,
        until: Option<DateTime<FixedOffset>>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT INTO feeds (source_id, url, checked_at, retry_after) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source_id) DO UPDATE SET retry_after = excluded.retry_after,
                     checked_at = excluded.checked_at",
                params![source_id, url, time_text(now), until.map(time_text)],
            )
            .map(drop)
            .map_err(|err| self.err(err))
    }

    /// Records a fetched feed: its validators and its items (keyed; a known item keeps its
    /// first-seen time, a new one gets `first_seen`), in one transaction.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    #[allow(clippy::too_many_arguments, reason = "one fetch's columns; called from one place")]
    pub fn store_feed(
        &mut self,
        source_id: &str,
        url: &str,
        validators: (Option<&str>, Option<&str>),
        items: &[(String, FeedEntry)],
        first_seen: DateTime<FixedOffset>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|err| sqlite(&path, err))?;
        tx.execute(
            "INSERT INTO feeds (source_id, url, etag, last_modified, checked_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source_id) DO UPDATE SET url = excluded.url, etag = excluded.etag,
                 last_modified = excluded.last_modified, checked_at = excluded.checked_at,
                 retry_after = NULL",
            params![source_id, url, validators.0, validators.1, time_text(now)],
        )
        .map_err(|err| sqlite(&path, err))?;
        {
            let mut upsert = tx
                .prepare(
                    "INSERT INTO feed_items (source_id, item_key, first_seen, published, entry)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (source_id, item_key) DO UPDATE SET
                         published = excluded.published, entry = excluded.entry",
                )
                .map_err(|err| sqlite(&path, err))?;
            for (key, entry) in items {
                let json = serde_json::to_string(&StoredEntry::from(entry)).unwrap_or_default();
                upsert
                    .execute(params![
                        source_id,
                        key,
                        time_text(first_seen),
                        entry.published.map(time_text),
                        json
                    ])
                    .map_err(|err| sqlite(&path, err))?;
            }
        }
        tx.commit().map_err(|err| sqlite(&path, err))
    }

    /// Every stored item of a feed source, in key order.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn feed_items(&self, source_id: &str) -> Result<Vec<StoredItem>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT first_seen, entry FROM feed_items WHERE source_id = ?1 ORDER BY item_key",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![source_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|err| self.err(err))?;
        let mut items = Vec::new();
        for row in rows {
            let (first_seen, json) = row.map_err(|err| self.err(err))?;
            // A record this build cannot read is skipped: it would only be re-fetched.
            let Ok(stored) = serde_json::from_str::<StoredEntry>(&json) else { continue };
            let Ok(first_seen) = DateTime::parse_from_rfc3339(&first_seen) else { continue };
            items.push(StoredItem { entry: stored.into(), first_seen });
        }
        Ok(items)
    }

    /// Forgets feed items dated (or, undated, first seen) before `before`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn prune_feed_items(
        &mut self,
        before: DateTime<FixedOffset>,
    ) -> Result<usize, LedgerError> {
        self.conn
            .execute(
                "DELETE FROM feed_items
                 WHERE julianday(COALESCE(published, first_seen)) < julianday(?1)",
                params![time_text(before)],
            )
            .map_err(|err| self.err(err))
    }
}
