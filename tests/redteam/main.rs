//! The red-team corpus: hostile submissions that must be contained. One test per case of the
//! corpus (numbered as in `tests/redteam/README.md`); `corpus.rs` checks after every case
//! that the harness answered, nothing was left, the host canaries are unchanged and the
//! canary planted in the hidden labels reached nothing assay wrote.

mod archives;
#[path = "../common/mod.rs"]
mod common;
mod corpus;

use std::path::Path;

use common::{PhaseVerdict, Report, require_engine, write};
use corpus::{Corpus, Graded, case};

/// Grades a corpus case folder (the test fails when no engine answers).
fn graded(name: &str) -> (Corpus, Graded) {
    require_engine();
    let corpus = Corpus::new();
    let submission = case(name);
    let graded = corpus.grade(submission.path());
    (corpus, graded)
}

/// Each probe line reads `NAME ok` or `NAME REFUSED`; every name must be refused.
fn all_refused(output: &str, names: &[&str]) {
    for name in names {
        assert!(
            output.contains(&format!("{name} REFUSED")),
            "{name} was not refused:\n{output}"
        );
    }
    assert!(!output.contains(" ok\n"), "something was allowed:\n{output}");
}

fn passed_tests(graded: &Graded) -> Vec<String> {
    graded
        .report
        .tests
        .iter()
        .filter(|t| t.status.as_str() == "passed")
        .map(|t| t.name.as_str().rsplit("::").next().unwrap().to_string())
        .collect()
}

#[test]
fn reference_passes_with_full_marks() {
    let (_corpus, graded) = graded("reference");
    assert_eq!(graded.verdict(), "passed", "{}", graded.log());
    assert_eq!(graded.exit, 0);
    assert_eq!(graded.score(), 100.0);
    assert_eq!(passed_tests(&graded).len(), 4);
    assert_eq!(graded.metric("scorer_accuracy"), Some(1.0));
}

#[test]
fn case_01_fork_bomb_is_held_and_other_grades_go_on() {
    require_engine();
    let corpus = Corpus::new();
    let round = tempfile::tempdir().unwrap();
    for name in ["fork-bomb", "reference"] {
        let target = round.path().join(name);
        std::fs::create_dir(&target).unwrap();
        corpus::copy_tree(case(name).path(), &target);
    }
    let graded = corpus.grade_args(&["--dir", round.path().to_str().unwrap(), "-j", "2"]);
    assert_eq!(graded.reports.len(), 2);
    for report in &graded.reports {
        let build = common::phase(report, "build");
        if report.submission.name == "fork-bomb" {
            let verdict = build.verdict.as_str();
            assert!(verdict == "timed_out" || verdict == "failed", "{build:?}");
            let output = format!("{}{}", build.stdout_tail, build.stderr_tail);
            assert!(output.contains("fork"), "the bomb never hit the pids limit: {output}");
        } else {
            assert_eq!(
                report.verdict.as_str(),
                "passed",
                "the grade beside the bomb suffered: {report:?}"
            );
            assert_eq!(report.score.unwrap().total, 100.0);
        }
    }
    assert!(graded.elapsed.as_secs() < 90, "took {:?}", graded.elapsed);
}

#[test]
fn case_02_mem_balloon_is_memory_exceeded() {
    let (_corpus, graded) = graded("mem-balloon");
    assert_eq!(
        graded.phase("predict").verdict,
        PhaseVerdict::MemoryExceeded,
        "{}",
        graded.log()
    );
    assert_eq!(graded.verdict(), "failed");
    assert_eq!(graded.exit, 1);
}

#[test]
fn case_03_tmpfs_fill_stops_at_the_area_size_with_enospc() {
    require_engine();
    let free_before = docker_root_free_bytes();
    let (_, graded) = graded("tmpfs-fill");
    let build = graded.phase("build");
    assert_eq!(build.verdict.as_str(), "failed", "{}", graded.log());
    let output = graded.output("build");
    assert!(output.contains("No space left on device"), "{output}");
    // 32 MiB of workspace hold 7 files of 4 MiB beside the submission; 16 MiB of /tmp hold 4.
    assert!(output.contains("workspace full after 7 files"), "{output}");
    assert!(output.contains("tmp full after 4 files"), "{output}");
    let free_after = docker_root_free_bytes();
    assert!(
        free_after + 256 * 1024 * 1024 > free_before,
        "the engine's disk lost {} MiB",
        (free_before - free_after) / 1024 / 1024
    );
}

