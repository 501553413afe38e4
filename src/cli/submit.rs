//! `assay submit URL FILE`: upload a submission to `assay serve`, wait for its grade, and
//! exit as `assay grade` would (0 passed, 1 failed, 2 refused, 3 harness error).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::exit::{Exit, input_error};
use crate::service::db::Status;
use crate::text::terminal_safe;

#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    url: String,
    /// The archive: zip or tar.gz.
    file: PathBuf,
    /// A token with the submit scope.
    #[arg(long, env = "ASSAY_TOKEN", hide_env_values = true)]
    token: String,
    /// The assignment's id.
    #[arg(short, long)]
    assignment: String,
    /// The candidate's name.
    #[arg(long)]
    candidate: String,
    #[arg(long)]
    email: Option<String>,
    /// The applicant tracking system's id for the candidate.
    #[arg(long)]
    external_id: Option<String>,
    /// Give up waiting after this long, e.g. 30m (exit 3; the grade goes on).
    #[arg(long, default_value = "30m", value_parser = crate::units::parse_duration)]
    wait: Duration,
    /// Print the final status as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: SubmitArgs) -> anyhow::Result<Exit> {
    let archive =
        std::fs::read(&args.file).map_err(|e| input_error(format!("cannot read {}: {e}", args.file.display())))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "submission".into());
    let base = args.url.trim_end_matches('/');
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut form = reqwest::blocking::multipart::Form::new()
        .text("assignment", args.assignment.clone())
        .text("candidate", args.candidate.clone());
    if let Some(email) = &args.email {
        form = form.text("email", email.clone());
    }
    if let Some(external_id) = &args.external_id {
        form = form.text("external_id", external_id.clone());
    }
    form = form.part(
        "file",
        reqwest::blocking::multipart::Part::bytes(archive).file_name(name),
    );
    let response = client
        .post(format!("{base}/api/v1/submissions"))
        .bearer_auth(&args.token)
        .multipart(form)
        .send()
        .with_context(|| format!("cannot reach {base}"))?;
    let accepted = answer(response)?;
    let id = accepted["id"]
        .as_str()
        .context("the server gave no submission id")?
        .to_string();
    eprintln!("submitted as {id}; waiting for the grade");
    let started = Instant::now();
    let status = loop {
        let response = client
            .get(format!("{base}/api/v1/submissions/{id}"))
            .bearer_auth(&args.token)
            .send()
            .with_context(|| format!("cannot reach {base}"))?;
        let status = answer(response)?;
        let state = status["status"].as_str().unwrap_or("");
        if state.parse::<Status>().is_ok_and(Status::is_final) {
            break status;
        }
        if started.elapsed() > args.wait {
            eprintln!(
                "still {state} after {}; the grade goes on",
                humantime::format_duration(args.wait)
            );
            return Ok(Exit::Harness);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let verdict = status["verdict"].as_str().unwrap_or("harness_error");
    if args.json {
        println!("{status}");
    } else {
        let score = match (status["score"].as_f64(), status["max_score"].as_f64()) {
            (Some(total), Some(max)) => format!(" score {total:.2}/{max:.2}"),
            _ => String::new(),
        };
        println!(
            "{id}: {verdict}{score} — {}",
            terminal_safe(status["summary"].as_str().unwrap_or(""))
        );
        if let Some(report) = status["report_url"].as_str() {
            println!("  report: {base}{report}");
        }
    }
    Ok(match verdict {
        "passed" => Exit::Success,
        "failed" => Exit::Failed,
        "invalid_submission" => Exit::Input,
        _ => Exit::Harness,
    })
}

/// The JSON answer, or the server's error as ours: 4xx is what we sent (exit 2), else exit 3.
fn answer(response: reqwest::blocking::Response) -> anyhow::Result<serde_json::Value> {
    let status = response.status();
    let body: serde_json::Value = response.json().unwrap_or_default();
    if status.is_success() {
        return Ok(body);
    }
    let why = terminal_safe(body["error"].as_str().unwrap_or("no reason given"));
    let message = format!("the server refused the request ({status}): {why}");
    if status.is_client_error() {
        Err(input_error(message))
    } else {
        Err(anyhow::anyhow!(message))
    }
}
