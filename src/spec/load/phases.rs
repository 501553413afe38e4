//! `[[phase]]`: commands, inputs mounted read-only, outputs, JUnit files and services.

use super::*;

impl Checker<'_> {
    pub(super) fn phases(&mut self, raw: &[RawPhase], sandbox: &Sandbox, labels: &[LabelsFile]) -> Vec<Phase> {
        if raw.is_empty() {
            self.fail(
                &KeyPath::root(),
                "the spec declares no [[phase]]; at least one is needed",
            );
        }
        let mut phases: Vec<Phase> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, p) in raw.iter().enumerate() {
            let path = KeyPath::root().key("phase").index(i);
            if !is_identifier(&p.name) {
                self.fail(
                    &path.key("name"),
                    format!(
                        "{:?} is not a valid phase name: use lowercase letters, digits, '-' and '_'",
                        p.name
                    ),
                );
            } else if !names.insert(p.name.as_str()) {
                self.fail(
                    &path.key("name"),
                    format!("a phase named {:?} is declared twice", p.name),
                );
            }
            let timeout = self.duration(&p.timeout, &path.key("timeout"), sandbox.default_timeout);
            let notebook = self.notebook_phase(p, &path, timeout);
            let (run, service_command) = match &notebook {
                Some(notebook) => notebook_commands(notebook, timeout),
                None => (p.run.clone().unwrap_or_default(), p.service.clone()),
            };
            if notebook.is_none() && p.run.is_some() && run.trim().is_empty() {
                self.fail(&path.key("run"), "the command to run must not be empty");
            }
            let inputs = self.inputs(p, &path, &phases, labels);
            let mut outputs = Vec::new();
            if notebook.is_some() {
                outputs.push(crate::spec::EXECUTED_NOTEBOOK.to_string());
            }
            for (j, output) in p.outputs.iter().enumerate() {
                match check_output_path(output) {
                    Ok(()) => outputs.push(output.clone()),
                    Err(message) => self.fail(&path.key("outputs").index(j), message),
                }
            }
            let junit = match &p.junit {
                Some(junit) => match check_output_path(junit) {
                    Ok(()) => {
                        if !outputs.contains(junit) {
                            outputs.push(junit.clone());
                        }
                        Some(junit.clone())
                    }
                    Err(message) => {
                        self.fail(&path.key("junit"), message);
                        None
                    }
                },
                None => None,
            };
            let gradescope = match &p.gradescope {
                Some(results) => match check_output_path(results) {
                    Ok(()) if junit.is_some() => {
                        self.fail(
                            &path.key("gradescope"),
                            "a phase writes one kind of test results: junit or gradescope",
                        );
                        None
                    }
                    Ok(()) => {
                        if !outputs.contains(results) {
                            outputs.push(results.clone());
                        }
                        Some(results.clone())
                    }
                    Err(message) => {
                        self.fail(&path.key("gradescope"), message);
                        None
                    }
                },
                None => None,
            };
            if junit.is_some() && shadowable_pytest(&run) {
                self.warn(
                    &path.key("run"),
                    "`python3 -m pytest` puts the workspace first on sys.path, so a pytest.py the candidate ships would run instead and write the results; use `python3 -P -m pytest`",
                );
            }
            let expected_tests = p
                .expected_tests
                .map(|n| self.positive(Some(n), &path.key("expected_tests"), 1, bounds::MAX_TESTS) as u64);
            if expected_tests.is_some() && junit.is_none() && gradescope.is_none() {
                self.fail(
                    &path.key("expected_tests"),
                    "counts the tests of a JUnit file: set junit = \"/out/junit.xml\" too",
                );
            }
            let service = match &service_command {
                Some(service) if service.trim().is_empty() => {
                    self.fail(&path.key("service"), "the service command must not be empty");
                    None
                }
                Some(service) => {
                    // Results must be where only the trusted client can write.
                    if let Some((j, outside)) = outputs.iter().enumerate().find(|(_, o)| !o.starts_with("/out/")) {
                        // The executed notebook comes first, the JUnit file last.
                        let j = j.saturating_sub(notebook.is_some() as usize);
                        let key = if j < p.outputs.len() {
                            path.key("outputs").index(j)
                        } else {
                            path.key("junit")
                        };
                        self.fail(
                            &key,
                            format!(
                                "{outside:?}: a phase with a service keeps its results in /out, which only `run` can write; the workspace belongs to the candidate"
                            ),
                        );
                    }
                    if runs_python_without_isolation(&run) {
                        self.warn(
                            &path.key("run"),
                            "the client runs beside the candidate's service: start trusted Python as `python3 -I` (isolated: no user site, no PYTHON* variables, not the working folder), so nothing the service plants can load into it",
                        );
                    }
                    Some(service.clone())
                }
                None => None,
            };
            let ok_exit_codes = match &p.ok_exit_codes {
                Some(codes) if codes.is_empty() => {
                    self.fail(&path.key("ok_exit_codes"), "list at least one exit code");
                    vec![0]
                }
                Some(codes) => codes.clone(),
                // A test runner exits 1 when tests fail; the JUnit file still holds the results.
                None if junit.is_some() || gradescope.is_some() => vec![0, 1],
                None => vec![0],
            };
            phases.push(Phase {
                name: p.name.clone(),
                run,
                timeout,
                inputs,
                outputs,
                junit,
                gradescope,
                expected_tests,
                ok_exit_codes,
                service,
                notebook,
            });
        }
        phases
    }

    /// `notebook = "PATH"`: checked, with its cell timeout and claims tolerance; the keys a
    /// notebook phase sets itself (`run`, `service`, `junit`) refused beside it.
    fn notebook_phase(&mut self, p: &RawPhase, path: &KeyPath, timeout: Duration) -> Option<NotebookPhase> {
        let Some(notebook) = &p.notebook else {
            for (key, present) in [
                ("cell_timeout", p.cell_timeout.is_some()),
                ("claims_tolerance", p.claims_tolerance.is_some()),
            ] {
                if present {
                    self.fail(
                        &path.key(key),
                        format!("{key} is for a notebook phase: set notebook = \"PATH.ipynb\""),
                    );
                }
            }
            if p.run.is_none() {
                self.fail(path, "a phase needs run = \"COMMAND\" (or notebook = \"PATH.ipynb\")");
            }
            return None;
        };
        for (key, present) in [
            ("run", p.run.is_some()),
            ("service", p.service.is_some()),
            ("junit", p.junit.is_some()),
            ("gradescope", p.gradescope.is_some()),
        ] {
            if present {
                self.fail(
                    &path.key(key),
                    format!("a notebook phase runs the notebook itself; leave out {key}"),
                );
            }
        }
        let safe = |c: char| c.is_ascii_alphanumeric() || "._-/ ".contains(c);
        let relative = std::path::Path::new(notebook);
        let ok = notebook.ends_with(".ipynb")
            && notebook.chars().all(safe)
            && relative
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !ok {
            self.fail(
                &path.key("notebook"),
                format!("{notebook:?} is not a notebook path in the submission: give a relative path ending in .ipynb, of letters, digits, spaces and ._-/"),
            );
        }
        let cell_timeout = self.duration(&p.cell_timeout, &path.key("cell_timeout"), timeout);
        let tolerance = match p.claims_tolerance {
            Some(t) if !t.is_finite() || t < 0.0 => {
                self.fail(&path.key("claims_tolerance"), format!("must be zero or more, not {t}"));
                0.0
            }
            Some(t) => t,
            None => crate::spec::DEFAULT_CLAIMS_TOLERANCE,
        };
        ok.then(|| NotebookPhase {
            path: notebook.clone(),
            cell_timeout: cell_timeout.min(timeout),
            tolerance,
        })
    }

    pub(super) fn inputs(
        &mut self,
        phase: &RawPhase,
        path: &KeyPath,
        earlier: &[Phase],
        labels: &[LabelsFile],
    ) -> Vec<Input> {
        let mut inputs = Vec::new();
        for (mount, source) in &phase.inputs {
            let here = path.key("inputs").key(mount);
            if let Err(message) = check_mount(mount) {
                self.fail(&here, message);
                continue;
            }
            let source = if let Some(reference) = parse_output_ref(source) {
                match earlier.iter().find(|p| p.name == reference.phase) {
                    Some(p) if p.outputs.contains(&reference.path) => Source::PhaseOutput(reference),
                    Some(_) => {
                        self.fail(
                            &here,
                            format!("phase {:?} declares no output {:?}", reference.phase, reference.path),
                        );
                        continue;
                    }
                    None => {
                        self.fail(
                            &here,
                            format!("reads {reference}, but no earlier phase is named {:?}", reference.phase),
                        );
                        continue;
                    }
                }
            } else {
                let relative = match self.assignment_file(source, &here, PathKind::Any) {
                    Some(relative) => relative,
                    None => continue,
                };
                if phase.name == "build" && relative.starts_with("hidden") {
                    self.fail(
                        &here,
                        "the build phase never sees hidden files; give them to a later phase",
                    );
                    continue;
                }
                if let Some(label) = labels.iter().find(|l| l.relative.starts_with(&relative)) {
                    self.fail(
                        &here,
                        format!(
                            "{} holds the hidden labels {}; labels never enter a container that runs candidate code",
                            relative.display(),
                            label.relative.display()
                        ),
                    );
                    continue;
                }
                match copy_of_labels(&self.real_dir.join(&relative), labels) {
                    Ok(None) => {}
                    Ok(Some((file, label))) => {
                        self.fail(
                            &here,
                            format!(
                                "{} has the same content as the hidden labels {}; labels never enter a container that runs candidate code",
                                file.strip_prefix(self.real_dir).unwrap_or(&file).display(),
                                label.display()
                            ),
                        );
                        continue;
                    }
                    Err(message) => {
                        self.fail(&here, message);
                        continue;
                    }
                }
                Source::Assignment(relative)
            };
            inputs.push(Input {
                mount: mount.clone(),
                source,
            });
        }
        inputs
    }
}

