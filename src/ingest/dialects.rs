//! Feed dialects that feed-rs does not read, rewritten into ones it does before parsing.
//!
//! - Atom 0.3 (`http://purl.org/atom/ns#`, still served by many feeds, and the namespaces of
//!   its drafts: Echo, Pie, Necho): the namespace becomes
//!   Atom 1.0's; `issued` becomes `published`, `modified` `updated`, `tagline` `subtitle`,
//!   `copyright` `rights`; content `mode="escaped"` is HTML, `mode="xml"` XHTML, and
//!   `mode="base64"` is decoded.
//! - Atom text constructs and content with MIME types (`text/plain`, `text/html`,
//!   `application/xhtml+xml`) get Atom 1.0's names (`text`, `html`, `xhtml`), so one such
//!   entry no longer fails the whole feed.
//! - RSS 0.90 (`http://my.netscape.com/rdf/simple/0.9/`) is read as RSS 1.0, RSS 2.0 in the
//!   Userland namespace as plain RSS 2.0, and `<rss>` without a version as RSS 2.0.
//!
//! - An item without a title takes its `media:title` as the title (feedparser's fallback);
//!   an item with one keeps it.
//! - `dc:title` and `dc:description` stand in for a missing title and description (of the
//!   channel too), and
//!   `itunes:summary` for a missing description.
//! - An RSS 1.0 or 0.90 item without a `<link>` takes its `rdf:about`; one with neither is
//!   kept, linkless (feed-rs would drop it).
//! - Atom text of another MIME type is base64 (RFC 4287 §4.1.3.3), decoded here; `type=""`
//!   is no type.
//! - An RSS item linked Atom's way (`<link href="…"/>`) takes the href as its link.
//! - An Atom feed whose entries are written `<item>` is read as one with `<entry>`s.
//! - A `<description>` holding naked markup is read as the HTML it is.
//! - `&#X41;` (upper-case X, which XML refuses) is read as `&#x41;`.
//! - An XHTML `<body>` in an RSS item, or a `<fullitem>`, is read as its `content:encoded`.
//! - CDF, Microsoft's Channel Definition Format, becomes RSS 2.0 (see [`super::cdf`]).
//! - Dublin Core terms dates (`dcterms:issued`, `created`, `modified`) are read as `dc:date`.
//!
//! Only tags and character references are rewritten, never text; a feed without these marks
//! is returned unchanged.
//! No I/O.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

const ATOM_03: &str = "http://purl.org/atom/ns#";
/// The namespaces of Atom's drafts before 0.3 (Echo, Pie, Necho), which feedparser reads as
/// Atom 0.3.
const ATOM_DRAFTS: [&str; 4] = [
    "\"http://example.com/newformat#\"",
    "\"http://example.com/necho\"",
    "\"http://purl.org/echo/\"",
    "\"http://purl.org/pie/\"",
];
const ATOM_10: &str = "http://www.w3.org/2005/Atom";

