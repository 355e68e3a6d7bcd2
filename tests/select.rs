//! Topic matching (stems, phrases, excludes, stated topics), the window, duplicates and
//! per-topic caps, through the public stage functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, TimeDelta};
use newsdigest::config::Config;
use newsdigest::model::{Article, ArticleFormat, ArticleId, DateOrigin};
use newsdigest::select::{self, TopicMatcher};

const CONFIG: &str = r#"
[select]
window = "24h"
max_per_topic = 2
other_section = "Other news"

[[topics]]
id = "sanctions"
name = "Sanctions"
keywords = ["sanction", "export controls"]
exclude = ["cricket"]

[[topics]]
id = "energy"
name = "Energy"
keywords = ["gas", "oil price"]
"#;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-26T07:00:00+00:00").unwrap()
}

fn article(title: &str, body: &str, hours_ago: i64) -> Article {
    Article {
        id: ArticleId::from_content(title, &[body.to_owned()]),
        title: title.to_owned(),
        paragraphs: vec![body.to_owned()],
        url: None,
        published: Some(now() - TimeDelta::hours(hours_ago)),
        date_origin: DateOrigin::Stated,
        source: "test".to_owned(),
        author: None,
        tags: Vec::new(),
        origin: PathBuf::from(format!("{title}.md")),
        format: ArticleFormat::Markdown,
        copies: Vec::new(),
    }
}

fn config() -> Config {
    Config::parse(CONFIG, Path::new(".")).unwrap()
}

#[test]
fn stems_phrases_and_title_weight() {
    let config = config();
    let matcher = TopicMatcher::new(&config.select.topics);
    let item = select::classify(
        article(
            "New sanctions on exporters",
            "The export controls cover chips. Sanctioned firms object.",
            1,
        ),
        &matcher,
    );
    let matched = &item.topics[0];
    assert_eq!(matched.topic_id, "sanctions");
    // Title "sanctions" (3) + body "Sanctioned" (1) + phrase "export controls" (1).
    assert_eq!(matched.score, 5.0);
    assert_eq!(matched.terms, ["sanction", "export controls"]);

    // Words of a phrase apart do not match it; a single body hit is under min_score 2.
    let item = select::classify(
        article("Trade news", "Export rules and controls changed; a sanction was lifted.", 1),
        &matcher,
    );
    assert!(item.topics.is_empty(), "{:?}", item.topics);

    // Whole words only: "gaslight" is not "gas".
    let item = select::classify(article("A gaslight drama", "The gaslight era.", 1), &matcher);
    assert!(item.topics.is_empty());
}

#[test]
fn excludes_and_stated_topics() {
    let config = config();
    let matcher = TopicMatcher::new(&config.select.topics);
    let item = select::classify(
        article("Cricket board faces sanctions", "The sanctions follow a cricket scandal.", 1),
        &matcher,
    );
    assert!(item.topics.is_empty(), "excluded: {:?}", item.topics);

    let mut stated = article("A quiet day", "Nothing happened.", 1);
    stated.tags = vec!["Energy".to_owned()];
    let item = select::classify(stated, &matcher);
    assert_eq!(item.topics.len(), 1);
    assert_eq!(item.topics[0].topic_id, "energy");
    assert_eq!(item.topics[0].terms, ["tag:Energy"]);
}

#[test]
fn window_boundaries() {
    let config = config();
    let matcher = TopicMatcher::new(&config.select.topics);
    let edge = |published: DateTime<FixedOffset>| {
        let mut a = article(&format!("Gas story {published}"), "Gas gas.", 0);
        a.published = Some(published);
        select::classify(a, &matcher)
    };
    let items = vec![
        edge(now()),                                                // now: in
        edge(now() - TimeDelta::hours(24) + TimeDelta::seconds(1)), // just inside
        edge(now() - TimeDelta::hours(24)),                         // exactly 24h: out
        edge(now() + TimeDelta::seconds(1)),                        // future: out
    ];
    let selection = select::select(items, &config.select, now());
    assert_eq!(selection.articles.len(), 2);
    assert_eq!(selection.outside_window, 2);
    assert_eq!(selection.articles[0].article.published, Some(now()), "newest first");
}

#[test]
fn duplicate_ids_and_titles_are_dropped_keeping_the_newest() {
    let config = config();
    let matcher = TopicMatcher::new(&config.select.topics);
    let older = article("Gas prices jump", "Gas gas.", 5);
    let newer = article("GAS PRICES — jump!", "Gas prices rose again.", 2);
    let same_id = older.clone();
    let items = [older, newer, same_id].map(|a| select::classify(a, &matcher)).to_vec();
    let selection = select::select(items, &config.select, now());
    assert_eq!(selection.articles.len(), 1);
    assert_eq!(selection.duplicates, 2);
    assert_eq!(selection.articles[0].article.title, "GAS PRICES — jump!");
}

