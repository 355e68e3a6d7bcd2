//! The binary's side of the sending commands: the tokio runtime, the progress bar or log
//! lines, the one-line summary, the `--json` report and the exit code.

use std::io::{IsTerminal, Write};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{Exit, human_window, print_skipped};
use newsdigest::app::run::{self, RunOptions, RunReport, SendReport};
use newsdigest::clock::Clock;
use newsdigest::config::{Config, DeliveryMode};
use newsdigest::deliver::{Outcome, Progress};
use newsdigest::ledger::Status;

/// The one runtime, for the commands that talk to the network.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// A progress bar when stderr is a terminal; log lines (tracing, `RUST_LOG`) otherwise.
struct Feedback {
    bar: Option<ProgressBar>,
}

impl Feedback {
    fn new() -> Self {
        Feedback { bar: None }
    }
}

impl Progress for Feedback {
    fn start(&mut self, total: usize) {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bar:30} {pos}/{len} sent · {per_sec} · {eta} left {msg}",
            ) {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        tracing::info!("sending {total} messages");
    }

    fn outcome(&mut self, outcome: &Outcome) {
        let line = format!(
            "{}: {} after {} attempt(s), {} bytes ({} of HTML): {}",
            outcome.email,
            outcome.status.as_str(),
            outcome.attempts,
            outcome.bytes,
            outcome.html_bytes,
            outcome.reply
        );
        match (&self.bar, outcome.status) {
            (Some(bar), Status::Sent) => bar.inc(1),
            (Some(bar), _) => {
                bar.inc(1);
                bar.println(format!("warning: {line}"));
            }
            (None, Status::Sent) => tracing::info!("{line}"),
            (None, _) => tracing::warn!("{line}"),
        }
    }
}

