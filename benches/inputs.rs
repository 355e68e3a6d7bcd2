//! Hostile input sizes, measured as ratios in one command: `cargo bench --bench inputs`.
//!
//! Linear work grows 8× when the input grows 8×; quadratic work grows 64×. Each line times
//! the same stage on an input and on one eight times larger, and a deep page against a flat
//! page of the same size (the baseline), so the figures do not depend on the machine.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

mod support;

use chrono::DateTime;
use newsdigest::config::{Config, FeedLocation, FeedSource, FetchFull};
use newsdigest::model::RawArticle;

const LEAD: &str = "<p>The storm closed the coast road on Thursday morning after waves threw \
    rocks across both lanes. Police said the road would stay closed until engineers had \
    checked the sea wall.</p>";

/// The best of three runs.
fn time(work: impl FnMut()) -> Duration {
    support::best_of(3, work)
}

fn deep_page(depth: usize) -> String {
    format!("<html><body>{}{LEAD}{}</body></html>", "<div>".repeat(depth), "</div>".repeat(depth))
}

fn flat_page(divs: usize) -> String {
    format!("<html><body>{}{LEAD}</body></html>", "<div></div>".repeat(divs))
}

fn feed(items: usize) -> String {
    let mut state: u64 = 7;
    let mut word = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // Letters only: five thousand made-up words.
        let mut n = (state >> 33) % 5000;
        let mut word = String::from("w");
        while n > 0 {
            word.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
        }
        word
    };
    let mut out = String::from("<rss version=\"2.0\"><channel><title>Big</title>");
    for i in 0..items {
        let title: Vec<String> = (0..8).map(|_| word()).collect();
        let body: Vec<String> = (0..60).map(|_| word()).collect();
        out.push_str(&format!(
            "<item><title>Storm {i} {}</title><link>https://news.example.com/{i}</link>\
             <guid>g{i}</guid><pubDate>Thu, 26 Nov 2026 05:00:00 GMT</pubDate>\
             <description>{}. {}.</description></item>",
            title.join(" "),
            body[..30].join(" "),
            body[30..].join(" ")
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn feed_to_selection(text: &str, config: &Config) -> usize {
    let source = FeedSource {
        id: "big".to_owned(),
        location: FeedLocation::Url("https://news.example.com/feed".to_owned()),
        name: None,
        fetch_full: FetchFull::Never,
        tags: Vec::new(),
    };
    let now = DateTime::parse_from_rfc3339("2026-11-26T07:00:00+00:00").unwrap();
    let entries = newsdigest::ingest::feed::parse(text, None, &source).unwrap().entries;
    let matcher = newsdigest::select::TopicMatcher::new(&config.select.topics);
    let articles = entries
        .into_iter()
        .map(|entry| RawArticle::feed_item(entry, "big", "", Some(now)))
        .filter_map(|raw| newsdigest::extract::clean(raw).ok())
        .map(|article| newsdigest::select::classify(article, &matcher))
        .collect();
    newsdigest::select::select(articles, &config.select, now).articles.len()
}

fn main() {
    println!("hostile inputs, best of 3 (linear: 8× for 8× the input; quadratic: 64×)");
    let small = time(|| drop(newsdigest::extract::html::parse(&deep_page(12_500))));
    let large = time(|| drop(newsdigest::extract::html::parse(&deep_page(100_000))));
    let flat = time(|| drop(newsdigest::extract::html::parse(&flat_page(100_000))));
    println!(
        "  HTML, 12,500 → 100,000 nested divs:  {:>8.1} ms → {:>8.1} ms = {:.1}×",
        small.as_secs_f64() * 1e3,
        large.as_secs_f64() * 1e3,
        large.as_secs_f64() / small.as_secs_f64()
    );
    println!(
        "  HTML, 100,000 divs, nested vs flat:  {:>8.1} ms vs {:>7.1} ms = {:.2}× the flat page",
        large.as_secs_f64() * 1e3,
        flat.as_secs_f64() * 1e3,
        large.as_secs_f64() / flat.as_secs_f64()
    );
    let config = Config::parse(
        "[[topics]]\nid = \"climate\"\nkeywords = [\"storm\"]\n",
        std::path::Path::new("."),
    )
    .unwrap();
    let (small_feed, large_feed) = (feed(2_500), feed(20_000));
    let mut kept = (0, 0);
    let small = time(|| kept.0 = feed_to_selection(&small_feed, &config));
    let large = time(|| kept.1 = feed_to_selection(&large_feed, &config));
    assert_eq!(kept, (2_500, 20_000), "every distinct item is kept");
    println!(
        "  feed, 2,500 → 20,000 items ({:.1} → {:.1} MB), parse to selection: {:>6.0} ms → {:>6.0} ms = {:.1}×",
        small_feed.len() as f64 / 1e6,
        large_feed.len() as f64 / 1e6,
        small.as_secs_f64() * 1e3,
        large.as_secs_f64() * 1e3,
        large.as_secs_f64() / small.as_secs_f64()
    );
}
