//! The ledger: durable delivery state in SQLite (WAL, `synchronous = FULL`).
//!
//! It holds each edition (a date and a digest, rendered once and frozen), the articles each
//! edition included, one row per (date, subscriber address) with its delivery status, and
//! the suppression list. The primary key on (date, address) is the guard against a second
//! mail to the same person on the same day, whatever the config says later.
//!
//! Status flow: `pending → sending → sent | failed-permanent | failed-transient`. A row is
//! committed as `sending` before its message is sent and its outcome soon after (in groups,
//! see [`crate::deliver::RECORD_BATCH`]), so a crash loses nothing: a row left in `sending`
//! was in flight or not yet recorded when the process died, and is sent again by the next
//! `run` or `retry` (the only case of a possible duplicate, bounded by the rows `sending` at
//! once, [`crate::deliver::max_sending`]).
//!
//! It also keeps, per feed source, the ETag and Last-Modified of the last fetch and the items
//! fetched, until they were sent or left the window, so a 304 never hides an item.
//!
//! Each ledger has an identity, a random id made when its schema is created; `run` records
//! it in each day's archive folder, so that a ledger deleted, emptied or replaced is noticed
//! instead of mailing everyone again. [`Ledger::ensure_same_file`] notices a ledger deleted
//! or replaced while a run is under way, and [`RunLock`] locks the ledger's folder, which
//! cannot be deleted and recreated under a running run without deleting the ledger too.
//!
//! The schema carries a `user_version`; [`Ledger::open`] migrates older files forward.
//! This module must not render, send, fetch or read the config.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Connection, OpenFlags};

mod audience;
mod bounces;
mod editions;
mod feeds;
mod subscribers;

pub use audience::{Choices, DayCounts, DueRow, Member, OwnSubscriber, Scope};
pub use bounces::{BounceEvent, BounceRates, SuppressionRow};
pub use editions::{
    ArchiveEntry, Delivery, EditionArticle, EditionStatus, PlannedDelivery, Recorded,
    StoredEdition, add_count,
};
pub use feeds::{StoredFeed, StoredItem, StoredValidators};
pub use subscribers::{LedgerSubscriber, Listed, SignUp, SubscriberSource};

/// The schema version this build writes.
const SCHEMA_VERSION: i64 = 6;

/// The oldest schema this build reads without migrating it (read-only commands): version 6
/// only adds indexes.
const MIN_READABLE_VERSION: i64 = 5;

/// Version 6: indexes for a list of a million: the counts of each edition by status (it
/// takes the place of the index on date and status, which every status change had to keep
/// up too), the permanent refusals by time for the bounce rate (only those rows are in it),
/// the audience by source and state, and each address's deliveries, which a bounce looks up
/// (half a second a bounce without it).
const SCHEMA_6: &str = "
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_by_edition ON deliveries (date, edition_id, status);
CREATE INDEX deliveries_refused ON deliveries (updated_at) WHERE status = 'failed-permanent';
CREATE INDEX deliveries_by_email ON deliveries (email);
CREATE INDEX subscribers_by_state ON subscribers (source, status, paused);
";

/// Version 5: bounces and complaints as they arrive (one row per bounce message, so reading
/// one twice changes nothing), and each suppression's evidence.
const SCHEMA_5: &str = "
CREATE TABLE bounces (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    received_at TEXT NOT NULL,
    email TEXT NOT NULL,
    class TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    reply TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX bounces_by_email ON bounces (email, received_at);
CREATE INDEX bounces_by_time ON bounces (received_at);
ALTER TABLE suppressions ADD COLUMN evidence TEXT;
CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
";

/// Version 4: the audience of record. Every address the ledger has heard of gets an id
/// (personal links name it): listed ones (`config`, `csv`) with their saved preferences,
/// and those who signed up (`signup`, pending until confirmed) or were added from the shell
/// (`shell`). Suppressions keep their reason and time, as before. Each edition also gets its
/// page for the web archive (no personal parts).
const SCHEMA_4: &str = "
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    source TEXT NOT NULL CHECK (source IN ('config', 'csv', 'signup', 'shell')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active')),
    topics TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE edition_pages (
    edition_id INTEGER PRIMARY KEY REFERENCES editions (id),
    html TEXT NOT NULL
);
";

/// Version 3: the ledger's identity, and the identities of earlier ledgers it was told to
/// take over (`--new-ledger`).
const SCHEMA_3: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE adopted_ledgers (
    id TEXT PRIMARY KEY,
    adopted_at TEXT NOT NULL
);
";

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

    pub(crate) fn parse(text: &str) -> Option<Status> {
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
        "another newsdigest run is active (it holds the lock on the folder `{}`); wait for it to finish",
        path.display()
    )]
    Locked {
        /// The locked folder.
        path: PathBuf,
    },
    /// The database file was deleted or replaced while this run had it open.
    #[error(
        "state database `{}` was deleted or replaced during the run; stopped before the next \
         message. Messages recorded in the old file are lost to newsdigest: restore it, or \
         check `newsdigest status` before running again",
        path.display()
    )]
    Replaced {
        /// The database file.
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
    /// A row refers to something the ledger does not hold, or holds a value no longer valid.
    #[error("state database `{}`: {what}", path.display())]
    Inconsistent {
        /// The database file.
        path: PathBuf,
        /// What is wrong, naming the row.
        what: String,
    },
}

