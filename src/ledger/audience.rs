//! The audience of one run, kept on disk rather than in memory: a temporary table of the
//! run's own connection (`temp.audience`, gone when the connection closes) with one row per
//! subscriber who gets a digest today: address, mailbox, ledger id and topic set. `run`
//! fills it from the config's lists and the ledger's own addresses, a chunk at a time, then
//! plans and sends from it in pages, so that no list is ever held in memory whatever its
//! size. SQLite spills the table to a temporary file beyond its page cache.
//!
//! The rows still to send are read in pages by address ([`Ledger::due_page`]); a page is
//! read between two group commits on the same connection, so reading never overlaps a write.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::subscribers::topics_from_text;
use super::{Ledger, LedgerError, Status, date_text};

/// One subscriber of the day's audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The address, lower-cased.
    pub email: String,
    /// Name and address as the To header writes them.
    pub mailbox: String,
    /// The ledger's id for the address, when it has one (not in dry runs of new addresses).
    pub subscriber: Option<i64>,
    /// The index of the member's topic set in the caller's list of sets.
    pub topic_set: usize,
}

/// A subscriber's own choices as the ledger records them, for an address of the config's
/// lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    /// The ledger's id.
    pub id: i64,
    /// The topics the subscriber chose (`None`: the config's).
    pub topics: Option<Vec<String>>,
    /// The subscriber paused the digest.
    pub paused: bool,
}

/// One of the ledger's own addresses (a confirmed sign-up or a shell-added one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnSubscriber {
    /// The ledger's id.
    pub id: i64,
    /// The address, lower-cased.
    pub email: String,
    /// The display name, when given.
    pub name: Option<String>,
    /// The topics the subscriber chose (`None`: every topic).
    pub topics: Option<Vec<String>>,
}

/// Which rows of the day [`Ledger::due_page`] and [`Ledger::day_counts`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The rows of today's audience (`run`): the row's edition, the member's mailbox.
    Audience,
    /// Today's audience whether or not it has rows (dry runs, which plan nothing): members
    /// without a row are due.
    AudienceUnplanned,
    /// Every row of the day (`retry`): the row's mailbox.
    Day,
}

/// One message still to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRow {
    /// The address, lower-cased.
    pub email: String,
    /// The mailbox to write in To.
    pub mailbox: String,
    /// The ledger's id for the address.
    pub subscriber: Option<i64>,
    /// The edition the row was planned with (`None` for a member without a row).
    pub edition_id: Option<i64>,
    /// The member's topic set (the scopes of the audience).
    pub topic_set: Option<usize>,
    /// The row's Message-ID (`None` for a member without a row).
    pub message_id: Option<String>,
}

/// The day's rows in numbers, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    /// Rows (or members) still to send.
    pub due: usize,
    /// Rows sent before this run.
    pub sent: usize,
    /// Rows refused for good before this run.
    pub refused: usize,
    /// Due rows of suppressed addresses (`Scope::Day`; the audience has none).
    pub suppressed: usize,
}

/// An address's [`Choices`], read by [`choices_row`].
pub(super) const CHOICES: &str = "SELECT id, topics, paused FROM subscribers WHERE email = ?1";

pub(super) fn choices_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Choices> {
    Ok(Choices { id: row.get(0)?, topics: topics_from_text(row.get(1)?), paused: row.get(2)? })
}

const DUE: &str = "('pending', 'sending', 'failed-transient')";

