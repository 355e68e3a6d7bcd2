//! Deliver: one message per subscriber, through a [`Sender`] (SMTP or the outbox), each row
//! committed as `sending` before its message goes, and its outcome soon after (group commit,
//! see [`RECORD_BATCH`]).
//!
//! [`send_all`] streams the jobs: at most [`COMPOSE_AHEAD`] × `concurrency` send tasks exist
//! at a time, whatever the list's size; each composes its message, then waits for one of
//! `concurrency` sessions, looks its address up again (an unsubscribe during the run) and
//! sends. The ledger's writes stay on the calling task (SQLite connections are not shared);
//! send tasks report back their outcome. Transient failures are retried inside the task with
//! exponential backoff and jitter; permanent ones are recorded with the next group. The run
//! stops cleanly after `max_consecutive_failures` failed messages in a row, or when
//! `max_per_hour` is reached; the rest stays `pending`.

pub mod message;
pub mod smtp;

use std::collections::VecDeque;
use std::future::Future;
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta};
use lettre::address::Envelope;
use lettre::message::Mailbox;
use sha2::Digest as _;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::ledger::{Ledger, LedgerError, Recorded, Status, StoredEdition};
use message::{Composed, Composer};

/// Where messages go.
pub trait Sender: Send + Sync + 'static {
    /// Hands one message to the transport; returns the server's reply (or what was written).
    fn send(
        &self,
        envelope: &Envelope,
        message: &[u8],
    ) -> impl Future<Output = Result<String, Failure>> + Send;

    /// Closes pooled connections at the end of a run.
    fn finish(&self) -> impl Future<Output = ()> + Send;
}

/// Told about each outcome as it is recorded (a progress bar, log lines).
pub trait Progress {
    /// `total` messages are about to be sent.
    fn start(&mut self, total: usize);
    /// One message is done.
    fn outcome(&mut self, outcome: &Outcome);
}

/// No progress display.
impl Progress for () {
    fn start(&mut self, _total: usize) {}
    fn outcome(&mut self, _outcome: &Outcome) {}
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Whether trying again can help.
    pub kind: FailureKind,
    /// The server's reply or the error.
    pub reply: String,
}

/// Whether a failure is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 4xx, timeouts, refused or reset connections: retried.
    Transient,
    /// 5xx for this recipient, or a message the client cannot send: not retried.
    Permanent,
}

/// How [`send_all`] paces itself.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Attempts per message.
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with ±50 % jitter.
    pub retry_delay: Duration,
    /// Most messages a second.
    pub rate: Option<f64>,
    /// Most messages in any hour, counting earlier runs.
    pub max_per_hour: Option<usize>,
    /// Failed messages in a row that stop the run.
    pub max_consecutive_failures: usize,
}

/// Where [`send_all`] takes its jobs from, a few at a time, so that a list of a million is
/// never held in memory.
pub trait Jobs {
    /// Up to `max` more jobs, in order; none when there are no more. `ledger` is the sending
    /// ledger (`None` in dry runs), for a source that reads its rows between two commits.
    ///
    /// # Errors
    /// [`LedgerError`] when the source's rows cannot be read.
    fn next(&mut self, ledger: Option<&Ledger>, max: usize) -> Result<Vec<Job>, LedgerError>;

    /// How many jobs are left, without taking them (for the report of a run that stopped).
    ///
    /// # Errors
    /// As [`Jobs::next`].
    fn left(&mut self, ledger: Option<&Ledger>) -> Result<usize, LedgerError>;
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Job {
    /// The edition's date (the ledger key with `email`).
    pub date: NaiveDate,
    /// The address, lowercased.
    pub email: String,
    /// The recipient, with name.
    pub to: Mailbox,
    /// The subscriber's id in the ledger, which personal links name.
    pub subscriber: Option<i64>,
    /// The edition to send.
    pub edition: Arc<StoredEdition>,
    /// The message's deterministic Message-ID.
    pub message_id: String,
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The address.
    pub email: String,
    /// The digest it got.
    pub digest: String,
    /// Sent or failed.
    pub status: Status,
    /// Attempts made in this run.
    pub attempts: u32,
    /// The server's last reply, or the error.
    pub reply: String,
    /// Size of the whole message.
    pub bytes: usize,
    /// Size of its HTML part.
    pub html_bytes: usize,
}

/// Why a run stopped before the end of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// This many messages failed in a row.
    RelayRejecting(usize),
    /// `max_per_hour` was reached.
    HourlyLimit(usize),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::RelayRejecting(n) => write!(
                f,
                "stopped after {n} failed messages in a row: the relay is rejecting everything; check the replies above, then run `newsdigest retry`"
            ),
            Stop::HourlyLimit(limit) => write!(
                f,
                "stopped at smtp.max_per_hour = {limit}; the rest stays pending: run `newsdigest retry` in an hour"
            ),
        }
    }
}