/// The open ledger.
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// The file's device and inode when it was opened.
    file_id: Option<(u64, u64)>,
    /// True when this open created the schema: an empty or missing file.
    created: bool,
}

/// An exclusive lock for one run, released when dropped or when the process dies (an OS
/// lock, so a killed run never leaves a stale one).
///
/// It locks the folder that holds the ledger, not a lock file: a file can be deleted and
/// created again while a run holds its lock, letting a second run in beside it. The folder
/// cannot be replaced without deleting the ledger in it, which the running run notices
/// ([`Ledger::ensure_same_file`]) and the next run refuses (the ledger's identity).
#[derive(Debug)]
pub struct RunLock {
    _folder: File,
}

impl RunLock {
    /// Takes the lock on the folder of `state_file`, or fails at once.
    ///
    /// # Errors
    /// [`LedgerError::Locked`] when another run holds it; [`LedgerError::Io`] when the folder
    /// cannot be created or opened.
    pub fn acquire(state_file: &Path) -> Result<RunLock, LedgerError> {
        create_parent(state_file)?;
        let path = match state_file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file =
            File::open(&path).map_err(|source| LedgerError::Io { path: path.clone(), source })?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _folder: file }),
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

pub(crate) fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The date a `date_text` column holds (a malformed one reads as the default date).
pub(crate) fn date_from_text(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

pub(crate) fn time_text(time: DateTime<FixedOffset>) -> String {
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
        let mut ledger = Ledger { conn, path: path.to_path_buf(), file_id: None, created: false };
        ledger.configure()?;
        ledger.migrate()?;
        ledger.file_id = file_id(path);
        Ok(ledger)
    }

    /// An empty ledger in a private temporary file, deleted when it is dropped: what a dry
    /// run reads when there is no ledger yet, so that it runs the same queries.
    ///
    /// # Errors
    /// [`LedgerError`] when the temporary file cannot be made.
    pub fn scratch() -> Result<Ledger, LedgerError> {
        let path = PathBuf::from("(an empty ledger, for this run only)");
        let conn = Connection::open("").map_err(|source| sqlite(&path, source))?;
        let mut ledger = Ledger { conn, path, file_id: None, created: false };
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
        let ledger =
            Ledger { conn, path: path.to_path_buf(), file_id: file_id(path), created: false };
        let version = ledger.version()?;
        if version > SCHEMA_VERSION {
            return Err(LedgerError::TooNew { path: path.to_path_buf(), found: version });
        }
        if version < MIN_READABLE_VERSION {
            // An empty or older file: nothing this build can read yet.
            return Ok(None);
        }
        Ok(Some(ledger))
    }

    /// A second, read-only connection to this ledger's file, for readers on other threads:
    /// the send sessions look their address up in it just before sending, while this
    /// connection writes. Under WAL a reader never waits for the writer, and sees every
    /// commit made before its query began.
    ///
    /// # Errors
    /// [`LedgerError`] naming the file.
    pub fn reader(&self) -> Result<Ledger, LedgerError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| sqlite(&self.path, source))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|source| sqlite(&self.path, source))?;
        Ok(Ledger { conn, path: self.path.clone(), file_id: self.file_id, created: false })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This ledger's identity.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn id(&self) -> Result<String, LedgerError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'ledger_id'", [], |row| row.get(0))
            .map_err(|err| self.err(err))
    }

    /// True when this open created the ledger (the file was missing or empty).
    pub fn is_new(&self) -> bool {
        self.created
    }

    /// The identities of earlier ledgers this one took over.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn adopted(&self) -> Result<Vec<String>, LedgerError> {
        let mut statement = self
            .conn
            .prepare("SELECT id FROM adopted_ledgers ORDER BY id")
            .map_err(|e| self.err(e))?;
        let ids = statement
            .query_map([], |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(|err| self.err(err))?;
        Ok(ids)
    }

    /// Takes over the history of earlier ledgers: archives written under `ids` no longer
    /// stop a run.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn adopt(&mut self, ids: &[String], now: DateTime<FixedOffset>) -> Result<(), LedgerError> {
        let tx = self.conn.transaction().map_err(|err| sqlite(&self.path, err))?;
        for id in ids {
            tx.execute(
                "INSERT OR IGNORE INTO adopted_ledgers (id, adopted_at) VALUES (?1, ?2)",
                rusqlite::params![id, time_text(now)],
            )
            .map_err(|err| sqlite(&self.path, err))?;
        }
        tx.commit().map_err(|err| sqlite(&self.path, err))
    }

    /// Fails when the file at the ledger's path is no longer the one this ledger opened
    /// (deleted, or replaced by another), so that nothing more is sent with no record.
    ///
    /// # Errors
    /// [`LedgerError::Replaced`].
    pub fn ensure_same_file(&self) -> Result<(), LedgerError> {
        match (self.file_id, file_id(&self.path)) {
            (Some(opened), Some(now)) if opened == now => Ok(()),
            (None, _) => Ok(()),
            _ => Err(LedgerError::Replaced { path: self.path.clone() }),
        }
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> LedgerError {
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
            if version < 3 {
                tx.execute_batch(SCHEMA_3).map_err(|err| sqlite(&self.path, err))?;
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('ledger_id', ?1)",
                    [new_ledger_id(&self.path)],
                )
                .map_err(|err| sqlite(&self.path, err))?;
            }
            if version < 4 {
                tx.execute_batch(SCHEMA_4).map_err(|err| sqlite(&self.path, err))?;
            }
            if version < 5 {
                tx.execute_batch(SCHEMA_5).map_err(|err| sqlite(&self.path, err))?;
            }
            if version < 6 {
                tx.execute_batch(SCHEMA_6).map_err(|err| sqlite(&self.path, err))?;
            }
            self.created = version == 0;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(|err| sqlite(&self.path, err))?;
            tx.commit().map_err(|err| sqlite(&self.path, err))?;
        }
        Ok(())
    }
}

