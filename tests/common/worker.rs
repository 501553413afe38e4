//! `assay worker` processes for the tests: started on a shared PostgreSQL queue, their id read
//! from their first line, stopped with SIGTERM (SIGKILL if they do not end) when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::repo;

pub struct Worker {
    child: Child,
    pub id: String,
}

impl Worker {
    /// A worker on `database` grading `assignment`, with these extra arguments and environment.
    pub fn start(database: &str, data: &Path, assignment: &Path, extra: &[&str], env: &[(&str, String)]) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(["worker", "--database", database, "--data"])
            .arg(data)
            .arg("-a")
            .arg(assignment)
            .args(extra)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting assay worker");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let id = line
            .strip_prefix("worker ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("assay worker did not start: {line:?}")
            })
            .to_string();
        Worker { child, id }
    }

    /// `kill -9`, and reaped (a zombie would still look alive to gc).
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn signal(&self, signal: &str) {
        let done = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(done.success());
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        super::server::end_child(&mut self.child);
    }
}
