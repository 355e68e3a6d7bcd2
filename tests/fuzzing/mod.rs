//! A mutation fuzzer for every parser of untrusted input, on the stable toolchain.
//!
//! cargo-fuzz needs a nightly compiler, which these machines cannot install; this engine
//! needs nothing. Each target starts from real inputs (the test fixtures and the sample
//! corpus), mutates them with a seeded xorshift generator (byte flips, insertions, deletions,
//! repeated slices, splices of other seeds, a dictionary of markup and syntax tokens, deep
//! nesting, long runs) and feeds the result to the parser. An input fails when the parser
//! panics or takes longer than a bound proportional to its size. `cargo test` runs a short,
//! deterministic pass (`tests/fuzz.rs`); `cargo run --release --example fuzz -- --minutes N`
//! runs the long one and saves failing inputs under `target/fuzz-failures/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use newsdigest::config::{Config, FeedLocation, FeedSource, FetchFull, SummaryConfig};
use newsdigest::model::RawArticle;

/// One parser entry point and the inputs it starts from.
pub struct Target {
    /// Its name in reports.
    pub name: &'static str,
    /// Seed inputs.
    pub seeds: Vec<Vec<u8>>,
    /// Runs the parser on one input (panics are caught by the engine).
    pub run: fn(&[u8], &Path),
}