#[test]
fn case_04_stdout_flood_is_output_exceeded_with_bounded_memory() {
    // corpus.rs holds assay's peak memory under its limit on every case, this one included.
    let (_corpus, graded) = graded("stdout-flood");
    let predict = graded.phase("predict");
    assert_eq!(predict.verdict.as_str(), "output_exceeded", "{}", graded.log());
    assert!(predict.stdout_tail.as_str().contains("flood"));
    // A flood nobody reads any more once stopped must not stall the engine's next exec.
    assert!(graded.elapsed.as_secs() < 30, "the grade took {:?}", graded.elapsed);
}

#[test]
fn case_05_cpu_spin_is_timed_out_and_held_to_its_cpus() {
    let (_corpus, graded) = graded("cpu-spin");
    let build = graded.phase("build");
    assert_eq!(build.verdict.as_str(), "timed_out", "{}", graded.log());
    let wall = build.wall_seconds;
    let cpu = build.cpu_seconds.expect("cpu time measured");
    // Four spinning processes on a 1-CPU sandbox: at most one CPU's worth of time.
    assert!(cpu < wall * 1.0 * 1.15 + 0.5, "{cpu} s of CPU in {wall} s of wall time");
    // At least some spinning happened, even on a machine busy with other tests.
    assert!(cpu > 1.0, "the spin did not run: {cpu} s of CPU");
}

#[test]
fn case_06_sleep_forever_is_timed_out_close_to_the_limit() {
    let (_corpus, graded) = graded("sleep-forever");
    let predict = graded.phase("predict");
    assert_eq!(predict.verdict.as_str(), "timed_out", "{}", graded.log());
    let wall = predict.wall_seconds;
    assert!((6.0..9.0).contains(&wall), "timed out after {wall} s (limit 6 s)");
    assert!(graded.elapsed.as_secs() < 45, "the grade took {:?}", graded.elapsed);
}

#[test]
fn case_07_sigterm_trap_is_still_stopped() {
    let (_corpus, graded) = graded("pid1-trap");
    let build = graded.phase("build");
    assert_eq!(build.verdict.as_str(), "timed_out", "{}", graded.log());
    assert!(build.wall_seconds < 9.0);
    assert!(graded.elapsed.as_secs() < 45, "the grade took {:?}", graded.elapsed);
}

#[test]
fn case_08_daemons_do_not_survive_into_the_next_phase() {
    let (_corpus, graded) = graded("daemonize");
    assert_eq!(graded.phase("build").verdict.as_str(), "passed", "{}", graded.log());
    // Both daemons were running when the build ended...
    assert!(graded.output("build").starts_with('2'), "{}", graded.output("build"));
    // ...and none of them is in the next phase's process list.
    let listing = graded.output("predict");
    assert!(listing.contains("python3 predict.py"), "{listing}");
    assert!(
        !listing.contains("sleep 4242") && !listing.contains("sleep 4343"),
        "{listing}"
    );
    assert_eq!(graded.verdict(), "passed");
}

#[test]
fn case_09_dns_and_egress_fail_inside_and_the_phase_is_its_own() {
    let (_corpus, graded) = graded("dns-egress");
    all_refused(&graded.output("predict"), &["dns", "dns-ip", "egress", "http", "pypi"]);
    assert_eq!(graded.phase("predict").verdict.as_str(), "passed");
    assert_eq!(graded.score(), 100.0);
}

