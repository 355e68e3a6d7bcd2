//! Markdown articles with optional front matter: TOML between `+++` lines or YAML between
//! `---` lines.
//!
//! Front matter keys read: `title`, `date`, `url` (or `link`), `source`, `author`, `topics`
//! and `tags`; others are ignored, since front matter written for other tools has many. The
//! body is rendered to plain-text paragraphs; images, raw HTML and code blocks are left out.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use crate::text::normalize;

/// What a Markdown file says about itself and its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// From front matter, else the first level-1 heading.
    pub title: Option<String>,
    /// The front matter `date`, as written.
    pub date: Option<String>,
    /// `url` or `link`.
    pub url: Option<String>,
    /// `source`.
    pub source: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `topics` and `tags` together.
    pub tags: Vec<String>,
    /// Body paragraphs (headings included, the title heading excepted).
    pub paragraphs: Vec<String>,
}

/// Parses a Markdown file.
///
/// # Errors
/// A message naming the front matter line when the front matter is malformed.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let (front, body) = split_front_matter(text)?;
    let mut parsed = match front {
        Some(front) => from_front_matter(&front)?,
        None => Parsed::default(),
    };
    let (heading, paragraphs) = render_body(body);
    if parsed.title.is_none() {
        parsed.title = heading.clone();
    }
    parsed.paragraphs = paragraphs
        .into_iter()
        .filter(|paragraph| Some(paragraph) != parsed.title.as_ref() || heading.is_none())
        .collect();
    Ok(parsed)
}

enum FrontMatter {
    Toml(String),
    Yaml(String),
}

/// Splits off the front matter; the fence must be the file's first line.
fn split_front_matter(text: &str) -> Result<(Option<FrontMatter>, &str), String> {
    let first_line = text.lines().next().unwrap_or("").trim_end();
    let fence = match first_line {
        "+++" => "+++",
        "---" => "---",
        _ => return Ok((None, text)),
    };
    let after_open = &text[text.find('\n').map_or(text.len(), |at| at + 1)..];
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end() == fence {
            let front = after_open[..offset].to_owned();
            let body = &after_open[offset + line.len()..];
            let front =
                if fence == "+++" { FrontMatter::Toml(front) } else { FrontMatter::Yaml(front) };
            return Ok((Some(front), body));
        }
        offset += line.len();
    }
    Err(format!("front matter opened with `{fence}` on line 1 is never closed"))
}

fn from_front_matter(front: &FrontMatter) -> Result<Parsed, String> {
    let value = match front {
        FrontMatter::Toml(text) => {
            let table: toml::Table = toml::from_str(text).map_err(|err| {
                // The front matter starts on the file's second line.
                let line =
                    err.span().map_or(0, |span| text[..span.start].matches('\n').count()) + 2;
                format!("front matter (TOML), line {line}: {}", err.message().trim_end())
            })?;
            toml_to_json(toml::Value::Table(table))
        }
        FrontMatter::Yaml(text) => {
            if text.trim().is_empty() {
                Value::Object(serde_json::Map::new())
            } else {
                serde_yaml_ng::from_str::<Value>(text).map_err(|err| {
                    let line = err.location().map_or(0, |at| at.line()) + 1;
                    format!("front matter (YAML), line {line}: {err}")
                })?
            }
        }
    };
    let Value::Object(map) = value else {
        return Err("front matter is not a table of keys and values".to_owned());
    };
    let text_of = |key: &str| -> Option<String> {
        match map.get(key)? {
            Value::String(text) => Some(normalize(text)).filter(|text| !text.is_empty()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    };
    let mut tags = Vec::new();
    for key in ["topics", "tags", "categories"] {
        match map.get(key) {
            Some(Value::Array(items)) => {
                tags.extend(items.iter().filter_map(Value::as_str).map(normalize));
            }
            Some(Value::String(list)) => tags.extend(list.split(',').map(normalize)),
            _ => {}
        }
    }
    tags.retain(|tag| !tag.is_empty());
    Ok(Parsed {
        title: text_of("title"),
        date: text_of("date").or_else(|| text_of("published")),
        url: text_of("url").or_else(|| text_of("link")),
        source: text_of("source"),
        author: text_of("author"),
        tags,
        paragraphs: Vec::new(),
    })
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(number) => Value::from(number),
        toml::Value::Float(number) => Value::from(number),
        toml::Value::Boolean(flag) => Value::Bool(flag),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table.into_iter().map(|(key, value)| (key, toml_to_json(value))).collect(),
        ),
    }
}

/// Elements whose content is never shown as text.
const RAW_TEXT_ELEMENTS: &[&str] =
    &["script", "style", "noscript", "template", "iframe", "textarea", "title", "object"];

