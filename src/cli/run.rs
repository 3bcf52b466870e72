//! `svconf run`: compile the config (or read a plan) and run it in the foreground.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use svconf::Error;
use svconf::emit::plan::Plan;

use svconf::run::StartupLevel;

use super::{DiagFormat, EnvArgs};

/// Arguments of `svconf run`.
///
/// The checking options shared with `check` do not apply (the host checks are always on,
/// there is no fragment to run, findings are not reported), so they are hidden here.
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("host", |a| a.hide(true)),
    mut_arg("fragment", |a| a.hide(true)),
    mut_arg("allow", |a| a.hide(true)),
    mut_arg("deny", |a| a.hide(true)),
    mut_arg("python", |a| a.hide(true))
)]
pub(crate) struct RunArgs {
    /// The config (default: the first of supervisord's search locations).
    config: Option<PathBuf>,
    /// Run a launch plan written by `svconf convert --to plan` instead of a config.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    plan: Option<PathBuf>,
    /// Exit once no process is running or scheduled: 0 if every process that ran exited with
    /// an expected code, 1 otherwise.
    #[arg(long)]
    exit_when_idle: bool,
    /// Reap orphaned grandchildren here (`PR_SET_CHILD_SUBREAPER`), as svconf does as PID 1.
    #[arg(long)]
    subreaper: bool,
    #[command(flatten)]
    env: EnvArgs,
}

pub(crate) fn run(args: &RunArgs) -> Result<ExitCode, Error> {
    let mut options = svconf::run::RunOptions {
        exit_when_idle: args.exit_when_idle,
        subreaper: args.subreaper,
        startup_messages: Vec::new(),
    };
    let code = if let Some(path) = &args.plan {
        let plan = read_plan(path).map_err(Error::Usage)?;
        let path = path.clone();
        svconf::run::run(plan, Some(Box::new(move || read_plan(&path))), &options)
    } else {
        let (config, _) = super::find_config(args.config.as_deref())?;
        let plan = match compile_in_child(&config, &args.env)? {
            Ok((plan, messages)) => {
                options.startup_messages = messages;
                plan
            }
            Err(refusal) => {
                eprint!("{}", refusal.report);
                eprintln!(
                    "svconf: supervisord would refuse `{}`; nothing was started",
                    config.display()
                );
                return Ok(ExitCode::from(2));
            }
        };
        let env_args = args.env.clone();
        let reload = move || match compile(&config, &env_args) {
            Ok(Ok((plan, _))) => Ok(plan),
            Ok(Err(refusal)) => Err(format!("supervisord would refuse it: {}", refusal.summary)),
            Err(e) => Err(e.to_string()),
        };
        svconf::run::run(plan, Some(Box::new(reload)), &options)
    };
    Ok(ExitCode::from(code))
}

/// What the compiling child sends back.
#[derive(serde::Serialize, serde::Deserialize)]
enum ChildOutcome {
    /// The plan and supervisord's parse warnings.
    Plan(Box<Plan>, StartupMessages),
    /// supervisord would refuse the config.
    Refused(Refusal),
    /// svconf could not compile (unreadable file, bad arguments): the parent redoes it to
    /// report the error itself.
    Failed,
}

/// [`compile`] in a short-lived child process, so the long-running launcher never holds the
/// compiler's memory or code pages: it receives the plan as JSON through a pipe. Falls back to
/// compiling here if the child cannot be made or says nothing.
fn compile_in_child(
    config: &Path,
    env_args: &EnvArgs,
) -> Result<Result<(Plan, StartupMessages), Refusal>, Error> {
    use std::io::Write;
    let Ok((read, write)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return compile(config, env_args);
    };
    // SAFETY: svconf is single-threaded here (nothing has started a thread yet); the child
    // compiles, writes its answer and leaves with _exit, never returning into the caller.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            drop(read);
            let outcome = match compile(config, env_args) {
                Ok(Ok((plan, messages))) => ChildOutcome::Plan(Box::new(plan), messages),
                Ok(Err(findings)) => ChildOutcome::Refused(findings),
                Err(_) => ChildOutcome::Failed,
            };
            let mut out = std::fs::File::from(write);
            let code = match serde_json::to_vec(&outcome) {
                Ok(bytes) if out.write_all(&bytes).is_ok() => 0,
                _ => 1,
            };
            // SAFETY: _exit ends the child without running the parent's destructors twice.
            unsafe { nix::libc::_exit(code) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            drop(write);
            // read as it comes: the whole text of a big plan is never held at once
            let mut reader = std::io::BufReader::new(std::fs::File::from(read));
            let outcome = serde_json::from_reader::<_, ChildOutcome>(&mut reader);
            // drain what a broken answer left, so the child never blocks on a full pipe
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
            let _ = nix::sys::wait::waitpid(child, None);
            match outcome {
                Ok(ChildOutcome::Plan(plan, messages)) => Ok(Ok((*plan, messages))),
                Ok(ChildOutcome::Refused(findings)) => Ok(Err(findings)),
                Ok(ChildOutcome::Failed) | Err(_) => compile(config, env_args),
            }
        }
        Err(_) => compile(config, env_args),
    }
}

