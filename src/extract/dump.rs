//! Plain-text page dumps: a news page saved as text, with everything a page shows.
//!
//! The headline and the article's paragraphs are found by line shape, not by any publisher's
//! strings: prose lines (long, ending like sentences) form the article, and the densest run of
//! them wins (a maximum-sum run, so menus and teaser lists around it fall away). Inside it,
//! photo captions (a line repeated on the next lines, as caption and alt text; a line whose
//! block ends in a credit), credits, labels and page furniture are dropped, and a
//! related-content heading (`More from …`, `Related`, `Recommended`) ends the article.

use super::noise::{
    is_boilerplate, is_byline_or_timestamp, is_caption_label, is_credit, is_end_marker,
    is_leading_promo,
};
use crate::text::{ends_like_sentence, normalize, word_count};

/// The headline and body found in a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The headline, when one was found.
    pub title: Option<String>,
    /// The article's paragraphs, in order.
    pub paragraphs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Sentence-like text: part of an article, or of a teaser.
    Prose,
    /// A short line: a heading, a menu entry, a byline.
    Short,
    /// Credits, labels, furniture, bullets that are not prose.
    Noise,
    /// A photo caption.
    Caption,
    /// A related-content heading.
    End,
}

#[derive(Debug)]
struct Line {
    text: String,
    block: usize,
    bulleted: bool,
    kind: Kind,
}

/// Finds the headline and the article's paragraphs in a text dump.
pub fn extract(text: &str) -> Extracted {
    let mut lines = split_lines(text);
    classify(&mut lines);
    mark_captions(&mut lines);
    let Some((start, end, widgets)) = body_range(&lines) else {
        let title = lines.iter().find(|line| is_headline(line)).map(|line| line.text.clone());
        return Extracted { title, paragraphs: Vec::new() };
    };
    let paragraphs: Vec<String> = (start..=end)
        .filter(|&idx| !widgets.iter().any(|widget| widget.contains(&idx)))
        .filter(|&idx| keep_in_body(&lines, idx))
        .map(|idx| lines[idx].text.clone())
        .collect();
    let paragraphs = drop_promos(paragraphs);
    let paragraphs = join_drop_caps(paragraphs, text);
    Extracted { title: find_title(&lines, start), paragraphs }
}

/// A drop cap split from its word by the dump (`T he Davis Cup`, `H ong Kong`) is joined
/// again when the text itself says so: the joined word occurs elsewhere in it. A one-letter
/// word (`E chi siamo`, `O seu`, `I need`) is left alone.
fn join_drop_caps(paragraphs: Vec<String>, text: &str) -> Vec<String> {
    let vocabulary: std::collections::HashSet<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    paragraphs
        .into_iter()
        .map(|paragraph| {
            let mut chars = paragraph.chars();
            let (Some(cap), Some(' ')) = (chars.next(), chars.next()) else { return paragraph };
            let rest: String = chars.clone().take_while(|c| c.is_alphabetic()).collect();
            let starts_lower = rest.chars().next().is_some_and(char::is_lowercase);
            if !cap.is_uppercase() || !starts_lower {
                return paragraph;
            }
            let joined = format!("{cap}{rest}").to_lowercase();
            if vocabulary.contains(&joined) {
                let tail: String = chars.collect();
                format!("{cap}{tail}")
            } else {
                paragraph
            }
        })
        .collect()
}

/// Drops promotions among an article's first paragraphs, with the short heading kept for
/// one (`Breaking News Emails` over `Get breaking news alerts…`); never every paragraph.
fn drop_promos(paragraphs: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(paragraphs.len());
    for (idx, paragraph) in paragraphs.iter().enumerate() {
        if idx < PROMO_SEARCH && is_leading_promo(paragraph) {
            if kept.last().is_some_and(|prev| word_count(prev) < 6 && !ends_like_sentence(prev)) {
                kept.pop();
            }
            continue;
        }
        kept.push(paragraph.clone());
    }
    if kept.is_empty() { paragraphs } else { kept }
}

/// How many paragraphs from the top may be promotions.
const PROMO_SEARCH: usize = 6;

/// Non-blank lines, normalised, with the block (run of non-blank lines) each belongs to.
/// Hard-wrapped paragraphs (a block of lines that mostly do not end sentences) are joined.
fn split_lines(text: &str) -> Vec<Line> {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = normalize(raw);
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    let mut lines = Vec::new();
    for (block_idx, block) in blocks.into_iter().enumerate() {
        let block = if is_hard_wrapped(&block) { vec![block.join(" ")] } else { block };
        for text in block {
            let (bulleted, text) = strip_bullet(&text);
            lines.push(Line { text, block: block_idx, bulleted, kind: Kind::Short });
        }
    }
    lines
}

