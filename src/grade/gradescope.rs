//! A Gradescope autograder's `results.json`, read into assay's report: each test a hidden test
//! with its score and max_score, Gradescope's visibility mapped to feedback.md's, the
//! leaderboard as metrics, and the overall output. The file is written in a container that ran
//! candidate code, so everything in it is `candidate_influenced`.

use serde::Deserialize;

use crate::model::{AutograderResult, MetricResult, PhaseVerdict, TestGroupResult, TestResult, TestStatus};
use crate::runner::RunRecord;
use crate::spec::{Direction, OutputRef, Spec, TestNames, Visibility};

/// results.json files larger than this are invalid output.
pub const MAX_RESULTS_BYTES: u64 = 16 * 1024 * 1024;
/// Characters of one test's output, or of the overall output, kept in a report.
const MAX_OUTPUT_CHARS: usize = 16 * 1024;
/// Bytes of `extra_data` (as JSON) kept in a report.
const MAX_EXTRA_DATA_BYTES: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
struct Results {
    score: Option<f64>,
    output: Option<String>,
    stdout_visibility: Option<String>,
    visibility: Option<String>,
    #[serde(default)]
    tests: Vec<RawTest>,
    #[serde(default)]
    leaderboard: Vec<RawEntry>,
    extra_data: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct RawTest {
    score: Option<f64>,
    max_score: Option<f64>,
    name: Option<String>,
    number: Option<serde_json::Value>,
    output: Option<String>,
    visibility: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawEntry {
    name: String,
    value: serde_json::Value,
    order: Option<String>,
}

/// What one phase's results.json gave.
#[derive(Debug)]
pub struct Scored {
    pub tests: Vec<TestResult>,
    pub group: TestGroupResult,
    pub leaderboard: Vec<MetricResult>,
    pub autograder: AutograderResult,
}

/// Reads the results of every Gradescope phase; a missing or malformed file marks its phase
/// `invalid_output` and scores nothing.
pub fn score_gradescope(spec: &Spec, record: &mut RunRecord) -> Vec<Scored> {
    let mut scored = Vec::new();
    for phase in spec.phases.iter().filter(|p| p.gradescope.is_some()) {
        let path = phase.gradescope.clone().unwrap_or_default();
        let reference = OutputRef {
            phase: phase.name.clone(),
            path: path.clone(),
        };
        let ran = record
            .phases
            .iter()
            .any(|p| p.name == phase.name && p.verdict == PhaseVerdict::Passed);
        let parsed = match record.outputs.get(&reference) {
            None if !ran => continue,
            None => Err(format!("the autograder wrote no {path}")),
            Some(file) => read(file).map_err(|why| format!("{path}: {why}")),
        };
        match parsed.and_then(|results| convert(spec.test_names.as_ref(), &phase.name, results, phase.expected_tests)) {
            Ok(one) => scored.push(one),
            Err(why) => {
                if let Some(outcome) = record.phases.iter_mut().find(|p| p.name == phase.name) {
                    outcome.verdict = PhaseVerdict::InvalidOutput;
                    outcome.message = Some(why);
                }
            }
        }
    }
    scored
}

fn read(path: &std::path::Path) -> Result<Results, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_RESULTS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_RESULTS_BYTES {
        return Err(format!("larger than {} MiB", MAX_RESULTS_BYTES / 1024 / 1024));
    }
    parse(&bytes)
}

fn parse(bytes: &[u8]) -> Result<Results, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not Gradescope results: {e}"))
}

/// Gradescope's visibility words: `hidden`; `after_due_date` and `after_published` (shown once
/// the review is merged); anything else, and none, is `visible`, as on Gradescope.
fn visibility(word: Option<&str>) -> Visibility {
    match word {
        Some("hidden") => Visibility::Hidden,
        Some("after_due_date" | "after_published") => Visibility::AfterReview,
        _ => Visibility::Visible,
    }
}

fn finite(value: Option<f64>, what: &str) -> Result<Option<f64>, String> {
    match value {
        Some(v) if !v.is_finite() => Err(format!("{what} is not a finite number")),
        other => Ok(other),
    }
}

fn capped(text: &str) -> String {
    let plain = crate::text::plain(text);
    match plain.char_indices().nth(MAX_OUTPUT_CHARS) {
        Some((cut, _)) => format!("{}\n… (cut at {MAX_OUTPUT_CHARS} characters)", &plain[..cut]),
        None => plain,
    }
}

