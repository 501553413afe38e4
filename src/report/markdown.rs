//! report.md: the report for a terminal, a pull request or an applicant tracking system.

use std::fmt::Write;

use serde_json::Value;

use crate::model::Report;

/// A value in a table cell: one line that Markdown reads as plain text whatever it holds.
pub fn cell(value: &Value) -> String {
    safe(&text_of(value), true)
}

/// A value in running text (a heading, a sentence, a list item), plain as in `cell`.
pub fn inline(value: &Value) -> String {
    safe(&text_of(value), false)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Text with nothing Markdown could read as markup (numbers, words, our own phrases) stays as
/// it is; anything else goes into a code span, where no link, image, emphasis, HTML or
/// autolink is ever made. Inside a table a pipe is escaped, as tables require even in spans.
fn safe(text: &str, in_table: bool) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let chars: Vec<char> = text.chars().collect();
    // An underscore between letters or digits (timed_out) never starts emphasis.
    let intraword =
        |i: usize| i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
    let plain = chars
        .iter()
        .enumerate()
        .all(|(i, &c)| c.is_alphanumeric() || " .,%/=+-≥≤·—×'".contains(c) || (c == '_' && intraword(i)))
        && !text.to_ascii_lowercase().contains("www.");
    if plain {
        return text;
    }
    let text = if in_table { text.replace('|', "\\|") } else { text };
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space each side keeps a backtick at either end from joining the fence.
    format!("{fence} {text} {fence}")
}

/// A fenced block that the text inside cannot close.
pub fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '~').map(str::len).max().unwrap_or(0);
    let fence = "~".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", text.trim_end())
}

