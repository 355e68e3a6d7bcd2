//! The sending commands: `run`, `retry`, `status`, `unsubscribe`/`resubscribe` and
//! `check --smtp`.
//!
//! `run` builds the day's editions (or reuses the ones stored earlier the same day, so every
//! subscriber of a digest gets the same content), writes the archive, plans one ledger row
//! per subscriber and sends what is not sent yet. A second `run` the same day therefore sends
//! only to whoever was not reached, and a run is refused while another holds the lock.
//! `--dry-run` renders and writes everything but opens the ledger read-only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use lettre::message::Mailbox;

use super::audience::{Record, audience};
use super::edition::{GMAIL_CLIP_BYTES, build_edition, size_warning, web_page};
use super::gather::{FeedReport, FeedState, gather};
use super::{ArchivePage, PreviewedDigest, Skipped, label, plan_digests};
use crate::clock::Clock;
use crate::config::{Config, DeliveryMode};
use crate::deliver::message::{Composer, UNSUBSCRIBE_MARKER, message_id, token};
use crate::deliver::smtp::SmtpSender;
use crate::deliver::{self, DeliveryReport, Job, Jobs, OutboxSender, Policy, Progress};
use crate::ledger::{
    DueRow, EditionStatus, Ledger, LedgerError, PlannedDelivery, RunLock, Scope, Status,
    StoredEdition, StoredFeed,
};
use crate::render::UNSUBSCRIBE_PLACEHOLDER;
use crate::select;
use crate::shard::Shard;

/// `run` options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Render and write everything, send nothing, change no state.
    pub dry_run: bool,
    /// Take this ledger on purpose although the archive was written under another one
    /// (`--new-ledger`).
    pub new_ledger: bool,
    /// Send only this shard's part of the audience (`--shard K/N`); the config's
    /// `state_file` is then the shard's own ledger (see [`crate::shard`]).
    pub shard: Option<Shard>,
}

/// One edition of the run.
#[derive(Debug, Clone)]
pub struct EditionReport {
    /// The digest's slug.
    pub digest: String,
    /// Stories in it.
    pub items: usize,
    /// Bytes of HTML (before the per-subscriber link).
    pub html_bytes: usize,
    /// Subscribers planned for it.
    pub subscribers: usize,
    /// True when it was built by an earlier run today and reused as stored.
    pub reused: bool,
    /// Stories dropped to fit `clip_budget`.
    pub clipped: usize,
}

/// Subscribers of one topic set who get no mail today, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSubscribers {
    /// The digest they would have had.
    pub digest: String,
    /// How many they are.
    pub count: usize,
    /// The first few addresses, in address order.
    pub first: Vec<String>,
    /// Why.
    pub reason: String,
}

/// What sending did, for `run` and `retry`.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// The edition date.
    pub date: Option<NaiveDate>,
    /// Messages this run tried to send.
    pub planned: usize,
    /// Rows already sent before this run (not sent again).
    pub already_delivered: usize,
    /// Rows that failed permanently before this run (not retried).
    pub failed_before: usize,
    /// Subscribers on the suppression list.
    pub suppressed: usize,
    /// Addresses suppressed by this run's own permanent refusals (see `[bounces]`).
    pub bounced: usize,
    /// The send loop's report.
    pub delivery: DeliveryReport,
    /// Where `.eml` files were written (outbox mode and dry runs).
    pub outbox: Option<PathBuf>,
}

/// What `run` did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Articles read.
    pub articles: usize,
    /// Articles left out because an earlier edition sent them.
    pub already_sent_articles: usize,
    /// Articles in the window after deduplication.
    pub selected: usize,
    /// The day's editions.
    pub editions: Vec<EditionReport>,
    /// Subscribers with too few stories, by topic set.
    pub skipped_subscribers: Vec<SkippedSubscribers>,
    /// The archive's index page.
    pub index: PathBuf,
    /// The archive's digest files.
    pub archived: Vec<PreviewedDigest>,
    /// Warnings (size, clipping).
    pub warnings: Vec<String>,
    /// Files that gave no article.
    pub skipped_files: Vec<Skipped>,
    /// Files decoded lossily.
    pub lossy: Vec<PathBuf>,
    /// What each feed source gave.
    pub feeds: Vec<FeedReport>,
    /// Sending.
    pub send: SendReport,
}

