//! Which elements the page pass ([`super::depth::prepare_page`]) may empty before parsing:
//! those every page loses after parsing anyway (`<nav>`, `<footer>`, `<aside>`, `<figure>`,
//! and containers marked `hidden`, `aria-hidden="true"` or with a navigation, complementary,
//! dialog or alert `role`), which are two fifths of a news page's markup once its scripts
//! and styles are gone.
//!
//! `<nav …>CONTENT</nav>` becomes `<nav …></nav>`. Once the element is removed the parsed
//! tree is the same, provided no token of CONTENT acts on anything outside the element:
//! closes an element opened before it, leaves an element open after it, moves the form
//! pointer, or changes the list of active formatting elements the parser reconstructs after
//! it. [`content_end`] replays the HTML standard's "in body" tree-construction rules for the
//! tags it accepts, on a stack of the elements opened inside, and gives up (the element is
//! then parsed as it is and removed after parsing, as before) on anything else: tables,
//! forms left open, templates, selects, foreign content, raw text other than scripts,
//! styles and text areas, an end tag for something not opened inside, a formatting element
//! closed out of order, and whatever the metadata reads before the elements are removed
//! (`<h1>`, `<time>`, `<meta>`, `<link>`, `<title>`, JSON-LD). [`Outside`] keeps what the
//! replay needs to know about the page before the element.

use std::borrow::Cow;

use super::depth::{
    Markup, Tag, each_attribute, element_end, find_end_tag, is_json_ld, next_markup, svg_end,
};
use super::html::{DROPPED_NAMES, DROPPED_ROLES};

/// The elements this replay may empty: those whose start tag closes an open `<p>` and which
/// are special (an end tag for something else stops at them). Emptied when `html.rs` removes
/// them after parsing by name (`<nav>`, `<footer>`, `<aside>`, `<figure>`, `<figcaption>`)
/// or by their attributes (see [`dropped_by_attributes`]).
const CONTAINERS: &[&str] = &[
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "section",
    "summary",
    "ul",
];

/// The HTML standard's formatting elements, which the parser reopens after they are closed
/// out of order (`nobr` is refused: its start tag has rules of its own).
const FORMATTING: &[&str] =
    &["a", "b", "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u"];

/// Start tags that close an open `<p>` (besides [`CONTAINERS`]).
const CLOSES_P: &[&str] =
    &["address", "dialog", "p", "pre", "listing", "hr", "h2", "h3", "h4", "h5", "h6", "search"];

/// Elements the parser closes when an end tag ends their parent ("generate implied end
/// tags"), of those this replay accepts.
const IMPLIED_END: &[&str] = &["p", "li", "dt", "dd"];

/// End tags closed by the "block" rule: the element in scope, and everything above it.
const BLOCK_END: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "button",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "pre",
    "search",
    "section",
    "summary",
    "ul",
];

/// The special elements (those an end tag for another element stops at), as html5ever, the
/// parser the pages go through, lists them: the HTML standard's, without `search`, which
/// html5ever does not count as special (so `search` is no container here either).
const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "isindex",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "wbr",
    "xmp",
];

/// Void elements this replay accepts inside an emptied element.
const VOID: &[&str] = &["area", "br", "embed", "img", "input", "param", "source", "track", "wbr"];

/// Tags this replay does not follow (their rules reach outside the element, change the
/// insertion mode or the tokenizer's state, or the metadata reads them): an element holding
/// one is parsed as it is.
const REFUSED: &[&str] = &[
    "applet",
    "base",
    "basefont",
    "bgsound",
    "body",
    "caption",
    "col",
    "colgroup",
    "frame",
    "frameset",
    "h1",
    "head",
    "html",
    "image",
    "isindex",
    "keygen",
    "link",
    "marquee",
    "math",
    "meta",
    "nobr",
    "noembed",
    "noframes",
    "object",
    "optgroup",
    "option",
    "plaintext",
    "rb",
    "rp",
    "rt",
    "rtc",
    "select",
    "table",
    "tbody",
    "td",
    "template",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "xmp",
];

/// Elements that, open before an element, could let a token inside it reach outside
/// (scope boundaries, other insertion modes): none is emptied while one may be open.
const GUARDED: &[&str] = &["table", "template", "select", "object", "applet", "marquee"];

/// The deepest nesting inside an emptied element this replay follows.
pub(super) const MAX_INNER_DEPTH: usize = 64;

