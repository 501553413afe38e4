//! Compensated summation, so sums over a million rows stay within rounding of the exact value.

/// Neumaier's sum of `values`.
pub fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut total = 0.0f64;
    let mut compensation = 0.0f64;
    for value in values {
        let next = total + value;
        if total.abs() >= value.abs() {
            compensation += (total - next) + value;
        } else {
            compensation += (value - next) + total;
        }
        total = next;
    }
    total + compensation
}

pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    sum(values.iter().copied()) / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensates_rounding() {
        let values = [1e16, 1.0, -1e16];
        assert_eq!(sum(values), 1.0);
        assert_eq!(mean(&[0.1; 10]), 0.1);
    }
}