/// The outcome of [`send_all`].
#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// Messages sent (accepted by the relay, or written).
    pub sent: usize,
    /// Bytes of the messages sent.
    pub sent_bytes: u64,
    /// The messages that failed, in completion order (sent ones are only counted, so the
    /// report stays small for long lists).
    pub failures: Vec<Outcome>,
    /// Jobs not tried because the run stopped.
    pub not_attempted: usize,
    /// Why the run stopped early, if it did.
    pub stopped: Option<Stop>,
    /// Send tasks that ended without an outcome (their rows stay `sending`).
    pub lost: usize,
    /// Messages not sent because the address was unsubscribed during the run.
    pub suppressed: usize,
}

impl DeliveryReport {
    /// Messages with `status`.
    pub fn count(&self, status: Status) -> usize {
        match status {
            Status::Sent => self.sent,
            _ => self.failures.iter().filter(|outcome| outcome.status == status).count(),
        }
    }
}

/// Rows marked `sending` in one transaction, and outcomes recorded in one: the group commit
/// that lets the ledger keep up with the wire.
///
/// Outcomes are recorded when this many are waiting, or [`RECORD_INTERVAL`] after the
/// oldest, whichever comes first; those waiting when the next batch is marked are recorded
/// in the marks' transaction (one commit, and one sync, for both). A message the relay
/// accepted but whose outcome is not recorded yet is sent again after a crash (its row is
/// still `sending`), so a killed process or a power loss can cause at most
/// `RECORD_BATCH + COMPOSE_AHEAD × concurrency` messages to be sent twice.
pub const RECORD_BATCH: usize = 32;

/// The longest an outcome waits before it is recorded (see [`RECORD_BATCH`]).
pub const RECORD_INTERVAL: Duration = Duration::from_millis(100);

