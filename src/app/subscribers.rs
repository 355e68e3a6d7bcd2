//! `newsdigest subscribers list | add | remove | import | export`: the audience of record
//! from the shell. The config's lists stay the operator's to edit; these commands manage
//! what the ledger adds (sign-ups, shell-added addresses) and show everything together.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::ledger::Ledger;

/// One address as the commands show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The address, lower-cased.
    pub email: String,
    /// The display name.
    pub name: String,
    /// Topic ids (empty: every topic).
    pub topics: Vec<String>,
    /// `active`, `pending`, `paused` or `suppressed`.
    pub status: String,
    /// `config`, `csv`, `signup` or `shell`.
    pub source: String,
    /// When the ledger first heard of it (empty when never run).
    pub created_at: String,
    /// When a sign-up was confirmed.
    pub confirmed_at: String,
    /// Why it was suppressed, and when.
    pub suppressed: String,
}

/// Every address: the config's lists and the ledger's, by address.
///
/// # Errors
/// When the ledger cannot be read.
pub fn list(config: &Config) -> anyhow::Result<Vec<Row>> {
    let ledger = Ledger::open_read_only(&config.state_file)?;
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for listed in &config.subscribers {
        let email = listed.mailbox.email.to_string().to_lowercase();
        rows.insert(
            email.clone(),
            Row {
                email,
                name: listed.mailbox.name.clone().unwrap_or_default(),
                topics: listed.topics.clone(),
                status: "active".to_owned(),
                source: if listed.from_file { "csv" } else { "config" }.to_owned(),
                created_at: String::new(),
                confirmed_at: String::new(),
                suppressed: String::new(),
            },
        );
    }
    let known = match &ledger {
        Some(ledger) => ledger.subscribers()?,
        None => Vec::new(),
    };
    let suppressions = match &ledger {
        Some(ledger) => ledger.suppressions_with_evidence()?,
        None => Vec::new(),
    };
    for subscriber in known {
        let listed = rows.get(&subscriber.email).cloned();
        let status = if subscriber.suppressed.is_some() {
            "suppressed"
        } else if subscriber.pending {
            "pending"
        } else if subscriber.paused {
            "paused"
        } else {
            "active"
        };
        // A listed address whose row came from an earlier listing keeps the config's name
        // and topics unless the subscriber chose their own.
        let row = Row {
            email: subscriber.email.clone(),
            name: subscriber
                .name
                .clone()
                .or_else(|| listed.as_ref().map(|row| row.name.clone()))
                .unwrap_or_default(),
            topics: subscriber
                .topics
                .clone()
                .or_else(|| listed.as_ref().map(|row| row.topics.clone()))
                .unwrap_or_default(),
            status: status.to_owned(),
            source: subscriber.source.as_str().to_owned(),
            created_at: subscriber.created_at.clone(),
            confirmed_at: subscriber.confirmed_at.clone().unwrap_or_default(),
            suppressed: subscriber
                .suppressed
                .as_ref()
                .map(|(reason, at)| format!("{reason} at {at}"))
                .unwrap_or_default(),
        };
        rows.insert(subscriber.email, row);
    }
    // Listed addresses the ledger has no row for yet (suppressed before any run).
    for (email, reason, at, _evidence) in suppressions {
        if let Some(row) = rows.get_mut(&email)
            && row.suppressed.is_empty()
        {
            row.status = "suppressed".to_owned();
            row.suppressed = format!("{reason} at {at}");
        }
    }
    Ok(rows.into_values().collect())
}

/// The checked topic ids of `topics`, or an error naming the unknown ones and the known.
fn check_topics(config: &Config, topics: &[String]) -> anyhow::Result<Vec<String>> {
    let known: Vec<&str> = config.select.topics.iter().map(|t| t.id.as_str()).collect();
    let unknown: Vec<&str> =
        topics.iter().map(|t| t.trim()).filter(|t| !t.is_empty() && !known.contains(t)).collect();
    if !unknown.is_empty() {
        anyhow::bail!(
            "unknown topic(s) {}\nhint: known topics: {}",
            unknown.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
            known.join(", ")
        );
    }
    Ok(topics.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect())
}

/// What `add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Added, or updated, and active.
    Active,
    /// Recorded, but the address is suppressed: it gets nothing until `resubscribe`.
    Suppressed(String),
}

