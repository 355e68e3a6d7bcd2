//! Line shapes that are not article text: photo credits, caption labels, boilerplate and the
//! markers that start a related-content block.
//!
//! Shared by the text-dump and HTML extractors. Every rule is about a line's shape and
//! vocabulary, never one publisher's strings.

pub use crate::text::is_byline_or_timestamp;
use crate::text::{ends_like_sentence, word_count, word_count_over};

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
    "sharing is caring",
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
    fold_ends(line).replace('’', "'").to_lowercase()
}

/// `line` without the white space and punctuation [`fold`] trims from its ends.
fn fold_ends(line: &str) -> &str {
    line.trim().trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’' && c != '-')
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
    let words = crate::text::word_count_over(line, 10);
    if words == 0 || words > 10 {
        return false;
    }
    let folded = line.trim().to_lowercase();
    let ends_sentence = ends_like_sentence(line) && !folded.ends_with("photo.");
    if ends_sentence && !folded.starts_with('(') {
        return false;
    }
    // A one-word name is a whole run of letters and digits (`ap` in `AP Photo`, not in
    // `rap`): the line's runs are compared with the list, instead of searching the line for
    // each name.
    let named = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|run| !run.is_empty())
        .any(|run| CREDIT_WORDS.contains(&run))
        || CREDIT_WORDS
            .iter()
            .filter(|name| name.contains(' '))
            .any(|name| contains_word(&folded, name));
    if named {
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
    // Only the opening words are read: eleven of them, cut at white space (where lower-casing
    // a part gives what lower-casing the whole gives).
    let folded = leading_words(line.trim_start(), 11).to_lowercase();
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
    let folded = text.to_lowercase();
    // Other stories' headlines run together, however many: `1. How to … 2. The 50 best …`.
    let numbered_list =
        folded.starts_with("1. ") && folded.contains(" 2. ") && !folded.contains(". 2. ");
    if numbered_list {
        return true;
    }
    if word_count_over(text, 45) > 45 {
        return false;
    }
    [
        "newsletter",
        "sign up",
        "subscribe to",
        "start your day with",
        "get breaking news",
        "download our app",
        "download the app",
        "affiliate link",
        "affiliate and/or referral",
        "may contain affiliate",
        "follow us on",
        "follow us at",
    ]
    .iter()
    .any(|phrase| folded.contains(phrase))
}

/// Furniture that follows an article: a newsletter pitch (`Let our news meet your inbox…`,
/// as [`is_leading_promo`] knows them), a form's small print (`This site is protected by
/// reCAPTCHA`), links to the site's policies.
pub fn is_trailing_furniture(text: &str) -> bool {
    if is_leading_promo(text) || text.to_lowercase().contains("meet your inbox") {
        return true;
    }
    let folded = text.to_lowercase();
    word_count_over(text, 30) <= 30
        && !ends_like_sentence(text)
        && ["recaptcha", "privacy policy", "terms of service", "terms of use", "cookie policy"]
            .iter()
            .any(|phrase| folded.contains(phrase))
}

/// Drops [`is_trailing_furniture`] from the end of an article's paragraphs (never all of
/// them).
pub fn drop_trailing_furniture(mut paragraphs: Vec<String>) -> Vec<String> {
    while paragraphs.len() > 1 && paragraphs.last().is_some_and(|last| is_trailing_furniture(last))
    {
        paragraphs.pop();
    }
    paragraphs
}

