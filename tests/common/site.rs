//! A newsdigest installation in a temporary folder for the delivery tests: dated Markdown
//! articles on four topics, a config pointing at a test SMTP server, and helpers to run the
//! library or the binary against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

/// The time every test pretends it is.
pub const NOW: &str = "2026-11-26T07:00:00+01:00";

/// `NOW` parsed.
pub fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(NOW).unwrap()
}

/// One article: file stem, title, topic and published time.
pub struct Story {
    pub stem: &'static str,
    pub lead: &'static str,
    pub title: &'static str,
    pub topic: &'static str,
    pub published: &'static str,
}

/// The stories every site has, on four topics, all within 24 hours of `NOW`.
pub const STORIES: [Story; 6] = [
    Story {
        stem: "glaciers",
        lead: "Survey teams measured the ice on forty glaciers this autumn and found them thinner than ever. Meltwater lakes have doubled in number since the last count. Guides say some routes are no longer safe.",
        title: "Alpine glaciers shrink again",
        topic: "climate",
        published: "2026-11-26T05:00:00Z",
    },
    Story {
        stem: "floods",
        lead: "Barges sat idle on the river after heavy rain pushed water over the quays. Port officials expect the closure to last until the weekend. Farmers upstream are counting lost harvests.",
        title: "Floods close river ports",
        topic: "climate",
        published: "2026-11-26T04:00:00Z",
    },
    Story {
        stem: "chips",
        lead: "A coffee company known for its pastries has hired forty engineers to design processors. Its founder says custom silicon will run the ordering system. Analysts called the move unusual but bold.",
        title: "Zürich café chain bets on chip design",
        topic: "technology",
        published: "2026-11-26T05:30:00Z",
    },
    Story {
        stem: "ransomware",
        lead: "Container terminals stopped loading ships after attackers encrypted the scheduling servers. The operator refused to pay and restored systems from backups. Queues of lorries stretched for miles.",
        title: "Ransomware hits a port operator",
        topic: "technology",
        published: "2026-11-25T20:00:00Z",
    },
    Story {
        stem: "vaccine",
        lead: "Volunteers in three cities received the first doses of an experimental shot against a common virus. Researchers will follow them for two years. Early safety data are due in the spring.",
        title: "New vaccine enters trials",
        topic: "health",
        published: "2026-11-26T01:00:00Z",
    },
    Story {
        stem: "rates",
        lead: "Policy makers left borrowing costs unchanged and signalled patience on future moves. Mortgage lenders had already priced in the pause. Markets barely moved after the announcement.",
        title: "Central bank holds rates\r\nBcc: evil@example.com",
        topic: "economy",
        published: "2026-11-26T02:00:00Z",
    },
];

/// A subscriber: address, name, topics.
#[derive(Clone, Debug)]
pub struct Reader {
    pub email: String,
    pub name: String,
    pub topics: Vec<&'static str>,
}

impl Reader {
    pub fn new(email: &str, name: &str, topics: &[&'static str]) -> Reader {
        Reader { email: email.to_owned(), name: name.to_owned(), topics: topics.to_vec() }
    }
}

/// `n` readers cycling through four topic sets.
pub fn readers(n: usize) -> Vec<Reader> {
    let sets: [&[&'static str]; 4] =
        [&["climate"], &["technology", "health"], &[], &["economy", "climate"]];
    (0..n)
        .map(|i| {
            Reader::new(&format!("reader{i:03}@example.org"), &format!("Reader {i}"), sets[i % 4])
        })
        .collect()
}

/// A temporary installation.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// Writes the articles and a config sending to `port` (extra TOML lines go into
    /// `[delivery]` and `[smtp]`).
    pub fn new(port: u16, readers: &[Reader], delivery: &str, smtp: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let articles = dir.path().join("articles");
        std::fs::create_dir_all(&articles).unwrap();
        for story in &STORIES {
            let title = story.title.replace('\r', "\\r").replace('\n', "\\n");
            let body = format!(
                "+++\ntitle = \"{title}\"\ndate = {}\nurl = \"https://news.example.com/{}\"\n\
                 source = \"Example News\"\ntopics = [\"{}\"]\n+++\n\n\
                 {}\n\n\
                 A later paragraph carries more of the story.\n",
                story.published, story.stem, story.topic, story.lead
            );
            std::fs::write(articles.join(format!("{}.md", story.stem)), body).unwrap();
        }
        let mut config = String::from(
            "[digest]\ntitle = \"The Morning Digest\"\n\n[select]\nwindow = \"24h\"\n\n\
             [[sources]]\nid = \"example\"\nkind = \"files\"\npath = \"articles\"\n\n",
        );
        for topic in ["climate", "technology", "health", "economy"] {
            writeln!(config, "[[topics]]\nid = \"{topic}\"\nkeywords = [\"{topic}\"]\n").unwrap();
        }
        for reader in readers {
            let topics: Vec<String> = reader.topics.iter().map(|t| format!("\"{t}\"")).collect();
            writeln!(
                config,
                "[[subscribers]]\nemail = \"{}\"\nname = \"{}\"\ntopics = [{}]\n",
                reader.email,
                reader.name,
                topics.join(", ")
            )
            .unwrap();
        }
        writeln!(
            config,
            "[delivery]\nmode = \"smtp\"\nfrom = \"The Morning Digest <digest@example.org>\"\n\
             reply_to = \"Editor <editor@example.org>\"\nlist_id = \"morning.example.org\"\n{delivery}\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {port}\n{smtp}"
        )
        .unwrap();
        // Short defaults for tests, unless the test set its own.
        for (key, value) in
            [("tls", "\"none\""), ("timeout", "\"2s\""), ("retry_delay", "\"20ms\"")]
        {
            if !smtp.lines().any(|line| line.starts_with(&format!("{key} ="))) {
                writeln!(config, "{key} = {value}").unwrap();
            }
        }
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Site { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn config(&self) -> newsdigest::config::Config {
        newsdigest::config::Config::load(&self.config_path()).unwrap()
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.path().join("digests/newsdigest.sqlite")
    }

    /// Runs `newsdigest run` in-process at `NOW`.
    pub fn run(&self) -> anyhow::Result<newsdigest::app::run::RunReport> {
        self.run_at(now(), false)
    }

    /// Runs `newsdigest run` in-process at `at`.
    pub fn run_at(
        &self,
        at: DateTime<FixedOffset>,
        dry_run: bool,
    ) -> anyhow::Result<newsdigest::app::run::RunReport> {
        let config = self.config();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime.block_on(newsdigest::app::run::run(
            &config,
            &newsdigest::clock::FixedClock(at),
            newsdigest::app::run::RunOptions { dry_run, new_ledger: false, shard: None },
            &mut (),
        ))
    }

    /// Runs the binary with `--config` and `--now NOW` in the site's folder.
    pub fn binary(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        self.command(args, env).output().unwrap()
    }

    /// The binary's command, not started.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_newsdigest"));
        command
            .args(["--config", "config.toml", "--now", NOW])
            .args(args)
            .current_dir(self.path())
            .env_remove("RUST_LOG");
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Rows of the ledger.
    pub fn deliveries(&self) -> Vec<newsdigest::ledger::Delivery> {
        newsdigest::ledger::Ledger::open(&self.state_file()).unwrap().deliveries(None).unwrap()
    }
}
