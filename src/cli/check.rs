//! `svconf check`: every problem in a config, with positions, for people and CI.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use svconf::Error;

use super::{DiagFormat, EnvArgs};

/// Arguments of `svconf check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The config file (default: where supervisord looks: ./supervisord.conf, ./etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf).
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: DiagFormat,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    env: EnvArgs,
}

pub(crate) fn run(args: &CheckArgs) -> Result<ExitCode, Error> {
    let (path, searched) = super::find_config(args.config.as_deref())?;
    if searched && args.format == DiagFormat::Human {
        eprintln!("svconf: using {}", path.display());
    }
    let env = args.env.build()?;
    let compiled = svconf::compile(&path, &env, &args.env.options()?)?;
    let mut out = super::render(&compiled, args.format, super::stdout_tty());
    if args.format == DiagFormat::Human && !compiled.has_errors() {
        let processes: usize = compiled
            .resolved
            .groups
            .iter()
            .filter(|g| !g.shadowed)
            .map(|g| g.processes.len())
            .sum();
        let groups = compiled
            .resolved
            .groups
            .iter()
            .filter(|g| !g.shadowed)
            .count();
        let _ = writeln!(
            out,
            "{}: {} file{}, {groups} group{}, {processes} process{} (supervisord 4.3.0 would accept it)",
            path.display(),
            compiled.sources.len(),
            if compiled.sources.len() == 1 { "" } else { "s" },
            if groups == 1 { "" } else { "s" },
            if processes == 1 { "" } else { "es" },
        );
    }
    super::print_stdout(&out)?;
    let (errors, warnings) = compiled.diagnostics.counts();
    // a big config's tree is freed by the OS at exit much faster than piece by piece
    std::mem::forget(compiled);
    Ok(if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
