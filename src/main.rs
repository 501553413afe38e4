use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = assay::cli::Cli::parse();
    assay::cli::init_logging(cli.verbose);
    let exit = match assay::cli::run(cli) {
        Ok(exit) => exit,
        Err(error) => {
            eprintln!("error: {error:#}");
            assay::exit::exit_for_error(&error)
        }
    };
    ExitCode::from(exit as u8)
}
