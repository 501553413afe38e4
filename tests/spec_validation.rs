//! `assay validate` against broken specs: every error names file, line, column and key.

mod common;

use common::{assay, text, write};

fn validate(spec: &str) -> (i32, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "assignment.toml", spec);
    write(dir.path(), "hidden/labels.csv", "id,label\n");
    write(dir.path(), "hidden/features/x.csv", "id\n");
    let output = assay(&["validate", dir.path().to_str().unwrap()]);
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        dir,
    )
}

const HEAD: &str = "[assignment]\nid = \"t\"\ntitle = \"T\"\n";

fn expect_line(spec: &str, wanted: &str) {
    let (code, out, dir) = validate(spec);
    assert_eq!(code, 2, "{out}");
    let file = dir.path().join("assignment.toml");
    let wanted = format!("{}:{wanted}", file.display());
    assert!(out.lines().any(|l| l == wanted), "wanted line\n  {wanted}\ngot\n{out}");
}

#[test]
fn bundled_assignments_are_valid() {
    let output = assay(&["validate", "assignments/digits"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("assignments/digits: ok"));
}

#[test]
fn pytest_as_a_module_without_dash_p_is_warned_about() {
    let phase = |run: &str| {
        format!(
            "{HEAD}[[phase]]\nname = \"tests\"\nrun = \"{run}\"\ninputs = {{ \"/tests\" = \"hidden/features\" }}\njunit = \"/out/junit.xml\"\n"
        )
    };
    let (code, out, dir) = validate(&phase("python3 -m pytest /tests --junitxml=/out/junit.xml"));
    assert_eq!(code, 0, "a warning is not an error: {out}");
    let wanted = format!(
        "warning: {}:6:1: phase[0].run: `python3 -m pytest` puts the workspace first",
        dir.path().join("assignment.toml").display()
    );
    assert!(
        out.lines().any(|l| l.starts_with(&wanted)),
        "wanted\n  {wanted}\ngot\n{out}"
    );
    let (code, out, _dir) = validate(&phase("python3 -P -m pytest /tests --junitxml=/out/junit.xml"));
    assert_eq!(code, 0);
    assert!(!out.contains("-m pytest"), "{out}");
    // Without tests.lock no test name can be trusted; validate says so.
    assert!(
        out.contains("no tests.lock: hidden test names cannot be trusted"),
        "{out}"
    );
}

#[test]
fn a_service_phase_keeps_its_results_in_out() {
    expect_line(
        &format!(
            "{HEAD}[[phase]]\nname = \"serve\"\nservice = \"sh start.sh\"\nrun = \"python3 client.py\"\noutputs = [\"/workspace/r.csv\"]\n"
        ),
        "8:12: phase[0].outputs[0]: \"/workspace/r.csv\": a phase with a service keeps its results in /out, which only `run` can write; the workspace belongs to the candidate",
    );
}

#[test]
fn unknown_key() {
    expect_line(
        &format!("{HEAD}colour = \"red\"\n"),
        "4:1: assignment.colour: unknown field `colour`, expected one of `id`, `title`, `version`",
    );
}

#[test]
fn wrong_type() {
    expect_line(
        &format!("{HEAD}[sandbox]\npids = \"many\"\n"),
        "5:8: sandbox.pids: invalid type: string \"many\", expected i64",
    );
}

#[test]
fn missing_required_key() {
    expect_line("[assignment]\nid = \"t\"\n", "1:1: assignment: missing field `title`");
    expect_line(
        &format!("{HEAD}[[phase]]\nname = \"a\"\n"),
        "4:1: phase[0]: a phase needs run = \"COMMAND\" (or notebook = \"PATH.ipynb\")",
    );
}

#[test]
fn bad_units() {
    expect_line(
        &format!("{HEAD}[sandbox]\nmemory = \"lots\"\n[[phase]]\nname = \"a\"\nrun = \"true\"\ntimeout = \"soon\"\n"),
        "5:1: sandbox.memory: invalid size \"lots\"; write e.g. \"512MiB\" or \"1GiB\"",
    );
}

#[test]
fn output_no_earlier_phase_produces() {
    let spec = format!(
        "{HEAD}[[phase]]\nname = \"predict\"\nrun = \"true\"\ninputs = {{ \"/model\" = \"train:/out/model.bin\" }}\n[[phase]]\nname = \"train\"\nrun = \"true\"\noutputs = [\"/out/model.bin\"]\n"
    );
    expect_line(
        &spec,
        "7:12: phase[0].inputs.\"/model\": reads train:/out/model.bin, but no earlier phase is named \"train\"",
    );
}

#[test]
fn hidden_file_missing() {
    let spec =
        format!("{HEAD}[[phase]]\nname = \"a\"\nrun = \"true\"\ninputs = {{ \"/data\" = \"hidden/nothing\" }}\n");
    let (code, out, dir) = validate(&spec);
    assert_eq!(code, 2);
    let wanted = format!(
        "{}:7:12: phase[0].inputs.\"/data\": hidden/nothing does not exist in {}",
        dir.path().join("assignment.toml").display(),
        dir.path().display()
    );
    assert!(out.contains(&wanted), "{out}");
}

#[test]
fn negative_weights() {
    let spec = format!(
        "{HEAD}[[phase]]\nname = \"p\"\nrun = \"true\"\noutputs = [\"/out/p.csv\"]\n[[metric]]\nname = \"a\"\nkind = \"accuracy\"\npredictions = \"p:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = -1\n[[rubric]]\ncriterion = \"c\"\nweight = -0.5\nlevels = [\"x\"]\n"
    );
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2);
    assert!(
        out.contains(":13:1: metric[0].weight: must be zero or more, not -1"),
        "{out}"
    );
    assert!(
        out.contains(":16:1: rubric[0].weight: must be zero or more, not -0.5"),
        "{out}"
    );
}