impl Drop for Feedback {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `run`.
pub fn run(
    config: &Config,
    clock: &dyn Clock,
    options: RunOptions,
    as_json: bool,
) -> anyhow::Result<Exit> {
    let mut feedback = Feedback::new();
    let report = runtime()?.block_on(run::run(config, clock, options, &mut feedback))?;
    drop(feedback);
    print_skipped(&report.skipped_files, &report.lossy);
    crate::print_feeds(&report.feeds);
    for warning in config.warnings().iter().chain(&report.warnings) {
        eprintln!("warning: {warning}");
    }
    for skipped in &report.skipped_subscribers {
        eprintln!("note: {}", skipped_note(skipped));
    }
    print_failures(&report.send);
    if let Some(stop) = &report.send.delivery.stopped {
        eprintln!("error: {stop}");
    }
    let exit = run_exit(&report);
    // Bounce and complaint rates, with their warnings (not for dry runs: nothing was sent).
    let rates = match report.send.date.filter(|_| !options.dry_run) {
        Some(day) => Some(run::rates(config, day)?),
        None => None,
    };
    for warning in rates.iter().flat_map(|rates| &rates.warnings) {
        eprintln!("warning: {warning}");
    }
    if as_json {
        let mut value = run_json(config, &report, options, exit);
        if let (Some(object), Some(rates)) = (value.as_object_mut(), &rates) {
            object.insert("rates".to_owned(), rates_json(rates));
        }
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        // The files written, as `preview` prints them; the outbox or dry-run folder too.
        let mut out = std::io::stdout().lock();
        for digest in &report.archived {
            writeln!(out, "{}", digest.html.display())?;
            writeln!(out, "{}", digest.text.display())?;
        }
        writeln!(out, "{}", report.index.display())?;
        if let Some(folder) = written_folder(config, &report.send, options.dry_run) {
            writeln!(out, "{}", folder.display())?;
        }
    }
    let failed_sources = report.feeds.iter().filter(|feed| feed.failure.is_some()).count();
    let sources = config.sources.len();
    eprintln!(
        "{} articles from {}/{sources} sources → {} selected in the last {} → {} → {}",
        report.articles,
        sources - failed_sources.min(sources),
        report.selected,
        human_window(config.select.window),
        send_summary(config, &report.send, options.dry_run, skipped_count(&report)),
        report.index.display()
    );
    Ok(exit)
}

/// The folder of `.eml` files a run wrote to, when it wrote any: the outbox, or the dry
/// run's folder.
fn written_folder(config: &Config, send: &SendReport, dry_run: bool) -> Option<std::path::PathBuf> {
    let date = send.date?;
    let folder = match (dry_run, &config.delivery.mode) {
        (true, _) => "dry-run",
        (false, newsdigest::config::DeliveryMode::Outbox) => "outbox",
        (false, newsdigest::config::DeliveryMode::Smtp) => return None,
    };
    (send.delivery.sent > 0)
        .then(|| newsdigest::archive::edition_dir(&config.digest.output_dir, date).join(folder))
}

/// `retry`.
pub fn retry(
    config: &Config,
    clock: &dyn Clock,
    date: Option<NaiveDate>,
    options: RunOptions,
    as_json: bool,
) -> anyhow::Result<Exit> {
    let mut feedback = Feedback::new();
    let report = runtime()?.block_on(run::retry(config, clock, date, options, &mut feedback))?;
    drop(feedback);
    print_failures(&report);
    if let Some(stop) = &report.delivery.stopped {
        eprintln!("error: {stop}");
    }
    let exit = send_exit(&report, 0);
    if as_json {
        let value = json!({
            "date": report.date.map(|d| d.to_string()),
            "exit_code": exit as u8,
            "delivery": send_json(&report),
        });
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    }
    let day = report.date.map(|d| d.to_string()).unwrap_or_default();
    eprintln!("retry {day}: {}", send_summary(config, &report, false, 0));
    Ok(exit)
}

/// `status`.
pub fn status(config: &Config, date: Option<NaiveDate>, today: NaiveDate) -> anyhow::Result<Exit> {
    let (editions, feeds) = run::status(config, date)?;
    let audience = run::audience_status(config)?;
    let rates = run::rates(config, today)?;
    let mut out = std::io::stdout().lock();
    if !audience.subscribers.is_empty() || !audience.suppressions.is_empty() {
        let parts: Vec<String> = audience
            .subscribers
            .iter()
            .map(|((source, state), n)| format!("{n} {state} ({source})"))
            .collect();
        writeln!(
            out,
            "subscribers: {}",
            if parts.is_empty() { "none".to_owned() } else { parts.join(", ") }
        )?;
        let left: usize = audience.suppressions.values().sum();
        if left > 0 {
            let reasons: Vec<String> =
                audience.suppressions.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
            writeln!(out, "suppressed: {left} ({})", reasons.join(", "))?;
        }
    }
    if !feeds.is_empty() {
        writeln!(out, "feeds:")?;
        for feed in &feeds {
            let mut line = format!(
                "  {} ({}): checked {}, {} item(s) kept",
                feed.source_id, feed.url, feed.checked_at, feed.items
            );
            if feed.conditional {
                line.push_str(", conditional GET");
            }
            if let Some(until) = &feed.retry_after {
                line.push_str(&format!(", not before {until} (Retry-After)"));
            }
            writeln!(out, "{line}")?;
        }
    }
    if rates.month.sent > 0 || rates.month.hard + rates.month.soft + rates.month.complaints > 0 {
        // Each day of the 30 with mail sent or reports received, then the 30 days together.
        for (day, figures) in &rates.days {
            writeln!(out, "{}", rates_line(&format!("on {day}"), figures))?;
        }
        writeln!(out, "{}", rates_line("over 30 days", &rates.month))?;
        for warning in &rates.warnings {
            eprintln!("warning: {warning}");
        }
    }
    if editions.is_empty() {
        writeln!(
            out,
            "no editions{} in `{}`",
            date.map(|d| format!(" on {d}")).unwrap_or_default(),
            config.state_file.display()
        )?;
        return Ok(Exit::Ok);
    }
    let mut any_failed = false;
    for edition in &editions {
        let counts = counts_text(&edition.counts);
        writeln!(out, "{} {} ({} stories): {counts}", edition.date, edition.digest, edition.items)?;
        for failure in &edition.failures {
            any_failed = true;
            writeln!(
                out,
                "  {} {} after {} attempt(s): {}",
                failure.email,
                failure.status.as_str(),
                failure.attempts,
                failure.last_reply.as_deref().unwrap_or("(no reply)")
            )?;
        }
    }
    Ok(if any_failed { Exit::Partial } else { Exit::Ok })
}

/// `status --ledger A --ledger B …`: the deliveries of several ledgers (a list sent in shards)
/// added up per edition, then the day's totals.
pub fn merged_status(
    ledgers: &[std::path::PathBuf],
    date: Option<NaiveDate>,
) -> anyhow::Result<Exit> {
    let editions = run::merged_status(ledgers, date)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} ledgers added up:", ledgers.len())?;
    if editions.is_empty() {
        writeln!(
            out,
            "no editions{} in these ledgers",
            date.map(|d| format!(" on {d}")).unwrap_or_default()
        )?;
        return Ok(Exit::Ok);
    }
    let mut any_failed = false;
    let mut totals: std::collections::BTreeMap<NaiveDate, Vec<(Status, usize)>> =
        std::collections::BTreeMap::new();
    for edition in &editions {
        writeln!(
            out,
            "{} {} ({} stories): {}",
            edition.date,
            edition.digest,
            edition.items,
            counts_text(&edition.counts)
        )?;
        any_failed |= !edition.failures.is_empty();
        let day = totals.entry(edition.date).or_default();
        for (status, count) in &edition.counts {
            newsdigest::ledger::add_count(day, *status, *count);
        }
    }
    for (day, counts) in &mut totals {
        counts.sort();
        writeln!(out, "{day} in all: {}", counts_text(counts))?;
    }
    Ok(if any_failed { Exit::Partial } else { Exit::Ok })
}

