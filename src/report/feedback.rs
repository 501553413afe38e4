//! feedback.md: what may be sent to the candidate. It shows only what the spec marks visible
//! (metrics default to visible, hidden tests to hidden) and never log output, hidden data or
//! messages that quote it. Test names appear only for groups with `show_names = true`, and
//! only names `tests.lock` trusts.

use std::fmt::Write;

use crate::model::PhaseVerdict;
use crate::model::Report;
use crate::spec::Visibility;

/// `reviewed`: the rubric review is merged, so `after_review` items are shown too.
pub fn render(report: &Report) -> String {
    let reviewed = report.review.is_some();
    let shown = |visibility: Visibility| {
        visibility == Visibility::Visible || (reviewed && visibility == Visibility::AfterReview)
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Feedback on your submission for {}\n", report.assignment.id);
    let outcome = match report.verdict {
        crate::model::RunVerdict::Passed => {
            "Your submission ran and met every requirement that is checked automatically."
        }
        crate::model::RunVerdict::Failed => {
            "Your submission ran, but did not meet every requirement that is checked automatically."
        }
        crate::model::RunVerdict::InvalidSubmission => "Your submission could not be accepted as sent.",
        crate::model::RunVerdict::HarnessError => {
            "Grading failed on our side; this is not your fault, and it will be run again."
        }
    };
    let _ = writeln!(md, "{outcome}\n");
    if let Some(rejection) = &report.submission.rejection {
        let _ = writeln!(
            md,
            "Reason: {}\n",
            super::markdown::inline(&crate::text::plain(rejection))
        );
    }
    if !report.phases.is_empty() {
        let _ = writeln!(md, "## Steps\n\n| step | result |\n|---|---|");
        for phase in &report.phases {
            let _ = writeln!(md, "| {} | {} |", phase.name, explain(phase.verdict));
        }
        md.push('\n');
    }
    let metrics: Vec<_> = report.metrics.iter().filter(|m| shown(m.visibility)).collect();
    if !metrics.is_empty() {
        let _ = writeln!(
            md,
            "## Measures\n\n| measure | value | needed | result |\n|---|---|---|---|"
        );
        for m in metrics {
            let needed = match (m.pass_at, m.direction) {
                (None, _) => "—".to_string(),
                (Some(t), crate::spec::Direction::Higher) => format!("≥ {}", super::view::number(Some(t))),
                (Some(t), crate::spec::Direction::Lower) => format!("≤ {}", super::view::number(Some(t))),
            };
            let result = if m.passed { "met" } else { "not met" };
            let _ = writeln!(
                md,
                "| {} | {} | {needed} | {result} |",
                m.name,
                super::view::number(m.value)
            );
        }
        md.push('\n');
    }
    let groups: Vec<_> = report.test_groups.iter().filter(|g| shown(g.visibility)).collect();
    if !groups.is_empty() {
        let _ = writeln!(md, "## Tests\n");
        for group in groups {
            let members = || {
                report
                    .tests
                    .iter()
                    .filter(|t| t.group.as_deref() == Some(group.name.as_str()))
            };
            // A Gradescope autograder marks each test's visibility: hidden ones are not even
            // counted here.
            let autograder = members().any(|t| t.score.is_some());
            if autograder {
                let visible: Vec<_> = members().filter(|t| shown(t.visibility)).collect();
                let passed = visible
                    .iter()
                    .filter(|t| t.status == crate::model::TestStatus::Passed)
                    .count();
                let _ = writeln!(
                    md,
                    "- {}: {passed} of {} tests shown here passed",
                    group.name,
                    visible.len()
                );
            } else {
                let _ = writeln!(
                    md,
                    "- {}: {} of {} passed",
                    group.name, group.passed_tests, group.total_tests
                );
            }
            // Names only where the spec shows them, and only names tests.lock trusts: a
            // JUnit file is written where candidate code ran and could carry anything.
            if !group.show_names {
                continue;
            }
            for test in members().filter(|t| t.trusted && shown(t.visibility)) {
                let status = test.status.as_str();
                let score = match test.score {
                    Some(score) => format!(
                        " ({} / {})",
                        super::view::points(score),
                        super::view::points(test.weight)
                    ),
                    None => String::new(),
                };
                let _ = writeln!(
                    md,
                    "  - {}: {status}{score}",
                    super::markdown::inline(&crate::text::plain(&test.name))
                );
            }
        }
        md.push('\n');
    }
    for autograder in report
        .autograders
        .iter()
        .filter(|a| shown(a.output_visibility) && !a.output.is_empty())
    {
        let _ = writeln!(
            md,
            "## What the autograder said ({})\n\n{}",
            autograder.phase,
            super::markdown::fenced(&autograder.output)
        );
    }
    if let Some(review) = &report.review {
        let _ = writeln!(md, "## Review\n");
        for criterion in &review.criteria {
            let levels: Vec<&str> = criterion.ratings.iter().map(|r| r.level.as_str()).collect();
            let _ = writeln!(md, "- {}: {}", criterion.criterion, levels.join(", "));
        }
    }
    md
}

/// What a phase verdict means, in words that quote nothing from the run.
fn explain(verdict: PhaseVerdict) -> &'static str {
    match verdict {
        PhaseVerdict::Passed => "completed",
        PhaseVerdict::Failed => "exited with an error",
        PhaseVerdict::TimedOut => "ran out of time",
        PhaseVerdict::MemoryExceeded => "ran out of memory",
        PhaseVerdict::OutputExceeded => "printed more output than allowed",
        PhaseVerdict::Crashed => "crashed",
        PhaseVerdict::InvalidOutput => "wrote output in the wrong form",
        PhaseVerdict::HarnessError => "could not be run (our fault)",
        PhaseVerdict::Skipped => "not run, as an earlier step did not complete",
    }
}
