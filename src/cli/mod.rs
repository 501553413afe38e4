//! The command line: parse arguments, run one command, return its exit. Each command is one
//! file here: its arguments, its run, and everything it prints. Commands use the library,
//! never each other.

mod ats;
mod check;
mod gc;
mod grade;
mod image;
mod import;
mod metric;
mod new;
mod password;
mod regrade;
mod review;
mod serve;
mod similarity;
mod submit;
mod token;
mod validate;
mod webhook;
mod worker;

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
    Validate(validate::ValidateArgs),
    /// Grade submissions (zip, tar.gz or folder) against an assignment.
    Grade(grade::GradeOptions),
    /// Rubric review: blank sheets for reviewers, and merging them into the grade.
    Review {
        #[command(subcommand)]
        command: review::ReviewCommand,
    },
    /// Grade each assignment's reference and known-bad solutions and hold them to their
    /// expect.toml (exit 0 only when every expectation holds).
    Check(check::CheckOptions),
    /// Make a new assignment folder from a template; it passes `assay check` as made.
    New(new::NewArgs),
    /// Make an assignment from another grader's autograder (a Gradescope zip), run unchanged.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Grade the submission of a report again and print what changed (exit 1 when anything
    /// did, 2 when the spec or the image changed).
    Regrade(regrade::RegradeOptions),
    /// Compare a graded round's submissions for shared code (renames, reformatting, comments
    /// and reordering do not hide it), leaving out the starter code; writes similarity.html.
    Similarity(similarity::SimilarityArgs),
    /// Compute one metric on a predictions and a labels file, exactly as the grader does.
    Metric(metric::MetricArgs),
    /// The child process that compares a round's code (a job on stdin, JSON on stdout).
    #[command(name = "similarity-compare", hide = true)]
    SimilarityCompare,
    /// Remove containers and volumes labelled assay.run that no running assay owns.
    Gc(gc::GcArgs),
    /// Build sandbox images and the base they start from.
    Image {
        #[command(subcommand)]
        command: image::ImageCommand,
    },
    /// Applicant tracking systems (Greenhouse, Ashby) that start tests and hear the results.
    Ats {
        #[command(subcommand)]
        command: ats::AtsCommand,
    },
    /// Reviewers' passwords for the review pages of a server: set (from stdin), remove.
    Password {
        #[command(subcommand)]
        command: password::PasswordCommand,
    },
    /// Serve the grader over HTTP: uploads are queued, graded and kept in a data folder.
    Serve(serve::ServeArgs),
    /// Upload a submission to `assay serve` and wait for its grade (exit codes as grade).
    Submit(submit::SubmitArgs),
    /// API tokens of a server: create (shown once), list, revoke.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Grade from a server's shared PostgreSQL queue on this machine's engine.
    Worker(worker::WorkerArgs),
    /// The workers of a shared queue: engine, load, last heartbeat.
    Workers(worker::WorkersArgs),
    /// Webhooks of a server: signed POSTs when submissions arrive and grades finish.
    Webhook {
        #[command(subcommand)]
        command: webhook::WebhookCommand,
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
        Command::Validate(args) => Ok(validate::run(&args)),
        Command::Image { command } => runtime()?.block_on(image::run(command)),
        Command::Grade(options) => runtime()?.block_on(grade::run(options)),
        Command::Metric(args) => metric::run(args),
        Command::Review { command } => review::run(command),
        Command::Check(options) => runtime()?.block_on(check::run(options)),
        Command::New(args) => new::run(args),
        Command::Import { command } => import::run(command),
        Command::Regrade(options) => runtime()?.block_on(regrade::run(options)),
        Command::Gc(args) => runtime()?.block_on(gc::run(args)),
        Command::Ats { command } => runtime()?.block_on(ats::run(command)),
        Command::Password { command } => runtime()?.block_on(password::run(command)),
        Command::Serve(args) => runtime()?.block_on(serve::run(args)),
        Command::Similarity(args) => similarity::run(args),
        Command::SimilarityCompare => match crate::similarity::isolated::run_child() {
            Ok(()) => Ok(Exit::Success),
            Err(why) => {
                eprintln!("error: {why}");
                Ok(Exit::Harness)
            }
        },
        Command::Submit(args) => submit::run(args),
        Command::Token { command } => runtime()?.block_on(token::run(command)),
        Command::Webhook { command } => runtime()?.block_on(webhook::run(command)),
        Command::Worker(args) => runtime()?.block_on(worker::run(args)),
        Command::Workers(args) => runtime()?.block_on(worker::list(args)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
