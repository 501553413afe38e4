//! The claims check: each code cell's outputs as handed in, against the same cell run again in
//! the sandbox. Text must match once numbers are taken out; numbers must agree within the
//! tolerance; pictures must be the same size and look alike; an error that appears or goes
//! away is named.

use serde::{Deserialize, Serialize};

use super::numbers::{Number, read};
use super::parse::{Cell, CellKind, Notebook, Output};
use super::png::same_picture;

/// Cells after this many are not shown in a report (they are still checked).
pub const MAX_SHOWN_CELLS: usize = 400;
/// Characters of one cell's source or one output kept for the report.
pub const MAX_SHOWN_CHARS: usize = 20_000;
/// Outputs of one cell kept for the report.
pub const MAX_SHOWN_OUTPUTS: usize = 50;
/// Base64 characters of pictures one notebook may put in a report.
pub const MAX_SHOWN_IMAGE_CHARS: usize = 6 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotebookStatus {
    /// Every cell with a claim printed it again.
    Reproduced,
    /// Some cells did not.
    Differs,
    /// The notebook was handed in without outputs: nothing to check, not a failure.
    Unverifiable,
    /// The notebook could not be read or run; `summary` says why.
    NotChecked,
}

impl NotebookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotebookStatus::Reproduced => "reproduced",
            NotebookStatus::Differs => "differs",
            NotebookStatus::Unverifiable => "unverifiable",
            NotebookStatus::NotChecked => "not_checked",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellOutcome {
    Same,
    NumbersDrifted,
    Different,
    NewlyFailing,
    /// Handed in with an error; runs cleanly now.
    NoLongerFailing,
    /// The run stopped before this cell (an earlier cell timed out or killed the kernel).
    NotRun,
    /// Handed in without outputs: no claim to check.
    NoClaim,
}

impl CellOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CellOutcome::Same => "same",
            CellOutcome::NumbersDrifted => "numbers_drifted",
            CellOutcome::Different => "different",
            CellOutcome::NewlyFailing => "newly_failing",
            CellOutcome::NoLongerFailing => "no_longer_failing",
            CellOutcome::NotRun => "not_run",
            CellOutcome::NoClaim => "no_claim",
        }
    }
}

/// A number a cell printed that moved past the tolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub label: String,
    pub claimed: String,
    pub rerun: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShownKind {
    Text,
    Stderr,
    Error,
    Image,
    BrokenImage,
}

/// An output as a report shows it: text, or a PNG assay encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownOutput {
    pub kind: ShownKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub png: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownCell {
    /// Position in the notebook, counting every cell from 1.
    pub number: u32,
    /// code, markdown or raw.
    pub kind: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CellOutcome>,
    /// What changed, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drifts: Vec<Drift>,
    /// The outputs of the re-execution (those handed in, when it did not run).
    pub outputs: Vec<ShownOutput>,
    /// The outputs handed in, kept when they differ from the re-execution's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claimed: Vec<ShownOutput>,
}

/// One notebook phase's check, as report.json records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotebookCheck {
    pub phase: String,
    /// The notebook's path in the submission.
    pub notebook: String,
    pub status: NotebookStatus,
    pub summary: String,
    pub cells_checked: u32,
    pub cells_reproduced: u32,
    /// cells_reproduced / cells_checked, when any cell made a claim and the notebook ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    pub cells: Vec<ShownCell>,
    /// Cells or pictures were left out of `cells` to keep the report small.
    #[serde(default)]
    pub shortened: bool,
}

/// The check of a notebook phase that could not compare anything.
pub fn not_checked(phase: &str, notebook: &str, why: String, submitted: Option<&Notebook>) -> NotebookCheck {
    let mut check = NotebookCheck {
        phase: phase.to_string(),
        notebook: notebook.to_string(),
        status: NotebookStatus::NotChecked,
        summary: why,
        cells_checked: 0,
        cells_reproduced: 0,
        share: None,
        cells: Vec::new(),
        shortened: false,
    };
    if let Some(submitted) = submitted {
        (check.cells, check.shortened) = shown(submitted);
    }
    check
}

