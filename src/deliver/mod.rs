//! Deliver: one message per subscriber, through a [`Sender`] (SMTP or the outbox), each row
//! committed as `sending` before its message goes, and its outcome soon after (group commit,
//! see [`RECORD_BATCH`]).
//!
//! [`send_all`] streams the jobs through a bounded queue of marked rows to `concurrency`
//! session tasks, whatever the list's size: each session sends one message while it takes
//! and composes the next, and looks each address up again just before it goes (an
//! unsubscribe during the run). The ledger's writes stay on the calling task (SQLite
//! connections are not shared), which marks the next batch while the sessions send the one
//! before; sessions report back their outcomes. Transient failures are retried inside the
//! session with exponential backoff and jitter; permanent ones are recorded with the next
//! group. The run stops cleanly after `max_consecutive_failures` failed messages in a row, or
//! when `max_per_hour` is reached; the rest stays `pending`. At most [`max_sending`] rows
//! are `sending` at once: the most messages a crash can cause to be sent twice.

pub mod message;
pub mod smtp;

use std::future::Future;
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
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

    /// [`Sender::send`] on `lane`, one of a run's sending sessions (`0..concurrency`), and
    /// with `next`, the envelope and message the lane sends next, when it is known: SMTP
    /// writes that envelope's MAIL, RCPT and DATA right after this message's content, in
    /// the same write (RFC 2920), so the next message takes one round trip instead of two.
    /// When the lane's next message is another after all, its connection is dropped (the
    /// relay drops the transaction) and the message starts on a fresh one.
    fn send_on(
        &self,
        lane: usize,
        envelope: &Envelope,
        message: &[u8],
        next: Option<(&Envelope, &[u8])>,
    ) -> impl Future<Output = Result<String, Failure>> + Send {
        let _ = (lane, next);
        self.send(envelope, message)
    }

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
    /// ledger (`None` in dry runs), for a source that plans and reads its rows between two
    /// commits.
    ///
    /// # Errors
    /// [`LedgerError`] when the source's rows cannot be planned or read.
    fn next(&mut self, ledger: Option<&mut Ledger>, max: usize) -> Result<Vec<Job>, LedgerError>;

    /// How many jobs are left, without taking them (for the report of a run that stopped); a
    /// source that plans as it goes plans the rest first.
    ///
    /// # Errors
    /// As [`Jobs::next`].
    fn left(&mut self, ledger: Option<&mut Ledger>) -> Result<usize, LedgerError>;
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
/// A batch is marked when fewer than this many marked rows wait in the queue for a session,
/// so the sessions always have a batch ahead while the next one is committed. Outcomes are
/// recorded with the next batch's marks (one commit, and one sync, for both), or on their own
/// when this many are waiting or [`RECORD_INTERVAL`] after the oldest, whichever comes first.
/// A message the relay accepted but whose outcome is not recorded yet is sent again after a
/// crash (its row is still `sending`); see [`max_sending`] for the bound.
pub const RECORD_BATCH: usize = 32;

/// The longest an outcome waits before it is recorded (see [`RECORD_BATCH`]).
pub const RECORD_INTERVAL: Duration = Duration::from_millis(100);

/// The most rows a run with `concurrency` sessions keeps in `sending` at once:
/// `2 × RECORD_BATCH + 3 × concurrency` (76 with 4 sessions).
///
/// Every message the relay accepted whose outcome is not recorded yet is such a row, so this
/// is also the most messages a killed process or a power loss can cause to be sent twice
/// (with the same Message-ID): the next run sends every `sending` row again, since it cannot
/// know whether the relay took it. [`send_all`] enforces it: a batch is marked only when the
/// rows already `sending` leave room for it, and records the outcomes waiting in the same
/// commit. The terms: up to two batches queued for the sessions (the next is marked when
/// fewer than one wait), and per session the message being sent, the next one (composed,
/// and announced to the relay) and the one after it, composed.
pub fn max_sending(concurrency: usize) -> usize {
    2 * RECORD_BATCH + 3 * concurrency.max(1)
}

