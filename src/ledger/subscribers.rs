//! The audience of record: every address the ledger knows, with an id that personal links
//! name, its source, whether a sign-up is confirmed, and the subscriber's saved choices
//! (topics, pause). The config's lists stay the operator's; the ledger adds sign-ups and
//! what each subscriber chose for themselves.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, Row, params};

use super::{Choices, Ledger, LedgerError, time_text};

/// Where an address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubscriberSource {
    /// `[[subscribers]]` in the config.
    Config,
    /// The config's `subscribers_file`.
    Csv,
    /// The sign-up form (double opt-in).
    SignUp,
    /// `newsdigest subscribers add` or `import`.
    Shell,
}

impl SubscriberSource {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberSource::Config => "config",
            SubscriberSource::Csv => "csv",
            SubscriberSource::SignUp => "signup",
            SubscriberSource::Shell => "shell",
        }
    }

    fn parse(text: &str) -> SubscriberSource {
        match text {
            "config" => SubscriberSource::Config,
            "csv" => SubscriberSource::Csv,
            "signup" => SubscriberSource::SignUp,
            _ => SubscriberSource::Shell,
        }
    }
}

/// One address as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSubscriber {
    /// The id personal links name.
    pub id: i64,
    /// The address, lower-cased.
    pub email: String,
    /// The display name, when given.
    pub name: Option<String>,
    /// Where it came from.
    pub source: SubscriberSource,
    /// A sign-up not confirmed yet: it receives nothing.
    pub pending: bool,
    /// The topics the subscriber chose (empty: every topic); `None`: the config decides.
    pub topics: Option<Vec<String>>,
    /// The subscriber paused the digest.
    pub paused: bool,
    /// When the ledger first heard of the address.
    pub created_at: String,
    /// When a sign-up was confirmed.
    pub confirmed_at: Option<String>,
    /// Why and when the address was suppressed, when it is.
    pub suppressed: Option<(String, String)>,
}

/// An address of the config's lists, for [`Ledger::record_listed`].
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    /// The address.
    pub email: &'a str,
    /// The display name.
    pub name: Option<&'a str>,
    /// `Config` or `Csv`.
    pub source: SubscriberSource,
}

/// What a sign-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    /// A new pending address (id): send it a confirmation.
    Pending(i64),
    /// Already receiving the digest: nothing to do (and nothing different to say).
    AlreadyActive,
}

const COLUMNS: &str = "s.id, s.email, s.name, s.source, s.status, s.topics, s.paused, s.created_at, \
    s.confirmed_at, x.reason, x.created_at";
const FROM: &str = "subscribers s LEFT JOIN suppressions x ON x.email = s.email";

fn subscriber(row: &Row<'_>) -> rusqlite::Result<LedgerSubscriber> {
    let reason: Option<String> = row.get(9)?;
    let suppressed_at: Option<String> = row.get(10)?;
    Ok(LedgerSubscriber {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        source: SubscriberSource::parse(&row.get::<_, String>(3)?),
        pending: row.get::<_, String>(4)? == "pending",
        topics: topics_from_text(row.get(5)?),
        paused: row.get(6)?,
        created_at: row.get(7)?,
        confirmed_at: row.get(8)?,
        suppressed: reason.zip(suppressed_at),
    })
}

/// A `topics` column read back: the JSON list of a subscriber's choice, `None` for none.
pub(super) fn topics_from_text(text: Option<String>) -> Option<Vec<String>> {
    text.and_then(|text| serde_json::from_str(&text).ok())
}

fn topics_text(topics: Option<&[String]>) -> Option<String> {
    topics.map(|topics| serde_json::to_string(topics).unwrap_or_else(|_| "[]".to_owned()))
}

