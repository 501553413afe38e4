//! results.json for teams coming from other graders: Gradescope's and PrairieLearn's formats.

use serde_json::{Value, json};

use crate::model::TestStatus;
use crate::model::{Report, RunVerdict};
use crate::spec::Visibility;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Gradescope,
    Prairielearn,
}

fn gradescope_visibility(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Visible => "visible",
        Visibility::Hidden => "hidden",
        Visibility::AfterReview => "after_published",
    }
}

/// One entry per metric and per hidden test, with points.
struct Item {
    name: String,
    points: f64,
    max_points: f64,
    passed: bool,
    message: String,
    visibility: Visibility,
}

fn items(report: &Report) -> Vec<Item> {
    let mut items: Vec<Item> = report
        .metrics
        .iter()
        .map(|m| Item {
            name: format!("metric {}", m.name),
            points: m.points,
            max_points: m.weight,
            passed: m.passed,
            message: m.message.clone().unwrap_or_default(),
            visibility: m.visibility,
        })
        .collect();
    items.extend(report.tests.iter().map(|t| {
        let passed = t.status == TestStatus::Passed;
        Item {
            name: crate::text::plain(&t.name),
            points: if passed { t.weight } else { 0.0 },
            max_points: t.weight,
            passed,
            message: t.message.as_deref().map(crate::text::plain).unwrap_or_default(),
            visibility: t.visibility,
        }
    }));
    items
}

pub fn render(report: &Report, format: Format) -> Value {
    let score = report.score.unwrap_or(crate::model::Score { total: 0.0, max: 0.0 });
    let execution_time: f64 = report.phases.iter().map(|p| p.wall_seconds).sum();
    let summary = crate::text::plain(&report.summary);
    match format {
        Format::Gradescope => json!({
            "score": score.total,
            "max_score": score.max,
            "execution_time": execution_time.round() as u64,
            "output": summary,
            "tests": items(report).into_iter().map(|item| json!({
                "name": item.name,
                "score": item.points,
                "max_score": item.max_points,
                "status": if item.passed { "passed" } else { "failed" },
                "output": item.message,
                "visibility": gradescope_visibility(item.visibility),
            })).collect::<Vec<_>>(),
        }),
        Format::Prairielearn => {
            let gradable = matches!(report.verdict, RunVerdict::Passed | RunVerdict::Failed);
            json!({
                "gradable": gradable,
                "score": if score.max > 0.0 { score.total / score.max } else { 0.0 },
                "message": summary,
                "tests": items(report).into_iter().map(|item| json!({
                    "name": item.name,
                    "points": item.points,
                    "max_points": item.max_points,
                    "message": item.message,
                })).collect::<Vec<_>>(),
            })
        }
    }
}