pub fn render(report: &Report) -> String {
    let v = super::view::build(report);
    let mut md = String::new();
    let _ = writeln!(md, "# {} · {}\n", inline(&v["assignment"]), inline(&v["submission"]));
    let _ = writeln!(
        md,
        "**{}** · score **{}** · reproducibility **{}** over {} run(s)\n",
        inline(&v["verdict"]),
        inline(&v["score"]),
        inline(&v["reproducibility"]["status"]),
        v["reproducibility"]["runs"]
    );
    let _ = writeln!(md, "{}\n", inline(&v["summary"]));
    let _ = writeln!(
        md,
        "Submission {}, {} file(s), {}.\n",
        inline(&v["sha256"]),
        v["files"],
        inline(&v["size"])
    );
    if !v["rejection"].is_null() {
        let _ = writeln!(md, "## Why the submission was refused\n\n{}\n", inline(&v["rejection"]));
    }
    table(
        &mut md,
        "Metrics",
        &v["metrics"],
        &["name", "kind", "value", "threshold", "points", "message"],
        &["metric", "kind", "value", "threshold", "points", "note"],
        Some("passed"),
    );
    table(
        &mut md,
        "Phases",
        &v["phases"],
        &["name", "verdict", "exit_code", "wall", "cpu", "peak", "message"],
        &["phase", "verdict", "exit", "wall", "CPU", "peak memory", "why"],
        None,
    );
    if let Some(groups) = v["groups"].as_array().filter(|g| !g.is_empty()) {
        let _ = writeln!(
            md,
            "## Hidden tests\n\nResults come from a JUnit file written in a container that ran candidate code.\n"
        );
        for group in groups {
            let _ = writeln!(
                md,
                "### {}: {} passed, {} points\n",
                inline(&group["name"]),
                inline(&group["passed"]),
                inline(&group["points"])
            );
            rows(
                &mut md,
                &group["tests"],
                &["name", "status", "seconds", "message"],
                &["test", "status", "time", "message"],
                None,
            );
        }
    }
    if let Some(confusion) = v["confusion"].as_object() {
        let _ = writeln!(md, "## Confusion matrix ({})\n", inline(&confusion["metric"]));
        let classes: Vec<String> = confusion["classes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(cell)
            .collect();
        let _ = writeln!(md, "| true \\ predicted | {} |", classes.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(classes.len()));
        for row in confusion["rows"].as_array().into_iter().flatten() {
            let counts: Vec<String> = row["cells"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["n"].to_string())
                .collect();
            let _ = writeln!(md, "| {} | {} |", cell(&row["class"]), counts.join(" | "));
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "## Reproducibility\n\n{} over {} run(s).\n",
        inline(&v["reproducibility"]["status"]),
        v["reproducibility"]["runs"]
    );
    rows(
        &mut md,
        &v["reproducibility"]["differences"],
        &["what", "run", "first", "other"],
        &["what", "run", "first run", "that run"],
        None,
    );
    rows(
        &mut md,
        &v["reproducibility"]["seeds"],
        &["metric", "min", "max", "std_dev", "values"],
        &["metric", "min", "max", "std dev", "values"],
        None,
    );
    if let Some(phases) = v["phases"].as_array().filter(|p| !p.is_empty()) {
        let _ = writeln!(md, "## Logs (last 4 KiB of each)\n");
        for phase in phases.iter().filter(|p| p["ran"] == true) {
            let _ = writeln!(
                md,
                "### {}\n\nstdout:\n\n{}\nstderr:\n\n{}",
                inline(&phase["name"]),
                fenced(phase["stdout_tail"].as_str().unwrap_or("")),
                fenced(phase["stderr_tail"].as_str().unwrap_or(""))
            );
        }
    }
    if let Some(review) = v["review"].as_object() {
        let _ = writeln!(
            md,
            "## Rubric review\n\nBy {}: rubric {}, final grade **{}**, Krippendorff's alpha {}.\n",
            inline(&review["reviewers"]),
            inline(&review["rubric"]),
            inline(&review["final"]),
            inline(&review["alpha"])
        );
        rows(
            &mut md,
            &review["criteria"],
            &["criterion", "points", "ratings", "disagreement"],
            &["criterion", "points", "ratings", "differ by more than one level"],
            None,
        );
    } else {
        rows(
            &mut md,
            &v["rubric"],
            &["criterion", "weight", "levels"],
            &["rubric criterion", "weight", "levels"],
            None,
        );
    }
    let _ = writeln!(
        md,
        "## Provenance\n\n- isolation: {}\n- image: {} {}\n- engine: {}\n- assay: {}\n- run: {}, {} to {}",
        inline(&v["isolation"]),
        inline(&v["provenance"]["image"]),
        inline(&v["provenance"]["image_id"]),
        inline(&v["provenance"]["engine_version"]),
        inline(&v["provenance"]["assay_version"]),
        inline(&v["provenance"]["run_id"]),
        inline(&v["provenance"]["started_at"]),
        inline(&v["provenance"]["finished_at"])
    );
    md
}

fn table(md: &mut String, title: &str, items: &Value, keys: &[&str], headers: &[&str], passed: Option<&str>) {
    if items.as_array().is_some_and(|a| !a.is_empty()) {
        let _ = writeln!(md, "## {title}\n");
        rows(md, items, keys, headers, passed);
    }
}

fn rows(md: &mut String, items: &Value, keys: &[&str], headers: &[&str], passed: Option<&str>) {
    let Some(items) = items.as_array().filter(|a| !a.is_empty()) else {
        return;
    };
    let mut header: Vec<&str> = headers.to_vec();
    if passed.is_some() {
        header.insert(1, "result");
    }
    let _ = writeln!(md, "| {} |\n|{}", header.join(" | "), "---|".repeat(header.len()));
    for item in items {
        let mut cells: Vec<String> = keys.iter().map(|k| cell(&item[*k])).collect();
        if let Some(key) = passed {
            cells.insert(
                1,
                if item[key] == true {
                    "passed".into()
                } else {
                    "missed".into()
                },
            );
        }
        let _ = writeln!(md, "| {} |", cells.join(" | "));
    }
    md.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_text_cannot_break_out() {
        assert_eq!(cell(&Value::from("a|b\n<script>`x`")), "`` a\\|b <script>`x` ``");
        assert_eq!(inline(&Value::from("![p](http://x)")), "` ![p](http://x) `");
        assert_eq!(cell(&Value::from("0.75")), "0.75");
        assert_eq!(cell(&Value::from("≥ 0.9")), "≥ 0.9");
        assert_eq!(cell(&Value::from("www.evil.example")), "` www.evil.example `");
        assert_eq!(cell(&Value::from("timed_out")), "timed_out");
        assert_eq!(cell(&Value::from("_em_")), "` _em_ `");
        let block = fenced("~~~\nclose\n~~~~~");
        assert!(block.starts_with("~~~~~~text\n"), "{block}");
        assert!(block.ends_with("\n~~~~~~\n"), "{block}");
    }
}
