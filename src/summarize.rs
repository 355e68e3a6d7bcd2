//! Summarize: a lead summary of whole sentences from the top of each article.
//!
//! Bylines and timestamps at the start are skipped (`By Jane Doe`, `Updated 10:32 AM EST`);
//! a wire lead keeps its dateline (`KYIV, Ukraine (AP) —`), as newspapers print it. Headings
//! between paragraphs are left out, sentences are split with sentencex, and whole sentences
//! are taken up to `max_sentences` and `max_words`, with a line break where the article
//! starts a paragraph. A sentence is never cut, unless
//! the first alone exceeds the word budget: then it is cut at a word boundary and ends in `…`.
//! Pure: no I/O, no clock.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::config::SummaryConfig;
use crate::model::{Article, Digest, DigestItem, Summary, TopicSection};
use crate::select::PickedSection;
use crate::text::{ends_like_sentence, is_byline_or_timestamp, word_count};

/// What a digest is, apart from its sections.
#[derive(Debug, Clone)]
pub struct DigestMeta {
    /// Title.
    pub title: String,
    /// Edition date.
    pub date: NaiveDate,
    /// File-name slug of the topic set.
    pub slug: String,
    /// Display names of the topics covered.
    pub topic_names: Vec<String>,
    /// Language code for sentence splitting.
    pub language: String,
}

/// Builds a digest: each picked article gets its lead summary.
pub fn digest(sections: Vec<PickedSection>, meta: DigestMeta, config: &SummaryConfig) -> Digest {
    let sections = sections
        .into_iter()
        .map(|section| TopicSection {
            id: section.id,
            name: section.name,
            items: section
                .items
                .into_iter()
                .map(|(article, matched)| {
                    let summary = lead(&article, config, &meta.language);
                    DigestItem { article, summary, matched }
                })
                .collect(),
        })
        .collect();
    Digest {
        title: meta.title,
        date: meta.date,
        slug: meta.slug,
        topic_names: meta.topic_names,
        sections,
    }
}

/// The lead summary of an article.
pub fn lead(article: &Article, config: &SummaryConfig, language: &str) -> Summary {
    // Each sentence, and whether it opens a paragraph.
    let mut sentences: Vec<(String, bool)> = Vec::new();
    let mut started = false;
    for paragraph in &article.paragraphs {
        if !started {
            if is_byline_or_timestamp(paragraph)
                || (word_count(paragraph) < 6 && !ends_like_sentence(paragraph))
            {
                continue;
            }
            started = true;
        } else if is_heading(paragraph) {
            continue;
        }
        let split = split_sentences(paragraph, language);
        let opens = sentences.len();
        sentences.extend(
            split.into_iter().filter(|sentence| !is_tags_only(sentence)).map(|s| (s, false)),
        );
        if let Some((_, first)) = sentences.get_mut(opens) {
            *first = true;
        }
        if sentences.len() >= config.max_sentences {
            break;
        }
    }
    take_sentences(&sentences, config)
}

fn take_sentences(sentences: &[(String, bool)], config: &SummaryConfig) -> Summary {
    let budget = config.max_words.unwrap_or(usize::MAX);
    let mut taken: Vec<(&str, bool)> = Vec::new();
    let mut words = 0;
    for (sentence, opens) in sentences.iter().take(config.max_sentences) {
        let count = word_count(sentence);
        if taken.is_empty() && count > budget {
            let text = crate::text::truncate_words(sentence, budget);
            let text = text.trim_end_matches([',', ';', ':', '-', '—', '–', '、', '，']);
            return Summary { text: format!("{text}…"), truncated: true };
        }
        if words + count > budget {
            break;
        }
        words += count;
        taken.push((sentence, *opens));
    }
    Summary { text: join_sentences(&taken), truncated: false }
}

