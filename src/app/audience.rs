//! The audience of a run: the config's lists (`[[subscribers]]` and `subscribers_file`)
//! joined with the ledger's record of them, plus the confirmed sign-ups and shell-added
//! addresses, each with the topics the subscriber chose winning over the config's. Paused
//! subscribers and pending sign-ups are left out here; suppressed addresses are left out,
//! and counted, by the caller.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use lettre::message::Mailbox;

use crate::config::Config;
use crate::ledger::{Ledger, LedgerError, LedgerSubscriber, Listed, SubscriberSource};
use crate::model::Subscriber;

/// How much the ledger may be used.
pub enum Record<'a> {
    /// Record the listed addresses (giving new ones their ids), then read.
    Write(&'a mut Ledger),
    /// Read only (previews, dry runs).
    Read(Option<&'a Ledger>),
}

/// Who gets a digest today, in a stable order (the config's lists first, then the ledger's
/// own addresses by address), of the addresses `keep` accepts (a shard's, or all).
///
/// # Errors
/// [`LedgerError`] when the ledger cannot be read or written.
pub fn audience(
    config: &Config,
    record: Record<'_>,
    keep: &dyn Fn(&str) -> bool,
    now: DateTime<FixedOffset>,
) -> Result<Vec<Subscriber>, LedgerError> {
    let listed_here: Vec<&Subscriber> = config
        .subscribers
        .iter()
        .filter(|subscriber| keep(subscriber.mailbox.email.as_ref()))
        .collect();
    let ledger: Option<&Ledger> = match record {
        Record::Write(ledger) => {
            let emails: Vec<String> =
                listed_here.iter().map(|s| s.mailbox.email.to_string()).collect();
            let listed: Vec<Listed<'_>> = listed_here
                .iter()
                .zip(&emails)
                .map(|(subscriber, email)| Listed {
                    email,
                    name: subscriber.mailbox.name.as_deref(),
                    source: if subscriber.from_file {
                        SubscriberSource::Csv
                    } else {
                        SubscriberSource::Config
                    },
                })
                .collect();
            ledger.record_listed(&listed, now)?;
            Some(&*ledger)
        }
        Record::Read(ledger) => ledger,
    };
    let known: BTreeMap<String, LedgerSubscriber> = match ledger {
        Some(ledger) => {
            ledger.subscribers()?.into_iter().map(|row| (row.email.clone(), row)).collect()
        }
        None => BTreeMap::new(),
    };
    let topic_ids: Vec<&str> = config.select.topics.iter().map(|t| t.id.as_str()).collect();
    let chosen = |row: &LedgerSubscriber, fallback: &[String]| -> Vec<String> {
        match &row.topics {
            // Topics removed from the config since the choice are dropped; a choice left
            // with none of its topics falls back to the config's.
            Some(topics) => {
                let kept: Vec<String> =
                    topics.iter().filter(|t| topic_ids.contains(&t.as_str())).cloned().collect();
                if kept.is_empty() && !topics.is_empty() { fallback.to_vec() } else { kept }
            }
            None => fallback.to_vec(),
        }
    };
    let mut out = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for subscriber in listed_here {
        let email = subscriber.mailbox.email.to_string().to_lowercase();
        listed.insert(email.clone());
        match known.get(&email) {
            Some(row) if row.paused => {}
            Some(row) => out.push(Subscriber {
                topics: chosen(row, &subscriber.topics),
                id: Some(row.id),
                ..subscriber.clone()
            }),
            None => out.push(subscriber.clone()),
        }
    }
    for row in known.values() {
        let own = matches!(row.source, SubscriberSource::SignUp | SubscriberSource::Shell);
        if !own || row.pending || row.paused || listed.contains(&row.email) || !keep(&row.email) {
            continue;
        }
        let Ok(email) = row.email.parse() else { continue };
        out.push(Subscriber {
            mailbox: Mailbox::new(row.name.clone(), email),
            topics: chosen(row, &[]),
            id: Some(row.id),
            from_file: false,
        });
    }
    Ok(out)
}
