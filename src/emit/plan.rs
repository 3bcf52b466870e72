//! The launch plan: everything `svconf run` needs to start a config's processes, decided.
//!
//! The runtime reads only this document, never the config, so every decision that depends on
//! the config is taken here, once, the way supervisord 4.3.0 takes it
//! (`spec/runtime.md` §b and §f):
//!
//! - `processes` are in start order (groups by priority and supervisord's tie order, inside a
//!   group the `programs=` order); the stop order is the reverse (the runtime computes it);
//! - `argv` is `command` split as supervisord splits it (`shlex.split`, POSIX mode); a command
//!   supervisord cannot split, or an empty one, has no `argv` but the `spawn_error` supervisord
//!   logs at each attempt, so the runtime can reproduce the BACKOFF/FATAL path;
//! - `search_path` is where a first word without `/` is looked up (the process environment's
//!   `PATH`, else supervisord's, else `/bin:/usr/bin:/usr/local/bin`). The lookup itself is the
//!   runtime's job, at each spawn, on the host it runs on; `executable` is what it found on the
//!   machine svconf ran on (only with `--host`: a CI runner is not the target host);
//! - `environment` is the child's whole environment, in supervisord's order: the launcher's
//!   own (the [`Env`] svconf was given), `SUPERVISOR_ENABLED`, `SUPERVISOR_SERVER_URL` (the
//!   program's `serverurl`, else the first unix / last inet HTTP server), `SUPERVISOR_PROCESS_NAME`,
//!   `SUPERVISOR_GROUP_NAME`, then `[supervisord] environment` and the program's on top.
//!   `server_url.source` tells a URL of supervisord's own HTTP server (which `svconf run`
//!   does not serve; `spec/runtime.md` §f leaves it out) from the program's `serverurl`;
//! - an `AUTO` log file is described, not named: supervisord names it with `mkstemp` at each
//!   launcher start, so the plan holds the directory, prefix and suffix and the runtime picks
//!   the random part;
//! - event listeners are included (their group carries `eventlistener`), so a plan describes
//!   the whole config; a runtime without the listener protocol must refuse or skip them rather
//!   than run them as plain programs. `[fcgi-program:x]` groups carry their `socket` likewise;
//! - processes supervisord builds but never runs (a group shadowed by an earlier one of the
//!   same name, a second process of the same name in one group) are listed in `skipped`.
//!
//! The plan is versioned ([`PLAN_VERSION`]); its JSON Schema is `schema/plan.schema.json`.
//! [`parse`] reads a plan (hand-written ones too) and checks what the schema cannot.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Severity};
use crate::ir;
use crate::{Compiled, Env};

/// The plan format version this svconf writes and reads.
pub const PLAN_VERSION: u32 = 1;

/// The supervisord whose semantics a plan follows.
const SUPERVISOR_VERSION: &str = "4.3.0";

/// supervisord's `PATH` when its own is unset or empty (`ServerOptions.get_path`).
const DEFAULT_PATH: [&str; 3] = ["/bin", "/usr/bin", "/usr/local/bin"];

/// A launch plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The plan format version (1).
    pub version: u32,
    /// The supervisord version whose behaviour the plan follows.
    pub supervisor_version: String,
    /// The launcher's own settings (`[supervisord]`).
    pub launcher: Launcher,
    /// Groups in start order; they are stopped in the reverse order, one group at a time.
    pub groups: Vec<Group>,
    /// Every process to run, in start order.
    pub processes: Vec<Process>,
    /// Processes supervisord builds from the config but never runs.
    pub skipped: Vec<Skipped>,
}

/// The launcher's settings, from `[supervisord]`.
#[allow(clippy::struct_excessive_bools)] // supervisord's settings are booleans
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Launcher {
    /// The activity log file (`syslog` means syslog).
    pub logfile: String,
    /// Rotate the activity log at this size (0: never).
    pub logfile_maxbytes: i64,
    /// Rotated activity logs kept.
    pub logfile_backups: i64,
    /// Lowest level logged.
    pub loglevel: LogLevel,
    /// Pid file.
    pub pidfile: String,
    /// supervisord's identifier (part of AUTO log names and their cleanup pattern).
    pub identifier: String,
    /// Stay in the foreground.
    pub nodaemon: bool,
    /// With `nodaemon`, do not copy the activity log to stdout.
    pub silent: bool,
    /// Directory of AUTO child logs.
    pub childlogdir: String,
    /// Keep old AUTO child logs at start (`*---IDENTIFIER-*.log*` files are deleted otherwise).
    pub nocleanup: bool,
    /// Remove ANSI escapes from child output before logging it.
    pub strip_ansi: bool,
    /// umask set when daemonizing (octal string); children inherit the launcher's umask.
    pub umask: Option<String>,
    /// Minimum free file descriptors required at start.
    pub minfds: i64,
    /// Minimum free processes required at start.
    pub minprocs: i64,
    /// User the launcher switches to.
    pub user: Option<String>,
    /// That user's uid, as resolved on the machine svconf ran on.
    pub uid: Option<i64>,
    /// Directory to change to when daemonizing.
    pub directory: Option<String>,
}