#[test]
fn hidden_files_never_reach_the_build_phase_and_labels_never_any_phase() {
    let spec = format!(
        "{HEAD}[[phase]]\nname = \"build\"\nrun = \"true\"\ninputs = {{ \"/data\" = \"hidden/features\" }}\n[[phase]]\nname = \"p\"\nrun = \"true\"\ninputs = {{ \"/data\" = \"hidden\" }}\noutputs = [\"/out/p.csv\"]\n[[metric]]\nname = \"a\"\nkind = \"accuracy\"\npredictions = \"p:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\n"
    );
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2);
    assert!(
        out.contains("phase[0].inputs.\"/data\": the build phase never sees hidden files"),
        "{out}"
    );
    assert!(
        out.contains("phase[1].inputs.\"/data\": hidden holds the hidden labels hidden/labels.csv"),
        "{out}"
    );
}

#[test]
fn every_problem_is_reported_and_many_folders_are_checked() {
    let (_, _, good) = validate(&format!("{HEAD}[[phase]]\nname = \"a\"\nrun = \"true\"\n"));
    let bad = tempfile::tempdir().unwrap();
    write(
        bad.path(),
        "assignment.toml",
        &format!("{HEAD}[sandbox]\ncpus = 0.0\npids = 0\n[[phase]]\nname = \"Bad Name\"\nrun = \"\"\n"),
    );
    let output = assay(&["validate", good.path().to_str().unwrap(), bad.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains(": ok ("), "{out}");
    for key in ["sandbox.cpus", "sandbox.pids", "phase[0].name", "phase[0].run"] {
        assert!(out.contains(&format!(": {key}: ")), "no error for {key} in\n{out}");
    }
}

/// A predict phase reading `source`, and an accuracy metric on hidden/labels.csv.
fn reading(source: &str, phase: &str) -> String {
    format!(
        "{HEAD}[[phase]]\nname = \"{phase}\"\nrun = \"true\"\ninputs = {{ \"/data\" = \"{source}\" }}\noutputs = [\"/out/p.csv\"]\n[[metric]]\nname = \"a\"\nkind = \"accuracy\"\npredictions = \"{phase}:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\n"
    )
}

/// Validates `spec` in an assignment that `arrange` adds files and links to.
fn validate_arranged(spec: &str, arrange: impl Fn(&std::path::Path)) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "assignment.toml", spec);
    write(dir.path(), "hidden/labels.csv", "id,label\na,1\n");
    write(dir.path(), "hidden/features/x.csv", "id\na\n");
    arrange(dir.path());
    let output = assay(&["validate", dir.path().to_str().unwrap()]);
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_link_to_hidden_is_resolved_before_any_rule() {
    let alias = |root: &std::path::Path| std::os::unix::fs::symlink("hidden", root.join("h")).unwrap();
    // The labels through an alias of hidden/.
    let (code, out) = validate_arranged(&reading("h", "predict"), alias);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("hidden holds the hidden labels hidden/labels.csv"),
        "{out}"
    );
    // The build phase through the same alias.
    let (code, out) = validate_arranged(&reading("h/features", "build"), alias);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("the build phase never sees hidden files"), "{out}");
    // A link out of the assignment folder.
    let outside = tempfile::tempdir().unwrap();
    let (code, out) = validate_arranged(&reading("data", "predict"), |root| {
        std::os::unix::fs::symlink(outside.path(), root.join("data")).unwrap()
    });
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("leads outside the assignment folder"), "{out}");
    // A link inside an input folder is never followed.
    let (code, out) = validate_arranged(&reading("hidden/features", "predict"), |root| {
        std::os::unix::fs::symlink("../labels.csv", root.join("hidden/features/y.csv")).unwrap()
    });
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("hidden/features/y.csv is a link"), "{out}");
}

