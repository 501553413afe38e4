//! Winnowing (Schleimer, Wilkerson and Aiken, 2003): hash every run of K tokens and keep, in
//! each window of W consecutive hashes, the smallest (the rightmost of equals). Any shared run of
//! at least K + W - 1 tokens is then sure to share a kept hash, and runs shorter than K never
//! match.

use std::hash::Hasher;

use rustc_hash::FxHasher;

use super::tokens::Token;

/// Tokens in one hashed run (noise threshold).
pub const K: usize = 12;
/// Hashes in one window; K + W - 1 tokens are sure to be caught.
pub const W: usize = 8;

/// One kept hash and where its run of tokens lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub hash: u64,
    /// The index of the run's first token.
    pub start: u32,
    pub first_line: u32,
    pub last_line: u32,
}

fn token_hash(text: &str) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(text.as_bytes());
    hasher.write_u8(0xff);
    hasher.finish()
}

/// The hash of every run of K tokens, in order (none when there are fewer than K tokens).
pub fn run_hashes(tokens: &[Token]) -> Vec<u64> {
    let each: Vec<u64> = tokens.iter().map(|t| token_hash(&t.text)).collect();
    each.windows(K)
        .map(|run| {
            let mut hasher = FxHasher::default();
            for hash in run {
                hasher.write_u64(*hash);
            }
            hasher.finish()
        })
        .collect()
}

/// The fingerprints winnowing keeps from `tokens`.
pub fn fingerprints(tokens: &[Token]) -> Vec<Fingerprint> {
    let hashes = run_hashes(tokens);
    let at = |start: usize| Fingerprint {
        hash: hashes[start],
        start: start as u32,
        first_line: tokens[start].first_line,
        last_line: tokens[start + K - 1].last_line,
    };
    let mut kept: Vec<Fingerprint> = Vec::new();
    if hashes.is_empty() {
        return kept;
    }
    let window = W.min(hashes.len());
    let mut last: Option<usize> = None;
    for end in window..=hashes.len() {
        let begin = end - window;
        let mut smallest = begin;
        for i in begin..end {
            if hashes[i] <= hashes[smallest] {
                smallest = i;
            }
        }
        if last != Some(smallest) {
            kept.push(at(smallest));
            last = Some(smallest);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(words: &[&str]) -> Vec<Token> {
        words
            .iter()
            .enumerate()
            .map(|(i, w)| Token {
                text: w.to_string(),
                first_line: i as u32 + 1,
                last_line: i as u32 + 1,
            })
            .collect()
    }

    fn words(seed: u64, count: usize) -> Vec<String> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("w{}", state >> 58)
            })
            .collect()
    }

    #[test]
    fn too_short_has_no_fingerprint_and_one_run_has_one() {
        assert!(fingerprints(&stream(&["a"; K - 1])).is_empty());
        let one = fingerprints(&stream(&["a"; K]));
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].first_line, one[0].last_line), (1, K as u32));
    }

    proptest::proptest! {
        /// The guarantee: a run of K + W - 1 tokens shared by two streams shares a fingerprint.
        #[test]
        fn a_long_enough_shared_run_shares_a_fingerprint(a in 0u64..1000, b in 1000u64..2000, at_a in 0usize..40, at_b in 0usize..40) {
            let shared = words(a ^ b, K + W - 1);
            let mut left = words(a, at_a);
            left.extend(shared.iter().cloned());
            left.extend(words(a + 7, 15));
            let mut right = words(b, at_b);
            right.extend(shared.iter().cloned());
            let left: Vec<&str> = left.iter().map(|s| s.as_str()).collect();
            let right: Vec<&str> = right.iter().map(|s| s.as_str()).collect();
            let l: std::collections::HashSet<u64> = fingerprints(&stream(&left)).iter().map(|f| f.hash).collect();
            let found = fingerprints(&stream(&right)).iter().any(|f| l.contains(&f.hash));
            proptest::prop_assert!(found);
        }

        /// Every kept fingerprint is the hash of the run it names, and runs are in order.
        #[test]
        fn fingerprints_name_their_runs(seed in 0u64..10_000, count in 0usize..200) {
            let text = words(seed, count);
            let tokens = stream(&text.iter().map(|s| s.as_str()).collect::<Vec<_>>());
            let hashes = run_hashes(&tokens);
            let kept = fingerprints(&tokens);
            for pair in kept.windows(2) {
                proptest::prop_assert!(pair[0].start < pair[1].start);
            }
            for f in kept {
                proptest::prop_assert_eq!(hashes[f.start as usize], f.hash);
            }
        }
    }
}
