//! What the benchmarks share: a temporary installation with a generated list, running the
//! release binary in it with its peak memory, and the best time of a few runs.
#![allow(dead_code, reason = "each benchmark uses its part")]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A temporary installation: the sample articles, every topic, `n` subscribers in a CSV,
/// SMTP to `port` with `concurrency` sessions.
pub fn site(root: &Path, port: u16, n: usize, concurrency: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let articles = dir.path().join("articles");
    std::fs::create_dir_all(&articles).unwrap();
    // A fresh copy gets a fresh modification time, so the undated samples are in the window.
    for entry in std::fs::read_dir(root.join("articles")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), articles.join(entry.file_name())).unwrap();
    }
    let mut csv = String::from("email,name,topics\n");
    for i in 0..n {
        writeln!(csv, "reader{i:07}@example.org,Reader {i},").unwrap();
    }
    std::fs::write(dir.path().join("subscribers.csv"), csv).unwrap();
    let shipped = std::fs::read_to_string(root.join("config.toml")).unwrap();
    // The shipped topics, no inline subscribers, SMTP to the sink.
    let topics_start = shipped.find("[[topics]]").unwrap();
    let subscribers_start = shipped.find("# Subscribers:").unwrap();
    let config = format!(
        "subscribers_file = \"subscribers.csv\"\n\n[[sources]]\nid = \"sample\"\nkind = \"files\"\npath = \"articles\"\n\n\
         {}\n[delivery]\nmode = \"smtp\"\nfrom = \"The Morning Digest <digest@example.org>\"\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nconcurrency = {concurrency}\n",
        &shipped[topics_start..subscribers_start]
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    dir
}

/// Runs the release binary with `args` in `dir`; returns the wall time and the peak resident
/// memory (VmHWM) in KiB. Panics when it fails.
pub fn measure(dir: &Path, args: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdigest"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kib) = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "newsdigest {args:?} failed: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (started.elapsed(), peak)
}

/// Rows of the site's ledger that say `sent`.
pub fn sent_rows(dir: &Path) -> usize {
    let ledger = dir.join("digests/newsdigest.sqlite");
    newsdigest::ledger::Ledger::open_read_only(&ledger).unwrap().map_or(0, |ledger| {
        let rows = ledger.deliveries(None).unwrap();
        rows.iter().filter(|row| row.status == newsdigest::ledger::Status::Sent).count()
    })
}

/// The best time of `rounds` runs of `work`.
pub fn best_of(rounds: usize, mut work: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .min()
        .unwrap()
}
