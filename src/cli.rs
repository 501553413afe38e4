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
    Grade {
        /// The assignment folder.
        #[arg(short, long)]
        assignment: PathBuf,
        /// Where reports go: OUT/<submission sha256 prefix>/report.json.
        #[arg(short, long, default_value = "assay-out")]
        out: PathBuf,
        submissions: Vec<PathBuf>,
        /// Also grade every file and folder in this folder (a hiring round).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Submissions graded at once (default: what cores and memory hold).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// Grade again what OUT already holds for the same submission, spec and image.
        #[arg(long)]
        force: bool,
        #[arg(long, default_value = "sandbox-images", env = "ASSAY_IMAGES_DIR")]
        images_dir: PathBuf,
        /// One JSON report per line on stdout instead of the human summary.
        #[arg(long)]
        json: bool,
        /// `process` runs phases as local processes with NO isolation, for authors checking
        /// their own solutions without Docker; never for candidates' code.
        #[arg(long, value_enum, default_value = "docker")]
        backend: crate::grade::BackendChoice,
        /// Runs of each submission compared for reproducibility (default: the spec's).
        #[arg(long)]
        runs: Option<u32>,
        /// Runs of one submission at once (default: as many as cores and memory allow).
        #[arg(long)]
        run_concurrency: Option<usize>,
        /// Also write results for another grader: gradescope or prairielearn (repeatable).
        #[arg(long = "format", value_enum)]
        formats: Vec<crate::report::exports::Format>,
    },
    /// Rubric review: blank sheets for reviewers, and merging them into the grade.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Grade each assignment's reference and known-bad solutions and hold them to their
    /// expect.toml (exit 0 only when every expectation holds).
    Check {
        #[arg(required = true)]
        assignments: Vec<PathBuf>,
        /// Write one JUnit test case per solution and expectation here, for CI.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Keep the reports here (default: a temp folder, removed afterwards).
        #[arg(short, long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "sandbox-images", env = "ASSAY_IMAGES_DIR")]
        images_dir: PathBuf,
    },
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
    Regrade {
        report: PathBuf,
        /// The assignment folder (default: the one the report names).
        #[arg(short, long)]
        assignment: Option<PathBuf>,
        /// The submission (default: the copy stored beside the report).
        #[arg(long)]
        submission: Option<PathBuf>,
        /// Keep the new report here (default: a temp folder, removed afterwards).
        #[arg(short, long)]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Compute one metric on a predictions and a labels file, exactly as the grader does.
    Metric {
        /// accuracy, balanced_accuracy, precision, recall, f1, roc_auc, log_loss, rmse, mae, r2
        kind: String,
        #[arg(long)]
        predictions: PathBuf,
        #[arg(long)]
        labels: PathBuf,
        /// The column both files are joined on.
        #[arg(long, default_value = "id")]
        key: String,
        /// The predicted class or value, named the same in both files.
        #[arg(long, default_value = "label")]
        column: String,
        /// binary, macro, micro or weighted (precision, recall, f1).
        #[arg(long, default_value = "binary")]
        average: String,
        /// The positive class for binary metrics (default: the larger class).
        #[arg(long)]
        pos_label: Option<String>,
        /// Probability columns are named PREFIX + class (roc_auc, log_loss).
        #[arg(long, default_value = "proba_")]
        probability_prefix: String,
        #[arg(long)]
        json: bool,
    },
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
        /// The folder holding one sub-folder per sandbox image.
        #[arg(long, default_value = "sandbox-images", env = "ASSAY_IMAGES_DIR")]
        images_dir: PathBuf,
    },
    /// Make the Debian base image(s) the sandbox Dockerfiles start from, without a registry.
    Bootstrap {
        /// Base image names; by default those named by the sandbox Dockerfiles.
        images: Vec<String>,
        #[arg(long, default_value = "sandbox-images", env = "ASSAY_IMAGES_DIR")]
        images_dir: PathBuf,
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
        Command::Grade {
            assignment,
            out,
            submissions,
            images_dir,
            json,
            backend,
            runs,
            run_concurrency,
            formats,
            dir,
            jobs,
            force,
        } => {
            let options = crate::grade::GradeOptions {
                assignment,
                out,
                submissions,
                images_dir,
                json,
                backend,
                runs,
                run_concurrency,
                formats,
                dir,
                jobs,
                force,
            };
            runtime()?.block_on(crate::grade::grade(options))
        }
        Command::Metric {
            kind,
            predictions,
            labels,
            key,
            column,
            average,
            pos_label,
            probability_prefix,
            json,
        } => crate::metric_command::run(crate::metric_command::MetricArgs {
            kind,
            predictions,
            labels,
            key,
            column,
            average,
            pos_label,
            probability_prefix,
            json,
        }),
        Command::Review { command } => match command {
            ReviewCommand::Init { report, reviewer, out } => crate::review::init(&report, &reviewer, out),
            ReviewCommand::Merge { report, sheets } => crate::review::merge_command(&report, &sheets),
        },
        Command::Check {
            assignments,
            junit,
            out,
            images_dir,
        } => {
            let options = crate::check::CheckOptions {
                assignments,
                junit,
                images_dir,
                out,
            };
            runtime()?.block_on(crate::check::check(options))
        }
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
        Command::Regrade {
            report,
            assignment,
            submission,
            out,
            json,
        } => {
            let options = crate::regrade::RegradeOptions {
                report,
                assignment,
                submission,
                out,
                json,
            };
            runtime()?.block_on(crate::regrade::regrade(options))
        }
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
            let names = if names.is_empty() {
                crate::image::list(&images_dir)?
            } else {
                names
            };
            for name in names {
                eprintln!("image {name}:");
                let built = crate::image::build(&docker, &images_dir, &name, &mut print_progress).await?;
                let what = if built.rebuilt { "built" } else { "up to date" };
                println!("{} {what} ({})", built.name, built.id);
            }
        }
        ImageCommand::Bootstrap { images, images_dir } => {
            let images = if images.is_empty() { bases(&images_dir)? } else { images };
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
