//! Helpers shared by the integration tests: fixture paths, articles read as a source would.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use newsdigest::model::Article;

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Reads and extracts one fixture file, as a `files` source would.
pub fn extract_fixture(rel: &str) -> Article {
    let path = fixture(rel);
    let raw = newsdigest::ingest::files::read_article(
        "fixtures",
        &path,
        newsdigest::ingest::files::DEFAULT_MAX_BYTES,
    )
    .unwrap();
    newsdigest::extract::clean(raw).unwrap_or_else(|err| panic!("{rel}: {err}"))
}

pub mod site;
pub mod smtp;
