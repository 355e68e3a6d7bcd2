//! Plain-text helpers shared by the stages: normalisation, words, stems, HTML escaping, the
//! text of an error and its causes.
//!
//! No I/O. Everything here works on `&str` and returns owned text.

use unicode_normalization::UnicodeNormalization;

/// NFC-normalises `text`, turns control characters and all runs of white space (including
/// non-breaking and zero-width spaces) into single spaces, and trims the ends. The zero-width
/// joiner and non-joiner are kept: they shape Persian and Indic words and join emoji.
pub fn normalize(text: &str) -> String {
    // Most text is in NFC already (all ASCII text is): composing is skipped when the quick
    // check says so, which is most of the time this function takes otherwise.
    if text.is_ascii()
        || text.chars().all(is_nfc_starter)
        || unicode_normalization::is_nfc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        fold_blanks_in(text)
    } else {
        fold_blanks(text.nfc(), text.len())
    }
}

/// A character NFC leaves as it is wherever it stands, by range for the scripts news is mostly
/// written in: its canonical combining class is 0 and its NFC quick check is Yes, so a text
/// of such characters is in NFC without looking each up in the normalisation tables.
fn is_nfc_starter(ch: char) -> bool {
    NFC_STARTERS.iter().any(|range| range.contains(&ch))
}

/// The ranges of [`is_nfc_starter`] (a test checks every character in them): Latin to
/// U+02FF, Cyrillic letters, general punctuation, CJK punctuation, kana, CJK ideographs,
/// Hangul syllables, full-width forms.
const NFC_STARTERS: [std::ops::RangeInclusive<char>; 10] = [
    '\u{0}'..='\u{02FF}',
    '\u{0400}'..='\u{0482}',
    '\u{048A}'..='\u{052F}',
    '\u{2010}'..='\u{206F}',
    '\u{3000}'..='\u{3029}',
    '\u{3041}'..='\u{3096}',
    '\u{30A1}'..='\u{30FA}',
    '\u{4E00}'..='\u{9FFF}',
    '\u{AC00}'..='\u{D7A3}',
    '\u{FF01}'..='\u{FFEE}',
];

/// Whether [`normalize`] reads `ch` as a blank: white space, a control character, or a
/// zero-width space.
fn is_blank(ch: char) -> bool {
    ch.is_whitespace() || ch.is_control() || matches!(ch, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Whether a non-ASCII character whose UTF-8 encoding starts with `lead` may be a blank (see
/// [`is_blank`]): no other lead byte starts one (a test checks every character), so most
/// text (accented Latin, Cyrillic, CJK) is copied without decoding it.
fn may_be_blank(lead: u8) -> bool {
    matches!(lead, 0xC2 | 0xE1..=0xE3 | 0xEF)
}

/// The length of the UTF-8 sequence that `lead` starts.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// [`fold_blanks`] over a text's own characters: the runs between blanks are copied whole
/// instead of a character at a time.
fn fold_blanks_in(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Where the run of characters not yet copied starts.
    let mut run = 0;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let (len, blank) = if byte.is_ascii() {
            // ASCII white space and control characters: up to the space, and DEL.
            (1, byte <= b' ' || byte == 0x7F)
        } else if may_be_blank(byte) {
            let ch = text[at..].chars().next().unwrap_or_default();
            (ch.len_utf8(), is_blank(ch))
        } else {
            (utf8_len(byte), false)
        };
        if blank {
            if run < at {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text[run..at]);
            }
            run = at + len;
        }
        at += len;
    }
    if run < bytes.len() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text[run..]);
    }
    out
}

/// `chars` with every run of blanks as one space, trimmed (see [`normalize`]).
fn fold_blanks(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for ch in chars {
        if is_blank(ch) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
    }
    out
}

/// Lower-cased words: runs of letters and digits. A possessive `’s` is cut (`Putin’s` gives
/// `putin`) and other apostrophes inside a word are dropped (`don't` gives `dont`).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch.is_alphanumeric() {
            current.extend(ch.to_lowercase());
        } else if matches!(ch, '\'' | '’') && !current.is_empty() {
            // A possessive or contraction: keep `don't` as `dont`, cut `Putin's` to `putin`.
            let next_is_s = chars.peek().is_some_and(|c| *c == 's' || *c == 'S');
            let after = chars.clone().nth(1);
            if next_is_s && !after.is_some_and(char::is_alphanumeric) {
                chars.next();
                out.push(std::mem::take(&mut current));
            }
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// An English stemmer (Snowball), shared by topic keywords and article text.
pub struct Stemmer(rust_stemmers::Stemmer);

impl Stemmer {
    /// The English stemmer.
    pub fn english() -> Self {
        Stemmer(rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
    }

    /// The stems of the words of `text`, in order.
    pub fn stems(&self, text: &str) -> Vec<String> {
        words(text).iter().map(|word| self.0.stem(word).into_owned()).collect()
    }
}

impl std::fmt::Debug for Stemmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stemmer(English)")
    }
}

