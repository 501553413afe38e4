//! `assay similarity OUT`: compare every submission graded into OUT with the others and with
//! the assignment's known solutions, leaving out its starter code; writes `similarity.json`,
//! `similarity.html` and the round's index with its similarity section.

use std::path::PathBuf;

use crate::exit::{Exit, input_error, input_error_from};
use crate::text::terminal_safe;

#[derive(Debug, clap::Args)]
pub struct SimilarityArgs {
    /// The round's folder (what `assay grade -o` wrote).
    pub out: PathBuf,
    /// The assignment folder (default: the one the reports name).
    #[arg(short, long)]
    pub assignment: Option<PathBuf>,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SimilarityArgs) -> anyhow::Result<Exit> {
    if !args.out.is_dir() {
        return Err(input_error(format!(
            "{} is not a folder of reports",
            terminal_safe(&args.out.display().to_string())
        )));
    }
    let round = crate::store::round::read(&args.out)?;
    let assignment = match &args.assignment {
        Some(dir) => dir.clone(),
        None => round
            .rows
            .first()
            .map(|row| PathBuf::from(&row.report.assignment.path))
            .ok_or_else(|| input_error("the folder holds no reports; grade a round into it first"))?,
    };
    let spec = crate::spec::load_valid(&assignment).map_err(input_error_from)?;
    if let Some(other) = round.rows.iter().find(|r| r.report.assignment.id != spec.id) {
        return Err(input_error(format!(
            "{} was graded for assignment {}, not {}",
            terminal_safe(&other.name),
            terminal_safe(&other.report.assignment.id),
            spec.id
        )));
    }
    let written = crate::store::round::write(&args.out, Some(&spec))?;
    for left_out in &written.left_out {
        eprintln!("warning: {}", terminal_safe(left_out));
    }
    // Why there is none was said among the warnings above.
    let comparison = written
        .similarity
        .ok_or_else(|| anyhow::anyhow!("the round's similarity could not be worked out"))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
        return Ok(Exit::Success);
    }
    println!(
        "{} submission(s) compared, {} pair(s) at or above {:.0}%",
        comparison.submissions,
        comparison.pairs.len(),
        comparison.settings.threshold * 100.0
    );
    for pair in &comparison.pairs {
        println!(
            "  {:>4.0}%  {}  ~  {}{}",
            pair.score * 100.0,
            terminal_safe(&pair.a),
            terminal_safe(&pair.b),
            if pair.b_corpus { " (known solution)" } else { "" }
        );
    }
    for cluster in &comparison.clusters {
        let names: Vec<String> = cluster.iter().map(|n| terminal_safe(n)).collect();
        println!("  group: {}", names.join(", "));
    }
    println!("fragments side by side: {}", args.out.join("similarity.html").display());
    Ok(Exit::Success)
}
