//! report.md: the report for a terminal, a pull request or an applicant tracking system.

use std::fmt::Write;

use crate::model::Report;

/// A value in a table cell: one line that Markdown reads as plain text whatever it holds.
pub fn cell(text: &str) -> String {
    safe(text, true)
}

/// A value in running text (a heading, a sentence, a list item), plain as in `cell`.
pub fn inline(text: &str) -> String {
    safe(text, false)
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
    let _ = writeln!(md, "# {} · {}\n", inline(v.assignment), inline(&v.submission));
    let _ = writeln!(
        md,
        "**{}** · score **{}** · reproducibility **{}** over {} run(s)\n",
        inline(v.verdict),
        inline(&v.score),
        inline(v.reproducibility.status),
        v.reproducibility.runs
    );
    let _ = writeln!(md, "{}\n", inline(&v.summary));
    let _ = writeln!(
        md,
        "Submission {}, {} file(s), {}.\n",
        inline(v.sha256),
        v.files,
        inline(&v.size)
    );
    if let Some(rejection) = &v.rejection {
        let _ = writeln!(md, "## Why the submission was refused\n\n{}\n", inline(rejection));
    }
    if !v.metrics.is_empty() {
        let _ = writeln!(md, "## Metrics\n");
        table(
            &mut md,
            &["metric", "result", "kind", "value", "threshold", "points", "note"],
            v.metrics.iter().map(|m| {
                let result = if m.passed { "passed" } else { "missed" };
                cells([&m.name, result, &m.kind, &m.value, &m.threshold, &m.points, &m.message])
            }),
        );
    }
    if !v.phases.is_empty() {
        let _ = writeln!(md, "## Phases\n");
        table(
            &mut md,
            &["phase", "verdict", "exit", "wall", "CPU", "peak memory", "why"],
            v.phases
                .iter()
                .map(|p| cells([&p.name, p.verdict, &p.exit_code, &p.wall, &p.cpu, &p.peak, &p.message])),
        );
    }
    if !v.groups.is_empty() {
        let _ = writeln!(
            md,
            "## Hidden tests\n\nResults come from a JUnit file written in a container that ran candidate code.\n"
        );
        for group in &v.groups {
            let _ = writeln!(
                md,
                "### {}: {} passed, {} points\n",
                inline(&group.name),
                inline(&group.passed),
                inline(&group.points)
            );
            table(
                &mut md,
                &["test", "status", "time", "message"],
                group
                    .tests
                    .iter()
                    .map(|t| cells([&t.name, t.status, &t.seconds, &t.message])),
            );
        }
    }
    if let Some(confusion) = &v.confusion {
        let _ = writeln!(md, "## Confusion matrix ({})\n", inline(&confusion.metric));
        let classes: Vec<String> = confusion.classes.iter().map(|c| cell(c)).collect();
        let _ = writeln!(md, "| true \\ predicted | {} |", classes.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(classes.len()));
        for row in &confusion.rows {
            let counts: Vec<String> = row.cells.iter().map(|c| c.n.to_string()).collect();
            let _ = writeln!(md, "| {} | {} |", cell(&row.class), counts.join(" | "));
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "## Reproducibility\n\n{} over {} run(s).\n",
        inline(v.reproducibility.status),
        v.reproducibility.runs
    );
    table(
        &mut md,
        &["what", "run", "first run", "that run"],
        v.reproducibility
            .differences
            .iter()
            .map(|d| cells([&d.what, &d.run.to_string(), &d.first, &d.other])),
    );
    table(
        &mut md,
        &["metric", "min", "max", "std dev", "values"],
        v.reproducibility
            .seeds
            .iter()
            .map(|s| cells([&s.metric, &s.min, &s.max, &s.std_dev, &s.values])),
    );
    for notebook in &v.notebooks {
        let _ = writeln!(
            md,
            "The notebook {}, run again top to bottom: {} ({}).\n",
            inline(&notebook.notebook),
            notebook.hint,
            inline(&notebook.summary)
        );
        table(
            &mut md,
            &["cell that changed"],
            notebook.changed.iter().map(|line| cells([line.as_str()])),
        );
    }
    if !v.phases.is_empty() {
        let _ = writeln!(md, "## Logs (last 4 KiB of each)\n");
        for phase in v.phases.iter().filter(|p| p.ran) {
            let _ = writeln!(
                md,
                "### {}\n\nstdout:\n\n{}\nstderr:\n\n{}",
                inline(&phase.name),
                fenced(&phase.stdout_tail),
                fenced(&phase.stderr_tail)
            );
        }
    }
    if let Some(review) = &v.review {
        let _ = writeln!(
            md,
            "## Rubric review\n\nBy {}: rubric {}, final grade **{}**, Krippendorff's alpha {}.\n",
            inline(&review.reviewers),
            inline(&review.rubric),
            inline(&review.final_grade),
            inline(&review.alpha)
        );
        table(
            &mut md,
            &["criterion", "points", "ratings", "differ by more than one level"],
            review
                .criteria
                .iter()
                .map(|c| cells([&c.criterion, &c.points, &c.ratings, &c.disagreement.to_string()])),
        );
    } else {
        table(
            &mut md,
            &["rubric criterion", "weight", "levels"],
            v.rubric.iter().map(|c| cells([c.criterion, &c.weight, &c.levels])),
        );
    }
    let p = v.provenance;
    let _ = writeln!(
        md,
        "## Provenance\n\n- isolation: {}\n- image: {} {}\n- engine: {}\n- assay: {}\n- run: {}, {} to {}",
        inline(v.isolation),
        inline(&p.image),
        inline(&p.image_id),
        inline(&p.engine_version),
        inline(&p.assay_version),
        inline(&p.run_id),
        inline(&p.started_at),
        inline(&p.finished_at)
    );
    md
}

/// A row of cells, each made plain with `cell`.
fn cells<const N: usize>(texts: [&str; N]) -> [String; N] {
    texts.map(cell)
}

/// A table of rows already made plain with `cell`; nothing at all when there are no rows.
fn table<const N: usize>(md: &mut String, headers: &[&str; N], rows: impl Iterator<Item = [String; N]>) {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return;
    }
    let _ = writeln!(md, "| {} |\n|{}", headers.join(" | "), "---|".repeat(N));
    for row in rows {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_text_cannot_break_out() {
        assert_eq!(cell("a|b\n<script>`x`"), "`` a\\|b <script>`x` ``");
        assert_eq!(inline("![p](http://x)"), "` ![p](http://x) `");
        assert_eq!(cell("0.75"), "0.75");
        assert_eq!(cell("≥ 0.9"), "≥ 0.9");
        assert_eq!(cell("www.evil.example"), "` www.evil.example `");
        assert_eq!(cell("timed_out"), "timed_out");
        assert_eq!(cell("_em_"), "` _em_ `");
        let block = fenced("~~~\nclose\n~~~~~");
        assert!(block.starts_with("~~~~~~text\n"), "{block}");
        assert!(block.ends_with("\n~~~~~~\n"), "{block}");
    }
}
