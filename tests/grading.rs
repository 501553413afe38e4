//! Grading real submissions in real containers: each verdict, the bundled example, the
//! hardening, hidden labels out of reach, and cleanup after the harness is killed.

mod common;

use common::*;

fn verdict_of(run: &str, extra: &str) -> (i32, Report) {
    let a = one_phase(run, extra, "");
    // A submission of its own per test, so parallel tests never share a submission hash.
    let s = submission(&[("main.py", "print('hi')\n"), ("probe.txt", run)]);
    let (code, report, _) = grade(a.path(), s.path());
    (code, report)
}

#[test]
fn digits_reference_passes_with_real_accuracy() {
    require_engine();
    sandbox_image();
    let digits = repo().join("assignments/digits");
    let out = tempfile::tempdir().unwrap();
    let (code, report, log) = grade_into(&digits, &digits.join("solutions/reference"), out.path());
    assert_eq!(code, 0, "{log}");
    // The values are exactly what scikit-learn computes on the scored predictions.
    let sha = report.submission.sha256.as_str();
    std::fs::copy(digits.join("hidden/labels.csv"), out.path().join("labels.csv")).unwrap();
    let predictions = format!("{}/outputs/predict/out/predictions.csv", &sha[..16]);
    let expected = sklearn(
        out.path(),
        &format!(
            "import pandas as pd; from sklearn import metrics; l = pd.read_csv('labels.csv'); p = pd.read_csv('{predictions}'); \
             m = l.merge(p, on='id', suffixes=('', '_p')); \
             print(repr(metrics.accuracy_score(m.label, m.label_p)), repr(metrics.f1_score(m.label, m.label_p, average='macro')))"
        ),
    );
    let values: Vec<f64> = expected.split(' ').map(|v| v.parse().unwrap()).collect();
    let value_of = |name: &str| report.metrics.iter().find(|m| m.name == name).unwrap().value.unwrap();
    assert!((value_of("accuracy") - values[0]).abs() < 1e-12, "{expected}");
    assert!((value_of("macro_f1") - values[1]).abs() < 1e-12, "{expected}");
    assert_eq!(report.verdict.as_str(), "passed");
    let accuracy = report.metrics[0].value.unwrap();
    assert!(accuracy > 0.95 && accuracy <= 1.0, "accuracy {accuracy}");
    assert_eq!(report.score.unwrap().max, 100.0);
    for phase in report.phases {
        assert_eq!(phase.verdict.as_str(), "passed");
        assert!(phase.cpu_seconds.unwrap() > 0.0);
        assert!(phase.peak_memory_bytes.unwrap() > 1_000_000);
    }
    assert_eq!(report.assignment.id, "digits");
    // The score is the sum of each metric's weight times its credit; unit scores earn their value.
    let metrics = report.metrics;
    let points: f64 = metrics.iter().map(|m| m.points).sum();
    assert!((report.score.unwrap().total - points).abs() < 1e-9);
    let macro_f1 = metrics.iter().find(|m| m.name == "macro_f1").unwrap();
    assert!((macro_f1.points - 30.0 * macro_f1.value.unwrap()).abs() < 1e-9);
    let latency = metrics.iter().find(|m| m.name == "latency_per_row").unwrap();
    assert!(latency.passed && latency.value.unwrap() < 0.05, "{latency:?}");
    assert_eq!(metrics[0].confusion_matrix.as_ref().unwrap().classes.len(), 10);
    assert!(report.provenance.image_id.as_str().starts_with("sha256:"));
}

#[test]
fn digits_malformed_predictions_are_invalid_output() {
    require_engine();
    sandbox_image();
    let digits = repo().join("assignments/digits");
    let (code, report, log) = grade(&digits, &digits.join("solutions/malformed"));
    assert_eq!(code, 1, "{log}");
    let predict = phase(&report, "predict");
    assert_eq!(predict.verdict.as_str(), "invalid_output");
    assert!(
        predict.message.as_deref().unwrap().contains("no column \"label\""),
        "{predict:?}"
    );
    assert_eq!(report.score.unwrap().total, 0.0);
}

#[test]
fn failed_exit_code() {
    require_engine();
    sandbox_image();
    let (code, report) = verdict_of("echo going; exit 3", "");
    assert_eq!(code, 1);
    assert_eq!(report.verdict.as_str(), "failed");
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "failed");
    assert_eq!(main.exit_code, Some(3));
    assert_eq!(main.stdout_tail, "going\n");
}

