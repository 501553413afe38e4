//! `assay serve` for real: HTTP on 127.0.0.1, grading on the engine, the data folder on disk.
//! Uploads, tokens and scopes, idempotency, bad input, a kill -9 mid-grade, and many uploads
//! at once.

mod common;

use std::time::Duration;

use common::server::{Server, client, get_json, token, upload, wait_final, zip_of};
use common::*;

/// One phase that prints the candidate's file and sleeps `seconds`; one run.
fn service_assignment(seconds: u32) -> tempfile::TempDir {
    one_phase(
        &format!("cat /workspace/main.txt; sleep {seconds}"),
        "",
        "[reproducibility]\nruns = 1\n",
    )
}

#[test]
fn upload_grade_and_fetch_every_report_file() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let (status, body) = upload(
        &server,
        &admin,
        "t",
        "Ann <script>",
        zip_of(&[("main.txt", "upload one")]),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "queued");
    let id = body["id"].as_str().unwrap().to_string();
    let done = wait_final(&server, &admin, &id, Duration::from_secs(120));
    assert_eq!(done["status"], "graded", "{done}");
    assert_eq!(done["verdict"], "passed");
    assert_eq!(done["candidate"], "Ann <script>");
    let get = |file: &str| {
        client()
            .get(server.url(&format!("/api/v1/submissions/{id}/{file}")))
            .bearer_auth(&admin)
            .send()
            .unwrap()
    };
    let report: Report = get("report.json").json().unwrap();
    assert_eq!(report.verdict, RunVerdict::Passed);
    assert_eq!(phase(&report, "main").stdout_tail, "upload one");
    let html = get("report.html");
    let csp = html.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(html.text().unwrap().contains("<!DOCTYPE html>"));
    assert!(get("feedback.md").text().unwrap().starts_with("# Feedback"));
    assert!(get("junit.xml").text().unwrap().contains("<testsuites"));
    assert_eq!(get("secrets.txt").status().as_u16(), 404);
    let spec: serde_json::Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(spec["paths"]["/api/v1/submissions"]["post"].is_object(), "{spec}");
    let assignments = get_json(&server, &admin, "/api/v1/assignments");
    assert_eq!(assignments[0]["id"], "t");
    assert!(!assignments.to_string().contains("hidden"), "{assignments}");
    let metrics = client().get(server.url("/metrics")).send().unwrap().text().unwrap();
    assert!(
        metrics.contains("assay_grades_total{verdict=\"passed\"} 1"),
        "{metrics}"
    );
}

