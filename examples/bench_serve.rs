//! `cargo build --release && cargo run --release --example bench_serve`: the service against
//! the command line, side by side in one run.
//! 1. Upload latency, p50 and p99, of 50 clients uploading a 100 KB archive at once, with no
//!    grading in the process (`--workers 0`).
//! 2. One digits reference submission, upload to final report on an idle server, against
//!    `assay grade` of the same files (median of 3, alternating).
//! 3. 100 submissions whose phase sleeps 2 s, uploaded at once, until all are graded, against
//!    `assay grade -j N` of the same 100 with the same N.
//! 4. The reviewers' round page of 2,000 graded submissions (some reviewed), against the
//!    JSON list of the same 2,000 (`/api/v1/submissions?limit=...` pages), median of 30.
//! 5. Upload to the first phase's command running (the time it prints first) on an idle
//!    server, with a warm first phase against none (`--warm-ttl 0`), median of 11,
//!    alternating.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn assay_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("assay"))
        .expect("target dir")
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first: the server removes its containers (a warm one too) as it stops.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path, assignment: &Path, workers: &str) -> Server {
    serve_with(data, assignment, workers, &[])
}

fn serve_with(data: &Path, assignment: &Path, workers: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(assay_binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "100000",
            "--workers",
            workers,
            "--data",
        ])
        .arg(data)
        .arg("-a")
        .arg(assignment)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().trim_start_matches("listening on ").to_string();
    assert!(url.starts_with("http://"), "the server did not start: {line}");
    Server { child, url }
}

fn token(data: &Path) -> String {
    let output = Command::new(assay_binary())
        .args(["token", "create", "--scope", "admin", "--data"])
        .arg(data)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string()
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn upload(client: &reqwest::blocking::Client, server: &Server, token: &str, archive: Vec<u8>) -> String {
    let form = reqwest::blocking::multipart::Form::new()
        .text("assignment", "bench")
        .text("candidate", "Bench")
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(archive).file_name("work.zip"),
        );
    let response = client
        .post(format!("{}/api/v1/submissions", server.url))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().unwrap();
    body["id"].as_str().unwrap().to_string()
}

