//! The summary of a hiring round kept in OUT: `summary.csv` and `index.html` over every report
//! in it, rewritten whole under a lock whenever a round's grading ends.

use std::path::Path;
use std::rc::Rc;

use crate::path_error::AtPath;

use super::{Lock, ReportDir, StoreError, write_atomically};
use crate::model::Report;
use crate::report::round::{RoundExtras, Row};
use crate::round::conditions::Conditions;
use crate::round::discrimination::Item;
use crate::similarity::{Comparison, Settings};
use crate::spec::Spec;

/// Held while the round's summary is rewritten.
const ROUND_LOCK: &str = ".round.lock";

/// What a round's summary holds, and what it left out.
pub struct Round {
    pub rows: Vec<Row>,
    /// Each report.json left out, and why, for the command to say.
    pub left_out: Vec<String>,
}

/// Every report.json one level below `out`, once per name its files came under, by name.
/// A report that is not assay's (unreadable, or not in the folder its hash names) is left out.
pub fn read(out: &Path) -> Result<Round, StoreError> {
    let mut rows = Vec::new();
    let mut left_out = Vec::new();
    for entry in std::fs::read_dir(out).at("reading", out)? {
        let report_dir = ReportDir::at(entry.at("reading", out)?.path());
        let path = report_dir.report_json();
        if !path.is_file() {
            continue;
        }
        let report = match read_ours(&report_dir) {
            Ok(report) => report,
            Err(why) => {
                left_out.push(format!("{} is left out of the round summary: {why}", path.display()));
                continue;
            }
        };
        let report = Rc::new(slim(report));
        let mut names = report_dir.names();
        if names.is_empty() {
            names.push(report.submission.name.clone());
        }
        for name in &names {
            rows.push(Row {
                name: name.clone(),
                report: report.clone(),
                same_files_as: names.iter().filter(|n| *n != name).cloned().collect(),
                report_json: ReportDir::relative_report(&report.submission.sha256),
                report_html: ReportDir::relative_page(&report.submission.sha256),
            });
        }
    }
    rows.sort_by(|a, b| (&a.name, &a.report.submission.sha256).cmp(&(&b.name, &b.report.submission.sha256)));
    Ok(Round { rows, left_out })
}

/// Only what the round shows (scores, metric values, verdicts, test statuses, times): a
/// round of many submissions then holds a little of each report, not all of it.
fn slim(mut report: Report) -> Report {
    for metric in &mut report.metrics {
        metric.confusion_matrix = None;
        metric.message = None;
    }
    for test in &mut report.tests {
        test.message = None;
    }
    report
        .tests
        .retain(|t| t.trusted || !t.name.starts_with("unknown test "));
    for phase in &mut report.phases {
        phase.stdout_tail = String::new();
        phase.stderr_tail = String::new();
        phase.message = None;
    }
    report.outputs.clear();
    report.reproducibility.differences.clear();
    report.review = None;
    report.summary.clear();
    report
}

/// The report in `dir`, if it is one assay wrote there: it parses, and its submission hash is
/// 64 hex digits whose first 16 name the folder.
fn read_ours(dir: &ReportDir) -> Result<Report, String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(dir.report_json())
        .and_then(|f| f.take(MAX_REPORT_BYTES).read_to_string(&mut text))
        .map_err(|e| format!("cannot be read ({e})"))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| format!("not a report assay can read ({e})"))?;
    if !dir.is_named_for(&report.submission.sha256) {
        return Err("its submission hash does not name its folder".to_string());
    }
    Ok(report)
}

