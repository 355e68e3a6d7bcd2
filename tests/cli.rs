//! The real binary: exit codes, the full stderr of config errors, and what `preview`,
//! `article`, `articles` and `check` write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::fixture;

fn newsdigest(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_newsdigest"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn unknown_key_names_file_line_and_column() {
    let out = newsdigest(&fixture("configs"), &["--config", "unknown_key.toml", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: invalid config `unknown_key.toml`: 1 problem\n  unknown_key.toml:3:1: select.max_item: unknown field \
         `max_item`, expected one of `window`, `max_per_topic`, `other_section`\n"
    );
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn every_config_problem_is_reported_at_once() {
    let out = newsdigest(&fixture("configs"), &["--config", "problems.toml", "preview"]);
    assert_eq!(out.status.code(), Some(2));
    let expected = r#"error: invalid config `problems.toml`: 9 problems
  digest.language: `english!` is not a language code
    hint: use a code such as `en`, `de` or `pt-BR`
  problems.toml:5:10: select.window: `24` is not a duration: `24` has no unit
    hint: write a number and a unit, such as `24h`, `90m`, `2d` or `1d12h`
  problems.toml:6:17: select.max_per_topic: must be at least 1, not 0
  problems.toml:21:6: topics[1].id: `Tech News` is not a valid topic id
    hint: use lowercase letters, digits and `-`, such as `ukraine-war`
  problems.toml:21:6: topics[1].keywords: topic `Tech News` has no keywords
    hint: add words or phrases, such as `keywords = ["sanctions", "central bank"]`
  sources[1].id: source id `articles` is already used by sources[0]
    hint: give each source a unique `id`
  problems.toml:29:9: subscribers[1].email: `not-an-address` is not a valid email address (Missing domain or user)
    hint: write a bare address such as `jane@example.com`; put the name in `name`
  problems.toml:33:9: subscribers[2].email: `ANA@example.org` is already subscribed as subscribers[0]
  problems.toml:34:11: subscribers[2].topics: unknown topic "ukrane-war"
    hint: did you mean "ukraine-war"?
"#;
    assert_eq!(text(&out.stderr), expected);
}

#[test]
fn missing_config_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let out = newsdigest(dir.path(), &["preview"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: invalid config `config.toml`: 1 problem\n  cannot read the file: "
        ),
        "{stderr}"
    );
}

const PROJECT_CONFIG: &str = r#"
[digest]
title = "Test Digest"
output_dir = "out"

[select]
window = "36h"

[[sources]]
kind = "files"
path = "articles"

[[topics]]
id = "transport"
name = "Transport"
keywords = ["tram", "bus", "train"]

[[topics]]
id = "climate"
name = "Climate"
keywords = ["heat", "climate"]

[[subscribers]]
email = "ana@example.org"
name = "Ana"
topics = ["transport"]

[[subscribers]]
email = "ben@example.org"
topics = ["transport", "climate"]

[[subscribers]]
email = "cy@example.org"
topics = ["climate", "transport"]
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("config.toml"), PROJECT_CONFIG).unwrap();
    let articles = dir.path().join("articles");
    fs::create_dir_all(articles.join("nested")).unwrap();
    fs::copy(fixture("markdown/toml_front_matter.md"), articles.join("tram.md")).unwrap();
    fs::copy(fixture("markdown/yaml_front_matter.md"), articles.join("nested/heat.md")).unwrap();
    fs::write(
        articles.join("old-bus.md"),
        "+++\ntitle = \"Bus lane opens\"\ndate = 2026-10-01\n+++\nA new bus lane opened today.\n",
    )
    .unwrap();
    fs::write(articles.join("notes.json"), "{}").unwrap();
    dir
}

