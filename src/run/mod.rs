//! `svconf run`: executes a launch plan with supervisord 4.3.0's process semantics
//! (`spec/runtime.md`).
//!
//! One thread and one `mio` poll: child output pipes, the signal pipe (`signal-hook`) and
//! the next deadline are waited on together, so an exit, a line of output or a timer is
//! handled when it happens, and an idle launcher never wakes up. The state machine is
//! supervisord's (`process.py`): after every wake-up the launcher makes the same pass
//! supervisord makes once a second ([`Launcher::transitions`]), so the states, counters and
//! messages are supervisord's while the delays are exact. Where svconf departs from
//! supervisord on purpose, the spec marks it `[svconf]` and the comment here says so.
//!
//! Submodules: [`spawn`] (fork/exec), [`logfile`] (rotating child logs, AUTO files),
//! [`activity`] (the launcher's own log), [`syslog`].

mod activity;
mod logfile;
mod spawn;
mod syslog;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::errno::Errno;
use nix::libc;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
use signal_hook_mio::v1_0::Signals;

use activity::{ActivityLog, Level};
use logfile::RotatingFile;

use crate::emit::plan::{AutoRestart, Channel, GroupKind, Plan, Process, ServerUrlSource, Signal};
use crate::python::repr;

/// How `svconf run` behaves beyond what the plan says.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Exit once no process is running or scheduled: 0 when every process that ran ended
    /// with an expected exit code, 1 otherwise.
    pub exit_when_idle: bool,
    /// Become the child subreaper (`PR_SET_CHILD_SUBREAPER`), so orphans of the children are
    /// reaped here, as they would be if svconf were PID 1.
    pub subreaper: bool,
    /// What supervisord logs while reading the config (its parse warnings), logged at each
    /// start before `supervisord started`.
    pub startup_messages: Vec<(StartupLevel, String)>,
}

/// The level of a [`RunOptions::startup_messages`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StartupLevel {
    /// `WARN`.
    Warn,
    /// `INFO`.
    Info,
}

/// Produces the plan again on SIGHUP (re-reads the config or the plan file).
pub type Reload<'a> = Box<dyn FnMut() -> Result<Plan, String> + 'a>;

/// Exit code after an internal error (`EX_SOFTWARE`).
const EXIT_INTERNAL: u8 = 70;
/// Exit code when the launcher cannot start (supervisord's usage/config failures).
const EXIT_CANNOT_START: u8 = 2;
/// The largest chunk read from a child pipe at once (supervisord reads 128 KiB).
const CHUNK: usize = 128 * 1024;
/// Reads from a reaped child's pipe at most (8 MiB): far more than a pipe buffer holds, and a
/// bound when an orphaned grandchild keeps writing into it.
const DRAIN_READS: usize = 64;
/// Reads from one pipe per wake-up before the others get their turn.
const READS_PER_TURN: usize = 16;
/// [svconf] The respawn after an exit from RUNNING waits this long (supervisord's 1 s poll,
/// spec §a.8).
const RESPAWN_DELAY: Duration = Duration::from_secs(1);
/// `waiting for … to die` is repeated at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(3);

const SIGNAL_TOKEN: Token = Token(0);

/// Runs the plan until a TERM/INT/QUIT shutdown (0), `--exit-when-idle` (0 or 1) or an
/// internal error (70). Returns the exit code.
pub fn run(plan: Plan, reload: Option<Reload<'_>>, options: &RunOptions) -> u8 {
    // what reading the plan needed is not needed again
    release_free_memory();
    let mut log = ActivityLog::stderr();
    if let Err(message) = prepare_launcher(&plan, options) {
        log.log(Level::Critical, &message);
        return EXIT_CANNOT_START;
    }
    let mut launcher = match Launcher::new(plan, reload, options.clone(), log) {
        Ok(l) => l,
        Err(e) => {
            ActivityLog::stderr().log(Level::Critical, &format!("cannot start: {e}"));
            return EXIT_CANNOT_START;
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| launcher.main()));
    let code = if let Ok(code) = outcome {
        code
    } else {
        launcher.emergency_stop("an internal error (panic)");
        EXIT_INTERNAL
    };
    launcher.remove_pidfile();
    code
}

/// What the launcher itself needs before it can start children: its own fds, limits and user.
fn prepare_launcher(plan: &Plan, options: &RunOptions) -> Result<(), String> {
    // fds 0-2 must be open, or a pipe could land there and dup2 onto itself would keep
    // its close-on-exec flag
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) only inspects the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            let null = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
                .map_err(|e| format!("cannot open /dev/null: {e}"))?;
            std::mem::forget(null);
        }
    }
    // fds inherited from whoever started us must not reach the children (spec §f)
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        let fds: Vec<i32> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|fd| *fd > 2)
            .collect();
        for fd in fds {
            // SAFETY: setting FD_CLOEXEC on a descriptor (or failing on a closed one) has no
            // other effect.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    }
    // a parent may have started us with these blocked; blocked, a child's exit or a TERM
    // would never wake the loop
    let mut handled = nix::sys::signal::SigSet::empty();
    for sig in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGQUIT,
        nix::sys::signal::Signal::SIGHUP,
        nix::sys::signal::Signal::SIGUSR2,
        nix::sys::signal::Signal::SIGCHLD,
    ] {
        handled.add(sig);
    }
    let _ = nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_UNBLOCK,
        Some(&handled),
        None,
    );
    if options.subreaper {
        nix::sys::prctl::set_child_subreaper(true)
            .map_err(|e| format!("cannot become a subreaper: {e}"))?;
    }
    raise_limit(
        nix::sys::resource::Resource::RLIMIT_NOFILE,
        plan.launcher.minfds,
    );
    raise_limit(
        nix::sys::resource::Resource::RLIMIT_NPROC,
        plan.launcher.minprocs,
    );
    if let Some(uid) = plan.launcher.uid {
        drop_launcher_privileges(uid)?;
    }
    Ok(())
}

