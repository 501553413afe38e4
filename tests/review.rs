//! Rubric review: blank sheets, refusals with clear errors, and two reviewers merged into the
//! grade with their agreement.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// What a graded report needs kept: its assignment and its OUT folder.
type Kept = (tempfile::TempDir, Graded);

fn graded_report() -> (Kept, PathBuf) {
    let a = assignment(
        "[[phase]]\nname = \"predict\"\nrun = '''printf 'id,label\\na,1\\nb,2\\n' > /out/p.csv'''\noutputs = [\"/out/p.csv\"]\n",
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 60\nvisibility = \"after_review\"\n\n[[rubric]]\ncriterion = \"Code quality\"\nweight = 20\nlevels = [\"missing\", \"weak\", \"adequate\", \"strong\"]\n\n[[rubric]]\ncriterion = \"Communication\"\nweight = 20\nlevels = [\"missing\", \"weak\", \"adequate\", \"strong\"]\n\n[reproducibility]\nruns = 1\n",
    );
    let s = named_submission("review me");
    let graded = Grading::new(a.path(), s.path()).run();
    assert_eq!(graded.code, 0, "{}", graded.log);
    let report = graded.dir.join("report.json");
    ((a, graded), report)
}

/// A filled sheet: `init` for the reviewer, then each criterion given a level.
fn sheet(report: &Path, reviewer: &str, levels: &[&str]) -> PathBuf {
    let init = assay(&["review", "init", report.to_str().unwrap(), "--reviewer", reviewer]);
    assert!(init.status.success(), "{}", text(&init));
    let path = PathBuf::from(String::from_utf8_lossy(&init.stdout).trim());
    let mut text = std::fs::read_to_string(&path).unwrap();
    for level in levels {
        text = text
            .replacen(
                "level = \"\"",
                &format!("level = \"{level}\"\ncomment = \"{reviewer} says {level}\""),
                1,
            )
            .replacen("comment = \"\"\n", "", 1);
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn two_reviewers_merge_into_the_final_grade() {
    require_engine();
    sandbox_image();
    let (_out, report) = graded_report();
    let dir = report.parent().unwrap();
    assert!(
        !std::fs::read_to_string(dir.join("feedback.md"))
            .unwrap()
            .contains("accuracy"),
        "after_review metric shown before review"
    );
    let alice = sheet(&report, "alice", &["strong", "adequate"]);
    let bob = sheet(&report, "bob", &["weak", "adequate"]);
    let merged = assay(&[
        "review",
        "merge",
        report.to_str().unwrap(),
        alice.to_str().unwrap(),
        bob.to_str().unwrap(),
    ]);
    let out = text(&merged);
    assert!(merged.status.success(), "{out}");
    // Objective 60 × 1.0; Code quality (3 + 1) / 2 / 3 × 20 = 13.33; Communication 2/3 × 20 = 13.33.
    assert!(
        out.contains("final grade 86.67/100.00 (objective 60.00/60.00, rubric 26.67/40.00) from 2 reviewer(s)"),
        "{out}"
    );
    assert!(
        out.contains("reviewers disagree on \"Code quality\": alice strong, bob weak"),
        "{out}"
    );
    let merged = read_report(&report).review.expect("the review is in the report");
    assert_eq!(merged.reviewers, ["alice", "bob"]);
    assert!(merged.criteria[0].disagreement);
    assert!(!merged.criteria[1].disagreement);
    assert!(merged.alpha.is_some());
    assert_valid_report(&report);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("final grade with rubric <strong>86.67 &#x2f; 100</strong>"),
        "{html}"
    );
    assert!(html.contains("reviewers differ by more than one level"));
    assert!(
        std::fs::read_to_string(dir.join("report.md"))
            .unwrap()
            .contains("final grade **86.67 / 100**")
    );
    assert!(
        std::fs::read_to_string(dir.join("feedback.md"))
            .unwrap()
            .contains("| accuracy |"),
        "after_review metric hidden after review"
    );
}

#[test]
fn sheets_that_do_not_fit_are_refused() {
    require_engine();
    sandbox_image();
    let (_out, report) = graded_report();
    let good = sheet(&report, "carol", &["strong", "strong"]);
    let text_of = |p: &Path| std::fs::read_to_string(p).unwrap();
    let variant = |name: &str, from: &str, to: &str| {
        let path = good.with_file_name(name);
        std::fs::write(&path, text_of(&good).replacen(from, to, 1)).unwrap();
        path
    };
    let other = variant("other.toml", "submission = \"", "submission = \"0000");
    let unknown = variant("unknown.toml", "name = \"Communication\"", "name = \"Charisma\"");
    let level = variant("level.toml", "level = \"strong\"", "level = \"superb\"");
    for (sheet, wanted) in [
        (&other, "is a sheet for submission 0000"),
        (&unknown, "unknown criterion \"Charisma\""),
        (&level, "has level \"superb\", which is not one of"),
    ] {
        let merged = assay(&["review", "merge", report.to_str().unwrap(), sheet.to_str().unwrap()]);
        assert_eq!(merged.status.code(), Some(2), "{}", text(&merged));
        assert!(
            String::from_utf8_lossy(&merged.stderr).contains(wanted),
            "{}",
            text(&merged)
        );
    }
    let again = assay(&["review", "init", report.to_str().unwrap(), "--reviewer", "carol"]);
    assert_eq!(again.status.code(), Some(2), "a sheet must never be overwritten");
}

#[test]
fn sheets_must_match_the_rubric_and_a_second_merge_says_what_it_replaces() {
    require_engine();
    sandbox_image();
    let (_out, report) = graded_report();
    let alice = sheet(&report, "alice", &["strong", "adequate"]);
    // A sheet whose weight was edited to inflate a criterion is refused.
    let edited = report.parent().unwrap().join("review-edited.toml");
    let blank = std::fs::read_to_string(&alice).unwrap();
    std::fs::write(&edited, blank.replacen("weight = 20.0", "weight = 200.0", 1)).unwrap();
    let refused = assay(&["review", "merge", report.to_str().unwrap(), edited.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("on the sheet, but 20 and"),
        "{}",
        text(&refused)
    );
    // Comments lose NUL and direction overrides before they reach a report.
    let hostile = std::fs::read_to_string(&alice)
        .unwrap()
        .replacen("alice says strong", "fine\\u0000 \\u202Eevil", 1);
    std::fs::write(&alice, hostile).unwrap();
    let first = assay(&["review", "merge", report.to_str().unwrap(), alice.to_str().unwrap()]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(!text(&first).contains("replaces"), "{}", text(&first));
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(
        !json.contains("\\u0000") && !json.contains('\u{202e}') && !json.contains("\\u202e"),
        "{json}"
    );
    assert!(json.contains("fine evil"), "{json}");
    let again = assay(&["review", "merge", report.to_str().unwrap(), alice.to_str().unwrap()]);
    assert!(
        text(&again).contains("replaces the review merged earlier from alice"),
        "{}",
        text(&again)
    );
}
