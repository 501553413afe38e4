//! Every pair of documents compared through an index of fingerprints: only pairs that share a
//! fingerprint are ever looked at, so a round of hundreds costs little more than reading it.

use std::collections::{BTreeMap, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::fragments::{Fragment, IndexedFile, fragments};
use super::tokens::{Language, tokens};
use super::winnow::{fingerprints, run_hashes};
use super::{Document, Settings, SourceFile};

/// Pairs whose fragments are kept, most similar first.
pub const MAX_PAIRS_WITH_FRAGMENTS: usize = 200;

/// A document read into fingerprints, starter runs taken out.
struct Indexed {
    files: Vec<IndexedFile>,
    /// Distinct fingerprint hashes left.
    hashes: FxHashSet<u64>,
}

/// Two documents flagged as similar.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// Whether `b` is from the corpus of known solutions.
    pub b_corpus: bool,
    /// Fingerprints both hold.
    pub shared: usize,
    /// Share of each one's fingerprints found in the other.
    pub share_a: f64,
    pub share_b: f64,
    /// The larger share: how much of the smaller document is in the other.
    pub score: f64,
    pub fragments: Vec<Fragment>,
}

/// The round compared.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub settings: Settings,
    pub submissions: usize,
    pub corpus: usize,
    /// Pairs at or above the threshold, most similar first.
    pub pairs: Vec<Pair>,
    /// Groups of three or more joined by flagged pairs, each by name.
    pub clusters: Vec<Vec<String>>,
    /// Documents with too little source code to compare (no fingerprint left), by name.
    pub too_small: Vec<String>,
}

impl Comparison {
    /// A comparison that found nothing, for when none could be made.
    pub fn empty(settings: Settings) -> Comparison {
        Comparison {
            settings,
            submissions: 0,
            corpus: 0,
            pairs: Vec::new(),
            clusters: Vec::new(),
            too_small: Vec::new(),
        }
    }
}

fn index(files: &[SourceFile], starter: &FxHashSet<u64>) -> Indexed {
    let mut indexed = Vec::new();
    let mut hashes = FxHashSet::default();
    for file in files {
        let Some(language) = Language::of(&file.path) else {
            continue;
        };
        let kept: Vec<_> = fingerprints(&tokens(&file.text, language))
            .into_iter()
            .filter(|f| !starter.contains(&f.hash))
            .collect();
        hashes.extend(kept.iter().map(|f| f.hash));
        indexed.push(IndexedFile {
            path: file.path.clone(),
            text: file.text.clone(),
            fingerprints: kept,
        });
    }
    Indexed { files: indexed, hashes }
}

/// Every run hash of the starter files: any run the assignment gave out is nobody's own.
fn starter_runs(starter: &[SourceFile]) -> FxHashSet<u64> {
    starter
        .iter()
        .filter_map(|f| Language::of(&f.path).map(|l| run_hashes(&tokens(&f.text, l))))
        .flatten()
        .collect()
}

