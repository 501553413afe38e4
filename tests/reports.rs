//! The renderings of a grade: report.md, report.html, junit.xml, feedback.md and exports, for
//! several verdicts and for a candidate whose output is hostile.

mod common;

use std::path::Path;

use common::*;

/// Grades into a kept folder; the result owns it and names the report folder.
fn graded(assignment: &Path, submission: &Path, extra: &[&str]) -> Graded {
    extra
        .iter()
        .fold(Grading::new(assignment, submission), |grading, arg| grading.arg(arg))
        .run()
}

fn read(dir: &Path, name: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(dir.join(name)).unwrap()).into_owned()
}

/// Every rendering exists and says the verdict; junit.xml parses.
fn renderings(dir: &Path, verdict: &str, phase_verdict: &str) {
    let md = read(dir, "report.md");
    let html = read(dir, "report.html");
    let junit = read(dir, "junit.xml");
    assert!(md.contains(&format!("**{verdict}**")), "{md}");
    assert!(md.contains(&format!("| main | {phase_verdict} |")), "{md}");
    let tone = if verdict == "passed" { "good" } else { "bad" };
    assert!(
        html.contains(&format!("<span class=\"{tone}\">{verdict}</span>")),
        "{html}"
    );
    assert!(html.contains(&format!(">{phase_verdict}</td>")), "{html}");
    roxmltree::Document::parse(&junit).unwrap_or_else(|e| panic!("junit.xml does not parse: {e}\n{junit}"));
}

#[test]
fn reports_for_failing_timed_out_and_memory_exceeded_grades() {
    require_engine();
    sandbox_image();
    let cases = [
        ("exit 3", "", "failed", "failed"),
        ("sleep 30", "timeout = \"1s\"", "failed", "timed_out"),
        (
            "python3 -c 'b = bytearray(600 * 1024 * 1024)'",
            "",
            "failed",
            "memory_exceeded",
        ),
        ("echo fine", "", "passed", "passed"),
    ];
    for (run, extra, verdict, phase_verdict) in cases {
        let a = one_phase(run, extra, "[reproducibility]\nruns = 1\n");
        let grade = graded(a.path(), named_submission(run).path(), &[]);
        let (dir, report) = (&grade.dir, &grade.report);
        assert_eq!(report.verdict.as_str(), verdict);
        renderings(dir, verdict, phase_verdict);
        let feedback = read(dir, "feedback.md");
        let said = match phase_verdict {
            "timed_out" => "ran out of time",
            "memory_exceeded" => "ran out of memory",
            "failed" => "exited with an error",
            _ => "completed",
        };
        assert!(feedback.contains(&format!("| main | {said} |")), "{feedback}");
    }
}

#[test]
fn report_for_an_invalid_submission_says_why() {
    require_engine();
    sandbox_image();
    let a = one_phase("true", "", "[reproducibility]\nruns = 1\n");
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "ok.txt", "x");
    std::os::unix::fs::symlink("/etc/passwd", s.path().join("link")).unwrap();
    let grade = graded(a.path(), s.path(), &[]);
    let (dir, report) = (&grade.dir, &grade.report);
    assert_eq!(report.verdict.as_str(), "invalid_submission");
    assert!(read(dir, "report.md").contains("## Why the submission was refused"));
    assert!(read(dir, "report.html").contains("symbolic link"));
    assert!(read(dir, "feedback.md").contains("could not be accepted"));
}

#[test]
fn report_for_an_unstable_grade_says_so_everywhere() {
    require_engine();
    sandbox_image();
    let a = assignment(
        "[[phase]]\nname = \"main\"\nrun = '''python3 -c \"import random, sys; sys.exit(random.SystemRandom().randint(0, 1))\"'''\n",
        "[reproducibility]\nruns = 10\n",
    );
    let grade = graded(a.path(), named_submission("coin").path(), &[]);
    let (dir, report) = (&grade.dir, &grade.report);
    assert_eq!(report.reproducibility.status.as_str(), "unstable");
    let md = read(dir, "report.md");
    assert!(md.contains("NOT REPRODUCIBLE"), "{md}");
    assert!(md.contains("| phase main |"), "{md}");
    assert!(read(dir, "report.html").contains("<span class=\"bad\">unstable</span>"));
}

