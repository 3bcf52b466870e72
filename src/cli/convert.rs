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
    /// The declared config as TOML (one self-contained file; svconf reads it back).
    Toml,
    /// One self-contained supervisord INI file: includes inlined, `%(here)s` made explicit.
    Ini,
}

/// Arguments of `svconf convert`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConvertArgs {
    /// The config file.
    config: PathBuf,
    /// The output form.
    #[arg(long, value_enum)]
    to: Target,
    /// With `--to ini`: replace `%(ENV_X)s` by the variable's value.
    #[arg(long)]
    expand_env: bool,
    /// With `--to ini`: write every key supervisord reads, with its default when absent.
    #[arg(long)]
    explicit_defaults: bool,
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
        Target::Toml => super::print_stdout(&svconf::emit::toml::render(&compiled.declared()))?,
        Target::Ini => {
            let options = svconf::emit::ini::IniOptions {
                expand_env: args.expand_env,
                explicit_defaults: args.explicit_defaults,
            };
            match svconf::emit::ini::render(&compiled, &env, &options) {
                Ok(text) => super::print_stdout(&text)?,
                Err(e) => {
                    eprintln!("svconf: {e}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Target::Declared => {
            super::print_stdout(&svconf::emit::json::render_declared(&compiled.declared()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