/// `text` up to the end of its `count`th whitespace-separated word (all of it when shorter).
fn leading_words(text: &str, count: usize) -> &str {
    let mut words = 0;
    let mut in_word = false;
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word {
                words += 1;
                if words == count {
                    return &text[..at];
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    text
}

/// A caption that carries its credit at the end: `… sought treatment Credit: EPA`,
/// `… on the quay (Photo: Jane Doe/Reuters)`. The credit is a few words with no sentence of
/// its own.
fn ends_with_credit(line: &str) -> bool {
    // `… take people back to the Moon [SpaceX via AP]`, `… on Monday (Jane Roe/Reuters)`.
    let trimmed = line.trim_end();
    for (open, close) in [('[', ']'), ('(', ')')] {
        let Some(inner) = trimmed.strip_suffix(close) else { continue };
        let Some(at) = inner.rfind(open) else { continue };
        let (before, credit) = (&inner[..at], &inner[at + 1..]);
        // A credit names an agency and someone (`SpaceX via AP`, `Jane Doe/Reuters`); one
        // word (`[Bloomberg]`, `(ePA)`) is a source or an acronym.
        let named = word_count(credit) >= 2 || credit.contains('/');
        let capital = credit.trim_start().chars().next().is_some_and(char::is_uppercase);
        if named
            && capital
            && word_count_over(before, 4) >= 5
            && is_credit(credit)
            && !credit.contains(':')
        {
            return true;
        }
    }
    // `… hailed the announcement. Jaafar ASHTIYEH / AFP`: a credit after the last sentence.
    if let Some(at) = line.rfind(". ") {
        let tail = line[at + 2..].trim();
        if !tail.is_empty() && word_count_over(&line[..at], 2) >= 3 && is_credit(tail) {
            return true;
        }
    }
    // `… the harbour Credit: Jane Doe`: each label's last use, found by walking the colons
    // back from the end (every label ends in one, and no two end alike).
    let trimmed = line.trim_end().trim_end_matches(')');
    const LABELS: [&str; 6] =
        ["Credit:", "Credits:", "Photo:", "Picture:", "Image:", "Photograph:"];
    let mut seen = [false; LABELS.len()];
    for colon in memchr::memrchr_iter(b':', trimmed.as_bytes()) {
        let through = &trimmed[..=colon];
        let Some(idx) = LABELS.iter().position(|label| through.ends_with(label)) else {
            continue;
        };
        if std::mem::replace(&mut seen[idx], true) {
            continue;
        }
        let at = colon + 1 - LABELS[idx].len();
        let (before, after) = (&trimmed[..at], &trimmed[colon + 1..]);
        if (1..=8).contains(&word_count_over(after, 8))
            && !after.trim_end().ends_with(['.', '!', '?'])
            && word_count_over(before, 2) >= 3
        {
            return true;
        }
        if seen.iter().all(|seen| *seen) {
            break;
        }
    }
    false
}

/// Page furniture: `Advertisement`, `Share this article`, `Skip to content`, `© 2024 …`.
pub fn is_boilerplate(line: &str) -> bool {
    let ends = fold_ends(line);
    if ends.is_empty() {
        return true;
    }
    // A copyright line (`© 2024 …`, `Copyright …`, `… All rights reserved ©`), read without
    // folding: no letter outside ASCII lower-cases into these words.
    let copyright = line.trim_start().starts_with('©')
        || ends.get(..9).is_some_and(|head| head.eq_ignore_ascii_case("copyright"))
        || (ends.contains('©')
            && ends
                .as_bytes()
                .windows(19)
                .any(|window| window.eq_ignore_ascii_case(b"all rights reserved")));
    if copyright {
        return word_count_over(line, 20) <= 20;
    }
    // Past twenty words only a promotion or escaped markup is furniture: the list's lines
    // and reading times are short.
    if word_count_over(ends, 20) > 20 {
        return is_inline_promo(line) || is_escaped_markup(line);
    }
    let folded = fold(line);
    BOILERPLATE.contains(&folded.as_str())
        || is_reading_time(&folded)
        || is_inline_promo(line)
        || is_escaped_markup(line)
}

/// An editor's markup that reached the page as text: `&lt;span data-mce-type="bookmark"
/// style="…"&gt;`.
fn is_escaped_markup(line: &str) -> bool {
    let trimmed = line.trim_start();
    (trimmed.starts_with("&lt;") || trimmed.starts_with("<span") || trimmed.starts_with("<div"))
        && ["style=", "class=", "data-"].iter().any(|attribute| line.contains(attribute))
}

/// A link to another story set between paragraphs: `READ MORE: China plague outbreak
/// confirmed`, `See also: …`, `Related: …`: a label, a colon and a headline (no sentence).
fn is_inline_promo(line: &str) -> bool {
    let Some((label, rest)) = line.split_once(':') else { return false };
    let label = label.trim().to_lowercase();
    [
        "read more",
        "see more",
        "read also",
        "also read",
        "see also",
        "related",
        "more",
        "watch",
        "listen",
        "pictured",
    ]
    .contains(&label.as_str())
        && (2..=25).contains(&word_count(rest))
        && !ends_like_sentence(rest)
}

/// A reading-time label: `5 min read`, `Reading time: 3 minutes`, `Tempo de leitura: 1
/// minuto`, `Lesezeit: 4 Minuten`.
fn is_reading_time(folded: &str) -> bool {
    word_count(folded) <= 6
        && folded.chars().any(|c| c.is_ascii_digit())
        && [
            "min read",
            "minute read",
            "reading time",
            "read time",
            "tempo de leitura",
            "lesezeit",
            "tiempo de lectura",
            "temps de lecture",
        ]
        .iter()
        .any(|label| folded.contains(label))
}

/// A teaser shouted in capitals (`CLICK HERE TO GET THE APP`, `SENATOR QUITS OVER ROW`):
/// three words or more, every cased letter a capital, no sentence ending. Scripts without
/// case never match.
pub fn is_shouted_teaser(line: &str) -> bool {
    // The cheap test first: prose has a small letter within a few characters.
    if line.chars().any(char::is_lowercase) || !(3..=25).contains(&word_count_over(line, 25)) {
        return false;
    }
    let letters = line.chars().filter(|c| crate::text::is_letter(*c)).count();
    let upper = line.chars().filter(|c| c.is_uppercase()).count();
    upper * 10 >= letters * 9 && !ends_like_sentence(line)
}

/// A heading that starts a block of teasers for other stories (`More from GZERO Media`,
/// `Related`, `Recommended for you`): short, no sentence ending, a known opening.
pub fn is_end_marker(line: &str) -> bool {
    if word_count_over(line, 7) > 7 || ends_like_sentence(line.trim_end_matches(':')) {
        return false;
    }
    let folded = fold(line);
    END_MARKERS.iter().any(|marker| {
        folded == *marker
            || folded.strip_prefix(marker).is_some_and(|rest| rest.starts_with([' ', ':', '-']))
    })
}

/// The start of a comment thread, or one comment's header: `Comments`, `[ 167 comments ]`,
/// `Top Rated Comments`, `Leave a Reply`, `3 thoughts on “…”`, `Comments are closed.`, and
/// `Jane Roe on September 12, 2018 at 4:47 pm said:`. What follows is readers' text, never
/// the article's.
pub fn is_comment_marker(line: &str) -> bool {
    let words = word_count_over(line, 16);
    if words == 0 || words > 16 {
        return false;
    }
    let folded = fold(line);
    // A comment's header: a name and a time of day, then `said:` / `says:` / `wrote:` (a
    // sentence that introduces a quote names no clock time).
    let lower = line.trim().to_lowercase();
    let clock = lower.as_bytes().windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    });
    if ["said:", "says:", "wrote:", "said...", "says..."].iter().any(|end| lower.ends_with(end))
        && clock
    {
        return true;
    }
    if words > 7 {
        return false;
    }
    const OPENINGS: &[&str] = &[
        "leave a reply",
        "leave a comment",
        "post a comment",
        "add a comment",
        "add comment",
        "write a comment",
        "join the discussion",
        "comments are closed",
        "show comments",
        "view comments",
        "view all comments",
        "read comments",
        "reader comments",
        "top rated comments",
        "most liked comments",
        "comment policy",
    ];
    if OPENINGS.iter().any(|opening| folded.starts_with(opening)) {
        return true;
    }
    // `Comments`, `167 comments`, `2 Responses to …`, `12 thoughts on …`, `Comments (4)`.
    let rest = folded.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
    let counted = rest.len() < folded.len();
    let first = rest.split([' ', '(', ':']).next().unwrap_or("");
    match first {
        "comments" => counted || rest.len() <= "comments (9999)".len(),
        "comment" => counted,
        "responses" | "replies" | "reactions" | "thoughts" => counted,
        _ => false,
    }
}

