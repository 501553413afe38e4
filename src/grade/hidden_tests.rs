//! The hidden tests' results of a run: read from each JUnit phase, held to the trusted names
//! of `tests.lock`, placed in their groups and scored.

use crate::model::{PhaseVerdict, TestGroupResult, TestResult, TestStatus};
use crate::runner::RunRecord;
use crate::spec::Spec;

/// Reads the hidden test results of every phase that declares a JUnit file, and scores each
/// test group. A file that is missing, malformed or has the wrong count marks its phase
/// `invalid_output`. With trusted names (`tests.lock`), a name not in the list is an unknown
/// test (its name never shown, counted in no group) and a listed test missing counts as failed.
pub fn score_tests(spec: &Spec, record: &mut RunRecord) -> (Vec<TestResult>, Vec<TestGroupResult>) {
    let mut tests = Vec::new();
    let mut unknown = 0;
    for phase in spec.phases.iter().filter(|p| p.junit.is_some()) {
        let junit = phase.junit.clone().unwrap_or_default();
        let reference = crate::spec::OutputRef {
            phase: phase.name.clone(),
            path: junit.clone(),
        };
        let cases = match record.outputs.get(&reference) {
            None => Ok(Vec::new()),
            Some(path) => super::junit::read(path).and_then(|cases| match phase.expected_tests {
                Some(expected) if cases.len() as u64 != expected => Err(format!(
                    "{junit} holds {} test(s); the assignment expects {expected} (were tests hidden, added or not collected?)",
                    cases.len()
                )),
                _ => Ok(cases),
            }),
        };
        let cases = match cases {
            Ok(cases) => cases,
            Err(why) => {
                if let Some(outcome) = record.phases.iter_mut().find(|p| p.name == phase.name) {
                    outcome.verdict = PhaseVerdict::InvalidOutput;
                    outcome.message = Some(why);
                }
                Vec::new()
            }
        };
        let mut seen = std::collections::HashSet::new();
        for case in cases {
            let trusted = match &spec.test_names {
                Some(names) => names.knows(&phase.name, &case.name) && seen.insert(case.name.clone()),
                None => false,
            };
            let mut result = TestResult {
                name: case.name,
                phase: phase.name.clone(),
                group: None,
                status: case.status,
                weight: 0.0,
                seconds: case.seconds,
                // Candidate output can reach a message; it is shown without escapes.
                message: case.message.map(|m| crate::text::plain(&m)),
                candidate_influenced: true,
                visibility: crate::spec::Visibility::Hidden,
                trusted,
                score: None,
            };
            if spec.test_names.is_some() && !trusted {
                // Not a test the reference produced: whatever it says, it counts for nothing.
                unknown += 1;
                result.name = format!("unknown test {unknown}");
                result.message =
                    Some("not a hidden test of this assignment (not in tests.lock); its name is not shown".into());
                tests.push(result);
                continue;
            }
            tests.push(result);
        }
        if let Some(names) = &spec.test_names {
            for name in names.of(&phase.name).iter().filter(|n| !seen.contains(*n)) {
                tests.push(TestResult {
                    name: name.clone(),
                    phase: phase.name.clone(),
                    group: None,
                    status: TestStatus::Failed,
                    weight: 0.0,
                    seconds: None,
                    message: Some("missing from the results: counted as failed".to_string()),
                    candidate_influenced: false,
                    visibility: crate::spec::Visibility::Hidden,
                    trusted: true,
                    score: None,
                });
            }
        }
    }
    let counted = |t: &TestResult| spec.test_names.is_none() || t.trusted;
    let ungrouped = crate::spec::TestGroup::ungrouped();
    let needs_ungrouped = tests
        .iter()
        .any(|t| counted(t) && !spec.test_groups.iter().any(|g| g.matches(&t.name)));
    let groups_in_use: Vec<&crate::spec::TestGroup> = spec
        .test_groups
        .iter()
        .chain(needs_ungrouped.then_some(&ungrouped))
        .collect();
    // First match wins; a test no group matches falls in the ungrouped group.
    for test in tests.iter_mut().filter(|t| counted(t)) {
        let group = groups_in_use
            .iter()
            .find(|g| g.matches(&test.name))
            .copied()
            .unwrap_or(&ungrouped);
        test.group = Some(group.name.clone());
        test.visibility = group.visibility;
    }
    let mut groups = Vec::new();
    for group in groups_in_use {
        let members: Vec<&mut TestResult> = tests
            .iter_mut()
            .filter(|t| t.group.as_deref() == Some(group.name.as_str()))
            .collect();
        let total = members.len() as u64;
        let share = if total == 0 { 0.0 } else { group.weight / total as f64 };
        let mut passed_tests = 0;
        for test in members {
            test.weight = share;
            if test.status == TestStatus::Passed {
                passed_tests += 1;
            }
        }
        let fraction = if total == 0 {
            0.0
        } else {
            passed_tests as f64 / total as f64
        };
        groups.push(TestGroupResult {
            name: group.name.clone(),
            passed_tests,
            total_tests: total,
            weight: group.weight,
            points: group.weight * fraction,
            pass_at: group.pass_at,
            passed: group.pass_at.is_none_or(|needed| total > 0 && fraction >= needed),
            visibility: group.visibility,
            show_names: group.show_names,
        });
    }
    (tests, groups)
}