#[test]
fn tokens_need_the_right_scope() {
    let data = tempfile::tempdir().unwrap();
    let assignment = service_assignment(0);
    let submit = token(data.path(), "submit");
    let read = token(data.path(), "read");
    require_engine();
    sandbox_image();
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let list = |token: Option<&str>| {
        let mut request = client().get(server.url("/api/v1/submissions"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    };
    let anonymous = list(None);
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_eq!(list(Some("assay_0000")).status().as_u16(), 401);
    assert_eq!(list(Some(&submit)).status().as_u16(), 403);
    assert_eq!(list(Some(&read)).status().as_u16(), 200);
    let (status, body) = upload(&server, &read, "t", "Bob", zip_of(&[("main.txt", "scopes")]));
    assert_eq!(status, 403, "{body}");
    let (status, body) = upload(&server, &submit, "t", "Bob", zip_of(&[("main.txt", "scopes")]));
    assert_eq!(status, 202, "{body}");
    // A submit token may follow its submission's status, to wait for the verdict.
    let id = body["id"].as_str().unwrap();
    let status = client()
        .get(server.url(&format!("/api/v1/submissions/{id}")))
        .bearer_auth(&submit)
        .send()
        .unwrap();
    assert_eq!(status.status().as_u16(), 200);
    // A revoked token is refused at once.
    let listed = assay(&["token", "list", "--data", data.path().to_str().unwrap()]);
    let read_id = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find(|l| l.contains(" read "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    let revoked = assay(&["token", "revoke", &read_id, "--data", data.path().to_str().unwrap()]);
    assert!(revoked.status.success(), "{}", text(&revoked));
    assert_eq!(list(Some(&read)).status().as_u16(), 401);
    let listed = assay(&["token", "list", "--data", data.path().to_str().unwrap()]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        !listed.contains(&read) && !listed.contains(&submit),
        "tokens are never listed"
    );
}

#[test]
fn an_idempotency_key_gives_the_first_submission_back() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let send = |content: &str| {
        let form = reqwest::blocking::multipart::Form::new()
            .text("assignment", "t")
            .text("candidate", "Cy")
            .part(
                "file",
                reqwest::blocking::multipart::Part::bytes(zip_of(&[("main.txt", content)])).file_name("a.zip"),
            );
        let response = client()
            .post(server.url("/api/v1/submissions"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "upload-42")
            .multipart(form)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().unwrap())
    };
    let (first_status, first) = send("first");
    let (second_status, second) = send("second");
    assert_eq!((first_status, second_status), (202, 200));
    assert_eq!(first["id"], second["id"]);
    let list = get_json(&server, &admin, "/api/v1/submissions");
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let uploads = std::fs::read_dir(data.path().join("uploads")).unwrap().count();
    assert_eq!(uploads, 1, "the repeat's upload is not kept");
}

#[test]
fn bad_input_gets_a_clear_error_and_loses_nothing() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let server = Server::start(data.path(), &[assignment.path()], &["--max-upload", "4KiB"]);
    // Refused with a 413 the client reads, every time: the server reads the rest of the body
    // (within its limit) before it answers, instead of closing mid-upload.
    for _ in 0..20 {
        let (status, body) = upload(&server, &admin, "t", "Big", vec![b'x'; 64 * 1024]);
        assert_eq!(status, 413, "{body}");
        let raw = client()
            .post(server.url("/api/v1/submissions?assignment=t&candidate=Big"))
            .bearer_auth(&admin)
            .body(vec![b'x'; 60 * 1024])
            .send()
            .unwrap();
        assert_eq!(raw.status().as_u16(), 413);
    }
    let (status, body) = upload(&server, &admin, "nope", "Dee", zip_of(&[("main.txt", "x")]));
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("assignment:"), "{body}");
    let (status, body) = upload(&server, &admin, "t", " ", zip_of(&[("main.txt", "x")]));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "candidate: missing");
    // Not JSON where JSON is expected, a malformed form: refused, the server goes on.
    let malformed = client()
        .post(server.url("/api/v1/submissions"))
        .bearer_auth(&admin)
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end")
        .send()
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    // A raw body with a hostile file name, and an archive intake refuses: invalid_submission.
    let raw = client()
        .post(server.url("/api/v1/submissions?assignment=t&candidate=Eve&filename=..%2F..%2Fetc%2Fpasswd%0A.zip"))
        .bearer_auth(&admin)
        .header("content-type", "application/zip")
        .body(b"PK\x03\x04 this is no zip".to_vec())
        .send()
        .unwrap();
    assert_eq!(raw.status().as_u16(), 202);
    let id = raw.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = wait_final(&server, &admin, &id, Duration::from_secs(60));
    assert_eq!(done["status"], "invalid_submission", "{done}");
    assert!(done["summary"].as_str().unwrap().contains("refused"), "{done}");
    let kept: Vec<String> = std::fs::read_dir(data.path().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&id))
        .collect();
    assert_eq!(kept, [format!("{id}-passwd.zip")]);
    let report: Report = serde_json::from_value(get_json(
        &server,
        &admin,
        &format!("/api/v1/submissions/{id}/report.json"),
    ))
    .unwrap();
    assert_eq!(
        report.submission.name, "passwd.zip",
        "the report keeps the name it came under"
    );
    assert_eq!(
        client().get(server.url("/healthz")).send().unwrap().text().unwrap(),
        "ok\n"
    );
}

