//! The summary of a hiring round: `summary.csv` and `index.html` over every report in OUT.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::report::view::{plain, xml_escape};
use crate::report::{Report, RunVerdict};

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
    /// What the round shows of the report (see `slim`), shared by every name of its files.
    pub report: std::rc::Rc<Report>,
    /// Other names whose files were the same, byte for byte: worth a look for copying.
    pub same_files_as: Vec<String>,
}

/// Every report.json one level below `out`, once per name its files came under, by name.
/// A report that is not assay's (unreadable, or not in the folder its hash names) is left out
/// with a warning.
pub fn rows(out: &Path) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let dir = entry?.path();
        let path = dir.join("report.json");
        if !path.is_file() {
            continue;
        }
        let report = match read_ours(&dir) {
            Ok(report) => report,
            Err(why) => {
                eprintln!(
                    "warning: {} is left out of the round summary: {why}",
                    crate::text::terminal_safe(&path.display().to_string())
                );
                continue;
            }
        };
        let report = std::rc::Rc::new(slim(report));
        let mut names = crate::submitters::read(&dir);
        if names.is_empty() {
            names.push(report.submission.name.clone());
        }
        for name in &names {
            rows.push(Row {
                name: name.clone(),
                report: report.clone(),
                same_files_as: names.iter().filter(|n| *n != name).cloned().collect(),
            });
        }
    }
    rows.sort_by(|a, b| (&a.name, &a.report.submission.sha256).cmp(&(&b.name, &b.report.submission.sha256)));
    Ok(rows)
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
fn read_ours(dir: &Path) -> Result<Report, String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(dir.join("report.json"))
        .and_then(|f| f.take(MAX_REPORT_BYTES).read_to_string(&mut text))
        .map_err(|e| format!("cannot be read ({e})"))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| format!("not a report assay can read ({e})"))?;
    let sha256 = &report.submission.sha256;
    let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) && folder == &sha256[..16];
    if !valid {
        return Err("its submission hash does not name its folder".to_string());
    }
    Ok(report)
}