/// Rewrites the dialects above; borrows `text` when there is nothing to change.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if let Some(rss) = super::cdf::to_rss(text) {
        return Cow::Owned(rss);
    }
    let mut out = Cow::Borrowed(text);
    // `&#X41;`: XML wants a lower-case x in hexadecimal character references; HTML and
    // feedparser take either.
    if out.contains("&#X") {
        static UPPER_HEX: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"&#X([0-9A-Fa-f]+;)").unwrap_or_else(|_| unreachable_regex())
        });
        out = Cow::Owned(UPPER_HEX.replace_all(&out, "&#x$1").into_owned());
    }
    for (from, to) in [
        ("http://my.netscape.com/rdf/simple/0.9/", "http://purl.org/rss/1.0/"),
        (" xmlns=\"http://backend.userland.com/rss2\"", ""),
        (" xmlns='http://backend.userland.com/rss2'", ""),
        (" xmlns=\"http://blogs.law.harvard.edu/tech/rss\"", ""),
    ] {
        if out.contains(from) {
            out = Cow::Owned(out.replace(from, to));
        }
    }
    // RSS 2.0 under a prefix bound to the Userland namespace (`<r:rss>`, `<r:item>`): the
    // prefix is dropped, so the elements are plain RSS.
    static USERLAND_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\sxmlns:([\w.-]+)\s*=\s*["']http://backend\.userland\.com/rss2["']"#)
            .unwrap_or_else(|_| unreachable_regex())
    });
    if let Some(caps) = USERLAND_PREFIX.captures(&out) {
        let prefix = caps[1].to_owned();
        let declaration = caps[0].to_owned();
        let text = out.replace(&declaration, "");
        let text = text.replace(&format!("<{prefix}:"), "<").replace(&format!("</{prefix}:"), "</");
        out = Cow::Owned(text);
    }
    // `<rss>` without a version is RSS 2.0 for every reader but feed-rs.
    static RSS_ROOT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<rss(\s[^>]*)?>").unwrap_or_else(|_| unreachable_regex()));
    if let Some(root) = RSS_ROOT.find(&out)
        && !root.as_str().contains("version")
    {
        let fixed = format!("<rss version=\"2.0\"{}", &root.as_str()[4..]);
        out = Cow::Owned(format!("{}{fixed}{}", &out[..root.start()], &out[root.end()..]));
    }
    // Dublin Core terms dates (dcterms:issued, created, modified) are read as dc:date, the
    // element feed-rs knows; the first one an item gives wins, as feedparser's published.
    if out.contains("<dcterms:") {
        static TERMS_DATE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"<(/?)dcterms:(issued|created|modified)>")
                .unwrap_or_else(|_| unreachable_regex())
        });
        let renamed = TERMS_DATE.replace_all(&out, "<${1}dc:date>").into_owned();
        out = Cow::Owned(declare_namespace(renamed, "dc", DUBLIN_CORE));
    }
    // RSS 1.0 and 0.90 items without a <link>: their rdf:about is the link. feed-rs drops an
    // RDF item with no link at all, so one without rdf:about gets `about:invalid` (RFC 6694),
    // which is no web link and is dropped after parsing: the item stays, linkless.
    if out.contains("rdf:RDF") {
        static ABOUT: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"^<item\s[^>]*?rdf:about\s*=\s*["']([^"']*)["']"#)
                .unwrap_or_else(|_| unreachable_regex())
        });
        let linked = RSS_ITEM.replace_all(&out, |caps: &Captures<'_>| {
            let item = &caps[0];
            if item.contains("<link") {
                return item.to_owned();
            }
            let about = ABOUT.captures(item).map_or("about:invalid", |about| {
                about.get(1).map_or("about:invalid", |m| m.as_str())
            });
            let start_end = item.find('>').map_or(item.len(), |at| at + 1);
            format!("{}<link>{about}</link>{}", &item[..start_end], &item[start_end..])
        });
        out = Cow::Owned(linked.into_owned());
    }
    // An RSS item linked Atom's way (`<link href="…"/>`, without a namespace) and without a
    // plain `<link>URL</link>`: the href is its link (feed-rs reads only the text).
    if out.contains("<link ")
        && root_start(&out).is_some_and(|root| out[root..].starts_with("<rss"))
    {
        static HREF_LINK: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"<link\s([^>]*?)/?>(?:\s*</link>)?").unwrap_or_else(|_| unreachable_regex())
        });
        let linked = RSS_ITEM.replace_all(&out, |caps: &Captures<'_>| {
            let item = &caps[0];
            if item.contains("<link>") {
                return item.to_owned();
            }
            let alternate = HREF_LINK.captures_iter(item).find_map(|link| {
                let attributes = link.get(1)?.as_str();
                let rel = attribute(attributes, "rel");
                let href = attribute_as_written(attributes, "href").filter(|h| !h.is_empty())?;
                let range = link.get(0)?.range();
                rel.is_none_or(|rel| rel == "alternate").then_some((range, href))
            });
            match alternate {
                Some((range, href)) => {
                    format!("{}<link>{href}</link>{}", &item[..range.start], &item[range.end..])
                }
                None => item.to_owned(),
            }
        });
        if let Cow::Owned(linked) = linked {
            out = Cow::Owned(linked);
        }
    }
    // Atom documents whose entries are written `<item>` (feedparser reads them as entries).
    if !out.contains("<entry")
        && out.contains("<item")
        && root_start(&out).is_some_and(|root| out[root..].starts_with("<feed"))
    {
        out = Cow::Owned(out.replace("<item>", "<entry>").replace("</item>", "</entry>"));
    }
    // A description holding naked markup (`<description><p>Text</p></description>`) is
    // HTML written unescaped: it is read as the HTML it is, not as an empty text.
    if out.contains("<description>") {
        static NAKED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?s)<description>(\s*<[A-Za-z].*?)</description>")
                .unwrap_or_else(|_| unreachable_regex())
        });
        let wrapped = NAKED.replace_all(&out, |caps: &Captures<'_>| {
            if caps[1].contains("<![CDATA[") {
                return caps[0].to_owned();
            }
            let markup = caps[1].replace("]]>", "]]]]><![CDATA[>");
            format!("<description><![CDATA[{markup}]]></description>")
        });
        if let Cow::Owned(wrapped) = wrapped {
            out = Cow::Owned(wrapped);
        }
    }
    // dc:title and dc:description stand in for a missing title and description, and a
    // podcast's itunes:summary for a missing description.
    // A channel without a <title> takes its dc:title (before the first item).
    if out.contains("<dc:title") {
        let head_end = out.find("<item").unwrap_or(out.len());
        let head = &out[..head_end];
        if let (Some(start), Some(end), None) =
            (head.find("<dc:title"), head.find("</dc:title>"), head.find("<title"))
            && start < end
        {
            let body_start = head[start..].find('>').map_or(end, |at| start + at + 1).min(end);
            let renamed = format!(
                "{}<title>{}</title>{}",
                &out[..start],
                &out[body_start..end],
                &out[end + "</dc:title>".len()..]
            );
            out = Cow::Owned(renamed);
        }
    }
    for (core, stand_in) in [
        ("title", "dc:title"),
        ("description", "dc:description"),
        ("description", "itunes:summary"),
    ] {
        if out.contains(&format!("<{stand_in}")) {
            out = Cow::Owned(stand_in_for(&out, core, stand_in));
        }
    }
    // An XHTML <body> in an RSS item is its content (feedparser reads it so).
    if out.contains("<body") || out.contains("<xhtml:body") {
        static BODY: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?s)<((?:xhtml:)?body)(\s[^>]*)?>(.*?)</(?:xhtml:)?body>")
                .unwrap_or_else(|_| unreachable_regex())
        });
        let mut changed = false;
        let replaced = RSS_ITEM.replace_all(&out, |caps: &Captures<'_>| {
            let item = &caps[0];
            if item.contains("<content:encoded") || !BODY.is_match(item) {
                return item.to_owned();
            }
            changed = true;
            BODY.replacen(item, 1, |body: &Captures<'_>| {
                let markup = body[3].replace("]]>", "]]]]><![CDATA[>");
                format!("<content:encoded><![CDATA[{markup}]]></content:encoded>")
            })
            .into_owned()
        });
        if changed {
            out = Cow::Owned(declare_namespace(replaced.into_owned(), "content", CONTENT));
        }
    }
    // <fullitem> (escaped HTML, from Radio UserLand) stands in for missing content.
    if out.contains("<fullitem") {
        let replaced = stand_in_for(&out, "content:encoded", "fullitem");
        out = Cow::Owned(declare_namespace(replaced, "content", CONTENT));
    }
    // media:title stands in for a missing title (feedparser's rule); it never replaces one.
    if out.contains("<media:title") {
        static ITEM: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?s)<(item|entry)(\s[^>]*)?>.*?</(?:item|entry)>")
                .unwrap_or_else(|_| unreachable_regex())
        });
        static MEDIA_TITLE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?s)<media:title(\s[^>]*)?>(.*?)</media:title>")
                .unwrap_or_else(|_| unreachable_regex())
        });
        let replaced = ITEM.replace_all(&out, |caps: &Captures<'_>| {
            let item = &caps[0];
            if item.contains("<title") {
                return item.to_owned();
            }
            MEDIA_TITLE.replacen(item, 1, "<title>$2</title>").into_owned()
        });
        out = Cow::Owned(replaced.into_owned());
    }
    for draft in ATOM_DRAFTS {
        if out.contains(&format!("xmlns={draft}")) {
            out =
                Cow::Owned(out.replace(&format!("xmlns={draft}"), &format!("xmlns=\"{ATOM_03}\"")));
        }
    }
    let atom03 = out.contains(ATOM_03);
    if atom03 {
        out = Cow::Owned(out.replace(ATOM_03, ATOM_10));
        static RENAMED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"<(/?)(issued|modified|tagline|copyright)([\s>/])")
                .unwrap_or_else(|_| unreachable_regex())
        });
        out = Cow::Owned(
            RENAMED
                .replace_all(&out, |caps: &Captures<'_>| {
                    let name = match &caps[2] {
                        "issued" => "published",
                        "modified" => "updated",
                        "tagline" => "subtitle",
                        _ => "rights",
                    };
                    format!("<{}{name}{}", &caps[1], &caps[3])
                })
                .into_owned(),
        );
    }
    if !(atom03
        || out.contains("type=\"text/")
        || out.contains("type=\"application/")
        || out.contains("mode=\"")
        || out.contains("type=\"\""))
    {
        return out;
    }
    static CONSTRUCT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?s)<(title|subtitle|summary|rights|content|info)(\s[^>]*?)?(/?)>(.*?)</(?:title|subtitle|summary|rights|content|info)>"#,
        )
        .unwrap_or_else(|_| unreachable_regex())
    });
    let rewritten = CONSTRUCT.replace_all(&out, |caps: &Captures<'_>| {
        let name = &caps[1];
        let attributes = caps.get(2).map_or("", |m| m.as_str());
        let body = &caps[4];
        // `type=""` is no type.
        let kind = attribute(attributes, "type").filter(|kind| !kind.is_empty());
        let mode = attribute(attributes, "mode");
        let others = strip_attributes(attributes, &["type", "mode"]);
        let (kind, body) = match (kind.as_deref(), mode.as_deref()) {
            (_, Some("base64")) => ("html", Cow::Owned(escape(&decode_base64(body)))),
            (Some("application/xhtml+xml" | "xhtml"), _) | (_, Some("xml")) => {
                ("xhtml", Cow::Borrowed(body))
            }
            (Some("text/html" | "html"), _) | (None, Some("escaped")) => {
                ("html", Cow::Borrowed(body))
            }
            // Untyped text holding elements (`Example <b>Atom</b>`): its markup is escaped,
            // so the words inside the elements are kept, as feedparser keeps them.
            (None, _) if body.contains('<') && !body.contains("<![CDATA[") => {
                ("html", Cow::Owned(escape(body)))
            }
            (Some("text/plain" | "text") | None, _) => ("text", Cow::Borrowed(body)),
            // Atom 1.0: any other text-like type is text, and any other MIME type is base64.
            (Some(other), _)
                if other.starts_with("text/")
                    || other.ends_with("+xml")
                    || other.ends_with("/xml") =>
            {
                ("text", Cow::Borrowed(body))
            }
            (Some(other), _) if name == "content" && body.trim().is_empty() => {
                return format!("<content{others} type=\"{other}\">{body}</content>");
            }
            (Some(_), _) => ("html", Cow::Owned(escape(&decode_base64(body)))),
        };
        format!("<{name}{others} type=\"{kind}\">{body}</{name}>")
    });
    match rewritten {
        Cow::Borrowed(_) => out,
        Cow::Owned(text) => Cow::Owned(text),
    }
}

