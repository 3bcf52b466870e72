//! The `svconf` binary as users and CI see it: exit codes, what goes to stdout and
//! stderr, the environment flags, and that bad input never crashes it.
//!
//! Every test runs the built binary in its own tempdir with `env_clear()` plus the
//! variables it needs (STYLE.md §4.2, ruff's `CliTest`), so neither the machine's
//! environment nor its working directory leaks into a result. Each run is bounded
//! by a time-out: a hang is reported as a failure, not as a stuck test run.
//! stdout and stderr go to files rather than pipes, so a run that prints megabytes
//! cannot dead-lock against a full pipe.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_svconf");
const TIMEOUT: Duration = Duration::from_secs(60);

/// A minimal valid config with one program of three processes.
const GOOD: &str = "\
[supervisord]
logfile=/tmp/svconf-cli-test.log

[program:web]
command=/bin/web --port 8080
numprocs=3
process_name=%(program_name)s_%(process_num)02d
";

/// One error: an unset environment variable.
const BAD: &str = "\
[supervisord]
logfile=/tmp/svconf-cli-test.log

[program:web]
command=/bin/web --port %(ENV_SVCONF_TEST_UNSET)s
";

// ---------------------------------------------------------------------------
// harness

/// What one run produced.
#[derive(Debug)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Output {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Every finding of a `--format json` run has this code.
    fn codes(&self) -> Vec<String> {
        self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .iter()
            .map(|d| d["code"].as_str().expect("code").to_owned())
            .collect()
    }

    /// The general contract for any input: svconf answers, with 0, 1 or 2, and
    /// never panics.
    fn assert_no_crash(&self) {
        assert!(
            !self.stderr.contains("panicked"),
            "svconf panicked:\n{}",
            self.stderr
        );
        assert!(
            matches!(self.code, Some(0..=2)),
            "exit code {:?} (killed by a signal?)\nstdout: {}\nstderr: {}",
            self.code,
            head(&self.stdout),
            head(&self.stderr)
        );
    }
}

/// The first few KB of a text, for failure messages about huge outputs.
fn head(s: &str) -> &str {
    let mut end = s.len().min(4000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A tempdir and a command line to run in it.
struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parent directories) below the tempdir.
    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&p, contents).expect("write");
        p
    }

    fn cmd(&self) -> Run<'_> {
        Run {
            cli: self,
            cwd: self.path().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// `svconf ARGS` in the tempdir with the base environment.
    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).run()
    }
}

struct Run<'a> {
    cli: &'a Cli,
    cwd: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Run<'_> {
    fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = dir.into();
        self
    }

    /// Runs with a cleared environment plus PATH, HOME and the test's variables;
    /// kills the child and fails after [`TIMEOUT`].
    fn run(self) -> Output {
        let out_path = self.cli.path().join(".svconf-test-stdout");
        let err_path = self.cli.path().join(".svconf-test-stderr");
        let mut cmd = Command::new(BIN);
        cmd.args(&self.args)
            .current_dir(&self.cwd)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", self.cli.path())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out_path).expect("stdout file"))
            .stderr(fs::File::create(&err_path).expect("stderr file"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawn svconf");
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`svconf {}` did not finish within {TIMEOUT:?}",
                    self.args.join(" ")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = start.elapsed();
        let read =
            |p: &Path| String::from_utf8_lossy(&fs::read(p).expect("read output")).into_owned();
        Output {
            code: status.code(),
            stdout: read(&out_path),
            stderr: read(&err_path),
            elapsed,
        }
    }
}

fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s
}

/// Replaces the tempdir (also in its canonical form) with `[TMP]`. The crate's
/// insta has no `filters` feature, so this is done by hand.
fn filter_tmp(text: &str, dir: &Path) -> String {
    let mut out = text.to_owned();
    if let Ok(canon) = dir.canonicalize() {
        out = out.replace(&canon.display().to_string(), "[TMP]");
    }
    out.replace(&dir.display().to_string(), "[TMP]")
}

/// `processes[i].command` of the first group of `convert --to json`.
fn commands(out: &Output) -> Vec<String> {
    out.json()["groups"][0]["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|p| p["command"].as_str().expect("command").to_owned())
        .collect()
}

/// True when this process can read a file whose mode is 000 (root can).
fn can_read_unreadable(cli: &Cli) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let p = cli.write(".probe", "x");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).expect("chmod");
    let readable = fs::read(&p).is_ok();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
    fs::remove_file(&p).expect("rm");
    readable
}

/// Deterministic pseudo-random bytes (xorshift64*), so a failure can be replayed.
fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(n);
    out
}

// ---------------------------------------------------------------------------
// exit codes