/// A failing input.
#[derive(Debug)]
pub struct Failure {
    /// The target.
    pub target: &'static str,
    /// Panic or too slow, in words.
    pub reason: String,
    /// The input.
    pub input: Vec<u8>,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Inputs tried, per target.
    pub tried: Vec<(&'static str, u64)>,
    /// Inputs that panicked or were too slow.
    pub failures: Vec<Failure>,
    /// The slowest input per target: seconds and bytes.
    pub slowest: Vec<(&'static str, f64, usize)>,
}

/// The time an input of `len` bytes may take: generous, since it guards against quadratic
/// blow-ups (minutes) rather than measuring speed; ten times more in a debug build.
pub fn time_bound(len: usize) -> Duration {
    let scale = if cfg!(debug_assertions) { 10 } else { 1 };
    (Duration::from_millis(250) + Duration::from_micros(5) * len as u32) * scale
}

/// The seeded generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (never zero inside).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// Tokens that parsers of markup, feeds, TOML and CSV treat specially.
const DICTIONARY: &[&str] = &[
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<script>",
    "</script>",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<item>",
    "</item>",
    "<entry>",
    "</entry>",
    "<title>",
    "</title>",
    "<link>",
    "</link>",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&lt;",
    "\"",
    "'",
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\\",
    "\\u0000",
    "+++",
    "---",
    "\n\n",
    "\r\n",
    "\t",
    ",",
    ";",
    "\"\"",
    "javascript:",
    "http://",
    "file:///",
    "\u{FFFD}",
    "\u{202E}",
    "\u{200B}",
    "Ž",
    "日本語",
    "0x",
    "1e999",
    "-1",
    "9999999999999999999999",
    "<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    "<!DOCTYPE x [",
    "<!ENTITY a \"aaaaaaaaaa\">",
    "&a;",
    "# ",
    "> ",
    "- ",
    "* ",
    "```",
    "<svg>",
    "<math>",
    "<table>",
    "<td>",
    "<li>",
    "<br/>",
    "<img src=x>",
    "{\"items\":[",
    "]}",
    "<opml>",
    "<outline xmlUrl=\"https://e.org/f\" text=\"x\">",
    "</outline>",
    "email,name,topics\n",
];

/// One mutation of `input`, using `others` for splices.
pub fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = out.len();
        let at = rng.below(len + 1);
        match rng.below(10) {
            0 if len > 0 => {
                let idx = rng.below(len);
                out[idx] ^= 1 << rng.below(8);
            }
            1 => {
                let byte = (rng.next() & 0xff) as u8;
                out.insert(at, byte);
            }
            2 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                out.drain(at.min(end)..end);
            }
            3 if len > 0 => {
                // A slice repeated: long runs, repeated items, long lines.
                let start = rng.below(len);
                let end = (start + 1 + rng.below(32)).min(len);
                let slice = out[start..end].to_vec();
                let times = 1 + rng.below(200);
                let insert: Vec<u8> =
                    slice.iter().copied().cycle().take(slice.len() * times).collect();
                out.splice(at..at, insert);
            }
            4 if !others.is_empty() => {
                let other = &others[rng.below(others.len())];
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let end = (start + 1 + rng.below(512)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            5 => {
                // Deep nesting of one element.
                let tag =
                    ["div", "span", "b", "table", "ul", "blockquote", "item", "x"][rng.below(8)];
                let depth = 1 + rng.below(3000);
                let open = format!("<{tag}>").repeat(depth);
                let close = if rng.below(2) == 0 {
                    format!("</{tag}>").repeat(depth)
                } else {
                    String::new()
                };
                out.splice(at..at, format!("{open}text{close}").into_bytes());
            }
            6 => {
                let depth = 1 + rng.below(2000);
                let nest = ["> ", "- ", "[", "{\"a\":", "  "][rng.below(5)].repeat(depth);
                out.splice(at..at, nest.into_bytes());
            }
            7 if len > 0 => {
                let end = (at + rng.below(16)).min(len);
                out.truncate(end.max(at.min(len)));
            }
            _ => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                out.splice(at..at, token.bytes());
            }
        }
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn article(name: &str, bytes: &[u8]) {
    let html = name.ends_with(".html");
    let (text, lossy) = newsdigest::ingest::files::decode(bytes, html);
    let raw = RawArticle {
        path: PathBuf::from(name),
        source_id: "fuzz".to_owned(),
        text,
        lossy,
        modified: None,
        source_name: None,
        feed: None,
    };
    if let Ok(article) = newsdigest::extract::clean(raw) {
        let config = SummaryConfig { max_sentences: 3, max_words: Some(60) };
        let _ = newsdigest::summarize::lead(&article, &config, "en");
    }
}

fn feed_source() -> FeedSource {
    FeedSource {
        id: "fuzz".to_owned(),
        location: FeedLocation::Url("https://feeds.example.org/fuzz.xml".to_owned()),
        name: None,
        fetch_full: FetchFull::Never,
        tags: Vec::new(),
    }
}

fn feed(bytes: &[u8]) {
    let (text, _) = newsdigest::ingest::fetch::decode(bytes, None);
    if let Ok(parsed) =
        newsdigest::ingest::feed::parse(&text, Some("https://feeds.example.org/"), &feed_source())
    {
        for entry in parsed.entries {
            let _ = newsdigest::extract::clean(RawArticle::feed_item(entry, "fuzz", "", None));
        }
    }
}

fn config(bytes: &[u8], dir: &Path) {
    let _ = Config::parse(&text(bytes), dir);
}

fn subscribers_csv(bytes: &[u8], dir: &Path) {
    std::fs::write(dir.join("subs.csv"), bytes).unwrap();
    let _ = Config::parse(
        "subscribers_file = \"subs.csv\"\n[[topics]]\nid = \"climate\"\nkeywords = [\"storm\"]\n\
         [[topics]]\nid = \"technology\"\nkeywords = [\"chip\"]\n",
        dir,
    );
}

fn bounce(bytes: &[u8]) {
    let bounce = newsdigest::bounce::classify(bytes);
    let _ = serde_json::to_string(&bounce);
}

fn opml(bytes: &[u8]) {
    if let Ok(feeds) = newsdigest::opml::parse(&text(bytes)) {
        let _ = newsdigest::opml::to_toml(&feeds, &Default::default());
    }
}

fn files_in(dir: &Path, extensions: &[&str]) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| extensions.contains(&ext))
        })
        .filter_map(|path| std::fs::read(path).ok())
        .collect()
}

