//! `assay validate`: check any number of assignment specs, one line per problem.

use std::path::PathBuf;

use crate::exit::Exit;
use crate::spec;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
}

/// Validates each folder; prints one line per problem (or per valid spec) and returns the exit.
pub fn run(args: &ValidateArgs) -> Exit {
    let (dirs, json) = (&args.dirs, args.json);
    let mut exit = Exit::Success;
    let mut records = Vec::new();
    for dir in dirs {
        match spec::load(dir) {
            Ok(spec) => {
                if !json {
                    for warning in &spec.warnings {
                        println!("warning: {warning}");
                    }
                    println!(
                        "{}: ok ({} {} phase(s), {} metric(s), {} rubric criteria)",
                        dir.display(),
                        spec.id,
                        spec.phases.len(),
                        spec.metrics.len(),
                        spec.rubric.len()
                    );
                }
                let warnings: Vec<String> = spec.warnings.iter().map(|w| w.to_string()).collect();
                records.push(serde_json::json!({"assignment": dir, "ok": true, "errors": [], "warnings": warnings}));
            }
            Err(errors) => {
                exit = Exit::Input;
                if !json {
                    for error in &errors {
                        println!("{error}");
                    }
                }
                let errors: Vec<_> = errors
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "file": e.file, "line": e.line, "column": e.column,
                            "key": e.key, "message": e.message,
                        })
                    })
                    .collect();
                records.push(serde_json::json!({"assignment": dir, "ok": false, "errors": errors}));
            }
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(records));
    }
    exit
}