#[test]
fn a_killed_server_grades_every_accepted_submission_once_after_a_restart() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(3);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let server = Server::start(data.path(), &[assignment.path()], &["--workers", "2"]);
    let ids: Vec<String> = (0..4)
        .map(|i| {
            let (status, body) = upload(
                &server,
                &admin,
                "t",
                "Kim",
                zip_of(&[("main.txt", &format!("killed {i}"))]),
            );
            assert_eq!(status, 202, "{body}");
            body["id"].as_str().unwrap().to_string()
        })
        .collect();
    // Kill it while grades run.
    let started = std::time::Instant::now();
    loop {
        let list = get_json(&server, &admin, "/api/v1/submissions?status=grading");
        if !list["items"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "nothing started grading");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    server.kill();
    let server = Server::start(data.path(), &[assignment.path()], &["--workers", "2"]);
    let mut shas = Vec::new();
    for id in &ids {
        let done = wait_final(&server, &admin, id, Duration::from_secs(180));
        assert_eq!(done["status"], "graded", "{done}");
        assert_eq!(done["verdict"], "passed", "{done}");
        shas.push(done["report_url"].as_str().unwrap().to_string());
        let report: Report = client()
            .get(server.url(done["report_url"].as_str().unwrap()))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(leftovers(&report.submission.sha256), "", "containers of {id} were left");
    }
    let list = get_json(&server, &admin, "/api/v1/submissions");
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        4,
        "none lost, none added: {list}"
    );
}

#[test]
fn two_hundred_uploads_at_once_give_two_hundred_reports() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let server = Server::start(data.path(), &[assignment.path()], &["--rate-limit", "1000"]);
    // 200 clients, each uploading one distinct submission, all at once.
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let (server, admin) = (&server, &admin);
                scope.spawn(move || {
                    let content = format!("many {i}");
                    let (status, body) = upload(server, admin, "t", "Lee", zip_of(&[("main.txt", &content)]));
                    assert_eq!(status, 202, "{body}");
                    body["id"].as_str().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 200);
    for id in &ids {
        let done = wait_final(&server, &admin, id, Duration::from_secs(600));
        assert_eq!(done["verdict"], "passed", "{done}");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/submissions?limit=70".to_string();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = get_json(&server, &admin, &path);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected, "every upload listed once");
    // Each grade was claimed once, into a folder of its own, holding its report.
    let claims: Vec<_> = std::fs::read_dir(data.path().join("reports/claims"))
        .unwrap()
        .map(|claim| claim.unwrap().path())
        .collect();
    assert_eq!(claims.len(), 200);
    for claim in &claims {
        let inner: Vec<_> = std::fs::read_dir(claim).unwrap().collect();
        assert_eq!(inner.len(), 1, "{}", claim.display());
        assert!(inner[0].as_ref().unwrap().path().join("report.json").is_file());
    }
}

#[test]
fn assay_submit_waits_for_the_verdict_and_exits_as_grade_does() {
    require_engine();
    sandbox_image();
    let assignment = one_phase("sh /workspace/run.sh", "", "[reproducibility]\nruns = 1\n");
    let data = tempfile::tempdir().unwrap();
    let submit = token(data.path(), "submit");
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let files = tempfile::tempdir().unwrap();
    let archive = |name: &str, script: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, zip_of(&[("run.sh", script)])).unwrap();
        path
    };
    let send = |path: &std::path::Path, token: &str| {
        assay(&[
            "submit",
            &server.url,
            path.to_str().unwrap(),
            "--token",
            token,
            "-a",
            "t",
            "--candidate",
            "Max",
        ])
    };
    let passing = send(&archive("pass.zip", "echo fine\n"), &submit);
    assert_eq!(passing.status.code(), Some(0), "{}", text(&passing));
    assert!(text(&passing).contains(": passed"), "{}", text(&passing));
    let failing = send(&archive("fail.zip", "exit 4\n"), &submit);
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing));
    assert!(text(&failing).contains("report: http://"), "{}", text(&failing));
    let refused = send(&archive("other.zip", "echo x\n"), "assay_wrong");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("401"), "{}", text(&refused));
}