/// Each item without a `<core>` element gets its first `<stand_in>` renamed to `<core>`.
fn stand_in_for(text: &str, core: &str, stand_in: &str) -> String {
    let open = format!("<{stand_in}");
    let close = format!("</{stand_in}>");
    RSS_ITEM
        .replace_all(text, |caps: &Captures<'_>| {
            let item = &caps[0];
            let (Some(start), Some(end)) = (item.find(&open), item.find(&close)) else {
                return item.to_owned();
            };
            if item.contains(&format!("<{core}")) || end < start {
                return item.to_owned();
            }
            let body_start = item[start..].find('>').map_or(end, |at| start + at + 1).min(end);
            format!(
                "{}<{core}>{}</{core}>{}",
                &item[..start],
                &item[body_start..end],
                &item[end + close.len()..]
            )
        })
        .into_owned()
}

/// One RSS `<item>…</item>`.
static RSS_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<item(\s[^>]*)?>.*?</item>").unwrap_or_else(|_| unreachable_regex())
});

const DUBLIN_CORE: &str = "http://purl.org/dc/elements/1.1/";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";

/// `text` with `xmlns:prefix="uri"` on its root element, unless the prefix is declared.
fn declare_namespace(mut text: String, prefix: &str, uri: &str) -> String {
    if !text.contains(&format!("xmlns:{prefix}="))
        && let Some(root_end) = root_tag_end(&text)
    {
        text.insert_str(root_end, &format!(" xmlns:{prefix}=\"{uri}\""));
    }
    text
}

