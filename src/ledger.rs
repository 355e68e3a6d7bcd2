//! The ledger: durable delivery state in SQLite (WAL, `synchronous = FULL`).
//!
//! It holds each edition (a date and a digest, rendered once and frozen), the articles each
//! edition included, one row per (date, subscriber address) with its delivery status, and
//! the suppression list. The primary key on (date, address) is the guard against a second
//! mail to the same person on the same day, whatever the config says later.
//!
//! Status flow: `pending → sending → sent | failed-permanent | failed-transient`. Every change
//! is committed before the next step, so a crash loses nothing: a row left in `sending` was
//! in flight when the process died, and is sent again by the next `run` or `retry` (the only
//! case of a possible duplicate, bounded by the number of messages in flight).
//!
//! It also keeps, per feed source, the ETag and Last-Modified of the last fetch and the items
//! fetched, until they were sent or left the window, so a 304 never hides an item.
//!
//! The schema carries a `user_version`; [`Ledger::open`] migrates older files forward.
//! This module must not render, send, fetch or read the config.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::model::FeedEntry;

/// The schema version this build writes.
const SCHEMA_VERSION: i64 = 2;

/// Version 2: feeds' conditional-GET validators, and the items fetched from them, kept until
/// they were sent or left the window (a 304 must never hide an item not yet sent).
const SCHEMA_2: &str = "
CREATE TABLE feeds (
    source_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL,
    retry_after TEXT
);
CREATE TABLE feed_items (
    source_id TEXT NOT NULL,
    item_key TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    published TEXT,
    entry TEXT NOT NULL,
    PRIMARY KEY (source_id, item_key)
);
";

const SCHEMA: &str = "
CREATE TABLE editions (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    items INTEGER NOT NULL,
    UNIQUE (date, digest)
);
CREATE TABLE edition_articles (
    edition_id INTEGER NOT NULL REFERENCES editions (id),
    article_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    PRIMARY KEY (edition_id, article_id)
);
CREATE TABLE deliveries (
    date TEXT NOT NULL,
    email TEXT NOT NULL,
    edition_id INTEGER NOT NULL REFERENCES editions (id),
    mailbox TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'sending', 'sent', 'failed-permanent', 'failed-transient')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_reply TEXT,
    message_id TEXT NOT NULL,
    bytes INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (date, email)
);
CREATE INDEX deliveries_by_status ON deliveries (date, status);
CREATE INDEX deliveries_by_sent_at ON deliveries (sent_at);
CREATE TABLE suppressions (
    email TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
";

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Planned, not tried yet.
    Pending,
    /// Handed to the transport; the outcome is not known yet (or the process died).
    Sending,
    /// Accepted by the relay (or written to the outbox).
    Sent,
    /// Refused for good (5xx for this recipient); not retried.
    FailedPermanent,
    /// Failed after every attempt of a run; `retry` tries again.
    FailedTransient,
}

impl Status {
    /// The name stored in the database and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::FailedPermanent => "failed-permanent",
            Status::FailedTransient => "failed-transient",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Sending,
            Status::Sent,
            Status::FailedPermanent,
            Status::FailedTransient,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// Why the ledger failed; names the database file.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// SQLite failed.
    #[error("state database `{path}`: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The folder or the lock file could not be created.
    #[error("state database `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Another process holds the lock.
    #[error(
        "another newsdigest run is active (the lock `{}` is held); wait for it to finish",
        path.display()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The file was written by a newer newsdigest.
    #[error(
        "state database `{}` has schema version {found}, newer than this build's {SCHEMA_VERSION}; upgrade newsdigest",
        path.display()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
}

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

/// The open ledger.
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

/// An exclusive lock on the ledger for one run, released when dropped or when the process
/// dies (an OS file lock, so a killed run never leaves a stale lock).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock beside the database, `<state_file>.lock`, or fails at once.
    ///
    /// # Errors
    /// [`LedgerError::Locked`] when another run holds it; [`LedgerError::Io`] when the file
    /// cannot be created.
    pub fn acquire(state_file: &Path) -> Result<RunLock, LedgerError> {
        let mut name = state_file.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        create_parent(&path)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| LedgerError::Io { path: path.clone(), source })?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LedgerError::Locked { path }),
            Err(std::fs::TryLockError::Error(source)) => Err(LedgerError::Io { path, source }),
        }
    }
}

