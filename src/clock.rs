//! The clock: the only place that reads the wall-clock time.
//!
//! Everything else receives "now" as an argument, so tests and replays (`--now`) are
//! deterministic. `clippy.toml` forbids `now()` calls elsewhere.

use chrono::{DateTime, FixedOffset};

/// A source of the current time.
pub trait Clock {
    /// The current time, with the offset used to name the day of an edition.
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The system clock in the machine's local time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods, reason = "this is the one place that reads the clock")]
    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }
}

/// A clock pinned to one instant (tests, `--now`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}
