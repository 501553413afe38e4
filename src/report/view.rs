//! The report as people read it: every value formatted once, every string a candidate could
//! have written made plain (no terminal escapes, no control characters). The HTML, Markdown
//! and feedback renderings all start from this.

use serde_json::{Value, json};

use crate::model::PhaseVerdict;
use crate::model::{Report, RunVerdict};
use crate::text::strip_ansi;

/// Text from a candidate, safe to place anywhere once the renderer escapes it for its format.
pub fn plain(text: &str) -> String {
    strip_ansi(text)
}

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

pub fn build(report: &Report) -> Value {
    let score = report
        .score
        .map(|s| format!("{} / {}", points(s.total), points(s.max)))
        .unwrap_or_else(|| "none (harness error)".into());
    let phases: Vec<Value> = report
        .phases
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "verdict": p.verdict.as_str(),
                "tone": tone(p.verdict.as_str()),
                "exit_code": p.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into()),
                "wall": seconds(Some(p.wall_seconds)),
                "cpu": seconds(p.cpu_seconds),
                "peak": bytes(p.peak_memory_bytes),
                "message": p.message.as_deref().map(plain).unwrap_or_default(),
                "stdout_tail": plain(&p.stdout_tail),
                "stderr_tail": plain(&p.stderr_tail),
                "ran": p.verdict != PhaseVerdict::Skipped,
            })
        })
        .collect();
    let metrics: Vec<Value> = report
        .metrics
        .iter()
        .map(|m| {
            let relation = match m.direction {
                crate::spec::Direction::Higher => "≥",
                crate::spec::Direction::Lower => "≤",
            };
            // Binary metrics say which class counted as positive.
            let kind = match &m.pos_label {
                Some(positive) => format!("{} (positive class {})", m.kind, plain(positive)),
                None => m.kind.clone(),
            };
            json!({
                "name": m.name,
                "kind": kind,
                "value": number(m.value),
                "threshold": m.pass_at.map(|t| format!("{relation} {}", number(Some(t)))).unwrap_or_else(|| "—".into()),
                "passed": m.passed,
                "tone": if m.passed { "good" } else { "bad" },
                "points": format!("{} / {}", points(m.points), points(m.weight)),
                "message": m.message.as_deref().map(plain).unwrap_or_default(),
                "visibility": m.visibility,
            })
        })
        .collect();
    let confusion: Vec<Value> = report
        .metrics
        .iter()
        .filter_map(|m| m.confusion_matrix.as_ref().map(|c| (m, c)))
        .take(1)
        .map(|(m, c)| {
            let rows: Vec<Value> = c
                .classes
                .iter()
                .zip(&c.counts)
                .enumerate()
                .map(|(i, (class, counts))| {
                    let cells: Vec<Value> = counts
                        .iter()
                        .enumerate()
                        .map(|(j, n)| json!({"n": n, "diagonal": i == j}))
                        .collect();
                    json!({"class": plain(class), "cells": cells})
                })
                .collect();
            json!({"metric": m.name, "classes": c.classes.iter().map(|c| plain(c)).collect::<Vec<_>>(), "rows": rows})
        })
        .collect();
    let groups: Vec<Value> = report
        .test_groups
        .iter()
        .map(|g| {
            let tests: Vec<Value> = report
                .tests
                .iter()
                .filter(|t| t.group.as_deref() == Some(g.name.as_str()))
                .map(test_view)
                .collect();
            json!({
                "name": g.name,
                "passed": format!("{} of {}", g.passed_tests, g.total_tests),
                "points": format!("{} / {}", points(g.points), points(g.weight)),
                "tone": if g.passed { "good" } else { "bad" },
                "visibility": g.visibility,
                "tests": tests,
            })
        })
        .collect();
    let ungrouped: Vec<Value> = report
        .tests
        .iter()
        .filter(|t| t.group.is_none())
        .map(test_view)
        .collect();
    let reproducibility = &report.reproducibility;
    let status = serde_json::to_value(reproducibility.status).unwrap_or_default();
    let status = status.as_str().unwrap_or("skipped").to_string();
    json!({
        "assignment": report.assignment.id,
        "assignment_version": report.assignment.version,
        "submission": plain(&report.submission.name),
        "sha256": report.submission.sha256,
        "files": report.submission.files,
        "size": bytes(Some(report.submission.bytes)),
        "rejection": report.submission.rejection.as_deref().map(plain),
        "verdict": report.verdict.as_str(),
        "tone": tone(report.verdict.as_str()),
        "invalid": report.verdict == RunVerdict::InvalidSubmission,
        "summary": plain(&report.summary),
        "score": score,
        "phases": phases,
        "metrics": metrics,
        "confusion": confusion.into_iter().next(),
        "groups": groups,
        "ungrouped": ungrouped,
        "reproducibility": {
            "status": status.clone(),
            "tone": tone(&status),
            "runs": reproducibility.runs,
            "differences": reproducibility.differences.iter().map(|d| json!({
                "what": plain(&d.what), "run": d.run, "first": plain(&d.first), "other": plain(&d.other), "decision": d.decision,
            })).collect::<Vec<_>>(),
            "seeds": reproducibility.seed_sensitivity.iter().map(|s| json!({
                "metric": s.metric, "min": number(s.min), "max": number(s.max), "std_dev": number(s.std_dev),
                "values": s.values.iter().map(|v| number(*v)).collect::<Vec<_>>().join(", "),
            })).collect::<Vec<_>>(),
        },
        "rubric": report.rubric.iter().map(|c| json!({"criterion": c.criterion, "weight": number(Some(c.weight)), "levels": c.levels.join(" · ")})).collect::<Vec<_>>(),
        "review": report.review.as_ref().map(|r| json!({
            "reviewers": r.reviewers.join(", "),
            "final": format!("{} / {}", points(r.final_score.total), points(r.final_score.max)),
            "rubric": format!("{} / {}", points(r.rubric_points), points(r.rubric_max)),
            "alpha": r.alpha.map(|a| format!("{a:.3}")).unwrap_or_else(|| "—".into()),
            "criteria": r.criteria.iter().map(|c| json!({
                "criterion": c.criterion,
                "points": format!("{} / {}", points(c.points), points(c.weight)),
                "ratings": c.ratings.iter().map(|x| format!("{}: {}", x.reviewer, x.level)).collect::<Vec<_>>().join(", "),
                "comments": c.ratings.iter().filter(|x| !x.comment.is_empty()).map(|x| format!("{}: {}", x.reviewer, x.comment)).collect::<Vec<_>>(),
                "disagreement": c.disagreement,
            })).collect::<Vec<_>>(),
        })),
        "isolation": report.isolation,
        "provenance": report.provenance,
        "wall_chart": bar_chart(report.phases.iter().filter(|p| p.verdict != PhaseVerdict::Skipped).map(|p| (p.name.as_str(), p.wall_seconds, seconds(Some(p.wall_seconds)))).collect()),
        "memory_chart": bar_chart(report.phases.iter().filter_map(|p| p.peak_memory_bytes.map(|b| (p.name.as_str(), b as f64, bytes(Some(b))))).collect()),
    })
}

fn test_view(test: &crate::model::TestResult) -> Value {
    let status = serde_json::to_value(test.status).unwrap_or_default();
    let status = status.as_str().unwrap_or("").to_string();
    json!({
        "name": plain(&test.name),
        "status": status.clone(),
        "tone": tone(&status),
        "seconds": seconds(test.seconds),
        "message": test.message.as_deref().map(plain).unwrap_or_default(),
    })
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

pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
