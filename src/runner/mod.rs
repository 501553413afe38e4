//! Running a submission's phases in hardened containers and telling sinks what happens.

mod capture;
mod docker_phase;
mod events;
mod exec;
mod outcome;
mod pipeline;
mod process_phase;
mod sandbox;
mod transfer;
mod verdict;

pub use docker_phase::remove as remove_container;
pub use events::{Event, Fanout, Sink, Stream};
pub use outcome::{PhaseOutcome, PhaseVerdict};
pub use pipeline::{Backend, DEFAULT_SEED, RunRecord, ScorerRun, run_submission};
