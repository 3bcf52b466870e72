//! Rules about logs and about a process's life cycle (empty command, restart
//! loops, exit codes). See the doc comment on each rule for its code.

use std::borrow::Cow;
use std::hash::BuildHasher as _;

use super::Context;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::Process;
use crate::python;
use crate::source::Span;

/// Runs the rules of this module.
pub(crate) fn check(cx: &Context<'_>, diags: &mut Diagnostics) {
    shared_log_file(cx, diags);
    log_without_backups(cx, diags);
    empty_command(cx, diags);
    crash_loop_without_backoff(cx, diags);
    exitcodes_without_effect(cx, diags);
}

/// Every process supervisord runs, once: groups that a same-named earlier group
/// shadows are left out, and a program listed twice counts once (that is SV244's
/// business).
pub(super) fn processes<'a>(cx: &Context<'a>) -> Vec<&'a Process> {
    cx.live.clone()
}

/// One process per section: for rules about settings that every process of a
/// section shares (everything but the `%(process_num)d`-expanded ones).
pub(super) fn one_per_section<'a>(cx: &Context<'a>) -> Vec<&'a Process> {
    cx.per_section.clone()
}

/// True for a log path that is a real file svconf can reason about: not `AUTO`,
/// `NONE` or `SYSLOG`, and not a device or a `/proc` descriptor (`/dev/stdout`,
/// `/dev/null`, `/proc/self/fd/1`, `/proc/1/fd/1`).
fn is_regular_path(path: &str) -> bool {
    !matches!(path, "AUTO" | "NONE" | "SYSLOG" | "")
        && !path.starts_with("/dev/")
        && !path.starts_with("/proc/")
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------------------
// logs
// ---------------------------------------------------------------------------

/// One writer of a shared log file: a section's `stdout_logfile` or `stderr_logfile`.
struct Writer<'a> {
    section: &'a str,
    key: &'static str,
    span: Span,
    processes: usize,
}

/// One log file named by one channel of one process: the hash of its path (normalised),
/// the process (its index in `cx.live`) and the channel (0: stdout, 1: stderr).
type Named = (u64, u32, u8);

/// One process (its index in `cx.live`) writing a log file on one channel.
type Writing = (u32, u8);

/// The channels' keys, by the channel number of [`Named`].
const LOG_KEYS: [&str; 2] = ["stdout_logfile", "stderr_logfile"];

/// The file that channel `channel` (see [`Named`]) of `p` writes, normalised, when it is a
/// real file.
fn log_path(p: &Process, channel: u8) -> Option<Cow<'_, str>> {
    let file = if channel == 0 {
        p.stdout_logfile.as_str()
    } else {
        p.stderr_logfile.as_str()
    };
    if !is_regular_path(file) {
        return None;
    }
    Some(if is_normal(file) {
        Cow::Borrowed(file)
    } else {
        Cow::Owned(python::normpath(file))
    })
}