/// A log level word, supervisord's canonical spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// `critical`.
    Critical,
    /// `error`.
    Error,
    /// `warn`.
    Warn,
    /// `info`.
    Info,
    /// `debug`.
    Debug,
    /// `trace`.
    Trace,
    /// `blather`.
    Blather,
}

/// What made a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// A `[program:x]` alone (the group has the program's name).
    Program,
    /// A `[group:x]`.
    Group,
    /// An `[eventlistener:x]` pool.
    Eventlistener,
    /// A `[fcgi-program:x]`.
    FcgiProgram,
}

/// A process group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// What made it.
    pub kind: GroupKind,
    /// Group priority (lower starts first, stops last).
    pub priority: i64,
    /// Full names of its processes, in start order.
    pub processes: Vec<String>,
    /// The listener settings of an event listener pool (null for other groups).
    pub eventlistener: Option<EventListener>,
    /// The socket a `[fcgi-program:x]` shares among its processes as their stdin (null otherwise).
    pub socket: Option<FcgiSocket>,
}

/// An event listener pool's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventListener {
    /// Subscribed event types, sorted.
    pub events: Vec<String>,
    /// Events buffered per pool before the oldest is dropped.
    pub buffer_size: i64,
    /// supervisord's result handler (`module:attr`).
    pub result_handler: String,
}

/// A `FastCGI` socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FcgiSocket {
    /// `unix:///path` or `tcp://host:port`.
    pub url: String,
    /// Unix socket file mode (octal string).
    pub mode: Option<String>,
    /// Unix socket owner `[uid, gid]`.
    pub owner: Option<(i64, i64)>,
    /// Listen backlog.
    pub backlog: Option<i64>,
}

/// `autorestart`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AutoRestart {
    /// Restart after any exit from RUNNING.
    #[serde(rename = "true")]
    Always,
    /// Never restart.
    #[serde(rename = "false")]
    Never,
    /// Restart when the exit code is not in `exitcodes`.
    #[serde(rename = "unexpected")]
    Unexpected,
}

/// A signal: the name without `SIG` (`"TERM"`), or a number that has no name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Signal {
    /// `"TERM"`.
    Name(String),
    /// A number.
    Number(i64),
}

/// Where `search_path` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SearchPathSource {
    /// `PATH` of the process's `environment=` (or `[supervisord] environment=`).
    Environment,
    /// The launcher's own `PATH`.
    Launcher,
    /// `/bin:/usr/bin:/usr/local/bin`: the launcher's `PATH` is unset or empty.
    Default,
}

/// How `executable` was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Lookup {
    /// `argv[0]` contains `/`: it is used as given.
    AsGiven,
    /// Found in `search_path` on the machine svconf ran on (`--host`).
    Found,
    /// Not found in `search_path` on the machine svconf ran on (`--host`).
    NotFound,
    /// Not looked up (no `--host`): the runtime searches `search_path` at each spawn.
    NotChecked,
    /// There is no `argv` (see `spawn_error`).
    NoCommand,
}

/// Where `SUPERVISOR_SERVER_URL` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ServerUrlSource {
    /// The program's `serverurl=`.
    Program,
    /// supervisord's HTTP server (the first `[unix_http_server]`, else the last inet one),
    /// which `svconf run` does not serve.
    HttpServer,
}

/// The `SUPERVISOR_SERVER_URL` a process gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerUrl {
    /// The URL (as set in `environment`, unless the program's environment overrides it).
    pub url: String,
    /// Where it came from.
    pub source: ServerUrlSource,
}

