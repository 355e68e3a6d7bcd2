//! Editions, their articles, deliveries (one row per date and address), the suppression list
//! and the per-edition status: the ledger's delivery half.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension, params};

use super::{Ledger, LedgerError, Status, date_from_text, date_text, sqlite, time_text};

/// An edition as stored: rendered once with the unsubscribe marker, then frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEdition {
    /// Row id.
    pub id: i64,
    /// The edition's date.
    pub date: NaiveDate,
    /// The digest's slug.
    pub digest: String,
    /// The subject line.
    pub subject: String,
    /// HTML with the unsubscribe marker.
    pub html: String,
    /// Text with the unsubscribe marker.
    pub text: String,
    /// Number of stories.
    pub items: usize,
}

/// An edition listed in the web archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The edition's date.
    pub date: NaiveDate,
    /// The digest's slug.
    pub digest: String,
    /// Its subject line.
    pub subject: String,
    /// Number of stories.
    pub items: usize,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// An article included in an edition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionArticle {
    /// The article's stable id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its link.
    pub url: Option<String>,
}

/// One delivery row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The edition's date.
    pub date: NaiveDate,
    /// The address, lowercased: the key.
    pub email: String,
    /// The mailbox as it goes in `To`.
    pub mailbox: String,
    /// The edition row.
    pub edition_id: i64,
    /// Current status.
    pub status: Status,
    /// Attempts so far, across runs.
    pub attempts: u32,
    /// The server's last reply or the last error.
    pub last_reply: Option<String>,
    /// The message's Message-ID.
    pub message_id: String,
}

/// A delivery to plan: created as `pending` unless a row for the date and address exists.
#[derive(Debug, Clone)]
pub struct PlannedDelivery<'a> {
    /// The address, lowercased.
    pub email: &'a str,
    /// The mailbox for `To`.
    pub mailbox: &'a str,
    /// The edition row.
    pub edition_id: i64,
    /// The deterministic Message-ID.
    pub message_id: &'a str,
}

/// One delivery's outcome, for [`Ledger::record`].
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    /// The edition's date.
    pub date: NaiveDate,
    /// The address.
    pub email: &'a str,
    /// Sent or failed.
    pub status: Status,
    /// Attempts made in this run.
    pub attempts: u32,
    /// The server's last reply, or the error.
    pub reply: &'a str,
    /// Size of the message, when one was built.
    pub bytes: Option<usize>,
}

/// Counts by status and the failures of one edition, for `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionStatus {
    /// The date.
    pub date: NaiveDate,
    /// The digest slug.
    pub digest: String,
    /// Stories in it.
    pub items: usize,
    /// Number of rows in each status, in [`Status`] order.
    pub counts: Vec<(Status, usize)>,
    /// Failed rows: address, status, attempts and last reply.
    pub failures: Vec<Delivery>,
}

/// Adds `n` rows in `status` to `counts` (one entry a status, as in
/// [`EditionStatus::counts`]).
pub fn add_count(counts: &mut Vec<(Status, usize)>, status: Status, n: usize) {
    match counts.iter_mut().find(|(known, _)| *known == status) {
        Some((_, count)) => *count += n,
        None => counts.push((status, n)),
    }
}

