//! Class labels as the grader compares and orders them: numbers when every label is a number
//! (so `3` and `3.0` are one class, sorted numerically), text otherwise.

use std::cmp::Ordering;

/// Labels of both columns, mapped to one canonical spelling.
pub struct Classes {
    /// The distinct classes, sorted as scikit-learn sorts them.
    pub sorted: Vec<String>,
    pub truth: Vec<String>,
    pub predicted: Vec<String>,
}

fn as_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Canonical spelling of a number: `3.0` → `3`, `2.50` → `2.5`.
fn canonical_number(value: f64) -> String {
    format!("{value}")
}

pub fn classes(truth: &[String], predicted: &[String]) -> Classes {
    let numeric = truth
        .iter()
        .chain(predicted)
        .all(|t| as_number(t).is_some());
    let canon = |values: &[String]| -> Vec<String> {
        if numeric {
            values
                .iter()
                .map(|v| canonical_number(as_number(v).unwrap_or_default()))
                .collect()
        } else {
            values.iter().map(|v| v.trim().to_string()).collect()
        }
    };
    let truth = canon(truth);
    let predicted = canon(predicted);
    let mut sorted: Vec<String> = truth.iter().chain(&predicted).cloned().collect();
    sorted.sort_by(|a, b| compare(a, b, numeric));
    sorted.dedup();
    Classes {
        sorted,
        truth,
        predicted,
    }
}

/// Canonical spelling of one label, numeric when it is a number.
pub fn canonical(label: &str) -> String {
    match as_number(label) {
        Some(value) => canonical_number(value),
        None => label.trim().to_string(),
    }
}

fn compare(a: &str, b: &str, numeric: bool) -> Ordering {
    if numeric {
        let (x, y) = (
            as_number(a).unwrap_or_default(),
            as_number(b).unwrap_or_default(),
        );
        x.partial_cmp(&y).unwrap_or(Ordering::Equal)
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn numbers_are_one_class_and_sort_numerically() {
        let c = classes(&s(&["10", "2", "3.0"]), &s(&["3", "2.0", "10"]));
        assert_eq!(c.sorted, ["2", "3", "10"]);
        assert_eq!(c.truth, ["10", "2", "3"]);
        assert_eq!(c.predicted, ["3", "2", "10"]);
        let c = classes(&s(&["cat", "2"]), &s(&["dog", "2"]));
        assert_eq!(c.sorted, ["2", "cat", "dog"]);
    }
}