/// Builds today's editions, archives them and sends one message per subscriber that has not
/// had it yet.
///
/// # Errors
/// When another run holds the lock, the ledger cannot be opened or written, a digest cannot
/// be rendered, the archive cannot be written, or the transport cannot be set up.
pub async fn run(
    config: &Config,
    clock: &dyn Clock,
    options: RunOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<RunReport> {
    let _lock = if options.dry_run { None } else { Some(RunLock::acquire(&config.state_file)?) };
    // A dry run reads the ledger read-only, or an empty scratch one when there is none yet,
    // so that it runs the same queries; the day's audience is a temporary table of it.
    let mut ledger = match options.dry_run {
        true => match Ledger::open_read_only(&config.state_file)? {
            Some(ledger) => ledger,
            None => Ledger::scratch()?,
        },
        false => Ledger::open(&config.state_file)?,
    };
    let now = clock.now();
    let date = now.date_naive();
    if !options.dry_run {
        check_ledger_identity(config, &mut ledger, date, options, now)?;
    }
    let sent_before = ledger.sent_before(date)?;

    let mine = |email: &str| options.shard.is_none_or(|shard| shard.contains(email));
    let record = if options.dry_run { Record::Read } else { Record::Write };
    let sets = audience(config, &mut ledger, record, &mine, now)?;
    let state = if options.dry_run {
        FeedState::Read(Some(&ledger))
    } else {
        FeedState::Write(&mut ledger)
    };
    let (loaded, feeds) = gather(config, state, now).await?;
    let mut report = RunReport {
        articles: loaded.articles.len(),
        skipped_files: loaded.skipped,
        lossy: loaded.lossy,
        feeds,
        ..RunReport::default()
    };
    let (fresh, repeated): (Vec<_>, Vec<_>) = loaded.articles.into_iter().partition(|item| {
        let article = &item.article;
        !sent_before.contains(article.id.as_str())
            && !article.url.as_ref().is_some_and(|url| sent_before.contains(&format!("url:{url}")))
    });
    report.already_sent_articles = repeated.len();
    let selection = select::select(fresh, &config.select, now);
    report.selected = selection.articles.len();
    report.send.suppressed = ledger.audience_drop_suppressed()?;

    // The edition each topic set gets today; `None` for a set that gets nothing.
    let mut editions: Vec<Option<Arc<StoredEdition>>> = vec![None; sets.len()];
    let mut pages = Vec::new();
    for (mut digest, set) in plan_digests(config, &sets, &selection, now) {
        let subscribers = sets[set].subscribers;
        let (stored, reused, clipped) = match ledger.edition(date, &digest.slug)? {
            Some(stored) => (stored, true, 0),
            None if digest.item_count() == 0 => {
                skip_set(&mut report, &mut ledger, set, &digest.slug, 0, config)?;
                continue;
            }
            None => {
                let (edition, articles, clipped) = build_edition(&mut digest, config, date)?;
                let stored = if !options.dry_run && subscribers > 0 {
                    let stored = ledger.create_edition(&edition, &articles, now)?;
                    ledger.set_web_page(stored.id, &web_page(&digest, config)?)?;
                    stored
                } else {
                    edition
                };
                (stored, false, clipped)
            }
        };
        let html_bytes = stored.html.len();
        report.editions.push(EditionReport {
            digest: stored.digest.clone(),
            items: stored.items,
            html_bytes,
            subscribers,
            reused,
            clipped,
        });
        pages.push(ArchivePage {
            slug: stored.digest.clone(),
            label: label(&digest),
            items: stored.items,
            html: stored.html.replace(UNSUBSCRIBE_MARKER, UNSUBSCRIBE_PLACEHOLDER),
            text: stored.text.replace(UNSUBSCRIBE_MARKER, UNSUBSCRIBE_PLACEHOLDER),
            subscribers,
        });
        if stored.items < config.delivery.min_items.max(1) {
            skip_set(&mut report, &mut ledger, set, &stored.digest, stored.items, config)?;
            continue;
        }
        if html_bytes > GMAIL_CLIP_BYTES && subscribers > 0 {
            let first = ledger.audience_sample(set, 3)?;
            report.warnings.push(size_warning(&stored, &first, subscribers));
        }
        editions[set] = Some(Arc::new(stored));
    }
    let status = if options.dry_run {
        "Dry run: messages were written to dry-run/, nothing has been sent."
    } else {
        "Delivery is under way."
    };
    let (archived, index) = super::write_archive(config, date, &pages, status)?;
    report.archived = archived;
    report.index = index;

    // Rows of today decide what is sent: a row keeps the edition it was planned with, so a
    // subscriber whose topics changed since the morning still gets one mail, not two. A
    // real run plans the rows as it reads them (see `Planner`), so sending starts at once;
    // members not planned yet count as due.
    let counts = ledger.day_counts(date, Scope::AudienceUnplanned)?;
    report.send.already_delivered = counts.sent;
    report.send.failed_before = counts.refused;
    let scope = if options.dry_run { Scope::AudienceUnplanned } else { Scope::Audience };
    let mut jobs = DueJobs::new(date, scope, &editions, &config.delivery.from);
    if !options.dry_run {
        jobs.planner = Some(Planner { after: String::new(), done: false, config, now });
    }
    if options.dry_run {
        jobs.reader = Some(&ledger);
        send(config, clock, date, (&mut jobs, counts.due), None, true, progress, &mut report.send)
            .await?;
    } else {
        let sending = Some(&mut ledger);
        send(
            config,
            clock,
            date,
            (&mut jobs, counts.due),
            sending,
            false,
            progress,
            &mut report.send,
        )
        .await?;
        let (delivered, status) = delivery_notes(&ledger.status(Some(date))?, config);
        super::write_index(config, date, &pages, &delivered, &status)?;
    }
    Ok(report)
}

/// Plans the day's ledger rows as [`DueJobs`] reads them: a `pending` row for each member
/// of the audience with an edition, [`PLAN_CHUNK`] members (in address order) to a
/// transaction, just before their rows are read. Sending starts after the first chunk, not
/// after the whole list, and the rows to insert are never all in memory at once. A row
/// planned earlier today is kept; a run that dies part way plans the rest next time, and one
/// that stops early plans the rest before it reports (so `retry` finds them `pending`).
struct Planner<'a> {
    /// The last member planned.
    after: String,
    /// Every member is planned.
    done: bool,
    config: &'a Config,
    now: chrono::DateTime<chrono::FixedOffset>,
}

