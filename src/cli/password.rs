//! `assay password set|remove`: reviewers who log in to the review pages with a name and a
//! password (read from standard input, never from the command line) instead of a token.

use std::io::BufRead;

use clap::Subcommand;

use crate::exit::{Exit, input_error};
use crate::service::Records;
use crate::service::passwords::{MIN_CHARS, hash};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReviewScope {
    Review,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Set a reviewer's password, read from the first line of standard input.
    Set {
        /// The reviewer's name, as the review pages show it.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "review")]
        scope: ReviewScope,
        #[command(flatten)]
        records: Records,
    },
    /// Remove a reviewer's password and end their sessions.
    Remove {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        records: Records,
    },
}

pub async fn run(command: PasswordCommand) -> anyhow::Result<Exit> {
    match command {
        PasswordCommand::Set { name, scope, records } => {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(input_error("--name: 1 to 100 characters, no control characters"));
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.trim_end_matches(['\n', '\r']);
            if password.chars().count() < MIN_CHARS {
                return Err(input_error(format!(
                    "the password (the first line of standard input) needs {MIN_CHARS} characters or more"
                )));
            }
            let scope = match scope {
                ReviewScope::Review => "review",
                ReviewScope::Admin => "admin",
            };
            let phc = hash(password).map_err(anyhow::Error::msg)?;
            records.open().await?.set_password(&name, scope, &phc).await?;
            println!(
                "{} may log in to /review with that password ({scope})",
                crate::text::terminal_safe(&name)
            );
        }
        PasswordCommand::Remove { name, records } => {
            if !records.open().await?.remove_password(&name).await? {
                return Err(input_error(format!(
                    "{} has no password",
                    crate::text::terminal_safe(&name)
                )));
            }
            println!("{}'s password is removed", crate::text::terminal_safe(&name));
        }
    }
    Ok(Exit::Success)
}