#[test]
fn case_10_host_loopback_listener_sees_no_connection() {
    require_engine();
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let mut targets = vec!["127.0.0.1".to_string(), bridge_gateway()];
    targets.extend(host_addresses());
    let submission = case("host-loopback");
    let lines: String = targets.iter().map(|t| format!("{t} {port}\n")).collect();
    write(submission.path(), "targets.txt", &lines);
    let corpus = Corpus::new();
    let graded = corpus.grade(submission.path());
    let names: Vec<String> = targets.iter().map(|t| format!("{t}:{port}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    all_refused(&graded.output("predict"), &names);
    let mut seen = 0;
    while listener.accept().is_ok() {
        seen += 1;
    }
    assert_eq!(seen, 0, "the host listener saw {seen} connection(s)");
    // Defence check of the test itself: the listener does answer from the host.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
}

#[test]
fn case_11_engine_api_is_absent_or_refused() {
    let (_corpus, graded) = graded("docker-api");
    all_refused(
        &graded.output("build"),
        &[
            "var-run-sock",
            "run-sock",
            "any-sock",
            "tcp-127.0.0.1-2375",
            "tcp-127.0.0.1-2376",
            "tcp-172.17.0.1-2375",
            "tcp-172.17.0.1-2376",
        ],
    );
}

#[test]
fn case_12_label_hunt_finds_no_canary() {
    // corpus.rs fails the test if the canary reaches any report, log or output.
    let (corpus, graded) = graded("label-hunt");
    for phase in ["build", "predict"] {
        let output = graded.output(phase);
        assert!(output.contains(&format!("hunt done in {phase}")), "{output}");
        assert!(!output.contains("ASSAY-CANARY"), "{output}");
        assert!(!output.contains("labels"), "the labels file was found: {output}");
    }
    // In the tests phase the hunt's findings come out through a failing test's message.
    let smuggled = graded
        .report
        .tests
        .iter()
        .find(|t| t.name.as_str().ends_with("test_returns_an_int"))
        .unwrap()
        .message
        .clone()
        .unwrap_or_default();
    assert!(smuggled.contains("hunt done in tests"), "{smuggled}");
    assert!(!smuggled.contains("ASSAY-CANARY") && !smuggled.contains(&corpus.canary));
}

/// The honest twin of the tampering cases: the same wrong answers, no tricks.
fn underfit_twin() -> Graded {
    let corpus = Corpus::new();
    corpus.grade(case("underfit").path())
}

fn same_grade(tampered: &Graded, twin: &Graded) {
    assert_eq!(tampered.score(), twin.score(), "{}", tampered.log());
    for metric in ["accuracy", "scorer_accuracy"] {
        assert_eq!(tampered.metric(metric), twin.metric(metric), "{metric}");
    }
    assert_eq!(passed_tests(tampered), ["test_returns_an_int"]);
    assert_eq!(passed_tests(twin), ["test_returns_an_int"]);
    assert!(twin.score() < 60.0, "the twin should score low: {}", twin.score());
}

#[test]
fn case_13_scorer_tamper_earns_what_the_true_predictions_earn() {
    let (_corpus, tampered) = graded("scorer-tamper");
    let twin = underfit_twin();
    same_grade(&tampered, &twin);
    assert_eq!(tampered.verdict(), "failed");
    // The build's PATH change and user site died with its container; the .pth write failed.
    let build = tampered.output("build");
    assert!(!build.contains("pth written"), "{build:?}");
    assert!(build.contains("build python /usr/bin/python3"), "{build:?}");
}

#[test]
fn case_14_forged_results_are_ignored() {
    let (_corpus, forged) = graded("forged-results");
    let twin = underfit_twin();
    same_grade(&forged, &twin);
    // assay printed one report, the real one; the fake lines are the candidate's output.
    assert_eq!(forged.reports.len(), 1);
    assert_eq!(forged.verdict(), "failed");
    assert!(forged.output("predict").contains("\"summary\":\"forged\""));
    assert!(!forged.stderr.contains("forged"), "{}", forged.stderr);
    let report: Report = serde_json::from_str(&forged.file("report.json")).unwrap();
    assert_eq!(report.verdict.as_str(), "failed");
    // Every test result is marked as written beside candidate code.
    for test in forged.report.tests {
        assert!(test.candidate_influenced);
    }
}

#[test]
fn case_15_writes_outside_the_writable_areas_are_refused() {
    let (_corpus, graded) = graded("write-outside");
    assert_eq!(graded.phase("build").verdict.as_str(), "passed", "{}", graded.log());
    all_refused(
        &graded.output("build"),
        &["etc", "etc-new", "usr", "usr-lib", "root", "home", "var", "data"],
    );
}

#[test]
fn case_16_to_20_hostile_archives_are_refused() {
    require_engine();
    let corpus = Corpus::new();
    let dir = tempfile::tempdir().unwrap();
    for (name, archive, reason) in archives::refused(dir.path()) {
        let graded = corpus.grade(&archive);
        assert_eq!(graded.verdict(), "invalid_submission", "{name}: {}", graded.log());
        let rejection = graded.report.submission.rejection.as_deref().unwrap_or("");
        assert!(
            rejection.contains(reason),
            "{name}: {rejection:?} should mention {reason:?}"
        );
        assert!(graded.report.phases.is_empty(), "{name} ran");
        assert!(graded.elapsed.as_secs() < 20, "{name} took {:?}", graded.elapsed);
    }
    // Where the slip entries would have landed, from a temp folder under /tmp.
    assert!(!Path::new("/tmp/x-assay-slip").exists());
}

#[test]
fn case_39_a_tar_gz_of_two_readings_is_refused() {
    require_engine();
    let corpus = Corpus::new();
    let dir = tempfile::tempdir().unwrap();
    for (name, archive) in archives::two_members(dir.path()) {
        let graded = corpus.grade(&archive);
        assert_eq!(graded.verdict(), "invalid_submission", "{name}: {}", graded.log());
        let rejection = graded.report.submission.rejection.as_deref().unwrap_or("");
        let reason = if name == "smuggled" {
            "the same path appears twice"
        } else {
            "goes on after its end-of-archive marker"
        };
        assert!(rejection.contains(reason), "{name}: {rejection}");
    }
}

#[test]
fn case_21_setuid_in_archive_is_masked() {
    require_engine();
    let corpus = Corpus::new();
    let dir = tempfile::tempdir().unwrap();
    let graded = corpus.grade(&archives::setuid(dir.path()));
    assert_eq!(graded.phase("build").verdict.as_str(), "passed", "{}", graded.log());
    let build = graded.output("build");
    assert!(build.contains("mode of tool: 755"), "{build:?}");
    assert!(build.contains("setuid files: 0"), "{build:?}");
}

#[test]
fn case_22_privileged_syscalls_are_refused() {
    let (_corpus, graded) = graded("priv-syscalls");
    assert_eq!(graded.phase("build").verdict.as_str(), "passed", "{}", graded.log());
    all_refused(
        &graded.output("build"),
        &["mount", "unshare", "unshare-net", "mknod", "ptrace", "chroot"],
    );
}

#[test]
fn case_23_kernel_knobs_and_limits_cannot_be_changed() {
    let (_corpus, graded) = graded("proc-sys");
    let build = graded.output("build");
    all_refused(
        &build,
        &["proc-sys", "sysrq", "memory-limit", "pids-limit", "cpu-limit"],
    );
    assert!(
        build.contains(&format!("memory limit {}", 256 * 1024 * 1024)),
        "{build:?}"
    );
    assert!(build.contains("pids limit 64"), "{build:?}");
}

#[test]
fn case_24_setuid_helpers_give_no_privilege() {
    let (_corpus, graded) = graded("setuid-binaries");
    let build = graded.output("build");
    all_refused(
        &build,
        &[
            "su",
            "sudo",
            "setuid-root",
            "setresuid",
            "setgid-root",
            "mount-helper",
            "passwd-helper",
            "chsh-helper",
            "newgrp-helper",
        ],
    );
    assert!(build.contains("NoNewPrivs:\t1"), "{build:?}");
    assert!(build.contains("CapEff:\t0000000000000000"), "{build:?}");
    assert!(build.contains("CapBnd:\t0000000000000000"), "{build:?}");
    assert!(build.contains("uid 1000"), "{build:?}");
}

/// Every report file assay wrote for a grade, by name.
fn report_files(graded: &Graded) -> Vec<(String, String)> {
    ["report.json", "report.html", "report.md", "feedback.md", "junit.xml"]
        .iter()
        .map(|name| (name.to_string(), graded.file(name)))
        .collect()
}

/// Every string in a JSON value, one per line.
fn strings(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => format!("{text}\n"),
        serde_json::Value::Array(items) => items.iter().map(strings).collect(),
        serde_json::Value::Object(fields) => fields.values().map(strings).collect(),
        _ => String::new(),
    }
}

/// What a CommonMark renderer (with tables) makes of `markdown` that could act or mislead:
/// links, images, raw HTML and emphasis, each with its text. Bold is allowed only around
/// `allowed_bold`, the report's own verdict line.
fn markup_of(markdown: &str, allowed_bold: &[&str]) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let mut found = Vec::new();
    let mut in_strong = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => found.push(format!("link to {dest_url}")),
            Event::Start(Tag::Image { dest_url, .. }) => found.push(format!("image from {dest_url}")),
            Event::Start(Tag::Emphasis) => found.push("emphasis".to_string()),
            Event::Start(Tag::HtmlBlock) => found.push("HTML block".to_string()),
            Event::Html(html) | Event::InlineHtml(html) => found.push(format!("HTML {html}")),
            Event::Start(Tag::Strong) => in_strong = true,
            Event::End(pulldown_cmark::TagEnd::Strong) => in_strong = false,
            Event::Text(text) | Event::Code(text) if in_strong && !allowed_bold.iter().any(|a| *a == &*text) => {
                found.push(format!("bold {text}"))
            }
            _ => {}
        }
    }
    found
}