/// Sends every job through `sender`, recording each step in `ledger` (`None` for a dry run,
/// which records nothing).
///
/// Jobs are taken [`RECORD_BATCH`] at a time and marked `sending` together, then launched as
/// slots free up; outcomes are recorded in groups as well (see [`RECORD_BATCH`]). Up to
/// [`COMPOSE_AHEAD`] × `concurrency` send tasks exist at once: each composes its message, then
/// waits for one of `concurrency` sessions, so a session freed while this task commits to
/// the ledger is taken at once by a message already composed. Just before sending, each
/// task looks its address up again in a read-only connection to the ledger, so an
/// unsubscribe committed during the run is honoured up to the last moment.
///
/// # Errors
/// [`LedgerError`] when a status change cannot be committed: the run stops at once, since
/// sending on without a record could send twice.
pub async fn send_all<S: Sender>(
    jobs: &mut dyn Jobs,
    composer: Arc<Composer>,
    sender: Arc<S>,
    mut ledger: Option<&mut Ledger>,
    policy: &Policy,
    clock: &dyn Clock,
    progress: &mut dyn Progress,
) -> Result<DeliveryReport, LedgerError> {
    let mut report = DeliveryReport::default();
    let mut tasks: JoinSet<(Job, Done)> = JoinSet::new();
    let mut next_slot = Instant::now();
    let sent_last_hour = match (policy.max_per_hour, ledger.as_deref()) {
        (Some(_), Some(ledger)) => ledger.sent_since(clock.now() - TimeDelta::hours(1))?,
        _ => 0,
    };
    let mut launched = 0usize;
    let concurrency = policy.concurrency.max(1);
    // Paced runs compose no further ahead than they send, so that a burst of messages
    // composed while the sessions were busy cannot break the rate.
    let tasks_at_once =
        if policy.rate.is_some() { concurrency } else { COMPOSE_AHEAD * concurrency };
    let gate = Arc::new(Gate {
        sessions: tokio::sync::Semaphore::new(concurrency),
        streak: AtomicUsize::new(0),
        stopped_at: AtomicUsize::new(0),
        max_streak: policy.max_consecutive_failures.max(1),
        reader: match ledger.as_deref() {
            Some(ledger) => Some(std::sync::Mutex::new(ledger.reader()?)),
            None => None,
        },
    });
    // Marked `sending`, not launched yet.
    let mut marked: VecDeque<Job> = VecDeque::new();
    let mut outcomes = Outcomes::new();
    // Tasks that came back unsent because the run stopped while they waited for a session.
    let mut unsent: Vec<Job> = Vec::new();

    loop {
        while let Some(done) = tasks.try_join_next() {
            take(done, &gate, &mut outcomes, &mut unsent, &mut ledger, progress, &mut report)?;
        }
        // The bound on messages in existence: a JoinSet of at most `tasks_at_once` tasks,
        // which keeps every outcome on this task, beside the ledger.
        while tasks.len() >= tasks_at_once {
            if let Some(done) = tasks.join_next().await {
                take(done, &gate, &mut outcomes, &mut unsent, &mut ledger, progress, &mut report)?;
            }
        }
        // When the next batch is to be marked, the outcomes go with it (one commit for both).
        if outcomes.due() && !marked.is_empty() {
            outcomes.record(ledger.as_deref_mut(), clock)?;
        }
        if report.stopped.is_some() {
            break;
        }
        if marked.is_empty() {
            let batch: Vec<Job> = jobs.next(ledger.as_deref(), RECORD_BATCH)?;
            if batch.is_empty() {
                break;
            }
            match ledger.as_deref_mut() {
                Some(ledger) => {
                    let rows: Vec<(NaiveDate, &str)> =
                        batch.iter().map(|job| (job.date, job.email.as_str())).collect();
                    // The outcomes waiting go in the same transaction: one commit, and one
                    // sync, for both.
                    let due = outcomes.record_and_mark(ledger, &rows, clock)?;
                    for (job, due) in batch.into_iter().zip(due) {
                        if due {
                            marked.push_back(job);
                        } else {
                            // Unsubscribed while the run was under way: not sent, not due.
                            report.suppressed += 1;
                        }
                    }
                }
                None => marked.extend(batch),
            }
            continue;
        }
        if let Some(limit) = policy.max_per_hour
            && sent_last_hour + launched >= limit
        {
            report.stopped = Some(Stop::HourlyLimit(limit));
            break;
        }
        let Some(job) = marked.pop_front() else { continue };
        if let Some(ledger) = ledger.as_deref() {
            // A ledger deleted or replaced under the run stops it before the next message.
            ledger.ensure_same_file()?;
        }
        if let Some(rate) = policy.rate {
            tokio::time::sleep_until(next_slot).await;
            next_slot = next_slot.max(Instant::now()) + Duration::from_secs_f64(1.0 / rate);
        }
        launched += 1;
        let now = clock.now();
        let sender = Arc::clone(&sender);
        let composer = Arc::clone(&composer);
        let gate = Arc::clone(&gate);
        let policy = policy.clone();
        // Composing runs in the task, so messages are built on every core while this task
        // keeps the ledger.
        tasks.spawn(async move {
            let composed =
                composer.compose(&job.edition, &job.to, job.subscriber, &job.message_id, now);
            let done = gate.send(sender.as_ref(), &job, composed, &policy).await;
            (job, done)
        });
    }
    while let Some(done) = tasks.join_next().await {
        take(done, &gate, &mut outcomes, &mut unsent, &mut ledger, progress, &mut report)?;
    }
    // Marked but never sent (the run stopped): pending again, for the next run.
    unsent.extend(marked);
    if let Some(ledger) = ledger.as_deref_mut()
        && !unsent.is_empty()
    {
        let rows: Vec<(NaiveDate, &str)> =
            unsent.iter().map(|job| (job.date, job.email.as_str())).collect();
        ledger.unmark_sending(&rows)?;
    }
    report.not_attempted += unsent.len() + jobs.left(ledger.as_deref())?;
    outcomes.record(ledger, clock)?;
    sender.finish().await;
    Ok(report)
}

