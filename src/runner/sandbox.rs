//! The locked-down container every phase runs in. These settings are always on.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, ResourcesUlimits};

use crate::spec::Sandbox;

/// Syscalls refused inside every sandbox (EPERM), on top of dropped capabilities: kernel
/// modules and keys, namespaces and mounts, ptrace and cross-process memory, io_uring, bpf.
const SECCOMP_PROFILE: &str = include_str!("seccomp.json");

/// The unprivileged user that runs candidate code and owns the writable areas.
pub const CANDIDATE_USER: &str = "1000:1000";

/// Labels on every object assay makes, so a crash leaves nothing `assay gc` cannot find.
pub fn labels(run_id: &str, submission_sha: &str) -> HashMap<String, String> {
    HashMap::from([
        ("assay.run".to_string(), run_id.to_string()),
        ("assay.submission".to_string(), submission_sha.to_string()),
        ("assay.owner".to_string(), crate::gc::owner_label()),
    ])
}

/// A mount point with the size of its tmpfs.
#[derive(Clone)]
pub struct Area {
    pub path: String,
    pub bytes: u64,
    pub exec: bool,
    /// Owned by root: the candidate reads it but cannot change it (the assignment's inputs).
    pub read_only: bool,
}

/// The container for one phase. Its main process only holds the container open: a root
/// `sleep` that ignores TERM, so the candidate (another user) can neither signal it nor end
/// the container, and phase steps run as execs of the candidate user.
pub fn container_body(
    sandbox: &Sandbox,
    labels: HashMap<String, String>,
    areas: &[Area],
    env: Vec<String>,
) -> ContainerCreateBody {
    let tmpfs = areas
        .iter()
        .map(|area| {
            let exec = if area.exec { "exec" } else { "noexec" };
            let owner = if area.read_only { 0 } else { 1000 };
            let options = format!(
                "rw,{exec},nosuid,nodev,size={},uid={owner},gid={owner},mode=0755",
                area.bytes
            );
            (area.path.clone(), options)
        })
        .collect();
    let ulimit = |name: &str, value: i64| ResourcesUlimits {
        name: Some(name.to_string()),
        soft: Some(value),
        hard: Some(value),
    };
    let host_config = HostConfig {
        network_mode: Some("none".to_string()),
        cap_drop: Some(vec!["ALL".to_string()]),
        security_opt: Some(vec![
            "no-new-privileges:true".to_string(),
            format!("seccomp={SECCOMP_PROFILE}"),
        ]),
        readonly_rootfs: Some(true),
        tmpfs: Some(tmpfs),
        memory: Some(sandbox.memory_bytes as i64),
        memory_swap: Some(sandbox.memory_bytes as i64),
        pids_limit: Some(sandbox.pids),
        nano_cpus: Some((sandbox.cpus * 1e9) as i64),
        init: Some(true),
        ulimits: Some(vec![
            ulimit("core", 0),
            ulimit("nofile", sandbox.open_files as i64),
            ulimit("fsize", sandbox.file_size_bytes as i64),
        ]),
        ipc_mode: Some("private".to_string()),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(sandbox.image.clone()),
        user: Some("0:0".to_string()),
        cmd: Some(vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            "trap '' TERM INT HUP; exec sleep infinity".to_string(),
        ]),
        entrypoint: Some(vec![]),
        env: Some(env),
        working_dir: Some("/workspace".to_string()),
        labels: Some(labels),
        network_disabled: Some(true),
        host_config: Some(host_config),
        ..Default::default()
    }
}
