//! A list of a hundred thousand and of a million: `cargo bench --bench scale [-- N…]`
//! (default 100000 1000000).
//!
//! For each N it generates a CSV of N subscribers and runs the release binary in a temporary
//! installation, sending to a counting SMTP sink on 127.0.0.1 with 8 sessions: `run` (every
//! message), `run` again (sends nothing), `status` (over N ledger rows) and `retry`
//! (nothing pending), and prints the wall time and the peak resident memory (VmHWM) of each.
//! Peak memory that stays the same from N to 10 N is memory that does not grow with the list.
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