#[test]
fn case_25_markup_is_escaped_in_every_report() {
    let (_corpus, graded) = graded("report-xss");
    assert!(graded.output("predict").contains("<script>"), "the payload did not run");
    for (name, text) in report_files(&graded) {
        let rendered = match name.as_str() {
            // Data, not a page: consumers escape it for where they show it.
            "report.json" => continue,
            "junit.xml" => {
                roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("junit.xml is not XML: {e}"));
                text
            }
            // Candidate text sits in code spans and fenced blocks it cannot close: a renderer
            // makes no HTML of it.
            "report.md" | "feedback.md" => {
                let html: Vec<String> = markup_of(&text, &[])
                    .into_iter()
                    .filter(|m| m.starts_with("HTML"))
                    .collect();
                assert!(html.is_empty(), "{name} renders HTML: {html:?}");
                continue;
            }
            _ => text,
        };
        for raw in ["<script>", "<img src=x", "<a href=\"javascript:"] {
            assert!(!rendered.contains(raw), "{name} holds {raw:?} unescaped");
        }
    }
    assert!(
        graded.file("report.html").contains("&lt;script&gt;"),
        "the payload should show as text"
    );
}

#[test]
fn case_40_markdown_in_candidate_text_renders_as_text() {
    let (_corpus, graded) = graded("markdown-inject");
    assert!(
        graded.file("report.md").contains("tracker.example"),
        "the payload did not reach the report"
    );
    let verdict = graded.verdict().to_string();
    let score = format!("{:.2} / 100", graded.score());
    for name in ["report.md", "feedback.md"] {
        let text = graded.file(name);
        let allowed = [verdict.as_str(), score.as_str(), "skipped", "reproducible"];
        let markup = markup_of(&text, &allowed);
        assert!(markup.is_empty(), "{name} renders candidate markup: {markup:?}\n{text}");
    }
}