/// supervisord's `set_rlimits`: raise the soft limit to `min` when the hard limit allows.
/// [svconf] A hard limit below `min` is not fatal (supervisord refuses to start).
fn raise_limit(resource: nix::sys::resource::Resource, min: i64) {
    let Ok(min) = u64::try_from(min) else { return };
    if let Ok((soft, hard)) = nix::sys::resource::getrlimit(resource) {
        // root may raise the hard limit too, as supervisord does; anyone may raise the soft
        // one up to the hard one
        if soft < min && nix::sys::resource::setrlimit(resource, min, hard.max(min)).is_err() {
            let _ = nix::sys::resource::setrlimit(resource, min.min(hard), hard);
        }
    }
}

/// `[supervisord] user=`: supervisord's `drop_privileges` for the launcher itself.
fn drop_launcher_privileges(uid: i64) -> Result<(), String> {
    let Some(credentials) = spawn::switch_to(uid)? else {
        return Ok(());
    };
    let groups: Vec<nix::unistd::Gid> = credentials
        .groups
        .iter()
        .map(|&g| nix::unistd::Gid::from_raw(g))
        .collect();
    nix::unistd::setgroups(&groups).map_err(|_| "Could not set groups of effective user")?;
    nix::unistd::setgid(nix::unistd::Gid::from_raw(credentials.gid))
        .map_err(|_| "Could not set group id of effective user")?;
    nix::unistd::setuid(nix::unistd::Uid::from_raw(credentials.uid))
        .map_err(|e| format!("Could not set user id: {e}"))?;
    Ok(())
}

/// supervisord's process states (`states.ProcessStates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Stopped,
    Starting,
    Running,
    Backoff,
    Stopping,
    Exited,
    Fatal,
    Unknown,
}

impl State {
    /// `STOPPED_STATES`: what shutdown waits for.
    fn stopped_like(self) -> bool {
        matches!(
            self,
            State::Stopped | State::Exited | State::Fatal | State::Unknown
        )
    }
}

/// The launcher's mood (`SupervisorStates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mood {
    Running,
    Restarting,
    Shutdown,
}

/// Where one output channel of a running child goes.
#[derive(Debug)]
struct Output {
    /// The parent's read end; None after EOF.
    fd: Option<OwnedFd>,
    file: Option<RotatingFile>,
    syslog: bool,
    /// A write error was already logged for this spawn.
    failed: bool,
}

/// One process and supervisord's bookkeeping for it.
#[derive(Debug)]
struct Proc {
    /// The plan's process, without its environment (see `environment`).
    spec: Rc<Process>,
    /// The child's environment as `KEY=VALUE` entries, shared between processes: most of
    /// it is the launcher's own environment, the same for every process.
    environment: Rc<[Rc<str>]>,
    /// The name in single quotes, as supervisord 4.3.0 writes it in `spawned: 'x' …`.
    quoted_name: String,
    stopsignal: i32,
    state: State,
    pid: Option<libc::pid_t>,
    laststart: Option<Instant>,
    backoff: i64,
    /// End of the backoff wait (BACKOFF) or the SIGKILL deadline (STOPPING).
    delay: Option<Instant>,
    killing: bool,
    exitstatus: Option<i32>,
    /// [svconf] When an EXITED process is respawned.
    restart_at: Option<Instant>,
    stdin: Option<OwnedFd>,
    outputs: [Option<Output>; 2],
    /// The AUTO log file of each channel, made at launcher start.
    auto: [Option<PathBuf>; 2],
}

const CHANNELS: [&str; 2] = ["stdout", "stderr"];

/// A process of the plan and its environment as interned `KEY=VALUE` entries.
type Spec = (Rc<Process>, Rc<[Rc<str>]>);

/// What ended a run of the main loop.
enum Outcome {
    Exit(u8),
    Restart,
}

struct Launcher<'a> {
    /// The plan, without its processes (they are in `specs`).
    plan: Plan,
    /// The plan's processes in start order, each with its interned environment.
    specs: Vec<Spec>,
    reload: Option<Reload<'a>>,
    options: RunOptions,
    procs: Vec<Proc>,
    /// Members of each group, in start order; groups in start order.
    groups: Vec<Vec<usize>>,
    mood: Mood,
    /// Groups still to stop, last = next (None until shutdown starts).
    stop_groups: Option<Vec<usize>>,
    last_report: Option<Instant>,
    log: ActivityLog,
    poll: Poll,
    signals: Signals,
    /// Pipes with data left after their turn: (process, channel).
    pending: Vec<(usize, usize)>,
    buf: Vec<u8>,
    pid: libc::pid_t,
    /// The pidfile this launcher wrote, removed at exit.
    pidfile_written: Option<PathBuf>,
}

impl<'a> Launcher<'a> {
    fn new(
        plan: Plan,
        reload: Option<Reload<'a>>,
        options: RunOptions,
        log: ActivityLog,
    ) -> std::io::Result<Self> {
        let poll = Poll::new()?;
        let mut signals = Signals::new([SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2, SIGCHLD])?;
        poll.registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        let (plan, specs) = split_plan(plan);
        Ok(Launcher {
            plan,
            specs,
            reload,
            options,
            procs: Vec::new(),
            groups: Vec::new(),
            mood: Mood::Running,
            stop_groups: None,
            last_report: None,
            log,
            poll,
            signals,
            pending: Vec::new(),
            buf: vec![0; CHUNK],
            pid: nix::unistd::getpid().as_raw(),
            pidfile_written: None,
        })
    }

    /// Runs generations (a HUP starts a new one) until the launcher exits.
    fn main(&mut self) -> u8 {
        loop {
            self.start_generation();
            release_free_memory();
            match self.serve() {
                Outcome::Exit(code) => return code,
                Outcome::Restart => self.reload_plan(),
            }
        }
    }

