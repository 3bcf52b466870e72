//! The harness for the `svconf run` tests (`tests/run_scenarios.rs`, `tests/run_faults.rs`):
//! a config in a tempdir, the built launcher running on it, and its activity log read line by
//! line as it is written.
//!
//! Why it is shaped this way:
//! - The runtime's contract is its activity log (spec `runtime.md` (e) and (h)), so a
//!   [`Launcher`] keeps every stderr line with the instant it was read and the launcher's own
//!   timestamp. Durations between two log lines use the launcher's timestamps (ms), so a busy
//!   test machine delays our reading but not the measured gap; actions "at t=X" use the
//!   instant the first `spawned:` line was read.
//! - Waits are events (a line, a file's content, a state in `/proc`) with generous time-outs,
//!   never fixed sleeps, except where the scenario itself says "at t=X".
//! - Nothing is left behind. Every launcher gets a unique `SVCONF_RUN_TEST_TAG` in its
//!   environment; the children inherit it (the plan copies the launcher's environment), and
//!   `Drop` SIGKILLs the launcher and every process whose `/proc/PID/environ` has the tag, also
//!   orphans and processes in a nested pid namespace. Killing by recorded pid or pgid alone
//!   is unsafe here: `pid_max` is 32768, so pids are reused during one test run; the
//!   children's process groups are swept too, but only for processes with no other tag.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::libc;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_svconf");

/// The spec's tolerance on every delay, in seconds ((a) "Tests should allow ±300 ms").
pub(crate) const TOL: f64 = 0.3;

/// How long any single wait may take before the test fails: generous, so that a busy
/// 2-core machine never makes a test flaky; a passing test never waits this long.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The variable that marks every process of one launcher (see the module docs).
pub(crate) const TAG_VAR: &str = "SVCONF_RUN_TEST_TAG";

/// The launcher's `PATH` unless a test says otherwise.
pub(crate) const BASE_PATH: &str = "/usr/bin:/bin";

/// The activity log's levels (spec (e)).
pub(crate) const LEVELS: [&str; 7] = ["CRIT", "ERRO", "WARN", "INFO", "DEBG", "TRAC", "BLAT"];

/// The `uid` the tests run an unprivileged launcher as (`nobody`).
pub(crate) const NOBODY: u32 = 65534;

static SEQ: AtomicUsize = AtomicUsize::new(0);

// ---------------------------------------------------------------------------
// the sandbox: a tempdir with the config and every file the launcher writes