/// Number of words: white-space separated tokens, where a run of CJK characters (written
/// without spaces) counts one word for every two characters.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().map(token_words).sum()
}

/// [`word_count`], counting only up to `limit + 1`: enough to tell whether a text has more
/// than `limit` words without reading all of a long one.
pub fn word_count_over(text: &str, limit: usize) -> usize {
    let mut words = 0;
    for token in text.split_whitespace() {
        words += token_words(token);
        if words > limit {
            break;
        }
    }
    words
}

/// The words of one whitespace-separated token: one, or half its CJK characters.
fn token_words(token: &str) -> usize {
    // Chinese and Japanese (U+3040 on) are written with lead bytes from 0xE3 on: a token
    // without one (any ASCII, Latin, Cyrillic, Greek, Arabic token) is one word.
    if token.bytes().all(|byte| byte < 0xE3) {
        return 1;
    }
    let cjk = token.chars().filter(|c| is_cjk(*c)).count();
    if cjk > 2 { cjk.div_ceil(2) } else { 1 }
}

/// Why `text` is not prose a person wrote, or `None` when it is: random bytes, binary data
/// decoded as text and symbol soup are mostly replacement characters, control characters and
/// symbols, and have few letters. Any script counts as letters; prose has about 80% of them
/// among its visible characters, and a table of results or prices still over 30%.
pub fn not_prose(text: &str) -> Option<String> {
    let mut letters = 0usize;
    let mut garbage = 0usize;
    let mut visible = 0usize;
    for ch in text.chars() {
        if ch.is_whitespace() {
            continue;
        }
        visible += 1;
        if is_letter(ch) {
            letters += 1;
        } else if ch == '\u{FFFD}'
            || ch.is_control()
            || ('\u{E000}'..='\u{F8FF}').contains(&ch)
            || ('\u{FFF0}'..='\u{FFFF}').contains(&ch)
        {
            garbage += 1;
        }
    }
    if visible == 0 {
        return Some("no text".to_owned());
    }
    let percent = |n: usize| n * 100 / visible;
    if percent(garbage) >= 5 {
        return Some(format!(
            "{}% of its characters are undecodable or control characters: not text",
            percent(garbage)
        ));
    }
    if percent(letters) < 30 {
        return Some(format!(
            "only {}% of its characters are letters: not prose",
            percent(letters)
        ));
    }
    None
}

/// `ch.is_alphabetic()`, answered without the Unicode table for the scripts news is mostly
/// written in (Latin, Cyrillic, Greek, Chinese, Japanese kana, Korean syllables) and for
/// general punctuation: the table's search is the cost of counting a page's letters.
pub fn is_letter(ch: char) -> bool {
    match ch {
        'a'..='z' | 'A'..='Z' => true,
        '\0'..='\x7f' | '\u{2000}'..='\u{206F}' => false,
        '\u{0100}'..='\u{024F}'
        | '\u{03B1}'..='\u{03C9}'
        | '\u{0400}'..='\u{0481}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7A3}' => true,
        _ => ch.is_alphabetic(),
    }
}

/// The first `budget` words of `text`, counted as [`word_count`] counts them: a run of
/// Chinese or Japanese is cut inside, two characters a word.
pub fn truncate_words(text: &str, budget: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for token in text.split_whitespace() {
        let units = word_count(token);
        let remaining = budget.saturating_sub(used);
        if units <= remaining {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(token);
            used += units;
            continue;
        }
        if units > 1 && remaining > 0 {
            let mut cjk = 0;
            let mut piece = String::new();
            for ch in token.chars() {
                if is_cjk(ch) {
                    if cjk == remaining * 2 {
                        break;
                    }
                    cjk += 1;
                }
                piece.push(ch);
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&piece);
        }
        break;
    }
    out
}

/// Estimated reading time of paragraphs in whole minutes (230 words a minute, at least 1),
/// counting Chinese and Japanese as [`word_count`] does.
pub fn reading_minutes(paragraphs: &[String]) -> usize {
    paragraphs.iter().map(|p| word_count(p)).sum::<usize>().div_ceil(230).max(1)
}

