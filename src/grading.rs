//! Grading one submission: intake, every run (reruns and seed runs, concurrently when the
//! machine has room), scoring, the reproducibility assessment, and what is kept on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::intake::{Rejection, Submission, intake};
use crate::report::{self, LogSink, OutputDigest, Progress, Report, RunVerdict};
use crate::reproducibility::{Assessment, Status, assess};
use crate::runner::{Backend, DEFAULT_SEED, Event, Fanout, RunRecord, Sink, run_submission};
use crate::spec::{OutputRef, Spec};

/// Everything a grade needs besides the submission.
pub struct Grader<'a> {
    pub backend: &'a Backend,
    pub spec: &'a Spec,
    pub image_id: String,
    pub engine: String,
    pub out: PathBuf,
    /// How progress is shown on the terminal.
    pub display: crate::report::Display,
    /// Grade again even when OUT holds a report of the same submission, spec and image.
    pub force: bool,
    /// Overrides the spec's `[reproducibility] runs`.
    pub runs: Option<u32>,
    /// How many runs of one submission may run at once; by default what the machine holds.
    pub run_concurrency: Option<usize>,
    /// Extra results.json files for other graders, written beside the report.
    pub exports: Vec<crate::report::exports::Format>,
    /// Serializes grades of the same files, so they are graded once.
    pub same_files: crate::submitters::SameFiles,
}

/// A grade, or the earlier one found in OUT.
pub struct Graded {
    pub report: Report,
    /// OUT already held this grade (same submission, spec and image); nothing was run.
    pub skipped: bool,
    /// The name this grade was asked for, and the other names the same files came under.
    pub name: String,
    pub same_files_as: Vec<String>,
}

impl Graded {
    /// Records `name` beside the report and notes the other names of the same files.
    fn under(report: Report, skipped: bool, dir: &Path, name: &str) -> anyhow::Result<Graded> {
        crate::submitters::record(dir, name)?;
        let same_files_as = crate::submitters::read(dir).into_iter().filter(|n| n != name).collect();
        Ok(Graded {
            report,
            skipped,
            name: name.to_string(),
            same_files_as,
        })
    }
}

/// Taken while a run's outputs are scored (see `run_once`).
static SCORING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held while a report folder is graded or written, by every process grading into OUT.
const FOLDER_LOCK: &str = ".lock";

/// A sink that ignores everything (reruns report only their result).
struct Silent;

impl Sink for Silent {
    fn event(&mut self, _event: &Event) {}
}