/// What a receiver saw of one delivery: its headers (lower-case names) and body.
type Delivery = (std::collections::BTreeMap<String, String>, String);

/// A webhook receiver on 127.0.0.1: records every delivery (headers, body) and answers 500
/// while `refuse` holds or until an event has been tried three times, then 200.
struct Receiver {
    url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Delivery>>>,
    refuse: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    fn start() -> Receiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Delivery>::new()));
        let refuse = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (record, refusing) = (seen.clone(), refuse.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = std::collections::BTreeMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let Some((name, value)) = line.trim_end().split_once(": ") else {
                        break;
                    };
                    headers.insert(name.to_ascii_lowercase(), value.to_string());
                }
                let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap();
                let body = String::from_utf8(body).unwrap();
                let delivery = headers.get("x-assay-delivery").cloned().unwrap_or_default();
                let mut seen = record.lock().unwrap();
                let tries = seen
                    .iter()
                    .filter(|(h, _)| h.get("x-assay-delivery") == Some(&delivery))
                    .count();
                let ok = !refusing.load(std::sync::atomic::Ordering::SeqCst) && tries >= 3;
                headers.insert("answered".into(), if ok { "200" } else { "500" }.into());
                seen.push((headers, body));
                let status = if ok { "200 OK" } else { "500 Internal Server Error" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, seen, refuse }
    }

    /// Deliveries of each event id, in order.
    fn by_event(&self) -> std::collections::BTreeMap<String, Vec<Delivery>> {
        let mut events = std::collections::BTreeMap::new();
        for (headers, body) in self.seen.lock().unwrap().iter() {
            let id = headers.get("x-assay-delivery").cloned().unwrap_or_default();
            events
                .entry(id)
                .or_insert_with(Vec::new)
                .push((headers.clone(), body.clone()));
        }
        events
    }
}

/// The receiver's side of a signature: HMAC-SHA256 over "t.body" with the shared secret.
fn signature_holds(secret: &str, header: &str, body: &str) -> bool {
    use hmac::{KeyInit, Mac};
    let Some((t, v1)) = header.split_once(',') else {
        return false;
    };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap_or_default()).is_ok()
}