#[test]
fn good_config_exits_0_with_summary() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    let out = cli.run(&["check", "supervisord.conf"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains("supervisord.conf: 1 file, 1 group, 3 processes"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("no problems found"), "{}", out.stdout);
    assert_eq!(out.stderr, "", "nothing on stderr when the path is given");
}

#[test]
fn config_with_error_exits_1() {
    let cli = Cli::new();
    cli.write("supervisord.conf", BAD);
    let out = cli.run(&["check", "supervisord.conf"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("SV104"), "{}", out.stdout);
    assert!(out.stdout.contains("supervisord.conf:5:"), "{}", out.stdout);
    assert!(out.stdout.contains("1 error"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("processes ("),
        "no success summary on failure"
    );
}

#[test]
fn missing_file_exits_2() {
    let cli = Cli::new();
    let out = cli.run(&["check", "nope.conf"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("cannot read `nope.conf`"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn directory_as_config_exits_2() {
    let cli = Cli::new();
    fs::create_dir(cli.path().join("conf")).expect("mkdir");
    for cmd in [&["check", "conf"][..], &["convert", "--to", "json", "conf"]] {
        let out = cli.run(cmd);
        assert_eq!(out.code, Some(2), "{cmd:?}: {out:?}");
        assert!(out.stderr.contains("cannot read `conf`"), "{}", out.stderr);
        assert!(out.stderr.contains("directory"), "{}", out.stderr);
        assert_eq!(out.stdout, "");
    }
}

/// The root error's message already contains its cause; miette then prints the
/// cause again as `╰─▶ …`.
#[test]
fn read_error_cause_printed_once() {
    let cli = Cli::new();
    fs::create_dir(cli.path().join("conf")).expect("mkdir");
    let out = cli.run(&["check", "conf"]);
    assert_eq!(
        out.stderr.matches("is a directory").count(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn unreadable_root_file_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    if can_read_unreadable(&cli) {
        eprintln!("skipped: running as root, a mode-000 file is readable");
        return;
    }
    let p = cli.write("supervisord.conf", GOOD);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).expect("chmod");
    let out = cli.run(&["check", "supervisord.conf"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.to_lowercase().contains("permission denied"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_env_value_exits_2() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    for cmd in [
        &["check", "supervisord.conf", "-e", "NOEQUALS"][..],
        &[
            "convert",
            "--to",
            "json",
            "supervisord.conf",
            "-e",
            "NOEQUALS",
        ],
    ] {
        let out = cli.run(cmd);
        assert_eq!(out.code, Some(2), "{cmd:?}: {out:?}");
        assert!(
            out.stderr.contains("`-e NOEQUALS`: expected KEY=VALUE"),
            "{}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn clap_usage_errors_exit_2() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    let cases: &[(&[&str], &str)] = &[
        (&["frobnicate"], "unrecognized subcommand"),
        (
            &["check", "--frobnicate", "supervisord.conf"],
            "unexpected argument '--frobnicate'",
        ),
        (
            &["check", "--format", "xml", "supervisord.conf"],
            "invalid value 'xml'",
        ),
        (&["convert", "supervisord.conf"], "--to"),
        (
            &["convert", "--to", "yaml", "supervisord.conf"],
            "invalid value 'yaml'",
        ),
        (&[], "Usage"),
    ];
    for (args, needle) in cases {
        let out = cli.run(args);
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
    }
}

#[test]
fn help_and_version_exit_0() {
    let cli = Cli::new();
    let out = cli.run(&["--help"]);
    assert_eq!(out.code, Some(0));
    for sub in ["check", "convert", "explain", "schema"] {
        assert!(out.stdout.contains(sub), "{}", out.stdout);
    }
    let out = cli.run(&["--version"]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.starts_with("svconf "), "{}", out.stdout);
}

#[test]
fn unreadable_env_file_exits_2() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    let out = cli.run(&["check", "supervisord.conf", "--env-file", "missing.env"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("cannot use env file `missing.env`"),
        "{}",
        out.stderr
    );
    // a directory is unreadable as a file, too
    fs::create_dir(cli.path().join("envdir")).expect("mkdir");
    let out = cli.run(&["check", "supervisord.conf", "--env-file", "envdir"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("envdir"), "{}", out.stderr);
}

#[test]
fn malformed_env_file_exits_2_with_line() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    cli.write("bad.env", "# fine\nA=1\nthis line has no equals sign\n");
    let out = cli.run(&["check", "supervisord.conf", "--env-file", "bad.env"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("line 3"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// --format json

#[test]
fn json_format_document() {
    let cli = Cli::new();
    cli.write(
        "conf/supervisord.conf",
        "[supervisord]\n\n[include]\nfiles = conf.d/*.ini missing/*.ini\n",
    );
    // `café` is 4 chars but 5 bytes: the column must count chars.
    cli.write(
        "conf/conf.d/web.ini",
        "[program:web]\ncommand=/usr/bin/café %(ENV_NOPE)s\n",
    );
    let out = cli.run(&[
        "check",
        "--format",
        "json",
        "--clear-env",
        "conf/supervisord.conf",
    ]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stderr, "", "json goes to stdout only");
    let v = out.json();
    assert_eq!(v["version"], 1);
    let diags = v["diagnostics"].as_array().expect("array");

    let err = diags.iter().find(|d| d["code"] == "SV104").expect("SV104");
    assert_eq!(err["name"], "unknown-variable");
    assert_eq!(err["severity"], "error");
    assert_eq!(err["file"], "conf/conf.d/web.ini", "relative to the cwd");
    assert_eq!(err["line"], 2);
    assert_eq!(err["column"], "command=/usr/bin/café ".chars().count() + 1);
    assert_eq!(err["end_line"], 2);
    assert_eq!(
        err["end_column"],
        "command=/usr/bin/café %(ENV_NOPE)s".chars().count() + 1
    );
    let start = "[program:web]\ncommand=/usr/bin/café ".len();
    assert_eq!(err["start_byte"], start);
    assert_eq!(err["end_byte"], start + "%(ENV_NOPE)s".len());
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("ENV_NOPE")
    );
    assert!(err["help"].as_str().expect("help").contains("NOPE"));
    assert_eq!(err["labels"][0]["primary"], true);

    let warn = diags.iter().find(|d| d["code"] == "SV103").expect("SV103");
    assert_eq!(warn["severity"], "warning");
    assert_eq!(warn["file"], "conf/supervisord.conf");
    assert_eq!(warn["line"], 4);
    assert_eq!(warn["column"], "files = conf.d/*.ini ".len() + 1);

    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["warnings"], 1);
    for d in diags {
        for key in [
            "code", "name", "severity", "message", "file", "line", "column", "help", "labels",
        ] {
            assert!(
                d.as_object().expect("object").contains_key(key),
                "{key} missing in {d}"
            );
        }
    }
}

#[test]
fn json_format_clean_and_paths_outside_cwd() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    cli.write("sub/.keep", "");
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let v = out.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["diagnostics"], Value::Array(Vec::new()));
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(v["summary"]["warnings"], 0);
    assert!(
        !out.stdout.contains("processes"),
        "no human summary in json"
    );

    cli.write("bad.conf", BAD);
    let out = cli
        .cmd()
        .cwd(cli.path().join("sub"))
        .args(&["check", "--format", "json", "../bad.conf"])
        .run();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.json()["diagnostics"][0]["file"], "../bad.conf");
}

// ---------------------------------------------------------------------------
// environment and host

const ENV_CONF: &str = "\
[supervisord]
logfile=/tmp/svconf-cli-test.log

[program:app]
command=/bin/app %(ENV_A)s|%(ENV_B)s|%(ENV_C)s|%(ENV_D)s|%(host_node_name)s
";

#[test]
fn env_flags_reach_expansion() {
    let cli = Cli::new();
    cli.write("supervisord.conf", ENV_CONF);
    cli.write(
        "vars.env",
        "# a comment\n\n  # an indented comment\nexport A=from-file\nB=\"double quoted\"\nC='single quoted'\n D = spaced \n",
    );
    let out = cli.run(&[
        "convert",
        "--to",
        "json",
        "supervisord.conf",
        "--env-file",
        "vars.env",
        "--hostname",
        "web01",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        commands(&out),
        ["/bin/app from-file|double quoted|single quoted|spaced|web01"]
    );

    // -e wins over the env file and over the real environment; a value may contain `=`
    let out = cli
        .cmd()
        .env("A", "real")
        .args(&[
            "convert",
            "--to",
            "json",
            "supervisord.conf",
            "--env-file",
            "vars.env",
            "-e",
            "A=x=y",
            "--env",
            "D=",
            "--hostname",
            "h",
        ])
        .run();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        commands(&out),
        ["/bin/app x=y|double quoted|single quoted||h"]
    );
}

#[test]
fn real_environment_is_used_without_flags() {
    let cli = Cli::new();
    cli.write("supervisord.conf", ENV_CONF);
    let out = cli
        .cmd()
        .env("A", "1")
        .env("B", "2")
        .env("C", "3")
        .env("D", "4")
        .args(&[
            "convert",
            "--to",
            "json",
            "supervisord.conf",
            "--hostname",
            "h",
        ])
        .run();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(commands(&out), ["/bin/app 1|2|3|4|h"]);
    // and `check` sees the same environment
    let out = cli
        .cmd()
        .env("A", "1")
        .env("B", "2")
        .env("C", "3")
        .env("D", "4")
        .args(&["check", "supervisord.conf"])
        .run();
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn clear_env_drops_the_real_environment() {
    fn real(run: Run<'_>) -> Run<'_> {
        run.env("A", "1").env("B", "2").env("C", "3").env("D", "4")
    }
    let cli = Cli::new();
    cli.write("supervisord.conf", ENV_CONF);

    let out = real(cli.cmd())
        .args(&[
            "check",
            "--format",
            "json",
            "--clear-env",
            "supervisord.conf",
        ])
        .run();
    assert_eq!(out.code, Some(1), "{out:?}");
    let v = out.json();
    let names: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(names.iter().any(|m| m.contains("ENV_A")), "{names:?}");

    let out = real(cli.cmd())
        .args(&[
            "convert",
            "--to",
            "json",
            "--clear-env",
            "-e",
            "A=a",
            "-e",
            "B=b",
            "-e",
            "C=c",
            "-e",
            "D=d",
            "--hostname",
            "h",
            "supervisord.conf",
        ])
        .run();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(commands(&out), ["/bin/app a|b|c|d|h"]);
}

#[test]
fn hostname_defaults_to_this_machine() {
    let cli = Cli::new();
    cli.write("supervisord.conf", ENV_CONF);
    let args = [
        "convert",
        "--to",
        "json",
        "supervisord.conf",
        "-e",
        "A=",
        "-e",
        "B=",
        "-e",
        "C=",
        "-e",
        "D=",
    ];
    let out = cli.run(&args);
    assert_eq!(out.code, Some(0), "{out:?}");
    let host = fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned());
    if let Ok(host) = host {
        assert_eq!(commands(&out), [format!("/bin/app ||||{host}")]);
    }
    let mut with_flag = args.to_vec();
    with_flag.extend(["--hostname", "db7.example.com"]);
    let out = cli.run(&with_flag);
    assert_eq!(commands(&out), ["/bin/app ||||db7.example.com"]);
}

// ---------------------------------------------------------------------------
// convert

#[test]
fn convert_good_config() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    let out = cli.run(&["convert", "--to", "json", "supervisord.conf"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stderr, "");
    let v = out.json();
    let group = &v["groups"][0];
    assert_eq!(group["name"], "web");
    let names: Vec<&str> = group["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["web_00", "web_01", "web_02"]);
    assert_eq!(commands(&out), ["/bin/web --port 8080"; 3]);
    assert_eq!(v["supervisord"]["logfile"], "/tmp/svconf-cli-test.log");
}

#[test]
fn convert_bad_config_prints_nothing_on_stdout() {
    let cli = Cli::new();
    cli.write("supervisord.conf", BAD);
    let out = cli.run(&["convert", "--to", "json", "supervisord.conf"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("SV104"), "{}", out.stderr);
    assert!(out.stderr.contains("supervisord.conf:5:"), "{}", out.stderr);
}

#[test]
fn convert_missing_file_exits_2() {
    let cli = Cli::new();
    let out = cli.run(&["convert", "--to", "json", "nope.conf"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "");
}

// ---------------------------------------------------------------------------
// finding the config

#[test]
fn check_without_path_uses_supervisord_conf() {
    let cli = Cli::new();
    cli.write("supervisord.conf", GOOD);
    let out = cli.run(&["check"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("using supervisord.conf"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("3 processes"), "{}", out.stdout);
}

#[test]
fn check_without_path_uses_etc_supervisord_conf() {
    let cli = Cli::new();
    cli.write("etc/supervisord.conf", GOOD);
    let out = cli.run(&["check"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("using etc/supervisord.conf"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_without_path_json_keeps_stdout_clean() {
    let cli = Cli::new();
    cli.write("supervisord.conf", BAD);
    let out = cli.run(&["check", "--format", "json"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.codes(), ["SV104"]);
}

fn system_config_exists() -> bool {
    ["/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"]
        .iter()
        .any(|p| Path::new(p).exists())
}

#[test]
fn check_without_path_in_empty_dir_exits_2() {
    if system_config_exists() {
        eprintln!("skipped: this machine has a system supervisord config");
        return;
    }
    let cli = Cli::new();
    let out = cli.run(&["check"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "");
    // miette wraps long messages (see the ignored test below): compare without
    // the wrapping
    let flat: String = out
        .stderr
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    assert!(
        flat.contains("supervisord.conf,etc/supervisord.conf,/etc/supervisord.conf,/etc/supervisor/supervisord.conf"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_config_error_keeps_paths_whole() {
    if system_config_exists() {
        return;
    }
    let cli = Cli::new();
    let out = cli.run(&["check"]);
    assert!(
        out.stderr.contains(
            "supervisord.conf, etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf"
        ),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// --fragment, --deny-warnings

#[test]
fn fragment_flag() {
    let cli = Cli::new();
    cli.write("conf.d/web.ini", "[program:web]\ncommand=/bin/web\n");
    let out = cli.run(&["check", "conf.d/web.ini"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("SV201"), "{}", out.stdout);
    assert!(
        out.stdout.contains("--fragment"),
        "help names the flag: {}",
        out.stdout
    );
    let out = cli.run(&["check", "--format", "json", "conf.d/web.ini"]);
    assert_eq!(out.codes(), ["SV201"]);
    assert!(
        out.json()["diagnostics"][0]["help"]
            .as_str()
            .expect("help")
            .contains("--fragment")
    );

    let out = cli.run(&["check", "--fragment", "conf.d/web.ini"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("1 group, 1 process"), "{}", out.stdout);
    let out = cli.run(&["convert", "--to", "json", "--fragment", "conf.d/web.ini"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["groups"][0]["name"], "web");
}

#[test]
fn deny_warnings_turns_warnings_into_exit_1() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n\n[include]\nfiles = conf.d/*.conf\n",
    );
    let out = cli.run(&["check", "supervisord.conf"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("SV103"), "{}", out.stdout);
    assert!(out.stdout.contains("1 warning"), "{}", out.stdout);

    let out = cli.run(&["check", "--deny-warnings", "supervisord.conf"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let out = cli.run(&[
        "check",
        "--deny-warnings",
        "--format",
        "json",
        "supervisord.conf",
    ]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.json()["summary"]["warnings"], 1);

    // and a clean config stays 0
    cli.write("good.conf", GOOD);
    assert_eq!(
        cli.run(&["check", "--deny-warnings", "good.conf"]).code,
        Some(0)
    );
}

// ---------------------------------------------------------------------------
// colour

#[test]
fn no_ansi_escapes_when_not_a_terminal() {
    let cli = Cli::new();
    cli.write("bad.conf", BAD);
    for no_color in [None, Some("1")] {
        let runs = [
            &["check", "bad.conf"][..],
            &["convert", "--to", "json", "bad.conf"],
            &["check", "missing.conf"],
            &["explain", "SV104"],
            &["check", "--bogus"],
        ];
        for args in runs {
            let mut run = cli
                .cmd()
                .args(args)
                .env("TERM", "xterm-256color")
                .env("COLUMNS", "120");
            if let Some(v) = no_color {
                run = run.env("NO_COLOR", v);
            }
            let out = run.run();
            assert!(
                out.code.is_some_and(|c| c > 0) || args[0] == "explain",
                "{args:?}: {out:?}"
            );
            assert!(
                !out.stdout.contains('\x1b') && !out.stderr.contains('\x1b'),
                "{args:?} NO_COLOR={no_color:?}: {out:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// explain, schema

/// Every code registered in `src/diag/codes.rs` (`Name = "SVnnn", ...`).
fn registered_codes() -> Vec<String> {
    let src = include_str!("../src/diag/codes.rs");
    let mut codes: Vec<String> = src
        .match_indices("= \"SV")
        .map(|(i, _)| src[i + 3..i + 8].to_owned())
        .filter(|c| c[2..].bytes().all(|b| b.is_ascii_digit()))
        .collect();
    codes.dedup();
    codes
}

#[test]
fn explain_code_and_name() {
    let cli = Cli::new();
    let by_code = cli.run(&["explain", "SV104"]);
    assert_eq!(by_code.code, Some(0), "{by_code:?}");
    assert!(
        by_code.stdout.starts_with("SV104 unknown-variable (error)"),
        "{}",
        by_code.stdout
    );
    assert!(
        by_code.stdout.contains("cannot be expanded"),
        "{}",
        by_code.stdout
    );
    let by_name = cli.run(&["explain", "unknown-variable"]);
    assert_eq!(by_name.code, Some(0));
    assert_eq!(by_name.stdout, by_code.stdout);
    let lower = cli.run(&["explain", "sv104"]);
    assert_eq!(lower.stdout, by_code.stdout, "codes are case-insensitive");
    insta_settings().bind(|| insta::assert_snapshot!("explain_SV104", by_code.stdout));
}

#[test]
fn explain_unknown_code_exits_2() {
    let cli = Cli::new();
    for code in ["SV999", "no-such-rule"] {
        let out = cli.run(&["explain", code]);
        assert_eq!(out.code, Some(2), "{out:?}");
        assert!(
            out.stderr.contains(&format!("unknown code `{code}`")),
            "{}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn explain_list_lists_every_code() {
    let cli = Cli::new();
    let out = cli.run(&["explain", "--list"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let registered = registered_codes();
    assert!(registered.len() >= 30, "{registered:?}");
    for code in &registered {
        assert!(
            listed.contains(&code.as_str()),
            "{code} not listed:\n{}",
            out.stdout
        );
    }
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "a code is listed twice");
    // `explain` with no code lists them too
    assert_eq!(cli.run(&["explain"]).stdout, out.stdout);
    // each listed code can be explained
    for code in &listed {
        let one = cli.run(&["explain", code]);
        assert_eq!(one.code, Some(0), "{code}: {one:?}");
        assert!(one.stdout.starts_with(code), "{code}: {}", one.stdout);
    }
    insta_settings().bind(|| insta::assert_snapshot!("explain_list", out.stdout));
}

#[test]
fn schema_is_json_schema() {
    let cli = Cli::new();
    let out = cli.run(&["schema"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let v = out.json();
    assert!(
        v.get("$schema").is_some_and(Value::is_string),
        "{}",
        head(&out.stdout)
    );
    // the default schema is the TOML config format's: one table per section kind
    assert!(
        v["properties"]["program"].is_object(),
        "{}",
        head(&out.stdout)
    );
    let out = cli.run(&["schema", "--resolved"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.json()["properties"]["groups"].is_object(),
        "{}",
        head(&out.stdout)
    );
}

#[test]
fn human_output_snapshot() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\nlogfile=/tmp/svconf-cli-test.log\n\n[include]\nfiles = conf.d/*.ini\n",
    );
    cli.write(
        "conf.d/web.ini",
        "[program:web]\ncommand=/bin/web --port %(ENV_PORT)s\nnumprocs=2\nautostart=perhaps\n",
    );
    let out = cli
        .cmd()
        .args(&["check", "--clear-env", "supervisord.conf"])
        .env("COLUMNS", "80")
        .run();
    assert_eq!(out.code, Some(1), "{out:?}");
    let text = filter_tmp(&out.stdout, cli.path());
    insta_settings().bind(|| insta::assert_snapshot!("check_human_failing", text));
}

// ---------------------------------------------------------------------------
// bad input never crashes

#[test]
fn binary_file() {
    let cli = Cli::new();
    cli.write("random.conf", random_bytes(64 * 1024, 0x5eed_cafe));
    for format in ["human", "json"] {
        let out = cli.run(&["check", "--format", format, "random.conf"]);
        out.assert_no_crash();
        assert_eq!(out.code, Some(1), "{out:?}");
        if format == "json" {
            assert!(
                out.codes().contains(&"SV004".to_owned()),
                "{:?}",
                out.codes()
            );
        }
    }
    let out = cli.run(&["convert", "--to", "json", "random.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stdout, "");
}

/// A config is untrusted input; echoing its control bytes lets a file rewrite the
/// terminal (title, clear screen, fake output).
#[test]
fn control_bytes_are_not_echoed_raw() {
    let cli = Cli::new();
    cli.write(
        "evil.conf",
        b"\xff\x1b]0;pwned\x07\x1b[2J\x00\n[supervisord]\n".as_slice(),
    );
    let out = cli.run(&["check", "evil.conf"]);
    out.assert_no_crash();
    assert!(
        !out.stdout.contains('\x1b') && !out.stdout.contains('\x07'),
        "{:?}",
        out.stdout
    );
}

#[test]
fn invalid_utf8_in_included_file() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n\n[include]\nfiles = conf.d/*.ini\n",
    );
    cli.write("conf.d/good.ini", "[program:good]\ncommand=/bin/good\n");
    cli.write(
        "conf.d/bad.ini",
        b"[program:bad]\ncommand=/bin/b\xffd\n".as_slice(),
    );
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1), "{out:?}");
    let v = out.json();
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "SV004")
        .expect("SV004");
    assert_eq!(d["file"], "conf.d/bad.ini");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], "command=/bin/b".len() + 1);
    assert!(
        d["message"].as_str().expect("message").contains("bad.ini"),
        "{d}"
    );

    let out = cli.run(&["check", "supervisord.conf"]);
    assert!(out.stdout.contains("conf.d/bad.ini:2:15"), "{}", out.stdout);
    assert!(
        out.stdout.contains("included from"),
        "the include chain is shown: {}",
        out.stdout
    );
}

#[test]
fn non_utf8_root_file() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        b"[supervisord]\n[program:x]\ncommand=/bin/\xe9t\xe9\n".as_slice(),
    );
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1), "{out:?}");
    let v = out.json();
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "SV004")
        .expect("SV004");
    assert_eq!(d["file"], "supervisord.conf");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(14))
    );
    let out = cli.run(&["check", "supervisord.conf"]);
    out.assert_no_crash();
    assert!(
        out.stdout.contains("supervisord.conf:3:14"),
        "{}",
        out.stdout
    );
}

/// One problem, one diagnostic (STYLE.md §3.3): a file that cannot be decoded is
/// not also "missing its `[supervisord]` section" when line 1 is `[supervisord]`.
#[test]
fn non_utf8_root_file_no_cascade() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        b"[supervisord]\n[program:x]\ncommand=/bin/\xe9t\xe9\n".as_slice(),
    );
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    assert_eq!(out.codes(), ["SV004"]);
}

#[test]
fn empty_file() {
    let cli = Cli::new();
    cli.write("empty.conf", "");
    let out = cli.run(&["check", "empty.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1), "{out:?}");
    let out = cli.run(&["check", "--format", "json", "empty.conf"]);
    assert_eq!(out.codes(), ["SV201"]);
    let out = cli.run(&["check", "--fragment", "empty.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("0 groups, 0 processes"),
        "{}",
        out.stdout
    );
}

#[test]
fn comments_only_file() {
    let cli = Cli::new();
    cli.write("comments.conf", "; a comment\n# another\n\n   ; indented\n");
    let out = cli.run(&["check", "--format", "json", "comments.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.codes(), ["SV201"]);
    let out = cli.run(&["check", "--fragment", "comments.conf"]);
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn one_megabyte_single_line() {
    let cli = Cli::new();
    let mb = 1 << 20;
    // a valid value
    cli.write(
        "value.conf",
        format!(
            "[supervisord]\n[program:x]\ncommand=/bin/echo {}\n",
            "a".repeat(mb)
        ),
    );
    let out = cli.run(&["check", "value.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(0), "{out:?}");
    // a line that is not an option, and a file without a newline or section
    cli.write(
        "garbage.conf",
        format!("[supervisord]\n{}\n", "x".repeat(mb)),
    );
    cli.write("noline.conf", "z".repeat(mb));
    for f in ["garbage.conf", "noline.conf"] {
        let out = cli.run(&["check", "--format", "json", f]);
        out.assert_no_crash();
        assert_eq!(out.code, Some(1), "{f}: {}", head(&out.stdout));
        let out = cli.run(&["check", f]);
        out.assert_no_crash();
        assert!(
            out.elapsed < Duration::from_secs(20),
            "{f}: {:?}",
            out.elapsed
        );
    }
}

#[test]
fn glob_matching_ten_thousand_files() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n[include]\nfiles = conf.d/*.ini\n",
    );
    fs::create_dir(cli.path().join("conf.d")).expect("mkdir");
    for i in 0..10_000 {
        fs::write(
            cli.path().join(format!("conf.d/p{i:05}.ini")),
            format!("[program:p{i}]\ncommand=/bin/true {i}\n"),
        )
        .expect("write");
    }
    let out = cli.run(&["check", "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(0), "{}", head(&out.stdout));
    assert!(
        out.stdout
            .contains("10001 files, 10000 groups, 10000 processes"),
        "{}",
        head(&out.stdout)
    );
    let out = cli.run(&["convert", "--to", "json", "supervisord.conf"]);
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.json()["included_files"].as_array().map(Vec::len),
        Some(10_000)
    );
}

#[test]
fn symlink_loops_in_included_directory() {
    use std::os::unix::fs::symlink;
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n[include]\nfiles = conf.d/*.ini conf.d/*/*.ini\n",
    );
    cli.write("conf.d/web.ini", "[program:web]\ncommand=/bin/web\n");
    let d = cli.path().join("conf.d");
    symlink("loop.ini", d.join("loop.ini")).expect("symlink"); // ELOOP
    symlink("a.ini", d.join("b.ini")).expect("symlink");
    symlink("b.ini", d.join("a.ini")).expect("symlink"); // a -> b -> a
    symlink(".", d.join("cycle")).expect("symlink"); // conf.d/cycle/cycle/...
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    out.assert_no_crash();
    assert!(matches!(out.code, Some(0 | 1)), "{out:?}");
    let v = out.json();
    let unreadable: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["code"] == "SV102")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        !unreadable.is_empty(),
        "the loops are reported: {}",
        out.stdout
    );
    let out = cli.run(&["check", "supervisord.conf"]);
    out.assert_no_crash();
}

#[test]
fn glob_matching_a_directory_is_skipped_with_a_warning() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n[include]\nfiles = conf.d/*\n",
    );
    cli.write("conf.d/web.ini", "[program:web]\ncommand=/bin/web\n");
    fs::create_dir(cli.path().join("conf.d/old")).expect("mkdir");
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(0), "a warning only: {out:?}");
    let v = out.json();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "SV102");
    assert_eq!(d["severity"], "warning");
    assert!(
        d["message"]
            .as_str()
            .expect("message")
            .contains("conf.d/old"),
        "{d}"
    );
    assert_eq!(v["summary"]["warnings"], 1);
    let out = cli.run(&["check", "supervisord.conf"]);
    assert!(out.stdout.contains("1 group, 1 process"), "{}", out.stdout);
    assert_eq!(
        cli.run(&["check", "--deny-warnings", "supervisord.conf"])
            .code,
        Some(1)
    );
}

/// Findings are deduplicated by (code, span); two different files matched by the
/// same pattern share the pattern's span, so the second is lost.
#[test]
fn every_unreadable_match_is_reported() {
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n[include]\nfiles = conf.d/*\n",
    );
    fs::create_dir_all(cli.path().join("conf.d/one")).expect("mkdir");
    fs::create_dir_all(cli.path().join("conf.d/two")).expect("mkdir");
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    assert_eq!(out.codes(), ["SV102", "SV102"], "{}", out.stdout);
}

#[test]
fn include_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    if can_read_unreadable(&cli) {
        eprintln!("skipped: running as root, a mode-000 file is readable");
        return;
    }
    cli.write(
        "supervisord.conf",
        "[supervisord]\n[include]\nfiles = conf.d/*.ini\n",
    );
    cli.write("conf.d/web.ini", "[program:web]\ncommand=/bin/web\n");
    let secret = cli.write(
        "conf.d/secret.ini",
        "[program:secret]\ncommand=/bin/secret\n",
    );
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).expect("chmod");
    let out = cli.run(&["check", "--format", "json", "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(0), "{out:?}");
    let v = out.json();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "SV102");
    assert!(
        d["message"]
            .as_str()
            .expect("message")
            .contains("secret.ini"),
        "{d}"
    );
}

/// A 50 MB file is not read at all: svconf refuses files above its size limit (SV901).
#[test]
fn fifty_megabyte_config() {
    use std::io::Write as _;
    let cli = Cli::new();
    let path = cli.path().join("big.conf");
    let mut f = std::io::BufWriter::new(fs::File::create(&path).expect("create"));
    writeln!(f, "[supervisord]\nlogfile=/tmp/svconf-cli-test.log\n").expect("write");
    let mut n = 0u64;
    let mut written = 0u64;
    while written < 50 * 1024 * 1024 {
        let block = format!("[program:p{n}]\ncommand=/bin/true {n}\nautostart=false\n\n");
        f.write_all(block.as_bytes()).expect("write");
        written += block.len() as u64;
        n += 1;
    }
    f.flush().expect("flush");
    drop(f);
    let out = cli.run(&["check", "big.conf"]);
    out.assert_no_crash();
    eprintln!("50 MB config ({n} programs): {:?}", out.elapsed);
    assert_eq!(out.code, Some(1), "{}", head(&out.stdout));
    assert!(out.elapsed < TIMEOUT);
    assert!(out.stdout.contains("SV901"), "{}", head(&out.stdout));
}

/// `explain --list` formats the severity with `{:<8}`, but `Severity`'s `Display`
/// ignores the width, so the summaries do not line up.
#[test]
fn explain_list_columns_line_up() {
    let cli = Cli::new();
    let out = cli.run(&["explain", "--list"]);
    for line in out.stdout.lines() {
        assert!(
            line.contains(" error    ")
                || line.contains(" warning  ")
                || line.contains(" info     "),
            "{line}"
        );
    }
}

/// With `--host`, an rpcinterface factory that the host's Python cannot import is
/// SV234, as supervisord refuses it; without `--host` nothing is checked.
#[test]
fn host_checks_that_plugins_import() {
    let Some(python) = [
        "/usr/bin/python3",
        "/usr/local/bin/python3",
        "/root/.pyenv/shims/python3",
    ]
    .iter()
    .find(|p| Path::new(p).exists()) else {
        eprintln!("skipped: no python3 to import with");
        return;
    };
    let cli = Cli::new();
    cli.write(
        "supervisord.conf",
        "[supervisord]\n\n[rpcinterface:x]\nsupervisor.rpcinterface_factory = svconf_no_such_module.sub:make\n",
    );
    let out = cli.run(&["check", "--host", "--python", python, "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(out.stdout.contains("SV234"), "{}", out.stdout);
    let out = cli.run(&["check", "supervisord.conf"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
}

const SYSTEMD_CONF: &str = "[supervisord]\n\n[program:web]\ncommand=/usr/bin/web --port 8000\nstdout_logfile=/dev/stdout\n\n[program:worker]\ncommand=/usr/bin/worker\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=2\n";

#[test]
fn convert_to_systemd_writes_units_into_out_and_prints_with_headers() {
    let cli = Cli::new();
    cli.write("supervisord.conf", SYSTEMD_CONF);
    let out = cli.run(&[
        "convert",
        "--to",
        "systemd",
        "--out",
        "units",
        "supervisord.conf",
    ]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for name in ["web.service", "worker@.service", "worker.target"] {
        let text = fs::read_to_string(cli.path().join("units").join(name)).expect(name);
        assert!(text.starts_with("# Generated by svconf"), "{name}: {text}");
    }
    let out = cli.run(&["convert", "--to", "systemd", "supervisord.conf"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("# === web.service ==="),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ExecStart=/usr/bin/web --port 8000"),
        "{}",
        out.stdout
    );
}

#[test]
fn convert_to_systemd_never_replaces_a_file_it_did_not_write() {
    let cli = Cli::new();
    cli.write("supervisord.conf", SYSTEMD_CONF);
    cli.write(
        "units/web.service",
        "[Service]\nExecStart=/usr/bin/handwritten\n",
    );
    let out = cli.run(&[
        "convert",
        "--to",
        "systemd",
        "--out",
        "units",
        "supervisord.conf",
    ]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("not generated by svconf"),
        "{}",
        out.stderr
    );
    let kept = fs::read_to_string(cli.path().join("units/web.service")).expect("kept");
    assert!(kept.contains("handwritten"));
}

#[test]
fn convert_to_systemd_strict_fails_on_what_systemd_cannot_express() {
    let cli = Cli::new();
    cli.write("supervisord.conf", SYSTEMD_CONF);
    let out = cli.run(&["convert", "--to", "systemd", "--strict", "supervisord.conf"]);
    out.assert_no_crash();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("SV307"), "{}", out.stderr);
}
