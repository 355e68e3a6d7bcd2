//! Subscribers: `[[subscribers]]` tables and the rows of `subscribers_file` (CSV), checked
//! the same way.
//!
//! Every address is parsed as a lettre [`Mailbox`] once, here; an invalid address, an unknown
//! topic or an address subscribed twice is a problem that names its place (config line and
//! column, or the CSV file and line). Nothing here sends or reads the ledger.
//!
//! A list of a million is checked without being kept: [`ListMode::Check`] reads every row,
//! finds duplicates through 64-bit hashes of the addresses (16 MB for a million, where the
//! addresses themselves would take ten times that), and keeps nothing; `run` then reads the
//! rows again as it goes ([`for_each_row`]).

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use toml::Spanned;

use super::raw::RawConfig;
use super::validate::suggest;
use super::{ConfigProblem, TopicConfig};
use crate::model::Subscriber;

/// Where a subscriber was written, for problems.
enum Place<'a> {
    /// `[[subscribers]]` entry `idx`, with the spans of its values.
    Config { idx: usize },
    /// Line `line` of the CSV file `file`.
    Csv { file: &'a str, line: u64, key_span: Range<usize> },
}

/// How the rows of `subscribers_file` are read when the config is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMode {
    /// Not read at all (the commands that work on the ledger alone).
    Skip,
    /// Every row checked, none kept: `run` reads them again as it goes.
    Check,
    /// Every row checked and kept in [`crate::config::Config::subscribers`].
    Load,
}

/// The config's `subscribers_file`: where it is, and whether its rows were loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberList {
    /// The file.
    pub path: PathBuf,
    /// The path as the config writes it, for messages.
    pub written: String,
    /// The value's place in the config.
    span: Range<usize>,
    /// How the config was loaded: with [`ListMode::Load`] the rows are in `subscribers`.
    pub mode: ListMode,
    /// The valid rows found when the config was loaded (`None` with [`ListMode::Skip`]).
    pub rows: Option<usize>,
}

impl SubscriberList {
    pub(super) fn new(file: &Spanned<String>, base_dir: &Path, mode: ListMode) -> Self {
        let written = file.get_ref().trim().to_owned();
        SubscriberList {
            path: base_dir.join(&written),
            written,
            span: file.span(),
            mode,
            rows: None,
        }
    }
}

/// The addresses seen so far (lowercased): those of `[[subscribers]]`, and with
/// [`Seen::exact`] those of the CSV, with where each was first seen; otherwise the CSV's as
/// 64-bit hashes, a repeated hash making the whole file be checked again exactly.
pub(super) struct Seen {
    places: BTreeMap<String, String>,
    hashes: Option<HashSet<u64>>,
    /// A hash was seen twice: a duplicate, or (once in billions) two addresses that share a
    /// hash.
    suspect: bool,
}

impl Seen {
    fn exact() -> Self {
        Seen { places: BTreeMap::new(), hashes: None, suspect: false }
    }

    /// Where `folded` was first seen, if it was; records it otherwise.
    fn first_place(
        &mut self,
        folded: String,
        here: impl FnOnce() -> String,
        csv: bool,
    ) -> Option<String> {
        if let Some(first) = self.places.get(&folded) {
            return Some(first.clone());
        }
        match &mut self.hashes {
            Some(hashes) if csv => {
                let mut hasher = std::hash::DefaultHasher::new();
                folded.hash(&mut hasher);
                if !hashes.insert(hasher.finish()) {
                    self.suspect = true;
                }
            }
            _ => {
                self.places.insert(folded, here());
            }
        }
        None
    }
}