/// A new ledger's identity: 128 bits in hex, from the system's random hasher keys, the time,
/// the process and the path (no random-number crate needed for one id per ledger).
fn new_ledger_id(path: &Path) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut id = String::new();
    for round in 0..2u64 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(round);
        hasher.write_u32(std::process::id());
        hasher.write(path.as_os_str().as_encoded_bytes());
        if let Ok(elapsed) = std::time::UNIX_EPOCH.elapsed() {
            hasher.write_u128(elapsed.as_nanos());
        }
        id.push_str(&format!("{:016x}", hasher.finish()));
    }
    id
}

/// The device and inode of the file at `path`, when it exists.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|meta| (meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|meta| (meta.len(), 0))
    }
}

pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> LedgerError {
    LedgerError::Sqlite { path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_file_is_migrated_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute(
                "INSERT INTO suppressions (email, reason, created_at) VALUES ('a@b.c', 'x', 't')",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.version().unwrap(), SCHEMA_VERSION);
        assert_eq!(ledger.suppressed().unwrap().len(), 1);
        assert_eq!(ledger.feed_validators("s", "u").unwrap(), None, "the feed tables exist");
        assert!(ledger.subscribers().unwrap().is_empty(), "the subscribers table exists");
    }

    /// Issue 13: version 6 only adds indexes, so a version 5 file is read as it is by the
    /// read-only commands (`status` right after an upgrade), and migrated by the next `run`.
    #[test]
    fn a_version_5_file_is_read_as_it_is_and_gains_the_indexes_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("five.sqlite");
        {
            let mut ledger = Ledger::open(&path).unwrap();
            ledger
                .suppress("a@b.c", "unsubscribe", "2026-11-26T07:00:00+01:00".parse().unwrap())
                .unwrap();
            ledger
                .conn
                .execute_batch(
                    "DROP INDEX deliveries_by_edition; DROP INDEX deliveries_refused;
                     DROP INDEX subscribers_by_state; DROP INDEX deliveries_by_email;
                     CREATE INDEX deliveries_by_status ON deliveries (date, status);
                     PRAGMA user_version = 5;",
                )
                .unwrap();
        }
        let read = Ledger::open_read_only(&path).unwrap().expect("a version 5 file is readable");
        assert_eq!(read.suppressed().unwrap().len(), 1);
        assert!(read.status(None).unwrap().is_empty());
        drop(read);
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.version().unwrap(), 6);
        let indexes: i64 = ledger
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN
                 ('deliveries_by_edition', 'deliveries_refused', 'subscribers_by_state',
                  'deliveries_by_email')",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 4);
        let replaced: i64 = ledger
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'deliveries_by_status'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(replaced, 0, "the index on date and status gave way to the edition's");
    }

    #[test]
    fn a_newer_file_is_refused_with_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Ledger::open(&path).unwrap_err().to_string();
        assert!(err.contains("has schema version 99, newer than this build's 6"), "{err}");
    }

    #[test]
    fn each_ledger_has_its_own_identity_and_notices_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite");
        let ledger = Ledger::open(&path).unwrap();
        assert!(ledger.is_new());
        let id = ledger.id().unwrap();
        assert_eq!(id.len(), 32);
        ledger.ensure_same_file().unwrap();
        drop(ledger);
        let again = Ledger::open(&path).unwrap();
        assert!(!again.is_new());
        assert_eq!(again.id().unwrap(), id);
        let other = Ledger::open(&dir.path().join("b.sqlite")).unwrap();
        assert_ne!(other.id().unwrap(), id);
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(again.ensure_same_file(), Err(LedgerError::Replaced { .. })));
    }
}
