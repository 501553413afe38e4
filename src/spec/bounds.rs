//! The bounds of every number a spec sets: below them the engine refuses a container, above
//! them a deadline or a buffer could overflow. `assay validate` refuses a value outside them.

use std::time::Duration;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// The engine refuses a memory limit under 6 MiB.
pub const MEMORY: (u64, u64) = (6 * MIB, 1024 * GIB);
/// The engine's smallest CPU share is 0.01.
pub const MIN_CPUS: f64 = 0.01;
pub const MAX_CPUS: f64 = 1024.0;
pub const MAX_PIDS: i64 = 4_194_304;
/// A phase's stdout plus stderr.
pub const OUTPUT: (u64, u64) = (1024, GIB);
/// Writable areas, the largest file and the unpacked submission.
pub const AREA: (u64, u64) = (MIB, 64 * GIB);
pub const MAX_OPEN_FILES: i64 = 1_048_576;
/// Every timeout.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
pub const MAX_ENTRIES: i64 = 10_000_000;
pub const MAX_DEPTH: i64 = 1024;
pub const MAX_TESTS: i64 = 1_000_000;
/// Runs and seed runs of one submission.
pub const MAX_RUNS: i64 = 100;