/// Compares every submission with every other and with the corpus.
pub fn compare(documents: &[Document], starter: &[SourceFile], settings: Settings) -> Comparison {
    let starter = starter_runs(starter);
    let indexed: Vec<Indexed> = documents.iter().map(|d| index(&d.files, &starter)).collect();
    let mut postings: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (at, doc) in indexed.iter().enumerate() {
        for hash in &doc.hashes {
            postings.entry(*hash).or_default().push(at as u32);
        }
    }
    let mut shared: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    for docs in postings.values() {
        for (i, &a) in docs.iter().enumerate() {
            for &b in &docs[i + 1..] {
                if documents[a as usize].corpus && documents[b as usize].corpus {
                    continue;
                }
                *shared.entry((a.min(b), a.max(b))).or_default() += 1;
            }
        }
    }
    let mut pairs = Vec::new();
    for ((a, b), count) in shared {
        let (a, b) = (a as usize, b as usize);
        let count = count as usize;
        let share_a = count as f64 / indexed[a].hashes.len() as f64;
        let share_b = count as f64 / indexed[b].hashes.len() as f64;
        let score = share_a.max(share_b);
        if count < settings.min_shared || score < settings.threshold {
            continue;
        }
        // A submission first, the corpus entry second.
        let (a, b, share_a, share_b) = if documents[a].corpus {
            (b, a, share_b, share_a)
        } else {
            (a, b, share_a, share_b)
        };
        let pair = Pair {
            a: documents[a].name.clone(),
            b: documents[b].name.clone(),
            b_corpus: documents[b].corpus,
            shared: count,
            share_a,
            share_b,
            score,
            fragments: Vec::new(),
        };
        pairs.push((pair, a, b));
    }
    pairs.sort_by(|(x, ..), (y, ..)| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    // A round where many copied one source flags every pair among them: the most similar
    // keep their fragments, the rest their scores (the clusters name them all).
    let pairs: Vec<Pair> = pairs
        .into_iter()
        .enumerate()
        .map(|(rank, (mut pair, a, b))| {
            if rank < MAX_PAIRS_WITH_FRAGMENTS {
                let common: HashSet<u64> = indexed[a].hashes.intersection(&indexed[b].hashes).copied().collect();
                pair.fragments = fragments(&indexed[a].files, &indexed[b].files, &common);
            }
            pair
        })
        .collect();
    Comparison {
        settings,
        submissions: documents.iter().filter(|d| !d.corpus).count(),
        corpus: documents.iter().filter(|d| d.corpus).count(),
        clusters: clusters(&pairs),
        too_small: documents
            .iter()
            .zip(&indexed)
            .filter(|(d, i)| !d.corpus && i.hashes.is_empty())
            .map(|(d, _)| d.name.clone())
            .collect(),
        pairs,
    }
}

/// Groups of three or more documents that flagged pairs join, each sorted, largest first.
fn clusters(pairs: &[Pair]) -> Vec<Vec<String>> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    fn root<'a>(parent: &mut BTreeMap<&'a str, &'a str>, name: &'a str) -> &'a str {
        let mut at = name;
        while let Some(&up) = parent.get(at) {
            if up == at {
                break;
            }
            at = up;
        }
        parent.insert(name, at);
        at
    }
    for pair in pairs {
        parent.entry(&pair.a).or_insert(&pair.a);
        parent.entry(&pair.b).or_insert(&pair.b);
        let (x, y) = (root(&mut parent, &pair.a), root(&mut parent, &pair.b));
        if x != y {
            parent.insert(x.max(y), x.min(y));
        }
    }
    let names: Vec<&str> = parent.keys().copied().collect();
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for name in names {
        let top = root(&mut parent, name);
        groups.entry(top).or_default().push(name.to_string());
    }
    let mut clusters: Vec<Vec<String>> = groups.into_values().filter(|g| g.len() >= 3).collect();
    clusters.sort_by(|x, y| y.len().cmp(&x.len()).then_with(|| x.cmp(y)));
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, text: &str) -> Document {
        Document {
            name: name.into(),
            corpus: false,
            files: vec![SourceFile {
                path: "solution.py".into(),
                text: text.into(),
            }],
        }
    }

    const ORIGINAL: &str = include_str!("../../tests/fixtures/similarity/kmeans/ana.py");

    const DISGUISED: &str = r#"
import numpy as numerical

def cluster_points(data, count, iterations=20):
    # start from the first points
    middles = data[:count].copy()
    for _ in range(iterations):
        assignment = [closest(middles, sample) for sample in data]
        for group in range(count):
            chosen = [s for s, a in zip(data, assignment) if a == group]
            if chosen:
                middles[group] = numerical.mean(chosen, axis=0)
    return middles, assignment

def closest(middles, p):
    winner, winner_gap = None, float("inf")
    for i, m in enumerate(middles):
        gap = numerical.sum((m - p) ** 2)
        if gap < winner_gap:
            winner, winner_gap = i, gap
    return winner

def scale(data):
    centre = numerical.mean(data, axis=0)
    width = numerical.std(data, axis=0) + 1e-9
    return (data - centre) / width
