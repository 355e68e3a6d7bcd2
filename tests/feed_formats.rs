//! Issue 9: feeds as publishers really write them. Each kind of difference from feedparser
//! that the conformance harness (`scripts/feed_conformance.py`) found has a test here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use newsdigest::app::{SingleFeed, feed};
use newsdigest::config::Config;

/// Reads `text` as a feed file, as `newsdigest feed FILE` does.
fn read(text: &str) -> SingleFeed {
    read_bytes(text.as_bytes())
}

fn read_bytes(bytes: &[u8]) -> SingleFeed {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, bytes).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(feed(&Config::defaults(), path.to_str().unwrap())).unwrap()
}

fn titles(feed: &SingleFeed) -> Vec<&str> {
    feed.items.iter().map(|item| item.title.as_str()).collect()
}

/// See issue 9: items with little or no text were skipped with "no article text found".
#[test]
fn r9_every_item_with_a_title_a_link_or_text_is_a_story() {
    let feed = read(
        r#"<rss version="2.0"><channel><title>Short</title>
        <item><title>Example title</title><description>Example description</description></item>
        <item><title>Show HN: a tiny editor</title><link>https://news.example.com/item?id=1</link>
          <description><![CDATA[<a href="https://news.example.com/item?id=1">Comments</a>]]></description></item>
        <item><description>Just posted: the storm closed the coast road again. More soon.</description><guid isPermaLink="false">113456789012345678</guid></item>
        <item><link>https://example.org/a-link-post</link></item>
        <item><guid isPermaLink="false">nothing-here</guid></item>
        </channel></rss>"#,
    );
    assert_eq!(
        titles(&feed),
        [
            "Example title",
            "Show HN: a tiny editor",
            "Just posted: the storm closed the coast road again",
            "Link from example.org"
        ]
    );
    assert_eq!(feed.items[0].paragraphs, ["Example description"]);
    assert_eq!(feed.items[3].paragraphs, Vec::<String>::new(), "a link alone is a story");
    assert_eq!(feed.skipped.len(), 1, "only the item with neither text nor a link");
    assert_eq!(feed.skipped[0].1, "no article text found");
}

/// See issue 9: `Caf&eacute;` reached readers as `Caf&amp;eacute;`; titles with markup
/// became their link's slug.
#[test]
fn r9_entities_are_decoded_once_and_title_markup_gives_its_text() {
    let feed = read(
        r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Caf&amp;eacute; &amp;amp; Co</title>
        <entry><title type="html">Why &lt;em&gt;Rust&lt;/em&gt; wins</title><link href="https://example.org/rust-wins"/><id>a</id></entry>
        <entry><title type="html"><![CDATA[Storm: <b>live</b> updates]]></title><link href="https://example.org/storm-live"/><id>b</id></entry>
        <entry><title>Caf&#233; owners&#8217; protest</title><link href="https://example.org/cafe"/><id>c</id><author><name>Zo&#235;</name></author></entry>
        </feed>"#,
    );
    assert_eq!(feed.title.as_deref(), Some("Café & Co"));
    assert_eq!(titles(&feed), ["Why Rust wins", "Storm: live updates", "Café owners’ protest"]);
    assert_eq!(feed.items[2].author.as_deref(), Some("Zoë"));
}

/// See issue 9: HTML's named entities, undeclared in XML, in an RSS feed's titles.
#[test]
fn r9_undeclared_html_entities_in_rss_are_decoded() {
    let feed = read(
        "<rss version=\"2.0\"><channel><title>Caf&eacute; news</title><item>\
         <title>Caf&eacute; owners&rsquo; protest</title><link>https://example.org/c</link>\
         <description>They protested &mdash; loudly.</description></item></channel></rss>",
    );
    assert_eq!(feed.title.as_deref(), Some("Café news"));
    assert_eq!(titles(&feed), ["Café owners’ protest"]);
    assert_eq!(feed.items[0].paragraphs, ["They protested — loudly."]);
}

