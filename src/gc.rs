//! Finding and removing what assay left behind: containers and volumes labelled `assay.run`
//! whose owning process is gone (or all of them, when asked), and the temp folders of
//! processes that are gone (see `temp_dirs`).

use std::collections::HashMap;

use anyhow::Context;
use bollard::Docker;
use bollard::query_parameters::{ListContainersOptionsBuilder, ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder};

/// `host/pid`: who made an object, so a later start can tell a live run from a dead one.
pub fn owner_label() -> String {
    format!("{}/{}", hostname(), std::process::id())
}

/// This machine's name, as owner labels carry it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// True when the owner label names a process of this host that no longer runs.
fn owner_is_gone(owner: Option<&String>) -> bool {
    let Some((host, pid)) = owner.and_then(|o| o.rsplit_once('/')) else {
        return true;
    };
    if host != hostname() {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) => crate::temp_dirs::process_is_gone(pid),
        Err(_) => true,
    }
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub containers: usize,
    pub volumes: usize,
    pub temp_dirs: usize,
}

/// Which labelled objects a sweep removes.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Those whose owning process on this host has ended.
    Stale,
    /// Every object of one run.
    Run(String),
    /// Every object this process (an owner label) made.
    Owner(String),
    /// Everything labelled `assay.run`.
    All,
}

pub async fn sweep(docker: &Docker, scope: &Scope) -> anyhow::Result<Swept> {
    let label = match scope {
        Scope::Run(run) => format!("assay.run={run}"),
        _ => "assay.run".to_string(),
    };
    let filters = HashMap::from([("label", vec![label.as_str()])]);
    let mut swept = Swept::default();
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker
        .list_containers(Some(options))
        .await
        .context("listing assay containers")?;
    for container in containers {
        let labels = container.labels.unwrap_or_default();
        if !in_scope(scope, labels.get("assay.owner")) {
            continue;
        }
        if let Some(id) = container.id {
            crate::docker::remove_container(docker, &id).await;
            swept.containers += 1;
        }
    }
    let options = ListVolumesOptionsBuilder::default().filters(&filters).build();
    let volumes = docker
        .list_volumes(Some(options))
        .await
        .context("listing assay volumes")?;
    for volume in volumes.volumes.unwrap_or_default() {
        if !in_scope(scope, volume.labels.get("assay.owner")) {
            continue;
        }
        let options = RemoveVolumeOptionsBuilder::default().force(true).build();
        if docker.remove_volume(&volume.name, Some(options)).await.is_ok() {
            swept.volumes += 1;
        }
    }
    // Temp folders carry no owner but a pid; only those of ended processes are removed.
    if !matches!(scope, Scope::Run(_) | Scope::Owner(_)) {
        swept.temp_dirs = crate::temp_dirs::sweep();
    }
    Ok(swept)
}

fn in_scope(scope: &Scope, owner: Option<&String>) -> bool {
    match scope {
        Scope::Stale => owner_is_gone(owner),
        Scope::Owner(wanted) => owner == Some(wanted),
        Scope::Run(_) | Scope::All => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners() {
        assert!(!owner_is_gone(Some(&owner_label())));
        assert!(owner_is_gone(Some(&format!("{}/999999999", hostname()))));
        assert!(!owner_is_gone(Some(&"another-host/1".to_string())));
        assert!(owner_is_gone(None));
    }
}
