//! The claims check of each notebook phase in a run: the notebook as handed in (read from the
//! unpacked submission on this side, never from a container) against the executed notebook
//! the phase's runner wrote.

use std::io::Read;
use std::path::Path;

use crate::notebook::{NotebookCheck, check_bytes, parse::MAX_NOTEBOOK_BYTES};
use crate::runner::RunRecord;
use crate::spec::{EXECUTED_NOTEBOOK, OutputRef, Spec};

pub fn check_notebooks(spec: &Spec, submission_root: &Path, record: &RunRecord) -> Vec<NotebookCheck> {
    let mut checks = Vec::new();
    for phase in &spec.phases {
        let Some(notebook) = &phase.notebook else {
            continue;
        };
        let submitted = read_capped(&submission_root.join(&notebook.path))
            .map_err(|why| format!("the submission holds no readable notebook here ({why})"));
        let executed = match record.outputs.get(&OutputRef {
            phase: phase.name.clone(),
            path: EXECUTED_NOTEBOOK.to_string(),
        }) {
            Some(path) => read_capped(path),
            None => {
                let outcome = record.phases.iter().find(|p| p.name == phase.name);
                Err(match outcome {
                    Some(outcome) => format!(
                        "phase {} ended {} and wrote no executed notebook{}",
                        phase.name,
                        outcome.verdict.as_str(),
                        outcome.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
                    ),
                    None => format!("phase {} did not run", phase.name),
                })
            }
        };
        checks.push(check_bytes(
            &phase.name,
            &notebook.path,
            submitted,
            executed,
            notebook.tolerance,
        ));
    }
    checks
}

/// A file's bytes, refusing one larger than a notebook may be (a link is not followed: the
/// unpacked submission holds none, and the outputs are copied as plain files).
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_NOTEBOOK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}
