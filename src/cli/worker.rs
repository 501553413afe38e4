//! `assay worker`: grades from a server's shared PostgreSQL queue on this machine's Docker
//! engine, serving nothing; and `assay workers`: who grades, where, and how busy.

use std::path::PathBuf;

use crate::exit::Exit;
use crate::service::Records;

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The server's PostgreSQL URL (postgres://...): the queue the workers share.
    #[arg(long, env = "ASSAY_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// The folder the server keeps uploads and reports in, shared with it (NFS or the like).
    #[arg(long, default_value = "assay-data")]
    data: PathBuf,
    /// An assignment folder this worker grades (repeatable); others are left to other workers.
    #[arg(short, long = "assignment", value_name = "ASSIGNMENT_DIR", required = true)]
    assignments: Vec<PathBuf>,
    /// Grades at once (default: what cores and memory hold).
    #[arg(long)]
    concurrency: Option<u16>,
    /// A name for `assay workers` (default: HOST/PID).
    #[arg(long)]
    name: Option<String>,
    /// The server's address, for the URLs in the webhook events this worker records.
    #[arg(long)]
    public_url: Option<String>,
    /// How long a grade is held without renewal before another worker may take it over.
    #[arg(long, default_value = "30s", value_parser = crate::units::parse_duration)]
    lease: std::time::Duration,
    /// The Docker engine to grade on: tcp://HOST:2376 (TLS with client certificates when
    /// DOCKER_TLS_VERIFY is set, from DOCKER_CERT_PATH) or unix:///...; default DOCKER_HOST or
    /// the local socket.
    #[arg(long)]
    docker_host: Option<String>,
    /// A sandbox image to pull by digest from a private registry before grading, as `assay
    /// image push` prints it: REGISTRY/assay/NAME@sha256:... (repeatable).
    #[arg(long, value_name = "REFERENCE")]
    pull: Vec<String>,
    /// Sandbox image folders (default: the ones built into assay).
    #[arg(long, env = "ASSAY_IMAGES_DIR")]
    images_dir: Option<PathBuf>,
    /// How long a warm container waits: after a grade, the assignment's first phase is made
    /// ahead (created, started, holding its inputs) for the next submission; one not taken
    /// within this time is removed. `0` keeps none.
    #[arg(long, default_value = "10m", value_parser = crate::units::parse_duration_or_off)]
    warm_ttl: std::time::Duration,
}

pub async fn run(args: WorkerArgs) -> anyhow::Result<Exit> {
    let options = crate::service::Options {
        data: args.data,
        database: args.database,
        listen: ([127, 0, 0, 1], 0).into(),
        assignments: args.assignments,
        images_dir: args.images_dir,
        workers: args.concurrency.map(usize::from),
        max_upload: 0,
        webhook_retry: std::time::Duration::from_secs(2),
        rate_limit: 1,
        review_cap: 0,
        secure_cookies: false,
        public_url: args.public_url,
        lease: args.lease,
        docker_host: args.docker_host,
        pull: args.pull,
        warm_ttl: args.warm_ttl,
    };
    crate::service::work(options, args.name, |id| {
        // Scripts and tests read the id from this line.
        println!("worker {id} grading");
    })
    .await?;
    Ok(Exit::Success)
}

#[derive(Debug, clap::Args)]
pub struct WorkersArgs {
    #[command(flatten)]
    records: Records,
}

/// Lists the workers: name, engine, load and last heartbeat.
pub async fn list(args: WorkersArgs) -> anyhow::Result<Exit> {
    let db = args.records.open().await?;
    for worker in db.workers().await? {
        println!(
            "{} {} load {}/{} heartbeat {} (started {}) engine {}",
            worker.id,
            crate::text::terminal_safe(&worker.name),
            worker.load,
            worker.concurrency,
            worker.heartbeat_at,
            worker.started_at,
            crate::text::terminal_safe(&worker.engine)
        );
    }
    Ok(Exit::Success)
}
