//! Every built-in metric against the value scikit-learn computes on the same files
//! (tests/fixtures/metrics, made by make_expectations.py in the sandbox image).

use std::path::PathBuf;

use assay::metrics::evaluate;
use assay::spec::{Average, Metric, MetricKind};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics")
}

#[test]
fn every_case_matches_scikit_learn() {
    let text = std::fs::read_to_string(fixtures().join("expectations.json")).unwrap();
    let expectations: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = expectations["cases"].as_array().unwrap();
    assert!(cases.len() >= 45);
    let mut failures = Vec::new();
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let kind = MetricKind::parse(case["kind"].as_str().unwrap()).unwrap();
        let average = match case["average"].as_str() {
            None => Average::Binary,
            Some(name) => Average::ALL.iter().find(|(n, _)| *n == name).unwrap().1,
        };
        let pos_label = case["pos_label"].as_str().map(str::to_string);
        let metric = Metric::standalone(kind, average, pos_label, "proba_");
        let predictions = fixtures().join(format!("{file}.predictions.csv"));
        let labels = fixtures().join(format!("{file}.labels.csv"));
        let value = evaluate(&metric, &predictions, &labels, "id", "label")
            .unwrap_or_else(|e| panic!("{case}: {e}"))
            .value;
        let expected = case["value"].as_f64().unwrap();
        if (value - expected).abs() > 1e-12 {
            failures.push(format!("{case}: assay {value}, scikit-learn {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn binary_average_on_many_classes_is_an_assignment_error() {
    let metric = Metric::standalone(MetricKind::F1, Average::Binary, None, "proba_");
    let predictions = fixtures().join("multiclass.predictions.csv");
    let labels = fixtures().join("multiclass.labels.csv");
    let error = evaluate(&metric, &predictions, &labels, "id", "label").unwrap_err();
    assert!(matches!(error, assay::metrics::MetricError::Assignment(_)), "{error:?}");
}

#[test]
fn probabilities_that_do_not_sum_to_one_are_invalid_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("l.csv"), "id,label\na,0\nb,1\nc,2\n").unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "id,label,proba_0,proba_1,proba_2\na,0,0.5,0.5,0.5\nb,1,0.1,0.8,0.1\nc,2,0,0,1\n",
    )
    .unwrap();
    let metric = Metric::standalone(MetricKind::RocAuc, Average::Macro, None, "proba_");
    let error = evaluate(
        &metric,
        &dir.path().join("p.csv"),
        &dir.path().join("l.csv"),
        "id",
        "label",
    )
    .unwrap_err();
    assert_eq!(
        error,
        assay::metrics::MetricError::InvalidOutput("line 2: the class probabilities sum to 1.5, not 1".into())
    );
    std::fs::write(dir.path().join("q.csv"), "id,label,proba_0,proba_1\na,0,0.5,x\n").unwrap();
    let error = evaluate(
        &metric,
        &dir.path().join("q.csv"),
        &dir.path().join("l.csv"),
        "id",
        "label",
    )
    .unwrap_err();
    assert!(error.to_string().contains("no column \"proba_2\""), "{error}");
}

#[test]
fn metric_command_prints_the_graders_value() {
    let binary = env!("CARGO_BIN_EXE_assay");
    let run = |args: &[&str]| {
        std::process::Command::new(binary)
            .args(args)
            .current_dir(fixtures())
            .output()
            .unwrap()
    };
    let output = run(&[
        "metric",
        "f1",
        "--average",
        "macro",
        "--predictions",
        "multiclass.predictions.csv",
        "--labels",
        "multiclass.labels.csv",
    ]);
    assert!(output.status.success());
    let printed: f64 = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap();
    let text = std::fs::read_to_string(fixtures().join("expectations.json")).unwrap();
    let expectations: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expected = expectations["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"] == "multiclass" && c["kind"] == "f1" && c["average"] == "macro")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert!((printed - expected).abs() < 1e-12);
    let json = run(&[
        "metric",
        "accuracy",
        "--json",
        "--predictions",
        "text.predictions.csv",
        "--labels",
        "text.labels.csv",
    ]);
    let record: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        record["confusion_matrix"]["classes"],
        serde_json::json!(["billing", "bug", "feature", "other"])
    );
    let bad = run(&[
        "metric",
        "accuracy",
        "--predictions",
        "text.labels.csv",
        "--labels",
        "binary.labels.csv",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("has no prediction"));
}

