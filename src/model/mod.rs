//! The report.json contract: what a grade says, read by people, other tools and the renderers.
//! It depends on nothing above it; adding a report field touches this folder, the schema and
//! the renderers that show it.

mod phase;
mod report;
mod reproducibility;
mod review;

pub use phase::{PhaseOutcome, PhaseVerdict};
pub use report::*;
pub use reproducibility::{Assessment, Difference, ReproducibilityStatus, SeedSpread};
pub use review::{CriterionReview, Rating, Review};

/// The JSON Schema every report.json follows.
pub const SCHEMA: &str = include_str!("report.schema.json");

/// RFC 3339 time, to the second, for provenance.
pub fn timestamp(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
