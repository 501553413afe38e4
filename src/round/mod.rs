//! A round seen as a whole, from its reports: how well each hidden test and metric threshold
//! tells candidates apart (`discrimination`), and whether every candidate was graded under the
//! same conditions (`conditions`). Pure: callers hand in the reports.

pub mod conditions;
pub mod discrimination;