fn wait_final(client: &reqwest::blocking::Client, server: &Server, token: &str, id: &str) {
    loop {
        let body: serde_json::Value = client
            .get(format!("{}/api/v1/submissions/{id}", server.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if ["graded", "invalid_submission", "harness_error"].contains(&body["status"].as_str().unwrap_or("")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn assignment(dir: &Path, run: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("assignment.toml"),
        format!(
            "[assignment]\nid = \"bench\"\ntitle = \"Bench\"\n\n[sandbox]\nmemory = \"256MiB\"\ntimeout = \"60s\"\n\n[[phase]]\nname = \"main\"\nrun = '''{run}'''\n\n[reproducibility]\nruns = 1\n"
        ),
    )
    .unwrap();
}

fn upload_latency() {
    let work = tempfile::tempdir().unwrap();
    let assignment_dir = work.path().join("a");
    assignment(&assignment_dir, "true");
    let data = work.path().join("data");
    let token = token(&data);
    let server = serve(&data, &assignment_dir, "0");
    // Every archive is made before the clock starts: the load generator shares the cores.
    let archives: Vec<Vec<Vec<u8>>> = (0..50)
        .map(|client_number| {
            (0..20)
                .map(|i| {
                    // 100 KB that does not compress away.
                    let mut content = vec![0u8; 100 * 1024];
                    for (k, byte) in content.iter_mut().enumerate() {
                        *byte = ((k * 7919 + i * 31 + client_number * 131) % 251) as u8;
                    }
                    zip_of(&[("main.txt".into(), content)])
                })
                .collect()
        })
        .collect();
    // One async client with 50 tasks: the load generator's own threads stay off the cores the
    // server needs.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut latencies: Vec<f64> = runtime.block_on(async {
        let client = reqwest::Client::new();
        let tasks: Vec<_> = archives
            .into_iter()
            .map(|mine| {
                let (client, url, token) = (client.clone(), server.url.clone(), token.clone());
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    for archive in mine {
                        let started = Instant::now();
                        let form = reqwest::multipart::Form::new()
                            .text("assignment", "bench")
                            .text("candidate", "Bench")
                            .part("file", reqwest::multipart::Part::bytes(archive).file_name("work.zip"));
                        let response = client
                            .post(format!("{url}/api/v1/submissions"))
                            .bearer_auth(&token)
                            .multipart(form)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(response.status().as_u16(), 202);
                        response.bytes().await.unwrap();
                        times.push(started.elapsed().as_secs_f64() * 1000.0);
                    }
                    times
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    latencies.sort_by(f64::total_cmp);
    println!(
        "upload latency, 50 clients x 20 uploads of 100 KB: p50 {:.1} ms, p99 {:.1} ms (max {:.1} ms)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap()
    );
}

fn end_to_end(repo: &Path) {
    let digits = repo.join("assignments/digits");
    let reference = digits.join("solutions/reference");
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let token = token(&data);
    // The digits assignment under the id the uploads name.
    let spec = std::fs::read_to_string(digits.join("assignment.toml")).unwrap();
    let copy = work.path().join("digits");
    copy_tree(&digits, &copy);
    let id_line = spec.lines().find(|l| l.trim_start().starts_with("id =")).unwrap();
    std::fs::write(
        copy.join("assignment.toml"),
        spec.replacen(id_line, "id = \"bench\"", 1),
    )
    .unwrap();
    let server = serve(&data, &copy, "1");
    let client = reqwest::blocking::Client::new();
    let mut served = Vec::new();
    let mut command_line = Vec::new();
    for round in 0..3 {
        // Each round grades new files (round.txt differs), so nothing is reused.
        let started = Instant::now();
        let folder = work.path().join(format!("cli-{round}"));
        copy_tree(&reference, &folder);
        std::fs::write(folder.join("round.txt"), format!("cli {round}")).unwrap();
        let status = Command::new(assay_binary())
            .args(["grade", "--json", "-a"])
            .arg(&copy)
            .arg("-o")
            .arg(work.path().join("out"))
            .arg(&folder)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        command_line.push(started.elapsed().as_secs_f64());
        let mut variant = reference_files(&reference);
        variant.push(("round.txt".into(), format!("served {round}").into_bytes()));
        let started = Instant::now();
        let id = upload(&client, &server, &token, zip_of(&variant));
        wait_final(&client, &server, &token, &id);
        served.push(started.elapsed().as_secs_f64());
    }
    served.sort_by(f64::total_cmp);
    command_line.sort_by(f64::total_cmp);
    println!(
        "digits reference, upload to report: {:.2} s served, {:.2} s assay grade (median of 3): {:.2}x",
        served[1],
        command_line[1],
        served[1] / command_line[1]
    );
}

fn reference_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn throughput(jobs: &str) {
    let work = tempfile::tempdir().unwrap();
    let assignment_dir = work.path().join("a");
    assignment(&assignment_dir, "sleep 2");
    let data = work.path().join("data");
    let token = token(&data);
    let server = serve(&data, &assignment_dir, jobs);
    let client = reqwest::blocking::Client::new();
    let started = Instant::now();
    let ids: Vec<String> = (0..100)
        .map(|i| {
            upload(
                &client,
                &server,
                &token,
                zip_of(&[("main.txt".into(), format!("served {i}").into_bytes())]),
            )
        })
        .collect();
    for id in &ids {
        wait_final(&client, &server, &token, id);
    }
    let served = started.elapsed().as_secs_f64();
    let round = work.path().join("round");
    for i in 0..100 {
        let folder = round.join(format!("s{i:03}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("main.txt"), format!("cli {i}")).unwrap();
    }
    let started = Instant::now();
    let status = Command::new(assay_binary())
        .args(["grade", "--json", "-j", jobs, "-a"])
        .arg(&assignment_dir)
        .arg("-o")
        .arg(work.path().join("out"))
        .arg("--dir")
        .arg(&round)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let command_line = started.elapsed().as_secs_f64();
    println!(
        "100 submissions sleeping 2 s, {jobs} at once: {served:.1} s served, {command_line:.1} s assay grade -j {jobs}: {:.2}x",
        served / command_line
    );
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert!(assay_binary().is_file(), "build first: cargo build --release");
    // One part alone: `-- latency`, `-- end-to-end` or `-- throughput`.
    let only = std::env::args().nth(1);
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if wanted("latency") {
        upload_latency();
    }
    if wanted("end-to-end") {
        end_to_end(&repo);
    }
    if wanted("throughput") {
        throughput("2");
    }
    if wanted("round") {
        round_page();
    }
    if wanted("warm") {
        first_phase_start();
    }
}

/// Milliseconds from `since` to the time the first phase's command printed first (the
/// container's clock is the host's).
fn command_started(
    client: &reqwest::blocking::Client,
    server: &Server,
    token: &str,
    id: &str,
    since: std::time::SystemTime,
) -> f64 {
    let report: serde_json::Value = client
        .get(format!("{}/api/v1/submissions/{id}/report.json", server.url))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let tail = report["phases"][0]["stdout_tail"].as_str().unwrap();
    let nanos: u64 = tail.lines().next().unwrap().parse().unwrap();
    let at = std::time::UNIX_EPOCH + Duration::from_nanos(nanos);
    at.duration_since(since).unwrap().as_secs_f64() * 1000.0
}

/// Waits until the server says a warm container is ready (made, started, holding its inputs).
fn wait_warm(client: &reqwest::blocking::Client, server: &Server) {
    let asked = Instant::now();
    loop {
        let text = client
            .get(format!("{}/metrics", server.url))
            .send()
            .unwrap()
            .text()
            .unwrap();
        if text.lines().any(|line| line == "assay_warm_containers 1") {
            return;
        }
        assert!(asked.elapsed() < Duration::from_secs(30), "no warm container appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn first_phase_start() {
    let work = tempfile::tempdir().unwrap();
    let client = reqwest::blocking::Client::new();
    // Two servers, each idle while the other grades: one keeps a warm first phase, one none.
    let servers: Vec<(&str, Server, String)> = [("warm", "10m"), ("cold", "0")]
        .into_iter()
        .map(|(name, ttl)| {
            let dir = work.path().join(name);
            // The phase reads an input of the assignment's, as most do.
            assignment(&dir, "date +%s%N; cat /data/x.csv");
            let toml = std::fs::read_to_string(dir.join("assignment.toml")).unwrap();
            let toml = toml.replace(
                "[reproducibility]",
                "inputs = { \"/data\" = \"hidden\" }\n\n[reproducibility]",
            );
            std::fs::write(dir.join("assignment.toml"), toml).unwrap();
            std::fs::create_dir_all(dir.join("hidden")).unwrap();
            std::fs::write(dir.join("hidden/x.csv"), "id\na\nb\n").unwrap();
            let data = dir.join("data");
            let token = token(&data);
            (name, serve_with(&data, &dir, "1", &["--warm-ttl", ttl]), token)
        })
        .collect();
    let archive = |k: usize| zip_of(&[("main.py".into(), format!("print({k})\n").into_bytes())]);
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    for round in 0..12 {
        for (index, (name, server, token)) in servers.iter().enumerate() {
            if *name == "warm" && round > 0 {
                wait_warm(&client, server);
            }
            // Idle: nothing else of this server's is in flight.
            std::thread::sleep(Duration::from_millis(300));
            let since = std::time::SystemTime::now();
            let id = upload(&client, server, token, archive(round * 2 + index));
            wait_final(&client, server, token, &id);
            let ms = command_started(&client, server, token, &id, since);
            // The first round of each only warms the caches (and the pool).
            if round > 0 {
                times[index].push(ms);
            }
        }
    }
    let (warm, warm_p95) = median_ms(times[0].clone());
    let (cold, cold_p95) = median_ms(times[1].clone());
    println!(
        "upload to first phase running, idle server (median of 11): warm {warm:.0} ms (p95 {warm_p95:.0}), \
         cold {cold:.0} ms (p95 {cold_p95:.0}): {:.1}x",
        cold / warm
    );
}

/// Records 2,000 graded submissions (every tenth with a submitted review) straight into the
/// data folder's database, as the workers would have.
fn record_round(data: &Path, count: usize) {
    use assay::service::db::{Database, Finished, NewSubmission, Status};
    use assay::service::outbox::Event;
    use assay::service::reviews::Rated;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::open_in(data).await.unwrap();
        for i in 0..count {
            let id = format!("s_{i:06}");
            let new = NewSubmission {
                id: &id,
                assignment: "bench",
                candidate: &format!("Candidate number {i}"),
                email: None,
                external_id: None,
                idempotency_key: None,
                upload: "uploads/none",
                upload_bytes: 1,
                invite: None,
                image_id: None,
            };
            let event = Event {
                name: "submission.received",
                data: serde_json::json!({}),
            };
            db.insert_submission(&new, &event).await.unwrap();
        }
        while let Some(claimed) = db
            .claim_next("bench", std::time::Duration::from_secs(60))
            .await
            .unwrap()
        {
            let n: usize = claimed.id[2..].parse().unwrap();
            let finished = Finished {
                status: Status::Graded,
                verdict: if n.is_multiple_of(3) { "failed" } else { "passed" },
                score: Some(((n % 100) as f64, 100.0)),
                sha256: &format!("{n:064}"),
                summary: "recorded for the benchmark",
                reproducibility: "reproducible",
                test_groups: r#"[{"name":"core","passed":true},{"name":"edge","passed":false}]"#.to_string(),
                report_dir: "reports/x",
            };
            let event = Event {
                name: "grading.finished",
                data: serde_json::json!({}),
            };
            db.finish(&claimed.id, claimed.lease_token, &finished, &event)
                .await
                .unwrap();
            if n.is_multiple_of(10) {
                let rated = vec![Rated {
                    criterion: "Code".into(),
                    level: "good".into(),
                    comment: String::new(),
                }];
                db.save_review(&claimed.id, "reviewer", &rated, true).await.unwrap();
            }
        }
    });
}

/// A session cookie for `token`, logged in through the login form.
fn session(client: &reqwest::blocking::Client, server: &Server, token: &str) -> String {
    let cookie_value = |response: &reqwest::blocking::Response, name: &str| -> String {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_string()
    };
    let page = client.get(format!("{}/review/login", server.url)).send().unwrap();
    let login = cookie_value(&page, "assay_login");
    let answer = client
        .post(format!("{}/review/login", server.url))
        .header("cookie", format!("assay_login={login}"))
        .form(&[("token", token), ("login_csrf", &login)])
        .send()
        .unwrap();
    cookie_value(&answer, "assay_session")
}

fn median_ms(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.95))
}

fn round_page() {
    let work = tempfile::tempdir().unwrap();
    let assignment_dir = work.path().join("a");
    assignment(&assignment_dir, "true");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let count = 2000;
    record_round(&data, count);
    let token = token(&data);
    let server = serve(&data, &assignment_dir, "0");
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("assay_session={}", session(&client, &server, &token));
    let mut page_times = Vec::new();
    let mut list_times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let page = client
            .get(format!("{}/review/assignments/bench?sort=score&order=desc", server.url))
            .header("cookie", &cookie)
            .send()
            .unwrap()
            .text()
            .unwrap();
        page_times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(
            page.contains(&format!("{count} of {count} submission(s) shown")),
            "the round page is short"
        );
        let started = Instant::now();
        let mut cursor = String::new(); // "&cursor=N" after the first page
        let mut listed = 0;
        loop {
            let body: serde_json::Value = client
                .get(format!(
                    "{}/api/v1/submissions?assignment=bench&limit=500{cursor}",
                    server.url
                ))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            listed += body["items"].as_array().map_or(0, Vec::len);
            match body["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(listed, count, "the list is short");
        list_times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (page_median, page_p95) = median_ms(page_times);
    let (list_median, list_p95) = median_ms(list_times);
    println!(
        "round page of {count} graded submissions: median {page_median:.1} ms, p95 {page_p95:.1} ms; \
         the JSON list of the same {count}: median {list_median:.1} ms, p95 {list_p95:.1} ms"
    );
}
