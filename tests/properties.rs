//! Property tests: thousands of mutated inputs to every parser on the host. None may panic,
//! none may blame the harness for what a candidate or an author sent, and every message stays
//! short whatever the input.

use std::io::Write;

use proptest::prelude::*;

use assay::metrics::{MetricError, evaluate};
use assay::spec::{Average, IntakeLimits, Metric, MetricKind};

const LABELS: &str = "id,label\na,0\nb,1\nc,1\nd,0\n";

fn limits() -> IntakeLimits {
    IntakeLimits {
        max_entries: 50,
        max_bytes: 1 << 20,
        max_depth: 8,
        max_name_length: 64,
    }
}

/// A valid predictions file, as bytes to mutate.
fn predictions() -> Vec<u8> {
    b"id,label,proba_1\na,0,0.1\nb,1,0.9\nc,1,0.8\nd,0,0.3\n".to_vec()
}

/// A valid tar.gz of two files, as bytes to mutate.
fn targz() -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    for (name, data) in [("predict.py", &b"print(1)\n"[..]), ("src/model.py", &b"x = 1\n"[..])] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A valid zip of two files, as bytes to mutate.
fn zip() -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut bytes);
        for (name, data) in [("predict.py", "print(1)\n"), ("src/model.py", "x = 1\n")] {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    bytes.into_inner()
}

/// `base` with some bytes overwritten, some removed and some inserted.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    (
        proptest::collection::vec((0..len, any::<u8>()), 0..8),
        proptest::option::of(0..len),
        proptest::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(move |(writes, cut, insert)| {
            let mut bytes = base.clone();
            for (at, byte) in writes {
                bytes[at] = byte;
            }
            if let Some(at) = cut {
                bytes.truncate(at.max(1));
            }
            let at = bytes.len() / 2;
            bytes.splice(at..at, insert);
            bytes
        })
}

/// The digits assignment's hidden data in a temp folder, for specs to point at.
fn digits_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assignments/digits/hidden");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&source)
        .arg(dir.path().join("hidden"))
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn any_predictions_are_scored_or_invalid_output(bytes in prop_oneof![mutated(predictions()), proptest::collection::vec(any::<u8>(), 0..300)]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("labels.csv"), LABELS).unwrap();
        std::fs::write(dir.path().join("predictions.csv"), &bytes).unwrap();
        for (kind, average) in [
            (MetricKind::Accuracy, Average::Binary),
            (MetricKind::F1, Average::Binary),
            (MetricKind::F1, Average::Macro),
            (MetricKind::RocAuc, Average::Binary),
            (MetricKind::LogLoss, Average::Binary),
            (MetricKind::Rmse, Average::Binary),
        ] {
            let metric = Metric::standalone(kind, average, None, "proba_");
            match evaluate(&metric, &dir.path().join("predictions.csv"), &dir.path().join("labels.csv"), "id", "label") {
                Ok(evaluation) => prop_assert!(evaluation.value.is_finite(), "{kind:?}: {}", evaluation.value),
                Err(MetricError::InvalidOutput(why)) => prop_assert!(why.len() < 4096, "{} bytes", why.len()),
                Err(MetricError::Assignment(why)) => prop_assert!(false, "{kind:?} blamed the assignment: {why}"),
            }
        }
    }

    #[test]
    fn any_archive_is_unpacked_or_refused(bytes in prop_oneof![mutated(targz()), mutated(zip()), proptest::collection::vec(any::<u8>(), 0..600)]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("submission.bin");
        std::fs::write(&path, &bytes).unwrap();
        match assay::intake::intake(&path, &limits()) {
            Ok(submission) => prop_assert!(submission.tally.files > 0),
            Err(assay::intake::IntakeError::Refused(rejection)) => prop_assert!(rejection.to_string().len() < 4096),
            Err(error) => prop_assert!(false, "harness error on a candidate's archive: {error}"),
        }
    }

    #[test]
    fn any_spec_is_loaded_or_refused_with_a_place(text in mutated(std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assignments/digits/assignment.toml")).unwrap())) {
        let dir = digits_copy();
        std::fs::write(dir.path().join("assignment.toml"), &text).unwrap();
        if let Err(errors) = assay::spec::load(dir.path()) {
            prop_assert!(!errors.is_empty());
            for error in errors {
                prop_assert!(error.line >= 1 && error.column >= 1, "{error}");
            }
        }
    }
}
