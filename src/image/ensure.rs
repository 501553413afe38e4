//! The sandbox image a spec names, built from the image folders when it is one of assay's own
//! and not yet built.

use std::path::Path;

use anyhow::Context;
use bollard::Docker;

use crate::exit::input_error;
use crate::spec::Spec;

/// The sandbox image's id, built from `images_dir` (default: the bundled folders) when it is
/// an `assay/NAME` not yet built.
pub async fn ensure(
    docker: &Docker,
    spec: &Spec,
    images_dir: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<String> {
    if let Some(folder) = &spec.sandbox.build {
        return build_own(docker, spec, folder, images_dir, progress).await;
    }
    match docker.inspect_image(&spec.sandbox.image).await {
        Ok(image) => return Ok(image.id.unwrap_or_default()),
        Err(e) if crate::docker::is_not_found(&e) => {}
        Err(e) => return Err(e).context("asking the engine for the sandbox image"),
    }
    let name = spec
        .sandbox
        .image
        .strip_prefix("assay/")
        .map(|n| n.split(':').next().unwrap_or(n));
    let images_dir = super::ImagesDir::resolve(images_dir)?;
    let images_dir = images_dir.path();
    match name {
        Some(name) if images_dir.join(name).join("Dockerfile").is_file() => {
            progress(&format!(
                "sandbox image {} is missing; building it from {}",
                spec.sandbox.image,
                images_dir.join(name).display()
            ));
            let built = super::build(docker, images_dir, name, &mut |line| progress(&format!("  {line}"))).await?;
            Ok(built.id)
        }
        _ => Err(input_error(format!(
            "the sandbox image {} does not exist and no sandbox-images folder builds it",
            spec.sandbox.image
        ))),
    }
}

/// The assignment's own image, built from its folder (a no-op when the folder is unchanged),
/// after the `assay/NAME` sandbox image it starts from, when it starts from one.
async fn build_own(
    docker: &Docker,
    spec: &Spec,
    folder: &Path,
    images_dir: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<String> {
    let dir = spec.dir.join(folder);
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile"))
        .with_context(|| format!("reading {}", dir.join("Dockerfile").display()))?;
    let images_dir = super::ImagesDir::resolve(images_dir)?;
    if let Some(base) = super::base_image(&dockerfile)
        && let Some(base) = base
            .strip_prefix("assay/")
            .map(|b| b.split(':').next().unwrap_or(b).to_string())
        && images_dir.path().join(&base).join("Dockerfile").is_file()
    {
        super::build(docker, images_dir.path(), &base, &mut |line| {
            progress(&format!("  {line}"))
        })
        .await?;
    }
    let name = spec.sandbox.image.trim_start_matches("assay/");
    let name = name.split(':').next().unwrap_or(name);
    let built = super::build_folder(docker, &dir, name, &mut |line| progress(&format!("  {line}"))).await?;
    Ok(built.id)
}