/// An AUTO log file: `mkstemp(dir=dir, prefix=prefix, suffix=suffix)` at each launcher start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoLog {
    /// `childlogdir`.
    pub dir: String,
    /// `NAME-CHANNEL---IDENTIFIER-`.
    pub prefix: String,
    /// `.log`.
    pub suffix: String,
}

/// Where one output channel goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// A fixed log file, opened for append at each spawn (null: AUTO or no file).
    pub logfile: Option<String>,
    /// An AUTO log file (null unless the config says AUTO). With neither `logfile` nor `auto`
    /// the output is read and discarded (`NONE`).
    pub auto: Option<AutoLog>,
    /// Also send each line to syslog as `NAME LINE`.
    pub syslog: bool,
    /// Rotate at this size (0: never).
    pub maxbytes: i64,
    /// Rotated files kept (0: truncate at each rotation).
    pub backups: i64,
    /// Capture mode buffer size (0: capture mode off).
    pub capture_maxbytes: i64,
    /// Emit `PROCESS_LOG` events.
    pub events_enabled: bool,
}

/// One process to run.
#[allow(clippy::struct_excessive_bools)] // supervisord's settings are booleans
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// Group name.
    pub group: String,
    /// Process name (what the activity log shows).
    pub name: String,
    /// `GROUP:NAME`, or `NAME` when both are equal: unique in a plan.
    pub full_name: String,
    /// The config section it came from.
    pub section: String,
    /// Process priority (stop order inside a group: descending).
    pub priority: i64,
    /// Spawn when the launcher starts.
    pub autostart: bool,
    /// The command line, expanded, before splitting.
    pub command: String,
    /// `command` split as supervisord splits it (null when it cannot be: see `spawn_error`).
    pub argv: Option<Vec<String>>,
    /// The `spawnerr:` message supervisord logs at every attempt when the command is unusable.
    pub spawn_error: Option<String>,
    /// Where a first word without `/` is looked up (null when it contains `/`).
    pub search_path: Option<Vec<String>>,
    /// Where `search_path` came from (null when it is null).
    pub search_path_source: Option<SearchPathSource>,
    /// The file to execute, when known at build time (see `lookup`).
    pub executable: Option<String>,
    /// How `executable` was decided.
    pub lookup: Lookup,
    /// The child's whole environment, in order.
    pub environment: IndexMap<String, String>,
    /// The `SUPERVISOR_SERVER_URL` supervisord gives this process (null: none).
    pub server_url: Option<ServerUrl>,
    /// Working directory (null: the launcher's).
    pub directory: Option<String>,
    /// umask (octal string; null: inherit the launcher's).
    pub umask: Option<String>,
    /// User to run as (null: the launcher's).
    pub user: Option<String>,
    /// Its uid, as resolved on the machine svconf ran on.
    pub uid: Option<i64>,
    /// Its primary gid, as resolved on the machine svconf ran on.
    pub gid: Option<i64>,
    /// stderr goes into the stdout pipe (no stderr pipe).
    pub redirect_stderr: bool,
    /// stdout.
    pub stdout: Channel,
    /// stderr (no file when `redirect_stderr`).
    pub stderr: Channel,
    /// Seconds the process must stay up to count as started.
    pub startsecs: i64,
    /// Failed starts retried before FATAL.
    pub startretries: i64,
    /// When to restart after an exit from RUNNING.
    pub autorestart: AutoRestart,
    /// Exit codes that count as expected.
    pub exitcodes: Vec<i64>,
    /// Signal that asks the process to stop.
    pub stopsignal: Signal,
    /// Seconds between the stop signal and SIGKILL.
    pub stopwaitsecs: i64,
    /// Send the stop signal to the process group.
    pub stopasgroup: bool,
    /// Send SIGKILL to the process group.
    pub killasgroup: bool,
}

/// A process supervisord builds but never runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    /// Group name.
    pub group: String,
    /// Process name.
    pub name: String,
    /// The config section it came from.
    pub section: String,
    /// Why it does not run.
    pub reason: String,
}

