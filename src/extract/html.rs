//! HTML pages: metadata from the head, the article's paragraphs from the body.
//!
//! Four steps: one pass over the text bounds the nesting and leaves out comments, styles and
//! scripts (`depth::prepare_page`); the parsed page loses what is never article text
//! (navigation, asides, figures and captions, share bars, newsletter boxes, related lists,
//! footers: `DROPPED_ELEMENTS` and class names); dom_smoothie (a readability port) finds the
//! article's container; our own block walk turns that container into paragraphs, and the
//! shared noise rules drop what readability kept (credits, furniture, a trailing
//! related-content block). When readability finds nothing, the whole cleaned page goes
//! through the text-dump extractor instead. Feed fragments are cleaned by lol_html, streaming.

use dom_query::{Document, NodeRef};
use lol_html::{RewriteStrSettings, element, rewrite_str};
use serde_json::Value;

use super::dump;
use super::noise::{
    drop_trailing_furniture, is_boilerplate, is_byline_or_timestamp, is_caption_label, is_credit,
    is_end_marker, is_leading_promo, is_shouted_teaser,
};
use crate::text::{ends_like_sentence, normalize, word_count, word_count_over};

/// What a page says about itself, and its article text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// og:title, else the first h1, else `<title>` without its ` | Site` suffix.
    pub title: Option<String>,
    /// article:published_time, JSON-LD datePublished, or the first `<time datetime>`, as
    /// written.
    pub published: Option<String>,
    /// rel=canonical, else og:url.
    pub url: Option<String>,
    /// og:site_name, else the JSON-LD publisher.
    pub site_name: Option<String>,
    /// The author when stated.
    pub author: Option<String>,
    /// article:tag and news_keywords entries.
    pub tags: Vec<String>,
    /// The article's paragraphs.
    pub paragraphs: Vec<String>,
}

/// Parses a page.
///
/// The page is parsed once: its metadata is read, the elements that are never article text
/// are removed, and readability reads what is left. Only a page where readability finds
/// under 40 words is parsed a second time, for the fallback that reads it as lines.
pub fn parse(html: &str) -> Parsed {
    let html = &*super::depth::prepare_page(html);
    let document = Document::from(html);
    let readables = Readables::of(&document);
    let mut parsed = metadata(&readables);
    let h1 = page_h1(&readables, 2);
    remove_dropped(&document);
    let mut paragraphs = readability_paragraphs(document, parsed.url.as_deref());
    if words_up_to(&paragraphs, 40) < 40 {
        let cleaned = Document::from(html);
        remove_dropped(&cleaned);
        let page_lines = block_text(&cleaned);
        let fallback = dump::extract(&page_lines.join("\n\n"));
        if word_count(&fallback.paragraphs.join(" ")) > word_count(&paragraphs.join(" ")) {
            paragraphs = fallback.paragraphs;
            if parsed.title.is_none() {
                parsed.title = fallback.title;
            }
        }
    }
    // Readability sometimes keeps the headline as the first block, or the page's other
    // wording of it (the `<h1>` beside a different `og:title`).
    let headlines = [parsed.title.clone(), h1];
    if paragraphs.first().is_some_and(|first| {
        headlines.iter().flatten().any(|title| first == title || rewords(first, title))
    }) {
        paragraphs.remove(0);
    }
    parsed.paragraphs = paragraphs;
    parsed
}

/// The words of `paragraphs` as [`word_count`] counts them over their join, counted only as
/// far as `limit`: exact up to `limit`, over it when there are more.
fn words_up_to(paragraphs: &[String], limit: usize) -> usize {
    let mut words = 0;
    for paragraph in paragraphs {
        words += word_count_over(paragraph, limit.saturating_sub(words));
        if words > limit {
            break;
        }
    }
    words
}

/// Whether `block` is another wording of the headline `title`: no sentence ending, at most
/// thirty words, most of the title's words in it and those a good part of its own (`Two
/// federal prison officers charged … in connection with Jeffrey Epstein's suicide` for
/// `Prison guards charged in connection with Jeffrey Epstein's death`).
fn rewords(block: &str, title: &str) -> bool {
    let block_words = crate::text::words(block);
    if block_words.len() > 30 || ends_like_sentence(block) {
        return false;
    }
    let title_words = crate::text::words(title);
    let shared = title_words.iter().filter(|word| block_words.contains(word)).count();
    title_words.len() >= 4
        && shared * 10 >= title_words.len() * 7
        && shared * 10 >= block_words.len() * 4
}

/// The paragraphs of an HTML fragment, such as a feed item's content: the same cleaning and
/// block walk as a page, without looking for an article container. Plain text (no tags) is
/// split at blank lines.
pub fn fragment(content: &str) -> Vec<String> {
    if !content.contains('<') {
        let blocks = content
            .split("\n\n")
            .map(|block| normalize(&decode_entities(block)))
            .filter(|block| !block.is_empty())
            .collect();
        return filter_paragraphs(blocks);
    }
    let content = &*super::depth::limit_depth(content);
    let cleaned = pre_clean(content).unwrap_or_else(|_| content.to_owned());
    filter_paragraphs(block_text(&Document::from(cleaned.as_str())))
}

/// A title, name or other one-line text from a feed or page as plain text: markup turned
/// into its text, character references (HTML's named ones too, which feeds use without
/// declaring them) decoded exactly once, white space folded. Scripts and styles give nothing.
pub fn inline_text(text: &str) -> String {
    if !text.contains(['<', '&']) {
        return normalize(text);
    }
    let limited = super::depth::limit_depth(text);
    let cleaned = pre_clean(&limited).unwrap_or_else(|_| limited.into_owned());
    let document = Document::from(format!("<body>{cleaned}</body>").as_str());
    normalize(&document.select("body").text())
}

/// Decodes the character references plain text from a feed may carry (`&amp;`, `&#8217;`).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    Document::from(format!("<p>{}</p>", text.replace('<', "&lt;")).as_str())
        .select("p")
        .text()
        .to_string()
}

/// The page's `<meta>` elements that have a `content`, in document order, read in one walk
/// (each metadata field names a few keys; a selector for each would walk the page each time).
struct Metas(Vec<Meta>);

/// One `<meta>`: its `property`, `name` and `itemprop`, and its `content`.
struct Meta {
    property: Option<String>,
    name: Option<String>,
    itemprop: Option<String>,
    content: String,
}