impl Planner<'_> {
    /// Plans the next chunk of members.
    fn chunk(
        &mut self,
        ledger: &mut Ledger,
        date: NaiveDate,
        editions: &[Option<Arc<StoredEdition>>],
    ) -> Result<(), LedgerError> {
        let page = ledger.audience_page(&self.after, PLAN_CHUNK)?;
        self.done = page.len() < PLAN_CHUNK;
        let Some(last) = page.last() else { return Ok(()) };
        self.after.clone_from(&last.email);
        let from = &self.config.delivery.from;
        let rows: Vec<(&crate::ledger::Member, &StoredEdition, String)> = page
            .iter()
            .filter_map(|member| {
                let edition = editions.get(member.topic_set)?.as_deref()?;
                let id = message_id(date, &edition.digest, &member.email, from);
                Some((member, edition, id))
            })
            .collect();
        let planned: Vec<PlannedDelivery<'_>> = rows
            .iter()
            .map(|(member, edition, message_id)| PlannedDelivery {
                email: &member.email,
                mailbox: &member.mailbox,
                edition_id: edition.id,
                message_id,
            })
            .collect();
        ledger.plan(date, &planned, self.now)?;
        Ok(())
    }
}

/// What the index page says of each digest of the day (by slug) and of the day as a whole,
/// from the ledger's rows.
fn delivery_notes(
    editions: &[crate::ledger::EditionStatus],
    config: &Config,
) -> (BTreeMap<String, String>, String) {
    // "sent" / "3 sent, 1 refused" / "by SMTP", or the outbox's words.
    let (done_word, how) = match config.delivery.mode {
        DeliveryMode::Outbox => ("in the outbox", "as .eml files in the outbox"),
        DeliveryMode::Smtp => ("sent", "by SMTP"),
    };
    let mut notes = BTreeMap::new();
    let (mut done, mut total) = (0, 0);
    for edition in editions {
        let count =
            |status| edition.counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
        let rows: usize = edition.counts.iter().map(|(_, n)| n).sum();
        let sent = count(Status::Sent);
        done += sent;
        total += rows;
        let note = if sent == rows {
            done_word.to_owned()
        } else {
            let mut parts = vec![format!("{sent} {done_word}")];
            for (status, label) in [
                (Status::FailedPermanent, "refused"),
                (Status::FailedTransient, "failed for now"),
                (Status::Pending, "pending"),
                (Status::Sending, "in flight"),
            ] {
                if count(status) > 0 {
                    parts.push(format!("{} {label}", count(status)));
                }
            }
            parts.join(", ")
        };
        notes.insert(edition.digest.clone(), note);
    }
    let status = if total == 0 {
        "Nothing was due to be sent today.".to_owned()
    } else if done == total {
        format!("Delivered: all {total} subscribers due a digest have it ({how}).")
    } else {
        format!(
            "Delivered to {done} of {total} subscribers so far ({how}); see `newsdigest status`."
        )
    };
    (notes, status)
}

/// Members whose ledger rows are planned in one transaction (a few in unit tests).
const PLAN_CHUNK: usize = if cfg!(test) { 6 } else { 256 };

/// Days before and after a run's date whose archive folders must name this run's ledger.
pub const LEDGER_MARK_DAYS: u64 = 30;

