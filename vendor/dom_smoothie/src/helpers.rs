use std::collections::HashSet;

use foldhash::HashMap;
use unicode_segmentation::UnicodeSegmentation;

use dom_query::{NodeData, NodeId, NodeRef};

use tendril::StrTendril;

use crate::glob::{COMMAS, MINI_ARIA_HIDDEN, MINI_FALLBACK_IMG, PHRASING_ELEMS};
use crate::matching::is_invisible_style;

pub(crate) fn text_similarity(text_a: &str, text_b: &str) -> f64 {
    if text_a.is_empty() || text_b.is_empty() {
        return 0.0;
    }

    let a = text_a.to_lowercase();
    let b = text_b.to_lowercase();

    if a.contains(&b) {
        return 1.0;
    }

    let tokens_a: HashSet<&str> = a.unicode_words().collect();
    let tokens_b: Vec<&str> = b.unicode_words().collect();

    let b_chars_total: usize = tokens_b.iter().map(|s| s.chars().count()).sum();
    if b_chars_total == 0 {
        return 0.0;
    }
    let b_chars_unique: usize = tokens_b
        .iter()
        .filter(|&&s| !tokens_a.contains(s))
        .map(|s| s.chars().count())
        .sum();

    let distance_b = b_chars_unique as f64 / b_chars_total as f64;
    1.0 - distance_b
}

pub(crate) fn is_phrasing_content(node: &NodeRef) -> bool {
    if node.is_text() {
        return true;
    }

    // only elements has a node name
    let Some(qual_name) = node.qual_name_ref() else {
        return false;
    };
    let node_name = qual_name.local.as_ref();
    if PHRASING_ELEMS.contains(node_name) {
        return true;
    }

    if matches!(node_name, "a" | "del" | "ins") {
        // There is no big sense to consider link content as phrasing content if they doesn't have children element.
        let children = node.children();
        return !children.is_empty() && children.into_iter().all(|n| is_phrasing_content(&n));
    }
    false
}

pub(crate) fn is_whitespace(node: &NodeRef) -> bool {
    if node.is_text() && !node.is_nonempty_text() {
        return true;
    }
    // only an element node has a node_name
    node.has_name("br")
}

pub(crate) fn has_ancestor<F>(node: &NodeRef, max_depth: Option<usize>, filter_fn: F) -> bool
where
    F: Fn(&NodeRef) -> bool,
{
    let max_depth = max_depth.map(|max_depth| if max_depth == 0 { 3 } else { max_depth });
    node.ancestors_it(max_depth).any(|a| filter_fn(&a))
}

pub(crate) fn normalize_spaces(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut iter = text.split_whitespace();

    if let Some(first) = iter.next() {
        result.push_str(first);
        for word in iter {
            result.push(' ');
            result.push_str(word);
        }
    }
    result
}

pub(crate) fn link_density_fn<F>(node: &NodeRef, char_count: Option<usize>, mut count_fn: F) -> f32
where
    F: FnMut(&NodeRef) -> usize,
{
    let mut link_length = 0f32;

    for a in node.find_descendants("a") {
        let href = a.attr_or("href", "");
        let coeff = if href.len() > 1 && href.starts_with('#') {
            0.3
        } else {
            1.0
        };
        link_length += count_fn(&a) as f32 * coeff;
    }

    if link_length == 0.0 {
        return 0.0;
    }

    let text_length = char_count.unwrap_or_else(|| count_fn(node)) as f32;
    if text_length == 0.0 {
        return 0.0;
    }

    link_length / text_length
}

pub(crate) fn link_density(node: &NodeRef, char_count: Option<usize>) -> f32 {
    link_density_fn(node, char_count, normalized_char_count)
}

/// Returns the child element if the node contains exactly one element child with the given tag
/// and no non-empty text nodes.
pub(crate) fn single_child_element<'a>(node: &NodeRef<'a>, tag: &str) -> Option<NodeRef<'a>> {
    // There should be exactly 1 element child with given tag
    let children = node.element_children();
    if children.len() != 1 {
        return None;
    }

    let first = children.first()?;

    if !first.has_name(tag) {
        return None;
    }
    if node.children_it(false).any(|n| n.is_nonempty_text()) {
        return None;
    }
    Some(*first)
}

pub(crate) fn is_element_without_content(node: &NodeRef) -> bool {
    // since this function calls only for elements check `node.is_element()` is redundant
    let has_text = node.descendants_it().any(|n| n.is_nonempty_text());
    if has_text {
        return false;
    }

    let el_children_count = node.children_it(false).filter(|n| n.is_element()).count();
    if el_children_count == 0 {
        return true;
    }

    let line_breaks = node.find_descendants("br").len() + node.find_descendants("hr").len();
    el_children_count == line_breaks
}