/// The `[[subscribers]]` tables.
pub(super) fn from_config(
    raw: &RawConfig,
    topics: &[TopicConfig],
    problems: &mut Vec<ConfigProblem>,
) -> (Vec<Subscriber>, Seen) {
    let known: Vec<&str> = topics.iter().map(|topic| topic.id.as_str()).collect();
    let mut seen = Seen::exact();
    let mut subscribers = Vec::new();
    for (idx, raw_subscriber) in raw.subscribers.iter().enumerate() {
        let topic_ids: Vec<(&str, Range<usize>)> = raw_subscriber
            .topics
            .iter()
            .map(|topic: &Spanned<String>| (topic.get_ref().as_str(), topic.span()))
            .collect();
        let checked = check(
            (raw_subscriber.email.get_ref(), raw_subscriber.email.span()),
            raw_subscriber.name.as_deref(),
            &topic_ids,
            &known,
            &Place::Config { idx },
            Some(&mut seen),
            problems,
        );
        subscribers.extend(checked);
    }
    (subscribers, seen)
}

/// Checks the rows of the CSV file with the header `email,name,topics` (topics separated by
/// `;`, an empty cell meaning every topic); with [`ListMode::Load`] appends them to
/// `subscribers`. Duplicates are found through hashes, and only when one is suspected is the
/// file read again keeping every address, to name where each was first seen.
pub(super) fn from_csv(
    list: &mut SubscriberList,
    topics: &[TopicConfig],
    subscribers: &mut Vec<Subscriber>,
    mut seen: Seen,
    problems: &mut Vec<ConfigProblem>,
) {
    let (before, listed) = (problems.len(), subscribers.len());
    let mut hashed = Seen { hashes: Some(HashSet::new()), ..Seen::exact() };
    hashed.places.clone_from(&seen.places);
    let keep = list.mode == ListMode::Load;
    // Reads the file with `seen`; returns the valid rows, kept in `subscribers` with `Load`.
    let read = |seen: &mut Seen, problems: &mut Vec<ConfigProblem>, kept: &mut Vec<Subscriber>| {
        let mut rows = 0;
        read_csv(list, topics, Some(seen), problems, &mut |subscriber| {
            rows += 1;
            if keep {
                kept.push(subscriber);
            }
        });
        rows
    };
    let mut rows = read(&mut hashed, problems, subscribers);
    if hashed.suspect {
        problems.truncate(before);
        subscribers.truncate(listed);
        rows = read(&mut seen, problems, subscribers);
    }
    list.rows = Some(rows);
}

/// Calls `each` with every row of the list, checked again as it is read (the file may have
/// changed since the config was loaded): `run` reads a list of a million this way rather than
/// keeping it. Duplicates are not looked for again; the ledger keeps one row per address.
///
/// # Errors
/// The first row that is no longer valid, naming the file and line, or what `each` returns.
pub fn for_each_row(
    list: &SubscriberList,
    topics: &[TopicConfig],
    mut each: impl FnMut(Subscriber) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let mut failed = None;
    read_csv(list, topics, None, &mut problems, &mut |subscriber| {
        if failed.is_none()
            && let Err(err) = each(subscriber)
        {
            failed = Some(err);
        }
    });
    if let Some(err) = failed {
        return Err(err);
    }
    if let Some(problem) = problems.first() {
        anyhow::bail!(
            "{}: {} (the file changed since the config was checked; run again)",
            list.path.display(),
            problem.message
        );
    }
    Ok(())
}

