//! A worker grading on a second Docker engine reached over TCP with TLS client certificates,
//! started by the test with its own data root and bridge: the sandbox image copied to it
//! without a registry (`assay image sync`) or through Debian's docker-registry (`assay image
//! push`, `assay worker --pull` by digest), and a job refused while that engine holds another
//! image under the same name.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assay::service::db::{Database, Status};
use common::postgres::Postgres;
use common::server::{Server, upload, wait_final, zip_of};
use common::worker::Worker;
use common::*;

/// A second dockerd on 127.0.0.1 with TLS; its containers, its process and its folder are
/// removed when dropped.
struct SecondEngine {
    dir: tempfile::TempDir,
    daemon: Child,
    host: String,
    /// A bridge of its own: dockerd started with `--bridge none` deletes the host's docker0,
    /// which the first engine's builds and containers then lack.
    bridge: String,
}

/// Makes a bridge for the second engine (removed when it is dropped).
fn own_bridge() -> String {
    let name = format!("assayrt{}", std::process::id() % 100_000);
    let ip = |args: &[&str]| {
        let output = Command::new("ip")
            .args(args)
            .output()
            .expect("this test needs iproute2's ip");
        assert!(
            output.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let _ = Command::new("ip").args(["link", "delete", &name]).output();
    ip(&["link", "add", &name, "type", "bridge"]);
    ip(&["addr", "add", "192.168.213.1/24", "dev", &name]);
    ip(&["link", "set", &name, "up"]);
    name
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(output.status.success(), "openssl {args:?}: {}", text(&output));
}

impl SecondEngine {
    fn start() -> SecondEngine {
        let dir = assay::temp_dirs::owned("engine").unwrap();
        let certs = dir.path().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        // A CA, a server certificate for 127.0.0.1 and a client certificate, as Docker's TLS
        // guide makes them.
        let days = ["-days", "2"];
        openssl(
            &certs,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca-key.pem",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=assay test CA",
                days[0],
                days[1],
            ],
        );
        openssl(
            &certs,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server-key.pem",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            certs.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            &certs,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                "server-cert.pem",
                "-extfile",
                "server.ext",
                days[0],
                days[1],
            ],
        );
        openssl(
            &certs,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "client.csr",
                "-subj",
                "/CN=worker",
            ],
        );
        std::fs::write(certs.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        openssl(
            &certs,
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                "cert.pem",
                "-extfile",
                "client.ext",
                days[0],
                days[1],
            ],
        );
        let driver = Command::new("docker")
            .args(["info", "--format", "{{.Driver}}"])
            .output()
            .unwrap();
        let driver = String::from_utf8_lossy(&driver.stdout).trim().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = format!("tcp://127.0.0.1:{port}");
        std::fs::write(dir.path().join("daemon.json"), "{}").unwrap();
        let at = |name: &str| dir.path().join(name);
        let bridge = own_bridge();
        let daemon = Command::new("dockerd")
            .arg("--config-file")
            .arg(at("daemon.json"))
            .arg("--data-root")
            .arg(at("root"))
            .arg("--exec-root")
            .arg(at("exec"))
            .arg("--pidfile")
            .arg(at("dockerd.pid"))
            .args([
                "--host",
                &host,
                "--tlsverify",
                "--bridge",
                &bridge,
                "--iptables=false",
                "--ip-masq=false",
            ])
            .arg("--tlscacert")
            .arg(certs.join("ca.pem"))
            .arg("--tlscert")
            .arg(certs.join("server-cert.pem"))
            .arg("--tlskey")
            .arg(certs.join("server-key.pem"))
            .args(["--storage-driver", &driver])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(at("dockerd.log")).unwrap())
            .spawn()
            .expect("starting a second dockerd");
        let engine = SecondEngine {
            dir,
            daemon,
            host,
            bridge,
        };
        let started = Instant::now();
        while !engine.docker(&["info"]).status.success() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the second engine did not start: {}",
                std::fs::read_to_string(at_log(&engine)).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        engine
    }

    fn certs(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    /// The environment that makes a client speak TLS with the client certificate.
    fn tls_env(&self) -> [(&'static str, String); 2] {
        [
            ("DOCKER_TLS_VERIFY", "1".to_string()),
            ("DOCKER_CERT_PATH", self.certs().to_string_lossy().into_owned()),
        ]
    }

    fn docker(&self, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .args(["-H", &self.host])
            .envs(self.tls_env())
            .args(args)
            .output()
            .unwrap()
    }
}

fn at_log(engine: &SecondEngine) -> PathBuf {
    engine.dir.path().join("dockerd.log")
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        let listed = self.docker(&["ps", "-aq", "--filter", "label=assay.run"]);
        for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
            let _ = self.docker(&["rm", "-f", "-v", id]);
        }
        let _ = Command::new("kill").arg(self.daemon.id().to_string()).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.daemon.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let _ = Command::new("ip").args(["link", "delete", &self.bridge]).output();
    }
}

