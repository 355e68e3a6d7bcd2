//! Bounces and complaints as they arrive, one row per bounce message (its key makes reading
//! it again change nothing), the soft bounces an address has had since it last received a
//! message, and the rates mailbox providers judge a sender by.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension, params};

use super::{Ledger, LedgerError, time_text};

/// A suppression: address, reason, time and evidence (none for unsubscribes).
pub type SuppressionRow = (String, String, String, Option<String>);

/// One bounce, complaint or other report, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceEvent {
    /// What makes it the same report when read again: the bounce message's own Message-ID,
    /// else a hash of its bytes (or the provider's notification id).
    pub key: String,
    /// When it was read.
    pub received_at: DateTime<FixedOffset>,
    /// The failed (or complaining) address, lower-cased.
    pub email: String,
    /// `hard`, `soft`, `complaint`, …
    pub class: String,
    /// The DSN status.
    pub status: String,
    /// The reason word.
    pub reason: String,
    /// The remote server's reply.
    pub reply: String,
    /// The failed message's Message-ID.
    pub message_id: String,
    /// Where it came from: `mail`, `smtp` (our own session), `ses`, `postmark`.
    pub source: String,
}

/// Messages sent and bounces received over a span, for `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BounceRates {
    /// Messages handed to the relay: accepted, or refused for good during the session.
    pub sent: usize,
    /// Hard bounces.
    pub hard: usize,
    /// Soft bounces.
    pub soft: usize,
    /// Complaints.
    pub complaints: usize,
    /// Reports ignored: forged return paths, addresses never sent to.
    pub ignored: usize,
}

impl BounceRates {
    /// Hard and soft bounces over messages sent.
    pub fn bounce_rate(&self) -> f64 {
        if self.sent == 0 { 0.0 } else { (self.hard + self.soft) as f64 / self.sent as f64 }
    }

    /// Complaints over messages sent.
    pub fn complaint_rate(&self) -> f64 {
        if self.sent == 0 { 0.0 } else { self.complaints as f64 / self.sent as f64 }
    }
}

impl Ledger {
    /// Records a report; false when one with the same key was recorded already.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn record_bounce(&mut self, event: &BounceEvent) -> Result<bool, LedgerError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO bounces
                     (key, received_at, email, class, status, reason, reply, message_id, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    event.key,
                    time_text(event.received_at),
                    event.email.to_lowercase(),
                    event.class,
                    event.status,
                    event.reason,
                    event.reply,
                    event.message_id,
                    event.source
                ],
            )
            .map(|changed| changed > 0)
            .map_err(|err| self.err(err))
    }

    /// Soft bounces of `email` since `since`, not counting those before its last message the
    /// relay accepted (a later success resets the count).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn soft_bounces_since(
        &self,
        email: &str,
        since: DateTime<FixedOffset>,
    ) -> Result<usize, LedgerError> {
        let email = email.to_lowercase();
        let last_sent: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(sent_at) FROM deliveries WHERE email = ?1 AND status = 'sent'",
                [&email],
                |row| row.get(0),
            )
            .map_err(|err| self.err(err))?;
        let since = time_text(since);
        let from = match last_sent {
            Some(sent) if sent > since => sent,
            _ => since,
        };
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM bounces WHERE email = ?1 AND class = 'soft' AND received_at >= ?2",
                params![email, from],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|err| self.err(err))
    }

    /// The address of the delivery that sent the message with this Message-ID (written with
    /// or without angle brackets).
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn delivery_by_message_id(&self, message_id: &str) -> Result<Option<String>, LedgerError> {
        let bare = message_id.trim().trim_matches(['<', '>']);
        self.conn
            .query_row(
                "SELECT email FROM deliveries WHERE message_id = ?1 OR message_id = ?2 LIMIT 1",
                params![bare, format!("<{bare}>")],
                |row| row.get(0),
            )
            .optional()
            .map_err(|err| self.err(err))
    }

    /// Whether anything was ever sent (or planned) to `email`.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn ever_sent_to(&self, email: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT 1 FROM deliveries WHERE email = ?1 LIMIT 1",
                [email.to_lowercase()],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|err| self.err(err))
    }

    /// Suppresses an address with the evidence for it; false when it was suppressed already.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn suppress_with_evidence(
        &mut self,
        email: &str,
        reason: &str,
        evidence: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, LedgerError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO suppressions (email, reason, created_at, evidence)
                 VALUES (?1, ?2, ?3, ?4)",
                params![email.to_lowercase(), reason, time_text(now), evidence],
            )
            .map(|changed| changed > 0)
            .map_err(|err| self.err(err))
    }

    /// Every suppression with its reason, time and evidence, by address.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn suppressions_with_evidence(&self) -> Result<Vec<SuppressionRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT email, reason, created_at, evidence FROM suppressions ORDER BY email")
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .map_err(|err| self.err(err))?;
        rows.collect::<Result<_, _>>().map_err(|err| self.err(err))
    }

    /// Messages sent and reports received on each day from `from` to `to` (inclusive), by day.
    ///
    /// # Errors
    /// [`LedgerError`] on a database failure.
    pub fn bounce_rates(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, BounceRates)>, LedgerError> {
        let mut days: std::collections::BTreeMap<NaiveDate, BounceRates> = Default::default();
        let (start, end) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
        // Messages that reached a server: sent ones by the day they were sent, refused ones
        // by the day of the refusal. Each day is a range of an index (the texts start with
        // the day, and a day's texts sort between `DAY` and `DAY~`), counted without sorting.
        let mut sent = self
            .conn
            .prepare(
                "SELECT (SELECT COUNT(*) FROM deliveries WHERE sent_at BETWEEN ?1 AND ?2)
                      + (SELECT COUNT(*) FROM deliveries WHERE status = 'failed-permanent'
                           AND sent_at IS NULL AND updated_at BETWEEN ?1 AND ?2)",
            )
            .map_err(|err| self.err(err))?;
        for day in from.iter_days().take_while(|day| *day <= to) {
            let text = day.format("%Y-%m-%d").to_string();
            let n: i64 = sent
                .query_row(params![text, format!("{text}~")], |row| row.get(0))
                .map_err(|err| self.err(err))?;
            if n > 0 {
                days.entry(day).or_default().sent += usize::try_from(n).unwrap_or(0);
            }
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT substr(received_at, 1, 10) AS day, class, COUNT(*) FROM bounces
                 WHERE substr(received_at, 1, 10) BETWEEN ?1 AND ?2 GROUP BY day, class",
            )
            .map_err(|err| self.err(err))?;
        let rows = stmt
            .query_map(params![start, end], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
            })
            .map_err(|err| self.err(err))?;
        for row in rows {
            let (day, class, n) = row.map_err(|err| self.err(err))?;
            let Ok(day) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else { continue };
            let entry = days.entry(day).or_default();
            let n = usize::try_from(n).unwrap_or(0);
            match class.as_str() {
                "hard" => entry.hard += n,
                "soft" => entry.soft += n,
                "complaint" => entry.complaints += n,
                "ignored" => entry.ignored += n,
                _ => {}
            }
        }
        Ok(days.into_iter().collect())
    }
}
