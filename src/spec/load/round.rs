//! `[similarity]` and `[round]`: what a round's similarity leaves out and compares against, and
//! the canary that tells whether a round's conditions held.

use super::*;

impl Checker<'_> {
    pub(super) fn similarity(&mut self, raw: &RawSpec) -> SimilaritySettings {
        let path = KeyPath::root().key("similarity");
        let section = &raw.similarity;
        let starter = match &section.starter {
            Some(value) => self.assignment_file(value, &path.key("starter"), PathKind::Any),
            None => self.real_dir.join("starter").is_dir().then(|| PathBuf::from("starter")),
        };
        let corpus = section.corpus.as_ref().and_then(|value| {
            let found = self.assignment_file(value, &path.key("corpus"), PathKind::Any)?;
            if self.real_dir.join(&found).is_dir() {
                Some(found)
            } else {
                self.fail(
                    &path.key("corpus"),
                    format!("{value:?} must be a folder of known solutions"),
                );
                None
            }
        });
        let threshold = match section.threshold {
            None => crate::similarity::DEFAULT_THRESHOLD,
            Some(t) if t > 0.0 && t <= 1.0 => t,
            Some(t) => {
                self.fail(
                    &path.key("threshold"),
                    format!("must be above 0 and at most 1, not {t}"),
                );
                crate::similarity::DEFAULT_THRESHOLD
            }
        };
        SimilaritySettings {
            starter,
            corpus,
            threshold,
        }
    }

    pub(super) fn round(&mut self, raw: &RawSpec) -> RoundSettings {
        let path = KeyPath::root().key("round");
        let drift = match raw.round.drift {
            None => DEFAULT_DRIFT,
            Some(d) if d > 0.0 && d.is_finite() => d,
            Some(d) => {
                self.fail(
                    &path.key("drift"),
                    format!("must be a share above 0 (0.25 is 25%), not {d}"),
                );
                DEFAULT_DRIFT
            }
        };
        RoundSettings {
            canary: raw.round.canary.unwrap_or(true),
            drift,
        }
    }
}
