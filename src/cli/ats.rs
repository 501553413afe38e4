//! `assay ats add|list|remove|audit|interviews`: applicant tracking systems that start tests
//! for their candidates and hear how they went.

use std::collections::BTreeMap;

use clap::Subcommand;

use crate::exit::{Exit, input_error};
use crate::service::Records;
use crate::service::ats::{self, Kind, NewIntegration};
use crate::text::terminal_safe;

#[derive(Debug, Subcommand)]
pub enum AtsCommand {
    /// Connect an ATS; prints the key to give it, once.
    Add {
        kind: Kind,
        /// A name for this integration, unique on the server.
        #[arg(long)]
        name: String,
        /// TEST_ID=ASSIGNMENT: offer an assignment under the ATS's test id (repeatable;
        /// default: every assignment the server grades, under its own id).
        #[arg(long = "test", value_name = "TEST_ID=ASSIGNMENT")]
        tests: Vec<String>,
        /// How long a candidate's link stays open (e.g. 7d, 48h; at most 90 days).
        #[arg(long, default_value = "7d", value_parser = crate::units::parse_duration)]
        link_lifetime: std::time::Duration,
        /// Ashby: the API's base URL (default https://api.ashbyhq.com). Greenhouse: the one
        /// origin its callbacks may go to (default: https://*.greenhouse.io).
        #[arg(long)]
        api_url: Option<String>,
        /// Ashby: a file holding the customer's Ashby API key (candidatesWrite), for
        /// assessment.update.
        #[arg(long, value_name = "FILE")]
        ashby_api_key_file: Option<std::path::PathBuf>,
        #[command(flatten)]
        records: Records,
    },
    /// List integrations (never their keys).
    List {
        #[command(flatten)]
        records: Records,
    },
    /// Disconnect an ATS: its key stops working and nothing more is sent to it.
    Remove {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        records: Records,
    },
    /// Every call an ATS made and every attempt to reach it, oldest first.
    Audit {
        #[arg(long)]
        name: String,
        /// The newest this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        records: Records,
    },
    /// The tests an ATS started: candidate, status and the candidate's link.
    Interviews {
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        records: Records,
    },
}

/// `TEST_ID=ASSIGNMENT` pairs, each test id once.
fn test_map(tests: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for pair in tests {
        let Some((test, assignment)) = pair.split_once('=').filter(|(t, a)| !t.is_empty() && !a.is_empty()) else {
            return Err(input_error(format!("--test {pair:?}: write TEST_ID=ASSIGNMENT")));
        };
        if map.insert(test.to_string(), assignment.to_string()).is_some() {
            return Err(input_error(format!("--test: the test id {test:?} is given twice")));
        }
    }
    Ok(map)
}