/// Where the root element's name ends (to add an attribute after it).
fn root_tag_end(text: &str) -> Option<usize> {
    let start = root_start(text)?;
    let name_len = text[start + 1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    Some(start + 1 + name_len)
}

/// Where the root element's start tag begins: past the XML declaration, processing
/// instructions, comments and a DOCTYPE (with its internal subset), whose text may hold
/// anything that looks like a tag.
pub(super) fn root_start(text: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let start = at + text[at..].find('<')?;
        let rest = &text[start..];
        let skip = if rest.starts_with("<?") {
            rest.find("?>").map(|end| end + 2)
        } else if let Some(comment) = rest.strip_prefix("<!--") {
            comment.find("-->").map(|end| end + 7)
        } else if rest.starts_with("<!") {
            // A DOCTYPE: its internal subset `[…]` may hold `>` of its own declarations.
            let subset_end = match (rest.find('['), rest.find('>')) {
                (Some(open), Some(close)) if open < close => {
                    rest[open..].find(']').map_or(open, |end| open + end)
                }
                _ => 0,
            };
            rest[subset_end..].find('>').map(|end| subset_end + end + 1)
        } else if rest[1..].starts_with(|c: char| c.is_alphabetic() || c == '_') {
            return Some(start);
        } else {
            Some(1)
        };
        at = start + skip?;
    }
}

