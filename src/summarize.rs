//! Summarize: a lead summary of whole sentences from the top of each article.
//!
//! Datelines and bylines at the start are skipped (`KYIV, Ukraine (AP) —`, `(CNN) —`,
//! `By Jane Doe`, `Updated 10:32 AM EST`), sentences are split with sentencex, and whole
//! sentences are taken up to `max_sentences` and `max_words`. A sentence is never cut, unless
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
    let mut sentences = Vec::new();
    let mut started = false;
    for paragraph in &article.paragraphs {
        if !started {
            if is_byline_or_timestamp(paragraph)
                || (word_count(paragraph) < 6 && !ends_like_sentence(paragraph))
            {
                continue;
            }
            started = true;
            let body = strip_dateline(paragraph);
            sentences.extend(split_sentences(body, language));
        } else {
            sentences.extend(split_sentences(paragraph, language));
        }
        if sentences.len() >= config.max_sentences {
            break;
        }
    }
    take_sentences(&sentences, config)
}

fn take_sentences(sentences: &[String], config: &SummaryConfig) -> Summary {
    let budget = config.max_words.unwrap_or(usize::MAX);
    let mut taken: Vec<&str> = Vec::new();
    let mut words = 0;
    for sentence in sentences.iter().take(config.max_sentences) {
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
        taken.push(sentence);
    }
    Summary { text: taken.join(" "), truncated: false }
}

/// Splits text into sentences with sentencex, trimmed, empty ones dropped.
///
/// sentencex reads `May.` as an abbreviation; a month written in full never is one, so
/// `… in May. Rates held.` is split again there.
pub fn split_sentences(text: &str, language: &str) -> Vec<String> {
    let code = language.split('-').next().unwrap_or("en");
    let mut out = Vec::new();
    for sentence in sentencex::segment(code, text) {
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

static WIRE_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used, reason = "a constant pattern, covered by tests")]
    Regex::new(
        r"^(?:[\p{Lu}][\p{L}.'’\- ]{1,40}?(?:,\s*[\p{Lu}][\p{L}.'’\- ]{1,30}?)?\s*)?\((?:AP|AFP|CNN|UPI|DPA|dpa|NPR|\p{Lu}[\p{L}.&]*(?: \p{Lu}[\p{L}.&]*){0,3})\)\s*(?:[—–-]+|:)\s*",
    )
    .expect("valid regex")
});

static CAPS_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used, reason = "a constant pattern, covered by tests")]
    Regex::new(r"^\p{Lu}[\p{Lu} .'’\-]{2,30}(?:,\s*\p{Lu}[\p{L} .]{1,30}?)?\s*[—–]\s*")
        .expect("valid regex")
});

/// Removes a dateline such as `KYIV, Ukraine (AP) — ` or `WASHINGTON — ` from the start.
pub fn strip_dateline(paragraph: &str) -> &str {
    for pattern in [&*WIRE_DATELINE, &*CAPS_DATELINE] {
        if let Some(found) = pattern.find(paragraph) {
            let rest = &paragraph[found.end()..];
            if word_count(rest) >= 3 {
                return rest;
            }
        }
    }
    paragraph
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        split_sentences(text, "en")
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

    #[test]
    fn datelines() {
        assert_eq!(
            strip_dateline("KYIV, Ukraine (AP) — Russian drones struck the city overnight."),
            "Russian drones struck the city overnight."
        );
        assert_eq!(
            strip_dateline("(CNN) — The storm made landfall on Sunday."),
            "The storm made landfall on Sunday."
        );
        assert_eq!(
            strip_dateline("WASHINGTON — Congress passed the bill late Friday."),
            "Congress passed the bill late Friday."
        );
        assert_eq!(
            strip_dateline("BEIRUT (Reuters) - Israeli strikes hit the south."),
            "Israeli strikes hit the south."
        );
        assert_eq!(
            strip_dateline("The U.S. — and Canada — agreed."),
            "The U.S. — and Canada — agreed."
        );
    }

    fn config(max_sentences: usize, max_words: Option<usize>) -> SummaryConfig {
        SummaryConfig { max_sentences, max_words }
    }

    #[test]
    fn whole_sentences_within_budget() {
        let sentences: Vec<String> =
            ["One two three four.", "Five six seven.", "Eight nine."].map(String::from).to_vec();
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

    #[test]
    fn an_over_long_chinese_first_sentence_is_cut_inside() {
        // Regression: the cut used to count white-space tokens, so a sentence of Chinese (one
        // token) was kept whole and only gained a `…`.
        let sentence =
            "中央银行周三宣布将基准利率维持不变，并表示今年冬季不太可能再次加息。".to_owned();
        let summary = take_sentences(&[sentence], &config(3, Some(5)));
        assert_eq!(summary, Summary { text: "中央银行周三宣布将基…".to_owned(), truncated: true });
    }
}
