//! `assay review init|merge`: a blank rubric sheet for one reviewer, and filled-in sheets
//! merged into the report.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::exit::{Exit, input_error, input_error_from};
use crate::grade::review;
use crate::store::ReportDir;

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Write a blank rubric sheet for one reviewer beside the report.
    Init {
        report: PathBuf,
        #[arg(long)]
        reviewer: String,
        /// Where to write the sheet (default: review-REVIEWER.toml beside the report).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Merge filled-in sheets into the report (JSON, HTML, Markdown, feedback).
    Merge {
        report: PathBuf,
        #[arg(required = true)]
        sheets: Vec<PathBuf>,
    },
}

pub fn run(command: ReviewCommand) -> anyhow::Result<Exit> {
    match command {
        ReviewCommand::Init { report, reviewer, out } => init(&report, &reviewer, out),
        ReviewCommand::Merge { report, sheets } => merge(&report, &sheets),
    }
}

/// `assay review init`.
pub fn init(report_path: &Path, reviewer: &str, out: Option<PathBuf>) -> anyhow::Result<Exit> {
    let report = crate::store::read_report(report_path).map_err(input_error_from)?;
    if report.rubric.is_empty() {
        return Err(input_error(format!(
            "the assignment {} has no [[rubric]] criteria",
            report.assignment.id
        )));
    }
    let safe: String = reviewer
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let path = out.unwrap_or_else(|| report_path.with_file_name(format!("review-{safe}.toml")));
    if path.exists() {
        return Err(input_error(format!(
            "{} exists already; a sheet is never overwritten",
            path.display()
        )));
    }
    std::fs::write(&path, review::blank_sheet(&report, reviewer))?;
    println!("{}", path.display());
    Ok(Exit::Success)
}

/// `assay review merge`: writes the review into the report and renders it again.
pub fn merge(report_path: &Path, sheet_paths: &[PathBuf]) -> anyhow::Result<Exit> {
    let mut report = crate::store::read_report(report_path).map_err(input_error_from)?;
    let mut sheets = Vec::new();
    for path in sheet_paths {
        let text =
            std::fs::read_to_string(path).map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
        let sheet: review::Sheet =
            toml::from_str(&text).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
        sheets.push((path.clone(), sheet));
    }
    let review = review::merge(&report, &sheets).map_err(input_error)?;
    println!(
        "final grade {:.2}/{:.2} (objective {:.2}/{:.2}, rubric {:.2}/{:.2}) from {} reviewer(s)",
        review.final_score.total,
        review.final_score.max,
        report.score.map(|s| s.total).unwrap_or(0.0),
        report.score.map(|s| s.max).unwrap_or(0.0),
        review.rubric_points,
        review.rubric_max,
        review.reviewers.len()
    );
    for criterion in review.criteria.iter().filter(|c| c.disagreement) {
        let levels: Vec<String> = criterion
            .ratings
            .iter()
            .map(|r| format!("{} {}", r.reviewer, r.level))
            .collect();
        println!(
            "  reviewers disagree on {:?}: {}",
            criterion.criterion,
            levels.join(", ")
        );
    }
    if let Some(alpha) = review.alpha {
        println!("  Krippendorff's alpha over the criteria: {alpha:.3}");
    }
    if let Some(earlier) = &report.review {
        println!(
            "  replaces the review merged earlier from {} ({:.2}/{:.2})",
            earlier
                .reviewers
                .iter()
                .map(|r| crate::text::terminal_safe(r))
                .collect::<Vec<_>>()
                .join(", "),
            earlier.final_score.total,
            earlier.final_score.max
        );
    }
    report.review = Some(review);
    ReportDir::holding(report_path).write_report(&report)?;
    Ok(Exit::Success)
}
