//! `svconf check`: every problem in one or more configs, with positions, for people and CI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use svconf::Error;

use super::{DiagFormat, EnvArgs};

/// Arguments of `svconf check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Config files (default: where supervisord looks: ./supervisord.conf, ./etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf).
    configs: Vec<PathBuf>,
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
    let paths: Vec<PathBuf> = if args.configs.is_empty() {
        let (path, _) = super::find_config(None)?;
        if args.format == DiagFormat::Human {
            eprintln!("svconf: using {}", path.display());
        }
        vec![path]
    } else {
        args.configs.clone()
    };
    let env = args.env.build()?;
    let options = args.env.options()?;
    let mut outputs = Vec::new();
    let (mut errors, mut warnings) = (0, 0);
    for path in &paths {
        let compiled = svconf::compile(path, &env, &options)?;
        let mut out = super::render(&compiled, args.format, super::stdout_tty());
        if args.format == DiagFormat::Human && !compiled.has_errors() {
            summary(&mut out, path, &compiled);
        }
        let (e, w) = compiled.diagnostics.counts();
        errors += e;
        warnings += w;
        outputs.push(out);
        // a big config's tree is freed by the OS at exit much faster than piece by piece
        std::mem::forget(compiled);
    }
    super::print_stdout(&combine(args.format, &outputs))?;
    Ok(if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// "what svconf found" for a config supervisord accepts.
fn summary(out: &mut String, path: &Path, compiled: &svconf::Compiled) {
    let live = || compiled.resolved.groups.iter().filter(|g| !g.shadowed);
    let processes: usize = live().map(|g| g.processes.len()).sum();
    let groups = live().count();
    let files = compiled.sources.len();
    let _ = writeln!(
        out,
        "{}: {files} file{}, {groups} group{}, {processes} process{} (supervisord 4.3.0 would accept it)",
        path.display(),
        if files == 1 { "" } else { "s" },
        if groups == 1 { "" } else { "s" },
        if processes == 1 { "" } else { "es" },
    );
}

/// One output for several configs: text formats are concatenated; JSON documents are
/// merged into one (diagnostics appended, counts summed; SARIF runs appended).
fn combine(format: DiagFormat, outputs: &[String]) -> String {
    if outputs.len() == 1 || !matches!(format, DiagFormat::Json | DiagFormat::Sarif) {
        return outputs.concat();
    }
    let docs: Vec<serde_json::Value> = outputs
        .iter()
        .filter_map(|o| serde_json::from_str(o).ok())
        .collect();
    let Some(mut first) = docs.first().cloned() else {
        return outputs.concat();
    };
    let list_key = if format == DiagFormat::Json {
        "diagnostics"
    } else {
        "runs"
    };
    for doc in docs.iter().skip(1) {
        if let (Some(all), Some(more)) = (
            first
                .get_mut(list_key)
                .and_then(serde_json::Value::as_array_mut),
            doc.get(list_key).and_then(serde_json::Value::as_array),
        ) {
            all.extend(more.iter().cloned());
        }
        if format == DiagFormat::Json {
            for k in ["errors", "warnings", "infos"] {
                let add = doc["summary"][k].as_u64().unwrap_or(0);
                let cur = first["summary"][k].as_u64().unwrap_or(0);
                first["summary"][k] = (cur + add).into();
            }
        }
    }
    let mut s = serde_json::to_string_pretty(&first).unwrap_or_default();
    s.push('\n');
    s
}