/// Which attribute of a `<meta>` names it.
#[derive(Clone, Copy)]
enum Key {
    Property(&'static str),
    Name(&'static str),
    Itemprop(&'static str),
}

impl Metas {
    fn read(readables: &Readables<'_>) -> Metas {
        Metas(
            readables
                .meta
                .iter()
                .filter_map(|node| {
                    Some(Meta {
                        property: node.attr("property").map(|value| value.to_string()),
                        name: node.attr("name").map(|value| value.to_string()),
                        itemprop: node.attr("itemprop").map(|value| value.to_string()),
                        content: node.attr("content")?.to_string(),
                    })
                })
                .collect(),
        )
    }

    /// The `<meta>`s named `key`, in document order (names compared exactly, as the
    /// selector `meta[name='…']` does).
    fn named(&self, key: Key) -> impl Iterator<Item = &Meta> {
        self.0.iter().filter(move |meta| {
            let (found, wanted) = match key {
                Key::Property(wanted) => (&meta.property, wanted),
                Key::Name(wanted) => (&meta.name, wanted),
                Key::Itemprop(wanted) => (&meta.itemprop, wanted),
            };
            found.as_deref() == Some(wanted)
        })
    }

    /// The content of the first `<meta>` of the first key that has one, when it is not
    /// blank.
    fn content(&self, keys: &[Key]) -> Option<String> {
        keys.iter().find_map(|key| {
            self.named(*key)
                .next()
                .map(|meta| normalize(&meta.content))
                .filter(|value| !value.is_empty())
        })
    }
}

/// The elements the metadata reads, by name and in document order: `<meta>`, `<script>`,
/// `<title>`, `<h1>`, `<time>` and `<link>`, found in one walk of the page instead of a
/// selector's walk each (each use then checks the element's attributes as its selector did).
struct Readables<'a> {
    meta: Vec<NodeRef<'a>>,
    script: Vec<NodeRef<'a>>,
    title: Vec<NodeRef<'a>>,
    h1: Vec<NodeRef<'a>>,
    time: Vec<NodeRef<'a>>,
    link: Vec<NodeRef<'a>>,
}

impl<'a> Readables<'a> {
    fn of(document: &'a Document) -> Readables<'a> {
        let mut found = Readables {
            meta: Vec::new(),
            script: Vec::new(),
            title: Vec::new(),
            h1: Vec::new(),
            time: Vec::new(),
            link: Vec::new(),
        };
        for node in document.root().descendants_it() {
            let Some(name) = node.qual_name_ref() else { continue };
            let list = match name.local.as_ref() {
                "meta" => &mut found.meta,
                "script" => &mut found.script,
                "title" => &mut found.title,
                "h1" => &mut found.h1,
                "time" => &mut found.time,
                "link" => &mut found.link,
                _ => continue,
            };
            list.push(node);
        }
        found
    }
}

/// What `script[type='application/ld+json']` selects.
const JSON_LD_SCRIPT: &str = "script[type='application/ld+json']";

/// What `link[rel='canonical']` selects.
const CANONICAL_LINK: &str = "link[rel='canonical']";

fn metadata(readables: &Readables<'_>) -> Parsed {
    let metas = Metas::read(readables);
    let json_ld = json_ld_article(readables);
    let ld_text = |key: &str| -> Option<String> {
        let value = json_ld.as_ref()?.get(key)?;
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Object(map) => map.get("name")?.as_str()?.to_owned(),
            Value::Array(items) => match items.first()? {
                Value::String(text) => text.clone(),
                Value::Object(map) => map.get("name")?.as_str()?.to_owned(),
                _ => return None,
            },
            _ => return None,
        };
        Some(normalize(&text)).filter(|text| !text.is_empty())
    };

    let site_name =
        metas.content(&[Key::Property("og:site_name")]).or_else(|| ld_text("publisher"));
    let head_title = readables.title.first().map(|node| normalize(&node.text()));
    let h1 = page_h1(readables, 1);
    let title = metas
        .content(&[Key::Property("og:title"), Key::Name("twitter:title")])
        .or_else(|| ld_text("headline"))
        .or(h1)
        .or_else(|| head_title.filter(|t| !t.is_empty()))
        .map(|title| strip_site_suffix(&title, site_name.as_deref()));

    let published = metas
        .content(&[
            Key::Property("article:published_time"),
            Key::Itemprop("datePublished"),
            Key::Name("article:published_time"),
            Key::Name("pubdate"),
            Key::Name("publishdate"),
            Key::Name("date"),
            Key::Name("dc.date"),
            Key::Name("DC.date.issued"),
        ])
        .or_else(|| ld_text("datePublished"))
        .or_else(|| {
            readables
                .time
                .iter()
                .find_map(|node| node.attr("datetime").map(|value| normalize(&value)))
        });

    let url = readables
        .link
        .iter()
        .filter(|node| node.is(CANONICAL_LINK))
        .find_map(|node| node.attr("href").map(|href| normalize(&href)))
        .or_else(|| metas.content(&[Key::Property("og:url")]))
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"));

    let author = metas
        .content(&[Key::Name("author"), Key::Property("article:author")])
        .filter(|author| !author.starts_with("http"))
        .or_else(|| ld_text("author"));

    let mut tags: Vec<String> =
        metas.named(Key::Property("article:tag")).map(|meta| normalize(&meta.content)).collect();
    if let Some(keywords) = metas.content(&[Key::Name("news_keywords")]) {
        tags.extend(keywords.split(',').map(normalize));
    }
    tags.retain(|tag| !tag.is_empty());

    Parsed { title, published, url, site_name, author, tags, paragraphs: Vec::new() }
}

/// The first JSON-LD object that describes an article (has a `headline` or `datePublished`).
fn json_ld_article(readables: &Readables<'_>) -> Option<serde_json::Map<String, Value>> {
    fn find(value: Value) -> Option<serde_json::Map<String, Value>> {
        match value {
            Value::Object(map) => {
                if map.contains_key("datePublished") || map.contains_key("headline") {
                    return Some(map);
                }
                map.into_iter().find_map(|(key, value)| {
                    (key == "@graph" || key == "mainEntity").then(|| find(value)).flatten()
                })
            }
            Value::Array(items) => items.into_iter().find_map(find),
            _ => None,
        }
    }
    readables.script.iter().filter(|node| node.is(JSON_LD_SCRIPT)).find_map(|node| {
        let text = node.text();
        serde_json::from_str::<Value>(text.trim()).ok().and_then(find)
    })
}

/// `Headline | Site` → `Headline`, when the suffix is the site's name or short.
fn strip_site_suffix(title: &str, site_name: Option<&str>) -> String {
    for separator in [" | ", " - ", " — ", " – ", " :: ", " · "] {
        if let Some((head, tail)) = title.rsplit_once(separator) {
            let is_site =
                site_name.is_some_and(|site| tail.trim().eq_ignore_ascii_case(site.trim()));
            if is_site || (word_count(tail) <= 4 && word_count(head) >= 3) {
                return head.trim().to_owned();
            }
        }
    }
    title.to_owned()
}

/// Elements never part of an article's text. Not `form`: ASP.NET pages wrap the whole page in
/// one; its inputs and buttons go anyway.
const DROPPED_ELEMENTS: &str = "script, style, noscript, template, svg, canvas, iframe, object, \
    embed, button, select, input, textarea, nav, footer, aside, figure, figcaption, \
    picture, video, audio, dialog, [hidden], [aria-hidden='true'], [role='navigation'], \
    [role='complementary'], [role='dialog'], [role='alert']";

/// The element names [`DROPPED_ELEMENTS`] lists, for [`remove_dropped`].
pub(super) const DROPPED_NAMES: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "object",
    "embed",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "footer",
    "aside",
    "figure",
    "figcaption",
    "picture",
    "video",
    "audio",
    "dialog",
];

/// The `role` values [`DROPPED_ELEMENTS`] lists.
pub(super) const DROPPED_ROLES: &[&str] = &["navigation", "complementary", "dialog", "alert"];

/// Removes every element [`DROPPED_ELEMENTS`] selects, in one walk of the tree that compares
/// names and three attributes (what the selector would check, selector by selector, on every
/// element); a removed element's subtree is not walked.
fn remove_dropped(document: &Document) {
    let mut dropped = Vec::new();
    let mut stack = vec![document.root()];
    while let Some(node) = stack.pop() {
        let mut child = node.first_child();
        while let Some(element) = child {
            child = element.next_sibling();
            if !element.is_element() {
                continue;
            }
            let named = element
                .qual_name_ref()
                .is_some_and(|name| DROPPED_NAMES.contains(&name.local.as_ref()));
            let dropped_here = named
                || element.has_attr("hidden")
                || element.attr("aria-hidden").is_some_and(|value| &*value == "true")
                || element.attr("role").is_some_and(|role| DROPPED_ROLES.contains(&&*role));
            if dropped_here {
                dropped.push(element);
            } else {
                stack.push(element);
            }
        }
    }
    for element in dropped {
        element.remove_from_parent();
    }
}

/// Class and id words that mark page furniture.
const JUNK_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "newsletter",
    "related",
    "recommended",
    "recommendations",
    "promo",
    "advert",
    "advertisement",
    "ads",
    "ad",
    "sponsor",
    "sponsored",
    "subscribe",
    "subscription",
    "signup",
    "cookie",
    "cookies",
    "consent",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "comments",
    "comment",
    "disqus",
    "outbrain",
    "taboola",
    "popup",
    "modal",
    "caption",
    "credit",
    "byline",
    "trending",
    "popular",
    "toolbar",
    "navbar",
    "menu",
    "masthead",
    "teaser",
    "teasers",
    "more-stories",
    "read-more",
    "readmore",
    "author-bio",
    "tags",
    "highlights",
];