#[test]
fn case_41_pathological_outputs_keep_the_host_bounded() {
    require_engine();
    let root = corpus::corpus_dir().join("bulk");
    for name in ["one-line", "huge-header", "long-classes", "many-classes"] {
        // The corpus checks assay's peak memory (under 160 MiB) after every grade.
        let corpus = Corpus::of(&root);
        let graded = corpus.grade(corpus::case_in(&root, name).path());
        assert_eq!(graded.verdict(), "failed", "{name}: {}", graded.log());
        let mut total = 0;
        for entry in std::fs::read_dir(&graded.folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() && path.file_name().unwrap() != "submission.tar.gz" {
                let size = std::fs::metadata(&path).unwrap().len();
                assert!(size <= 2 * 1024 * 1024, "{name}: {} is {size} bytes", path.display());
                total += size;
            }
        }
        assert!(
            graded.stdout.len() + graded.stderr.len() < 2 * 1024 * 1024,
            "{name} printed too much"
        );
        eprintln!("{name}: reports {total} bytes in all");
        if name.ends_with("classes") {
            let matrix = graded.report.metrics[0].confusion_matrix.as_ref().unwrap();
            assert!(matrix.classes.len() <= 31, "{name}: {matrix:?}");
        }
    }
}

#[test]
fn case_26_terminal_escapes_are_stripped() {
    let (_corpus, graded) = graded("ansi-inject");
    assert!(
        graded.output("predict").contains("clipboard"),
        "the payload did not run"
    );
    for (name, text) in report_files(&graded) {
        // JSON writes control characters as \u escapes: look at the decoded strings.
        let text = if name == "report.json" {
            strings(&serde_json::from_str(&text).unwrap())
        } else {
            text
        };
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(!text.contains(bad), "{name} holds {:?}", bad);
        }
    }
    assert!(!graded.stderr.contains('\u{1b}'), "assay printed an escape");
}

#[test]
fn case_27_harness_kill_is_reaped_and_regraded() {
    require_engine();
    let corpus = Corpus::new();
    let submission = case("harness-kill");
    let sha = corpus.kill_mid_phase(submission.path());
    // The next start reaps what the killed harness left, and the submission grades again.
    let graded = corpus.grade(submission.path());
    assert_eq!(graded.verdict(), "passed", "{}", graded.log());
    assert_eq!(common::leftovers(&sha), "");
}