/// How many send tasks may exist for each session: one sending, the others composed and
/// waiting for it. A killed process or a power loss can cause at most
/// `RECORD_BATCH + COMPOSE_AHEAD × concurrency` messages to be sent twice.
pub const COMPOSE_AHEAD: usize = 2;

/// What a send task comes back with.
enum Done {
    /// Sent, or failed after its attempts.
    Tried(Outcome),
    /// Not sent: the run stopped while it waited for a session.
    Unsent,
    /// Not sent: the address was unsubscribed while it waited.
    Withdrawn,
    /// Not sent: the ledger could not be read to check the address.
    Unreadable(LedgerError),
}

/// What the send tasks share: the sessions, the run of failures that stops a run, and the
/// ledger to check an address in just before its message goes.
struct Gate {
    /// One permit a session: at most `concurrency` messages are being sent at once.
    sessions: tokio::sync::Semaphore,
    /// Failed messages in a row, in the order they finished.
    streak: AtomicUsize,
    /// The streak that stopped the run (0 while it goes on).
    stopped_at: AtomicUsize,
    /// `max_consecutive_failures`.
    max_streak: usize,
    /// A read-only connection to the ledger (`None` in dry runs).
    reader: Option<std::sync::Mutex<Ledger>>,
}

impl Gate {
    /// Waits for a session, then sends `composed` unless the run has stopped or the address
    /// has left since it was marked.
    async fn send<S: Sender>(
        &self,
        sender: &S,
        job: &Job,
        composed: Result<Composed, message::ComposeError>,
        policy: &Policy,
    ) -> Done {
        let Ok(_session) = self.sessions.acquire().await else { return Done::Unsent };
        if self.stopped_at.load(Ordering::SeqCst) > 0 {
            return Done::Unsent;
        }
        if let Some(reader) = &self.reader {
            let reader = reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match reader.is_suppressed(&job.email) {
                Ok(false) => {}
                Ok(true) => return Done::Withdrawn,
                Err(err) => return Done::Unreadable(err),
            }
        }
        let outcome = match composed {
            Ok(composed) => attempt(sender, job, composed, policy).await,
            Err(err) => Outcome {
                email: job.email.clone(),
                digest: job.edition.digest.clone(),
                status: Status::FailedPermanent,
                attempts: 0,
                reply: err.to_string(),
                bytes: 0,
                html_bytes: 0,
            },
        };
        // Counted while the session is still held, so that a task waiting for it sees the
        // stop before it sends.
        if outcome.status == Status::Sent {
            self.streak.store(0, Ordering::SeqCst);
        } else {
            let streak = self.streak.fetch_add(1, Ordering::SeqCst) + 1;
            if streak >= self.max_streak {
                let _ =
                    self.stopped_at.compare_exchange(0, streak, Ordering::SeqCst, Ordering::SeqCst);
            }
        }
        Done::Tried(outcome)
    }
}

/// Takes a finished task: an outcome is counted and waits for the next group commit, a
/// withdrawn row is removed, an unsent one is kept to be put back to `pending`.
#[allow(clippy::too_many_arguments, reason = "the state of send_all, borrowed apart")]
fn take(
    done: Result<(Job, Done), tokio::task::JoinError>,
    gate: &Gate,
    outcomes: &mut Outcomes,
    unsent: &mut Vec<Job>,
    ledger: &mut Option<&mut Ledger>,
    progress: &mut dyn Progress,
    report: &mut DeliveryReport,
) -> Result<(), LedgerError> {
    match done {
        Err(_) => {
            tracing::error!("a send task ended without an outcome; its row stays `sending`");
            report.lost += 1;
        }
        Ok((job, Done::Tried(outcome))) => outcomes.push(job, outcome, progress, report),
        Ok((job, Done::Unsent)) => unsent.push(job),
        Ok((job, Done::Withdrawn)) => {
            if let Some(ledger) = ledger.as_deref_mut() {
                ledger.withdraw(job.date, &job.email)?;
            }
            report.suppressed += 1;
        }
        Ok((_, Done::Unreadable(err))) => return Err(err),
    }
    let stopped_at = gate.stopped_at.load(Ordering::SeqCst);
    if stopped_at > 0 && report.stopped.is_none() {
        report.stopped = Some(Stop::RelayRejecting(stopped_at));
    }
    Ok(())
}