/// Renders Markdown to plain paragraphs; returns the first level-1 heading separately too.
/// Raw HTML, blocks and inline, contributes no text: its tags are left out, and the content
/// of inline scripts and styles too.
fn render_body(body: &str) -> (Option<String>, Vec<String>) {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_SMART_PUNCTUATION);
    let mut paragraphs = Vec::new();
    let mut first_h1 = None;
    let mut current = String::new();
    let mut skip_depth = 0usize;
    let mut in_h1 = false;
    // An inline `<script>`, `<style>`, … whose text runs to its end tag: HTML, not prose.
    let mut raw_inline: Option<&'static str> = None;
    for event in Parser::new_ext(body, options) {
        if let Event::InlineHtml(tag) = &event {
            let tag = tag.to_ascii_lowercase();
            match raw_inline {
                Some(name) if tag.starts_with(&format!("</{name}")) => raw_inline = None,
                Some(_) => {}
                None => {
                    raw_inline = RAW_TEXT_ELEMENTS.iter().copied().find(|name| {
                        tag.strip_prefix('<').and_then(|rest| rest.strip_prefix(name)).is_some_and(
                            |rest| rest.starts_with(['>', ' ', '/', '\t', '\n']) || rest.is_empty(),
                        )
                    });
                }
            }
            continue;
        }
        if raw_inline.is_some() && matches!(event, Event::Text(_) | Event::Code(_)) {
            continue;
        }
        match event {
            Event::Start(Tag::Image { .. } | Tag::CodeBlock(_) | Tag::HtmlBlock) => skip_depth += 1,
            Event::End(TagEnd::Image | TagEnd::CodeBlock | TagEnd::HtmlBlock) => {
                skip_depth = skip_depth.saturating_sub(1);
            }
            Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }) => in_h1 = true,
            Event::Text(text) | Event::Code(text) if skip_depth == 0 => current.push_str(&text),
            Event::SoftBreak | Event::HardBreak if skip_depth == 0 => current.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell,
            ) => {
                let paragraph = normalize(&current);
                current.clear();
                if paragraph.is_empty() {
                    continue;
                }
                if in_h1 && first_h1.is_none() {
                    first_h1 = Some(paragraph.clone());
                }
                in_h1 = false;
                paragraphs.push(paragraph);
            }
            _ => {}
        }
    }
    let rest = normalize(&current);
    if !rest.is_empty() {
        paragraphs.push(rest);
    }
    (first_h1, paragraphs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See issue 8, failure 8: an inline `<script>` put `alert('…')` into the summary.
    #[test]
    fn r8_raw_html_contributes_no_text() {
        let (_, paragraphs) = render_body(
            "A storm closed the road. <script>alert('inline')</script> Police said so.\n\n\
             Buses wait.<SCRIPT type=\"text/javascript\">alert(1)</SCRIPT><style>p{x:y}</style>\n\n\
             <script>\nalert('block')\n</script>\n\n<div>\n<script>alert('div')</script>\n</div>\n\n\
             The <b>last</b> paragraph.\n",
        );
        assert_eq!(
            paragraphs,
            ["A storm closed the road. Police said so.", "Buses wait.", "The last paragraph."]
        );
    }

    #[test]
    fn toml_front_matter() {
        let parsed = parse(
            "+++\ntitle = \"Rates held\"\ndate = 2024-03-01T08:00:00Z\ntags = [\"economy\"]\n+++\n\nThe bank *held* rates.\n\nMarkets rose.\n",
        )
        .unwrap();
        assert_eq!(parsed.title.as_deref(), Some("Rates held"));
        assert_eq!(parsed.date.as_deref(), Some("2024-03-01T08:00:00Z"));
        assert_eq!(parsed.tags, ["economy"]);
        assert_eq!(parsed.paragraphs, ["The bank held rates.", "Markets rose."]);
    }

    #[test]
    fn yaml_front_matter_and_h1_title() {
        let parsed =
            parse("---\ndate: 2024-03-01\ntopics: [climate, energy]\n---\n# Heatwave ends\n\nRain at last.\n")
                .unwrap();
        assert_eq!(parsed.title.as_deref(), Some("Heatwave ends"));
        assert_eq!(parsed.date.as_deref(), Some("2024-03-01"));
        assert_eq!(parsed.tags, ["climate", "energy"]);
        assert_eq!(parsed.paragraphs, ["Rain at last."]);
    }

    #[test]
    fn broken_front_matter_names_the_line() {
        let err = parse("+++\ntitle = \"ok\"\ndate = \n+++\nBody.\n").unwrap_err();
        assert!(err.starts_with("front matter (TOML), line 3:"), "{err}");
        let err = parse("---\ntitle: ok\n").unwrap_err();
        assert_eq!(err, "front matter opened with `---` on line 1 is never closed");
    }
}
