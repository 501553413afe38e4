//! The command line: parse arguments, run one command, return its exit.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

#[derive(Debug, Parser)]
#[command(
    name = "assay",
    version,
    about = "Grade take-home assignments in locked-down Docker containers"
)]
pub struct Cli {
    /// More detail on stderr (-v, -vv).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check assignment specs; exit 2 with file:line:column: key on any error.
    Validate {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Grade submissions (zip, tar.gz or folder) against an assignment.
    Grade(crate::grade::GradeOptions),
    /// Rubric review: blank sheets for reviewers, and merging them into the grade.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Grade each assignment's reference and known-bad solutions and hold them to their
    /// expect.toml (exit 0 only when every expectation holds).
    Check(crate::check::CheckOptions),
    /// Make a new assignment folder from a template; it passes `assay check` as made.
    New {
        id: String,
        #[arg(long, value_enum, default_value = "ml-classifier")]
        template: crate::new::Template,
        /// The folder to make it in.
        #[arg(long, default_value = "assignments")]
        dir: PathBuf,
        #[arg(long)]
        title: Option<String>,
    },
    /// Grade the submission of a report again and print what changed (exit 1 when anything
    /// did, 2 when the spec or the image changed).
    Regrade(crate::regrade::RegradeOptions),
    /// Compute one metric on a predictions and a labels file, exactly as the grader does.
    Metric(crate::metric_command::MetricArgs),
    /// Remove containers and volumes labelled assay.run that no running assay owns.
    Gc {
        /// Remove every labelled object, also those of runs still going.
        #[arg(long)]
        all: bool,
    },
    /// Build sandbox images and the base they start from.
    Image {
        #[command(subcommand)]
        command: ImageCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Write a blank rubric sheet for one reviewer beside the report.
    Init {
        report: PathBuf,
        #[arg(long)]
        reviewer: String,
        /// Where to write the sheet (default: review-REVIEWER.toml beside the report).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Merge filled-in sheets into the report (JSON, HTML, Markdown, feedback).
    Merge {
        report: PathBuf,
        #[arg(required = true)]
        sheets: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build sandbox-images/NAME as assay/NAME (all when omitted); unchanged folders are not rebuilt.
    Build {
        names: Vec<String>,
        /// The folder holding one sub-folder per sandbox image (default: the ones built into assay).
        #[arg(long, env = "ASSAY_IMAGES_DIR")]
        images_dir: Option<PathBuf>,
    },
    /// Make the Debian base image(s) the sandbox Dockerfiles start from, without a registry.
    Bootstrap {
        /// Base image names; by default those named by the sandbox Dockerfiles.
        images: Vec<String>,
        #[arg(long, env = "ASSAY_IMAGES_DIR")]
        images_dir: Option<PathBuf>,
    },
}

pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Validate { dirs, json } => Ok(crate::validate::validate_dirs(&dirs, json)),
        Command::Image { command } => runtime()?.block_on(image_command(command)),
        Command::Grade(options) => runtime()?.block_on(crate::grade::grade(options)),
        Command::Metric(args) => crate::metric_command::run(args),
        Command::Review { command } => match command {
            ReviewCommand::Init { report, reviewer, out } => crate::review::init(&report, &reviewer, out),
            ReviewCommand::Merge { report, sheets } => crate::review::merge_command(&report, &sheets),
        },
        Command::Check(options) => runtime()?.block_on(crate::check::check(options)),
        Command::New {
            id,
            template,
            dir,
            title,
        } => crate::new::new_assignment(crate::new::NewOptions {
            id,
            template,
            parent: dir,
            title,
        }),
        Command::Regrade(options) => runtime()?.block_on(crate::regrade::regrade(options)),
        Command::Gc { all } => runtime()?.block_on(async {
            let docker = crate::docker::connect().await?;
            let scope = if all {
                crate::gc::Scope::All
            } else {
                crate::gc::Scope::Stale
            };
            let swept = crate::gc::sweep(&docker, &scope).await?;
            println!(
                "removed {} container(s), {} volume(s) and {} temp folder(s)",
                swept.containers, swept.volumes, swept.temp_dirs
            );
            Ok(Exit::Success)
        }),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn print_progress(line: &str) {
    eprintln!("  {line}");
}

async fn image_command(command: ImageCommand) -> anyhow::Result<Exit> {
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