/// A teaser whose headline and standfirst a page dump ran together with no space between
/// them: `Customers Leave Without Paying $690 Bill At Troy SteakhouseA party of six left…`.
/// The headline part is at least four words in title case, ending in a lower-case letter, a
/// digit or a closing bracket glued to the capital that starts the standfirst's sentence.
pub fn is_glued_teaser(line: &str) -> bool {
    // A headline and a one-sentence standfirst; a longer line is a paragraph, whatever was
    // glued into it (a name's hover card).
    if word_count_over(line, 45) > 45 || line.len() > 600 {
        return false;
    }
    let chars: Vec<char> = line.chars().collect();
    for at in 1..chars.len() {
        let (before, here) = (chars[at - 1], chars[at]);
        let glued = here.is_uppercase()
            && (before.is_lowercase()
                || before.is_ascii_digit()
                || matches!(before, ')' | '’' | '\''));
        if !glued {
            continue;
        }
        // The standfirst: a capital that starts a word (`A party`, `Some sunshine`), not the
        // inner capital of a name (`McDonald`, `MacBook`, `iPhone`).
        // After a digit or a bracket, the capital starts a longer word (`250,000The`), where
        // `4K at Launch` and `(5G) Phones` are names.
        let next = chars.get(at + 1).copied();
        let word_starts =
            next.is_some_and(char::is_lowercase) || (next == Some(' ') && before.is_alphabetic());
        if !word_starts {
            continue;
        }
        let head: String = chars[..at].iter().collect();
        let head_words: Vec<&str> = head.split_whitespace().collect();
        // The headline's last word is a whole word (`Steakhouse`), not a name's first part
        // (`Mc|Donald`, `Mac|Book`, `You|Tube`).
        let glued_part = head_words
            .last()
            .map_or(0, |word| word.chars().rev().take_while(|c| c.is_alphabetic()).count());
        if head_words.len() < 4 || (before.is_alphabetic() && glued_part < 4) {
            continue;
        }
        let long: Vec<&str> = head_words
            .iter()
            .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|word| word.chars().filter(|c| c.is_alphabetic()).count() >= 4)
            .collect();
        let title_case = long.len() >= 3
            && long.iter().all(|word| {
                word.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            });
        let tail: String = chars[at..].iter().collect();
        if title_case && word_count(&tail) >= 4 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_words_cut_at_white_space() {
        assert_eq!(leading_words("In this  file photo, taken", 3), "In this  file");
        assert_eq!(leading_words("Two words", 5), "Two words");
        // A long line is furniture only as a promotion or escaped markup.
        let long = "word ".repeat(30);
        assert!(!is_boilerplate(&long));
        assert!(is_boilerplate("© 2024 Sample News. All rights reserved."));
        assert!(!is_boilerplate(&format!("Copyright {long}")));
    }

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

    /// Issue 12: comment threads end the article (reader comments were kept as its body).
    #[test]
    fn comment_markers() {
        for marker in [
            "Comments",
            "[ 167 comments ]",
            "Top Rated Comments",
            "Leave a Reply",
            "Comments are closed.",
            "12 thoughts on “September open thread”",
            "2 Responses",
            "Comments (4)",
            "Milan Griffes on September 12, 2018 at 4:47 pm said:",
            "Catherine (GiveWell) on October 29, 2018 at 12:06 pm said:",
        ] {
            assert!(is_comment_marker(marker), "{marker}");
        }
        for line in [
            "Comment",
            "The minister said:",
            "Responses to the survey were mixed across the regions.",
            "Comments from the minister drew criticism on Monday evening.",
            "Thoughts and prayers",
            // A section of an article about a study, not readers' talk.
            "Discussion",
            "In a statement on March 3, 2019, the minister said:",
        ] {
            assert!(!is_comment_marker(line), "{line}");
        }
    }

    /// Issue 12: teasers whose headline and standfirst were glued together are furniture.
    #[test]
    fn glued_teasers() {
        for teaser in [
            "Customers Leave Without Paying $690 Bill At Troy SteakhouseA party of six left Ruth's Chris Steakhouse in Troy without paying their bill.",
            "Police: 2 In Custody After Death Of U of M-Dearborn Student-AthleteA 24-year-old woman and a 28-year-old man have been arrested.",
            "First Forecast Weather November 20, 2019 (This Morning)Some sunshine by the end of the day.",
        ] {
            assert!(is_glued_teaser(teaser), "{teaser}");
        }
        // Hostile input: one long run of glued capitals is no teaser, and is judged at once.
        assert!(!is_glued_teaser(&"aB".repeat(500_000)));
        for line in [
            "The New MacBook Pro arrives with a scissor keyboard and a larger display.",
            "Apple Watch Series Five owners on iOS can now update to watchOS six.",
            "McDonald's said on Tuesday that sales rose in the third quarter.",
            "The agency said the iPhone maker would appeal the ruling.",
            "Former President Ronald McDonald said on Tuesday that he would run again.",
            "Stadia Falls Short of 4K at Launch, Destiny 2 Runs at a Native 1080p and Medium Settings",
        ] {
            assert!(!is_glued_teaser(line), "{line}");
        }
    }

    /// Issue 12: teasers in capitals between paragraphs are furniture; prose is not.
    #[test]
    fn shouted_teasers() {
        assert!(is_shouted_teaser("SEAN SPICER ELIMINATED FROM 'DANCING WITH THE STARS'"));
        assert!(is_shouted_teaser("CLICK HERE TO GET THE FOX NEWS APP"));
        assert!(!is_shouted_teaser("NASA"));
        assert!(!is_shouted_teaser("The NASA probe reached orbit on Monday."));
        assert!(!is_shouted_teaser("서울 시장은 월요일에 새 계획을 발표했다"));
    }

    /// Issue 12: a newsletter pitch and a form's small print after the article go.
    #[test]
    fn trailing_furniture() {
        let paragraphs = vec![
            "The council approved the budget on Tuesday after a long debate.".to_owned(),
            "Let our news meet your inbox. The news and stories that matter, delivered weekday mornings.".to_owned(),
            "This site is protected by recaptcha Privacy Policy | Terms of Service".to_owned(),
        ];
        assert_eq!(
            drop_trailing_furniture(paragraphs),
            ["The council approved the budget on Tuesday after a long debate."]
        );
        let only = vec!["Sign up for our newsletter to get the news every morning.".to_owned()];
        assert_eq!(drop_trailing_furniture(only.clone()), only, "never every paragraph");
        assert!(!is_trailing_furniture(
            "The regulator said its new privacy policy rules would apply to every app sold in the country from next year, whatever its size."
        ));
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
        assert!(is_boilerplate(
            "All rights reserved © 2019 The Real Deal is a registered Trademark of Example Inc."
        ));
        assert!(!is_boilerplate("Share prices fell sharply on Tuesday."));
        // Issue 12: reading-time labels, in several languages, and sharing pleas.
        for label in [
            "5 min read",
            "Tempo de leitura: 1 minuto",
            "Reading time: 3 minutes",
            "Sharing is caring!",
        ] {
            assert!(is_boilerplate(label), "{label}");
        }
        assert!(!is_boilerplate("The 5 min read of the report left them unconvinced."));
        // Issue 12: links to other stories set between paragraphs.
        assert!(is_boilerplate("READ MORE: China plague outbreak confirmed: Two diagnosed"));
        assert!(is_boilerplate("SEE MORE: Hong Kong protests: 800 students under siege"));
        assert!(!is_boilerplate("Related: the minister resigned on Friday after the vote."));
        assert!(is_boilerplate(
            "&lt;span data-mce-type=\"bookmark\" style=\"display: inline-block;\" class=\"mce_SELRES_start\"&gt;&amp;#65279;&lt;/span&gt;"
        ));
    }

    #[test]
    fn captions_that_end_with_their_credit() {
        assert!(is_caption_label(
            "The city hospital, where patients from the north were treated Credit: EPA"
        ));
        assert!(is_caption_label("Crews clear the harbour road (Photo: Jane Doe/Reuters)"));
        assert!(is_caption_label(
            "This illustration of a lunar lander shows how private operators could take people back [SpaceX via AP]"
        ));
        assert!(is_caption_label("Crews clear the harbour road on Monday (Jane Doe/Reuters)"));
        assert!(!is_caption_label(
            "The minister said the plan would cost more than expected (about a tenth more)."
        ));
        assert!(!is_caption_label("Why the singer cannot perform her own songs [Bloomberg]"));
        assert!(!is_caption_label(
            "Seit Jahren wird intensiv diskutiert: Die elektronische Patientenakte (ePA)"
        ));
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
        // Issue 12: however long the run of other stories' headlines.
        let long = (1..=8)
            .map(|n| format!("{n}. The story number {n} that someone else wrote about a topic"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(is_leading_promo(&long), "{long}");
        assert!(!is_leading_promo("1. Preheat the oven. 2. Mix the flour and the butter."));
        assert!(!is_leading_promo(
            "The council approved the budget on Tuesday after a long debate."
        ));
    }
}