/// Every target with its seeds, from the repository at `root`.
pub fn targets(root: &Path) -> Vec<Target> {
    let fixtures = root.join("tests/fixtures");
    let corpus = root.join("articles");
    let mut dumps = files_in(&fixtures.join("dumps"), &["txt"]);
    dumps.extend(files_in(&corpus, &["txt"]));
    let mut markdown = files_in(&fixtures.join("markdown"), &["md"]);
    markdown.extend(files_in(&corpus, &["md"]));
    let mut pages = files_in(&fixtures.join("pages"), &["html"]);
    pages.extend(files_in(&corpus, &["html"]));
    let feeds = files_in(&fixtures.join("feeds"), &["xml", "rdf", "json"]);
    let mut configs = files_in(&fixtures.join("configs"), &["toml"]);
    configs.extend(std::fs::read(root.join("config.toml")));
    let outlines = files_in(&fixtures.join("feeds"), &["opml"]);
    let bounces = files_in(&fixtures.join("bounces"), &["eml"]);
    let csv = vec![
        b"email,name,topics\nana@example.org,Ana,climate;technology\nben@example.org,,\n".to_vec(),
        b"email\n\"q\"\"x\"@example.org\nx@[127.0.0.1]\n".to_vec(),
    ];
    vec![
        Target { name: "config", seeds: configs, run: config },
        Target { name: "subscribers-csv", seeds: csv, run: subscribers_csv },
        Target { name: "text-dump", seeds: dumps, run: |bytes, _| article("fuzz.txt", bytes) },
        Target { name: "markdown", seeds: markdown, run: |bytes, _| article("fuzz.md", bytes) },
        Target { name: "html", seeds: pages, run: |bytes, _| article("fuzz.html", bytes) },
        Target { name: "feed", seeds: feeds, run: |bytes, _| feed(bytes) },
        Target { name: "opml", seeds: outlines, run: |bytes, _| opml(bytes) },
        Target { name: "bounce", seeds: bounces, run: |bytes, _| bounce(bytes) },
    ]
}

/// Runs `iterations` inputs of each target (or until `deadline`), starting from `seed`.
pub fn run(targets: &[Target], seed: u64, iterations: u64, deadline: Option<Instant>) -> Summary {
    let scratch = tempfile::tempdir().unwrap();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut summary = Summary::default();
    let mut rng = Rng::new(seed);
    'targets: for target in targets {
        let mut tried = 0;
        let mut slowest = (0.0, 0);
        let mut pool: Vec<Vec<u8>> = target.seeds.clone();
        while tried < iterations {
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                summary.tried.push((target.name, tried));
                summary.slowest.push((target.name, slowest.0, slowest.1));
                break 'targets;
            }
            let base = &pool[rng.below(pool.len())];
            let input = if tried < target.seeds.len() as u64 {
                target.seeds[tried as usize].clone()
            } else {
                mutate(&mut rng, base, &target.seeds)
            };
            tried += 1;
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| (target.run)(&input, scratch.path())));
            let took = started.elapsed();
            if took.as_secs_f64() > slowest.0 {
                slowest = (took.as_secs_f64(), input.len());
            }
            let reason = match outcome {
                Err(payload) => Some(format!("panicked: {}", panic_message(&payload))),
                Ok(()) if took > time_bound(input.len()) => Some(format!(
                    "took {took:?} for {} bytes (bound {:?})",
                    input.len(),
                    time_bound(input.len())
                )),
                Ok(()) => None,
            };
            match reason {
                Some(reason) => {
                    summary.failures.push(Failure { target: target.name, reason, input })
                }
                // Keep some mutants as new bases, so mutations compound; the pool stays small.
                None if pool.len() < 64 && input.len() < 1 << 20 && rng.below(4) == 0 => {
                    pool.push(input)
                }
                None => {}
            }
        }
        summary.tried.push((target.name, tried));
        summary.slowest.push((target.name, slowest.0, slowest.1));
    }
    std::panic::set_hook(previous_hook);
    summary
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