/// A "sentence" of hashtags and mentions only (`#HealthyHydration #ad`): no words to read.
fn is_tags_only(sentence: &str) -> bool {
    sentence
        .split_whitespace()
        .all(|token| token.starts_with(['#', '@']) || !token.chars().any(char::is_alphanumeric))
}

/// A paragraph that is a heading: a few words with no sentence ending. A heading is never
/// part of a summary (it would run into the next sentence, since a summary is one string).
fn is_heading(paragraph: &str) -> bool {
    word_count(paragraph) < 12 && !ends_like_sentence(paragraph)
}

/// Joins sentences into one text: a space between the sentences of a paragraph, a line
/// break where the article starts a new one (an HTML page shows it as a space; the text part
/// keeps it). A paragraph the page left without its full stop (`…Kepa Arrizabalaga`) gets
/// one, so that it does not run into the next sentence.
fn join_sentences(sentences: &[(&str, bool)]) -> String {
    let mut out = String::new();
    for (idx, (sentence, opens)) in sentences.iter().enumerate() {
        if idx > 0 {
            let open = !out
                .ends_with(['.', '!', '?', '…', '"', '”', '’', '\'', ')', ':', '。', '！', '？']);
            if open && *opens {
                out.push('.');
            }
            out.push(if *opens { '\n' } else { ' ' });
        }
        out.push_str(sentence);
    }
    out
}

/// Splits text into sentences with sentencex, trimmed, empty ones dropped.
///
/// sentencex reads `May.` as an abbreviation; a month written in full never is one, so
/// `… in May. Rates held.` is split again there.
pub fn split_sentences(text: &str, language: &str) -> Vec<String> {
    let code = language.split('-').next().unwrap_or("en");
    // sentencex can split inside a token (`R-W.|Va.`): such a piece joins the one before.
    let mut pieces: Vec<String> = Vec::new();
    for raw in sentencex::segment(code, text) {
        match pieces.last_mut() {
            Some(last)
                if !raw.starts_with(char::is_whitespace)
                    && !last.ends_with(char::is_whitespace) =>
            {
                last.push_str(raw);
            }
            _ => pieces.push(raw.to_owned()),
        }
    }
    let mut out = Vec::new();
    for sentence in &pieces {
        let mut rest = sentence.trim();
        while let Some(found) = FULL_MONTH_END.find(rest) {
            let dot = found.start() + found.as_str().find('.').unwrap_or(0);
            let (head, tail) = rest.split_at(dot + 1);
            out.push(head.trim().to_owned());
            rest = tail.trim_start();
        }
        if !rest.is_empty() {
            out.push(rest.to_owned());
        }
    }
    out.retain(|sentence| !sentence.is_empty());
    out
}