/// Class and id words of a standfirst (`article__dek`): dropped even beside a word that marks
/// the article, since they name a part of it that is not its text.
const STANDFIRST_WORDS: &[&str] = &["dek", "standfirst"];

/// Class and id words of hover cards and tooltips, text that only shows under the pointer.
const HOVER_WORDS: &[&str] = &["rollover", "hovercard", "tooltip", "popover"];

/// Class and id words that mark the article itself: never dropped on a junk word.
const KEEP_WORDS: &[&str] =
    &["article", "body", "content", "story", "main", "post", "entry", "text", "prose"];

/// Strips elements that are never article text, streaming (lol_html). Class names are
/// judged later, on the parsed page, where an element's share of the text is known.
fn pre_clean(html: &str) -> Result<String, lol_html::errors::RewritingError> {
    rewrite_str(
        html,
        RewriteStrSettings::new().append_element_content_handler(element!(
            DROPPED_ELEMENTS,
            |el| {
                el.remove();
                Ok(())
            }
        )),
    )
}

/// Removes elements whose class or id names page furniture (`share-bar`, `newsletter`,
/// `related`, `comments`), unless the name also marks the article (`article-body`) or the
/// element holds a large share of the page's text: sites wrap whole pages in containers
/// with names like `m-advertisement-off-canvas--pusher` or `non-ad-column`. Returns the
/// text of the standfirsts removed, for the body to leave out where the page repeats them.
fn remove_junk_by_class(document: &Document) -> Vec<String> {
    let mut standfirsts = Vec::new();
    let total = document.body().map_or(0, |body| non_space_chars(&body, usize::MAX));
    for node in &named_elements(document) {
        if node
            .qual_name_ref()
            .is_some_and(|name| matches!(name.local.as_ref(), "html" | "body" | "article" | "main"))
        {
            continue;
        }
        let mut lists = 0;
        let (class, id) = (node.attr("class"), node.attr("id"));
        class_words(
            class.as_deref().unwrap_or_default(),
            id.as_deref().unwrap_or_default(),
            |word| lists |= class_word_lists(word),
        );
        let among = |list: usize| lists & (1 << list) != 0;
        let (hover, standfirst, junk, keep) = (among(0), among(1), among(2), among(3));
        // A hover card (`rollover-people-block`: a photo, the full name, other headlines) is
        // dropped at its innermost element: its wrapper also holds the name the sentence
        // needs (`Gov. <a>Kristi Noem</a><span class="rollover…">…</span>`).
        let hover = hover
            && word_count(&node.text()) >= 8
            && !node.descendants_it().any(|inner| {
                inner.attr("class").is_some_and(|class| {
                    let class = class.to_lowercase();
                    HOVER_WORDS.iter().any(|word| class.contains(word))
                })
            });
        let standfirst = standfirst
            || node
                .attr("itemprop")
                .is_some_and(|prop| prop.eq_ignore_ascii_case("alternativeHeadline"));
        let junk = hover || standfirst || junk;
        let keep = !hover && !standfirst && keep;
        if !junk || keep {
            continue;
        }
        // `chars * 4 < total`, counted only as far as a quarter of the page.
        if non_space_chars(node, total.div_ceil(4)) * 4 < total {
            if standfirst {
                standfirsts.push(normalize(&node.text()));
            }
            node.remove_from_parent();
        }
    }
    standfirsts
}