impl Grader<'_> {
    /// Grades one submission and writes `OUT/<sha prefix>/report.json`. A harness failure
    /// becomes a `harness_error` report, so one bad submission never stops a batch.
    pub async fn grade(&self, path: &Path) -> anyhow::Result<Graded> {
        let started = SystemTime::now();
        match self.grade_or_fail(path, started).await {
            Ok(graded) => Ok(graded),
            Err(error) => {
                let summary = format!("the harness failed (not the candidate's fault; grade again): {error:#}");
                let report = self.unopened(path, RunVerdict::HarnessError, summary, None, started)?;
                let dir = self.out.join(&report.submission.sha256[..16]);
                let name = report.submission.name.clone();
                Graded::under(report, false, &dir, &name)
            }
        }
    }

    /// A report already in OUT for this submission, spec and image, which need not be redone.
    fn earlier(&self, dir: &Path, sha256: &str) -> Option<Report> {
        let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
        let report: Report = serde_json::from_str(&text).ok()?;
        let same = report.submission.sha256 == sha256
            && report.assignment.spec_sha256 == self.spec.sha256
            && report.provenance.image_id == self.image_id
            && report.verdict != RunVerdict::HarnessError;
        same.then_some(report)
    }

    async fn grade_or_fail(&self, path: &Path, started: SystemTime) -> anyhow::Result<Graded> {
        let submission = match intake(path, &self.spec.intake)? {
            Ok(submission) => submission,
            Err(rejection) => {
                let report = self.rejected(path, &rejection, started)?;
                let dir = self.out.join(&report.submission.sha256[..16]);
                let name = report.submission.name.clone();
                return Graded::under(report, false, &dir, &name);
            }
        };
        let dir = self.out.join(&submission.sha256[..16]);
        // The same files sent twice in this batch: the second waits and finds the first.
        let _same_files = self.same_files.lock(&submission.sha256).await;
        // And across processes grading into the same OUT: one grade of a folder at a time.
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let _folder = crate::store::Lock::acquire_async(&dir.join(FOLDER_LOCK)).await?;
        if !self.force
            && let Some(report) = self.earlier(&dir, &submission.sha256)
        {
            return Graded::under(report, true, &dir, &submission.name);
        }
        crate::intake::store_copy(&submission, &dir.join(crate::intake::STORED_COPY))?;

        let runs = self.runs.unwrap_or(self.spec.reproducibility.runs).max(1) as usize;
        let mut seeds = vec![DEFAULT_SEED; runs];
        seeds.extend((1..=self.spec.reproducibility.seed_runs as u64).map(|k| DEFAULT_SEED + k));
        let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
        let mut first = Fanout::default();
        first
            .sinks
            .push(Box::new(Progress::new(self.display.clone(), &submission.name)));
        first.sinks.push(Box::new(LogSink::new(dir.join("logs"))?));
        sinks.push(Box::new(first));
        sinks.extend((1..seeds.len()).map(|_| Box::new(Silent) as Box<dyn Sink>));

        let concurrency = self.run_concurrency.unwrap_or_else(|| machine_room(self.spec)).max(1);
        let jobs = seeds
            .into_iter()
            .zip(sinks)
            .enumerate()
            .map(|(index, (seed, mut sink))| {
                let submission = &submission;
                async move {
                    let run_id = new_run_id();
                    if index == 0 {
                        sink.event(&Event::RunStarted {
                            submission: &submission.name,
                            sha256: &submission.sha256,
                            run_id: &run_id,
                        });
                    }
                    let result = self.run_once(submission, &run_id, seed, started, sink.as_mut()).await;
                    if let Ok((report, _)) = &result {
                        if index == 0 {
                            sink.event(&Event::RunFinished {
                                verdict: report.verdict.as_str(),
                            });
                        } else if matches!(self.display, crate::report::Display::Lines) {
                            let kind = if index < runs { "rerun" } else { "seed run" };
                            let verdict = report.verdict.as_str();
                            eprintln!("{}: {kind} {} (seed {seed}): {verdict}", submission.name, index + 1);
                        }
                    }
                    result
                }
            });
        let results: Vec<anyhow::Result<(Report, RunRecord)>> =
            futures_util::stream::iter(jobs).buffered(concurrency).collect().await;
        let mut reports = Vec::new();
        let mut first_record = None;
        for result in results {
            let (report, record) = result?;
            if first_record.is_none() {
                first_record = Some(record);
            }
            reports.push(report);
        }
        let seeded: Vec<(u64, Report)> = reports
            .split_off(runs)
            .into_iter()
            .enumerate()
            .map(|(k, r)| (DEFAULT_SEED + k as u64 + 1, r))
            .collect();
        let assessment = assess(self.spec, &reports, &seeded);
        let mut report = reports.swap_remove(0);
        explain(&mut report, &assessment);
        report.reproducibility = assessment;
        report.provenance.finished_at = report::timestamp(SystemTime::now());
        if let Some(record) = &first_record {
            save_outputs(&record.outputs, &dir.join("outputs"))?;
        }
        report::write_all(&dir, &report)?;
        self.export(&dir, &report)?;
        Graded::under(report, false, &dir, &submission.name)
    }

    fn export(&self, dir: &Path, report: &Report) -> anyhow::Result<()> {
        for format in &self.exports {
            let name = match format {
                crate::report::exports::Format::Gradescope => "gradescope-results.json",
                crate::report::exports::Format::Prairielearn => "prairielearn-results.json",
            };
            let value = crate::report::exports::render(report, *format);
            crate::store::write_atomically(
                &dir.join(name),
                (serde_json::to_string_pretty(&value)? + "\n").as_bytes(),
            )?;
        }
        Ok(())
    }

    /// One full run: every phase, the scorers, and the scoring of what came out.
    async fn run_once(
        &self,
        submission: &Submission,
        run_id: &str,
        seed: u64,
        started: SystemTime,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<(Report, RunRecord)> {
        let spec = self.spec;
        let mut record = run_submission(self.backend, spec, submission, run_id, seed, sink).await?;
        // One run scores at a time in this process: scoring holds a whole predictions file
        // in memory, so concurrent runs and submissions must not each hold one. The waiting
        // and the work block this thread, so the runtime moves its other tasks elsewhere.
        let (metrics, tests, test_groups) = tokio::task::block_in_place(|| {
            let _scoring = SCORING.lock().unwrap_or_else(|e| e.into_inner());
            let metrics = crate::scoring::score_metrics(spec, &mut record);
            let (tests, test_groups) = crate::scoring::score_tests(spec, &mut record);
            (metrics, tests, test_groups)
        });
        let (verdict, summary) = crate::scoring::verdict(&record.phases, &metrics, &test_groups);
        let score = (verdict != RunVerdict::HarnessError).then(|| crate::scoring::score(&metrics, &test_groups));
        let report = Report {
            verdict,
            summary,
            score,
            phases: record.phases.clone(),
            metrics,
            tests,
            test_groups,
            outputs: digests(&record.outputs)?,
            submission: report::SubmissionInfo {
                sha256: submission.sha256.clone(),
                name: submission.name.clone(),
                files: submission.tally.files,
                bytes: submission.tally.bytes,
                rejection: None,
            },
            provenance: self.provenance(run_id, started),
            ..self.empty_report(started)
        };
        Ok((report, record))
    }

    fn provenance(&self, run_id: &str, started: SystemTime) -> report::Provenance {
        report::Provenance {
            assay_version: env!("CARGO_PKG_VERSION").to_string(),
            image: self.spec.sandbox.image.clone(),
            image_id: self.image_id.clone(),
            engine_version: self.engine.clone(),
            started_at: report::timestamp(started),
            finished_at: report::timestamp(SystemTime::now()),
            run_id: run_id.to_string(),
        }
    }

    fn empty_report(&self, started: SystemTime) -> Report {
        let spec = self.spec;
        Report {
            schema_version: report::SCHEMA_VERSION,
            assignment: report::AssignmentInfo {
                id: spec.id.clone(),
                path: std::fs::canonicalize(&spec.dir)
                    .unwrap_or(spec.dir.clone())
                    .display()
                    .to_string(),
                version: spec.version.clone(),
                spec_sha256: spec.sha256.clone(),
            },
            submission: report::SubmissionInfo {
                sha256: String::new(),
                name: String::new(),
                files: 0,
                bytes: 0,
                rejection: None,
            },
            verdict: RunVerdict::InvalidSubmission,
            summary: String::new(),
            score: None,
            phases: Vec::new(),
            metrics: Vec::new(),
            tests: Vec::new(),
            test_groups: Vec::new(),
            reproducibility: Assessment::skipped(),
            outputs: Vec::new(),
            isolation: self.backend.isolation().to_string(),
            rubric: spec.rubric.clone(),
            review: None,
            provenance: self.provenance("", started),
        }
    }

    /// The report of a refused submission, filed under the hash of the file as received.
    fn rejected(&self, path: &Path, rejection: &Rejection, started: SystemTime) -> anyhow::Result<Report> {
        let summary = format!("the submission was refused: {rejection}");
        self.unopened(
            path,
            RunVerdict::InvalidSubmission,
            summary,
            Some(rejection.to_string()),
            started,
        )
    }

    /// Writes the report of a submission that was never run, filed under the hash of the file
    /// as received (its contents may never have been read).
    fn unopened(
        &self,
        path: &Path,
        verdict: RunVerdict,
        summary: String,
        rejection: Option<String>,
        started: SystemTime,
    ) -> anyhow::Result<Report> {
        let sha256 = raw_sha256(path);
        let report = Report {
            submission: report::SubmissionInfo {
                sha256: sha256.clone(),
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                files: 0,
                bytes: 0,
                rejection,
            },
            verdict,
            summary,
            ..self.empty_report(started)
        };
        let dir = self.out.join(&sha256[..16]);
        std::fs::create_dir_all(&dir)?;
        let _folder = crate::store::Lock::acquire(&dir.join(FOLDER_LOCK))?;
        report::write_all(&dir, &report)?;
        self.export(&dir, &report)?;
        Ok(report)
    }
}

