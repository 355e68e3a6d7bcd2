//! Subscribers: `[[subscribers]]` tables and the rows of `subscribers_file` (CSV), checked
//! the same way.
//!
//! Every address is parsed as a lettre [`Mailbox`] once, here; an invalid address, an unknown
//! topic or an address subscribed twice is a problem that names its place (config line and
//! column, or the CSV file and line). Nothing here sends or reads the ledger.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

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

/// The addresses seen so far (lowercased) and where each was first seen.
type Seen = BTreeMap<String, String>;

/// The `[[subscribers]]` tables.
pub(super) fn from_config(
    raw: &RawConfig,
    topics: &[TopicConfig],
    problems: &mut Vec<ConfigProblem>,
) -> (Vec<Subscriber>, Seen) {
    let known: Vec<&str> = topics.iter().map(|topic| topic.id.as_str()).collect();
    let mut seen = Seen::new();
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
            &mut seen,
            problems,
        );
        subscribers.extend(checked);
    }
    (subscribers, seen)
}

/// The rows of a CSV file with the header `email,name,topics` (topics separated by `;`, an
/// empty cell meaning every topic), appended to `subscribers`.
pub(super) fn from_csv(
    file: &Spanned<String>,
    base_dir: &Path,
    topics: &[TopicConfig],
    subscribers: &mut Vec<Subscriber>,
    seen: &mut Seen,
    problems: &mut Vec<ConfigProblem>,
) {
    let path_text = file.get_ref().trim();
    let path = base_dir.join(path_text);
    let problem = |message: String| ConfigProblem::new("subscribers_file", message).at(file.span());
    let mut reader = match csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(&path) {
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
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                problems.push(problem(format!("`{path_text}` line {line}: {err}")));
                continue;
            }
        };
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
        let place = Place::Csv { file: path_text, line, key_span: file.span() };
        subscribers.extend(check((email, 0..0), name, &topic_ids, &known, &place, seen, problems));
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
    seen: &mut Seen,
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
    let here = match place {
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
    if let Some(mailbox) = &mailbox {
        let folded = mailbox.email.to_string().to_lowercase();
        if let Some(first) = seen.get(&folded) {
            problems.push(problem(
                "email",
                format!("`{email}` is already subscribed as {first}"),
                email_span,
            ));
        } else {
            seen.insert(folded, here);
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

    #[test]
    fn csv_without_email_column_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "subs.csv", "address,name\nana@example.org,Ana\n");
        let problems = Config::parse("subscribers_file = \"subs.csv\"", dir.path()).unwrap_err();
        assert_eq!(problems[0].message, "`subs.csv` line 1: the header has no `email` column");
    }
}