/// A notebook's cells as a report shows them, unjudged; true when some were left out.
pub fn shown(notebook: &Notebook) -> (Vec<ShownCell>, bool) {
    let mut budget = MAX_SHOWN_IMAGE_CHARS;
    let mut shortened = notebook.cells.len() > MAX_SHOWN_CELLS;
    let cells = notebook
        .cells
        .iter()
        .enumerate()
        .take(MAX_SHOWN_CELLS)
        .map(|(i, cell)| shown_cell(i, cell, None, None, &mut budget, &mut shortened))
        .collect();
    (cells, shortened)
}

/// Compares the notebook as handed in with its re-execution (the same cells, in order).
pub fn check(phase: &str, notebook: &str, submitted: &Notebook, executed: &Notebook, tolerance: f64) -> NotebookCheck {
    if submitted.cells.len() != executed.cells.len() {
        return not_checked(
            phase,
            notebook,
            format!(
                "the executed notebook has {} cells, the one handed in {}: they cannot be compared",
                executed.cells.len(),
                submitted.cells.len()
            ),
            Some(submitted),
        );
    }
    let mut budget = MAX_SHOWN_IMAGE_CHARS;
    let mut shortened = submitted.cells.len() > MAX_SHOWN_CELLS;
    let mut cells = Vec::new();
    let (mut checked, mut reproduced) = (0u32, 0u32);
    for (i, (claimed, rerun)) in submitted.cells.iter().zip(&executed.cells).enumerate() {
        let judged = (claimed.kind == CellKind::Code).then(|| judge(claimed, rerun, tolerance));
        if let Some((outcome, _, _)) = &judged
            && *outcome != CellOutcome::NoClaim
        {
            checked += 1;
            reproduced += (*outcome == CellOutcome::Same) as u32;
        }
        if i < MAX_SHOWN_CELLS {
            cells.push(shown_cell(i, rerun, Some(claimed), judged, &mut budget, &mut shortened));
        }
    }
    let mut check = NotebookCheck {
        phase: phase.to_string(),
        notebook: notebook.to_string(),
        status: NotebookStatus::Unverifiable,
        summary: String::new(),
        cells_checked: checked,
        cells_reproduced: reproduced,
        share: (checked > 0).then(|| reproduced as f64 / checked as f64),
        cells,
        shortened,
    };
    summarize(&mut check);
    check
}

/// Sets the status and summary from the counts and the cells' notes.
fn summarize(check: &mut NotebookCheck) {
    let (checked, reproduced) = (check.cells_checked, check.cells_reproduced);
    let notes: Vec<String> = check
        .cells
        .iter()
        .filter(|c| {
            c.outcome
                .is_some_and(|o| !matches!(o, CellOutcome::Same | CellOutcome::NoClaim))
        })
        .filter_map(|c| c.note.as_ref().map(|note| format!("cell {} {note}", c.number)))
        .collect();
    let status = if checked == 0 {
        NotebookStatus::Unverifiable
    } else if reproduced == checked {
        NotebookStatus::Reproduced
    } else {
        NotebookStatus::Differs
    };
    let summary = match status {
        NotebookStatus::Unverifiable => {
            "unverifiable: the notebook was handed in without outputs, so it claims nothing to check".to_string()
        }
        _ => {
            let mut summary = format!("{reproduced} of {checked} cells reproduce");
            for note in notes.iter().take(3) {
                summary.push_str("; ");
                summary.push_str(note);
            }
            if notes.len() > 3 {
                summary.push_str(&format!("; and {} more", notes.len() - 3));
            }
            summary
        }
    };
    check.status = status;
    check.summary = summary;
}