const PAYLOADS: &str = "<script>document.body.setAttribute('data-pwned','script')</script> <img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"> <a href=\"javascript:document.body.setAttribute('data-pwned','link')\">click</a>";

/// A candidate printing hostile markup, terminal escapes, NUL, `]]>` and invalid UTF-8, with a
/// hidden test named after them.
fn hostile(listener_port: u16) -> (tempfile::TempDir, tempfile::TempDir) {
    let a = assignment(
        "[[phase]]\nname = \"test\"\nrun = \"cp -r /tests t && python3 -P -m pytest -q t --junitxml=/out/junit.xml; sh /workspace/shout.sh\"\ninputs = { \"/tests\" = \"hidden/tests\" }\njunit = \"/out/junit.xml\"\nok_exit_codes = [0, 1]\n",
        "[[test_group]]\nname = \"all\"\nmatch = \"*\"\nweight = 1\nvisibility = \"visible\"\n\n[reproducibility]\nruns = 1\n",
    );
    write(
        a.path(),
        "hidden/tests/test_hostile.py",
        &format!(
            "def test_prints_payloads():\n    assert False, {:?} + '\\x1b[31m ]]> \\x00 ' + '<img src=\"http://127.0.0.1:{listener_port}/fetched\">'\n",
            PAYLOADS
        ),
    );
    let s = tempfile::tempdir().unwrap();
    write(
        s.path(),
        "shout.sh",
        &format!(
            "printf '%s\\n' '{}'\nprintf '\\033[2J\\033]8;;http://x\\007osc\\033]8;;\\007 ]]> \\000 \\377\\376 bad utf8\\n'\nprintf '<img src=\"http://127.0.0.1:{listener_port}/fetched\">\\n' >&2\n",
            PAYLOADS.replace('\'', "'\\''")
        ),
    );
    (a, s)
}

#[test]
fn hostile_output_is_escaped_and_junit_stays_valid() {
    require_engine();
    sandbox_image();
    let (a, s) = hostile(9);
    let grade = graded(a.path(), s.path(), &[]);
    let (dir, report) = (&grade.dir, &grade.report);
    assert_eq!(phase(report, "test").verdict.as_str(), "passed", "{report:?}");
    let junit = read(dir, "junit.xml");
    let parsed = roxmltree::Document::parse(&junit).unwrap_or_else(|e| panic!("junit.xml does not parse: {e}"));
    assert!(
        parsed
            .descendants()
            .any(|n| n.attribute("name") == Some("t.test_hostile::test_prints_payloads"))
    );
    assert!(!junit.contains('\u{1b}') && !junit.contains('\u{0}'));
    let html = read(dir, "report.html");
    assert!(!html.contains("<script>document"), "unescaped script in report.html");
    assert!(!html.contains("<img src=x"), "unescaped img in report.html");
    assert!(
        !html.contains("href=\"javascript:"),
        "live javascript: link in report.html"
    );
    assert!(
        html.contains("&lt;script&gt;document.body.setAttribute"),
        "the payload should show as text"
    );
    assert!(!html.contains('\u{1b}'));
    let md = read(dir, "report.md");
    assert!(!md.contains('\u{1b}'), "{md}");
    // Rendered as CommonMark, candidate markup stays text (code spans, fenced logs).
    for event in pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_TABLES) {
        match event {
            pulldown_cmark::Event::Html(html) | pulldown_cmark::Event::InlineHtml(html) => {
                panic!("report.md renders HTML: {html}")
            }
            pulldown_cmark::Event::Start(
                tag @ (pulldown_cmark::Tag::Link { .. } | pulldown_cmark::Tag::Image { .. }),
            ) => {
                panic!("report.md renders {tag:?}")
            }
            _ => {}
        }
    }
}

