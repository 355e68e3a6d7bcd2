//! Line shapes that are not article text: photo credits, caption labels, boilerplate and the
//! markers that start a related-content block.
//!
//! Shared by the text-dump and HTML extractors. Every rule is about a line's shape and
//! vocabulary, never one publisher's strings.

pub use crate::text::is_byline_or_timestamp;
use crate::text::{ends_like_sentence, word_count};

/// Words that make a short, unpunctuated line a photo credit.
const CREDIT_WORDS: &[&str] = &[
    "reuters",
    "ap",
    "afp",
    "getty",
    "images",
    "image",
    "photo",
    "photos",
    "photograph",
    "photographer",
    "photography",
    "epa",
    "efe",
    "shutterstock",
    "bloomberg",
    "pool",
    "courtesy",
    "credit",
    "credits",
    "istock",
    "istockphoto",
    "alamy",
    "xinhua",
    "tass",
    "anadolu",
    "sipa",
    "upi",
    "corbis",
    "file",
    "handout",
    "illustration",
    "via",
    "nurphoto",
    "sopa",
    "zuma",
    "imagn",
    "usa today sports",
    "pa",
    "press association",
    "associated press",
    "dpa",
    "kyodo",
    "yonhap",
    "wire",
];

/// Line starts that label a caption or an image.
const CAPTION_PREFIXES: &[&str] = &[
    "file photo",
    "photo:",
    "photos:",
    "image:",
    "image caption",
    "image copyright",
    "media caption",
    "caption:",
    "pictured:",
    "above:",
    "top:",
    "video:",
    "watch:",
    "listen:",
    "graphic:",
    "illustration:",
    "(photo",
    "[photo",
    "photo by",
    "photograph by",
    "credit:",
];

/// Whole lines that are page furniture, compared after folding case and trimming punctuation.
const BOILERPLATE: &[&str] = &[
    "advertisement",
    "advertising",
    "ad",
    "sponsored",
    "share",
    "share this",
    "share this article",
    "share this story",
    "share on facebook",
    "share on twitter",
    "tweet",
    "email",
    "print",
    "copy link",
    "link copied",
    "subscribe",
    "sign up",
    "sign in",
    "log in",
    "register",
    "skip to content",
    "skip to main content",
    "skip advertisement",
    "continue reading",
    "read more",
    "click here",
    "loading",
    "close",
    "menu",
    "search",
    "home",
    "more",
    "next",
    "previous",
    "back to top",
    "comments",
    "show comments",
    "hide caption",
    "toggle caption",
    "enlarge this image",
    "view gallery",
    "open gallery",
    "watch",
    "play",
    "listen",
    "listen to this article",
    "follow us",
    "newsletter",
    "supported by",
    "story continues below",
    "story continues below advertisement",
    "article continues below",
    "continue reading below",
    "youtube",
    "- youtube",
];

/// Line starts that mark the end of the article and the start of teasers for other stories.
const END_MARKERS: &[&str] = &[
    "more from",
    "more stories",
    "more on this",
    "more in",
    "more like this",
    "more news",
    "more articles",
    "related",
    "recommended",
    "you may also like",
    "you might also like",
    "you may be interested",
    "also read",
    "read more",
    "read next",
    "what to read next",
    "up next",
    "most popular",
    "most read",
    "most viewed",
    "popular on",
    "trending",
    "further reading",
    "see also",
    "around the web",
    "from our partners",
    "promoted stories",
    "sponsored content",
    "sponsored stories",
    "comments",
    "leave a comment",
    "join the conversation",
    "latest stories",
    "top stories",
    "editor's picks",
    "editors picks",
    "don't miss",
    "keep reading",
    "other stories",
    "recent posts",
    "related posts",
    "related articles",
    "related stories",
    "related coverage",
    "related content",
    "related topics",
    "in other news",
];

fn fold(line: &str) -> String {
    line.trim()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’' && c != '-')
        .replace('’', "'")
        .to_lowercase()
}

fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A photo credit: a short line with no sentence ending that names an agency or a
/// photographer (`Reuters`, `AP Photo/Evan Vucci`, `REUTERS/Pilar Olivares/File Photo`).
pub fn is_credit(line: &str) -> bool {
    let words = word_count(line);
    if words == 0 || words > 10 {
        return false;
    }
    let folded = line.trim().to_lowercase();
    let ends_sentence = ends_like_sentence(line) && !folded.ends_with("photo.");
    if ends_sentence && !folded.starts_with('(') {
        return false;
    }
    if CREDIT_WORDS.iter().any(|word| contains_word(&folded, word)) {
        return true;
    }
    // `Name Surname/Agency`: slash-joined capitalised parts, as credits are written.
    let parts: Vec<&str> = line.split('/').map(str::trim).collect();
    parts.len() >= 2
        && parts.iter().all(|part| {
            part.chars().next().is_some_and(char::is_uppercase) && word_count(part) <= 4
        })
}

/// A line labelled as a caption (`FILE PHOTO: …`, `Image caption …`, `Photo: …`,
/// `In this March 3 file photo, …`).
pub fn is_caption_label(line: &str) -> bool {
    let folded = line.trim_start().to_lowercase();
    if CAPTION_PREFIXES.iter().any(|prefix| folded.starts_with(prefix)) {
        return true;
    }
    if ends_with_credit(line) {
        return true;
    }
    // The wire agencies' caption opening: `In this Dec. 12, 2006, file photo, …`.
    folded.starts_with("in this ")
        && folded.split_whitespace().take(10).any(|word| {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            matches!(word, "photo" | "image" | "picture" | "photograph")
        })
}

