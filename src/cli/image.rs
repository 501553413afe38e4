//! `assay image build|bootstrap`: sandbox images and the Debian base they start from.

use std::path::PathBuf;

use clap::Subcommand;

use crate::exit::Exit;

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build sandbox-images/NAME as assay/NAME (all when omitted); unchanged folders are not rebuilt.
    Build {
        names: Vec<String>,
        /// The folder holding one sub-folder per sandbox image (default: the ones built into assay).
        #[arg(long, env = "ASSAY_IMAGES_DIR")]
        images_dir: Option<PathBuf>,
    },
    /// Copy sandbox images to another engine without a registry (export, then load there).
    Sync {
        /// Image names (assay/NAME), e.g. python-ml.
        #[arg(required = true)]
        names: Vec<String>,
        /// The other engine: tcp://HOST:2376 (TLS when DOCKER_TLS_VERIFY is set, certificates
        /// from DOCKER_CERT_PATH) or unix:///....
        #[arg(long)]
        to: String,
    },
    /// Push sandbox images to a private registry; prints each one's reference by digest, for
    /// `assay worker --pull`.
    Push {
        #[arg(required = true)]
        names: Vec<String>,
        /// The registry, HOST:PORT.
        #[arg(long)]
        registry: String,
    },
    /// Make the Debian base image(s) the sandbox Dockerfiles start from, without a registry.
    Bootstrap {
        /// Base image names; by default those named by the sandbox Dockerfiles.
        images: Vec<String>,
        #[arg(long, env = "ASSAY_IMAGES_DIR")]
        images_dir: Option<PathBuf>,
    },
}

fn print_progress(line: &str) {
    eprintln!("  {line}");
}

pub async fn run(command: ImageCommand) -> anyhow::Result<Exit> {
    let docker = crate::docker::connect().await?;
    match command {
        ImageCommand::Build { names, images_dir } => {
            let images_dir = crate::image::ImagesDir::resolve(images_dir.as_deref())?;
            let images_dir = images_dir.path();
            let names = if names.is_empty() {
                crate::image::list(images_dir)?
            } else {
                names
            };
            for name in names {
                eprintln!("image {name}:");
                let built = crate::image::build(&docker, images_dir, &name, &mut print_progress).await?;
                let what = if built.rebuilt { "built" } else { "up to date" };
                println!("{} {what} ({})", built.name, built.id);
            }
        }
        ImageCommand::Sync { names, to } => {
            let other = crate::docker::connect_to(Some(&to)).await?;
            for name in names {
                let synced = crate::image::sync(&docker, &other, &name).await?;
                println!("{} on {to} ({})", synced.tags.join(", "), synced.id);
            }
        }
        ImageCommand::Push { names, registry } => {
            for name in names {
                println!("{}", crate::image::push(&docker, &name, &registry).await?);
            }
        }
        ImageCommand::Bootstrap { images, images_dir } => {
            let images_dir = crate::image::ImagesDir::resolve(images_dir.as_deref())?;
            let images = if images.is_empty() {
                bases(images_dir.path())?
            } else {
                images
            };
            for image in images {
                eprintln!("base {image}:");
                crate::image::bootstrap(&docker, &image, &mut print_progress).await?;
                println!("{image} made from Debian's packages");
            }
        }
    }
    Ok(Exit::Success)
}

/// The distinct base images the sandbox Dockerfiles start from.
fn bases(images_dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut bases = Vec::new();
    for name in crate::image::list(images_dir)? {
        let dockerfile = std::fs::read_to_string(images_dir.join(&name).join("Dockerfile"))?;
        if let Some(base) = crate::image::base_image(&dockerfile)
            && !bases.contains(&base)
        {
            bases.push(base);
        }
    }
    Ok(bases)
}
