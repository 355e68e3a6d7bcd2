//! OPML import: the feed list another reader exports, turned into `[[sources]]` TOML.
//!
//! Each `<outline>` with an `xmlUrl` becomes a feed source: its `title` (or `text`) as the
//! display name and, slugged, as a unique id; the enclosing outlines' names and its own
//! `category` attribute as topic hints (`tags`), matched like front-matter tags. Pure: the
//! command reads and writes the files.

use std::collections::BTreeSet;

use quick_xml::Reader;
use quick_xml::events::Event;

/// One feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// Its name.
    pub name: String,
    /// The feed's URL.
    pub url: String,
    /// Categories: enclosing outlines and the `category` attribute.
    pub categories: Vec<String>,
}

/// The feeds of an OPML document, in document order.
///
/// # Errors
/// A message with the byte position when the XML is broken.
pub fn parse(text: &str) -> Result<Vec<OpmlFeed>, String> {
    let mut reader = Reader::from_str(text);
    let mut feeds = Vec::new();
    // The names of the open outlines that are folders, and whether each open outline is one.
    let mut folders: Vec<Option<String>> = Vec::new();
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|err| format!("not valid OPML at byte {position}: {err}"))?;
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(element) | Event::Empty(element)
                if element.local_name().as_ref() == "outline" =>
            {
                let mut attributes = std::collections::BTreeMap::new();
                for attribute in element.attributes().flatten() {
                    let key = attribute.key.local_name().as_ref().to_ascii_lowercase();
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| format!("not valid OPML at byte {position}: {err}"))?;
                    attributes.insert(key, crate::text::normalize(&value));
                }
                let name = attributes
                    .get("title")
                    .or_else(|| attributes.get("text"))
                    .cloned()
                    .unwrap_or_default();
                match attributes.get("xmlurl").filter(|url| !url.is_empty()) {
                    Some(url) => {
                        let mut categories: Vec<String> =
                            folders.iter().flatten().cloned().collect();
                        if let Some(category) = attributes.get("category") {
                            for part in category.split([',', '/']) {
                                let part = part.trim();
                                if !part.is_empty() && !categories.iter().any(|c| c == part) {
                                    categories.push(part.to_owned());
                                }
                            }
                        }
                        let name = if name.is_empty() { url.clone() } else { name };
                        feeds.push(OpmlFeed { name, url: url.clone(), categories });
                        if !is_empty {
                            folders.push(None);
                        }
                    }
                    None if !is_empty => folders.push(Some(name).filter(|n| !n.is_empty())),
                    None => {}
                }
            }
            Event::End(element) if element.local_name().as_ref() == "outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(feeds)
}

/// `[[sources]]` TOML for `feeds`, with ids unique among themselves and `taken`.
pub fn to_toml(feeds: &[OpmlFeed], taken: &BTreeSet<String>) -> String {
    let mut used = taken.clone();
    let mut out = String::new();
    for feed in feeds {
        let base = slug(&feed.name);
        let base = if base.is_empty() { "feed".to_owned() } else { base };
        let mut id = base.clone();
        let mut n = 2;
        while used.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        used.insert(id.clone());
        out.push_str("\n[[sources]]\n");
        out.push_str(&format!("id = {}\n", quote(&id)));
        out.push_str("kind = \"feed\"\n");
        out.push_str(&format!("url = {}\n", quote(&feed.url)));
        out.push_str(&format!("name = {}\n", quote(&feed.name)));
        if !feed.categories.is_empty() {
            let tags: Vec<String> = feed.categories.iter().map(|c| quote(c)).collect();
            out.push_str(&format!("tags = [{}]\n", tags.join(", ")));
        }
    }
    out
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect::<String>().trim_end_matches('-').to_owned()
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="Technology">
    <outline type="rss" text="Valley Tech" title="Valley Tech &amp; Science" xmlUrl="https://valley.example.com/feed" htmlUrl="https://valley.example.com/"/>
    <outline text="Hardware"><outline type="rss" text="Chips &quot;Daily&quot;" xmlUrl="https://chips.example.com/rss" category="/semiconductors,industry"/></outline>
  </outline>
  <outline type="rss" text="Valley Tech" xmlUrl="https://other.example.com/atom"/>
</body></opml>"#;

    #[test]
    fn feeds_with_their_folders_as_categories() {
        let feeds = parse(OPML).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].name, "Valley Tech & Science");
        assert_eq!(feeds[0].categories, ["Technology"]);
        assert_eq!(feeds[1].name, "Chips \"Daily\"");
        assert_eq!(feeds[1].categories, ["Technology", "Hardware", "semiconductors", "industry"]);
        assert!(feeds[2].categories.is_empty());
    }

    #[test]
    fn toml_with_unique_ids_that_loads() {
        let feeds = parse(OPML).unwrap();
        let taken = BTreeSet::from(["valley-tech".to_owned()]);
        let toml = to_toml(&feeds, &taken);
        assert!(toml.contains("id = \"valley-tech-science\""), "{toml}");
        assert!(toml.contains("id = \"chips-daily\"\nkind = \"feed\"\nurl = \"https://chips.example.com/rss\"\nname = \"Chips \\\"Daily\\\"\"\ntags = [\"Technology\", \"Hardware\", \"semiconductors\", \"industry\"]"), "{toml}");
        assert!(toml.contains("id = \"valley-tech-2\""), "{toml}");
        let config = crate::config::Config::parse(&toml, std::path::Path::new(".")).unwrap();
        assert_eq!(config.sources.len(), 3);
    }

    #[test]
    fn broken_xml_says_where() {
        let err = parse("<opml><body><outline text=\"a\" xmlUrl=\"u\"></body></opml>").unwrap_err();
        assert!(err.starts_with("not valid OPML at byte "), "{err}");
    }
}
