//! assay grades take-home assignments in locked-down Docker containers. ARCHITECTURE.md draws
//! the flow; the folders, from the top down: `cli` (commands), `grade` and `check` (one
//! submission, an assignment's solutions), `store`, `live`, `runner`, `report`, `model`, then
//! `spec`, `intake`, `metrics`, `image` and the leaves.

pub mod check;
pub mod cli;
pub mod docker;
pub mod exit;
pub mod gc;
pub mod grade;
pub mod image;
pub mod intake;
pub mod live;
pub mod metrics;
pub mod model;
pub mod notebook;
pub mod path_error;
pub mod report;
pub mod round;
pub mod runner;
pub mod service;
pub mod sha256;
pub mod similarity;
pub mod spec;
pub mod store;
pub mod tarball;
pub mod temp_dirs;
pub mod text;
pub mod units;
