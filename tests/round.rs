//! A round seen as a whole, through the real binary and real containers: similarity between
//! submissions, how well each hidden test tells candidates apart, and the conditions of the
//! round.

mod common;

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

fn pairs(comparison: &serde_json::Value) -> Vec<(String, String)> {
    comparison["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["a"].as_str().unwrap().to_string(), p["b"].as_str().unwrap().to_string()))
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
    let output = assay(&[
        "grade",
        "-a",
        assignment.path().to_str().unwrap(),
        "--dir",
        submissions.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));

    let comparison: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("similarity.json")).unwrap()).unwrap();
    assert_eq!(comparison["submissions"], 4);
    assert_eq!(pairs(&comparison), [("ana".to_string(), "bo".to_string())], "{comparison:#}");
    let pair = &comparison["pairs"][0];
    assert!(pair["score"].as_f64().unwrap() >= 0.95, "{pair:#}");
    let fragments = pair["fragments"].as_array().unwrap();
    assert!(!fragments.is_empty());
    let shown = |side: &str| -> String {
        fragments.iter().map(|f| f[side]["text"].as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n")
    };
    let (a_side, b_side) = if pair["a"] == "ana" { ("a", "b") } else { ("b", "a") };
    assert!(shown(a_side).contains("counts.most_common(count)"), "{}", shown(a_side));
    assert!(shown(b_side).contains("tally.most_common( howmany )"), "{}", shown(b_side));

    let page = std::fs::read_to_string(out.path().join("similarity.html")).unwrap();
    assert!(page.contains("id=\"pair-1\"") && page.contains("tally.most_common( howmany )"), "{page}");
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(index.contains("<h2>Similarity</h2>") && index.contains("similarity.html#pair-1"), "{index}");

    // The same round with no starter left out: the helpers every candidate was given now make
    // every pair look alike, so leaving them out is what keeps independent work apart.
    let no_starter = word_count_assignment("starter = \"nothing\"");
    let output = assay(&[
        "similarity",
        out.path().to_str().unwrap(),
        "-a",
        no_starter.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let unexcluded: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(pairs(&unexcluded).len(), 6, "{unexcluded:#}");
    assert_eq!(unexcluded["clusters"][0].as_array().unwrap().len(), 4);

    // And back with the starter left out, by the command this time, in words.
    let output = assay(&["similarity", out.path().to_str().unwrap(), "-a", assignment.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("4 submission(s) compared, 1 pair(s) at or above 50%"), "{printed}");
}
