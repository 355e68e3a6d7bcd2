//! Extraction throughput on the development set, against trafilatura in the same command:
//! `cargo bench --bench extract [-- --python PATH] [--devset DIR]`.
//!
//! Reads the dev set's 90 HTML pages and 90 text dumps (`../shared/devset` beside the
//! repository, or `--devset DIR`) into a temporary folder, then extracts every page the way
//! `run` does (read, decode, extract, classify), on one core and on every core, best of ten
//! rounds (a round of the dev set takes a tenth of a second, so on a shared machine a few
//! rounds can all fall on a busy moment). It also times the HTML pages as trafilatura's
//! figure is taken: the pages' bytes read into memory first, then decoded and extracted,
//! nothing else. With `--python PATH` (a Python with trafilatura installed, see
//! `scripts/bench_extract.sh`), it times `trafilatura.extract` over the same HTML pages
//! in-process (`scripts/trafilatura_pages.py`, which reads them into memory before its clock
//! starts; best of five rounds of about 1.6 s each) before newsdigest and again after it,
//! and prints each figure as a multiple of the faster of the two.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use newsdigest::config::Config;
use newsdigest::ingest::files::{DEFAULT_MAX_BYTES, decode, read_article};
use newsdigest::model::RawArticle;
use newsdigest::select::{TopicMatcher, classify};

mod support;

/// The allocator `newsdigest` itself runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 10;

/// trafilatura's rounds: each reads the dev set once, in about 1.6 s.
const TRAFILATURA_ROUNDS: &str = "5";

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|arg| arg == flag).and_then(|i| args.get(i + 1));
    let devset = value("--devset").map_or_else(|| root.join("../shared/devset"), PathBuf::from);
    if !devset.join("truth.jsonl").exists() {
        println!(
            "extraction benchmark: no dev set at {} (--devset DIR); skipped",
            devset.display()
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (html, text) = (work.path().join("html"), work.path().join("text"));
    std::fs::create_dir_all(&html).unwrap();
    std::fs::create_dir_all(&text).unwrap();
    for entry in std::fs::read_dir(devset.join("html")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".html.gz") {
            let out = Command::new("gzip").arg("-dc").arg(&path).output().unwrap();
            assert!(out.status.success(), "gzip -dc {}", path.display());
            std::fs::write(html.join(format!("{stem}.html")), out.stdout).unwrap();
        } else if name.ends_with(".html") {
            std::fs::copy(&path, html.join(&name)).unwrap();
        }
    }
    for entry in std::fs::read_dir(devset.join("textdumps")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, text.join(path.file_name().unwrap())).unwrap();
    }

    // trafilatura is timed before newsdigest and again after it, and the faster of the two is
    // the baseline: a busy moment of a shared machine then cannot flatter the ratio.
    let python = value("--python");
    let time_trafilatura = || {
        python.map(|python| {
            let out = Command::new(python)
                .arg(root.join("scripts/trafilatura_pages.py"))
                .arg(&html)
                .args(["--rounds", TRAFILATURA_ROUNDS])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let line = String::from_utf8(out.stdout).unwrap();
            line.split_whitespace()
                .find_map(|field| field.strip_prefix("pages_per_s="))
                .and_then(|rate| rate.parse::<f64>().ok())
                .unwrap()
        })
    };
    let trafilatura_before = time_trafilatura();

    let config = Config::parse("[[topics]]\nid = \"news\"\nkeywords = [\"news\"]\n", root).unwrap();
    let matcher = TopicMatcher::new(&config.select.topics);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // (label, pages a second, compared with trafilatura), printed once trafilatura's second
    // figure is in.
    let mut rows: Vec<(String, f64, bool)> = Vec::new();
    // As trafilatura's figure is taken: the bytes in memory, then decode and extract.
    let mut pages: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&html)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    pages.sort();
    let from_memory = |(path, bytes): &(PathBuf, Vec<u8>)| {
        let (text, lossy) = decode(bytes, true);
        let raw = RawArticle {
            path: path.clone(),
            source_id: "bench".to_owned(),
            text,
            lossy,
            modified: None,
            source_name: None,
            feed: None,
        };
        newsdigest::extract::clean(raw).ok()
    };
    let single = support::best_of(ROUNDS, || {
        let found = pages.iter().map(from_memory).filter(Option::is_some).count();
        assert!(found >= pages.len() - 2, "{found} of {} pages gave an article", pages.len());
    });
    let all = support::best_of(ROUNDS, || {
        let found = newsdigest::parallel::map_heaviest_first(
            pages.iter().collect(),
            |(_, bytes)| bytes.len(),
            from_memory,
        );
        assert_eq!(found.len(), pages.len());
    });
    for (label, elapsed) in [("one core", single), (&*format!("{cores} cores"), all)] {
        let rate = pages.len() as f64 / elapsed.as_secs_f64();
        rows.push((format!("newsdigest, HTML in memory, {label}:"), rate, true));
    }
    for (kind, dir) in [("HTML", &html), ("text dumps", &text)] {
        let mut paths: Vec<PathBuf> =
            std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
        paths.sort();
        let one = |path: &PathBuf| {
            let raw = read_article("bench", path, DEFAULT_MAX_BYTES).unwrap();
            newsdigest::extract::clean(raw).ok().map(|article| classify(article, &matcher))
        };
        let single = support::best_of(ROUNDS, || {
            let found = paths.iter().map(one).filter(Option::is_some).count();
            assert!(found >= paths.len() - 2, "{found} of {} pages gave an article", paths.len());
        });
        // As `run` does, the longest pages first (`run` weighs the text it read).
        let all = support::best_of(ROUNDS, || {
            let weight = |path: &&PathBuf| std::fs::metadata(path).map_or(0, |m| m.len() as usize);
            let found =
                newsdigest::parallel::map_heaviest_first(paths.iter().collect(), weight, one);
            assert_eq!(found.len(), paths.len());
        });
        for (label, elapsed) in [("one core", single), (&*format!("{cores} cores"), all)] {
            let rate = paths.len() as f64 / elapsed.as_secs_f64();
            rows.push((format!("newsdigest, {kind} files, {label}:"), rate, kind == "HTML"));
        }
    }

    let trafilatura_after = time_trafilatura();
    println!(
        "extraction benchmark: the dev set, best of {ROUNDS} rounds (trafilatura: of \
         {TRAFILATURA_ROUNDS}, before and after)\n  \
         (in memory: the pages' bytes read before the clock starts, then decode + extract, as \
         trafilatura's figure is taken;\n   files: read + decode + extract + classify each file, \
         as `run` does)"
    );
    let baseline = trafilatura_before.zip(trafilatura_after).map(|(before, after)| {
        println!(
            "  {:<40}{:8.1} pages/s  (baseline: the faster of {before:.1} before and \
             {after:.1} after)",
            "trafilatura.extract, HTML in memory:",
            before.max(after)
        );
        before.max(after)
    });
    for (name, rate, compared) in rows {
        let ratio = baseline
            .filter(|_| compared)
            .map(|base| format!("  = {:.1} × trafilatura", rate / base))
            .unwrap_or_default();
        println!("  {name:<40}{rate:8.1} pages/s{ratio}");
    }
}
