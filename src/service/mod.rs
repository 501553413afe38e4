//! `assay serve`: the grader behind HTTP. One process: the API, a queue in SQLite (WAL) under
//! the data folder, uploads and reports on disk beside it, and grading workers on the local
//! Docker engine. Nothing accepted is lost: a restart puts interrupted grades back in the
//! queue and sweeps their containers.

pub mod agreement;
mod api;
pub mod ats;
pub mod auth;
mod candidate_files;
mod clock;
pub mod db;
pub mod group_commit;
pub mod invites;
mod key_file;
pub mod leases;
mod metrics;
pub mod outbox;
mod pages;
pub mod passwords;
mod rate_limit;
pub mod reviews;
pub mod sessions;
pub mod uploads;
pub mod webhooks;
mod worker;
pub mod workers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;

use crate::runner::Backend;
use crate::spec::Spec;
use db::Database;

pub use api::ApiDoc;

/// How long a grade is held without renewal before it is put back (renewed every third).
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// How the server is set up.
pub struct Options {
    /// Uploads and reports live here, and the SQLite database unless `database` is given.
    pub data: PathBuf,
    /// A database URL (`postgres://...`) instead of SQLite in the data folder.
    pub database: Option<String>,
    pub listen: SocketAddr,
    pub assignments: Vec<PathBuf>,
    pub images_dir: Option<PathBuf>,
    /// Grades at once (default: what cores and memory hold for the specs' limits); 0 runs
    /// no grading here (uploads are queued for other workers).
    pub workers: Option<usize>,
    /// Largest upload accepted, in bytes.
    pub max_upload: u64,
    /// The wait before a failed webhook delivery is tried again; it doubles each time.
    pub webhook_retry: std::time::Duration,
    /// Requests per second one token may make (twice as many in a burst).
    pub rate_limit: u32,
    /// Most submissions one reviewer is given to review.
    pub review_cap: usize,
    /// Session cookies are marked Secure: the server is reached over TLS (through a proxy).
    pub secure_cookies: bool,
    /// The server's address as candidates and ATSs reach it (links, profile URLs); default
    /// `http://LISTEN`.
    pub public_url: Option<String>,
    /// How long a worker holds a grade without renewing it before it is put back.
    pub lease: std::time::Duration,
    /// The Docker engine to grade on (default: DOCKER_HOST or the local socket).
    pub docker_host: Option<String>,
    /// Sandbox images to pull by digest before grading (`REGISTRY/assay/NAME@sha256:...`).
    pub pull: Vec<String>,
    /// How long a warm first-phase container waits for a submission before it is removed;
    /// zero keeps none.
    pub warm_ttl: std::time::Duration,
}

/// An assignment the server grades, ready: its spec and its sandbox image.
pub struct Assignment {
    pub spec: Spec,
    pub image_id: String,
}

/// What every request and worker shares.
pub struct Service {
    pub db: Database,
    pub data: PathBuf,
    pub assignments: BTreeMap<String, Assignment>,
    pub backend: Backend,
    pub engine: String,
    /// Wakes a worker when an upload is queued.
    pub work: Notify,
    /// Wakes the webhook deliveries when an event is recorded.
    pub events: Arc<Notify>,
    pub max_upload: u64,
    /// Signs invite links.
    pub invite_key: Vec<u8>,
    pub review_cap: usize,
    pub secure_cookies: bool,
    /// The server's address as candidates and ATSs reach it, without a trailing slash.
    pub public_url: String,
    /// Seals what assay sends to ATSs (`DATA/ats.key`).
    pub ats_key: Vec<u8>,
    /// Wakes the ATS updates when an interview may have moved on.
    pub ats_wake: Notify,
    /// This process as a worker (`workers` table, `grade_attempts`).
    pub worker_id: String,
    /// How long a claim holds a grade unrenewed.
    pub lease: std::time::Duration,
    /// Grades this process holds now.
    pub load: std::sync::atomic::AtomicUsize,
    /// A first-phase container per recently graded assignment, made before its submission.
    pub warm: Option<Arc<crate::runner::WarmPool>>,
    /// Set as the process stops: its grades are cut short by the removal of their containers,
    /// and what they end with is not recorded (they are queued again instead).
    pub stopping: std::sync::atomic::AtomicBool,
    /// On SQLite, records the uploads that arrive together in one commit.
    uploads_writer: Option<group_commit::Writer>,
    rate_limit: rate_limit::RateLimit,
    /// Password attempts per reviewer name: one a second (a burst of two).
    login_limit: rate_limit::RateLimit,
    metrics: metrics::Metrics,
}