/// Outcomes waiting to be recorded.
struct Outcomes {
    waiting: Vec<(Job, Outcome)>,
    /// When the oldest waiting outcome arrived.
    since: Instant,
}

impl Outcomes {
    fn new() -> Outcomes {
        Outcomes { waiting: Vec::with_capacity(RECORD_BATCH), since: Instant::now() }
    }

    /// Takes a task's outcome: counts it in `report` and tells `progress`; it is recorded
    /// with the next group.
    fn push(
        &mut self,
        job: Job,
        outcome: Outcome,
        progress: &mut dyn Progress,
        report: &mut DeliveryReport,
    ) {
        progress.outcome(&outcome);
        if outcome.status == Status::Sent {
            report.sent += 1;
            report.sent_bytes += outcome.bytes as u64;
        } else {
            report.failures.push(outcome.clone());
        }
        if self.waiting.is_empty() {
            self.since = Instant::now();
        }
        self.waiting.push((job, outcome));
    }

    /// True when the waiting outcomes are to be recorded now.
    fn due(&self) -> bool {
        self.waiting.len() >= RECORD_BATCH
            || (!self.waiting.is_empty() && self.since.elapsed() >= RECORD_INTERVAL)
    }

    /// Records the waiting outcomes in one transaction.
    fn record(
        &mut self,
        ledger: Option<&mut Ledger>,
        clock: &dyn Clock,
    ) -> Result<(), LedgerError> {
        if let Some(ledger) = ledger
            && !self.waiting.is_empty()
        {
            ledger.record(&self.rows(), clock.now())?;
        }
        self.waiting.clear();
        Ok(())
    }

    /// Records the waiting outcomes and marks `rows` `sending` in one transaction (see
    /// [`Ledger::record_and_mark`]); per row, whether it was marked.
    fn record_and_mark(
        &mut self,
        ledger: &mut Ledger,
        rows: &[(NaiveDate, &str)],
        clock: &dyn Clock,
    ) -> Result<Vec<bool>, LedgerError> {
        let marked = ledger.record_and_mark(&self.rows(), rows, clock.now())?;
        self.waiting.clear();
        Ok(marked)
    }

    /// The waiting outcomes as the ledger records them.
    fn rows(&self) -> Vec<Recorded<'_>> {
        self.waiting
            .iter()
            .map(|(job, outcome)| Recorded {
                date: job.date,
                email: &job.email,
                status: outcome.status,
                attempts: outcome.attempts,
                reply: &outcome.reply,
                bytes: Some(outcome.bytes),
            })
            .collect()
    }
}

/// Tries one message up to `max_attempts` times.
async fn attempt<S: Sender>(sender: &S, job: &Job, composed: Composed, policy: &Policy) -> Outcome {
    let envelope = composed.envelope.clone();
    let mut outcome = Outcome {
        email: job.email.clone(),
        digest: job.edition.digest.clone(),
        status: Status::FailedTransient,
        attempts: 0,
        reply: String::new(),
        bytes: composed.bytes.len(),
        html_bytes: composed.html_bytes,
    };
    loop {
        outcome.attempts += 1;
        match sender.send(&envelope, &composed.bytes).await {
            Ok(reply) => {
                outcome.status = Status::Sent;
                outcome.reply = reply;
                return outcome;
            }
            Err(failure) => {
                outcome.reply = failure.reply;
                if failure.kind == FailureKind::Permanent {
                    outcome.status = Status::FailedPermanent;
                    return outcome;
                }
                if outcome.attempts >= policy.max_attempts {
                    return outcome;
                }
                tracing::info!(
                    "{}: attempt {} failed ({}); retrying",
                    job.email,
                    outcome.attempts,
                    outcome.reply
                );
                tokio::time::sleep(backoff(policy.retry_delay, outcome.attempts, &job.email)).await;
            }
        }
    }
}

/// `base · 2^(attempt−1)`, times a jitter factor in [0.5, 1.5), capped at ten minutes.
fn backoff(base: Duration, attempt: u32, email: &str) -> Duration {
    let exponential = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let random = std::collections::hash_map::RandomState::new().hash_one((email, attempt));
    let jitter = 0.5 + (random % 1000) as f64 / 1000.0;
    exponential.mul_f64(jitter).min(Duration::from_secs(600))
}