#[test]
fn a_submission_larger_than_the_workspace_is_invalid_output_and_runs_nothing() {
    require_engine();
    sandbox_image();
    let a = tempfile::tempdir().unwrap();
    write(
        a.path(),
        "assignment.toml",
        "[assignment]\nid = \"t\"\ntitle = \"Test\"\n\n[sandbox]\nworkspace_size = \"1MiB\"\n\n\
         [[phase]]\nname = \"main\"\nrun = \"echo the command ran\"\n",
    );
    let big: String = (0..3 * 1024 * 1024 / 64).map(|i| format!("{i:063}\n")).collect();
    let s = submission(&[("big.txt", &big)]);
    let (code, report, log) = grade(a.path(), s.path());
    assert_eq!(code, 1, "{log}");
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "invalid_output", "{log}");
    let message = main.message.clone().unwrap_or_default();
    assert!(
        message.contains("could not be unpacked into this phase") && message.contains("big.txt"),
        "{message}"
    );
    assert_eq!(main.stdout_tail, "", "the command never ran");
}

#[test]
fn timed_out_close_to_the_limit() {
    require_engine();
    sandbox_image();
    let (code, report) = verdict_of("trap '' TERM; echo started; sleep 60", "timeout = \"2s\"");
    assert_eq!(code, 1);
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "timed_out");
    let wall = main.wall_seconds;
    assert!((2.0..6.0).contains(&wall), "wall {wall}");
    assert_eq!(main.stdout_tail, "started\n");
}

#[test]
fn memory_exceeded_from_the_oom_record() {
    require_engine();
    sandbox_image();
    let (_, report) = verdict_of("python3 -c 'b = bytearray(600 * 1024 * 1024)'", "");
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "memory_exceeded", "{main:?}");
    // A plain SIGKILL with no OOM is a crash, not a memory verdict.
    let (_, report) = verdict_of("kill -KILL $$", "");
    assert_eq!(phase(&report, "main").verdict.as_str(), "crashed");
}

#[test]
fn output_exceeded_stops_a_flood() {
    require_engine();
    sandbox_image();
    let (_, report) = verdict_of("yes 'flood'", "");
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "output_exceeded");
    assert_eq!(main.stdout_bytes, 64 * 1024);
    assert!(main.wall_seconds < 10.0);
}

#[test]
fn crashed_by_a_signal() {
    require_engine();
    sandbox_image();
    let (_, report) = verdict_of(
        "python3 -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'",
        "",
    );
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "crashed");
    assert_eq!(main.signal, Some(11));
}

#[test]
fn output_that_links_elsewhere_is_invalid_and_not_followed() {
    require_engine();
    sandbox_image();
    let (_, report) = verdict_of("ln -s /etc/passwd /out/p.csv", "outputs = [\"/out/p.csv\"]");
    let main = phase(&report, "main");
    assert_eq!(main.verdict.as_str(), "invalid_output");
    assert!(
        main.message.as_deref().unwrap().contains("a link to \"/etc/passwd\""),
        "{main:?}"
    );
    let (_, report) = verdict_of("true", "outputs = [\"/out/p.csv\"]");
    assert!(
        phase(&report, "main")
            .message
            .as_deref()
            .unwrap()
            .contains("/out/p.csv was not written")
    );
}

#[test]
fn hostile_archive_is_an_invalid_submission() {
    require_engine();
    sandbox_image();
    let a = one_phase("true", "", "");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.tar.gz");
    let file = std::fs::File::create(&path).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    header.as_old_mut().name[..7].copy_from_slice(b"../../x");
    header.set_cksum();
    builder.append(&header, &b"x"[..]).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    let (code, report, _) = grade(a.path(), &path);
    assert_eq!(code, 2);
    assert_eq!(report.verdict.as_str(), "invalid_submission");
    assert!(
        report
            .submission
            .rejection
            .as_deref()
            .unwrap()
            .contains("entry \"../../x\": '..' in the path")
    );
}

#[test]
fn sandbox_is_locked_down() {
    require_engine();
    sandbox_image();
    let probe = r#"
echo "uid=$(id -u)"
grep CapEff /proc/self/status
touch /etc/x 2>&1 | sed 's/^.*: //'
python3 -c 'import socket; socket.create_connection(("1.1.1.1", 53), timeout=2)' 2>&1 | tail -1
test -e /var/run/docker.sock && echo docker-sock
head -c 70000000 /dev/zero > /workspace/big 2>&1 | sed 's/^.*: //'
grep -c ' /workspace ' /proc/mounts
"#;
    let (_, report) = verdict_of(probe, "");
    let out = phase(&report, "main").stdout_tail.clone();
    assert!(out.contains("uid=1000"), "{out}");
    assert!(out.contains("CapEff:\t0000000000000000"), "{out}");
    assert!(out.contains("Read-only file system"), "{out}");
    assert!(
        out.contains("Network is unreachable") || out.contains("OSError"),
        "{out}"
    );
    assert!(!out.contains("docker-sock"), "{out}");
}