impl Ledger {
    /// The stored edition of `digest` on `date`, if it was built already.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn edition(
        &self,
        date: NaiveDate,
        digest: &str,
    ) -> Result<Option<StoredEdition>, LedgerError> {
        self.read_edition("date = ?1 AND digest = ?2", params![date_text(date), digest])
    }

    /// The stored edition with row id `id`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn edition_by_id(&self, id: i64) -> Result<Option<StoredEdition>, LedgerError> {
        self.read_edition("id = ?1", params![id])
    }

    /// Stores an edition's page for the web archive (written once, like the edition).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn set_web_page(&mut self, edition_id: i64, html: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO edition_pages (edition_id, html) VALUES (?1, ?2)",
                params![edition_id, html],
            )
            .map(drop)
            .map_err(|err| self.err(err))
    }

    /// The web archive's page of the edition of `date` and `digest`, with its edition.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn web_page(
        &self,
        date: NaiveDate,
        digest: &str,
    ) -> Result<Option<(StoredEdition, String)>, LedgerError> {
        let Some(edition) = self.edition(date, digest)? else { return Ok(None) };
        let html: Option<String> = self
            .conn
            .query_row(
                "SELECT html FROM edition_pages WHERE edition_id = ?1",
                [edition.id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|err| self.err(err))?;
        Ok(html.map(|html| (edition, html)))
    }

    /// The editions that have a web page, newest first, at most `limit`: (date, digest,
    /// subject, stories, created).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn archive(&self, limit: usize) -> Result<Vec<ArchiveEntry>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.date, e.digest, e.subject, e.items, e.created_at FROM editions e
                 JOIN edition_pages p ON p.edition_id = e.id
                 ORDER BY e.date DESC, e.digest LIMIT ?1",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                Ok(ArchiveEntry {
                    date: super::date_from_text(&row.get::<_, String>(0)?),
                    digest: row.get(1)?,
                    subject: row.get(2)?,
                    items: usize::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                    created_at: row.get(4)?,
                })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// The one edition matching `condition`, if any.
    fn read_edition(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<StoredEdition>, LedgerError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT id, date, digest, subject, html, text, items FROM editions WHERE {condition}"
                ),
                params,
                |row| {
                    Ok(StoredEdition {
                        id: row.get(0)?,
                        date: date_from_text(&row.get::<_, String>(1)?),
                        digest: row.get(2)?,
                        subject: row.get(3)?,
                        html: row.get(4)?,
                        text: row.get(5)?,
                        items: row.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(|err| self.err(err))
    }

    /// Stores a new edition and its articles in one transaction; returns the stored edition.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure (including an edition that exists already).
    pub fn create_edition(
        &mut self,
        edition: &StoredEdition,
        articles: &[EditionArticle],
        now: DateTime<FixedOffset>,
    ) -> Result<StoredEdition, LedgerError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|err| sqlite(&path, err))?;
        tx.execute(
            "INSERT INTO editions (date, digest, created_at, subject, html, text, items)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                date_text(edition.date),
                edition.digest,
                time_text(now),
                edition.subject,
                edition.html,
                edition.text,
                edition.items,
            ],
        )
        .map_err(|err| sqlite(&path, err))?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO edition_articles (edition_id, article_id, title, url)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|err| sqlite(&path, err))?;
            for article in articles {
                insert
                    .execute(params![id, article.id, article.title, article.url])
                    .map_err(|err| sqlite(&path, err))?;
            }
        }
        tx.commit().map_err(|err| sqlite(&path, err))?;
        Ok(StoredEdition { id, ..edition.clone() })
    }

    /// The articles of an edition.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn edition_articles(&self, edition_id: i64) -> Result<Vec<EditionArticle>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT article_id, title, url FROM edition_articles WHERE edition_id = ?1
                 ORDER BY rowid",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![edition_id], |row| {
                Ok(EditionArticle { id: row.get(0)?, title: row.get(1)?, url: row.get(2)? })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// The articles in editions before `date` that reached at least one subscriber, which
    /// are not repeated: their ids, and `url:<canonical URL>` for those with a link (a feed
    /// item that comes back under a new GUID is still the same article).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn sent_before(&self, date: NaiveDate) -> Result<BTreeSet<String>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT a.article_id, a.url FROM edition_articles a
                 JOIN editions e ON e.id = a.edition_id
                 WHERE e.date < ?1 AND EXISTS (
                     SELECT 1 FROM deliveries d
                     WHERE d.date = e.date AND d.edition_id = e.id AND d.status = 'sent')",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![date_text(date)], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
            })
            .map_err(|err| self.err(err))?;
        let mut sent = BTreeSet::new();
        for row in rows {
            let (id, url) = row.map_err(|err| self.err(err))?;
            sent.insert(id);
            if let Some(url) = url {
                sent.insert(format!("url:{url}"));
            }
        }
        Ok(sent)
    }

    /// Creates a `pending` row for each planned delivery that has no row for `date` yet, in
    /// one transaction; returns how many were created.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn plan(
        &mut self,
        date: NaiveDate,
        planned: &[PlannedDelivery<'_>],
        now: DateTime<FixedOffset>,
    ) -> Result<usize, LedgerError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|err| sqlite(&path, err))?;
        let mut created = 0;
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO deliveries
                     (date, email, edition_id, mailbox, status, message_id, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)",
                )
                .map_err(|err| sqlite(&path, err))?;
            let day = date_text(date);
            let stamp = time_text(now);
            for delivery in planned {
                created += insert
                    .execute(params![
                        day,
                        delivery.email,
                        delivery.edition_id,
                        delivery.mailbox,
                        delivery.message_id,
                        stamp,
                    ])
                    .map_err(|err| sqlite(&path, err))?;
            }
        }
        tx.commit().map_err(|err| sqlite(&path, err))?;
        Ok(created)
    }

    /// The rows of `date` (every date when `None`), in address order.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn deliveries(&self, date: Option<NaiveDate>) -> Result<Vec<Delivery>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                     WHERE ?1 IS NULL OR date = ?1 ORDER BY date, email"
            ))
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![date.map(date_text)], delivery_row)
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Records that messages are about to be handed to the transport, in one transaction
    /// committed before any of them is sent; returns, per row, whether it was marked. A row
    /// whose address was suppressed meanwhile (an unsubscribe during the run) is not marked:
    /// never sent, it is removed. The check and the mark are one statement, so an unsubscribe
    /// committed before it is always seen.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure, or when the ledger file was deleted or replaced.
    pub fn mark_sending(
        &mut self,
        rows: &[(NaiveDate, &str)],
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<bool>, LedgerError> {
        self.record_and_mark(&[], rows, now)
    }

    /// [`Ledger::record`] and [`Ledger::mark_sending`] in one transaction: the outcomes of
    /// messages sent, and the rows about to be sent, committed (and synced) once.
    ///
    /// # Errors
    /// As [`Ledger::mark_sending`].
    pub fn record_and_mark(
        &mut self,
        outcomes: &[Recorded<'_>],
        rows: &[(NaiveDate, &str)],
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<bool>, LedgerError> {
        // A ledger deleted or replaced under the run must stop it before the next message:
        // what this run records would be lost, and the next run would send it again.
        self.ensure_same_file()?;
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|err| sqlite(&path, err))?;
        record_in(&tx, &path, outcomes, now)?;
        let mut marked = Vec::with_capacity(rows.len());
        {
            let mut mark = tx
                .prepare_cached(
                    "UPDATE deliveries SET status = 'sending', updated_at = ?3
                     WHERE date = ?1 AND email = ?2
                       AND NOT EXISTS (SELECT 1 FROM suppressions WHERE email = ?2)",
                )
                .map_err(|err| sqlite(&path, err))?;
            let mut drop_row = tx
                .prepare_cached(
                    "DELETE FROM deliveries WHERE date = ?1 AND email = ?2
                       AND status IN ('pending', 'failed-transient')",
                )
                .map_err(|err| sqlite(&path, err))?;
            let stamp = time_text(now);
            for (date, email) in rows {
                let day = date_text(*date);
                let done =
                    mark.execute(params![day, email, stamp]).map_err(|e| sqlite(&path, e))?;
                if done == 0 {
                    drop_row.execute(params![day, email]).map_err(|err| sqlite(&path, err))?;
                }
                marked.push(done > 0);
            }
        }
        tx.commit().map_err(|err| sqlite(&path, err))?;
        Ok(marked)
    }

    /// Removes the row of a message that will not be sent after all (the address left while
    /// the run was under way), unless it was sent or refused.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn withdraw(&mut self, date: NaiveDate, email: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "DELETE FROM deliveries WHERE date = ?1 AND email = ?2
                   AND status IN ('pending', 'sending', 'failed-transient')",
                params![date_text(date), email],
            )
            .map(drop)
            .map_err(|err| self.err(err))
    }

    /// Puts rows marked `sending` that were never handed to the transport (the run stopped
    /// first) back to `pending`, in one transaction.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn unmark_sending(&mut self, rows: &[(NaiveDate, &str)]) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|err| sqlite(&path, err))?;
        {
            let mut unmark = tx
                .prepare_cached(
                    "UPDATE deliveries SET status = 'pending'
                     WHERE date = ?1 AND email = ?2 AND status = 'sending'",
                )
                .map_err(|err| sqlite(&path, err))?;
            for (date, email) in rows {
                unmark.execute(params![date_text(*date), email]).map_err(|e| sqlite(&path, e))?;
            }
        }
        tx.commit().map_err(|err| sqlite(&path, err))
    }

    /// Records the outcomes of deliveries in one transaction: each row's status, the attempts
    /// it took in this run, the server's last reply and the message's size.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn record(
        &mut self,
        outcomes: &[Recorded<'_>],
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|err| sqlite(&path, err))?;
        record_in(&tx, &path, outcomes, now)?;
        tx.commit().map_err(|err| sqlite(&path, err))
    }

    /// Messages sent since `since`, across runs (for `max_per_hour`).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn sent_since(&self, since: DateTime<FixedOffset>) -> Result<usize, LedgerError> {
        // RFC 3339 texts of one offset compare in time order; mixed offsets are compared as
        // instants by SQLite's julianday.
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM deliveries
                 WHERE sent_at IS NOT NULL AND julianday(sent_at) > julianday(?1)",
                params![time_text(since)],
                |row| row.get(0),
            )
            .map_err(|err| self.err(err))
    }

    /// Adds an address to the suppression list; false when it was there already.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn suppress(
        &mut self,
        email: &str,
        reason: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, LedgerError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO suppressions (email, reason, created_at) VALUES (?1, ?2, ?3)",
                params![email.to_lowercase(), reason, time_text(now)],
            )
            .map(|changed| changed > 0)
            .map_err(|err| self.err(err))
    }

    /// Removes an address from the suppression list; false when it was not there.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn unsuppress(&mut self, email: &str) -> Result<bool, LedgerError> {
        self.conn
            .execute("DELETE FROM suppressions WHERE email = ?1", params![email.to_lowercase()])
            .map(|changed| changed > 0)
            .map_err(|err| self.err(err))
    }

    /// Every suppressed address, lowercased.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn suppressed(&self) -> Result<BTreeSet<String>, LedgerError> {
        let mut stmt =
            self.conn.prepare("SELECT email FROM suppressions").map_err(|err| self.err(err))?;
        let rows =
            stmt.query_map([], |row| row.get::<_, String>(0)).map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Per edition of `date` (every date when `None`): counts by status and the failures.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn status(&self, date: Option<NaiveDate>) -> Result<Vec<EditionStatus>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, date, digest, items FROM editions
                 WHERE ?1 IS NULL OR date = ?1 ORDER BY date, digest",
            )
            .map_err(|err| self.err(err))?;
        let editions: Vec<(i64, String, String, usize)> = stmt
            .query_map(params![date.map(date_text)], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .map_err(|err| self.err(err))?
            .collect::<Result<_, _>>()
            .map_err(|err| self.err(err))?;
        // Counted in SQL (an index holds date, edition and status), so a list of a million
        // is never read into memory; only the failures are, to be listed.
        // Two statements, so that a day's is a range of the index, not a scan.
        let mut counted = self
            .conn
            .prepare(match date {
                Some(_) => {
                    "SELECT edition_id, status, COUNT(*) FROM deliveries WHERE date = ?1
                     GROUP BY date, edition_id, status"
                }
                None => {
                    "SELECT edition_id, status, COUNT(*) FROM deliveries WHERE ?1 IS NULL
                     GROUP BY date, edition_id, status"
                }
            })
            .map_err(|err| self.err(err))?;
        let mut counts: BTreeMap<i64, Vec<(Status, usize)>> = BTreeMap::new();
        let rows = counted
            .query_map(params![date.map(date_text)], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
            })
            .map_err(|err| self.err(err))?;
        for row in rows {
            let (edition, status, n) = row.map_err(|err| self.err(err))?;
            let status = Status::parse(&status).unwrap_or(Status::Pending);
            let n = usize::try_from(n).unwrap_or(0);
            add_count(counts.entry(edition).or_default(), status, n);
        }
        let mut failures: BTreeMap<i64, Vec<Delivery>> = BTreeMap::new();
        for row in self.failures(date)? {
            failures.entry(row.edition_id).or_default().push(row);
        }
        Ok(editions
            .into_iter()
            .map(|(id, day, digest, items)| {
                let mut counts = counts.remove(&id).unwrap_or_default();
                counts.sort();
                EditionStatus {
                    date: date_from_text(&day),
                    digest,
                    items,
                    counts,
                    failures: failures.remove(&id).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The failed rows of `date` (every date when `None`), in address order.
    fn failures(&self, date: Option<NaiveDate>) -> Result<Vec<Delivery>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                     WHERE status IN ('failed-permanent', 'failed-transient')
                       AND (?1 IS NULL OR date = ?1)
                     ORDER BY date, email"
            ))
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![date.map(date_text)], delivery_row)
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }
}