/// A block whose lines were wrapped at a fixed width: several lines, all of prose width,
/// most of them (the last apart) not ending a sentence, none a bullet, byline or timestamp.
fn is_hard_wrapped(block: &[String]) -> bool {
    if block.len() < 2 {
        return false;
    }
    let widths: Vec<usize> = block.iter().map(|line| line.chars().count()).collect();
    let max = widths.iter().copied().max().unwrap_or(0);
    let body = &block[..block.len() - 1];
    let open = body.iter().filter(|line| !ends_like_sentence(line)).count();
    (55..=100).contains(&max)
        && body.iter().zip(&widths).all(|(_, width)| *width * 10 >= max * 6)
        && open * 2 > body.len()
        && !block.iter().any(|line| strip_bullet(line).0 || is_byline_or_timestamp(line))
}

/// Removes a list marker (`* `, `+ `, `- `, `• `); returns whether there was one.
fn strip_bullet(text: &str) -> (bool, String) {
    for marker in ["* ", "+ ", "- ", "o ", "• ", "· ", "– ", "— "] {
        if let Some(rest) = text.strip_prefix(marker) {
            return (true, rest.trim().to_owned());
        }
    }
    if matches!(text, "*" | "+" | "-" | "o" | "•") {
        return (true, String::new());
    }
    (false, text.to_owned())
}

fn is_prose(text: &str) -> bool {
    let words = word_count(text);
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    // Shouting in capitals is a heading or a teaser. Scripts without case (Korean, Chinese)
    // pass, also when they quote a Latin acronym (`SBS`, `KBS`): capitals must be most of the
    // letters to count as shouting.
    let upper = text.chars().filter(|c| c.is_uppercase()).count();
    let all_caps = upper * 2 > letters && !text.chars().any(char::is_lowercase);
    !all_caps
        && letters * 2 > text.chars().count()
        && ((words >= 8 && ends_like_sentence(text)) || words >= 25)
}

fn classify(lines: &mut [Line]) {
    for line in lines.iter_mut() {
        let text = line.text.as_str();
        line.kind = if text.is_empty() {
            Kind::Noise
        } else if is_end_marker(text) && !line.bulleted {
            Kind::End
        } else if is_caption_label(text) {
            Kind::Caption
        } else if is_credit(text) || is_boilerplate(text) {
            Kind::Noise
        } else if is_prose(text) && (!line.bulleted || word_count(text) >= 10) {
            Kind::Prose
        } else if line.bulleted {
            Kind::Noise
        } else {
            Kind::Short
        };
    }
}

/// Marks photo captions: a line repeated within the next three lines (caption and alt text),
/// and lines in the same block as a following credit line.
fn mark_captions(lines: &mut [Line]) {
    for idx in 0..lines.len() {
        if lines[idx].kind == Kind::Noise || word_count(&lines[idx].text) < 3 {
            continue;
        }
        let repeat =
            (idx + 1..lines.len().min(idx + 4)).find(|&other| lines[other].text == lines[idx].text);
        if let Some(other) = repeat {
            lines[idx].kind = Kind::Caption;
            lines[other].kind = Kind::Caption;
        }
    }
    for idx in 0..lines.len() {
        let credit_follows = lines
            .get(idx + 1)
            .is_some_and(|next| next.block == lines[idx].block && is_credit(&next.text));
        if credit_follows && matches!(lines[idx].kind, Kind::Prose | Kind::Short) {
            // Walk back over the block: every line before a credit is part of the caption.
            let block = lines[idx].block;
            let mut back = idx;
            loop {
                if matches!(lines[back].kind, Kind::Prose | Kind::Short) {
                    lines[back].kind = Kind::Caption;
                }
                if back == 0 || lines[back - 1].block != block {
                    break;
                }
                back -= 1;
            }
        }
    }
}

