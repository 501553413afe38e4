//! The matching passages of two similar documents, side by side: fingerprints both hold, in
//! the first document's order, joined into runs while both sides keep moving forward together.

use std::collections::HashSet;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::winnow::{Fingerprint, K, W};

/// A file read into fingerprints, with its text for showing fragments.
pub struct IndexedFile {
    pub path: String,
    pub text: String,
    pub fingerprints: Vec<Fingerprint>,
}

/// One side of a fragment: lines of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Side {
    pub path: String,
    pub first_line: u32,
    pub last_line: u32,
    /// Those lines, cut at `MAX_LINES`.
    pub text: String,
}

/// A passage of one document and its match in the other.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fragment {
    pub a: Side,
    pub b: Side,
}

/// Fragments shown per pair, longest first.
const MAX_FRAGMENTS: usize = 12;
/// Lines shown of one side of a fragment.
const MAX_LINES: u32 = 60;
/// Characters shown of one side of a fragment (a line may be a whole file long).
const MAX_CHARS: usize = 4096;

/// A run being joined: file indexes, token starts and line spans of both sides.
#[derive(Clone, Copy)]
struct Run {
    a_file: usize,
    b_file: usize,
    a_end: u32,
    b_end: u32,
    a_lines: (u32, u32),
    b_lines: (u32, u32),
}

pub fn fragments(a: &[IndexedFile], b: &[IndexedFile], common: &HashSet<u64>) -> Vec<Fragment> {
    let mut in_b: FxHashMap<u64, (usize, Fingerprint)> = FxHashMap::default();
    for (file, indexed) in b.iter().enumerate() {
        for fingerprint in &indexed.fingerprints {
            if common.contains(&fingerprint.hash) {
                in_b.entry(fingerprint.hash).or_insert((file, *fingerprint));
            }
        }
    }
    let mut runs: Vec<Run> = Vec::new();
    for (a_file, indexed) in a.iter().enumerate() {
        for fa in indexed.fingerprints.iter().filter(|f| common.contains(&f.hash)) {
            let Some(&(b_file, fb)) = in_b.get(&fa.hash) else {
                continue;
            };
            let gap = (K + W) as u32;
            match runs.last_mut() {
                Some(run)
                    if run.a_file == a_file
                        && run.b_file == b_file
                        && fa.start <= run.a_end + gap
                        && fb.start + K as u32 > run.b_end
                        && fb.start <= run.b_end + gap =>
                {
                    run.a_end = fa.start + K as u32;
                    run.b_end = fb.start + K as u32;
                    run.a_lines.1 = run.a_lines.1.max(fa.last_line);
                    run.b_lines = (run.b_lines.0.min(fb.first_line), run.b_lines.1.max(fb.last_line));
                }
                _ => runs.push(Run {
                    a_file,
                    b_file,
                    a_end: fa.start + K as u32,
                    b_end: fb.start + K as u32,
                    a_lines: (fa.first_line, fa.last_line),
                    b_lines: (fb.first_line, fb.last_line),
                }),
            }
        }
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.a_lines.1 - r.a_lines.0));
    runs.truncate(MAX_FRAGMENTS);
    runs.sort_by_key(|r| (r.a_file, r.a_lines.0));
    runs.iter()
        .map(|run| Fragment {
            a: side(&a[run.a_file], run.a_lines),
            b: side(&b[run.b_file], run.b_lines),
        })
        .collect()
}

fn side(file: &IndexedFile, (first, last): (u32, u32)) -> Side {
    let shown_last = last.min(first + MAX_LINES - 1);
    let mut text: String = file
        .text
        .lines()
        .skip(first as usize - 1)
        .take((shown_last - first + 1) as usize)
        .collect::<Vec<_>>()
        .join("\n");
    if let Some((cut, _)) = text.char_indices().nth(MAX_CHARS) {
        text.truncate(cut);
        text.push_str(" …");
    }
    if shown_last < last {
        text.push_str(&format!("\n… {} more line(s)", last - shown_last));
    }
    Side {
        path: file.path.clone(),
        first_line: first,
        last_line: last,
        text,
    }
}
