//! `assay webhook add|list|remove`: where a server tells other systems what happened.

use clap::Subcommand;

use crate::exit::{Exit, input_error};
use crate::service::Records;
use crate::service::webhooks::EVENTS;

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Send these events to URL, signed with a secret (printed once when not given).
    Add {
        url: String,
        /// Comma-separated: submission.received, grading.finished, review.completed, invite.created.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// The signing secret (default: a random one, printed once).
        #[arg(long, env = "ASSAY_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
        #[command(flatten)]
        records: Records,
    },
    /// List webhooks (never their secrets).
    List {
        #[command(flatten)]
        records: Records,
    },
    /// Stop sending to a webhook.
    Remove {
        id: String,
        #[command(flatten)]
        records: Records,
    },
}

pub async fn run(command: WebhookCommand) -> anyhow::Result<Exit> {
    match command {
        WebhookCommand::Add {
            url,
            events,
            secret,
            records,
        } => {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2000 {
                return Err(input_error(format!("{url:?} is not an http(s) URL")));
            }
            if let Some(unknown) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
                return Err(input_error(format!(
                    "{unknown:?} is not an event; use {}",
                    EVENTS.join(", ")
                )));
            }
            let shown = secret.is_none();
            let secret = match secret {
                Some(secret) => secret,
                None => crate::service::auth::new_token()
                    .map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?
                    .replace("assay_", "whsec_"),
            };
            let db = records.open().await?;
            let id = db.add_webhook(&url, &secret, &events).await?;
            println!("webhook {id} sends {} to {url}", events.join(", "));
            if shown {
                println!("its signing secret, shown once:");
                println!("{secret}");
            }
        }
        WebhookCommand::List { records } => {
            let db = records.open().await?;
            for hook in db.webhooks().await? {
                println!(
                    "{} {} {} made {}",
                    hook.id,
                    hook.url,
                    hook.events.join(","),
                    hook.created_at
                );
            }
        }
        WebhookCommand::Remove { id, records } => {
            let db = records.open().await?;
            if !db.remove_webhook(&id).await? {
                return Err(input_error(format!("no webhook has the id {id}")));
            }
            println!("webhook {id} removed");
        }
    }
    Ok(Exit::Success)
}
