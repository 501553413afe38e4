//! Predictions joined to hidden labels on a key column, with every problem in the
//! predictions named by row (the first few shown, the rest counted).

use std::collections::HashMap;
use std::path::Path;

/// How many problems are spelled out before the rest are only counted.
const SHOWN: usize = 5;

/// For each id of the labels (in their order): the label and the requested prediction columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub ids: Vec<String>,
    /// The line of each row in the predictions file, for messages.
    pub lines: Vec<usize>,
    pub labels: Vec<String>,
    /// One vector per requested prediction column.
    pub columns: Vec<Vec<String>>,
}

/// Problems found in a predictions file, phrased for the candidate and the reviewer.
#[derive(Debug, Default)]
pub struct Problems {
    shown: Vec<String>,
    more: usize,
}

impl Problems {
    pub fn add(&mut self, problem: String) {
        if self.shown.len() < SHOWN {
            self.shown.push(problem);
        } else {
            self.more += 1;
        }
    }

    pub fn into_result<T>(self, value: T) -> Result<T, String> {
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
    /// (line, key, values of the wanted columns)
    rows: Vec<(usize, String, Vec<String>)>,
}

/// Reads `key` and `columns` from a CSV; `Err` names the file's problem.
fn read(path: &Path, what: &str, key: &str, columns: &[&str]) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| format!("the {what} cannot be read: {e}"))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("the {what} have no header row: {e}"))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                format!(
                    "the {what} have no column {name:?} (found: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                )
            })
    };
    let key_at = find(key)?;
    let at: Vec<usize> = columns.iter().map(|c| find(c)).collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    let mut problems = Problems::default();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let id = record.get(key_at).unwrap_or("").trim().to_string();
                let values = at
                    .iter()
                    .map(|&i| record.get(i).unwrap_or("").trim().to_string())
                    .collect();
                rows.push((line, id, values));
            }
            Err(e) => problems.add(format!("row {line}: {e}")),
        }
    }
    problems.into_result(Table { rows })
}

/// The label column of the hidden labels, in file order.
pub fn label_values(labels: &Path, key: &str, column: &str) -> Result<Vec<String>, String> {
    let table = read(labels, "hidden labels", key, &[column])?;
    Ok(table
        .rows
        .into_iter()
        .map(|(_, _, mut values)| values.remove(0))
        .collect())
}

/// Joins the predictions' `columns` to the labels' `label_column` on `key`. `Err` is the
/// predictions' fault (invalid output); a problem in the labels is the author's and says so.
pub fn join(
    predictions: &Path,
    labels: &Path,
    key: &str,
    label_column: &str,
    columns: &[&str],
) -> Result<Joined, String> {
    let truth = read(labels, "hidden labels", key, &[label_column])
        .map_err(|e| format!("assignment error: {e}"))?;
    let predicted = read(predictions, "predictions", key, columns)?;
    let mut problems = Problems::default();
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(predicted.rows.len());
    for (index, (line, id, values)) in predicted.rows.iter().enumerate() {
        if id.is_empty() {
            problems.add(format!("row {line}: empty {key:?}"));
            continue;
        }
        if let Some(column) = values
            .iter()
            .position(|v| v.is_empty() || v.eq_ignore_ascii_case("nan"))
        {
            problems.add(format!(
                "row {line}: no value in {:?} for id {id:?}",
                columns[column]
            ));
        }
        if let Some(first) = by_id.insert(id, index) {
            problems.add(format!(
                "row {line}: duplicate id {id:?} (first at row {})",
                predicted.rows[first].0
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
        lines: Vec::new(),
        labels: Vec::new(),
        columns: vec![Vec::new(); columns.len()],
    };
    for (_, id, label) in truth.rows {
        match by_id.get(id.as_str()) {
            Some(&index) => {
                let (line, _, values) = &predicted.rows[index];
                joined.lines.push(*line);
                for (column, value) in joined.columns.iter_mut().zip(values) {
                    column.push(value.clone());
                }
                joined
                    .labels
                    .push(label.into_iter().next().unwrap_or_default());
                joined.ids.push(id);
            }
            None => problems.add(format!("id {id:?} has no prediction")),
        }
    }
    problems.into_result(joined)
}

/// Parses a column as finite numbers; `Err` names each row that is not one.
pub fn numbers(values: &[String], lines: &[usize], column: &str) -> Result<Vec<f64>, String> {
    let mut problems = Problems::default();
    let mut out = Vec::with_capacity(values.len());
    for (value, line) in values.iter().zip(lines) {
        match value.parse::<f64>() {
            Ok(number) if number.is_finite() => out.push(number),
            _ => {
                problems.add(format!(
                    "row {line}: {value:?} in {column:?} is not a finite number"
                ));
                out.push(0.0);
            }
        }
    }
    problems.into_result(out)
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
        let joined = join(predictions.path(), labels.path(), "id", "label", &["label"]).unwrap();
        assert_eq!(joined.ids, ["a", "b"]);
        assert_eq!(joined.columns[0], ["1", "2"]);
        assert_eq!(joined.lines, [3, 2]);
    }

    #[test]
    fn names_each_problem_by_row() {
        let labels = csv("id,label\na,1\nb,2\nc,3\n");
        let predictions = csv("id,label\na,1\na,2\nz,3\nb,nan\n");
        let why = join(predictions.path(), labels.path(), "id", "label", &["label"]).unwrap_err();
        assert!(
            why.contains("row 3: duplicate id \"a\" (first at row 2)"),
            "{why}"
        );
        assert!(
            why.contains("row 4: id \"z\" is not in the test set"),
            "{why}"
        );
        assert!(
            why.contains("row 5: no value in \"label\" for id \"b\""),
            "{why}"
        );
        assert!(why.contains("id \"c\" has no prediction"), "{why}");
        let missing = csv("id,prediction\na,1\n");
        let why = join(missing.path(), labels.path(), "id", "label", &["label"]).unwrap_err();
        assert!(why.contains("no column \"label\""), "{why}");
    }

    #[test]
    fn counts_problems_past_the_first_few() {
        let labels = csv("id,label\n");
        let predictions =
            csv(&(0..20).fold("id,label\n".to_string(), |s, i| s + &format!("x{i},1\n")));
        let why = join(predictions.path(), labels.path(), "id", "label", &["label"]).unwrap_err();
        assert!(why.ends_with("and 15 more problem(s)"), "{why}");
    }

    #[test]
    fn non_numbers_are_named() {
        let why = numbers(
            &["1.5".into(), "abc".into(), "inf".into()],
            &[2, 3, 4],
            "score",
        )
        .unwrap_err();
        assert!(
            why.contains("row 3: \"abc\" in \"score\" is not a finite number"),
            "{why}"
        );
        assert!(why.contains("row 4: \"inf\""), "{why}");
    }
}
