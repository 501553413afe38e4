//! ROC AUC from scores: the area under the ROC curve with ties counted half, which is what
//! scikit-learn's trapezoidal curve gives.

use super::sum::sum;

/// Binary ROC AUC of `scores` for `positive` rows; `Err` when only one class is present.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Result<f64, String> {
    let n_pos = positive.iter().filter(|p| **p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err("ROC AUC is undefined when the labels hold only one class".to_string());
    }
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(positive.iter().copied()).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // Average ranks (1-based) over runs of tied scores, summed for the positive rows.
    let mut rank_sum_parts = Vec::with_capacity(n_pos);
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start + 1;
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            end += 1;
        }
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let positives = pairs[start..end].iter().filter(|p| p.1).count();
        rank_sum_parts.push(average_rank * positives as f64);
        start = end;
    }
    let rank_sum = sum(rank_sum_parts);
    let (p, n) = (n_pos as f64, n_neg as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
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
        // Negative scores and both zeros order like the numbers.
        assert_eq!(
            roc_auc(&[false, true, false, true], &[-2.0, -0.0, 0.0, 3.0]).unwrap(),
            0.875
        );
    }
}
