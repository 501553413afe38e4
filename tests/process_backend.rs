//! The trusted local backend: same verdicts and reports as the Docker one, loudly marked as
//! not isolated. Runs without Docker.

mod common;

use common::*;

fn grade_process(phases: &str, extra: &str, name: &str) -> (i32, Report, String) {
    let a = assignment(phases, extra);
    let s = submission(&[("main.sh", name)]);
    let graded = Grading::new(a.path(), s.path()).arg("--backend").arg("process").run();
    (graded.code, graded.report, graded.log)
}

#[test]
fn grades_with_rewritten_paths_and_says_nothing_was_isolated() {
    let phases = r#"
[[phase]]
name = "build"
run = "echo built > made.txt"

[[phase]]
name = "predict"
run = "cat made.txt; ls /data; printf 'id,label\na,1\nb,3\n' > /out/p.csv"
inputs = { "/data" = "hidden/features" }
outputs = ["/out/p.csv"]
"#;
    let metric = "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\n";
    let (code, report, log) = grade_process(phases, metric, "ok");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("WARNING: --backend process"), "{log}");
    assert!(report.isolation.as_str().starts_with("NONE"));
    assert_eq!(phase(&report, "predict").stdout_tail, "built\nx.csv\n");
    assert_eq!(report.metrics[0].value, Some(0.5));
}

/// A service beside the phase's command: started first, ended with it, its output kept.
const SERVICE_PHASE: &str = r#"
[[phase]]
name = "serve"
service = "echo service up; sleep 0.3; echo ready > ready.txt; exec sleep 60"
run = "while [ ! -f ready.txt ]; do sleep 0.1; done; echo client saw $(cat ready.txt); echo result > /out/r.txt"
outputs = ["/out/r.txt"]
"#;

#[test]
fn a_service_runs_beside_the_command_and_ends_with_it() {
    let started = std::time::Instant::now();
    let (code, report, log) = grade_process(SERVICE_PHASE, "", "service");
    assert_eq!(code, 0, "{log}");
    let serve = phase(&report, "serve");
    assert_eq!(serve.verdict.as_str(), "passed", "{serve:?}");
    let stdout = serve.stdout_tail.as_str();
    assert!(
        stdout.contains("service up") && stdout.contains("client saw ready"),
        "{stdout}"
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "the service's sleep held the phase open"
    );
}

#[test]
fn verdicts_match_the_docker_backend() {
    let cases = [
        ("exit 4", "", "failed"),
        ("sleep 30", "timeout = \"1s\"", "timed_out"),
        ("yes flood", "", "output_exceeded"),
        ("kill -SEGV $$", "", "crashed"),
        (
            "ln -s /etc/passwd /out/p.csv",
            "outputs = [\"/out/p.csv\"]",
            "invalid_output",
        ),
    ];
    for (run, extra, wanted) in cases {
        let phases = format!("[[phase]]\nname = \"main\"\nrun = '''{run}'''\n{extra}\n");
        let (code, report, log) = grade_process(&phases, "", run);
        assert_eq!(code, 1, "{run}: {log}");
        assert_eq!(phase(&report, "main").verdict.as_str(), wanted, "{run}: {log}");
    }
}

#[test]
fn leftover_background_processes_are_ended() {
    let marker = format!("assay-test-{}", std::process::id());
    let phases = format!("[[phase]]\nname = \"main\"\nrun = \"sh -c 'sleep 300; echo {marker}' & echo started\"\n");
    let (code, _, log) = grade_process(&phases, "", "daemon");
    assert_eq!(code, 0, "{log}");
    let found = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&found.stdout).trim().is_empty(),
        "a background process survived the phase"
    );
}
