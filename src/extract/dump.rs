//! Plain-text page dumps: a news page saved as text, with everything a page shows.
//!
//! The headline and the article's paragraphs are found by line shape, not by any publisher's
//! strings: prose lines (long, ending like sentences) form the article, and the densest run of
//! them wins (a maximum-sum run, so menus and teaser lists around it fall away). Inside it,
//! photo captions (a line repeated on the next lines, as caption and alt text; a line whose
//! block ends in a credit), credits, labels and page furniture (teasers whose headline and
//! standfirst were glued together among them) are dropped, and a related-content heading
//! (`More from …`, `Related`, `Recommended`) ends the article unless three paragraphs of
//! prose follow it (a box inside the article), and an article whose first paragraphs stand
//! before such a box keeps them. A comment thread (`Comments`, `Leave a
//! Reply`, `Jane on May 2 at 4:47 pm said:`) ends it for good. A numbered list the article
//! introduces (`…after 36 races:` then `1 …`, `2 …`, `3 …`) is part of it. The headline is
//! the line above the article that reads most like one (see `find_title`); a standfirst
//! right under it, over the byline's date, is not the article's first paragraph.

use super::noise::{
    drop_trailing_furniture, is_boilerplate, is_byline_or_timestamp, is_caption_label,
    is_comment_marker, is_credit, is_end_marker, is_glued_teaser, is_leading_promo,
};
use crate::text::{ends_like_sentence, normalize, word_count, word_count_over};

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
    /// The start of a comment thread, or a comment's header: readers' text follows.
    Thread,
    /// An item of a numbered list that the article introduces (`1) …`, `2) …`).
    Item,
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
    mark_lists(&mut lines);
    let Some((start, end, widgets)) = body_range(&lines) else {
        let title = lines.iter().find(|line| is_headline(line)).map(|line| line.text.clone());
        return Extracted { title, paragraphs: Vec::new() };
    };
    let title = find_title(&lines, start);
    let start = title.map_or(start, |title| skip_standfirst(&lines, title, start, end));
    let paragraphs: Vec<String> = (start..=end)
        .filter(|&idx| !widgets.iter().any(|widget| widget.contains(&idx)))
        .filter(|&idx| keep_in_body(&lines, idx))
        .map(|idx| lines[idx].text.clone())
        .collect();
    let paragraphs = drop_trailing_furniture(drop_promos(paragraphs));
    let paragraphs = join_drop_caps(paragraphs, text);
    Extracted { title: title.map(|idx| lines[idx].text.clone()), paragraphs }
}

/// The first line of the article after a standfirst: a paragraph right under the headline,
/// then the byline's furniture (a date, `By …`, a newsletter pitch, a label) and no prose,
/// then the article. A standfirst sums the article up; it is not its first paragraph.
fn skip_standfirst(lines: &[Line], title: usize, start: usize, end: usize) -> usize {
    if title + 1 != start || lines[start].kind != Kind::Prose {
        return start;
    }
    let Some(next_prose) = (start + 1..=end)
        .take(8)
        .find(|&idx| lines[idx].kind == Kind::Prose && !is_leading_promo(&lines[idx].text))
    else {
        return start;
    };
    let between = start + 1..next_prose;
    let dated = between.clone().any(|idx| {
        let text = &lines[idx].text;
        is_byline_or_timestamp(text)
            || (word_count_over(text, 12) <= 12 && has_year(text) && !ends_like_sentence(text))
    });
    let furniture = between
        .clone()
        .all(|idx| lines[idx].kind != Kind::Prose || is_leading_promo(&lines[idx].text));
    let article_follows =
        (next_prose..=end).filter(|&idx| lines[idx].kind == Kind::Prose).count() >= 2;
    if !between.is_empty() && dated && furniture && article_follows { next_prose } else { start }
}

