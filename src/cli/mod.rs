//! The command line: clap structures first, then one module per subcommand.
//!
//! Raw arguments are turned into resolved values here (the [`svconf::Env`] a
//! config is judged against, the config path after supervisord's search), so the
//! subcommands work on plain data (ripgrep's low-args/high-args split).

mod check;
mod convert;
mod explain;
mod fmt;
mod run;
mod schema;

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use svconf::{Env, Error};

/// A compiler for supervisord configuration: check it, convert it, run it.
#[derive(Debug, Parser)]
#[command(name = "svconf", version, about, max_term_width = 100)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report every problem supervisord 4.3.0 would stop on (and more), with file, line and column.
    Check(check::CheckArgs),
    /// Print the config in another form (`--to json`: what supervisord resolves it to).
    Convert(convert::ConvertArgs),
    /// Print the documentation of a diagnostic code (`svconf explain SV104`), or list them all.
    Explain(explain::ExplainArgs),
    /// Rewrite configs in the one canonical layout (`--check`, `--diff`, `--write`).
    Fmt(fmt::FmtArgs),
    /// Run the config's processes in the foreground, with supervisord's semantics.
    Run(run::RunArgs),
    /// Print the JSON Schema of the TOML config format (`--resolved`: of `convert --to json`).
    Schema(schema::SchemaArgs),
}

/// How a config is judged: the environment and host it is meant for.
#[derive(Debug, clap::Args, Clone)]
pub(crate) struct EnvArgs {
    /// Set an environment variable for `%(ENV_X)s` (repeatable); added to the real environment.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Read KEY=VALUE lines (`#` comments, optional `export `, optional quotes) into the environment.
    #[arg(long = "env-file", value_name = "FILE")]
    env_file: Vec<PathBuf>,
    /// Start from an empty environment instead of svconf's own (only `-e` / `--env-file` values).
    #[arg(long = "clear-env")]
    clear_env: bool,
    /// The host name `%(host_node_name)s` expands to (default: this machine's).
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,
    /// Also run the checks that depend on this machine (users exist, directories exist), as supervisord does on its host.
    #[arg(long)]
    host: bool,
    /// With `--host`: the Python supervisord runs on, used to check that rpcinterface factories and result handlers import (default: `python3` on PATH).
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
    /// Check a conf.d fragment on its own: no `[supervisord]` section needed.
    #[arg(long)]
    fragment: bool,
    /// Drop findings of this code (repeatable; `SV231` or `auto-log-without-rollover`). Codes supervisord refuses cannot be allowed.
    #[arg(long, value_name = "CODE")]
    allow: Vec<String>,
    /// Treat findings of this code as errors (repeatable).
    #[arg(long, value_name = "CODE")]
    deny: Vec<String>,
}

/// Output format of findings.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum DiagFormat {
    /// Annotated source snippets.
    Human,
    /// Versioned JSON (documented in the README).
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// Runs the command and maps the outcome to an exit code: 0 fine, 1 findings, 2 failure.
pub(crate) fn run(args: Args) -> ExitCode {
    let result = match args.command {
        Command::Check(a) => check::run(&a),
        Command::Convert(a) => convert::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Fmt(a) => fmt::run(&a),
        Command::Run(a) => run::run(&a),
        Command::Schema(a) => schema::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // plain lines, not a wrapped box: these messages hold paths people copy
            let mut text = format!("svconf: error: {e}\n");
            if let Some(help) = miette::Diagnostic::help(&e) {
                let _ = writeln!(text, "  help: {help}");
            }
            let _ = std::io::stderr().write_all(text.as_bytes());
            ExitCode::from(2)
        }
    }
}

impl EnvArgs {
    /// Builds the environment the config is judged against.
    pub(crate) fn build(&self) -> Result<Env, Error> {
        let mut env = Env::default();
        if !self.clear_env {
            for (k, v) in std::env::vars_os() {
                env.set(&k.to_string_lossy(), &v.to_string_lossy());
            }
        }
        for file in &self.env_file {
            let text = std::fs::read_to_string(file).map_err(|e| Error::EnvFile {
                path: file.clone(),
                message: e.to_string(),
            })?;
            for (k, v) in parse_env_file(&text).map_err(|message| Error::EnvFile {
                path: file.clone(),
                message,
            })? {
                env.set(&k, &v);
            }
        }
        for kv in &self.env {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(Error::Usage(format!("`-e {kv}`: expected KEY=VALUE")));
            };
            env.set(k, v);
        }
        env.hostname = match &self.hostname {
            Some(h) => h.clone(),
            None => nix::unistd::gethostname()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        env.cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        env.host_checks = self.host;
        if self.host {
            env.python = self
                .python
                .clone()
                .or_else(|| find_in_path(&env, "python3"));
        }
        Ok(env)
    }