/// Adds a webhook for both submission events, signed with `secret`.
fn add_webhook(data: &std::path::Path, url: &str, secret: &str) {
    let added = assay(&[
        "webhook",
        "add",
        url,
        "--events",
        "submission.received,grading.finished",
        "--secret",
        secret,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(added.status.success(), "{}", text(&added));
}

/// Waits until every event the receiver saw has had `tries` deliveries.
fn wait_tries(receiver: &Receiver, events: usize, tries: usize) {
    let started = std::time::Instant::now();
    loop {
        let seen = receiver.by_event();
        if seen.len() >= events && seen.values().all(|t| t.len() >= tries) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "deliveries: {:?}",
            seen.keys()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every event: refused, then delivered once (the last try), the same event id and body and a
/// signature that holds on every try. Returns the event names.
fn delivered_once(receiver: &Receiver, secret: &str, id: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (event_id, tries) in &receiver.by_event() {
        let answers: Vec<&str> = tries.iter().map(|(h, _)| h["answered"].as_str()).collect();
        assert_eq!(
            answers.iter().filter(|a| **a == "200").count(),
            1,
            "{event_id}: {answers:?}"
        );
        assert_eq!(answers.last(), Some(&"200"), "{event_id}: {answers:?}");
        let body = &tries[0].1;
        for (headers, again) in tries {
            assert_eq!(again, body);
            assert_eq!(headers["x-assay-delivery"], *event_id);
            assert!(
                signature_holds(secret, &headers["x-assay-signature"], again),
                "{headers:?}"
            );
            assert!(!signature_holds("wrong", &headers["x-assay-signature"], again));
        }
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["event_id"], *event_id);
        assert_eq!(json["data"]["id"], id);
        if json["event"] == "grading.finished" {
            assert_eq!(json["data"]["verdict"], "passed", "{json}");
            assert_eq!(tries[0].0["x-assay-event"], "grading.finished");
        }
        names.push(json["event"].as_str().unwrap().to_string());
    }
    names.sort();
    names
}

#[test]
fn webhooks_are_signed_retried_and_survive_a_restart() {
    require_engine();
    sandbox_image();
    // `failing` refuses each event's first three deliveries; `down` refuses every delivery
    // until the server has been killed and started again.
    let (failing, down) = (Receiver::start(), Receiver::start());
    down.refuse.store(true, std::sync::atomic::Ordering::SeqCst);
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    add_webhook(data.path(), &failing.url, "s3cret");
    add_webhook(data.path(), &down.url, "other-secret");
    let retry = ["--webhook-retry", "100ms"];
    let server = Server::start(data.path(), &[assignment.path()], &retry);
    let (status, body) = upload(&server, &admin, "t", "Ned", zip_of(&[("main.txt", "hooked")]));
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    wait_final(&server, &admin, &id, Duration::from_secs(120));
    wait_tries(&failing, 2, 4);
    std::thread::sleep(Duration::from_millis(800));
    for (event_id, tries) in &failing.by_event() {
        assert_eq!(
            tries.len(),
            4,
            "{event_id}: the fourth delivery is accepted, and it is the last"
        );
    }
    assert_eq!(
        delivered_once(&failing, "s3cret", &id),
        ["grading.finished", "submission.received"]
    );
    // Pending deliveries are in the outbox when the server is killed; a restart resumes them.
    wait_tries(&down, 2, 1);
    server.kill();
    down.refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    let server = Server::start(data.path(), &[assignment.path()], &retry);
    let started = std::time::Instant::now();
    while !down
        .by_event()
        .values()
        .all(|tries| tries.iter().any(|(h, _)| h["answered"] == "200"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not delivered after the restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        delivered_once(&down, "other-secret", &id),
        ["grading.finished", "submission.received"]
    );
    assert!(
        failing.by_event().values().all(|tries| tries.len() == 4),
        "nothing delivered twice"
    );
    drop(server);
}

/// Posts JSON with a token.
fn post_json(server: &Server, token: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = client()
        .post(server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or_default())
}

#[test]
fn an_invite_takes_one_upload_then_shows_the_status_and_feedback() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    write(
        assignment.path(),
        "README.md",
        "# Echo task\n\nWrite `main.txt`. <script>alert(1)</script> [x](javascript:alert(1))\n",
    );
    let data = tempfile::tempdir().unwrap();
    let submit = token(data.path(), "submit");
    let server = Server::start(data.path(), &[assignment.path()], &[]);
    let (status, invite) = post_json(
        &server,
        &submit,
        "/api/v1/invites",
        serde_json::json!({"assignment": "t", "candidate": "Ola <i>", "external_id": "ats-7"}),
    );
    assert_eq!(status, 201, "{invite}");
    let bad_json = client()
        .post(server.url("/api/v1/invites"))
        .bearer_auth(&submit)
        .header("content-type", "application/json")
        .body("{\"assignment\": \"t\", \"candidate\": ")
        .send()
        .unwrap();
    assert_eq!(bad_json.status().as_u16(), 400);
    let why: serde_json::Value = bad_json.json().unwrap();
    assert!(why["error"].as_str().unwrap().starts_with("not an invite"), "{why}");
    let link = server.url(invite["url"].as_str().unwrap());
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = no_redirects.get(&link).send().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(
        policy.contains("default-src 'none'") && !policy.contains("script-src"),
        "{policy}"
    );
    let html = page.text().unwrap();
    assert!(html.contains("<h1>Echo task</h1>"), "{html}");
    assert!(html.contains("Ola &lt;i&gt;"), "{html}");
    assert!(!html.contains("<script") && !html.contains("javascript:"), "{html}");
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    let send = |content: &str| {
        let form = reqwest::blocking::multipart::Form::new().part(
            "file",
            reqwest::blocking::multipart::Part::bytes(zip_of(&[("main.txt", content)])).file_name("mine.zip"),
        );
        no_redirects.post(&link).multipart(form).send().unwrap()
    };
    let first = send("invited work");
    assert_eq!(first.status().as_u16(), 303, "{}", first.text().unwrap());
    // Large enough that the browser is still sending when the answer is ready: it must get
    // the page, not a connection cut off.
    let mut state = 1u64;
    let large: String = (0..600_000)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            format!("{:x}", state >> 60)
        })
        .collect::<Vec<_>>()
        .concat()
        .repeat(8);
    let second = send(&large);
    assert_eq!(second.status().as_u16(), 409);
    assert!(second.text().unwrap().contains("used already"));
    // The submission carries the invite's candidate and external id, and is graded.
    let admin = token(data.path(), "admin");
    let list = get_json(&server, &admin, "/api/v1/submissions");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["external_id"], "ats-7");
    let id = items[0]["id"].as_str().unwrap();
    wait_final(&server, &admin, id, Duration::from_secs(120));
    let html = no_redirects.get(&link).send().unwrap().text().unwrap();
    assert!(html.contains("received and graded"), "{html}");
    assert!(html.contains("Feedback on your submission"), "{html}");
    // A link whose signature does not hold, and one that expired.
    let forged = link.replace("/invite/i_", "/invite/i_0");
    assert_eq!(no_redirects.get(&forged).send().unwrap().status().as_u16(), 404);
    let soon = humantime::format_rfc3339_seconds(std::time::SystemTime::now() + Duration::from_secs(2)).to_string();
    let (status, short) = post_json(
        &server,
        &submit,
        "/api/v1/invites",
        serde_json::json!({"assignment": "t", "candidate": "Pat", "expires_at": soon}),
    );
    assert_eq!(status, 201, "{short}");
    std::thread::sleep(Duration::from_secs(3));
    let expired = no_redirects
        .get(server.url(short["url"].as_str().unwrap()))
        .send()
        .unwrap();
    assert_eq!(expired.status().as_u16(), 410);
    assert!(expired.text().unwrap().contains("expired"));
}