    /// On HUP, once everything is stopped: the plan again, or the old one if it is broken.
    fn reload_plan(&mut self) {
        let Some(reload) = self.reload.as_mut() else {
            return;
        };
        match reload() {
            Ok(plan) => (self.plan, self.specs) = split_plan(plan),
            // [svconf] supervisord exits 2 here; a typo must not take a container down
            Err(e) => self.log.log(
                Level::Error,
                &format!("cannot reload, keeping the previous configuration: {e}"),
            ),
        }
    }

    /// Fresh state from the plan: logs configured, AUTO files made, processes listed.
    fn start_generation(&mut self) {
        let l = &self.plan.launcher;
        self.log.configure(
            &l.logfile,
            l.logfile_maxbytes,
            l.logfile_backups,
            l.loglevel,
            l.silent,
        );
        self.mood = Mood::Running;
        self.stop_groups = None;
        self.last_report = None;
        self.pending.clear();
        for (level, message) in &self.options.startup_messages {
            let level = match level {
                StartupLevel::Warn => Level::Warn,
                StartupLevel::Info => Level::Info,
            };
            self.log.log(level, message);
        }
        if self.write_pidfile() {
            let message = format!("supervisord started with pid {}", self.pid);
            self.log.log(Level::Info, &message);
        }

        let index: HashMap<&str, usize> = self
            .specs
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (p.full_name.as_str(), i))
            .collect();
        let mut in_group = vec![false; self.specs.len()];
        let mut groups = Vec::new();
        for group in &self.plan.groups {
            let unsupported = match group.kind {
                GroupKind::Eventlistener => Some("event listener pools"),
                GroupKind::FcgiProgram => Some("fcgi-program sockets"),
                GroupKind::Program | GroupKind::Group => None,
            };
            if let Some(what) = unsupported {
                self.log.log(
                    Level::Warn,
                    &format!(
                        "svconf run does not support {what} yet: {} is not started",
                        repr(&group.name)
                    ),
                );
                continue;
            }
            let members: Vec<usize> = group
                .processes
                .iter()
                .filter_map(|name| index.get(name.as_str()).copied())
                .collect();
            for &m in &members {
                in_group[m] = true;
            }
            groups.push(members);
        }
        // processes in the plan's order, which is the start order
        let mut proc_of_spec = vec![usize::MAX; self.specs.len()];
        let mut procs = Vec::new();
        for (s, (spec, environment)) in self.specs.iter().enumerate() {
            if in_group[s] {
                proc_of_spec[s] = procs.len();
                procs.push(Proc::new(spec.clone(), environment.clone()));
            }
        }
        self.procs = procs;
        self.groups = groups
            .into_iter()
            .map(|members| {
                let mut m: Vec<usize> = members.into_iter().map(|s| proc_of_spec[s]).collect();
                m.sort_unstable();
                m
            })
            .collect();

