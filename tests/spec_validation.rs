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
    assert!(!out.contains("warning"), "{out}");
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
        "4:1: phase[0]: missing field `run`",
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
