//! Grading on many workers from one PostgreSQL queue: each submission graded exactly once, a
//! killed worker's grade taken over and not counted, a paused worker's late result refused by
//! its fencing token, and the database restarted under the workers without loss.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assay::service::db::{Database, Status};
use common::postgres::Postgres;
use common::server::{Server, get_json, upload, wait_final, zip_of};
use common::worker::Worker;
use common::*;

/// A worker on the test's queue with this concurrency and lease.
fn worker(postgres: &Postgres, data: &Path, assignment: &Path, concurrency: u32, lease: &str) -> Worker {
    let concurrency = concurrency.to_string();
    Worker::start(
        &postgres.url,
        data,
        assignment,
        &["--concurrency", &concurrency, "--lease", lease],
        &[],
    )
}

fn admin_token(postgres: &Postgres) -> String {
    let output = assay(&["token", "create", "--scope", "admin", "--database", &postgres.url]);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string()
}

/// Runs `work` on the shared database.
fn with_db<T>(postgres: &Postgres, work: impl AsyncFnOnce(Database) -> T) -> T {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::open(&postgres.url).await.unwrap();
        work(db).await
    })
}

/// Each claim of a submission: (worker, outcome).
fn attempts(postgres: &Postgres, id: &str) -> Vec<(String, Option<String>)> {
    let id = id.to_string();
    with_db(postgres, async move |db| {
        db.attempts_of(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, worker, outcome)| (worker, outcome))
            .collect()
    })
}