        for p in &self.procs {
            if p.spec.stdout.capture_maxbytes > 0 || p.spec.stderr.capture_maxbytes > 0 {
                self.log.log(
                    Level::Warn,
                    &format!(
                        "{}: capture mode is not supported by svconf run; its output is logged verbatim",
                        p.spec.name
                    ),
                );
            }
        }
        self.warn_slow_shutdown();
        self.make_auto_logs();
    }

    /// Groups are stopped one after the other, each waiting up to its `stopwaitsecs`: warn
    /// when that can outlast a container runtime's usual 10 s between TERM and KILL (spec §b).
    fn warn_slow_shutdown(&mut self) {
        let worst: i64 = self
            .groups
            .iter()
            .map(|members| {
                members
                    .iter()
                    .map(|&i| self.procs[i].spec.stopwaitsecs)
                    .max()
                    .unwrap_or(0)
            })
            .fold(0i64, i64::saturating_add);
        if worst > 10 {
            self.log.log(
                Level::Warn,
                &format!(
                    "an ordered shutdown can take up to {worst} s (groups stop one after the other, each waiting up to its stopwaitsecs); a container runtime that kills after 10 s would cut it short"
                ),
            );
        }
    }

    /// supervisord's `clear_autochildlogdir` (unless `nocleanup`), then one new AUTO file
    /// per process and channel, even for processes that will not start.
    fn make_auto_logs(&mut self) {
        let l = &self.plan.launcher;
        if !l.nocleanup {
            match logfile::clear_auto_dir(&l.childlogdir, &l.identifier) {
                Ok(failed) => {
                    for path in failed {
                        self.log.log(
                            Level::Warn,
                            &format!("Failed to clean up {}", repr(&path.display().to_string())),
                        );
                    }
                }
                Err(_) => self.log.log(Level::Warn, "Could not clear childlog dir"),
            }
        }
        for i in 0..self.procs.len() {
            for (ch, channel_name) in CHANNELS.iter().enumerate() {
                let p = &self.procs[i];
                if ch == 1 && p.spec.redirect_stderr {
                    continue;
                }
                let Some(auto) = channel(&p.spec, ch).auto.clone() else {
                    continue;
                };
                match logfile::make_auto(&auto.dir, &auto.prefix, &auto.suffix) {
                    Ok(path) => self.procs[i].auto[ch] = Some(path),
                    Err(e) => self.log.log(
                        Level::Error,
                        &format!(
                            "cannot create the AUTO {channel_name} log of {} in {}: {e}",
                            p.spec.name, auto.dir
                        ),
                    ),
                }
            }
        }
    }

    /// Writes the pidfile; true when it was written (supervisord logs `started` only then).
    fn write_pidfile(&mut self) -> bool {
        let path = &self.plan.launcher.pidfile;
        if path.is_empty() {
            return true;
        }
        if std::fs::write(path, format!("{}\n", self.pid)).is_err() {
            let message = format!("could not write pidfile {path}");
            self.log.log(Level::Critical, &message);
            return false;
        }
        self.pidfile_written = Some(PathBuf::from(path));
        true
    }

    /// Removes the pidfile this launcher wrote (not one it failed to write).
    fn remove_pidfile(&self) {
        if let Some(path) = &self.pidfile_written {
            let _ = std::fs::remove_file(path);
        }
    }

    /// The main loop of one generation.
    fn serve(&mut self) -> Outcome {
        let mut events = Events::with_capacity(256);
        loop {
            let now = Instant::now();
            self.reap(now);
            self.transitions(now);
            if self.mood == Mood::Running {
                if self.options.exit_when_idle && self.idle() {
                    let code = self.idle_code();
                    self.log.log(
                        Level::Info,
                        &format!("no process is running or scheduled: exiting with {code} (--exit-when-idle)"),
                    );
                    return Outcome::Exit(code);
                }
            } else if let Some(outcome) = self.shutdown_step(now) {
                return outcome;
            }

            let timeout = if self.pending.is_empty() {
                self.next_deadline()
                    .map(|d| d.saturating_duration_since(Instant::now()) + Duration::from_millis(1))
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                self.log
                    .log(Level::Critical, &format!("the event loop failed: {e}"));
                self.emergency_stop("a failed event loop");
                return Outcome::Exit(EXIT_INTERNAL);
            }
            let mut signalled = false;
            for event in &events {
                if event.token() == SIGNAL_TOKEN {
                    signalled = true;
                } else if let Some((i, ch)) = decode_token(event.token()) {
                    if !self.pending.contains(&(i, ch)) {
                        self.pending.push((i, ch));
                    }
                }
            }
            self.service_pipes();
            if signalled {
                let received: Vec<i32> = self.signals.pending().collect();
                for sig in received {
                    self.handle_signal(sig);
                }
            }
        }
    }

    /// Reads every pipe with data, a bounded amount each, keeping the rest for the next turn.
    fn service_pipes(&mut self) {
        let turn = std::mem::take(&mut self.pending);
        for (i, ch) in turn {
            if self.read_pipe(i, ch, READS_PER_TURN) {
                self.pending.push((i, ch));
            }
        }
    }

    /// Reads up to `max_reads` chunks; true if the pipe may hold more.
    fn read_pipe(&mut self, i: usize, ch: usize, max_reads: usize) -> bool {
        let mut buf = std::mem::take(&mut self.buf);
        let mut more = false;
        for n in 0..=max_reads {
            let Some(fd) = self
                .procs
                .get(i)
                .and_then(|p| p.outputs[ch].as_ref()?.fd.as_ref())
            else {
                break;
            };
            if n == max_reads {
                more = true;
                break;
            }
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    self.close_pipe(i, ch);
                    break;
                }
                Ok(len) => self.write_output(i, ch, &buf[..len]),
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => break,
                Err(_) => {
                    self.close_pipe(i, ch);
                    break;
                }
            }
        }
        self.buf = buf;
        more
    }

    fn close_pipe(&mut self, i: usize, ch: usize) {
        if let Some(out) = self.procs[i].outputs[ch].as_mut() {
            if let Some(fd) = out.fd.take() {
                let _ = self
                    .poll
                    .registry()
                    .deregister(&mut SourceFd(&fd.as_raw_fd()));
            }
        }
    }

    /// One chunk of a child's output to its log file and syslog.
    fn write_output(&mut self, i: usize, ch: usize, chunk: &[u8]) {
        let stripped;
        let chunk = if self.plan.launcher.strip_ansi {
            stripped = strip_escapes(chunk);
            &stripped[..]
        } else {
            chunk
        };
        if self.log.enabled(Level::Debug) {
            // supervisord copies child output into its own log at loglevel=debug
            let text = std::str::from_utf8(chunk).map_or_else(
                |_| format!("Undecodable: {}", python_bytes_repr(chunk)),
                str::to_string,
            );
            let message = format!(
                "{} {} output:\n{text}",
                repr(&self.procs[i].spec.name),
                CHANNELS[ch]
            );
            self.log.log(Level::Debug, &message);
        }
        let p = &mut self.procs[i];
        let name = p.spec.name.clone();
        let Some(out) = p.outputs[ch].as_mut() else {
            return;
        };
        if out.syslog {
            syslog::send_lines(&name, chunk);
        }
        let mut failure = None;
        if let Some(file) = out.file.as_mut() {
            if let Err(e) = file.write(chunk) {
                if !out.failed {
                    out.failed = true;
                    failure = Some(format!(
                        "cannot write the {} log of {name} to {}: {e}; its output is dropped",
                        CHANNELS[ch],
                        file.path().display()
                    ));
                }
            }
        }
        if let Some(message) = failure {
            self.log.log(Level::Error, &message);
        }
    }

    fn handle_signal(&mut self, sig: i32) {
        let name = signame(sig);
        match sig {
            SIGTERM | SIGINT | SIGQUIT => {
                self.log.log(
                    Level::Warn,
                    &format!("received {name} indicating exit request"),
                );
                self.mood = Mood::Shutdown;
            }
            SIGHUP => {
                if self.mood == Mood::Shutdown {
                    self.log.log(
                        Level::Warn,
                        &format!(
                            "ignored {name} indicating restart request (shutdown in progress)"
                        ),
                    );
                } else {
                    self.log.log(
                        Level::Warn,
                        &format!("received {name} indicating restart request"),
                    );
                    self.mood = Mood::Restarting;
                }
            }
            SIGUSR2 => {
                self.log.log(
                    Level::Info,
                    &format!("received {name} indicating log reopen request"),
                );
                self.log.log(Level::Info, "supervisord logreopen");
                self.log.reopen();
                self.reopen_child_logs();
            }
            SIGCHLD => {
                self.log.log(
                    Level::Debug,
                    &format!("received {name} indicating a child quit"),
                );
                self.reap(Instant::now());
            }
            _ => {}
        }
    }

    fn reopen_child_logs(&mut self) {
        let mut errors = Vec::new();
        for p in &mut self.procs {
            for out in p.outputs.iter_mut().flatten() {
                if let Some(file) = out.file.as_mut() {
                    out.failed = false;
                    if let Err(e) = file.reopen() {
                        errors.push(format!("cannot reopen {}: {e}", file.path().display()));
                    }
                }
            }
        }
        for e in errors {
            self.log.log(Level::Error, &e);
        }
    }

    /// `waitpid(-1, WNOHANG)` until nothing is left: children and, as PID 1 or subreaper,
    /// orphans.
    fn reap(&mut self, now: Instant) {
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes only to `status`.
            let pid = unsafe { libc::waitpid(-1, &raw mut status, libc::WNOHANG) };
            if pid > 0 {
                if let Some(i) = self.procs.iter().position(|p| p.pid == Some(pid)) {
                    self.finish(i, status, now);
                } else {
                    let (_, msg) = decode_wait_status(status);
                    self.log
                        .log(Level::Info, &format!("reaped unknown pid {pid} ({msg})"));
                }
            } else if pid != -1 || Errno::last() != Errno::EINTR {
                break;
            }
        }
    }

    /// supervisord's `Subprocess.finish`: the child was reaped.
    fn finish(&mut self, i: usize, status: i32, now: Instant) {
        // no output is lost: what the child wrote before it died is still in the pipes
        for ch in 0..2 {
            self.read_pipe(i, ch, DRAIN_READS);
            self.close_pipe(i, ch);
        }
        self.pending.retain(|(p, _)| *p != i);
        let (es, msg) = decode_wait_status(status);
        let p = &mut self.procs[i];
        p.outputs = [None, None];
        p.stdin = None;
        p.pid = None;
        let startsecs = secs(p.spec.startsecs);
        let too_quickly = p
            .laststart
            .is_some_and(|t| now.saturating_duration_since(t) < startsecs);
        let expected = p.spec.exitcodes.contains(&i64::from(es));
        let name = p.spec.name.clone();
        if p.killing {
            p.killing = false;
            p.delay = None;
            p.exitstatus = Some(es);
            p.state = State::Stopped;
            let level = if expected { Level::Info } else { Level::Warn };
            self.log.log(level, &format!("stopped: {name} ({msg})"));
        } else if too_quickly && p.state == State::Starting {
            p.exitstatus = None;
            self.log.log(
                Level::Warn,
                &format!("exited: {name} ({msg}; not expected)"),
            );
            self.enter_backoff(i, now);
        } else {
            p.delay = None;
            p.backoff = 0;
            p.exitstatus = Some(es);
            if p.state == State::Starting {
                // [svconf] log `success:` before `exited:` (spec §a.7)
                self.enter_running(i);
            }
            let p = &mut self.procs[i];
            p.state = State::Exited;
            let restart = match p.spec.autorestart {
                AutoRestart::Always => true,
                AutoRestart::Unexpected => !expected,
                AutoRestart::Never => false,
            };
            p.restart_at = restart.then(|| now + RESPAWN_DELAY);
            if expected {
                self.log
                    .log(Level::Info, &format!("exited: {name} ({msg}; expected)"));
            } else {
                self.log.log(
                    Level::Warn,
                    &format!("exited: {name} ({msg}; not expected)"),
                );
            }
        }
    }

    fn enter_backoff(&mut self, i: usize, now: Instant) {
        let p = &mut self.procs[i];
        p.state = State::Backoff;
        p.backoff += 1;
        p.delay = after(now, p.backoff);
    }

    fn enter_running(&mut self, i: usize) {
        let p = &mut self.procs[i];
        p.state = State::Running;
        p.backoff = 0;
        p.delay = None;
        let message = format!(
            "success: {} entered RUNNING state, process has stayed up for > than {} seconds (startsecs)",
            p.spec.name, p.spec.startsecs
        );
        self.log.log(Level::Info, &message);
    }

    fn give_up(&mut self, i: usize) {
        let p = &mut self.procs[i];
        p.state = State::Fatal;
        p.backoff = 0;
        p.delay = None;
    }

    /// supervisord's `Subprocess.transition` for every process, in start order.
    fn transitions(&mut self, now: Instant) {
        for i in 0..self.procs.len() {
            let p = &self.procs[i];
            if self.mood == Mood::Running {
                let start = match p.state {
                    State::Exited => p.restart_at.is_some_and(|t| now >= t),
                    State::Stopped => p.laststart.is_none() && p.spec.autostart,
                    State::Backoff => {
                        p.backoff <= p.spec.startretries && p.delay.is_some_and(|d| now >= d)
                    }
                    _ => false,
                };
                if start {
                    self.spawn(i);
                }
            }
            let p = &self.procs[i];
            match p.state {
                State::Starting
                    if p.laststart.is_some_and(|t| {
                        now.saturating_duration_since(t) > secs(p.spec.startsecs)
                    }) =>
                {
                    self.enter_running(i);
                }
                State::Backoff if p.backoff > p.spec.startretries => {
                    let name = p.spec.name.clone();
                    self.give_up(i);
                    self.log.log(
                        Level::Info,
                        &format!("gave up: {name} entered FATAL state, too many start retries too quickly"),
                    );
                }
                State::Stopping if p.delay.is_some_and(|d| now >= d) => {
                    let message = format!(
                        "killing {} ({}) with SIGKILL",
                        p.quoted_name,
                        p.pid.unwrap_or_default()
                    );
                    self.log.log(Level::Warn, &message);
                    self.kill(i, libc::SIGKILL, now);
                }
                _ => {}
            }
        }
    }

    /// supervisord's `Subprocess.spawn`.
    fn spawn(&mut self, i: usize) {
        // each spawn takes its own time: a burst of 200 forks lasts long enough to matter
        let now = Instant::now();
        let p = &mut self.procs[i];
        p.laststart = Some(now);
        p.restart_at = None;
        p.state = State::Starting;
        let prepared = match spawn::prepare(&p.spec, &p.environment) {
            Ok(prepared) => prepared,
            Err(message) => return self.spawn_error(i, &message, now),
        };
        let quoted = p.quoted_name.clone();
        let dispatcher_error = |e: Errno| {
            if e == Errno::EMFILE {
                format!("too many open files to spawn {quoted}")
            } else {
                format!("unknown error making dispatchers for {quoted}: {e:?}")
            }
        };
        // the child's stdin stays blocking: a reader must wait, not see EAGAIN
        let (stdin_read, stdin_write) = match pipe(false) {
            Ok(p) => p,
            Err(e) => return self.spawn_error(i, &dispatcher_error(e), now),
        };
        let (stdout_read, stdout_write) = match pipe(true) {
            Ok(p) => p,
            Err(e) => return self.spawn_error(i, &dispatcher_error(e), now),
        };
        let stderr_pipe = if p.spec.redirect_stderr {
            None
        } else {
            match pipe(true) {
                Ok(p) => Some(p),
                Err(e) => return self.spawn_error(i, &dispatcher_error(e), now),
            }
        };
        let mut outputs = [None, None];
        for (ch, slot) in outputs.iter_mut().enumerate() {
            if ch == 1 && stderr_pipe.is_none() {
                continue;
            }
            match open_sink(p, ch) {
                Ok(out) => *slot = Some(out),
                Err(e) => {
                    let errno = e.raw_os_error().map_or(Errno::EIO, Errno::from_raw);
                    return self.spawn_error(i, &dispatcher_error(errno), now);
                }
            }
        }
        let stdio = spawn::ChildStdio {
            stdin: &stdin_read,
            stdout: &stdout_write,
            stderr: stderr_pipe.as_ref().map(|(_, w)| w),
        };
        let pid = match spawn::spawn(&prepared, &stdio, self.pid) {
            Ok(pid) => pid,
            Err(e) => {
                let message = if e == Errno::EAGAIN {
                    format!("Too many processes in process table to spawn {quoted}")
                } else {
                    format!("unknown error during fork for {quoted}: {e:?}")
                };
                return self.spawn_error(i, &message, now);
            }
        };
        drop(stdin_read);
        drop(stdout_write);
        let stderr_read = stderr_pipe.map(|(r, _w)| r);
        let reads = [Some(stdout_read), stderr_read];
        for (ch, read) in reads.into_iter().enumerate() {
            let (Some(read), Some(out)) = (read, outputs[ch].as_mut()) else {
                continue;
            };
            let registered = self.poll.registry().register(
                &mut SourceFd(&read.as_raw_fd()),
                encode_token(i, ch),
                Interest::READABLE,
            );
            if registered.is_ok() {
                out.fd = Some(read);
                // output written before the registration is seen by the first read
                self.pending.push((i, ch));
            }
        }
        let p = &mut self.procs[i];
        p.pid = Some(pid);
        p.stdin = Some(stdin_write);
        p.outputs = outputs;
        p.delay = None;
        let message = format!("spawned: {} with pid {pid}", p.quoted_name);
        let startsecs = p.spec.startsecs;
        self.log.log(Level::Info, &message);
        if startsecs == 0 {
            // [svconf] RUNNING right after `spawned:`, before any exit is handled (spec §a.6)
            self.enter_running(i);
        }
    }

    fn spawn_error(&mut self, i: usize, message: &str, now: Instant) {
        self.log.log(Level::Info, &format!("spawnerr: {message}"));
        self.enter_backoff(i, now);
    }

    /// supervisord's `Subprocess.kill`.
    fn kill(&mut self, i: usize, sig: i32, now: Instant) {
        let p = &mut self.procs[i];
        if p.state == State::Backoff {
            p.state = State::Stopped;
            return;
        }
        let Some(pid) = p.pid else { return };
        let as_group = if p.state == State::Stopping {
            p.spec.killasgroup
        } else {
            p.spec.stopasgroup
        };
        let message = format!(
            "killing {} (pid {pid}) {}with signal {}",
            p.spec.name,
            if as_group { "process group " } else { "" },
            signame(sig)
        );
        // SIGKILL is repeated every stopwaitsecs for a process that survives it (D state);
        // supervisord's 1 s loop makes that at most once a second even with stopwaitsecs=0
        let wait = if p.state == State::Stopping {
            p.spec.stopwaitsecs.max(1)
        } else {
            p.spec.stopwaitsecs
        };
        p.killing = true;
        p.delay = after(now, wait);
        p.state = State::Stopping;
        let target = if as_group { -pid } else { pid };
        self.log.log(Level::Debug, &message);
        // SAFETY: kill only sends a signal.
        if unsafe { libc::kill(target, sig) } != 0 {
            let errno = Errno::last();
            if errno != Errno::ESRCH {
                let p = &mut self.procs[i];
                let message = format!("unknown problem killing {} ({pid}):{errno}", p.spec.name);
                p.state = State::Unknown;
                p.killing = false;
                p.delay = None;
                self.log.log(Level::Critical, &message);
            }
        }
    }

    /// One step of the ordered shutdown (spec §b): groups in reverse start order, the next
    /// one only once the current one is stopped. `Some` once everything is stopped.
    fn shutdown_step(&mut self, now: Instant) -> Option<Outcome> {
        let mut stop_groups = self
            .stop_groups
            .take()
            .unwrap_or_else(|| (0..self.groups.len()).collect());
        while let Some(&g) = stop_groups.last() {
            self.stop_all(g, now);
            if self.groups[g]
                .iter()
                .all(|&i| self.procs[i].state.stopped_like())
            {
                stop_groups.pop();
            } else {
                break;
            }
        }
        self.stop_groups = Some(stop_groups);
        let unstopped: Vec<&str> = self
            .procs
            .iter()
            .filter(|p| !p.state.stopped_like())
            .map(|p| p.spec.name.as_str())
            .collect();
        if unstopped.is_empty() {
            return Some(if self.mood == Mood::Restarting {
                Outcome::Restart
            } else {
                Outcome::Exit(0)
            });
        }
        if self.last_report.is_none_or(|t| now >= t + REPORT_EVERY) {
            let message = format!("waiting for {} to die", unstopped.join(", "));
            self.log.log(Level::Info, &message);
            self.last_report = Some(now);
        }
        None
    }

    /// supervisord's `ProcessGroup.stop_all`: by descending priority (ties: reverse start
    /// order), running ones get their stop signal, ones in BACKOFF give up silently.
    fn stop_all(&mut self, g: usize, now: Instant) {
        let mut members = self.groups[g].clone();
        members.sort_by_key(|&i| {
            (
                std::cmp::Reverse(self.procs[i].spec.priority),
                std::cmp::Reverse(i),
            )
        });
        for i in members {
            match self.procs[i].state {
                State::Running | State::Starting => {
                    let sig = self.procs[i].stopsignal;
                    self.kill(i, sig, now);
                }
                State::Backoff => self.give_up(i),
                _ => {}
            }
        }
    }

    /// The earliest moment a transition is due.
    fn next_deadline(&self) -> Option<Instant> {
        let running = self.mood == Mood::Running;
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for p in &self.procs {
            match p.state {
                State::Starting => consider(p.laststart.and_then(|t| after(t, p.spec.startsecs))),
                State::Backoff if running && p.backoff <= p.spec.startretries => consider(p.delay),
                State::Exited if running => consider(p.restart_at),
                State::Stopping => consider(p.delay),
                _ => {}
            }
        }
        if !running {
            consider(self.last_report.map(|t| t + REPORT_EVERY));
        }
        next
    }

    /// Nothing runs and nothing is scheduled.
    fn idle(&self) -> bool {
        self.procs
            .iter()
            .all(|p| p.state.stopped_like() && p.restart_at.is_none() && p.pid.is_none())
    }

    /// 0 when every process that ran ended EXITED with an expected code.
    fn idle_code(&self) -> u8 {
        let fine = self.procs.iter().all(|p| match p.state {
            State::Stopped => true,
            State::Exited => p
                .exitstatus
                .is_some_and(|es| p.spec.exitcodes.contains(&i64::from(es))),
            _ => false,
        });
        u8::from(!fine)
    }

    /// After an internal error: the stop signal to every child, SIGKILL to the ones still
    /// there after the sum of their `stopwaitsecs`, then every child reaped.
    fn emergency_stop(&mut self, why: &str) {
        self.log.log(
            Level::Critical,
            &format!("stopping every process after {why}"),
        );
        let mut budget = Duration::ZERO;
        let mut pids = Vec::new();
        for p in &self.procs {
            if let Some(pid) = p.pid {
                let target = if p.spec.stopasgroup { -pid } else { pid };
                // SAFETY: kill only sends a signal.
                unsafe { libc::kill(target, p.stopsignal) };
                budget = budget.saturating_add(secs(p.spec.stopwaitsecs));
                pids.push((pid, p.spec.killasgroup));
            }
        }
        let deadline = Instant::now().checked_add(budget);
        while deadline.is_none_or(|d| Instant::now() < d) && !pids.is_empty() {
            pids.retain(|(pid, _)| {
                // SAFETY: waitpid writes only to `status`.
                let mut status = 0;
                unsafe { libc::waitpid(*pid, &raw mut status, libc::WNOHANG) == 0 }
            });
            std::thread::sleep(Duration::from_millis(50));
        }
        for (pid, as_group) in &pids {
            // SAFETY: kill only sends a signal; waitpid writes only to `status`.
            unsafe {
                libc::kill(if *as_group { -pid } else { *pid }, libc::SIGKILL);
                let mut status = 0;
                libc::waitpid(*pid, &raw mut status, 0);
            }
        }
    }
}