pub(crate) fn get_dir_attr(node: &NodeRef) -> Option<String> {
    if let Some(first_child) = node.first_child() {
        if let Some(dir_attr) = first_child.attr("dir") {
            return Some(dir_attr.to_string());
        }

        let dir_attr = first_child.ancestors_it(None).find_map(|a| a.attr("dir"));
        if let Some(dir_attr) = dir_attr {
            return Some(dir_attr.to_string());
        }
    }
    None
}

pub(crate) fn node_name_in(node: &NodeRef, names: &phf::Set<&str>) -> bool {
    node.qual_name_ref()
        .is_some_and(|name| names.contains(name.local.as_ref()))
}

pub(crate) fn is_probably_visible(node: &NodeRef) -> bool {
    if node.has_attr("hidden") {
        return false;
    }
    if is_invisible_style(node) {
        return false;
    }
    !MINI_ARIA_HIDDEN.match_node(node) || MINI_FALLBACK_IMG.match_node(node)
}

pub(crate) fn get_node_matching_string(node: &NodeRef) -> StrTendril {
    let mut buf = StrTendril::new();
    let Some(el) = node.element_ref() else {
        return buf;
    };

    for attr in &el.attrs {
        if !matches!(attr.name.local.as_ref(), "class" | "id") {
            continue;
        }
        buf.push_tendril(&attr.value);
        buf.push_char(' ');
    }

    buf.make_ascii_lowercase();
    buf
}

pub(crate) fn next_child_or_sibling<'a>(
    node: &NodeRef<'a>,
    ignore_child: bool,
) -> Option<NodeRef<'a>> {
    if !ignore_child {
        if let Some(first_child) = node.first_element_child() {
            return Some(first_child);
        }
    }

    if let Some(sibling) = node.next_element_sibling() {
        return Some(sibling);
    }
    let mut parent = node.parent();
    while let Some(parent_node) = parent {
        if let Some(next_sibling) = parent_node.next_element_sibling() {
            return Some(next_sibling);
        }
        parent = parent_node.parent();
    }
    None
}

#[cfg(not(feature = "aho-corasick"))]
/// A lightweight byte-level pre-checker used to quickly skip patterns
/// that cannot occur in the haystack.
pub(crate) struct BytePatternCheck<'a> {
    haystack: &'a str,
    char_map: [u8; 256],
}

#[cfg(not(feature = "aho-corasick"))]
impl<'a> BytePatternCheck<'a> {
    pub(crate) fn new(haystack: &'a str) -> Self {
        let mut char_map = [0u8; 256];

        for &b in haystack.as_bytes() {
            char_map[b as usize] = 1;
        }
        Self { haystack, char_map }
    }
    #[inline]
    fn pre_check(&self, pat: &str) -> bool {
        for &b in pat.as_bytes() {
            if self.char_map[b as usize] == 0 {
                return false;
            }
        }
        true
    }
    /// Checks if the haystack contains any of the given patterns.
    /// Performs a cheap bitmap pre-check before `str::contains`.
    pub(crate) fn contains_any(&self, pats: &[&str]) -> bool {
        pats.iter()
            .any(|pat| self.pre_check(pat) && self.haystack.contains(pat))
    }
}

/// The white-space-normalized character count of `node`'s text: exactly
/// `NodeRef::normalized_char_count`, reading ASCII text eight bytes at a time.
pub(crate) fn normalized_char_count(node: &NodeRef) -> usize {
    let mut run = TextRun::default();
    for n in std::iter::once(*node).chain(node.descendants_it()) {
        n.query(|n| {
            if let NodeData::Text { ref contents } = n.data {
                run = run.then(TextRun::of_text::<false>(contents));
            }
        });
    }
    run.char_count()
}

/// Whether a non-ASCII character that starts with `lead` (its first UTF-8 byte) may be
/// white space or one of [`COMMAS`]: no other lead byte starts one (a test checks every
/// character).
fn may_be_space_or_comma(lead: u8) -> bool {
    matches!(lead, 0xC2 | 0xD8 | 0xE1..=0xE3 | 0xEF)
}

