//! Bounds the nesting of an HTML page before anything parses it into a tree, and leaves out
//! what no step ever reads.
//!
//! An HTML tree builder checks "is there an element of this kind in scope" by walking the
//! stack of open elements, and readability-style scoring walks ancestors and subtrees, so a
//! page of 100,000 nested `<div>`s costs time quadratic in its size (and recursion on the
//! tree would overflow the stack). Real pages nest a few dozen levels deep. This pass, linear
//! in the input, unwraps every element nested deeper than [`MAX_DEPTH`]: its start and end
//! tags are left out and its content kept, so the text survives and the tree stays shallow.
//!
//! For a whole page ([`prepare_page`]) the same pass also leaves out comments, `<style>`
//! elements and `<script>` elements other than JSON-LD (half the bytes of a typical news
//! page, which the parser would otherwise tokenize only for the extractor to remove them),
//! inline `<svg>` icons (an empty `<svg/>` stands in), the attributes no step reads
//! (`data-*`, `srcset`, `sizes`, event handlers), and the content of page furniture removed
//! after parsing anyway (`<nav>`, `<footer>`, `<aside>`, `<figure>`, hidden containers) when
//! `hollow` can tell that nothing in it acts outside it.
//! What is left out is exactly what the parser would have made a comment, a raw-text
//! element or the content of an element removed after parsing; anything the pass cannot
//! delimit the way the parser would (an unclosed element, a script with `<!--` in it) is
//! copied as it is and removed after parsing as before.
//! [`limit_depth`] copies comments and raw-text elements (`<script>`, `<style>`, …) as they
//! are. Both are pure functions of the text: no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::hollow::{self, Outside};

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
/// (Not `noscript`: the parser (dom_query's html5ever) runs with scripting off, so its
/// content is markup.)
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"];

/// `html` with every element nested deeper than [`MAX_DEPTH`] unwrapped; borrowed unchanged
/// when nothing is that deep.
pub fn limit_depth(html: &str) -> Cow<'_, str> {
    limit_depth_to(html, MAX_DEPTH)
}

/// `html` as [`limit_depth`] leaves it, without its comments, styles, scripts other than
/// JSON-LD (which the metadata reads), inline `<svg>`s and unread attributes; borrowed
/// unchanged when there is nothing to change.
pub fn prepare_page(html: &str) -> Cow<'_, str> {
    scan(html, MAX_DEPTH, true)
}

/// [`limit_depth`] with another bound (for tests).
pub fn limit_depth_to(html: &str, max_depth: usize) -> Cow<'_, str> {
    scan(html, max_depth, false)
}