fn read_csv(
    list: &SubscriberList,
    topics: &[TopicConfig],
    mut seen: Option<&mut Seen>,
    problems: &mut Vec<ConfigProblem>,
    each: &mut dyn FnMut(Subscriber),
) {
    let path_text = list.written.as_str();
    let path = &list.path;
    let problem =
        |message: String| ConfigProblem::new("subscribers_file", message).at(list.span.clone());
    let mut reader = match csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path) {
        Ok(reader) => reader,
        Err(err) => {
            problems.push(problem(format!("cannot read `{}`: {err}", path.display())));
            return;
        }
    };
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(str::to_ascii_lowercase).collect(),
        Err(err) => {
            problems.push(problem(format!("`{path_text}` line 1: {err}")));
            return;
        }
    };
    let column = |name: &str| header.iter().position(|cell| cell == name);
    let (Some(email_col), name_col, topics_col) =
        (column("email"), column("name"), column("topics"))
    else {
        problems.push(
            problem(format!("`{path_text}` line 1: the header has no `email` column"))
                .hint("start the file with the line `email,name,topics`"),
        );
        return;
    };
    let known: Vec<&str> = topics.iter().map(|topic| topic.id.as_str()).collect();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                problems.push(problem(format!("`{path_text}` line {line}: {err}")));
                // An I/O error does not move the reader on: stop rather than repeat it.
                if matches!(err.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let email = record.get(email_col).unwrap_or("");
        if email.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let name = name_col.and_then(|col| record.get(col)).filter(|name| !name.is_empty());
        let topic_ids: Vec<(&str, Range<usize>)> = topics_col
            .and_then(|col| record.get(col))
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| (id, 0..0))
            .collect();
        let place = Place::Csv { file: path_text, line, key_span: list.span.clone() };
        let checked =
            check((email, 0..0), name, &topic_ids, &known, &place, seen.as_deref_mut(), problems);
        if let Some(subscriber) = checked {
            each(subscriber);
        }
    }
}

/// The longest display name, in characters (a header line must stay within 998 octets).
pub(crate) const MAX_NAME_CHARS: usize = crate::deliver::message::MAX_NAME_CHARS;

/// Checks an address given outside the config (a sign-up, the shell) as the config checks
/// its own: a valid address that relays take. Returns it lower-cased.
///
/// # Errors
/// Why it is refused, in words.
pub fn check_address(email: &str) -> Result<String, String> {
    let address = email.trim().parse::<lettre::Address>().map_err(|err| err.to_string())?;
    relayable(&address)?;
    Ok(address.to_string().to_lowercase())
}

/// Whether relays take `address`: lettre accepts forms that RFC 5321 allows but no relay
/// delivers, and a relay would refuse them only at send time.
///
/// # Errors
/// Why the address would be refused, in words.
pub(crate) fn relayable(address: &lettre::Address) -> Result<(), String> {
    let text: &str = address.as_ref();
    if text.len() > 254 {
        return Err(format!("{} characters long; an address has at most 254", text.len()));
    }
    if address.user().starts_with('"') {
        return Err("a quoted local part, which relays refuse".to_owned());
    }
    if address.domain().starts_with('[') {
        return Err("an address literal; write a domain name after the @".to_owned());
    }
    Ok(())
}

