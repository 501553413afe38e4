//! The round's summary over many reports: `summary.csv` for spreadsheets and `index.html`, a
//! sortable page rendered through the same template engine as report.html, from a typed view.

use std::collections::HashMap;
use std::rc::Rc;

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::RenderError;
use super::view::{number, tone};
use crate::model::{Report, RunVerdict};
use crate::round::conditions::Conditions;
use crate::round::discrimination::{Item, ItemKind};
use crate::similarity::Comparison;
use crate::text::plain;

/// Sorts the table when a header is clicked. The page's CSP allows this script by its hash
/// and nothing else.
const SORT_SCRIPT: &str = r#"document.querySelectorAll('th[data-sort]').forEach(function (th, column) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var rows = Array.from(body.rows);
    var numeric = th.dataset.sort === 'number';
    var ascending = th.dataset.ascending !== 'true';
    th.dataset.ascending = ascending;
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.value || a.cells[column].textContent;
      var y = b.cells[column].dataset.value || b.cells[column].textContent;
      var order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});"#;

/// One candidate's line in the round: a name and the report of its files.
pub struct Row {
    pub name: String,
    /// What the round shows of the report, shared by every name of its files.
    pub report: Rc<Report>,
    /// Other names whose files were the same, byte for byte: worth a look for copying.
    pub same_files_as: Vec<String>,
    /// Where the report's files are, relative to the round's folder.
    pub report_json: String,
    pub report_html: String,
}

/// Metric names in the order the reports first show them.
fn metric_names(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        for metric in &row.report.metrics {
            if !names.contains(&metric.name) {
                names.push(metric.name.clone());
            }
        }
    }
    names
}

fn metric_value(report: &Report, name: &str) -> Option<f64> {
    report.metrics.iter().find(|m| m.name == name).and_then(|m| m.value)
}

fn wall(report: &Report) -> f64 {
    report.phases.iter().map(|p| p.wall_seconds).sum()
}

/// Keeps a spreadsheet from reading a candidate's file name as a formula.
pub fn spreadsheet_cell(text: &str) -> String {
    let text = plain(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// For each submission (by sha256), the flagged pairs it is in: "NAME (SCORE)". A
/// submission is compared under the first name its files came under (rows are in name order).
fn similar_to(rows: &[Row], similarity: Option<&Comparison>) -> HashMap<String, Vec<String>> {
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    let Some(comparison) = similarity else {
        return found;
    };
    let mut sha_of: HashMap<&str, &str> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let sha = row.report.submission.sha256.as_str();
        if seen.insert(sha) {
            sha_of.insert(&row.name, sha);
        }
    }
    let percent = super::similarity::percent;
    for pair in &comparison.pairs {
        if let Some(sha) = sha_of.get(pair.a.as_str()) {
            found
                .entry(sha.to_string())
                .or_default()
                .push(format!("{} ({})", pair.b, percent(pair.score)));
        }
        if let Some(sha) = sha_of.get(pair.b.as_str()).filter(|_| !pair.b_corpus) {
            found
                .entry(sha.to_string())
                .or_default()
                .push(format!("{} ({})", pair.a, percent(pair.score)));
        }
    }
    found
}

/// `summary.csv`: one line per name, a column per metric.
pub fn summary_csv(rows: &[Row], similarity: Option<&Comparison>) -> Result<Vec<u8>, RenderError> {
    let similar = similar_to(rows, similarity);
    let metric_names = metric_names(rows);
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "name".to_string(),
        "sha256".into(),
        "same_files_as".into(),
        "verdict".into(),
        "score".into(),
        "max_score".into(),
    ];
    header.extend(metric_names.iter().cloned());
    header.extend([
        "reproducibility".to_string(),
        "wall_seconds".into(),
        "similar_to".into(),
        "report".into(),
    ]);
    csv.write_record(&header)?;
    for row in rows {
        let report = &row.report;
        let others: Vec<String> = row.same_files_as.iter().map(|n| spreadsheet_cell(n)).collect();
        let mut line = vec![
            spreadsheet_cell(&row.name),
            report.submission.sha256.clone(),
            others.join("; "),
            report.verdict.as_str().to_string(),
            report.score.map(|s| s.total.to_string()).unwrap_or_default(),
            report.score.map(|s| s.max.to_string()).unwrap_or_default(),
        ];
        for name in &metric_names {
            line.push(metric_value(report, name).map(|v| v.to_string()).unwrap_or_default());
        }
        line.push(report.reproducibility.status.as_str().to_string());
        line.push(format!("{:.3}", wall(report)));
        let others = similar
            .get(&report.submission.sha256)
            .map(|o| o.join("; "))
            .unwrap_or_default();
        line.push(spreadsheet_cell(&others));
        line.push(row.report_json.clone());
        csv.write_record(&line)?;
    }
    csv.into_inner().map_err(|e| RenderError::Csv(e.to_string()))
}