/// True when `python::normpath(p)` is `p` itself (checked without building it): no
/// empty, `.` or `..` component, no trailing or doubled `/`.
fn is_normal(p: &str) -> bool {
    let body = p.strip_prefix('/').unwrap_or(p);
    !body.is_empty()
        && body
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// SV248 shared-log-file
///
/// ## What it checks
/// Two processes, of the same program or of different ones, whose `stdout_logfile`
/// or `stderr_logfile` is the same file. `AUTO`, `NONE`, devices such as
/// `/dev/stdout` and `/proc/self/fd/1` are not files and are left alone.
/// ## Why
/// Every process keeps its own handle on its log and rotates it on its own: one
/// process renames the file while the other keeps writing into the renamed copy,
/// backups are overwritten, and lines of both interleave. With `numprocs`, a path
/// without `%(process_num)02d` is the same file for every process.
/// ## Example
/// ```ini
/// [program:worker]
/// command=php artisan queue:work
/// numprocs=4
/// process_name=%(program_name)s_%(process_num)02d
/// stdout_logfile=/var/log/worker.log
/// ```
/// ## Fix
/// Give every process its own file: `stdout_logfile=/var/log/worker_%(process_num)02d.log`.
fn shared_log_file(cx: &Context<'_>, diags: &mut Diagnostics) {
    report_shared_logs(cx, diags, |path| rustc_hash::FxBuildHasher.hash_one(path));
}

/// [`shared_log_file`] with the paths hashed by `hash` (any hash gives the same findings).
fn report_shared_logs(cx: &Context<'_>, diags: &mut Diagnostics, hash: impl Fn(&str) -> u64) {
    // every (hash of the path, process, channel) in visiting order, then sorted: a run of
    // one hash is its writers in visiting order. Hashes rather than paths: sorting 20,000
    // paths that share long prefixes (a config of 5000 programs names that many files,
    // nearly all of them once) compares them byte by byte; only a run of one hash with two
    // processes or more needs its paths, which tell a shared file from a collision.
    let mut named: Vec<Named> = Vec::new();
    // the processes of a section come one after the other: look its keys up once
    let mut last: Option<(&str, [bool; 2])> = None;
    for (i, p) in cx.live.iter().enumerate() {
        let Ok(index) = u32::try_from(i) else {
            break;
        };
        let has = match last {
            Some((section, has)) if std::ptr::eq(section, p.section.as_str()) => has,
            _ => {
                let has = LOG_KEYS.map(|k| cx.value(&p.section, k).is_some());
                last = Some((p.section.as_str(), has));
                has
            }
        };
        for channel in [0, 1] {
            if !has[usize::from(channel)] {
                continue;
            }
            if let Some(path) = log_path(p, channel) {
                named.push((hash(&path), index, channel));
            }
        }
    }
    // (hash, process, channel) are unique: the order is total
    named.sort_unstable();
    // runs of one path written by two processes or more, in order of first appearance
    let mut shared: Vec<(Cow<'_, str>, Vec<Writing>)> = Vec::new();
    for run in named.chunk_by(|a, b| a.0 == b.0) {
        if !run.windows(2).any(|w| w[0].1 != w[1].1) {
            continue;
        }
        let mut left: Vec<(Cow<'_, str>, Writing)> = run
            .iter()
            .filter_map(|&(_, index, channel)| {
                let p = cx.live.get(index as usize)?;
                Some((log_path(p, channel)?, (index, channel)))
            })
            .collect();
        // paths with the same hash: split the run by path, each part still in visiting order
        while let Some((path, _)) = left.first() {
            let path = path.clone();
            let (same, rest): (Vec<_>, Vec<_>) = left.into_iter().partition(|(p, _)| *p == path);
            left = rest;
            let writings: Vec<Writing> = same.into_iter().map(|(_, w)| w).collect();
            if writings.windows(2).any(|w| w[0].0 != w[1].0) {
                shared.push((path, writings));
            }
        }
    }
    shared.sort_by_key(|(_, run)| run.first().copied());
    for (path, run) in shared {
        let procs = 1 + run.windows(2).filter(|w| w[0].0 != w[1].0).count();
        // its writers, (section, key), in visiting order, with how many processes each
        let mut writers: Vec<Writer<'_>> = Vec::new();
        for (index, channel) in run {
            let Some(p) = cx.live.get(index as usize) else {
                continue;
            };
            let key = LOG_KEYS[usize::from(channel)];
            if let Some(w) = writers
                .iter_mut()
                .find(|w| *w.section == *p.section && w.key == key)
            {
                w.processes += 1;
            } else if let Some(v) = cx.value(&p.section, key) {
                writers.push(Writer {
                    section: &p.section,
                    key,
                    span: v.span(),
                    processes: 1,
                });
            }
        }
        writers.sort_by_key(|w| w.span);
        let mut sections: Vec<String> = Vec::new();
        for w in &writers {
            let s = format!("`[{}]`", w.section);
            if !sections.contains(&s) {
                sections.push(s);
            }
        }
        let numprocs = writers.iter().any(|w| w.processes > 1);
        let Some((primary, others)) = writers.split_last() else {
            continue;
        };
        let message = if sections.len() == 1 {
            format!(
                "the {} processes of {} write the same log file `{path}`",
                procs, sections[0]
            )
        } else {
            format!("{} write the same log file `{path}`", and_list(&sections))
        };
        let label = match others.iter().find(|w| w.section != primary.section) {
            Some(w) => format!("also written by `[{}]`", w.section),
            None if numprocs => {
                "the same file for every process: no `%(process_num)02d`".to_string()
            }
            None => "also written by another process".to_string(),
        };
        let mut d = Diagnostic::new(Code::SharedLogFile, message).at(primary.span, label);
        let mut labelled = vec![primary.span];
        for w in others {
            if !labelled.contains(&w.span) {
                labelled.push(w.span);
                d = d.also(w.span, format!("`{}` of `[{}]`", w.key, w.section));
            }
        }
        d = d.help(if numprocs {
            "give every process its own file, with `%(process_num)02d` in the path"
        } else {
            "give every program its own log file"
        });
        diags.push(d);
    }
}

/// SV250 log-without-backups
///
/// ## What it checks
/// `stdout_logfile_backups=0` (or `stderr_…`, or `[supervisord] logfile_backups`)
/// with a `*_maxbytes` above 0 on a log file.
/// ## Why
/// When the file reaches `maxbytes`, supervisord rotates it; with no backups to
/// rotate into, it truncates the file and the output so far is gone, often right
/// when it is needed to understand a crash.
/// ## Example
/// ```ini
/// [program:web]
/// command=/usr/bin/web
/// stdout_logfile=/var/log/web.log
/// stdout_logfile_backups=0
/// ```
/// ## Fix
/// Keep at least one backup, or set `maxbytes=0` for a log that is never rotated
/// (and rotate it with logrotate).
fn log_without_backups(cx: &Context<'_>, diags: &mut Diagnostics) {
    let sd = &cx.resolved.supervisord;
    if sd.logfile_backups == 0 && sd.logfile_maxbytes > 0 && is_regular_path(&sd.logfile) {
        if let Some(v) = cx.value("supervisord", "logfile_backups") {
            diags.push(no_backups(
                cx,
                "supervisord",
                "logfile",
                v.span(),
                sd.logfile_maxbytes,
            ));
        }
    }
    for p in one_per_section(cx) {
        for (channel, file, backups, maxbytes) in [
            (
                "stdout",
                &p.stdout_logfile,
                p.stdout_logfile_backups,
                p.stdout_logfile_maxbytes,
            ),
            (
                "stderr",
                &p.stderr_logfile,
                p.stderr_logfile_backups,
                p.stderr_logfile_maxbytes,
            ),
        ] {
            if backups != 0 || maxbytes <= 0 || !(file == "AUTO" || is_regular_path(file)) {
                continue;
            }
            let key = format!("{channel}_logfile_backups");
            if let Some(v) = cx.value(&p.section, &key) {
                let prefix = format!("{channel}_logfile");
                diags.push(no_backups(cx, &p.section, &prefix, v.span(), maxbytes));
            }
        }
    }
}

/// The SV250 finding for `{prefix}_backups` in `section`.
fn no_backups(
    cx: &Context<'_>,
    section: &str,
    prefix: &str,
    span: Span,
    maxbytes: i64,
) -> Diagnostic {
    let mb_key = format!("{prefix}_maxbytes");
    let size = cx.value(section, &mb_key).map_or_else(
        || "50MB".to_string(),
        |v| python::strip(&v.text).to_string(),
    );
    let mut d = Diagnostic::new(
        Code::LogTruncatedWithoutBackups,
        format!("the `{prefix}` of `[{section}]` is emptied each time it reaches {size}"),
    )
    .at(span, "no backups: rotation truncates the file");
    if let Some(v) = cx.value(section, &mb_key) {
        d = d.also(v.span(), format!("rotated at {maxbytes} bytes"));
    }
    d.help(format!(
        "set `{prefix}_backups` to 1 or more, or `{mb_key}=0` to never rotate"
    ))
}

// ---------------------------------------------------------------------------
// process life cycle
// ---------------------------------------------------------------------------

/// SV247 empty-command
///
/// ## What it checks
/// A program whose `command` is empty or only blanks (once expanded), while
/// `numprocs` makes it run.
/// ## Why
/// supervisord accepts the config, then every start fails with `command is empty`
/// until the program is FATAL.
/// ## Example
/// ```ini
/// [program:worker]
/// command=%(ENV_WORKER_CMD)s
/// ```
/// with `WORKER_CMD` set to an empty string.
/// ## Fix
/// Give the command to run.
fn empty_command(cx: &Context<'_>, diags: &mut Diagnostics) {
    for p in processes(cx) {
        // what supervisord does at spawn: shlex.split, then "command is empty" for [].
        // Any character but a blank starts a token (or a quote or escape error), so the
        // split is empty exactly when every character is a blank: no need to split.
        if !p.command.chars().all(python::shlex_blank) {
            continue;
        }
        let Some(v) = cx.value(&p.section, "command") else {
            continue;
        };
        let (span, label) = if python::strip(&v.text).is_empty() {
            (v.key_span(), "no command after `=`")
        } else {
            (v.span(), "expands to nothing")
        };
        diags.push(
            Diagnostic::new(
                Code::EmptyCommand,
                format!("`command` of `[{}]` is empty", p.section),
            )
            .at(span, label)
            .help("give the command to run"),
        );
    }
}

/// SV251 crash-loop-without-backoff
///
/// ## What it checks
/// `startsecs=0` (or less) with `autorestart=true` or `unexpected` (the default).
/// ## Why
/// With `startsecs=0` every start counts as a success at once, so a program that
/// dies right away never reaches BACKOFF or FATAL: supervisord restarts it about
/// once a second, forever, filling the logs and hiding the failure.
/// ## Example
/// ```ini
/// [program:worker]
/// command=/usr/bin/worker
/// startsecs=0
/// autorestart=true
/// ```
/// ## Fix
/// Set `startsecs` to the time the program needs to come up (1 or more).
fn crash_loop_without_backoff(cx: &Context<'_>, diags: &mut Diagnostics) {
    for p in one_per_section(cx) {
        if p.startsecs > 0 || p.autorestart == "false" {
            continue;
        }
        let Some(v) = cx.value(&p.section, "startsecs") else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::CrashLoopWithoutBackoff,
            format!(
                "`[{}]` restarts forever when it crashes: `startsecs={}` never lets it fail",
                p.section, p.startsecs
            ),
        )
        .at(v.span(), "every start counts as a success");
        if let Some(a) = cx.value(&p.section, "autorestart") {
            let what = if p.autorestart == "true" {
                "restarts after every exit"
            } else {
                "restarts after every unexpected exit"
            };
            d = d.also(a.span(), what);
        }
        diags.push(
            d.help("set `startsecs` to the seconds the program needs to come up (1 or more)"),
        );
    }
}

/// SV252, second form: an expected code such as `143` (128 + SIGTERM) that can never
/// occur. supervisord sees a process killed by a signal as exiting with no code at all,
/// so `exitcodes=0,143` never matches a SIGTERM death; only a program that itself exits
/// with 143 (a shell reporting its killed child) produces it, which is why commands run
/// through a shell are left alone.
fn signal_like_exitcodes(
    p: &crate::ir::Process,
    v: &crate::include::Value,
    diags: &mut Diagnostics,
) {
    let first = p.command.split_whitespace().next().unwrap_or("");
    let shell = ["sh", "bash", "dash", "zsh", "ash"]
        .iter()
        .any(|s| first == *s || first.rsplit_once('/').is_some_and(|(_, last)| last == *s));
    if shell {
        return;
    }
    if let Some(code) = p.exitcodes.iter().find(|c| (129..=159).contains(*c)) {
        diags.push(
            Diagnostic::new(
                Code::UnexpectedExitCodes,
                format!(
                    "`exitcodes` of `[{}]` expects {code} (128 + signal {}), which a killed process never reports",
                    p.section,
                    code - 128
                ),
            )
            .at(v.span(), "never matches a signal death")
            .help("supervisord sees a process killed by a signal as exiting with no code; remove the code, or run the program through a shell that reports it"),
        );
    }
}

/// SV252 exitcodes-without-effect
///
/// ## What it checks
/// `exitcodes` set while `autorestart` is `true` or `false`, and an empty
/// `exitcodes=` with `autorestart=unexpected`.
/// ## Why
/// `exitcodes` only decide whether an exit is restarted under
/// `autorestart=unexpected`; with `true` or `false` they change nothing that
/// happens (only the log level of the `exited:` line). An empty list makes every
/// exit unexpected, so `unexpected` then behaves like `true`, which is rarely
/// what the empty value was meant to say.
/// ## Example
/// ```ini
/// [program:migrate]
/// command=php artisan migrate --force
/// autorestart=false
/// exitcodes=0,2
/// ```
/// ## Fix
/// Remove `exitcodes`, or use `autorestart=unexpected`; for an empty list, list
/// the expected codes or write `autorestart=true`.
fn exitcodes_without_effect(cx: &Context<'_>, diags: &mut Diagnostics) {
    for p in one_per_section(cx) {
        let Some(v) = cx.value(&p.section, "exitcodes") else {
            continue;
        };
        if p.autorestart == "unexpected" {
            if !p.exitcodes.is_empty() {
                signal_like_exitcodes(p, v, diags);
                continue;
            }
            let span = if python::strip(&v.text).is_empty() {
                v.key_span()
            } else {
                v.span()
            };
            let mut d = Diagnostic::new(
                Code::UnexpectedExitCodes,
                format!(
                    "`exitcodes` of `[{}]` is empty: every exit is unexpected and restarted",
                    p.section
                ),
            )
            .at(span, "no exit code is expected");
            if let Some(a) = cx.value(&p.section, "autorestart") {
                d = d.also(a.span(), "restarts after every unexpected exit");
            }
            diags.push(
                d.help("list the expected exit codes (`exitcodes=0`), or write `autorestart=true`"),
            );
            continue;
        }
        let Some(a) = cx.value(&p.section, "autorestart") else {
            continue;
        };
        let what = if p.autorestart == "true" {
            "restarts after every exit"
        } else {
            "never restarts"
        };
        diags.push(
            Diagnostic::new(
                Code::UnexpectedExitCodes,
                format!(
                    "`exitcodes` of `[{}]` has no effect with `autorestart={}`",
                    p.section, p.autorestart
                ),
            )
            .at(v.span(), "changes nothing")
            .also(a.span(), what)
            .help("remove `exitcodes`, or set `autorestart=unexpected`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// Paths that share a hash are told apart by comparing them: every hash, down to one
    /// that makes all paths collide, gives the findings of the real one.
    #[test]
    fn shared_logs_do_not_depend_on_the_hash() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut text = String::from("[supervisord]\nlogfile=/tmp/x.log\n");
        let logs = [
            "stdout_logfile=/tmp/a.log",
            "stdout_logfile=/tmp//a.log\nstderr_logfile=/tmp/b.log",
            "stdout_logfile=/tmp/c.log\nnumprocs=2\nprocess_name=%(process_num)s",
            "stderr_logfile=/tmp/./b.log\nstdout_logfile=/tmp/d.log",
            "stdout_logfile=/tmp/e%(process_num)s.log\nnumprocs=3\nprocess_name=%(process_num)s",
            "stdout_logfile=/tmp/d.log\nstderr_logfile=/tmp/d.log",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile=/tmp/f.log\nstderr_logfile=/tmp/f.log",
        ];
        for (i, extra) in logs.iter().enumerate() {
            let _ = write!(text, "[program:p{i}]\ncommand=/bin/cat\n{extra}\n");
        }
        std::fs::write(dir.path().join("supervisord.conf"), text).expect("write");
        let env = crate::env::Env::for_test(dir.path(), &[]);
        let path = dir.path().join("supervisord.conf");
        let compiled = crate::compile(&path, &env, &crate::Options::default()).expect("readable");
        let live = super::super::live_processes(&compiled.resolved);
        let cx = Context {
            tree: &compiled.tree,
            resolved: &compiled.resolved,
            env: &env,
            live,
            per_section: Vec::new(),
        };
        let found = |hash: &dyn Fn(&str) -> u64| {
            let mut d = Diagnostics::new();
            report_shared_logs(&cx, &mut d, hash);
            d.into_vec()
        };
        let real = found(&|p| rustc_hash::FxBuildHasher.hash_one(p));
        assert_eq!(real.len(), 4, "{real:#?}");
        assert_eq!(real, found(&|_| 0));
        assert_eq!(real, found(&|p| p.len() as u64));
        assert_eq!(real, found(&|p| u64::from(p.as_bytes()[p.len() - 5])));
    }

    #[test]
    fn regular_paths() {
        assert!(is_regular_path("/var/log/app.log"));
        assert!(is_regular_path("app.log"));
        for p in [
            "AUTO",
            "NONE",
            "/dev/stdout",
            "/dev/fd/1",
            "/proc/self/fd/2",
            "/proc/1/fd/1",
        ] {
            assert!(!is_regular_path(p), "{p}");
        }
    }

    #[test]
    fn empty_command_is_all_blanks() {
        // what `empty_command` relies on: the split is empty exactly when every
        // character is a blank (anything else is a token or a quote/escape error)
        for cmd in [
            "", " ", " \t\r\n", "a", " a ", "''", "\"\"", "\\", "'", "\u{a0}", "\u{b}", "# x",
        ] {
            let split_empty = python::shlex_split_posix(cmd).is_ok_and(|argv| argv.is_empty());
            assert_eq!(cmd.chars().all(python::shlex_blank), split_empty, "{cmd:?}");
        }
    }

    #[test]
    fn normal_paths() {
        for p in ["/a/b", "a", "a/b.log", "/var/log/x-1.log"] {
            assert!(is_normal(p), "{p}");
            assert_eq!(python::normpath(p), p);
        }
        for p in [
            "", "/", "//a", "/a//b", "a/", "./a", "/a/../b", "/a/./b", "../a",
        ] {
            assert!(!is_normal(p), "{p}");
        }
    }

    #[test]
    fn lists() {
        let l = |v: &[&str]| and_list(&v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>());
        assert_eq!(l(&["a"]), "a");
        assert_eq!(l(&["a", "b"]), "a and b");
        assert_eq!(l(&["a", "b", "c"]), "a, b and c");
    }
}