/// `text` escaped for HTML text or a quoted attribute value (`&`, `<`, `>`, `"`).
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An error's message followed by each cause it does not already quote, joined by `: `
/// (libraries differ in whether their message repeats the cause).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}

/// Chinese, Japanese (kana and kanji) characters: scripts written without spaces.
fn is_cjk(ch: char) -> bool {
    matches!(ch as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// True when `text` ends like a sentence: `.`, `!`, `?` or `…`, possibly followed by closing
/// quotes or brackets.
pub fn ends_like_sentence(text: &str) -> bool {
    let trimmed = text.trim_end_matches(['"', '\'', '”', '’', ')', ']', '»', '*', '」', '』']);
    trimmed.ends_with(['.', '!', '?', '…', ':', ';', '。', '！', '？'])
}

/// A title folded for duplicate detection: lower-case words joined by single spaces.
pub fn fold_title(title: &str) -> String {
    words(title).join(" ")
}

/// A line like `By Jane Doe`, `Updated 10:32 AM EST` or `Published March 3, 2024`.
pub fn is_byline_or_timestamp(line: &str) -> bool {
    // Counted first, and only as far as the limit: most lines asked about are paragraphs.
    let words = word_count_over(line, 20);
    if words > 20 {
        return false;
    }
    let folded = line.trim().trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let starts =
        ["by", "updated", "published", "posted", "last updated", "first published", "original"];
    let labelled = starts
        .iter()
        .any(|start| folded.strip_prefix(start).is_some_and(|rest| rest.starts_with([' ', ':'])));
    if labelled && (words <= 8 || has_date_shape(&folded)) {
        return true;
    }
    words <= 14 && has_date_shape(&folded) && !ends_like_sentence(line)
}

const MONTHS: &[&str] = &[
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// True when `folded` (lower-case) holds a date or a clock time.
fn has_date_shape(folded: &str) -> bool {
    let tokens: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric() && c != ':')
        .filter(|token| !token.is_empty())
        .collect();
    let has_month = tokens.iter().any(|token| MONTHS.contains(token));
    let has_number = tokens.iter().any(|token| token.chars().all(|c| c.is_ascii_digit()));
    let has_time = tokens.iter().any(|token| {
        let mut parts = token.split(':');
        matches!((parts.next(), parts.next()), (Some(h), Some(m))
            if !h.is_empty() && h.len() <= 2 && h.chars().all(|c| c.is_ascii_digit())
                && m.len() == 2 && m.chars().all(|c| c.is_ascii_digit()))
    });
    let iso_date = tokens.iter().any(|token| token.len() == 4 && token.starts_with("20"))
        && tokens.iter().filter(|token| token.chars().all(|c| c.is_ascii_digit())).count() >= 3;
    (has_month && has_number) || has_time || iso_date
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_starters_are_in_nfc_and_never_reorder() {
        for range in NFC_STARTERS {
            for ch in range {
                let code = u32::from(ch);
                assert_eq!(
                    unicode_normalization::char::canonical_combining_class(ch),
                    0,
                    "U+{code:04X}"
                );
                assert_eq!(
                    unicode_normalization::is_nfc_quick(std::iter::once(ch)),
                    unicode_normalization::IsNormalized::Yes,
                    "U+{code:04X}"
                );
            }
        }
        assert!(!is_nfc_starter('\u{0301}'), "a combining accent is looked up");
        assert_eq!(normalize("Cafe\u{0301} \u{0439}"), "Caf\u{e9} \u{0439}");
    }

    #[test]
    fn only_the_listed_lead_bytes_start_blanks() {
        for ch in ('\u{80}'..=char::MAX).filter(|ch| is_blank(*ch)) {
            let mut utf8 = [0; 4];
            let lead = ch.encode_utf8(&mut utf8).as_bytes()[0];
            assert!(may_be_blank(lead), "{ch:?}");
        }
        for ch in ['\u{0}', 'é', 'Ж', '’', '東', '😀'] {
            let mut utf8 = [0; 4];
            let lead = ch.encode_utf8(&mut utf8).as_bytes()[0];
            assert_eq!(utf8_len(lead), ch.len_utf8(), "{ch:?}");
        }
    }

    #[test]
    fn blanks_fold_as_a_character_at_a_time() {
        let pieces = [
            "word", " ", "  ", "\t\n", "\u{0}", "\u{7f}", "\u{85}", "\u{a0}", "\u{200b}",
            "\u{2060}", "\u{feff}", "\u{3000}", "\u{2028}", "é", "’", "東京", "\u{200d}", "x",
            "\u{9f}", "\u{ff0c}",
        ];
        let mut rng = crate::test_rng::Rng::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            let text = rng.joined(&pieces, 10);
            assert_eq!(fold_blanks_in(&text), fold_blanks(text.chars(), text.len()), "{text:?}");
        }
    }

    #[test]
    fn is_letter_is_is_alphabetic_for_every_character() {
        for ch in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(is_letter(ch), ch.is_alphabetic(), "U+{:04X}", u32::from(ch));
        }
    }

    #[test]
    fn prose_in_any_script_and_what_is_not() {
        for prose in [
            "The storm closed the road on Thursday, police said (3 lanes, 40 km).",
            "Новый мост через реку открыт для движения.",
            "台风周四关闭了沿海公路，警方表示道路将保持关闭。",
            "Results: Arsenal 2-1 Chelsea, Leeds 3-0 Everton, Fulham 1-1 Wolves (12.5%).",
        ] {
            assert_eq!(not_prose(prose), None, "{prose}");
        }
        assert!(
            not_prose("\u{FFFD}a\u{FFFD}b\u{1}c d e f g h i j k l m n o p")
                .unwrap()
                .contains("undecodable")
        );
        assert!(not_prose("#$%^ 123 456 &*() {} [] ab").unwrap().contains("letters"));
    }

    #[test]
    fn escaping_and_error_chains() {
        assert_eq!(escape_html(r#"a<b>&"c""#), "a&lt;b&gt;&amp;&quot;c&quot;");
        let io = std::io::Error::other("connection reset");
        let repeats = std::io::Error::other(io);
        assert_eq!(
            error_chain(&repeats),
            "connection reset",
            "a cause already quoted is not repeated"
        );
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot send")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        assert_eq!(
            error_chain(&Outer(std::io::Error::other("timed out"))),
            "cannot send: timed out"
        );
    }

    #[test]
    fn truncation_counts_words_as_word_count_does() {
        assert_eq!(truncate_words("one two three", 2), "one two");
        assert_eq!(truncate_words("one two", 5), "one two");
        assert_eq!(truncate_words("東京で会議が開かれた", 2), "東京で会");
        assert_eq!(truncate_words("Tokyo 東京で会議が開かれた today", 3), "Tokyo 東京で会");
        assert_eq!(reading_minutes(&["word ".repeat(231)]), 2);
        assert_eq!(reading_minutes(&["字".repeat(460)]), 1);
    }

    /// See issue 9: `&zwnj;` and `&zwj;` became spaces, splitting Persian words and emoji.
    #[test]
    fn r9_normalize_keeps_zero_width_joiners() {
        assert_eq!(normalize("می\u{200C}خواهم"), "می\u{200C}خواهم");
        assert_eq!(normalize("👩\u{200D}💻  coder"), "👩\u{200D}💻 coder");
    }

    #[test]
    fn normalize_collapses_space_and_composes() {
        assert_eq!(normalize("  a\u{00A0}\u{00A0}b\n\tc\u{200B} "), "a b c");
        // "e" + combining acute accent composes to "é".
        assert_eq!(normalize("Cafe\u{0301}"), "Caf\u{00E9}");
    }

    #[test]
    fn words_handle_possessives_and_contractions() {
        assert_eq!(words("Putin’s muscle-flex, don't"), ["putin", "muscle", "flex", "dont"]);
        assert_eq!(words("U.S. 5.2%"), ["u", "s", "5", "2"]);
    }

    #[test]
    fn stems_fold_plurals() {
        let stemmer = Stemmer::english();
        assert_eq!(stemmer.stems("Sanctions"), stemmer.stems("sanction"));
    }

    #[test]
    fn sentence_endings() {
        assert!(ends_like_sentence("He left."));
        assert!(ends_like_sentence("“It is over.”"));
        assert!(!ends_like_sentence("Reuters"));
    }

    #[test]
    fn bylines_and_timestamps() {
        assert!(is_byline_or_timestamp("By Jane Doe"));
        assert!(is_byline_or_timestamp("Updated 10:32 AM EST"));
        assert!(is_byline_or_timestamp("Chris Davies - Nov 19, 2019, 10:31 pm CST"));
        assert!(!is_byline_or_timestamp("Byzantine politics returned to Ankara this week."));
        assert!(is_byline_or_timestamp(
            "Updated Nov. 19, 2019 8:21 am ET / Original Nov. 19, 2019 8:02 am ET"
        ));
        assert!(is_byline_or_timestamp("| UPDATED: 11:05, Tue, Nov 19, 2019"));
        assert!(!is_byline_or_timestamp(
            "By the end of the week the river had risen above the 1995 flood mark and kept rising."
        ));
    }
}
