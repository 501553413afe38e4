//! Rubric review: a TOML sheet per reviewer, merged into the grade with the spec's weights,
//! with agreement between reviewers (per criterion, and Krippendorff's alpha).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exit::{Exit, input_error};
use crate::report::{Report, Score};

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

/// The merged review in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub reviewers: Vec<String>,
    pub criteria: Vec<CriterionReview>,
    pub rubric_points: f64,
    pub rubric_max: f64,
    /// Objective score plus rubric points, over both maxima.
    pub final_score: Score,
    /// Krippendorff's alpha (interval) over all criteria; absent with one reviewer or no variation.
    pub alpha: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionReview {
    pub criterion: String,
    pub weight: f64,
    pub levels: Vec<String>,
    pub ratings: Vec<Rating>,
    /// Mean level as a share of the top level, 0..1.
    pub mean: f64,
    pub points: f64,
    /// The largest difference between two reviewers, in levels.
    pub spread: usize,
    /// Reviewers differ by more than one level.
    pub disagreement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub reviewer: String,
    pub level: String,
    pub comment: String,
}

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.total == other.total && self.max == other.max
    }
}

/// The blank sheet for one reviewer of one report.
pub fn blank_sheet(report: &Report, reviewer: &str) -> String {
    let mut text = format!(
        "# Rubric review of {} ({}) for the assignment {}.\n# For each criterion set `level` to one of its levels, and say why in `comment`.\n\n",
        report.submission.name.replace(['\n', '\r'], " "),
        &report.submission.sha256[..16.min(report.submission.sha256.len())],
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
                short(&sheet.review.submission),
                short(&report.submission.sha256)
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
                comment: crate::text::strip_ansi(&rated.comment),
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

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(16)]
}

fn read_report(path: &Path) -> anyhow::Result<Report> {
    let text =
        std::fs::read_to_string(path).map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| input_error(format!("{} is not an assay report: {e}", path.display())))
}

/// `assay review init`.
pub fn init(report_path: &Path, reviewer: &str, out: Option<PathBuf>) -> anyhow::Result<Exit> {
    let report = read_report(report_path)?;
    if report.rubric.is_empty() {
        return Err(input_error(format!(
            "the assignment {} has no [[rubric]] criteria",
            report.assignment.id
        )));
    }
    let safe: String = reviewer
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let path = out.unwrap_or_else(|| report_path.with_file_name(format!("review-{safe}.toml")));
    if path.exists() {
        return Err(input_error(format!(
            "{} exists already; a sheet is never overwritten",
            path.display()
        )));
    }
    std::fs::write(&path, blank_sheet(&report, reviewer))?;
    println!("{}", path.display());
    Ok(Exit::Success)
}

/// `assay review merge`: writes the review into the report and renders it again.
pub fn merge_command(report_path: &Path, sheet_paths: &[PathBuf]) -> anyhow::Result<Exit> {
    let mut report = read_report(report_path)?;
    let mut sheets = Vec::new();
    for path in sheet_paths {
        let text =
            std::fs::read_to_string(path).map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
        let sheet: Sheet = toml::from_str(&text).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
        sheets.push((path.clone(), sheet));
    }
    let review = merge(&report, &sheets).map_err(input_error)?;
    println!(
        "final grade {:.2}/{:.2} (objective {:.2}/{:.2}, rubric {:.2}/{:.2}) from {} reviewer(s)",
        review.final_score.total,
        review.final_score.max,
        report.score.map(|s| s.total).unwrap_or(0.0),
        report.score.map(|s| s.max).unwrap_or(0.0),
        review.rubric_points,
        review.rubric_max,
        review.reviewers.len()
    );
    for criterion in review.criteria.iter().filter(|c| c.disagreement) {
        let levels: Vec<String> = criterion
            .ratings
            .iter()
            .map(|r| format!("{} {}", r.reviewer, r.level))
            .collect();
        println!(
            "  reviewers disagree on {:?}: {}",
            criterion.criterion,
            levels.join(", ")
        );
    }
    if let Some(alpha) = review.alpha {
        println!("  Krippendorff's alpha over the criteria: {alpha:.3}");
    }
    if let Some(earlier) = &report.review {
        println!(
            "  replaces the review merged earlier from {} ({:.2}/{:.2})",
            earlier
                .reviewers
                .iter()
                .map(|r| crate::text::terminal_safe(r))
                .collect::<Vec<_>>()
                .join(", "),
            earlier.final_score.total,
            earlier.final_score.max
        );
    }
    report.review = Some(review);
    let dir = report_path.parent().unwrap_or(Path::new("."));
    crate::report::write_all(dir, &report)?;
    Ok(Exit::Success)
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
