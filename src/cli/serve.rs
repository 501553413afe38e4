//! `assay serve`: grading behind HTTP, with the queue and reports in a data folder.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::exit::Exit;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The folder holding the database, uploads and reports (made when missing).
    #[arg(long, default_value = "assay-data")]
    data: PathBuf,
    /// A PostgreSQL URL (postgres://...) to keep the records in, instead of SQLite in DATA.
    #[arg(long, env = "ASSAY_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// Address and port to listen on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// An assignment folder to grade (repeatable).
    #[arg(short, long = "assignment", value_name = "ASSIGNMENT_DIR", required = true)]
    assignments: Vec<PathBuf>,
    /// Grades at once (default: what cores and memory hold); 0 accepts and queues only.
    #[arg(long)]
    workers: Option<u16>,
    /// Largest upload accepted, e.g. 50MiB.
    #[arg(long, default_value = "50MiB", value_parser = crate::units::parse_size)]
    max_upload: u64,
    /// Requests per second one token may make (twice as many in a burst); more get 429.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: u32,
    /// Most submissions one reviewer is given to review (across assignments).
    #[arg(long, default_value_t = 200)]
    review_cap: usize,
    /// Mark session cookies Secure: reviewers reach the server over TLS (through a proxy).
    #[arg(long)]
    secure_cookies: bool,
    /// The server's address as candidates and ATSs reach it, for the links and profile URLs
    /// it hands out (default: http://LISTEN), e.g. https://grading.example.com.
    #[arg(long)]
    public_url: Option<String>,
    /// The wait before a failed webhook delivery or ATS update is tried again; it doubles each time.
    #[arg(long, default_value = "2s", value_parser = crate::units::parse_duration, hide = true)]
    webhook_retry: std::time::Duration,
    /// Sandbox image folders (default: the ones built into assay).
    #[arg(long, env = "ASSAY_IMAGES_DIR")]
    images_dir: Option<PathBuf>,
    /// How long a warm container waits: after a grade, the assignment's first phase is made
    /// ahead (created, started, holding its inputs) for the next submission; one not taken
    /// within this time is removed. `0` keeps none.
    #[arg(long, default_value = "10m", value_parser = crate::units::parse_duration_or_off)]
    warm_ttl: std::time::Duration,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    let options = crate::service::Options {
        data: args.data,
        database: args.database,
        listen: args.listen,
        assignments: args.assignments,
        images_dir: args.images_dir,
        workers: args.workers.map(usize::from),
        max_upload: args.max_upload,
        webhook_retry: args.webhook_retry,
        rate_limit: args.rate_limit,
        review_cap: args.review_cap,
        secure_cookies: args.secure_cookies,
        public_url: args.public_url,
        lease: crate::service::DEFAULT_LEASE,
        docker_host: None,
        pull: Vec::new(),
        warm_ttl: args.warm_ttl,
    };
    crate::service::serve(options, |address| {
        // Scripts and tests read the address from this line.
        println!("listening on http://{address}");
    })
    .await?;
    Ok(Exit::Success)
}