/// Folders a phase input may not be mounted over: the system and the writable areas.
pub(super) const RESERVED_MOUNTS: &[&str] = &[
    "bin",
    "boot",
    "dev",
    "etc",
    "home",
    "lib",
    "lib32",
    "lib64",
    "libx32",
    "opt",
    "out",
    "proc",
    "root",
    "run",
    "sbin",
    "srv",
    "sys",
    "tmp",
    "usr",
    "var",
    "workspace",
];

pub(super) fn normal_absolute(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    let clean = parts.iter().all(|p| !p.is_empty() && *p != "." && *p != "..");
    clean.then_some(parts)
}

pub(super) fn check_mount(mount: &str) -> Result<(), String> {
    let parts =
        normal_absolute(mount).ok_or_else(|| format!("{mount:?} must be a clean absolute path such as \"/data\""))?;
    if RESERVED_MOUNTS.contains(&parts[0]) {
        return Err(format!(
            "{mount:?} would cover /{}, which the sandbox needs; use e.g. \"/data\"",
            parts[0]
        ));
    }
    Ok(())
}

/// True when a command starts Python without `-I`.
pub(super) fn runs_python_without_isolation(run: &str) -> bool {
    let words: Vec<&str> = run.split_whitespace().collect();
    words.iter().enumerate().any(|(i, word)| {
        let program = word.rsplit('/').next().unwrap_or(word);
        let python = program == "python" || program.starts_with("python3");
        python
            && !words[i + 1..]
                .iter()
                .take_while(|w| w.starts_with('-'))
                .any(|w| *w == "-I" || (w.starts_with('-') && !w.starts_with("--") && w.contains('I')))
    })
}