fn convert(
    test_names: Option<&TestNames>,
    phase: &str,
    results: Results,
    expected: Option<u64>,
) -> Result<Scored, String> {
    if results.tests.len() as u64 > crate::spec::bounds::MAX_TESTS as u64 {
        return Err(format!("{} tests, more than assay reads", results.tests.len()));
    }
    if let Some(expected) = expected
        && results.tests.len() as u64 != expected
    {
        return Err(format!(
            "holds {} test(s); the assignment expects {expected} (were tests hidden, added or not collected?)",
            results.tests.len()
        ));
    }
    let overall = finite(results.score, "score")?;
    let mut tests = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut unknown = 0;
    for (i, test) in results.tests.into_iter().enumerate() {
        let score = finite(test.score, &format!("tests[{i}].score"))?.unwrap_or(0.0);
        let max_score = finite(test.max_score, &format!("tests[{i}].max_score"))?;
        if max_score.is_some_and(|m| m < 0.0) {
            return Err(format!("tests[{i}].max_score is negative"));
        }
        let number = match test.number {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let name = match (number, test.name) {
            (Some(number), Some(name)) => format!("{number} {name}"),
            (None, Some(name)) => name,
            (Some(number), None) => number,
            (None, None) => format!("test {}", i + 1),
        };
        // Made plain and short once, so tests.lock records and matches the same name.
        let name: String = crate::text::plain(&name).chars().take(300).collect();
        let passed = match test.status.as_deref() {
            Some("passed") => true,
            Some(_) => false,
            None => max_score.is_some_and(|max| score >= max),
        };
        let trusted = match test_names {
            Some(names) => names.knows(phase, &name) && seen.insert(name.clone()),
            None => false,
        };
        let mut message = test.output.as_deref().map(capped).filter(|m| !m.is_empty());
        if !test.tags.is_empty() {
            let tags: Vec<String> = test.tags.iter().take(20).map(|t| crate::text::plain(t)).collect();
            message = Some(format!(
                "{}[tags: {}]",
                message.map(|m| m + "\n").unwrap_or_default(),
                tags.join(", ")
            ));
        }
        let mut result = TestResult {
            name: name.clone(),
            phase: phase.to_string(),
            group: Some(phase.to_string()),
            status: if passed { TestStatus::Passed } else { TestStatus::Failed },
            weight: max_score.unwrap_or(0.0),
            seconds: None,
            message,
            candidate_influenced: true,
            visibility: visibility(test.visibility.as_deref()),
            trusted,
            score: Some(score.clamp(0.0, max_score.unwrap_or(f64::MAX))),
        };
        if test_names.is_some() && !trusted {
            unknown += 1;
            result.name = format!("unknown test {unknown}");
            result.group = None;
            result.weight = 0.0;
            result.score = Some(0.0);
            result.message =
                Some("not a test of this autograder's reference run (not in tests.lock); its name is not shown".into());
        }
        tests.push(result);
    }
    if let Some(names) = test_names {
        for name in names.of(phase).iter().filter(|n| !seen.contains(*n)) {
            tests.push(TestResult {
                name: name.clone(),
                phase: phase.to_string(),
                group: Some(phase.to_string()),
                status: TestStatus::Failed,
                weight: 0.0,
                seconds: None,
                message: Some("missing from the results: counted as failed".to_string()),
                candidate_influenced: false,
                visibility: Visibility::Hidden,
                trusted: true,
                score: Some(0.0),
            });
        }
    }
    let counted: Vec<&TestResult> = tests.iter().filter(|t| t.group.is_some()).collect();
    let weight: f64 = counted.iter().map(|t| t.weight).sum::<f64>() + 0.0;
    let earned: f64 = counted.iter().filter_map(|t| t.score).sum::<f64>() + 0.0;
    // Gradescope's overall score, when given, replaces the tests' sum (up to their maximum).
    let points = overall.unwrap_or(earned).clamp(0.0, weight);
    let group_visibility = visibility(results.visibility.as_deref());
    let group = TestGroupResult {
        name: phase.to_string(),
        passed_tests: counted.iter().filter(|t| t.status == TestStatus::Passed).count() as u64,
        total_tests: counted.len() as u64,
        weight,
        points,
        pass_at: None,
        passed: true,
        visibility: group_visibility,
        show_names: true,
    };
    let mut leaderboard = Vec::new();
    for entry in results.leaderboard.iter().take(100) {
        let Some(value) = entry.value.as_f64().filter(|v| v.is_finite()) else {
            continue;
        };
        leaderboard.push(MetricResult {
            name: format!("leaderboard {}", crate::text::plain(&entry.name)),
            kind: "leaderboard".to_string(),
            value: Some(value),
            direction: if entry.order.as_deref() == Some("asc") {
                Direction::Lower
            } else {
                Direction::Higher
            },
            weight: 0.0,
            pass_at: None,
            required: false,
            passed: true,
            credit: 0.0,
            points: 0.0,
            assignment_error: false,
            message: Some("from the autograder's leaderboard (written where candidate code ran)".to_string()),
            confusion_matrix: None,
            visibility: Visibility::Visible,
            pos_label: None,
        });
    }
    let extra_data = results
        .extra_data
        .map(|value| value.to_string())
        .filter(|text| text.len() <= MAX_EXTRA_DATA_BYTES);
    let autograder = AutograderResult {
        phase: phase.to_string(),
        score: overall,
        output: results.output.as_deref().map(capped).unwrap_or_default(),
        output_visibility: match results.stdout_visibility.as_deref() {
            Some("visible") => Visibility::Visible,
            Some("after_due_date" | "after_published") => Visibility::AfterReview,
            _ => Visibility::Hidden,
        },
        extra_data,
    };
    Ok(Scored {
        tests,
        group,
        leaderboard,
        autograder,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_words_map_to_feedback() {
        assert_eq!(visibility(None), Visibility::Visible);
        assert_eq!(visibility(Some("hidden")), Visibility::Hidden);
        assert_eq!(visibility(Some("after_published")), Visibility::AfterReview);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_cleanly(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_results_shape_scores_within_its_bounds_or_is_refused(text in r#"\{("score": (1|-1e400|"x")|"tests": \[(\{("score": (2|1e999)|"max_score": (-1|3)|"name": ("a"|1)|"number": (1.1|"2")|"status": "(passed|failed)"|"visibility": "(hidden|x)")(, )?\}(, )?){0,3}\]|"leaderboard": \[\{"name": "t", "value": (1|"s"|null)\}\])(, )?\}"#) {
            if let Ok(scored) = parse(text.as_bytes()).and_then(|r| convert(None, "p", r, None)) {
                proptest::prop_assert!(scored.group.points >= 0.0 && scored.group.points <= scored.group.weight);
                proptest::prop_assert!(scored.tests.iter().all(|t| t.candidate_influenced && !t.trusted));
            }
        }
    }

    #[test]
    fn tests_scores_and_the_leaderboard_are_read() {
        let results = parse(
            br#"{"tests": [
                {"score": 2, "max_score": 2, "name": "adds", "number": "1.1", "visibility": "visible"},
                {"score": 0.5, "max_score": 3, "name": "edge", "visibility": "hidden", "output": "expected 3\u001b[31m"},
                {"score": 9, "max_score": 1, "name": "too much", "status": "passed"},
                {"name": "info only"}
            ], "leaderboard": [{"name": "time", "value": 1.5, "order": "asc"}, {"name": "label", "value": "x"}],
            "output": "all done", "stdout_visibility": "visible", "extra_data": {"k": 1}}"#,
        )
        .unwrap();
        let scored = convert(None, "autograder", results, None).unwrap();
        let names: Vec<&str> = scored.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["1.1 adds", "edge", "too much", "info only"]);
        let statuses: Vec<TestStatus> = scored.tests.iter().map(|t| t.status).collect();
        assert_eq!(
            statuses,
            [
                TestStatus::Passed,
                TestStatus::Failed,
                TestStatus::Passed,
                TestStatus::Failed
            ]
        );
        assert_eq!(scored.tests[2].score, Some(1.0), "a score is capped at its max_score");
        assert_eq!(scored.tests[1].visibility, Visibility::Hidden);
        assert!(!scored.tests[1].message.as_deref().unwrap().contains('\u{1b}'));
        assert_eq!((scored.group.points, scored.group.weight), (3.5, 6.0));
        assert_eq!(scored.group.passed_tests, 2);
        assert_eq!(scored.leaderboard.len(), 1, "a value that is not a number is left out");
        assert_eq!(scored.leaderboard[0].direction, Direction::Lower);
        assert_eq!(scored.autograder.output_visibility, Visibility::Visible);
        assert_eq!(scored.autograder.extra_data.as_deref(), Some("{\"k\":1}"));
        let overall = parse(br#"{"score": 100, "tests": [{"score": 1, "max_score": 4}]}"#).unwrap();
        assert_eq!(
            convert(None, "p", overall, None).unwrap().group.points,
            4.0,
            "the overall score, up to the maximum"
        );
        let counted = parse(br#"{"tests": [{"score": 1, "max_score": 4}]}"#).unwrap();
        assert!(convert(None, "p", counted, Some(2)).unwrap_err().contains("expects 2"));
        assert!(parse(br#"{"tests": 3}"#).is_err());
    }
}