/// What [`NodeRef::normalized_char_count`] needs to know of a run of text nodes (a node's
/// text, in document order) so that a parent's count follows from its children's runs
/// without reading their text again.
///
/// dom_query counts every character of the text except white space that follows white space
/// (or the start), and then drops one trailing white space: so a run's count depends on the
/// text before it only through whether that text ended in white space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TextRun {
    /// Characters counted when the text before the run ended in white space, or there is
    /// none.
    count: usize,
    /// Characters counted in addition when the text before the run did not end in white
    /// space: 1 when the run's first character is white space, else 0.
    after_text: usize,
    /// Whether the run's last text node ends in white space (an empty one does not); `None`
    /// when the run has no text node.
    ends_in_space: Option<bool>,
    /// The commas in the run (any of [`COMMAS`]), which scoring counts too.
    commas: usize,
}

impl TextRun {
    /// The run of one text node; its commas are counted only when `COUNT_COMMAS`.
    fn of_text<const COUNT_COMMAS: bool>(text: &str) -> Self {
        /// Eight bytes in a word.
        const fn splat(byte: u8) -> u64 {
            u64::from_le_bytes([byte; 8])
        }
        const LOW: u64 = splat(0x7f);
        const HIGH: u64 = splat(0x80);
        /// The high bit of each byte of `word` (ASCII) that is zero.
        fn zero_bytes(word: u64) -> u64 {
            !(((word & LOW) + LOW) | word) & HIGH
        }
        let mut count = 0;
        let mut commas = 0;
        let mut prev_space = true;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Eight ASCII bytes at once: every byte is a character and counts, but a white
            // space after white space.
            if let Some(chunk) = bytes.get(i..i + 8) {
                let mut eight = [0; 8];
                eight.copy_from_slice(chunk);
                let word = u64::from_le_bytes(eight);
                if word & HIGH == 0 {
                    // `char::is_whitespace` on ASCII: tab to carriage return (9..=13), space.
                    let tab_to_cr = (word + splat(0x80 - 9)) & !(word + splat(0x80 - 14)) & HIGH;
                    let spaces = zero_bytes(word ^ splat(b' ')) | tab_to_cr;
                    let doubled = spaces & ((spaces << 8) | if prev_space { 0x80 } else { 0 });
                    count += 8 - doubled.count_ones() as usize;
                    if COUNT_COMMAS {
                        commas += zero_bytes(word ^ splat(b',')).count_ones() as usize;
                    }
                    prev_space = spaces >> 63 != 0;
                    i += 8;
                    continue;
                }
            }
            let byte = bytes[i];
            let space = if byte.is_ascii() {
                i += 1;
                commas += usize::from(COUNT_COMMAS && byte == b',');
                matches!(byte, b'\t'..=b'\r' | b' ')
            } else if may_be_space_or_comma(byte) {
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                i += c.len_utf8();
                commas += usize::from(COUNT_COMMAS && COMMAS.contains(&c));
                c.is_whitespace()
            } else {
                // Any other character (Cyrillic, CJK, most punctuation) is neither.
                i += match byte {
                    0xC0..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    _ => 4,
                };
                false
            };
            count += usize::from(!(prev_space && space));
            prev_space = space;
        }
        Self {
            count,
            after_text: usize::from(text.starts_with(char::is_whitespace)),
            ends_in_space: Some(text.ends_with(char::is_whitespace)),
            commas,
        }
    }

    /// This run followed by `next`.
    fn then(self, next: Self) -> Self {
        Self {
            count: self.count
                + next.count
                + if self.ends_in_space == Some(false) {
                    next.after_text
                } else {
                    0
                },
            after_text: self.after_text
                + if self.ends_in_space.is_none() {
                    next.after_text
                } else {
                    0
                },
            ends_in_space: next.ends_in_space.or(self.ends_in_space),
            commas: self.commas + next.commas,
        }
    }

    /// The count of a node whose text is this run, as `NodeRef::normalized_char_count`.
    fn char_count(self) -> usize {
        if self.ends_in_space.unwrap_or(true) {
            self.count.saturating_sub(1)
        } else {
            self.count
        }
    }
}

/// Normalized character counts of the nodes of one tree, each subtree's text read once: a
/// node's count is put together from its children's, which are kept for later questions.
/// The tree must not change while the cache is in use.
#[derive(Default)]
pub(crate) struct CharCounterCache {
    inner: HashMap<NodeId, TextRun>,
}

impl CharCounterCache {
    pub(crate) fn char_count(&mut self, node: &NodeRef) -> usize {
        self.run(node).char_count()
    }

    /// The commas in `node`'s text.
    pub(crate) fn commas(&mut self, node: &NodeRef) -> usize {
        self.run(node).commas
    }

