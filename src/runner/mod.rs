//! Running a submission's phases in hardened containers and telling sinks what happens.

mod capture;
mod docker_phase;
mod events;
mod exec;
mod phase;
mod pipeline;
mod process_phase;
mod sandbox;
mod transfer;
mod verdict;
mod warm;
mod workspace_gate;

pub use events::{Event, Fanout, RunInfo, RunKind, Sink, Stream};
pub use pipeline::{Backend, DEFAULT_SEED, Prepared, RunRecord, ScorerRun, new_run_id, run_submission};
pub use warm::WarmPool;
