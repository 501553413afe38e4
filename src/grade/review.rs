//! Rubric review: a TOML sheet per reviewer, merged into the grade with the spec's weights,
//! with agreement between reviewers (per criterion, and Krippendorff's alpha).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{CriterionReview, Rating, Report, Review, Score};

/// One reviewer's sheet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    pub review: SheetHeader,
    #[serde(rename = "criterion")]
    pub criteria: Vec<SheetCriterion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetHeader {
    pub assignment: String,
    pub submission: String,
    pub reviewer: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetCriterion {
    pub name: String,
    pub weight: f64,
    pub levels: Vec<String>,
    /// One of `levels`; empty until the reviewer fills it in.
    pub level: String,
    #[serde(default)]
    pub comment: String,
}

/// The blank sheet for one reviewer of one report.
pub fn blank_sheet(report: &Report, reviewer: &str) -> String {
    let mut text = format!(
        "# Rubric review of {} ({}) for the assignment {}.\n# For each criterion set `level` to one of its levels, and say why in `comment`.\n\n",
        report.submission.name.replace(['\n', '\r'], " "),
        crate::text::short_hash(&report.submission.sha256),
        report.assignment.id
    );
    let sheet = Sheet {
        review: SheetHeader {
            assignment: report.assignment.id.clone(),
            submission: report.submission.sha256.clone(),
            reviewer: reviewer.to_string(),
        },
        criteria: report
            .rubric
            .iter()
            .map(|c| SheetCriterion {
                name: c.criterion.clone(),
                weight: c.weight,
                levels: c.levels.clone(),
                level: String::new(),
                comment: String::new(),
            })
            .collect(),
    };
    text.push_str(&toml::to_string_pretty(&sheet).unwrap_or_default());
    text
}

/// Merges sheets into a review; `Err` says which sheet is refused and why.
pub fn merge(report: &Report, sheets: &[(PathBuf, Sheet)]) -> Result<Review, String> {
    if report.rubric.is_empty() {
        return Err("the assignment has no rubric to review".to_string());
    }
    let mut reviewers: Vec<String> = Vec::new();
    for (path, sheet) in sheets {
        let at = path.display();
        if sheet.review.submission != report.submission.sha256 {
            return Err(format!(
                "{at} is a sheet for submission {}, not {}",
                crate::text::short_hash(&sheet.review.submission),
                crate::text::short_hash(&report.submission.sha256)
            ));
        }
        if sheet.review.assignment != report.assignment.id {
            return Err(format!(
                "{at} is a sheet for assignment {}, not {}",
                sheet.review.assignment, report.assignment.id
            ));
        }
        if reviewers.contains(&sheet.review.reviewer) {
            return Err(format!(
                "{at}: reviewer {:?} has already a sheet",
                sheet.review.reviewer
            ));
        }
        reviewers.push(crate::text::terminal_safe(&sheet.review.reviewer));
        for criterion in &sheet.criteria {
            let Some(rubric) = report.rubric.iter().find(|c| c.criterion == criterion.name) else {
                return Err(format!("{at}: unknown criterion {:?}", criterion.name));
            };
            if criterion.weight != rubric.weight || criterion.levels != rubric.levels {
                return Err(format!(
                    "{at}: criterion {:?} has weight {} and levels {:?} on the sheet, but {} and {:?} in the spec; make a new sheet with `assay review init`",
                    criterion.name, criterion.weight, criterion.levels, rubric.weight, rubric.levels
                ));
            }
            if sheet.criteria.iter().filter(|c| c.name == criterion.name).count() > 1 {
                return Err(format!("{at}: criterion {:?} is rated twice", criterion.name));
            }
            if !rubric.levels.contains(&criterion.level) {
                return Err(format!(
                    "{at}: criterion {:?} has level {:?}, which is not one of {:?}",
                    criterion.name, criterion.level, rubric.levels
                ));
            }
        }
        if let Some(missing) = report
            .rubric
            .iter()
            .find(|c| !sheet.criteria.iter().any(|s| s.name == c.criterion))
        {
            return Err(format!("{at}: criterion {:?} is not rated", missing.criterion));
        }
    }
    let mut criteria = Vec::new();
    let mut units: Vec<Vec<f64>> = Vec::new();
    for rubric in &report.rubric {
        let top = (rubric.levels.len().max(2) - 1) as f64;
        let mut ratings = Vec::new();
        let mut indices = Vec::new();
        for (_, sheet) in sheets {
            let rated = sheet
                .criteria
                .iter()
                .find(|c| c.name == rubric.criterion)
                .expect("checked above");
            let index = rubric.levels.iter().position(|l| *l == rated.level).unwrap_or(0);
            indices.push(index);
            // Comments are shown in reports: no control characters or direction overrides.
            ratings.push(Rating {
                reviewer: crate::text::terminal_safe(&sheet.review.reviewer),
                level: rated.level.clone(),
                comment: crate::text::plain(&rated.comment),
            });
        }
        let mean = indices.iter().map(|&i| i as f64 / top).sum::<f64>() / indices.len().max(1) as f64;
        let spread = indices.iter().max().unwrap_or(&0) - indices.iter().min().unwrap_or(&0);
        units.push(indices.iter().map(|&i| i as f64).collect());
        criteria.push(CriterionReview {
            criterion: rubric.criterion.clone(),
            weight: rubric.weight,
            levels: rubric.levels.clone(),
            ratings,
            mean,
            points: rubric.weight * mean,
            spread,
            disagreement: spread > 1,
        });
    }
    let rubric_points: f64 = criteria.iter().map(|c| c.points).sum();
    let rubric_max: f64 = criteria.iter().map(|c| c.weight).sum();
    let objective = report.score.unwrap_or(Score { total: 0.0, max: 0.0 });
    Ok(Review {
        reviewers,
        criteria,
        rubric_points,
        rubric_max,
        final_score: Score {
            total: objective.total + rubric_points,
            max: objective.max + rubric_max,
        },
        alpha: krippendorff_alpha_interval(&units),
    })
}

/// Krippendorff's alpha with the interval metric. Each unit holds the values its raters gave;
/// units with fewer than two values are not pairable. `None` when nothing varies.
pub fn krippendorff_alpha_interval(units: &[Vec<f64>]) -> Option<f64> {
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let n: usize = pairable.iter().map(|u| u.len()).sum();
    if n < 2 {
        return None;
    }
    let mut observed = 0.0;
    for unit in &pairable {
        let m = unit.len() as f64;
        let mut sum = 0.0;
        for (i, a) in unit.iter().enumerate() {
            for (j, b) in unit.iter().enumerate() {
                if i != j {
                    sum += (a - b) * (a - b);
                }
            }
        }
        observed += sum / (m - 1.0);
    }
    observed /= n as f64;
    let values: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
    let mut expected = 0.0;
    for (i, a) in values.iter().enumerate() {
        for (j, b) in values.iter().enumerate() {
            if i != j {
                expected += (a - b) * (a - b);
            }
        }
    }
    expected /= (n * (n - 1)) as f64;
    if expected == 0.0 {
        return None;
    }
    Some(1.0 - observed / expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_matches_krippendorffs_worked_example() {
        // Perfect agreement on varied values is 1; systematic disagreement is below 0.
        assert_eq!(
            krippendorff_alpha_interval(&[vec![1.0, 1.0], vec![2.0, 2.0], vec![3.0, 3.0]]),
            Some(1.0)
        );
        let alpha = krippendorff_alpha_interval(&[vec![1.0, 2.0], vec![2.0, 1.0]]).unwrap();
        assert!(alpha < 0.0, "{alpha}");
        assert_eq!(krippendorff_alpha_interval(&[vec![2.0, 2.0]]), None);
        // Two coders, five units, interval data.
        let units = [
            vec![1.0, 2.0],
            vec![2.0, 2.0],
            vec![3.0, 3.0],
            vec![0.0, 1.0],
            vec![2.0, 2.0],
        ];
        let alpha = krippendorff_alpha_interval(&units).unwrap();
        // By hand: D_o = 4/10, D_e = 152/90, so alpha = 1 - 0.4 / (152 / 90).
        assert!((alpha - 0.763157894736842).abs() < 1e-12, "{alpha}");
    }
}
