//! The audience of a run: the config's lists (`[[subscribers]]` and `subscribers_file`)
//! joined with the ledger's record of them, plus the confirmed sign-ups and shell-added
//! addresses, each with the topics the subscriber chose winning over the config's. Paused
//! subscribers and pending sign-ups are left out here; suppressed addresses are left out,
//! and counted, by the caller.
//!
//! The audience is not held in memory: it is written, [`CHUNK`] subscribers at a time, to
//! the run's temporary audience table in the ledger's connection (see
//! `crate::ledger::Member`); what stays in memory is the list of distinct topic sets.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use lettre::message::Mailbox;

use crate::config::Config;
use crate::ledger::{Choices, Ledger, Listed, Member, SubscriberSource};
use crate::model::Subscriber;

/// Subscribers recorded, looked up and added to the audience in one transaction (a few in
/// unit tests, so that they cross chunk boundaries).
pub const CHUNK: usize = if cfg!(test) { 7 } else { 10_000 };

/// How much the ledger may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Record the listed addresses (giving new ones their ids), then read.
    Write,
    /// Read only (previews, dry runs): the ledger may be read-only or a scratch one.
    Read,
}

/// One distinct topic set of the day's audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSet {
    /// Topic ids, sorted; empty means every topic.
    pub topics: Vec<String>,
    /// Members of the audience with this set.
    pub subscribers: usize,
}

/// Fills the ledger's audience table with who gets a digest today, of the addresses `keep`
/// accepts (a shard's, or all), and returns the distinct topic sets, indexed as the table's
/// `topic_set` column names them (a set whose only members were listed twice may be left
/// with none). With nobody at all, one set of every topic with no subscriber (the digest is
/// then a preview only).
///
/// # Errors
/// When the ledger cannot be read or written, or a row of `subscribers_file` is no longer
/// valid.
pub fn audience(
    config: &Config,
    ledger: &mut Ledger,
    record: Record,
    keep: &dyn Fn(&str) -> bool,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<Vec<TopicSet>> {
    ledger.audience_start()?;
    let mut sets = Sets::new(config);
    let mut chunk: Vec<Subscriber> = Vec::with_capacity(CHUNK);
    config.for_each_listed(|subscriber| {
        if keep(subscriber.mailbox.email.as_ref()) {
            chunk.push(subscriber);
            if chunk.len() == CHUNK {
                add_listed(ledger, record, &mut chunk, &mut sets, now)?;
            }
        }
        Ok(())
    })?;
    add_listed(ledger, record, &mut chunk, &mut sets, now)?;

    // The ledger's own addresses, page by page; the listed ones are in the table already.
    let mut after = String::new();
    loop {
        let page = ledger.own_subscribers_page(&after, CHUNK)?;
        let Some(last) = page.last() else { break };
        after.clone_from(&last.email);
        let members: Vec<Member> = page
            .into_iter()
            .filter(|own| keep(&own.email))
            .filter_map(|own| {
                let address = own.email.parse().ok()?;
                let topic_set = sets.index(sets.chosen(own.topics.as_deref(), &[]));
                let mailbox = Mailbox::new(own.name, address).to_string();
                Some(Member { email: own.email, mailbox, subscriber: Some(own.id), topic_set })
            })
            .collect();
        ledger.audience_add(&members)?;
    }
    Ok(sets.finish(ledger.audience_sizes()?))
}

/// Records (or looks up) a chunk of listed subscribers and adds those not paused to the
/// audience; empties the chunk.
fn add_listed(
    ledger: &mut Ledger,
    record: Record,
    chunk: &mut Vec<Subscriber>,
    sets: &mut Sets,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<()> {
    if chunk.is_empty() {
        return Ok(());
    }
    let emails: Vec<String> = chunk
        .iter()
        .map(|subscriber| subscriber.mailbox.email.to_string().to_lowercase())
        .collect();
    let choices: Vec<Option<Choices>> = match record {
        Record::Write => {
            let listed: Vec<Listed<'_>> = chunk
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
            ledger.record_listed(&listed, now)?.into_iter().map(Some).collect()
        }
        Record::Read => {
            let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
            ledger.choices(&emails)?
        }
    };
    let members: Vec<Member> = chunk
        .drain(..)
        .zip(emails)
        .zip(choices)
        .filter(|(_, choice)| !choice.as_ref().is_some_and(|choice| choice.paused))
        .map(|((subscriber, email), choice)| {
            let topics = match &choice {
                Some(choice) => sets.chosen(choice.topics.as_deref(), &subscriber.topics),
                None => subscriber.topics.clone(),
            };
            Member {
                email,
                mailbox: subscriber.mailbox.to_string(),
                subscriber: choice.map(|choice| choice.id),
                topic_set: sets.index(topics),
            }
        })
        .collect();
    ledger.audience_add(&members)?;
    Ok(())
}

/// The distinct topic sets met so far.
struct Sets {
    /// The config's topic ids, to drop choices of topics removed since.
    topic_ids: Vec<String>,
    by_topics: BTreeMap<Vec<String>, usize>,
}

impl Sets {
    fn new(config: &Config) -> Self {
        let topic_ids = config.select.topics.iter().map(|t| t.id.clone()).collect();
        Sets { topic_ids, by_topics: BTreeMap::new() }
    }

    /// The topics a subscriber gets: their choice, with topics removed from the config since
    /// dropped (a choice left with none of its topics falls back to `fallback`); without a
    /// choice, `fallback`.
    fn chosen(&self, choice: Option<&[String]>, fallback: &[String]) -> Vec<String> {
        match choice {
            Some(topics) => {
                let kept: Vec<String> =
                    topics.iter().filter(|t| self.topic_ids.contains(t)).cloned().collect();
                if kept.is_empty() && !topics.is_empty() { fallback.to_vec() } else { kept }
            }
            None => fallback.to_vec(),
        }
    }

    /// The index of a topic set, sorted first.
    fn index(&mut self, mut topics: Vec<String>) -> usize {
        topics.sort();
        topics.dedup();
        let next = self.by_topics.len();
        *self.by_topics.entry(topics).or_insert(next)
    }

    /// The sets by index, with their sizes from the table.
    fn finish(self, sizes: Vec<(usize, usize)>) -> Vec<TopicSet> {
        let mut sets = vec![TopicSet { topics: Vec::new(), subscribers: 0 }; self.by_topics.len()];
        for (topics, index) in self.by_topics {
            if let Some(set) = sets.get_mut(index) {
                set.topics = topics;
            }
        }
        for (index, size) in sizes {
            if let Some(set) = sets.get_mut(index) {
                set.subscribers = size;
            }
        }
        if sets.iter().all(|set| set.subscribers == 0) {
            // Nobody (the table is empty): one digest of every topic, a preview only.
            return vec![TopicSet { topics: Vec::new(), subscribers: 0 }];
        }
        sets
    }
}