/// What index.html shows; every field a template names exists, or rendering fails.
#[derive(Serialize)]
struct IndexView {
    count: usize,
    script: &'static str,
    script_hash: String,
    metric_names: Vec<String>,
    rows: Vec<RowView>,
    histogram: String,
    unscored: usize,
    items: Vec<ItemView>,
    conditions: ConditionsView,
    similarity: Option<super::similarity::SimilarityView>,
}

/// A hidden test or metric threshold as pages show it.
#[derive(Serialize)]
pub struct ItemView {
    name: String,
    kind: &'static str,
    passed: usize,
    total: usize,
    pass_rate: f64,
    correlation: String,
    correlation_value: String,
    flag: &'static str,
}

#[derive(Serialize)]
struct ConditionsView {
    images: Vec<String>,
    engines: Vec<String>,
    canaries: usize,
    phases: Vec<PhaseSpreadView>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct PhaseSpreadView {
    name: String,
    runs: usize,
    wall: String,
    memory: String,
}

#[derive(Serialize)]
struct RowView {
    name: String,
    page: String,
    same_files_as: Vec<String>,
    /// Flagged similar submissions, "NAME (SCORE)".
    similar_to: Vec<String>,
    verdict: &'static str,
    verdict_tone: &'static str,
    score: String,
    /// The score as a share of the maximum, for sorting; -1 when there is none.
    score_share: String,
    metrics: Vec<MetricCell>,
    reproducibility: &'static str,
    reproducibility_tone: &'static str,
    wall: String,
    wall_value: String,
}

#[derive(Serialize)]
struct MetricCell {
    value: String,
    shown: String,
}

const TEMPLATE: &str = include_str!("templates/index.html");

/// `index.html`: the sortable table, the score histogram and the share passing each test.
pub fn index_html(rows: &[Row], round: &RoundExtras) -> Result<String, RenderError> {
    let similar = similar_to(rows, round.similarity);
    let metric_names = metric_names(rows);
    let (histogram, unscored) = histogram(rows);
    let view = IndexView {
        count: rows.len(),
        script: SORT_SCRIPT,
        script_hash: base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SORT_SCRIPT.as_bytes())),
        rows: rows.iter().map(|row| row_view(row, &metric_names, &similar)).collect(),
        metric_names,
        histogram,
        unscored,
        items: round.discrimination.iter().map(item_view).collect(),
        conditions: conditions_view(round.conditions),
        similarity: round
            .similarity
            .map(|c| super::similarity::view(c, "similarity.html", false)),
    };
    super::template::render_with(
        &[("similarity_summary.html", super::similarity::SUMMARY)],
        "index.html",
        TEMPLATE,
        &view,
    )
}