/// `assay worker` grading on the second engine, with these extra arguments.
fn remote_worker(postgres: &Postgres, engine: &SecondEngine, data: &Path, assignment: &Path, extra: &[&str]) -> Worker {
    let mut args = vec!["--docker-host", engine.host.as_str(), "--lease", "10s"];
    args.extend_from_slice(extra);
    Worker::start(&postgres.url, data, assignment, &args, &engine.tls_env())
}

fn claims(postgres: &Postgres, id: &str) -> Vec<(String, Option<String>)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::open(&postgres.url).await.unwrap();
        let attempts = db.attempts_of(id).await.unwrap();
        attempts
            .into_iter()
            .map(|(_, worker, outcome)| (worker, outcome))
            .collect()
    })
}

#[test]
fn a_worker_grades_on_a_remote_tls_engine_with_the_synced_image_and_refuses_another() {
    require_engine();
    sandbox_image();
    let engine = SecondEngine::start();
    let postgres = Postgres::start();
    let assignment = one_phase("cat /workspace/main.txt", "", "[reproducibility]\nruns = 1\n");
    let data = tempfile::tempdir().unwrap();
    let admin = {
        let output = assay(&["token", "create", "--scope", "admin", "--database", &postgres.url]);
        assert!(output.status.success(), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap()
            .to_string()
    };
    let server = Server::start(
        data.path(),
        &[assignment.path()],
        &["--database", &postgres.url, "--workers", "0"],
    );

    // The remote engine holds another image under the sandbox image's name.
    let save = Command::new("sh")
        .args([
            "-c",
            &format!(
                "docker save debian:bookworm-slim | DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={} docker -H {} load",
                engine.certs().display(),
                engine.host
            ),
        ])
        .output()
        .unwrap();
    assert!(save.status.success(), "{}", text(&save));
    assert!(
        engine
            .docker(&["tag", "debian:bookworm-slim", "assay/python-ml:latest"])
            .status
            .success()
    );
    let wrong = remote_worker(&postgres, &engine, data.path(), assignment.path(), &[]);
    let (status, body) = upload(&server, &admin, "t", "Rio", zip_of(&[("main.txt", "remote engine")]));
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    while !claims(&postgres, &id)
        .iter()
        .any(|c| c.1.as_deref() == Some("wrong_image"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job was not refused: {:?}",
            claims(&postgres, &id)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(claims(&postgres, &id)[0].0, wrong.id);
    drop(wrong);
    let queued = common::server::get_json(&server, &admin, &format!("/api/v1/submissions/{id}"));
    assert_eq!(
        (queued["status"].as_str(), queued["attempts"].as_i64()),
        (Some("queued"), Some(0)),
        "{queued}"
    );

    // Synced without a registry, the image has the same id there, and the job is graded there.
    let local = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", "assay/python-ml:latest"])
        .output()
        .unwrap();
    let local = String::from_utf8_lossy(&local.stdout).trim().to_string();
    let synced = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["image", "sync", "python-ml", "--to", &engine.host])
        .envs(engine.tls_env())
        .output()
        .unwrap();
    assert!(synced.status.success(), "{}", text(&synced));
    assert!(
        String::from_utf8_lossy(&synced.stdout).contains(&local),
        "{}",
        text(&synced)
    );
    let remote = engine.docker(&["image", "inspect", "--format", "{{.Id}}", "assay/python-ml:latest"]);
    assert_eq!(String::from_utf8_lossy(&remote.stdout).trim(), local);
    let since = Command::new("date").arg("+%s").output().unwrap();
    let since = String::from_utf8_lossy(&since.stdout).trim().to_string();
    let right = remote_worker(&postgres, &engine, data.path(), assignment.path(), &[]);
    let done = wait_final(&server, &admin, &id, Duration::from_secs(120));
    assert_eq!(
        (done["status"].as_str(), done["verdict"].as_str()),
        (Some("graded"), Some("passed")),
        "{done}"
    );
    let last = claims(&postgres, &id).last().cloned().unwrap();
    assert_eq!(last, (right.id.clone(), Some("graded".to_string())));
    let report = common::server::get_json(&server, &admin, &format!("/api/v1/submissions/{id}/report.json"));
    let sha = report["submission"]["sha256"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    // Events are kept by the second: let the second of the last one end before asking.
    std::thread::sleep(Duration::from_millis(1500));
    let until = Command::new("date").arg("+%s").output().unwrap();
    let until = String::from_utf8_lossy(&until.stdout).trim().to_string();
    let events = engine.docker(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "event=create",
        "--filter",
        &format!("label=assay.submission={sha}"),
        "--format",
        "{{.ID}}",
    ]);
    assert!(
        !String::from_utf8_lossy(&events.stdout).trim().is_empty(),
        "no container was made on the remote engine"
    );
    assert_eq!(count_by_status(&postgres), [(Status::Graded, 1)]);
    drop(right);

    // Through a private registry instead: pushed from here, pulled by digest there.
    let registry = Registry::start();
    let pushed = assay(&["image", "push", "python-ml", "--registry", &registry.address]);
    assert!(pushed.status.success(), "{}", text(&pushed));
    let reference = String::from_utf8_lossy(&pushed.stdout).trim().to_string();
    assert!(
        reference.starts_with(&format!("{}/assay/python-ml@sha256:", registry.address)),
        "{reference}"
    );
    // The registry's name was only for the push: no tag of it is left on this engine.
    let here = std::process::Command::new("docker")
        .args(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
        .output()
        .unwrap();
    let here = String::from_utf8_lossy(&here.stdout).to_string();
    assert!(!here.contains(&registry.address), "{here}");
    let tags = engine.docker(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "assay/python-ml"]);
    for tag in String::from_utf8_lossy(&tags.stdout).split_whitespace() {
        assert!(engine.docker(&["rmi", tag]).status.success());
    }
    let pulling = remote_worker(
        &postgres,
        &engine,
        data.path(),
        assignment.path(),
        &["--pull", &reference],
    );
    let remote = engine.docker(&["image", "inspect", "--format", "{{.Id}}", "assay/python-ml:latest"]);
    assert_eq!(
        String::from_utf8_lossy(&remote.stdout).trim(),
        local,
        "the pulled image is the one pushed"
    );
    let (status, body) = upload(
        &server,
        &admin,
        "t",
        "Rio",
        zip_of(&[("main.txt", "through the registry")]),
    );
    assert_eq!(status, 202, "{body}");
    let second = body["id"].as_str().unwrap().to_string();
    let done = wait_final(&server, &admin, &second, Duration::from_secs(120));
    assert_eq!(done["verdict"], "passed", "{done}");
    assert_eq!(
        claims(&postgres, &second),
        [(pulling.id.clone(), Some("graded".to_string()))]
    );
    let bad = assay(&[
        "worker",
        "--database",
        &postgres.url,
        "-a",
        assignment.path().to_str().unwrap(),
        "--pull",
        "registry/assay/python-ml:latest",
    ]);
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(
        text(&bad).contains("not an image reference by digest"),
        "{}",
        text(&bad)
    );
    assert_eq!(count_by_status(&postgres), [(Status::Graded, 2)]);
}

fn count_by_status(postgres: &Postgres) -> Vec<(Status, i64)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::open(&postgres.url).await.unwrap();
        db.count_by_status().await.unwrap()
    })
}

/// Debian's docker-registry on a free port of 127.0.0.1, its storage in a temp folder; stopped
/// when dropped.
struct Registry {
    _dir: tempfile::TempDir,
    child: Child,
    address: String,
}

impl Registry {
    fn start() -> Registry {
        let dir = assay::temp_dirs::owned("registry").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        let storage = dir.path().join("storage");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                storage.display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("this test needs Debian's docker-registry");
        let started = Instant::now();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the registry did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Registry {
            _dir: dir,
            child,
            address,
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
