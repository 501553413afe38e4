//! ROC AUC from scores: the area under the ROC curve with ties counted half, which is what
//! scikit-learn's trapezoidal curve gives. It is the share of (positive, negative) pairs
//! the scores order rightly, ties counted half, and is counted exactly: the positives' and
//! the negatives' scores are sorted apart and merged.

/// Binary ROC AUC of `scores` for `positive` rows; `Err` when only one class is present.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Result<f64, String> {
    let n_pos = positive.iter().filter(|p| **p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err("ROC AUC is undefined when the labels hold only one class".to_string());
    }
    let mut positives = Vec::with_capacity(n_pos);
    let mut negatives = Vec::with_capacity(n_neg);
    for (&is_positive, &score) in positive.iter().zip(scores) {
        if is_positive {
            positives.push(sort_key(score));
        } else {
            negatives.push(sort_key(score));
        }
    }
    // A radix sort: the keys are integers, and a million of them sort several times faster
    // than by comparison.
    radsort::sort(&mut positives);
    radsort::sort(&mut negatives);
    // Twice the number of rightly ordered pairs (a tie counts one): an exact integer.
    let mut twice_right: u128 = 0;
    let (mut below, mut i) = (0, 0);
    while i < positives.len() {
        let score = positives[i];
        let mut same = i + 1;
        while same < positives.len() && positives[same] == score {
            same += 1;
        }
        while below < negatives.len() && negatives[below] < score {
            below += 1;
        }
        let mut tied = below;
        while tied < negatives.len() && negatives[tied] == score {
            tied += 1;
        }
        twice_right += (same - i) as u128 * (2 * below + (tied - below)) as u128;
        i = same;
    }
    Ok(twice_right as f64 / (2.0 * n_pos as f64 * n_neg as f64))
}

/// An integer that orders as the score does; 0 and -0 are one score.
fn sort_key(score: f64) -> u64 {
    let bits = (score + 0.0).to_bits();
    if bits >> 63 == 1 { !bits } else { bits | 1 << 63 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_inverse_and_tied() {
        assert_eq!(
            roc_auc(&[false, false, true, true], &[0.1, 0.2, 0.8, 0.9]).unwrap(),
            1.0
        );
        assert_eq!(
            roc_auc(&[true, true, false, false], &[0.1, 0.2, 0.8, 0.9]).unwrap(),
            0.0
        );
        assert_eq!(roc_auc(&[true, false], &[0.5, 0.5]).unwrap(), 0.5);
        // scikit-learn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        assert_eq!(
            roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap(),
            0.75
        );
        assert!(roc_auc(&[true, true], &[0.1, 0.2]).is_err());
        // Negative scores order like the numbers; both zeros are one score (a tie).
        assert_eq!(
            roc_auc(&[false, true, false, true], &[-2.0, -0.0, 0.0, 3.0]).unwrap(),
            0.875
        );
        assert_eq!(roc_auc(&[true, false], &[-0.0, 0.0]).unwrap(), 0.5);
        assert!(sort_key(-1e300) < sort_key(-1.0) && sort_key(-1.0) < sort_key(0.0));
        assert!(sort_key(0.0) < sort_key(f64::MIN_POSITIVE) && sort_key(1.0) < sort_key(1e300));
    }

    proptest::proptest! {
        /// The merge counts what comparing every (positive, negative) pair counts.
        #[test]
        fn counts_every_pair(rows in proptest::collection::vec((proptest::bool::ANY, -3i8..3), 2..60)) {
            let positive: Vec<bool> = rows.iter().map(|r| r.0).collect();
            // Few distinct scores, so ties are common; -0.0 among them.
            let scores: Vec<f64> = rows.iter().map(|r| if r.1 == -3 { -0.0 } else { f64::from(r.1) / 2.0 }).collect();
            let mut twice_right = 0u64;
            let (mut pos, mut neg) = (0u64, 0u64);
            for (a, &pa) in scores.iter().zip(&positive) {
                if pa { pos += 1 } else { neg += 1 }
                for (b, &pb) in scores.iter().zip(&positive) {
                    if pa && !pb {
                        twice_right += if a > b { 2 } else if a == b { 1 } else { 0 };
                    }
                }
            }
            match roc_auc(&positive, &scores) {
                Ok(area) => proptest::prop_assert_eq!(area, twice_right as f64 / (2 * pos * neg) as f64),
                Err(_) => proptest::prop_assert!(pos == 0 || neg == 0),
            }
        }
    }
}