/// The pass itself: unwraps elements deeper than `max_depth`, and with `strip` leaves out
/// comments, styles and scripts other than JSON-LD.
fn scan(html: &str, max_depth: usize, strip: bool) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    // Where the text not yet copied to `out` starts.
    let mut copied = 0;
    let mut open: Vec<String> = Vec::new();
    // Start tags left out below the deepest kept element, by name, so that their end tags
    // are left out too.
    let mut unwrapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut at = 0;
    // Once an `<svg>` or `<math>` is open that this pass cannot delimit, the parser may be
    // reading foreign content (where CDATA, `<script>` and `<style>` read otherwise, and
    // end tags can be ignored): from there on nothing more is left out.
    let mut foreign = false;
    let mut outside = Outside::new(html);
    // In a frameset the parser ignores `<script>` and `<style>` tags and reads what they
    // hold as markup: such a page (from before articles had pages) is left as it is.
    let strip = strip && !outside.frameset;
    while let Some(markup) = next_markup(bytes, at) {
        let strip = strip && !foreign;
        let tag = match markup {
            Markup::Comment { start, end } => {
                at = end;
                if strip {
                    let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
                    leave_out(out, &html[copied..start], outside.in_table());
                    copied = end;
                }
                continue;
            }
            Markup::Other { end, .. } => {
                at = end;
                continue;
            }
            Markup::Tag(tag) => tag,
        };
        let Tag { start, closing, name_end, end: tag_end, self_closing, .. } = tag;
        let name = tag.name(html);
        at = tag_end;
        if !closing && name == "plaintext" {
            // Everything after it is text for the parser: nothing more to bound or leave out.
            break;
        }
        // `/>` closes only foreign elements (`<svg/>`, `<path/>`); an HTML element's
        // (`<div/>`, `<a href=x/>`) stays open.
        let counted = !VOID.contains(&name.as_ref())
            && !SELF_CLOSING_SIBLINGS.contains(&name.as_ref())
            && !(self_closing && (foreign || matches!(name.as_ref(), "svg" | "math")));
        if strip && !closing {
            outside.start(&name);
        }
        let mut drop_tag = false;
        // Where a left-out element ends, after its end tag.
        let mut drop_to = tag_end;
        // Where the content of an element emptied here ends (see `hollow`).
        let mut empty_to = None;
        // What stands in for a left-out element.
        let mut stand_in = "";
        if closing {
            if counted
                && let Some(count) = unwrapped.get_mut(name.as_ref()).filter(|count| **count > 0)
            {
                *count -= 1;
                drop_tag = true;
            } else {
                if strip {
                    outside.end(&name, &open);
                }
                if counted && let Some(depth) = open.iter().rposition(|open| *open == *name) {
                    open.truncate(depth);
                    unwrapped.clear();
                }
            }
        } else if RAW_TEXT.contains(&name.as_ref()) {
            // The content runs to the matching end tag; nothing in it is markup.
            at = find_end_tag(bytes, at, &name).unwrap_or(bytes.len());
            if strip
                && (name == "style" || (name == "script" && !is_json_ld(&bytes[name_end..tag_end])))
                && let Some(end) = element_end(bytes, tag_end, at, &name)
            {
                drop_tag = true;
                drop_to = end;
                at = end;
            }
        } else if strip
            && name == "svg"
            && !self_closing
            && let Some(end) = svg_end(html, tag_end)
        {
            // An empty `<svg/>` stands in: its start tag reopens formatting elements closed
            // out of order (`<b>` left open in a closed `<p>`), as the whole one would.
            drop_tag = true;
            drop_to = end;
            stand_in = "<svg/>";
            at = end;
        } else if counted {
            foreign |= matches!(name.as_ref(), "svg" | "math");
            if open.len() >= max_depth {
                *unwrapped.entry(name.into_owned()).or_default() += 1;
                drop_tag = true;
            } else {
                if strip
                    && open.len() + hollow::MAX_INNER_DEPTH < max_depth
                    && hollow::emptiable(html, &tag, &name, &outside)
                {
                    empty_to = hollow::content_end(html, tag_end, &name, &outside, &open);
                }
                open.push(name.into_owned());
            }
        }
        if drop_tag {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            if stand_in.is_empty() {
                leave_out(out, &html[copied..start], outside.in_table());
            } else {
                out.push_str(&html[copied..start]);
                out.push_str(stand_in);
            }
            copied = drop_to;
        } else if strip
            && !closing
            && let Some(kept) = without_unread_attributes(&html[name_end..tag_end])
        {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[copied..name_end]);
            out.push_str(&kept);
            copied = tag_end;
        }
        if let Some(content_end) = empty_to {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[copied..tag_end]);
            copied = content_end;
            at = content_end;
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

/// Where a tag whose name ends at `from` ends (after its `>`), and whether the tokenizer
/// reads it as self-closing (`<br/>`, not `<a href=/>`, whose `/` is the value's). Quoted
/// attribute values may hold `>`.
fn tag_end(bytes: &[u8], from: usize) -> (usize, bool) {
    tag_end_with::<true>(bytes, from)
}

