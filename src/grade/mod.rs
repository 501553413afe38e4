//! Grading one submission: intake, every run (reruns and seed runs, concurrently when the
//! machine has room), scoring, the reproducibility assessment, and what is kept on disk.

mod canary;
mod gradescope;
mod hidden_tests;
pub mod junit;
mod notebooks;
pub mod reproducibility;
pub mod review;
mod same_files;
mod scoring;

pub use canary::grade_canary;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use futures_util::StreamExt;

use crate::intake::{IntakeError, Rejection, Submission, intake};
use crate::live::{Display, LogSink, Progress};
use crate::model::{self, Assessment, OutputDigest, Report, ReproducibilityStatus, RunVerdict};
use crate::runner::{Backend, DEFAULT_SEED, Event, Fanout, RunInfo, RunKind, RunRecord, Sink, run_submission};
use crate::spec::{OutputRef, Spec};
use crate::store::ReportDir;
use reproducibility::assess;
pub use same_files::SameFiles;

/// Everything a grade needs besides the submission.
pub struct Grader<'a> {
    pub backend: &'a Backend,
    pub spec: &'a Spec,
    pub image_id: String,
    pub engine: String,
    pub out: PathBuf,
    /// How progress is shown on the terminal.
    pub display: Display,
    /// Grade again even when OUT holds a report of the same submission, spec and image.
    pub force: bool,
    /// Overrides the spec's `[reproducibility] runs`.
    pub runs: Option<u32>,
    /// How many runs of one submission may run at once; by default what the machine holds.
    pub run_concurrency: Option<usize>,
    /// Extra results.json files for other graders, written beside the report.
    pub exports: Vec<crate::report::exports::Format>,
    /// Serializes grades of the same files, so they are graded once.
    pub same_files: SameFiles,
    /// The name the submission came under, when it is not its path's last part (the service
    /// keeps uploads as `ID-NAME`).
    pub name: Option<String>,
    /// Containers made for the first phase before the submission came (`assay serve`).
    pub warm: Option<&'a crate::runner::WarmPool>,
}

