//! What both backends (containers and local processes) take and give for one phase.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::sandbox::Area;
use crate::model::PhaseOutcome;
use crate::spec::{Phase, Sandbox};

/// How long a phase gets between SIGTERM and SIGKILL when its time is up.
pub const GRACE: Duration = Duration::from_secs(2);

pub struct PhaseRequest<'a> {
    pub phase: &'a Phase,
    pub sandbox: &'a Sandbox,
    pub labels: HashMap<String, String>,
    pub container_name: String,
    /// A tar with `workspace/...`, unpacked at `/` as the candidate.
    pub upload: &'a Path,
    /// A tar with each input folder, unpacked at `/` as root (None when there are none).
    pub inputs_upload: Option<&'a Path>,
    pub input_areas: Vec<Area>,
    pub env: Vec<String>,
    /// Where the workspace after the phase is saved as a tar (for the next phase).
    pub workspace_out: &'a Path,
    /// A later phase starts from this workspace, so it is saved.
    pub keep_workspace: bool,
    /// Where the declared outputs are saved as a tar.
    pub outputs_out: &'a Path,
    /// A container `prepare` already made for this request, while the phase before ran.
    pub prepared: Option<String>,
}

/// The phase's outcome; `collected` is true when the workspace and outputs were saved.
pub struct PhaseRun {
    pub outcome: PhaseOutcome,
    pub collected: bool,
    /// The container's removal, left running so the next phase need not wait for it; the
    /// run awaits it before it ends.
    pub removal: Option<tokio::task::JoinHandle<()>>,
}
