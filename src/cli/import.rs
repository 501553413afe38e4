//! `assay import gradescope AUTOGRADER.zip --id NAME`: an assignment that runs a Gradescope
//! autograder unchanged. Its image is built from the autograder's `setup.sh` on Gradescope's
//! layout (at build time, with the network, as on Gradescope); its one phase runs
//! `run_autograder` on the submission and reads `results.json`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::{Exit, input_error};
use crate::intake::{IntakeError, intake};
use crate::spec::IntakeLimits;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// A Gradescope autograder zip (setup.sh, run_autograder and their files).
    Gradescope(GradescopeArgs),
}

#[derive(Debug, clap::Args)]
pub struct GradescopeArgs {
    /// The autograder zip, as uploaded to Gradescope.
    zip: PathBuf,
    /// The new assignment's id (lowercase letters, digits, '-' and '_').
    #[arg(long)]
    id: String,
    /// The folder to make it in.
    #[arg(long, default_value = "assignments")]
    dir: PathBuf,
}

/// The folder of the assignment that the image is built from.
const BUILD_FOLDER: &str = "autograder";

/// What an autograder zip may hold when unpacked.
const LIMITS: IntakeLimits = IntakeLimits {
    max_entries: 20_000,
    max_bytes: 512 * 1024 * 1024,
    max_depth: 32,
    max_name_length: 255,
};

pub fn run(command: ImportCommand) -> anyhow::Result<Exit> {
    match command {
        ImportCommand::Gradescope(args) => gradescope(args),
    }
}

fn gradescope(args: GradescopeArgs) -> anyhow::Result<Exit> {
    let id = &args.id;
    if !crate::spec::is_identifier(id) {
        return Err(input_error(format!(
            "{id:?} is not a valid assignment id: use lowercase letters, digits, '-' and '_'"
        )));
    }
    let dir = args.dir.join(id);
    if dir.exists() {
        return Err(input_error(format!(
            "{} already exists; choose another id or folder",
            dir.display()
        )));
    }
    let unpacked = match intake(&args.zip, &LIMITS) {
        Ok(unpacked) => unpacked,
        Err(IntakeError::Refused(why)) => {
            return Err(input_error(format!("{}: {why}", args.zip.display())));
        }
        Err(IntakeError::Harness(error)) => return Err(error),
    };
    for needed in ["setup.sh", "run_autograder"] {
        if !unpacked.root.join(needed).is_file() {
            return Err(input_error(format!(
                "{}: no {needed} at the top of the autograder (Gradescope runs setup.sh to build and run_autograder to grade)",
                args.zip.display()
            )));
        }
    }
    // Made beside its final place and renamed, so a failed import leaves no half folder.
    std::fs::create_dir_all(&args.dir).with_context(|| format!("making {}", args.dir.display()))?;
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{id}-importing-"))
        .tempdir_in(&args.dir)
        .with_context(|| format!("making a folder in {}", args.dir.display()))?;
    let build = partial.path().join(BUILD_FOLDER);
    copy_tree(&unpacked.root, &build.join("source"))?;
    write(&build, "Dockerfile", &DOCKERFILE.replace("{{id}}", id))?;
    write(&build, "assay-run", RUN_SCRIPT)?;
    write(partial.path(), "assignment.toml", &SPEC.replace("{{id}}", id))?;
    write(partial.path(), "README.md", &README.replace("{{id}}", id))?;
    let made = partial.keep();
    std::fs::rename(&made, &dir).with_context(|| format!("moving the import to {}", dir.display()))?;
    println!(
        "made {} from the Gradescope autograder {} ({} files); the image is built from {}/{BUILD_FOLDER} on the first grade; try: assay grade -a {} SUBMISSION",
        dir.display(),
        args.zip.display(),
        unpacked.tally.files,
        dir.display(),
        dir.display()
    );
    Ok(Exit::Success)
}

/// Regular files and folders only; intake refused links and devices already.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("making {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn write(dir: &Path, relative: &str, content: &str) -> anyhow::Result<()> {
    let path = dir.join(relative);
    std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))
}

const DOCKERFILE: &str = r#"# Made by `assay import gradescope`: Gradescope's layout on assay's Python sandbox. setup.sh
# runs here, as root and with the network, once per change of this folder; never while grading
# (assay runs every phase as its unprivileged user). Few steps: each one is a layer to commit.
FROM assay/python-ml
USER root
COPY . /opt/assay-import/
RUN export DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1 \
 && mkdir -p /autograder \
 && mv /opt/assay-import/source /autograder/source \
 && install -m 755 /opt/assay-import/assay-run /usr/local/bin/assay-gradescope-run \
 && rm -rf /opt/assay-import \
 && install -m 755 /autograder/source/run_autograder /autograder/run_autograder \
 && cd /autograder/source && bash ./setup.sh && cd / \
 && mv /autograder/source /opt/autograder-source \
 && chmod -R a+rX /opt/autograder-source \
 && ln -s /tmp/autograder/source /autograder/source \
 && ln -s /workspace /autograder/submission \
 && ln -s /out /autograder/results
"#;

const RUN_SCRIPT: &str = r#"#!/bin/sh
# Gradescope's layout in assay's read-only sandbox: the autograder's files are copied where it
# may write them (/autograder/source is a link into /tmp), /autograder/submission is the
# candidate's workspace and /autograder/results is /out, which assay reads results.json from.
set -e
mkdir -p /tmp/autograder
cp -R /opt/autograder-source /tmp/autograder/source
cd /autograder/source
exec /autograder/run_autograder
"#;

const SPEC: &str = r#"# Imported from a Gradescope autograder by `assay import gradescope`. The image is built from
# autograder/ (its setup.sh runs then, with the network); grading runs run_autograder on the
# submission with no network, as an unprivileged user, under these limits.

[assignment]
id = "{{id}}"
title = "{{id}} (Gradescope autograder)"
version = "1"

[sandbox]
image = "assay/gradescope-{{id}}"
build = "autograder"
memory = "2GiB"
cpus = 1.0
pids = 256
tmp_size = "512MiB"
timeout = "10m"

# Its tests become hidden tests with their max_score as weight; results.json is written in a
# container that ran candidate code, so every result is marked candidate_influenced.
[[phase]]
name = "autograder"
run = "/usr/local/bin/assay-gradescope-run"
gradescope = "/out/results.json"

[reproducibility]
runs = 2
"#;

const README: &str = r#"# {{id}}

Imported from a Gradescope autograder with `assay import gradescope`. `autograder/source/` holds
its files unchanged; `autograder/Dockerfile` builds them on Gradescope's layout
(`/autograder/source`, `/autograder/submission`, `/autograder/results`), running `setup.sh` at
build time.

Add a reference solution in `solutions/reference/` and run `assay check` to record the
autograder's test names in `tests.lock`: feedback.md names only tests whose names are trusted.
"#;
