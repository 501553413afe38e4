//! `assay new`: every template makes an assignment that passes `assay check` as made.

mod common;

use common::*;

#[test]
fn every_template_passes_check_as_generated() {
    require_engine();
    sandbox_image();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().to_str().unwrap();
    for template in ["ml-classifier", "tests-only", "service"] {
        let made = assay(&["new", &format!("made-{template}"), "--template", template, "--dir", dir]);
        assert!(made.status.success(), "{}", text(&made));
    }
    let again = assay(&["new", "made-service", "--template", "service", "--dir", dir]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = assay(&["new", "Bad Name", "--dir", dir]);
    assert_eq!(bad.status.code(), Some(2));
    let folders: Vec<String> = ["ml-classifier", "tests-only", "service"]
        .iter()
        .map(|t| format!("{dir}/made-{t}"))
        .collect();
    let mut args = vec!["check"];
    args.extend(folders.iter().map(String::as_str));
    let checked = assay(&args);
    let out = text(&checked);
    assert_eq!(checked.status.code(), Some(0), "{out}");
    for line in [
        "made-ml-classifier/crash: ok",
        "made-tests-only/wrong: ok",
        "made-service/wrong-port: ok",
        "made-service/reference: ok",
    ] {
        assert!(out.contains(line), "no {line:?} in {out}");
    }
}
