//! A list of a hundred thousand and of a million: `cargo bench --bench scale [-- N…]`
//! (default 100000 1000000).
//!
//! For each N it generates a CSV of N subscribers and runs the release binary in a temporary
//! installation, sending to a counting SMTP sink on 127.0.0.1 with 8 sessions: `run` (every
//! message), `run` again (sends nothing), `status` (over N ledger rows) and `retry`
//! (nothing pending), and prints the wall time and the peak resident memory (VmHWM) of each.
//! Peak memory that stays the same from N to 10 N is memory that does not grow with the list.
//! First, the README's main job: `run` on the shipped sample, against the binary starting and
//! doing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/smtp.rs"]
mod smtp;
mod support;

use std::path::Path;

const CONCURRENCY: usize = 8;

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000, 1_000_000] } else { sizes };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sink = smtp::SmtpServer::counting_sink(0);
    sample(root);
    println!("newsdigest at scale: time and peak memory of each command");
    for n in sizes {
        let site = support::site(root, sink.port, n, CONCURRENCY);
        let before = sink.count();
        let run = support::measure(site.path(), &["run"]);
        assert_eq!(sink.count() - before, n, "every subscriber got one message");
        assert_eq!(support::sent_rows(site.path()), n);
        let rerun = support::measure(site.path(), &["run"]);
        assert_eq!(sink.count() - before, n, "a second run sends nothing");
        let status = support::measure(site.path(), &["status"]);
        let retry = support::measure(site.path(), &["retry"]);
        for (command, (elapsed, peak)) in
            [("run", run), ("run again", rerun), ("status", status), ("retry", retry)]
        {
            println!(
                "  {n:>9} subscribers, {command:<9}: {:>8.2} s  {:>7.0} msg/s  peak RSS {:>7.1} MiB",
                elapsed.as_secs_f64(),
                if command == "run" { n as f64 / elapsed.as_secs_f64() } else { 0.0 },
                peak as f64 / 1024.0
            );
        }
    }
}

/// The README's first command: `run` on the shipped sample (`config.toml`, the articles, the
/// outbox), best of five, beside the binary doing nothing (`--version`) as the baseline.
fn sample(root: &Path) {
    // Timed to the exit (`measure` polls for memory every 10 ms, too coarse here).
    let best = |dir: &Path, args: &[&str], fresh: bool| {
        (0..5)
            .map(|_| {
                if fresh {
                    let _ = std::fs::remove_dir_all(dir.join("digests"));
                }
                let started = std::time::Instant::now();
                let status = std::process::Command::new(env!("CARGO_BIN_EXE_newsdigest"))
                    .args(args)
                    .current_dir(dir)
                    .env_remove("RUST_LOG")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success(), "newsdigest {args:?}: {status}");
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("config.toml"), dir.path().join("config.toml")).unwrap();
    // The sample's two sources: the articles folder and the local feed.
    for folder in ["articles", "feeds"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(folder).join(entry.file_name())).unwrap();
        }
    }
    let run = best(dir.path(), &["run"], true);
    let nothing = best(dir.path(), &["--version"], false);
    println!(
        "the shipped sample: run {:.0} ms, the binary doing nothing (--version) {:.1} ms",
        run.as_secs_f64() * 1e3,
        nothing.as_secs_f64() * 1e3
    );
}