    /// The text run of `node`'s subtree, from the cache or read (iteratively: the tree can
    /// be deep) with every element under it put in the cache.
    fn run(&mut self, node: &NodeRef) -> TextRun {
        if let Some(run) = self.inner.get(&node.id) {
            return *run;
        }
        let tree = node.tree;
        // The node's own text, when it is a text node, and its first child.
        let Some((own, first)) = tree.query_node(&node.id, |n| {
            let own = match n.data {
                NodeData::Text { ref contents } => Some(TextRun::of_text::<true>(contents)),
                _ => None,
            };
            (own, n.first_child)
        }) else {
            return TextRun::default();
        };
        if let Some(own) = own {
            return own;
        }
        // Open nodes: the id, the run of the children seen so far, the next child.
        let mut stack: Vec<(NodeId, TextRun, Option<NodeId>)> =
            vec![(node.id, TextRun::default(), first)];
        loop {
            let Some(top) = stack.last_mut() else {
                return TextRun::default();
            };
            let Some(child) = top.2 else {
                let (id, run, _) = *top;
                stack.pop();
                self.inner.insert(id, run);
                match stack.last_mut() {
                    Some(parent) => parent.1 = parent.1.then(run),
                    None => return run,
                }
                continue;
            };
            if let Some(run) = self.inner.get(&child) {
                let run = *run;
                top.2 = tree.query_node_or(&child, None, |n| n.next_sibling);
                top.1 = top.1.then(run);
                continue;
            }
            let (text, first, next) = tree.query_node_or(&child, (None, None, None), |n| {
                let text = match n.data {
                    NodeData::Text { ref contents } => Some(TextRun::of_text::<true>(contents)),
                    _ => None,
                };
                (text, n.first_child, n.next_sibling)
            });
            top.2 = next;
            match text {
                Some(run) => top.1 = top.1.then(run),
                None if first.is_some() => stack.push((child, TextRun::default(), first)),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    const FLOAT_TOLERANCE: f64 = 0.00001;

    #[test]
    fn test_text_similarity() {
        let text_a = "The quick brown fox";
        let text_b = "The quick fox";
        let similarity = text_similarity(text_a, text_b);
        assert!(similarity > 0.75);
    }

    #[test]
    fn test_text_similarity_contains() {
        let text_a = "the quick brown fox jumps over the lazy dog";
        let text_b = "The Quick Brown Fox";
        let similarity = text_similarity(text_a, text_b);
        assert!(1.0 - similarity < FLOAT_TOLERANCE);
    }

    #[test]
    fn test_text_similarity_similar() {
        let text_a = "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶_科技_腾讯网";
        let text_b = "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶";
        let similarity = text_similarity(text_a, text_b);
        assert!(1.0 - similarity < FLOAT_TOLERANCE);
    }

    #[test]
    fn test_text_similarity_no_words() {
        // `text_b` has no unicode words, so the char totals are zero.
        let similarity = text_similarity("Some title", "...");
        assert!(similarity < FLOAT_TOLERANCE);
    }

    #[test]
    fn test_normalize_spaces() {
        let text = "    The quick  brown  fox\n jumps over the lazy dog. ";
        let normalized_text = normalize_spaces(text);
        let expected = "The quick brown fox jumps over the lazy dog.";
        assert_eq!(expected, normalized_text);
    }

    #[test]
    #[cfg(not(feature = "aho-corasick"))]
    fn test_ascii_pattern_check() {
        let class = "article primary main äußerlich konnen";
        let check = BytePatternCheck::new(class);
        assert!(check.contains_any(&["äußerlich"]));
        assert!(check.contains_any(&["article", "post"]));
        assert!(!check.contains_any(&["können"]));
    }

    /// Every node's count from [`normalized_char_count`] and from a [`CharCounterCache`]
    /// (asked leaves first, root first, and in document order) equals dom_query's
    /// `NodeRef::normalized_char_count`.
    fn assert_counts_match(doc: &dom_query::Document) {
        let root = doc.root();
        let nodes: Vec<NodeRef> = std::iter::once(root).chain(root.descendants_it()).collect();
        let expected: Vec<usize> = nodes.iter().map(|n| n.normalized_char_count()).collect();
        for (node, want) in nodes.iter().zip(&expected) {
            assert_eq!(normalized_char_count(node), *want, "{}", node.html());
        }
        for order in [
            nodes.iter().rev().collect::<Vec<_>>(),
            nodes.iter().collect(),
            nodes
                .iter()
                .skip(nodes.len() / 2)
                .chain(nodes.iter())
                .collect(),
        ] {
            let mut cache = CharCounterCache::default();
            for node in order {
                let want = expected[nodes.iter().position(|n| n.id == node.id).unwrap()];
                assert_eq!(cache.char_count(node), want, "{}", node.html());
                if !node.is_text() {
                    // Upstream's count (its `score_text_content`).
                    let commas: usize = node
                        .descendants_it()
                        .filter_map(|n| {
                            n.query(|n| match n.data {
                                NodeData::Text { ref contents } => {
                                    contents.chars().filter(|c| COMMAS.contains(c)).count()
                                }
                                _ => 0,
                            })
                        })
                        .sum();
                    assert_eq!(cache.commas(node), commas, "{}", node.html());
                }
            }
        }
    }

    #[test]
    fn test_char_counts_match_dom_query() {
        for html in [
            "",
            "<p>plain</p>",
            "<p>  lead and trail  </p><p>\tnext\n</p>",
            "<div> <p>a</p> <p> b </p>c<span> </span><span>d </span> </div>",
            "<div><p></p><p>x</p><br><p> </p></div><!-- comment --> tail",
            "<p>no\u{a0}break\u{a0}\u{a0}space \u{3000}ideographic\u{2028}line</p>",
            "<p>Kyiv — Київ, 東京 ｜ 서울\u{85}next</p><p>\u{200b}zero width</p>",
            "<p>a, b,c ,, d\u{FF0C}e\u{060C}f<b>,</b></p><p>\u{2E41} \u{FE50}</p>",
            "<table><tr><td> a </td><td>b</td></tr></table><pre>  keep\n\n  </pre>",
            "<ul><li>one<li> two <li><b>three</b> <i> four</i></ul><template> t </template>",
            "text before <div>inside</div> text after\r\n\x0b\x0cend",
        ] {
            assert_counts_match(&dom_query::Document::from(html));
        }
        // Long ASCII runs, read eight bytes at a time: white space of every kind and commas
        // at every offset, doubled across the words' boundaries, and a non-ASCII character
        // that breaks the alignment.
        let mut html = String::from("<p>");
        for i in 0..64 {
            html.push_str(&"x".repeat(i % 9));
            html.push_str(["  ", "\t\n", "\x0b\x0c\r ", ",", ", ,", "\u{a0} ", "é", " "][i % 8]);
        }
        html.push_str("</p><p>        </p><p> ,,,,,,,,,,,,,,,,, </p>");
        assert_counts_match(&dom_query::Document::from(html.as_str()));
    }

    #[test]
    fn test_char_counts_match_dom_query_with_empty_and_added_text() {
        // Empty text nodes end a run without white space; the parser never makes them, but
        // edits to the tree can.
        let doc = dom_query::Document::from("<div><p>a </p><p> b</p><p>c</p></div>");
        let ps = doc.select("p");
        let ps = ps.nodes();
        ps[0].append_child(&doc.tree.new_text(""));
        ps[1].prepend_child(&doc.tree.new_text(""));
        ps[2].append_child(&doc.tree.new_text(" \t "));
        ps[2].append_child(&doc.tree.new_text(""));
        // The parser turns carriage returns into line feeds; an edit can add them.
        ps[2].append_child(
            &doc.tree
                .new_text("carriage\r\rreturns\r \r,\r\r\r\r\r\r\r\r\rend"),
        );
        assert_counts_match(&doc);
    }

    #[test]
    fn test_char_counts_match_dom_query_on_generated_pages() {
        let pieces = [
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<span>",
            "</span>",
            "<a href=#x>",
            "</a>",
            "<br>",
            " ",
            "  ",
            "\n",
            "\t",
            "word",
            "two words",
            " lead",
            "trail ",
            "\u{a0}",
            "é",
            "語",
            "<!-- c -->",
            "<li>",
            "<ul>",
            "</ul>",
            "<b>",
            "</b>",
            "x\u{3000}y",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200 {
            let mut html = String::new();
            for _ in 0..40 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                html.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            assert_counts_match(&dom_query::Document::from(html.as_str()));
        }
    }

    #[test]
    fn test_only_listed_lead_bytes_start_spaces_or_commas() {
        for c in (0x80..=0x10_FFFF).filter_map(char::from_u32) {
            let mut utf8 = [0; 4];
            let lead = c.encode_utf8(&mut utf8).as_bytes()[0];
            if c.is_whitespace() || COMMAS.contains(&c) {
                assert!(may_be_space_or_comma(lead), "{c:?}");
            }
        }
    }
}