/// See issue 9: Atom 0.3, RSS 0.90, RSS 2.0 in the Userland namespace and `<rss>` without
/// a version were read as empty, silently; one `application/xhtml+xml` or base64 entry
/// failed the whole feed.
#[test]
fn r9_every_format_feedparser_reads() {
    let atom03 = read(
        r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old Atom</title>
        <entry><title>First</title><link rel="alternate" type="text/html" href="https://example.org/1"/>
          <issued>2004-01-01T19:48:21Z</issued><modified>2004-01-02T00:00:00Z</modified>
          <content type="text/html" mode="escaped">&lt;p&gt;The storm closed the road.&lt;/p&gt;</content></entry>
        <entry><title>Second</title><link rel="alternate" href="https://example.org/2"/>
          <content mode="base64">VGhlIGNvYXN0IHJvYWQgb3BlbnMgYWdhaW4u</content></entry>
        <entry><title>Third</title><link rel="alternate" href="https://example.org/3"/>
          <content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Buses run.</p></div></content></entry>
        </feed>"#,
    );
    assert_eq!(atom03.title.as_deref(), Some("Old Atom"));
    assert_eq!(titles(&atom03), ["First", "Second", "Third"]);
    assert_eq!(atom03.items[0].paragraphs, ["The storm closed the road."]);
    assert_eq!(atom03.items[0].published.unwrap().to_rfc3339(), "2004-01-01T19:48:21+00:00");
    assert_eq!(atom03.items[1].paragraphs, ["The coast road opens again."]);
    assert_eq!(atom03.items[2].paragraphs, ["Buses run."]);

    for rss in [
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Netscape</title></channel><item><title>Ninety</title><link>https://example.org/90</link></item></rdf:RDF>"#,
        r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>Userland</title><item><title>Ninety</title><link>https://example.org/90</link></item></channel></rss>"#,
        r#"<rss><channel><title>No version</title><item><title>Ninety</title><link>https://example.org/90</link></item></channel></rss>"#,
    ] {
        let feed = read(rss);
        assert_eq!(titles(&feed), ["Ninety"], "{rss}");
        assert_eq!(feed.items[0].url.as_deref(), Some("https://example.org/90"));
    }
}

/// See issue 9: dcterms dates were ignored (the file time stood in), a permalink GUID gave no
/// URL, and media:title must only stand in for a missing title.
#[test]
fn r9_dates_permalinks_and_media_titles() {
    let feed = read(
        r#"<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
        <item><title>Issued</title><guid>https://example.org/permalink</guid><dcterms:issued>2002-09-28T20:01:19Z</dcterms:issued></item>
        <item><title>Core title</title><link>https://example.org/b</link><media:title>Media title</media:title></item>
        <item><media:title>Only media</media:title><link>https://example.org/c</link></item>
        </channel></rss>"#,
    );
    assert_eq!(titles(&feed), ["Issued", "Core title", "Only media"]);
    assert_eq!(feed.items[0].url.as_deref(), Some("https://example.org/permalink"));
    assert_eq!(feed.items[0].published.unwrap().to_rfc3339(), "2002-09-28T20:01:19+00:00");
}

/// See issue 9: a `content:encoded` holding only an image won over a description with a
/// sentence; the item's best text is whichever of the two says more.
#[test]
fn r9_the_best_text_of_content_and_description_wins() {
    let feed = read(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>
        <item><title>Image only</title><link>https://example.org/1</link><description>The ferry returned to service on Tuesday.</description>
          <content:encoded><![CDATA[<p><img src="https://example.org/i.jpg" alt=""></p>]]></content:encoded></item>
        <item><title>Full content</title><link>https://example.org/2</link><description>A teaser.</description>
          <content:encoded><![CDATA[<p>The whole story, told in many more words than the teaser.</p>]]></content:encoded></item>
        </channel></rss>"#,
    );
    assert_eq!(feed.items[0].paragraphs, ["The ferry returned to service on Tuesday."]);
    assert_eq!(
        feed.items[1].paragraphs,
        ["The whole story, told in many more words than the teaser."]
    );
}