#[test]
fn a_token_past_its_rate_gets_429_and_others_go_on() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let (busy, calm) = (token(data.path(), "read"), token(data.path(), "read"));
    let server = Server::start(data.path(), &[assignment.path()], &["--rate-limit", "2"]);
    let get = |token: &str| {
        client()
            .get(server.url("/api/v1/assignments"))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    let answers: Vec<reqwest::blocking::Response> = (0..12).map(|_| get(&busy)).collect();
    let limited: Vec<&reqwest::blocking::Response> = answers.iter().filter(|r| r.status().as_u16() == 429).collect();
    assert!(
        !limited.is_empty(),
        "12 requests at once passed a limit of 2 per second"
    );
    assert!(
        answers.iter().take(4).all(|r| r.status().as_u16() == 200),
        "a burst of 4 passes"
    );
    assert_eq!(limited[0].headers()["retry-after"], "1");
    assert_eq!(get(&calm).status().as_u16(), 200);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(get(&busy).status().as_u16(), 200, "the bucket refills");
}

#[test]
fn the_server_keeps_its_records_in_postgres_when_asked() {
    require_engine();
    sandbox_image();
    let postgres = common::postgres::Postgres::start();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let made = assay(&[
        "token",
        "create",
        "--scope",
        "admin",
        "--data",
        data.path().to_str().unwrap(),
        "--database",
        &postgres.url,
    ]);
    assert!(made.status.success(), "{}", text(&made));
    let admin = String::from_utf8_lossy(&made.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    let server = Server::start(data.path(), &[assignment.path()], &["--database", &postgres.url]);
    let (status, body) = upload(&server, &admin, "t", "Quinn", zip_of(&[("main.txt", "in postgres")]));
    assert_eq!(status, 202, "{body}");
    let done = wait_final(&server, &admin, body["id"].as_str().unwrap(), Duration::from_secs(120));
    assert_eq!(done["verdict"], "passed", "{done}");
    assert!(
        !data.path().join("assay.db").exists(),
        "no SQLite database beside Postgres"
    );
    drop(server);
}

#[test]
fn a_harness_failure_is_retried_then_reported_as_ours() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    // No temp folder can be made: every grade fails in the harness, never in the candidate.
    let env = [("TMPDIR", "/nonexistent/assay-test")];
    let server = Server::start_with_env(data.path(), &[assignment.path()], &[], &env);
    let (status, accepted) = upload(&server, &admin, "t", "Rae", zip_of(&[("main.txt", "unlucky")]));
    assert_eq!(status, 202, "{accepted}");
    let started = std::time::Instant::now();
    let done = wait_final(
        &server,
        &admin,
        accepted["id"].as_str().unwrap(),
        Duration::from_secs(60),
    );
    assert_eq!(done["attempts"], 3, "{done}");
    assert_eq!(done["verdict"], "harness_error");
    // Two waits between the three attempts: 2 s, then 4 s.
    assert!(started.elapsed() >= Duration::from_secs(6), "{:?}", started.elapsed());
    assert!(
        done["summary"].as_str().unwrap().contains("not the candidate's fault"),
        "{done}"
    );
}

