//! The sandbox image folders built into the binary, so an installed `assay` run from any
//! folder builds the same images; `--images-dir` (or ASSAY_IMAGES_DIR) points elsewhere.

use std::path::{Path, PathBuf};

use anyhow::Context;
use include_dir::{Dir, include_dir};

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/sandbox-images");

/// Where the image folders are: the one given, or the bundled ones written to a temp folder
/// (removed when this is dropped).
pub struct ImagesDir {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl ImagesDir {
    pub fn resolve(given: Option<&Path>) -> anyhow::Result<ImagesDir> {
        if let Some(path) = given {
            return Ok(ImagesDir {
                path: path.to_path_buf(),
                _temp: None,
            });
        }
        let temp = crate::temp_dirs::owned("images")?;
        BUNDLED
            .extract(temp.path())
            .context("writing the bundled sandbox image folders")?;
        Ok(ImagesDir {
            path: temp.path().to_path_buf(),
            _temp: Some(temp),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_folders_equal_the_repositorys() {
        let bundled = ImagesDir::resolve(None).unwrap();
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox-images");
        for name in crate::image::list(&here).unwrap() {
            let ours = crate::image::BuildContext::from_dir(&here.join(&name)).unwrap();
            let theirs = crate::image::BuildContext::from_dir(&bundled.path().join(&name)).unwrap();
            assert_eq!(ours.sha256, theirs.sha256, "{name}");
        }
    }
}