fn unreachable_regex() -> Regex {
    // The patterns above are constants tested below; this only keeps `unwrap` out.
    Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

/// The value of `name="…"` (or `'…'`) among `attributes`.
fn attribute(attributes: &str, name: &str) -> Option<String> {
    attribute_as_written(attributes, name).map(|value| value.to_ascii_lowercase())
}

/// The value of `name="…"` (or `'…'`) among `attributes`, trimmed, its case kept.
fn attribute_as_written(attributes: &str, name: &str) -> Option<String> {
    static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)
            .unwrap_or_else(|_| unreachable_regex())
    });
    ATTRIBUTE.captures_iter(attributes).find(|caps| &caps[1] == name).map(|caps| {
        caps.get(2).or(caps.get(3)).map_or(String::new(), |m| m.as_str().trim().to_owned())
    })
}

/// `attributes` without the named ones.
fn strip_attributes(attributes: &str, names: &[&str]) -> String {
    static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\s*([\w:.-]+)\s*=\s*(?:"[^"]*"|'[^']*')"#)
            .unwrap_or_else(|_| unreachable_regex())
    });
    ATTRIBUTE
        .replace_all(attributes, |caps: &Captures<'_>| {
            if names.contains(&&caps[1]) { String::new() } else { caps[0].to_owned() }
        })
        .into_owned()
}

