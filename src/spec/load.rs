//! Reading `assignment.toml`: parse into the raw model, then check it and build a `Spec`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::diagnostic::{KeyPath, Locator, SpecError};
use super::raw::{RawMetric, RawPatterns, RawPhase, RawSpec};
use super::*;
use super::{Direction, MetricSource, Visibility, test_names};
use crate::units::{parse_duration, parse_size};

pub const SPEC_FILE: &str = "assignment.toml";

/// Folders a phase input may not be mounted over: the system and the writable areas.
const RESERVED_MOUNTS: &[&str] = &[
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

/// The largest spec read: a real one is a few KiB.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// `load` for a command about to grade: every problem becomes one input error (exit 2) that
/// lists them, one per line.
pub fn load_valid(dir: &Path) -> anyhow::Result<Spec> {
    load(dir).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        crate::exit::input_error(format!("the assignment spec is invalid:\n{}", lines.join("\n")))
    })
}

/// Loads and validates the spec of the assignment in `dir`, returning every problem found.
pub fn load(dir: &Path) -> Result<Spec, Vec<SpecError>> {
    let file = dir.join(SPEC_FILE);
    let whole_file = |message: String| {
        vec![SpecError {
            file: file.clone(),
            line: 1,
            column: 1,
            key: String::new(),
            message,
        }]
    };
    let source = read_spec(&file).map_err(whole_file)?;
    let real_dir =
        std::fs::canonicalize(dir).map_err(|e| whole_file(format!("cannot resolve the assignment folder: {e}")))?;
    let locator = Locator::new(&file, &source);
    let raw = parse(&source, &locator).map_err(|e| vec![e])?;
    let mut checker = Checker {
        dir,
        real_dir: &real_dir,
        locator: &locator,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    // The trusted test names change how a grade reads results, so they are part of its hash.
    let lock = test_names::read(dir).map_err(|message| {
        vec![SpecError {
            file: dir.join(test_names::LOCK_FILE),
            line: 1,
            column: 1,
            key: String::new(),
            message,
        }]
    })?;
    let mut hasher = Sha256::new();
    hasher.update(source.as_bytes());
    if let Some((text, _)) = &lock {
        hasher.update(text.as_bytes());
    }
    let mut spec = checker.spec(raw, hex::encode(hasher.finalize()));
    spec.test_names = lock.map(|(_, names)| names);
    checker.check_test_names(&spec);
    spec.warnings = checker.warnings;
    if checker.errors.is_empty() {
        Ok(spec)
    } else {
        Err(checker.errors)
    }
}

/// The spec's text: a regular file (not a FIFO or a device), at most `MAX_SPEC_BYTES`, UTF-8.
fn read_spec(file: &Path) -> Result<String, String> {
    use std::io::Read;
    let metadata = std::fs::metadata(file).map_err(|e| format!("cannot read the spec: {e}"))?;
    if !metadata.is_file() {
        return Err("the spec is not a regular file".to_string());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read the spec: {e}"))?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(format!(
            "the spec is larger than {}",
            crate::units::format_size(MAX_SPEC_BYTES)
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("the spec is not UTF-8 text: {e}"))
}

fn parse(source: &str, locator: &Locator) -> Result<RawSpec, SpecError> {
    let deserializer = match toml::Deserializer::parse(source) {
        Ok(deserializer) => deserializer,
        Err(e) => return Err(toml_error(&e, String::new(), locator)),
    };
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let key = if key == "." { String::new() } else { key };
        toml_error(&inner, key, locator)
    })
}

fn toml_error(error: &toml::de::Error, key: String, locator: &Locator) -> SpecError {
    let offset = error.span().map(|s| s.start).unwrap_or(0);
    locator.error_at(offset, key, error.message().trim().to_string())
}