/// A tempdir that holds one test's config, the launcher's log and pid file, and the
/// children's logs. `{dir}` in any text written through it becomes the tempdir's path.
pub(crate) struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("svconf-run-")
            .tempdir()
            .expect("tempdir");
        Self { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The tempdir's path as text.
    pub(crate) fn dir(&self) -> String {
        self.path().display().to_string()
    }

    /// A path below the tempdir.
    pub(crate) fn p(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// `text` with every `{dir}` replaced by the tempdir's path.
    pub(crate) fn fill(&self, text: &str) -> String {
        text.replace("{dir}", &self.dir())
    }

    /// Writes a file below the tempdir (parents created).
    pub(crate) fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.p(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&p, contents).expect("write");
        p
    }

    /// Makes a directory below the tempdir.
    pub(crate) fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.p(rel);
        fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// A file's text (lossy UTF-8); empty when it does not exist.
    pub(crate) fn read(&self, rel: &str) -> String {
        fs::read(self.p(rel))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Lets any user create files in the tempdir (for a launcher that is not root).
    pub(crate) fn open_to_everyone(&self) {
        fs::set_permissions(self.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
    }

    /// Writes `supervisord.conf`: a `[supervisord]` section that keeps everything in the
    /// tempdir (nodaemon, logfile, pidfile, childlogdir), then `programs`.
    pub(crate) fn config(&self, programs: &str) -> PathBuf {
        self.config_with("", programs)
    }

    /// [`Sandbox::config`] with extra `[supervisord]` lines.
    pub(crate) fn config_with(&self, supervisord_extra: &str, programs: &str) -> PathBuf {
        let text = format!(
            "[supervisord]\nnodaemon=true\nlogfile={{dir}}/supervisord.log\n\
             pidfile={{dir}}/supervisord.pid\nchildlogdir={{dir}}\n{supervisord_extra}\n\n{programs}\n"
        );
        self.write("supervisord.conf", self.fill(&text))
    }

    /// `svconf run CONFIG`, not started yet.
    pub(crate) fn run(&self, config: &Path) -> Launch {
        Launch {
            cwd: self.path().to_path_buf(),
            prefix: Vec::new(),
            args: vec!["run".into(), config.display().to_string()],
            env: vec![("PATH".into(), BASE_PATH.into())],
            forks: false,
        }
    }

    /// Writes the config with `programs` and starts `svconf run` on it.
    pub(crate) fn start(&self, programs: &str) -> Launcher {
        let conf = self.config(programs);
        self.run(&conf).start()
    }

    /// The names of the files in the tempdir, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.path())
            .expect("read_dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The AUTO log files of one process and channel
    /// (`NAME-CHANNEL---supervisor-XXXXXXXX.log`), sorted.
    pub(crate) fn auto_logs(&self, name: &str, channel: &str) -> Vec<String> {
        let prefix = format!("{name}-{channel}---supervisor-");
        self.names()
            .into_iter()
            .filter(|n| {
                n.starts_with(&prefix) && Path::new(n).extension().is_some_and(|e| e == "log")
            })
            .collect()
    }
}

/// Polls `rel`'s text until `pred` holds; panics with the text after `timeout`.
pub(crate) fn wait_file(path: &Path, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        if pred(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never reached the expected content; it holds:\n{text}",
            path.display()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The words that run a command as an unprivileged `uid` (and gid) with no groups.
pub(crate) fn as_user(uid: u32) -> Vec<String> {
    vec![
        "setpriv".into(),
        format!("--reuid={uid}"),
        format!("--regid={uid}"),
        "--clear-groups".into(),
    ]
}

// ---------------------------------------------------------------------------
// starting the launcher

/// A launcher command line, not started yet: `[PREFIX…] svconf ARGS` in the tempdir with a
/// cleared environment plus `PATH`, the tag, and what the test adds.
pub(crate) struct Launch {
    cwd: PathBuf,
    prefix: Vec<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    forks: bool,
}

impl Launch {
    /// Runs the launcher through a wrapper that `exec`s it (`setpriv`, `sh -c 'exec …'`): the
    /// wrapper's pid is the launcher's. The words are followed by the svconf binary.
    pub(crate) fn prefix<S: AsRef<str>>(mut self, words: &[S]) -> Self {
        self.prefix = words.iter().map(|w| w.as_ref().to_owned()).collect();
        self
    }

    /// Runs the launcher through a wrapper that forks it (`unshare -f`): the launcher is the
    /// wrapper's only child. Its pids in the log are not the host's.
    pub(crate) fn forking_prefix<S: AsRef<str>>(mut self, words: &[S]) -> Self {
        self.forks = true;
        self.prefix(words)
    }

    /// Adds arguments after the existing ones (`svconf run CONFIG ARGS`).
    pub(crate) fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Puts arguments between `run` and the config (`svconf run ARGS CONFIG`).
    pub(crate) fn flags(mut self, flags: &[&str]) -> Self {
        let rest = self.args.split_off(1);
        self.args.extend(flags.iter().map(|a| (*a).to_owned()));
        self.args.extend(rest);
        self
    }

    /// Replaces all arguments (`svconf ARGS`).
    pub(crate) fn replace_args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// Sets a variable in the launcher's environment.
    pub(crate) fn env(mut self, k: &str, v: &str) -> Self {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v.into()));
        self
    }

    /// Gives the launcher exactly these variables (no `PATH` unless listed), plus the tag.
    pub(crate) fn env_only(mut self, vars: &[(&str, &str)]) -> Self {
        self.env = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self
    }

    /// Starts it, with stdout and stderr piped to reader threads.
    pub(crate) fn start(self) -> Launcher {
        let tag = format!(
            "{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let mut words: Vec<String> = self.prefix.clone();
        words.push(BIN.into());
        words.extend(self.args.iter().cloned());
        let mut cmd = Command::new(&words[0]);
        cmd.args(&words[1..])
            .current_dir(&self.cwd)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.env(TAG_VAR, &tag);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {words:?}: {e}"));
        let shared = Arc::new(Shared::default());
        let stderr = child.stderr.take().expect("stderr piped");
        let s = Arc::clone(&shared);
        thread::spawn(move || read_lines(stderr, &s));
        let stdout_text = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().expect("stdout piped");
        let t = Arc::clone(&stdout_text);
        thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = [0u8; 8192];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                lock(&t).push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Launcher {
            child,
            status: None,
            exited_at: None,
            shared,
            stdout: stdout_text,
            tag: Some(tag),
            forks: self.forks,
            real_pid: OnceCell::new(),
            words,
        }
    }
}

// ---------------------------------------------------------------------------
// the activity log

/// One line the launcher wrote on stderr.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    /// Its position among all lines.
    pub(crate) index: usize,
    /// When the harness read it.
    pub(crate) at: Instant,
    /// The launcher's timestamp, in seconds (only differences mean anything).
    pub(crate) stamp: Option<f64>,
    /// `INFO`, `WARN`, …; empty for a line that is not in the log format.
    pub(crate) level: String,
    /// The text after the level (the whole line for one not in the log format).
    pub(crate) msg: String,
    /// The whole line.
    pub(crate) raw: String,
}

#[derive(Default)]
struct Shared {
    state: Mutex<LogState>,
    cond: Condvar,
}

#[derive(Default)]
struct LogState {
    lines: Vec<Line>,
    eof: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read_lines(stderr: impl Read, shared: &Shared) {
    let mut r = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let at = Instant::now();
        let raw = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        let (stamp, level, msg) = match parse_log_line(&raw) {
            Some((s, l, m)) => (Some(s), l.to_owned(), m.to_owned()),
            None => (None, String::new(), raw.clone()),
        };
        let mut st = lock(&shared.state);
        let index = st.lines.len();
        st.lines.push(Line {
            index,
            at,
            stamp,
            level,
            msg,
            raw,
        });
        shared.cond.notify_all();
    }
    lock(&shared.state).eof = true;
    shared.cond.notify_all();
}

/// Splits `YYYY-MM-DD HH:MM:SS,mmm LEVEL text` into (seconds, level, text); `None` for a line
/// that is not exactly in this format.
pub(crate) fn parse_log_line(raw: &str) -> Option<(f64, &str, &str)> {
    let bytes = raw.as_bytes();
    if bytes.len() < 29 || !raw.is_char_boundary(29) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let text = &raw[r];
        (text.bytes().all(|c| c.is_ascii_digit())).then(|| text.parse().ok())?
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b' '),
        (13, b':'),
        (16, b':'),
        (19, b','),
        (23, b' '),
        (28, b' '),
    ];
    if seps.iter().any(|&(i, c)| bytes[i] != c) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let millis = num(20..23)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let level = &raw[24..28];
    if !LEVELS.contains(&level) {
        return None;
    }
    let whole = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    #[allow(clippy::cast_precision_loss)] // seconds since 1970 fit a f64 exactly
    let stamp = whole as f64 + millis as f64 / 1000.0;
    Some((stamp, level, &raw[29..]))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A predicate on a log line: its text starts with `prefix`.
pub(crate) fn starts(prefix: &str) -> impl Fn(&Line) -> bool + '_ {
    move |l: &Line| l.msg.starts_with(prefix)
}

// ---------------------------------------------------------------------------
// the running launcher

/// A running `svconf run`; dropping it kills it and everything it started.
pub(crate) struct Launcher {
    child: Child,
    status: Option<ExitStatus>,
    exited_at: Option<Instant>,
    shared: Arc<Shared>,
    stdout: Arc<Mutex<String>>,
    tag: Option<String>,
    forks: bool,
    real_pid: OnceCell<i32>,
    words: Vec<String>,
}

impl Launcher {
    /// The launcher's pid on this host (for a forking wrapper: the wrapper's child).
    pub(crate) fn pid(&self) -> i32 {
        let own = i32::try_from(self.child.id()).expect("pid fits i32");
        if !self.forks {
            return own;
        }
        *self.real_pid.get_or_init(|| {
            let deadline = Instant::now() + WAIT;
            loop {
                if let Some(p) = children_of(own).first() {
                    return *p;
                }
                assert!(
                    Instant::now() < deadline,
                    "the wrapper never forked the launcher"
                );
                thread::sleep(Duration::from_millis(10));
            }
        })
    }

    /// The pid of the process we started (the wrapper, if there is one).
    pub(crate) fn wrapper_pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits i32")
    }

    /// Every line so far.
    pub(crate) fn lines(&self) -> Vec<Line> {
        lock(&self.shared.state).lines.clone()
    }

    /// The lines so far that satisfy `pred`.
    pub(crate) fn lines_matching(&self, pred: impl Fn(&Line) -> bool) -> Vec<Line> {
        lock(&self.shared.state)
            .lines
            .iter()
            .filter(|l| pred(l))
            .cloned()
            .collect()
    }

    /// The lines so far whose text starts with `prefix`.
    pub(crate) fn lines_with(&self, prefix: &str) -> Vec<Line> {
        self.lines_matching(starts(prefix))
    }

    /// How many lines so far start with `prefix`.
    pub(crate) fn count(&self, prefix: &str) -> usize {
        self.lines_with(prefix).len()
    }

    /// Waits until `pred` holds for all lines so far (re-checked at every new line) or
    /// `timeout` passes (or stderr closes); returns whether it held.
    pub(crate) fn wait_lines(&self, pred: impl Fn(&[Line]) -> bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = lock(&self.shared.state);
        loop {
            if pred(&st.lines) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || st.eof {
                return false;
            }
            st = self
                .shared
                .cond
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// The first line that satisfies `pred`, waiting up to `timeout` for it.
    pub(crate) fn try_wait_for_line(
        &self,
        pred: impl Fn(&Line) -> bool,
        timeout: Duration,
    ) -> Option<Line> {
        if self.wait_lines(|ls| ls.iter().any(&pred), timeout) {
            lock(&self.shared.state)
                .lines
                .iter()
                .find(|l| pred(l))
                .cloned()
        } else {
            None
        }
    }

    /// [`Launcher::try_wait_for_line`], failing the test (with the log) on a time-out.
    pub(crate) fn wait_for_line(&self, pred: impl Fn(&Line) -> bool, timeout: Duration) -> Line {
        match self.try_wait_for_line(pred, timeout) {
            Some(l) => l,
            None => panic!(
                "no such line within {timeout:?} (or the launcher closed stderr)\n{}",
                self.dump()
            ),
        }
    }

    /// Waits (up to [`WAIT`]) for a line whose text starts with `prefix`.
    pub(crate) fn wait_msg(&self, prefix: &str) -> Line {
        self.try_wait_for_line(starts(prefix), WAIT)
            .unwrap_or_else(|| panic!("no line `{prefix}…` within {WAIT:?}\n{}", self.dump()))
    }

    /// Waits (up to [`WAIT`]) until `n` lines start with `prefix`; returns them all.
    pub(crate) fn wait_count(&self, prefix: &str, n: usize) -> Vec<Line> {
        let ok = self.wait_lines(
            |ls| ls.iter().filter(|l| l.msg.starts_with(prefix)).count() >= n,
            WAIT,
        );
        assert!(
            ok,
            "fewer than {n} lines `{prefix}…` within {WAIT:?}\n{}",
            self.dump()
        );
        self.lines_with(prefix)
    }

    /// The line that sets t=0: the first `spawned:`, else the first `spawnerr:`.
    fn origin(&self) -> Option<Line> {
        let lines = self.lines();
        lines
            .iter()
            .find(|l| l.msg.starts_with("spawned: "))
            .or_else(|| lines.iter().find(|l| l.msg.starts_with("spawnerr: ")))
            .cloned()
    }

    /// The spec's t of a line: seconds since the first `spawned:` line.
    pub(crate) fn time_of(&self, l: &Line) -> f64 {
        let o = self
            .origin()
            .unwrap_or_else(|| panic!("no `spawned:` line yet\n{}", self.dump()));
        gap(&o, l)
    }

    /// Sleeps until t seconds after the first `spawned:` line was read (an action "at t=X").
    pub(crate) fn at(&self, t: f64) {
        if self.origin().is_none() {
            self.wait_for_line(
                |l| l.msg.starts_with("spawned: ") || l.msg.starts_with("spawnerr: "),
                WAIT,
            );
        }
        let o = self.origin().expect("origin line");
        let target = o.at + Duration::from_secs_f64(t);
        let now = Instant::now();
        if target > now {
            thread::sleep(target - now);
        }
    }

    /// Sends a signal to the launcher.
    pub(crate) fn signal(&self, sig: i32) {
        assert!(kill(self.pid(), sig), "kill({}, {sig}) failed", self.pid());
    }

    /// Whether the launcher (or its wrapper) is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        if self.status.is_some() {
            return false;
        }
        match self.child.try_wait() {
            Ok(Some(st)) => {
                self.status = Some(st);
                self.exited_at = Some(Instant::now());
                false
            }
            _ => true,
        }
    }

    /// Waits for the launcher to exit; fails the test (with the log) after `timeout`. Then
    /// waits briefly for the last lines of stderr.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        while self.is_running() {
            assert!(
                Instant::now() < deadline,
                "the launcher did not exit within {timeout:?}\n{}",
                self.dump()
            );
            thread::sleep(Duration::from_millis(10));
        }
        let until = Instant::now() + Duration::from_secs(2);
        let mut st = lock(&self.shared.state);
        while !st.eof && Instant::now() < until {
            st = self
                .shared
                .cond
                .wait_timeout(st, Duration::from_millis(50))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        drop(st);
        self.status.expect("exited")
    }

    /// When [`Launcher::wait_exit`] saw the exit.
    pub(crate) fn exited_at(&self) -> Option<Instant> {
        self.exited_at
    }

    /// Whether the launcher closed its stderr (it exited, and no child kept the pipe).
    pub(crate) fn stderr_closed(&self) -> bool {
        lock(&self.shared.state).eof
    }

    /// TERM, then the launcher must exit 0 (spec (g)) within [`WAIT`].
    pub(crate) fn stop_ok(&mut self) {
        self.signal(libc::SIGTERM);
        let st = self.wait_exit(WAIT);
        assert_eq!(
            st.code(),
            Some(0),
            "exit after TERM: {st:?}\n{}",
            self.dump()
        );
    }

    /// The `(name, pid)` of every `spawned: 'NAME' with pid PID` line, in order.
    pub(crate) fn spawned(&self) -> Vec<(String, i32)> {
        self.lines_with("spawned: '")
            .iter()
            .filter_map(|l| parse_spawned(&l.msg))
            .collect()
    }

    /// The pid of the last `spawned:` line of `name`.
    pub(crate) fn pid_of(&self, name: &str) -> i32 {
        self.spawned()
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, p)| p)
            .next_back()
            .unwrap_or_else(|| panic!("`{name}` was never spawned\n{}", self.dump()))
    }

    /// Waits until the last `spawned:` process of `name` runs `comm` (see [`wait_exec`]):
    /// before that, a stop signal can reach a child that has not exec'd yet.
    pub(crate) fn wait_exec_of(&self, name: &str, comm: &str) {
        let pid = self.pid_of(name);
        assert!(
            wait_exec(pid, comm),
            "`{name}` ({pid}) never ran `{comm}`: {:?}\n{}",
            stat(pid),
            self.dump()
        );
    }

    /// What the launcher printed on stdout.
    pub(crate) fn stdout(&self) -> String {
        lock(&self.stdout).clone()
    }

    /// Everything we know, for failure messages: the command, each stderr line with the time
    /// it was read (relative to the first line), and stdout.
    pub(crate) fn dump(&self) -> String {
        let lines = self.lines();
        let mut out = format!("--- launcher {:?} ---\n", self.words);
        let first = lines.first().map(|l| l.at);
        for l in &lines {
            let rel = first.map_or(0.0, |f| secs_between(f, l.at));
            let _ = writeln!(out, "[{rel:7.3}] {}", l.raw);
        }
        let so = self.stdout();
        if !so.is_empty() {
            let _ = write!(out, "--- stdout ---\n{so}");
        }
        out
    }

    /// Asserts |actual - expected| <= tol, with the log on failure.
    pub(crate) fn assert_near(&self, what: &str, actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol,
            "{what}: {actual:.3} s, expected {expected:.3} ± {tol} s\n{}",
            self.dump()
        );
    }

    /// Asserts that a line comes before another in the log.
    pub(crate) fn assert_before(&self, a: &Line, b: &Line) {
        assert!(
            a.index < b.index,
            "`{}` should come before `{}`\n{}",
            a.msg,
            b.msg,
            self.dump()
        );
    }

    /// Asserts that no line starts with `prefix`.
    pub(crate) fn assert_none(&self, prefix: &str) {
        let found = self.lines_with(prefix);
        assert!(
            found.is_empty(),
            "unexpected line `{}`\n{}",
            found[0].msg,
            self.dump()
        );
    }

    /// Processes of this launcher that are still there (by tag).
    pub(crate) fn tagged_pids(&self) -> Vec<i32> {
        self.tag.as_deref().map(tagged_pids).unwrap_or_default()
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        if std::env::var_os("SVCONF_RUN_TEST_DUMP").is_some() {
            eprintln!("{}", self.dump());
        }
        if self.status.is_none() {
            if self.forks {
                if let Some(p) = self.real_pid.get() {
                    kill(*p, libc::SIGKILL);
                }
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut left = self.group_leftovers();
            if let Some(tag) = &self.tag {
                left.extend(tagged_pids(tag));
            }
            let left: Vec<i32> = left.into_iter().filter(|p| alive(*p)).collect();
            if left.is_empty() || Instant::now() >= deadline {
                break;
            }
            for p in left {
                kill(p, libc::SIGKILL);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Launcher {
    /// The processes in the process groups of its children, for children that did not
    /// inherit the tag (`--clear-env`): those that carry no tag or
    /// ours, since a pid (and so a group id) may have been reused by another test. Never
    /// used inside a pid namespace (the logged pids are not the host's).
    fn group_leftovers(&self) -> Vec<i32> {
        if self.forks {
            return Vec::new();
        }
        let groups: Vec<i32> = self.spawned().into_iter().map(|(_, p)| p).collect();
        let ours = self.tag.as_ref().map(|t| format!("{TAG_VAR}={t}\0"));
        all_stats()
            .into_iter()
            .filter(|s| groups.contains(&s.pgrp))
            .filter(|s| {
                let env = environ(s.pid);
                !env.contains(TAG_VAR) || ours.as_ref().is_some_and(|o| env.contains(o))
            })
            .map(|s| s.pid)
            .collect()
    }
}

/// Seconds from `a` to `b`, by the launcher's timestamps when both have one.
pub(crate) fn gap(a: &Line, b: &Line) -> f64 {
    match (a.stamp, b.stamp) {
        (Some(x), Some(y)) => y - x,
        _ => secs_between(a.at, b.at),
    }
}

fn parse_spawned(msg: &str) -> Option<(String, i32)> {
    let rest = msg.strip_prefix("spawned: '")?;
    let (name, rest) = rest.split_once("' with pid ")?;
    Some((name.to_owned(), rest.trim().parse().ok()?))
}

fn secs_between(a: Instant, b: Instant) -> f64 {
    if b >= a {
        (b - a).as_secs_f64()
    } else {
        -(a - b).as_secs_f64()
    }
}

// ---------------------------------------------------------------------------
// /proc

/// The fields of `/proc/PID/stat` the tests look at.
#[derive(Clone, Debug)]
pub(crate) struct Stat {
    pub(crate) pid: i32,
    pub(crate) comm: String,
    pub(crate) state: char,
    pub(crate) ppid: i32,
    pub(crate) pgrp: i32,
    pub(crate) session: i32,
}

/// `/proc/PID/stat`, or `None` when the process is gone.
pub(crate) fn stat(pid: i32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let mut f = text[close + 1..].split_whitespace();
    let state = f.next()?.chars().next()?;
    let parent = f.next()?.parse().ok()?;
    let pgrp = f.next()?.parse().ok()?;
    let session = f.next()?.parse().ok()?;
    Some(Stat {
        pid,
        comm,
        state,
        ppid: parent,
        pgrp,
        session,
    })
}

/// Every process on the host.
pub(crate) fn all_stats() -> Vec<Stat> {
    let Ok(rd) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect()
}

/// The children of `ppid`.
pub(crate) fn children_of(ppid: i32) -> Vec<i32> {
    all_stats()
        .into_iter()
        .filter(|s| s.ppid == ppid)
        .map(|s| s.pid)
        .collect()
}

/// The zombies whose parent is `ppid`.
pub(crate) fn zombies_of(ppid: i32) -> Vec<Stat> {
    all_stats()
        .into_iter()
        .filter(|s| s.ppid == ppid && s.state == 'Z')
        .collect()
}

/// The live (not zombie) processes of a process group.
pub(crate) fn live_in_group(pgid: i32) -> Vec<Stat> {
    all_stats()
        .into_iter()
        .filter(|s| s.pgrp == pgid && s.state != 'Z')
        .collect()
}

/// Waits (up to [`WAIT`]) until `pid` runs the program `comm`: the launcher logs `spawned:`
/// right after the fork, and until the exec the child is still a copy of the launcher
/// (not yet in its own process group, signal handlers not yet reset).
pub(crate) fn wait_exec(pid: i32, comm: &str) -> bool {
    wait_until(WAIT, || stat(pid).is_some_and(|s| s.comm == comm))
}

/// Waits (up to [`WAIT`]) until a process of group `pgid` other than its leader runs `comm`:
/// for `sh -c 'trap …; while :; do sleep …; done'`, the trap is set once a `sleep` runs.
pub(crate) fn wait_member(pgid: i32, comm: &str) -> bool {
    wait_until(WAIT, || {
        live_in_group(pgid)
            .iter()
            .any(|s| s.pid != pgid && s.comm == comm)
    })
}

/// Whether a process exists and is not a zombie.
pub(crate) fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X')
}

/// `/proc/PID/environ` as text (NUL-separated), empty when unreadable.
pub(crate) fn environ(pid: i32) -> String {
    fs::read(format!("/proc/{pid}/environ"))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The processes whose environment holds `TAG_VAR=tag`.
pub(crate) fn tagged_pids(tag: &str) -> Vec<i32> {
    let needle = format!("{TAG_VAR}={tag}\0");
    let me = i32::try_from(std::process::id()).unwrap_or(0);
    all_stats()
        .into_iter()
        .map(|s| s.pid)
        .filter(|p| *p != me && environ(*p).contains(&needle))
        .collect()
}

/// `kill(pid, sig)`; true when the signal was sent.
pub(crate) fn kill(pid: i32, sig: i32) -> bool {
    if pid <= 1 {
        return false; // never a process group or init by accident
    }
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe { libc::kill(pid, sig) == 0 }
}

/// Polls `f` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub(crate) fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The signal numbers set in a `/proc/PID/status` mask such as `SigIgn:\t0000000180001000`.
pub(crate) fn signals_in(mask_hex: &str) -> Vec<u32> {
    let bits = u64::from_str_radix(mask_hex.trim(), 16).unwrap_or(u64::MAX);
    (0..64)
        .filter(|b| bits & (1u64 << b) != 0)
        .map(|b| b + 1)
        .collect()
}

/// Whether the tests run as root.
pub(crate) fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Sleeps for a number of seconds.
pub(crate) fn sleep_secs(s: f64) {
    thread::sleep(Duration::from_secs_f64(s));
}