static FULL_MONTH_END: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used, reason = "a constant pattern, covered by tests")]
    Regex::new(r#"\b(?:May|June|July)\.\s+["“\p{Lu}]"#).expect("valid regex")
});

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        split_sentences(text, "en")
    }

    /// Issue 12: a split that sentencex makes inside a token (`R-W.Va.`) is undone, so the
    /// summary does not gain a space (and a sentence break) the article does not have.
    #[test]
    fn no_split_inside_a_token() {
        let text = "In October, Rep. David McKinley, R-W.Va., visited the border near McAllen, Texas. He argued for more agents.";
        let sentences = split(text);
        assert_eq!(sentences.len(), 2, "{sentences:?}");
        assert!(sentences[0].contains("R-W.Va., visited"), "{sentences:?}");
    }

    #[test]
    fn abbreviations_do_not_split() {
        let cases: &[(&str, usize)] = &[
            (
                "Turkey called Sudanese Armed Forces Gen. Abdel-Fattah al-Burhan on Friday. He agreed.",
                2,
            ),
            ("The U.S. economy grew. Markets rose.", 2),
            ("The talks end on Dec. 13 in Geneva. Few expect a deal.", 2),
            ("Mr. Smith went to Washington. He stayed.", 2),
            ("J.P. Morgan raised its forecast. Shares rose.", 2),
            ("The team flew to St. Louis on Monday. It lost.", 2),
            ("The polls open at 5 a.m. on Tuesday. Turnout was high.", 2),
            ("Inflation fell to 3.2 percent in May. Rates held.", 2),
            ("“We will not leave,” he said. “Never.” The crowd cheered.", 3),
        ];
        for (text, count) in cases {
            let sentences = split(text);
            assert_eq!(sentences.len(), *count, "{text}: {sentences:?}");
        }
        assert_eq!(split("“It is over.” She left.")[0], "“It is over.”");
    }

    fn config(max_sentences: usize, max_words: Option<usize>) -> SummaryConfig {
        SummaryConfig { max_sentences, max_words }
    }

    #[test]
    fn whole_sentences_within_budget() {
        let sentences: Vec<(String, bool)> =
            ["One two three four.", "Five six seven.", "Eight nine."]
                .map(|sentence| (sentence.to_owned(), false))
                .to_vec();
        assert_eq!(
            take_sentences(&sentences, &config(3, Some(7))).text,
            "One two three four. Five six seven."
        );
        assert_eq!(take_sentences(&sentences, &config(1, Some(60))).text, "One two three four.");
        let long = take_sentences(&sentences, &config(3, Some(2)));
        assert_eq!(long, Summary { text: "One two…".to_owned(), truncated: true });
        assert_eq!(
            take_sentences(&sentences, &config(3, None)).text,
            "One two three four. Five six seven. Eight nine."
        );
    }

    /// Issue 12: a heading between the lead's paragraphs is never part of the summary, and a
    /// paragraph the page left without its full stop does not run into the next sentence.
    #[test]
    fn headings_stay_out_and_open_sentences_are_closed() {
        let article = |paragraphs: &[&str]| crate::model::Article {
            id: crate::model::ArticleId::from_url("https://example.org/a"),
            title: "Harbour".to_owned(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            url: None,
            published: None,
            date_origin: crate::model::DateOrigin::FileTime,
            source: "Example".to_owned(),
            author: None,
            tags: Vec::new(),
            origin: std::path::PathBuf::from("a.txt"),
            format: crate::model::ArticleFormat::TextDump,
            copies: Vec::new(),
        };
        let summary = lead(
            &article(&[
                "The harbour authority approved a new sea wall on Wednesday.",
                "What happens next",
                "Work starts in the spring and takes four years.",
            ]),
            &config(3, None),
            "en",
        );
        assert_eq!(
            summary.text,
            "The harbour authority approved a new sea wall on Wednesday.\nWork starts in the spring and takes four years."
        );
        let summary = lead(
            &article(&[
                "Chelsea have this morning paid the fee to secure the world record signing of the keeper",
                "This has freed the move of their own keeper to Madrid.",
            ]),
            &config(3, None),
            "en",
        );
        assert_eq!(
            summary.text,
            "Chelsea have this morning paid the fee to secure the world record signing of the keeper.\nThis has freed the move of their own keeper to Madrid."
        );
    }

    /// Issue 12: hashtags at the end of a paragraph are no sentence of the summary.
    #[test]
    fn hashtags_are_no_sentence() {
        assert!(is_tags_only("#HealthyHydration #ad"));
        assert!(is_tags_only("@sampledaily"));
        assert!(!is_tags_only("Follow #ad rules."));
        assert!(!is_tags_only("We moved here two years ago."));
    }

    #[test]
    fn an_over_long_chinese_first_sentence_is_cut_inside() {
        // Regression: the cut used to count white-space tokens, so a sentence of Chinese (one
        // token) was kept whole and only gained a `…`.
        let sentence =
            "中央银行周三宣布将基准利率维持不变，并表示今年冬季不太可能再次加息。".to_owned();
        let summary = take_sentences(&[(sentence, true)], &config(3, Some(5)));
        assert_eq!(summary, Summary { text: "中央银行周三宣布将基…".to_owned(), truncated: true });
    }
}