/// Sends every job through `sender`, recording each step in `ledger` (`None` for a dry run,
/// which records nothing).
///
/// `concurrency` session tasks each loop over the jobs: take the next marked job from a
/// shared queue, check it may go (the run has not stopped, `max_per_hour`, the pace of
/// `rate`, the ledger file, an unsubscribe committed during the run, looked up in a
/// read-only connection just before sending), send it, and report the outcome back. While
/// one message is on the wire its session takes and composes the next, so a session never
/// waits for a message to be built, or for another task to be woken to send it.
///
/// This task keeps the ledger (SQLite connections are not shared): it marks the next
/// [`RECORD_BATCH`] rows `sending` in one transaction whenever the queue runs low, and
/// records the outcomes in groups (see [`RECORD_BATCH`]); a commit never holds up a session,
/// which has a batch ahead in the queue.
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
    let sent_last_hour = match (policy.max_per_hour, ledger.as_deref()) {
        (Some(_), Some(ledger)) => ledger.sent_since(clock.now() - TimeDelta::hours(1))?,
        _ => 0,
    };
    let concurrency = policy.concurrency.max(1);
    let cap = max_sending(concurrency);
    let gate = Arc::new(Gate {
        streak: AtomicUsize::new(0),
        stopped_at: AtomicUsize::new(0),
        max_streak: policy.max_consecutive_failures.max(1),
        hourly: policy.max_per_hour.map(|limit| (limit, sent_last_hour)),
        launched: AtomicUsize::new(0),
        hourly_stop: AtomicBool::new(false),
        pace: policy.rate.map(|rate| {
            (std::sync::Mutex::new(Instant::now()), Duration::from_secs_f64(1.0 / rate))
        }),
        reader: match ledger.as_deref() {
            Some(ledger) => Some(std::sync::Mutex::new(ledger.reader()?)),
            None => None,
        },
        composer,
        policy: policy.clone(),
    });
    // Marked rows waiting for a session: two batches' room, so a batch always fits when the
    // queue runs low.
    let (queue, queue_out) = tokio::sync::mpsc::channel::<Queued>(2 * RECORD_BATCH);
    let queue_out = Arc::new(tokio::sync::Mutex::new(queue_out));
    let reports = Arc::new(Reports {
        list: std::sync::Mutex::new(Vec::new()),
        wake: tokio::sync::Notify::new(),
        running: AtomicUsize::new(concurrency),
    });
    let mut sessions = JoinSet::new();
    for lane in 0..concurrency {
        let session = Session {
            lane,
            gate: Arc::clone(&gate),
            sender: Arc::clone(&sender),
            queue: Arc::clone(&queue_out),
            reports: Arc::clone(&reports),
        };
        sessions.spawn(session.run());
    }
    let mut queue = Some(queue);
    let mut outcomes = Outcomes::new();
    // Rows marked (or queued, in a dry run), and of those, how many the sessions reported
    // back (an outcome, unsent or withdrawn). The rows that may have been sent without a
    // record are the `marked - returned` not reported yet and the outcomes waiting; a batch
    // is marked, and the outcomes waiting recorded, in one commit, only when
    // `marked - returned` leaves room for it under `cap`.
    let (mut marked, mut returned) = (0usize, 0usize);
    let mut unsent: Vec<Job> = Vec::new();
    loop {
        // Read before the reports are taken: when no session runs, none can report after.
        let ended = reports.running.load(Ordering::SeqCst) == 0;
        for done in reports.take() {
            returned += 1;
            take(done, &gate, &mut outcomes, &mut unsent, &mut ledger, progress, &mut report)?;
        }
        if ended {
            break;
        }
        // Once stopped, the sessions return what they take as unsent; nothing more is marked.
        if report.stopped.is_some() {
            queue = None;
        }
        // The queue runs low: the next batch is marked, if the rows `sending` leave room.
        let low = queue
            .as_ref()
            .is_some_and(|queue| queue.max_capacity() - queue.capacity() < RECORD_BATCH);
        if low && marked - returned + RECORD_BATCH <= cap {
            let batch: Vec<Job> = jobs.next(ledger.as_deref_mut(), RECORD_BATCH)?;
            if batch.is_empty() {
                // The sessions end once the queue is empty.
                queue = None;
            }
            let due = match ledger.as_deref_mut() {
                Some(ledger) => {
                    let rows: Vec<(NaiveDate, &str)> =
                        batch.iter().map(|job| (job.date, job.email.as_str())).collect();
                    // The outcomes waiting go in the same transaction: one commit, and one
                    // sync, for both.
                    outcomes.record_and_mark(ledger, &rows, clock)?
                }
                None => vec![true; batch.len()],
            };
            let now = clock.now();
            for (job, due) in batch.into_iter().zip(due) {
                if !due {
                    // Unsubscribed while the run was under way: not sent, not due.
                    report.suppressed += 1;
                    continue;
                }
                marked += 1;
                let queued = match queue.as_ref() {
                    Some(queue) => {
                        queue.try_send(Queued { job, now }).map_err(|err| err.into_inner().job)
                    }
                    None => Err(job),
                };
                if let Err(job) = queued {
                    // Cannot happen (the queue had room for the batch, and the sessions
                    // only end once it is closed); kept for the next run rather than lost.
                    unsent.push(job);
                    returned += 1;
                }
            }
            continue;
        }
        if outcomes.due() {
            outcomes.record(ledger.as_deref_mut(), clock)?;
        }
        // Woken by the sessions (see `Reports`), or when the oldest outcome is due.
        let due_at = if outcomes.waiting.is_empty() { Instant::now() } else { outcomes.since }
            + RECORD_INTERVAL;
        tokio::select! {
            () = reports.wake.notified() => {}
            () = tokio::time::sleep_until(due_at) => {}
        }
    }
    while let Some(ended) = sessions.join_next().await {
        if ended.is_err() {
            tracing::error!("a send session ended without reporting its messages");
        }
    }
    // Queued but never taken (every session failed): pending again, like the unsent.
    {
        let mut queue_out = queue_out.lock().await;
        while let Ok(Queued { job, .. }) = queue_out.try_recv() {
            returned += 1;
            unsent.push(job);
        }
    }
    // Rows handed to a session that never reported them stay `sending`: the next run sends
    // them (at most `max_sending`, as after a crash).
    report.lost = marked - returned.min(marked);
    if let Some(ledger) = ledger.as_deref_mut()
        && !unsent.is_empty()
    {
        let rows: Vec<(NaiveDate, &str)> =
            unsent.iter().map(|job| (job.date, job.email.as_str())).collect();
        ledger.unmark_sending(&rows)?;
    }
    report.not_attempted += unsent.len() + jobs.left(ledger.as_deref_mut())?;
    outcomes.record(ledger, clock)?;
    sender.finish().await;
    Ok(report)
}