/// What the replay needs to know about the page before an element, kept by the page pass
/// from the tags it reads outside emptied elements.
pub(super) struct Outside {
    /// A `<frameset>` anywhere: the page pass then leaves the page as it is.
    pub(super) frameset: bool,
    /// Start tags minus end tags of each of [`GUARDED`], never below zero (an over-count
    /// only empties less).
    guarded: [usize; GUARDED.len()],
    /// Whether a `<form>` start tag set the parser's form pointer and no `</form>` has
    /// cleared it.
    form_open: bool,
    /// `<button>` start tags minus the end tags that closed one (never fewer than the
    /// buttons open): an inner `<button>` would close an open one.
    buttons: usize,
    /// Whether a `</button>` came where a table or another scope boundary may have hidden
    /// the button from it, so that [`Outside::buttons`] may have counted a close that was
    /// not.
    buttons_unsure: bool,
    /// Heading start tags minus heading end tags (never fewer than the headings open): the
    /// metadata reads an `<h1>`'s text, furniture inside it included, so nothing inside a
    /// heading is emptied.
    headings: usize,
    /// Whether a heading's end tag came where a scope boundary may have hidden the heading.
    headings_unsure: bool,
    /// Formatting elements (bits by [`FORMATTING`] index) closed out of order or left open
    /// by another end tag: the parser may reopen them, so elements holding one of the same
    /// name are not emptied.
    tainted: u32,
}

impl Outside {
    pub(super) fn new(html: &str) -> Outside {
        let bytes = html.as_bytes();
        let frameset = [&b"<f"[..], b"<F"].iter().any(|open| {
            memchr::memmem::find_iter(bytes, open).any(|at| {
                bytes.get(at + 1..at + 9).is_some_and(|name| name.eq_ignore_ascii_case(b"frameset"))
            })
        });
        Outside {
            frameset,
            guarded: [0; GUARDED.len()],
            form_open: false,
            buttons: 0,
            buttons_unsure: false,
            headings: 0,
            headings_unsure: false,
            tainted: 0,
        }
    }

    /// A start tag read outside emptied elements.
    pub(super) fn start(&mut self, name: &str) {
        if let Some(idx) = GUARDED.iter().position(|guarded| *guarded == name) {
            self.guarded[idx] += 1;
        }
        self.form_open |= name == "form";
        self.buttons += usize::from(name == "button");
        self.headings += usize::from(is_heading(name));
    }

    /// An end tag read outside emptied elements, with `open` the page pass's stack of open
    /// elements before it closes anything.
    pub(super) fn end(&mut self, name: &str, open: &[String]) {
        if let Some(idx) = GUARDED.iter().position(|guarded| *guarded == name) {
            self.guarded[idx] = self.guarded[idx].saturating_sub(1);
        }
        if name == "form" {
            self.form_open = false;
        }
        let hidden = self.in_table();
        if name == "button" {
            self.buttons_unsure |= hidden;
            self.buttons = self.buttons.saturating_sub(1);
        }
        if is_heading(name) {
            self.headings_unsure |= hidden;
            self.headings = self.headings.saturating_sub(1);
        }
        if let Some(idx) = FORMATTING.iter().position(|formatting| *formatting == name)
            && open.last().is_none_or(|last| last != name)
        {
            self.tainted |= 1 << idx;
        }
        // Formatting elements the end tag closes by closing an element they are in.
        if let Some(depth) = open.iter().rposition(|element| element == name) {
            for inner in &open[depth + 1..] {
                if let Some(idx) = FORMATTING.iter().position(|formatting| formatting == inner) {
                    self.tainted |= 1 << idx;
                }
            }
        }
    }

    /// Whether a table (or another element of [`GUARDED`]) may be open.
    pub(super) fn in_table(&self) -> bool {
        self.guarded.iter().any(|count| *count > 0)
    }

    /// Whether a `<button>` may be open.
    fn button_open(&self) -> bool {
        self.buttons > 0 || self.buttons_unsure
    }

    /// Whether the formatting element `name` may be open or reopened outside.
    fn formatting_blocked(&self, name: &str, open: &[String]) -> bool {
        let idx = FORMATTING.iter().position(|formatting| *formatting == name);
        idx.is_some_and(|idx| self.tainted & (1 << idx) != 0)
            || open.iter().any(|open| open == name)
    }
}

/// Whether the element whose start tag is `tag` (named `name`, its attributes from
/// `name_end`) is one the page loses after parsing, and one this replay may empty.
pub(super) fn emptiable(html: &str, tag: &Tag, name: &str, outside: &Outside) -> bool {
    if tag.self_closing || outside.in_table() || outside.headings > 0 || outside.headings_unsure {
        return false;
    }
    let attributes = &html[tag.name_end..tag.end];
    // Most containers carry no such attribute: only one that names one (in lower case, as
    // pages write them; another is merely not emptied) is read.
    let names_one = |name: &[u8]| memchr::memmem::find(attributes.as_bytes(), name).is_some();
    listed(CONTAINERS, name)
        && (DROPPED_NAMES.contains(&name)
            || ((names_one(b"hidden") || names_one(b"role")) && dropped_by_attributes(attributes)))
}

