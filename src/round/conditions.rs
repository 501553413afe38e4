//! Whether every candidate of a round was graded under the same conditions: the images and
//! engines the reports name, and a canary (the reference solution, graded at the start and the
//! end of each grading session) whose phase times and memory should not move. When they do,
//! timing metrics of candidates graded at different moments are not comparable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Report;

/// Differences in a canary's phase time below this many seconds are noise, whatever the share.
pub const NOISE_SECONDS: f64 = 0.25;

/// One grade of the reference solution, kept in the round's folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canary {
    /// `start` or `end` of a grading session.
    pub moment: String,
    pub finished_at: String,
    pub verdict: String,
    pub image_id: String,
    pub engine_version: String,
    pub assay_version: String,
    pub spec_sha256: String,
    pub phases: Vec<CanaryPhase>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanaryPhase {
    pub name: String,
    pub wall_seconds: f64,
    pub peak_memory_bytes: Option<u64>,
}

impl Canary {
    pub fn of(report: &Report, moment: &str) -> Canary {
        Canary {
            moment: moment.to_string(),
            finished_at: report.provenance.finished_at.clone(),
            verdict: report.verdict.as_str().to_string(),
            image_id: report.provenance.image_id.clone(),
            engine_version: report.provenance.engine_version.clone(),
            assay_version: report.provenance.assay_version.clone(),
            spec_sha256: report.assignment.spec_sha256.clone(),
            phases: report
                .phases
                .iter()
                .map(|p| CanaryPhase {
                    name: p.name.clone(),
                    wall_seconds: p.wall_seconds,
                    peak_memory_bytes: p.peak_memory_bytes,
                })
                .collect(),
        }
    }
}

/// How often one value (an image id, an engine version) was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Used {
    pub value: String,
    pub submissions: usize,
    pub canaries: usize,
}

/// The spread of one phase of the canary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseSpread {
    pub name: String,
    pub runs: usize,
    pub wall_min: f64,
    pub wall_max: f64,
    /// (max - min) / min.
    pub wall_change: f64,
    pub memory_min: Option<u64>,
    pub memory_max: Option<u64>,
}

/// The round's conditions, and what drifted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conditions {
    pub images: Vec<Used>,
    pub engines: Vec<Used>,
    pub assay_versions: Vec<Used>,
    pub canaries: usize,
    pub phases: Vec<PhaseSpread>,
    /// The relative change in a canary phase's time allowed.
    pub drift: f64,
    /// Each way conditions drifted, in words.
    pub warnings: Vec<String>,
}

