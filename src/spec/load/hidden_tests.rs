//! `[[test_group]]` and `tests.lock`: how hidden tests are grouped, and which names are trusted.

use super::*;

impl Checker<'_> {
    pub(super) fn test_groups(&mut self, raw: &RawSpec) -> Vec<TestGroup> {
        let mut groups: Vec<TestGroup> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, g) in raw.test_groups.iter().enumerate() {
            let path = KeyPath::root().key("test_group").index(i);
            if g.name.trim().is_empty() {
                self.fail(&path.key("name"), "the group must have a name");
            } else if !names.insert(g.name.as_str()) {
                self.fail(
                    &path.key("name"),
                    format!("a test group named {:?} is declared twice", g.name),
                );
            }
            if !g.weight.is_finite() || g.weight < 0.0 {
                self.fail(&path.key("weight"), format!("must be zero or more, not {}", g.weight));
            }
            if let Some(share) = g.pass_at
                && !(0.0..=1.0).contains(&share)
            {
                self.fail(
                    &path.key("pass_at"),
                    format!("is the share of tests that must pass, 0 to 1, not {share}"),
                );
            }
            let patterns = match &g.patterns {
                RawPatterns::One(one) => vec![one.clone()],
                RawPatterns::Many(many) => many.clone(),
            };
            if patterns.is_empty() || patterns.iter().any(|p| p.is_empty()) {
                self.fail(
                    &path.key("match"),
                    "give one or more non-empty globs, e.g. \"test_edge_*\"",
                );
            }
            let visibility = self.visibility(g.visibility.as_deref(), &path.key("visibility"), Visibility::Hidden);
            groups.push(TestGroup {
                name: g.name.clone(),
                patterns,
                weight: g.weight,
                pass_at: g.pass_at,
                visibility,
                show_names: g.show_names.unwrap_or(false),
            });
        }
        groups
    }

    /// With `tests.lock`, every trusted test must fall in a declared group (first match wins;
    /// a test two groups match is named), and the lock must name JUnit phases. Without it, a
    /// JUnit phase is warned about: no test name can be trusted or shown.
    pub(super) fn check_test_names(&mut self, spec: &Spec) {
        let junit_phases = spec.junit_phases();
        let Some(names) = &spec.test_names else {
            if !junit_phases.is_empty() {
                self.warn(
                    &KeyPath::root(),
                    format!(
                        "no {}: hidden test names cannot be trusted, so no report shows them; `assay check` records them from the reference solution",
                        test_names::LOCK_FILE
                    ),
                );
            }
            return;
        };
        for phase in &junit_phases {
            if !names.phases.contains_key(*phase) {
                self.fail(
                    &KeyPath::root(),
                    format!(
                        "{} lists no tests of phase {phase:?}, so none of its results would be trusted; run `assay check` again",
                        test_names::LOCK_FILE
                    ),
                );
            }
        }
        for phase in names.phases.keys() {
            if !junit_phases.contains(&phase.as_str()) {
                self.fail(
                    &KeyPath::root(),
                    format!(
                        "{} lists tests of phase {phase:?}, which writes no JUnit file; run `assay check` again",
                        test_names::LOCK_FILE
                    ),
                );
            }
        }
        let declared = &spec.test_groups;
        let explicit = !(declared.len() == 1 && declared[0] == TestGroup::implicit());
        if !explicit {
            return;
        }
        let (mut unmatched, mut overlaps) = (Vec::new(), Vec::new());
        // A Gradescope phase scores its own tests; groups take JUnit tests only.
        let grouped = spec
            .phases
            .iter()
            .filter(|p| p.junit.is_some())
            .flat_map(|p| names.of(&p.name));
        for name in grouped {
            let matching: Vec<&TestGroup> = declared.iter().filter(|g| g.matches(name)).collect();
            match matching.as_slice() {
                [] => unmatched.push(name.as_str()),
                [_] => {}
                [first, others @ ..] => overlaps.push(format!(
                    "{} is counted in {:?}, also matched by {}",
                    crate::text::quoted(name, 120),
                    first.name,
                    others
                        .iter()
                        .map(|g| format!("{:?}", g.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        if !unmatched.is_empty() {
            let shown: Vec<String> = unmatched.iter().take(10).map(|n| crate::text::quoted(n, 120)).collect();
            let more = unmatched.len().saturating_sub(10);
            self.fail(
                &KeyPath::root().key("test_group"),
                format!(
                    "{} hidden test(s) match no group, so they would weigh nothing: {}{}; add them to a group or declare a catch-all group (match = \"*\")",
                    unmatched.len(),
                    shown.join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() }
                ),
            );
        }
        for overlap in overlaps.iter().take(10) {
            self.warn(
                &KeyPath::root().key("test_group"),
                format!("overlapping globs, first match wins: {overlap}"),
            );
        }
    }
}