/// `&`, `<` and `>` as XML character entities (for text written into a rewritten feed).
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Decodes standard base64, ignoring white space; invalid input gives what decoded before it.
fn decode_base64(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for ch in text.chars().filter(|c| !c.is_whitespace()) {
        let value = match ch {
            'A'..='Z' => ch as u32 - 'A' as u32,
            'a'..='z' => ch as u32 - 'a' as u32 + 26,
            '0'..='9' => ch as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            '=' => break,
            _ => break,
        };
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See issue 9: Atom 0.3 was read as empty.
    #[test]
    fn r9_atom_03_becomes_atom_10() {
        let text = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline>T</tagline><entry><issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified><content type="text/html" mode="escaped">&lt;b&gt;x&lt;/b&gt;</content><summary mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</summary></entry></feed>"#;
        assert_eq!(
            normalize(text),
            r#"<feed version="0.3" xmlns="http://www.w3.org/2005/Atom"><subtitle type="text">T</subtitle><entry><published>2004-01-01T00:00:00Z</published><updated>2004-01-02T00:00:00Z</updated><content type="html">&lt;b&gt;x&lt;/b&gt;</content><summary type="html">Example &lt;b&gt;Atom&lt;/b&gt;</summary></entry></feed>"#
        );
    }

    #[test]
    fn r9_naked_markup_in_untyped_atom_text_keeps_its_words() {
        assert_eq!(
            normalize(
                "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry><title>Example <b>Atom</b></title></entry></feed>"
            ),
            "<feed version=\"0.3\" xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"html\">Example &lt;b&gt;Atom&lt;/b&gt;</title></entry></feed>"
        );
    }

    #[test]
    fn r9_a_fullitem_is_the_content() {
        assert_eq!(
            normalize(
                "<rss version=\"2.0\"><channel><item><fullitem>&lt;p&gt;X&lt;/p&gt;</fullitem></item></channel></rss>"
            ),
            "<rss xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" version=\"2.0\"><channel><item><content:encoded>&lt;p&gt;X&lt;/p&gt;</content:encoded></item></channel></rss>"
        );
    }

    #[test]
    fn r9_an_xhtml_body_is_the_content() {
        assert_eq!(
            normalize(
                "<rss version=\"2.0\"><channel><item><body><b>safe</b> text</body></item></channel></rss>"
            ),
            "<rss xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" version=\"2.0\"><channel><item><content:encoded><![CDATA[<b>safe</b> text]]></content:encoded></item></channel></rss>"
        );
    }

    /// A comment before the root that quotes markup (`<a href=…>`) once took the namespace
    /// declaration, so the item's content was lost.
    #[test]
    fn r9_the_root_is_found_past_the_prolog() {
        let prolog = "<?xml version=\"1.0\"?>\n<!-- was '<a href=\"x\">' -->\n<!DOCTYPE rss [<!ENTITY e \"<b>\">]>\n<?pi <c>?>";
        let feed = format!(
            "{prolog}<rss version=\"2.0\"><channel><item><body>b</body></item></channel></rss>"
        );
        let root = root_start(&feed).unwrap();
        assert!(feed[root..].starts_with("<rss "), "{}", &feed[root..]);
        assert!(
            normalize(&feed).starts_with(&format!(
                "{prolog}<rss xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" version"
            )),
            "{}",
            normalize(&feed)
        );
        assert_eq!(root_start("<!-- only a comment -->"), None);
        assert_eq!(root_start("<!-- unclosed <rss>"), None);
    }

    #[test]
    fn r9_mime_types_become_atom_names_and_plain_feeds_are_borrowed() {
        let text = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text/plain">A</title><content type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml">B</div></content></entry></feed>"#;
        assert_eq!(
            normalize(text),
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text">A</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">B</div></content></entry></feed>"#
        );
        assert_eq!(normalize("<rss><channel/></rss>"), "<rss version=\"2.0\"><channel/></rss>");
        assert_eq!(
            normalize(
                "<r:rss version=\"2.0\" xmlns:r=\"http://backend.userland.com/rss2\"><r:channel><r:title>T</r:title></r:channel></r:rss>"
            ),
            "<rss version=\"2.0\"><channel><title>T</title></channel></rss>"
        );
        assert_eq!(
            normalize(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><item><dcterms:modified>2002-09-28T20:01:19Z</dcterms:modified></item></rss>"
            ),
            "<?xml version=\"1.0\"?><rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" version=\"2.0\"><item><dc:date>2002-09-28T20:01:19Z</dc:date></item></rss>"
        );
        let plain = "<rss version=\"2.0\"><channel><title>x</title></channel></rss>";
        assert!(matches!(normalize(plain), Cow::Borrowed(_)));
        assert_eq!(
            normalize(
                "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\"><channel/></rss>"
            ),
            "<rss version=\"2.0\"><channel/></rss>"
        );
    }
}
