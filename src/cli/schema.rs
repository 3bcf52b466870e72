//! `svconf schema`: JSON Schemas of svconf's formats.

use std::process::ExitCode;

use svconf::Error;

/// Arguments of `svconf schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// The schema of the resolved document (`convert --to json`) instead of the TOML config format.
    #[arg(long)]
    resolved: bool,
}

pub(crate) fn run(args: &SchemaArgs) -> Result<ExitCode, Error> {
    let text = if args.resolved {
        svconf::emit::json::schema()
    } else {
        svconf::emit::toml::schema()
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
