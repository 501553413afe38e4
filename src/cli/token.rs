//! `assay token create|list|revoke`: API tokens of a server's data folder.

use clap::Subcommand;

use crate::exit::{Exit, input_error};
use crate::service::Records;
use crate::service::auth::{Scope, hash, new_token};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once (alone on the last line); only its hash is kept.
    Create {
        #[arg(long, value_enum)]
        scope: Scope,
        /// A name to tell tokens apart.
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        records: Records,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        records: Records,
    },
    /// Revoke a token by its id.
    Revoke {
        id: String,
        #[command(flatten)]
        records: Records,
    },
}

pub async fn run(command: TokenCommand) -> anyhow::Result<Exit> {
    match command {
        TokenCommand::Create { scope, name, records } => {
            let db = records.open().await?;
            let token = new_token().map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
            let id = format!("t_{}", &hash(&token)[..12]);
            db.insert_token(&id, &name, scope.as_str(), &hash(&token)).await?;
            println!("token {id} ({}) made; it is shown once:", scope.as_str());
            println!("{token}");
        }
        TokenCommand::List { records } => {
            let db = records.open().await?;
            for token in db.tokens().await? {
                let state = match &token.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "live".to_string(),
                };
                println!(
                    "{} {} {} made {} {state}",
                    token.id,
                    token.scope,
                    crate::text::terminal_safe(&token.name),
                    token.created_at
                );
            }
        }
        TokenCommand::Revoke { id, records } => {
            let db = records.open().await?;
            if !db.revoke_token(&id).await? {
                return Err(input_error(format!("no live token has the id {id}")));
            }
            println!("token {id} revoked");
        }
    }
    Ok(Exit::Success)
}
