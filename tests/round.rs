//! A round seen as a whole, through the real binary and real containers: similarity between
//! submissions, how well each hidden test tells candidates apart, and the conditions of the
//! round.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;

fn fixture(relative: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/similarity").join(relative)).unwrap()
}

/// `word_count/ana.py` disguised: names changed, functions reordered, comments rewritten,
/// reformatted.
const DISGUISED: &str = r#"import re
import sys
from collections import Counter
PATTERN = re.compile( r"[a-z']+" )

# entry point: check the arguments, then print the counts
def entry():
    if len( sys.argv ) != 2:
        print( "usage: word_count.py FILE", file = sys.stderr )
        return 2
    for term, amount in most_frequent( sys.argv[1] ):
        print( f"{amount:6d} {term}" )
    return 0

def most_frequent( filename, howmany = 10 ):
    # count, then keep the biggest
    tally = Counter( t for t in tokens_in( filename ) if t )
    return tally.most_common( howmany )

def tokens_in( filename ):
    with open( filename, encoding = "utf-8" ) as f:
        for row in f:
            for term in PATTERN.findall( row.lower() ):
                yield term.strip( "'" )

if __name__ == "__main__":
    sys.exit( entry() )
"#;

/// An assignment whose one phase runs the candidate's word counter on a text file, with
/// `helpers.py` as starter code; `similarity` is its `[similarity]` table.
fn word_count_assignment(similarity: &str) -> tempfile::TempDir {
    let dir = one_phase(
        "python3 solution.py /data/text.txt",
        "inputs = { \"/data\" = \"data\" }",
        &format!("[reproducibility]\nruns = 1\n\n[round]\ncanary = false\n\n[similarity]\n{similarity}\n"),
    );
    write(dir.path(), "data/text.txt", "the cat and the hat\nthe end\n");
    write(dir.path(), "starter/helpers.py", &fixture("starter/helpers.py"));
    std::fs::create_dir_all(dir.path().join("nothing")).unwrap();
    dir
}

fn write_submissions(root: &Path) {
    let helpers = fixture("starter/helpers.py");
    for (name, solution) in [
        ("ana", fixture("word_count/ana.py")),
        ("bo", DISGUISED.to_string()),
        ("cy", fixture("word_count/bo.py")),
        ("di", fixture("word_count/cy.py")),
    ] {
        write(root, &format!("{name}/solution.py"), &solution);
        write(root, &format!("{name}/helpers.py"), &helpers);
    }
}

/// `assay grade --dir SUBMISSIONS -o OUT` and `extra` arguments.
fn grade_round(assignment: &Path, submissions: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "grade",
        "-a",
        assignment.to_str().unwrap(),
        "--dir",
        submissions.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    assay(&args)
}