/// Says plainly in the summary when the score cannot be trusted.
fn explain(report: &mut Report, assessment: &Assessment) {
    let count = assessment.differences.len();
    match assessment.status {
        Status::Unstable => {
            report.summary = format!(
                "NOT REPRODUCIBLE: a verdict, test or pass/fail decision changed between {} runs ({count} difference(s)); do not trust this score without a look. {}",
                assessment.runs, report.summary
            )
        }
        Status::Nondeterministic => {
            report.summary = format!(
                "{} (values varied between {} runs beyond tolerance, but every decision held: {count} difference(s))",
                report.summary, assessment.runs
            )
        }
        Status::Reproducible | Status::Skipped => {}
    }
}

/// How many runs of this spec fit on the machine at once (cores and memory).
pub fn machine_room(spec: &Spec) -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let by_cpu = (cores / spec.sandbox.cpus).floor() as usize;
    let by_memory = total_memory()
        .map(|m| (m as f64 * 0.75 / spec.sandbox.memory_bytes as f64) as usize)
        .unwrap_or(1);
    by_cpu.min(by_memory).max(1)
}

fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub fn new_run_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = format!("{nanos}-{}-{count}", std::process::id());
    hex::encode(Sha256::digest(seed.as_bytes()))[..12].to_string()
}

