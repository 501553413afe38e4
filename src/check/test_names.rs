//! What `assay check` learns from the reference solution's hidden tests: the trusted names it
//! records in `tests.lock`, and whether every declared group matched a test.

use std::collections::BTreeMap;
use std::path::Path;

use super::Outcome;
use crate::model::Report;
use crate::path_error::PathError;
use crate::spec::test_names::{PhaseTests, TestNames};
use crate::spec::{LOCK_FILE, Spec, TestGroup};

/// What recording the reference's names gave: the outcomes (the lock was current, each
/// declared group matched a test), and how many names a new `tests.lock` holds, when one was
/// written where there was none.
#[derive(Debug, Default)]
pub struct Recorded {
    pub outcomes: Vec<Outcome>,
    pub new_lock: Option<usize>,
}

/// Records the reference's test names in `tests.lock` (written when missing or different).
pub fn record(dir: &Path, spec: &Spec, reference: &Report) -> Result<Recorded, PathError> {
    let mut outcomes = Vec::new();
    let mut new_lock = None;
    let junit_phases = spec.junit_phases();
    if junit_phases.is_empty() {
        return Ok(Recorded::default());
    }
    let mut phases: BTreeMap<String, PhaseTests> = BTreeMap::new();
    for phase in &junit_phases {
        let mut names: Vec<String> = reference
            .tests
            .iter()
            .filter(|t| t.phase == *phase)
            .map(|t| t.name.clone())
            .collect();
        names.sort();
        names.dedup();
        phases.insert(phase.to_string(), PhaseTests { names });
    }
    let recorded = TestNames { phases };
    match &spec.test_names {
        Some(current) if *current == recorded => outcomes.push(Outcome {
            expectation: format!("{LOCK_FILE} current"),
            failure: None,
        }),
        Some(current) => {
            write(dir, &recorded)?;
            let added: Vec<&String> = recorded.all().filter(|n| !current.all().any(|c| c == *n)).collect();
            let removed: Vec<&String> = current.all().filter(|n| !recorded.all().any(|r| r == *n)).collect();
            outcomes.push(Outcome {
                expectation: format!("{LOCK_FILE} current"),
                failure: Some(format!(
                    "{LOCK_FILE} was out of date ({} added, {} removed); it is rewritten: review and commit it",
                    added.len(),
                    removed.len()
                )),
            });
        }
        None => {
            write(dir, &recorded)?;
            new_lock = Some(recorded.all().count());
        }
    }
    for group in &spec.test_groups {
        if *group == TestGroup::implicit() && spec.test_groups.len() == 1 {
            let any = recorded.all().next().is_some();
            outcomes.push(Outcome {
                expectation: "hidden tests ran".to_string(),
                failure: (!any).then(|| "the reference solution's run produced no hidden test".to_string()),
            });
            continue;
        }
        let matched = recorded.all().any(|n| group.matches(n));
        outcomes.push(Outcome {
            expectation: format!("test group {} matches a test", group.name),
            failure: (!matched).then(|| {
                format!(
                    "test group {:?} matches no hidden test of the reference solution; its globs are {:?}",
                    group.name, group.patterns
                )
            }),
        });
    }
    Ok(Recorded { outcomes, new_lock })
}

/// Writes the lock atomically, so a reader never sees half of it.
fn write(dir: &Path, names: &TestNames) -> Result<(), PathError> {
    crate::store::write_atomically(&dir.join(LOCK_FILE), names.render().as_bytes())
}
