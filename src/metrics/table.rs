//! Predictions joined to hidden labels on a key column, with every problem in the
//! predictions named by row (the first few shown, the rest counted).

use std::collections::HashMap;
use std::path::Path;

/// How many problems are spelled out before the rest are only counted.
const SHOWN: usize = 5;

/// Label and prediction for each id, in the labels' order.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub ids: Vec<String>,
    pub labels: Vec<String>,
    pub predictions: Vec<String>,
}

/// Problems found in a predictions file, phrased for the candidate and the reviewer.
#[derive(Debug, Default)]
struct Problems {
    shown: Vec<String>,
    more: usize,
}

impl Problems {
    fn add(&mut self, problem: String) {
        if self.shown.len() < SHOWN {
            self.shown.push(problem);
        } else {
            self.more += 1;
        }
    }

    fn into_result<T>(self, value: T) -> Result<T, String> {
        if self.shown.is_empty() {
            return Ok(value);
        }
        let mut text = self.shown.join("; ");
        if self.more > 0 {
            text.push_str(&format!("; and {} more problem(s)", self.more));
        }
        Err(text)
    }
}

struct Table {
    rows: Vec<(usize, String, String)>,
}

/// Reads `key` and `column` from a CSV; `Err` names the file's problem.
fn read(path: &Path, what: &str, key: &str, column: &str) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| format!("the {what} cannot be read: {e}"))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("the {what} have no header row: {e}"))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let key_at = find(key).ok_or_else(|| {
        format!(
            "the {what} have no column {key:?} (found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })?;
    let column_at = find(column).ok_or_else(|| {
        format!(
            "the {what} have no column {column:?} (found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })?;
    let mut rows = Vec::new();
    let mut problems = Problems::default();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        match record {
            Ok(record) => {
                let id = record.get(key_at).unwrap_or("").trim().to_string();
                let value = record.get(column_at).unwrap_or("").trim().to_string();
                rows.push((line, id, value));
            }
            Err(e) => problems.add(format!("row {line}: {e}")),
        }
    }
    problems.into_result(Table { rows })
}

/// Joins predictions to labels on `key`. `Err` is the predictions' fault (invalid output);
/// the labels are the author's and assumed clean, but are checked too.
pub fn join(predictions: &Path, labels: &Path, key: &str, column: &str) -> Result<Joined, String> {
    let truth =
        read(labels, "hidden labels", key, column).map_err(|e| format!("assignment error: {e}"))?;
    let predicted = read(predictions, "predictions", key, column)?;
    let mut problems = Problems::default();
    let mut by_id: HashMap<&str, (usize, &str)> = HashMap::new();
    for (line, id, value) in &predicted.rows {
        if id.is_empty() {
            problems.add(format!("row {line}: empty {key:?}"));
            continue;
        }
        if value.is_empty() || value.eq_ignore_ascii_case("nan") {
            problems.add(format!("row {line}: no prediction for id {id:?}"));
        }
        if let Some((first, _)) = by_id.insert(id, (*line, value)) {
            problems.add(format!(
                "row {line}: duplicate id {id:?} (first at row {first})"
            ));
        }
    }
    let known: HashMap<&str, ()> = truth
        .rows
        .iter()
        .map(|(_, id, _)| (id.as_str(), ()))
        .collect();
    for (line, id, _) in &predicted.rows {
        if !id.is_empty() && !known.contains_key(id.as_str()) {
            problems.add(format!("row {line}: id {id:?} is not in the test set"));
        }
    }
    let mut joined = Joined {
        ids: Vec::new(),
        labels: Vec::new(),
        predictions: Vec::new(),
    };
    for (_, id, label) in &truth.rows {
        match by_id.get(id.as_str()) {
            Some((_, value)) => {
                joined.ids.push(id.clone());
                joined.labels.push(label.clone());
                joined.predictions.push(value.to_string());
            }
            None => problems.add(format!("id {id:?} has no prediction")),
        }
    }
    problems.into_result(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn joins_on_the_key_in_label_order() {
        let labels = csv("id,label\na,1\nb,2\n");
        let predictions = csv("label,id\n2,b\n1,a\n");
        let joined = join(predictions.path(), labels.path(), "id", "label").unwrap();
        assert_eq!(joined.ids, ["a", "b"]);
        assert_eq!(joined.predictions, ["1", "2"]);
    }

    #[test]
    fn names_each_problem_by_row() {
        let labels = csv("id,label\na,1\nb,2\nc,3\n");
        let predictions = csv("id,label\na,1\na,2\nz,3\nb,nan\n");
        let why = join(predictions.path(), labels.path(), "id", "label").unwrap_err();
        assert!(
            why.contains("row 3: duplicate id \"a\" (first at row 2)"),
            "{why}"
        );
        assert!(
            why.contains("row 4: id \"z\" is not in the test set"),
            "{why}"
        );
        assert!(why.contains("row 5: no prediction for id \"b\""), "{why}");
        assert!(why.contains("id \"c\" has no prediction"), "{why}");
        let missing = csv("id,prediction\na,1\n");
        let why = join(missing.path(), labels.path(), "id", "label").unwrap_err();
        assert!(why.contains("no column \"label\""), "{why}");
    }

    #[test]
    fn counts_problems_past_the_first_few() {
        let labels = csv("id,label\n");
        let predictions =
            csv(&(0..20).fold("id,label\n".to_string(), |s, i| s + &format!("x{i},1\n")));
        let why = join(predictions.path(), labels.path(), "id", "label").unwrap_err();
        assert!(why.ends_with("and 15 more problem(s)"), "{why}");
    }
}