/// Builds the plan of a compiled config, for a launcher started with `env`'s variables.
///
/// # Errors
///
/// The error findings when supervisord would refuse the config.
pub fn build(compiled: &Compiled, env: &Env) -> Result<Plan, Vec<Diagnostic>> {
    if compiled.refused_by_supervisord() {
        return Err(compiled
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect());
    }
    let resolved = &compiled.resolved;
    let sd = &resolved.supervisord;
    let mut plan = Plan {
        version: PLAN_VERSION,
        supervisor_version: SUPERVISOR_VERSION.to_string(),
        launcher: Launcher {
            logfile: sd.logfile.clone(),
            logfile_maxbytes: sd.logfile_maxbytes,
            logfile_backups: sd.logfile_backups,
            loglevel: log_level(&sd.loglevel),
            pidfile: sd.pidfile.clone(),
            identifier: sd.identifier.clone(),
            nodaemon: sd.nodaemon,
            silent: sd.silent,
            childlogdir: sd.childlogdir.clone(),
            nocleanup: sd.nocleanup,
            strip_ansi: sd.strip_ansi,
            umask: sd.umask.clone(),
            minfds: sd.minfds,
            minprocs: sd.minprocs,
            user: sd.user.clone(),
            uid: sd.uid,
            directory: sd.directory.clone(),
        },
        groups: Vec::new(),
        processes: Vec::new(),
        skipped: Vec::new(),
    };
    // the processes of one program look up the same command in the same PATH
    let mut lookups = std::collections::HashMap::new();
    for group in &resolved.groups {
        if group.shadowed {
            for p in &group.processes {
                plan.skipped.push(Skipped {
                    group: group.name.clone(),
                    name: p.name.clone(),
                    section: p.section.to_string(),
                    reason: format!(
                        "an earlier group is also named `{}`; supervisord runs only that one",
                        group.name
                    ),
                });
            }
            continue;
        }
        // supervisord keeps a group's processes in a dict by name: a second process of the
        // same name replaces the first's settings but keeps its place
        let mut slots: IndexMap<&str, &ir::Process> = IndexMap::new();
        for p in &group.processes {
            if let Some(old) = slots.insert(p.name.as_str(), p) {
                plan.skipped.push(Skipped {
                    group: group.name.clone(),
                    name: old.name.clone(),
                    section: old.section.to_string(),
                    reason: format!(
                        "a later process of group `{}` is also named `{}` and replaces it",
                        group.name, old.name
                    ),
                });
            }
        }
        let mut names = Vec::new();
        for p in slots.values() {
            let process = process(resolved, group, p, env, &mut lookups);
            names.push(process.full_name.clone());
            plan.processes.push(process);
        }
        plan.groups.push(Group {
            name: group.name.clone(),
            kind: group_kind(&group.kind),
            priority: group.priority,
            processes: names,
            eventlistener: group.events.as_ref().map(|events| EventListener {
                events: events.clone(),
                buffer_size: group.buffer_size.unwrap_or(10),
                result_handler: group
                    .result_handler
                    .clone()
                    .unwrap_or_else(|| "supervisor.dispatchers:default_handler".into()),
            }),
            socket: group.socket.as_ref().map(|s| FcgiSocket {
                url: s.url.clone(),
                mode: s.mode.clone(),
                owner: s.owner,
                backlog: s.backlog,
            }),
        });
    }
    Ok(plan)
}

/// Executable lookups already made: (search path, name) → what `find` gave.
type Lookups = std::collections::HashMap<(Vec<String>, String), Option<String>>;

