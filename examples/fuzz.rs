//! The long fuzzing run: `cargo run --release --example fuzz -- --minutes 10 [--seed N]`.
//!
//! Runs every target in turn for its share of the time, prints the inputs tried, failures
//! and the slowest input per target, and saves each failing input under
//! `target/fuzz-failures/<target>-<n>.bin`. Exits 1 when anything failed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/fuzzing/mod.rs"]
mod fuzzing;

use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter().position(|arg| arg == flag).and_then(|at| args.get(at + 1)).cloned()
    };
    let minutes: f64 = value("--minutes").and_then(|v| v.parse().ok()).unwrap_or(1.0);
    let seed: u64 = value("--seed").and_then(|v| v.parse().ok()).unwrap_or(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let targets = fuzzing::targets(root);
    let share = Duration::from_secs_f64(minutes * 60.0 / targets.len() as f64);
    let out = root.join("target/fuzz-failures");
    let mut failed = 0;
    for (idx, target) in targets.iter().enumerate() {
        let deadline = Instant::now() + share;
        let summary =
            fuzzing::run(std::slice::from_ref(target), seed + idx as u64, u64::MAX, Some(deadline));
        let (_, tried) = summary.tried[0];
        let (_, slowest, bytes) = summary.slowest[0];
        println!(
            "{:<16} {tried:>9} inputs, {} failures, slowest {:.3}s ({bytes} bytes)",
            target.name,
            summary.failures.len(),
            slowest
        );
        for (n, failure) in summary.failures.iter().enumerate() {
            std::fs::create_dir_all(&out).unwrap();
            let path = out.join(format!("{}-{n}.bin", failure.target));
            std::fs::write(&path, &failure.input).unwrap();
            println!("  {}: {}", path.display(), failure.reason);
            failed += 1;
        }
    }
    std::process::exit(i32::from(failed > 0));
}
