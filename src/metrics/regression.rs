//! Regression metrics and log loss, as scikit-learn computes them.

use super::sum::{mean, sum};

pub fn rmse(truth: &[f64], predicted: &[f64]) -> f64 {
    let squares: Vec<f64> = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).collect();
    mean(&squares).sqrt()
}

pub fn mae(truth: &[f64], predicted: &[f64]) -> f64 {
    let errors: Vec<f64> = truth.iter().zip(predicted).map(|(t, p)| (t - p).abs()).collect();
    mean(&errors)
}

/// R²; for constant truth, 1 when the predictions are exact and 0 otherwise (scikit-learn's
/// `force_finite`); NaN for fewer than two rows, as scikit-learn gives.
pub fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    if truth.len() < 2 {
        return f64::NAN;
    }
    let average = mean(truth);
    let residual = sum(truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)));
    let total = sum(truth.iter().map(|t| (t - average) * (t - average)));
    if total == 0.0 {
        return if residual == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - residual / total
}

/// The clipping scikit-learn applies to probabilities before taking logs (float64 epsilon).
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Mean negative log-likelihood. `columns[c][i]` is the probability of class `c` for row
/// `i` and `truth[i]` the index of the true class. Probabilities are clipped to
/// [eps, 1 - eps] and each row is renormalised to sum to 1, as scikit-learn does.
pub fn log_loss(truth: &[usize], columns: &[Vec<f64>]) -> f64 {
    let clip = |p: f64| p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
    let loss = |i: usize| {
        let total: f64 = columns.iter().map(|c| clip(c[i])).sum();
        -(clip(columns[truth[i]][i]) / total).ln()
    };
    // The logarithms are a good share of the time on large files: each core takes a share of
    // the rows. The sum is then taken as one, so the value does not depend on the cores.
    let mut losses = vec![0.0; truth.len()];
    super::parallel::fill(&mut losses, |first, share| {
        for (j, value) in share.iter_mut().enumerate() {
            *value = loss(first + j);
        }
    });
    mean(&losses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression() {
        assert_eq!(rmse(&[1.0, 2.0], &[1.0, 4.0]), 2.0_f64.sqrt());
        assert_eq!(mae(&[1.0, 2.0], &[2.0, 4.0]), 1.5);
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 1.0);
        assert_eq!(r2(&[2.0, 2.0], &[2.0, 2.0]), 1.0);
        assert_eq!(r2(&[2.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!(r2(&[2.0], &[2.0]).is_nan());
    }

    #[test]
    fn log_loss_clips_certain_mistakes() {
        let loss = log_loss(&[0], &[vec![0.0], vec![1.0]]);
        assert!((loss - 36.04365338911715).abs() < 1e-9, "{loss}");
    }
}
