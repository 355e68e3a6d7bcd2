//! Ingest: find and read the articles each source holds. I/O lives here, not understanding.
//!
//! One bad file, folder or feed never stops the run: failures are data in
//! [`Ingested::failures`] and [`fetch::FetchError`]. Ingest never reads the clock and never
//! interprets article content; `extract` does that. [`files`] reads folders, [`feed`] feeds
//! (over [`fetch`], the HTTP client).

pub mod cdf;
pub mod codepage_tables;
pub mod codepages;
pub mod dialects;
pub mod feed;
pub mod fetch;
pub mod files;
pub mod guard;

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

/// Reads every `files` source (feeds are fetched by [`feed::fetch`]).
pub fn collect(sources: &[SourceConfig]) -> Ingested {
    let mut ingested = Ingested::default();
    for source in sources {
        match source {
            SourceConfig::Files { id, path, name, max_bytes } => {
                files::collect(id, name.as_deref(), path, *max_bytes, &mut ingested);
            }
            SourceConfig::Feed(_) => {}
        }
    }
    ingested
}