/// Tells drift from a claim the code never made, with the other runs of the same grade: a
/// cell whose numbers moved away from the claim but printed the same in every run computes
/// deterministically, so the claim did not come from this code (edited by hand, or stale).
pub fn settle(first: &mut NotebookCheck, others: &[&NotebookCheck]) {
    if others.is_empty() || first.status != NotebookStatus::Differs {
        return;
    }
    let mut changed = false;
    for cell in first.cells.iter_mut() {
        if cell.outcome != Some(CellOutcome::NumbersDrifted) {
            continue;
        }
        let again: Vec<&ShownCell> = others
            .iter()
            .filter_map(|o| o.cells.iter().find(|c| c.number == cell.number))
            .collect();
        if again.len() == others.len() && again.iter().all(|c| c.outputs == cell.outputs) {
            let runs = others.len() + 1;
            let Some(first_drift) = cell.drifts.first() else {
                continue;
            };
            let what = if first_drift.label.is_empty() {
                "printed".to_string()
            } else {
                format!("claimed {}", first_drift.label)
            };
            cell.outcome = Some(CellOutcome::Different);
            cell.note = Some(format!(
                "{what} {}, but all {runs} re-runs give {}: the code computes this the same every time, so the claim did not come from it",
                first_drift.claimed, first_drift.rerun
            ));
            changed = true;
        }
    }
    if changed {
        summarize(first);
    }
}

type Judged = (CellOutcome, Option<String>, Vec<Drift>);

/// One code cell: its outcome, a note saying what changed, and the numbers that drifted.
fn judge(claimed: &Cell, rerun: &Cell, tolerance: f64) -> Judged {
    if claimed.outputs.is_empty() {
        return (CellOutcome::NoClaim, None, Vec::new());
    }
    if let Some(why) = &rerun.not_run {
        return (
            CellOutcome::NotRun,
            Some(format!("was not run again: {why}")),
            Vec::new(),
        );
    }
    let error_of = |cell: &Cell| {
        cell.outputs.iter().find_map(|o| match o {
            Output::Error { name, value } => Some((name.clone(), value.clone())),
            _ => None,
        })
    };
    match (error_of(claimed), error_of(rerun)) {
        (None, Some((name, value))) => {
            let value: String = value.chars().take(120).collect();
            return (
                CellOutcome::NewlyFailing,
                Some(format!("now fails: {name}: {value}")),
                Vec::new(),
            );
        }
        (Some((name, _)), None) => {
            return (
                CellOutcome::NoLongerFailing,
                Some(format!("was handed in failing ({name}) and runs cleanly now")),
                Vec::new(),
            );
        }
        (Some((a, _)), Some((b, _))) if a != b => {
            return (
                CellOutcome::Different,
                Some(format!("failed with {a}, now with {b}")),
                Vec::new(),
            );
        }
        _ => {}
    }
    let (claimed_text, claimed_images) = compared(claimed);
    let (rerun_text, rerun_images) = compared(rerun);
    if claimed_images.len() != rerun_images.len()
        || claimed_images
            .iter()
            .zip(&rerun_images)
            .any(|(a, b)| !matches!((a, b), (Some(a), Some(b)) if same_picture(a, b)))
    {
        return (
            CellOutcome::Different,
            Some("draws a different picture".to_string()),
            Vec::new(),
        );
    }
    let (claimed_reading, rerun_reading) = (read(&claimed_text), read(&rerun_text));
    if claimed_reading.skeleton != rerun_reading.skeleton {
        return (
            CellOutcome::Different,
            Some("prints different text".to_string()),
            Vec::new(),
        );
    }
    let drifts: Vec<Drift> = claimed_reading
        .numbers
        .iter()
        .zip(&rerun_reading.numbers)
        .filter(|(a, b)| !agree(a, b, tolerance))
        .map(|(a, b)| Drift {
            label: a.label.clone(),
            claimed: a.text.clone(),
            rerun: b.text.clone(),
        })
        .collect();
    if drifts.is_empty() {
        return (CellOutcome::Same, None, drifts);
    }
    let first = &drifts[0];
    let what = if first.label.is_empty() {
        "printed".to_string()
    } else {
        format!("claimed {}", first.label)
    };
    let mut note = format!("{what} {}, re-run gives {}", first.claimed, first.rerun);
    if drifts.len() > 1 {
        note.push_str(&format!(" ({} numbers moved)", drifts.len()));
    }
    (CellOutcome::NumbersDrifted, Some(note), drifts)
}