/// Checks one subscriber; `None` when its address is invalid.
fn check(
    (email, email_span): (&str, Range<usize>),
    name: Option<&str>,
    topic_ids: &[(&str, Range<usize>)],
    known: &[&str],
    place: &Place<'_>,
    seen: Option<&mut Seen>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Subscriber> {
    let problem = |field: &str, message: String, span: Range<usize>| match place {
        Place::Config { idx } => {
            ConfigProblem::new(format!("subscribers[{idx}].{field}"), message).at(span)
        }
        Place::Csv { file, line, key_span } => {
            ConfigProblem::new("subscribers_file", format!("`{file}` line {line}: {message}"))
                .at(key_span.clone())
        }
    };
    let here = || match place {
        Place::Config { idx } => format!("subscribers[{idx}]"),
        Place::Csv { file, line, .. } => format!("`{file}` line {line}"),
    };
    let email = email.trim();
    let name = name.map(crate::text::normalize).filter(|name| !name.is_empty());
    if let Some(name) = &name
        && name.chars().count() > MAX_NAME_CHARS
    {
        problems.push(problem(
            "name",
            format!(
                "the name is {} characters long; at most {MAX_NAME_CHARS} fit in a mail header",
                name.chars().count()
            ),
            email_span.clone(),
        ));
    }
    let mailbox = match email
        .parse::<lettre::Address>()
        .map_err(|err| err.to_string())
        .and_then(|address| relayable(&address).map(|()| address))
    {
        Ok(address) => Some(Mailbox::new(name, address)),
        Err(err) => {
            problems.push(
                problem(
                    "email",
                    format!("`{email}` is not a valid email address ({err})"),
                    email_span.clone(),
                )
                .hint("write a bare address such as `jane@example.com`; put the name in `name`"),
            );
            None
        }
    };
    if let (Some(mailbox), Some(seen)) = (&mailbox, seen) {
        let folded = mailbox.email.to_string().to_lowercase();
        let csv = matches!(place, Place::Csv { .. });
        if let Some(first) = seen.first_place(folded, here, csv) {
            problems.push(problem(
                "email",
                format!("`{email}` is already subscribed as {first}"),
                email_span,
            ));
        }
    }
    let mut subscriber_topics: Vec<String> = Vec::new();
    for (id, span) in topic_ids {
        let id = id.trim();
        if known.contains(&id) {
            if !subscriber_topics.iter().any(|topic| topic == id) {
                subscriber_topics.push(id.to_owned());
            }
            continue;
        }
        let mut unknown = problem("topics", format!("unknown topic \"{id}\""), span.clone());
        unknown = match suggest(id, known) {
            Some(near) => unknown.hint(format!("did you mean \"{near}\"?")),
            None if known.is_empty() => unknown.hint("no topics are defined: add [[topics]]"),
            None => unknown.hint(format!("known topics: {}", known.join(", "))),
        };
        problems.push(unknown);
    }
    let from_file = !matches!(place, Place::Config { .. });
    mailbox.map(|mailbox| Subscriber { mailbox, topics: subscriber_topics, id: None, from_file })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    const TOPICS: &str = "[[topics]]\nid = \"climate\"\nkeywords = [\"climate\"]\n\
                          [[topics]]\nid = \"health\"\nkeywords = [\"vaccine\"]\n";

    #[test]
    fn csv_rows_are_read_with_names_and_topics() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "subs.csv",
            "email,name,topics\nana@example.org,\"Pereira, Ana\",climate;health\n\nben@example.org,,\n",
        );
        let text = format!("subscribers_file = \"subs.csv\"\n{TOPICS}");
        let config = Config::parse(&text, dir.path()).unwrap();
        assert_eq!(config.subscribers.len(), 2);
        assert_eq!(config.subscribers[0].mailbox.to_string(), "\"Pereira, Ana\" <ana@example.org>");
        assert_eq!(config.subscribers[0].topics, ["climate", "health"]);
        assert!(config.subscribers[1].topics.is_empty());
        assert_eq!(config.subscribers[1].mailbox.name, None);
    }

    #[test]
    fn csv_problems_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "subs.csv",
            "email,name,topics\nnot-an-address,A,climate\nana@example.org,Ana,climat\nANA@example.org,Ana again,\n",
        );
        let text = format!(
            "subscribers_file = \"subs.csv\"\n{TOPICS}[[subscribers]]\nemail = \"ana@example.org\"\n"
        );
        let problems = Config::parse(&text, dir.path()).unwrap_err();
        let messages: Vec<String> =
            problems.iter().map(|p| format!("{}: {}", p.key, p.message)).collect();
        assert_eq!(
            messages,
            [
                "subscribers_file: `subs.csv` line 2: `not-an-address` is not a valid email address (Missing domain or user)",
                "subscribers_file: `subs.csv` line 3: `ana@example.org` is already subscribed as subscribers[0]",
                "subscribers_file: `subs.csv` line 3: unknown topic \"climat\"",
                "subscribers_file: `subs.csv` line 4: `ANA@example.org` is already subscribed as subscribers[0]",
            ]
        );
        assert_eq!(problems[2].hint.as_deref(), Some("did you mean \"climate\"?"));
    }

    /// See issue 8, failure 8: addresses no relay takes passed `check` and failed at send
    /// time with "missing destination address".
    #[test]
    fn r8_addresses_relays_refuse_and_overlong_names_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!(
            "{}@{}.{}.{}.org",
            "l".repeat(64),
            "d".repeat(62),
            "e".repeat(62),
            "f".repeat(62)
        );
        write(
            dir.path(),
            "subs.csv",
            &format!(
                "email,name\n\"\"\"q\"\"@example.org\",Quoted\nx@[127.0.0.1],Literal\n{long},Long\nok@example.org,{}\n",
                "N".repeat(300)
            ),
        );
        let problems = Config::parse("subscribers_file = \"subs.csv\"", dir.path()).unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`subs.csv` line 2: `\"q\"@example.org` is not a valid email address (a quoted local part, which relays refuse)",
                "`subs.csv` line 3: `x@[127.0.0.1]` is not a valid email address (an address literal; write a domain name after the @)",
                &format!(
                    "`subs.csv` line 4: `{long}` is not a valid email address (257 characters long; an address has at most 254)"
                ),
                "`subs.csv` line 5: the name is 300 characters long; at most 200 fit in a mail header",
            ]
        );
    }

    /// Issue 13: a list checked without being kept (`run`) finds the same problems, the
    /// duplicates through hashes and then exactly, and keeps no row.
    #[test]
    fn a_checked_list_keeps_no_rows_and_names_its_problems_the_same() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "subs.csv",
            "email,name,topics\nana@example.org,Ana,climate\nben@example.org,Ben,\nBEN@example.org,B,climat\n",
        );
        let text = format!("subscribers_file = \"subs.csv\"\n{TOPICS}");
        write(dir.path(), "config.toml", &text);
        let loaded = Config::parse(&text, dir.path()).unwrap_err();
        let checked = Config::load_checking_list(&dir.path().join("config.toml")).unwrap_err();
        assert_eq!(checked.problems, loaded);
        let messages: Vec<&str> = loaded.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`subs.csv` line 4: `BEN@example.org` is already subscribed as `subs.csv` line 3",
                "`subs.csv` line 4: unknown topic \"climat\"",
            ]
        );

        write(
            dir.path(),
            "subs.csv",
            "email,name,topics\nana@example.org,Ana,climate\nben@example.org,,\n",
        );
        let config = Config::load_checking_list(&dir.path().join("config.toml")).unwrap();
        assert!(config.subscribers.is_empty());
        assert_eq!(config.subscribers_file.as_ref().and_then(|list| list.rows), Some(2));
        assert!(config.warnings().is_empty(), "a list of two is not `no subscribers`");
        let mut read = Vec::new();
        config
            .for_each_listed(|subscriber| {
                read.push((
                    subscriber.mailbox.to_string(),
                    subscriber.topics,
                    subscriber.from_file,
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            read,
            [
                ("Ana <ana@example.org>".to_owned(), vec!["climate".to_owned()], true),
                ("ben@example.org".to_owned(), Vec::new(), true),
            ]
        );

        // A row that went bad since the check stops the reading, naming its line.
        write(dir.path(), "subs.csv", "email,name,topics\nana@example.org,Ana,climate\nben@,,\n");
        let err = config.for_each_listed(|_| Ok(())).unwrap_err().to_string();
        assert!(
            err.contains("`subs.csv` line 3: `ben@` is not a valid email address")
                && err.contains("the file changed since the config was checked"),
            "{err}"
        );
    }

    #[test]
    fn csv_without_email_column_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "subs.csv", "address,name\nana@example.org,Ana\n");
        let problems = Config::parse("subscribers_file = \"subs.csv\"", dir.path()).unwrap_err();
        assert_eq!(problems[0].message, "`subs.csv` line 1: the header has no `email` column");
    }
}