/// A report.json larger than this is not one assay wrote.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Writes `summary.csv` and `index.html` over every report in `out`, under a lock and each file
/// whole, so graders finishing at once in other processes never tear them; with the
/// assignment's spec, also `similarity.json` and `similarity.html`. Returns what was left out,
/// and why.
pub fn write(out: &Path, spec: Option<&Spec>) -> Result<Written, StoreError> {
    let _lock = Lock::acquire(&out.join(ROUND_LOCK))?;
    let Round { rows, mut left_out } = read(out)?;
    let similarity = match spec {
        Some(spec) => similarity(out, &rows, spec, &mut left_out)?,
        None => None,
    };
    write_atomically(
        &out.join("summary.csv"),
        &crate::report::round::summary_csv(&rows, similarity.as_ref())?,
    )?;
    if spec.is_some() && similarity.is_none() {
        // An earlier comparison would pass for this round's.
        for stale in [SIMILARITY_JSON, SIMILARITY_HTML] {
            let path = out.join(stale);
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                Err::<(), _>(e).at("removing", &path)?;
            }
        }
    }
    if let Some(comparison) = &similarity {
        let json = serde_json::to_vec_pretty(comparison).map_err(crate::report::RenderError::from)?;
        write_atomically(&out.join(SIMILARITY_JSON), &json)?;
        write_atomically(
            &out.join(SIMILARITY_HTML),
            crate::report::similarity::page(comparison)?.as_bytes(),
        )?;
    }
    let reports = distinct_reports(&rows);
    let drift = spec.map(|s| s.round.drift).unwrap_or(crate::spec::DEFAULT_DRIFT);
    let (discrimination, conditions) = tests_and_conditions(out, &reports, drift, &mut left_out);
    let extras = RoundExtras {
        similarity: similarity.as_ref(),
        discrimination: &discrimination,
        conditions: &conditions,
    };
    write_atomically(
        &out.join("index.html"),
        crate::report::round::index_html(&rows, &extras)?.as_bytes(),
    )?;
    Ok(Written {
        left_out,
        similarity,
        discrimination,
        conditions,
    })
}

/// How well each hidden test and metric threshold told the round's `reports` apart, and the
/// conditions they and the canaries kept in `out` were graded under; unreadable canary records
/// are said in `left_out`.
pub fn tests_and_conditions(
    out: &Path,
    reports: &[&Report],
    drift: f64,
    left_out: &mut Vec<String>,
) -> (Vec<Item>, Conditions) {
    let discrimination = crate::round::discrimination::discrimination(reports.iter().copied());
    let (canaries, unreadable) = super::canaries::read(out);
    left_out.extend(unreadable);
    (
        discrimination,
        crate::round::conditions::assess(reports, &canaries, drift),
    )
}

/// Each report of the round once, however many names its files came under.
pub fn distinct_reports(rows: &[Row]) -> Vec<&Report> {
    let mut seen = std::collections::HashSet::new();
    rows.iter()
        .filter(|row| seen.insert(row.report.submission.sha256.as_str()))
        .map(|row| row.report.as_ref())
        .collect()
}

/// What writing the round's summary found.
pub struct Written {
    /// Each report or submission left out, and why, for the command to say.
    pub left_out: Vec<String>,
    /// The round compared, when the spec was given.
    pub similarity: Option<Comparison>,
    pub discrimination: Vec<Item>,
    pub conditions: Conditions,
}

/// Where the round's similarity is kept, for tools.
pub const SIMILARITY_JSON: &str = "similarity.json";
const SIMILARITY_HTML: &str = "similarity.html";

/// Every submission of the round compared with the others and the assignment's corpus, each
/// under the first name its files came under.
/// `None` when the comparison failed (said in `left_out`): the rest of the summary stands.
fn similarity(
    out: &Path,
    rows: &[Row],
    spec: &Spec,
    left_out: &mut Vec<String>,
) -> Result<Option<Comparison>, StoreError> {
    let (starter, mut documents) = super::round_sources::assignment(spec)?;
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let sha256 = &row.report.submission.sha256;
        if !seen.insert(sha256.clone()) {
            continue;
        }
        let dir = ReportDir::in_out(out, sha256);
        match super::round_sources::submission(&row.name, &dir) {
            Ok(Some(document)) => documents.push(document),
            Ok(None) => {}
            Err(e) => left_out.push(format!("{} is left out of similarity: {e}", row.name)),
        }
    }
    let settings = Settings {
        threshold: spec.similarity.threshold,
        ..Settings::default()
    };
    match crate::similarity::compare_in_child(&documents, &starter, settings) {
        Ok(comparison) => Ok(Some(comparison)),
        Err(why) => {
            left_out.push(format!("the round has no similarity this time: {why}"));
            Ok(None)
        }
    }
}
