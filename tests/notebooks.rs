//! Notebook phases in real containers: the candidate's notebook run again top to bottom with
//! nbclient, and each cell's handed-in outputs checked against the re-run.

mod common;

use std::path::Path;

use assay::model::Report;
use assay::notebook::{CellOutcome, NotebookCheck, NotebookStatus};
use common::*;

const SPEC: &str = r#"[assignment]
id = "notebook-claims"
title = "A notebook's claims"

[sandbox]
image = "assay/python-ml"
memory = "768MiB"
timeout = "2m"

[[phase]]
name = "analysis"
notebook = "analysis.ipynb"
cell_timeout = "CELL_TIMEOUT"
timeout = "90s"

[[metric]]
name = "reproduced"
kind = "notebook_reproduced"
phase = "analysis"
weight = 10
pass_at = 1.0
required = false

[reproducibility]
runs = 2
"#;

/// A code cell with the outputs the candidate handed in (printed lines).
fn code(source: &str, printed: &[&str]) -> serde_json::Value {
    let outputs: Vec<serde_json::Value> = printed
        .iter()
        .map(|text| serde_json::json!({"output_type": "stream", "name": "stdout", "text": text}))
        .collect();
    serde_json::json!({"cell_type": "code", "metadata": {}, "execution_count": 1, "source": source, "outputs": outputs})
}

fn markdown(source: &str) -> serde_json::Value {
    serde_json::json!({"cell_type": "markdown", "metadata": {}, "source": source})
}

fn notebook_submission(cells: Vec<serde_json::Value>) -> tempfile::TempDir {
    let notebook = serde_json::json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells});
    submission(&[("analysis.ipynb", &notebook.to_string())])
}

fn graded(assignment: &Path, cells: Vec<serde_json::Value>) -> (Graded, tempfile::TempDir) {
    let submission = notebook_submission(cells);
    (Grading::new(assignment, submission.path()).run(), submission)
}

fn check(report: &Report) -> &NotebookCheck {
    assert_eq!(report.notebooks.len(), 1, "{:?}", report.summary);
    &report.notebooks[0]
}

fn outcomes(check: &NotebookCheck) -> Vec<Option<CellOutcome>> {
    check.cells.iter().map(|c| c.outcome).collect()
}

const SPLIT: &str = "import numpy as np\nfrom sklearn.datasets import load_digits\nfrom sklearn.linear_model import LogisticRegression\nfrom sklearn.model_selection import train_test_split\nX, y = load_digits(return_X_y=True)\n";

#[test]
fn a_deterministic_notebook_reproduces_and_a_random_split_drifts() {
    require_engine();
    sandbox_image();
    let assignment = assignment_dir("60s");
    let (deterministic, _s) = graded(
        assignment.path(),
        vec![
            markdown("# Digits"),
            code(SPLIT, &[]),
            code(
                "Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)\nmodel = LogisticRegression(max_iter=2000).fit(Xtr, ytr)\nprint(f'test rows: {len(yte)}')\nprint(f'accuracy: {model.score(Xte, yte):.4f}')",
                &["test rows: 450\n", "accuracy: 0.9533\n"],
            ),
        ],
    );
    let report = &deterministic.report;
    let notebook = check(report);
    assert_eq!(notebook.status, NotebookStatus::Reproduced, "{}", notebook.summary);
    assert_eq!(
        outcomes(notebook),
        [None, Some(CellOutcome::NoClaim), Some(CellOutcome::Same)]
    );
    assert_eq!(notebook.summary, "1 of 1 cells reproduce");
    assert_eq!(metric(report, "reproduced").value, Some(1.0));
    assert!(metric(report, "reproduced").passed);
    // The executed notebook is an output, written by the runner.
    let executed = deterministic.dir.join("outputs/analysis/out/notebook.ipynb");
    let executed = std::fs::read_to_string(&executed).unwrap_or_else(|e| panic!("{}: {e}", executed.display()));
    assert!(executed.contains("accuracy: 0.9533"), "{executed}");

    // The split is unseeded: which rows are tested (and so their sum) moves on every run.
    let (random, _s) = graded(
        assignment.path(),
        vec![code(
            &format!(
                "{SPLIT}Xtr, Xte, ytr, yte, itr, ite = train_test_split(X, y, np.arange(len(y)))\nprint(f'test ids sum to {{ite.sum()}}')"
            ),
            &["test ids sum to 404321\n"],
        )],
    );
    let notebook = check(&random.report);
    assert_eq!(notebook.status, NotebookStatus::Differs);
    let cell = &notebook.cells[0];
    assert_eq!(cell.outcome, Some(CellOutcome::NumbersDrifted), "{:?}", cell.note);
    assert_eq!(cell.drifts.len(), 1);
    assert_eq!(cell.drifts[0].label, "test ids sum to");
    assert_eq!(cell.drifts[0].claimed, "404321");
    assert_ne!(cell.drifts[0].rerun, "404321");
    assert!(
        notebook
            .summary
            .starts_with("0 of 1 cells reproduce; cell 1 claimed test ids sum to 404321, re-run gives "),
        "{}",
        notebook.summary
    );
    assert_eq!(metric(&random.report, "reproduced").value, Some(0.0));
    let markdown = std::fs::read_to_string(random.dir.join("report.md")).unwrap();
    assert!(markdown.contains("does not reproduce all its claims"), "{markdown}");
    assert!(markdown.contains("cell 1: numbers drifted"), "{markdown}");
}

