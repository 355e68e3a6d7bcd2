//! Bounds the nesting of an HTML page before anything parses it into a tree.
//!
//! An HTML tree builder checks "is there an element of this kind in scope" by walking the
//! stack of open elements, and readability-style scoring walks ancestors and subtrees, so a
//! page of 100,000 nested `<div>`s costs time quadratic in its size (and recursion on the
//! tree would overflow the stack). Real pages nest a few dozen levels deep. This pass, linear
//! in the input, unwraps every element nested deeper than [`MAX_DEPTH`]: its start and end
//! tags are left out and its content kept, so the text survives and the tree stays shallow.
//! Comments, doctypes and raw-text elements (`<script>`, `<style>`, …) are copied as they are.
//! It is a pure function of the text: no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// The deepest nesting kept; deeper elements are unwrapped.
pub const MAX_DEPTH: usize = 256;

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements the parser closes by itself when the next one starts (`<p>…<p>`, `<li>…<li>`):
/// they do not pile up, and pages often leave them unclosed, so they are not counted.
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot",
    "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"];

/// `html` with every element nested deeper than [`MAX_DEPTH`] unwrapped; borrowed unchanged
/// when nothing is that deep.
pub fn limit_depth(html: &str) -> Cow<'_, str> {
    limit_depth_to(html, MAX_DEPTH)
}

/// [`limit_depth`] with another bound (for tests).
pub fn limit_depth_to(html: &str, max_depth: usize) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    // Where the text not yet copied to `out` starts.
    let mut copied = 0;
    let mut open: Vec<String> = Vec::new();
    // Start tags left out below the deepest kept element, by name, so that their end tags
    // are left out too.
    let mut unwrapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut at = 0;
    while let Some(offset) = memchr(b'<', &bytes[at..]) {
        let start = at + offset;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            at = find(bytes, start + 4, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            at = memchr(b'>', &bytes[start..]).map_or(bytes.len(), |end| start + end + 1);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // `</` not followed by a letter opens a bogus comment that runs to the next `>`
            // (so `</\n<title>` is no title), as the HTML tokenizer reads it; a lone `<`
            // is text.
            at = if closing {
                memchr(b'>', &bytes[name_start..]).map_or(bytes.len(), |end| name_start + end + 1)
            } else {
                start + 1
            };
            continue;
        }
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
            .map_or(bytes.len(), |len| name_start + len);
        let name = html[name_start..name_end].to_ascii_lowercase();
        let (tag_end, self_closing) = tag_end(bytes, name_end);
        at = tag_end;
        let counted = !VOID.contains(&name.as_str())
            && !SELF_CLOSING_SIBLINGS.contains(&name.as_str())
            && !self_closing;
        let mut drop_tag = false;
        if closing {
            if counted {
                if let Some(count) = unwrapped.get_mut(&name).filter(|count| **count > 0) {
                    *count -= 1;
                    drop_tag = true;
                } else if let Some(depth) = open.iter().rposition(|open| *open == name) {
                    open.truncate(depth);
                    unwrapped.clear();
                }
            }
        } else if RAW_TEXT.contains(&name.as_str()) {
            // The content runs to the matching end tag; nothing in it is markup.
            at = find_end_tag(bytes, at, &name).unwrap_or(bytes.len());
        } else if counted {
            if open.len() >= max_depth {
                *unwrapped.entry(name).or_default() += 1;
                drop_tag = true;
            } else {
                open.push(name);
            }
        }
        if drop_tag {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[copied..start]);
            copied = tag_end;
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[copied..]);
            Cow::Owned(out)
        }
    }
}

/// Where a tag whose name ends at `from` ends (after its `>`), and whether it ends in `/>`.
/// Quoted attribute values may hold `>`.
fn tag_end(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    let mut idx = from;
    while idx < bytes.len() {
        let byte = bytes[idx];
        match quote {
            Some(q) if byte == q => quote = None,
            Some(_) => {}
            None => match byte {
                b'>' => return (idx + 1, idx > from && bytes[idx - 1] == b'/'),
                b'"' | b'\'' if after_equals => quote = Some(byte),
                b'=' => {
                    after_equals = true;
                    idx += 1;
                    continue;
                }
                _ if byte.is_ascii_whitespace() => {
                    idx += 1;
                    continue;
                }
                _ => {}
            },
        }
        after_equals = false;
        idx += 1;
    }
    (bytes.len(), false)
}

/// The start of `</name` (any case) at or after `from`.
fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    while let Some(offset) = find(bytes, at, b"</") {
        let after = offset + 2;
        let candidate = bytes.get(after..after + name.len())?;
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return Some(offset);
        }
        at = after;
    }
    None
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|byte| *byte == needle)
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_borrowed_unchanged() {
        let page = "<html><body><div class=\"a>b\"><p>One<p>Two<br><img src=x></div>\
                    <script>if (a<b) { x = '</div>'; }</script><!-- <div> --></body></html>";
        assert!(matches!(limit_depth_to(page, 3), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_elements_are_unwrapped_and_their_text_kept() {
        let page = "<div><section><span>a<b>b<i>c</i></b></span>d</section>e</div><div>f</div>";
        assert_eq!(
            limit_depth_to(page, 2),
            "<div><section>a<b>b<i>c</i></b>d</section>e</div><div>f</div>"
                .replace("<b>", "")
                .replace("</b>", "")
                .replace("<i>", "")
                .replace("</i>", "")
        );
    }

    #[test]
    fn unclosed_deep_elements_are_dropped_until_a_shallower_end_tag() {
        let page = "<div><div><span>x<span>y</div></div><span>z</span>";
        assert_eq!(limit_depth_to(page, 2), "<div><div>xy</div></div><span>z</span>");
    }

    #[test]
    fn unclosed_paragraphs_and_list_items_do_not_count() {
        let page = format!("<div>{}</div>", "<p>para<li>item".repeat(50));
        assert!(matches!(limit_depth_to(&page, 2), Cow::Borrowed(_)));
    }

    /// Found by fuzzing: `</` and a line break opened a bogus comment for the HTML parser,
    /// but the `<title>` inside it was taken here for a title whose text ran to the end of
    /// the page, so thousands of nested elements after it escaped the bound.
    #[test]
    fn fuzz_a_bogus_comment_hides_the_tags_inside_it() {
        let page = format!("<p>x</\n<title>y<z>{}", "<div>".repeat(10));
        let limited = limit_depth_to(&page, 3);
        // `<z>` and two `<div>`s make the three levels kept.
        assert_eq!(limited.matches("<div>").count(), 2, "{limited}");
    }

    #[test]
    fn a_hundred_thousand_nested_divs_become_shallow() {
        let page = format!("{}text{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        let limited = limit_depth(&page);
        assert_eq!(limited.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(limited.matches("</div>").count(), MAX_DEPTH);
        let unclosed = "<div>".repeat(100_000) + "text";
        assert_eq!(limit_depth(&unclosed).matches("<div>").count(), MAX_DEPTH);
    }
}