/// Refuses to send with a ledger that did not record the recent days' sends: the archive
/// folders of the 30 days around `date` name the ledger that recorded them, and a ledger
/// that was deleted, emptied or replaced would send everyone the same digest again. With
/// `take_new`, the ledger takes over those earlier ledgers on purpose. Then `date`'s folder
/// is marked with this ledger.
///
/// # Errors
/// When another ledger's marks are found without `take_new`, or the files cannot be read or
/// written.
fn check_ledger_identity(
    config: &Config,
    ledger: &mut Ledger,
    date: NaiveDate,
    options: RunOptions,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<()> {
    let take_new = options.new_ledger;
    let mark = match options.shard {
        Some(shard) => shard.mark_name(),
        None => crate::archive::LEDGER_MARK.to_owned(),
    };
    let id = ledger.id()?;
    let adopted = ledger.adopted()?;
    let output_dir = &config.digest.output_dir;
    let first = date.checked_sub_days(chrono::Days::new(LEDGER_MARK_DAYS)).unwrap_or(date);
    let last = date.checked_add_days(chrono::Days::new(LEDGER_MARK_DAYS)).unwrap_or(date);
    let foreign: Vec<(NaiveDate, String)> =
        crate::archive::ledger_marks(output_dir, &mark, first, last)
            .into_iter()
            .filter(|(_, mark)| *mark != id && !adopted.contains(mark))
            .collect();
    if let Some((day, other)) = foreign.last() {
        if !take_new {
            let state = if ledger.is_new() {
                "a new, empty ledger".to_owned()
            } else {
                format!("ledger {id}")
            };
            anyhow::bail!(
                "refusing to send: `{}` was written under ledger {other}, but `{}` is {state}. \
                 The ledger may have been deleted, emptied or replaced, and sending now could \
                 mail every subscriber again.\n  hint: restore the ledger from a backup (and \
                 check `newsdigest status`), or run again with --new-ledger to take this \
                 ledger on purpose",
                crate::archive::edition_dir(output_dir, *day).display(),
                ledger.path().display(),
            );
        }
        let ids: BTreeSet<String> = foreign.into_iter().map(|(_, mark)| mark).collect();
        ledger.adopt(&ids.into_iter().collect::<Vec<_>>(), now)?;
    }
    crate::archive::write_ledger_mark(output_dir, date, &mark, &id)
}

/// Sends what is `pending`, `sending` (left by a crash) or `failed-transient` on `date`
/// (default: today), using the editions stored by `run`.
///
/// # Errors
/// As [`run`].
pub async fn retry(
    config: &Config,
    clock: &dyn Clock,
    date: Option<NaiveDate>,
    options: RunOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<SendReport> {
    let _lock = RunLock::acquire(&config.state_file)?;
    let mut ledger = Ledger::open(&config.state_file)?;
    let date = date.unwrap_or_else(|| clock.now().date_naive());
    check_ledger_identity(config, &mut ledger, date, options, clock.now())?;
    let mut report = SendReport::default();
    let counts = ledger.day_counts(date, Scope::Day)?;
    report.already_delivered = counts.sent;
    report.failed_before = counts.refused;
    report.suppressed = counts.suppressed;
    let mut jobs = DueJobs::new(date, Scope::Day, &[], &config.delivery.from);
    let jobs = (&mut jobs as &mut dyn Jobs, counts.due);
    send(config, clock, date, jobs, Some(&mut ledger), false, progress, &mut report).await?;
    Ok(report)
}

/// Per edition of `date` (every date when `None`): counts by status and the failures; and
/// what the ledger keeps of each feed source.
///
/// # Errors
/// When the ledger cannot be read.
pub fn status(
    config: &Config,
    date: Option<NaiveDate>,
) -> anyhow::Result<(Vec<EditionStatus>, Vec<StoredFeed>)> {
    match Ledger::open_read_only(&config.state_file)? {
        Some(ledger) => Ok((ledger.status(date)?, ledger.stored_feeds()?)),
        None => Ok((Vec::new(), Vec::new())),
    }
}

/// Per edition, the deliveries of several ledgers (one list sent in shards) added up: an
/// edition is the same date and digest in each; counts are summed and failures listed
/// together. Every ledger is opened read-only.
///
/// # Errors
/// When a ledger is missing or cannot be read; the error names it.
pub fn merged_status(
    ledgers: &[PathBuf],
    date: Option<NaiveDate>,
) -> anyhow::Result<Vec<EditionStatus>> {
    let mut merged: BTreeMap<(NaiveDate, String), EditionStatus> = BTreeMap::new();
    // Each ledger's identity, so that one given twice (or a copy of it) is not counted twice.
    let mut seen: BTreeMap<String, &PathBuf> = BTreeMap::new();
    for path in ledgers {
        let ledger = Ledger::open_read_only(path)?.with_context(|| {
            format!("`{}` is not a newsdigest ledger (missing, empty or too old)", path.display())
        })?;
        if let Some(first) = seen.insert(ledger.id()?, path) {
            anyhow::bail!(
                "`{}` and `{}` are the same ledger (or copies of one): each shard's ledger once",
                first.display(),
                path.display()
            );
        }
        for edition in ledger.status(date)? {
            match merged.get_mut(&(edition.date, edition.digest.clone())) {
                Some(into) => {
                    into.items = into.items.max(edition.items);
                    for (status, count) in edition.counts {
                        crate::ledger::add_count(&mut into.counts, status, count);
                    }
                    into.failures.extend(edition.failures);
                }
                None => {
                    merged.insert((edition.date, edition.digest.clone()), edition);
                }
            }
        }
    }
    Ok(merged
        .into_values()
        .map(|mut edition| {
            edition.counts.sort();
            edition
        })
        .collect())
}

/// The audience in numbers, for `status`: addresses by source and state, and suppressions
/// by reason. Empty when there is no ledger yet.
///
/// # Errors
/// When the ledger cannot be read.
pub fn audience_status(config: &Config) -> anyhow::Result<AudienceStatus> {
    match Ledger::open_read_only(&config.state_file)? {
        Some(ledger) => Ok(AudienceStatus {
            subscribers: ledger.audience_counts()?,
            suppressions: ledger.suppression_counts()?,
        }),
        None => Ok(AudienceStatus::default()),
    }
}

/// Messages sent and bounces on `day` and over the 30 days to it, with the warnings a
/// sender should heed (complaints over 0.1%, bounces over 2%). Empty without a ledger.
///
/// # Errors
/// When the ledger cannot be read.
pub fn rates(config: &Config, day: NaiveDate) -> anyhow::Result<Rates> {
    let Some(ledger) = Ledger::open_read_only(&config.state_file)? else {
        return Ok(Rates::default());
    };
    let from = day - chrono::TimeDelta::days(29);
    let days = ledger.bounce_rates(from, day)?;
    let mut month = crate::ledger::BounceRates::default();
    for (_, rates) in &days {
        month.sent += rates.sent;
        month.hard += rates.hard;
        month.soft += rates.soft;
        month.complaints += rates.complaints;
        month.ignored += rates.ignored;
    }
    let today = days.iter().find(|(date, _)| *date == day).map(|(_, r)| *r).unwrap_or_default();
    let mut warnings = Vec::new();
    if month.complaint_rate() > 0.001 {
        warnings.push(format!(
            "the complaint rate over 30 days is {:.2}%, above 0.1% (Gmail and Yahoo ask bulk senders to stay under 0.3%): look at what readers are reporting",
            month.complaint_rate() * 100.0
        ));
    }
    if month.bounce_rate() > 0.02 {
        warnings.push(format!(
            "the bounce rate over 30 days is {:.2}%, above 2%: mailbox providers judge a sender by it; clean the list (`newsdigest suppressions list`)",
            month.bounce_rate() * 100.0
        ));
    }
    Ok(Rates { day, today, month, days, warnings })
}

/// See [`rates`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    /// The day reported on.
    pub day: NaiveDate,
    /// That day's figures.
    pub today: crate::ledger::BounceRates,
    /// The 30 days to it.
    pub month: crate::ledger::BounceRates,
    /// Each day of the 30 with something sent or received.
    pub days: Vec<(NaiveDate, crate::ledger::BounceRates)>,
    /// What to heed.
    pub warnings: Vec<String>,
}

/// See [`audience_status`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudienceStatus {
    /// Addresses not suppressed, by (source, state).
    pub subscribers: BTreeMap<(String, String), usize>,
    /// Suppressed addresses by reason.
    pub suppressions: BTreeMap<String, usize>,
}

