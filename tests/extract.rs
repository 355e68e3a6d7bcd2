//! Extraction on real files: the user's seed dump, page dumps of other shapes, Markdown with
//! both front-matter syntaxes and HTML pages with navigation, ads, captions and related blocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{extract_fixture, fixture};
use newsdigest::config::SummaryConfig;
use newsdigest::model::{ArticleFormat, DateOrigin};
use newsdigest::summarize;

const DEFAULT_SUMMARY: SummaryConfig = SummaryConfig { max_sentences: 3, max_words: Some(60) };

fn assert_no_noise(name: &str, paragraphs: &[String], noise: &[&str]) {
    for paragraph in paragraphs {
        for needle in noise {
            assert!(!paragraph.contains(needle), "{name}: noise {needle:?} kept in {paragraph:?}");
        }
    }
}

#[test]
fn seed_dump_title_body_and_summary() {
    let article = extract_fixture("dumps/seed_gzero.txt");
    assert_eq!(article.format, ArticleFormat::TextDump);
    assert_eq!(article.title, "Putin’s muscle flex in Belarus");
    assert_eq!(article.paragraphs.len(), 7);
    assert!(article.paragraphs[0].starts_with("Russia’s Vladimir Putin is scrambling this week"));
    assert_eq!(
        article.paragraphs.last().unwrap(),
        "For more on Putin’s attempt to push Lukashenko into a more active role against Ukraine, \
         watch former Swedish PM Carl Bildt’s Europe in 60 Seconds."
    );
    assert_no_noise(
        "seed",
        &article.paragraphs,
        &[
            "in Minsk, Belarus.",
            "Reuters",
            "More from GZERO",
            "Erdoğan",
            "YouTube",
            "Mastercard",
            "FILE PHOTO",
        ],
    );
    let summary = summarize::lead(&article, &DEFAULT_SUMMARY, "en");
    assert_eq!(
        summary.text,
        "Russia’s Vladimir Putin is scrambling this week to project strength and confidence in \
         support of a war effort in Ukraine that’s gone terribly wrong. Russian forces have \
         continued their artillery strikes against critical infrastructure targets across Ukraine, \
         temporarily knocking out heat and electricity for civilians in many Ukrainian cities."
    );
    assert!(!summary.truncated);
    // No stated date: the file's modification time stands in.
    assert_eq!(article.date_origin, DateOrigin::FileTime);
}

/// One fixture's expected extraction.
struct Case {
    file: &'static str,
    title: &'static str,
    paragraphs: usize,
    first: &'static str,
    last: &'static str,
    noise: &'static [&'static str],
}

fn check(cases: &[Case], format: ArticleFormat) {
    for case in cases {
        let article = extract_fixture(case.file);
        assert_eq!(article.format, format, "{}", case.file);
        assert_eq!(article.title, case.title, "{}", case.file);
        assert_eq!(
            article.paragraphs.len(),
            case.paragraphs,
            "{}: {:#?}",
            case.file,
            article.paragraphs
        );
        assert!(
            article.paragraphs[0].starts_with(case.first),
            "{}: {:?}",
            case.file,
            article.paragraphs[0]
        );
        assert!(article.paragraphs.last().unwrap().ends_with(case.last), "{}", case.file);
        assert_no_noise(case.file, &article.paragraphs, case.noise);
    }
}