fn process(
    resolved: &ir::Resolved,
    group: &ir::Group,
    p: &ir::Process,
    env: &Env,
    lookups: &mut Lookups,
) -> Process {
    let sd = &resolved.supervisord;
    let (argv, spawn_error) = match crate::python::shlex_split_posix(&p.command) {
        Ok(argv) if argv.is_empty() => (None, Some("command is empty".to_string())),
        Ok(argv) => (Some(argv), None),
        Err(e) => (
            None,
            Some(format!(
                "can't parse command {}: {e}",
                crate::python::repr(&p.command)
            )),
        ),
    };

    // `_spawn_as_child`: os.environ, SUPERVISOR_*, then the merged `environment`
    let mut environment: IndexMap<String, String> = IndexMap::new();
    for (k, v) in &env.vars {
        environment.insert(k.clone(), v.clone());
    }
    environment.insert("SUPERVISOR_ENABLED".into(), "1".into());
    let server_url = match &p.serverurl {
        Some(url) => Some(ServerUrl {
            url: url.to_string(),
            source: ServerUrlSource::Program,
        }),
        None => resolved.serverurl.as_ref().map(|url| ServerUrl {
            url: url.clone(),
            source: ServerUrlSource::HttpServer,
        }),
    }
    .filter(|s| !s.url.is_empty());
    if let Some(s) = &server_url {
        environment.insert("SUPERVISOR_SERVER_URL".into(), s.url.clone());
    }
    environment.insert("SUPERVISOR_PROCESS_NAME".into(), p.name.clone());
    environment.insert("SUPERVISOR_GROUP_NAME".into(), group.name.clone());
    for (k, v) in p.environment.iter() {
        environment.insert(k.clone(), v.clone());
    }

    let (search_path, search_path_source, executable, lookup) = match argv.as_deref() {
        None | Some([]) => (None, None, None, Lookup::NoCommand),
        Some([first, ..]) if first.contains('/') => {
            (None, None, Some(first.clone()), Lookup::AsGiven)
        }
        Some([first, ..]) => {
            let (dirs, source) = search_path_of(p, env);
            let (exe, lookup) = if env.host_checks {
                let found = lookups
                    .entry((dirs.clone(), first.clone()))
                    .or_insert_with(|| find_executable(&dirs, first))
                    .clone();
                match found {
                    Some(found) => (Some(found), Lookup::Found),
                    None => (None, Lookup::NotFound),
                }
            } else {
                (None, Lookup::NotChecked)
            };
            (Some(dirs), Some(source), exe, lookup)
        }
    };

    let full_name = if group.name == p.name {
        p.name.clone()
    } else {
        format!("{}:{}", group.name, p.name)
    };
    Process {
        group: group.name.clone(),
        name: p.name.clone(),
        full_name,
        section: p.section.to_string(),
        priority: p.priority,
        autostart: p.autostart,
        command: p.command.to_string(),
        argv,
        spawn_error,
        search_path,
        search_path_source,
        executable,
        lookup,
        environment,
        server_url,
        directory: p.directory.as_deref().map(str::to_string),
        umask: p.umask.as_deref().map(str::to_string),
        user: p.user.as_deref().map(str::to_string),
        uid: p.uid,
        gid: p.uid.and_then(primary_gid),
        redirect_stderr: p.redirect_stderr,
        stdout: Channel {
            logfile: fixed_log(&p.stdout_logfile),
            auto: auto_log(sd, &p.name, "stdout", &p.stdout_logfile),
            syslog: p.stdout_syslog,
            maxbytes: p.stdout_logfile_maxbytes,
            backups: p.stdout_logfile_backups,
            capture_maxbytes: p.stdout_capture_maxbytes,
            events_enabled: p.stdout_events_enabled,
        },
        stderr: Channel {
            logfile: fixed_log(&p.stderr_logfile),
            auto: auto_log(sd, &p.name, "stderr", &p.stderr_logfile),
            syslog: p.stderr_syslog,
            maxbytes: p.stderr_logfile_maxbytes,
            backups: p.stderr_logfile_backups,
            capture_maxbytes: p.stderr_capture_maxbytes,
            events_enabled: p.stderr_events_enabled,
        },
        startsecs: p.startsecs,
        startretries: p.startretries,
        autorestart: match p.autorestart.as_str() {
            "true" => AutoRestart::Always,
            "false" => AutoRestart::Never,
            _ => AutoRestart::Unexpected,
        },
        exitcodes: p.exitcodes.to_vec(),
        stopsignal: match &p.stopsignal {
            ir::Signal::Name(n) => Signal::Name(n.to_string()),
            ir::Signal::Number(n) => Signal::Number(*n),
        },
        stopwaitsecs: p.stopwaitsecs,
        stopasgroup: p.stopasgroup,
        killasgroup: p.killasgroup,
    }
}

/// `ProcessConfig.get_path`: the merged environment's `PATH` (even empty), else the
/// launcher's when set and not empty, else the default.
fn search_path_of(p: &ir::Process, env: &Env) -> (Vec<String>, SearchPathSource) {
    let split = |s: &str| s.split(':').map(str::to_string).collect::<Vec<_>>();
    if let Some(path) = p.environment.get("PATH") {
        return (split(path), SearchPathSource::Environment);
    }
    match env.var("PATH") {
        Some(path) if !path.is_empty() => (split(path), SearchPathSource::Launcher),
        _ => (
            DEFAULT_PATH.iter().map(|s| (*s).to_string()).collect(),
            SearchPathSource::Default,
        ),
    }
}