/// Adds an address, active at once (the operator vouches for it).
///
/// # Errors
/// When the address or a topic is invalid, or the ledger cannot be written.
pub fn add(
    config: &Config,
    email: &str,
    name: Option<&str>,
    topics: Option<&[String]>,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<Added> {
    let address = crate::config::check_address(email).map_err(|reason| {
        anyhow::anyhow!("`{email}` is not an address we can send to: {reason}")
    })?;
    let topics = topics.map(|topics| check_topics(config, topics)).transpose()?;
    let mut ledger = Ledger::open(&config.state_file)?;
    let id = ledger.add_subscriber(&address, name, topics.as_deref(), now)?;
    let row = ledger.subscriber(id)?.context("the ledger lost the address just added")?;
    Ok(match row.suppressed {
        Some((reason, _)) => Added::Suppressed(reason),
        None => Added::Active,
    })
}

/// What `remove` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A sign-up or shell-added address: forgotten (it may sign up again).
    Forgotten,
    /// A listed address: suppressed, since the config still lists it.
    Suppressed,
    /// Not known anywhere.
    Unknown,
}

/// Removes an address: the ledger's own ones are forgotten; the config's are suppressed (and
/// should be deleted from the config too).
///
/// # Errors
/// When the address is invalid or the ledger cannot be written.
pub fn remove(config: &Config, email: &str, now: DateTime<FixedOffset>) -> anyhow::Result<Removed> {
    let address = email.trim().to_lowercase();
    let listed = config
        .subscribers
        .iter()
        .any(|s| s.mailbox.email.to_string().eq_ignore_ascii_case(&address));
    let mut ledger = Ledger::open(&config.state_file)?;
    if listed {
        ledger.suppress(&address, "removed by the operator", now)?;
        return Ok(Removed::Suppressed);
    }
    Ok(if ledger.forget_subscriber(&address)? { Removed::Forgotten } else { Removed::Unknown })
}

/// What `import` did: rows added, and each refused row with its line and reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Addresses added or updated.
    pub added: usize,
    /// `(line, reason)` of each row left out.
    pub refused: Vec<(u64, String)>,
}

/// Imports a CSV with the header `email,name,topics` (name and topics optional; topics
/// separated by `;`), as `add` would, each row on its own.
///
/// # Errors
/// When the file cannot be read, has no `email` column, or the ledger cannot be written.
pub fn import(
    config: &Config,
    path: &Path,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<Imported> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let headers =
        reader.headers().with_context(|| format!("`{}`: no header line", path.display()))?;
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let email_at = column("email").with_context(|| {
        format!(
            "`{}` has no `email` column\nhint: the first line must be `email,name,topics`",
            path.display()
        )
    })?;
    let (name_at, topics_at) = (column("name"), column("topics"));
    let mut ledger = Ledger::open(&config.state_file)?;
    let mut imported = Imported::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                imported.refused.push((line, err.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let email = record.get(email_at).unwrap_or("");
        let address = match crate::config::check_address(email) {
            Ok(address) => address,
            Err(reason) => {
                imported.refused.push((line, format!("`{email}`: {reason}")));
                continue;
            }
        };
        let name = name_at.and_then(|at| record.get(at)).filter(|name| !name.is_empty());
        let topics: Option<Vec<String>> = topics_at
            .and_then(|at| record.get(at))
            .map(|cell| cell.split(';').map(str::to_owned).collect());
        let topics = match topics.map(|topics| check_topics(config, &topics)).transpose() {
            Ok(topics) => topics,
            Err(err) => {
                imported.refused.push((line, format!("`{email}`: {err}")));
                continue;
            }
        };
        ledger.add_subscriber(&address, name, topics.as_deref(), now)?;
        imported.added += 1;
    }
    Ok(imported)
}

/// Every address as CSV (`email,name,topics,status,source,created_at,confirmed_at,suppressed`,
/// topics separated by `;`), to keep or to leave for another tool.
///
/// # Errors
/// When the ledger cannot be read or the CSV written.
pub fn export(config: &Config, out: impl std::io::Write) -> anyhow::Result<usize> {
    let rows = list(config)?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "email",
        "name",
        "topics",
        "status",
        "source",
        "created_at",
        "confirmed_at",
        "suppressed",
    ])?;
    for row in &rows {
        writer.write_record([
            row.email.as_str(),
            row.name.as_str(),
            &row.topics.join(";"),
            row.status.as_str(),
            row.source.as_str(),
            row.created_at.as_str(),
            row.confirmed_at.as_str(),
            row.suppressed.as_str(),
        ])?;
    }
    writer.flush()?;
    Ok(rows.len())
}