impl Proc {
    fn new(spec: Rc<Process>, environment: Rc<[Rc<str>]>) -> Proc {
        let stopsignal = signal_number(&spec.stopsignal).unwrap_or(libc::SIGTERM);
        Proc {
            quoted_name: format!("'{}'", spec.name),
            spec,
            environment,
            stopsignal,
            state: State::Stopped,
            pid: None,
            laststart: None,
            backoff: 0,
            delay: None,
            killing: false,
            exitstatus: None,
            restart_at: None,
            stdin: None,
            outputs: [None, None],
            auto: [None, None],
        }
    }
}

/// Gives the heap freed by compiling the config (or parsing the plan) back to the system:
/// a launcher lives for months, and that memory would stay in its RSS.
fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
    drop_compiler_code_pages();
}

/// The launcher's binary also holds the compiler, whose code and tables stay mapped after
/// compiling. The read-only mappings of the executable that hold no private (modified)
/// page are dropped: they were never written, so dropping them only means a page is read
/// again from the page cache when it is used, and a long-running launcher keeps resident
/// only what it runs. (Mappings with private pages, such as relocated data, are left alone.)
fn drop_compiler_code_pages() {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return;
    };
    let Some(exe) = exe.to_str() else { return };
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut clean_readonly = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-') {
            // a mapping header: `start-end perms offset dev inode path`
            let perms = fields.next().unwrap_or_default();
            let path = fields.nth(3);
            current = None;
            if (perms == "r-xp" || perms == "r--p") && path == Some(exe) {
                if let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                ) {
                    current = Some((start, end));
                }
            }
        } else if first == "Anonymous:" {
            if let Some(range) = current.take() {
                if fields.next() == Some("0") {
                    clean_readonly.push(range);
                }
            }
        }
    }
    for (start, end) in clean_readonly {
        // SAFETY: a private, read-only file mapping without any private page is exactly
        // the file's contents; MADV_DONTNEED only unmaps pages that fault back in unchanged.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
    }
}

