//! Ingest: find and read the articles each source holds. I/O lives here, not understanding.
//!
//! One bad file or folder never stops the run: failures are data in [`Ingested::failures`].
//! Ingest never reads the clock and never parses article content; `extract` does that.

pub mod files;

use std::path::PathBuf;

use crate::config::SourceConfig;
use crate::model::RawArticle;

/// What the sources held.
#[derive(Debug, Default)]
pub struct Ingested {
    /// Files read, in a stable order (source order, then path).
    pub items: Vec<RawArticle>,
    /// Files or sources that could not be read.
    pub failures: Vec<SourceFailure>,
}

/// A file or source that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    /// The source's id.
    pub source_id: String,
    /// The file or folder concerned.
    pub path: PathBuf,
    /// Why, in words.
    pub reason: String,
}

/// Reads every configured source.
pub fn collect(sources: &[SourceConfig]) -> Ingested {
    let mut ingested = Ingested::default();
    for source in sources {
        match source {
            SourceConfig::Files { id, path } => files::collect(id, path, &mut ingested),
        }
    }
    ingested
}
