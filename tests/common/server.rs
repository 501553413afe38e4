//! A real `assay serve` on 127.0.0.1 for the tests: started on a free port with its own data
//! folder, stopped with SIGTERM when dropped (so it removes its containers), SIGKILL if it
//! does not end.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{assay, repo, text};

pub struct Server {
    child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl Server {
    /// Serves `assignments` from `data` with these extra arguments.
    pub fn start(data: &Path, assignments: &[&Path], extra: &[&str]) -> Server {
        Server::start_with_env(data, assignments, extra, &[])
    }

    /// `start`, with these environment variables set for the server.
    pub fn start_with_env(data: &Path, assignments: &[&Path], extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_assay"));
        command.envs(env.iter().copied());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for assignment in assignments {
            command.arg("-a").arg(assignment);
        }
        command.args(extra);
        let mut child = command.spawn().expect("starting assay serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("assay serve did not start: {line:?}")
            })
            .to_string();
        Server {
            child,
            url,
            data: data.to_path_buf(),
        }
    }

    /// Kills the server at once, as a crash or `kill -9` would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The `docker ps` filter of the containers this server process made (owner `HOST/PID`).
    pub fn owner_filter(&self) -> String {
        format!("label=assay.owner={}/{}", assay::gc::hostname(), self.child.id())
    }

    /// Stops the server with SIGTERM and checks that it ended well and left no container.
    pub fn stop_leaving_nothing(&mut self) {
        let status = self.stop(Duration::from_secs(30)).expect("the server stops on SIGTERM");
        assert!(status.success(), "{status:?}");
        let left = super::list_containers(&self.owner_filter(), "{{.ID}} {{.Names}}");
        assert_eq!(left, "", "the stopped server left containers");
    }

    /// Asks the server to stop (SIGTERM) and waits up to `limit`; `None` if it did not end.
    pub fn stop(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        stop_child(&mut self.child, limit)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        end_child(&mut self.child);
    }
}

/// Ends a dropped server or worker: SIGTERM (it removes its containers), SIGKILL after 15 s.
pub fn end_child(child: &mut Child) {
    if stop_child(child, Duration::from_secs(15)).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// SIGTERM, then the exit status once the process ends within `limit`.
pub fn stop_child(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    // A paused process (SIGSTOP) is woken to take the signal.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = Command::new("kill").args(["-CONT", &child.id().to_string()]).status();
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A new token of `scope` for the server's data folder: the last line `token create` prints.
pub fn token(data: &Path, scope: &str) -> String {
    token_named(data, scope, "")
}

/// A new token of `scope` named `name` (a reviewer's name is their token's).
pub fn token_named(data: &Path, scope: &str, name: &str) -> String {
    let output = assay(&[
        "token",
        "create",
        "--scope",
        scope,
        "--name",
        name,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string()
}

/// A zip of `files` (name, content).
pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Uploads `archive` as a multipart form; returns the status and the JSON answer.
pub fn upload(
    server: &Server,
    token: &str,
    assignment: &str,
    candidate: &str,
    archive: Vec<u8>,
) -> (u16, serde_json::Value) {
    let form = reqwest::blocking::multipart::Form::new()
        .text("assignment", assignment.to_string())
        .text("candidate", candidate.to_string())
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(archive).file_name("work.zip"),
        );
    let response = client()
        .post(server.url("/api/v1/submissions"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap())
}

/// GETs `path` with `token` and reads the JSON answer.
pub fn get_json(server: &Server, token: &str, path: &str) -> serde_json::Value {
    client()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// Polls a submission until its status is final; panics after `limit`.
pub fn wait_final(server: &Server, token: &str, id: &str, limit: Duration) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let body = get_json(server, token, &format!("/api/v1/submissions/{id}"));
        let status = body["status"].as_str().unwrap_or("").to_string();
        if ["graded", "invalid_submission", "harness_error"].contains(&status.as_str()) {
            return body;
        }
        assert!(
            started.elapsed() < limit,
            "{id} is still {status} after {limit:?}: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A client that keeps redirects as answers, so the test sees each 303.
pub fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

pub fn set_cookie(response: &reqwest::blocking::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", response.headers()))
}

pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

/// Logs in over plain HTTP; returns the session cookie's value and the page's CSRF token.
pub fn http_log_in(server: &Server, token: &str) -> (String, String) {
    let http = no_redirects();
    let page = http.get(server.url("/review/login")).send().unwrap();
    let login = cookie_value(&set_cookie(&page, "assay_login"));
    let answer = http
        .post(server.url("/review/login"))
        .header("cookie", format!("assay_login={login}"))
        .form(&[("token", token), ("login_csrf", &login)])
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303);
    let session = set_cookie(&answer, "assay_session");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict") && !session.contains("Secure"),
        "{session}"
    );
    let session = cookie_value(&session);
    let queue = http
        .get(server.url("/review"))
        .header("cookie", format!("assay_session={session}"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = queue
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the page's forms carry a CSRF token: {queue}"))
        .to_string();
    (session, csrf)
}