/// Puts `email` on the suppression list; with `token`, only when it is the address's valid
/// unsubscribe token (for a web handler that passes on what the link carried). Returns false
/// when the address was suppressed already.
///
/// # Errors
/// When the address or the token is invalid, or the ledger cannot be written.
pub fn unsubscribe(
    config: &Config,
    clock: &dyn Clock,
    email: &str,
    presented_token: Option<&str>,
) -> anyhow::Result<bool> {
    let address = parse_address(email)?;
    if let Some(presented) = presented_token {
        let secret = std::env::var(&config.delivery.unsubscribe_secret_env)
            .ok()
            .filter(|secret| !secret.is_empty())
            .with_context(|| {
                format!(
                    "cannot check the token: the environment variable `{}` is not set",
                    config.delivery.unsubscribe_secret_env
                )
            })?;
        let expected = token(secret.as_bytes(), &address);
        if !constant_time_eq(expected.as_bytes(), presented.trim().as_bytes()) {
            anyhow::bail!("the token is not valid for `{address}`; nothing changed");
        }
    }
    let mut ledger = Ledger::open(&config.state_file)?;
    Ok(ledger.suppress(&address, "unsubscribe", clock.now())?)
}

/// Takes `email` off the suppression list; false when it was not on it.
///
/// # Errors
/// When the address is invalid or the ledger cannot be written.
pub fn resubscribe(config: &Config, email: &str) -> anyhow::Result<bool> {
    let address = parse_address(email)?;
    let mut ledger = Ledger::open(&config.state_file)?;
    Ok(ledger.unsuppress(&address)?)
}

/// Connects to `[smtp]`, greets, upgrades and logs in, then quits; sends nothing.
///
/// # Errors
/// When there is no `[smtp]`, the password is missing, or the relay refuses.
pub async fn check_smtp(config: &Config) -> anyhow::Result<String> {
    let smtp =
        config.delivery.smtp.as_ref().context("there is no [smtp] table in the config to check")?;
    let sender = SmtpSender::new(smtp)?;
    Ok(sender.check().await?)
}

