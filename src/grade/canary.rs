//! The canary of a round: the assignment's reference solution graded under the round's
//! conditions at the start and at the end of a grading session, kept in the round's folder,
//! so a slower machine or another image shows up beside the candidates' timings.

use std::path::Path;

use super::Grader;
use crate::round::conditions::Canary;
use crate::runner::Backend;
use crate::spec::Spec;

/// Grades the reference solution (`solutions/reference`) as the round's `moment` canary and
/// records it in `out`; `None` when the assignment has no reference solution.
pub async fn grade_canary(
    backend: &Backend,
    spec: &Spec,
    image_id: &str,
    engine: &str,
    out: &Path,
    moment: &str,
) -> anyhow::Result<Option<Canary>> {
    let reference = spec.dir.join("solutions").join("reference");
    if !reference.is_dir() {
        return Ok(None);
    }
    // Graded into a folder of its own: the reference is never a row of the round.
    let scratch = crate::temp_dirs::owned("canary")?;
    let mut grader = Grader::new(
        backend,
        spec,
        image_id.to_string(),
        engine.to_string(),
        scratch.path().to_path_buf(),
    );
    grader.force = true;
    grader.runs = Some(1);
    let report = grader.grade(&reference).await?.report;
    let canary = Canary::of(&report, moment);
    crate::store::canaries::record(out, &canary)?;
    Ok(Some(canary))
}