#[test]
fn preview_writes_one_digest_per_topic_set_and_an_index() {
    let dir = project();
    let out = newsdigest(dir.path(), &["preview", "--now", "2026-11-25T09:00:00+00:00"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "out/2026-11-25/climate+transport.html\nout/2026-11-25/climate+transport.txt\n\
         out/2026-11-25/transport.html\nout/2026-11-25/transport.txt\nout/2026-11-25/index.html\n"
    );
    assert_eq!(
        text(&out.stderr),
        "3 articles → 2 in the last 36h → 2 digests → out/2026-11-25/index.html\n"
    );
    let day = dir.path().join("out/2026-11-25");
    let both = fs::read_to_string(day.join("climate+transport.txt")).unwrap();
    assert!(both.contains("== Transport ==") && both.contains("== Climate =="), "{both}");
    assert!(both.contains("Council backs new tram line\n"), "{both}");
    assert!(!both.contains("Bus lane"), "outside the window");
    let transport = fs::read_to_string(day.join("transport.html")).unwrap();
    assert!(transport.contains("Council backs new tram line"));
    assert!(!transport.contains("Heat records"));
    let index = fs::read_to_string(day.join("index.html")).unwrap();
    assert!(index.contains(r#"href="transport.html""#));
    assert!(index.contains("Climate + Transport") || index.contains("Transport + Climate"));
    assert!(index.contains("2 subscribers"));
    // Nothing else was written: no temporary files, no state.
    let mut names: Vec<String> = fs::read_dir(&day)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "climate+transport.html",
            "climate+transport.txt",
            "index.html",
            "transport.html",
            "transport.txt"
        ]
    );
}

#[test]
fn a_broken_file_is_skipped_and_reported_with_exit_code_1() {
    let dir = project();
    fs::copy(fixture("markdown/broken_front_matter.md"), dir.path().join("articles/broken.md"))
        .unwrap();
    let out = newsdigest(dir.path(), &["preview", "--now", "2026-11-25T09:00:00+00:00"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("warning: skipped `articles/broken.md`: front matter (TOML), line 2: "),
        "{stderr}"
    );
    assert!(dir.path().join("out/2026-11-25/transport.html").exists(), "the run went on");
}

#[test]
fn articles_lists_dates_topics_and_terms() {
    let dir = project();
    let out = newsdigest(dir.path(), &["articles", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let articles = value["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 3);
    let heat =
        articles.iter().find(|a| a["title"] == "Heat records fall across the south").unwrap();
    assert_eq!(heat["topics"][0]["id"], "climate");
    assert_eq!(heat["topics"][0]["terms"], serde_json::json!(["tag:climate", "heat"]));
    assert_eq!(heat["published"], "2026-11-24T00:00:00+00:00");
    assert_eq!(value["skipped"], serde_json::json!([]));
}

#[test]
fn article_json_on_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = fixture("dumps/seed_gzero.txt");
    let out = newsdigest(dir.path(), &["article", seed.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["title"], "Putin’s muscle flex in Belarus");
    assert_eq!(value["body"].as_array().unwrap().len(), 7);
    // Whole sentences within the 40-word default budget (issue 12): here, the first.
    assert!(
        value["summary"].as_str().unwrap().ends_with("in Ukraine that’s gone terribly wrong."),
        "{}",
        value["summary"]
    );

    let out =
        newsdigest(dir.path(), &["article", seed.to_str().unwrap(), "--json", "--sentences", "4"]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Four whole sentences, across the paragraph break (kept as a line break), with the word
    // budget lifted.
    let summary = value["summary"].as_str().unwrap();
    assert!(
        summary.contains("Belarus’ President Alexander Lukashenko.\nThe trip appeared"),
        "{summary}"
    );
    assert!(
        summary.ends_with("most likely in the spring as ground conditions improve."),
        "{summary}"
    );
}

/// `newsdigest feed` on the EBCDIC and CDF fixtures: the text listing, counted in words
/// ("1 item", not "1 items").
#[test]
fn feed_lists_an_ebcdic_feed_and_a_cdf_channel() {
    let dir = tempfile::tempdir().unwrap();
    let ebcdic = fixture("feeds/ebcdic500.xml");
    let out = newsdigest(dir.path(), &["feed", ebcdic.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Søndagsavisen\n- Færgen sejler igen\n  link: https://news.example.org/ferry\n  date: none\n  text: 3 words\n1 item, 0 skipped\n"
    );
    let cdf = fixture("feeds/cdf.xml");
    let out = newsdigest(dir.path(), &["feed", cdf.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["title"], "Example CDF channel");
    let urls: Vec<&str> = value["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        ["https://news.example.org/2026/11/ferry", "https://news.example.org/2026/11/regatta"]
    );
}

#[test]
fn article_on_a_missing_file_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let out = newsdigest(dir.path(), &["article", "nope.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: cannot read `nope.txt`: cannot read the file: "));
}

#[test]
fn check_accepts_the_shipped_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = newsdigest(root, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "config.toml: ok: 2 source(s), 6 topic(s), 4 subscriber(s), 4 distinct digest(s); templates render\n"
    );
}

/// `check` counts a `subscribers_file`'s rows and their topic sets as it reads them, without
/// holding the list.
#[test]
fn check_counts_the_subscribers_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("articles")).unwrap();
    fs::write(
        dir.path().join("config.toml"),
        "subscribers_file = \"list.csv\"\n\n[[sources]]\nid = \"local\"\nkind = \"files\"\n\
         path = \"articles\"\n\n[[topics]]\nid = \"climate\"\nkeywords = [\"climate\"]\n\n\
         [[topics]]\nid = \"health\"\nkeywords = [\"health\"]\n\n[[subscribers]]\n\
         email = \"ana@example.org\"\ntopics = [\"climate\"]\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("list.csv"),
        "email,name,topics\nben@example.org,,health;climate\ncal@example.org,,climate;health\n\
         dee@example.org,,climate\neve@example.org,,\n",
    )
    .unwrap();
    let out = newsdigest(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "config.toml: ok: 1 source(s), 2 topic(s), 5 subscriber(s), 3 distinct digest(s); templates render\n"
    );
}

#[test]
fn bad_now_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = newsdigest(dir.path(), &["preview", "--now", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`tomorrow` is not an RFC 3339 time"));
}

#[test]
fn the_readme_main_command_delivers_the_sample_to_the_outbox_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    fs::copy(root.join("config.toml"), dir.path().join("config.toml")).unwrap();
    // A fresh copy has a fresh modification time, as on a fresh clone.
    for folder in ["articles", "feeds"] {
        fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in fs::read_dir(root.join(folder)).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), dir.path().join(folder).join(entry.file_name())).unwrap();
        }
    }
    let out = newsdigest(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "24 articles from 2/2 sources → 23 selected in the last 24h → wrote to the outbox 4/4 in digests/"
        ),
        "{stderr}"
    );
    let day = fs::read_dir(dir.path().join("digests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|path| path.is_dir())
        .unwrap();
    let mut outbox: Vec<String> = fs::read_dir(day.join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    outbox.sort();
    assert_eq!(
        outbox,
        [
            "ana@example.org.eml",
            "ben@example.org.eml",
            "chloe@example.org.eml",
            "dev@example.org.eml"
        ]
    );
    assert!(day.join("index.html").exists());
    let all = fs::read_to_string(day.join("all.txt")).unwrap();
    assert!(
        all.contains("Also in: Sample Mountain Times"),
        "the sample feed repeats a sample story"
    );

    let again = newsdigest(dir.path(), &["run"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stderr).contains("wrote to the outbox 0/0 (4 delivered earlier)"));

    // Tomorrow, with a window wide enough to still see today's files: every story went out
    // today, the sample feed's copy of a sample article included, so none comes back.
    let config = fs::read_to_string(dir.path().join("config.toml")).unwrap();
    fs::write(
        dir.path().join("config.toml"),
        config.replace("window = \"24h\"", "window = \"48h\""),
    )
    .unwrap();
    let clock = newsdigest::clock::SystemClock;
    let tomorrow = (newsdigest::clock::Clock::now(&clock) + chrono::TimeDelta::days(1))
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .unwrap()
        .to_rfc3339();
    // (The files' times are real, so "tomorrow" is the real one, read through the clock.)
    let next_day = newsdigest(dir.path(), &["run", "--now", &tomorrow]);
    let stderr = text(&next_day.stderr);
    assert!(
        stderr.contains("24 articles from 2/2 sources → 0 selected in the last 48h"),
        "{stderr}"
    );
    assert_eq!(next_day.status.code(), Some(1), "subscribers without stories are reported");
}

#[test]
fn sources_import_prints_and_writes_feed_sources_from_opml() {
    let dir = project();
    let opml = fixture("feeds/subscriptions.opml");
    let opml = opml.to_str().unwrap();
    let out = newsdigest(dir.path(), &["sources", "import", opml]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\n[[sources]]\nid = \"harbour-herald\"\nkind = \"feed\"\nurl = \"https://harbour.example.com/rss\"\n\
         name = \"Harbour Herald\"\ntags = [\"climate\"]\n\n[[sources]]\nid = \"market-morning\"\nkind = \"feed\"\n\
         url = \"https://markets.example.com/feed.json\"\nname = \"Market Morning\"\ntags = [\"economy\"]\n"
    );
    let before = fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let written = newsdigest(dir.path(), &["sources", "import", "--write", opml]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    assert_eq!(text(&written.stderr), "added 2 feed source(s) to `config.toml`\n");
    let after = fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(after.starts_with(before.trim_end()));
    let check = newsdigest(dir.path(), &["check"]);
    assert!(text(&check.stdout).contains("3 source(s)"), "{}", text(&check.stdout));
    // Importing again gives new ids rather than clashing ones.
    let again = newsdigest(dir.path(), &["sources", "import", opml]);
    assert!(text(&again.stdout).contains("id = \"harbour-herald-2\""));
}

#[test]
fn a_failing_feed_is_reported_and_the_digest_still_goes_out_with_exit_code_1() {
    let dir = project();
    let config = fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let feed = "\n[[sources]]\nid = \"gone\"\nkind = \"feed\"\nurl = \"feeds/missing.xml\"\n";
    let config = config.replacen("[[topics]]", &format!("{feed}\n[[topics]]"), 1);
    fs::write(dir.path().join("config.toml"), config).unwrap();
    let out = newsdigest(dir.path(), &["run", "--json", "--now", "2026-11-25T09:00:00+00:00"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: feed `gone` (")
            && stderr.contains("missing.xml) failed: cannot read `"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sources"][0]["id"], "gone");
    assert_eq!(report["sources"][0]["failure"]["category"], "file");
    assert_eq!(report["delivery"]["sent"], 3, "every subscriber still gets the digest");
    assert!(stderr.contains(" articles from 1/2 sources → "), "{stderr}");
}