/// Dumps of other shapes: each kind of noise a page dump carries.
#[test]
fn dumps_of_other_shapes() {
    let cases = &[
        Case {
            file: "dumps/ap_caption_twice.txt",
            title: "Port strike enters second week as ships queue offshore",
            paragraphs: 3,
            first: "ROTTERDAM, Netherlands (AP) — Dock workers",
            last: "before the holidays.",
            noise: &["at anchor outside the harbour on Monday", "AP Photo", "Airlines cut"],
        },
        Case {
            file: "dumps/getty_file_photo.txt",
            title: "Drugmaker recalls blood pressure tablets after contamination found",
            paragraphs: 3,
            first: "A drugmaker recalled",
            last: "had stopped using it.",
            noise: &["FILE PHOTO", "REUTERS/", "Getty", "generic medicines"],
        },
        Case {
            file: "dumps/youtube_embeds.txt",
            title: "Comet visible to the naked eye for the first time in a decade",
            paragraphs: 3,
            first: "Astronomers say the comet",
            last: "about 80,000 years.",
            noise: &["YouTube", "Sky Notes", "meteor showers"],
        },
        Case {
            file: "dumps/hard_wrapped.txt",
            title: "Library reopens after flood repairs",
            paragraphs: 3,
            first: "The central library reopened on Saturday, eighteen months after a burst water main",
            last: "a local social enterprise.",
            noise: &["Museum night", "Related"],
        },
        Case {
            file: "dumps/menu_byline_related.txt",
            title: "City council approves four-day week trial for staff",
            paragraphs: 3,
            first: "The city council voted on Tuesday",
            last: "response times.",
            noise: &["By Jane Doe", "Published March", "Share this", "Bus fares", "Sign in"],
        },
        Case {
            file: "dumps/recommended_teasers.txt",
            title: "Record number of cyclists counted on city bridges",
            paragraphs: 3,
            first: "The number of bicycles",
            last: "at rush hour.",
            noise: &["traffic lights", "cargo bikes"],
        },
        Case {
            file: "dumps/long_widget_mid_article.txt",
            title: "Town orders boil-water notice after storm floods treatment works",
            paragraphs: 7,
            first: "A storm that flooded",
            last: "in its guidance.",
            noise: &["Pensioner swims", "old market hall", "RECORD BREAKER", "Topics"],
        },
        Case {
            file: "dumps/reuters_caption_block.txt",
            title: "Volcano eruption forces evacuation of island villages",
            paragraphs: 3,
            first: "Authorities ordered the evacuation",
            last: "could last for weeks.",
            noise: &["Smoke rises", "REUTERS", "sank"],
        },
        Case {
            file: "dumps/bbc_image_caption_ads.txt",
            title: "Schools to get heat pumps in climate plan",
            paragraphs: 3,
            first: "Hundreds of schools will replace gas boilers",
            last: "keep classrooms warm.",
            noise: &[
                "Image caption",
                "first 200 schools",
                "Advertisement",
                "Image copyright",
                "Exam results",
            ],
        },
        // A related-content widget inside the article: the article goes on after it.
        Case {
            file: "dumps/trending_widget_mid_article.txt",
            title: "Rescued hikers found after three nights on the mountain",
            paragraphs: 5,
            first: "Rescue teams found three hikers alive",
            last: "descend in the storm.",
            noise: &["Trending", "Ski resort", "Ferry services", "Avalanche risk", "Updated on"],
        },
        // Issue 12: reader comments after a short article are never the article.
        Case {
            file: "dumps/comment_thread.txt",
            title: "Autumn open thread for readers",
            paragraphs: 1,
            first: "Our quarterly open threads",
            last: "rather talk privately.",
            noise: &["said:", "Hi Tom", "sea wall maintenance", "ferry programme", "Comments"],
        },
        // Issue 12: a ticker of teasers, each a headline glued to its standfirst, above a
        // short article; the headline is the line with the byline's date under it.
        Case {
            file: "dumps/glued_teasers.txt",
            title: "County Health Officials Report Sixth Case Of Mosquito-Borne Virus",
            paragraphs: 4,
            first: "PORT TOWN (AP) — County health officials",
            last: "keep taking precautions.",
            noise: &["Restaurant", "ballot papers", "Some sunshine", "Filed Under", "log in"],
        },
        // Issue 12: a numbered list the article introduces is part of it; the numbered list
        // of other stories after `Most read` is not.
        Case {
            file: "dumps/numbered_list.txt",
            title: "Championship standings",
            paragraphs: 8,
            first: "This page always carries",
            last: "6 Ryan Blaine 2339 1 1",
            noise: &["pit lane", "Click the link", "Most read", "Calendar"],
        },
        // Issue 12: the article's first paragraph stands before a related box, the rest after
        // it; the lead is not lost.
        Case {
            file: "dumps/lead_before_related_box.txt",
            title: "Third case of the fever confirmed as the region steps up checks",
            paragraphs: 6,
            first: "Health authorities in the northern province",
            last: "seek help at once.",
            noise: &["what we know", "busy winter", "Most read", "Comet", "By Sam Reed"],
        },
        // Issue 12: a related-story box ("Read more") and ad slots between paragraphs do not
        // end the article.
        Case {
            file: "dumps/ad_between_paragraphs.txt",
            title: "Man developed a rare lung condition after changing his duvet",
            paragraphs: 6,
            first: "A man's decision",
            last: "breathe freely again.",
            noise: &["E-Cigarettes", "acutely sick", "Advertisement", "Read more", "Tags"],
        },
    ];
    check(cases, ArticleFormat::TextDump);
}

/// Issue 12: a wire lead keeps its dateline in the summary, as newspapers print it (the
/// summary's first sentence is the article's).
#[test]
fn the_dateline_stays_in_the_summary() {
    let article = extract_fixture("dumps/ap_caption_twice.txt");
    let summary = summarize::lead(&article, &DEFAULT_SUMMARY, "en");
    assert!(
        summary
            .text
            .starts_with("ROTTERDAM, Netherlands (AP) — Dock workers extended their strike"),
        "{}",
        summary.text
    );
}