/// Waits until one submission of the server is grading; gives its id.
fn wait_grading(server: &Server, admin: &str) -> String {
    let started = Instant::now();
    loop {
        let list = get_json(server, admin, "/api/v1/submissions?status=grading");
        if let Some(first) = list["items"].as_array().unwrap().first() {
            return first["id"].as_str().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "nothing started grading");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A server on the shared queue that grades nothing itself.
fn queue_only(postgres: &Postgres, data: &Path, assignment: &Path) -> Server {
    // Uploads come faster than one token's default rate limit.
    let extra = ["--database", &postgres.url, "--workers", "0", "--rate-limit", "100000"];
    Server::start(data, &[assignment], &extra)
}

#[test]
fn two_workers_grade_three_hundred_submissions_each_exactly_once() {
    require_engine();
    sandbox_image();
    let postgres = Postgres::start();
    let assignment = one_phase("cat /workspace/main.txt", "", "[reproducibility]\nruns = 1\n");
    let data = tempfile::tempdir().unwrap();
    let admin = admin_token(&postgres);
    let server = queue_only(&postgres, data.path(), assignment.path());
    // Every container created while the workers grade, by the submission it was for.
    let mut events = Command::new("docker")
        .args([
            "events",
            "--filter",
            "type=container",
            "--filter",
            "event=create",
            "--filter",
            "label=assay.run",
            "--format",
            "{{index .Actor.Attributes \"assay.submission\"}}",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|thread| {
                let (server, admin) = (&server, &admin);
                scope.spawn(move || {
                    (0..30)
                        .map(|i| {
                            let content = format!("worker round {thread}-{i}");
                            let (status, body) = upload(server, admin, "t", "Noa", zip_of(&[("main.txt", &content)]));
                            assert_eq!(status, 202, "{body}");
                            body["id"].as_str().unwrap().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(ids.len(), 300);
    // No warm containers here: a warm one is made before its submission is known and carries
    // no submission label, and this test counts every container of every submission.
    let cold = |concurrency: &str| {
        Worker::start(
            &postgres.url,
            data.path(),
            assignment.path(),
            &["--concurrency", concurrency, "--lease", "30s", "--warm-ttl", "0"],
            &[],
        )
    };
    let workers = [cold("2"), cold("2")];
    let started = Instant::now();
    loop {
        let counts = with_db(&postgres, async |db| db.count_by_status().await.unwrap());
        let graded = counts.iter().find(|(s, _)| *s == Status::Graded).map_or(0, |c| c.1);
        if graded == 300 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "{counts:?} after 15 minutes"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let counts = with_db(&postgres, async |db| db.count_by_status().await.unwrap());
    assert_eq!(counts, [(Status::Graded, 300)], "none left queued or grading");
    // Each claimed once, graded once, and the two workers shared the work.
    let mut by_worker = std::collections::BTreeMap::new();
    for id in &ids {
        let claims = attempts(&postgres, id);
        assert_eq!(claims.len(), 1, "{id}: {claims:?}");
        assert_eq!(claims[0].1.as_deref(), Some("graded"), "{id}: {claims:?}");
        *by_worker.entry(claims[0].0.clone()).or_insert(0) += 1;
    }
    assert_eq!(by_worker.len(), 2, "{by_worker:?}");
    assert!(
        by_worker.keys().all(|w| workers.iter().any(|k| &k.id == w)),
        "{by_worker:?}"
    );
    // The same containers for every submission: none graded twice.
    std::thread::sleep(Duration::from_secs(1));
    let _ = events.kill();
    let created = String::from_utf8(events.wait_with_output().unwrap().stdout).unwrap();
    // Other tests run beside this one: count only this round's submissions.
    let ours: std::collections::BTreeSet<String> = with_db(&postgres, async |db| {
        let mut shas = std::collections::BTreeSet::new();
        for id in &ids {
            let sha = db.get(id).await.unwrap().unwrap().sha256.unwrap();
            shas.insert(sha.trim_start_matches("sha256:").to_string());
        }
        shas
    });
    let mut per_submission = std::collections::BTreeMap::new();
    for sha in created.lines().filter(|l| ours.contains(*l)) {
        *per_submission.entry(sha.to_string()).or_insert(0) += 1;
    }
    assert_eq!(
        per_submission.len(),
        300,
        "containers were made for {} of 300",
        per_submission.len()
    );
    let each: std::collections::BTreeSet<i32> = per_submission.values().copied().collect();
    assert_eq!(each.len(), 1, "containers per submission differ: {each:?}");
    // Load is recorded with each heartbeat (every 5 s): wait for the one after the last grade.
    let started = Instant::now();
    loop {
        let listed = assay(&["workers", "--database", &postgres.url]);
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        if workers
            .iter()
            .all(|w| listed.lines().any(|l| l.starts_with(&w.id) && l.contains("load 0/2")))
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{listed}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_killed_worker_loses_its_grade_to_another_and_it_is_not_counted() {
    require_engine();
    sandbox_image();
    let postgres = Postgres::start();
    let assignment = one_phase("cat /workspace/main.txt; sleep 6", "", "[reproducibility]\nruns = 1\n");
    let data = tempfile::tempdir().unwrap();
    let admin = admin_token(&postgres);
    let server = queue_only(&postgres, data.path(), assignment.path());
    let mut first = worker(&postgres, data.path(), assignment.path(), 1, "3s");
    let (status, body) = upload(&server, &admin, "t", "Uma", zip_of(&[("main.txt", "killed worker")]));
    assert_eq!(status, 202, "{body}");
    let id = wait_grading(&server, &admin);
    std::thread::sleep(Duration::from_millis(500));
    // Another upload keeps the next worker busy: the lost grade is put back all the same.
    let (status, body) = upload(&server, &admin, "t", "Uma", zip_of(&[("main.txt", "keeps it busy")]));
    assert_eq!(status, 202, "{body}");
    let busy = body["id"].as_str().unwrap().to_string();
    first.kill();
    let second = worker(&postgres, data.path(), assignment.path(), 1, "3s");
    let started = Instant::now();
    while attempts(&postgres, &id).first().and_then(|c| c.1.clone()).as_deref() != Some("lost") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the lost grade was not put back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let meanwhile = get_json(&server, &admin, &format!("/api/v1/submissions/{busy}"));
    assert_eq!(
        meanwhile["status"], "grading",
        "put back while the only worker was busy: {meanwhile}"
    );
    let done = wait_final(&server, &admin, &id, Duration::from_secs(120));
    assert_eq!(
        (done["status"].as_str(), done["verdict"].as_str()),
        (Some("graded"), Some("passed")),
        "{done}"
    );
    assert_eq!(done["attempts"], 1, "the lost attempt is not counted: {done}");
    let claims = attempts(&postgres, &id);
    assert_eq!(
        claims,
        [
            (first.id.clone(), Some("lost".to_string())),
            (second.id.clone(), Some("graded".to_string()))
        ]
    );
    let lost = with_db(&postgres, async |db| db.get(&id).await.unwrap().unwrap().lost_attempts);
    assert_eq!(lost, 1);
    let gc = assay(&["gc"]);
    assert!(gc.status.success(), "{}", text(&gc));
    let report: serde_json::Value = get_json(&server, &admin, &format!("/api/v1/submissions/{id}/report.json"));
    let sha = report["submission"]["sha256"].as_str().unwrap();
    assert_eq!(leftovers(sha), "", "the killed worker's containers are gone");
}

#[test]
fn a_paused_worker_comes_back_too_late_and_its_result_is_refused() {
    require_engine();
    sandbox_image();
    let postgres = Postgres::start();
    let assignment = one_phase("cat /workspace/main.txt; sleep 5", "", "[reproducibility]\nruns = 1\n");
    let data = tempfile::tempdir().unwrap();
    let admin = admin_token(&postgres);
    let server = queue_only(&postgres, data.path(), assignment.path());
    let paused = worker(&postgres, data.path(), assignment.path(), 1, "2s");
    let (status, body) = upload(&server, &admin, "t", "Ivo", zip_of(&[("main.txt", "paused worker")]));
    assert_eq!(status, 202, "{body}");
    let id = wait_grading(&server, &admin);
    paused.signal("-STOP");
    let other = worker(&postgres, data.path(), assignment.path(), 1, "2s");
    // The other worker takes the grade over once the paused one's lease runs out.
    let started = Instant::now();
    while attempts(&postgres, &id).len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(60), "no takeover");
        std::thread::sleep(Duration::from_millis(200));
    }
    paused.signal("-CONT");
    let done = wait_final(&server, &admin, &id, Duration::from_secs(120));
    assert_eq!(done["status"], "graded", "{done}");
    let started = Instant::now();
    // The paused claim is first "lost" (its lease ran out), then "refused" once its late
    // result comes; the other worker's grade may well land before that.
    let claims = loop {
        let claims = attempts(&postgres, &id);
        let late_result_came = claims.first().is_some_and(|c| c.1.as_deref() != Some("lost"));
        if late_result_came && claims.iter().all(|c| c.1.is_some()) {
            break claims;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{claims:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        claims,
        [
            (paused.id.clone(), Some("refused".to_string())),
            (other.id.clone(), Some("graded".to_string()))
        ]
    );
    // The grade that stands is the other worker's: its claim's folder, its report.
    let submission = with_db(&postgres, async |db| db.get(&id).await.unwrap().unwrap());
    let stands = submission.report_dir.unwrap();
    assert!(stands.starts_with(&format!("reports/claims/{id}-2/")), "{stands}");
    let late = data.path().join(format!("reports/claims/{id}-1"));
    assert!(late.is_dir(), "the paused worker wrote beside it, not over it");
    let served = get_json(&server, &admin, &format!("/api/v1/submissions/{id}/report.json"));
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.path().join(&stands).join("report.json")).unwrap()).unwrap();
    assert_eq!(served, on_disk);
}

#[test]
fn the_database_restarted_under_the_workers_loses_nothing() {
    require_engine();
    sandbox_image();
    let postgres = Postgres::start();
    let assignment = one_phase("cat /workspace/main.txt; sleep 1", "", "[reproducibility]\nruns = 1\n");
    let data = tempfile::tempdir().unwrap();
    let admin = admin_token(&postgres);
    let server = queue_only(&postgres, data.path(), assignment.path());
    let _workers = [
        worker(&postgres, data.path(), assignment.path(), 2, "10s"),
        worker(&postgres, data.path(), assignment.path(), 2, "10s"),
    ];
    let ids: Vec<String> = (0..12)
        .map(|i| {
            let (status, body) = upload(
                &server,
                &admin,
                "t",
                "Pia",
                zip_of(&[("main.txt", &format!("restart {i}"))]),
            );
            assert_eq!(status, 202, "{body}");
            body["id"].as_str().unwrap().to_string()
        })
        .collect();
    wait_grading(&server, &admin);
    postgres.stop();
    std::thread::sleep(Duration::from_secs(3));
    postgres.start_again();
    for id in &ids {
        let done = wait_final(&server, &admin, id, Duration::from_secs(180));
        assert_eq!(done["status"], "graded", "{done}");
    }
    let counts = with_db(&postgres, async |db| db.count_by_status().await.unwrap());
    assert_eq!(counts, [(Status::Graded, 12)]);
}

#[test]
fn a_worker_needs_a_shared_postgresql_queue() {
    let assignment = one_phase("true", "", "");
    for database in [None, Some("sqlite:///tmp/assay.db")] {
        let mut args = vec!["worker", "-a", assignment.path().to_str().unwrap()];
        if let Some(url) = database {
            args.extend(["--database", url]);
        }
        let output = assay(&args);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(
            text(&output).contains("shared PostgreSQL database"),
            "{}",
            text(&output)
        );
    }
}
