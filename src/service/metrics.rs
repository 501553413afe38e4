//! `/metrics` in Prometheus' text format: the queue, grades by verdict, and how long grades take.

use std::sync::Mutex;

use crate::model::RunVerdict;

/// Upper bounds of the grade duration histogram, in seconds.
const BUCKETS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0];

const VERDICTS: [RunVerdict; 4] = [
    RunVerdict::Passed,
    RunVerdict::Failed,
    RunVerdict::InvalidSubmission,
    RunVerdict::HarnessError,
];

/// Counted since this process started.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    by_verdict: [u64; 4],
    buckets: [u64; BUCKETS.len()],
    seconds: f64,
    grades: u64,
}

impl Metrics {
    pub fn graded(&self, verdict: RunVerdict, seconds: f64) {
        let mut counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = VERDICTS.iter().position(|v| *v == verdict) {
            counts.by_verdict[i] += 1;
        }
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                counts.buckets[i] += 1;
            }
        }
        counts.seconds += seconds;
        counts.grades += 1;
    }

    /// The exposition text; `by_status` is the database's count of submissions per status,
    /// `warm` the warm pool's containers ready and taken (when the process keeps one).
    pub fn render(&self, by_status: &[(&str, i64)], warm: Option<(usize, u64)>) -> String {
        let counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut text =
            String::from("# HELP assay_submissions Submissions by status.\n# TYPE assay_submissions gauge\n");
        for (status, n) in by_status {
            text.push_str(&format!("assay_submissions{{status=\"{status}\"}} {n}\n"));
        }
        text.push_str("# HELP assay_grades_total Grades finished by this process, by verdict.\n");
        text.push_str("# TYPE assay_grades_total counter\n");
        for (verdict, n) in VERDICTS.iter().zip(counts.by_verdict) {
            text.push_str(&format!("assay_grades_total{{verdict=\"{}\"}} {n}\n", verdict.as_str()));
        }
        text.push_str("# HELP assay_grade_seconds How long a grade took.\n# TYPE assay_grade_seconds histogram\n");
        for (bound, n) in BUCKETS.iter().zip(counts.buckets) {
            text.push_str(&format!("assay_grade_seconds_bucket{{le=\"{bound}\"}} {n}\n"));
        }
        text.push_str(&format!(
            "assay_grade_seconds_bucket{{le=\"+Inf\"}} {}\n",
            counts.grades
        ));
        text.push_str(&format!("assay_grade_seconds_sum {}\n", counts.seconds));
        text.push_str(&format!("assay_grade_seconds_count {}\n", counts.grades));
        if let Some((ready, taken)) = warm {
            text.push_str(
                "# HELP assay_warm_containers First-phase containers made ahead, waiting for a submission.\n",
            );
            text.push_str(&format!(
                "# TYPE assay_warm_containers gauge\nassay_warm_containers {ready}\n"
            ));
            text.push_str("# HELP assay_warm_taken_total Runs whose first phase started in a warm container.\n");
            text.push_str(&format!(
                "# TYPE assay_warm_taken_total counter\nassay_warm_taken_total {taken}\n"
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.graded(RunVerdict::Passed, 1.5);
        metrics.graded(RunVerdict::Failed, 40.0);
        let text = metrics.render(&[("queued", 3)], None);
        assert!(!text.contains("assay_warm"), "{text}");
        let warm = metrics.render(&[], Some((1, 4)));
        assert!(warm.contains("\nassay_warm_containers 1\n"), "{warm}");
        assert!(warm.contains("\nassay_warm_taken_total 4\n"), "{warm}");
        assert!(text.contains("assay_submissions{status=\"queued\"} 3\n"), "{text}");
        assert!(text.contains("assay_grades_total{verdict=\"passed\"} 1\n"), "{text}");
        assert!(text.contains("assay_grade_seconds_bucket{le=\"1\"} 0\n"), "{text}");
        assert!(text.contains("assay_grade_seconds_bucket{le=\"2\"} 1\n"), "{text}");
        assert!(text.contains("assay_grade_seconds_bucket{le=\"60\"} 2\n"), "{text}");
        assert!(text.contains("assay_grade_seconds_count 2\n"), "{text}");
    }
}