/// Writes each message as `<address>.eml` into a folder: the outbox, or a dry run's folder.
#[derive(Debug, Clone)]
pub struct OutboxSender {
    dir: PathBuf,
}

impl OutboxSender {
    /// An outbox in `dir` (created on the first message).
    pub fn new(dir: PathBuf) -> Self {
        OutboxSender { dir }
    }

    /// The file a message to `email` is written to: [`outbox_name`] plus `.eml`.
    pub fn file_for(&self, email: &str) -> PathBuf {
        self.dir.join(format!("{}.eml", outbox_name(email)))
    }
}

impl Sender for OutboxSender {
    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, Failure> {
        let to = envelope.to().first().map(ToString::to_string).unwrap_or_default();
        let path = self.file_for(&to);
        crate::archive::write_atomic(&path, message)
            .map_err(|err| Failure { kind: FailureKind::Transient, reply: format!("{err:#}") })?;
        Ok(format!("written to {}", path.display()))
    }

    async fn finish(&self) {}
}

/// The longest outbox file name before `.eml`, in bytes (file systems allow 255).
const MAX_OUTBOX_NAME: usize = 200;

/// An address as a file name, losslessly and without collisions: ASCII letters, digits and
/// `@ . _ + -` stand as they are (a leading dot excepted), every other byte is percent-encoded
/// (`%` itself as `%25`), so two addresses never share a name. A name over 200 bytes keeps its
/// first 183 and adds `~` and 16 hex digits of the whole address's SHA-256.
pub fn outbox_name(email: &str) -> String {
    use std::fmt::Write as _;
    let mut name = String::with_capacity(email.len());
    for (idx, byte) in email.bytes().enumerate() {
        let plain = byte.is_ascii_alphanumeric()
            || matches!(byte, b'@' | b'_' | b'+' | b'-')
            || (byte == b'.' && idx > 0);
        if plain {
            name.push(char::from(byte));
        } else {
            let _ = write!(name, "%{byte:02X}");
        }
    }
    if name.len() <= MAX_OUTBOX_NAME {
        return name;
    }
    let digest = sha2::Sha256::digest(email.as_bytes());
    let hex: String = digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect();
    name.truncate(MAX_OUTBOX_NAME - 1 - hex.len());
    format!("{name}~{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let delay = backoff(base, attempt, "ana@example.org");
            let nominal = base * (1 << (attempt - 1));
            assert!(delay >= nominal / 2 && delay < nominal * 3 / 2, "{attempt}: {delay:?}");
        }
        assert_eq!(backoff(Duration::from_secs(60), 30, "a"), Duration::from_secs(600));
    }

    #[test]
    fn outbox_file_names_are_safe() {
        let outbox = OutboxSender::new(PathBuf::from("out"));
        assert_eq!(outbox.file_for("ana@example.org"), PathBuf::from("out/ana@example.org.eml"));
        assert_eq!(outbox.file_for("../x/y@z"), PathBuf::from("out/%2E.%2Fx%2Fy@z.eml"));
    }

    /// See issue 8, failure 5: four addresses once shared one file.
    #[test]
    fn r8_outbox_names_never_collide_and_stay_short() {
        let names: Vec<String> =
            ["a/b@x.org", "a=b@x.org", "a?b@x.org", "a_b@x.org", "a%2Fb@x.org", "A_b@x.org"]
                .iter()
                .map(|email| outbox_name(email))
                .collect();
        assert_eq!(
            names,
            [
                "a%2Fb@x.org",
                "a%3Db@x.org",
                "a%3Fb@x.org",
                "a_b@x.org",
                "a%252Fb@x.org",
                "A_b@x.org"
            ]
        );
        assert_eq!(outbox_name("zoë@x.org"), "zo%C3%AB@x.org");
        let long = format!("{}@example.org", "a".repeat(240));
        let longer = format!("{}b@example.org", "a".repeat(240));
        let (one, two) = (outbox_name(&long), outbox_name(&longer));
        assert_eq!((one.len(), two.len()), (200, 200));
        assert_ne!(one, two);
        assert!(one.starts_with(&"a".repeat(183)) && one.as_bytes()[183] == b'~');
    }
}
