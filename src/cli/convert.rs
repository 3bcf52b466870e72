//! `svconf convert`: the config in another form.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use svconf::Error;

use super::{DiagFormat, EnvArgs};

/// Output forms.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Target {
    /// The resolved document: what supervisord 4.3.0 makes of the config (the oracle's shape).
    Json,
    /// The sections as written (merged across includes, not expanded), typed where possible, as JSON.
    Declared,
}

/// Arguments of `svconf convert`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConvertArgs {
    /// The config file.
    config: PathBuf,
    /// The output form.
    #[arg(long, value_enum)]
    to: Target,
    #[command(flatten)]
    env: EnvArgs,
}

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitCode, Error> {
    let env = args.env.build()?;
    let compiled = svconf::compile(&args.config, &env, &args.env.options()?)?;
    if compiled.refused_by_supervisord() {
        eprint!(
            "{}",
            super::render(&compiled, DiagFormat::Human, super::stderr_tty())
        );
        return Ok(ExitCode::from(1));
    }
    match args.to {
        Target::Json => super::print_stdout(&svconf::emit::json::render(&compiled.resolved))?,
        Target::Declared => {
            super::print_stdout(&svconf::emit::json::render_declared(&compiled.declared()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