/// The line range of the article: the maximum-sum run of line weights, where prose weighs
/// its word count and other lines weigh against it.
///
/// A related-content heading splits the dump into segments no run crosses, and a segment
/// after such headings counts for half as much per heading, since what follows them is
/// usually teasers for other stories. One exception: a widget dropped into the middle of an
/// article (`Trending News` and a few headline links) is followed by the article's own
/// paragraphs, several in a row, where teasers alternate with captions and headlines; the
/// article then continues across it.
/// Also returns the mid-article widgets the article continues across, to leave out.
fn body_range(lines: &[Line]) -> Option<(usize, usize, Vec<std::ops::Range<usize>>)> {
    let mut segments = Vec::new();
    let mut seg_start = 0;
    for (idx, line) in lines.iter().enumerate() {
        if line.kind == Kind::End {
            segments.push(seg_start..idx);
            seg_start = idx + 1;
        }
    }
    segments.push(seg_start..lines.len());

    let mut best: Option<(f64, usize, usize, usize)> = None;
    let mut discount = 1.0f64;
    for (seg_idx, segment) in segments.iter().enumerate() {
        if let Some((sum, start, end)) = max_run(lines, segment.clone()) {
            #[allow(clippy::cast_precision_loss, reason = "word counts are far below 2^52")]
            let score = sum as f64 * discount;
            if best.is_none_or(|(best_score, ..)| score > best_score) {
                best = Some((score, seg_idx, start, end));
            }
        }
        discount *= 0.5;
    }
    let (_, mut seg_idx, start, mut end) = best?;
    let mut widgets = Vec::new();
    while let Some(next) = segments.get(seg_idx + 1) {
        let ends_segment =
            !(end + 1..segments[seg_idx].end).any(|idx| lines[idx].kind == Kind::Prose);
        let Some(resume) = article_resumes(lines, next.clone()).filter(|_| ends_segment) else {
            break;
        };
        match max_run(lines, resume..next.end) {
            Some((_, _, run_end)) => {
                widgets.push(end + 1..resume);
                end = run_end;
            }
            None => break,
        }
        seg_idx += 1;
    }
    // The run may open on a non-prose line with positive sum behind it; start at prose.
    let start = (start..=end).find(|&idx| lines[idx].kind == Kind::Prose)?;
    Some((start, end, widgets))
}

/// The maximum-sum run of line weights inside `range`: (sum, first line, last line).
fn max_run(lines: &[Line], range: std::ops::Range<usize>) -> Option<(i64, usize, usize)> {
    let mut best: Option<(i64, usize, usize)> = None;
    let mut run_sum = 0i64;
    let mut run_start = range.start;
    for idx in range {
        let line = &lines[idx];
        let words = i64::try_from(word_count(&line.text)).unwrap_or(i64::MAX / 4);
        let weight = match line.kind {
            Kind::Prose => words,
            Kind::Short => -(3 + words),
            Kind::Caption => -(2 + words / 2),
            Kind::Noise | Kind::End => -3,
        };
        if run_sum <= 0 {
            run_sum = 0;
            run_start = idx;
        }
        run_sum += weight;
        if run_sum > 0 && best.is_none_or(|(sum, _, _)| run_sum > sum) {
            best = Some((run_sum, run_start, idx));
        }
    }
    best
}

/// Where the article resumes after a mid-article widget: the segment opens with at most
/// sixteen lines of links (bullets, kickers and headlines of other stories), then three or
/// more paragraphs of prose, with at most short subheadings (`How is the plague spread?`)
/// between them. Teasers for other stories rarely run to three paragraphs.
fn article_resumes(lines: &[Line], segment: std::ops::Range<usize>) -> Option<usize> {
    let is_paragraph = |line: &Line| line.kind == Kind::Prose && !line.bulleted;
    let is_subheading =
        |line: &Line| line.kind == Kind::Short && !line.bulleted && word_count(&line.text) <= 8;
    let first_prose = segment.clone().find(|&idx| is_paragraph(&lines[idx]))?;
    let widget = first_prose - segment.start;
    let paragraphs = lines[first_prose..segment.end]
        .iter()
        .take_while(|line| is_paragraph(line) || is_subheading(line))
        .filter(|line| is_paragraph(line))
        .count();
    (widget <= 16 && paragraphs >= 3).then_some(first_prose)
}

/// Inside the article, keep prose and short section headings that lead into prose.
fn keep_in_body(lines: &[Line], idx: usize) -> bool {
    let line = &lines[idx];
    match line.kind {
        Kind::Prose => !is_byline_or_timestamp(&line.text),
        Kind::Short => {
            let words = word_count(&line.text);
            let next_is_prose = lines.get(idx + 1).is_some_and(|next| next.kind == Kind::Prose);
            (2..=12).contains(&words)
                && next_is_prose
                && !line.bulleted
                && !is_byline_or_timestamp(&line.text)
                && line.text.chars().any(char::is_lowercase)
        }
        Kind::Noise | Kind::Caption | Kind::End => false,
    }
}

/// A line that can be a headline: 2 to 30 words, no full stop at the end, not a credit,
/// byline, menu entry or piece of furniture.
fn is_headline(line: &Line) -> bool {
    let words = word_count(&line.text);
    (2..=30).contains(&words)
        && !line.bulleted
        && matches!(line.kind, Kind::Short | Kind::Prose)
        && !line.text.trim_end().ends_with(['.', ',', ';', ':'])
        && !is_byline_or_timestamp(&line.text)
        && line.text.chars().any(char::is_alphabetic)
}