fn create_parent(path: &Path) -> Result<(), LedgerError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|source| LedgerError::Io { path: dir.to_path_buf(), source }),
        _ => Ok(()),
    }
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn time_text(time: DateTime<FixedOffset>) -> String {
    time.to_rfc3339()
}

impl Ledger {
    /// Opens (creating and migrating) the database at `path`.
    ///
    /// # Errors
    /// [`LedgerError`] naming the file.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        create_parent(path)?;
        let conn = Connection::open(path).map_err(|source| sqlite(path, source))?;
        let mut ledger = Ledger { conn, path: path.to_path_buf() };
        ledger.configure()?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens an existing database read-only (for `--dry-run` and `status`); `None` when the
    /// file does not exist yet.
    ///
    /// # Errors
    /// [`LedgerError`] naming the file.
    pub fn open_read_only(path: &Path) -> Result<Option<Ledger>, LedgerError> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| sqlite(path, source))?;
        let ledger = Ledger { conn, path: path.to_path_buf() };
        let version = ledger.version()?;
        if version > SCHEMA_VERSION {
            return Err(LedgerError::TooNew { path: path.to_path_buf(), found: version });
        }
        if version < SCHEMA_VERSION {
            // An empty or older file: nothing this build can read yet.
            return Ok(None);
        }
        Ok(Some(ledger))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> LedgerError {
        sqlite(&self.path, source)
    }

    fn configure(&self) -> Result<(), LedgerError> {
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;",
            )
            .map_err(|err| self.err(err))
    }

    fn version(&self) -> Result<i64, LedgerError> {
        self.conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|err| self.err(err))
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        let version = self.version()?;
        if version > SCHEMA_VERSION {
            return Err(LedgerError::TooNew { path: self.path.clone(), found: version });
        }
        if version < SCHEMA_VERSION {
            let tx = self.conn.transaction().map_err(|err| sqlite(&self.path, err))?;
            if version < 1 {
                tx.execute_batch(SCHEMA).map_err(|err| sqlite(&self.path, err))?;
            }
            if version < 2 {
                tx.execute_batch(SCHEMA_2).map_err(|err| sqlite(&self.path, err))?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(|err| sqlite(&self.path, err))?;
            tx.commit().map_err(|err| sqlite(&self.path, err))?;
        }
        Ok(())
    }

    /// The stored edition of `digest` on `date`, if it was built already.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn edition(
        &self,
        date: NaiveDate,
        digest: &str,
    ) -> Result<Option<StoredEdition>, LedgerError> {
        self.conn
            .query_row(
                "SELECT id, subject, html, text, items FROM editions WHERE date = ?1 AND digest = ?2",
                params![date_text(date), digest],
                |row| {
                    Ok(StoredEdition {
                        id: row.get(0)?,
                        date,
                        digest: digest.to_owned(),
                        subject: row.get(1)?,
                        html: row.get(2)?,
                        text: row.get(3)?,
                        items: row.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|err| self.err(err))
    }

    /// The stored edition with row id `id`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn edition_by_id(&self, id: i64) -> Result<Option<StoredEdition>, LedgerError> {
        self.conn
            .query_row(
                "SELECT date, digest, subject, html, text, items FROM editions WHERE id = ?1",
                params![id],
                |row| {
                    let date: String = row.get(0)?;
                    Ok(StoredEdition {
                        id,
                        date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap_or_default(),
                        digest: row.get(1)?,
                        subject: row.get(2)?,
                        html: row.get(3)?,
                        text: row.get(4)?,
                        items: row.get(5)?,
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
                     SELECT 1 FROM deliveries d WHERE d.edition_id = e.id AND d.status = 'sent')",
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
            .prepare(
                "SELECT date, email, mailbox, edition_id, status, attempts, last_reply, message_id
                 FROM deliveries WHERE ?1 IS NULL OR date = ?1 ORDER BY date, email",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![date.map(date_text)], |row| {
                let date: String = row.get(0)?;
                let status: String = row.get(4)?;
                Ok(Delivery {
                    date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap_or_default(),
                    email: row.get(1)?,
                    mailbox: row.get(2)?,
                    edition_id: row.get(3)?,
                    status: Status::parse(&status).unwrap_or(Status::Pending),
                    attempts: row.get(5)?,
                    last_reply: row.get(6)?,
                    message_id: row.get(7)?,
                })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Records that a message is being handed to the transport (committed before the send).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn mark_sending(
        &mut self,
        date: NaiveDate,
        email: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE deliveries SET status = 'sending', updated_at = ?3
                 WHERE date = ?1 AND email = ?2",
                params![date_text(date), email, time_text(now)],
            )
            .map(drop)
            .map_err(|err| self.err(err))
    }

    /// Records the outcome of a delivery: its status, the attempts it took in this run, the
    /// server's last reply and the message's size.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    #[allow(clippy::too_many_arguments, reason = "one row's columns; called from one place")]
    pub fn record(
        &mut self,
        date: NaiveDate,
        email: &str,
        status: Status,
        attempts: u32,
        reply: &str,
        bytes: Option<usize>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        let stamp = time_text(now);
        let sent_at = (status == Status::Sent).then_some(stamp.as_str());
        self.conn
            .execute(
                "UPDATE deliveries SET status = ?3, attempts = attempts + ?4, last_reply = ?5,
                     bytes = COALESCE(?6, bytes), updated_at = ?7, sent_at = COALESCE(?8, sent_at)
                 WHERE date = ?1 AND email = ?2",
                params![
                    date_text(date),
                    email,
                    status.as_str(),
                    attempts,
                    reply,
                    bytes.map(|b| b as i64),
                    stamp,
                    sent_at
                ],
            )
            .map(drop)
            .map_err(|err| self.err(err))
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
        let deliveries = self.deliveries(date)?;
        Ok(editions
            .into_iter()
            .map(|(id, day, digest, items)| {
                let rows: Vec<&Delivery> =
                    deliveries.iter().filter(|row| row.edition_id == id).collect();
                let mut counts: Vec<(Status, usize)> = Vec::new();
                for row in &rows {
                    match counts.iter_mut().find(|(status, _)| *status == row.status) {
                        Some((_, count)) => *count += 1,
                        None => counts.push((row.status, 1)),
                    }
                }
                counts.sort();
                EditionStatus {
                    date: NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap_or_default(),
                    digest,
                    items,
                    counts,
                    failures: rows
                        .into_iter()
                        .filter(|row| {
                            matches!(row.status, Status::FailedPermanent | Status::FailedTransient)
                        })
                        .cloned()
                        .collect(),
                }
            })
            .collect())
    }
}

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

impl Ledger {
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
    /// first-seen time), in one transaction.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn store_feed(
        &mut self,
        source_id: &str,
        url: &str,
        validators: (Option<&str>, Option<&str>),
        items: &[(String, FeedEntry)],
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
                        time_text(now),
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

fn sqlite(path: &Path, source: rusqlite::Error) -> LedgerError {
    LedgerError::Sqlite { path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ledger.mark_sending(date, "ana@example.org", now()).unwrap();
        }
        let mut ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.deliveries(None).unwrap()[0].status, Status::Sending);
        ledger.record(date, "ana@example.org", Status::Sent, 2, "250 ok", Some(10), now()).unwrap();
        let row = &ledger.deliveries(None).unwrap()[0];
        assert_eq!((row.status, row.attempts), (Status::Sent, 2));
        assert_eq!(ledger.sent_since(now() - chrono::TimeDelta::hours(1)).unwrap(), 1);
        let tomorrow = date.succ_opt().unwrap();
        assert_eq!(ledger.sent_before(tomorrow).unwrap(), BTreeSet::from(["url:a".to_owned()]));
        assert!(ledger.sent_before(date).unwrap().is_empty());
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