/// supervisord's `get_execv_args` search: the first `dir/name` that `stat` accepts (a
/// directory or a file without the x bit still stops the search; the spawn then fails on it).
/// The runtime searches with it at each spawn, this module once with `--host`.
pub fn find_executable(dirs: &[String], name: &str) -> Option<String> {
    dirs.iter()
        .map(|d| python_join(d, name))
        .find(|candidate| std::fs::metadata(candidate).is_ok())
}

/// `os.path.join(dir, name)` for a `name` without `/`.
fn python_join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn primary_gid(uid: i64) -> Option<i64> {
    let uid = u32::try_from(uid).ok()?;
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| i64::from(u.gid.as_raw()))
}

fn fixed_log(value: &str) -> Option<String> {
    (value != "AUTO" && value != "NONE").then(|| value.to_string())
}

/// `get_autochildlog_name`: `mkstemp(prefix=NAME-CHANNEL---IDENTIFIER-, suffix=.log, dir=childlogdir)`.
fn auto_log(sd: &ir::Supervisord, name: &str, channel: &str, value: &str) -> Option<AutoLog> {
    (value == "AUTO").then(|| AutoLog {
        dir: sd.childlogdir.clone(),
        prefix: format!("{name}-{channel}---{}-", sd.identifier),
        suffix: ".log".into(),
    })
}

fn log_level(word: &str) -> LogLevel {
    match word {
        "critical" => LogLevel::Critical,
        "error" => LogLevel::Error,
        "warn" => LogLevel::Warn,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        "blather" => LogLevel::Blather,
        _ => LogLevel::Info,
    }
}

fn group_kind(kind: &str) -> GroupKind {
    match kind {
        "group" => GroupKind::Group,
        "eventlistener" => GroupKind::Eventlistener,
        "fcgi-program" => GroupKind::FcgiProgram,
        _ => GroupKind::Program,
    }
}

/// The plan as pretty JSON, with a final newline.
pub fn render(plan: &Plan) -> String {
    let mut out = serde_json::to_string_pretty(plan).unwrap_or_default();
    out.push('\n');
    out
}

/// The JSON Schema of [`Plan`], as committed in `schema/plan.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Plan);
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}

/// Reads a plan, written by [`render`] or by hand.
///
/// # Errors
///
/// One message saying what is wrong and where: not JSON, another format version, a missing,
/// unknown or mistyped field (with its line and column), or settings that contradict each
/// other (a process named twice, a group that lists an unknown process, an unknown signal…).
pub fn parse(text: &str) -> Result<Plan, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the plan is not valid JSON: {e}"))?;
    let Some(object) = value.as_object() else {
        return Err("the plan must be a JSON object".into());
    };
    match object.get("version") {
        None => return Err("the plan has no `version` field (this svconf reads version 1)".into()),
        Some(v) if v.as_u64() == Some(u64::from(PLAN_VERSION)) => {}
        Some(v) => {
            return Err(format!(
                "plan version {v} is not supported (this svconf reads version {PLAN_VERSION})"
            ));
        }
    }
    let plan: Plan = serde_json::from_str(text).map_err(|e| match locate(object) {
        Some(located) => format!(
            "invalid plan: {located} (line {}, column {})",
            e.line(),
            e.column()
        ),
        None => format!("invalid plan: {e}"),
    })?;
    check(&plan)?;
    Ok(plan)
}

/// Which part of a plan does not deserialize, named as `processes[3] (`web`): …`: serde's
/// own message gives only a line and column.
fn locate(object: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    fn part<T: serde::de::DeserializeOwned>(at: &str, v: &serde_json::Value) -> Option<String> {
        serde_json::from_value::<T>(v.clone())
            .err()
            .map(|e| format!("{at}: {e}"))
    }
    fn list<T: serde::de::DeserializeOwned>(
        key: &str,
        object: &serde_json::Map<String, serde_json::Value>,
        name: &str,
    ) -> Option<String> {
        let items = object.get(key)?.as_array()?;
        items.iter().enumerate().find_map(|(i, v)| {
            let at = match v.get(name).and_then(serde_json::Value::as_str) {
                Some(n) => format!("{key}[{i}] (`{n}`)"),
                None => format!("{key}[{i}]"),
            };
            part::<T>(&at, v)
        })
    }
    object
        .get("launcher")
        .and_then(|v| part::<Launcher>("launcher", v))
        .or_else(|| list::<Group>("groups", object, "name"))
        .or_else(|| list::<Process>("processes", object, "full_name"))
        .or_else(|| list::<Skipped>("skipped", object, "name"))
}