/// The lists a class or id word is on, ignoring ASCII case: bit 0 [`HOVER_WORDS`], 1
/// [`STANDFIRST_WORDS`], 2 [`JUNK_WORDS`], 3 [`KEEP_WORDS`]. The words are looked up among
/// those of their length only: a page has thousands of class words to judge.
fn class_word_lists(word: &str) -> u8 {
    static BY_LENGTH: std::sync::OnceLock<Vec<Vec<(&str, u8)>>> = std::sync::OnceLock::new();
    let by_length = BY_LENGTH.get_or_init(|| {
        let mut by_length: Vec<Vec<(&str, u8)>> = Vec::new();
        for (list, words) in
            [HOVER_WORDS, STANDFIRST_WORDS, JUNK_WORDS, KEEP_WORDS].iter().enumerate()
        {
            for &listed in *words {
                if by_length.len() <= listed.len() {
                    by_length.resize(listed.len() + 1, Vec::new());
                }
                by_length[listed.len()].push((listed, 1 << list));
            }
        }
        by_length
    });
    by_length.get(word.len()).map_or(0, |words| {
        words
            .iter()
            .filter(|(listed, _)| listed.eq_ignore_ascii_case(word))
            .fold(0, |lists, (_, list)| lists | list)
    })
}

/// The elements with a `class` or an `id` (what `[class], [id]` selects), in document order,
/// collected in one walk.
fn named_elements(document: &Document) -> Vec<NodeRef<'_>> {
    document
        .root()
        .descendants_it()
        .filter(|node| node.is_element() && (node.has_attr("class") || node.has_attr("id")))
        .collect()
}

/// How many characters other than white space the text under `node` holds, counted in
/// place, text node by text node until the count reaches `limit` (exact below it).
fn non_space_chars(node: &NodeRef<'_>, limit: usize) -> usize {
    let mut count = 0;
    for text in std::iter::once(*node).chain(node.descendants_it()) {
        count += text.query_or(0, |tree_node| match &tree_node.data {
            dom_query::NodeData::Text { contents } if contents.is_ascii() => {
                contents.bytes().filter(|byte| !matches!(byte, b'\t'..=b'\r' | b' ')).count()
            }
            dom_query::NodeData::Text { contents } => {
                contents.chars().filter(|c| !c.is_whitespace()).count()
            }
            _ => 0,
        });
        if count >= limit {
            break;
        }
    }
    count
}

/// Calls `each` with every word of an element's `class` and `id`, in lower case when they
/// are not ASCII: the runs of letters and digits, camel case split (`imageEmbedCaption` →
/// `image`, `Embed`, `Caption`), so that their words are judged one by one.
fn class_words(class: &str, id: &str, mut each: impl FnMut(&str)) {
    if !class.is_ascii() || !id.is_ascii() {
        let names = split_camel_case(&format!("{class} {id}")).to_lowercase();
        names.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).for_each(each);
        return;
    }
    for names in [class, id] {
        let bytes = names.as_bytes();
        let mut start = None;
        for (at, &byte) in bytes.iter().enumerate() {
            let camel = byte.is_ascii_uppercase() && at > 0 && bytes[at - 1].is_ascii_lowercase();
            if (!byte.is_ascii_alphanumeric() || camel)
                && let Some(from) = start.take()
            {
                each(&names[from..at]);
            }
            if byte.is_ascii_alphanumeric() && start.is_none() {
                start = Some(at);
            }
        }
        if let Some(from) = start {
            each(&names[from..]);
        }
    }
}

/// The text of the page's first `<h1>` of at least `min_words` words that is not the
/// masthead's.
fn page_h1(readables: &Readables<'_>, min_words: usize) -> Option<String> {
    readables
        .h1
        .iter()
        .filter(|node| !is_masthead(node))
        .map(|node| normalize(&node.text()))
        .find(|text| word_count(text) >= min_words.max(1))
}

/// An `<h1>` that is the site's own name in the masthead, not the article's headline:
/// named so (`<h1 id="site-title">`, `<h1 class="logo">`), or a link to the home page
/// (`<a href="/"><h1>Sample News</h1></a>`, `<h1><a href="/">…</a></h1>`).
fn is_masthead(node: &NodeRef<'_>) -> bool {
    let names = format!(
        "{} {}",
        node.attr("class").unwrap_or_default(),
        node.attr("id").unwrap_or_default()
    )
    .to_lowercase();
    let named = ["site-title", "site-name", "sitename", "logo", "brand", "masthead"]
        .iter()
        .any(|name| names.contains(name));
    let home = |link: Option<NodeRef<'_>>| {
        link.is_some_and(|link| {
            link.node_name().is_some_and(|name| name.eq_ignore_ascii_case("a"))
                && link
                    .attr("href")
                    .is_some_and(|href| matches!(href.trim(), "/" | "./" | "/index.html"))
        })
    };
    named || home(node.parent()) || home(node.first_element_child())
}