impl Service {
    /// The OUT folder of the server's reports (`ReportDir` layout).
    pub fn reports(&self) -> PathBuf {
        self.data.join("reports")
    }

    pub fn uploads(&self) -> PathBuf {
        self.data.join("uploads")
    }

    /// Wakes whoever tells others of changes: the webhooks and the ATS updates.
    pub fn notify_changes(&self) {
        self.events.notify_one();
        self.ats_wake.notify_one();
    }

    /// The folder of a submission's grade: the one its finishing claim wrote, or (records
    /// from before claims had folders) the one named by the hash of its files.
    pub fn report_dir(&self, submission: &db::Submission) -> Option<crate::store::ReportDir> {
        match (&submission.report_dir, &submission.sha256) {
            (Some(relative), _) => Some(crate::store::ReportDir::at(self.data.join(relative))),
            (None, Some(sha256)) => Some(crate::store::ReportDir::in_out(&self.reports(), sha256)),
            (None, None) => None,
        }
    }

    /// The candidate's link of an invite, in full.
    pub fn invite_url(&self, invite_id: &str) -> String {
        format!(
            "{}/invite/{}",
            self.public_url,
            invites::link_token(&self.invite_key, invite_id)
        )
    }

    /// A submission's page for reviewers, in full: the profile URL ATSs link to.
    pub fn profile_url(&self, submission_id: &str) -> String {
        format!("{}/review/submissions/{submission_id}", self.public_url)
    }

    /// Records an upload as queued, with its event: in a group commit on SQLite.
    pub async fn record_upload(
        &self,
        new: &db::NewSubmission<'_>,
        event: &outbox::Event,
    ) -> Result<db::Inserted, db::DbError> {
        match &self.uploads_writer {
            Some(writer) => writer.insert(&self.db, new, event).await,
            None => self.db.insert_submission(new, event).await,
        }
    }
}

/// Opens the records, the engine and the assignments: what serving and working share.
/// Gives the service and how many grades this process runs at once.
async fn prepare(options: &Options, public_url: String) -> anyhow::Result<(Arc<Service>, usize)> {
    std::fs::create_dir_all(&options.data)
        .with_context(|| format!("creating the data folder {}", options.data.display()))?;
    let db = match &options.database {
        Some(url) => Database::open(url).await?,
        None => Database::open_in(&options.data).await?,
    };
    let docker = crate::docker::connect_to(options.docker_host.as_deref()).await?;
    // Containers of a process that was killed belong to a process that is gone.
    crate::gc::sweep(&docker, &crate::gc::Scope::Stale).await?;
    for reference in &options.pull {
        let id = crate::image::pull(&docker, reference).await?;
        tracing::info!("pulled {reference} ({id})");
    }
    let engine = crate::docker::engine_version(&docker).await;
    let mut assignments = BTreeMap::new();
    for dir in &options.assignments {
        let spec = crate::spec::load_valid(dir).map_err(crate::exit::input_error_from)?;
        let image_id = crate::image::ensure(&docker, &spec, options.images_dir.as_deref(), &mut |line| {
            tracing::info!("{line}")
        })
        .await?;
        if assignments.contains_key(&spec.id) {
            return Err(crate::exit::input_error(format!(
                "two assignment folders have the id {}",
                spec.id
            )));
        }
        assignments.insert(spec.id.clone(), Assignment { spec, image_id });
    }
    let workers = options.workers.unwrap_or_else(|| {
        assignments
            .values()
            .map(|a| crate::grade::machine_room(&a.spec))
            .min()
            .unwrap_or(1)
            .max(1)
    });
    let uploads_writer = db.is_sqlite().then(|| group_commit::Writer::start(db.clone()));
    let warm = (workers > 0 && !options.warm_ttl.is_zero())
        .then(|| crate::runner::WarmPool::new(docker.clone(), options.warm_ttl));
    let service = Arc::new(Service {
        uploads_writer,
        db,
        data: options.data.clone(),
        assignments,
        backend: Backend::Docker(docker),
        engine,
        work: Notify::new(),
        events: Arc::new(Notify::new()),
        max_upload: options.max_upload,
        invite_key: invites::key(&options.data)?,
        rate_limit: rate_limit::RateLimit::new(options.rate_limit),
        login_limit: rate_limit::RateLimit::new(1),
        review_cap: options.review_cap,
        secure_cookies: options.secure_cookies,
        public_url,
        ats_key: ats::sealed::key(&options.data)?,
        ats_wake: Notify::new(),
        worker_id: clock::random_id("wk_").map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?,
        lease: options.lease,
        load: Default::default(),
        warm,
        stopping: Default::default(),
        metrics: Default::default(),
    });
    Ok((service, workers))
}