/// A marked job waiting for a session, with the time its message is dated.
struct Queued {
    job: Job,
    now: DateTime<FixedOffset>,
}

/// What a session reports of a job.
enum Done {
    /// Sent, or failed after its attempts.
    Tried(Outcome),
    /// Not sent: the run stopped before its turn.
    Unsent,
    /// Not sent: the address was unsubscribed during the run.
    Withdrawn,
    /// Not sent: the ledger could not be read to check the address, or was replaced.
    Unreadable(LedgerError),
}

/// What the sessions share: the run of failures that stops a run, the hourly limit and the
/// pace, the ledger to check an address in just before its message goes, and the composer.
struct Gate {
    /// Failed messages in a row, in the order they finished.
    streak: AtomicUsize,
    /// The streak that stopped the run (0 while it goes on).
    stopped_at: AtomicUsize,
    /// `max_consecutive_failures`.
    max_streak: usize,
    /// `max_per_hour`, and the messages sent in the hour before the run.
    hourly: Option<(usize, usize)>,
    /// Messages let go so far.
    launched: AtomicUsize,
    /// `max_per_hour` was reached.
    hourly_stop: AtomicBool,
    /// `rate`: the next message's slot, and the interval between two.
    pace: Option<(std::sync::Mutex<Instant>, Duration)>,
    /// A read-only connection to the ledger (`None` in dry runs).
    reader: Option<std::sync::Mutex<Ledger>>,
    composer: Arc<Composer>,
    policy: Policy,
}

impl Gate {
    fn stopped(&self) -> bool {
        self.stopped_at.load(Ordering::SeqCst) > 0 || self.hourly_stop.load(Ordering::SeqCst)
    }

    /// Whether `job` may go now: `None` when it may (after waiting for its slot under
    /// `rate`), or why not.
    async fn clear(&self, job: &Job) -> Option<Done> {
        if self.stopped() {
            return Some(Done::Unsent);
        }
        if let Some((limit, before)) = self.hourly
            && before + self.launched.fetch_add(1, Ordering::SeqCst) >= limit
        {
            self.hourly_stop.store(true, Ordering::SeqCst);
            return Some(Done::Unsent);
        }
        if let Some((next, interval)) = &self.pace {
            let slot = {
                let mut next = next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let slot = (*next).max(Instant::now());
                *next = slot + *interval;
                slot
            };
            tokio::time::sleep_until(slot).await;
            if self.stopped() {
                return Some(Done::Unsent);
            }
        }
        if let Some(reader) = &self.reader {
            let reader = reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // A ledger deleted or replaced under the run stops it before the next message.
            if let Err(err) = reader.ensure_same_file() {
                return Some(Done::Unreadable(err));
            }
            match reader.is_suppressed(&job.email) {
                Ok(false) => {}
                Ok(true) => return Some(Done::Withdrawn),
                Err(err) => return Some(Done::Unreadable(err)),
            }
        }
        None
    }