/// The warm containers of one server process for assignment `t`: full ids.
fn warm_containers(server: &Server) -> Vec<String> {
    let owner = server.owner_filter();
    let listed = std::process::Command::new("docker")
        .args([
            "ps",
            "-a",
            "--no-trunc",
            "-q",
            "--filter",
            "label=assay.warm=t",
            "--filter",
            &owner,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Waits up to `limit` for the server's warm containers to be `wanted`; gives the last list.
fn wait_warm(server: &Server, wanted: impl Fn(&[String]) -> bool, limit: Duration) -> Vec<String> {
    let started = std::time::Instant::now();
    loop {
        let warm = warm_containers(server);
        if wanted(&warm) || started.elapsed() > limit {
            return warm;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The server's `/metrics` line `name VALUE`, as text.
fn metric(server: &Server, name: &str) -> String {
    let text = client().get(server.url("/metrics")).send().unwrap().text().unwrap();
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

/// Waits up to 30 s until the server says `ready` warm containers wait (made, started and
/// holding their inputs: a container listed by the engine may still be on its way).
fn wait_ready(server: &Server, ready: usize) {
    let started = std::time::Instant::now();
    while metric(server, "assay_warm_containers") != ready.to_string() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not {ready} warm container(s) ready: {:?}",
            warm_containers(server)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_warm_first_phase_is_taken_by_one_submission_replaced_and_removed_in_time() {
    require_engine();
    sandbox_image();
    // The phase prints its host name (its container's short id), the candidate's file and an
    // input of the assignment's, which a warm container must already hold.
    let assignment = one_phase(
        "cat /proc/sys/kernel/hostname; cat /workspace/main.txt; echo; cat /data/x.csv",
        "inputs = { \"/data\" = \"hidden/features\" }",
        "[reproducibility]\nruns = 1\n",
    );
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let mut server = Server::start(
        data.path(),
        &[assignment.path()],
        &["--workers", "1", "--warm-ttl", "8s"],
    );
    assert!(warm_containers(&server).is_empty(), "no assignment is busy yet");
    let grade = |text: &str| -> Report {
        let (status, body) = upload(&server, &admin, "t", "Wu", zip_of(&[("main.txt", text)]));
        assert_eq!(status, 202, "{body}");
        let done = wait_final(&server, &admin, body["id"].as_str().unwrap(), Duration::from_secs(120));
        assert_eq!(done["verdict"], "passed", "{done}");
        client()
            .get(server.url(done["report_url"].as_str().unwrap()))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let first = grade("first");
    assert!(phase(&first, "main").stdout_tail.contains("first\nid\na\nb"));
    wait_ready(&server, 1);
    let warm = warm_containers(&server);
    assert_eq!(warm.len(), 1, "one warm container after a grade: {warm:?}");
    let running = list_containers(&format!("id={}", warm[0]), "{{.State}}");
    assert_eq!(running.trim(), "running");

    let second = grade("second");
    let output = &phase(&second, "main").stdout_tail;
    assert!(
        output.starts_with(&warm[0][..12]),
        "the second submission's phase ran in the warm container {}: {output}",
        warm[0]
    );
    assert!(output.contains("second\nid\na\nb"), "{output}");
    assert!(
        list_containers(&format!("id={}", warm[0]), "{{.ID}}").trim().is_empty(),
        "a used warm container is removed with its run"
    );
    assert_eq!(metric(&server, "assay_warm_taken_total"), "1");
    wait_ready(&server, 1);
    let refilled = warm_containers(&server);
    assert!(
        refilled.len() == 1 && refilled[0] != warm[0],
        "a new warm container replaces the used one: {refilled:?}"
    );
    let third = grade("third");
    assert!(
        phase(&third, "main").stdout_tail.starts_with(&refilled[0][..12]),
        "the replacement is used by the next submission"
    );

    // Not taken within its time: removed, and no other made in its place.
    assert_eq!(metric(&server, "assay_warm_taken_total"), "2");
    wait_ready(&server, 1);
    let unused = warm_containers(&server);
    assert_eq!(unused.len(), 1, "{unused:?}");
    wait_ready(&server, 0);
    let gone = wait_warm(&server, |w| w.is_empty(), Duration::from_secs(20));
    assert!(gone.is_empty(), "a warm container past its time is removed: {gone:?}");
    std::thread::sleep(Duration::from_secs(2));
    assert!(warm_containers(&server).is_empty());

    // A server asked to stop removes its warm container.
    grade("fourth");
    wait_ready(&server, 1);
    assert_eq!(warm_containers(&server).len(), 1);
    server.stop_leaving_nothing();
}

#[test]
fn no_warm_container_is_kept_when_the_time_is_zero() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(0);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let server = Server::start(data.path(), &[assignment.path()], &["--warm-ttl", "0"]);
    let (status, body) = upload(&server, &admin, "t", "Li", zip_of(&[("main.txt", "cold")]));
    assert_eq!(status, 202, "{body}");
    let done = wait_final(&server, &admin, body["id"].as_str().unwrap(), Duration::from_secs(120));
    assert_eq!(done["verdict"], "passed", "{done}");
    std::thread::sleep(Duration::from_secs(2));
    assert!(warm_containers(&server).is_empty());
    let metrics = client().get(server.url("/metrics")).send().unwrap().text().unwrap();
    assert!(!metrics.contains("assay_warm"), "{metrics}");
}

#[test]
fn a_server_stopped_mid_grade_removes_its_containers_and_grades_again_after_a_restart() {
    require_engine();
    sandbox_image();
    let assignment = service_assignment(4);
    let data = tempfile::tempdir().unwrap();
    let admin = token(data.path(), "admin");
    let mut server = Server::start(data.path(), &[assignment.path()], &["--workers", "1"]);
    let (status, body) = upload(&server, &admin, "t", "Ola", zip_of(&[("main.txt", "stopped")]));
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    while list_containers(&server.owner_filter(), "{{.ID}}").trim().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60), "the grade never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    server.stop_leaving_nothing();
    let server = Server::start(data.path(), &[assignment.path()], &["--workers", "1"]);
    let done = wait_final(&server, &admin, &id, Duration::from_secs(120));
    assert_eq!(done["status"], "graded", "{done}");
    assert_eq!(done["verdict"], "passed", "the stop is not the candidate's: {done}");
}
