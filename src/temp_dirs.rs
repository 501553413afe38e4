//! Temp folders owned by this process, named `assay-<pid>-<purpose>-...`, so a later start
//! can remove those of a process that was killed before it could.

/// A temp folder owned by this process: its name starts `assay-<pid>-<purpose>-`, so a
/// later start can remove it when this process was killed before it could.
pub fn owned(purpose: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("assay-{}-{purpose}-", std::process::id()))
        .tempdir()
}

/// Removes the temp folders of assay processes of this host that have ended.
pub fn sweep() -> usize {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("assay-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir && process_is_gone(pid) {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("could not remove {}: {e}", entry.path().display()),
            }
        }
    }
    removed
}

/// True when no process of this host has `pid` (a reused pid keeps things, never removes them).
pub fn process_is_gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}