/// The columns [`delivery_row`] reads, in its order.
const DELIVERY_COLUMNS: &str =
    "date, email, mailbox, edition_id, status, attempts, last_reply, message_id";

/// A `deliveries` row selected as [`DELIVERY_COLUMNS`].
fn delivery_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    let date: String = row.get(0)?;
    let status: String = row.get(4)?;
    Ok(Delivery {
        date: date_from_text(&date),
        email: row.get(1)?,
        mailbox: row.get(2)?,
        edition_id: row.get(3)?,
        status: Status::parse(&status).unwrap_or(Status::Pending),
        attempts: row.get(5)?,
        last_reply: row.get(6)?,
        message_id: row.get(7)?,
    })
}

/// Writes the outcomes of deliveries in `tx` (see [`Ledger::record`]).
fn record_in(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    outcomes: &[Recorded<'_>],
    now: DateTime<FixedOffset>,
) -> Result<(), LedgerError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let mut update = tx
        .prepare_cached(
            "UPDATE deliveries SET status = ?3, attempts = attempts + ?4, last_reply = ?5,
                 bytes = COALESCE(?6, bytes), updated_at = ?7,
                 sent_at = COALESCE(?8, sent_at)
             WHERE date = ?1 AND email = ?2",
        )
        .map_err(|err| sqlite(path, err))?;
    let stamp = time_text(now);
    for outcome in outcomes {
        let sent_at = (outcome.status == Status::Sent).then_some(stamp.as_str());
        update
            .execute(params![
                date_text(outcome.date),
                outcome.email,
                outcome.status.as_str(),
                outcome.attempts,
                outcome.reply,
                outcome.bytes.map(|b| b as i64),
                stamp,
                sent_at
            ])
            .map_err(|err| sqlite(path, err))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::RunLock;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-26T07:00:00+01:00").unwrap()
    }

    fn edition(date: NaiveDate, digest: &str) -> StoredEdition {
        StoredEdition {
            id: 0,
            date,
            digest: digest.to_owned(),
            subject: "S".to_owned(),
            html: "<p>h</p>".to_owned(),
            text: "t".to_owned(),
            items: 1,
        }
    }

    #[test]
    fn a_row_per_date_and_address_whatever_the_edition() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("state.sqlite")).unwrap();
        let date = now().date_naive();
        let first = ledger.create_edition(&edition(date, "all"), &[], now()).unwrap();
        let second = ledger.create_edition(&edition(date, "climate"), &[], now()).unwrap();
        let plan = |id| PlannedDelivery {
            email: "ana@example.org",
            mailbox: "Ana <ana@example.org>",
            edition_id: id,
            message_id: "<m@x>",
        };
        assert_eq!(ledger.plan(date, &[plan(first.id)], now()).unwrap(), 1);
        assert_eq!(ledger.plan(date, &[plan(second.id)], now()).unwrap(), 0);
        let rows = ledger.deliveries(Some(date)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].edition_id, first.id);
        assert_eq!(rows[0].status, Status::Pending);
    }

    #[test]
    fn status_changes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let date = now().date_naive();
        {
            let mut ledger = Ledger::open(&path).unwrap();
            let stored = ledger
                .create_edition(
                    &edition(date, "all"),
                    &[EditionArticle { id: "url:a".into(), title: "A".into(), url: None }],
                    now(),
                )
                .unwrap();
            let planned = PlannedDelivery {
                email: "ana@example.org",
                mailbox: "ana@example.org",
                edition_id: stored.id,
                message_id: "<m@x>",
            };
            ledger.plan(date, &[planned], now()).unwrap();
            assert_eq!(ledger.mark_sending(&[(date, "ana@example.org")], now()).unwrap(), [true]);
        }
        let mut ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.deliveries(None).unwrap()[0].status, Status::Sending);
        ledger.unmark_sending(&[(date, "ana@example.org")]).unwrap();
        assert_eq!(ledger.deliveries(None).unwrap()[0].status, Status::Pending);
        ledger.mark_sending(&[(date, "ana@example.org")], now()).unwrap();
        let sent = Recorded {
            date,
            email: "ana@example.org",
            status: Status::Sent,
            attempts: 2,
            reply: "250 ok",
            bytes: Some(10),
        };
        ledger.record(&[sent], now()).unwrap();
        let row = &ledger.deliveries(None).unwrap()[0];
        assert_eq!((row.status, row.attempts), (Status::Sent, 2));
        assert_eq!(ledger.sent_since(now() - chrono::TimeDelta::hours(1)).unwrap(), 1);
        let tomorrow = date.succ_opt().unwrap();
        assert_eq!(ledger.sent_before(tomorrow).unwrap(), BTreeSet::from(["url:a".to_owned()]));
        assert!(ledger.sent_before(date).unwrap().is_empty());
    }

    #[test]
    fn outcomes_and_the_next_marks_are_committed_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let date = now().date_naive();
        let mut ledger = Ledger::open(&path).unwrap();
        let stored = ledger.create_edition(&edition(date, "all"), &[], now()).unwrap();
        let emails = ["ana@example.org", "bo@example.org", "cy@example.org", "di@example.org"];
        let planned: Vec<PlannedDelivery> = emails
            .iter()
            .map(|email| PlannedDelivery {
                email,
                mailbox: email,
                edition_id: stored.id,
                message_id: "<m@x>",
            })
            .collect();
        ledger.plan(date, &planned, now()).unwrap();
        assert_eq!(
            ledger.mark_sending(&[(date, emails[0]), (date, emails[1])], now()).unwrap(),
            [true, true]
        );
        ledger.suppress(emails[3], "unsubscribed", now()).unwrap();
        let outcome = |email, status| Recorded {
            date,
            email,
            status,
            attempts: 1,
            reply: "250 ok",
            bytes: Some(10),
        };
        let outcomes =
            [outcome(emails[0], Status::Sent), outcome(emails[1], Status::FailedPermanent)];
        let marked = ledger
            .record_and_mark(&outcomes, &[(date, emails[2]), (date, emails[3])], now())
            .unwrap();
        assert_eq!(marked, [true, false], "a suppressed address is not marked");
        drop(ledger);
        let ledger = Ledger::open(&path).unwrap();
        let status: Vec<(String, Status)> = ledger
            .deliveries(Some(date))
            .unwrap()
            .into_iter()
            .map(|row| (row.email, row.status))
            .collect();
        assert_eq!(
            status,
            [
                (emails[0].to_owned(), Status::Sent),
                (emails[1].to_owned(), Status::FailedPermanent),
                (emails[2].to_owned(), Status::Sending),
            ],
            "both halves committed, the suppressed row removed"
        );
    }

    #[test]
    fn suppression_list() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("s.sqlite")).unwrap();
        assert!(ledger.suppress("Ana@Example.org", "unsubscribe", now()).unwrap());
        assert!(!ledger.suppress("ana@example.org", "unsubscribe", now()).unwrap());
        assert_eq!(ledger.suppressed().unwrap(), BTreeSet::from(["ana@example.org".to_owned()]));
        assert!(ledger.unsuppress("ANA@example.org").unwrap());
        assert!(!ledger.unsuppress("ana@example.org").unwrap());
    }

    #[test]
    fn the_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let lock = RunLock::acquire(&path).unwrap();
        let err = RunLock::acquire(&path).unwrap_err();
        assert!(err.to_string().starts_with("another newsdigest run is active"), "{err}");
        drop(lock);
        RunLock::acquire(&path).unwrap();
    }
}
