//! Sandbox images through a private registry (Debian's `docker-registry` is the reference
//! Distribution registry): pushed from the engine that built them, pulled by digest on the
//! workers' engines, so every engine holds exactly the image that was pushed.

use anyhow::Context;
use bollard::Docker;
use futures_util::StreamExt;

/// Pushes `assay/NAME:latest` to `registry` (HOST:PORT); gives the pushed image's reference by
/// digest, `HOST:PORT/assay/NAME@sha256:...`, which `pull` takes.
pub async fn push(docker: &Docker, name: &str, registry: &str) -> anyhow::Result<String> {
    let local = format!("{}:latest", super::repository(name));
    let remote = format!("{registry}/{}", super::repository(name));
    docker
        .tag_image(
            &local,
            Some(bollard::query_parameters::TagImageOptions {
                repo: Some(remote.clone()),
                tag: Some("latest".into()),
            }),
        )
        .await
        .with_context(|| format!("{local} is not on this engine (assay image build {name})"))?;
    let mut pushing = docker.push_image(
        &remote,
        Some(bollard::query_parameters::PushImageOptions {
            tag: Some("latest".into()),
            platform: None,
        }),
        None,
    );
    while let Some(progress) = pushing.next().await {
        let progress = progress.with_context(|| format!("pushing {remote}"))?;
        if let Some(error) = progress.error_detail.and_then(|e| e.message) {
            anyhow::bail!("the registry refused {remote}: {error}");
        }
    }
    let pushed = docker.inspect_image(&format!("{remote}:latest")).await?;
    let reference = pushed
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.starts_with(&format!("{remote}@sha256:")))
        .with_context(|| format!("the engine knows no digest for {remote} after pushing it"))?;
    // The registry's name was only needed to push: untagged, so pushes leave no names behind
    // (the image stays, under its own name).
    docker
        .remove_image(
            &format!("{remote}:latest"),
            Some(bollard::query_parameters::RemoveImageOptions {
                force: false,
                noprune: true,
                ..Default::default()
            }),
            None,
        )
        .await
        .with_context(|| format!("removing the tag {remote}:latest after pushing"))?;
    Ok(reference)
}

/// Pulls `reference` (`HOST:PORT/assay/NAME@sha256:...`) and names it `assay/NAME:latest`
/// here, as the specs name it. Gives the image id.
pub async fn pull(docker: &Docker, reference: &str) -> anyhow::Result<String> {
    let (name, digest) = parse(reference)?;
    let mut pulling = docker.create_image(
        Some(bollard::query_parameters::CreateImageOptions {
            from_image: Some(reference.to_string()),
            ..Default::default()
        }),
        None,
        None,
    );
    while let Some(progress) = pulling.next().await {
        let progress = progress.with_context(|| format!("pulling {reference}"))?;
        if let Some(error) = progress.error_detail.and_then(|e| e.message) {
            anyhow::bail!("pulling {reference}: {error}");
        }
    }
    let pulled = docker.inspect_image(reference).await?;
    if !pulled
        .repo_digests
        .iter()
        .flatten()
        .any(|d| d.ends_with(&format!("@{digest}")))
    {
        anyhow::bail!("the engine pulled {reference} but does not hold it by that digest");
    }
    docker
        .tag_image(
            reference,
            Some(bollard::query_parameters::TagImageOptions {
                repo: Some(super::repository(name)),
                tag: Some("latest".into()),
            }),
        )
        .await?;
    Ok(pulled.id.unwrap_or_default())
}

/// The sandbox image name and the digest of `HOST:PORT/assay/NAME@sha256:...`.
fn parse(reference: &str) -> anyhow::Result<(&str, &str)> {
    let (repository, digest) = reference
        .split_once('@')
        .filter(|(_, d)| d.len() == 71 && d.starts_with("sha256:") && d[7..].bytes().all(|b| b.is_ascii_hexdigit()))
        .with_context(|| {
            format!("{reference:?} is not an image reference by digest (HOST:PORT/assay/NAME@sha256:...)")
        })?;
    let name = repository
        .split_once("/assay/")
        .map(|(_, name)| name)
        .filter(|n| !n.is_empty() && !n.contains(['/', ':']))
        .with_context(|| format!("{reference:?} does not name a sandbox image (REGISTRY/assay/NAME@sha256:...)"))?;
    Ok((name, digest))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sandbox_images_by_digest_are_pulled() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let good = format!("127.0.0.1:5000/assay/python-ml@{digest}");
        assert_eq!(super::parse(&good).unwrap(), ("python-ml", digest.as_str()));
        for bad in [
            "127.0.0.1:5000/assay/python-ml:latest".to_string(),
            format!("127.0.0.1:5000/other/python-ml@{digest}"),
            format!("127.0.0.1:5000/assay/@{digest}"),
            "127.0.0.1:5000/assay/python-ml@sha256:zz".to_string(),
            format!("127.0.0.1:5000/assay/a/b@{digest}"),
        ] {
            assert!(super::parse(&bad).is_err(), "{bad}");
        }
    }
}