/// The rows still to send in `scope`, for [`Ledger::due_page`] and [`Ledger::due_after`]:
/// the columns a [`DueRow`] reads, the `FROM … WHERE …` clause (the date is `?1`, the
/// address to start after `?2`, the last address to read `?3`, none when `NULL`) and the
/// address column they are ordered by.
fn due_rows(scope: Scope) -> (&'static str, String, &'static str) {
    match scope {
        Scope::Audience => (
            "d.email, a.mailbox, a.subscriber, d.edition_id, a.topic_set, d.message_id",
            format!(
                "FROM deliveries d JOIN temp.audience a ON a.email = d.email
                 WHERE d.date = ?1 AND d.email > ?2 AND (?3 IS NULL OR d.email <= ?3)
                   AND d.status IN {DUE}"
            ),
            "d.email",
        ),
        Scope::AudienceUnplanned => (
            "a.email, a.mailbox, a.subscriber, d.edition_id, a.topic_set, d.message_id",
            format!(
                "FROM temp.audience a LEFT JOIN deliveries d ON d.date = ?1 AND d.email = a.email
                 WHERE a.email > ?2 AND (?3 IS NULL OR a.email <= ?3)
                   AND (d.status IS NULL OR d.status IN {DUE})"
            ),
            "a.email",
        ),
        Scope::Day => (
            "d.email, d.mailbox, s.id, d.edition_id, NULL, d.message_id",
            format!(
                "FROM deliveries d LEFT JOIN subscribers s ON s.email = d.email
                 WHERE d.date = ?1 AND d.email > ?2 AND (?3 IS NULL OR d.email <= ?3)
                   AND d.status IN {DUE}
                   AND d.email NOT IN (SELECT email FROM suppressions)"
            ),
            "d.email",
        ),
    }
}