/// [`tag_end`], a byte at a time through the tokenizer's states; with `SKIP`, the rest of an
/// attribute's name or of an unquoted value is passed in one search, since its bytes keep
/// the state (the tests check both ways agree).
fn tag_end_with<const SKIP: bool>(bytes: &[u8], from: usize) -> (usize, bool) {
    /// The tokenizer's states inside a tag, after its name.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        BeforeName,
        Name,
        AfterName,
        BeforeValue,
        Quoted(u8),
        AfterQuoted,
        Unquoted,
        SelfClosing,
    }
    let mut state = State::BeforeName;
    let mut idx = from;
    while let Some(&byte) = bytes.get(idx) {
        if let State::Quoted(quote) = state {
            // A quoted value runs to its closing quote, `>` and all.
            match memchr(quote, &bytes[idx..]) {
                Some(offset) => {
                    idx += offset + 1;
                    state = State::AfterQuoted;
                    continue;
                }
                None => break,
            }
        }
        let space = byte.is_ascii_whitespace();
        state = match (state, byte) {
            (State::SelfClosing, b'>') => return (idx + 1, true),
            (_, b'>') => return (idx + 1, false),
            (State::BeforeValue, b'"' | b'\'') => State::Quoted(byte),
            (State::BeforeValue, _) if space => State::BeforeValue,
            (State::BeforeValue | State::Unquoted, _) if !space => State::Unquoted,
            (State::Name | State::AfterName, b'=') => State::BeforeValue,
            (State::Name, _) if !space && byte != b'/' => State::Name,
            (State::Name | State::AfterName, _) if space => State::AfterName,
            (State::Unquoted | State::AfterQuoted | State::BeforeName | State::SelfClosing, _)
                if space =>
            {
                State::BeforeName
            }
            (_, b'/') => State::SelfClosing,
            // A new attribute's name (after a value, `/` or another name).
            _ => State::Name,
        };
        idx += 1;
        if !SKIP {
            continue;
        }
        // The rest of a name or of an unquoted value at once: the bytes that keep the state.
        let rest = &bytes[idx..];
        idx += match state {
            State::Name => rest
                .iter()
                .position(|&b| b.is_ascii_whitespace() || matches!(b, b'/' | b'=' | b'>')),
            State::Unquoted => rest.iter().position(|&b| b.is_ascii_whitespace() || b == b'>'),
            _ => Some(0),
        }
        .unwrap_or(rest.len());
    }
    (bytes.len(), false)
}

/// One piece of markup the tokenizer reads at a `<` (see [`next_markup`]).
pub(super) enum Markup {
    /// A comment: `<!--` at `start` to its end (see [`comment_end`]).
    Comment { start: usize, end: usize },
    /// `<!…>`, `<?…>`, or `</` and no letter (a bogus comment): ends after the next `>`.
    /// `cdata` when it opens `<![CDATA[`, which foreign content reads as a CDATA section.
    Other { end: usize, cdata: bool },
    /// A start or end tag.
    Tag(Tag),
}

/// A start or end tag: `<` at `start`, its name at `name_start..name_end`, ending after
/// its `>` at `end` (quoted attribute values may hold `>`).
#[derive(Clone, Copy)]
pub(super) struct Tag {
    pub(super) start: usize,
    pub(super) closing: bool,
    pub(super) name_start: usize,
    pub(super) name_end: usize,
    pub(super) end: usize,
    pub(super) self_closing: bool,
}

impl Tag {
    /// The tag's name in lower case; borrowed when it is written so, as most are.
    pub(super) fn name<'a>(&self, html: &'a str) -> Cow<'a, str> {
        let written = &html[self.name_start..self.name_end];
        if written.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(written.to_ascii_lowercase())
        } else {
            Cow::Borrowed(written)
        }
    }
}

/// The next piece of markup at or after `from`, read as the HTML tokenizer reads it in
/// text; a lone `<` (not before a letter, `/`, `!` or `?`) is text and passed over.
pub(super) fn next_markup(bytes: &[u8], from: usize) -> Option<Markup> {
    let mut at = from;
    loop {
        let start = at + memchr(b'<', bytes.get(at..)?)?;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            return Some(Markup::Comment { start, end: comment_end(bytes, start) });
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            let end = memchr(b'>', rest).map_or(bytes.len(), |end| start + end + 1);
            return Some(Markup::Other { end, cdata: rest.starts_with(b"<![CDATA[") });
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // `</` not followed by a letter opens a bogus comment that runs to the next `>`
            // (so `</\n<title>` is no title), as the HTML tokenizer reads it; a lone `<`
            // is text.
            if closing {
                let end = memchr(b'>', &bytes[name_start..])
                    .map_or(bytes.len(), |end| name_start + end + 1);
                return Some(Markup::Other { end, cdata: false });
            }
            at = start + 1;
            continue;
        }
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
            .map_or(bytes.len(), |len| name_start + len);
        let (end, self_closing) = tag_end(bytes, name_end);
        return Some(Markup::Tag(Tag { start, closing, name_start, name_end, end, self_closing }));
    }
}