/// Puts a space inside camel-case class names (`imageEmbedCaption` → `image Embed
/// Caption`), so that their words are judged one by one.
fn split_camel_case(names: &str) -> String {
    let mut out = String::with_capacity(names.len() + 8);
    let mut previous: Option<char> = None;
    for c in names.chars() {
        if c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase()) {
            out.push(' ');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// The article's paragraphs as readability sees them in `document`, filtered by the noise
/// rules.
fn readability_paragraphs(document: Document, url: Option<&str>) -> Vec<String> {
    let config = dom_smoothie::Config { max_elements_to_parse: 0, ..Default::default() };
    let standfirsts = remove_junk_by_class(&document);
    let Ok(mut readability) = dom_smoothie::Readability::with_document(document, url, Some(config))
    else {
        return Vec::new();
    };
    if readability.parse().is_err() {
        return Vec::new();
    }
    // The article is read from readability's own tree (its `#readability-page-1`), not from
    // the HTML it serialises, which would have to be parsed again.
    let content = readability.doc.select(CONTENT_ROOT);
    let Some(root) = content.nodes().first() else {
        return Vec::new();
    };
    let mut blocks = Vec::new();
    let mut current = String::new();
    walk(root, &mut blocks, &mut current);
    flush(&mut blocks, &mut current);
    // A standfirst the page repeats at the top of the body (an `abstract`) goes with it.
    let blocks = blocks
        .into_iter()
        .filter(|block| !standfirsts.iter().any(|standfirst| standfirst == block))
        .collect();
    filter_paragraphs(blocks)
}

/// The element readability puts the article in.
const CONTENT_ROOT: &str = "#readability-page-1";

/// Drops credits, caption labels, furniture, and bylines and stray labels before the first
/// paragraph, and cuts at a related-content heading once the article has begun.
fn filter_paragraphs(blocks: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut promos = Vec::new();
    let mut words_so_far = 0;
    // The paragraph over the byline, when only a heading stands above it: a standfirst.
    let mut standfirst: Option<usize> = None;
    let mut idx = 0;
    while idx < blocks.len() {
        let block = blocks[idx].clone();
        idx += 1;
        let end_marker = is_end_marker(&block);
        if end_marker && words_so_far >= 40 {
            // A box inside the article: its links are skipped and the article goes on.
            match prose_resumes(&blocks[idx..]) {
                Some(skip) => {
                    idx += skip;
                    continue;
                }
                None => break,
            }
        }
        // A byline split over blocks: `By`, then the name.
        let byline = is_byline_or_timestamp(&block)
            || block.eq_ignore_ascii_case("by")
            || (idx >= 2 && blocks[idx - 2].eq_ignore_ascii_case("by") && word_count(&block) <= 4);
        if standfirst.is_none()
            && byline
            && let Some((last, above)) = out.split_last()
            && above.len() <= 1
            && above.iter().all(|heading: &String| !ends_like_sentence(heading))
            && ends_like_sentence(last)
        {
            standfirst = Some(above.len());
        }
        if is_credit(&block)
            || is_caption_label(&block)
            || is_boilerplate(&block)
            || end_marker
            || byline
            || is_shouted_teaser(&block)
            || (out.is_empty() && is_stray_label(&block))
        {
            continue;
        }
        if out.len() < 6 && is_leading_promo(&block) {
            // A promotion, and the short heading kept for it.
            if out
                .last()
                .is_some_and(|prev: &String| word_count(prev) < 6 && !ends_like_sentence(prev))
            {
                out.pop();
            }
            promos.push(block);
            continue;
        }
        // Only ever compared with 40: counted that far.
        if words_so_far < 40 {
            words_so_far += word_count_over(&block, 40);
        }
        out.push(block);
    }
    // A standfirst sums the article up over its byline; it is not its first paragraph.
    if let Some(at) = standfirst.filter(|at| out.len() >= at + 3) {
        out.remove(at);
    }
    // Text that is nothing but a promotion is still the text (a feed item, say).
    if out.is_empty() { promos } else { drop_trailing_furniture(out) }
}

/// Whether the article goes on after a related-content heading, and after how many blocks:
/// within the next eight blocks (the box's links and a caption), three paragraphs follow
/// one another, furniture aside. A collapsed `Read more` container or a box dropped between
/// paragraphs is followed by the article's own prose; a real related block, by headlines.
fn prose_resumes(rest: &[String]) -> Option<usize> {
    let is_paragraph =
        |block: &String| word_count_over(block, 14) >= 15 && ends_like_sentence(block);
    (0..rest.len().min(9)).find(|&start| {
        let mut next =
            rest[start..].iter().filter(|block| !is_boilerplate(block) && !is_credit(block));
        is_paragraph(&rest[start]) && (0..3).all(|_| next.next().is_some_and(is_paragraph))
    })
}

/// A short block that is not a sentence (`2.289`, `letture`, `02 Ago 2017`): before the first
/// paragraph such blocks are counters, labels and dates, not the article.
fn is_stray_label(block: &str) -> bool {
    word_count_over(block, 4) < 5 && !ends_like_sentence(block)
}

/// Element names that start a new block of text.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "br",
    "hr",
    "address",
    "details",
    "summary",
    "center",
    "body",
];

/// Elements whose text is never shown.
const HIDDEN_ELEMENTS: &[&str] = &["script", "style", "noscript", "template", "head", "title"];

/// The document's visible text as blocks: one per paragraph, heading, list item, cell.
fn block_text(document: &Document) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    walk(&document.root(), &mut blocks, &mut current);
    flush(&mut blocks, &mut current);
    blocks
}

fn flush(blocks: &mut Vec<String>, current: &mut String) {
    // Most flushes come between two blocks, with nothing or only white space between them.
    if current.bytes().all(|byte| matches!(byte, b'\t'..=b'\r' | b' ')) {
        current.clear();
        return;
    }
    let block = normalize(current);
    current.clear();
    if !block.is_empty() {
        blocks.push(block);
    }
}