"#;

    const INDEPENDENT: &str = include_str!("../../tests/fixtures/similarity/kmeans/bo.py");

    #[test]
    fn a_disguised_copy_is_flagged_with_its_fragments() {
        let found = compare(&[doc("ana", ORIGINAL), doc("bo", DISGUISED)], &[], Settings::default());
        assert_eq!(found.pairs.len(), 1, "{found:?}");
        let pair = &found.pairs[0];
        assert!(pair.score > 0.95, "{}", pair.score);
        assert!(!pair.fragments.is_empty());
        assert!(
            pair.fragments
                .iter()
                .any(|f| f.a.text.contains("np.std") && f.b.text.contains("numerical.std"))
        );
    }

    #[test]
    fn an_independent_solution_is_not() {
        let found = compare(
            &[doc("ana", ORIGINAL), doc("cy", INDEPENDENT)],
            &[],
            Settings::default(),
        );
        assert!(found.pairs.is_empty(), "{:?}", found.pairs);
    }

    #[test]
    fn the_starter_never_counts() {
        let starter = [SourceFile {
            path: "solution.py".into(),
            text: ORIGINAL.into(),
        }];
        let found = compare(
            &[doc("ana", ORIGINAL), doc("bo", ORIGINAL)],
            &starter,
            Settings::default(),
        );
        assert!(found.pairs.is_empty(), "{:?}", found.pairs);
        assert_eq!(found.too_small, ["ana", "bo"]);
    }

    #[test]
    fn a_round_of_many_copies_keeps_fragments_for_the_most_similar_only() {
        let docs: Vec<Document> = (0..25)
            .map(|i| doc(&format!("c{i:02}"), &format!("{ORIGINAL}\nprint({i})\n")))
            .collect();
        let found = compare(&docs, &[], Settings::default());
        assert_eq!(found.pairs.len(), 25 * 24 / 2);
        let with = found.pairs.iter().filter(|p| !p.fragments.is_empty()).count();
        assert_eq!(with, MAX_PAIRS_WITH_FRAGMENTS);
        assert!(
            found.pairs[..MAX_PAIRS_WITH_FRAGMENTS]
                .iter()
                .all(|p| !p.fragments.is_empty())
        );
        assert_eq!(found.clusters.len(), 1);
        assert_eq!(found.clusters[0].len(), 25);
    }

    #[test]
    fn a_fragment_of_one_very_long_line_is_cut() {
        let line = format!(
            "values = [{}]\n",
            (0..20_000).map(|i| format!("x{i}")).collect::<Vec<_>>().join(", ")
        );
        let found = compare(
            &[doc("a", &line), doc("b", &line.replace("values", "numbers"))],
            &[],
            Settings::default(),
        );
        let fragment = &found.pairs[0].fragments[0];
        assert!(
            fragment.a.text.len() < 4200 && fragment.b.text.len() < 4200,
            "{}",
            fragment.a.text.len()
        );
    }

    proptest::proptest! {
        /// Any files: shares are shares, and every pair reported clears the settings.
        #[test]
        fn any_round_compares_within_bounds(texts in proptest::collection::vec("[a-c(): =\n+0-9]{0,300}", 1..8)) {
            let docs: Vec<Document> = texts.iter().enumerate().map(|(i, t)| doc(&format!("d{i}"), t)).collect();
            let found = compare(&docs, &[], Settings::default());
            for pair in &found.pairs {
                proptest::prop_assert!(pair.a != pair.b);
                proptest::prop_assert!(pair.shared >= Settings::default().min_shared);
                for share in [pair.share_a, pair.share_b, pair.score] {
                    proptest::prop_assert!((0.0..=1.0).contains(&share));
                }
                proptest::prop_assert!(pair.score >= Settings::default().threshold);
            }
        }
    }

    #[test]
    fn clusters_of_three_and_the_corpus() {
        let mut public = doc("public/kmeans", DISGUISED);
        public.corpus = true;
        let mut other_public = doc("public/copy", ORIGINAL);
        other_public.corpus = true;
        let docs = [
            doc("ana", ORIGINAL),
            doc("bo", DISGUISED),
            doc("cy", INDEPENDENT),
            doc("di", ORIGINAL),
            public,
            other_public,
        ];
        let found = compare(&docs, &[], Settings::default());
        assert!(
            found
                .pairs
                .iter()
                .all(|p| !(p.a.starts_with("public") && p.b.starts_with("public")))
        );
        assert!(
            found
                .pairs
                .iter()
                .any(|p| p.a == "bo" && p.b == "public/kmeans" && p.b_corpus)
        );
        assert_eq!(
            found.clusters,
            [vec!["ana", "bo", "di", "public/copy", "public/kmeans"]]
        );
    }
}