/// See issue 9: RSS 1.0 items without `<link>` were read as empty; dc:title and
/// dc:description only stand in for missing core elements; Atom text of another MIME type is
/// base64.
#[test]
fn r9_rdf_items_without_links_dublin_core_stand_ins_and_base64_text() {
    let rdf = read(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <channel rdf:about="http://example.com/index.rdf"><title>RDF</title></channel>
        <item rdf:about="http://example.com/1"><title>Example title</title><dc:title>Not this</dc:title></item>
        <item rdf:about="http://example.com/2"><dc:title>Dublin title</dc:title><dc:description>Dublin text.</dc:description></item>
        </rdf:RDF>"#,
    );
    assert_eq!(titles(&rdf), ["Example title", "Dublin title"]);
    assert_eq!(rdf.items[0].url.as_deref(), Some("http://example.com/1"));
    assert_eq!(rdf.items[1].paragraphs, ["Dublin text."]);
    let atom = read(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="application/octet-stream">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title><id>x</id></entry></feed>"#,
    );
    assert_eq!(titles(&atom), ["Example Atom"]);
}

/// See issue 9 (found by the conformance harness): an RSS 0.90 item with only a title was
/// dropped (feed-rs needs a link), an Atom feed of `<item>`s read as empty, `itunes:summary`
/// was ignored, naked markup in a description read as nothing, `type=""` and `&#X41;`
/// failed the whole feed, a comment quoting markup before the root lost the item's body, and
/// CDF was "no root element".
#[test]
fn r9_lenient_forms_feedparser_reads() {
    let rss090 = read(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Netscape</title></channel><item><title>Item title</title></item></rdf:RDF>"#,
    );
    assert_eq!(titles(&rss090), ["Item title"]);
    assert_eq!(rss090.items[0].url, None, "about:invalid stands in for feed-rs only");
    let atom_items = read(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><item><title>target</title></item></feed>"#,
    );
    assert_eq!(titles(&atom_items), ["target"]);
    let rss_with_atom = read(
        r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>R</title><atom:link href="https://example.org/feed" rel="self"/><item><title>Kept</title><link>https://example.org/k</link></item></channel></rss>"#,
    );
    assert_eq!(titles(&rss_with_atom), ["Kept"], "RSS declaring Atom's namespace stays RSS");
    let rss = read(
        r#"<!-- was: '<a href="x">' -->
        <rss version="2.0" xmlns:itunes="http://www.itunes.com/DTDs/Podcast-1.0.dtd"><channel><title>Pod</title>
        <item><itunes:summary>Episode summary</itunes:summary></item>
        <item><description><p>Example <b>naked</b> description</p></description></item>
        <item><body><a href="https://example.org/p">never trust your upstream platypus</a></body></item>
        </channel></rss>"#,
    );
    assert_eq!(
        titles(&rss),
        ["Episode summary", "Example naked description", "never trust your upstream platypus"]
    );
    let atom = read(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="">evil</title><id>a</id></entry><entry><title>&#X41;&#x42;</title><id>b</id></entry></feed>"#,
    );
    assert_eq!(titles(&atom), ["evil", "AB"]);
    let cdf = read(
        r#"<CHANNEL HREF="http://www.example.org/"><TITLE>Example feed</TITLE>
        <ITEM HREF="http://www.example.org/1" LASTMOD="2004-04-06T23:05:43-05:00"><TITLE>Example item</TITLE><ABSTRACT>Example description.</ABSTRACT></ITEM></CHANNEL>"#,
    );
    assert_eq!(cdf.title.as_deref(), Some("Example feed"));
    assert_eq!(titles(&cdf), ["Example item"]);
    assert_eq!(cdf.items[0].url.as_deref(), Some("http://www.example.org/1"));
    assert_eq!(cdf.items[0].paragraphs, ["Example description."]);
    // 2004-04-06T23:05:43-05:00
    assert_eq!(cdf.items[0].published.unwrap().timestamp(), 1_081_310_743);
}

