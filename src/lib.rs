//! newsdigest: a daily newsletter digest, built as a pipeline.
//!
//! `config → ingest → extract → select → summarize → render → archive`
//!
//! Each stage is a module with one main entry function; [`app`] is the only module that knows
//! their order. Pure stages (`extract`, `select`, `summarize`, `render`) take their input, their
//! config section and the time as arguments and do no I/O. See `ARCHITECTURE.md`.

pub mod app;
pub mod archive;
pub mod bounce;
pub mod clock;
pub mod config;
pub mod deliver;
pub mod extract;
pub mod ingest;
pub mod ledger;
pub mod model;
pub mod opml;
pub mod parallel;
pub mod render;
pub mod select;
pub mod shard;
pub mod summarize;
#[cfg(test)]
mod test_rng;
pub mod text;
pub mod token;
pub mod web;