/// `assay similarity OUT -a ASSIGNMENT --json`, which must succeed, read.
fn similarity_json(out: &Path, assignment: &Path) -> serde_json::Value {
    let output = assay(&[
        "similarity",
        out.to_str().unwrap(),
        "-a",
        assignment.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn pairs(comparison: &serde_json::Value) -> Vec<(String, String)> {
    comparison["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().to_string(),
                p["b"].as_str().unwrap().to_string(),
            )
        })
        .map(|(a, b)| if a < b { (a, b) } else { (b, a) })
        .collect()
}

#[test]
fn a_disguised_copy_is_flagged_and_independent_work_and_starter_code_are_not() {
    require_engine();
    sandbox_image();
    let assignment = word_count_assignment("");
    let submissions = tempfile::tempdir().unwrap();
    write_submissions(submissions.path());
    let out = tempfile::tempdir().unwrap();
    let output = grade_round(assignment.path(), submissions.path(), out.path(), &[]);
    assert!(output.status.success(), "{}", text(&output));

    let comparison: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("similarity.json")).unwrap()).unwrap();
    assert_eq!(comparison["submissions"], 4);
    assert_eq!(
        pairs(&comparison),
        [("ana".to_string(), "bo".to_string())],
        "{comparison:#}"
    );
    let pair = &comparison["pairs"][0];
    assert!(pair["score"].as_f64().unwrap() >= 0.95, "{pair:#}");
    let fragments = pair["fragments"].as_array().unwrap();
    assert!(!fragments.is_empty());
    let shown = |side: &str| -> String {
        fragments
            .iter()
            .map(|f| f[side]["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (a_side, b_side) = if pair["a"] == "ana" { ("a", "b") } else { ("b", "a") };
    assert!(shown(a_side).contains("counts.most_common(count)"), "{}", shown(a_side));
    assert!(
        shown(b_side).contains("tally.most_common( howmany )"),
        "{}",
        shown(b_side)
    );

    // In the spreadsheet and the index's rows too, on both sides of the pair.
    let mut summary = csv::Reader::from_path(out.path().join("summary.csv")).unwrap();
    let header = summary.headers().unwrap().clone();
    let column = header.iter().position(|h| h == "similar_to").unwrap();
    let similar: HashMap<String, String> = summary
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[column].to_string()))
        .collect();
    assert!(
        similar["ana"].starts_with("bo (") && similar["bo"].starts_with("ana ("),
        "{similar:?}"
    );
    assert_eq!((similar["cy"].as_str(), similar["di"].as_str()), ("", ""));

    let page = std::fs::read_to_string(out.path().join("similarity.html")).unwrap();
    assert!(
        page.contains("id=\"pair-1\"") && page.contains("tally.most_common( howmany )"),
        "{page}"
    );
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        index.contains("<h2>Similarity</h2>") && index.contains("similarity.html#pair-1"),
        "{index}"
    );
    assert!(index.contains("similar to bo ("), "{index}");

    // The same round with no starter left out: the helpers every candidate was given now make
    // every pair look alike, so leaving them out is what keeps independent work apart.
    let no_starter = word_count_assignment("starter = \"nothing\"");
    let unexcluded = similarity_json(out.path(), no_starter.path());
    assert_eq!(pairs(&unexcluded).len(), 6, "{unexcluded:#}");
    assert_eq!(unexcluded["clusters"][0].as_array().unwrap().len(), 4);

    // A known public solution in the corpus: cy handed it in.
    let with_corpus = word_count_assignment("corpus = \"public\"");
    write(
        with_corpus.path(),
        "public/tally-gist/solution.py",
        &fixture("word_count/bo.py"),
    );
    let with_public = similarity_json(out.path(), with_corpus.path());
    assert_eq!(with_public["corpus"], 1);
    let found: Vec<(String, String, bool)> = with_public["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().into(),
                p["b"].as_str().unwrap().into(),
                p["b_corpus"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&("cy".into(), "corpus/tally-gist".into(), true)),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");

    // A comparison that crashes, as a grammar's bug would, costs the round its similarity:
    // not the command, not the rest of the summary, and no earlier comparison is left to pass
    // for this one.
    let crashed = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args([
            "similarity",
            out.path().to_str().unwrap(),
            "-a",
            assignment.path().to_str().unwrap(),
        ])
        .env("ASSAY_TEST_CRASH_SIMILARITY", "1")
        .output()
        .unwrap();
    assert_eq!(crashed.status.code(), Some(3), "{}", text(&crashed));
    assert!(
        text(&crashed).contains("the round has no similarity this time: comparing the round's code failed"),
        "{}",
        text(&crashed)
    );
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(index.contains("Hiring round: 4 submission(s)") && !index.contains("<h2>Similarity</h2>"));
    assert!(!out.path().join("similarity.json").exists() && !out.path().join("similarity.html").exists());

    // And back with the starter left out, by the command this time, in words.
    let output = assay(&[
        "similarity",
        out.path().to_str().unwrap(),
        "-a",
        assignment.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("4 submission(s) compared, 1 pair(s) at or above 50%"),
        "{printed}"
    );
}

const ROUND_TESTS: &str = r#"import sys
sys.path.append("/workspace")
import solution

def test_always():
    assert True

def test_a():
    assert solution.a() == 1

def test_b():
    assert solution.b() == 1

def test_c():
    assert solution.c() == 1

def test_inverse():
    assert solution.inverse() == 1
"#;

/// Which of (always, a, b, c, inverse) each submission passes: `inverse` is passed by the
/// weaker ones, `always` by everyone.
const PATTERNS: &[(&str, [u8; 5])] = &[
    ("s1", [1, 1, 1, 1, 0]),
    ("s2", [1, 1, 1, 0, 0]),
    ("s3", [1, 1, 0, 1, 0]),
    ("s4", [1, 1, 0, 0, 1]),
    ("s5", [1, 0, 1, 0, 1]),
    ("s6", [1, 0, 0, 0, 1]),
    ("s7", [1, 1, 1, 1, 0]),
    ("s8", [1, 0, 0, 0, 1]),
];
const FUNCTIONS: [&str; 5] = ["always", "a", "b", "c", "inverse"];

#[test]
fn hostile_names_reach_no_terminal_and_no_page_as_markup() {
    require_engine();
    sandbox_image();
    let assignment = word_count_assignment("");
    let submissions = tempfile::tempdir().unwrap();
    let helpers = fixture("starter/helpers.py");
    // Folder names are candidates' names: a terminal title escape, markup, a bidi override.
    let hostile = [
        "\u{1b}]0;owned\u{7}ana",
        "<img src=x onerror=alert(1)>",
        "bo\u{202e}cod.py",
    ];
    for name in hostile {
        write(
            submissions.path(),
            &format!("{name}/solution.py"),
            &fixture("word_count/ana.py"),
        );
        write(submissions.path(), &format!("{name}/helpers.py"), &helpers);
    }
    // Three copies of one solution, each its own files (a comment apart).
    for (i, name) in hostile.iter().enumerate() {
        let path = submissions.path().join(name).join("solution.py");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("# {i}\n{text}")).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let output = grade_round(assignment.path(), submissions.path(), out.path(), &[]);
    assert!(output.status.success(), "{}", text(&output));
    let output = assay(&[
        "similarity",
        out.path().to_str().unwrap(),
        "-a",
        assignment.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("3 pair(s)") && printed.contains("group: "),
        "{printed}"
    );
    assert!(
        !printed.contains('\u{1b}') && !printed.contains('\u{7}') && !printed.contains('\u{202e}'),
        "{printed:?}"
    );
    for page in ["similarity.html", "index.html"] {
        let html = std::fs::read_to_string(out.path().join(page)).unwrap();
        assert!(
            !html.contains("<img") && !html.contains('\u{1b}') && !html.contains('\u{202e}'),
            "{page}"
        );
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{page}");
    }
}

#[test]
fn test_discrimination_equals_scipy_on_a_round_with_known_answers() {
    require_engine();
    sandbox_image();
    let assignment = assignment(
        "[[phase]]\nname = \"test\"\nrun = \"python3 -P -m pytest -q /tests --junitxml=/out/junit.xml\"\ninputs = { \"/tests\" = \"hidden/tests\" }\njunit = \"/out/junit.xml\"\n",
        "[[test_group]]\nname = \"all\"\nmatch = \"*\"\nweight = 50\n\n[reproducibility]\nruns = 1\n\n[round]\ncanary = false\n",
    );
    write(assignment.path(), "hidden/tests/test_solution.py", ROUND_TESTS);
    let names: Vec<String> = FUNCTIONS
        .iter()
        .map(|f| format!("\"test_solution::test_{f}\""))
        .collect();
    write(
        assignment.path(),
        "tests.lock",
        &format!("[phases.test]\nnames = [{}]\n", names.join(", ")),
    );
    let submissions = tempfile::tempdir().unwrap();
    for (name, pattern) in PATTERNS {
        let body: String = FUNCTIONS[1..]
            .iter()
            .zip(&pattern[1..])
            .map(|(f, pass)| format!("def {f}():\n    return {pass}\n"))
            .collect();
        // Each its own files: the same files twice would be one report under two names.
        write(
            submissions.path(),
            &format!("{name}/solution.py"),
            &format!("# {name}\n{body}"),
        );
    }
    let out = tempfile::tempdir().unwrap();
    let output = grade_round(assignment.path(), submissions.path(), out.path(), &[]);
    assert!(!text(&output).contains("harness"), "{}", text(&output));

    let output = assay(&["check", "--round", out.path().to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", text(&output));
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found["submissions"], 8, "{found:#}");
    let item = |function: &str| -> serde_json::Value {
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"].as_str().unwrap().ends_with(&format!("test_{function}")))
            .unwrap_or_else(|| panic!("no item for test_{function} in {found:#}"))
            .clone()
    };

    // The same statistic from scipy, on the design's own vectors: passing each test, and the
    // score (10 points a test) without that test's points.
    let design = tempfile::tempdir().unwrap();
    let patterns: Vec<Vec<u8>> = PATTERNS.iter().map(|(_, p)| p.to_vec()).collect();
    write(design.path(), "design.json", &serde_json::to_string(&patterns).unwrap());
    let script = "import json, math, warnings\nimport numpy as np\nfrom scipy.stats import pointbiserialr\nwarnings.simplefilter('ignore')\nrows = np.array(json.load(open('design.json')), dtype=float)\nout = []\nfor i in range(rows.shape[1]):\n    x = rows[:, i]\n    rest = 10 * rows.sum(axis=1) - 10 * x\n    r = pointbiserialr(x, rest)[0]\n    out.append(None if math.isnan(r) else float(r))\nprint(json.dumps(out))";
    let expected: Vec<Option<f64>> = serde_json::from_str(&sklearn(design.path(), script)).unwrap();
    for (i, function) in FUNCTIONS.iter().enumerate() {
        let item = item(function);
        let passed = PATTERNS.iter().filter(|(_, p)| p[i] == 1).count();
        assert_eq!(item["passed"], passed, "{item:#}");
        assert_eq!(item["total"], 8);
        match (expected[i], item["correlation"].as_f64()) {
            (None, None) => {}
            (Some(want), Some(got)) => assert!((want - got).abs() < 1e-9, "{function}: scipy {want}, assay {got}"),
            (want, _) => panic!("{function}: scipy {want:?}, assay {item:#}"),
        }
    }
    assert_eq!(item("always")["flag"], "nearly_all_pass");
    assert_eq!(item("inverse")["flag"], "negative");
    assert!(item("inverse")["correlation"].as_f64().unwrap() < -0.5);
    assert!(item("a")["flag"].is_null() && item("a")["correlation"].as_f64().unwrap() > 0.0);

    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        index.contains("weaker submissions pass it more often: likely wrong"),
        "{index}"
    );
    assert!(index.contains("nearly everyone passes: no signal"));
    let printed = assay(&["check", "--round", out.path().to_str().unwrap()]);
    let printed = String::from_utf8_lossy(&printed.stdout).to_string();
    assert!(
        printed.contains("8 submission(s) in the round") && printed.contains("likely wrong"),
        "{printed}"
    );
}

#[test]
fn canaries_at_the_start_and_end_show_a_slower_machine() {
    require_engine();
    sandbox_image();
    // Every phase waits as long as data/delay says: a machine that got slower between two
    // grading sessions of the same round.
    let assignment = one_phase(
        "sleep $(cat /data/delay); python3 solution.py",
        "inputs = { \"/data\" = \"data\" }",
        "[reproducibility]\nruns = 1\n\n[round]\ndrift = 0.5\n",
    );
    write(assignment.path(), "data/delay", "0.1");
    write(
        assignment.path(),
        "solutions/reference/solution.py",
        "print('reference')\n",
    );
    let submissions = tempfile::tempdir().unwrap();
    write(submissions.path(), "ana/solution.py", "print('ana')\n");
    write(submissions.path(), "bo/solution.py", "print('bo')\n");
    let out = tempfile::tempdir().unwrap();
    let grade = || {
        let output = grade_round(assignment.path(), submissions.path(), out.path(), &["--force"]);
        assert!(output.status.success(), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let first = grade();
    assert!(
        first.contains("canary at the start: the reference solution passed (main"),
        "{first}"
    );
    assert!(
        first.contains("canary at the end: the reference solution passed"),
        "{first}"
    );
    let steady = assay(&["check", "--round", out.path().to_str().unwrap(), "--json"]);
    let steady: serde_json::Value = serde_json::from_slice(&steady.stdout).unwrap();
    assert_eq!(steady["conditions"]["canaries"], 2, "{steady:#}");
    assert_eq!(
        steady["conditions"]["warnings"].as_array().unwrap().len(),
        0,
        "{steady:#}"
    );
    // The reference is never a row of the round.
    assert_eq!(steady["submissions"], 2);

    write(assignment.path(), "data/delay", "1.6");
    grade();
    let drifted = assay(&["check", "--round", out.path().to_str().unwrap(), "--json"]);
    let drifted: serde_json::Value = serde_json::from_slice(&drifted.stdout).unwrap();
    let conditions = &drifted["conditions"];
    assert_eq!(conditions["canaries"], 4, "{drifted:#}");
    assert_eq!(conditions["phases"][0]["runs"], 4);
    assert!(conditions["phases"][0]["wall_max"].as_f64().unwrap() >= 1.6);
    let warnings = conditions["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{drifted:#}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains("main phase took from") && warning.contains("more than the 50% allowed"),
        "{warning}"
    );
    assert_eq!(conditions["images"].as_array().unwrap().len(), 1);
    assert_eq!(conditions["images"][0]["canaries"], 4);
    assert_eq!(conditions["images"][0]["submissions"], 2);
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        index.contains("timing metrics of candidates graded at different moments are not comparable"),
        "{index}"
    );
}

#[test]
fn the_service_shows_similar_pairs_under_blind_names_with_their_fragments() {
    require_engine();
    sandbox_image();
    use common::server::{Server, http_log_in, token, token_named, upload, wait_final, zip_of};
    let assignment = word_count_assignment("");
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let ann = token_named(data.path(), "review", "ann");
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let helpers = fixture("starter/helpers.py");
    let mut ids = HashMap::new();
    for (candidate, solution) in [
        ("Ana Original", fixture("word_count/ana.py")),
        ("Bo Copier", DISGUISED.to_string()),
        ("Cy Independent", fixture("word_count/bo.py")),
    ] {
        let archive = zip_of(&[("solution.py", &solution), ("helpers.py", &helpers)]);
        let (status, body) = upload(&server, &admin, "t", candidate, archive);
        assert_eq!(status, 202, "{body}");
        ids.insert(candidate, body["id"].as_str().unwrap().to_string());
    }
    for id in ids.values() {
        let body = wait_final(&server, &admin, id, std::time::Duration::from_secs(120));
        assert_eq!(body["status"], "graded", "{body}");
    }

    let (session, _) = http_log_in(&server, &ann);
    let page = |path: &str| {
        let response = common::server::client()
            .get(server.url(path))
            .header("cookie", format!("assay_session={session}"))
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.text().unwrap()
    };
    let round = page("/review/assignments/t");
    assert!(round.contains("/review/assignments/t/analysis"), "{round}");
    let analysis = page("/review/assignments/t/analysis");
    let table = &analysis[analysis.find("id=\"similar-pairs\"").expect("a table of similar pairs")..];
    let table = &table[..table.find("</table>").unwrap()];
    // One pair: the original and the disguised copy, linked under the labels a blind
    // reviewer sees; the independent solution is in no pair and no candidate is named.
    assert!(
        table.contains(&format!("/review/submissions/{}", ids["Ana Original"])),
        "{table}"
    );
    assert!(
        table.contains(&format!("/review/submissions/{}", ids["Bo Copier"])),
        "{table}"
    );
    assert!(!analysis.contains(&format!("/review/submissions/{}", ids["Cy Independent"])));
    for name in ["Ana Original", "Bo Copier", "Cy Independent"] {
        assert!(!analysis.contains(name), "{name} named on a blind page");
    }
    assert!(table.contains("Candidate "), "{table}");
    assert!(analysis.contains("tally.most_common( howmany )"), "{analysis}");
    assert!(analysis.contains("Images: "));

    // The same page from a server whose comparison crashes, as a grammar's bug would: the page
    // stands and says so, and the server lives on.
    server.kill();
    let server = Server::start_with_env(
        data.path(),
        &[assignment.path()],
        &[],
        &[("ASSAY_TEST_CRASH_SIMILARITY", "1")],
    );
    let response = common::server::client()
        .get(server.url("/review/assignments/t/analysis"))
        .header("cookie", format!("assay_session={session}"))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let analysis = response.text().unwrap();
    assert!(
        analysis.contains("Similarity could not be worked out this time"),
        "{analysis}"
    );
    assert!(analysis.contains("Hidden tests and thresholds"));
    let alive = common::server::client()
        .get(server.url("/review/assignments/t"))
        .header("cookie", format!("assay_session={session}"))
        .send()
        .unwrap();
    assert_eq!(alive.status().as_u16(), 200);
}