fn sql_int(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn index(value: i64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

impl Ledger {
    /// Creates the day's audience table, empty.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_start(&mut self) -> Result<(), LedgerError> {
        self.conn
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS audience (
                     email TEXT PRIMARY KEY,
                     mailbox TEXT NOT NULL,
                     subscriber INTEGER,
                     topic_set INTEGER NOT NULL
                 ) WITHOUT ROWID;
                 DELETE FROM temp.audience;",
            )
            .map_err(|err| self.err(err))
    }

    /// Adds members in one transaction; an address already in is left as it is (the first
    /// listing wins). Returns how many were added.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_add(&mut self, members: &[Member]) -> Result<usize, LedgerError> {
        let path = self.path.clone();
        let err = |source| super::sqlite(&path, source);
        let tx = self.conn.transaction().map_err(err)?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO temp.audience (email, mailbox, subscriber, topic_set)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for member in members {
                added += insert
                    .execute(params![
                        member.email,
                        member.mailbox,
                        member.subscriber,
                        sql_int(member.topic_set)
                    ])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(added)
    }

    /// The recorded choices of each address (lower-cased), in order; `None` for an address
    /// the ledger does not know.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn choices(&self, emails: &[&str]) -> Result<Vec<Option<Choices>>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(CHOICES).map_err(|err| self.err(err))?;
        emails
            .iter()
            .map(|email| {
                stmt.query_row([email], choices_row).optional().map_err(|err| self.err(err))
            })
            .collect()
    }

    /// The ledger's own active addresses (confirmed sign-ups and shell-added ones, not
    /// paused) that are not in the audience yet, after `after` in address order, at most
    /// `limit`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn own_subscribers_page(
        &self,
        after: &str,
        limit: usize,
    ) -> Result<Vec<OwnSubscriber>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.id, s.email, s.name, s.topics FROM subscribers s
                 WHERE s.source IN ('signup', 'shell') AND s.status = 'active' AND s.paused = 0
                   AND s.email > ?1
                   AND NOT EXISTS (SELECT 1 FROM temp.audience a WHERE a.email = s.email)
                 ORDER BY s.email LIMIT ?2",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![after, sql_int(limit)], |row| {
                Ok(OwnSubscriber {
                    id: row.get(0)?,
                    email: row.get(1)?,
                    name: row.get(2)?,
                    topics: topics_from_text(row.get(3)?),
                })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Takes the suppressed addresses out of the audience; returns how many there were.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_drop_suppressed(&mut self) -> Result<usize, LedgerError> {
        self.conn
            .execute(
                "DELETE FROM temp.audience WHERE email IN (SELECT email FROM suppressions)",
                [],
            )
            .map_err(|err| self.err(err))
    }

    /// The first `limit` addresses of a topic set, in address order (for messages).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_sample(
        &self,
        topic_set: usize,
        limit: usize,
    ) -> Result<Vec<String>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT email FROM temp.audience WHERE topic_set = ?1 ORDER BY email LIMIT ?2",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![sql_int(topic_set), sql_int(limit)], |row| row.get(0))
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Takes a topic set's members out of the audience (no digest for them today); returns
    /// how many there were.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_drop_set(&mut self, topic_set: usize) -> Result<usize, LedgerError> {
        self.conn
            .execute("DELETE FROM temp.audience WHERE topic_set = ?1", [sql_int(topic_set)])
            .map_err(|err| self.err(err))
    }

    /// Members of each topic set: (set, members).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_sizes(&self) -> Result<Vec<(usize, usize)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT topic_set, COUNT(*) FROM temp.audience GROUP BY topic_set")
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map([], |row| Ok((index(row.get(0)?), count(row.get(1)?))))
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Members after `after` in address order, at most `limit`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_page(&self, after: &str, limit: usize) -> Result<Vec<Member>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT email, mailbox, subscriber, topic_set FROM temp.audience
                 WHERE email > ?1 ORDER BY email LIMIT ?2",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![after, sql_int(limit)], |row| {
                Ok(Member {
                    email: row.get(0)?,
                    mailbox: row.get(1)?,
                    subscriber: row.get(2)?,
                    topic_set: index(row.get(3)?),
                })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// The rows of `date` in `scope` still to send, after `after` and up to `until` (to the
    /// end when `None`) in address order, at most `limit`. Rows of suppressed addresses are
    /// left out (they are counted by [`Ledger::day_counts`]).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn due_page(
        &self,
        date: NaiveDate,
        scope: Scope,
        (after, until): (&str, Option<&str>),
        limit: usize,
    ) -> Result<Vec<DueRow>, LedgerError> {
        let (columns, rows, key) = due_rows(scope);
        let sql = format!("SELECT {columns} {rows} ORDER BY {key} LIMIT ?4");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![date_text(date), after, until, sql_int(limit)], |row| {
                Ok(DueRow {
                    email: row.get(0)?,
                    mailbox: row.get(1)?,
                    subscriber: row.get(2)?,
                    edition_id: row.get(3)?,
                    topic_set: row.get::<_, Option<i64>>(4)?.map(index),
                    message_id: row.get(5)?,
                })
            })
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// How many rows [`Ledger::due_page`] would still give after `after` (for the report of a
    /// run that stopped), without reading them.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn due_after(
        &self,
        date: NaiveDate,
        scope: Scope,
        after: &str,
    ) -> Result<usize, LedgerError> {
        let (_, rows, _) = due_rows(scope);
        let until: Option<&str> = None;
        self.conn
            .prepare_cached(&format!("SELECT COUNT(*) {rows}"))
            .and_then(|mut stmt| {
                stmt.query_row(params![date_text(date), after, until], |row| row.get(0))
            })
            .map(count)
            .map_err(|err| self.err(err))
    }

    /// The rows of `date` in `scope`, counted by what is left to do.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn day_counts(&self, date: NaiveDate, scope: Scope) -> Result<DayCounts, LedgerError> {
        let sql = match scope {
            Scope::Audience => {
                "SELECT d.status, COUNT(*) FROM deliveries d JOIN temp.audience a ON a.email = d.email
                 WHERE d.date = ?1 GROUP BY d.status"
            }
            Scope::AudienceUnplanned => {
                "SELECT COALESCE(d.status, 'pending'), COUNT(*)
                 FROM temp.audience a LEFT JOIN deliveries d ON d.date = ?1 AND d.email = a.email
                 GROUP BY 1"
            }
            Scope::Day => {
                "SELECT CASE WHEN status IN ('sent', 'failed-permanent') THEN status
                             WHEN email IN (SELECT email FROM suppressions) THEN 'suppressed'
                             ELSE status END, COUNT(*)
                 FROM deliveries WHERE date = ?1 GROUP BY 1"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![date_text(date)], |row| {
                Ok((row.get::<_, String>(0)?, count(row.get(1)?)))
            })
            .map_err(|err| self.err(err))?;
        let mut counts = DayCounts::default();
        for row in rows {
            let (status, n) = row.map_err(|err| self.err(err))?;
            match status.as_str() {
                "suppressed" => counts.suppressed += n,
                text => match Status::parse(text) {
                    Some(Status::Sent) => counts.sent += n,
                    Some(Status::FailedPermanent) => counts.refused += n,
                    _ => counts.due += n,
                },
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset};

    use super::*;
    use crate::ledger::{PlannedDelivery, Recorded, StoredEdition};

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-26T07:00:00+01:00").unwrap()
    }

    /// What is left after a page is what the next pages give, in every scope: `run` counts
    /// the jobs a stopped run leaves this way, without reading them.
    #[test]
    fn the_rows_left_after_a_page_are_counted_as_the_pages_read_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("state.sqlite")).unwrap();
        let date = now().date_naive();
        let draft = StoredEdition {
            id: 0,
            date,
            digest: "all".to_owned(),
            subject: "S".to_owned(),
            html: "<p>h</p>".to_owned(),
            text: "t".to_owned(),
            items: 1,
        };
        let edition = ledger.create_edition(&draft, &[], now()).unwrap();
        let emails: Vec<String> = (0..9).map(|i| format!("r{i}@example.org")).collect();
        ledger.audience_start().unwrap();
        let members: Vec<Member> = emails
            .iter()
            .map(|email| Member {
                email: email.clone(),
                mailbox: email.clone(),
                subscriber: None,
                topic_set: 0,
            })
            .collect();
        assert_eq!(ledger.audience_add(&members).unwrap(), 9);
        // Rows for the first six; the first sent, the second suppressed.
        let ids: Vec<String> = emails.iter().map(|email| format!("<{email}>")).collect();
        let planned: Vec<PlannedDelivery<'_>> = emails[..6]
            .iter()
            .zip(&ids)
            .map(|(email, id)| PlannedDelivery {
                email,
                mailbox: email,
                edition_id: edition.id,
                message_id: id,
            })
            .collect();
        ledger.plan(date, &planned, now()).unwrap();
        let sent = Recorded {
            date,
            email: &emails[0],
            status: Status::Sent,
            attempts: 1,
            reply: "250 ok",
            bytes: Some(1),
        };
        ledger.record(&[sent], now()).unwrap();
        ledger.suppress(&emails[1], "unsubscribe", now()).unwrap();

        for (scope, due) in [(Scope::Audience, 5), (Scope::AudienceUnplanned, 8), (Scope::Day, 4)] {
            let mut after = String::new();
            let mut read = 0;
            loop {
                let left = ledger.due_after(date, scope, &after).unwrap();
                let page = ledger.due_page(date, scope, (&after, None), 2).unwrap();
                let rest: usize = {
                    let mut n = page.len();
                    let mut from = page.last().map(|row| row.email.clone());
                    while let Some(start) = from {
                        let more = ledger.due_page(date, scope, (&start, None), 2).unwrap();
                        n += more.len();
                        from = more.last().map(|row| row.email.clone());
                    }
                    n
                };
                assert_eq!(left, rest, "{scope:?} after {after:?}");
                let Some(last) = page.last() else { break };
                read += page.len();
                after.clone_from(&last.email);
            }
            assert_eq!(read, due, "{scope:?}");
            // A page bounded by `until` is the unbounded one cut after that address.
            let until = emails[3].as_str();
            let all = ledger.due_page(date, scope, ("", None), 100).unwrap();
            let bounded = ledger.due_page(date, scope, ("", Some(until)), 100).unwrap();
            let cut: Vec<DueRow> =
                all.into_iter().filter(|row| row.email.as_str() <= until).collect();
            assert!(!cut.is_empty(), "{scope:?}");
            assert_eq!(bounded, cut, "{scope:?}");
        }
    }
}