/// Whether a line names a year (`2018`, `1999`): a byline's date in any language.
fn has_year(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|digits| digits.len() == 4 && (digits.starts_with("19") || digits.starts_with("20")))
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
    // Exact up to 25, which is all the tests below need.
    let words = word_count_over(text, 25);
    let letters = text.chars().filter(|c| crate::text::is_letter(*c)).count();
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
        } else if is_comment_marker(text) {
            Kind::Thread
        } else if is_end_marker(text) && !line.bulleted {
            Kind::End
        } else if is_caption_label(text) {
            Kind::Caption
        } else if is_credit(text) || is_boilerplate(text) || is_glued_teaser(text) {
            Kind::Noise
        } else if is_prose(text) && (!line.bulleted || word_count_over(text, 9) >= 10) {
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

/// Marks numbered lists that the article introduces: items numbered from 1 in sequence
/// (`1) Lego Star Wars …`, `2 Martin Truex Jr. 5035 …`, `3. …`), at least three, each
/// followed by at most two lines of its own (a link, a price), right after a line that ends
/// with a colon. Short lines on their own weigh against an article; these
/// belong to it (tour dates, standings, product picks).
fn mark_lists(lines: &mut [Line]) {
    let mut idx = 0;
    while idx < lines.len() {
        if list_number(&lines[idx].text) != Some(1) || !introduces_list(lines, idx) {
            idx += 1;
            continue;
        }
        let mut items = vec![idx];
        let mut at = idx;
        'next: loop {
            let want = items.len() + 1;
            for gap in 1..=3 {
                let Some(line) = lines.get(at + gap) else { break 'next };
                if list_number(&line.text) == Some(want) {
                    at += gap;
                    items.push(at);
                    continue 'next;
                }
                if !matches!(line.kind, Kind::Short | Kind::Noise) || word_count(&line.text) > 12 {
                    break 'next;
                }
            }
            break;
        }
        if items.len() < 3 {
            idx += 1;
            continue;
        }
        // The lines between items (and after the last, as far as the gaps went) are theirs.
        let last = *items.last().unwrap_or(&idx);
        let mut end = last;
        while end + 1 < lines.len()
            && end < last + 2
            && matches!(lines[end + 1].kind, Kind::Short | Kind::Noise)
            && lines[end + 1].block == lines[last].block
        {
            end += 1;
        }
        for line in &mut lines[idx..=end] {
            if !matches!(line.kind, Kind::End | Kind::Thread) && !line.text.is_empty() {
                line.kind = Kind::Item;
            }
        }
        idx = end + 1;
    }
}

/// The number a list item starts with (`1)`, `2.`, `3 `), when it has text after it.
fn list_number(text: &str) -> Option<usize> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 3 {
        return None;
    }
    let rest = &text[digits.len()..];
    let rest = rest.strip_prefix([')', '.']).unwrap_or(rest);
    let rest = rest.strip_prefix(' ')?;
    (word_count(rest) >= 1 && rest.chars().any(char::is_alphabetic))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Whether the line before `idx` (across at most one other line, such as a table's header)
/// introduces a list: it ends with a colon (`…after 36 races:`). A list that merely follows
/// the last paragraph can be the page's list of most-read stories.
fn introduces_list(lines: &[Line], idx: usize) -> bool {
    (1..=2)
        .filter_map(|back| idx.checked_sub(back))
        .any(|before| lines[before].text.trim_end().ends_with(':'))
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
        if matches!(line.kind, Kind::End | Kind::Thread) {
            segments.push(seg_start..idx);
            seg_start = idx + 1;
        }
    }
    segments.push(seg_start..lines.len());
    // Whether the heading before a segment opens a comment thread (or is a comment's header).
    let after_thread = |segment: &std::ops::Range<usize>| {
        segment.start > 0 && lines[segment.start - 1].kind == Kind::Thread
    };

    let mut best: Option<(f64, usize, usize, usize)> = None;
    let mut discount = 1.0f64;
    for (seg_idx, segment) in segments.iter().enumerate() {
        // Readers' comments outweigh a short article, but are never it.
        if after_thread(segment) {
            discount *= 0.1;
        }
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
    let mut best_seg = seg_idx;
    let mut widgets = Vec::new();
    while let Some(next) = segments.get(seg_idx + 1).filter(|next| !after_thread(next)) {
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
    // The article may also have begun before a box that precedes the winning run: its first
    // paragraphs, then `Related articles` and a few links, then the rest of it.
    let mut start = start;
    while let Some(mut before) = best_seg.checked_sub(1).map(|idx| segments[idx].clone()) {
        // A box of two headings (`Related`, links, `Related`, links): a segment with no
        // prose just before is part of it.
        if best_seg >= 2
            && before.clone().all(|idx| lines[idx].kind != Kind::Prose)
            && lines[before.end].kind == Kind::End
        {
            best_seg -= 1;
            before = segments[best_seg - 1].clone();
        }
        let boundary = before.end;
        let widget_lines =
            (boundary + 1..start).filter(|&idx| lines[idx].kind != Kind::Prose).count();
        if !matches!(lines[boundary].kind, Kind::End)
            || widget_lines > 16
            || (boundary + 1..start).any(|idx| lines[idx].kind == Kind::Prose)
        {
            break;
        }
        let Some(last_prose) = before.clone().rev().find(|&idx| lines[idx].kind == Kind::Prose)
        else {
            break;
        };
        let close = (last_prose + 1..boundary)
            .all(|idx| matches!(lines[idx].kind, Kind::Noise | Kind::Caption));
        match max_run(lines, before.clone()) {
            Some((_, run_start, run_end))
                if close
                    && run_end == last_prose
                    && (run_start..=run_end).any(|idx| {
                        lines[idx].kind == Kind::Prose && word_count(&lines[idx].text) >= 20
                    }) =>
            {
                widgets.push(run_end + 1..start);
                start = run_start;
                best_seg -= 1;
            }
            _ => break,
        }
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
            Kind::Item => words.max(2),
            Kind::Short => -(3 + words),
            Kind::Caption => -(2 + words / 2),
            Kind::Noise | Kind::End | Kind::Thread => -3,
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
    // Furniture (`Advertisement`) between the paragraphs does not break them up; a form's
    // few short sentences (`Try again later.`) are no article.
    let paragraphs: Vec<&Line> = lines[first_prose..segment.end]
        .iter()
        .take_while(|line| is_paragraph(line) || is_subheading(line) || line.kind == Kind::Noise)
        .filter(|line| is_paragraph(line))
        .collect();
    let words: usize = paragraphs.iter().map(|line| word_count(&line.text)).sum();
    (widget <= 16 && paragraphs.len() >= 3 && words >= 40).then_some(first_prose)
}

/// Inside the article, keep prose and short section headings that lead into prose.
fn keep_in_body(lines: &[Line], idx: usize) -> bool {
    let line = &lines[idx];
    match line.kind {
        Kind::Prose => !is_byline_or_timestamp(&line.text),
        Kind::Short => {
            let words = word_count_over(&line.text, 12);
            let next_is_prose = lines.get(idx + 1).is_some_and(|next| next.kind == Kind::Prose);
            (2..=12).contains(&words)
                && next_is_prose
                && !line.bulleted
                && !is_byline_or_timestamp(&line.text)
                && line.text.chars().any(char::is_lowercase)
        }
        Kind::Item => true,
        Kind::Noise | Kind::Caption | Kind::End | Kind::Thread => false,
    }
}

/// A line that can be a headline: 2 to 30 words, no full stop at the end, not a credit,
/// byline, menu entry or piece of furniture.
fn is_headline(line: &Line) -> bool {
    let words = word_count_over(&line.text, 30);
    (2..=30).contains(&words)
        && !line.bulleted
        && matches!(line.kind, Kind::Short | Kind::Prose)
        && !line.text.trim_end().ends_with(['.', ',', ';', ':'])
        && !is_byline_or_timestamp(&line.text)
        && line.text.chars().any(char::is_alphabetic)
}

/// The headline: of the lines above the article, the one that reads most like a headline.
///
/// Above an article sit its headline and also kickers, bylines, share buttons, section
/// names, banners and teasers. A headline has the words of one (five or more weigh most; a
/// name alone, `Zac Hall`, or a section, `Business News`, has two or three), is no label
/// (`Filed to: …`, `Tags: …`), breadcrumb or credit, and usually has its byline or date
/// within a few lines. Nearer lines win among equals, and a dump's first line counts a
/// little more when the article follows soon (a dump that starts with its headline).
fn find_title(lines: &[Line], body_start: usize) -> Option<usize> {
    let lookback = body_start.saturating_sub(40);
    let score = |idx: usize| -> f64 {
        let line = &lines[idx];
        let size = match word_count(&line.text) {
            0..=1 => 0.0,
            2..=3 => 0.2,
            4 => 0.6,
            _ => 1.0,
        };
        let near = idx.saturating_sub(1)..lines.len().min(idx + 4);
        let bylined = near
            .filter(|&other| other != idx)
            .any(|other| is_byline_or_timestamp(&lines[other].text));
        #[allow(clippy::cast_precision_loss, reason = "line distances are small")]
        let distance = (body_start - idx) as f64;
        let opens_dump = if idx == 0 && body_start <= 15 { 0.3 } else { 0.0 };
        size * if bylined { 1.6 } else { 1.0 } - 0.02 * distance + opens_dump
    };
    let candidates = |range: std::ops::Range<usize>| {
        range.filter(|&idx| {
            let line = &lines[idx];
            (is_headline(line) || is_headline_with_stop(line))
                && !is_label(&line.text)
                && !is_crumb_or_credit(&line.text)
                // A name under a lone `By`.
                && !(idx > 0 && lines[idx - 1].text.eq_ignore_ascii_case("by"))
        })
    };
    // The dump's first line is a candidate too, where the window does not reach it.
    candidates(lookback..body_start)
        .chain(candidates(0..usize::from(lookback > 0)))
        .map(|idx| (score(idx), idx))
        .max_by(|(a, ia), (b, ib)| a.total_cmp(b).then(ia.cmp(ib)))
        .map(|(_, idx)| idx)
        .or_else(|| candidates(0..body_start).next())
}

/// A headline in title case that ends with a full stop, as some publishers write them
/// (`Home Depot Stock Is Falling After Its Earnings Release. Why You Shouldn’t Worry.`).
fn is_headline_with_stop(line: &Line) -> bool {
    let text = line.text.trim_end();
    let long: Vec<&str> = text
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|word| word.chars().count() >= 4)
        .collect();
    let capitalised =
        long.iter().filter(|word| word.chars().next().is_some_and(char::is_uppercase)).count();
    !line.bulleted
        && text.ends_with('.')
        && (4..=25).contains(&word_count(text))
        && long.len() >= 3
        && capitalised * 10 >= long.len() * 8
        && !is_byline_or_timestamp(text)
}

/// A breadcrumb (`Home » Column »`, `Software ›`, `NATIONAL /`), a numbered entry of a
/// list (`3. Politics`) or a credit line (`Analysis by Jane Roe, Editor-at-large`, `Jane Roe
/// and John Doe USA TODAY`).
fn is_crumb_or_credit(text: &str) -> bool {
    let text = text.trim();
    let crumb = text.ends_with(['»', '›', '/', '>', '|']) || text.contains(" » ");
    let numbered = text.split_once(". ").is_some_and(|(number, _)| {
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit())
    });
    let credited = text.split_whitespace().take(3).any(|word| word.eq_ignore_ascii_case("by"))
        && word_count_over(text, 12) <= 12;
    // Several authors: `Kevin Johnson and Kevin McCoy USA TODAY`.
    let words: Vec<&str> = text.split_whitespace().collect();
    let authors = words.len() <= 10
        && words.contains(&"and")
        && words.iter().all(|word| {
            *word == "and" || word.chars().next().is_some_and(|c| c.is_uppercase() || c == ',')
        });
    crumb || numbered || credited || authors
}

/// A labelled line of page furniture: `Filed to: Weird medicine`, `Tags: …`, `Author: …`,
/// `Tested by: …`, `Share All sharing options for: …`.
fn is_label(text: &str) -> bool {
    const LABELS: &[&str] = &[
        "filed",
        "filed to",
        "filed under",
        "posted in",
        "tags",
        "tagged",
        "topics",
        "author",
        "authors",
        "tested by",
        "reviewed by",
        "category",
        "categories",
        "section",
        "source",
        "sources",
        "share",
        "related",
        "see also",
        "more info",
        "price",
        "rrp",
    ];
    let Some((label, _)) = text.split_once(':') else { return false };
    let label = label.trim().to_lowercase();
    word_count(&label) <= 6
        && LABELS.iter().any(|known| label == *known || label.starts_with(&format!("{known} ")))
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

    /// Issue 12: the title is the line that reads as the headline, not the furniture nearest
    /// the article (`Share Tweet Submit`, a byline's name, a label, a section, a banner).
    #[test]
    fn the_title_is_the_headline_not_the_furniture_above_the_article() {
        let body = "\n\nThe harbour authority approved a new sea wall on Wednesday to protect the old town from storm surges.\n\nWork will start in the spring and take four years, the authority said in a statement on Wednesday.\n";
        for (top, want) in [
            (
                "Welcome to our new European edition today\nLearn More\nHarbour wall approved after a long debate\nJane Roe and John Doe HARBOUR NEWS\nPublished 7:07 PM EST Nov 19, 2026\nShare Tweet Submit",
                "Harbour wall approved after a long debate",
            ),
            (
                "* News\n* Sport\nBusiness News\nNovember 19, 2026 / 12:21 AM / Updated 14 hours ago\nHarbour wall approved after a long debate\nJane Roe\n5 Min Read",
                "Harbour wall approved after a long debate",
            ),
            (
                "Home » Local »\nHarbour Wall Is Approved After Long Debate. Why It Matters.\n*\nBy\nJane Roe\nUpdated Nov. 19, 2026 8:21 am ET\nFiled to: Harbours and ports",
                "Harbour Wall Is Approved After Long Debate. Why It Matters.",
            ),
        ] {
            let extracted = extract(&format!("{top}{body}"));
            assert_eq!(extracted.title.as_deref(), Some(want), "{top}");
            assert_eq!(extracted.paragraphs.len(), 2);
        }
    }

    /// Issue 12: the article's first paragraphs stand before a box of two headings
    /// (`Related`, links, `Related`, links); the rest follows it. The lead is kept.
    #[test]
    fn the_lead_before_a_box_of_two_headings_is_kept() {
        let long = |n: usize| {
            format!(
                "Paragraph {n} of the story tells what the minister said about the harbour plan on Tuesday evening, and what the council will do next."
            )
        };
        let mut dump = String::from("Minister backs harbour plan after long review\n\n");
        dump.push_str(&format!("{}\n\n", long(1)));
        dump.push_str("Related\n* Ferry fares to rise in spring\n* New bridge opens to cyclists\nRelated\n* Council elections set for May\n\n");
        for n in 2..=8 {
            dump.push_str(&format!("{}\n\n", long(n)));
        }
        let extracted = extract(&dump);
        assert_eq!(extracted.paragraphs.len(), 8, "{:#?}", extracted.paragraphs);
        assert!(extracted.paragraphs[0].starts_with("Paragraph 1 "));
    }

    /// Issue 12: a standfirst right under the headline, then the byline's date and a
    /// newsletter pitch, then the article: the standfirst is not the first paragraph.
    #[test]
    fn a_standfirst_over_the_byline_is_not_the_first_paragraph() {
        let dump = "* News\n* Politics\nMan pleads guilty to threatening a member of parliament\n\
            The 55-year-old faces up to ten years in prison when he is sentenced. He called the office twice.\n\
            Breaking News Emails\n\
            Get breaking news alerts and special reports, delivered to your inbox every weekday morning.\n\
            Nov. 19, 2026, 8:41 AM UTC\n\
            By Jane Roe\n\
            A man pleaded guilty on Monday to threatening to kill a member of parliament in March, prosecutors said in a statement.\n\
            He faces a maximum of ten years in prison and a large fine, and will be sentenced in February by the county court.\n\
            He was arrested in April for the call to the member's office, in which he used a slur and threatened violence.\n";
        let extracted = extract(dump);
        assert_eq!(
            extracted.title.as_deref(),
            Some("Man pleads guilty to threatening a member of parliament")
        );
        assert_eq!(extracted.paragraphs.len(), 3, "{:#?}", extracted.paragraphs);
        assert!(extracted.paragraphs[0].starts_with("A man pleaded guilty"));
        // A dump with no byline under the first paragraph keeps it.
        let plain = "Harbour wall approved after a long debate\n\
            The harbour authority approved a new sea wall on Wednesday to protect the old town from storm surges.\n\
            Work will start in the spring and take four years, the authority said in a statement on Wednesday.\n";
        assert_eq!(extract(plain).paragraphs.len(), 2);
    }

    /// Issue 12: only a list the article introduces (with a colon) is kept; a numbered list
    /// of other stories straight after the last paragraph is not.
    #[test]
    fn a_numbered_list_after_the_last_paragraph_is_not_the_article() {
        let dump = "Harbour wall approved after a long debate\n\n\
            The harbour authority approved a new sea wall on Wednesday to protect the old town from storm surges.\n\n\
            Work will start in the spring and take four years, the authority said in a statement on Wednesday.\n\n\
            1. Ferry fares rise for the third year running\n\
            2. New bridge opens to cyclists and walkers\n\
            3. Council elections set for the first week of May\n";
        let extracted = extract(dump);
        assert_eq!(extracted.paragraphs.len(), 2, "{:#?}", extracted.paragraphs);
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
