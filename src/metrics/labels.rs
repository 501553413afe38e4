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
    /// The classes of the first column alone, spelled and sorted as if it were encoded alone.
    pub truth_classes: Vec<String>,
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

pub fn encode<'a>(truth: &[&'a str], predicted: &[&'a str]) -> Encoded {
    encode_iter(truth.iter().copied(), predicted.iter().copied())
}

/// Below this many distinct values, a value's code is found by comparing it with each seen
/// one (labels of a few classes): cheaper than hashing it.
const FEW: usize = 8;

/// A value of up to 7 bytes as one integer (its bytes, then its length), so telling it from
/// a few seen ones takes integer comparisons, not calls comparing memory. Longer values get
/// a key no packed value has.
fn packed(value: &str) -> u64 {
    let bytes = value.as_bytes();
    if bytes.len() >= 8 {
        return u64::MAX;
    }
    // Byte by byte: a copy of a few bytes of unknown length would be a call.
    let mut word = (bytes.len() as u64) << 56;
    for (i, &byte) in bytes.iter().enumerate() {
        word |= u64::from(byte) << (8 * i);
    }
    word
}

/// Encodes both columns; the work per row is one lookup of the raw text.
pub fn encode_iter<'a>(truth: impl Iterator<Item = &'a str>, predicted: impl Iterator<Item = &'a str>) -> Encoded {
    let mut raw_index: FxHashMap<&'a str, usize> = FxHashMap::default();
    let mut raw: Vec<&'a str> = Vec::new();
    // `packed` of each of `raw`, while there are few.
    let mut few: Vec<u64> = Vec::new();
    let mut code = |value: &'a str| -> usize {
        if raw.len() <= FEW {
            let key = packed(value);
            let found = if key == u64::MAX {
                raw.iter().position(|&seen| seen == value)
            } else {
                few.iter().position(|&seen| seen == key)
            };
            if let Some(found) = found {
                return found;
            }
        }
        let next = raw.len();
        *raw_index.entry(value).or_insert_with(|| {
            raw.push(value);
            if few.len() <= FEW {
                few.push(packed(value));
            }
            next
        })
    };
    let mut truth: Vec<usize> = truth.map(&mut code).collect();
    let mut predicted: Vec<usize> = predicted.map(&mut code).collect();
    let (classes, class_of) = classes_of(&raw);
    let mut in_truth = vec![false; raw.len()];
    for code in truth.iter_mut() {
        in_truth[*code] = true;
        *code = class_of[*code];
    }
    for code in predicted.iter_mut() {
        *code = class_of[*code];
    }
    let truth_raw: Vec<&str> = raw
        .iter()
        .zip(&in_truth)
        .filter(|(_, t)| **t)
        .map(|(v, _)| *v)
        .collect();
    let truth_classes = if truth_raw.len() == raw.len() {
        classes.clone()
    } else {
        classes_of(&truth_raw).0
    };
    Encoded {
        classes,
        truth,
        predicted,
        truth_classes,
    }
}

/// The distinct classes of distinct raw values, sorted, and each raw value's class.
fn classes_of(raw: &[&str]) -> (Vec<String>, Vec<usize>) {
    let numeric = raw.iter().all(|v| as_number(v).is_some());
    // Text labels are borrowed, not copied: a candidate's labels can be large.
    let spelled: Vec<std::borrow::Cow<'_, str>> = raw
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
    (classes, class_of)
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

    #[test]
    fn the_truths_classes_are_its_own() {
        // Alone, the truth is numeric: 3.0 is spelled 3; with the predictions it is text.
        let e = encode(&["3.0", "1"], &["cat"]);
        assert_eq!(e.classes, ["1", "3.0", "cat"]);
        assert_eq!(e.truth_classes, ["1", "3"]);
        assert_eq!(encode(&["3.0", "1"], &[]).classes, e.truth_classes);
        // Many distinct values go through the hash map, few through the list: same codes.
        let many: Vec<String> = (0..40).map(|i| (i % 20).to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let e = encode(&many, &many[..5]);
        assert_eq!(e.classes.len(), 20);
        assert_eq!(e.truth[..20], e.truth[20..]);
        assert_eq!(e.predicted, [0, 1, 2, 3, 4]);
        // Short values are told apart by their bytes and length, long ones by their text.
        let e = encode(&["a", "a\0", "", "1234567", "12345678", "a"], &["12345678", "a\0"]);
        assert_eq!(e.classes, ["", "1234567", "12345678", "a", "a\0"]);
        assert_eq!(e.truth, [3, 4, 0, 1, 2, 3]);
        assert_eq!(e.predicted, [2, 4]);
    }
}
