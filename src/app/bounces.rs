//! What a bounce does: find whose it is (the VERP return path, else the failed message's
//! Message-ID, else an address we sent to), record it once, and apply `[bounces]`: a hard
//! bounce or a complaint suppresses at once, soft bounces after `soft_limit` within
//! `soft_window` (a later successful delivery resets the count). Reports for addresses we
//! never sent to, and forged return paths, are ignored and counted.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use regex::Regex;
use sha2::{Digest as _, Sha256};

use crate::bounce::{self, Bounce, Class};
use crate::config::Config;
use crate::ledger::{BounceEvent, Ledger, LedgerError};
use crate::token::Signer;

/// What became of one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The address is suppressed now, for this reason.
    Suppressed(String),
    /// A soft bounce, counted: this many within the window, of the limit.
    Counted(usize, usize),
    /// Suppressed already; recorded.
    AlreadySuppressed,
    /// Read before: nothing changed.
    Duplicate,
    /// Not acted on, and why (an auto-reply, a success notice, an address we never sent
    /// to, a forged return path).
    Ignored(String),
    /// A failure notice whose cause cannot be told: left for a person to read.
    Review,
}

/// One report and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What the message says.
    pub bounce: Bounce,
    /// The subscriber's address it was attributed to.
    pub email: Option<String>,
    /// What it did.
    pub outcome: Outcome,
}

/// Reads one message and applies the policy.
///
/// # Errors
/// [`LedgerError`] when the ledger cannot be read or written.
pub fn apply(
    config: &Config,
    ledger: &mut Ledger,
    signer: Option<&Signer>,
    raw: &[u8],
    source: &str,
    now: DateTime<FixedOffset>,
) -> Result<Applied, LedgerError> {
    let bounce = bounce::classify(raw);
    let key = own_message_id(raw).unwrap_or_else(|| {
        let hash = Sha256::digest(&raw[..raw.len().min(bounce::MAX_BYTES)]);
        hash.iter().map(|byte| format!("{byte:02x}")).collect()
    });
    apply_bounce(config, ledger, signer, bounce, &key, Some(raw), source, now)
}

/// Applies the policy to a report already read (a provider's webhook, our own SMTP session).
///
/// # Errors
/// [`LedgerError`] when the ledger cannot be read or written.
#[allow(clippy::too_many_arguments, reason = "one report and where it came from")]
pub fn apply_bounce(
    config: &Config,
    ledger: &mut Ledger,
    signer: Option<&Signer>,
    bounce: Bounce,
    key: &str,
    raw: Option<&[u8]>,
    source: &str,
    now: DateTime<FixedOffset>,
) -> Result<Applied, LedgerError> {
    let done = |bounce: Bounce, email: Option<String>, outcome: Outcome| Applied {
        bounce,
        email,
        outcome,
    };
    match bounce.class {
        Class::AutoReply => {
            return Ok(done(bounce, None, Outcome::Ignored("an automatic reply".to_owned())));
        }
        Class::NotBounce => {
            return Ok(done(bounce, None, Outcome::Ignored("not a bounce".to_owned())));
        }
        Class::Unknown => return Ok(done(bounce, None, Outcome::Review)),
        Class::Hard | Class::Soft | Class::Complaint => {}
    }
    // Whose is it? The return path first: it survives mangled bounces.
    let verp = match (raw, signer, &config.delivery.bounce_address) {
        (Some(raw), Some(signer), Some(address)) => match verp_token(raw, address) {
            Some(token) => match signer.verify_verp(&token) {
                Ok((id, _date)) => ledger.subscriber(id)?.map(|s| s.email),
                Err(_) => {
                    let why = "a forged return path".to_owned();
                    record_ignored(ledger, &bounce, key, source, &why, now)?;
                    return Ok(done(bounce, None, Outcome::Ignored(why)));
                }
            },
            None => None,
        },
        _ => None,
    };
    let email = match verp {
        Some(email) => Some(email),
        None if !bounce.message_id.is_empty() => {
            ledger.delivery_by_message_id(&bounce.message_id)?
        }
        None => None,
    };
    let email = match email {
        Some(email) => email,
        None if !bounce.recipient.is_empty() && ledger.ever_sent_to(&bounce.recipient)? => {
            bounce.recipient.clone()
        }
        None => {
            let who = if bounce.recipient.is_empty() {
                "no address".to_owned()
            } else {
                bounce.recipient.clone()
            };
            let why = format!("{who}: not an address we sent to");
            record_ignored(ledger, &bounce, key, source, &why, now)?;
            return Ok(done(bounce, None, Outcome::Ignored(why)));
        }
    };
    let event = BounceEvent {
        key: key.to_owned(),
        received_at: now,
        email: email.clone(),
        class: bounce.class.as_str().to_owned(),
        status: bounce.status.clone(),
        reason: bounce.reason.clone(),
        reply: bounce.reply.clone(),
        message_id: bounce.message_id.clone(),
        source: source.to_owned(),
    };
    if !ledger.record_bounce(&event)? {
        return Ok(done(bounce, Some(email), Outcome::Duplicate));
    }
    let evidence = format!(
        "status {}; reply: {}; message {}; report {}",
        if bounce.status.is_empty() { "none" } else { &bounce.status },
        if bounce.reply.is_empty() { "none" } else { &bounce.reply },
        if bounce.message_id.is_empty() { "unknown" } else { &bounce.message_id },
        key
    );
    let reason = match bounce.class {
        Class::Hard => Some(format!("bounced (hard: {})", bounce.reason)),
        Class::Complaint => Some(format!(
            "complaint ({})",
            if bounce.reply.is_empty() { "abuse" } else { &bounce.reply }
        )),
        _ => None,
    };
    let reason = match reason {
        Some(reason) => reason,
        None => {
            let since = now - config.bounces.soft_window;
            let count = ledger.soft_bounces_since(&email, since)?;
            if count < config.bounces.soft_limit {
                return Ok(done(
                    bounce,
                    Some(email),
                    Outcome::Counted(count, config.bounces.soft_limit),
                ));
            }
            format!("bounced (soft: {count} in {} days)", config.bounces.soft_window.num_days())
        }
    };
    let outcome = if ledger.suppress_with_evidence(&email, &reason, &evidence, now)? {
        Outcome::Suppressed(reason)
    } else {
        Outcome::AlreadySuppressed
    };
    Ok(done(bounce, Some(email), outcome))
}