/// Whether a start tag's attributes (from after its name to after its `>`) mark an element
/// removed after parsing: `hidden`, `aria-hidden="true"`, or a [`DROPPED_ROLES`] role, read
/// as the tokenizer does (the first of two attributes of one name counts). `false` when they
/// are not written plainly enough to be sure.
fn dropped_by_attributes(attributes: &str) -> bool {
    let (mut hidden, mut aria_hidden, mut role): (Option<bool>, Option<bool>, Option<bool>) =
        (None, None, None);
    let read = each_attribute(attributes, |attribute| {
        let value = attribute.value;
        let plain = !value.contains('&');
        if attribute.name.eq_ignore_ascii_case("hidden") {
            hidden.get_or_insert(true);
        } else if attribute.name.eq_ignore_ascii_case("aria-hidden") {
            aria_hidden.get_or_insert(plain && value == "true");
        } else if attribute.name.eq_ignore_ascii_case("role") {
            role.get_or_insert(plain && DROPPED_ROLES.contains(&value));
        }
    });
    read.is_some() && [hidden, aria_hidden, role].contains(&Some(true))
}

/// Where the content of the element `container` whose start tag ends at `from` ends (the
/// `<` of the end tag that closes it), when every token in it acts only inside it; `None`
/// when the replay cannot be sure.
pub(super) fn content_end(
    html: &str,
    from: usize,
    container: &str,
    outside: &Outside,
    open: &[String],
) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut stack: Vec<Cow<'_, str>> = Vec::new();
    let mut form_open = false;
    let mut at = from;
    loop {
        let tag = match next_markup(bytes, at)? {
            Markup::Comment { end, .. } | Markup::Other { end, .. } => {
                at = end;
                continue;
            }
            Markup::Tag(tag) => tag,
        };
        let name = tag.name(html);
        at = tag.end;
        if listed(REFUSED, &name) {
            return None;
        }
        if tag.closing {
            if close(&mut stack, &name, container, outside, &mut form_open)? {
                // The container's own end tag (closing what was left open inside it).
                return (!form_open).then_some(tag.start);
            }
            continue;
        }
        let name_ref = name.as_ref();
        match name_ref {
            "script" | "style" | "textarea" | "iframe" => {
                if name_ref == "script" && is_json_ld(&bytes[tag.name_end..tag.end]) {
                    return None;
                }
                let end_tag = find_end_tag(bytes, at, name_ref)?;
                at = element_end(bytes, tag.end, end_tag, name_ref)?;
                continue;
            }
            "svg" => {
                if !tag.self_closing {
                    at = svg_end(html, tag.end)?;
                }
                continue;
            }
            "form" => {
                // With the form pointer set, the parser ignores the tag.
                if !form_open && !outside.form_open {
                    close_p(&mut stack)?;
                    stack.push(name);
                    form_open = true;
                }
                continue;
            }
            "button" if outside.button_open() || stack.iter().any(|open| open == "button") => {
                return None;
            }
            // The metadata reads the first `<time datetime>`.
            "time" => {
                let mut datetime = false;
                each_attribute(&html[tag.name_end..tag.end], |attribute| {
                    datetime |= attribute.name.eq_ignore_ascii_case("datetime");
                })?;
                if datetime {
                    return None;
                }
            }
            "li" | "dd" | "dt" => {
                let matches = |open: &str| match name_ref {
                    "li" => open == "li",
                    _ => open == "dd" || open == "dt",
                };
                let mut found = None;
                let mut stopped = false;
                for (depth, open) in stack.iter().enumerate().rev() {
                    if matches(open) {
                        found = Some(depth);
                        break;
                    }
                    if listed(SPECIAL, open) && !matches!(open.as_ref(), "address" | "div" | "p") {
                        stopped = true;
                        break;
                    }
                }
                match found {
                    Some(depth) => pop_to(&mut stack, depth)?,
                    // The walk would go on below the container, to elements outside it.
                    None if !stopped && matches!(container, "address" | "div" | "p") => {
                        return None;
                    }
                    None => {}
                }
            }
            _ => {}
        }
        if FORMATTING.contains(&name_ref) {
            if outside.formatting_blocked(name_ref, open)
                || (name_ref == "a" && stack.iter().any(|open| open == "a"))
            {
                return None;
            }
        } else if VOID.contains(&name_ref) {
            continue;
        } else if CLOSES_P.contains(&name_ref)
            || listed(CONTAINERS, name_ref)
            || matches!(name_ref, "li" | "dd" | "dt")
        {
            close_p(&mut stack)?;
            if name_ref == "hr" {
                continue;
            }
            if name_ref.len() == 2
                && name_ref.starts_with('h')
                && stack.last().is_some_and(|last| is_heading(last))
            {
                stack.pop();
            }
        }
        if stack.len() >= MAX_INNER_DEPTH {
            return None;
        }
        stack.push(name);
    }
}