/// Takes the processes out of the plan, with their environments interned.
fn split_plan(mut plan: Plan) -> (Plan, Vec<Spec>) {
    let mut pool = HashSet::new();
    let processes = std::mem::take(&mut plan.processes);
    // a fresh vector: collecting in place would keep the processes' much larger buffer
    let mut specs = Vec::with_capacity(processes.len());
    for mut p in processes {
        let environment = intern_environment(&mut p, &mut pool);
        specs.push((Rc::new(p), Rc::from(environment)));
    }
    (plan, specs)
}

/// Moves the process's environment into `KEY=VALUE` entries taken from `pool`.
///
/// svconf serves no XML-RPC, so a `SUPERVISOR_SERVER_URL` naming supervisord's own HTTP
/// server would point nowhere (spec §f); a program's own `serverurl=` is passed through.
fn intern_environment(spec: &mut Process, pool: &mut HashSet<Rc<str>>) -> Vec<Rc<str>> {
    let drop_server_url = spec
        .server_url
        .as_ref()
        .filter(|s| s.source == ServerUrlSource::HttpServer)
        .map(|s| s.url.clone());
    let environment = std::mem::take(&mut spec.environment);
    let mut entries = Vec::with_capacity(environment.len());
    for (key, value) in environment {
        if key == "SUPERVISOR_SERVER_URL" && drop_server_url.as_deref() == Some(value.as_str()) {
            continue;
        }
        let entry = format!("{key}={value}");
        let shared = if let Some(existing) = pool.get(entry.as_str()) {
            existing.clone()
        } else {
            let new: Rc<str> = Rc::from(entry);
            pool.insert(new.clone());
            new
        };
        entries.push(shared);
    }
    entries
}