impl<'a> Grader<'a> {
    /// A grader that shows nothing, reuses what OUT holds, and runs as the spec says; set the
    /// public fields to change that.
    pub fn new(backend: &'a Backend, spec: &'a Spec, image_id: String, engine: String, out: PathBuf) -> Grader<'a> {
        Grader {
            backend,
            spec,
            image_id,
            engine,
            out,
            display: Display::Quiet,
            force: false,
            runs: None,
            run_concurrency: None,
            exports: Vec::new(),
            same_files: SameFiles::default(),
            name: None,
            warm: None,
        }
    }
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
    fn under(report: Report, skipped: bool, dir: &ReportDir, name: &str) -> anyhow::Result<Graded> {
        dir.record_name(name)?;
        let same_files_as = dir.names().into_iter().filter(|n| n != name).collect();
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
                let dir = ReportDir::in_out(&self.out, &report.submission.sha256);
                let name = report.submission.name.clone();
                Graded::under(report, false, &dir, &name)
            }
        }
    }

    /// A report already in OUT for this submission, spec and image, which need not be redone.
    fn earlier(&self, dir: &ReportDir, sha256: &str) -> Option<Report> {
        let report = dir.read_report()?;
        let same = report.submission.sha256 == sha256
            && report.assignment.spec_sha256 == self.spec.sha256
            && report.provenance.image_id == self.image_id
            && report.verdict != RunVerdict::HarnessError;
        same.then_some(report)
    }

    async fn grade_or_fail(&self, path: &Path, started: SystemTime) -> anyhow::Result<Graded> {
        let submission = match intake(path, &self.spec.intake) {
            Ok(mut submission) => {
                if let Some(name) = &self.name {
                    submission.name = name.clone();
                }
                submission
            }
            Err(IntakeError::Harness(error)) => return Err(error),
            Err(IntakeError::Refused(rejection)) => {
                let report = self.rejected(path, &rejection, started)?;
                let dir = ReportDir::in_out(&self.out, &report.submission.sha256);
                let name = report.submission.name.clone();
                return Graded::under(report, false, &dir, &name);
            }
        };
        let dir = ReportDir::in_out(&self.out, &submission.sha256);
        // The same files sent twice in this batch: the second waits and finds the first.
        let _same_files = self.same_files.lock(&submission.sha256).await;
        // And across processes grading into the same OUT: one grade of a folder at a time.
        let _folder = dir.lock_async().await?;
        if !self.force
            && let Some(report) = self.earlier(&dir, &submission.sha256)
        {
            return Graded::under(report, true, &dir, &submission.name);
        }
        dir.store_copy(&submission)?;

        let runs = self.runs.unwrap_or(self.spec.reproducibility.runs).max(1) as usize;
        let plan = run_plan(runs, self.spec.reproducibility.seed_runs);
        let concurrency = self.run_concurrency.unwrap_or_else(|| machine_room(self.spec)).max(1);
        let jobs = plan.into_iter().map(|run| {
            let submission = &submission;
            let dir = &dir;
            async move {
                let mut sink = self.sink(dir, &submission.name, run)?;
                let run_id = crate::runner::new_run_id();
                let result = self.run_once(submission, &run_id, run, started, &mut sink).await;
                if let Ok((report, _)) = &result {
                    sink.event(&Event::RunFinished {
                        run,
                        verdict: report.verdict.as_str(),
                    });
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
        for (k, notebook) in report.notebooks.iter_mut().enumerate() {
            let others: Vec<&crate::notebook::NotebookCheck> = reports
                .iter()
                .chain(seeded.iter().map(|(_, r)| r))
                .filter_map(|r| r.notebooks.get(k))
                .collect();
            crate::notebook::claims::settle(notebook, &others);
        }
        explain(&mut report, &assessment);
        report.reproducibility = assessment;
        report.provenance.finished_at = model::timestamp(SystemTime::now());
        if let Some(record) = &first_record {
            dir.save_outputs(&record.outputs)?;
        }
        dir.write_report(&report)?;
        self.export(&dir, &report)?;
        Graded::under(report, false, &dir, &submission.name)
    }

    /// Where one run's events go: the terminal, and the phase logs (`logs/`, and
    /// `logs/run-N/` for a rerun or a seed run).
    fn sink(&self, dir: &ReportDir, name: &str, run: RunInfo) -> anyhow::Result<Fanout> {
        let logs = match run.kind {
            RunKind::First => dir.logs(),
            _ => dir.logs().join(format!("run-{}", run.number)),
        };
        let mut sink = Fanout::default();
        sink.sinks.push(Box::new(Progress::new(self.display.clone(), name)));
        sink.sinks.push(Box::new(LogSink::new(logs)?));
        Ok(sink)
    }

    fn export(&self, dir: &ReportDir, report: &Report) -> anyhow::Result<()> {
        for format in &self.exports {
            let name = match format {
                crate::report::exports::Format::Gradescope => "gradescope-results.json",
                crate::report::exports::Format::Prairielearn => "prairielearn-results.json",
            };
            let value = crate::report::exports::render(report, *format);
            dir.write_file(name, (serde_json::to_string_pretty(&value)? + "\n").as_bytes())?;
        }
        Ok(())
    }

    /// One full run: every phase, the scorers, and the scoring of what came out.
    async fn run_once(
        &self,
        submission: &Submission,
        run_id: &str,
        run: RunInfo,
        started: SystemTime,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<(Report, RunRecord)> {
        let spec = self.spec;
        let first = match run.kind {
            RunKind::First => self.warm.and_then(|pool| pool.take(spec, &self.image_id, run.seed)),
            _ => None,
        };
        let mut record = run_submission(self.backend, spec, submission, run_id, run, first, sink).await?;
        // One run scores at a time in this process: scoring holds a whole predictions file
        // in memory, so concurrent runs and submissions must not each hold one. The waiting
        // and the work block this thread, so the runtime moves its other tasks elsewhere.
        let (metrics, tests, test_groups, notebooks, autograders) = tokio::task::block_in_place(|| {
            let _scoring = SCORING.lock().unwrap_or_else(|e| e.into_inner());
            let notebooks = notebooks::check_notebooks(spec, &submission.root, &record);
            let mut metrics = scoring::score_metrics(spec, &mut record, &notebooks);
            let (mut tests, mut test_groups) = hidden_tests::score_tests(spec, &mut record);
            let mut autograders = Vec::new();
            for scored in gradescope::score_gradescope(spec, &mut record) {
                tests.extend(scored.tests);
                test_groups.push(scored.group);
                metrics.extend(scored.leaderboard);
                autograders.push(scored.autograder);
            }
            (metrics, tests, test_groups, notebooks, autograders)
        });
        let (verdict, summary) = scoring::verdict(&record.phases, &metrics, &test_groups);
        let score = (verdict != RunVerdict::HarnessError).then(|| scoring::score(&metrics, &test_groups));
        let report = Report {
            verdict,
            summary,
            score,
            phases: record.phases.clone(),
            metrics,
            tests,
            test_groups,
            notebooks,
            autograders,
            outputs: digests(&record.outputs)?,
            submission: model::SubmissionInfo {
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

    fn provenance(&self, run_id: &str, started: SystemTime) -> model::Provenance {
        model::Provenance {
            assay_version: env!("CARGO_PKG_VERSION").to_string(),
            image: self.spec.sandbox.image.clone(),
            image_id: self.image_id.clone(),
            engine_version: self.engine.clone(),
            started_at: model::timestamp(started),
            finished_at: model::timestamp(SystemTime::now()),
            run_id: run_id.to_string(),
        }
    }

    fn empty_report(&self, started: SystemTime) -> Report {
        let spec = self.spec;
        Report {
            schema_version: model::SCHEMA_VERSION,
            assignment: model::AssignmentInfo {
                id: spec.id.clone(),
                path: std::fs::canonicalize(&spec.dir)
                    .unwrap_or(spec.dir.clone())
                    .display()
                    .to_string(),
                version: spec.version.clone(),
                spec_sha256: spec.sha256.clone(),
            },
            submission: model::SubmissionInfo {
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
            notebooks: Vec::new(),
            autograders: Vec::new(),
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
            submission: model::SubmissionInfo {
                sha256: sha256.clone(),
                name: self.name.clone().unwrap_or_else(|| {
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                }),
                files: 0,
                bytes: 0,
                rejection,
            },
            verdict,
            summary,
            ..self.empty_report(started)
        };
        let dir = ReportDir::in_out(&self.out, &sha256);
        let _folder = dir.lock()?;
        dir.write_report(&report)?;
        self.export(&dir, &report)?;
        Ok(report)
    }
}

/// Says plainly in the summary when the score cannot be trusted.
fn explain(report: &mut Report, assessment: &Assessment) {
    let count = assessment.differences.len();
    match assessment.status {
        ReproducibilityStatus::Unstable => {
            report.summary = format!(
                "NOT REPRODUCIBLE: a verdict, test or pass/fail decision changed between {} runs ({count} difference(s)); do not trust this score without a look. {}",
                assessment.runs, report.summary
            )
        }
        ReproducibilityStatus::Nondeterministic => {
            report.summary = format!(
                "{} (values varied between {} runs beyond tolerance, but every decision held: {count} difference(s))",
                report.summary, assessment.runs
            )
        }
        ReproducibilityStatus::Reproducible | ReproducibilityStatus::Skipped => {}
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

fn digests(outputs: &HashMap<OutputRef, PathBuf>) -> anyhow::Result<Vec<OutputDigest>> {
    let mut digests = Vec::new();
    for (reference, host) in outputs {
        let (sha256, bytes) = crate::sha256::of_file(host).with_context(|| format!("reading {reference}"))?;
        digests.push(OutputDigest {
            phase: reference.phase.clone(),
            path: reference.path.clone(),
            sha256,
            bytes,
        });
    }
    digests.sort_by(|a, b| (&a.phase, &a.path).cmp(&(&b.phase, &b.path)));
    Ok(digests)
}

/// sha256 of a file's bytes (or of the path, for what cannot be read).
fn raw_sha256(path: &Path) -> String {
    match path.is_file().then(|| crate::sha256::of_file(path)) {
        Some(Ok((sha256, _))) => sha256,
        _ => crate::sha256::of_bytes(path.to_string_lossy().as_bytes()),
    }
}

/// The runs of one submission: the first, the reruns with the same seed, then one run per
/// other seed.
fn run_plan(runs: usize, seed_runs: u32) -> Vec<RunInfo> {
    let same = (1..=runs).map(|number| RunInfo {
        number: number as u32,
        kind: if number == 1 { RunKind::First } else { RunKind::Rerun },
        seed: DEFAULT_SEED,
    });
    let seeded = (1..=seed_runs as u64).map(|k| RunInfo {
        number: runs as u32 + k as u32,
        kind: RunKind::SeedRun,
        seed: DEFAULT_SEED + k,
    });
    same.chain(seeded).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_planned_first_reruns_then_seeds() {
        let plan = run_plan(2, 2);
        let seen: Vec<(u32, RunKind, u64)> = plan.iter().map(|r| (r.number, r.kind, r.seed)).collect();
        assert_eq!(
            seen,
            [
                (1, RunKind::First, DEFAULT_SEED),
                (2, RunKind::Rerun, DEFAULT_SEED),
                (3, RunKind::SeedRun, DEFAULT_SEED + 1),
                (4, RunKind::SeedRun, DEFAULT_SEED + 2),
            ]
        );
    }
}