/// Whether `name` is in `list`, one of the alphabetical lists above (a binary search: the
/// replay asks for every tag).
fn listed(list: &[&str], name: &str) -> bool {
    list.binary_search(&name).is_ok()
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// "Close a p element" when one is in button scope among the elements opened inside.
fn close_p(stack: &mut Vec<Cow<'_, str>>) -> Option<()> {
    for (depth, open) in stack.iter().enumerate().rev() {
        if open == "p" {
            return pop_to(stack, depth);
        }
        if open == "button" {
            break;
        }
    }
    Some(())
}

/// Pops the element at `depth` and everything above it; `None` when that would close a
/// formatting element out of order (the parser would reopen it later, outside).
fn pop_to(stack: &mut Vec<Cow<'_, str>>, depth: usize) -> Option<()> {
    if stack[depth..].iter().any(|open| FORMATTING.contains(&open.as_ref())) {
        return None;
    }
    stack.truncate(depth);
    Some(())
}

/// Replays the end tag `name` on the elements opened inside `container`: `Some(true)` when
/// it closes the container, `None` when it might act outside it.
fn close(
    stack: &mut Vec<Cow<'_, str>>,
    name: &str,
    container: &str,
    outside: &Outside,
    form_open: &mut bool,
) -> Option<bool> {
    if name == "form" {
        // It closes the form pointer's element, wherever that is.
        if outside.form_open {
            return None;
        }
        if *form_open {
            while stack.last().is_some_and(|last| IMPLIED_END.contains(&last.as_ref())) {
                stack.pop();
            }
            if stack.last().is_none_or(|last| last != "form") {
                return None;
            }
            stack.pop();
            *form_open = false;
        }
        return Some(false);
    }
    if name == "br" {
        // `</br>` is read as `<br>`.
        return Some(false);
    }
    if FORMATTING.contains(&name) {
        // The adoption agency's simple case: the element is the current node.
        return if stack.last().is_some_and(|last| last == name) {
            stack.pop();
            Some(false)
        } else {
            None
        };
    }
    let found =
        |stack: &[Cow<'_, str>], hit: &dyn Fn(&str) -> bool, stop: &dyn Fn(&str) -> bool| {
            for (depth, open) in stack.iter().enumerate().rev() {
                if hit(open) {
                    return Ok(depth);
                }
                if stop(open) {
                    return Err(true);
                }
            }
            Err(false)
        };
    let closed = match name {
        "p" => match found(stack, &|open| open == "p", &|open| open == "button") {
            Ok(depth) => pop_to(stack, depth),
            // No `<p>` open: the parser opens and closes an empty one, inside.
            Err(_) => Some(()),
        },
        "li" => match found(stack, &|open| open == "li", &|open| matches!(open, "ol" | "ul")) {
            Ok(depth) => pop_to(stack, depth),
            Err(true) => Some(()),
            // Not in list item scope inside: the walk would go on outside.
            Err(false) => None,
        },
        "dd" | "dt" => match found(stack, &|open| open == name, &|_| false) {
            Ok(depth) => pop_to(stack, depth),
            Err(_) => None,
        },
        _ if is_heading(name) => match found(stack, &is_heading, &|_| false) {
            Ok(depth) => pop_to(stack, depth),
            Err(_) => None,
        },
        _ if listed(BLOCK_END, name) => match found(stack, &|open| open == name, &|_| false) {
            Ok(depth) => pop_to(stack, depth),
            // The container's own end tag, with elements left open inside it.
            Err(_) if name == container => return pop_to(stack, 0).map(|()| true),
            Err(_) => None,
        },
        // Any other end tag: the nearest element of that name, unless a special element
        // comes first (the container itself is special, so the walk ends inside).
        _ => match found(stack, &|open| open == name, &|open| listed(SPECIAL, open)) {
            Ok(depth) => pop_to(stack, depth),
            Err(_) => Some(()),
        },
    };
    closed.map(|()| false)
}

#[cfg(test)]
mod tests {
    use super::super::depth::prepare_page;

    #[test]
    fn the_searched_lists_are_alphabetical() {
        for list in [super::REFUSED, super::SPECIAL, super::CONTAINERS, super::BLOCK_END] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
        }
    }

    #[test]
    fn furniture_is_emptied() {
        let page = "<body><nav class=top><ul><li><a href=/a>A</a><li><a href=/b>B <i>new</i></a>\
                    </ul><form><input name=q><button>Go</button></form></nav>\
                    <article><p>Text <b>bold</b>.</p><figure><img src=x><figcaption>Cap\
                    </figcaption></figure><aside><h2>More</h2><p>x<p>y</aside></article>\
                    <div hidden><p>hidden</div><section role=complementary><p>side</section>\
                    <div aria-hidden=\"true\">icon</div><footer><p>(c) Site<dl><dt>a<dd>b</dl>\
                    <iframe src=x>frame</iframe></footer></body>";
        assert_eq!(
            prepare_page(page),
            "<body><nav class=top></nav><article><p>Text <b>bold</b>.</p><figure></figure>\
             <aside></aside></article><div hidden></div><section role=complementary></section>\
             <div aria-hidden=\"true\"></div><footer></footer></body>"
        );
    }

    /// Content whose tokens could act outside the element, or that the metadata reads, is
    /// left for the parser (and the element removed after parsing, as before).
    #[test]
    fn what_could_act_outside_or_is_read_stays() {
        for (page, kept) in [
            // An end tag for an element opened before the container closes it.
            ("<div><nav>x</div>y</nav>z</div>", "x</div>"),
            // A `<li>` in a hidden `<div>` closes the list item the `<div>` is in.
            ("<ul><li>a<div hidden><li>b</div>c</ul>", "<li>b"),
            // An outer `<a>` is closed by an inner one.
            ("<a href=x><nav><a href=y>in</a></nav>out</a>", "in</a>"),
            // A formatting element closed out of order is reopened after the container.
            ("<div><nav><p>x<b>y</p>z</nav>w</div>", "<b>y"),
            // The form pointer: an unclosed form, or an end tag for the form outside.
            ("<nav><form>x</nav><form>y</form>", "<form>x"),
            ("<form><nav><form>x</form></nav>y</form>z", "x</form>"),
            // A `<button>` inside closes an open one.
            ("<button>a<nav><button>b</button></nav>c</button>", "<button>b"),
            // Tables change the insertion mode; the metadata reads `<h1>`, `<time datetime>`,
            // `<meta>` and JSON-LD.
            ("<nav><table><td>x</table></nav>", "<td>x"),
            ("<table><tr><td><nav>x</nav></table>", "<nav>x"),
            ("<aside><h1>Masthead</h1></aside>", "Masthead"),
            ("<nav><time datetime=2020-01-02>x</time></nav>", "2020-01-02"),
            ("<nav><meta property=og:title content=Nav></nav>", "og:title"),
            ("<nav><script type=application/ld+json>{}</script></nav>", "{}"),
            // Inside a heading, whose text the metadata reads, furniture included.
            ("<h1>Title<nav>more</nav></h1>", "more"),
            // With a frameset anywhere, nothing is left out (scripts are markup there).
            ("<nav><p>x</nav><frameset></frameset>", "<p>x"),
            ("<frameset><script>a<frameset>b</script>", "<script>a"),
            // Attributes read otherwise than they look: not marked hidden after all.
            ("<div role=main role=navigation>a</div>", ">a<"),
            ("<div aria-hidden=TRUE>a</div>", ">a<"),
            ("<div aria-hidden=\"&#116;rue\">a</div>", ">a<"),
            // html5ever does not count `<search>` as special: `</span>` inside one walks on
            // to a `<span>` outside.
            ("<span><search hidden></span>x</search>y", "</span>x"),
            // No end tag: the element runs to the end of the page.
            ("<nav><ul><li>x", "<li>x"),
        ] {
            let prepared = prepare_page(page);
            assert!(prepared.contains(kept), "{page} → {prepared}");
        }
        // An `<a>` left open before (its end tag misspelt) keeps a container holding a link.
        let page = "<a href=/>Site</a<div>><nav><a href=/a>A</a></nav><h1>T</h1>";
        assert!(prepare_page(page).contains("<a href=/a>"));
        // The same container with nothing open before it is emptied.
        assert!(!prepare_page("<nav><a href=/a>A</a></nav><h1>T</h1>").contains("<a href=/a>"));
    }
}
