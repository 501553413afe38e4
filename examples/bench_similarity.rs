//! Benchmark: the similarity detector on a labelled set, beside copydetect (PyPI) on the same
//! files in the same run. The set: independent solutions of four small tasks
//! (`tests/fixtures/similarity`) and the bundled assignments' reference solutions, each with
//! generated copies (renamed, reordered, recommented, reformatted, all four at once, and partial
//! copies of 30%, 60% and 90% of it inside other code). A pair is a copy when one was made from
//! the other; independent solutions of one task and solutions of different tasks are not.
//! Prints recall per kind of copy, false positives per kind of independent pair, precision,
//! and the time to compare 500 submissions.
//!
//!     cargo run --release --example bench_similarity
//!
//! copydetect runs in an image built from the python-ml sandbox with copydetect installed from
//! PyPI (labelled `assay.bench=similarity`, removed at the end).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use assay::similarity::tokens::{defined_python_names, qualified};
use assay::similarity::{Document, Settings, SourceFile, compare};
use tree_sitter::{Node, Parser};

const COPY_KINDS: &[&str] = &[
    "renamed",
    "reordered",
    "recommented",
    "reformatted",
    "all four",
    "partial 90%",
    "partial 60%",
    "partial 30%",
];
/// copydetect's own default display threshold.
const COPYDETECT_THRESHOLD: f64 = 0.33;
const IMAGE: &str = "assay-bench/copydetect:latest";

struct Doc {
    name: String,
    /// The original it was made from (itself for an original).
    origin: usize,
    task: String,
    kind: &'static str,
    text: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (task, name, text) of every original.
fn originals() -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let fixtures = repo().join("tests/fixtures/similarity");
    for task in ["word_count", "kmeans", "csv_stats", "intervals"] {
        for author in ["ana", "bo", "cy"] {
            let text = std::fs::read_to_string(fixtures.join(task).join(format!("{author}.py"))).unwrap();
            found.push((task.to_string(), format!("{task}/{author}"), text));
        }
    }
    for assignment in ["digits", "ticket-triage", "inference-service"] {
        let dir = repo().join("assignments").join(assignment).join("solutions/reference");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .collect();
        files.sort();
        let text: String = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap() + "\n")
            .collect();
        found.push((assignment.to_string(), format!("{assignment}/reference"), text));
    }
    found
}

fn parse(source: &str) -> tree_sitter::Tree {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
    parser.parse(source, None).unwrap()
}

/// Applies byte-range replacements (non-overlapping) to `source`.
fn apply(source: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = source.to_string();
    for (start, end, text) in edits {
        out.replace_range(start..end, &text);
    }
    out
}

fn walk<'a>(node: Node<'a>, visit: &mut impl FnMut(Node<'a>)) {
    visit(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, visit);
    }
}

/// Every name the file defines renamed, as an editor's rename would: uses of library names
/// stay.
fn renamed(source: &str, seed: u64) -> String {
    let defined = defined_python_names(source);
    let tree = parse(source);
    let mut edits = Vec::new();
    walk(tree.root_node(), &mut |node| {
        if node.kind() == "identifier" {
            let name = node.utf8_text(source.as_bytes()).unwrap();
            if defined.contains(&qualified(node, name)) && name != "self" && name != "__init__" {
                let mut hash = seed ^ 0xcbf29ce484222325;
                for b in name.bytes() {
                    hash = (hash ^ b as u64).wrapping_mul(0x100000001b3);
                }
                edits.push((
                    node.start_byte(),
                    node.end_byte(),
                    format!("{}_{:x}", &WORDS[(hash % 16) as usize], hash >> 52),
                ));
            }
        }
    });
    apply(source, edits)
}

const WORDS: [&str; 16] = [
    "item", "value", "thing", "data", "result", "entry", "part", "node", "elem", "record", "piece", "unit", "token",
    "field", "slot", "chunk",
];

/// The module's function and class definitions in reverse order, in the same places.
fn reordered(source: &str) -> String {
    let tree = parse(source);
    let root = tree.root_node();
    let mut cursor = root.walk();
    let slots: Vec<(usize, usize)> = root
        .children(&mut cursor)
        .filter(|c| {
            matches!(
                c.kind(),
                "function_definition" | "class_definition" | "decorated_definition"
            )
        })
        .map(|c| (c.start_byte(), c.end_byte()))
        .collect();
    let texts: Vec<String> = slots.iter().rev().map(|(s, e)| source[*s..*e].to_string()).collect();
    apply(source, slots.iter().zip(texts).map(|((s, e), t)| (*s, *e, t)).collect())
}

