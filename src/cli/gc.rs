//! `assay gc`: remove what killed runs left behind.

use crate::exit::Exit;
use crate::gc::{Scope, sweep};

#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Remove every labelled object, also those of runs still going.
    #[arg(long)]
    all: bool,
}

pub async fn run(args: GcArgs) -> anyhow::Result<Exit> {
    let docker = crate::docker::connect().await?;
    let scope = if args.all { Scope::All } else { Scope::Stale };
    let swept = sweep(&docker, &scope).await?;
    println!(
        "removed {} container(s), {} volume(s) and {} temp folder(s)",
        swept.containers, swept.volumes, swept.temp_dirs
    );
    Ok(Exit::Success)
}
