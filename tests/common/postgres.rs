//! A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl as the `postgres` user in a
//! temp folder named after this process, on a free port, stopped when dropped. If the harness
//! is killed first, PostgreSQL stops by itself once the folder is swept (it checks its lock
//! file), and any later assay run sweeps the folders of processes that are gone.

use std::path::PathBuf;
use std::process::Command;

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub url: String,
    options: String,
}

/// Debian's PostgreSQL binaries; the test fails when there are none.
fn bin() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|versions| {
        versions
            .flatten()
            .map(|v| v.path().join("bin"))
            .find(|b| b.join("initdb").is_file())
    });
    found.expect("this test needs PostgreSQL (Debian's postgresql package: /usr/lib/postgresql/*/bin/initdb)")
}

fn as_postgres(program: &std::path::Path, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .expect("running runuser");
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = bin();
        let dir = assay::temp_dirs::owned("pg").unwrap();
        let chown = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(chown.success());
        let data = dir.path().join("data");
        let data_arg = data.to_str().unwrap();
        as_postgres(
            &bin.join("initdb"),
            &["-D", data_arg, "--auth", "trust", "-U", "postgres", "-E", "UTF8"],
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            dir.path().display()
        );
        let postgres = Postgres {
            dir,
            bin,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            options,
        };
        postgres.start_again();
        postgres
    }

    /// Starts the stopped server again, on the same port.
    pub fn start_again(&self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &self.options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would (connections cut).
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"],
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}