fn parse_address(email: &str) -> anyhow::Result<String> {
    let address: lettre::Address =
        email.trim().parse().with_context(|| format!("`{email}` is not a valid email address"))?;
    Ok(address.to_string().to_lowercase())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Takes a topic set's members out of today's audience, noting who they are and why.
fn skip_set(
    report: &mut RunReport,
    ledger: &mut Ledger,
    set: usize,
    digest: &str,
    items: usize,
    config: &Config,
) -> anyhow::Result<()> {
    let first = ledger.audience_sample(set, SKIPPED_NAMED)?;
    let count = ledger.audience_drop_set(set)?;
    if count == 0 {
        return Ok(());
    }
    let min = config.delivery.min_items.max(1);
    report.skipped_subscribers.push(SkippedSubscribers {
        digest: digest.to_owned(),
        count,
        first,
        reason: format!(
            "{items} {} selected for their topics, fewer than delivery.min_items = {min}",
            if items == 1 { "story" } else { "stories" }
        ),
    });
    Ok(())
}

/// Addresses named for each topic set that gets nothing today.
const SKIPPED_NAMED: usize = 10;

/// Rows read from the ledger at a time by [`DueJobs`] (a few in unit tests).
const JOB_PAGE: usize = if cfg!(test) { 5 } else { 1_000 };

/// The rows still to send, read from the ledger a page at a time in address order, as jobs.
struct DueJobs<'a> {
    date: NaiveDate,
    scope: Scope,
    /// The address of the last row read.
    after: String,
    /// Rows read and not taken yet.
    buffer: std::collections::VecDeque<Job>,
    /// The last page has been read.
    finished: bool,
    /// Editions by id, read from the ledger once each.
    by_id: BTreeMap<i64, Arc<StoredEdition>>,
    /// Each topic set's edition today (dry runs: a member without a row gets it).
    by_set: &'a [Option<Arc<StoredEdition>>],
    /// The sender, for Message-IDs of members without a row.
    from: &'a Mailbox,
    /// The ledger to read when `send_all` has none (dry runs).
    reader: Option<&'a Ledger>,
    /// Plans the rows before they are read (`run`; `None` when they are all there).
    planner: Option<Planner<'a>>,
}

impl<'a> DueJobs<'a> {
    fn new(
        date: NaiveDate,
        scope: Scope,
        by_set: &'a [Option<Arc<StoredEdition>>],
        from: &'a Mailbox,
    ) -> Self {
        DueJobs {
            date,
            scope,
            after: String::new(),
            buffer: std::collections::VecDeque::new(),
            finished: false,
            by_id: BTreeMap::new(),
            by_set,
            from,
            reader: None,
            planner: None,
        }
    }

    fn job(&mut self, ledger: &Ledger, row: DueRow) -> Result<Job, LedgerError> {
        let inconsistent =
            |what: String| LedgerError::Inconsistent { path: ledger.path().to_path_buf(), what };
        let edition = match (self.scope, row.edition_id) {
            // A dry run shows what a run would plan now.
            (Scope::AudienceUnplanned, _) | (_, None) => row
                .topic_set
                .and_then(|set| self.by_set.get(set))
                .and_then(Option::clone)
                .ok_or_else(|| inconsistent(format!("no edition for `{}`", row.email)))?,
            (_, Some(id)) => match self.by_id.get(&id) {
                Some(edition) => Arc::clone(edition),
                None => {
                    let edition = ledger.edition_by_id(id)?.ok_or_else(|| {
                        inconsistent(format!("no edition {id}, planned for `{}`", row.email))
                    })?;
                    let edition = Arc::new(edition);
                    self.by_id.insert(id, Arc::clone(&edition));
                    edition
                }
            },
        };
        let to = row.mailbox.parse::<Mailbox>().or_else(|_| row.email.parse()).map_err(|_| {
            inconsistent(format!("the address `{}` of the day's rows is not valid", row.email))
        })?;
        let message_id = match row.message_id {
            Some(id) if self.scope != Scope::AudienceUnplanned => id,
            _ => message_id(self.date, &edition.digest, &row.email, self.from),
        };
        Ok(Job {
            date: self.date,
            email: row.email,
            to,
            subscriber: row.subscriber,
            edition,
            message_id,
        })
    }
}

impl Jobs for DueJobs<'_> {
    fn next(
        &mut self,
        mut ledger: Option<&mut Ledger>,
        max: usize,
    ) -> Result<Vec<Job>, LedgerError> {
        while self.buffer.len() < max && !self.finished {
            // Rows are read up to the last member planned, until every member is.
            let until = match (&mut self.planner, ledger.as_deref_mut()) {
                (Some(planner), Some(ledger)) if !planner.done => {
                    planner.chunk(ledger, self.date, self.by_set)?;
                    (!planner.done).then(|| planner.after.clone())
                }
                _ => None,
            };
            let Some(ledger) = self.reader.or(ledger.as_deref()) else {
                self.finished = true;
                break;
            };
            let rows = ledger.due_page(
                self.date,
                self.scope,
                (&self.after, until.as_deref()),
                JOB_PAGE,
            )?;
            self.finished = rows.len() < JOB_PAGE && until.is_none();
            for row in rows {
                self.after.clone_from(&row.email);
                let job = self.job(ledger, row)?;
                self.buffer.push_back(job);
            }
        }
        let take = max.min(self.buffer.len());
        Ok(self.buffer.drain(..take).collect())
    }

    fn left(&mut self, mut ledger: Option<&mut Ledger>) -> Result<usize, LedgerError> {
        // The rest is planned, so that it stays `pending` for `retry`.
        if let (Some(planner), Some(ledger)) = (&mut self.planner, ledger.as_deref_mut()) {
            while !planner.done {
                planner.chunk(ledger, self.date, self.by_set)?;
            }
        }
        // Counted by the ledger, not built into jobs: a run that stops early may leave most
        // of a long list.
        let unread = match self.reader.or(ledger.as_deref()) {
            Some(ledger) if !self.finished => {
                ledger.due_after(self.date, self.scope, &self.after)?
            }
            _ => 0,
        };
        Ok(self.buffer.len() + unread)
    }
}