/// See issue 9 (found by the conformance harness): EBCDIC feeds were "no root element", the
/// Mac and KOI8-T code pages read as Windows-1252, `&zwj;` became a space, the drafts of Atom
/// (Echo, Pie) and a channel's dc:title gave no feed title.
#[test]
fn r9_code_pages_joiners_atom_drafts_and_channel_dc_title() {
    // `<?xml version="1.0" encoding="ebcdic-cp-be"?><rss version="2.0"><channel><title>` …
    // in EBCDIC 500, with "Ø" as 0x80.
    let ascii_to_ebcdic = |text: &str| -> Vec<u8> {
        let cp500 = ebcdic_500();
        text.chars().map(|c| cp500.iter().position(|&u| u == c).unwrap() as u8).collect()
    };
    let mut ebcdic = ascii_to_ebcdic(
        "<?xml version=\"1.0\" encoding=\"ebcdic-cp-be\"?><rss version=\"2.0\"><channel><title>",
    );
    ebcdic.push(0x80);
    ebcdic.extend(ascii_to_ebcdic(
        "</title><item><title>A</title><link>http://a.org/</link></item></channel></rss>",
    ));
    let feed = read_bytes(&ebcdic);
    assert_eq!(feed.title.as_deref(), Some("Ø"));
    assert_eq!(titles(&feed), ["A"]);

    for (label, byte, expected) in [
        ("macgreek", 0x80, "Ä"),
        ("koi8-t", 0x80, "қ"),
        ("cp1125", 0x80, "А"),
        ("cp856", 0x80, "א"),
    ] {
        let mut bytes = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>").into_bytes();
        bytes.push(byte);
        bytes.extend(b"</title></feed>");
        assert_eq!(read_bytes(&bytes).title.as_deref(), Some(expected), "{label}");
    }

    let joiners = read(
        "<rss version=\"2.0\"><channel><title>testing &#8205; entity</title><item><title>\u{645}\u{6cc}&#8204;\u{62e}\u{648}\u{627}\u{647}\u{645}</title><link>http://a.org/</link></item></channel></rss>",
    );
    assert_eq!(joiners.title.as_deref(), Some("testing \u{200d} entity"));
    assert_eq!(titles(&joiners), ["\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}"]);

    for namespace in ["http://purl.org/echo/", "http://purl.org/pie/", "http://example.com/necho"] {
        let draft = read(&format!(
            "<feed version=\"0.3\" xmlns=\"{namespace}\"><title>Example Atom</title><entry><title>E</title><link rel=\"alternate\" href=\"http://a.org/e\"/></entry></feed>"
        ));
        assert_eq!(draft.title.as_deref(), Some("Example Atom"), "{namespace}");
        assert_eq!(titles(&draft), ["E"], "{namespace}");
    }

    let dc = read(
        r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><dc:title>Example title</dc:title><item><dc:title>Item</dc:title><link>http://a.org/</link></item></channel></rss>"#,
    );
    assert_eq!(dc.title.as_deref(), Some("Example title"));
    assert_eq!(titles(&dc), ["Item"]);
}