fn channel(spec: &Process, ch: usize) -> &Channel {
    if ch == 0 { &spec.stdout } else { &spec.stderr }
}

/// Opens a channel's log file for this spawn (supervisord's `make_dispatchers`).
fn open_sink(p: &Proc, ch: usize) -> std::io::Result<Output> {
    let c = channel(&p.spec, ch);
    let path = match (&c.logfile, &c.auto) {
        (Some(path), _) => Some(PathBuf::from(path)),
        (None, Some(_)) => Some(
            p.auto[ch]
                .clone()
                .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT))?,
        ),
        (None, None) => None,
    };
    let file = match path {
        Some(path) => Some(RotatingFile::open(&path, c.maxbytes, c.backups)?),
        None => None,
    };
    Ok(Output {
        fd: None,
        file,
        syslog: c.syslog,
        failed: false,
    })
}

/// A close-on-exec pipe; the read end does not block if `nonblocking_read`.
fn pipe(nonblocking_read: bool) -> Result<(OwnedFd, OwnedFd), Errno> {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    if nonblocking_read {
        nix::fcntl::fcntl(
            &read,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )?;
    }
    Ok((read, write))
}

fn encode_token(i: usize, ch: usize) -> Token {
    Token(1 + i * 2 + ch)
}

fn decode_token(token: Token) -> Option<(usize, usize)> {
    let n = token.0.checked_sub(1)?;
    Some((n / 2, n % 2))
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0))
}