fn digests(outputs: &HashMap<OutputRef, PathBuf>) -> anyhow::Result<Vec<OutputDigest>> {
    let mut digests = Vec::new();
    for (reference, host) in outputs {
        // Hashed as a stream: an output may be as large as the candidate's writable area.
        let mut hasher = Sha256::new();
        let mut file = std::fs::File::open(host).with_context(|| format!("reading {reference}"))?;
        let bytes =
            std::io::copy(&mut file, &mut HashWriter(&mut hasher)).with_context(|| format!("reading {reference}"))?;
        digests.push(OutputDigest {
            phase: reference.phase.clone(),
            path: reference.path.clone(),
            sha256: hex::encode(hasher.finalize()),
            bytes,
        });
    }
    digests.sort_by(|a, b| (&a.phase, &a.path).cmp(&(&b.phase, &b.path)));
    Ok(digests)
}

/// Feeds what is written into a hash.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Keeps the declared outputs beside the report (`outputs/PHASE/PATH`), so reviewers and
/// authors can recompute any metric from exactly what was scored.
fn save_outputs(outputs: &HashMap<OutputRef, PathBuf>, dir: &Path) -> anyhow::Result<()> {
    for (reference, host) in outputs {
        let target = dir.join(&reference.phase).join(reference.path.trim_start_matches('/'));
        let parent = target.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)?;
        let temp = tempfile::Builder::new().prefix(".assay-write-").tempfile_in(parent)?;
        std::fs::copy(host, temp.path()).with_context(|| format!("saving {reference} to {}", target.display()))?;
        crate::store::readable(temp.as_file())?;
        temp.persist(&target).map_err(|e| e.error)?;
    }
    Ok(())
}

/// sha256 of a file's bytes (or of the path, for what cannot be read).
fn raw_sha256(path: &Path) -> String {
    let mut hasher = Sha256::new();
    match std::fs::File::open(path) {
        Ok(mut file) if path.is_file() => {
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(n) = std::io::Read::read(&mut file, &mut buffer) {
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
            }
        }
        _ => hasher.update(path.to_string_lossy().as_bytes()),
    }
    hex::encode(hasher.finalize())
}
