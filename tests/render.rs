//! Rendering: insta snapshots of one digest's HTML and text, escaping of hostile text, and
//! the email-ready properties of the HTML.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate};
use newsdigest::model::{
    Article, ArticleFormat, ArticleId, DateOrigin, Digest, DigestItem, Summary, TopicMatch,
    TopicSection,
};
use newsdigest::render::{self, Audience};

fn item(title: &str, url: Option<&str>, source: &str, summary: &str, words: usize) -> DigestItem {
    let body = vec!["word ".repeat(words).trim().to_owned()];
    DigestItem {
        article: Article {
            id: ArticleId::from_content(title, &body),
            title: title.to_owned(),
            paragraphs: body,
            url: url.map(str::to_owned),
            published: Some(DateTime::parse_from_rfc3339("2026-11-25T18:30:00+01:00").unwrap()),
            date_origin: DateOrigin::Stated,
            source: source.to_owned(),
            author: None,
            tags: Vec::new(),
            origin: PathBuf::from("fixture"),
            format: ArticleFormat::Html,
            copies: Vec::new(),
        },
        summary: Summary { text: summary.to_owned(), truncated: false },
        matched: TopicMatch { topic_id: "x".to_owned(), score: 3.0, terms: Vec::new() },
    }
}

fn digest() -> Digest {
    Digest {
        title: "The Morning Digest".to_owned(),
        date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        slug: "climate+economy".to_owned(),
        topic_names: vec!["Climate & energy".to_owned(), "Economy".to_owned()],
        sections: vec![
            TopicSection {
                id: "climate".to_owned(),
                name: "Climate & energy".to_owned(),
                items: vec![
                    item(
                        "Offshore wind farm wins approval after four-year review",
                        Some("https://example.com/wind?id=1&ref=rss"),
                        "Sample Herald",
                        "Regulators approved a 1.4-gigawatt offshore wind farm on Thursday, ending a four-year review that drew objections from fishing groups. Construction could begin in the spring.",
                        480,
                    ),
                    item(
                        "<script>alert(\"x\")</script> & the \"hostile\" headline",
                        None,
                        "Evil <b>Source</b>",
                        "A summary with <img src=x onerror=alert(1)> markup & ampersands.",
                        120,
                    ),
                ],
            },
            TopicSection {
                id: "economy".to_owned(),
                name: "Economy".to_owned(),
                items: vec![item(
                    "Central bank holds rates",
                    Some("https://example.com/rates"),
                    "Sample Ledger",
                    "The central bank kept its main rate at 4.25 percent.",
                    60,
                )],
            },
        ],
    }
}

fn rendered() -> render::Rendered {
    let digest = digest();
    let audience = Audience {
        reason: "You are receiving The Morning Digest because you subscribed to these topics: Climate & energy, Economy.".to_owned(),
        unsubscribe_url: None,
        ..Audience::default()
    };
    render::render(&digest, "en", &audience).unwrap()
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("digest_html", rendered().html);
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("digest_text", rendered().text);
}

/// Issue 12: the subject leads with the top story: `{headline} + N more — {title}`.
#[test]
fn subject_leads_with_the_top_story() {
    assert_eq!(
        rendered().subject,
        "Offshore wind farm wins approval after four-year review + 2 more — The Morning Digest"
    );
}