/// A promotion placed before an article: a newsletter or app pitch (`Want more deals? Join
/// the … Newsletter.`, `Start your day with …`), or a numbered list of other stories run
/// together (`1. How to … 2. The 50 best …`). Only ever tested on an article's first few
/// paragraphs: further in, such words can be news.
pub fn is_leading_promo(text: &str) -> bool {
    if word_count(text) > 45 {
        return false;
    }
    let folded = text.to_lowercase();
    let numbered_list = folded.starts_with("1. ") && folded.contains(" 2. ");
    numbered_list
        || [
            "newsletter",
            "sign up",
            "subscribe to",
            "start your day with",
            "get breaking news",
            "download our app",
            "download the app",
        ]
        .iter()
        .any(|phrase| folded.contains(phrase))
}

/// A caption that carries its credit at the end: `… sought treatment Credit: EPA`,
/// `… on the quay (Photo: Jane Doe/Reuters)`. The credit is a few words with no sentence of
/// its own.
fn ends_with_credit(line: &str) -> bool {
    // `… hailed the announcement. Jaafar ASHTIYEH / AFP`: a credit after the last sentence.
    if let Some(at) = line.rfind(". ") {
        let tail = line[at + 2..].trim();
        if word_count(&line[..at]) >= 3 && !tail.is_empty() && is_credit(tail) {
            return true;
        }
    }
    let trimmed = line.trim_end().trim_end_matches(')');
    ["Credit:", "Credits:", "Photo:", "Picture:", "Image:", "Photograph:"].iter().any(|label| {
        trimmed.rfind(label).is_some_and(|at| {
            let before = &trimmed[..at];
            let after = &trimmed[at + label.len()..];
            word_count(before) >= 3
                && (1..=8).contains(&word_count(after))
                && !after.trim_end().ends_with(['.', '!', '?'])
        })
    })
}

/// Page furniture: `Advertisement`, `Share this article`, `Skip to content`, `© 2024 …`.
pub fn is_boilerplate(line: &str) -> bool {
    let folded = fold(line);
    if folded.is_empty() {
        return true;
    }
    if folded.starts_with('©')
        || line.trim_start().starts_with('©')
        || folded.starts_with("copyright")
    {
        return word_count(line) <= 20;
    }
    BOILERPLATE.contains(&folded.as_str())
}

/// A heading that starts a block of teasers for other stories (`More from GZERO Media`,
/// `Related`, `Recommended for you`): short, no sentence ending, a known opening.
pub fn is_end_marker(line: &str) -> bool {
    if word_count(line) > 7 || ends_like_sentence(line.trim_end_matches(':')) {
        return false;
    }
    let folded = fold(line);
    END_MARKERS.iter().any(|marker| {
        folded == *marker
            || folded.strip_prefix(marker).is_some_and(|rest| rest.starts_with([' ', ':', '-']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits() {
        for credit in [
            "Reuters",
            "AP Photo/Evan Vucci",
            "Getty Images",
            "REUTERS/Pilar Olivares/File Photo/File Photo",
            "JEON HEON-KYUN/Pool via REUTERS/File Photo",
            "Photograph: Jane Smith/The Guardian",
            "(Photo by John Doe/Getty Images)",
            "Jane Smith/Bloomberg",
            "The Associated Press",
        ] {
            assert!(is_credit(credit), "{credit}");
        }
        for line in [
            "Putin’s muscle flex in Belarus",
            "The AP reported that talks stalled on Monday after a long night.",
            "In short, Putin’s war on Ukraine grinds on.",
        ] {
            assert!(!is_credit(line), "{line}");
        }
    }

    #[test]
    fn end_markers() {
        for marker in [
            "More from GZERO Media",
            "Related",
            "Recommended for you",
            "Read more:",
            "MOST POPULAR",
        ] {
            assert!(is_end_marker(marker), "{marker}");
        }
        for line in [
            "Related: the minister resigned on Friday after the vote.",
            "More from the interview follows below the map.",
            "Recommendations were published in March.",
        ] {
            assert!(!is_end_marker(line), "{line}");
        }
    }

    #[test]
    fn caption_labels() {
        assert!(is_caption_label("FILE PHOTO: Delegates arrive in Geneva."));
        assert!(is_caption_label(
            "In this Dec. 12, 2006, file photo, made available by NASA, an astronaut works."
        ));
        assert!(!is_caption_label("In this town, photography is a way of life for many."));
    }

    #[test]
    fn boilerplate() {
        assert!(is_boilerplate("Advertisement"));
        assert!(is_boilerplate("- YouTube"));
        assert!(is_boilerplate("© 2024 Example News. All rights reserved."));
        assert!(!is_boilerplate("Share prices fell sharply on Tuesday."));
    }

    #[test]
    fn captions_that_end_with_their_credit() {
        assert!(is_caption_label(
            "The city hospital, where patients from the north were treated Credit: EPA"
        ));
        assert!(is_caption_label("Crews clear the harbour road (Photo: Jane Doe/Reuters)"));
        assert!(is_caption_label(
            "A man walks past the harbour wall on Tuesday. The storm damaged it twice. Jaafar ASHTIYEH / AFP"
        ));
        assert!(!is_caption_label(
            "The agency's credit: it said the loan was repaid early, and it thanked the bank."
        ));
    }

    #[test]
    fn promotions_before_an_article() {
        assert!(is_leading_promo("Want more deals? Join the IGN Deals Newsletter."));
        assert!(is_leading_promo(
            "Start your day with the Opening Bell, our morning briefing on markets."
        ));
        assert!(is_leading_promo("1. How to fix the courts 2. The 50 best books of the decade"));
        assert!(!is_leading_promo(
            "The council approved the budget on Tuesday after a long debate."
        ));
    }
}
