//! Reads the TOML text into [`RawConfig`], reporting every unknown key and every value of
//! the wrong type in one pass, each with its key path and place in the file.
//!
//! serde stops at the first error. So the text is parsed once into toml's spanned document,
//! deserialized from it, and after each error the offending key (or array element) is taken
//! out of the document and the rest deserialized again, until it goes through. Each error's
//! key path is found from its place in the original document. Only `config/` sees this.

use std::ops::Range;

use serde::Deserialize as _;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, Deserializer};

use super::ConfigProblem;
use super::raw::RawConfig;

/// The most problems reported for one file before giving up on the rest.
const MAX_PROBLEMS: usize = 100;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Deserializes `text`, or returns every syntax, unknown-key and type problem in it.
pub(super) fn raw_config(text: &str) -> Result<RawConfig, Vec<ConfigProblem>> {
    let (original, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(syntax.iter().map(|err| problem(err, String::new())).collect());
    }
    let mut document = original.clone();
    let mut problems: Vec<ConfigProblem> = Vec::new();
    while problems.len() < MAX_PROBLEMS {
        let err = match RawConfig::deserialize(Deserializer::from(document.clone())) {
            Ok(raw) if problems.is_empty() => return Ok(raw),
            Ok(_) => break,
            Err(err) => err,
        };
        let Some(span) = err.span() else {
            problems.push(problem(&err, String::new()));
            break;
        };
        let key = locate(original.get_ref(), &span).map(|path| display(&path)).unwrap_or_default();
        // A required key whose bad value was taken out is reported once, not again as missing.
        let follows_earlier = err.message().starts_with("missing field")
            && problems.iter().any(|earlier| earlier.key.starts_with(&format!("{key}.")));
        if !follows_earlier {
            problems.push(problem(&err, key));
        }
        let removed = locate(document.get_ref(), &span)
            .filter(|path| !path.is_empty())
            .is_some_and(|path| remove(document.get_mut(), &path));
        if !removed {
            break;
        }
    }
    problems.sort_by_key(|problem| problem.span.as_ref().map_or(usize::MAX, |span| span.start));
    Err(problems)
}

fn problem(err: &toml::de::Error, key: String) -> ConfigProblem {
    let message = err.message().trim_end().to_owned();
    ConfigProblem { key, message, hint: None, span: err.span() }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The deepest key or element whose key or value holds `span`.
fn locate(table: &DeTable<'_>, span: &Range<usize>) -> Option<Vec<Step>> {
    for (key, value) in table.iter() {
        if contains(&key.span(), span) {
            return Some(vec![Step::Key(key.get_ref().to_string())]);
        }
        if contains(&value.span(), span) || value_holds(value.get_ref(), span) {
            let mut path = vec![Step::Key(key.get_ref().to_string())];
            path.extend(locate_in(value.get_ref(), span).unwrap_or_default());
            return Some(path);
        }
    }
    None
}

fn locate_in(value: &DeValue<'_>, span: &Range<usize>) -> Option<Vec<Step>> {
    match value {
        DeValue::Table(table) => locate(table, span),
        DeValue::Array(array) => array.iter().enumerate().find_map(|(idx, item)| {
            let inside = contains(&item.span(), span) || value_holds(item.get_ref(), span);
            inside.then(|| {
                let mut path = vec![Step::Index(idx)];
                path.extend(locate_in(item.get_ref(), span).unwrap_or_default());
                path
            })
        }),
        _ => None,
    }
}

/// True when a table or array holds `span` somewhere inside (the span of an array of tables
/// does not always cover its elements' keys).
fn value_holds(value: &DeValue<'_>, span: &Range<usize>) -> bool {
    match value {
        DeValue::Table(table) => locate(table, span).is_some(),
        DeValue::Array(array) => array
            .iter()
            .any(|item| contains(&item.span(), span) || value_holds(item.get_ref(), span)),
        _ => false,
    }
}

/// Takes the key or element at `path` out of the document; false when there is none.
fn remove(table: &mut DeTable<'_>, path: &[Step]) -> bool {
    let Some((Step::Key(first), rest)) = path.split_first() else { return false };
    if rest.is_empty() {
        return table.remove(first.as_str()).is_some();
    }
    match table.get_mut(first.as_str()).map(Spanned::get_mut) {
        Some(value) => remove_in(value, rest),
        None => false,
    }
}

fn remove_in(value: &mut DeValue<'_>, path: &[Step]) -> bool {
    match (value, path.split_first()) {
        (DeValue::Table(table), Some(_)) => remove(table, path),
        (DeValue::Array(array), Some((Step::Index(idx), rest))) => {
            if rest.is_empty() {
                let mut kept = DeArray::new();
                let mut found = false;
                for (at, item) in array.iter().enumerate() {
                    if at == *idx {
                        found = true;
                    } else {
                        kept.push(item.clone());
                    }
                }
                *array = kept;
                found
            } else {
                array.get_mut(*idx).is_some_and(|item| remove_in(item.get_mut(), rest))
            }
        }
        _ => false,
    }
}

/// `subscribers[2].topics`.
fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(idx) => out.push_str(&format!("[{idx}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_and_messages(text: &str) -> Vec<(String, String)> {
        raw_config(text)
            .unwrap_err()
            .into_iter()
            .map(|problem| (problem.key, problem.message))
            .collect()
    }

    /// See issue 8, failure 8: only the first unknown key or type error was reported, the
    /// type error without its key path.
    #[test]
    fn r8_every_unknown_key_and_type_error_at_once() {
        let text = "[select]\nmax_item = 3\nmax_per_topic = \"five\"\n\
                    [summary]\nmax_words = 4.5\n\
                    [fetchh]\ntimeout = \"1s\"\n\
                    [[topics]]\nid = \"a\"\nkeywords = [\"x\", 3]\n\
                    [[topics]]\nid = 7\nkeywords = [\"y\"]\n\
                    [[sources]]\nkind = \"feed\"\nurll = \"x\"\n";
        let problems = keys_and_messages(text);
        let keys: Vec<&str> = problems.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "select.max_item",
                "select.max_per_topic",
                "summary.max_words",
                "fetchh",
                "topics[0].keywords[1]",
                "topics[1].id",
                "sources[0].urll",
            ],
            "{problems:?}"
        );
        assert!(problems[0].1.starts_with("unknown field `max_item`, expected one of"));
        assert!(problems[1].1.contains("invalid type: string \"five\""), "{}", problems[1].1);
    }

    #[test]
    fn a_valid_file_still_deserializes() {
        let raw = raw_config("[select]\nmax_per_topic = 3\n").unwrap();
        assert_eq!(*raw.select.max_per_topic.get_ref(), 3);
    }
}