#[test]
fn sections_rank_cap_and_place_each_article_once() {
    let config = config();
    let matcher = TopicMatcher::new(&config.select.topics);
    let items = vec![
        article("Gas deal signed", "Gas.", 1), // energy 4
        article("Gas and oil price talks", "Gas gas, oil price.", 3), // energy 3+3+2+1
        article("Gas storage full", "Gas storage.", 2), // energy 4
        // Both topics score 5: the tie goes to the topic configured first.
        article("Sanctions hit gas exports", "Sanctions, more sanctions. Gas gas.", 1),
        article("Local fair opens", "Rides and cakes.", 1), // no topic
    ]
    .into_iter()
    .map(|a| select::classify(a, &matcher))
    .collect();
    let selection = select::select(items, &config.select, now());

    let all = select::sections(&selection, &[], &config.select);
    let names: Vec<&str> = all.iter().map(|section| section.name.as_str()).collect();
    assert_eq!(names, ["Sanctions", "Energy", "Other news"]);
    let energy: Vec<&str> = all[1].items.iter().map(|(a, _)| a.title.as_str()).collect();
    // Capped at 2, by score then recency; "Sanctions hit gas exports" sits under Sanctions.
    assert_eq!(energy, ["Gas and oil price talks", "Gas deal signed"]);
    assert_eq!(all[0].items[0].0.title, "Sanctions hit gas exports");

    // A digest of energy only: the shared article moves there, no catch-all section.
    let energy_only = select::sections(&selection, &["energy".to_owned()], &config.select);
    assert_eq!(energy_only.len(), 1);
    let titles: Vec<&str> = energy_only[0].items.iter().map(|(a, _)| a.title.as_str()).collect();
    assert_eq!(titles, ["Gas and oil price talks", "Sanctions hit gas exports"]);
}

/// See issue 8, failure 3: 20,000 items once took minutes, each compared with every earlier
/// one. Keyed lookups find each kind of copy among thousands of stories.
#[test]
fn r8_twenty_thousand_items_keep_every_kind_of_copy_apart() {
    let config = config();
    let matcher = TopicMatcher::new(&config.select.topics);
    let vocabulary: Vec<String> = (0..4000).map(|i| format!("w{i:x}q")).collect();
    let mut state: u64 = 7;
    let mut word = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        vocabulary[(state >> 33) as usize % vocabulary.len()].clone()
    };
    let mut items = Vec::new();
    for i in 0..20_000 {
        let title = format!("Story {i} {} {}", word(), word());
        let body: Vec<String> = (0..40).map(|_| word()).collect();
        let mut story = article(&title, &format!("{}.", body.join(" ")), 2);
        story.id = ArticleId::from_url(&format!("https://a.example/{i}"));
        story.url = Some(format!("https://a.example/{i}"));
        items.push(select::classify(story, &matcher));
    }
    // Older copies of story 10 (same URL), 11 (same folded title), 12 (same id) and 13
    // (wire copy: same lead, new headline and link).
    let copy = |of: usize| items[of].article.clone();
    let mut by_url = copy(10);
    by_url.id = ArticleId::from_url("https://b.example/x");
    by_url.title = "Another headline".to_owned();
    let mut by_title = copy(11);
    by_title.id = ArticleId::from_url("https://b.example/y");
    by_title.url = None;
    by_title.title = by_title.title.to_uppercase();
    let mut by_id = copy(12);
    by_id.url = None;
    by_id.title = "A third headline".to_owned();
    let mut wire = copy(13);
    wire.id = ArticleId::from_url("https://b.example/z");
    wire.url = Some("https://b.example/z".to_owned());
    wire.title = format!("{} (wire)", wire.title.replace("Story", "Report"));
    for mut older in [by_url, by_title, by_id, wire] {
        older.published = Some(now() - TimeDelta::hours(3));
        items.push(select::classify(older, &matcher));
    }
    let selection = select::select(items, &config.select, now());
    assert_eq!(selection.articles.len(), 20_000);
    assert_eq!(selection.duplicates, 4);
    for kept in 10..14 {
        let url = format!("https://a.example/{kept}");
        let story = selection.articles.iter().find(|a| a.article.url.as_deref() == Some(&url));
        assert_eq!(story.unwrap().article.copies.len(), 1, "story {kept}");
    }
}
