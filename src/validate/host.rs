//! Rules that judge a config against this machine (`--host`): the executables,
//! users and working directories it names. See the doc comment on each rule for its code.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use super::Context;
use super::logs::{one_per_section, processes};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::Process;
use crate::python;

/// supervisord's PATH when neither the program nor its own environment has one.
const FALLBACK_PATH: &str = "/bin:/usr/bin:/usr/local/bin";

/// Runs the rules of this module (only with `--host`).
pub(crate) fn check(cx: &Context<'_>, diags: &mut Diagnostics) {
    if !cx.env.host_checks {
        return;
    }
    command_not_found(cx, diags);
    user_without_root(cx, nix::unistd::geteuid().as_raw(), diags);
    missing_working_directory(cx, diags);
}

/// Why an executable cannot be run, as supervisord would find out at spawn.
#[derive(Debug, PartialEq, Eq)]
enum Lookup {
    /// Found and executable.
    Ok,
    /// A bare name found in no PATH entry.
    NotFound,
    /// A path that does not exist.
    Missing(String),
    /// The file is a directory.
    Directory(String),
    /// The file has no x bit (or `access(X_OK)` fails).
    NotExecutable(String),
}

/// supervisord's `get_execv_args` lookup: a name with `/` is used as is; else the
/// first PATH entry where `stat()` succeeds is taken (and not passed over when
/// it is a directory or not executable, unlike `execvp`).
fn lookup(program: &str, path_var: &str) -> Lookup {
    let judge = |file: &Path| {
        let shown = file.display().to_string();
        match std::fs::metadata(file) {
            Err(_) => Lookup::Missing(shown),
            Ok(m) if m.is_dir() => Lookup::Directory(shown),
            Ok(m)
                if m.permissions().mode() & 0o111 == 0
                    || nix::unistd::access(file, nix::unistd::AccessFlags::X_OK).is_err() =>
            {
                Lookup::NotExecutable(shown)
            }
            Ok(_) => Lookup::Ok,
        }
    };
    if program.contains('/') {
        return judge(Path::new(program));
    }
    for dir in path_var.split(':').filter(|d| !d.is_empty()) {
        let file = Path::new(dir).join(program);
        if std::fs::metadata(&file).is_ok() {
            return judge(&file);
        }
    }
    Lookup::NotFound
}

/// The PATH a process's command is searched in: the process environment's, else
/// supervisord's own when set and not empty, else supervisord's fallback.
fn search_path<'a>(cx: &'a Context<'_>, p: &'a Process) -> (&'a str, &'static str) {
    if let Some(path) = p.environment.get("PATH") {
        return (path, "the program's `environment`");
    }
    match cx.env.var("PATH") {
        Some(path) if !path.is_empty() => (path, "supervisord's environment"),
        _ => (FALLBACK_PATH, "supervisord's default"),
    }
}

/// SV258 command-not-found
///
/// ## What it checks
/// The first word of `command` (split as supervisord splits it, with POSIX shell
/// rules): an absolute path must be an executable file; a name without `/` must
/// be found in the `PATH` the program gets (its `environment`, else supervisord's).
/// A relative path with `/` depends on supervisord's working directory and is
/// not checked.
/// ## Why
/// supervisord looks the executable up before it forks; when it is missing, every
/// start fails with `can't find command` until the program is FATAL. supervisord
/// takes the first `PATH` entry that exists, even when that one is not executable.
/// ## Example
/// ```ini
/// [program:web]
/// command=gunicorn app:app
/// environment=PATH="/opt/venv/bin"
/// ```
/// ## Fix
/// Install the program, or give its absolute path.
fn command_not_found(cx: &Context<'_>, diags: &mut Diagnostics) {
    // the processes of one program share command and PATH: look each pair up once, not
    // once per process (a numprocs=200 program would cost thousands of stat calls)
    let mut seen = std::collections::HashSet::new();
    for p in processes(cx) {
        let Ok(argv) = python::shlex_split_posix(&p.command) else {
            continue;
        };
        let Some(program) = argv.first() else {
            continue;
        };
        if program.is_empty() || (program.contains('/') && !program.starts_with('/')) {
            continue;
        }
        let (path_var, from) = search_path(cx, p);
        if !seen.insert((p.section.as_str(), program.clone(), path_var)) {
            continue;
        }
        let (message, label) = match lookup(program, path_var) {
            Lookup::Ok => continue,
            Lookup::NotFound => (
                format!("`{program}` of `[{}]` is not found in `PATH`", p.section),
                format!("not in `{path_var}` ({from})"),
            ),
            Lookup::Missing(f) => (
                format!("`{f}` of `[{}]` does not exist", p.section),
                "no such file".to_string(),
            ),
            Lookup::Directory(f) => (
                format!("`{f}` of `[{}]` is a directory", p.section),
                "not a program".to_string(),
            ),
            Lookup::NotExecutable(f) => (
                format!("`{f}` of `[{}]` is not executable", p.section),
                "no execute permission".to_string(),
            ),
        };
        let Some(v) = cx.value(&p.section, "command") else {
            continue;
        };
        let span = v
            .text
            .find(program.as_str())
            .map_or_else(|| v.span(), |at| v.span_of(at, at + program.len()));
        diags.push(
            Diagnostic::new(Code::CommandNotFound, message)
                .at(span, label)
                .help("install the program, or give the absolute path of an executable"),
        );
    }
}

