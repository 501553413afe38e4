//! The report as people read it: every value formatted once, every string a candidate could
//! have written made plain (no terminal escapes, no control characters). The HTML, Markdown
//! and feedback renderings all start from this.

use serde::Serialize;

use crate::metrics::ConfusionMatrix;
use crate::model::{MetricResult, PhaseOutcome, PhaseVerdict, Provenance, Report, Review, RunVerdict, TestResult};
use crate::spec::Direction;
use crate::text::plain;

pub fn number(value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(v) if v != 0.0 && v.abs() < 0.001 => format!("{v:.2e}"),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.4}"),
    }
}

/// Points and scores: two decimals, whole numbers bare.
pub fn points(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

pub fn bytes(value: Option<u64>) -> String {
    value.map(crate::units::format_size).unwrap_or_else(|| "—".to_string())
}

pub fn seconds(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.2} s")).unwrap_or_else(|| "—".to_string())
}

/// A CSS class for a verdict: good, bad or ours.
pub fn tone(verdict: &str) -> &'static str {
    match verdict {
        "passed" | "reproducible" => "good",
        "harness_error" | "skipped" | "nondeterministic" => "neutral",
        _ => "bad",
    }
}

/// The report as every rendering shows it. Each field a template or renderer names exists
/// here, so a misspelt name fails to compile (Rust) or to render (templates, strict).
#[derive(Serialize)]
pub struct ReportView<'a> {
    pub assignment: &'a str,
    pub assignment_version: &'a str,
    pub submission: String,
    pub sha256: &'a str,
    pub files: u64,
    pub size: String,
    pub rejection: Option<String>,
    pub verdict: &'static str,
    pub tone: &'static str,
    pub invalid: bool,
    pub summary: String,
    pub score: String,
    pub phases: Vec<PhaseView>,
    pub metrics: Vec<MetricView>,
    pub confusion: Option<ConfusionView>,
    pub groups: Vec<GroupView>,
    pub ungrouped: Vec<TestView>,
    pub reproducibility: ReproducibilityView,
    pub notebooks: Vec<NotebookView>,
    /// What each Gradescope autograder said besides its tests.
    pub autograders: Vec<AutograderView>,
    /// Styles for the notebooks' cells and highlighting; filled by report.html only.
    pub notebook_css: String,
    pub rubric: Vec<CriterionView<'a>>,
    pub review: Option<ReviewView>,
    pub isolation: &'a str,
    pub provenance: &'a Provenance,
    pub wall_chart: String,
    pub memory_chart: String,
}

#[derive(Serialize)]
pub struct PhaseView {
    pub name: String,
    pub verdict: &'static str,
    pub tone: &'static str,
    pub exit_code: String,
    pub wall: String,
    pub cpu: String,
    pub peak: String,
    pub message: String,
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// False for a phase skipped after an earlier one failed: it has no logs.
    pub ran: bool,
}

#[derive(Serialize)]
pub struct MetricView {
    pub name: String,
    pub kind: String,
    pub value: String,
    pub threshold: String,
    pub passed: bool,
    pub tone: &'static str,
    pub points: String,
    pub message: String,
}

#[derive(Serialize)]
pub struct ConfusionView {
    pub metric: String,
    pub classes: Vec<String>,
    pub rows: Vec<ConfusionRow>,
}

#[derive(Serialize)]
pub struct ConfusionRow {
    pub class: String,
    pub cells: Vec<ConfusionCell>,
}

#[derive(Serialize)]
pub struct ConfusionCell {
    pub n: u64,
    pub diagonal: bool,
}

#[derive(Serialize)]
pub struct GroupView {
    pub name: String,
    pub passed: String,
    pub points: String,
    pub tone: &'static str,
    pub tests: Vec<TestView>,
}

#[derive(Serialize)]
pub struct TestView {
    pub name: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub seconds: String,
    pub message: String,
}

#[derive(Serialize)]
pub struct ReproducibilityView {
    pub status: &'static str,
    pub tone: &'static str,
    pub runs: u32,
    pub differences: Vec<DifferenceView>,
    pub seeds: Vec<SeedView>,
}

#[derive(Serialize)]
pub struct DifferenceView {
    pub what: String,
    pub run: u32,
    pub first: String,
    pub other: String,
    pub decision: bool,
}

#[derive(Serialize)]
pub struct SeedView {
    pub metric: String,
    pub min: String,
    pub max: String,
    pub std_dev: String,
    pub values: String,
}

#[derive(Serialize)]
pub struct AutograderView {
    pub phase: String,
    pub score: String,
    pub output: String,
    pub extra_data: String,
}

/// A notebook phase's claims check.
#[derive(Serialize)]
pub struct NotebookView {
    pub phase: String,
    pub notebook: String,
    pub status: &'static str,
    pub tone: &'static str,
    /// In a few words, for the reproducibility section.
    pub hint: &'static str,
    pub summary: String,
    /// The cells as inert HTML (`report::notebook`); filled by report.html only, the one
    /// rendering that shows them.
    pub html: String,
    pub shortened: bool,
    /// Cells that did not reproduce, one line each, for text renderings.
    pub changed: Vec<String>,
}