#[test]
fn a_copy_of_the_labels_in_an_input_is_refused() {
    let (code, out) = validate_arranged(&reading("hidden/features", "predict"), |root| {
        write(root, "hidden/features/answers.txt", "id,label\na,1\n")
    });
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("hidden/features/answers.txt has the same content as the hidden labels hidden/labels.csv"),
        "{out}"
    );
}

#[test]
fn numbers_the_engine_or_a_deadline_cannot_take_are_refused() {
    let spec = format!(
        "{HEAD}[sandbox]\nmemory = \"16EiB\"\ncpus = 0.001\n[[phase]]\nname = \"a\"\nrun = \"true\"\ntimeout = \"9223372036854775807s\"\n[reproducibility]\nruns = 1000\n"
    );
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2, "{out}");
    for (key, message) in [
        ("sandbox.memory", "must be from 6.0 MiB to 1.0 TiB"),
        ("sandbox.cpus", "must be from 0.01 to 1024"),
        ("phase[0].timeout", ""),
        ("reproducibility.runs", "must be from 1 to 100"),
    ] {
        assert!(
            out.lines().any(|l| l.contains(&format!(": {key}: {message}"))),
            "no error for {key} in\n{out}"
        );
    }
    // A timeout humantime can read but no deadline can hold.
    let spec = format!("{HEAD}[[phase]]\nname = \"a\"\nrun = \"true\"\ntimeout = \"1000d\"\n");
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("phase[0].timeout: must be at most 24h"), "{out}");
}

