//! The output folder under pressure: many graders writing into one OUT at once, foreign or
//! corrupt files in it, and an OUT that cannot be written.

mod common;

use std::path::Path;

use common::*;

/// A one-phase assignment with nothing to score, fast under the process backend.
fn quick_assignment() -> tempfile::TempDir {
    assignment(
        "[[phase]]\nname = \"run\"\nrun = \"true\"\n",
        "[reproducibility]\nruns = 1\n",
    )
}

fn process_grade(assignment: &Path, out: &Path, submissions: &[std::path::PathBuf]) -> std::process::Child {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_assay"));
    command
        .args(["grade", "--backend", "process", "-j", "2", "-a"])
        .arg(assignment)
        .arg("-o")
        .arg(out)
        .args(submissions)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    command.spawn().unwrap()
}

#[test]
fn concurrent_graders_lose_and_tear_nothing() {
    let a = quick_assignment();
    let submissions = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (processes, each) = (6, 20);
    let mut batches = Vec::new();
    for p in 0..processes {
        let mut batch = Vec::new();
        for i in 0..each {
            let name = format!("candidate-{p}-{i}");
            // Five distinct contents: many names share a report folder and its names.json.
            write(
                &submissions.path().join(&name),
                "solution.txt",
                &format!("answer {}\n", i % 5),
            );
            batch.push(submissions.path().join(&name));
        }
        batches.push(batch);
    }
    let children: Vec<_> = batches.iter().map(|b| process_grade(a.path(), out.path(), b)).collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let folder = assay::store::ReportDir::at(dir.clone());
        let report = folder.read_report().unwrap();
        assert_eq!(report.verdict, assay::model::RunVerdict::Passed);
        names.extend(folder.names());
        let stray: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".assay-write-"))
            .collect();
        assert!(stray.is_empty(), "temp files left: {stray:?}");
    }
    names.sort();
    assert_eq!(names.len(), processes * each, "names kept: {}", names.len());
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    let rows = csv::Reader::from_reader(summary.as_bytes()).records().count();
    assert_eq!(rows, processes * each, "{summary}");
}

#[test]
fn a_foreign_report_in_out_is_left_out_with_a_warning() {
    let a = quick_assignment();
    let out = tempfile::tempdir().unwrap();
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "x.txt", "x");
    // A report.json with a short hash, and one that is not JSON, in folders of OUT.
    let ours = tempfile::tempdir().unwrap();
    let (_, json, _) = {
        let output = assay(&[
            "grade",
            "--backend",
            "process",
            "--json",
            "-a",
            a.path().to_str().unwrap(),
            "-o",
            ours.path().to_str().unwrap(),
            s.path().to_str().unwrap(),
        ]);
        let line = String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap()
            .to_string();
        (
            output.status.code(),
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            (),
        )
    };
    let mut short = json.clone();
    short["submission"]["sha256"] = serde_json::json!("abc");
    write(out.path(), "foreign/report.json", &short.to_string());
    write(out.path(), "broken/report.json", "{ not json");
    let output = assay(&[
        "grade",
        "--backend",
        "process",
        "-a",
        a.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
        s.path().to_str().unwrap(),
        "--dir",
        ours.path().to_str().unwrap(),
    ]);
    let log = text(&output);
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        log.contains(
            "foreign/report.json is left out of the round summary: its submission hash does not name its folder"
        ),
        "{log}"
    );
    assert!(
        log.contains("broken/report.json is left out of the round summary: not a report"),
        "{log}"
    );
    assert!(out.path().join("summary.csv").is_file(), "{log}");
}

#[test]
fn an_output_folder_that_cannot_be_written_is_an_input_error() {
    let a = quick_assignment();
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "x.txt", "x");
    let file = tempfile::NamedTempFile::new().unwrap();
    let read_only = tempfile::tempdir().unwrap();
    let mut permissions = std::fs::metadata(read_only.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o555);
    std::fs::set_permissions(read_only.path(), permissions).unwrap();
    let mut targets = vec![file.path().to_path_buf(), Path::new("/sys").to_path_buf()];
    // root writes through mode 0555, so the read-only folder only counts for other users.
    if unsafe { libc::geteuid() } != 0 {
        targets.push(read_only.path().to_path_buf());
    }
    for out in targets {
        let output = assay(&[
            "grade",
            "--backend",
            "process",
            "-a",
            a.path().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            s.path().to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(2), "{}: {}", out.display(), text(&output));
        assert!(text(&output).contains(&out.display().to_string()), "{}", text(&output));
        assert!(text(&output).contains("output folder"), "{}", text(&output));
    }
    for args in [
        ["--runs", "0"],
        ["-j", "0"],
        ["--runs", "101"],
        ["--run-concurrency", "0"],
    ] {
        let output = assay(&[
            "grade",
            "--backend",
            "process",
            "-a",
            a.path().to_str().unwrap(),
            args[0],
            args[1],
            s.path().to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    }
}