pub async fn run(command: AtsCommand) -> anyhow::Result<Exit> {
    match command {
        AtsCommand::Add {
            kind,
            name,
            tests,
            link_lifetime,
            api_url,
            ashby_api_key_file,
            records,
        } => {
            let tests = test_map(&tests)?;
            if name.trim().is_empty() || name.len() > 100 {
                return Err(input_error("--name: from 1 to 100 characters"));
            }
            let longest = std::time::Duration::from_secs(crate::service::invites::MAX_HOURS * 3600);
            if link_lifetime.is_zero() || link_lifetime > longest {
                return Err(input_error("--link-lifetime: from 1s to 90d"));
            }
            if let Some(url) = &api_url {
                let parsed = reqwest::Url::parse(url).map_err(|e| input_error(format!("--api-url {url:?}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(input_error(format!("--api-url {url:?}: not an http(s) URL")));
                }
            }
            let key = crate::service::auth::new_token()
                .map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?
                .replace("assay_", &format!("{}_", kind.as_str()));
            let outbound = match (kind, ashby_api_key_file) {
                (Kind::Greenhouse, None) => key.clone(),
                (Kind::Greenhouse, Some(_)) => {
                    return Err(input_error("--ashby-api-key-file is for Ashby integrations"));
                }
                (Kind::Ashby, Some(file)) => {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| input_error(format!("reading {}: {e}", file.display())))?;
                    let text = text.trim().to_string();
                    if text.is_empty() {
                        return Err(input_error(format!("{} is empty", file.display())));
                    }
                    text
                }
                (Kind::Ashby, None) => {
                    return Err(input_error(
                        "an Ashby integration needs --ashby-api-key-file: the key assay calls assessment.update with",
                    ));
                }
            };
            std::fs::create_dir_all(&records.data)?;
            let sealing_key = ats::sealed::key(&records.data)?;
            let sealed = ats::sealed::seal(&sealing_key, &outbound).map_err(anyhow::Error::msg)?;
            let db = records.open().await?;
            let new = NewIntegration {
                kind,
                name: &name,
                key_hash: &crate::sha256::of_bytes(key.as_bytes()),
                outbound_sealed: &sealed,
                api_url: api_url.as_deref(),
                link_lifetime,
                tests: &tests,
            };
            let Some(id) = db.add_integration(&new).await? else {
                return Err(input_error(format!("an integration is named {name:?} already")));
            };
            println!("{} integration {name} ({id})", kind.as_str());
            match kind {
                Kind::Greenhouse => {
                    println!("endpoints: PUBLIC_URL/ats/greenhouse/list_tests, send_test, test_status, response_error")
                }
                Kind::Ashby => {
                    println!("endpoints: PUBLIC_URL/ats/ashby/assessment.list, assessment.start, assessment.cancel")
                }
            }
            println!("its API key (the HTTP Basic user), shown once:");
            println!("{key}");
        }
        AtsCommand::List { records } => {
            let db = records.open().await?;
            for integration in db.integrations().await? {
                let tests = if integration.tests.is_empty() {
                    "every assignment".to_string()
                } else {
                    integration
                        .tests
                        .iter()
                        .map(|(t, a)| format!("{t}={a}"))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                println!(
                    "{} {} {} tests: {tests}; links open {}; made {}",
                    integration.id,
                    integration.kind.as_str(),
                    integration.name,
                    humantime::format_duration(integration.link_lifetime),
                    integration.created_at
                );
            }
        }
        AtsCommand::Remove { name, records } => {
            let db = records.open().await?;
            if !db.remove_integration(&name).await? {
                return Err(input_error(format!("no integration is named {name:?}")));
            }
            println!("integration {name} removed");
        }
        AtsCommand::Audit { name, limit, records } => {
            let db = records.open().await?;
            let integration = named(&db, &name).await?;
            for entry in db.audit_of(&integration.id, limit.clamp(1, 100_000)).await? {
                println!(
                    "{} {:<3} {:<17} {:<24} {:>3} {}",
                    entry.at,
                    entry.direction,
                    entry.call,
                    entry.interview_id.as_deref().unwrap_or("-"),
                    entry.status.map_or("-".to_string(), |s| s.to_string()),
                    terminal_safe(&entry.outcome)
                );
            }
        }
        AtsCommand::Interviews { name, limit, records } => {
            let db = records.open().await?;
            let integration = named(&db, &name).await?;
            let key = crate::service::invites::key(&records.data)?;
            for interview in db.interviews_of(&integration.id, limit.clamp(1, 100_000)).await? {
                println!(
                    "{} test {} {} <{}> {} /invite/{}",
                    interview.id,
                    terminal_safe(&interview.test_id),
                    terminal_safe(&interview.invite.candidate),
                    terminal_safe(interview.invite.email.as_deref().unwrap_or_default()),
                    interview.status().as_str(),
                    crate::service::invites::link_token(&key, &interview.invite.id)
                );
            }
        }
    }
    Ok(Exit::Success)
}

async fn named(db: &crate::service::db::Database, name: &str) -> anyhow::Result<ats::Integration> {
    db.integrations()
        .await?
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| input_error(format!("no integration is named {name:?}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tests_are_pairs_each_id_once() {
        let map = super::test_map(&["101=digits".into(), "102=sleep".into()]).unwrap();
        assert_eq!(map["101"], "digits");
        assert!(super::test_map(&["101".into()]).is_err());
        assert!(super::test_map(&["=digits".into()]).is_err());
        assert!(super::test_map(&["101=a".into(), "101=b".into()]).is_err());
    }
}
