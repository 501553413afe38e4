//! assay grades take-home assignments in locked-down Docker containers.

pub mod check;
pub mod cli;
pub mod docker;
pub mod exit;
pub mod gc;
pub mod grade;
pub mod grading;
pub mod image;
pub mod intake;
pub mod junit;
pub mod metric_command;
pub mod metrics;
pub mod new;
pub mod regrade;
pub mod report;
pub mod reproducibility;
pub mod review;
pub mod round;
pub mod runner;
pub mod scoring;
pub mod spec;
pub mod submitters;
pub mod tarball;
pub mod text;
pub mod units;
pub mod validate;