#[derive(Serialize)]
pub struct CriterionView<'a> {
    pub criterion: &'a str,
    pub weight: String,
    pub levels: String,
}

#[derive(Serialize)]
pub struct ReviewView {
    pub reviewers: String,
    #[serde(rename = "final")]
    pub final_grade: String,
    pub rubric: String,
    pub alpha: String,
    pub criteria: Vec<CriterionReviewView>,
}

#[derive(Serialize)]
pub struct CriterionReviewView {
    pub criterion: String,
    pub points: String,
    pub ratings: String,
    pub comments: Vec<String>,
    pub disagreement: bool,
}

fn notebook_view(check: &crate::notebook::NotebookCheck) -> NotebookView {
    use crate::notebook::{CellOutcome, NotebookStatus};
    let (tone, hint) = match check.status {
        NotebookStatus::Reproduced => ("good", "reproduces its own claims"),
        NotebookStatus::Differs => ("bad", "does not reproduce all its claims"),
        NotebookStatus::Unverifiable => ("neutral", "unverifiable: handed in without outputs"),
        NotebookStatus::NotChecked => ("bad", "could not be checked"),
    };
    NotebookView {
        phase: check.phase.clone(),
        notebook: plain(&check.notebook),
        status: check.status.as_str(),
        tone,
        hint,
        summary: plain(&check.summary),
        html: String::new(),
        shortened: check.shortened,
        changed: check
            .cells
            .iter()
            .filter(|c| {
                c.outcome
                    .is_some_and(|o| !matches!(o, CellOutcome::Same | CellOutcome::NoClaim))
            })
            .map(|c| {
                let outcome = c.outcome.map(super::notebook::label).unwrap_or_default();
                match &c.note {
                    Some(note) => format!("cell {}: {outcome}: {}", c.number, plain(note)),
                    None => format!("cell {}: {outcome}", c.number),
                }
            })
            .collect(),
    }
}

pub fn build(report: &Report) -> ReportView<'_> {
    let score = report
        .score
        .map(|s| format!("{} / {}", points(s.total), points(s.max)))
        .unwrap_or_else(|| "none (harness error)".into());
    let reproducibility = &report.reproducibility;
    let status = reproducibility.status.as_str();
    ReportView {
        assignment: &report.assignment.id,
        assignment_version: &report.assignment.version,
        submission: plain(&report.submission.name),
        sha256: &report.submission.sha256,
        files: report.submission.files,
        size: bytes(Some(report.submission.bytes)),
        rejection: report.submission.rejection.as_deref().map(plain),
        verdict: report.verdict.as_str(),
        tone: tone(report.verdict.as_str()),
        invalid: report.verdict == RunVerdict::InvalidSubmission,
        summary: plain(&report.summary),
        score,
        phases: report.phases.iter().map(phase_view).collect(),
        metrics: report.metrics.iter().map(metric_view).collect(),
        confusion: report
            .metrics
            .iter()
            .find_map(|m| m.confusion_matrix.as_ref().map(|c| confusion_view(&m.name, c))),
        groups: report
            .test_groups
            .iter()
            .map(|g| GroupView {
                name: g.name.clone(),
                passed: format!("{} of {}", g.passed_tests, g.total_tests),
                points: format!("{} / {}", points(g.points), points(g.weight)),
                tone: if g.passed { "good" } else { "bad" },
                tests: report
                    .tests
                    .iter()
                    .filter(|t| t.group.as_deref() == Some(g.name.as_str()))
                    .map(test_view)
                    .collect(),
            })
            .collect(),
        ungrouped: report
            .tests
            .iter()
            .filter(|t| t.group.is_none())
            .map(test_view)
            .collect(),
        reproducibility: ReproducibilityView {
            status,
            tone: tone(status),
            runs: reproducibility.runs,
            differences: reproducibility
                .differences
                .iter()
                .map(|d| DifferenceView {
                    what: plain(&d.what),
                    run: d.run,
                    first: plain(&d.first),
                    other: plain(&d.other),
                    decision: d.decision,
                })
                .collect(),
            seeds: reproducibility
                .seed_sensitivity
                .iter()
                .map(|s| SeedView {
                    metric: s.metric.clone(),
                    min: number(s.min),
                    max: number(s.max),
                    std_dev: number(s.std_dev),
                    values: s.values.iter().map(|v| number(*v)).collect::<Vec<_>>().join(", "),
                })
                .collect(),
        },
        notebooks: report.notebooks.iter().map(notebook_view).collect(),
        autograders: report
            .autograders
            .iter()
            .map(|a| AutograderView {
                phase: a.phase.clone(),
                score: a.score.map(points).unwrap_or_else(|| "—".to_string()),
                output: plain(&a.output),
                extra_data: a.extra_data.as_deref().map(plain).unwrap_or_default(),
            })
            .collect(),
        notebook_css: String::new(),
        rubric: report
            .rubric
            .iter()
            .map(|c| CriterionView {
                criterion: &c.criterion,
                weight: number(Some(c.weight)),
                levels: c.levels.join(" · "),
            })
            .collect(),
        review: report.review.as_ref().map(review_view),
        isolation: &report.isolation,
        provenance: &report.provenance,
        wall_chart: bar_chart(
            report
                .phases
                .iter()
                .filter(|p| p.verdict != PhaseVerdict::Skipped)
                .map(|p| (p.name.as_str(), p.wall_seconds, seconds(Some(p.wall_seconds))))
                .collect(),
        ),
        memory_chart: bar_chart(
            report
                .phases
                .iter()
                .filter_map(|p| p.peak_memory_bytes.map(|b| (p.name.as_str(), b as f64, bytes(Some(b)))))
                .collect(),
        ),
    }
}

