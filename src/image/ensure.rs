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