/// True when the command runs pytest as a module without -P (or PYTHONSAFEPATH).
pub(super) fn shadowable_pytest(run: &str) -> bool {
    run.contains("-m pytest") && !run.contains(" -P ") && !run.contains("PYTHONSAFEPATH")
}

pub(super) fn check_output_path(output: &str) -> Result<(), String> {
    let parts = normal_absolute(output).ok_or_else(|| format!("{output:?} must be a clean absolute path"))?;
    if parts.len() < 2 || !matches!(parts[0], "workspace" | "out") {
        return Err(format!(
            "{output:?} must be a file under /workspace or /out, the writable areas"
        ));
    }
    Ok(())
}

/// The commands of a notebook phase: the runner as `run` (the grader's user), the kernel as
/// the candidate's service. The runner stops short of the phase's timeout so the executed
/// notebook is written even when the candidate's cells use all the time.
fn notebook_commands(notebook: &NotebookPhase, timeout: Duration) -> (String, Option<String>) {
    let margin = (timeout / 10).min(Duration::from_secs(10));
    let run = format!(
        "python3 -I {runner} run '/workspace/{path}' {out} --cell-timeout {cell} --deadline {deadline}",
        runner = crate::spec::NOTEBOOK_RUNNER,
        path = notebook.path,
        out = crate::spec::EXECUTED_NOTEBOOK,
        cell = notebook.cell_timeout.as_secs_f64(),
        deadline = (timeout - margin).as_secs_f64(),
    );
    let kernel = format!(
        "python3 -I {} kernel /tmp/assay-kernel.json",
        crate::spec::NOTEBOOK_RUNNER
    );
    (run, Some(kernel))
}
