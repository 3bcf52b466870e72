//! Fidelity of the systemd encoding layer (`svconf::emit::systemd::encode`).
//!
//! For hostile supervisord `command=` values: the argv supervisord passes
//! (`shlex_split_posix`) must be exactly what systemd passes for the emitted
//! `ExecStart=` line, or the encoder must refuse with the right reason. Three
//! judges, from weakest to strongest:
//!
//! 1. `systemd_argv()`, our re-implementation of systemd 252's reading;
//! 2. `systemd-analyze verify` through `/work/shared/tools/verify-units.sh`
//!    (any diagnostic line fails), when `systemd-analyze` is installed;
//! 3. systemd 252's own `config_parse_exec()`/`replace_env_argv()` and
//!    `config_parse_environ()`, called from a small C program
//!    (`testdata/systemd/argv/probe.c`) linked against
//!    `libsystemd-core-252.so`, when a C compiler and that library exist.
//!
//! Judges 2 and 3 are skipped (with a note on stderr), never failed, when
//! their tools are missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use svconf::emit::systemd::encode::{
    EncodeError, environment, exec_start, systemd_argv, systemd_environment,
};
use svconf::python::shlex_split_posix;

/// What must happen to one `command=` value.
enum Want {
    /// Encoded, and read back as the same argv.
    Exact,
    /// Refused, the reason containing this text.
    Refused(&'static str),
}
use Want::{Exact, Refused};

/// supervisord `command=` values as they reach shlex (after supervisord's own
/// INI reading and `%` expansion: `50%` is already-expanded `50%%`, and a
/// continuation line has left a real `\n` in the value).
const COMMANDS: &[(&str, Want)] = &[
    ("/usr/bin/php artisan queue:work --sleep=3 --tries=3", Exact),
    (r#"/bin/echo "double quoted" 'single quoted'"#, Exact),
    (r#"/bin/echo "it's" 'say "hi"'"#, Exact),
    (r#"/bin/echo it\'s don\"t"#, Exact),
    (r#"/bin/echo "a \"nested\" quote""#, Exact),
    (r"/bin/echo C:\\dir\\x", Exact),
    (r#"/bin/echo "\$HOME \` \n stays""#, Exact),
    (r"/bin/echo 'back\slash\' \\\\", Exact),
    ("/bin/echo 50% 100%% %d %i %Z %", Exact),
    ("/bin/echo $HOME ${HOME} $$ $ a$b ${", Exact),
    ("/bin/echo '$X' \"${Y}\" pre${Z}post", Exact),
    ("/bin/echo a ; b", Exact),
    ("/bin/echo ';' a; \\;", Exact),
    ("/bin/echo \"a\tb\"\tc", Exact),
    ("/bin/echo first\n  second line", Exact),
    ("/bin/echo \"multi\nline\"", Exact),
    ("/bin/echo héllo wörld 日本語 😀", Exact),
    ("/bin/echo '' \"\" x", Exact),
    ("/bin/echo ''\"\"''", Exact),
    (
        r#"/bin/sh -c 'php artisan migrate && exec php-fpm; echo "$HOME"'"#,
        Exact,
    ),
    (
        r#"/bin/sh -c "cd /srv && exec \"$0\" \"$@\"" worker a b"#,
        Exact,
    ),
    ("/bin/sh -c 'for f in *.log; do gzip \"$f\"; done'", Exact),
    ("/bin/ls *.conf ?x [ab] {a,b}", Exact),
    ("/bin/ls ~ ~/x ~root", Exact),
    (r"/bin/echo trailing\\", Exact),
    (r"/bin/echo '\x41' \\x41 '\101' '\u00e9' '\s'", Exact),
    ("/bin/echo a\u{a0}b \u{3000} \u{2028}x \u{feff}", Exact),
    ("/bin/echo '\u{1}\u{7}\u{1b}[31m\u{7f}'", Exact),
    ("/bin/echo '\r' \"\u{b}\u{c}\"", Exact),
    ("/bin/echo # not a comment for shlex", Exact),
    ("/bin/echo -- -x --y=z +a @b :c !d |e", Exact),
    ("/bin/echo 'a=b' \"c = d\" e==f", Exact),
    ("/bin/echo \\; \\\\; ';;' \";\"x", Exact),
    (r#"/bin/echo "\\" '\' \""#, Exact),
    ("/bin/echo \\ \\  spaced", Exact),
    ("'/opt/my app/bin/run' --flag", Exact),
    ("/opt/a$b/run x", Exact),
    ("/opt/50%/run x", Exact),
    ("/bin/echo \u{85} \u{9c}", Exact),
    ("/usr/bin/env X=1 Y='two words' printenv", Exact),
    ("/bin/echo `date` $(id -u) > /dev/null 2>&1 &", Exact),
    ("/bin/printf '%s\\n' \"%%\" '%%%'", Exact),
    // Refusals.
    ("-/bin/echo x", Refused("prefix")),
    ("@/bin/echo x", Refused("prefix")),
    ("\"/opt/it's/run\" x", Refused("quote or backslash")),
    (r"/opt/back\\slash x", Refused("quote or backslash")),
    ("'/opt/tab\there' x", Refused("control character")),
    (
        "bin/worker --x",
        Refused("neither a file name nor an absolute path"),
    ),
    (
        "./artisan",
        Refused("neither a file name nor an absolute path"),
    ),
    ("/opt/a$$b x", Refused("argv[0]")),
    ("'/opt/${X}/run'", Refused("argv[0]")),
    ("$PHP artisan", Refused("argv[0]")),
    ("';' x", Refused("separator")),
    ("/usr/bin/ x", Refused("directory")),
    ("''", Refused("empty")),
    ("", Refused("empty")),
];

/// `[program] environment` values (already decoded from supervisord's syntax).
const ENV_VALUES: &[&str] = &[
    "plain",
    "",
    "two words",
    "  leading and trailing  ",
    "it's",
    "say \"hi\"",
    "100%",
    "%d %i %% %",
    "$HOME ${HOME} $$",
    r"C:\path\x41",
    "trailing\\",
    "tab\there",
    "line1\nline2\r\n",
    "héllo 日本語 😀",
    "\u{a0}nbsp\u{3000}",
    "esc\u{1b}[0m bell\u{7}",
    "a=b=c",
    "'single' and \"double\" and `back`",
    ";",
    "# not a comment",
];

fn argv_of(command: &str) -> Vec<String> {
    shlex_split_posix(command).unwrap_or_else(|e| panic!("{command:?} is not valid shlex: {e}"))
}

/// The `ExecStart=` line for each case that is encoded, checked against
/// `systemd_argv` and the table's expectation.
fn encoded_commands() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut failures = String::new();
    for (command, want) in COMMANDS {
        let argv = argv_of(command);
        match (exec_start(&argv), want) {
            (Ok(line), Exact) => match systemd_argv(&line) {
                Ok(back) if back == argv => out.push((line, argv)),
                other => {
                    let _ = writeln!(
                        failures,
                        "{command:?}: line {line:?} reads back as {other:?}, want {argv:?}"
                    );
                }
            },
            (Err(EncodeError::Unrepresentable(why)), Refused(part)) => {
                if !why.contains(part) {
                    let _ = writeln!(failures, "{command:?}: refused with {why:?}, want {part:?}");
                }
            }
            (Ok(line), Refused(part)) => {
                let _ = writeln!(
                    failures,
                    "{command:?}: encoded as {line:?}, want refusal {part:?}"
                );
            }
            (Err(e), Exact) => {
                let _ = writeln!(failures, "{command:?}: refused: {e}");
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
    out
}

fn encoded_environment() -> Vec<(String, String)> {
    ENV_VALUES
        .iter()
        .map(|value| {
            let line = environment("SV_VALUE", value).expect("a valid key and no NUL");
            let back = systemd_environment(&line).expect("our own output reads back");
            assert_eq!(back, vec![format!("SV_VALUE={value}")], "{line}");
            (line, format!("SV_VALUE={value}"))
        })
        .collect()
}

#[test]
fn table_sizes() {
    assert!(COMMANDS.len() >= 40, "{}", COMMANDS.len());
    assert!(ENV_VALUES.len() >= 15, "{}", ENV_VALUES.len());
}

#[test]
fn commands_read_back_as_supervisord_argv() {
    let encoded = encoded_commands();
    assert!(encoded.len() >= 40, "{}", encoded.len());
}

#[test]
fn environment_reads_back() {
    encoded_environment();
}

/// Every literal `%` and `$` is doubled in arguments, so no line can carry a
/// specifier or a variable by accident.
#[test]
fn no_stray_specifiers_or_variables() {
    for (line, argv) in encoded_commands() {
        let percent = line.matches('%').count();
        let literal = argv.iter().map(|a| a.matches('%').count()).sum::<usize>();
        assert_eq!(percent, 2 * literal, "{line}");
        let dollars = line.matches('$').count();
        let in_args = argv[1..]
            .iter()
            .map(|a| a.matches('$').count())
            .sum::<usize>();
        assert_eq!(
            dollars,
            2 * in_args + argv[0].matches('$').count(),
            "{line}"
        );
    }
}

/// One `PREFIX line` per item, each ending in a newline.
fn prefixed<'a>(prefix: &str, lines: impl Iterator<Item = &'a str>) -> String {
    lines.fold(String::new(), |mut out, line| {
        let _ = writeln!(out, "{prefix}{line}");
        out
    })
}

fn verify_units_script() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/verify-units.sh");
    let have_analyze = Command::new("systemd-analyze")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if script.exists() && have_analyze {
        Some(script)
    } else {
        eprintln!("note: systemd-analyze or verify-units.sh missing; skipped");
        None
    }
}

/// Runs verify-units.sh over one unit per line; any FAIL line fails.
fn verify(units: &[String]) {
    let Some(script) = verify_units_script() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, body) in units.iter().enumerate() {
        std::fs::write(dir.path().join(format!("case{i:03}.service")), body).expect("write unit");
    }
    let out = Command::new("bash")
        .arg(&script)
        .arg("-q")
        .arg(dir.path())
        .output()
        .expect("run verify-units.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("note:")).collect();
    assert!(
        out.status.success() && failures.is_empty(),
        "verify-units.sh:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn systemd_analyze_accepts_every_exec_start() {
    let units: Vec<String> = encoded_commands()
        .into_iter()
        .map(|(line, _)| format!("[Unit]\nDescription=argv case\n\n[Service]\nExecStart={line}\n"))
        .collect();
    verify(&units);
}

#[test]
fn systemd_analyze_accepts_every_environment() {
    let env = prefixed(
        "Environment=",
        encoded_environment().iter().map(|(line, _)| line.as_str()),
    );
    verify(&[format!(
        "[Unit]\nDescription=env cases\n\n[Service]\nExecStart=/bin/true\n{env}"
    )]);
}

/// Compiles `probe.c` against systemd 252's own libraries, or explains why not.
fn probe(name: &str) -> Option<PathBuf> {
    let lib = Path::new("/usr/lib/x86_64-linux-gnu/systemd");
    if !lib.join("libsystemd-core-252.so").exists() {
        eprintln!("note: libsystemd-core-252.so missing; systemd's own parser not consulted");
        return None;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/systemd/argv/probe.c");
    let bin = std::env::temp_dir().join(format!("svconf-sd-probe-{name}-{}", std::process::id()));
    let built = Command::new("cc")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .arg(format!("-L{}", lib.display()))
        .args(["-l:libsystemd-core-252.so", "-l:libsystemd-shared-252.so"])
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .status()
        .is_ok_and(|s| s.success());
    if built {
        Some(bin)
    } else {
        eprintln!("note: no C compiler for the systemd probe; skipped");
        None
    }
}

/// Feeds `E <ExecStart value>` / `V <Environment value>` lines to the probe
/// and returns its decoded answers (`None` = systemd refused the line).
fn ask_systemd(bin: &Path, input: &str) -> Vec<Option<(String, Vec<String>)>> {
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run probe");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes())
        .expect("feed probe");
    let out = child.wait_with_output().expect("probe output");
    let _ = std::fs::remove_file(bin);
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(warnings.trim().is_empty(), "systemd warned:\n{warnings}");
    let unhex = |h: &str| {
        let bytes: Vec<u8> = (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
            .collect();
        String::from_utf8(bytes).expect("utf-8 from systemd")
    };
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|w| !w.is_empty())
            .map(|w| unhex(w.trim_start_matches('[').trim_end_matches(']')))
            .collect()
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let rest = l.strip_prefix("OK ")?;
            if let Some(env) = rest.strip_prefix("env=") {
                return Some((String::new(), list(env)));
            }
            let (path, argv) = rest.split_once(" argv=").expect("probe format");
            Some((unhex(path.trim_start_matches("path=")), list(argv)))
        })
        .collect()
}

#[test]
fn systemd_252_itself_reads_every_exec_start_as_supervisord_argv() {
    let Some(bin) = probe("exec") else { return };
    let cases = encoded_commands();
    let input = prefixed("E ", cases.iter().map(|(line, _)| line.as_str()));
    let answers = ask_systemd(&bin, &input);
    assert_eq!(answers.len(), cases.len());
    for ((line, argv), answer) in cases.iter().zip(answers) {
        let (path, got) = answer.unwrap_or_else(|| panic!("systemd refused {line:?}"));
        assert_eq!(&got, argv, "{line}");
        assert_eq!(path, argv[0], "executed path for {line}");
    }
}

#[test]
fn systemd_252_itself_reads_every_environment_value() {
    let Some(bin) = probe("env") else { return };
    let cases = encoded_environment();
    let input = prefixed("V ", cases.iter().map(|(line, _)| line.as_str()));
    let answers = ask_systemd(&bin, &input);
    assert_eq!(answers.len(), cases.len());
    for ((line, want), answer) in cases.iter().zip(answers) {
        let (_, got) = answer.expect("environment always answers");
        assert_eq!(got, vec![want.clone()], "{line}");
    }
}