/// `3 sent, 1 pending`, or `no deliveries`.
fn counts_text(counts: &[(Status, usize)]) -> String {
    let parts: Vec<String> =
        counts.iter().map(|(status, count)| format!("{count} {}", status.as_str())).collect();
    if parts.is_empty() { "no deliveries".to_owned() } else { parts.join(", ") }
}

/// `on 2026-11-30: 1234 sent, 3 hard bounces (0.24%), …`.
fn rates_line(when: &str, rates: &newsdigest::ledger::BounceRates) -> String {
    let share = |n: usize| {
        if rates.sent == 0 {
            String::new()
        } else {
            format!(" ({:.2}%)", n as f64 * 100.0 / rates.sent as f64)
        }
    };
    let mut line = format!(
        "{when}: {} message(s), {} hard bounce(s){}, {} soft bounce(s){}, {} complaint(s){}",
        rates.sent,
        rates.hard,
        share(rates.hard),
        rates.soft,
        share(rates.soft),
        rates.complaints,
        share(rates.complaints)
    );
    if rates.ignored > 0 {
        line.push_str(&format!(", {} report(s) ignored", rates.ignored));
    }
    line
}

/// The rates as JSON, for `run --json`.
fn rates_json(rates: &run::Rates) -> serde_json::Value {
    let one = |r: &newsdigest::ledger::BounceRates| {
        json!({
            "messages": r.sent,
            "hard": r.hard,
            "soft": r.soft,
            "complaints": r.complaints,
            "ignored": r.ignored,
            "bounce_rate": r.bounce_rate(),
            "complaint_rate": r.complaint_rate(),
        })
    };
    json!({"day": rates.day.to_string(), "today": one(&rates.today), "last_30_days": one(&rates.month), "warnings": rates.warnings})
}

fn print_failures(report: &SendReport) {
    for outcome in &report.delivery.failures {
        eprintln!(
            "failed: {} ({}) after {} attempt(s): {}",
            outcome.email,
            outcome.status.as_str(),
            outcome.attempts,
            outcome.reply
        );
    }
}

fn send_summary(config: &Config, report: &SendReport, dry_run: bool, skipped: usize) -> String {
    let delivery = &report.delivery;
    let done = delivery.count(Status::Sent);
    let verb = if dry_run {
        "dry run: wrote"
    } else if config.delivery.mode == DeliveryMode::Outbox {
        "wrote to the outbox"
    } else {
        "sent"
    };
    let mut line = format!("{verb} {done}/{}", report.planned);
    let failed = report.planned.saturating_sub(done + delivery.not_attempted);
    let mut extras = Vec::new();
    if failed > 0 {
        extras.push(format!("{failed} failed"));
    }
    if delivery.not_attempted > 0 {
        extras.push(format!("{} left pending", delivery.not_attempted));
    }
    if skipped > 0 {
        extras.push(format!("{skipped} skipped"));
    }
    if report.suppressed > 0 {
        extras.push(format!("{} unsubscribed", report.suppressed));
    }
    if report.already_delivered > 0 {
        extras.push(format!("{} delivered earlier", report.already_delivered));
    }
    if !extras.is_empty() {
        line.push_str(&format!(" ({})", extras.join(", ")));
    }
    if let Some(outbox) = &report.outbox {
        line.push_str(&format!(" in {}", outbox.display()));
    }
    line
}

