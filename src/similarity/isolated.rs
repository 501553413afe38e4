//! Comparing in a child process. The grammars are C and read the candidates' files: a bug in
//! one (tree-sitter-bash#337 was one) must cost the round its similarity, never the grading
//! process or the server. The child is this same program run as `assay similarity-compare`
//! (hidden): the job goes in on stdin as JSON, the comparison comes back on stdout.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::{Comparison, Document, Settings, SourceFile, compare};

/// The hidden command that runs `run_child`.
pub const CHILD_COMMAND: &str = "similarity-compare";

#[derive(Serialize, Deserialize)]
struct Job {
    documents: Vec<Document>,
    starter: Vec<SourceFile>,
    settings: Settings,
}

/// `compare`, run by a child process of this program; an error says how the child failed.
pub fn compare_in_child(
    documents: &[Document],
    starter: &[SourceFile],
    settings: Settings,
) -> Result<Comparison, String> {
    let program = std::env::current_exe().map_err(|e| format!("cannot find this program to compare with: {e}"))?;
    let job = serde_json::to_vec(&Job {
        documents: documents.to_vec(),
        starter: starter.to_vec(),
        settings,
    })
    .map_err(|e| e.to_string())?;
    let mut child = Command::new(program)
        .arg(CHILD_COMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the comparison: {e}"))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: the child may answer before it has read everything.
    let writer = std::thread::spawn(move || stdin.write_all(&job));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for the comparison: {e}"))?;
    let _ = writer.join();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!(
            "comparing the round's code failed ({}): {}",
            output.status,
            tail.trim()
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("the comparison's answer is not readable: {e}"))
}

/// The child's side: a job on stdin, its comparison on stdout.
pub fn run_child() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| e.to_string())?;
    let job: Job = serde_json::from_slice(&input).map_err(|e| format!("not a comparison job: {e}"))?;
    // A test hook: how the parent takes a crash in the child (a grammar's bug) is tested by
    // making one.
    if std::env::var_os("ASSAY_TEST_CRASH_SIMILARITY").is_some() {
        std::process::abort();
    }
    let comparison = compare(&job.documents, &job.starter, job.settings);
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &comparison).map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())
}
