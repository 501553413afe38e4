//! How far reviewers of one assignment agree: Krippendorff's alpha per criterion and overall
//! (the interval metric `assay review merge` uses), the criteria they differ on most, each
//! reviewer's mean offset from the others (leniency), and the submissions to discuss.

use std::collections::BTreeMap;

use crate::grade::review::krippendorff_alpha_interval;
use crate::spec::Criterion;

/// One submitted review: who, and the level index they gave each criterion (by rubric order;
/// `None` where the level is not one of the criterion's).
#[derive(Debug, Clone)]
pub struct Scored {
    pub submission: String,
    pub reviewer: String,
    pub levels: Vec<Option<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CriterionAgreement {
    pub criterion: String,
    pub alpha: Option<f64>,
    /// Mean over submissions with two reviews or more of the widest gap, in levels.
    pub mean_spread: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leniency {
    pub reviewer: String,
    /// Mean of (their level minus the others' mean level), in levels: above zero is lenient.
    pub offset: f64,
    /// How many ratings it is computed from.
    pub ratings: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub overall_alpha: Option<f64>,
    /// Widest disagreement first.
    pub criteria: Vec<CriterionAgreement>,
    pub leniency: Vec<Leniency>,
    /// Submissions where two reviewers differ by more than one level on some criterion, with
    /// those criteria.
    pub flagged: Vec<(String, Vec<String>)>,
}

pub fn agreement(rubric: &[Criterion], reviews: &[Scored]) -> Agreement {
    let mut by_submission: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for review in reviews {
        by_submission
            .entry(review.submission.as_str())
            .or_default()
            .push(review);
    }
    let levels_of = |group: &[&Scored], c: usize| -> Vec<(String, f64)> {
        group
            .iter()
            .filter_map(|r| {
                r.levels
                    .get(c)
                    .copied()
                    .flatten()
                    .map(|l| (r.reviewer.clone(), l as f64))
            })
            .collect()
    };
    let mut all_units = Vec::new();
    let mut criteria = Vec::new();
    for (c, criterion) in rubric.iter().enumerate() {
        let mut units = Vec::new();
        let mut spreads = Vec::new();
        for group in by_submission.values() {
            let values: Vec<f64> = levels_of(group, c).into_iter().map(|(_, l)| l).collect();
            if values.len() >= 2 {
                let max = values.iter().cloned().fold(f64::MIN, f64::max);
                let min = values.iter().cloned().fold(f64::MAX, f64::min);
                spreads.push(max - min);
            }
            units.push(values);
        }
        all_units.extend(units.iter().cloned());
        criteria.push(CriterionAgreement {
            criterion: criterion.criterion.clone(),
            alpha: krippendorff_alpha_interval(&units),
            mean_spread: if spreads.is_empty() {
                0.0
            } else {
                spreads.iter().sum::<f64>() / spreads.len() as f64
            },
        });
    }
    criteria.sort_by(|a, b| {
        b.mean_spread
            .total_cmp(&a.mean_spread)
            .then(a.criterion.cmp(&b.criterion))
    });

    let mut offsets: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut flagged = Vec::new();
    for (submission, group) in &by_submission {
        let mut wide = Vec::new();
        for (c, criterion) in rubric.iter().enumerate() {
            let rated = levels_of(group, c);
            if rated.len() < 2 {
                continue;
            }
            let total: f64 = rated.iter().map(|(_, l)| l).sum();
            for (reviewer, level) in &rated {
                let others = (total - level) / (rated.len() - 1) as f64;
                offsets.entry(reviewer.clone()).or_default().push(level - others);
            }
            let max = rated.iter().map(|(_, l)| *l).fold(f64::MIN, f64::max);
            let min = rated.iter().map(|(_, l)| *l).fold(f64::MAX, f64::min);
            if max - min > 1.0 {
                wide.push(criterion.criterion.clone());
            }
        }
        if !wide.is_empty() {
            flagged.push((submission.to_string(), wide));
        }
    }
    let leniency = offsets
        .into_iter()
        .map(|(reviewer, list)| Leniency {
            reviewer,
            offset: list.iter().sum::<f64>() / list.len() as f64,
            ratings: list.len(),
        })
        .collect();
    Agreement {
        overall_alpha: krippendorff_alpha_interval(&all_units),
        criteria,
        leniency,
        flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(name: &str) -> Criterion {
        Criterion {
            criterion: name.into(),
            weight: 1.0,
            levels: vec!["0".into(), "1".into(), "2".into(), "3".into()],
            guidance: String::new(),
        }
    }

    fn scored(submission: &str, reviewer: &str, levels: &[usize]) -> Scored {
        Scored {
            submission: submission.into(),
            reviewer: reviewer.into(),
            levels: levels.iter().map(|&l| Some(l)).collect(),
        }
    }

    #[test]
    fn a_lenient_reviewer_and_a_wide_gap_are_found() {
        let rubric = [criterion("code"), criterion("writing")];
        let reviews = [
            scored("s1", "ann", &[3, 2]),
            scored("s1", "bob", &[1, 2]),
            scored("s2", "ann", &[2, 1]),
            scored("s2", "bob", &[1, 1]),
        ];
        let found = agreement(&rubric, &reviews);
        // ann rates code 2 and 1 levels above bob, writing the same: +0.75 on average.
        let ann = found.leniency.iter().find(|l| l.reviewer == "ann").unwrap();
        assert_eq!((ann.offset, ann.ratings), (0.75, 4));
        let bob = found.leniency.iter().find(|l| l.reviewer == "bob").unwrap();
        assert_eq!(bob.offset, -0.75);
        assert_eq!(found.criteria[0].criterion, "code");
        assert_eq!(found.criteria[0].mean_spread, 1.5);
        assert_eq!(found.flagged, vec![("s1".to_string(), vec!["code".to_string()])]);
    }

    #[test]
    fn perfect_agreement_has_alpha_one() {
        let rubric = [criterion("code")];
        let reviews = [
            scored("s1", "ann", &[3]),
            scored("s1", "bob", &[3]),
            scored("s2", "ann", &[0]),
            scored("s2", "bob", &[0]),
        ];
        let found = agreement(&rubric, &reviews);
        assert_eq!(found.overall_alpha, Some(1.0));
        assert!(found.flagged.is_empty());
    }
}