/// 2 when there was something to send, nothing went, and messages failed; 1 when some
/// failed, were skipped or were left pending (as by `max_per_hour`); 0 otherwise.
fn send_exit(report: &SendReport, skipped: usize) -> Exit {
    let delivery = &report.delivery;
    let sent = delivery.count(Status::Sent);
    let failed = delivery.failures.len() + delivery.lost;
    if report.planned > 0 && sent == 0 && failed > 0 {
        Exit::Fatal
    } else if sent < report.planned || failed > 0 || skipped > 0 {
        Exit::Partial
    } else {
        Exit::Ok
    }
}

/// Subscribers who get nothing today, of every topic set.
fn skipped_count(report: &RunReport) -> usize {
    report.skipped_subscribers.iter().map(|skipped| skipped.count).sum()
}

/// "no digest today for ana@example.org: …", or for the first few of many and how many more.
fn skipped_note(skipped: &run::SkippedSubscribers) -> String {
    let more = skipped.count.saturating_sub(skipped.first.len());
    let who = match more {
        0 => skipped.first.join(", "),
        _ => format!("{} and {more} more", skipped.first.join(", ")),
    };
    format!("no digest today for {who} (digest `{}`): {}", skipped.digest, skipped.reason)
}

fn run_exit(report: &RunReport) -> Exit {
    let feed_failed = report.feeds.iter().any(|feed| feed.failure.is_some());
    match send_exit(&report.send, skipped_count(report)) {
        Exit::Ok if !report.skipped_files.is_empty() || feed_failed => Exit::Partial,
        exit => exit,
    }
}

fn send_json(report: &SendReport) -> serde_json::Value {
    let delivery = &report.delivery;
    json!({
        "planned": report.planned,
        "sent": delivery.count(Status::Sent),
        "failed_permanent": delivery.count(Status::FailedPermanent),
        "failed_transient": delivery.count(Status::FailedTransient),
        "not_attempted": delivery.not_attempted,
        "delivered_earlier": report.already_delivered,
        "failed_earlier": report.failed_before,
        "unsubscribed": report.suppressed,
        "stopped": delivery.stopped.map(|stop| stop.to_string()),
        "outbox": report.outbox.as_ref().map(|p| p.display().to_string()),
        "sent_bytes": delivery.sent_bytes,
        "failures": delivery.failures.iter().map(|o| json!({
            "email": o.email,
            "digest": o.digest,
            "status": o.status.as_str(),
            "attempts": o.attempts,
            "reply": o.reply,
            "bytes": o.bytes,
            "html_bytes": o.html_bytes,
        })).collect::<Vec<_>>(),
    })
}

fn run_json(
    config: &Config,
    report: &RunReport,
    options: RunOptions,
    exit: Exit,
) -> serde_json::Value {
    json!({
        "date": report.send.date.map(|d| d.to_string()),
        "dry_run": options.dry_run,
        "mode": match config.delivery.mode {
            DeliveryMode::Outbox => "outbox",
            DeliveryMode::Smtp => "smtp",
        },
        "exit_code": exit as u8,
        "articles": report.articles,
        "articles_sent_earlier": report.already_sent_articles,
        "selected": report.selected,
        "editions": report.editions.iter().map(|e| json!({
            "digest": e.digest,
            "items": e.items,
            "html_bytes": e.html_bytes,
            "subscribers": e.subscribers,
            "reused": e.reused,
            "clipped": e.clipped,
        })).collect::<Vec<_>>(),
        "skipped_subscribers": report.skipped_subscribers.iter().map(|s| json!({
            "digest": s.digest,
            "count": s.count,
            "first": s.first,
            "reason": s.reason,
        })).collect::<Vec<_>>(),
        "warnings": report.warnings,
        "skipped_files": report.skipped_files.iter().map(|s| json!({
            "path": s.path.display().to_string(),
            "reason": s.reason,
        })).collect::<Vec<_>>(),
        "sources": report.feeds.iter().map(|feed| json!({
            "id": feed.source_id,
            "url": feed.location,
            "fetched": feed.fetched,
            "items": feed.items,
            "not_modified": feed.not_modified,
            "failure": feed.failure.as_ref().map(|f| json!({
                "category": f.category.name(),
                "reason": f.reason,
            })),
            "notes": feed.notes,
        })).collect::<Vec<_>>(),
        "index": report.index.display().to_string(),
        "delivery": send_json(&report.send),
    })
}