#[test]
fn workspace_carries_over_and_hidden_labels_stay_out() {
    require_engine();
    sandbox_image();
    let canary = "CANARY-7f3c9e1d";
    let a = assignment(
        r#"
[[phase]]
name = "build"
run = "test ! -e /data/x.csv && echo built > made-in-build.txt"

[[phase]]
name = "predict"
run = '''cat made-in-build.txt; grep -rs --exclude-dir=proc --exclude-dir=sys -l CANARY- / ; env | grep -c CANARY- ; printf 'id,label\na,1\nb,9\n' > /out/p.csv'''
inputs = { "/data" = "hidden/features" }
outputs = ["/out/p.csv"]
# Reading the whole image takes a while on a busy machine.
timeout = "3m"
"#,
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\npass_at = 0.4\n",
    );
    write(
        a.path(),
        "hidden/labels.csv",
        &format!("id,label,note\na,1,{canary}\nb,2,x\n"),
    );
    let s = submission(&[("main.py", "canary")]);
    let (code, report, log) = grade(a.path(), s.path());
    assert_eq!(code, 0, "{log}");
    assert_eq!(
        phase(&report, "build").verdict,
        PhaseVerdict::Passed,
        "build saw hidden features: {log}"
    );
    let out = phase(&report, "predict").stdout_tail.clone();
    assert!(out.starts_with("built\n"), "the workspace did not carry over: {out}");
    assert!(
        !out.contains(canary) && !out.contains('/'),
        "the canary was found in the container: {out}"
    );
    assert_eq!(report.metrics[0].value, Some(0.5));
    assert_eq!(report.score.unwrap().total, 5.0);
}

/// A grade of a sleeping phase, started as a child process; returns it once its container
/// exists, with a function listing the containers it owns.
fn grade_in_background(name: &str) -> (std::process::Child, impl Fn() -> String, Vec<tempfile::TempDir>) {
    let a = one_phase("sleep 120", "timeout = \"100s\"", "");
    let s = submission(&[("main.py", name)]);
    let out = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args([
            "grade",
            "-a",
            a.path().to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
            s.path().to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let filter = format!("label=assay.owner={}/{}", host.trim(), child.id());
    let listed = move || {
        let o = std::process::Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while listed().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no container appeared");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, listed, vec![a, s, out])
}

#[test]
fn a_service_runs_as_the_candidate_and_the_command_as_the_grader() {
    require_engine();
    sandbox_image();
    let a = assignment(
        r#"
[[phase]]
name = "serve"
service = "echo service uid $(id -u); sleep 0.3; echo ready > ready.txt; exec sleep 60"
run = "while [ ! -f /workspace/ready.txt ]; do sleep 0.1; done; echo client uid $(id -u) in $(pwd) saw $(cat /workspace/ready.txt); echo result > /out/r.txt"
outputs = ["/out/r.txt"]
"#,
        "[reproducibility]\nruns = 1\n",
    );
    let s = submission(&[("main.py", "service")]);
    let started = std::time::Instant::now();
    let (code, report, log) = grade(a.path(), s.path());
    assert_eq!(code, 0, "{log}");
    let serve = phase(&report, "serve");
    let stdout = serve.stdout_tail.as_str();
    assert!(stdout.contains("service uid 1000"), "{stdout}");
    // The client works in its own folder and reads the workspace only by name.
    assert!(stdout.contains("client uid 1001 in /grader saw ready"), "{stdout}");
    assert_eq!(report.outputs[0].path, "/out/r.txt");
    assert!(
        started.elapsed().as_secs() < 30,
        "the service's sleep held the phase open"
    );
}

#[test]
fn killed_harness_leaves_nothing_after_gc() {
    require_engine();
    sandbox_image();
    let (mut child, listed, _keep) = grade_in_background("killed harness");
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(!listed().is_empty(), "the container should outlive a SIGKILLed harness");
    let gc = assay(&["gc"]);
    assert!(gc.status.success(), "{}", text(&gc));
    // A concurrent grade's own sweep may be removing it at the same moment: allow it to finish.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !listed().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(listed(), "", "gc left the killed run's container: {}", text(&gc));
}

#[test]
fn ctrl_c_removes_the_runs_containers() {
    require_engine();
    sandbox_image();
    let (child, listed, _keep) = grade_in_background("interrupted harness");
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));
    assert_eq!(listed(), "", "Ctrl-C left the run's container");
}
