//! `[[scorer]]`: an author's own scoring program, run on the predictions and labels only.

use super::*;

impl Checker<'_> {
    pub(super) fn scorers(&mut self, raw: &RawSpec, phases: &[Phase], sandbox: &Sandbox) -> Vec<Scorer> {
        let mut scorers: Vec<Scorer> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, s) in raw.scorers.iter().enumerate() {
            let path = KeyPath::root().key("scorer").index(i);
            if !is_identifier(&s.name) {
                self.fail(
                    &path.key("name"),
                    format!(
                        "{:?} is not a valid scorer name: use lowercase letters, digits, '-' and '_'",
                        s.name
                    ),
                );
            } else if !names.insert(s.name.as_str()) {
                self.fail(
                    &path.key("name"),
                    format!("a scorer named {:?} is declared twice", s.name),
                );
            }
            if s.run.trim().is_empty() {
                self.fail(&path.key("run"), "the command to run must not be empty");
            }
            let timeout = self.duration(&s.timeout, &path.key("timeout"), sandbox.default_timeout);
            let predictions = self.output_ref(Some(&s.predictions), &path.key("predictions"), phases);
            let labels = self.assignment_file(&s.labels, &path.key("labels"), PathKind::File);
            let files = s
                .files
                .as_deref()
                .and_then(|f| self.assignment_file(f, &path.key("files"), PathKind::Any));
            if let (Some(predictions), Some(labels)) = (predictions, labels) {
                scorers.push(Scorer {
                    name: s.name.clone(),
                    run: s.run.clone(),
                    image: s.image.clone().unwrap_or_else(|| sandbox.image.clone()),
                    timeout,
                    predictions,
                    labels,
                    files,
                });
            }
        }
        scorers
    }
}
