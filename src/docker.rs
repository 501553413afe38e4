//! The connection to the Docker engine: the local socket, DOCKER_HOST, or a remote engine over
//! TLS.

use anyhow::Context;
use bollard::Docker;

/// Connects and agrees on an API version the engine accepts (ours speaks 1.41).
pub async fn connect() -> anyhow::Result<Docker> {
    connect_to(None).await
}

/// Connects to `host` (`unix:///...`, `tcp://HOST:PORT`; TLS with client certificates when
/// `DOCKER_TLS_VERIFY` is set, from `DOCKER_CERT_PATH`), or as DOCKER_HOST says when none.
pub async fn connect_to(host: Option<&str>) -> anyhow::Result<Docker> {
    let docker = match host {
        Some(host) => {
            Docker::connect_with_host(host).with_context(|| format!("cannot reach the Docker engine at {host}"))?
        }
        None => Docker::connect_with_defaults().context("cannot reach the Docker engine")?,
    };
    let docker = docker
        .negotiate_version()
        .await
        .context("the Docker engine does not answer (is dockerd running? is DOCKER_HOST right?)")?;
    Ok(docker)
}

/// True when an engine error means "no such object".
pub fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }
    )
}

/// The engine's version string, for provenance.
pub async fn engine_version(docker: &Docker) -> String {
    match docker.version().await {
        Ok(v) => format!(
            "{} (API {})",
            v.version.unwrap_or_default(),
            v.api_version.unwrap_or_default()
        ),
        Err(_) => "unknown".to_string(),
    }
}

/// Force-removes a container, trying again while a busy engine refuses (a removal already in
/// progress, a mount still busy); what still fails is left for `assay gc` (it is labelled).
pub async fn remove_container(docker: &Docker, id: &str) {
    let options = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    for attempt in 1..=4 {
        match docker.remove_container(id, Some(options.clone())).await {
            Ok(()) => return,
            Err(e) if is_not_found(&e) => return,
            Err(e) if attempt == 4 => tracing::warn!("could not remove container {id}: {e}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(250 * attempt)).await,
        }
    }
}