#[test]
fn an_edited_claim_a_new_failure_and_a_timeout_are_named() {
    require_engine();
    sandbox_image();
    let assignment = assignment_dir("60s");
    // The candidate computes 0.9533 every time but wrote 0.99 into the output by hand.
    let (edited, _s) = graded(
        assignment.path(),
        vec![
            code(SPLIT, &[]),
            code(
                "Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)\nmodel = LogisticRegression(max_iter=2000).fit(Xtr, ytr)\nprint(f'accuracy: {model.score(Xte, yte):.4f}')",
                &["accuracy: 0.9900\n"],
            ),
            code("import os\nprint(os.environ['DATA_DIR'])", &["/home/me/data\n"]),
            code("print('after the failure')", &["after the failure\n"]),
        ],
    );
    let notebook = check(&edited.report);
    assert_eq!(
        outcomes(notebook),
        [
            Some(CellOutcome::NoClaim),
            Some(CellOutcome::Different),
            Some(CellOutcome::NewlyFailing),
            Some(CellOutcome::Same),
        ]
    );
    assert_eq!((notebook.cells_checked, notebook.cells_reproduced), (3, 1));
    let note = notebook.cells[1].note.as_deref().unwrap();
    assert!(
        note.starts_with("claimed accuracy 0.9900, but all 2 re-runs give 0.9533"),
        "{note}"
    );
    assert!(
        notebook.summary.contains("cell 3 now fails: KeyError: 'DATA_DIR'"),
        "{}",
        notebook.summary
    );
    let reproduced = metric(&edited.report, "reproduced");
    assert!((reproduced.value.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!(!reproduced.passed);
    assert_eq!(edited.report.verdict.as_str(), "passed", "the metric is not required");

    // A cell past its timeout stops the run; the cells after it are named, not run.
    let quick = assignment_dir("3s");
    let (slow, _s) = graded(
        quick.path(),
        vec![
            code("print('quick')", &["quick\n"]),
            code("import time\ntime.sleep(60)\nprint('slow')", &["slow\n"]),
            code("print('never')", &["never\n"]),
        ],
    );
    let notebook = check(&slow.report);
    assert_eq!(
        outcomes(notebook),
        [
            Some(CellOutcome::Same),
            Some(CellOutcome::NewlyFailing),
            Some(CellOutcome::NotRun),
        ]
    );
    assert!(
        notebook.cells[1]
            .note
            .as_deref()
            .unwrap()
            .contains("CellTimeout: the cell ran longer than 3 s"),
        "{:?}",
        notebook.cells[1].note
    );
    assert!(
        slow.report.phases[0].wall_seconds < 30.0,
        "the cell timeout ended the run"
    );

    // Handed in without outputs: nothing is claimed, so nothing fails.
    let (bare, _s) = graded(assignment.path(), vec![code("print(1)", &[])]);
    let notebook = check(&bare.report);
    assert_eq!(notebook.status, NotebookStatus::Unverifiable);
    let reproduced = metric(&bare.report, "reproduced");
    assert_eq!(reproduced.value, None);
    assert!(reproduced.passed && reproduced.points == 0.0);
}

#[test]
fn a_hostile_notebook_renders_inert_in_chromium() {
    require_engine();
    sandbox_image();
    let assignment = assignment_dir("60s");
    let payload = "<script>document.body.setAttribute('data-pwned','script')</script><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";
    let (hostile, _s) = graded(
        assignment.path(),
        vec![
            markdown(&format!(
                "# Results\n\n{payload}\n\n[more](javascript:document.body.setAttribute('data-pwned','link'))"
            )),
            code(&format!("print({payload:?})"), &[&format!("{payload}\n")]),
            code(
                "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()\nprint('<b>claimed</b>')",
                &["<b>other</b>\n"],
            ),
        ],
    );
    let notebook = check(&hostile.report);
    assert_eq!(notebook.cells[1].outcome, Some(CellOutcome::Same));
    assert_eq!(notebook.cells[2].outcome, Some(CellOutcome::Different));
    let html_path = hostile.dir.join("report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<h1>Results</h1>"), "markdown is rendered");
    assert!(html.contains("cell code differs"), "the changed cell is marked");
    assert!(html.contains("handed in:"), "the claim is shown beside it");
    let dom = chromium_dom(&html_path);
    assert!(!dom.contains("data-pwned=\""), "a payload ran: {dom}");
    assert!(!dom.contains("<script"), "a script element is in the DOM");
    assert!(dom.contains("&lt;script&gt;document.body"), "the payload is text");
    // The plot the notebook drew is shown, as a PNG assay encoded.
    assert_eq!(dom.matches("src=\"data:image/png;base64,").count(), 1, "one picture");
}

fn assignment_dir(cell_timeout: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "assignment.toml",
        &SPEC.replace("CELL_TIMEOUT", cell_timeout),
    );
    dir
}