/// Builds a `Spec` from the raw model, collecting every problem instead of stopping at the first.
struct Checker<'a> {
    dir: &'a Path,
    /// The assignment folder with every link resolved: spec paths must stay inside it.
    real_dir: &'a Path,
    locator: &'a Locator<'a>,
    errors: Vec<SpecError>,
    warnings: Vec<SpecError>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.errors.push(self.locator.error(path, message));
    }

    fn warn(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.warnings.push(self.locator.error(path, message));
    }

    fn spec(&mut self, raw: RawSpec, sha256: String) -> Spec {
        let root = KeyPath::root();
        let assignment = root.key("assignment");
        if !is_identifier(&raw.assignment.id) {
            self.fail(
                &assignment.key("id"),
                format!(
                    "{:?} is not a valid id: use lowercase letters, digits, '-' and '_'",
                    raw.assignment.id
                ),
            );
        }
        if raw.assignment.title.trim().is_empty() {
            self.fail(&assignment.key("title"), "the title must not be empty");
        }
        let sandbox = self.sandbox(&raw);
        let intake = self.intake(&raw);
        let labels = self.labels(&raw);
        let phases = self.phases(&raw.phases, &sandbox, &labels);
        let scorers = self.scorers(&raw, &phases, &sandbox);
        let metrics = raw
            .metrics
            .iter()
            .enumerate()
            .filter_map(|(i, m)| self.metric(m, &root.key("metric").index(i), &phases, &scorers))
            .collect();
        let mut test_groups = self.test_groups(&raw);
        let junit = phases.iter().any(|p| p.junit.is_some());
        if !test_groups.is_empty() && !junit {
            self.fail(
                &KeyPath::root().key("test_group").index(0),
                "test groups need a phase with junit = \"/out/junit.xml\"",
            );
        }
        if test_groups.is_empty() && junit {
            test_groups.push(TestGroup::implicit());
        }
        let reproducibility = self.reproducibility(&raw);
        let rubric = self.rubric(&raw);
        Spec {
            dir: self.dir.to_path_buf(),
            sha256,
            id: raw.assignment.id,
            title: raw.assignment.title,
            version: raw.assignment.version.unwrap_or_else(|| "1".to_string()),
            sandbox,
            intake,
            phases,
            metrics,
            scorers,
            test_groups,
            test_names: None,
            reproducibility,
            rubric,
            warnings: Vec::new(),
        }
    }

    /// With `tests.lock`, every trusted test must fall in a declared group (first match wins;
    /// a test two groups match is named), and the lock must name JUnit phases. Without it, a
    /// JUnit phase is warned about: no test name can be trusted or shown.
    fn check_test_names(&mut self, spec: &Spec) {
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
        for name in names.all() {
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

    /// A size within `bounds` (what the engine and the host accept).
    fn size(&mut self, value: &Option<String>, path: &KeyPath, default: u64, bounds: (u64, u64)) -> u64 {
        let (min, max) = bounds;
        match value.as_deref().map(parse_size) {
            None => default,
            Some(Ok(bytes)) if (min..=max).contains(&bytes) => bytes,
            Some(Ok(_)) => {
                self.fail(
                    path,
                    format!(
                        "must be from {} to {}",
                        crate::units::format_size(min),
                        crate::units::format_size(max)
                    ),
                );
                default
            }
            Some(Err(message)) => {
                self.fail(path, message);
                default
            }
        }
    }

    /// A duration of at most `MAX_DURATION`, so deadlines never overflow.
    fn duration(
        &mut self,
        value: &Option<String>,
        path: &KeyPath,
        default: std::time::Duration,
    ) -> std::time::Duration {
        match value.as_deref().map(parse_duration) {
            None => default,
            Some(Ok(duration)) if duration <= bounds::MAX_DURATION => duration,
            Some(Ok(_)) => {
                self.fail(path, "must be at most 24h");
                default
            }
            Some(Err(message)) => {
                self.fail(path, message);
                default
            }
        }
    }

    /// A whole number from 1 to `max`.
    fn positive(&mut self, value: Option<i64>, path: &KeyPath, default: i64, max: i64) -> i64 {
        match value {
            None => default,
            Some(n) if (1..=max).contains(&n) => n,
            Some(n) => {
                self.fail(path, format!("must be from 1 to {max}, not {n}"));
                default
            }
        }
    }

    fn sandbox(&mut self, raw: &RawSpec) -> Sandbox {
        let path = KeyPath::root().key("sandbox");
        let s = &raw.sandbox;
        const MIB: u64 = 1024 * 1024;
        let cpus = match s.cpus {
            None => 1.0,
            Some(c) if (bounds::MIN_CPUS..=bounds::MAX_CPUS).contains(&c) => c,
            Some(c) => {
                self.fail(
                    &path.key("cpus"),
                    format!("must be from {} to {}, not {c}", bounds::MIN_CPUS, bounds::MAX_CPUS),
                );
                1.0
            }
        };
        let image = s.image.clone().unwrap_or_else(|| "assay/python-ml".to_string());
        if image.trim().is_empty() {
            self.fail(&path.key("image"), "the image name must not be empty");
        }
        Sandbox {
            image,
            memory_bytes: self.size(&s.memory, &path.key("memory"), 1024 * MIB, bounds::MEMORY),
            cpus,
            pids: self.positive(s.pids, &path.key("pids"), 256, bounds::MAX_PIDS),
            output_limit_bytes: self.size(&s.output_limit, &path.key("output_limit"), MIB, bounds::OUTPUT),
            workspace_bytes: self.size(&s.workspace_size, &path.key("workspace_size"), 256 * MIB, bounds::AREA),
            tmp_bytes: self.size(&s.tmp_size, &path.key("tmp_size"), 64 * MIB, bounds::AREA),
            file_size_bytes: self.size(&s.file_size, &path.key("file_size"), 128 * MIB, bounds::AREA),
            open_files: self.positive(s.open_files, &path.key("open_files"), 1024, bounds::MAX_OPEN_FILES) as u64,
            default_timeout: self.duration(&s.timeout, &path.key("timeout"), std::time::Duration::from_secs(300)),
        }
    }

    fn intake(&mut self, raw: &RawSpec) -> IntakeLimits {
        let path = KeyPath::root().key("intake");
        let i = &raw.intake;
        IntakeLimits {
            max_entries: self.positive(i.max_entries, &path.key("max_entries"), 10_000, bounds::MAX_ENTRIES) as u64,
            max_bytes: self.size(&i.max_bytes, &path.key("max_bytes"), 100 * 1024 * 1024, bounds::AREA),
            max_depth: self.positive(i.max_depth, &path.key("max_depth"), 32, bounds::MAX_DEPTH) as usize,
            max_name_length: self.positive(i.max_name_length, &path.key("max_name_length"), 255, 255) as usize,
        }
    }

    fn phases(&mut self, raw: &[RawPhase], sandbox: &Sandbox, labels: &[LabelsFile]) -> Vec<Phase> {
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
            if p.run.trim().is_empty() {
                self.fail(&path.key("run"), "the command to run must not be empty");
            }
            let timeout = self.duration(&p.timeout, &path.key("timeout"), sandbox.default_timeout);
            let inputs = self.inputs(p, &path, &phases, labels);
            let mut outputs = Vec::new();
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
            if junit.is_some() && shadowable_pytest(&p.run) {
                self.warn(
                    &path.key("run"),
                    "`python3 -m pytest` puts the workspace first on sys.path, so a pytest.py the candidate ships would run instead and write the results; use `python3 -P -m pytest`",
                );
            }
            let expected_tests = p
                .expected_tests
                .map(|n| self.positive(Some(n), &path.key("expected_tests"), 1, bounds::MAX_TESTS) as u64);
            if expected_tests.is_some() && junit.is_none() {
                self.fail(
                    &path.key("expected_tests"),
                    "counts the tests of a JUnit file: set junit = \"/out/junit.xml\" too",
                );
            }
            let service = match &p.service {
                Some(service) if service.trim().is_empty() => {
                    self.fail(&path.key("service"), "the service command must not be empty");
                    None
                }
                Some(service) => {
                    // Results must be where only the trusted client can write.
                    if let Some((j, outside)) = outputs.iter().enumerate().find(|(_, o)| !o.starts_with("/out/")) {
                        // The JUnit file is appended to the outputs after those written out.
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
                    if runs_python_without_isolation(&p.run) {
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
                None if junit.is_some() => vec![0, 1],
                None => vec![0],
            };
            phases.push(Phase {
                name: p.name.clone(),
                run: p.run.clone(),
                timeout,
                inputs,
                outputs,
                junit,
                expected_tests,
                ok_exit_codes,
                service,
            });
        }
        phases
    }

    fn inputs(&mut self, phase: &RawPhase, path: &KeyPath, earlier: &[Phase], labels: &[LabelsFile]) -> Vec<Input> {
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

    /// A path of the assignment that must exist, resolved to where it really is inside the
    /// assignment folder: a link that leads out, or a name for a file that lives elsewhere
    /// inside (an alias of `hidden/`), is resolved, never taken at its word.
    fn assignment_file(&mut self, value: &str, path: &KeyPath, kind: PathKind) -> Option<PathBuf> {
        match resolve(self.real_dir, self.dir, value, kind) {
            Ok(real) => Some(real),
            Err(message) => {
                self.fail(path, message);
                None
            }
        }
    }

    /// Every labels file, resolved, with the sha256 of its content; unresolvable ones are
    /// reported where they are declared.
    fn labels(&mut self, raw: &RawSpec) -> Vec<LabelsFile> {
        let declared = raw
            .metrics
            .iter()
            .filter_map(|m| m.labels.as_ref())
            .chain(raw.scorers.iter().map(|s| &s.labels));
        let mut labels: Vec<LabelsFile> = Vec::new();
        for value in declared {
            let Ok(relative) = resolve(self.real_dir, self.dir, value, PathKind::File) else {
                continue;
            };
            if labels.iter().any(|l| l.relative == relative) {
                continue;
            }
            if let Ok(sha256) = crate::sha256::of_file(&self.real_dir.join(&relative)).map(|(hex, _)| hex) {
                labels.push(LabelsFile { relative, sha256 });
            }
        }
        labels
    }

    fn metric(&mut self, raw: &RawMetric, path: &KeyPath, phases: &[Phase], scorers: &[Scorer]) -> Option<Metric> {
        let Some(kind) = MetricKind::parse(&raw.kind) else {
            let known: Vec<&str> = MetricKind::ALL.iter().map(|(n, _)| *n).collect();
            self.fail(
                &path.key("kind"),
                format!("unknown metric kind {:?}; known: {}", raw.kind, known.join(", ")),
            );
            return None;
        };
        let errors_before = self.errors.len();
        let tolerance = self.tolerance(raw.tolerance, &path.key("tolerance"));
        if !raw.weight.is_finite() || raw.weight < 0.0 {
            self.fail(&path.key("weight"), format!("must be zero or more, not {}", raw.weight));
        }
        for (key, value) in [("pass_at", raw.pass_at), ("floor", raw.floor), ("target", raw.target)] {
            if value.is_some_and(|v| !v.is_finite()) {
                self.fail(&path.key(key), "must be a finite number");
            }
        }
        match (raw.floor, raw.target) {
            (Some(floor), Some(target)) if floor == target => {
                self.fail(
                    &path.key("target"),
                    "must differ from floor: credit grows from floor to target",
                );
            }
            (Some(_), None) => self.fail(
                &path.key("target"),
                "floor needs a target: credit grows from floor to target",
            ),
            (None, Some(_)) => self.fail(
                &path.key("floor"),
                "target needs a floor: credit grows from floor to target",
            ),
            _ => {}
        }
        let direction = match raw.direction.as_deref() {
            None => kind.default_direction(),
            Some("higher") => Direction::Higher,
            Some("lower") => Direction::Lower,
            Some(other) => {
                self.fail(
                    &path.key("direction"),
                    format!("{other:?} is not a direction; use \"higher\" or \"lower\""),
                );
                kind.default_direction()
            }
        };
        if raw.weight > 0.0 && !kind.is_unit_score() && raw.pass_at.is_none() && raw.floor.is_none() {
            self.fail(
                &path.key("weight"),
                format!(
                    "a {} metric earns credit only with pass_at, or floor and target; set one or make the weight 0",
                    kind.name()
                ),
            );
        }
        let average = match raw.average.as_deref() {
            None => Average::Binary,
            Some(name) => match Average::ALL.iter().find(|(n, _)| *n == name) {
                Some((_, average)) => *average,
                None => {
                    self.fail(
                        &path.key("average"),
                        format!("{name:?} is not an average; use binary, macro, micro or weighted"),
                    );
                    Average::Binary
                }
            },
        };
        let unused = |checker: &mut Self, keys: &[(&str, bool)]| {
            for (key, present) in keys {
                if *present {
                    checker.fail(&path.key(key), format!("a {} metric does not use {key}", kind.name()));
                }
            }
        };
        let source = if kind.uses_labels() {
            unused(
                self,
                &[
                    ("phase", raw.phase.is_some()),
                    ("scorer", raw.scorer.is_some()),
                    ("value", raw.value.is_some()),
                ],
            );
            let predictions = self.output_ref(raw.predictions.as_deref(), &path.key("predictions"), phases);
            let labels = match raw.labels.as_deref() {
                Some(labels) => self.assignment_file(labels, &path.key("labels"), PathKind::File),
                None => {
                    self.fail(
                        path,
                        format!("a {} metric needs labels = \"hidden/...csv\"", kind.name()),
                    );
                    None
                }
            };
            MetricSource::Predictions {
                predictions: predictions?,
                labels: labels?,
                key: raw.key.clone().unwrap_or_else(|| "id".to_string()),
                column: raw.column.clone().unwrap_or_else(|| "label".to_string()),
            }
        } else if kind.is_resource() {
            unused(
                self,
                &[
                    ("labels", raw.labels.is_some()),
                    ("scorer", raw.scorer.is_some()),
                    ("value", raw.value.is_some()),
                ],
            );
            let phase = match raw.phase.as_deref() {
                Some(name) if phases.iter().any(|p| p.name == name) => Some(name.to_string()),
                Some(name) => {
                    self.fail(&path.key("phase"), format!("no phase is named {name:?}"));
                    None
                }
                None => {
                    self.fail(path, format!("a {} metric needs phase = \"NAME\"", kind.name()));
                    None
                }
            };
            let rows = if kind == MetricKind::LatencyPerRow {
                Some(self.output_ref(raw.predictions.as_deref(), &path.key("predictions"), phases)?)
            } else {
                unused(self, &[("predictions", raw.predictions.is_some())]);
                None
            };
            MetricSource::Resource { phase: phase?, rows }
        } else {
            unused(
                self,
                &[
                    ("labels", raw.labels.is_some()),
                    ("predictions", raw.predictions.is_some()),
                    ("phase", raw.phase.is_some()),
                ],
            );
            let scorer = match raw.scorer.as_deref() {
                Some(name) if scorers.iter().any(|s| s.name == name) => Some(name.to_string()),
                Some(name) => {
                    self.fail(&path.key("scorer"), format!("no [[scorer]] is named {name:?}"));
                    None
                }
                None => {
                    self.fail(path, "a scorer metric needs scorer = \"NAME\" of a [[scorer]]");
                    None
                }
            };
            MetricSource::Scorer {
                scorer: scorer?,
                value: raw.value.clone().unwrap_or_else(|| raw.name.clone()),
            }
        };
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Metric {
            name: raw.name.clone(),
            kind,
            source,
            average,
            pos_label: raw.pos_label.as_ref().map(|l| l.text()),
            probability_prefix: raw.probability_prefix.clone().unwrap_or_else(|| "proba_".to_string()),
            direction,
            weight: raw.weight,
            pass_at: raw.pass_at,
            floor: raw.floor,
            target: raw.target,
            required: raw.required.unwrap_or(true),
            tolerance,
            visibility: self.visibility(raw.visibility.as_deref(), &path.key("visibility"), Visibility::Visible),
        })
    }

    fn visibility(&mut self, value: Option<&str>, path: &KeyPath, default: Visibility) -> Visibility {
        match value {
            None => default,
            Some(text) => Visibility::parse(text).unwrap_or_else(|| {
                self.fail(
                    path,
                    format!("{text:?} is not a visibility; use visible, hidden or after_review"),
                );
                default
            }),
        }
    }

    /// `phase:/path` naming an output some phase declares.
    fn output_ref(&mut self, value: Option<&str>, path: &KeyPath, phases: &[Phase]) -> Option<OutputRef> {
        let Some(value) = value else {
            self.fail(path, "missing: name a phase output as \"phase:/path\"");
            return None;
        };
        match parse_output_ref(value) {
            Some(r) if phases.iter().any(|p| p.name == r.phase && p.outputs.contains(&r.path)) => Some(r),
            Some(r) => {
                self.fail(path, format!("no phase declares the output {r}"));
                None
            }
            None => {
                self.fail(path, format!("{value:?} must name a phase output as \"phase:/path\""));
                None
            }
        }
    }

    fn scorers(&mut self, raw: &RawSpec, phases: &[Phase], sandbox: &Sandbox) -> Vec<Scorer> {
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

    fn test_groups(&mut self, raw: &RawSpec) -> Vec<TestGroup> {
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

    fn reproducibility(&mut self, raw: &RawSpec) -> Reproducibility {
        let path = KeyPath::root().key("reproducibility");
        let runs = self.positive(raw.reproducibility.runs, &path.key("runs"), 2, bounds::MAX_RUNS) as u32;
        let tolerance = self
            .tolerance(raw.reproducibility.tolerance, &path.key("tolerance"))
            .unwrap_or(0.0);
        let seed_runs = match raw.reproducibility.seed_runs {
            None => 0,
            Some(n) if (0..=bounds::MAX_RUNS).contains(&n) => n as u32,
            Some(n) => {
                self.fail(
                    &path.key("seed_runs"),
                    format!("must be from 0 to {}, not {n}", bounds::MAX_RUNS),
                );
                0
            }
        };
        let mut ignore_outputs = Vec::new();
        for (i, output) in raw.reproducibility.ignore_outputs.iter().enumerate() {
            let declared = parse_output_ref(output).is_some_and(|r| {
                raw.phases
                    .iter()
                    .any(|p| p.name == r.phase && (p.outputs.contains(&r.path) || p.junit.as_ref() == Some(&r.path)))
            });
            if declared {
                ignore_outputs.push(output.clone());
            } else {
                let message = format!("{output:?} is not an output a phase declares (phase:/path)");
                self.fail(&path.key("ignore_outputs").index(i), message);
            }
        }
        Reproducibility {
            runs,
            tolerance,
            seed_runs,
            ignore_outputs,
        }
    }

    fn tolerance(&mut self, value: Option<f64>, path: &KeyPath) -> Option<f64> {
        match value {
            Some(t) if !t.is_finite() || t < 0.0 => {
                self.fail(path, format!("must be zero or more, not {t}"));
                None
            }
            other => other,
        }
    }

    fn rubric(&mut self, raw: &RawSpec) -> Vec<Criterion> {
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
}

/// What a spec path must name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PathKind {
    /// A regular file (labels).
    File,
    /// A regular file or a folder of them (inputs, scorer files).
    Any,
}

/// A labels file: where it really is in the assignment, and its content's hash.
struct LabelsFile {
    relative: PathBuf,
    sha256: String,
}

/// Resolves `value` to its real path relative to the assignment folder `real_dir` (`dir` as
/// written, for messages). Refuses what leaves the folder, what does not exist, what is not of
/// `kind`, and a folder holding links or special files, which are never followed.
fn resolve(real_dir: &Path, dir: &Path, value: &str, kind: PathKind) -> Result<PathBuf, String> {
    let relative = PathBuf::from(value);
    let inside = relative.components().all(|c| matches!(c, Component::Normal(_)));
    if value.is_empty() || !inside {
        return Err(format!(
            "{value:?} must be a relative path inside the assignment folder"
        ));
    }
    let real = match std::fs::canonicalize(real_dir.join(&relative)) {
        Ok(real) => real,
        Err(_) if std::fs::symlink_metadata(real_dir.join(&relative)).is_ok() => {
            return Err(format!("{value:?} is a link that leads nowhere"));
        }
        Err(_) => return Err(format!("{value} does not exist in {}", dir.display())),
    };
    let Ok(real_relative) = real.strip_prefix(real_dir) else {
        return Err(format!(
            "{value:?} leads outside the assignment folder (to {}); links out are never followed",
            real.display()
        ));
    };
    let metadata = std::fs::metadata(&real).map_err(|e| format!("{value:?} cannot be read: {e}"))?;
    match kind {
        PathKind::File if !metadata.is_file() => {
            return Err(format!("{value:?} must be a regular file"));
        }
        PathKind::Any if !metadata.is_file() && !metadata.is_dir() => {
            return Err(format!("{value:?} must be a regular file or a folder"));
        }
        _ => {}
    }
    if metadata.is_dir() {
        only_files_and_folders(&real, real_dir)?;
    }
    Ok(real_relative.to_path_buf())
}

/// Everything under `folder` is a regular file or a folder: a link inside an input would
/// carry whatever it points at into the container.
fn only_files_and_folders(folder: &Path, real_dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{} cannot be read: {e}", folder.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{} cannot be read: {e}", folder.display()))?;
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let path = entry.path();
        let shown = path.strip_prefix(real_dir).unwrap_or(&path).display().to_string();
        if kind.is_dir() {
            only_files_and_folders(&path, real_dir)?;
        } else if kind.is_symlink() {
            return Err(format!(
                "{shown} is a link; links in inputs are never followed, copy the file instead"
            ));
        } else if !kind.is_file() {
            return Err(format!("{shown} is not a regular file or a folder"));
        }
    }
    Ok(())
}

/// The first file under `input` whose content equals a labels file, with that labels file.
fn copy_of_labels(input: &Path, labels: &[LabelsFile]) -> Result<Option<(PathBuf, PathBuf)>, String> {
    if labels.is_empty() {
        return Ok(None);
    }
    if input.is_file() {
        let (sha256, _) =
            crate::sha256::of_file(input).map_err(|e| format!("{} cannot be read: {e}", input.display()))?;
        return Ok(labels
            .iter()
            .find(|l| l.sha256 == sha256)
            .map(|l| (input.to_path_buf(), l.relative.clone())));
    }
    let mut entries: Vec<_> = std::fs::read_dir(input)
        .map_err(|e| format!("{} cannot be read: {e}", input.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if let Some(found) = copy_of_labels(&entry.path(), labels)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `phase:/path` names a phase output; anything else is an assignment path.
fn parse_output_ref(value: &str) -> Option<OutputRef> {
    let (phase, path) = value.split_once(':')?;
    path.starts_with('/').then(|| OutputRef {
        phase: phase.to_string(),
        path: path.to_string(),
    })
}

fn normal_absolute(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    let clean = parts.iter().all(|p| !p.is_empty() && *p != "." && *p != "..");
    clean.then_some(parts)
}

fn check_mount(mount: &str) -> Result<(), String> {
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
fn runs_python_without_isolation(run: &str) -> bool {
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
fn shadowable_pytest(run: &str) -> bool {
    run.contains("-m pytest") && !run.contains(" -P ") && !run.contains("PYTHONSAFEPATH")
}

fn check_output_path(output: &str) -> Result<(), String> {
    let parts = normal_absolute(output).ok_or_else(|| format!("{output:?} must be a clean absolute path"))?;
    if parts.len() < 2 || !matches!(parts[0], "workspace" | "out") {
        return Err(format!(
            "{output:?} must be a file under /workspace or /out, the writable areas"
        ));
    }
    Ok(())
}