#[test]
fn case_28_the_build_finds_no_hidden_tests_or_data() {
    let (_corpus, graded) = graded("hidden-tests-in-build");
    let build = graded.output("build");
    assert!(build.contains("search done"), "{build:?}");
    assert!(build.contains("data: train.csv \n"), "{build:?}");
    for line in build.lines() {
        assert!(
            !line.starts_with("found ") && !line.starts_with("grep "),
            "the build found something: {line}"
        );
        if let Some(listed) = line.strip_prefix("listing ") {
            assert!(listed.contains("No such file"), "the build listed {listed}");
        }
    }
}

#[test]
fn case_29_an_output_symlink_is_never_followed() {
    let (_corpus, graded) = graded("output-link");
    let predict = graded.phase("predict");
    assert_eq!(predict.verdict.as_str(), "invalid_output", "{}", graded.log());
    assert!(predict.message.as_deref().unwrap().contains("link"), "{predict:?}");
    assert!(
        graded
            .folder
            .join("outputs")
            .read_dir()
            .map(|d| d.count() == 0)
            .unwrap_or(true)
    );
}

#[test]
fn case_30_hostile_file_names_are_refused_with_a_reason() {
    require_engine();
    let corpus = Corpus::new();
    let dir = tempfile::tempdir().unwrap();
    // Newlines and carriage returns in names are refused, and the reason shows them escaped.
    let graded = corpus.grade(&archives::odd_names(dir.path()));
    assert_eq!(graded.verdict(), "invalid_submission", "{}", graded.log());
    let rejection = graded.report.submission.rejection.as_deref().unwrap();
    assert!(rejection.contains("control character"), "{rejection}");
    assert!(!rejection.contains('\n') && !rejection.contains('\r'), "{rejection:?}");
    // The archive's own name (with CR, LF and markup) is escaped in every report.
    for (name, text) in report_files(&graded) {
        assert!(!text.contains('\r'), "{name} holds a carriage return");
        if name.ends_with(".md") {
            let markup = markup_of(&text, &["invalid_submission", "none (harness error)", "skipped"]);
            assert!(markup.is_empty(), "{name} renders the name's markup: {markup:?}");
        } else if name != "report.json" {
            assert!(!text.contains("name<i>"), "{name} shows the name's markup raw");
        }
    }
    assert!(!graded.stderr.contains('\r'), "assay printed a carriage return");
    // A name longer than a file system allows is refused with a reason that says so.
    let graded = corpus.grade(&archives::long_name(dir.path()));
    assert_eq!(graded.verdict(), "invalid_submission", "{}", graded.log());
    let rejection = graded.report.submission.rejection.as_deref().unwrap();
    assert!(rejection.contains("longer than the limit of 255"), "{rejection}");
}

#[test]
fn case_31_slow_drip_is_timed_out_and_its_output_kept() {
    let (_corpus, graded) = graded("slow-drip");
    let predict = graded.phase("predict");
    assert_eq!(predict.verdict.as_str(), "timed_out", "{}", graded.log());
    assert!(predict.stdout_tail.as_str().starts_with("....."), "{predict:?}");
}

#[test]
fn case_32_a_service_cannot_touch_what_the_hidden_client_records() {
    require_engine();
    let root = corpus::corpus_dir().join("service");
    let grade = |name: &str| {
        let corpus = Corpus::of(&root);
        let graded = corpus.grade(corpus::case_in(&root, name).path());
        (corpus, graded)
    };
    let (_corpus, reference) = grade("reference");
    assert_eq!(reference.verdict(), "passed", "{}", reference.log());
    assert_eq!(reference.metric("accuracy"), Some(1.0));
    let (_corpus, twin) = grade("always-zero");
    let (_corpus, forger) = grade("forger");
    let output = forger.output("serve");
    all_refused(&output, &["forge-early", "mkdir-out", "stop-client", "forge-late"]);
    assert!(output.contains("client done"), "the client did not finish: {output}");
    assert_eq!(forger.metric("accuracy"), twin.metric("accuracy"));
    assert_eq!(forger.metric("accuracy"), Some(7.0 / 20.0));
    assert_eq!(forger.verdict(), "failed");
}