/// Keeps an ignored report (class `ignored`, with why) so `status` can count them; never
/// part of the bounce rates.
fn record_ignored(
    ledger: &mut Ledger,
    bounce: &Bounce,
    key: &str,
    source: &str,
    why: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), LedgerError> {
    ledger.record_bounce(&BounceEvent {
        key: key.to_owned(),
        received_at: now,
        email: bounce.recipient.clone(),
        class: "ignored".to_owned(),
        status: bounce.status.clone(),
        reason: why.to_owned(),
        reply: bounce.reply.clone(),
        message_id: bounce.message_id.clone(),
        source: source.to_owned(),
    })?;
    Ok(())
}

/// Records the permanent refusals of a run's own SMTP session as bounces, by the same rules
/// (one report per address and day). Returns how many suppressed an address.
///
/// # Errors
/// [`LedgerError`] when the ledger cannot be written.
pub fn record_session_failures(
    config: &Config,
    ledger: &mut Ledger,
    failures: &[crate::deliver::Outcome],
    date: chrono::NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<usize, LedgerError> {
    let mut suppressed = 0;
    for failure in failures.iter().filter(|f| f.status == crate::ledger::Status::FailedPermanent) {
        let bounce = bounce::from_reply(&failure.email, &failure.reply);
        let key = format!("smtp:{date}:{}", failure.email.to_lowercase());
        let applied = apply_bounce(config, ledger, None, bounce, &key, None, "smtp", now)?;
        suppressed += usize::from(matches!(applied.outcome, Outcome::Suppressed(_)));
    }
    Ok(suppressed)
}

/// The bounce message's own Message-ID, from its top-level headers.
fn own_message_id(raw: &[u8]) -> Option<String> {
    let head = &raw[..raw.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let text = text.replace("\r\n", "\n");
    let headers = &text[..text.find("\n\n").unwrap_or(text.len())];
    headers.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let value = value.trim().trim_matches(['<', '>']);
        (name.eq_ignore_ascii_case("Message-ID") && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The VERP token of `bounces+TOKEN@domain` anywhere in the first 256 KiB (the bounce's own
/// To, the returned headers, an ARF report's Original-Mail-From).
fn verp_token(raw: &[u8], address: &lettre::Address) -> Option<String> {
    static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)([A-Za-z0-9._-]+)\+([a-z2-7]{24})@([A-Za-z0-9.-]+)")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| std::process::abort()))
    });
    let text = String::from_utf8_lossy(&raw[..raw.len().min(256 * 1024)]);
    TOKEN.captures_iter(&text).find_map(|caps| {
        (caps[1].eq_ignore_ascii_case(address.user())
            && caps[3].eq_ignore_ascii_case(address.domain()))
        .then(|| caps[2].to_ascii_lowercase())
    })
}