#[test]
fn markdown_with_toml_front_matter() {
    let article = extract_fixture("markdown/toml_front_matter.md");
    assert_eq!(article.format, ArticleFormat::Markdown);
    assert_eq!(article.title, "Council backs new tram line");
    assert_eq!(article.published.unwrap().to_rfc3339(), "2026-11-25T07:30:00+00:00");
    assert_eq!(article.date_origin, DateOrigin::Stated);
    // Tracking parameters are dropped from the canonical URL, which is the id.
    assert_eq!(article.url.as_deref(), Some("https://example.com/tram"));
    assert_eq!(article.id.as_str(), "url:https://example.com/tram");
    assert_eq!(article.source, "Sample City News");
    assert_eq!(article.author.as_deref(), Some("Ines Duarte"));
    assert_eq!(article.tags, ["transport"]);
    assert_eq!(
        article.paragraphs,
        [
            "The city council approved a new tram line on Tuesday, linking the station to the hospital.",
            "Construction starts in spring."
        ]
    );
}

#[test]
fn markdown_with_yaml_front_matter() {
    let article = extract_fixture("markdown/yaml_front_matter.md");
    assert_eq!(article.title, "Heat records fall across the south");
    assert_eq!(article.published.unwrap().to_rfc3339(), "2026-11-24T00:00:00+00:00");
    assert_eq!(article.tags, ["climate", "weather"]);
    assert_eq!(
        article.paragraphs,
        [
            "Temperatures reached 38 degrees on Monday, a November record for the region.",
            "Forecasters expect cooler air by Thursday."
        ]
    );
    assert!(article.id.as_str().starts_with("sha256:"), "no URL: a content hash");
}

#[test]
fn broken_front_matter_is_an_error_naming_the_line() {
    let raw = newsdigest::ingest::files::read_article(
        "x",
        &fixture("markdown/broken_front_matter.md"),
        1 << 20,
    )
    .unwrap();
    let err = newsdigest::extract::clean(raw).unwrap_err().to_string();
    assert!(err.starts_with("front matter (TOML), line 2: "), "{err}");
}