/// Writes labels and predictions into a temp folder and evaluates one metric on them.
fn evaluate_texts(
    kind: MetricKind,
    average: Average,
    pos_label: Option<&str>,
    labels: &str,
    predictions: &str,
) -> Result<assay::metrics::Evaluation, assay::metrics::MetricError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("labels.csv"), labels).unwrap();
    std::fs::write(dir.path().join("predictions.csv"), predictions).unwrap();
    let metric = Metric::standalone(kind, average, pos_label.map(str::to_string), "proba_");
    evaluate(
        &metric,
        &dir.path().join("predictions.csv"),
        &dir.path().join("labels.csv"),
        "id",
        "label",
    )
}

fn assignment_error(result: Result<assay::metrics::Evaluation, assay::metrics::MetricError>) -> String {
    match result {
        Err(assay::metrics::MetricError::Assignment(why)) => why,
        other => panic!("expected an assignment error, got {other:?}"),
    }
}

#[test]
fn a_pos_label_that_is_not_a_class_is_refused() {
    let labels = "id,label\na,0\nb,1\n";
    let predictions = "id,label,proba_2\na,0,0.1\nb,1,0.9\n";
    for kind in [MetricKind::F1, MetricKind::Precision, MetricKind::RocAuc] {
        let why = assignment_error(evaluate_texts(kind, Average::Binary, Some("2"), labels, predictions));
        assert!(
            why.contains("pos_label \"2\" is not one of the labels' classes"),
            "{why}"
        );
    }
}

#[test]
fn the_positive_class_is_stated() {
    let labels = "id,label\na,cat\nb,dog\nc,dog\n";
    let predictions = "id,label\na,cat\nb,dog\nc,cat\n";
    let evaluation = evaluate_texts(MetricKind::Recall, Average::Binary, None, labels, predictions).unwrap();
    assert_eq!(evaluation.pos_label.as_deref(), Some("dog"));
    assert_eq!(evaluation.value, 0.5);
    // A class the labels never hold, predicted for a binary metric: the candidate's output.
    let odd = "id,label\na,cat\nb,dog\nc,cow\n";
    let error = evaluate_texts(MetricKind::F1, Average::Binary, None, labels, odd).unwrap_err();
    assert!(
        matches!(&error, assay::metrics::MetricError::InvalidOutput(why) if why.contains("\"cow\"")),
        "{error:?}"
    );
}

#[test]
fn empty_data_is_an_error_and_one_row_r2_is_nan() {
    let header_only = "id,label\n";
    for kind in [MetricKind::Accuracy, MetricKind::R2, MetricKind::RocAuc] {
        let why = assignment_error(evaluate_texts(kind, Average::Binary, None, header_only, header_only));
        assert!(why.contains("hold no rows"), "{kind:?}: {why}");
    }
    let one = "id,label\na,2.5\n";
    let evaluation = evaluate_texts(MetricKind::R2, Average::Binary, None, one, one).unwrap();
    assert!(evaluation.value.is_nan(), "{}", evaluation.value);
}

#[test]
fn label_problems_are_the_labels_fault_and_name_the_file() {
    let predictions = "id,label\na,1\nb,0\n";
    let duplicate = "id,label\na,1\na,0\n";
    let why = assignment_error(evaluate_texts(
        MetricKind::Accuracy,
        Average::Binary,
        None,
        duplicate,
        predictions,
    ));
    assert!(
        why.contains("labels.csv: line 3: duplicate id \"a\" (first at line 2)"),
        "{why}"
    );
    for empty in ["id,label\na,1\nb,\n", "id,label\na,1\nb,nan\n"] {
        let why = assignment_error(evaluate_texts(MetricKind::F1, Average::Macro, None, empty, predictions));
        assert!(why.contains("labels.csv: line 3: no value in \"label\""), "{why}");
    }
}