#[test]
fn labels_and_specs_must_be_regular_files() {
    let (code, out) = validate_arranged(
        &reading("hidden/features", "predict").replace("hidden/labels.csv", "hidden/features"),
        |_| {},
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("metric[0].labels: \"hidden/features\" must be a regular file"),
        "{out}"
    );
    for special in ["fifo", "zero"] {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("assignment.toml");
        if special == "fifo" {
            let made = std::process::Command::new("mkfifo").arg(&spec).status().unwrap();
            assert!(made.success());
        } else {
            std::os::unix::fs::symlink("/dev/zero", &spec).unwrap();
        }
        let output = assay(&["validate", dir.path().to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{special}: {}", text(&output));
        assert!(
            text(&output).contains("the spec is not a regular file"),
            "{}",
            text(&output)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "assignment.toml",
        &format!("{HEAD}# {}\n", "x".repeat(2 << 20)),
    );
    let output = assay(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("the spec is larger than 1.0 MiB"),
        "{}",
        text(&output)
    );
}

#[test]
fn thousands_of_duplicate_tables_are_each_reported() {
    let mut spec = HEAD.to_string();
    for _ in 0..20_000 {
        spec.push_str("[[phase]]\nname = \"a\"\nrun = \"true\"\n");
    }
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2);
    let duplicates = out.lines().filter(|l| l.contains("is declared twice")).count();
    assert_eq!(duplicates, 19_999);
    // The last one is placed on its own line.
    assert!(
        out.contains(&format!(":{}:1: phase[19999].name", 4 + 3 * 19_999 + 1)),
        "{}",
        &out[out.len() - 300..]
    );
}

#[test]
fn reviewers_per_submission_are_bounded_and_unknown_review_keys_refused() {
    let spec = format!(
        "{HEAD}[[phase]]\nname = \"p\"\nrun = \"true\"\n[[rubric]]\ncriterion = \"c\"\nweight = 1\nlevels = [\"x\"]\nguidance = \"look\"\n[review]\nreviewers = 0\n"
    );
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2);
    assert!(out.contains("review.reviewers: must be from 1 to 20, not 0"), "{out}");
    let spec = format!("{HEAD}[[phase]]\nname = \"p\"\nrun = \"true\"\n[review]\nblind = true\nanonymous = true\n");
    let (code, out, _dir) = validate(&spec);
    assert_eq!(code, 2);
    assert!(out.contains("anonymous"), "{out}");
}

#[test]
fn similarity_and_round_settings_are_checked() {
    let spec = format!(
        "{HEAD}[[phase]]\nname = \"a\"\nrun = \"true\"\n[similarity]\nthreshold = 1.5\ncorpus = \"hidden/labels.csv\"\nstarter = \"../elsewhere\"\n[round]\ndrift = -1.0\n"
    );
    let (code, out, dir) = validate(&spec);
    assert_eq!(code, 2, "{out}");
    let file = dir.path().join("assignment.toml").display().to_string();
    for wanted in [
        "8:1: similarity.threshold: must be above 0 and at most 1, not 1.5",
        "9:1: similarity.corpus: \"hidden/labels.csv\" must be a folder of known solutions",
        "10:1: similarity.starter: \"../elsewhere\" must be a relative path inside the assignment folder",
        "12:1: round.drift: must be a share above 0 (0.25 is 25%), not -1",
    ] {
        let wanted = format!("{file}:{wanted}");
        assert!(out.lines().any(|l| l == wanted), "wanted line\n  {wanted}\ngot\n{out}");
    }
    expect_line(
        &format!("{HEAD}[[phase]]\nname = \"a\"\nrun = \"true\"\n[similarity]\nlevel = 3\n"),
        "8:1: similarity.level: unknown field `level`, expected one of `starter`, `corpus`, `threshold`",
    );
}

#[test]
fn notebook_phases_are_checked() {
    let spec = format!(
        "{HEAD}[[phase]]\nname = \"nb\"\nnotebook = \"../x.ipynb\"\nrun = \"true\"\nclaims_tolerance = -1.0\n[[phase]]\nname = \"plain\"\nrun = \"true\"\ncell_timeout = \"5s\"\n[[metric]]\nname = \"r\"\nkind = \"notebook_reproduced\"\nphase = \"plain\"\n[[phase]]\nname = \"none\"\n"
    );
    let (code, out, dir) = validate(&spec);
    assert_eq!(code, 2, "{out}");
    let file = dir.path().join("assignment.toml").display().to_string();
    for wanted in [
        "6:1: phase[0].notebook: \"../x.ipynb\" is not a notebook path in the submission: give a relative path ending in .ipynb, of letters, digits, spaces and ._-/",
        "7:1: phase[0].run: a notebook phase runs the notebook itself; leave out run",
        "8:1: phase[0].claims_tolerance: must be zero or more, not -1",
        "12:1: phase[1].cell_timeout: cell_timeout is for a notebook phase: set notebook = \"PATH.ipynb\"",
        "16:1: metric[0].phase: phase \"plain\" runs no notebook (set notebook = \"PATH.ipynb\" on it)",
    ] {
        let wanted = format!("{file}:{wanted}");
        assert!(out.lines().any(|l| l == wanted), "wanted line\n  {wanted}\ngot\n{out}");
    }
    assert!(
        out.contains("17:1: phase[2]: a phase needs run = \"COMMAND\" (or notebook = \"PATH.ipynb\")"),
        "{out}"
    );
    assert!(!out.contains("must not be empty"), "a missing run is said once: {out}");
    let good = format!(
        "{HEAD}[[phase]]\nname = \"nb\"\nnotebook = \"work/analysis.ipynb\"\ncell_timeout = \"30s\"\n[[metric]]\nname = \"r\"\nkind = \"notebook_reproduced\"\nphase = \"nb\"\n"
    );
    let (code, out, _dir) = validate(&good);
    assert_eq!(code, 0, "{out}");
}
