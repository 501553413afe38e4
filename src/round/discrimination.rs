//! Which hidden tests and metric thresholds tell strong candidates from weak ones. For each, the
//! share of the round that passed it and its point-biserial correlation with the rest of the
//! score (the score without its own points, so an item is not correlated with itself). Items
//! nearly everyone passes or fails carry no signal; one that correlates negatively rewards
//! weaker work and is probably wrong.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Report, RunVerdict, TestStatus};

/// At or above this pass rate (or at or below one minus it), an item tells nobody apart.
pub const NEARLY_ALL: f64 = 0.95;
/// A correlation below this is flagged as negative (a little room for rounding noise).
pub const NEGATIVE: f64 = -0.05;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Test,
    Metric,
}

/// Why an item is worth an author's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    NearlyAllPass,
    NearlyAllFail,
    Negative,
}

impl Flag {
    pub fn explain(self) -> &'static str {
        match self {
            Flag::NearlyAllPass => "nearly everyone passes: no signal",
            Flag::NearlyAllFail => "nearly everyone fails: no signal",
            Flag::Negative => "weaker submissions pass it more often: likely wrong",
        }
    }
}

/// One hidden test or metric threshold across the round.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub name: String,
    pub kind: ItemKind,
    pub passed: usize,
    pub total: usize,
    pub pass_rate: f64,
    /// Point-biserial correlation of passing with the rest of the score; none when everyone
    /// passed, nobody did, or the rest of the score never varies.
    pub correlation: Option<f64>,
    pub flag: Option<Flag>,
}

/// One observation of an item: passed, and the score without the item's own points.
type Observation = (bool, f64);

/// Every hidden test and every metric with a threshold, over the reports that have a score
/// (refused submissions and harness failures say nothing about a test).
pub fn discrimination<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<Item> {
    let mut observed: BTreeMap<(ItemKind, String), Vec<Observation>> = BTreeMap::new();
    for report in reports {
        let Some(score) = report.score else { continue };
        if matches!(report.verdict, RunVerdict::InvalidSubmission | RunVerdict::HarnessError) {
            continue;
        }
        for test in &report.tests {
            let passed = test.status == TestStatus::Passed;
            let own = if passed { test.weight } else { 0.0 };
            observed
                .entry((ItemKind::Test, test.name.clone()))
                .or_default()
                .push((passed, score.total - own));
        }
        for metric in report.metrics.iter().filter(|m| m.pass_at.is_some()) {
            observed
                .entry((ItemKind::Metric, metric.name.clone()))
                .or_default()
                .push((metric.passed, score.total - metric.points));
        }
    }
    observed
        .into_iter()
        .map(|((kind, name), observations)| item(name, kind, &observations))
        .collect()
}

fn item(name: String, kind: ItemKind, observations: &[Observation]) -> Item {
    let total = observations.len();
    let passed = observations.iter().filter(|(p, _)| *p).count();
    let pass_rate = passed as f64 / total as f64;
    let correlation = point_biserial(observations);
    let flag = if pass_rate >= NEARLY_ALL {
        Some(Flag::NearlyAllPass)
    } else if pass_rate <= 1.0 - NEARLY_ALL {
        Some(Flag::NearlyAllFail)
    } else if correlation.is_some_and(|r| r < NEGATIVE) {
        Some(Flag::Negative)
    } else {
        None
    };
    Item {
        name,
        kind,
        passed,
        total,
        pass_rate,
        correlation,
        flag,
    }
}

/// Pearson's correlation between passing (1 or 0) and the rest of the score, which for a
/// two-valued variable is the point-biserial correlation.
pub fn point_biserial(observations: &[Observation]) -> Option<f64> {
    let n = observations.len() as f64;
    if n < 2.0 {
        return None;
    }
    let mean_x = observations.iter().filter(|(p, _)| *p).count() as f64 / n;
    let mean_y = observations.iter().map(|(_, y)| y).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (passed, y) in observations {
        let dx = if *passed { 1.0 } else { 0.0 } - mean_x;
        let dy = y - mean_y;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    // The rest of the score varies by rounding only: treat as constant.
    if sxx == 0.0 || syy <= 1e-12 * (1.0 + mean_y * mean_y) * n {
        return None;
    }
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_correlations() {
        // Passing goes with a higher rest of the score: perfectly.
        let perfect = [(true, 10.0), (true, 10.0), (false, 0.0), (false, 0.0)];
        assert!((point_biserial(&perfect).unwrap() - 1.0).abs() < 1e-12);
        let inverse = [(true, 0.0), (false, 10.0), (true, 0.0), (false, 10.0)];
        assert!((point_biserial(&inverse).unwrap() + 1.0).abs() < 1e-12);
        // Pearson of [1,1,0,1,0] and [3,4,1,2,2] (statistics.correlation) = 0.7205766921228921
        let mixed = [(true, 3.0), (true, 4.0), (false, 1.0), (true, 2.0), (false, 2.0)];
        assert!((point_biserial(&mixed).unwrap() - 0.7205766921228921).abs() < 1e-12);
        assert_eq!(point_biserial(&[(true, 1.0), (true, 2.0)]), None);
        assert_eq!(point_biserial(&[(true, 1.0), (false, 1.0)]), None);
        assert_eq!(point_biserial(&[(true, 1.0)]), None);
    }

    #[test]
    fn flags() {
        let all = vec![(true, 1.0); 20];
        assert_eq!(item("t".into(), ItemKind::Test, &all).flag, Some(Flag::NearlyAllPass));
        let mut nearly_none = vec![(false, 1.0); 19];
        nearly_none.push((true, 5.0));
        assert_eq!(
            item("t".into(), ItemKind::Test, &nearly_none).flag,
            Some(Flag::NearlyAllFail)
        );
        let inverse = [(true, 0.0), (false, 10.0), (true, 1.0), (false, 9.0)];
        let found = item("t".into(), ItemKind::Test, &inverse);
        assert_eq!(found.flag, Some(Flag::Negative));
        assert_eq!((found.passed, found.total, found.pass_rate), (2, 4, 0.5));
        let good = [(true, 9.0), (false, 1.0), (true, 8.0), (false, 2.0)];
        assert_eq!(item("t".into(), ItemKind::Test, &good).flag, None);
    }

    proptest::proptest! {
        #[test]
        fn a_correlation_is_between_minus_one_and_one(points in proptest::collection::vec((proptest::bool::ANY, -1e6f64..1e6), 0..50)) {
            if let Some(r) = point_biserial(&points) {
                proptest::prop_assert!((-1.0..=1.0).contains(&r));
            }
        }
    }
}