/// Comments removed, docstrings rewritten, a new comment above every definition.
fn recommented(source: &str) -> String {
    let tree = parse(source);
    let mut edits = Vec::new();
    walk(tree.root_node(), &mut |node| {
        if node.kind() == "comment" {
            edits.push((node.start_byte(), node.end_byte(), String::new()));
        }
        if node.kind() == "expression_statement"
            && node.named_child_count() == 1
            && node.named_child(0).is_some_and(|c| c.kind() == "string")
        {
            edits.push((
                node.start_byte(),
                node.end_byte(),
                "\"\"\"Does what it says.\"\"\"".to_string(),
            ));
        }
    });
    let text = apply(source, edits);
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("def ") || trimmed.starts_with("class ") {
            let indent = &line[..line.len() - trimmed.len()];
            out.push_str(&format!(
                "{indent}# {}\n",
                trimmed.split('(').next().unwrap_or("").replace(':', "")
            ));
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Spaces inside brackets and after commas, two-space indentation, blank lines doubled.
fn reformatted(source: &str) -> String {
    let tree = parse(source);
    let mut edits = Vec::new();
    walk(tree.root_node(), &mut |node| {
        if node.child_count() == 0 && !node.is_named() {
            match node.kind() {
                "(" | "[" => edits.push((node.end_byte(), node.end_byte(), " ".to_string())),
                ")" | "]" => edits.push((node.start_byte(), node.start_byte(), " ".to_string())),
                "," => edits.push((node.end_byte(), node.end_byte(), " ".to_string())),
                _ => {}
            }
        }
    });
    let text = apply(source, edits);
    let mut out = String::new();
    for line in text.lines() {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if spaces % 4 == 0 {
            out.push_str(&" ".repeat(spaces / 2));
            out.push_str(&line[spaces..]);
        } else {
            out.push_str(line);
        }
        out.push('\n');
        if line.trim().is_empty() {
            out.push('\n');
        }
    }
    out
}

/// The module's top-level statements, as texts.
fn chunks(source: &str) -> Vec<String> {
    let tree = parse(source);
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.children(&mut cursor)
        .map(|c| source[c.start_byte()..c.end_byte()].to_string())
        .collect()
}

/// About `share` of `source`'s lines (whole top-level statements from the top), then other
/// code from `filler` until it is as long as `source`.
fn partial(source: &str, filler: &str, share: f64) -> String {
    let lines = |t: &str| t.lines().count().max(1);
    let total = lines(source) as f64;
    let mut out = Vec::new();
    let mut taken = 0.0;
    for chunk in chunks(source) {
        if taken / total >= share {
            break;
        }
        taken += lines(&chunk) as f64;
        out.push(chunk);
    }
    for chunk in chunks(filler) {
        if taken >= total {
            break;
        }
        taken += lines(&chunk) as f64;
        out.push(chunk);
    }
    out.join("\n\n") + "\n"
}

/// The labelled set: originals, their copies, and which pairs are labelled what.
fn labelled_set() -> (Vec<Doc>, BTreeMap<(usize, usize), &'static str>) {
    let originals = originals();
    let mut docs: Vec<Doc> = Vec::new();
    for (i, (task, name, text)) in originals.iter().enumerate() {
        docs.push(Doc {
            name: name.clone(),
            origin: i,
            task: task.clone(),
            kind: "original",
            text: text.clone(),
        });
    }
    // Filler for partial copies: code of a task none of the partial's own task's solutions share.
    let filler_of = |i: usize| {
        let task = &originals[i].0;
        originals.iter().rposition(|(t, _, _)| t != task).unwrap()
    };
    for (i, (task, name, text)) in originals.iter().enumerate() {
        let all_four = reformatted(&recommented(&reordered(&renamed(text, 7))));
        let filler = renamed(&originals[filler_of(i)].2, 99);
        let copies: Vec<(&'static str, String)> = vec![
            ("renamed", renamed(text, 1)),
            ("reordered", reordered(text)),
            ("recommented", recommented(text)),
            ("reformatted", reformatted(text)),
            ("all four", all_four),
            ("partial 90%", partial(&renamed(text, 3), &filler, 0.9)),
            ("partial 60%", partial(&renamed(text, 4), &filler, 0.6)),
            ("partial 30%", partial(&renamed(text, 5), &filler, 0.3)),
        ];
        for (kind, copy) in copies {
            docs.push(Doc {
                name: format!("{name} {kind}"),
                origin: i,
                task: task.clone(),
                kind,
                text: copy,
            });
        }
    }
    let mut labels = BTreeMap::new();
    for a in 0..docs.len() {
        for b in a + 1..docs.len() {
            let (x, y) = (&docs[a], &docs[b]);
            let label = if x.origin == y.origin {
                // A copy against what it was made from; copies of one original against each
                // other are copies too, but only the first pairing is counted.
                if x.kind == "original" { y.kind } else { continue }
            } else if x.kind.starts_with("partial") || y.kind.starts_with("partial") {
                // A partial copy holds another task's code as filler: its pairs with that are
                // neither labelled copy nor independent.
                continue;
            } else if x.task == y.task {
                "independent, same task"
            } else {
                "different tasks"
            };
            labels.insert((a, b), label);
        }
    }
    (docs, labels)
}

fn as_document(doc: &Doc) -> Document {
    Document {
        name: doc.name.clone(),
        corpus: false,
        files: vec![SourceFile {
            path: "solution.py".into(),
            text: doc.text.clone(),
        }],
    }
}

/// assay's score for every pair sharing enough fingerprints to be scored.
fn assay_scores(docs: &[Doc]) -> HashMap<(usize, usize), f64> {
    let documents: Vec<Document> = docs.iter().map(as_document).collect();
    let index: HashMap<&str, usize> = docs.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect();
    let found = compare(
        &documents,
        &[],
        Settings {
            threshold: 0.0,
            ..Settings::default()
        },
    );
    found
        .pairs
        .iter()
        .map(|p| {
            let (a, b) = (index[p.a.as_str()], index[p.b.as_str()]);
            ((a.min(b), a.max(b)), p.score)
        })
        .collect()
}

const COPYDETECT: &str = r#"
import json, sys, time
from copydetect import CodeFingerprint, compare_files
pairs = json.load(open("/b/pairs.json"))
count = json.load(open("/b/count.json"))
start = time.perf_counter()
prints = [CodeFingerprint(f"/b/docs/{i}.py", 25, 1) for i in range(count)]
scores = []
for a, b in pairs:
    overlap, sims, slices = compare_files(prints[a], prints[b])
    scores.append(max(sims))
print(json.dumps({"seconds": time.perf_counter() - start, "scores": scores}))
"#;

/// copydetect's score (the larger of its two similarities, k = 25 tokens, its defaults) for
/// each of `pairs`, and the seconds it took.
fn copydetect_scores(dir: &Path, docs: &[Doc], pairs: &[(usize, usize)]) -> (Vec<f64>, f64) {
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    for (i, doc) in docs.iter().enumerate() {
        std::fs::write(dir.join("docs").join(format!("{i}.py")), &doc.text).unwrap();
    }
    std::fs::write(dir.join("pairs.json"), serde_json::to_string(pairs).unwrap()).unwrap();
    std::fs::write(dir.join("count.json"), docs.len().to_string()).unwrap();
    let output = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "--label",
            "assay.bench=similarity",
            "-v",
        ])
        .arg(format!("{}:/b:ro", dir.display()))
        .args([IMAGE, "python3", "-c", COPYDETECT])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let scores = found["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect();
    (scores, found["seconds"].as_f64().unwrap())
}

/// The python-ml sandbox with copydetect: its wheel fetched from PyPI by this machine's pip
/// (containers here do not trust the network's TLS), its dependencies from Debian.
fn build_copydetect_image() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "copydetect==0.5.0", "-d"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "pip download copydetect failed");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM assay/python-ml\nUSER root\nCOPY copydetect-0.5.0-py3-none-any.whl /tmp/\n\
         RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         python3-pip python3-pygments python3-jinja2 python3-tqdm python3-matplotlib \
         && pip install --no-cache-dir --no-deps --break-system-packages /tmp/copydetect-0.5.0-py3-none-any.whl \
         && rm -rf /var/lib/apt/lists/*\nUSER 1000:1000\n",
    )
    .unwrap();
    let status = Command::new("docker")
        .args([
            "build",
            "-q",
            "--force-rm",
            "--label",
            "assay.bench=similarity",
            "-t",
            IMAGE,
        ])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "building the copydetect image failed");
}

/// Removes the copydetect image, also when the benchmark panics.
struct RemoveImage;

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", IMAGE]).output();
    }
}

struct Tally {
    pairs: usize,
    assay: usize,
    copydetect: usize,
}

fn main() {
    let (docs, labels) = labelled_set();
    let copies = labels.values().filter(|l| COPY_KINDS.contains(l)).count();
    println!(
        "labelled set: {} documents ({} originals), {} pairs: {} copies, {} independent",
        docs.len(),
        docs.iter().filter(|d| d.kind == "original").count(),
        labels.len(),
        copies,
        labels.len() - copies
    );

    let started = Instant::now();
    let assay = assay_scores(&docs);
    let assay_seconds = started.elapsed().as_secs_f64();

    build_copydetect_image();
    let _remove = RemoveImage;
    let scratch = tempfile::tempdir().unwrap();
    let pairs: Vec<(usize, usize)> = labels.keys().copied().collect();
    let (copydetect, copydetect_seconds) = copydetect_scores(scratch.path(), &docs, &pairs);

    let threshold = assay::similarity::DEFAULT_THRESHOLD;
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for (i, (pair, label)) in labels.iter().enumerate() {
        let tally = tallies.entry(label).or_insert(Tally {
            pairs: 0,
            assay: 0,
            copydetect: 0,
        });
        tally.pairs += 1;
        tally.assay += usize::from(assay.get(pair).is_some_and(|s| *s >= threshold));
        tally.copydetect += usize::from(copydetect[i] >= COPYDETECT_THRESHOLD);
    }
    println!(
        "\n{:<24} {:>6}  {:>22}  {:>22}",
        "pair",
        "pairs",
        format!("assay (>= {threshold})"),
        format!("copydetect (>= {COPYDETECT_THRESHOLD})")
    );
    let mut flagged = (0, 0, 0, 0); // assay true, assay all, copydetect true, copydetect all
    let mut strict_copies = (0, 0, 0); // renamed..all four: pairs, assay, copydetect
    for kind in COPY_KINDS
        .iter()
        .copied()
        .chain(["independent, same task", "different tasks"])
    {
        let Some(t) = tallies.get(kind) else { continue };
        let copy = COPY_KINDS.contains(&kind);
        let what = if copy { "found" } else { "flagged" };
        println!(
            "{kind:<24} {:>6}  {:>13} {what:<8}  {:>13} {what:<8}",
            t.pairs,
            format!("{}/{}", t.assay, t.pairs),
            format!("{}/{}", t.copydetect, t.pairs)
        );
        flagged.1 += t.assay;
        flagged.3 += t.copydetect;
        if copy {
            flagged.0 += t.assay;
            flagged.2 += t.copydetect;
        }
        if copy && !kind.starts_with("partial") {
            strict_copies.0 += t.pairs;
            strict_copies.1 += t.assay;
            strict_copies.2 += t.copydetect;
        }
    }
    let ratio = |x: usize, y: usize| if y == 0 { 1.0 } else { x as f64 / y as f64 };
    println!(
        "\nrecall on renamed, reordered, recommented, reformatted and all-four copies: assay {:.3}, copydetect {:.3}",
        ratio(strict_copies.1, strict_copies.0),
        ratio(strict_copies.2, strict_copies.0)
    );
    println!(
        "precision (flagged pairs that are copies, partial ones included): assay {:.3}, copydetect {:.3}",
        ratio(flagged.0, flagged.1),
        ratio(flagged.2, flagged.3)
    );
    println!(
        "time on the labelled set: assay {assay_seconds:.3} s (every pair, tokenising included), copydetect {copydetect_seconds:.3} s (the labelled pairs)"
    );

    // 500 submissions: the labelled documents and more generated copies of the originals.
    let originals = originals();
    let mut many: Vec<Doc> = docs;
    let mut seed = 1000;
    while many.len() < 500 {
        for (i, (task, name, text)) in originals.iter().enumerate() {
            if many.len() >= 500 {
                break;
            }
            seed += 1;
            let copy = if seed % 2 == 0 {
                reformatted(&renamed(text, seed))
            } else {
                recommented(&renamed(text, seed))
            };
            many.push(Doc {
                name: format!("{name} copy {seed}"),
                origin: i,
                task: task.clone(),
                kind: "renamed",
                text: copy,
            });
        }
    }
    let documents: Vec<Document> = many.iter().map(as_document).collect();
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let found = compare(&documents, &[], Settings::default());
        times.push(started.elapsed().as_secs_f64());
        assert!(!found.pairs.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let lines: usize = many.iter().map(|d| d.text.lines().count()).sum();
    println!(
        "500 submissions ({lines} lines) compared, every pair: assay {:.3} s (median of 3: {:?})",
        times[1],
        times.iter().map(|t| format!("{t:.3}")).collect::<Vec<_>>()
    );
    let all_pairs: Vec<(usize, usize)> = (0..many.len())
        .flat_map(|a| (a + 1..many.len()).map(move |b| (a, b)))
        .collect();
    let many_dir = tempfile::tempdir().unwrap();
    let (_, seconds) = copydetect_scores(many_dir.path(), &many, &all_pairs);
    println!(
        "the same 500, every pair ({}): copydetect {seconds:.3} s",
        all_pairs.len()
    );
}
