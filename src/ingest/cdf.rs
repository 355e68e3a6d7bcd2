//! Microsoft's Channel Definition Format (CDF, 1997), rewritten as RSS 2.0 before parsing.
//!
//! A CDF file is a `<CHANNEL>` root whose `<ITEM>`s carry their link (`HREF`) and date
//! (`LASTMOD`, ISO 8601) as attributes, and their `<TITLE>` and `<ABSTRACT>` as children.
//! feedparser reads it, feed-rs does not, and some intranets and archives still serve it.
//! Element and attribute names are matched in any case; `BASE` on a channel resolves relative
//! `HREF`s; items of nested channels belong to the one feed. Text is copied as written (it is
//! XML already), so entities and CDATA keep their meaning. No I/O.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::dialects::escape;

/// The document as RSS 2.0 when its root element is a CDF `<CHANNEL>`; `None` for any
/// other document, or one that breaks before its first item (the caller then reports the
/// parser's own error on the original).
pub fn to_rss(text: &str) -> Option<String> {
    let root = super::dialects::root_start(text)?;
    let name_end = text[root + 1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    if !text[root + 1..root + 1 + name_end].eq_ignore_ascii_case("channel") {
        return None;
    }
    let mut reader = Reader::from_str(text);
    let mut channel = Element::default();
    let mut items: Vec<Element> = Vec::new();
    // One entry per open element: its lower-cased name.
    let mut open: Vec<String> = Vec::new();
    // The BASE of each open channel, innermost last.
    let mut bases: Vec<Option<String>> = Vec::new();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            // A break after some items: keep what was read, as recovery does for RSS.
            Err(_) if !items.is_empty() => break,
            Err(_) => return None,
        };
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(element) | Event::Empty(element) => {
                let name = lower_name(&element);
                let base = bases.iter().rev().flatten().next().cloned();
                match name.as_str() {
                    "channel" => {
                        let own = attribute(&element, "base");
                        let resolved = own.map(|own| resolve(base.as_deref(), &own));
                        if open.is_empty() {
                            channel.link = attribute(&element, "href").map(|href| {
                                resolve(resolved.as_deref().or(base.as_deref()), &href)
                            });
                            channel.date = attribute(&element, "lastmod");
                        }
                        bases.push(resolved);
                    }
                    "item" => items.push(Element {
                        link: attribute(&element, "href")
                            .map(|href| resolve(base.as_deref(), &href)),
                        date: attribute(&element, "lastmod"),
                        ..Element::default()
                    }),
                    "title" | "abstract" if !empty => {
                        let span = reader.read_to_end(element.name()).ok()?;
                        let inner = text.get(span.start as usize..span.end as usize)?.to_owned();
                        // The parent decides whose text it is: the top channel's or an item's.
                        let target = match open.last().map(String::as_str) {
                            Some("item") => items.last_mut(),
                            Some("channel") if open.len() == 1 => Some(&mut channel),
                            _ => None,
                        };
                        if let Some(target) = target {
                            let slot = if name == "title" {
                                &mut target.title
                            } else {
                                &mut target.abstract_
                            };
                            slot.get_or_insert(inner);
                        }
                        continue;
                    }
                    _ => {}
                }
                if !empty {
                    open.push(name);
                }
            }
            Event::End(element) => {
                let name = element.name().as_ref().to_ascii_lowercase();
                if name == "channel" {
                    bases.pop();
                }
                if let Some(at) = open.iter().rposition(|open| *open == name) {
                    open.truncate(at);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut out = String::from(
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>",
    );
    channel.write(&mut out);
    for item in &items {
        out.push_str("<item>");
        item.write(&mut out);
        out.push_str("</item>");
    }
    out.push_str("</channel></rss>");
    Some(out)
}

/// A channel's or an item's fields: text as written, attributes unescaped.
#[derive(Default)]
struct Element {
    title: Option<String>,
    abstract_: Option<String>,
    link: Option<String>,
    date: Option<String>,
}

impl Element {
    fn write(&self, out: &mut String) {
        if let Some(title) = &self.title {
            out.push_str(&format!("<title>{title}</title>"));
        }
        if let Some(link) = &self.link {
            out.push_str(&format!("<link>{}</link>", escape(link)));
        }
        if let Some(text) = &self.abstract_ {
            out.push_str(&format!("<description>{text}</description>"));
        }
        if let Some(date) = &self.date {
            out.push_str(&format!("<dc:date>{}</dc:date>", escape(date)));
        }
    }
}

fn lower_name(element: &BytesStart<'_>) -> String {
    element.name().as_ref().to_ascii_lowercase()
}

/// The unescaped value of an attribute, its name matched in any case.
fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|attribute| attribute.key.as_ref().eq_ignore_ascii_case(name))
        .and_then(|attribute| attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `href` resolved against `base` when both make a URL; `href` as written otherwise.
fn resolve(base: Option<&str>, href: &str) -> String {
    base.and_then(|base| reqwest::Url::parse(base).ok())
        .and_then(|base| base.join(href).ok())
        .map_or_else(|| href.to_owned(), String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See issue 9: a CDF file was "no root element", so its items were lost.
    #[test]
    fn r9_cdf_becomes_rss() {
        let cdf = r#"<?xml version="1.0"?>
<!-- a CDF channel -->
<CHANNEL BASE="http://base.example.org/" HREF="http://www.example.org/" LASTMOD="2004-04-06T23:05:43-05:00">
  <TITLE>Caf&amp;eacute; <![CDATA[news]]></TITLE>
  <ABSTRACT>channel abstract</ABSTRACT>
  <LOGO HREF="logo.gif" STYLE="IMAGE"/>
  <ITEM HREF="/item/1?a=1&amp;b=2" LASTMOD="2004-04-06T23:05:43-05:00">
    <TITLE>item title</TITLE>
    <ABSTRACT>item abstract</ABSTRACT>
  </ITEM>
  <channel href="sub/"><title>Nested</title><item href="/item/2"><title>two</title></item></channel>
  <ITEM HREF="http://other.example.org/3"/>
</CHANNEL>"#;
        assert_eq!(
            to_rss(cdf).unwrap(),
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
             <title>Caf&amp;eacute; <![CDATA[news]]></title><link>http://www.example.org/</link>\
             <description>channel abstract</description><dc:date>2004-04-06T23:05:43-05:00</dc:date>\
             <item><title>item title</title><link>http://base.example.org/item/1?a=1&amp;b=2</link>\
             <description>item abstract</description><dc:date>2004-04-06T23:05:43-05:00</dc:date></item>\
             <item><title>two</title><link>http://base.example.org/item/2</link></item>\
             <item><link>http://other.example.org/3</link></item>\
             </channel></rss>"
        );
    }

    #[test]
    fn r9_other_documents_are_not_cdf() {
        assert_eq!(to_rss("<rss version=\"2.0\"><channel></channel></rss>"), None);
        assert_eq!(to_rss("<!-- <CHANNEL> --><feed/>"), None);
        assert_eq!(to_rss("<CHANNEL><ITEM"), None);
    }
}
