//! Numbers read out of printed text: the text with every number replaced by `#` (its
//! skeleton), and the numbers with the words printed before them, so "accuracy: 0.93" and
//! "accuracy: 0.87" are the same sentence with a number that moved.

/// Printed text taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub skeleton: String,
    pub numbers: Vec<Number>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    /// As printed.
    pub text: String,
    /// The words just before it on its line ("accuracy"), or empty.
    pub label: String,
}

pub fn read(text: &str) -> Reading {
    let chars: Vec<char> = text.chars().collect();
    let mut skeleton = String::with_capacity(text.len());
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let before = if i == 0 { None } else { Some(chars[i - 1]) };
        let joined_to_word = before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
        // Memory addresses (`<object at 0x7f3a...>`) change on every run: never compared.
        if !joined_to_word && chars[i] == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
            let end = (i + 2..chars.len())
                .find(|&j| !chars[j].is_ascii_hexdigit())
                .unwrap_or(chars.len());
            if end > i + 2 {
                skeleton.push_str("0x?");
                i = end;
                continue;
            }
        }
        if !joined_to_word && let Some(end) = number_end(&chars, i) {
            let printed: String = chars[i..end].iter().collect();
            if let Ok(value) = printed.parse::<f64>() {
                numbers.push(Number {
                    value,
                    label: label_before(&skeleton),
                    text: printed,
                });
                skeleton.push('#');
                i = end;
                continue;
            }
        }
        skeleton.push(chars[i]);
        i += 1;
    }
    Reading { skeleton, numbers }
}

/// Where a number starting at `start` ends: an optional minus, digits with an optional
/// fraction, an optional exponent.
fn number_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    if chars[i] == '-' {
        i += 1;
    }
    let digits_from = |mut j: usize| {
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let whole_end = digits_from(i);
    let mut end = whole_end;
    if chars.get(end) == Some(&'.') {
        let fraction_end = digits_from(end + 1);
        if fraction_end > end + 1 || whole_end > i {
            end = fraction_end;
        }
    }
    if end == i || (end == i + 1 && chars[i] == '.') {
        return None;
    }
    if matches!(chars.get(end), Some('e' | 'E')) {
        let mut j = end + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        let exponent_end = digits_from(j);
        if exponent_end > j {
            end = exponent_end;
        }
    }
    // A number glued to a word after it ("3rd", "2x") is part of that word.
    if chars.get(end).is_some_and(|c| c.is_alphabetic() || *c == '_') {
        return None;
    }
    Some(end)
}

/// Up to four words before a number on its line, without the `: = ' "` that join them.
fn label_before(skeleton: &str) -> String {
    let line = skeleton.rsplit('\n').next().unwrap_or_default();
    let trimmed = line.trim_end_matches(|c: char| c.is_whitespace() || ":='\"".contains(c));
    let start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == ' ' || *c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let words: Vec<&str> = trimmed[start..].split_whitespace().collect();
    let label = words[words.len().saturating_sub(4)..].join(" ");
    label.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, f64)> {
        read(text).numbers.into_iter().map(|n| (n.label, n.value)).collect()
    }

    #[test]
    fn numbers_and_their_labels() {
        let reading = read("Test accuracy: 0.93\n{'f1': 0.875, 'n': 1000}\n");
        assert_eq!(reading.skeleton, "Test accuracy: #\n{'f1': #, 'n': #}\n");
        assert_eq!(
            values("Test accuracy: 0.93\n{'f1': 0.875, 'n': 1000}\n"),
            vec![
                ("Test accuracy".to_string(), 0.93),
                ("f1".to_string(), 0.875),
                ("n".to_string(), 1000.0)
            ]
        );
        assert_eq!(values("rmse = -1.5e-3"), vec![("rmse".to_string(), -0.0015)]);
    }

    #[test]
    fn words_with_digits_and_addresses_are_not_numbers() {
        let reading = read("model_v2 x1 3rd <Figure at 0x7f3a9c> [1, 2]");
        assert_eq!(reading.skeleton, "model_v2 x1 3rd <Figure at 0x?> [#, #]");
        assert_eq!(read("a-1").numbers[0].value, 1.0, "a dash after a word is not a sign");
        assert_eq!(
            read("1. 2.").numbers.iter().map(|n| n.value).collect::<Vec<_>>(),
            [1.0, 2.0]
        );
    }

    proptest::proptest! {
        #[test]
        fn the_skeleton_and_numbers_account_for_any_text(text in "\\PC{0,80}") {
            let reading = read(&text);
            let hashes = reading.skeleton.matches('#').count() - text.matches('#').count();
            proptest::prop_assert_eq!(hashes, reading.numbers.len());
            for number in &reading.numbers {
                proptest::prop_assert!(text.contains(&number.text));
                proptest::prop_assert!(number.label.chars().count() <= 60);
            }
        }
    }
}