/// The headline: the first line of the dump when it reads as one and stands shortly before
/// the article (a dump that starts with its headline), else the nearest headline-like line
/// above the article.
fn find_title(lines: &[Line], body_start: usize) -> Option<String> {
    let first = lines.first()?;
    if is_headline(first) && word_count(&first.text) >= 3 && body_start <= 15 {
        return Some(first.text.clone());
    }
    let lookback = body_start.saturating_sub(20);
    (lookback..body_start)
        .rev()
        .find(|&idx| is_headline(&lines[idx]))
        .or_else(|| (0..body_start).find(|&idx| is_headline(&lines[idx])))
        .map(|idx| lines[idx].text.clone())
}

#[cfg(test)]
mod tests {

    /// Issue 12: drop caps split by the dump (`T he`, `H ong Kong`) are joined when the text
    /// uses the word elsewhere; a one-letter word of another language stays.
    #[test]
    fn drop_caps_split_by_the_dump_are_joined() {
        let text = "T he cup began in Madrid. The format is new.\nH ong Kong shares rose. Hong Kong traders cheered.\nE chi siamo noi?\nI need the ball.";
        let paragraphs = vec![
            "T he cup began in Madrid. The format is new.".to_owned(),
            "H ong Kong shares rose. Hong Kong traders cheered.".to_owned(),
            "E chi siamo noi?".to_owned(),
            "I need the ball.".to_owned(),
        ];
        assert_eq!(
            join_drop_caps(paragraphs, text),
            [
                "The cup began in Madrid. The format is new.",
                "Hong Kong shares rose. Hong Kong traders cheered.",
                "E chi siamo noi?",
                "I need the ball.",
            ]
        );
    }

    use super::*;

    #[test]
    fn caption_twice_and_credit_are_dropped() {
        let dump = "\
Minister quits over budget row

The minister at a news conference in the capital, on Monday.
The minister at a news conference in the capital, on Monday.
AP Photo/Jane Roe

The finance minister resigned on Tuesday after a week of open conflict with the prime minister over the budget.

Her departure leaves the coalition without a majority in the upper house, where the budget must pass by the end of the month.
";
        let extracted = extract(dump);
        assert_eq!(extracted.title.as_deref(), Some("Minister quits over budget row"));
        assert_eq!(extracted.paragraphs.len(), 2);
        assert!(extracted.paragraphs[0].starts_with("The finance minister resigned"));
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        let dump = "\
Rail strike halts trains across the north

Train drivers walked out at dawn on Thursday, halting services across
the north of the country for the second time this month as talks over
pay and working hours broke down late on Wednesday evening.

The union said a further walkout would follow next week unless the
operators returned to the table with an improved offer for its members.
";
        let extracted = extract(dump);
        assert_eq!(extracted.paragraphs.len(), 2);
        assert!(extracted.paragraphs[0].ends_with("late on Wednesday evening."));
    }

    #[test]
    fn empty_dump_gives_nothing() {
        assert_eq!(extract("\n\n  \n"), Extracted { title: None, paragraphs: Vec::new() });
    }

    #[test]
    fn caseless_prose_quoting_an_acronym_is_prose() {
        // Regression: a Korean paragraph naming the broadcasters SBS and KBS has capitals and
        // no lower case, and was taken for a heading in capitals; a third of the article
        // went missing.
        assert!(is_prose(
            "SBS 새 드라마는 첫 방송부터 시청률 10%를 넘겼다. KBS 주말극과의 경쟁도 치열해졌다."
        ));
        assert!(!is_prose(
            "BREAKING NEWS: MARKETS FALL AS RATES RISE ACROSS THE WHOLE REGION TODAY."
        ));
    }

    #[test]
    fn promotions_at_the_top_go_with_their_heading() {
        let dump = "Harbour wall approved after long debate\n\n\
            Breaking News Emails\n\n\
            Get breaking news alerts and special reports, delivered to your inbox every morning.\n\n\
            The harbour authority approved a new sea wall on Wednesday to protect the old town from storm surges.\n\n\
            Work will start in the spring and take four years, the authority said in a statement.\n\n\
            Residents of the lower streets welcomed the decision but asked for help with insurance.\n";
        let extracted = extract(dump);
        assert_eq!(extracted.paragraphs.len(), 3, "{:?}", extracted.paragraphs);
        assert!(extracted.paragraphs[0].starts_with("The harbour authority approved"));
    }
}