    pub(crate) fn options(&self) -> Result<svconf::Options, Error> {
        let code = |text: &String| {
            svconf::diag::Code::find(text).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown code `{text}`; `svconf explain --list` shows them all"
                ))
            })
        };
        let allow = self.allow.iter().map(code).collect::<Result<Vec<_>, _>>()?;
        if let Some(c) = allow.iter().find(|c| c.info().refused_by_supervisord) {
            return Err(Error::Usage(format!(
                "`--allow {c}`: supervisord refuses to start on {c}, so it cannot be allowed"
            )));
        }
        let deny = self.deny.iter().map(code).collect::<Result<Vec<_>, _>>()?;
        Ok(svconf::Options {
            fragment: self.fragment,
            allow,
            deny,
        })
    }
}

/// The first executable `name` on the environment's PATH.
fn find_in_path(env: &Env, name: &str) -> Option<PathBuf> {
    env.var("PATH")?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Parses a dotenv-style file: `KEY=VALUE`, `export KEY=VALUE`, `#` comments, values
/// optionally in single or double quotes.
fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY=VALUE", n + 1));
        };
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            &v[1..v.len() - 1]
        } else {
            v
        };
        out.push((k.trim().to_string(), v.to_string()));
    }
    Ok(out)
}

/// The config to use: the given path, or the first of supervisord's search locations.
pub(crate) fn find_config(given: Option<&Path>) -> Result<(PathBuf, bool), Error> {
    if let Some(p) = given {
        return Ok((p.to_path_buf(), false));
    }
    let candidates = [
        "supervisord.conf",
        "etc/supervisord.conf",
        "/etc/supervisord.conf",
        "/etc/supervisor/supervisord.conf",
    ];
    for c in candidates {
        if Path::new(c).is_file() {
            return Ok((PathBuf::from(c), true));
        }
    }
    Err(Error::NoConfig {
        searched: candidates.iter().map(|c| (*c).to_string()).collect(),
    })
}

/// True when findings on stderr/stdout should be coloured.
pub(crate) fn use_color(stream_is_tty: bool) -> bool {
    stream_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes to stdout; a closed pipe is not an error (`svconf ... | head`).
pub(crate) fn print_stdout(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// How many findings the human format shows in full.
const MAX_HUMAN_FINDINGS: usize = 300;

/// Renders findings for a person or a program.
pub(crate) fn render(compiled: &svconf::Compiled, format: DiagFormat, tty: bool) -> String {
    let diags = compiled.diagnostics.sorted();
    let cwd = std::env::current_dir().ok();
    match format {
        DiagFormat::Human => {
            // Past a few hundred findings nobody reads snippets, and each one costs a
            // pass over its file: show the first ones and point to the JSON output.
            let shown = &diags[..diags.len().min(MAX_HUMAN_FINDINGS)];
            let mut out = svconf::diag::render::human::render(
                &compiled.sources,
                shown,
                &svconf::diag::render::human::HumanOptions {
                    color: use_color(tty),
                    width: terminal_width(),
                    cwd,
                },
            );
            if diags.len() > shown.len() {
                let (errors, warnings) = compiled.diagnostics.counts();
                let _ = writeln!(
                    out,
                    "{} more findings not shown ({errors} errors, {warnings} warnings in all); `--format json` lists every one",
                    diags.len() - shown.len()
                );
            }
            out
        }
        DiagFormat::Json => {
            svconf::diag::render::json::render(&compiled.sources, &diags, cwd.as_deref())
        }
        DiagFormat::Github => {
            svconf::diag::render::github::render(&compiled.sources, &diags, cwd.as_deref())
        }
        DiagFormat::Sarif => {
            svconf::diag::render::sarif::render(&compiled.sources, &diags, cwd.as_deref())
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Is stdout a terminal.
pub(crate) fn stdout_tty() -> bool {
    std::io::stdout().is_terminal()
}

/// Is stderr a terminal.
pub(crate) fn stderr_tty() -> bool {
    std::io::stderr().is_terminal()
}