#[test]
fn report_html_runs_no_payload_and_fetches_nothing_in_chromium() {
    require_engine();
    sandbox_image();
    // A listener on loopback that counts every connection the page might make.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetched = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = fetched.clone();
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(connection);
        }
    });
    let (a, s) = hostile(port);
    let grade = graded(a.path(), s.path(), &[]);
    let dom = chromium_dom(&grade.dir.join("report.html"));
    // The payloads set an attribute when they run; as text they only mention it.
    assert!(!dom.contains("data-pwned=\""), "a payload ran: {dom}");
    assert!(!dom.contains("<script"), "a script element is in the DOM");
    assert!(dom.contains("&lt;script&gt;"), "the payload should be text");
    let fetched = fetched.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(fetched, 0, "the page made {fetched} request(s)");
}

#[test]
fn feedback_never_shows_hidden_data_or_hidden_tests() {
    require_engine();
    sandbox_image();
    let canary = "CANARY-feedback-51c2";
    let a = assignment(
        &format!(
            "[[phase]]\nname = \"predict\"\nrun = '''cat /data/x.csv; printf 'id,label\\n{canary},1\\n' > /out/p.csv'''\ninputs = {{ \"/data\" = \"hidden/features\" }}\noutputs = [\"/out/p.csv\"]\n\n[[phase]]\nname = \"test\"\nrun = \"cp -r /tests t && python3 -P -m pytest -q t --junitxml=/out/junit.xml\"\ninputs = {{ \"/tests\" = \"hidden/tests\" }}\njunit = \"/out/junit.xml\"\n"
        ),
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 1\n\n[[test_group]]\nname = \"secret\"\nmatch = \"*\"\nweight = 1\n\n[reproducibility]\nruns = 1\n",
    );
    write(a.path(), "hidden/features/x.csv", &format!("id\n{canary}-feature\n"));
    write(a.path(), "hidden/labels.csv", &format!("id,label\n{canary}-label,1\n"));
    write(
        a.path(),
        "hidden/tests/test_secret.py",
        &format!("def test_{}():\n    assert True\n", canary.replace('-', "_")),
    );
    let grade = graded(a.path(), named_submission("canary").path(), &[]);
    let dir = &grade.dir;
    let md = read(dir, "report.md");
    assert!(
        md.contains(canary),
        "the reviewer's report should show it (else this test proves nothing)"
    );
    let feedback = read(dir, "feedback.md");
    assert!(
        !feedback.contains(canary) && !feedback.contains(&canary.replace('-', "_")),
        "{feedback}"
    );
    assert!(
        feedback.contains("| predict | wrote output in the wrong form |"),
        "{feedback}"
    );
}

#[test]
fn exports_for_gradescope_and_prairielearn() {
    require_engine();
    sandbox_image();
    let a = assignment(
        "[[phase]]\nname = \"predict\"\nrun = '''printf 'id,label\\na,1\\nb,3\\n' > /out/p.csv'''\noutputs = [\"/out/p.csv\"]\n",
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\npass_at = 0.4\n\n[reproducibility]\nruns = 1\n",
    );
    let grade = graded(
        a.path(),
        named_submission("exports").path(),
        &["--format", "gradescope", "--format", "prairielearn"],
    );
    let (dir, report) = (&grade.dir, &grade.report);
    let gradescope: serde_json::Value = serde_json::from_str(&read(dir, "gradescope-results.json")).unwrap();
    assert_eq!(gradescope["score"], 5.0);
    assert_eq!(gradescope["tests"][0]["max_score"], 10.0);
    assert_eq!(gradescope["tests"][0]["status"], "passed");
    assert_eq!(gradescope["tests"][0]["visibility"], "visible");
    assert!(gradescope["execution_time"].is_u64());
    let prairielearn: serde_json::Value = serde_json::from_str(&read(dir, "prairielearn-results.json")).unwrap();
    assert_eq!(prairielearn["gradable"], true);
    assert_eq!(prairielearn["score"], 0.5);
    assert_eq!(prairielearn["tests"][0]["points"], 5.0);
    assert_eq!(prairielearn["tests"][0]["max_points"], 10.0);
    assert_eq!(report.score.unwrap().total, 5.0);
}

#[test]
fn the_schema_rejects_a_broken_report() {
    let schema: serde_json::Value = serde_json::from_str(assay::model::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&serde_json::json!({"schema_version": 1, "verdict": "great"})));
}
