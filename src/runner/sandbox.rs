//! The locked-down container every phase runs in. These settings are always on.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, ResourcesUlimits};

use crate::spec::Sandbox;

/// Syscalls refused inside every sandbox (EPERM), on top of dropped capabilities: kernel
/// modules and keys, namespaces and mounts, ptrace and cross-process memory, io_uring, bpf.
const SECCOMP_PROFILE: &str = include_str!("seccomp.json");

/// The unprivileged user that runs candidate code and owns the writable areas.
pub const CANDIDATE_USER: &str = "1000:1000";

/// The user that runs an author's trusted client beside a candidate's service: candidate
/// code cannot signal its processes or write what it writes (it owns `/out` then).
pub const GRADER_USER: &str = "1001:1001";

/// The trusted client's own HOME, TMPDIR and working folder beside a service: only it can
/// write there (mode 0700), so nothing it loads can come from the candidate.
pub const GRADER_HOME: &str = "/grader";

/// The environment of trusted code that shares a container with candidate code: its own HOME
/// and TMPDIR, a system-only PATH, and Python told to load nothing from a user site or the
/// working folder (where `.pth`, `sitecustomize` or `usercustomize` files could be planted).
pub fn trusted_env(env: &[String]) -> Vec<String> {
    let replaced = [
        "HOME=",
        "TMPDIR=",
        "PATH=",
        "PYTHONNOUSERSITE=",
        "PYTHONSAFEPATH=",
        "PYTHONPATH=",
        "LD_PRELOAD=",
    ];
    let mut trusted: Vec<String> = env
        .iter()
        .filter(|v| !replaced.iter().any(|r| v.starts_with(r)))
        .cloned()
        .collect();
    trusted.extend([
        format!("HOME={GRADER_HOME}"),
        format!("TMPDIR={GRADER_HOME}"),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        "PYTHONNOUSERSITE=1".to_string(),
        "PYTHONSAFEPATH=1".to_string(),
    ]);
    trusted
}

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
    pub owner: Owner,
}

/// Who may write an area (everyone may read it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Nobody: root owns it, and root there has no capabilities (the assignment's inputs).
    Root,
    Candidate,
    Grader,
    /// Everyone, each their own files (sticky, like /tmp).
    Shared,
}

impl Owner {
    fn tmpfs_options(self) -> &'static str {
        match self {
            Owner::Root => "uid=0,gid=0,mode=0755",
            Owner::Candidate => "uid=1000,gid=1000,mode=0755",
            // Not even readable by the candidate: what the client records stays its own.
            Owner::Grader => "uid=1001,gid=1001,mode=0700",
            Owner::Shared => "uid=0,gid=0,mode=1777",
        }
    }
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
            let options = format!(
                "rw,{exec},nosuid,nodev,size={},{}",
                area.bytes,
                area.owner.tmpfs_options()
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