/// See issue 9 (found by the conformance harness): an RSS item linked Atom's way
/// (`<link href=…/>`) had no link, and an id that is a path on the feed's site was not its
/// permalink; ids that lead nowhere (`1`, `tag:`) stay ids.
#[test]
fn r9_href_links_in_rss_and_path_ids_as_permalinks() {
    let podcast = read(
        r#"<rss version="2.0"><channel><title>Podcast</title>
        <item><title>Fiat Lux</title><link href="http://podlove.org/podcast/1"/><link rel="enclosure" type="audio/mpeg" href="http://podlove.org/files/fiatlux.mp3"/></item>
        <item><title>Enclosure only</title><link rel="enclosure" href="http://podlove.org/files/2.mp3"/></item>
        </channel></rss>"#,
    );
    assert_eq!(podcast.items[0].url.as_deref(), Some("http://podlove.org/podcast/1"));
    assert_eq!(podcast.items[1].url, None, "an enclosure is no link to the story");

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let _guard = runtime.enter();
    let server = runtime.block_on(wiremock::MockServer::start());
    let mock = wiremock::Mock::given(wiremock::matchers::path("/feeds/atom.xml")).respond_with(
        wiremock::ResponseTemplate::new(200).set_body_raw(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>
            <entry><title>Path id</title><id>/relative/link</id></entry>
            <entry><title>Number id</title><id>1</id></entry>
            <entry><title>Tag id</title><id>tag:example.org,2024:1</id></entry>
            </feed>"#,
            "application/atom+xml",
        ),
    );
    runtime.block_on(mock.mount(&server));
    let url = format!("{}/feeds/atom.xml", server.uri());
    let feed = runtime.block_on(feed(&Config::defaults(), &url)).unwrap();
    let urls: Vec<Option<&str>> = feed.items.iter().map(|item| item.url.as_deref()).collect();
    let path_link = format!("{}/relative/link", server.uri());
    assert_eq!(urls, [Some(path_link.as_str()), None, None]);
}

/// EBCDIC 500's character for each byte, built from the printable ASCII it shares with
/// EBCDIC 037, as IBM's table gives it (a copy here, so the test does not trust the code
/// under test for its input).
fn ebcdic_500() -> Vec<char> {
    let mut table = vec!['\u{0}'; 256];
    let rows: [(u8, &str); 8] = [
        (0x40, " "),
        (0x4B, ".<(+!&"),
        (0x5B, "$*);^-/"),
        (0x6B, ",%_>?"),
        (0x7A, ":#@'=\""),
        (0x81, "abcdefghi"),
        (0x91, "jklmnopqr"),
        (0xA2, "stuvwxyz"),
    ];
    for (start, chars) in rows {
        for (offset, ch) in chars.chars().enumerate() {
            table[start as usize + offset] = ch;
        }
    }
    for (start, chars) in
        [(0xC1u8, "ABCDEFGHI"), (0xD1, "JKLMNOPQR"), (0xE2, "STUVWXYZ"), (0xF0, "0123456789")]
    {
        for (offset, ch) in chars.chars().enumerate() {
            table[start as usize + offset] = ch;
        }
    }
    table
}

/// See issue 9: `articles` listed a feed's items by their keys, not in feed order.
#[tokio::test(flavor = "multi_thread")]
async fn r9_items_are_offered_in_feed_order() {
    let dir = tempfile::tempdir().unwrap();
    let items: String = ["zebra", "apple", "mango"]
        .iter()
        .map(|name| {
            format!(
                "<item><title>Storm {name}</title><guid>{name}</guid><link>https://example.org/{name}</link>\
                 <pubDate>Thu, 26 Nov 2026 05:00:00 GMT</pubDate><description>Text.</description></item>"
            )
        })
        .collect();
    std::fs::write(
        dir.path().join("feed.xml"),
        format!("<rss version=\"2.0\"><channel><title>Ordered</title>{items}</channel></rss>"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[[sources]]\nid = \"ordered\"\nkind = \"feed\"\nurl = \"feed.xml\"\nfetch_full = \"never\"\n",
    )
    .unwrap();
    let config = Config::load(&dir.path().join("config.toml")).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:00:00+00:00").unwrap();
    let (loaded, _) = newsdigest::app::gather::gather(
        &config,
        newsdigest::app::gather::FeedState::Read(None),
        now,
    )
    .await
    .unwrap();
    let titles: Vec<&str> =
        loaded.articles.iter().map(|item| item.article.title.as_str()).collect();
    assert_eq!(titles, ["Storm zebra", "Storm apple", "Storm mango"]);
}