    /// Sends `composed` (with retries) on `lane`, announcing `ahead`, and counts the outcome
    /// in the run of failures.
    async fn deliver<S: Sender>(
        &self,
        sender: &S,
        lane: usize,
        job: Job,
        composed: Result<Composed, message::ComposeError>,
        ahead: Option<(&Envelope, &[u8])>,
    ) -> (Job, Outcome) {
        let outcome = match composed {
            Ok(composed) => attempt(sender, (lane, ahead), &job, composed, &self.policy).await,
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
        // Counted before the session takes its next message, so that every session sees
        // the stop before it sends again.
        if outcome.status == Status::Sent {
            self.streak.store(0, Ordering::SeqCst);
        } else {
            let streak = self.streak.fetch_add(1, Ordering::SeqCst) + 1;
            if streak >= self.max_streak {
                let _ =
                    self.stopped_at.compare_exchange(0, streak, Ordering::SeqCst, Ordering::SeqCst);
            }
        }
        (job, outcome)
    }
}

/// A job taken from the queue with its message composed.
type Ready = (Job, Result<Composed, message::ComposeError>);

/// What the sessions report back to [`send_all`]'s task, and when they wake it: not for
/// every message (a thread woken per message costs more than the message's own work), but
/// when [`WAKE_EVERY`] reports wait, for anything but a message sent (a failure may stop
/// the run), when the queue runs low, and when a session ends.
struct Reports {
    list: std::sync::Mutex<Vec<(Job, Done)>>,
    wake: tokio::sync::Notify,
    /// Sessions still running.
    running: AtomicUsize,
}

/// Reports that wake [`send_all`]'s task (see [`Reports`]).
const WAKE_EVERY: usize = RECORD_BATCH / 2;

impl Reports {
    fn push(&self, job: Job, done: Done) {
        let urgent = !matches!(&done, Done::Tried(outcome) if outcome.status == Status::Sent);
        let waiting = {
            let mut list = self.list.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            list.push((job, done));
            list.len()
        };
        if urgent || waiting >= WAKE_EVERY {
            self.wake.notify_one();
        }
    }