/// Pages with navigation, ads, captions, share bars, newsletter boxes and related blocks.
#[test]
fn html_pages() {
    let cases = &[
        Case {
            file: "pages/power-market-outlook.html",
            title: "Recession fears ease as factory orders recover",
            paragraphs: 4,
            first: "New factory orders rose",
            last: "next week.",
            noise: &[
                "Advertisement",
                "Sign up",
                "Share on",
                "How tariffs",
                "production line",
                "©",
                "By Lena",
            ],
        },
        Case {
            file: "pages/ransomware-hospital.html",
            title: "Hospital group restores systems a week after ransomware attack",
            paragraphs: 4,
            first: "A hospital group that runs five hospitals",
            last: "two-factor authentication.",
            noise: &["Advertisement", "Great reporting", "Comments", "About us", "Gadgets"],
        },
        Case {
            file: "pages/glacier-retreat.html",
            title: "Alpine glaciers lose a tenth of their ice in two years",
            paragraphs: 4,
            first: "Glaciers in the Alps",
            last: "hydropower downstream.",
            noise: &["Subscribe", "Tweet", "Ski resorts", "More from", "Environment"],
        },
        Case {
            file: "pages/smartphone-repair.html",
            title: "New rules make smartphone batteries replaceable by owners",
            paragraphs: 4,
            first: "From next year, every new smartphone",
            last: "review in three years.",
            noise: &["cookies", "Most read", "best cameras", "Terms", "4 min read"],
        },
        Case {
            file: "pages/nurses-strike.html",
            title: "Nurses vote to strike over pay and staffing",
            paragraphs: 3,
            first: "Nurses at 30 hospitals",
            last: "return to talks.",
            noise: &["Sample Photo", "Nurses outside", "Recommended", "40 years"],
        },
        Case {
            file: "pages/aspnet_form_wrapper.html",
            title: "Harbour tunnel opens to traffic",
            paragraphs: 3,
            first: "The harbour tunnel opened",
            last: "foot passengers.",
            noise: &["Advertisement"],
        },
        // Issue 12: a standfirst over the byline is not the first paragraph.
        Case {
            file: "pages/standfirst-over-byline.html",
            title: "Third case of fever confirmed as region steps up checks",
            paragraphs: 3,
            first: "Health authorities in the northern province",
            last: "unrelated to the earlier ones.",
            noise: &["A THIRD case", "By Sam Reed", "PUBLISHED"],
        },
        // Issue 12: the page's h1, a different wording from its og:title, and the standfirst
        // under it over a byline split into `By` and the name, are not paragraphs.
        Case {
            file: "pages/h1-and-split-byline.html",
            title: "The return of a forgotten novelist",
            paragraphs: 3,
            first: "Three years ago, over breakfast",
            last: "two hundred dollars.",
            noise: &["Disappearance", "I wanted to learn", "Sam Butler", "Nov 15"],
        },
        // Issue 12: a standfirst marked as one (`article__dek`, schema.org's
        // alternativeHeadline) is not a paragraph, even inside the article's element.
        Case {
            file: "pages/dek-class.html",
            title: "The return of the ferry",
            paragraphs: 3,
            first: "The ferry left the harbour",
            last: "end of next summer.",
            noise: &["For twenty years", "Then a retired captain"],
        },
        // Issue 12: a standfirst the page repeats at the top of the body goes with it.
        Case {
            file: "pages/dek-repeated.html",
            title: "Four things to do in October",
            paragraphs: 3,
            first: "CHEER ON the young riders",
            last: "open to walkers on Friday.",
            noise: &["Our top picks"],
        },
        // Issue 12: a "Don't miss" box of links and a caption between paragraphs do not end
        // the article; a hover card inside a sentence is not part of it, the name it hangs on
        // is.
        Case {
            file: "pages/dont-miss-box.html",
            title: "Police lay siege to campus as protest enters third week",
            paragraphs: 5,
            first: "Police surrounded the university campus",
            last: "force on Monday.",
            noise: &[
                "DON'T MISS",
                "INSIGHT",
                "military intervention",
                "worn masks",
                "Ka-yip",
                "warns students",
                "MORE",
            ],
        },
        // Issue 12: a caption whose class names it in camel case (`imageEmbedCaption`) is
        // no paragraph, nor is a "Highlights" box over the article.
        Case {
            file: "pages/camel-case-caption.html",
            title: "Airline orders thirty long-haul jets at air show",
            paragraphs: 3,
            first: "The country's flagship airline",
            last: "long-haul programme.",
            noise: &["prime minister", "walks past", "nine billion", "Highlights"],
        },
        // Issue 12: a collapsed "Read More" container between paragraphs does not end the
        // article (a page lost 14 of its 19 paragraphs).
        Case {
            file: "pages/collapsed-read-more.html",
            title: "Why the council's budget figures do not add up",
            paragraphs: 6,
            first: "The council said on Saturday",
            last: "for more than a few months.",
            noise: &["Read More", "Mayor opens", "Bus lanes"],
        },
        // Issue 12: an affiliate disclosure and a reading-time label before the article, and
        // teasers shouted in capitals between its paragraphs, are furniture.
        Case {
            file: "pages/celebrity-shouted-teasers.html",
            title: "Actor leaves dance contest after family loss",
            paragraphs: 3,
            first: "The actor was voted off",
            last: "closer together than ever before.",
            noise: &["affiliate", "Reading time", "JUDGE", "ELIMINATED", "CLICK HERE", "Sharing"],
        },
    ];
    check(cases, ArticleFormat::Html);
}

#[test]
fn html_metadata() {
    let page = extract_fixture("pages/aspnet_form_wrapper.html");
    assert_eq!(page.published.unwrap().to_rfc3339(), "2026-11-20T06:30:00+01:00");
    assert_eq!(page.url.as_deref(), Some("https://coast.example.com/news/harbour-tunnel-opens"));
    let page = extract_fixture("pages/ransomware-hospital.html");
    assert_eq!(page.source, "Sample Tech Review");
    assert_eq!(page.author.as_deref(), Some("Sam Ortiz"));
    assert_eq!(
        page.url.as_deref(),
        Some("https://tech.example.com/2026/ransomware-hospital-restored"),
        "utm_* dropped"
    );
    let page = extract_fixture("pages/glacier-retreat.html");
    assert_eq!(page.tags, ["climate"]);
    // Issue 12: an h1 that is the site's name in the masthead (inside a link home) is not the
    // headline; the page's <title>, without the site's name, is.
    let page = extract_fixture("pages/masthead-h1.html");
    assert_eq!(page.title, "Harbour festival returns after three years");
    // Issue 12: the hover card goes, the name it hangs on stays in the sentence.
    let page = extract_fixture("pages/dont-miss-box.html");
    assert!(page.paragraphs[1].starts_with("The commander of the district, Sam Lee, said"));
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.txt");
    std::fs::write(
        &path,
        b"Caf\xe9 owners protest new rules\n\nCafe owners marched through the old town on Sunday to protest rules that would limit terrace seating.\n",
    )
    .unwrap();
    let raw = newsdigest::ingest::files::read_article("x", &path, 1 << 20).unwrap();
    assert!(raw.lossy);
    let article = newsdigest::extract::clean(raw).unwrap();
    assert_eq!(article.title, "Caf\u{FFFD} owners protest new rules");
}
