//! Building `sandbox-images/NAME` into `assay/NAME`, skipped when the folder is unchanged.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::query_parameters::{BuildImageOptionsBuilder, CreateImageOptionsBuilder, TagImageOptionsBuilder};
use futures_util::StreamExt;

use super::bootstrap::{base_image, bootstrap};
use super::context::BuildContext;
use crate::docker::is_not_found;

/// A sandbox image ready to run.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// `assay/NAME:latest`.
    pub name: String,
    /// The engine's image id.
    pub id: String,
    /// False when an image of the same folder content already existed.
    pub rebuilt: bool,
}

/// The repository a sandbox folder is built into.
pub fn repository(name: &str) -> String {
    format!("assay/{name}")
}

/// The folder names under `images_dir` that hold a Dockerfile, sorted.
pub fn list(images_dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let entries = std::fs::read_dir(images_dir)
        .with_context(|| format!("reading the sandbox images folder {}", images_dir.display()))?;
    for entry in entries {
        let entry = entry?;
        if entry.path().join("Dockerfile").is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Builds `images_dir/NAME` unless an image of the same content exists; makes a missing
/// Debian base from Debian's packages when it cannot be pulled.
pub async fn build(
    docker: &Docker,
    images_dir: &Path,
    name: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<BuiltImage> {
    build_folder(docker, &images_dir.join(name), name, progress).await
}

/// Builds the folder `dir` (holding a Dockerfile) into `assay/NAME` unless an image of the
/// same content exists.
pub async fn build_folder(
    docker: &Docker,
    dir: &Path,
    name: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<BuiltImage> {
    let dockerfile_path = dir.join("Dockerfile");
    let dockerfile = std::fs::read_to_string(&dockerfile_path).map_err(|e| {
        crate::exit::input_error(format!(
            "no sandbox image {name:?}: cannot read {}: {e}",
            dockerfile_path.display()
        ))
    })?;
    let context = BuildContext::from_dir(dir)?;
    let repo = repository(name);
    let content_tag = format!("ctx-{}", &context.sha256[..16]);
    let content_name = format!("{repo}:{content_tag}");
    let latest = format!("{repo}:latest");

    match docker.inspect_image(&content_name).await {
        Ok(found) => {
            tag(docker, &content_name, &repo, "latest").await?;
            progress(&format!("{latest} is up to date ({content_tag})"));
            return Ok(BuiltImage {
                name: latest,
                id: found.id.unwrap_or_default(),
                rebuilt: false,
            });
        }
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(e).context("asking the engine for the image"),
    }

    if let Some(base) = base_image(&dockerfile) {
        ensure_base(docker, &base, progress).await?;
    }

    progress(&format!("building {content_name} from {}", dir.display()));
    let labels = HashMap::from([
        ("assay.image".to_string(), name.to_string()),
        ("assay.context".to_string(), context.sha256.clone()),
    ]);
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(&content_name)
        .rm(true)
        .forcerm(true)
        .labels(&labels)
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.tar.into())));
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                bail!("building {name} failed: {error}")
            }
            Err(e) => return Err(e).with_context(|| format!("building {name}")),
        };
        if let Some(detail) = info.error_detail {
            bail!("building {name} failed: {}", detail.message.unwrap_or_default());
        }
        if let Some(text) = info.stream {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                progress(line);
            }
        }
    }
    tag(docker, &content_name, &repo, "latest").await?;
    let id = docker.inspect_image(&content_name).await?.id.unwrap_or_default();
    Ok(BuiltImage {
        name: latest,
        id,
        rebuilt: true,
    })
}

async fn tag(docker: &Docker, source: &str, repo: &str, tag: &str) -> anyhow::Result<()> {
    let options = TagImageOptionsBuilder::default().repo(repo).tag(tag).build();
    docker
        .tag_image(source, Some(options))
        .await
        .with_context(|| format!("tagging {source} as {repo}:{tag}"))
}

/// Makes sure `base` exists: present, pulled, or bootstrapped from Debian's packages.
pub async fn ensure_base(docker: &Docker, base: &str, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    match docker.inspect_image(base).await {
        Ok(_) => return Ok(()),
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(e).context("asking the engine for the base image"),
    }
    let pull_error = match tokio::time::timeout(Duration::from_secs(60), pull(docker, base)).await {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => format!("{e:#}"),
        Err(_) => "no answer within 60s".to_string(),
    };
    progress(&format!(
        "base image {base} is missing and cannot be pulled ({pull_error}); making it from Debian's packages"
    ));
    bootstrap(docker, base, progress).await
}

async fn pull(docker: &Docker, image: &str) -> anyhow::Result<()> {
    let options = CreateImageOptionsBuilder::default().from_image(image).build();
    let mut stream = docker.create_image(Some(options), None, None);
    while let Some(item) = stream.next().await {
        item?;
    }
    Ok(())
}