    fn take(&self) -> Vec<(Job, Done)> {
        std::mem::take(&mut *self.list.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// One of the `concurrency` session tasks of [`send_all`].
struct Session<S> {
    /// Which of the run's sessions this is (see [`Sender::send_on`]).
    lane: usize,
    gate: Arc<Gate>,
    sender: Arc<S>,
    queue: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Queued>>>,
    reports: Arc<Reports>,
}

impl<S> Drop for Session<S> {
    // Also when the task panics: `send_all` must not wait for a session that is gone.
    fn drop(&mut self) {
        self.reports.running.fetch_sub(1, Ordering::SeqCst);
        self.reports.wake.notify_one();
    }
}

impl<S: Sender> Session<S> {
    /// Sends jobs until the queue is closed and empty. While a message is on the wire, the
    /// session takes and composes the next; the one after the current message, when it is
    /// ready, is checked and announced with the current one's content (see
    /// [`Sender::send_on`]), so on SMTP each message takes one round trip.
    async fn run(self) {
        // Under `rate` each message waits for its slot: none is announced ahead of its turn.
        let announcing = self.gate.pace.is_none();
        // The next message, and whether it was checked (and announced) already.
        let mut current: Option<(Ready, bool)> = None;
        // A message taken while the one before was on the wire, not checked yet.
        let mut spare: Option<Ready> = None;
        loop {
            let ((job, composed), checked) = match current.take() {
                Some(next) => next,
                None => match spare.take() {
                    Some(ready) => (ready, false),
                    None => match self.next().await {
                        Some(ready) => (ready, false),
                        None => break,
                    },
                },
            };
            // A message checked when it was announced has its place under `max_per_hour`;
            // only a stop for failures holds it back now.
            let refused = if checked {
                (self.gate.stopped_at.load(Ordering::SeqCst) > 0).then_some(Done::Unsent)
            } else {
                self.gate.clear(&job).await
            };
            if let Some(not_sent) = refused {
                self.reports.push(job, not_sent);
                continue;
            }
            let mut following = None;
            if announcing && let Some(ready) = spare.take().or_else(|| self.try_next()) {
                match self.gate.clear(&ready.0).await {
                    None => following = Some(ready),
                    Some(not_sent) => self.reports.push(ready.0, not_sent),
                }
            }
            let ahead = following
                .as_ref()
                .and_then(|(_, composed)| composed.as_ref().ok())
                .map(|composed| (&composed.envelope, composed.bytes.as_slice()));
            let announced = following.is_some();
            let taken = {
                let sending =
                    self.gate.deliver(self.sender.as_ref(), self.lane, job, composed, ahead);
                let taking = self.next();
                tokio::pin!(sending, taking);
                let mut taken = None;
                let (job, outcome) = loop {
                    tokio::select! {
                        biased;
                        done = &mut sending => break done,
                        ready = &mut taking, if taken.is_none() => taken = Some(ready),
                    }
                };
                // Reported as soon as it is known, whether or not the next job is there yet.
                self.reports.push(job, Done::Tried(outcome));
                match taken {
                    Some(ready) => ready,
                    // Not waited for when the next message is announced: taking is
                    // cancel-safe until a job is received, and composes it in the same poll.
                    None if announced => None,
                    None => taking.await,
                }
            };
            current = following.map(|next| (next, true));
            spare = taken;
        }
    }

    /// The next job from the queue if one is there now, composed.
    fn try_next(&self) -> Option<Ready> {
        let queued = {
            let mut queue = self.queue.try_lock().ok()?;
            let queued = queue.try_recv().ok()?;
            self.took(queue.len());
            queued
        };
        Some(self.compose(queued))
    }

    /// The next job from the queue, composed; `None` once the queue is closed and empty.
    async fn next(&self) -> Option<Ready> {
        let queued = {
            let mut queue = self.queue.lock().await;
            let queued = queue.recv().await?;
            self.took(queue.len());
            queued
        };
        Some(self.compose(queued))
    }

    /// A job was taken and `left` wait in the queue: below a batch, it is time to mark the
    /// next one.
    fn took(&self, left: usize) {
        if left < RECORD_BATCH {
            self.reports.wake.notify_one();
        }
    }

    /// Composes a taken job's message (after the queue is let go: composing is the work).
    fn compose(&self, Queued { job, now }: Queued) -> Ready {
        let composed =
            self.gate.composer.compose(&job.edition, &job.to, job.subscriber, &job.message_id, now);
        (job, composed)
    }
}

/// Takes a session's report: an outcome is counted and waits for the next group commit, a
/// withdrawn row is removed, an unsent one is kept to be put back to `pending`.
#[allow(clippy::too_many_arguments, reason = "the state of send_all, borrowed apart")]
fn take(
    (job, done): (Job, Done),
    gate: &Gate,
    outcomes: &mut Outcomes,
    unsent: &mut Vec<Job>,
    ledger: &mut Option<&mut Ledger>,
    progress: &mut dyn Progress,
    report: &mut DeliveryReport,
) -> Result<(), LedgerError> {
    match done {
        Done::Tried(outcome) => outcomes.push(job, outcome, progress, report),
        Done::Unsent => unsent.push(job),
        Done::Withdrawn => {
            if let Some(ledger) = ledger.as_deref_mut() {
                ledger.withdraw(job.date, &job.email)?;
            }
            report.suppressed += 1;
        }
        Done::Unreadable(err) => return Err(err),
    }
    let stopped_at = gate.stopped_at.load(Ordering::SeqCst);
    if stopped_at > 0 && report.stopped.is_none() {
        report.stopped = Some(Stop::RelayRejecting(stopped_at));
    }
    if let Some((limit, _)) = gate.hourly
        && gate.hourly_stop.load(Ordering::SeqCst)
        && report.stopped.is_none()
    {
        report.stopped = Some(Stop::HourlyLimit(limit));
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
async fn attempt<S: Sender>(
    sender: &S,
    (lane, ahead): (usize, Option<(&Envelope, &[u8])>),
    job: &Job,
    composed: Composed,
    policy: &Policy,
) -> Outcome {
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
        match sender.send_on(lane, &envelope, &composed.bytes, ahead).await {
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