#[test]
fn case_35_unreadable_files_in_the_workspace_are_carried_on() {
    let (_corpus, graded) = graded("unreadable-files");
    assert_eq!(graded.phase("build").verdict.as_str(), "passed", "{}", graded.log());
    assert_eq!(graded.phase("predict").verdict.as_str(), "passed", "{}", graded.log());
    assert_eq!(graded.verdict(), "passed", "{}", graded.log());
}

#[test]
fn case_36_sparse_files_fit_the_next_phase_as_they_fit_this_one() {
    let (_corpus, graded) = graded("sparse-files");
    assert_eq!(graded.phase("build").verdict.as_str(), "passed", "{}", graded.log());
    assert_eq!(graded.phase("predict").verdict.as_str(), "passed", "{}", graded.log());
    assert_eq!(graded.verdict(), "passed", "{}", graded.log());
}

#[test]
fn case_37_a_path_past_path_max_is_never_a_harness_error() {
    let (_corpus, graded) = graded("deep-path");
    assert!(graded.output("build").contains("made"), "{}", graded.log());
    let verdict = graded.verdict();
    assert!(
        verdict == "passed" || verdict == "failed",
        "{verdict}: {}",
        graded.log()
    );
    for phase in ["build", "predict", "tests"] {
        assert_ne!(
            graded.phase(phase).verdict.as_str(),
            "harness_error",
            "{}",
            graded.log()
        );
    }
}

#[test]
fn case_38_a_pid_filling_daemon_leaves_the_phase_measured() {
    let (_corpus, graded) = graded("pid-fill");
    let build = graded.phase("build");
    assert_eq!(build.verdict.as_str(), "passed", "{}", graded.log());
    assert!(build.peak_memory_bytes.is_some_and(|b| b > 0), "{build:?}");
    assert!(build.cpu_seconds.is_some(), "{build:?}");
    assert_eq!(graded.verdict(), "passed", "{}", graded.log());
}

#[test]
fn case_34_a_service_cannot_plant_code_in_the_hidden_client() {
    require_engine();
    let root = corpus::corpus_dir().join("service");
    let grade = |name: &str| {
        let corpus = Corpus::of(&root);
        let graded = corpus.grade(corpus::case_in(&root, name).path());
        (corpus, graded)
    };
    let (_corpus, twin) = grade("always-zero");
    let (_corpus, hijacker) = grade("client-hijack");
    let output = hijacker.output("serve");
    assert!(output.contains("planted 5"), "the plants were not made: {output}");
    all_refused(&output, &["write-grader-home", "read-out", "list-out"]);
    assert!(output.contains("client done"), "the client did not finish: {output}");
    // The client loaded none of it: its answers are the service's honest zeros.
    assert_eq!(hijacker.metric("accuracy"), twin.metric("accuracy"));
    assert_eq!(hijacker.metric("accuracy"), Some(7.0 / 20.0));
}

#[test]
fn case_33_a_flooding_service_is_output_exceeded_without_stalling() {
    require_engine();
    let root = corpus::corpus_dir().join("service");
    let corpus = Corpus::of(&root);
    let graded = corpus.grade(corpus::case_in(&root, "flooder").path());
    assert_eq!(
        graded.phase("serve").verdict.as_str(),
        "output_exceeded",
        "{}",
        graded.log()
    );
    assert!(graded.elapsed.as_secs() < 30, "the grade took {:?}", graded.elapsed);
}

/// Free bytes on the file system that holds the engine's data.
fn docker_root_free_bytes() -> u64 {
    let root = std::process::Command::new("docker")
        .args(["info", "-f", "{{.DockerRootDir}}"])
        .output()
        .unwrap();
    let root = String::from_utf8_lossy(&root.stdout).trim().to_string();
    let df = std::process::Command::new("df")
        .args(["-B1", "--output=avail", &root])
        .output()
        .unwrap();
    String::from_utf8_lossy(&df.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The default bridge's gateway: the host as containers on a network would see it.
fn bridge_gateway() -> String {
    let output = std::process::Command::new("docker")
        .args([
            "network",
            "inspect",
            "bridge",
            "-f",
            "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
        ])
        .output()
        .unwrap();
    let gateway = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if gateway.is_empty() {
        "172.17.0.1".to_string()
    } else {
        gateway
    }
}

/// The host's own IPv4 addresses.
fn host_addresses() -> Vec<String> {
    let output = std::process::Command::new("hostname").arg("-I").output();
    output
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter(|a| a.contains('.'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
