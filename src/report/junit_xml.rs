//! junit.xml for CI: one suite per submission, a case per phase, per metric threshold and per
//! hidden test. quick-junit escapes what the candidate printed; control characters and
//! terminal escapes are removed first, so the XML is valid whatever came out.

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use crate::model::PhaseVerdict;
use crate::model::Report;
use crate::model::TestStatus;
// Plain text is also what XML 1.0 can carry: no control characters but newline and tab.
use crate::text::plain;

fn failure(kind: NonSuccessKind, message: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(plain(message));
    status
}

pub fn render(report: &Report) -> Result<String, super::RenderError> {
    let mut junit = Junit::new("assay");
    let mut suite = TestSuite::new(format!("{} {}", report.assignment.id, plain(&report.submission.name)));
    for phase in &report.phases {
        let status = match phase.verdict {
            PhaseVerdict::Passed => TestCaseStatus::success(),
            PhaseVerdict::Skipped => TestCaseStatus::skipped(),
            PhaseVerdict::HarnessError => failure(
                NonSuccessKind::Error,
                phase.message.as_deref().unwrap_or("harness error"),
            ),
            verdict => failure(
                NonSuccessKind::Failure,
                &format!("{}: {}", verdict.as_str(), phase.message.as_deref().unwrap_or("")),
            ),
        };
        let mut case = TestCase::new(format!("phase {}", phase.name), status);
        case.set_classname("phase");
        case.set_time(std::time::Duration::from_secs_f64(phase.wall_seconds.max(0.0)));
        case.set_system_out(plain(&phase.stdout_tail));
        case.set_system_err(plain(&phase.stderr_tail));
        suite.add_test_case(case);
    }
    for metric in &report.metrics {
        let status = if metric.passed {
            TestCaseStatus::success()
        } else {
            failure(NonSuccessKind::Failure, metric.message.as_deref().unwrap_or("missed"))
        };
        let mut case = TestCase::new(format!("metric {}", metric.name), status);
        case.set_classname("metric");
        suite.add_test_case(case);
    }
    for test in &report.tests {
        let message = test.message.as_deref().unwrap_or("");
        let status = match test.status {
            TestStatus::Passed => TestCaseStatus::success(),
            TestStatus::Skipped => TestCaseStatus::skipped(),
            TestStatus::Failed => failure(NonSuccessKind::Failure, message),
            TestStatus::Error => failure(NonSuccessKind::Error, message),
        };
        let mut case = TestCase::new(plain(&test.name), status);
        case.set_classname(format!("hidden test ({})", test.phase));
        if let Some(seconds) = test.seconds {
            case.set_time(std::time::Duration::from_secs_f64(seconds.max(0.0)));
        }
        suite.add_test_case(case);
    }
    junit.add_test_suite(suite);
    junit.to_string().map_err(|e| super::RenderError::Junit(e.to_string()))
}