/// Copies `kept` (the text before a part left out) to `out`, then leaves the part out. When
/// the two sides would join into something the tokenizer reads otherwise (`<` and `main>`
/// making a `<main>` tag, `&amp` and `;` making an entity), or when `in_table` (a table may
/// be open, where the parser moves a run of text out of the table unless it is white space
/// alone, and a comment or script ends a run), an empty comment stands in for the part,
/// which the parser reads as the part itself: a boundary that holds no text.
fn leave_out(out: &mut String, kept: &str, in_table: bool) {
    out.push_str(kept);
    let open_markup = ["<", "</", "<!", "<?"].iter().any(|open| out.ends_with(open));
    let in_reference =
        out.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '#').ends_with('&');
    if open_markup || in_reference || in_table {
        out.push_str("<!---->");
    }
}

/// Where the comment opened at `start` (`<!--`) ends, as the HTML tokenizer reads it: at
/// `<!-->` and `<!--->` at once, else after the first `-->` or `--!>`, else at the end.
fn comment_end(bytes: &[u8], start: usize) -> usize {
    let body = start + 4;
    match bytes.get(body..) {
        Some([b'>', ..]) => return body + 1,
        Some([b'-', b'>', ..]) => return body + 2,
        _ => {}
    }
    let mut at = body;
    while let Some(offset) = memchr::memmem::find(bytes.get(at..).unwrap_or_default(), b"--") {
        let dashes = at + offset;
        match bytes.get(dashes + 2..) {
            Some([b'>', ..]) => return dashes + 3,
            Some([b'!', b'>', ..]) => return dashes + 4,
            _ => at = dashes + 1,
        }
    }
    bytes.len()
}

/// Start tags that end an `<svg>` in the parser's eyes (the HTML standard's "foreign
/// content" breakout list, `font` whatever its attributes), and the raw-text elements, whose
/// content the tokenizer would read differently inside and outside `<svg>`.
const SVG_BREAKOUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
    "font",
    "script",
    "style",
];

/// Where the `<svg>` whose content starts at `from` ends, after its `</svg>`; `None` when the
/// parser might end it elsewhere or read its content as HTML: a start tag of
/// [`SVG_BREAKOUT`], an end tag for an element not opened inside it, a tag inside an HTML
/// integration point, a CDATA section, or no end tag.
pub(super) fn svg_end(html: &str, from: usize) -> Option<usize> {
    // The elements opened inside it and not closed yet: an end tag for anything else may
    // close an element outside the `<svg>` (`</a>` runs HTML's rules), ending it early.
    let mut inner: Vec<String> = Vec::new();
    // Inside `<title>`, `<desc>` or `<foreignObject>` (HTML integration points) the parser
    // reads tags by HTML's rules, where an end tag can be ignored and leave the `<svg>` open:
    // only text and comments are taken there.
    let mut integration: Option<String> = None;
    let mut at = from;
    while let Some(markup) = next_markup(html.as_bytes(), at) {
        let tag = match markup {
            Markup::Other { cdata: true, .. } => return None,
            Markup::Comment { end, .. } | Markup::Other { end, .. } => {
                at = end;
                continue;
            }
            Markup::Tag(tag) => tag,
        };
        let Tag { closing, end, self_closing, .. } = tag;
        let name = tag.name(html).into_owned();
        at = end;
        if let Some(point) = &integration {
            if !(closing && *point == name) {
                return None;
            }
            integration = None;
            continue;
        }
        if !closing && !self_closing && matches!(name.as_str(), "title" | "desc" | "foreignobject")
        {
            integration = Some(name);
            continue;
        }
        if closing {
            match inner.iter().rposition(|open| *open == name) {
                Some(depth) => inner.truncate(depth),
                None if name == "svg" => return Some(end),
                None => return None,
            }
        } else if SVG_BREAKOUT.contains(&name.as_str()) {
            return None;
        } else if !self_closing {
            inner.push(name);
        }
    }
    None
}