#[allow(clippy::too_many_arguments, reason = "the shared tail of run and retry")]
async fn send(
    config: &Config,
    clock: &dyn Clock,
    date: NaiveDate,
    (jobs, total): (&mut dyn Jobs, usize),
    ledger: Option<&mut Ledger>,
    dry_run: bool,
    progress: &mut dyn Progress,
    report: &mut SendReport,
) -> anyhow::Result<()> {
    let mut ledger = ledger;
    report.date = Some(date);
    report.planned = total;
    if total == 0 {
        return Ok(());
    }
    let secret =
        crate::deliver::message::read_secret(&config.delivery).map_err(anyhow::Error::msg)?;
    let composer =
        Arc::new(Composer::new(&config.delivery, config.web.base_url.as_deref(), secret)?);
    let delivery = &config.delivery;
    let mut policy = Policy {
        concurrency: 1,
        max_attempts: delivery.max_attempts,
        retry_delay: std::time::Duration::from_millis(100),
        rate: None,
        max_per_hour: None,
        max_consecutive_failures: delivery.max_consecutive_failures,
    };
    let edition_dir = crate::archive::edition_dir(&config.digest.output_dir, date);
    progress.start(total);
    let smtp = match (&delivery.mode, &delivery.smtp) {
        (DeliveryMode::Smtp, Some(smtp)) if !dry_run => Some(smtp),
        _ => None,
    };
    report.delivery = match smtp {
        Some(smtp) => {
            policy.concurrency = smtp.concurrency;
            policy.retry_delay = smtp.retry_delay;
            policy.rate = smtp.rate;
            policy.max_per_hour = smtp.max_per_hour;
            let sender = Arc::new(SmtpSender::new(smtp)?);
            deliver::send_all(
                jobs,
                Arc::clone(&composer),
                sender,
                ledger.as_deref_mut(),
                &policy,
                clock,
                progress,
            )
            .await?
        }
        None => {
            let dir = edition_dir.join(if dry_run { "dry-run" } else { "outbox" });
            report.outbox = Some(dir.clone());
            let sender = Arc::new(OutboxSender::new(dir));
            deliver::send_all(
                jobs,
                Arc::clone(&composer),
                sender,
                ledger.as_deref_mut(),
                &policy,
                clock,
                progress,
            )
            .await?
        }
    };
    // Those who left during the run count with those who had left before it.
    report.suppressed += report.delivery.suppressed;
    // A relay's permanent refusal is a bounce too, under the same policy.
    if let Some(ledger) = ledger {
        report.bounced = super::bounces::record_session_failures(
            config,
            ledger,
            &report.delivery.failures,
            date,
            clock.now(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See issue 8 ("Also"): the index said "Nothing has been sent." after every message went.
    #[test]
    fn r8_the_index_says_what_became_of_each_digest() {
        let edition = |digest: &str, counts: Vec<(Status, usize)>| crate::ledger::EditionStatus {
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            digest: digest.to_owned(),
            items: 3,
            counts,
            failures: Vec::new(),
        };
        let mut config = Config::defaults();
        config.delivery.mode = DeliveryMode::Smtp;
        let (notes, status) = delivery_notes(
            &[
                edition("all", vec![(Status::Sent, 3)]),
                edition(
                    "climate",
                    vec![(Status::Sent, 1), (Status::FailedPermanent, 1), (Status::Pending, 2)],
                ),
            ],
            &config,
        );
        assert_eq!(notes["all"], "sent");
        assert_eq!(notes["climate"], "1 sent, 1 refused, 2 pending");
        assert_eq!(
            status,
            "Delivered to 4 of 7 subscribers so far (by SMTP); see `newsdigest status`."
        );
        let (_, status) = delivery_notes(&[], &config);
        assert_eq!(status, "Nothing was due to be sent today.");
    }

    /// Issue 13: a list read as a stream (`Config::load_checking_list`), recorded, planned
    /// and sent in chunks and pages (a few rows each in unit tests, so every boundary is
    /// crossed), reaches exactly the audience: the CSV and the config's own entry, plus a
    /// confirmed sign-up, less a paused and a suppressed subscriber; a rerun sends nothing.
    /// A site of two stories and a list of 40 in a CSV (three topic sets) plus one entry of
    /// the config's own, delivering to the outbox.
    fn csv_site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("articles")).unwrap();
        for (stem, topic) in [("heat", "climate"), ("chips", "technology")] {
            std::fs::write(
                dir.path().join(format!("articles/{stem}.md")),
                format!(
                    "+++\ntitle = \"A {topic} story\"\ndate = 2026-11-26T05:00:00+01:00\n\
                     url = \"https://news.example.com/{stem}\"\nsource = \"Example\"\n+++\n\n\
                     The {topic} story begins here, with one whole sentence.\n"
                ),
            )
            .unwrap();
        }
        let mut csv = String::from("email,name,topics\n");
        for i in 0..40 {
            let topics = ["climate", "technology", ""][i % 3];
            csv.push_str(&format!("r{i:03}@example.org,Reader {i},{topics}\n"));
        }
        std::fs::write(dir.path().join("list.csv"), csv).unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "subscribers_file = \"list.csv\"\n\
             [[sources]]\nid = \"files\"\nkind = \"files\"\npath = \"articles\"\n\
             [[topics]]\nid = \"climate\"\nkeywords = [\"climate\"]\n\
             [[topics]]\nid = \"technology\"\nkeywords = [\"technology\"]\n\
             [[subscribers]]\nemail = \"editor@example.org\"\n",
        )
        .unwrap();
        dir
    }

    fn at() -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339("2026-11-26T07:00:00+01:00").unwrap()
    }

    #[test]
    fn a_list_read_as_a_stream_is_planned_and_sent_in_chunks() {
        let (dir, at) = (csv_site(), at());
        let config = Config::load_checking_list(&dir.path().join("config.toml")).unwrap();
        assert_eq!(config.subscribers.len(), 1, "the CSV's rows are checked, not kept");
        assert_eq!(config.subscribers_file.as_ref().and_then(|list| list.rows), Some(40));
        {
            let mut ledger = Ledger::open(&config.state_file).unwrap();
            let crate::ledger::SignUp::Pending(id) =
                ledger.sign_up("own@example.org", None, &["technology".into()], at).unwrap()
            else {
                panic!("a new address is pending")
            };
            ledger.confirm(id, at).unwrap();
            let listed = crate::ledger::Listed {
                email: "r004@example.org",
                name: None,
                source: crate::ledger::SubscriberSource::Csv,
            };
            let paused = ledger.record_listed(&[listed], at).unwrap()[0].id;
            ledger.save_preferences(paused, None, true, at).unwrap();
            ledger.suppress("r005@example.org", "unsubscribe", at).unwrap();
        }
        let clock = crate::clock::FixedClock(at);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let report =
            runtime.block_on(run(&config, &clock, RunOptions::default(), &mut ())).unwrap();

        let mut expected: Vec<String> = (0..40)
            .filter(|i| ![4, 5].contains(i))
            .map(|i| format!("r{i:03}@example.org"))
            .chain(["editor@example.org".to_owned(), "own@example.org".to_owned()])
            .collect();
        expected.sort();
        let ledger = Ledger::open_read_only(&config.state_file).unwrap().unwrap();
        let rows = ledger.deliveries(Some(at.date_naive())).unwrap();
        let sent: Vec<&str> = rows
            .iter()
            .filter(|row| row.status == Status::Sent)
            .map(|row| row.email.as_str())
            .collect();
        assert_eq!(sent, expected);
        assert_eq!(rows.len(), expected.len(), "no row for the paused or the suppressed");
        assert_eq!((report.send.planned, report.send.suppressed), (expected.len(), 1));
        let outbox = report.send.outbox.clone().unwrap();
        assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), expected.len());
        // Three topic sets, counted before suppressions: climate (14 rows), technology (13
        // rows, less the paused one, plus the sign-up) and every topic (13 rows with the
        // suppressed one, plus the config's entry).
        let mut editions: Vec<(&str, usize)> =
            report.editions.iter().map(|e| (e.digest.as_str(), e.subscribers)).collect();
        editions.sort_unstable();
        assert_eq!(editions, [("all", 14), ("climate", 14), ("technology", 13)]);

        let again = runtime.block_on(run(&config, &clock, RunOptions::default(), &mut ())).unwrap();
        assert_eq!((again.send.planned, again.send.already_delivered), (0, expected.len()));
    }

    /// A dry run with no ledger yet reads an empty scratch one: everyone is due, and no
    /// ledger file is made.
    #[test]
    fn a_dry_run_without_a_ledger_plans_everyone_and_writes_no_ledger() {
        let dir = csv_site();
        let config = Config::load_checking_list(&dir.path().join("config.toml")).unwrap();
        let clock = crate::clock::FixedClock(at());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let options = RunOptions { dry_run: true, ..RunOptions::default() };
        let report = runtime.block_on(run(&config, &clock, options, &mut ())).unwrap();
        assert_eq!(report.send.planned, 41);
        let folder = report.send.outbox.clone().unwrap();
        assert!(folder.ends_with("dry-run"), "{}", folder.display());
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 41);
        assert!(!config.state_file.exists());
    }

    #[test]
    fn tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