fn row_view(row: &Row, metric_names: &[String], similar: &HashMap<String, Vec<String>>) -> RowView {
    let report = &row.report;
    let verdict = report.verdict.as_str();
    let status = report.reproducibility.status.as_str();
    let share = report.score.filter(|s| s.max > 0.0).map(|s| s.total / s.max);
    RowView {
        name: plain(&row.name),
        page: row.report_html.clone(),
        same_files_as: row.same_files_as.iter().map(|n| plain(n)).collect(),
        similar_to: similar
            .get(&report.submission.sha256)
            .map(|o| o.iter().map(|n| plain(n)).collect())
            .unwrap_or_default(),
        verdict,
        verdict_tone: tone(verdict),
        score: report
            .score
            .map(|s| format!("{:.2} / {:.2}", s.total, s.max))
            .unwrap_or_else(|| "—".into()),
        score_share: share.map(|s| s.to_string()).unwrap_or_else(|| "-1".into()),
        metrics: metric_names
            .iter()
            .map(|name| {
                let value = metric_value(report, name);
                MetricCell {
                    value: value.map(|v| v.to_string()).unwrap_or_default(),
                    shown: number(value),
                }
            })
            .collect(),
        reproducibility: status,
        reproducibility_tone: tone(status),
        wall: format!("{:.1} s", wall(report)),
        wall_value: format!("{:.3}", wall(report)),
    }
}

/// Scores as a share of the maximum, in ten bins, as an SVG bar chart.
fn histogram(rows: &[Row]) -> (String, usize) {
    let mut bins = [0usize; 10];
    let mut none = 0;
    for report in rows.iter().map(|r| r.report.as_ref()) {
        match report.score.filter(|s| s.max > 0.0) {
            Some(score) if report.verdict != RunVerdict::InvalidSubmission => {
                let bin = ((score.total / score.max) * 10.0).floor().clamp(0.0, 9.0) as usize;
                bins[bin] += 1;
            }
            _ => none += 1,
        }
    }
    let top = bins.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut svg = String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"190\" role=\"img\">");
    for (i, count) in bins.iter().enumerate() {
        let height = *count as f64 / top * 140.0;
        let x = 20.0 + i as f64 * 52.0;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"44\" height=\"{height:.1}\" fill=\"#5b8def\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{count}</text><text x=\"{x}\" y=\"180\" font-size=\"11\">{}–{}%</text>",
            150.0 - height,
            x + 16.0,
            145.0 - height,
            i * 10,
            i * 10 + 10
        ));
    }
    svg.push_str("</svg>");
    (svg, none)
}

pub fn item_view(item: &Item) -> ItemView {
    ItemView {
        name: plain(&item.name),
        kind: match item.kind {
            ItemKind::Test => "test",
            ItemKind::Metric => "metric threshold",
        },
        passed: item.passed,
        total: item.total,
        pass_rate: item.pass_rate,
        correlation: item
            .correlation
            .map(|r| format!("{r:+.2}"))
            .unwrap_or_else(|| "—".into()),
        correlation_value: item.correlation.map(|r| r.to_string()).unwrap_or_default(),
        flag: item.flag.map(|f| f.explain()).unwrap_or_default(),
    }
}

fn conditions_view(conditions: &Conditions) -> ConditionsView {
    let listed = |used: &[crate::round::conditions::Used]| -> Vec<String> {
        used.iter()
            .map(|u| {
                format!(
                    "{} ({} submission(s), {} canary grade(s))",
                    plain(&u.value),
                    u.submissions,
                    u.canaries
                )
            })
            .collect()
    };
    ConditionsView {
        images: listed(&conditions.images),
        engines: listed(&conditions.engines),
        canaries: conditions.canaries,
        phases: conditions
            .phases
            .iter()
            .map(|p| PhaseSpreadView {
                name: plain(&p.name),
                runs: p.runs,
                wall: format!("{:.2}–{:.2} s ({:+.0}%)", p.wall_min, p.wall_max, p.wall_change * 100.0),
                memory: match (p.memory_min, p.memory_max) {
                    (Some(low), Some(high)) => {
                        format!("{}–{}", crate::units::format_size(low), crate::units::format_size(high))
                    }
                    _ => "—".into(),
                },
            })
            .collect(),
        warnings: conditions.warnings.iter().map(|w| plain(w)).collect(),
    }
}

/// What the round's index shows beyond its rows.
pub struct RoundExtras<'a> {
    pub similarity: Option<&'a Comparison>,
    pub discrimination: &'a [Item],
    pub conditions: &'a Conditions,
}