/// Whether an attribute is never read by any step: `data-*`, `srcset`, `sizes` and event
/// handlers (`on…`). Readability and our rules read classes, ids, roles, `hidden`, `style`,
/// links and the metadata's attributes, never these.
pub(super) fn is_unread_attribute(name: &str) -> bool {
    let starts = |prefix: &str| {
        name.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    starts("data-")
        || starts("on")
        || name.eq_ignore_ascii_case("srcset")
        || name.eq_ignore_ascii_case("sizes")
}

/// One attribute of a start tag as [`each_attribute`] reads it: its name, its value (inside
/// the quotes; empty when it has none), and where it lies in the tag (`spaced`: the white
/// space before it; `end`: after it).
pub(super) struct Attribute<'a> {
    pub(super) spaced: usize,
    pub(super) name: &'a str,
    pub(super) value: &'a str,
    pub(super) end: usize,
}

/// Calls `each` with every attribute of a start tag (`tag`: from after its name to after its
/// `>`), in order; `None` when the attributes are not written plainly enough (a stray quote,
/// `/` or `<`, an empty name or value, no space between two) to be sure of reading them as
/// the tokenizer does.
pub(super) fn each_attribute<'a>(tag: &'a str, mut each: impl FnMut(Attribute<'a>)) -> Option<()> {
    let bytes = tag.as_bytes();
    let mut at = 0;
    loop {
        let spaced = at;
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        match bytes.get(at)? {
            b'>' if at + 1 == bytes.len() => return Some(()),
            b'/' if bytes.get(at + 1) == Some(&b'>') && at + 2 == bytes.len() => return Some(()),
            _ if at == spaced => return None,
            _ => {}
        }
        let name_start = at;
        while bytes
            .get(at)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>' | b'='))
        {
            if matches!(bytes[at], b'"' | b'\'' | b'<') {
                return None;
            }
            at += 1;
        }
        if at == name_start {
            return None;
        }
        let name = &tag[name_start..at];
        let mut end = at;
        let mut value = "";
        let mut look = at;
        while bytes.get(look).is_some_and(u8::is_ascii_whitespace) {
            look += 1;
        }
        if bytes.get(look) == Some(&b'=') {
            look += 1;
            while bytes.get(look).is_some_and(u8::is_ascii_whitespace) {
                look += 1;
            }
            match bytes.get(look)? {
                quote @ (b'"' | b'\'') => {
                    let close = memchr(*quote, &bytes[look + 1..])?;
                    value = &tag[look + 1..look + 1 + close];
                    end = look + 1 + close + 1;
                }
                _ => {
                    let value_start = look;
                    while bytes.get(look).is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>') {
                        if matches!(bytes[look], b'"' | b'\'' | b'<' | b'=' | b'`') {
                            return None;
                        }
                        look += 1;
                    }
                    if look == value_start {
                        return None;
                    }
                    value = &tag[value_start..look];
                    end = look;
                }
            }
        }
        each(Attribute { spaced, name, value, end });
        at = end;
    }
}

/// A start tag's attributes (`tag`: from after its name to after its `>`) without those
/// [`is_unread_attribute`] names; `None` when there are none to leave out, or when the
/// attributes are not written plainly enough to be sure of reading them as the tokenizer
/// does (see [`each_attribute`]).
fn without_unread_attributes(tag: &str) -> Option<String> {
    // Made at the first attribute left out: most tags keep all theirs.
    let mut kept: Option<String> = None;
    let mut copied = 0;
    each_attribute(tag, |attribute| {
        if is_unread_attribute(attribute.name) {
            let kept = kept.get_or_insert_with(|| String::with_capacity(tag.len()));
            kept.push_str(&tag[copied..attribute.spaced]);
            // `d=1 data-x=2/>` must not become `d=1/>`, where `/` joins the value.
            if tag[attribute.end..].starts_with('/') {
                kept.push(' ');
            }
            copied = attribute.end;
        }
    })?;
    let mut kept = kept?;
    kept.push_str(&tag[copied..]);
    Some(kept)
}

/// Whether a `<script>` tag's attributes (`attributes`, from after its name to its `>`)
/// declare JSON-LD.
pub(super) fn is_json_ld(attributes: &[u8]) -> bool {
    attributes.windows(7).any(|window| window.eq_ignore_ascii_case(b"ld+json"))
}