/// The rules the schema cannot express.
fn check(plan: &Plan) -> Result<(), String> {
    let mut seen: IndexMap<&str, usize> = IndexMap::new();
    for (i, p) in plan.processes.iter().enumerate() {
        let at = format!("processes[{i}] (`{}`)", p.full_name);
        if let Some(first) = seen.insert(p.full_name.as_str(), i) {
            return Err(format!(
                "{at}: `full_name` is also the name of processes[{first}]; full names must be unique"
            ));
        }
        let expected = if p.group == p.name {
            p.name.clone()
        } else {
            format!("{}:{}", p.group, p.name)
        };
        if p.full_name != expected {
            return Err(format!(
                "{at}: `full_name` must be `{expected}` (`GROUP:NAME`, or `NAME` when both are equal)"
            ));
        }
        match (&p.argv, &p.spawn_error) {
            (Some(argv), _) if argv.is_empty() => {
                return Err(format!(
                    "{at}: `argv` is empty; use `\"argv\": null` with a `spawn_error`"
                ));
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{at}: `argv` and `spawn_error` are both set; give one"
                ));
            }
            (None, None) => {
                return Err(format!(
                    "{at}: neither `argv` nor `spawn_error` is set; give one"
                ));
            }
            _ => {}
        }
        if let Some(argv) = &p.argv {
            if !argv[0].contains('/') && p.search_path.is_none() {
                return Err(format!(
                    "{at}: `argv[0]` (`{}`) has no `/`, so `search_path` is needed",
                    argv[0]
                ));
            }
        }
        let signal = match &p.stopsignal {
            Signal::Name(n) => n.clone(),
            Signal::Number(n) => n.to_string(),
        };
        if crate::lower::convert::signal_number(&signal).is_err() {
            return Err(format!("{at}: `stopsignal` `{signal}` is not a signal"));
        }
        if let Some(v) = &p.umask {
            if v.is_empty() || !v.trim_start_matches('-').chars().all(|c| c.is_digit(8)) {
                return Err(format!("{at}: `umask` `{v}` is not an octal number"));
            }
        }
        for (channel, c) in [("stdout", &p.stdout), ("stderr", &p.stderr)] {
            if c.logfile.is_some() && c.auto.is_some() {
                return Err(format!(
                    "{at}: `{channel}` has both `logfile` and `auto`; give one (or neither for NONE)"
                ));
            }
        }
        if p.redirect_stderr && (p.stderr.logfile.is_some() || p.stderr.auto.is_some()) {
            return Err(format!(
                "{at}: `redirect_stderr` is true, so `stderr` can have no log file"
            ));
        }
        if let Some(code) = p.exitcodes.iter().find(|c| !(0..=255).contains(*c)) {
            return Err(format!("{at}: exit code {code} is not in 0..255"));
        }
        if !plan.groups.iter().any(|g| g.name == p.group) {
            return Err(format!("{at}: group `{}` is not in `groups`", p.group));
        }
    }
    for (i, g) in plan.groups.iter().enumerate() {
        if plan.groups[..i].iter().any(|o| o.name == g.name) {
            return Err(format!("groups[{i}]: group `{}` is listed twice", g.name));
        }
        for name in &g.processes {
            match plan.processes.iter().find(|p| &p.full_name == name) {
                None => {
                    return Err(format!(
                        "groups[{i}] (`{}`): process `{name}` is not in `processes`",
                        g.name
                    ));
                }
                Some(p) if p.group != g.name => {
                    return Err(format!(
                        "groups[{i}] (`{}`): process `{name}` belongs to group `{}`",
                        g.name, p.group
                    ));
                }
                Some(_) => {}
            }
        }
    }
    // the start order is stated twice; both must agree
    let by_groups: Vec<&str> = plan
        .groups
        .iter()
        .flat_map(|g| g.processes.iter().map(String::as_str))
        .collect();
    let by_processes: Vec<&str> = plan
        .processes
        .iter()
        .map(|p| p.full_name.as_str())
        .collect();
    if by_groups != by_processes {
        return Err(format!(
            "`processes` must be in start order: group by group as `groups` lists them ({})",
            by_groups.join(", ")
        ));
    }
    Ok(())
}