/// Two printed numbers agree: within `tolerance` of each other, relative to the claimed value
/// when it is larger than 1.
fn agree(a: &Number, b: &Number, tolerance: f64) -> bool {
    a.text == b.text || (a.value - b.value).abs() <= tolerance * a.value.abs().max(1.0)
}

/// What a cell's outputs say, for comparison: its printed and displayed text (stderr left
/// out), and its pictures in order (`None` for one that did not decode).
fn compared(cell: &Cell) -> (String, Vec<Option<&super::png::Png>>) {
    let mut text = String::new();
    let mut images = Vec::new();
    for output in &cell.outputs {
        match output {
            Output::Stream { stderr: false, text: t } => text.push_str(t),
            Output::Text(t) => {
                text.push_str(t);
                text.push('\n');
            }
            Output::Image(png) => images.push(Some(png)),
            Output::BrokenImage => images.push(None),
            Output::Stream { stderr: true, .. } | Output::Error { .. } => {}
        }
    }
    (text, images)
}

fn shown_cell(
    index: usize,
    cell: &Cell,
    claimed: Option<&Cell>,
    judged: Option<Judged>,
    budget: &mut usize,
    shortened: &mut bool,
) -> ShownCell {
    let (outcome, note, drifts) = match judged {
        Some((outcome, note, drifts)) => (Some(outcome), note, drifts),
        None => (None, None, Vec::new()),
    };
    let differs = outcome.is_some_and(|o| !matches!(o, CellOutcome::Same | CellOutcome::NoClaim));
    ShownCell {
        number: index as u32 + 1,
        kind: match cell.kind {
            CellKind::Code => "code",
            CellKind::Markdown => "markdown",
            CellKind::Raw => "raw",
        }
        .to_string(),
        source: shortened_text(&cell.source, shortened),
        outcome,
        note,
        drifts,
        outputs: shown_outputs(&cell.outputs, budget, shortened),
        claimed: match claimed {
            Some(claimed) if differs => shown_outputs(&claimed.outputs, budget, shortened),
            _ => Vec::new(),
        },
    }
}

fn shown_outputs(outputs: &[Output], budget: &mut usize, shortened: &mut bool) -> Vec<ShownOutput> {
    *shortened |= outputs.len() > MAX_SHOWN_OUTPUTS;
    outputs
        .iter()
        .take(MAX_SHOWN_OUTPUTS)
        .map(|o| shown_output(o, budget, shortened))
        .collect()
}

fn shown_output(output: &Output, budget: &mut usize, shortened: &mut bool) -> ShownOutput {
    let text = |kind, text: &str, shortened: &mut bool| ShownOutput {
        kind,
        text: shortened_text(text, shortened),
        png: None,
    };
    match output {
        Output::Stream { stderr: false, text: t } | Output::Text(t) => text(ShownKind::Text, t, shortened),
        Output::Stream { stderr: true, text: t } => text(ShownKind::Stderr, t, shortened),
        Output::Error { name, value } => text(ShownKind::Error, &format!("{name}: {value}"), shortened),
        Output::BrokenImage => text(
            ShownKind::BrokenImage,
            "an image that is not a valid PNG, or one past the 50 million pixels a notebook's pictures may hold",
            shortened,
        ),
        Output::Image(png) if png.base64.len() <= *budget => {
            *budget -= png.base64.len();
            ShownOutput {
                kind: ShownKind::Image,
                text: format!("{}×{} image", png.width, png.height),
                png: Some(png.base64.clone()),
            }
        }
        Output::Image(png) => {
            *shortened = true;
            text(
                ShownKind::Image,
                &format!(
                    "{}×{} image, not shown: the report holds enough pictures",
                    png.width, png.height
                ),
                shortened,
            )
        }
    }
}

