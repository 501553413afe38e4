//! Grading a hiring round: many mixed submissions at once, the round summary, and resuming an
//! interrupted batch.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;

fn round_assignment(timeout: &str) -> tempfile::TempDir {
    assignment(
        &format!(
            "[[phase]]\nname = \"predict\"\nrun = \"sh run.sh\"\noutputs = [\"/out/p.csv\"]\ntimeout = \"{timeout}\"\n"
        ),
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\npass_at = 0.5\n\n[reproducibility]\nruns = 1\n",
    )
}

fn folder(dir: &Path, name: &str, script: &str) {
    write(&dir.join(name), "run.sh", script);
}

fn summary(out: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    reader.records().map(|r| r.unwrap()).collect()
}

#[test]
fn a_round_of_twelve_mixed_submissions() {
    require_engine();
    sandbox_image();
    let a = round_assignment("3s");
    let round = tempfile::tempdir().unwrap();
    let dir = round.path();
    for i in 0..4 {
        folder(
            dir,
            &format!("good-{i}"),
            &format!("# {i}\nprintf 'id,label\\na,1\\nb,2\\n' > /out/p.csv\n"),
        );
    }
    for i in 0..3 {
        folder(
            dir,
            &format!("wrong-{i}"),
            &format!("# {i}\nprintf 'id,label\\na,7\\nb,7\\n' > /out/p.csv\n"),
        );
    }
    folder(dir, "flood", "yes flood\n");
    folder(dir, "sleeper", "sleep 60\n");
    folder(dir, "=HYPERLINK(\"x\")<b>", "exit 1\n");
    // An archive that tries to escape, and a file that is no archive at all.
    let file = std::fs::File::create(dir.join("escape.tar.gz")).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    header.as_old_mut().name[..7].copy_from_slice(b"../../x");
    header.set_cksum();
    builder.append(&header, &b"x"[..]).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    std::fs::File::create(dir.join("notes.rar"))
        .unwrap()
        .write_all(b"Rar! not an archive")
        .unwrap();

    let out = tempfile::tempdir().unwrap();
    let output = assay(&[
        "grade",
        "-j",
        "2",
        "-a",
        a.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "an invalid submission makes the exit 2: {}",
        text(&output)
    );
    let rows = summary(out.path());
    assert_eq!(rows.len(), 12, "{rows:?}");
    let verdict = |name: &str| {
        rows.iter()
            .find(|r| &r[0] == name)
            .map(|r| r[3].to_string())
            .unwrap_or_else(|| panic!("no row {name}: {rows:?}"))
    };
    for i in 0..4 {
        assert_eq!(verdict(&format!("good-{i}")), "passed");
    }
    for i in 0..3 {
        assert_eq!(verdict(&format!("wrong-{i}")), "failed");
    }
    assert_eq!(verdict("flood"), "failed");
    assert_eq!(verdict("sleeper"), "failed");
    assert_eq!(verdict("escape.tar.gz"), "invalid_submission");
    assert_eq!(verdict("notes.rar"), "invalid_submission");
    // A name a spreadsheet would run as a formula is defused.
    assert_eq!(verdict("'=HYPERLINK(\"x\")<b>"), "failed");
    for row in &rows {
        let report = out.path().join(&row[row.len() - 1]);
        assert_valid_report(&report);
        assert_eq!(leftovers(&row[1]), "");
    }
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        index.contains("=HYPERLINK(&quot;x&quot;)&lt;b&gt;"),
        "names are escaped in index.html"
    );
    assert!(index.contains("<svg"), "the score histogram");
    assert!(
        index.contains("script-src 'sha256-"),
        "only the page's own sort script may run"
    );
}

#[test]
fn candidates_who_sent_the_same_files_are_each_listed_and_flagged() {
    require_engine();
    sandbox_image();
    let a = round_assignment("10s");
    let round = tempfile::tempdir().unwrap();
    let same = "printf 'id,label\\na,1\\nb,2\\n' > /out/p.csv\n";
    for name in ["alice", "bob"] {
        folder(round.path(), name, same);
    }
    folder(round.path(), "carol", "printf 'id,label\\na,1\\nb,7\\n' > /out/p.csv\n");
    let out = tempfile::tempdir().unwrap();
    let output = assay(&[
        "grade",
        "-a",
        a.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
        "-j",
        "2",
        "--dir",
        round.path().to_str().unwrap(),
    ]);
    let log = text(&output);
    // One of the two was graded; the other waited and found its report.
    assert!(log.contains("skipped"), "{log}");
    assert!(
        log.contains("[same files as alice]") || log.contains("[same files as bob]"),
        "{log}"
    );
    let rows = summary(out.path());
    let names: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(names, ["alice", "bob", "carol"], "every candidate has a row");
    assert_eq!(rows[0][1], rows[1][1], "alice and bob sent the same files");
    assert_eq!((&rows[0][2], &rows[1][2], &rows[2][2]), ("bob", "alice", ""));
    assert_eq!((&rows[0][3], &rows[1][3]), ("passed", "passed"));
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(index.contains("same files as bob") && index.contains("same files as alice"));
    assert!(index.contains("3 submission(s)"));
    let reports = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(reports, 2, "one report per distinct set of files");
}

#[test]
fn an_interrupted_round_resumes_where_it_stopped() {
    require_engine();
    sandbox_image();
    let a = round_assignment("20s");
    let round = tempfile::tempdir().unwrap();
    for i in 0..4 {
        let pause = if i == 0 { 0 } else { 4 };
        folder(
            round.path(),
            &format!("s{i}"),
            &format!("# {i}\nsleep {pause}\nprintf 'id,label\\na,1\\nb,2\\n' > /out/p.csv\n"),
        );
    }
    let out = tempfile::tempdir().unwrap();
    let args = [
        "grade",
        "-j",
        "1",
        "-a",
        a.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
        "--dir",
        round.path().to_str().unwrap(),
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let finished = |out: &Path| {
        std::fs::read_dir(out)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().join("report.json").exists())
            .count()
    };
    while finished(out.path()) < 1 {
        assert!(std::time::Instant::now() < deadline, "no submission finished");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    child.wait().unwrap();
    let done_before = finished(out.path());
    assert!(done_before < 4, "the batch should have been cut short");
    let resumed = assay(&args);
    let log = text(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{log}");
    assert_eq!(log.matches("already graded").count(), done_before, "{log}");
    let rows = summary(out.path());
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| &r[3] == "passed"), "{rows:?}");
}