/// Issue 12: "Today in brief" opens a digest of four stories or more with the most important
/// ones across topics: topic score × (1 + other sources) × recency (halving each day).
#[test]
fn today_in_brief_ranks_by_score_sources_and_recency() {
    let mut big = digest();
    let mut strong = item("Carried everywhere", Some("https://example.org/a"), "Wire", "A.", 100);
    strong.article.copies = vec![newsdigest::model::StoryCopy {
        id: ArticleId::from_url("https://other.example/a"),
        url: None,
        source: "Other Paper".to_owned(),
    }];
    let mut old = item("Old news", None, "Wire", "B.", 100);
    old.matched.score = 5.0;
    old.article.published =
        Some(DateTime::parse_from_rfc3339("2026-11-22T18:30:00+01:00").unwrap());
    big.sections[1].items.push(strong);
    big.sections[1].items.push(old);
    let ranked: Vec<&str> =
        render::ranked(&big).iter().map(|item| item.article.title.as_str()).collect();
    assert_eq!(ranked[0], "Carried everywhere", "{ranked:?}");
    assert_eq!(ranked.last(), Some(&"Old news"), "three days older: an eighth of the weight");
    let rendered = render::render(&big, "en", &Audience::default()).unwrap();
    assert!(
        rendered.html.contains("<h2>Today in brief</h2>")
            || rendered.html.contains(">Today in brief</h2>")
    );
    assert!(rendered.html.contains(r#"<a href="https://example.org/a""#));
    assert!(
        rendered.text.contains("Today in brief:\n- Carried everywhere (Wire)\n"),
        "{}",
        rendered.text
    );
    assert!(rendered.subject.starts_with("Carried everywhere + 4 more — "), "{}", rendered.subject);
    // Three stories or fewer need no brief.
    let small = digest();
    assert!(
        !render::render(&small, "en", &Audience::default())
            .unwrap()
            .text
            .contains("Today in brief")
    );
}

/// Issue 12: the whole layout of a digest of four stories, as a subscriber gets it with the
/// web archive configured: "Today in brief", linked headlines, "Read at <source> →", and a
/// story without a URL leading to its place on the archive page.
fn with_brief() -> render::Rendered {
    let mut digest = digest();
    digest.sections[1].items.push(item(
        "Bond yields fall as traders bet on cuts",
        None,
        "Sample Ledger",
        "Yields on ten-year bonds fell for a third day.\nTraders now expect two cuts next year.",
        200,
    ));
    let audience = Audience {
        reason: "You are receiving The Morning Digest because you subscribed.".to_owned(),
        unsubscribe_url: Some("https://news.example.org/u/TOKEN"),
        preferences_url: Some("https://news.example.org/p/TOKEN"),
        view_url: Some("https://news.example.org/archive/2026-11-26/climate+economy"),
        postal_address: Some("Example News, 1 Quay Street, Harbour Town"),
        ..Audience::default()
    };
    render::render(&digest, "en", &audience).unwrap()
}

#[test]
fn html_snapshot_with_brief_and_archive_links() {
    insta::assert_snapshot!("digest_html_with_brief", with_brief().html);
}

#[test]
fn text_snapshot_with_brief_and_archive_links() {
    insta::assert_snapshot!("digest_text_with_brief", with_brief().text);
}

#[test]
fn hostile_text_is_escaped() {
    let html = rendered().html;
    assert!(!html.contains("<script>"), "title must be escaped");
    assert!(!html.contains("<img src=x"), "summary must be escaped");
    assert!(!html.contains("<b>Source</b>"));
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("https://example.com/wind?id=1&amp;ref=rss"));
}

#[test]
fn html_is_email_ready() {
    let html = rendered().html;
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("max-width: 600px"), "inlined container width");
    assert!(html.contains("prefers-color-scheme: dark"), "dark-mode rules kept");
    assert!(html.contains("#unsubscribe"), "unsubscribe placeholder");
    // No external resources: no stylesheet links, no images, no scripts.
    for forbidden in ["<link", "<img", "<script", "src=\"http"] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    // The CSS was inlined onto the elements.
    assert!(html.contains(r#"<td class="masthead" style="#), "{}", &html[..400]);
}

/// Issue 12: each story's link right under it (not listed at the end), headlines as
/// written (not in capitals), and the signature separator `-- ` with its space.
#[test]
fn text_is_wrapped_at_72_columns_with_each_link_under_its_story() {
    let text = rendered().text;
    for line in text.lines() {
        assert!(line.chars().count() <= 72, "too long: {line:?}");
    }
    assert!(text.contains(
        "Offshore wind farm wins approval after four-year review\nSample Herald · 25 Nov 2026 · 3 min read\n\nRegulators approved"
    ), "{text}");
    assert!(
        text.contains(
            "Construction could begin in the spring.\nhttps://example.com/wind?id=1&ref=rss\n"
        ),
        "{text}"
    );
    assert!(text.contains("rate at 4.25 percent.\nhttps://example.com/rates\n"), "{text}");
    assert!(!text.contains("Links:") && !text.contains("[1]"));
    assert!(text.contains("\n-- \nYou are receiving"), "{text}");
}

/// See issue 9: a story with no text of its own (a headline and a link) is shown without an
/// empty summary and without a reading time.
#[test]
fn r9_a_story_without_text_has_no_empty_summary() {
    let mut digest = digest();
    let mut bare =
        item("Show HN: a tiny editor", Some("https://example.org/hn"), "Hacker News", "", 0);
    bare.article.paragraphs.clear();
    digest.sections.truncate(1);
    digest.sections[0].items = vec![bare];
    let audience =
        Audience { reason: "Because.".to_owned(), unsubscribe_url: None, ..Audience::default() };
    let rendered = render::render(&digest, "en", &audience).unwrap();
    assert!(rendered.html.contains("Show HN: a tiny editor</a></h3>"), "{}", rendered.html);
    assert!(!rendered.html.contains("min read"));
    assert!(!rendered.html.contains("class=\"summary\""));
    assert!(
        rendered.text.contains(
            "Show HN: a tiny editor\nHacker News · 25 Nov 2026\nhttps://example.org/hn\n"
        ),
        "{}",
        rendered.text
    );
    assert!(!rendered.text.contains("min read"));
}

/// Issue 10: the footer's "Manage topics" link, "View in browser", the postal address, and
/// the web archive's page without any personal part.
#[test]
fn personal_links_and_the_web_page_without_personal_parts() {
    let digest = digest();
    let personal = Audience {
        reason: "You are receiving The Morning Digest because you subscribed.".to_owned(),
        unsubscribe_url: Some("https://news.example.org/u/TOKEN-U"),
        preferences_url: Some("https://news.example.org/p/TOKEN-P"),
        view_url: Some("https://news.example.org/archive/2026-11-26/all"),
        postal_address: Some("1 Quay Street, Harbour Town <HT1>"),
        ..Audience::default()
    };
    let mail = render::render(&digest, "en", &personal).unwrap();
    for needle in [
        r#"<a href="https://news.example.org/p/TOKEN-P""#,
        ">Manage topics</a>",
        r#"<a href="https://news.example.org/u/TOKEN-U""#,
        r#"<a href="https://news.example.org/archive/2026-11-26/all""#,
        ">View in browser</a>",
        "1 Quay Street, Harbour Town &lt;HT1&gt;",
        "You are receiving",
    ] {
        assert!(mail.html.contains(needle), "{needle}");
    }
    assert!(
        mail.text.starts_with("View in browser: https://news.example.org/archive/2026-11-26/all\n")
    );
    assert!(mail.text.contains("Manage topics: https://news.example.org/p/TOKEN-P\n"));
    assert!(mail.text.ends_with(
        "Unsubscribe: https://news.example.org/u/TOKEN-U\n1 Quay Street, Harbour Town <HT1>\n"
    ));

    let web = Audience {
        web: true,
        subscribe_url: Some("https://news.example.org/subscribe"),
        postal_address: Some("1 Quay Street"),
        ..Audience::default()
    };
    let page = render::render(&digest, "en", &web).unwrap();
    assert!(!page.html.contains("You are receiving"));
    assert!(!page.html.contains("Unsubscribe"));
    assert!(!page.html.contains("#unsubscribe"));
    assert!(page.html.contains(r#"<a href="https://news.example.org/subscribe""#));
    assert!(page.text.ends_with("Subscribe: https://news.example.org/subscribe\n1 Quay Street\n"));
}

/// Issue 12: the charset is declared in the first 1024 bytes, whatever the CSS (the inliner
/// had pushed it past byte 750).
#[test]
fn the_charset_comes_first() {
    let html = rendered().html;
    let at = html.find("<meta charset=\"utf-8\">").unwrap();
    assert!(at < 200, "at byte {at}");
    assert_eq!(html.matches("<meta charset").count(), 1);
}

/// Issue 12: the headline is the link (in the link colour, underlined), the follow-on names
/// the source, a reading time under 3 minutes and a date equal to the edition's are left out.
#[test]
fn headlines_are_links_and_the_meta_line_says_only_what_helps() {
    let mut digest = digest();
    let mut today = item("Today's story", Some("https://example.org/t"), "Wire", "Short.", 600);
    today.article.published =
        Some(DateTime::parse_from_rfc3339("2026-11-26T06:00:00+01:00").unwrap());
    let short = item("A short one", None, "Ledger", "Brief.", 50);
    digest.sections.truncate(1);
    digest.sections[0].items = vec![today, short];
    let audience = Audience { reason: "Because.".to_owned(), ..Audience::default() };
    let rendered = render::render(&digest, "en", &audience).unwrap();
    let html = &rendered.html;
    assert!(
        html.contains(
            r#"<a href="https://example.org/t" style="color: #0b57a4;text-decoration: underline;"#
        ),
        "{html}"
    );
    assert!(html.contains(">Read at Wire →</a>"));
    assert!(html.contains(">Wire · 3 min read</p>"), "today's date is left out: {html}");
    assert!(html.contains(">Ledger · 25 Nov 2026</p>"), "under 3 minutes: no reading time");
    assert!(rendered.text.contains("Today's story\nWire · 3 min read\n"), "{}", rendered.text);
}

/// Issue 12: every story leads somewhere. A story with no URL links to its place on the
/// edition's archive page when the web archive is configured ("Read the whole story"), and
/// that page shows its whole text; a preview without an archive has nothing to link to.
#[test]
fn a_story_without_a_url_links_to_its_archive_page() {
    let digest = digest();
    let hostile = &digest.sections[0].items[1].article;
    let anchor = render::story_anchor(&hostile.id);
    assert!(anchor.starts_with("story-") && anchor.len() == 14, "{anchor}");
    let view = "https://news.example.org/archive/2026-11-26/climate+economy";
    let email =
        Audience { reason: "Because.".to_owned(), view_url: Some(view), ..Audience::default() };
    let rendered = render::render(&digest, "en", &email).unwrap();
    let href = format!("{view}#{anchor}");
    assert_eq!(
        rendered.html.matches(&format!("href=\"{href}\"")).count(),
        2,
        "headline and follow-on"
    );
    assert!(rendered.html.contains("Read the whole story →"));
    assert!(rendered.text.contains(&format!("\n{href}\n")), "{}", rendered.text);
    // Stories with a URL keep it.
    assert!(rendered.html.contains("Read at Sample Herald →"));

    // The archive page: the anchor is there, with the story's whole text and no link.
    let web = Audience { web: true, view_url: Some(view), ..Audience::default() };
    let page = render::render(&digest, "en", &web).unwrap();
    assert!(page.html.contains(&format!("id=\"{anchor}\"")));
    assert!(!page.html.contains(&format!("#{anchor}\"")));
    assert!(page.html.contains(&hostile.paragraphs[0]), "the whole text is on the page");
    assert!(!page.html.contains("Read the whole story"));

    // A preview with no archive: the headline is text, and there is no follow-on link.
    let preview = render::render(&digest, "en", &Audience::default()).unwrap();
    assert!(!preview.html.contains("Read the whole story"));
    assert!(!preview.html.contains(&format!("#{anchor}")));
}