/// A report.json larger than this is not one assay wrote.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Keeps a spreadsheet from reading a candidate's file name as a formula.
fn cell(text: &str) -> String {
    let text = plain(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

fn wall(report: &Report) -> f64 {
    report.phases.iter().map(|p| p.wall_seconds).sum()
}

fn status(report: &Report) -> String {
    serde_json::to_value(report.reproducibility.status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Writes `summary.csv` and `index.html` over every report in `out`, under a lock and each file
/// whole, so graders finishing at once in other processes never tear them.
pub fn write(out: &Path) -> anyhow::Result<()> {
    let _lock = crate::store::Lock::acquire(&out.join(".round.lock"))?;
    let rows = rows(out)?;
    let reports: Vec<&Report> = rows.iter().map(|r| r.report.as_ref()).collect();
    let metric_names: Vec<String> = {
        let mut names: Vec<String> = Vec::new();
        for report in &reports {
            for metric in &report.metrics {
                if !names.contains(&metric.name) {
                    names.push(metric.name.clone());
                }
            }
        }
        names
    };
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
    header.extend(["reproducibility".to_string(), "wall_seconds".into(), "report".into()]);
    csv.write_record(&header)?;
    for Row {
        name,
        report,
        same_files_as,
    } in &rows
    {
        let others: Vec<String> = same_files_as.iter().map(|n| cell(n)).collect();
        let mut row = vec![
            cell(name),
            report.submission.sha256.clone(),
            others.join("; "),
            report.verdict.as_str().to_string(),
            report.score.map(|s| s.total.to_string()).unwrap_or_default(),
            report.score.map(|s| s.max.to_string()).unwrap_or_default(),
        ];
        for name in &metric_names {
            let value = report.metrics.iter().find(|m| m.name == *name).and_then(|m| m.value);
            row.push(value.map(|v| v.to_string()).unwrap_or_default());
        }
        row.push(status(report));
        row.push(format!("{:.3}", wall(report)));
        row.push(format!("{}/report.json", &report.submission.sha256[..16]));
        csv.write_record(&row)?;
    }
    let csv = csv
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing summary.csv: {e}"))?;
    crate::store::write_atomically(&out.join("summary.csv"), &csv)?;
    crate::store::write_atomically(&out.join("index.html"), index_html(&rows, &metric_names).as_bytes())?;
    Ok(())
}

fn index_html(rows: &[Row], metric_names: &[String]) -> String {
    let reports: Vec<&Report> = rows.iter().map(|r| r.report.as_ref()).collect();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SORT_SCRIPT.as_bytes()));
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>Hiring round: {} submission(s)</title>\n<style>body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; }} table {{ border-collapse: collapse; width: 100%; }} th, td {{ text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eef1f5; }} th[data-sort] {{ cursor: pointer; }} .good {{ color: #11703a; font-weight: 600; }} .bad {{ color: #b3261e; font-weight: 600; }} .neutral {{ color: #8a5a00; font-weight: 600; }}</style>\n</head><body>\n<h1>Hiring round: {} submission(s)</h1>\n",
        reports.len(),
        reports.len()
    );
    html.push_str("<h2>Submissions</h2>\n<p>Click a column to sort.</p>\n<table><thead><tr><th data-sort=\"text\">name</th><th data-sort=\"text\">verdict</th><th data-sort=\"number\">score</th>");
    for name in metric_names {
        html.push_str(&format!("<th data-sort=\"number\">{}</th>", xml_escape(name)));
    }
    html.push_str(
        "<th data-sort=\"text\">reproducibility</th><th data-sort=\"number\">wall</th></tr></thead><tbody>\n",
    );
    for row in rows {
        let report = &row.report;
        let share = report.score.filter(|s| s.max > 0.0).map(|s| s.total / s.max);
        let verdict = report.verdict.as_str();
        let same = if row.same_files_as.is_empty() {
            String::new()
        } else {
            let others: Vec<String> = row.same_files_as.iter().map(|n| xml_escape(&plain(n))).collect();
            format!(" <span class=\"neutral\">same files as {}</span>", others.join(", "))
        };
        html.push_str(&format!(
            "<tr><td><a href=\"{}/report.html\">{}</a>{same}</td><td class=\"{}\">{verdict}</td><td data-value=\"{}\">{}</td>",
            &report.submission.sha256[..16],
            xml_escape(&plain(&row.name)),
            crate::report::view::tone(verdict),
            share.map(|s| s.to_string()).unwrap_or_else(|| "-1".into()),
            report.score.map(|s| format!("{:.2} / {:.2}", s.total, s.max)).unwrap_or_else(|| "—".into())
        ));
        for name in metric_names {
            let value = report.metrics.iter().find(|m| m.name == *name).and_then(|m| m.value);
            html.push_str(&format!(
                "<td data-value=\"{}\">{}</td>",
                value.map(|v| v.to_string()).unwrap_or_default(),
                crate::report::view::number(value)
            ));
        }
        let status = status(report);
        html.push_str(&format!(
            "<td class=\"{}\">{status}</td><td data-value=\"{:.3}\">{:.1} s</td></tr>\n",
            crate::report::view::tone(&status),
            wall(report),
            wall(report)
        ));
    }
    html.push_str("</tbody></table>\n<h2>Score distribution</h2>\n");
    html.push_str(&histogram(&reports));
    let tests = test_shares(&reports);
    if !tests.is_empty() {
        html.push_str("<h2>Hidden tests: share of submissions that passed</h2>\n<table><thead><tr><th data-sort=\"text\">test</th><th data-sort=\"number\">passed</th></tr></thead><tbody>\n");
        for (name, (passed, total)) in tests {
            html.push_str(&format!(
                "<tr><td><code>{}</code></td><td data-value=\"{}\">{passed} of {total}</td></tr>\n",
                xml_escape(&plain(&name)),
                passed as f64 / total as f64
            ));
        }
        html.push_str("</tbody></table>\n");
    }
    html.push_str(&format!("<script>{SORT_SCRIPT}</script>\n</body></html>\n"));
    html
}

/// Scores as a share of the maximum, in ten bins, as an SVG bar chart.
fn histogram(reports: &[&Report]) -> String {
    let mut bins = [0usize; 10];
    let mut none = 0;
    for report in reports {
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
    if none > 0 {
        svg.push_str(&format!(
            "<p>{none} submission(s) without a score (refused, or the harness failed).</p>"
        ));
    }
    svg
}

fn test_shares(reports: &[&Report]) -> BTreeMap<String, (usize, usize)> {
    let mut shares: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for report in reports {
        for test in &report.tests {
            let entry = shares.entry(test.name.clone()).or_default();
            entry.1 += 1;
            if test.status == crate::junit::TestStatus::Passed {
                entry.0 += 1;
            }
        }
    }
    shares
}