impl Ledger {
    /// Records the config's listed addresses (new ones as active, of their source; known ones
    /// keep their row, and a pending sign-up the operator lists becomes active) and returns
    /// each one's id and recorded choices, in order. One transaction.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn record_listed(
        &mut self,
        listed: &[Listed<'_>],
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<Choices>, LedgerError> {
        let path = self.path.clone();
        let err = |source| super::sqlite(&path, source);
        let tx = self.conn.transaction().map_err(err)?;
        let mut recorded = Vec::with_capacity(listed.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO subscribers (email, name, source, status, created_at, confirmed_at, updated_at)
                     VALUES (?1, ?2, ?3, 'active', ?4, ?4, ?4)
                     ON CONFLICT (email) DO UPDATE SET status = 'active',
                         confirmed_at = COALESCE(confirmed_at, excluded.confirmed_at)
                     WHERE status = 'pending'",
                )
                .map_err(err)?;
            let mut find = tx.prepare_cached(super::audience::CHOICES).map_err(err)?;
            let now = time_text(now);
            for entry in listed {
                let email = entry.email.to_lowercase();
                insert
                    .execute(params![email, entry.name, entry.source.as_str(), now])
                    .map_err(err)?;
                recorded.push(find.query_row([&email], super::audience::choices_row).map_err(err)?);
            }
        }
        tx.commit().map_err(err)?;
        Ok(recorded)
    }

