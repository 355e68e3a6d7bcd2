//! Configuration: `config.toml` parsed once into validated, typed sections.
//!
//! [`raw`] is the serde mirror of the file; [`validate`] turns it into [`Config`], collecting
//! every problem before failing. Each stage receives only its own section.

pub mod raw;
pub mod validate;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;

use crate::model::Subscriber;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[digest]` and the parts of it that rendering needs.
    pub digest: DigestConfig,
    /// `[select]` plus the topics.
    pub select: SelectConfig,
    /// `[summary]`.
    pub summary: SummaryConfig,
    /// `[[sources]]`.
    pub sources: Vec<SourceConfig>,
    /// `[[subscribers]]`.
    pub subscribers: Vec<Subscriber>,
}

/// `[digest]`.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// Title of every digest.
    pub title: String,
    /// Language code (`en`).
    pub language: String,
    /// Folder for previews and the archive (absolute, or relative to the working directory).
    pub output_dir: PathBuf,
}

/// `[select]` with the compiled topic list.
#[derive(Debug, Clone)]
pub struct SelectConfig {
    /// Articles published within this span before "now" are eligible.
    pub window: TimeDelta,
    /// Most articles per topic section.
    pub max_per_topic: usize,
    /// Name of the catch-all section for unmatched articles, when configured.
    pub other_section: Option<String>,
    /// Topics, in the configured order.
    pub topics: Vec<TopicConfig>,
}

/// One `[[topics]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Keywords and phrases.
    pub keywords: Vec<String>,
    /// Exclusions.
    pub exclude: Vec<String>,
    /// Least score for a match.
    pub min_score: f64,
}

/// `[summary]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryConfig {
    /// Most whole sentences.
    pub max_sentences: usize,
    /// Word budget; `None` lifts it (`article --sentences N`).
    pub max_words: Option<usize>,
}

/// One `[[sources]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceConfig {
    /// Article files under a folder.
    Files {
        /// Unique id.
        id: String,
        /// The folder (resolved against the config file's folder).
        path: PathBuf,
    },
}

impl SourceConfig {
    /// The source's id.
    pub fn id(&self) -> &str {
        match self {
            SourceConfig::Files { id, .. } => id,
        }
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    ///
    /// # Errors
    /// [`ConfigError`] when the file cannot be read, is not valid TOML, or has invalid values;
    /// all problems are collected.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            path: path.to_path_buf(),
            problems: vec![ConfigProblem::new("", format!("cannot read the file: {err}"))],
            text: String::new(),
        })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base_dir).map_err(|problems| ConfigError {
            path: path.to_path_buf(),
            problems,
            text,
        })
    }

    /// Parses and validates config text; relative paths are resolved against `base_dir`.
    ///
    /// # Errors
    /// Every problem found, each with its key path and, where known, its place in `text`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Config, Vec<ConfigProblem>> {
        let raw: raw::RawConfig = toml::from_str(text).map_err(|err| {
            let message = err.message().trim_end().to_owned();
            vec![ConfigProblem { key: String::new(), message, hint: None, span: err.span() }]
        })?;
        validate::validate(raw, base_dir)
    }

    /// The configuration used when there is no config file: defaults, no sources, no topics.
    pub fn defaults() -> Config {
        #[allow(clippy::expect_used, reason = "the defaults are valid: tested below")]
        Config::parse("", Path::new(".")).expect("the default config is valid")
    }
}

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Key path, `subscribers[2].topics`; empty for file-level problems.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
}

impl ConfigProblem {
    /// A problem at a key path with no known place in the file.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem { key: key.into(), message: message.into(), hint: None, span: None }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the byte range in the file (ignored when empty, as for defaults).
    pub fn at(mut self, span: Range<usize>) -> Self {
        if !span.is_empty() {
            self.span = Some(span);
        }
        self
    }
}

/// A config file that could not be used, with every problem found in it.
#[derive(Debug, Clone)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// The problems, in file order.
    pub problems: Vec<ConfigProblem>,
    /// The file's text, to turn spans into line and column.
    text: String,
}

impl ConfigError {
    /// Wraps problems found in `text` (read from `path`).
    pub fn new(path: PathBuf, text: String, problems: Vec<ConfigProblem>) -> Self {
        ConfigError { path, problems, text }
    }
}

impl std::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "invalid config `{}`: {count} {noun}", self.path.display())?;
        for problem in &self.problems {
            write!(f, "\n  ")?;
            if let Some(span) = &problem.span {
                let (line, column) = line_column(&self.text, span.start);
                write!(f, "{}:{line}:{column}: ", self.path.display())?;
            }
            if !problem.key.is_empty() {
                write!(f, "{}: ", problem.key)?;
            }
            write!(f, "{}", problem.message)?;
            if let Some(hint) = &problem.hint {
                write!(f, "\n    hint: {hint}")?;
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |rest| rest.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let config = Config::defaults();
        assert_eq!(config.summary, SummaryConfig { max_sentences: 3, max_words: Some(60) });
        assert_eq!(config.select.window, TimeDelta::hours(24));
        assert_eq!(config.select.max_per_topic, 5);
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 0), (1, 1));
    }
}
