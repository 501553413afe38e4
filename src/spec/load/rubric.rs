//! `[[rubric]]`: the criteria reviewers score by hand.

use super::*;

impl Checker<'_> {
    pub(super) fn rubric(&mut self, raw: &RawSpec) -> Vec<Criterion> {
        let mut rubric = Vec::new();
        for (i, c) in raw.rubric.iter().enumerate() {
            let path = KeyPath::root().key("rubric").index(i);
            if c.criterion.trim().is_empty() {
                self.fail(&path.key("criterion"), "the criterion must have a name");
            }
            if !c.weight.is_finite() || c.weight < 0.0 {
                self.fail(&path.key("weight"), format!("must be zero or more, not {}", c.weight));
            }
            if c.levels.is_empty() {
                self.fail(&path.key("levels"), "list at least one level");
            }
            rubric.push(Criterion {
                criterion: c.criterion.clone(),
                weight: c.weight,
                levels: c.levels.clone(),
                guidance: c.guidance.clone().unwrap_or_default(),
            });
        }
        let mut seen = BTreeMap::new();
        for (i, c) in raw.rubric.iter().enumerate() {
            if seen.insert(c.criterion.clone(), i).is_some() {
                let path = KeyPath::root().key("rubric").index(i).key("criterion");
                self.fail(&path, format!("criterion {:?} is listed twice", c.criterion));
            }
        }
        rubric
    }

    pub(super) fn review_settings(&mut self, raw: &RawSpec) -> ReviewSettings {
        let mut settings = ReviewSettings::default();
        if let Some(blind) = raw.review.blind {
            settings.blind = blind;
        }
        if let Some(k) = raw.review.reviewers {
            if (1..=20).contains(&k) {
                settings.reviewers = k as u32;
            } else {
                let path = KeyPath::root().key("review").key("reviewers");
                self.fail(&path, format!("must be from 1 to 20, not {k}"));
            }
        }
        settings
    }
}