fn phase_view(p: &PhaseOutcome) -> PhaseView {
    PhaseView {
        name: p.name.clone(),
        verdict: p.verdict.as_str(),
        tone: tone(p.verdict.as_str()),
        exit_code: p.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into()),
        wall: seconds(Some(p.wall_seconds)),
        cpu: seconds(p.cpu_seconds),
        peak: bytes(p.peak_memory_bytes),
        message: p.message.as_deref().map(plain).unwrap_or_default(),
        stdout_tail: plain(&p.stdout_tail),
        stderr_tail: plain(&p.stderr_tail),
        ran: p.verdict != PhaseVerdict::Skipped,
    }
}

fn metric_view(m: &MetricResult) -> MetricView {
    let relation = match m.direction {
        Direction::Higher => "≥",
        Direction::Lower => "≤",
    };
    // Binary metrics say which class counted as positive.
    let kind = match &m.pos_label {
        Some(positive) => format!("{} (positive class {})", m.kind, plain(positive)),
        None => m.kind.clone(),
    };
    MetricView {
        name: m.name.clone(),
        kind,
        value: number(m.value),
        threshold: m
            .pass_at
            .map(|t| format!("{relation} {}", number(Some(t))))
            .unwrap_or_else(|| "—".into()),
        passed: m.passed,
        tone: if m.passed { "good" } else { "bad" },
        points: format!("{} / {}", points(m.points), points(m.weight)),
        message: m.message.as_deref().map(plain).unwrap_or_default(),
    }
}

fn confusion_view(metric: &str, c: &ConfusionMatrix) -> ConfusionView {
    ConfusionView {
        metric: metric.to_string(),
        classes: c.classes.iter().map(|c| plain(c)).collect(),
        rows: c
            .classes
            .iter()
            .zip(&c.counts)
            .enumerate()
            .map(|(i, (class, counts))| ConfusionRow {
                class: plain(class),
                cells: counts
                    .iter()
                    .enumerate()
                    .map(|(j, n)| ConfusionCell {
                        n: *n,
                        diagonal: i == j,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn review_view(r: &Review) -> ReviewView {
    ReviewView {
        reviewers: r.reviewers.join(", "),
        final_grade: format!("{} / {}", points(r.final_score.total), points(r.final_score.max)),
        rubric: format!("{} / {}", points(r.rubric_points), points(r.rubric_max)),
        alpha: r.alpha.map(|a| format!("{a:.3}")).unwrap_or_else(|| "—".into()),
        criteria: r
            .criteria
            .iter()
            .map(|c| CriterionReviewView {
                criterion: c.criterion.clone(),
                points: format!("{} / {}", points(c.points), points(c.weight)),
                ratings: c
                    .ratings
                    .iter()
                    .map(|x| format!("{}: {}", x.reviewer, x.level))
                    .collect::<Vec<_>>()
                    .join(", "),
                comments: c
                    .ratings
                    .iter()
                    .filter(|x| !x.comment.is_empty())
                    .map(|x| format!("{}: {}", x.reviewer, x.comment))
                    .collect(),
                disagreement: c.disagreement,
            })
            .collect(),
    }
}

fn test_view(test: &TestResult) -> TestView {
    let status = test.status.as_str();
    TestView {
        name: plain(&test.name),
        status,
        tone: tone(status),
        // An autograder's test shows its points where a JUnit test shows its time.
        seconds: match test.score {
            Some(score) => format!("{} / {} points", points(score), points(test.weight)),
            None => seconds(test.seconds),
        },
        message: test.message.as_deref().map(plain).unwrap_or_default(),
    }
}

/// A horizontal bar chart as inline SVG: only numbers and escaped names go in.
fn bar_chart(bars: Vec<(&str, f64, String)>) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(f64::MIN_POSITIVE);
    let row = 22.0;
    let height = row * bars.len() as f64 + 4.0;
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"{height}\" role=\"img\">");
    for (i, (name, value, label)) in bars.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let width = (value / max * 300.0).max(1.0);
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"110\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"16\" fill=\"#5b8def\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 12.0,
            xml_escape(name),
            110.0 + width + 6.0,
            y + 12.0,
            xml_escape(label)
        ));
    }
    svg.push_str("</svg>");
    svg
}

pub use super::escape::xml_escape;