/// `at + n` seconds; None ("never") when that is beyond what the clock can represent
/// (supervisord accepts any integer, e.g. `stopwaitsecs=9223372036854775807`).
fn after(at: Instant, n: i64) -> Option<Instant> {
    at.checked_add(secs(n))
}

/// supervisord's `decode_wait_status`: the exit code (-1 for a signal) and its description.
fn decode_wait_status(status: i32) -> (i32, String) {
    if libc::WIFEXITED(status) {
        let es = libc::WEXITSTATUS(status);
        (es, format!("exit status {es}"))
    } else if libc::WIFSIGNALED(status) {
        let mut msg = format!("terminated by {}", signame(libc::WTERMSIG(status)));
        if libc::WCOREDUMP(status) {
            msg.push_str(" (core dumped)");
        }
        (-1, msg)
    } else {
        (-1, format!("unknown status {status}"))
    }
}

/// supervisord's `signame`: the last `SIG*` name Python's `signal` module lists for the
/// number (`SIGPOLL` for 29), or `signal N`.
fn signame(sig: i32) -> String {
    match sig {
        29 => "SIGPOLL".to_string(),
        _ => crate::lower::convert::signal_name(sig)
            .map_or_else(|| format!("signal {sig}"), |name| format!("SIG{name}")),
    }
}

/// The number of a plan's signal, with the compiler's table (`RTMIN`, `IOT`, `CLD` …).
fn signal_number(signal: &Signal) -> Option<i32> {
    match signal {
        Signal::Number(n) => i32::try_from(*n).ok(),
        Signal::Name(name) => crate::lower::convert::signal_number(name).ok(),
    }
}

/// Python's `repr` of a `bytes` value: `b'...'` with `\\xNN` escapes.
fn python_bytes_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in data {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b == quote as u8 => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(quote);
    out
}

/// supervisord's `stripEscapes` (`strip_ansi=true`): drops `ESC [` … up to a terminator.
fn strip_escapes(s: &[u8]) -> Vec<u8> {
    const TERMINATORS: &[u8] = b"HfABCDRsuJKhlpm";
    let mut out = Vec::with_capacity(s.len());
    let mut show = true;
    let mut i = 0;
    while i < s.len() {
        if !show && TERMINATORS.contains(&s[i]) {
            show = true;
        } else if show {
            match s[i..].windows(2).position(|w| w == b"\x1b[") {
                None => {
                    out.extend_from_slice(&s[i..]);
                    return out;
                }
                Some(n) => {
                    out.extend_from_slice(&s[i..i + n]);
                    i += n;
                    show = false;
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_stripped_like_supervisord() {
        assert_eq!(strip_escapes(b"a\x1b[31mred\x1b[0m b"), b"ared b");
        assert_eq!(strip_escapes(b"plain"), b"plain");
    }

    #[test]
    fn wait_status_is_decoded_like_supervisord() {
        assert_eq!(decode_wait_status(3 << 8), (3, "exit status 3".into()));
        assert_eq!(decode_wait_status(9), (-1, "terminated by SIGKILL".into()));
        assert_eq!(
            decode_wait_status(6 | 0x80),
            (-1, "terminated by SIGABRT (core dumped)".into())
        );
    }

    #[test]
    fn tokens_round_trip() {
        for i in [0, 1, 7, 199] {
            for ch in 0..2 {
                assert_eq!(decode_token(encode_token(i, ch)), Some((i, ch)));
            }
        }
        assert_eq!(decode_token(SIGNAL_TOKEN), None);
    }
}