/// Why supervisord would refuse the config, for a person and for the launcher's log.
#[derive(serde::Serialize, serde::Deserialize)]
struct Refusal {
    /// The rendered findings (stderr, before anything starts).
    report: String,
    /// The errors as `file:line:col: CODE message`, on one line (the launcher's log holds
    /// one line per entry: a HUP with a broken config).
    summary: String,
}

/// Lines for the launcher's log before `supervisord started`.
type StartupMessages = Vec<(StartupLevel, String)>;

/// Compiles the config as supervisord reads it on this host: the plan and the warnings
/// supervisord itself logs while reading it, or why supervisord would refuse it.
fn compile(
    config: &Path,
    env_args: &EnvArgs,
) -> Result<Result<(Plan, StartupMessages), Refusal>, Error> {
    let mut env = env_args.build()?;
    // this is the host the config runs on: users, directories and commands are real
    env.host_checks = true;
    let compiled = svconf::compile(config, &env, &env_args.options()?)?;
    let refused = || Refusal {
        report: super::render(&compiled, DiagFormat::Human, super::stderr_tty()),
        summary: error_summary(&compiled),
    };
    if compiled.refused_by_supervisord() {
        return Ok(Err(refused()));
    }
    let Ok(plan) = svconf::emit::plan::build(&compiled, &env) else {
        return Ok(Err(refused()));
    };
    Ok(Ok((plan, supervisord_warnings(&compiled))))
}

/// The findings supervisord also reports when it reads the config (its parse warnings: a
/// pattern that includes nothing, AUTO logs without rotation, `=syslog`, a stderr log file
/// next to `redirect_stderr`), in svconf's words with their place.
fn supervisord_warnings(compiled: &svconf::Compiled) -> StartupMessages {
    use svconf::diag::Code;
    let cwd = std::env::current_dir().ok();
    compiled
        .diagnostics
        .sorted()
        .into_iter()
        .filter(|d| {
            matches!(
                d.code,
                Code::DeprecatedSyslogLogfile
                    | Code::AutoLogWithoutRollover
                    | Code::RedirectedStderrLogfile
                    | Code::IncludeMatchesNothing
            )
        })
        .map(|d| {
            (
                StartupLevel::Warn,
                one_line(&compiled.sources, d, cwd.as_deref()),
            )
        })
        .collect()
}

/// `file:line:col: CODE message`.
fn one_line(
    sources: &svconf::source::SourceMap,
    d: &svconf::Diagnostic,
    cwd: Option<&Path>,
) -> String {
    match &d.primary {
        Some(label) => {
            let (line, col) = sources.file(label.span.file).line_col(label.span.start);
            format!(
                "{}:{line}:{col}: {} {}",
                sources.display_path(label.span.file, cwd),
                d.code,
                d.message
            )
        }
        None => format!("{} {}", d.code, d.message),
    }
}

/// The errors of the config, each as `file:line:col: CODE message`, on one line.
fn error_summary(compiled: &svconf::Compiled) -> String {
    let cwd = std::env::current_dir().ok();
    let findings: Vec<String> = compiled
        .diagnostics
        .sorted()
        .into_iter()
        .filter(|d| d.severity == svconf::diag::Severity::Error)
        .map(|d| one_line(&compiled.sources, d, cwd.as_deref()))
        .collect();
    format!("{}; `svconf check` shows them", findings.join("; "))
}

fn read_plan(path: &Path) -> Result<Plan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the plan `{}`: {e}", path.display()))?;
    svconf::emit::plan::parse(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}