fn used<'a>(
    reports: &[&'a Report],
    canaries: &'a [Canary],
    of: impl Fn(&'a Report) -> &'a str,
    of_canary: impl Fn(&'a Canary) -> &'a str,
) -> Vec<Used> {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for report in reports {
        counts.entry(of(report)).or_default().0 += 1;
    }
    for canary in canaries {
        counts.entry(of_canary(canary)).or_default().1 += 1;
    }
    counts
        .into_iter()
        .map(|(value, (submissions, canaries))| Used {
            value: value.to_string(),
            submissions,
            canaries,
        })
        .collect()
}

/// The conditions of a round graded into `reports` with `canaries`; `drift` is the relative
/// change in a canary phase's time past which the round is said to have drifted.
pub fn assess(reports: &[&Report], canaries: &[Canary], drift: f64) -> Conditions {
    // Refused submissions never reached an engine: they say nothing about conditions.
    let graded: Vec<&Report> = reports.iter().copied().filter(|r| !r.phases.is_empty()).collect();
    let images = used(&graded, canaries, |r| &r.provenance.image_id, |c| &c.image_id);
    let engines = used(
        &graded,
        canaries,
        |r| &r.provenance.engine_version,
        |c| &c.engine_version,
    );
    let assay_versions = used(&graded, canaries, |r| &r.provenance.assay_version, |c| &c.assay_version);
    let mut warnings = Vec::new();
    for (what, list) in [
        ("images", &images),
        ("engine versions", &engines),
        ("assay versions", &assay_versions),
    ] {
        if list.len() > 1 {
            let each: Vec<String> = list
                .iter()
                .map(|u| {
                    format!(
                        "{} ({} submission(s), {} canary grade(s))",
                        short(&u.value),
                        u.submissions,
                        u.canaries
                    )
                })
                .collect();
            warnings.push(format!("{} {what} were used: {}", list.len(), each.join(", ")));
        }
    }
    let mut by_phase: BTreeMap<&str, Vec<&CanaryPhase>> = BTreeMap::new();
    for canary in canaries.iter().filter(|c| c.verdict == "passed") {
        for phase in &canary.phases {
            by_phase.entry(&phase.name).or_default().push(phase);
        }
    }
    let mut phases = Vec::new();
    for (name, runs) in by_phase {
        let wall_min = runs.iter().map(|p| p.wall_seconds).fold(f64::INFINITY, f64::min);
        let wall_max = runs.iter().map(|p| p.wall_seconds).fold(0.0, f64::max);
        let wall_change = if wall_min > 0.0 {
            (wall_max - wall_min) / wall_min
        } else {
            0.0
        };
        if runs.len() > 1 && wall_change > drift && wall_max - wall_min > NOISE_SECONDS {
            warnings.push(format!(
                "the reference solution's {name} phase took from {wall_min:.2} s to {wall_max:.2} s across the round \
                 (+{:.0}%, more than the {:.0}% allowed): timing metrics of candidates graded at different moments are not comparable",
                wall_change * 100.0,
                drift * 100.0
            ));
        }
        phases.push(PhaseSpread {
            name: name.to_string(),
            runs: runs.len(),
            wall_min,
            wall_max,
            wall_change,
            memory_min: runs.iter().filter_map(|p| p.peak_memory_bytes).min(),
            memory_max: runs.iter().filter_map(|p| p.peak_memory_bytes).max(),
        });
    }
    let failed = canaries.iter().filter(|c| c.verdict != "passed").count();
    if failed > 0 {
        warnings.push(format!(
            "{failed} of {} canary grade(s) of the reference solution did not pass: the machine or the image misbehaved",
            canaries.len()
        ));
    }
    Conditions {
        images,
        engines,
        assay_versions,
        canaries: canaries.len(),
        phases,
        drift,
        warnings,
    }
}

/// An image id as people read it: its first 12 hex digits.
fn short(value: &str) -> String {
    let hex = value.strip_prefix("sha256:").unwrap_or(value);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex[..12].to_string()
    } else {
        crate::text::plain(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary(moment: &str, image: &str, wall: f64, memory: u64) -> Canary {
        Canary {
            moment: moment.into(),
            finished_at: String::new(),
            verdict: "passed".into(),
            image_id: image.into(),
            engine_version: "20.10.24".into(),
            assay_version: "0.1.0".into(),
            spec_sha256: String::new(),
            phases: vec![CanaryPhase {
                name: "predict".into(),
                wall_seconds: wall,
                peak_memory_bytes: Some(memory),
            }],
        }
    }

    #[test]
    fn steady_conditions_warn_of_nothing() {
        let canaries = [
            canary("start", "sha256:aa", 2.0, 100),
            canary("end", "sha256:aa", 2.3, 120),
        ];
        let found = assess(&[], &canaries, 0.25);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert_eq!(found.phases[0].runs, 2);
        assert_eq!(
            (found.phases[0].memory_min, found.phases[0].memory_max),
            (Some(100), Some(120))
        );
        assert!((found.phases[0].wall_change - 0.15).abs() < 1e-9);
    }

    #[test]
    fn a_slower_machine_and_another_image_are_named() {
        let canaries = [
            canary("start", "sha256:aa", 2.0, 100),
            canary("end", "sha256:bb", 3.0, 100),
        ];
        let found = assess(&[], &canaries, 0.25);
        assert_eq!(found.warnings.len(), 2, "{:?}", found.warnings);
        assert!(
            found.warnings[0].starts_with("2 images were used"),
            "{:?}",
            found.warnings
        );
        assert!(
            found.warnings[1].contains("predict phase took from 2.00 s to 3.00 s")
                && found.warnings[1].contains("+50%")
        );
        // Small phases move by noise: a tenth of a second is never drift.
        let quick = [
            canary("start", "sha256:aa", 0.05, 1),
            canary("end", "sha256:aa", 0.15, 1),
        ];
        assert!(assess(&[], &quick, 0.25).warnings.is_empty());
    }
}
