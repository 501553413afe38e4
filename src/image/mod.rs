//! Sandbox images: built from `sandbox-images/NAME`, on a base made locally when needed.

mod bootstrap;
mod build;
mod bundled;
mod context;
mod ensure;
mod registry;
mod sync;

pub use bootstrap::{base_image, bootstrap, debian_suite};
pub use build::{BuiltImage, build, build_folder, ensure_base, list, repository};
pub use bundled::ImagesDir;
pub use context::BuildContext;
pub use ensure::ensure;
pub use registry::{pull, push};
pub use sync::{Synced, sync};