/// Records this process as a worker and starts `count` grading loops and its heartbeat.
async fn start_workers(service: &Arc<Service>, name: &str, count: usize) -> anyhow::Result<()> {
    service
        .db
        .register_worker(&service.worker_id, name, &service.engine, count)
        .await?;
    for _ in 0..count {
        tokio::spawn(worker::run(service.clone()));
    }
    tokio::spawn(worker::beat(service.clone()));
    tokio::spawn(worker::reap(service.clone()));
    if let Some(pool) = &service.warm {
        tokio::spawn(pool.clone().expire());
    }
    Ok(())
}

/// Runs the server until it is stopped.
pub async fn serve(options: Options, ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {}", options.listen))?;
    let address = listener.local_addr()?;
    let public_url = match &options.public_url {
        Some(url) => {
            reqwest::Url::parse(url)
                .map_err(|e| crate::exit::input_error(format!("--public-url {url:?} is not a URL: {e}")))?;
            url.trim_end_matches('/').to_string()
        }
        None => format!("http://{address}"),
    };
    let (service, workers) = prepare(&options, public_url).await?;
    if service.db.is_sqlite() {
        // One process grades from SQLite: whatever was grading, this process was grading.
        let requeued = service.db.requeue_interrupted().await?;
        if requeued > 0 {
            tracing::warn!("{requeued} grade(s) were running when the server stopped; they are queued again");
        }
    }
    if workers > 0 {
        start_workers(&service, &format!("{} (serve)", crate::gc::hostname()), workers).await?;
    }
    tokio::spawn(webhooks::deliver(
        service.db.clone(),
        service.events.clone(),
        options.webhook_retry,
    ));
    tokio::spawn(ats::deliver::run(service.clone(), options.webhook_retry));
    ready(address);
    tokio::select! {
        served = axum::serve(listener, api::router(service.clone())) => served?,
        () = stop_signal() => stop(&service).await,
    }
    Ok(())
}

/// SIGTERM or SIGINT: how a server or worker is asked to stop.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::warn!("cannot listen for SIGTERM or SIGINT; stop this process with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = interrupt.recv() => {}
    }
}

/// Removes every container this process made (warm ones, and those of grades cut short,
/// which are queued again: at the next start on SQLite, when their lease runs out on
/// PostgreSQL), so a stopped server leaves nothing running.
async fn stop(service: &Service) {
    tracing::info!("stopping: removing this process's containers");
    service.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Backend::Docker(docker) = &service.backend {
        let owner = crate::gc::Scope::Owner(crate::gc::owner_label());
        if let Err(error) = crate::gc::sweep(docker, &owner).await {
            tracing::error!("removing this process's containers: {error:#}");
        }
    }
}

/// Grades from a shared PostgreSQL queue until stopped, serving nothing: `assay worker`.
/// `ready` gets the worker's id once it takes work.
pub async fn work(options: Options, name: Option<String>, ready: impl FnOnce(&str)) -> anyhow::Result<()> {
    let shared = options
        .database
        .as_deref()
        .is_some_and(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"));
    if !shared {
        return Err(crate::exit::input_error(
            "a worker grades from a shared PostgreSQL database: give --database postgres://... \
             (with SQLite, assay serve grades itself)",
        ));
    }
    let public_url = options.public_url.clone().unwrap_or_default();
    let (service, workers) = prepare(&options, public_url.trim_end_matches('/').to_string()).await?;
    let name = name.unwrap_or_else(|| format!("{}/{}", crate::gc::hostname(), std::process::id()));
    start_workers(&service, &name, workers.max(1)).await?;
    ready(&service.worker_id);
    stop_signal().await;
    stop(&service).await;
    Ok(())
}

/// Where a server keeps its records, as the commands that manage tokens and webhooks name it.
#[derive(Debug, clap::Args)]
pub struct Records {
    /// The server's data folder.
    #[arg(long, default_value = "assay-data")]
    pub data: PathBuf,
    /// The server's PostgreSQL URL, when it keeps its records there.
    #[arg(long, env = "ASSAY_DATABASE", hide_env_values = true)]
    pub database: Option<String>,
}

impl Records {
    /// `database` when given, else the SQLite database of the data folder.
    pub async fn open(&self) -> anyhow::Result<Database> {
        if let Some(url) = &self.database {
            return Ok(Database::open(url).await?);
        }
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("creating the data folder {}", self.data.display()))?;
        Ok(Database::open_in(&self.data).await?)
    }
}