/// A configured user as supervisord compares it: its uid when known, else its name.
fn same_user(a: (Option<i64>, &str), b: (Option<i64>, &str)) -> bool {
    match (a.0, b.0) {
        (Some(x), Some(y)) => x == y,
        _ => python::strip(a.1) == python::strip(b.1),
    }
}

/// SV259 user-without-root
///
/// ## What it checks
/// `user=` in a program while supervisord will not run as root: svconf itself
/// does not run as root, or `[supervisord] user` drops supervisord to another
/// user first. Also `[supervisord] user` itself when svconf does not run as root.
/// A `user` equal to the one supervisord runs as is fine.
/// ## Why
/// Only root can switch users. supervisord refuses to start as another user
/// (`Can't drop privilege as nonroot user`), and a program whose `user` differs
/// from supervisord's fails every start until it is FATAL.
/// ## Example
/// ```ini
/// [supervisord]
/// user=supervisor
///
/// [program:web]
/// command=/usr/bin/web
/// user=www-data
/// ```
/// ## Fix
/// Run supervisord as root, or remove `user` (or make it supervisord's user).
fn user_without_root(cx: &Context<'_>, euid: u32, diags: &mut Diagnostics) {
    let sd = &cx.resolved.supervisord;
    let runs_as_root = euid == 0;
    // who supervisord runs as once it has read its config
    let daemon: Option<(Option<i64>, &str)> = match &sd.user {
        Some(u) => Some((sd.uid, u.as_str())),
        None => None,
    };
    if let (Some(user), Some(v)) = (&sd.user, cx.value("supervisord", "user")) {
        let is_self = sd.uid == Some(i64::from(euid));
        if !runs_as_root && !is_self {
            diags.push(
                Diagnostic::new(
                    Code::UserWithoutRoot,
                    format!("supervisord cannot switch to user `{user}` without root"),
                )
                .at(v.span(), "needs root")
                .help("run supervisord as root, or remove `user`"),
            );
        }
    }
    let daemon_is_root = match daemon {
        Some((uid, name)) => uid == Some(0) || (uid.is_none() && python::strip(name) == "root"),
        None => runs_as_root,
    };
    if daemon_is_root {
        return;
    }
    for p in one_per_section(cx) {
        let Some(user) = &p.user else {
            continue;
        };
        let Some(v) = cx.value(&p.section, "user") else {
            continue;
        };
        let mut d = if let Some(d) = daemon {
            if same_user((p.uid, user), d) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::UserWithoutRoot,
                format!(
                    "`[{}]` cannot run as `{user}`: supervisord runs as `{}`, not root",
                    p.section, d.1
                ),
            )
            .at(v.span(), "needs root to switch to");
            if let Some(s) = cx.value("supervisord", "user") {
                d = d.also(s.span(), "supervisord drops root here");
            }
            d
        } else {
            if p.uid == Some(i64::from(euid)) {
                continue;
            }
            Diagnostic::new(
                Code::UserWithoutRoot,
                format!(
                    "`[{}]` cannot run as `{user}`: supervisord would not run as root",
                    p.section
                ),
            )
            .at(v.span(), "needs root to switch to")
        };
        d = d.help("run supervisord as root, or remove `user`");
        diags.push(d);
    }
}

/// SV260 missing-working-directory
///
/// ## What it checks
/// A program's `directory` (once expanded) that does not exist or is not a
/// directory. Relative paths depend on supervisord's working directory and are
/// not checked.
/// ## Why
/// supervisord does not check `directory` when it reads the config; the child's
/// `chdir` fails at every start (`couldn't chdir to …`, exit 127) until the
/// program is FATAL.
/// ## Example
/// ```ini
/// [program:web]
/// command=/usr/bin/web
/// directory=/srv/app/current
/// ```
/// ## Fix
/// Create the directory or correct the path.
fn missing_working_directory(cx: &Context<'_>, diags: &mut Diagnostics) {
    for p in processes(cx) {
        let Some(dir) = &p.directory else {
            continue;
        };
        if !dir.starts_with('/') {
            continue;
        }
        let label = match std::fs::metadata(dir.as_str()) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => "not a directory",
            Err(_) => "no such directory",
        };
        let Some(v) = cx.value(&p.section, "directory") else {
            continue;
        };
        diags.push(
            Diagnostic::new(
                Code::MissingWorkingDirectory,
                format!(
                    "working directory `{dir}` of `[{}]` does not exist",
                    p.section
                ),
            )
            .at(v.span(), label)
            .help("create the directory, or correct the path"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_like_supervisord() {
        assert_eq!(
            lookup("sh", "/nonexistent-svconf:/bin:/usr/bin"),
            Lookup::Ok
        );
        assert_eq!(
            lookup("svconf-no-such-command", "/bin:/usr/bin"),
            Lookup::NotFound
        );
        assert_eq!(
            lookup("/nonexistent-svconf/bin/app", ""),
            Lookup::Missing("/nonexistent-svconf/bin/app".into())
        );
        assert_eq!(lookup("/", ""), Lookup::Directory("/".into()));
        // the first entry that exists wins, even when it is not executable
        let dir = std::env::temp_dir().join(format!("svconf-lookup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sh"), "").unwrap();
        let path = format!("{}:/bin:/usr/bin", dir.display());
        assert_eq!(
            lookup("sh", &path),
            Lookup::NotExecutable(dir.join("sh").display().to_string())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn compares_users() {
        assert!(same_user((Some(33), "www-data"), (Some(33), "33")));
        assert!(same_user((None, "app"), (None, " app ")));
        assert!(!same_user((Some(33), "www-data"), (Some(65534), "nobody")));
    }
}
