//! The `svconf` binary: parse the arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    cli::run(args)
}
