//! A short, deterministic pass of the mutation fuzzer over every parser of untrusted input
//! (config TOML, the subscriber CSV, text dumps, Markdown, HTML pages, feeds, OPML, bounces): no
//! panic, and every input within a time bound proportional to its size. The long run is
//! `cargo run --release --example fuzz -- --minutes N` (see the README).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzzing;

use std::path::Path;

#[test]
fn every_parser_survives_a_short_fuzzing_pass() {
    let targets = fuzzing::targets(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert_eq!(targets.len(), 8);
    for target in &targets {
        assert!(!target.seeds.is_empty(), "{} has no seeds", target.name);
    }
    let summary = fuzzing::run(&targets, 8, 200, None);
    let tried: u64 = summary.tried.iter().map(|(_, n)| n).sum();
    assert_eq!(tried, 8 * 200, "{:?}", summary.tried);
    let failures: Vec<String> = summary
        .failures
        .iter()
        .map(|failure| {
            let head: String = String::from_utf8_lossy(&failure.input).chars().take(200).collect();
            format!(
                "{}: {} ({} bytes: {head:?})",
                failure.target,
                failure.reason,
                failure.input.len()
            )
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn mutations_are_deterministic_and_vary() {
    let seed = b"<rss><item><title>A</title></item></rss>".to_vec();
    let mut one = fuzzing::Rng::new(3);
    let mut two = fuzzing::Rng::new(3);
    let first: Vec<Vec<u8>> = (0..20).map(|_| fuzzing::mutate(&mut one, &seed, &[])).collect();
    let second: Vec<Vec<u8>> = (0..20).map(|_| fuzzing::mutate(&mut two, &seed, &[])).collect();
    assert_eq!(first, second);
    assert!(first.iter().filter(|input| **input != seed).count() >= 18);
}

/// Inputs the long runs found (a panic or a slow input each), fixed and kept here: each must
/// pass its parser within the time bound.
#[test]
fn inputs_found_by_fuzzing_stay_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let targets = fuzzing::targets(root);
    let target = |name: &str| targets.iter().find(|target| target.name == name).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    for (file, name) in [
        ("html-bogus-comment-title.html", "html"),
        ("feed-second-declaration.xml", "feed"),
        ("feed-broken-declaration.xml", "feed"),
        ("bounce-lowercase-offset.eml", "bounce"),
        ("bounce-json-braces.eml", "bounce"),
        ("bounce-status-not-ascii.eml", "bounce"),
    ] {
        let input = std::fs::read(root.join("tests/fixtures/fuzz").join(file)).unwrap();
        let started = std::time::Instant::now();
        (target(name).run)(&input, scratch.path());
        let took = started.elapsed();
        assert!(took <= fuzzing::time_bound(input.len()), "{file} took {took:?}");
    }
}