/// Where a raw-text element whose content runs from `content` to `end_tag` (the `</` of its
/// end tag, when there is one) ends, after its end tag's `>`; `None` when the parser might
/// read it otherwise: no end tag, a name that only begins with `name` (`</scripts>`), or a
/// script holding `<!--` (where the tokenizer's escaped states can run past the first end
/// tag).
pub(super) fn element_end(
    bytes: &[u8],
    content: usize,
    end_tag: usize,
    name: &str,
) -> Option<usize> {
    let after_name = end_tag + 2 + name.len();
    if end_tag >= bytes.len()
        || !bytes
            .get(after_name)
            .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        || (name == "script" && memchr::memmem::find(&bytes[content..end_tag], b"<!--").is_some())
    {
        return None;
    }
    let (end, _) = tag_end(bytes, after_name);
    Some(end)
}

/// The start of the end tag `</name` (any case) at or after `from` that the tokenizer takes
/// for one: followed by white space, `/` or `>` (`</title<` or `</scripts>` end nothing).
pub(super) fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    while let Some(offset) = find(bytes, at, b"</") {
        let after = offset + 2;
        let candidate = bytes.get(after..after + name.len())?;
        let ends = bytes
            .get(after + name.len())
            .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'));
        if candidate.eq_ignore_ascii_case(name.as_bytes()) && ends {
            return Some(offset);
        }
        at = after;
    }
    None
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_ends_match_the_tokenizer_states_a_byte_at_a_time() {
        let pieces = [
            " ",
            "\t\n",
            "class",
            "=",
            "\"a > b\"",
            "'c'",
            "/",
            ">",
            "x",
            "=\"",
            "'",
            "href=/",
            " /",
            "\x0b",
            "data-x=y",
            "é",
        ];
        let mut rng = crate::test_rng::Rng::new(0x2545_f491_4f6c_dd1d);
        for _ in 0..3000 {
            let tag = rng.joined(&pieces, 12);
            let tag = tag.as_bytes();
            for from in 0..tag.len() {
                assert_eq!(
                    tag_end(tag, from),
                    tag_end_with::<false>(tag, from),
                    "{:?} from {from}",
                    String::from_utf8_lossy(tag)
                );
            }
        }
    }

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
    fn a_page_is_prepared_without_comments_styles_and_scripts() {
        let page = "<head><style>p { color: red }</style>\
                    <script type=\"application/ld+json\">{\"headline\": \"H\"}</script>\
                    <script>if (a<b) { x = '<p>'; }</script ></head>\
                    <body><p>One<!-- a <p> comment -->two</p><SCRIPT src=x></SCRIPT>\
                    <p>Three</p></body>";
        assert_eq!(
            prepare_page(page),
            "<head><script type=\"application/ld+json\">{\"headline\": \"H\"}</script></head>\
             <body><p>Onetwo</p><p>Three</p></body>"
        );
        assert!(matches!(prepare_page("<p>Plain</p>"), Cow::Borrowed(_)));
    }

    /// What the tokenizer would read otherwise stays for it: left out after parsing as
    /// before, never cut where the parser would not cut.
    #[test]
    fn what_the_parser_might_read_otherwise_is_kept() {
        // No end tag: the script runs to the end of the page for the parser too.
        let unclosed = "<p>a</p><script>x = 1; <p>b</p>";
        assert_eq!(prepare_page(unclosed), unclosed);
        // `</scripts>` does not end a script: the script runs to `</script>`.
        assert_eq!(prepare_page("<script>a</scripts>b</script><p>c</p>"), "<p>c</p>");
        // `<!--` in a script can make the first `</script>` part of it.
        let escaped = "<script><!--<script>x</script>y--></script><p>z</p>";
        assert_eq!(prepare_page(escaped), escaped);
        // Comments end where the tokenizer ends them.
        assert_eq!(prepare_page("a<!-->b"), "ab");
        assert_eq!(prepare_page("a<!--->b"), "ab");
        assert_eq!(prepare_page("a<!-- x --!>b"), "ab");
        assert_eq!(prepare_page("a<!-- x -- y -->b"), "ab");
        assert_eq!(prepare_page("a<!-- never closed <p>b"), "a");
    }

    #[test]
    fn icons_and_unread_attributes_are_left_out() {
        let page = "<p data-id=\"7\" class=\"lede\" onclick='go()'>Text\
                    <svg viewBox=\"0 0 9 9\"><g><path d=\"M0 0\"/></g><svg></svg></svg>\
                    <img src=a.jpg srcset=\"a.jpg 2x\" sizes=50vw alt=\"A\"></p>";
        assert_eq!(prepare_page(page), "<p class=\"lede\">Text<svg/><img src=a.jpg alt=\"A\"></p>");
        // Tags whose attributes read plainly are left as they are.
        assert!(matches!(prepare_page("<a href=\"/x\" class=c>x</a><br/>"), Cow::Borrowed(_)));
    }

    /// An `<svg>` the parser would end early or read as HTML stays for it, and so do
    /// attributes written too loosely to be sure how the tokenizer splits them.
    #[test]
    fn what_the_tokenizer_reads_otherwise_keeps_its_svg_and_attributes() {
        for page in [
            "<svg><p>Breaks out</p></svg>",
            "<svg><g><div>Breaks out</div></g></svg>",
            "<svg></p>x</svg>",
            "<svg><![CDATA[</svg>]]></svg>",
            "<svg><style>a</svg></style></svg>",
            "<svg><script>a</svg><p>Text</p></script>",
            "<math><style>a</math><p>Text</p></style>",
            "<svg><g>never closed",
            "<div data-a=\"1\"data-b=2>no space between</div>",
            "<div data-a=x\"y>a quote in a value</div>",
            "<div data-a=>an empty value</div>",
            "<div a\"b data-c=1>a quote in a name</div>",
            "<div data-a='unclosed>quote</div>",
        ] {
            assert_eq!(prepare_page(page), page, "{page}");
        }
        assert_eq!(prepare_page("<svg/><p data-x=1>a</p>"), "<svg/><p>a</p>");
        assert_eq!(prepare_page("<svg><foreignObject/></svg>b"), "<svg/>b");
        assert_eq!(prepare_page("<input data-x=1 hidden data-y=\"2\"/>"), "<input hidden />");
        // Found by the mutation test: the `/` must not join an unquoted value before it.
        assert_eq!(prepare_page("<path d=1 data-x='2'/>"), "<path d=1 />");
    }

    /// Found by the mutation test in `html.rs`: each of these once gave the parser another
    /// text after the pass than before it.
    #[test]
    fn fuzz_what_the_pass_leaves_out_never_joins_or_hides_text() {
        // A comment between `<` and `main>`: an empty comment keeps them apart.
        assert_eq!(prepare_page("<<!-->main>"), "<<!---->main>");
        assert_eq!(prepare_page("&amp<!-- x -->;"), "&amp<!---->;");
        // `</title<` ends no title: the comment after it is the title's text.
        let title = "<title>a</title<svg/>> <!-- b --></title><p>c</p>";
        assert_eq!(prepare_page(title), title);
        // `</a>` inside an `<svg>` can close the `<svg>` early, by HTML's rules.
        let breakout = "<a><svg>b</a> c</svg><p>d</p>";
        assert_eq!(prepare_page(breakout), breakout);
        // `</</svg>` is a bogus comment, not the end of the `<svg>`.
        assert_eq!(prepare_page("<svg><g></</svg>p></g></svg>x"), "<svg/>x");
        // `<a href/=/>` is an `<a>` left open, whatever its `/>`: a link inside a container
        // after it would close it.
        let open_link = "<a href/=/>x<nav><a href=y>z</a></nav>";
        assert_eq!(prepare_page(open_link), open_link);
        // `<svg a=1/>` is no self-closing tag (the `/` is the value's): foreign content
        // follows, where `<script>` is markup.
        let unquoted = "<svg a=1/><script>x</script>";
        assert_eq!(prepare_page(unquoted), unquoted);
        // In a table, a comment ends a run of text, which lands in the table when it is white
        // space alone and before it otherwise: an empty comment stands in.
        assert_eq!(prepare_page("<table>One<!-- c --> <b>two</b>"), "<table>One<!----> <b>two</b>");
        // A left-out `<svg>` leaves an empty one: its start tag reopens `<b>`, left open in a
        // closed `<p>`, before the next `<p>`.
        assert_eq!(prepare_page("<p><b>a</p><svg><g/></svg><p>b"), "<p><b>a</p><svg/><p>b");
        // An open `<math>` (or an `<svg>` the pass cannot delimit): nothing more left out.
        let math = "<math><![CDATA[ <!-- a --> <script>b</script>";
        assert_eq!(prepare_page(math), math);
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