fn shortened_text(text: &str, shortened: &mut bool) -> String {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => {
            *shortened = true;
            format!(
                "{}\n… ({} more characters not shown)",
                &text[..cut],
                text[cut..].chars().count()
            )
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(outputs: Vec<Output>) -> Cell {
        Cell {
            kind: CellKind::Code,
            source: "x".into(),
            outputs,
            not_run: None,
        }
    }

    fn out(text: &str) -> Output {
        Output::Stream {
            stderr: false,
            text: text.into(),
        }
    }

    fn notebook(cells: Vec<Cell>) -> Notebook {
        Notebook { cells }
    }

    #[test]
    fn each_way_a_cell_can_change_is_named() {
        let markdown = Cell {
            kind: CellKind::Markdown,
            source: "# t".into(),
            outputs: vec![],
            not_run: None,
        };
        let error = |name: &str| Output::Error {
            name: name.into(),
            value: "boom".into(),
        };
        let submitted = notebook(vec![
            markdown.clone(),
            code(vec![out("rows: 1000\n")]),
            code(vec![out("accuracy: 0.93\n")]),
            code(vec![out("done\n")]),
            code(vec![out("ok\n")]),
            code(vec![error("KeyError")]),
            code(vec![]),
            code(vec![
                out("x\n"),
                Output::Stream {
                    stderr: true,
                    text: "warning 1".into(),
                },
            ]),
        ]);
        let executed = notebook(vec![
            markdown,
            code(vec![out("rows: 1000\n")]),
            code(vec![out("accuracy: 0.87\n")]),
            code(vec![out("finished\n")]),
            code(vec![error("ValueError")]),
            code(vec![out("fine\n")]),
            code(vec![out("new\n")]),
            code(vec![
                out("x\n"),
                Output::Stream {
                    stderr: true,
                    text: "warning 2".into(),
                },
            ]),
        ]);
        let check = check("nb", "analysis.ipynb", &submitted, &executed, 1e-6);
        let outcomes: Vec<Option<CellOutcome>> = check.cells.iter().map(|c| c.outcome).collect();
        assert_eq!(
            outcomes,
            [
                None,
                Some(CellOutcome::Same),
                Some(CellOutcome::NumbersDrifted),
                Some(CellOutcome::Different),
                Some(CellOutcome::NewlyFailing),
                Some(CellOutcome::NoLongerFailing),
                Some(CellOutcome::NoClaim),
                Some(CellOutcome::Same),
            ]
        );
        assert_eq!((check.cells_checked, check.cells_reproduced), (6, 2));
        assert_eq!(check.status, NotebookStatus::Differs);
        assert_eq!(
            check.cells[2].drifts,
            [Drift {
                label: "accuracy".into(),
                claimed: "0.93".into(),
                rerun: "0.87".into()
            }]
        );
        assert!(
            check.summary.starts_with(
                "2 of 6 cells reproduce; cell 3 claimed accuracy 0.93, re-run gives 0.87; cell 4 prints different text"
            ),
            "{}",
            check.summary
        );
        assert_eq!(
            check.cells[2].claimed.len(),
            1,
            "the claim is kept beside a changed cell"
        );
        assert!(check.cells[1].claimed.is_empty());
    }

    #[test]
    fn a_claim_no_run_reproduces_the_same_way_is_different_not_drift() {
        let submitted = notebook(vec![code(vec![out("accuracy: 0.99\n")]), code(vec![out("seed 1\n")])]);
        let run = |a: &str, b: &str| {
            check(
                "p",
                "n",
                &submitted,
                &notebook(vec![code(vec![out(a)]), code(vec![out(b)])]),
                0.0,
            )
        };
        let (mut first, second) = (run("accuracy: 0.87\n", "seed 2\n"), run("accuracy: 0.87\n", "seed 3\n"));
        settle(&mut first, &[&second]);
        assert_eq!(first.cells[0].outcome, Some(CellOutcome::Different));
        assert!(
            first
                .summary
                .contains("cell 1 claimed accuracy 0.99, but all 2 re-runs give 0.87"),
            "{}",
            first.summary
        );
        assert_eq!(
            first.cells[1].outcome,
            Some(CellOutcome::NumbersDrifted),
            "seed 2 then 3: drift"
        );
        let mut alone = run("accuracy: 0.87\n", "seed 2\n");
        settle(&mut alone, &[]);
        assert_eq!(
            alone.cells[0].outcome,
            Some(CellOutcome::NumbersDrifted),
            "one run cannot tell"
        );
    }

    #[test]
    fn numbers_within_the_tolerance_reproduce() {
        let submitted = notebook(vec![code(vec![out("loss 0.5000001 and 1000.4\n")])]);
        let executed = notebook(vec![code(vec![out("loss 0.5000002 and 1000.5\n")])]);
        assert_eq!(
            check("p", "n", &submitted, &executed, 1e-3).status,
            NotebookStatus::Reproduced
        );
        let strict = check("p", "n", &submitted, &executed, 1e-9);
        assert_eq!(strict.status, NotebookStatus::Differs);
        assert_eq!(strict.cells[0].drifts.len(), 2);
    }

    #[test]
    fn a_notebook_without_outputs_is_unverifiable_not_failed() {
        let submitted = notebook(vec![code(vec![]), code(vec![])]);
        let executed = notebook(vec![code(vec![out("1\n")]), code(vec![])]);
        let check = check("p", "n", &submitted, &executed, 0.0);
        assert_eq!(check.status, NotebookStatus::Unverifiable);
        assert_eq!(check.share, None);
        assert!(check.summary.starts_with("unverifiable"));
    }

    #[test]
    fn cells_the_run_never_reached_do_not_reproduce() {
        let submitted = notebook(vec![code(vec![out("a\n")]), code(vec![out("b\n")])]);
        let mut unreached = code(vec![]);
        unreached.not_run = Some("an earlier cell timed out".into());
        let executed = notebook(vec![
            code(vec![Output::Error {
                name: "CellTimeout".into(),
                value: "the cell ran longer than 2 s".into(),
            }]),
            unreached,
        ]);
        let check = check("p", "n", &submitted, &executed, 0.0);
        assert_eq!(check.cells_reproduced, 0);
        assert_eq!(check.cells[1].outcome, Some(CellOutcome::NotRun));
        assert!(
            check.summary.contains("cell 1 now fails: CellTimeout"),
            "{}",
            check.summary
        );
    }

    #[test]
    fn big_cells_and_pictures_are_shortened() {
        let png =
            super::super::png::decode(&super::super::png::tests::picture(300, 300, |x, y| (x + y) % 7 == 0)).unwrap();
        let many = (MAX_SHOWN_IMAGE_CHARS / png.base64.len()) + 5;
        let cell = code(
            std::iter::repeat_n(Output::Image(png), many)
                .chain([out(&"y".repeat(MAX_SHOWN_CHARS + 10))])
                .collect(),
        );
        let submitted = notebook(vec![cell.clone()]);
        let check = check("p", "n", &submitted, &submitted, 0.0);
        assert!(check.shortened);
        let shown: usize = check.cells[0]
            .outputs
            .iter()
            .filter_map(|o| o.png.as_ref())
            .map(|p| p.len())
            .sum();
        assert!(shown <= MAX_SHOWN_IMAGE_CHARS);
        assert!(check.cells[0].outputs.last().unwrap().text.chars().count() < MAX_SHOWN_CHARS + 100);
        assert_eq!(check.status, NotebookStatus::Reproduced);
    }
}
