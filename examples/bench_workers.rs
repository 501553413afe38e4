//! `cargo build --release && cargo run --release --example bench_workers [scale|overhead]`:
//! grading from one PostgreSQL queue, side by side in one run (a throwaway cluster each).
//! 1. `scale`: 200 submissions whose one phase sleeps 3 s, queued at once, until all are
//!    graded: one `assay worker --concurrency 4` against two of them (same machine; the grades
//!    wait on sleep, so cores are not what limits them).
//! 2. `overhead`: the queue's own cost per job, without containers: claim (lease), one
//!    renewal (heartbeat) and the fenced write of the result, 1,000 jobs in a row, median and
//!    p99, on PostgreSQL.

#[allow(dead_code)]
#[path = "../tests/common/postgres.rs"]
mod postgres;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assay::service::db::{Database, Finished, NewSubmission, Status};
use assay::service::outbox::Event;
use postgres::Postgres;

fn assay_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("assay"))
        .expect("target dir")
}

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(postgres: &Postgres, data: &Path, assignment: &Path) -> Worker {
    let mut child = Command::new(assay_binary())
        .args(["worker", "--database", &postgres.url, "--concurrency", "4", "--data"])
        .arg(data)
        .arg("-a")
        .arg(assignment)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("worker "), "assay worker did not start: {line:?}");
    Worker(child)
}

fn sleeping_assignment(dir: &Path) {
    std::fs::write(
        dir.join("assignment.toml"),
        "[assignment]\nid = \"sleep\"\ntitle = \"Sleep\"\n\n[sandbox]\nmemory = \"256MiB\"\npids = 64\ntimeout = \"30s\"\n\n\
         [[phase]]\nname = \"main\"\nrun = \"cat /workspace/main.txt; sleep 3\"\n\n[reproducibility]\nruns = 1\n",
    )
    .unwrap();
}

fn zip_of(content: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("main.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// Queues `count` distinct submissions straight into the database and the data folder.
async fn queue(db: &Database, data: &Path, count: usize) {
    std::fs::create_dir_all(data.join("uploads")).unwrap();
    for i in 0..count {
        let id = format!("s_bench{i:05}");
        let upload = format!("uploads/{id}-work.zip");
        let archive = zip_of(&format!("bench {i} {:?}", Instant::now()));
        std::fs::write(data.join(&upload), &archive).unwrap();
        let new = NewSubmission {
            id: &id,
            assignment: "sleep",
            candidate: "Bench",
            email: None,
            external_id: None,
            idempotency_key: None,
            upload: &upload,
            upload_bytes: archive.len() as i64,
            invite: None,
            image_id: None,
        };
        let event = Event {
            name: "submission.received",
            data: serde_json::json!({}),
        };
        db.insert_submission(&new, &event).await.unwrap();
    }
}

/// Seconds from the workers' start (the sandbox image is built already) until `count` are
/// graded.
fn graded_in(workers: usize, count: usize) -> f64 {
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let (assignment, data) = (dir.path().join("sleep"), dir.path().join("data"));
    std::fs::create_dir_all(&assignment).unwrap();
    sleeping_assignment(&assignment);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(Database::open(&postgres.url)).unwrap();
    runtime.block_on(queue(&db, &data, count));
    let started = Instant::now();
    let _running: Vec<Worker> = (0..workers).map(|_| worker(&postgres, &data, &assignment)).collect();
    loop {
        let counts = runtime.block_on(db.count_by_status()).unwrap();
        let graded = counts.iter().find(|(s, _)| *s == Status::Graded).map_or(0, |c| c.1);
        if graded as usize == count {
            return started.elapsed().as_secs_f64();
        }
        assert!(started.elapsed() < Duration::from_secs(1800), "{counts:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn scale() {
    let count = 200;
    let one = graded_in(1, count);
    let two = graded_in(2, count);
    println!(
        "scale: {count} grades of sleep 3 s: one worker (concurrency 4) {one:.1} s, two workers {two:.1} s: {:.2}x",
        one / two
    );
}

fn overhead() {
    let postgres = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(Database::open(&postgres.url)).unwrap();
    let jobs = 1000;
    runtime.block_on(queue(&db, dir.path(), jobs));
    let lease = Duration::from_secs(30);
    let mut times: Vec<f64> = runtime.block_on(async {
        let mut times = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let started = Instant::now();
            let claimed = db.claim_next("bench", lease).await.unwrap().unwrap();
            assert!(db.renew(&claimed.id, claimed.lease_token, lease).await.unwrap());
            let finished = Finished {
                status: Status::Graded,
                verdict: "passed",
                score: Some((1.0, 1.0)),
                sha256: "sha256:00",
                summary: "recorded for the benchmark",
                reproducibility: "reproducible",
                test_groups: "[]".to_string(),
                report_dir: "reports/bench",
            };
            let event = Event {
                name: "grading.finished",
                data: serde_json::json!({}),
            };
            assert!(
                db.finish(&claimed.id, claimed.lease_token, &finished, &event)
                    .await
                    .unwrap()
            );
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times
    });
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "overhead: claim + renew + fenced finish, {jobs} jobs on PostgreSQL: median {:.2} ms, p99 {:.2} ms",
        at(0.5),
        at(0.99)
    );
}

fn main() {
    let part = std::env::args().nth(1).unwrap_or_default();
    if part.is_empty() || part == "overhead" {
        overhead();
    }
    if part.is_empty() || part == "scale" {
        scale();
    }
}