fn walk(node: &NodeRef<'_>, blocks: &mut Vec<String>, current: &mut String) {
    let mut next = node.first_child();
    while let Some(child) = next {
        next = child.next_sibling();
        // The text, or the element's name, read in place: no copy of either is made. An
        // element gives whether it is a block and whether an image.
        let element = child.query_or(None, |tree_node| match &tree_node.data {
            dom_query::NodeData::Text { contents } => {
                current.push_str(contents);
                None
            }
            dom_query::NodeData::Element(element) => {
                let name = element.name.local.as_ref();
                let listed = |list: &[&str]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
                (!listed(HIDDEN_ELEMENTS))
                    .then(|| (listed(BLOCK_ELEMENTS), name.eq_ignore_ascii_case("img")))
            }
            _ => None,
        });
        let Some((is_block, is_img)) = element else {
            continue;
        };
        if is_block {
            flush(blocks, current);
        }
        walk(&child, blocks, current);
        if is_block {
            flush(blocks, current);
        } else if is_img {
            current.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See issue 9: entities reached readers undecoded, and titles with markup were lost.
    #[test]
    fn r9_inline_text_decodes_once_and_keeps_the_words_of_markup() {
        assert_eq!(inline_text("Caf&eacute; owners&rsquo; protest"), "Café owners’ protest");
        assert_eq!(inline_text("Why <em>Rust</em> wins"), "Why Rust wins");
        assert_eq!(inline_text("Storm: <b>live</b> updates"), "Storm: live updates");
        assert_eq!(inline_text("AT&amp;T &amp;amp; more"), "AT&T &amp; more", "decoded once");
        assert_eq!(inline_text("AT&T <3 you"), "AT&T <3 you");
        assert_eq!(inline_text("x<script>alert(1)</script> y"), "x y");
        assert_eq!(inline_text("  plain\n title "), "plain title");
    }

    #[test]
    fn title_suffix() {
        assert_eq!(strip_site_suffix("Rates held again | The Ledger", None), "Rates held again");
        assert_eq!(strip_site_suffix("Rates held - Ledger", Some("Ledger")), "Rates held");
        assert_eq!(
            strip_site_suffix("Left - right politics explained", None),
            "Left - right politics explained"
        );
    }

    /// The one walk of `Readables` finds, in the same order, what each selector it stands for
    /// selects.
    #[test]
    fn the_readables_are_what_the_selectors_select() {
        let tricky = "<html><head><title>T</title><meta content=a><meta name=n>\
            <SCRIPT TYPE=\"application/LD+JSON\">{}</SCRIPT><script type=application/ld+json>{}</script>\
            <link rel=Canonical href=/a><link rel=\"canonical stylesheet\" href=/b>\
            <link rel=canonical href=/c></head><body><h1>One</h1><svg><title>Icon</title></svg>\
            <template><h1>Inside</h1><meta content=t><time datetime=1></time></template>\
            <time>no date</time><time datetime=2020>x</time><p><meta content=b><H1>Two</H1>\
            <math><title>m</title></math></body></html>";
        let mut pages = page_fixtures();
        pages.push(tricky.to_owned());
        pages.push(FRAMESET_PAGE.to_owned());
        for page in &pages {
            let document = Document::from(page.as_str());
            let readables = Readables::of(&document);
            let ids = |nodes: &mut dyn Iterator<Item = &NodeRef<'_>>| -> Vec<dom_query::NodeId> {
                nodes.map(|node| node.id).collect()
            };
            let selected = |selector: &str| ids(&mut document.select(selector).nodes().iter());
            let has = |name: &'static str| move |node: &&NodeRef<'_>| node.has_attr(name);
            assert_eq!(
                ids(&mut readables.meta.iter().filter(has("content"))),
                selected("meta[content]")
            );
            assert_eq!(
                ids(&mut readables.script.iter().filter(|node| node.is(JSON_LD_SCRIPT))),
                selected(JSON_LD_SCRIPT)
            );
            assert_eq!(ids(&mut readables.title.iter()), selected("title"));
            assert_eq!(ids(&mut document.body().iter()), selected("body"), "the page's body");
            assert_eq!(ids(&mut readables.h1.iter()), selected("h1"));
            assert_eq!(
                ids(&mut readables.time.iter().filter(has("datetime"))),
                selected("time[datetime]")
            );
            assert_eq!(
                ids(&mut readables.link.iter().filter(|node| node.is(CANONICAL_LINK))),
                selected(CANONICAL_LINK)
            );
        }
        let document = Document::from(tricky);
        let readables = Readables::of(&document);
        assert_eq!(readables.h1.len(), 2, "One and Two; the template's contents are not walked");
        assert_eq!(metadata(&readables).url, None, "relative links are not a page's address");
    }

    #[test]
    fn non_space_chars_is_exact_below_its_limit() {
        let document =
            Document::from("<body><p>ab c</p><div>d \u{e9}\u{3000}f<span> g</span></div></body>");
        let body = document.body().unwrap();
        assert_eq!(non_space_chars(&body, usize::MAX), 7);
        assert_eq!(non_space_chars(&body, 8), 7);
        assert!(non_space_chars(&body, 4) >= 4);
        assert_eq!(non_space_chars(&body, 0), 0, "the body itself holds no text");
    }

    #[test]
    fn words_up_to_counts_the_join_as_far_as_the_limit() {
        let paragraphs: Vec<String> =
            ["one two three", "四五六七八九", "", "ten eleven"].map(str::to_owned).to_vec();
        let all = word_count(&paragraphs.join(" "));
        assert_eq!(all, 8);
        for limit in 0..12 {
            let counted = words_up_to(&paragraphs, limit);
            if all <= limit {
                assert_eq!(counted, all, "limit {limit}");
            } else {
                assert!(counted > limit, "limit {limit}: {counted}");
            }
        }
        assert_eq!(words_up_to(&[], 40), 0);
    }

    #[test]
    fn class_words_are_found_on_their_lists_whatever_their_case() {
        let lists: [&[&str]; 4] = [HOVER_WORDS, STANDFIRST_WORDS, JUNK_WORDS, KEEP_WORDS];
        for (list, words) in lists.iter().enumerate() {
            for word in *words {
                assert_ne!(class_word_lists(word) & (1 << list), 0, "{word}");
                assert_ne!(class_word_lists(&word.to_ascii_uppercase()) & (1 << list), 0);
            }
        }
        assert_eq!(class_word_lists("Share"), 1 << 2);
        assert_eq!(class_word_lists("article"), 1 << 3);
        assert_eq!(class_word_lists("shares"), 0);
        assert_eq!(class_word_lists(""), 0);
        assert_eq!(class_word_lists("a-word-longer-than-any-listed-one"), 0);
    }

    /// The walk of `remove_dropped` removes exactly what the selector it stands for selects.
    #[test]
    fn the_dropped_elements_are_those_the_selector_selects() {
        let mut page = String::from("<body><p>Kept</p>");
        for name in DROPPED_NAMES {
            page.push_str(&format!("<{name} class=\"{name}\">x</{name}>"));
        }
        for role in DROPPED_ROLES {
            page.push_str(&format!("<div role=\"{role}\" class=\"role-{role}\">r</div>"));
        }
        page.push_str(
            "<div hidden class=\"hidden\">h</div><div aria-hidden=\"true\" class=\"aria\">a</div>\
             <div aria-hidden=\"false\" class=\"shown\">s</div><div role=\"Navigation\" class=\"case\">c</div>\
             <div role=\"main\" class=\"main\"><nav class=\"inner-nav\">n</nav><p>Text</p></div></body>",
        );
        let classes = |document: &Document| -> Vec<String> {
            document
                .select("[class]")
                .nodes()
                .iter()
                .filter_map(|node| node.attr("class").map(|class| class.to_string()))
                .collect()
        };
        let by_selector = Document::from(page.as_str());
        by_selector.select(DROPPED_ELEMENTS).remove();
        let by_walk = Document::from(page.as_str());
        remove_dropped(&by_walk);
        assert_eq!(classes(&by_walk), classes(&by_selector));
        assert_eq!(classes(&by_walk), ["shown", "case", "main"]);
    }

    /// Everything any step reads from `html` parsed: the metadata and the `<h1>` (read
    /// before the elements never read are removed, but without styles, `<svg>`s and scripts
    /// other than JSON-LD, which are never text), then the whole tree after they are,
    /// written out without comments and unread attributes (which `prepare_page` leaves
    /// out).
    fn parsed_tree(html: &str) -> String {
        // Adjacent text (a comment between them left out) is joined; runs of white space are
        // folded, and runs of white space alone dropped: in a table HTML's rules put them
        // where runs split by a comment or script land apart.
        fn flush(text: &mut String, out: &mut String) {
            if !text.trim().is_empty() {
                let mut space = false;
                for c in text.chars() {
                    if c.is_whitespace() {
                        space = true;
                    } else {
                        if space {
                            out.push(' ');
                        }
                        space = false;
                        out.push(c);
                    }
                }
                if space {
                    out.push(' ');
                }
            }
            text.clear();
        }
        fn write(node: &NodeRef<'_>, text: &mut String, out: &mut String) {
            let mut child = node.first_child();
            while let Some(current) = child {
                child = current.next_sibling();
                if current.is_text() {
                    text.push_str(&current.text());
                } else if current.is_element() {
                    flush(text, out);
                    let name = current.node_name().unwrap_or_default();
                    out.push('<');
                    out.push_str(&name);
                    for attribute in current.attrs() {
                        if !super::super::depth::is_unread_attribute(&attribute.name.local) {
                            out.push_str(&format!(
                                " {}={:?}",
                                attribute.name.local, &*attribute.value
                            ));
                        }
                    }
                    out.push('>');
                    write(&current, text, out);
                    flush(text, out);
                    out.push_str(&format!("</{name}>"));
                }
            }
        }
        let document = Document::from(html);
        for node in document.select("style, svg, script:not([type='application/ld+json'])").nodes()
        {
            node.remove_from_parent();
        }
        let readables = Readables::of(&document);
        let mut out = format!("{:?}\n{:?}\n", metadata(&readables), page_h1(&readables, 2));
        remove_dropped(&document);
        let mut text = String::new();
        write(&document.root(), &mut text, &mut out);
        flush(&mut text, &mut out);
        out
    }

    /// The HTML page fixtures, in the order of their names.
    fn page_fixtures() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages");
        let mut paths: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
        paths.sort();
        paths.iter().map(|path| std::fs::read_to_string(path).unwrap()).collect()
    }

    /// A page from before articles had pages: a `<frameset>` where the body would be.
    const FRAMESET_PAGE: &str =
        "<html><head><title>F</title></head><frameset><frame src=a></frameset></html>";

    /// A page with furniture of every kind `prepare_page` may empty.
    const FURNISHED_PAGE: &str = "<html><head><title>T</title></head><body>\
        <header><a href=/>Site</a><button>Menu</button></header>\
        <nav class=top><ul><li><a href=/a>A</a><li><a href=/b>B <i>new</i></a></ul>\
        <form><input name=q><button>Go</button></form><svg><path d=1/></svg></nav>\
        <article><h1>The headline of the page</h1><p>One <b>two</b> <a href=x>three</a></p>\
        <figure><img src=x><figcaption>Cap <i>tion</i></figcaption></figure><p>Four</p>\
        <aside><h2>More</h2><ul><li>x<li>y</ul><script>var a = 1;</script></aside></article>\
        <div hidden><p>hidden<p>more</div><section role=complementary><p>side</section>\
        <footer><p>(c) Site<dl><dt>a<dd>b</dl><iframe src=x>frame</iframe></footer></body></html>";

    /// What `prepare_page` leaves out or empties never changes what any step reads: the
    /// metadata, the `<h1>` and the whole tree once the elements never read are removed
    /// (see `parsed_tree`) are the same with and without it, for every page fixture and
    /// pages built to trip it.
    #[test]
    fn preparing_a_page_never_changes_its_text() {
        let mut pages = page_fixtures();
        assert!(pages.len() >= 10, "the page fixtures are there");
        for tricky in [
            "<p>a<!-- c -->b<!--->c<!-->d<!-- x --!>e</p>",
            "<p>a<script>x</script>b<style>p{}</style>c<SCRIPT type=module>y</SCRIPT >d</p>",
            "<p>a<svg><path d=1/></svg>b<svg><p>out</p></svg>c</p>",
            "<div><svg><script>a</svg><p>Text</p></script></div>",
            "<div><svg><g><div>out</div></g></svg>in</div>",
            "<p data-x=1 onclick=go() class=k>a<img srcset='a 2x' src=b>b</p>",
            "<p data-a=\"1\"data-b=2>c</p><p data-c=x\"y>d</p>",
            "<script><!--<script>x</script>y--></script><p>z</p>",
            "<p>a</p><script>never closed <p>b</p>",
            "<p>a<!-- never closed <p>b</p>",
            FURNISHED_PAGE,
            "<a href=x><nav><a href=y>in</a></nav>out</a>",
            "<div><a>x<div></a>y</div><nav><a>z</a></nav>w</div>",
            "<p><b>x<nav>y</nav>z</b></p>",
            "<div><nav><p>x<b>y</p>z</nav>w</div>",
            "<div><nav>x</div>y</nav>z</div>",
            "<ul><li>a<div hidden><li>b</div>c</ul>",
            "<ul><li>a<nav><li>b</nav>c</ul>",
            "<dl><dd>a<nav></dd>b</nav>c</dl>",
            "<form><nav><form>x</form></nav>y</form>z",
            "<nav><form>x</nav><form>y</form>",
            "<button>a<nav><button>b</button></nav>c</button>",
            "<table><tr><td><nav><td>x</nav></table>",
            "<h2>a<nav><h3>b</h2>c</nav>d</h2>",
            "<nav><time datetime=2020-01-02>x</time></nav><time datetime=2021-01-01>y</time>",
            "<aside><h1>Masthead</h1></aside><h1>The headline here</h1>",
            "<nav><meta property=og:title content=Nav></nav>",
            "<b><b><b><nav><b>x</b></nav>y",
            "<footer><iframe><nav></iframe>x</footer>y",
            "<div role=navigation role=main>a</div><div ROLE=navigation hidden>b</div>",
            "<div aria-hidden=TRUE>a</div><div aria-hidden=\"&#116;rue\">b</div>",
            "<span><search hidden></span>x</search>y",
        ] {
            pages.push(tricky.to_owned());
        }
        pages.push(FRAMESET_PAGE.to_owned());
        for page in &pages {
            let plain = super::super::depth::limit_depth(page);
            let prepared = super::super::depth::prepare_page(page);
            assert_eq!(
                parsed_tree(&prepared),
                parsed_tree(&plain),
                "{}",
                &page[..page.len().min(200)]
            );
        }
    }

    /// The same comparison on pages mutated at random (a fixed seed): markup pieces that
    /// `prepare_page` must delimit as the tokenizer does, or that act on elements around
    /// them, spliced in anywhere.
    #[test]
    fn preparing_a_mutated_page_never_changes_its_text() {
        const PIECES: &[&str] = &[
            "<svg>",
            "</svg>",
            "<svg/>",
            "<math>",
            "</math>",
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<script>",
            "</script>",
            "<style>",
            "</style>",
            "<!--",
            "-->",
            "--!>",
            "<!-->",
            "<![CDATA[",
            "]]>",
            " data-x=1",
            " onclick=\"a\"",
            " srcset='a 2x'",
            "'",
            "\"",
            "<",
            ">",
            "=",
            "/",
            " ",
            "<b>",
            "<br>",
            "</br>",
            "<g>",
            "<template>",
            "</template>",
            "<textarea>",
            "</textarea>",
            "<title>",
            "</title>",
            "<noscript>",
            "</noscript>",
            "<nav>",
            "</nav>",
            "<footer>",
            "</footer>",
            "<aside hidden>",
            "<div role=navigation>",
            "<div aria-hidden=true>",
            "<search hidden>",
            "<a href=x>",
            "</a>",
            "</b>",
            "<i>",
            "</i>",
            "<span>",
            "</span>",
            "<ul>",
            "</ul>",
            "<li>",
            "</li>",
            "<dd>",
            "</dt>",
            "<h2>",
            "</h3>",
            "<h1>",
            "<time datetime=2020>",
            "<form>",
            "</form>",
            "<button>",
            "</button>",
            "<table>",
            "</table>",
            "<td>",
            "<select>",
            "<iframe>",
            "</iframe>",
            "<frameset>",
        ];
        let mut seeds = page_fixtures();
        seeds.push("<p>One <b>two</b></p><svg><g><path d=1/></g></svg><p>three</p>".to_owned());
        seeds.push(FURNISHED_PAGE.to_owned());
        let mut rng = crate::test_rng::Rng::new(0x9E37_79B9_7F4A_7C15);
        let mut next = |bound: usize| rng.below(bound);
        // 2,000 rounds here. Seeds of 60,000 rounds found the cases `leave_out`, `svg_end`'s
        // stack of open elements, the `foreign` stop and `find_end_tag`'s end check handle;
        // comparing whole trees, they found those of `tag_end`'s `/` in a value, the `<svg/>`
        // and table stand-ins, the frameset stop and the open `<a>` `hollow` refuses. With
        // the code as it is, 66 seeds of 60,000 rounds passed.
        for round in 0..2000 {
            let seed = &seeds[next(seeds.len())];
            let mut page = seed.clone();
            for _ in 0..1 + next(12) {
                let mut at = next(page.len() + 1);
                while !page.is_char_boundary(at) {
                    at -= 1;
                }
                page.insert_str(at, PIECES[next(PIECES.len())]);
            }
            let plain = super::super::depth::limit_depth(&page);
            let prepared = super::super::depth::prepare_page(&page);
            assert_eq!(parsed_tree(&prepared), parsed_tree(&plain), "round {round}: {page}");
        }
    }

    #[test]
    fn the_named_elements_are_those_the_selector_selects() {
        let document = Document::from(
            "<div class=a><p id=b>x<span class=''>y</span></p><svg class=c><g id=d/></svg></div>\
             <ul><li>z<li id=e CLASS=f></ul>",
        );
        let ids = |nodes: &[NodeRef<'_>]| nodes.iter().map(|node| node.id).collect::<Vec<_>>();
        let walked = named_elements(&document);
        assert_eq!(walked.len(), 6);
        assert_eq!(ids(&walked), ids(document.select("[class], [id]").nodes()));
    }

    #[test]
    fn ascii_white_space_is_what_char_calls_white_space() {
        for byte in 0..128u8 {
            let fast = matches!(byte, b'\t'..=b'\r' | b' ');
            assert_eq!(fast, char::from(byte).is_whitespace(), "{byte}");
        }
    }

    #[test]
    fn class_names_are_read_word_by_word() {
        let words = |class: &str, id: &str| {
            let mut words = Vec::new();
            class_words(class, id, |word| words.push(word.to_owned()));
            words
        };
        assert_eq!(
            words("imageEmbedCaption share-bar", "adSlot2"),
            ["image", "Embed", "Caption", "share", "bar", "ad", "Slot2"]
        );
        // Outside ASCII, the names are lower-cased first (as they were before this reader).
        assert_eq!(words("Café-Menu", ""), ["caf", "menu"]);
        assert!(words("", "").is_empty());
    }

    #[test]
    fn blocks_split_at_block_elements() {
        let document =
            Document::from("<div><p>One <b>two</b></p><ul><li>three</li></ul>four</div>");
        assert_eq!(block_text(&document), ["One two", "three", "four"]);
    }

    #[test]
    fn fragments_become_paragraphs() {
        assert_eq!(
            fragment("<p>First <b>bold</b> point.</p><div>Second point.</div><script>x()</script>"),
            ["First bold point.", "Second point."]
        );
        assert_eq!(fragment("One &amp; two.\n\nThree."), ["One & two.", "Three."]);
        assert_eq!(
            fragment(
                "<h3>Daily deals</h3><p>Join our deals newsletter today.</p><p>The console costs less this week than ever before, retailers said.</p>"
            ),
            ["The console costs less this week than ever before, retailers said."],
            "a promotion and its heading go"
        );
        assert_eq!(fragment("<p>Sign up for our newsletter.</p>"), ["Sign up for our newsletter."]);
    }
}
