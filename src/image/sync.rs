//! Copying sandbox images from this engine to another without a registry: the image is
//! exported (as `docker save` would) and streamed into the other engine's load, under every
//! tag it has here. The image id, a digest of its configuration, is the same on both sides,
//! which is what a worker checks before it grades.

use anyhow::Context;
use bollard::Docker;
use futures_util::StreamExt;

/// What one image's copy did.
pub struct Synced {
    pub id: String,
    pub tags: Vec<String>,
}

/// Copies `assay/NAME` (every tag of it here) from `from` to `to`.
pub async fn sync(from: &Docker, to: &Docker, name: &str) -> anyhow::Result<Synced> {
    let repository = super::repository(name);
    let image = from
        .inspect_image(&format!("{repository}:latest"))
        .await
        .with_context(|| format!("{repository}:latest is not on this engine (assay image build {name})"))?;
    let id = image.id.unwrap_or_default();
    let tags: Vec<String> = image
        .repo_tags
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.starts_with(&format!("{repository}:")))
        .collect();
    if let Ok(there) = to.inspect_image(&format!("{repository}:latest")).await
        && there.id.as_deref() == Some(id.as_str())
        && tags
            .iter()
            .all(|t| there.repo_tags.as_deref().unwrap_or_default().contains(t))
    {
        return Ok(Synced { id, tags });
    }
    let names: Vec<&str> = tags.iter().map(String::as_str).collect();
    let exported = from.export_images(&names);
    let mut loading = to.import_image_stream(
        bollard::query_parameters::ImportImageOptionsBuilder::default()
            .quiet(true)
            .build(),
        exported,
        None,
    );
    while let Some(progress) = loading.next().await {
        let progress = progress.context("streaming the image to the other engine")?;
        if let Some(error) = progress.error_detail.and_then(|e| e.message) {
            anyhow::bail!("the other engine refused the image: {error}");
        }
    }
    let there = to
        .inspect_image(&format!("{repository}:latest"))
        .await
        .context("the image is not on the other engine after loading it")?;
    if there.id.as_deref() != Some(id.as_str()) {
        anyhow::bail!(
            "the other engine holds {} under {repository}:latest, not {id}",
            there.id.unwrap_or_default()
        );
    }
    Ok(Synced { id, tags })
}
