//! Class labels as the grader compares and orders them: numbers when every label is a number
//! (so `3` and `3.0` are one class, sorted numerically), text otherwise.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

/// Two label columns as class indices into `classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// The distinct classes in canonical spelling, sorted as scikit-learn sorts them.
    pub classes: Vec<String>,
    pub truth: Vec<usize>,
    pub predicted: Vec<usize>,
}

fn as_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Canonical spelling of one label: `3.0` → `3` when it is a number, else the trimmed text.
pub fn canonical(label: &str) -> String {
    match as_number(label) {
        // -0 and 0 are one class: adding 0.0 turns -0.0 into 0.0.
        Some(value) => format!("{}", value + 0.0),
        None => label.trim().to_string(),
    }
}

/// Encodes both columns; the work per row is one hash lookup of the raw text.
pub fn encode<'a>(truth: &[&'a str], predicted: &[&'a str]) -> Encoded {
    let mut raw_index: FxHashMap<&'a str, usize> = FxHashMap::default();
    let mut raw: Vec<&'a str> = Vec::new();
    let mut code = |value: &'a str| -> usize {
        let next = raw.len();
        *raw_index.entry(value).or_insert_with(|| {
            raw.push(value);
            next
        })
    };
    let truth_raw: Vec<usize> = truth.iter().map(|v| code(v)).collect();
    let predicted_raw: Vec<usize> = predicted.iter().map(|v| code(v)).collect();
    let numeric = raw.iter().all(|v| as_number(v).is_some());
    // Text labels are borrowed, not copied: a candidate's labels can be large.
    let spelled: Vec<std::borrow::Cow<'a, str>> = raw
        .iter()
        .map(|v| {
            if numeric {
                std::borrow::Cow::Owned(canonical(v))
            } else {
                std::borrow::Cow::Borrowed(v.trim())
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..spelled.len()).collect();
    order.sort_by(|&a, &b| compare(&spelled[a], &spelled[b], numeric));
    let mut classes: Vec<String> = Vec::new();
    let mut class_of = vec![0usize; spelled.len()];
    let mut last: Option<&str> = None;
    for &i in &order {
        if last != Some(&*spelled[i]) {
            last = Some(&spelled[i]);
            classes.push(display_name(&spelled[i]));
        }
        class_of[i] = classes.len() - 1;
    }
    Encoded {
        classes,
        truth: truth_raw.iter().map(|&r| class_of[r]).collect(),
        predicted: predicted_raw.iter().map(|&r| class_of[r]).collect(),
    }
}

/// The longest class name kept: classes are told apart by index, so a longer name (from a
/// candidate's predictions) is cut without merging it with another, and costs no memory.
const MAX_CLASS_NAME: usize = 1024;

fn display_name(name: &str) -> String {
    match name.char_indices().nth(MAX_CLASS_NAME) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_string(),
    }
}

fn compare(a: &str, b: &str, numeric: bool) -> Ordering {
    if numeric {
        let (x, y) = (as_number(a).unwrap_or_default(), as_number(b).unwrap_or_default());
        x.partial_cmp(&y).unwrap_or(Ordering::Equal)
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_one_class_and_sort_numerically() {
        let e = encode(&["10", "2", "3.0"], &["3", "2.0", "10"]);
        assert_eq!(e.classes, ["2", "3", "10"]);
        assert_eq!(e.truth, [2, 0, 1]);
        assert_eq!(e.predicted, [1, 0, 2]);
        let e = encode(&["-0.0", "0"], &["-0", "0.0"]);
        assert_eq!(e.classes, ["0"]);
        let e = encode(&["cat", "2"], &["dog", "2"]);
        assert_eq!(e.classes, ["2", "cat", "dog"]);
    }
}