    /// The subscriber with this id.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn subscriber(&self, id: i64) -> Result<Option<LedgerSubscriber>, LedgerError> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = ?1"), [id], subscriber)
            .optional()
            .map_err(|err| self.err(err))
    }

    /// The subscriber with this address.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn subscriber_by_email(
        &self,
        email: &str,
    ) -> Result<Option<LedgerSubscriber>, LedgerError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM {FROM} WHERE s.email = ?1"),
                [email.to_lowercase()],
                subscriber,
            )
            .optional()
            .map_err(|err| self.err(err))
    }

    /// Every address the ledger knows, by address.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn subscribers(&self) -> Result<Vec<LedgerSubscriber>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY s.email"))
            .map_err(|err| self.err(err))?;
        let rows = stmt.query_map([], subscriber).map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// A sign-up: a new address is recorded as pending with its name and topics; a pending
    /// one gets its name and topics updated (a second confirmation is sent); an active one
    /// is left alone. A suppressed address may sign up again: confirming lifts it.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn sign_up(
        &mut self,
        email: &str,
        name: Option<&str>,
        topics: &[String],
        now: DateTime<FixedOffset>,
    ) -> Result<SignUp, LedgerError> {
        let email = email.to_lowercase();
        if let Some(known) = self.subscriber_by_email(&email)? {
            if !known.pending && known.suppressed.is_none() {
                return Ok(SignUp::AlreadyActive);
            }
            // Pending again (a suppressed address, too) until this sign-up is confirmed.
            self.conn
                .execute(
                    "UPDATE subscribers SET name = COALESCE(?2, name), topics = ?3, updated_at = ?4,
                         status = 'pending'
                     WHERE id = ?1",
                    params![known.id, name, topics_text(Some(topics)), time_text(now)],
                )
                .map_err(|err| self.err(err))?;
            return Ok(SignUp::Pending(known.id));
        }
        self.conn
            .execute(
                "INSERT INTO subscribers (email, name, source, status, topics, created_at, updated_at)
                 VALUES (?1, ?2, 'signup', 'pending', ?3, ?4, ?4)",
                params![email, name, topics_text(Some(topics)), time_text(now)],
            )
            .map_err(|err| self.err(err))?;
        Ok(SignUp::Pending(self.conn.last_insert_rowid()))
    }

    /// Confirms a sign-up (or a sign-up again after leaving): the address becomes active and
    /// its suppression, if any, is lifted. `None` when the id is unknown.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn confirm(
        &mut self,
        id: i64,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<LedgerSubscriber>, LedgerError> {
        let Some(known) = self.subscriber(id)? else { return Ok(None) };
        let path = self.path.clone();
        let err = |source| super::sqlite(&path, source);
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "UPDATE subscribers SET status = 'active', paused = 0,
                 confirmed_at = COALESCE(confirmed_at, ?2), updated_at = ?2
             WHERE id = ?1",
            params![id, time_text(now)],
        )
        .map_err(err)?;
        if known.pending {
            tx.execute("DELETE FROM suppressions WHERE email = ?1", [&known.email]).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        self.subscriber(id)
    }

    /// Saves a subscriber's own choices: topics (`None`: the config decides; empty: every
    /// topic) and whether the digest is paused. False when the id is unknown.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn save_preferences(
        &mut self,
        id: i64,
        topics: Option<&[String]>,
        paused: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, LedgerError> {
        self.conn
            .execute(
                "UPDATE subscribers SET topics = ?2, paused = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, topics_text(topics), paused, time_text(now)],
            )
            .map(|changed| changed > 0)
            .map_err(|err| self.err(err))
    }

    /// Adds an address from the shell, active at once (the operator vouches for it); an
    /// address already known keeps its row and gets the name and topics given. Returns its id.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn add_subscriber(
        &mut self,
        email: &str,
        name: Option<&str>,
        topics: Option<&[String]>,
        now: DateTime<FixedOffset>,
    ) -> Result<i64, LedgerError> {
        let email = email.to_lowercase();
        self.conn
            .execute(
                "INSERT INTO subscribers (email, name, source, status, topics, created_at, confirmed_at, updated_at)
                 VALUES (?1, ?2, 'shell', 'active', ?3, ?4, ?4, ?4)
                 ON CONFLICT (email) DO UPDATE SET name = COALESCE(excluded.name, name),
                     topics = COALESCE(excluded.topics, topics), status = 'active',
                     confirmed_at = COALESCE(confirmed_at, excluded.confirmed_at),
                     updated_at = excluded.updated_at",
                params![email, name, topics_text(topics), time_text(now)],
            )
            .map_err(|err| self.err(err))?;
        self.conn
            .query_row("SELECT id FROM subscribers WHERE email = ?1", [&email], |row| row.get(0))
            .map_err(|err| self.err(err))
    }

    /// Forgets a sign-up or shell-added address (its row goes; listed ones stay listed in the
    /// config). False when unknown or listed.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn forget_subscriber(&mut self, email: &str) -> Result<bool, LedgerError> {
        self.conn
            .execute(
                "DELETE FROM subscribers WHERE email = ?1 AND source IN ('signup', 'shell')",
                [email.to_lowercase()],
            )
            .map(|changed| changed > 0)
            .map_err(|err| self.err(err))
    }

    /// Suppressions counted by reason.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn suppression_counts(&self) -> Result<BTreeMap<String, usize>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT reason, COUNT(*) FROM suppressions GROUP BY reason ORDER BY reason")
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
            .map_err(|err| self.err(err))?;
        rows.map(|row| row.map(|(reason, n)| (reason, usize::try_from(n).unwrap_or(0))))
            .collect::<Result<_, _>>()
            .map_err(|err| self.err(err))
    }

    /// Addresses counted by source (`config`, `csv`, `signup`, `shell`) and state (`active`,
    /// `pending`, `paused`), suppressed ones apart (see [`Ledger::suppression_counts`]).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn audience_counts(&self) -> Result<BTreeMap<(String, String), usize>, LedgerError> {
        // Every address counted from an index (in index order, so no sorting a million
        // rows), then the suppressed ones, few, taken off.
        let state = |status: &str, paused: bool| {
            if status == "pending" {
                "pending"
            } else if paused {
                "paused"
            } else {
                "active"
            }
        };
        let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (query, sign) in [
            (
                "SELECT source, status, paused, COUNT(*) FROM subscribers
                 GROUP BY source, status, paused",
                1,
            ),
            (
                "SELECT s.source, s.status, s.paused, COUNT(*) FROM suppressions x
                 JOIN subscribers s ON s.email = x.email GROUP BY s.source, s.status, s.paused",
                -1,
            ),
        ] {
            let mut stmt = self.conn.prepare(query).map_err(|err| self.err(err))?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, bool>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })
                .map_err(|err| self.err(err))?;
            for row in rows {
                let (source, status, paused, n) = row.map_err(|err| self.err(err))?;
                *counts.entry((source, state(&status, paused).to_owned())).or_default() += sign * n;
            }
        }
        Ok(counts
            .into_iter()
            .filter_map(|(key, n)| usize::try_from(n).ok().filter(|n| *n > 0).map(|n| (key, n)))
            .collect())
    }

    /// True when the address is suppressed now (read at send time, so an unsubscribe made
    /// during a run is honoured before the next message).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn is_suppressed(&self, email: &str) -> Result<bool, LedgerError> {
        self.conn
            .prepare_cached("SELECT 1 FROM suppressions WHERE email = ?1")
            .and_then(|mut statement| {
                statement.query_row([email.to_lowercase()], |_| Ok(())).optional()
            })
            .map(|found| found.is_some())
            .map_err(|err| self.err(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-30T08:00:00+01:00").unwrap()
    }

    #[test]
    fn the_audience_of_record_keeps_ids_sign_ups_and_choices() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let listed = [
            Listed {
                email: "Ana@Example.org",
                name: Some("Ana"),
                source: SubscriberSource::Config,
            },
            Listed { email: "ben@example.org", name: None, source: SubscriberSource::Csv },
        ];
        let ids = ledger.record_listed(&listed, now()).unwrap();
        assert_eq!(ids.len(), 2);
        // Ids are stable across runs.
        assert_eq!(ledger.record_listed(&listed, now()).unwrap(), ids);
        let ana = ledger.subscriber(ids[0].id).unwrap().unwrap();
        assert_eq!(
            (ana.source, ana.pending, ana.topics.clone()),
            (SubscriberSource::Config, false, None)
        );

        // A sign-up is pending until confirmed; a second sign-up keeps the id.
        let SignUp::Pending(id) =
            ledger.sign_up("cara@example.org", Some("Cara"), &["climate".into()], now()).unwrap()
        else {
            panic!()
        };
        assert!(ledger.subscriber(id).unwrap().unwrap().pending);
        assert_eq!(
            ledger.sign_up("CARA@example.org", None, &[], now()).unwrap(),
            SignUp::Pending(id)
        );
        assert_eq!(
            ledger.sign_up("ana@example.org", None, &[], now()).unwrap(),
            SignUp::AlreadyActive
        );
        let cara = ledger.confirm(id, now()).unwrap().unwrap();
        assert!(!cara.pending);
        assert_eq!(cara.name.as_deref(), Some("Cara"));
        assert_eq!(cara.topics, Some(vec![]));

        // Choices, suppression and its counts.
        assert!(ledger.save_preferences(ids[1].id, Some(&["health".into()]), true, now()).unwrap());
        let ben = ledger.subscriber_by_email("ben@example.org").unwrap().unwrap();
        assert_eq!((ben.topics, ben.paused), (Some(vec!["health".to_owned()]), true));
        assert!(ledger.suppress("ana@example.org", "unsubscribe (one-click)", now()).unwrap());
        assert!(ledger.is_suppressed("ANA@example.org").unwrap());
        assert_eq!(
            ledger.subscriber(ids[0].id).unwrap().unwrap().suppressed.map(|s| s.0),
            Some("unsubscribe (one-click)".to_owned())
        );
        assert_eq!(ledger.suppression_counts().unwrap()["unsubscribe (one-click)"], 1);
        // Signing up again after leaving, and confirming, lifts the suppression.
        let SignUp::Pending(again) = ledger.sign_up("ana@example.org", None, &[], now()).unwrap()
        else {
            panic!()
        };
        assert_eq!(again, ids[0].id);
        ledger.confirm(again, now()).unwrap();
        assert!(!ledger.is_suppressed("ana@example.org").unwrap());

        // Shell adds and forgets; listed rows are not forgotten.
        let dev = ledger.add_subscriber("dev@example.org", None, None, now()).unwrap();
        assert!(!ledger.subscriber(dev).unwrap().unwrap().pending);
        assert!(ledger.forget_subscriber("dev@example.org").unwrap());
        assert!(!ledger.forget_subscriber("ben@example.org").unwrap());
        let emails: Vec<String> =
            ledger.subscribers().unwrap().into_iter().map(|s| s.email).collect();
        assert_eq!(emails, ["ana@example.org", "ben@example.org", "cara@example.org"]);
    }
}
