//! `svconf convert --to systemd`: the spec's worked example byte for byte, snapshots of
//! the examples and of bad inputs, and `systemd-analyze verify` (through
//! `../shared/tools/verify-units.sh`) over the units of every accepted case.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use svconf::emit::systemd::{EnvMode, Generated, SystemdOptions, generate};
use svconf::{Compiled, Env, Options};

fn compile(path: &Path, env: &Env, fragment: bool) -> Compiled {
    let options = Options {
        fragment,
        ..Options::default()
    };
    svconf::compile(path, env, &options).expect("svconf runs")
}

/// Files and findings as one text: `=== name ===` before each file.
fn render(compiled: &Compiled, g: &Generated) -> String {
    let mut s = String::new();
    for (name, content) in &g.files {
        let _ = write!(s, "=== {name} ===\n{content}");
    }
    s.push_str("=== findings ===\n");
    let mut diags = g.diagnostics.clone();
    diags.sort_by_key(|d| {
        (
            d.primary.as_ref().map(|l| (l.span.file, l.span.start)),
            d.code,
        )
    });
    for d in &diags {
        let at = d.primary.as_ref().map_or_else(String::new, |l| {
            let f = compiled.sources.file(l.span.file);
            let (line, col) = f.line_col(l.span.start);
            let name = f
                .path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            format!(" {name}:{line}:{col}")
        });
        let _ = writeln!(s, "{} {}{at}: {}", d.code, d.severity, d.message);
    }
    common::redact(&s)
}

fn env_with(file: Option<&Path>) -> Env {
    let mut env = common::fixture_env();
    if let Some(file) = file {
        for line in std::fs::read_to_string(file).expect("env file").lines() {
            if let Some((k, v)) = line.split_once('=') {
                if !k.trim_start().starts_with('#') {
                    env.set(k.trim(), v.trim());
                }
            }
        }
    }
    env
}

fn root() -> PathBuf {
    PathBuf::from(common::ROOT)
}

#[test]
fn worked_example_matches_the_spec() {
    let dir = root().join("testdata/systemd/worked-example");
    let compiled = compile(&dir.join("supervisord.conf"), &common::fixture_env(), true);
    let g = generate(
        &compiled,
        &common::fixture_env(),
        &SystemdOptions::default(),
    );
    let names: Vec<&str> = g.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["laravel-worker.target", "laravel-worker@.service"]);
    for (name, content) in &g.files {
        let expected =
            std::fs::read_to_string(dir.join("expected").join(name)).expect("expected file");
        assert_eq!(content, &expected, "{name} differs from spec §11");
    }
    common::settings().bind(|| insta::assert_snapshot!("worked_example", render(&compiled, &g)));
}

#[test]
fn examples() {
    let cases = [
        ("laravel", Some("examples/laravel/app.env")),
        ("docker", None),
    ];
    for (name, envfile) in cases {
        let env = env_with(envfile.map(|f| root().join(f)).as_deref());
        let compiled = compile(
            &root().join(format!("examples/{name}/supervisord.conf")),
            &env,
            false,
        );
        let g = generate(&compiled, &env, &SystemdOptions::default());
        common::settings()
            .bind(|| insta::assert_snapshot!(format!("example_{name}"), render(&compiled, &g)));
    }
    // the same with --logrotate, --app and --prefix
    let env = env_with(Some(&root().join("examples/laravel/app.env")));
    let compiled = compile(
        &root().join("examples/laravel/supervisord.conf"),
        &env,
        false,
    );
    let options = SystemdOptions {
        logrotate: true,
        app: Some("laravel".into()),
        prefix: "sv-".into(),
        ..SystemdOptions::default()
    };
    let g = generate(&compiled, &env, &options);
    common::settings()
        .bind(|| insta::assert_snapshot!("example_laravel_app", render(&compiled, &g)));
}

#[test]
fn bad_inputs() {
    common::settings().bind(|| {
        insta::glob!("../testdata", "systemd/bad/*.conf", |path| {
            let compiled = compile(path, &common::fixture_env(), false);
            let g = generate(
                &compiled,
                &common::fixture_env(),
                &SystemdOptions::default(),
            );
            insta::assert_snapshot!(render(&compiled, &g));
        });
    });
}

#[test]
fn strict_turns_warnings_into_errors_and_drops_the_program() {
    let path = root().join("testdata/systemd/bad/collision.conf");
    let compiled = compile(&path, &common::fixture_env(), false);
    let loose = generate(
        &compiled,
        &common::fixture_env(),
        &SystemdOptions::default(),
    );
    let strict = generate(
        &compiled,
        &common::fixture_env(),
        &SystemdOptions {
            strict: true,
            ..SystemdOptions::default()
        },
    );
    assert!(
        strict
            .diagnostics
            .iter()
            .all(|d| d.severity != svconf::diag::Severity::Warning)
    );
    assert!(strict.files.len() < loose.files.len());
}

// ---------------------------------------------------------------------------
// systemd-analyze verify over every accepted case.

fn verify_tool() -> Option<PathBuf> {
    let tool = root().join("../shared/tools/verify-units.sh");
    let analyze = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tool.exists() || !analyze {
        eprintln!("skipped: systemd-analyze or ../shared/tools/verify-units.sh not found");
        return None;
    }
    Some(tool)
}

/// Writes the unit files into a fresh folder and runs the tool; returns its output.
fn verify(tool: &Path, g: &Generated, label: &str) -> String {
    let dir = std::env::temp_dir().join(format!("svconf-sd-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut any = false;
    for (name, content) in &g.files {
        if name.ends_with(".service") || name.ends_with(".target") {
            std::fs::write(dir.join(name), content).expect("write unit");
            any = true;
        }
    }
    if !any {
        let _ = std::fs::remove_dir_all(&dir);
        return String::new();
    }
    let out = Command::new("bash")
        .arg(tool)
        .arg("-q")
        .arg(&dir)
        .output()
        .expect("verify-units runs");
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() && text.trim().is_empty() {
        return format!("exit {:?}", out.status.code());
    }
    text.trim().to_string()
}

fn case_env(conf: &Path) -> Env {
    let dir = conf.parent().expect("case folder");
    let mut env = Env {
        vars: vec![
            ("HOME".into(), "/home/oracle".into()),
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
            ("TMPDIR".into(), "/tmp".into()),
        ],
        hostname: "oracle-host".into(),
        cwd: dir.to_path_buf(),
        host_checks: false,
        python: None,
    };
    let envfile = conf.with_extension("env");
    if let Ok(text) = std::fs::read_to_string(envfile) {
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((k, v)) = line.split_once('=') {
                env.set(k, v);
            }
        }
    }
    env
}

#[test]
fn every_accepted_case_passes_systemd_analyze_verify() {
    let Some(tool) = verify_tool() else { return };
    let mut confs: Vec<PathBuf> = Vec::new();
    for dir in ["../shared/oracle/cases", "../shared/corpus/cases"] {
        let Ok(rd) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        let mut v: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        v.sort();
        confs.extend(v);
    }
    let mut failures = Vec::new();
    let (mut checked, mut refused) = (0, 0);
    let mut run = |conf: &Path, env: &Env, label: &str| {
        let compiled = compile(conf, env, false);
        if compiled.refused_by_supervisord() {
            refused += 1;
            return;
        }
        let g = generate(&compiled, env, &SystemdOptions::default());
        checked += 1;
        let out = verify(&tool, &g, label);
        if !out.is_empty() {
            failures.push(format!("{}:\n{out}", conf.display()));
        }
    };
    for (i, conf) in confs.iter().enumerate() {
        run(conf, &case_env(conf), &i.to_string());
    }
    let laravel_env = env_with(Some(&root().join("examples/laravel/app.env")));
    run(
        &root().join("examples/laravel/supervisord.conf"),
        &laravel_env,
        "laravel",
    );
    run(
        &root().join("examples/docker/supervisord.conf"),
        &common::fixture_env(),
        "docker",
    );
    eprintln!(
        "verify-units: {checked} configs checked, {refused} refused by supervisord skipped, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn worked_example_passes_verify_for_several_instances() {
    let Some(tool) = verify_tool() else { return };
    let dir = root().join("testdata/systemd/worked-example");
    let compiled = compile(&dir.join("supervisord.conf"), &common::fixture_env(), true);
    let g = generate(
        &compiled,
        &common::fixture_env(),
        &SystemdOptions::default(),
    );
    assert_eq!(verify(&tool, &g, "worked"), "");
}

/// Before systemd 240 there is no `StandardOutput=append:`: the log goes to the
/// journal and SV317 says so.
#[test]
fn old_systemd_versions_lose_append() {
    let path = root().join("testdata/systemd/bad/limits.conf");
    let compiled = compile(&path, &common::fixture_env(), false);
    let old = SystemdOptions {
        systemd_version: 236,
        ..SystemdOptions::default()
    };
    let g = generate(&compiled, &common::fixture_env(), &old);
    assert!(
        g.diagnostics.iter().any(|d| d.code.to_string() == "SV317"),
        "{}",
        render(&compiled, &g)
    );
    let unit = g
        .files
        .iter()
        .find(|(n, _)| n == "both.service")
        .map(|(_, c)| c.clone())
        .unwrap_or_default();
    assert!(!unit.contains("append:"), "{unit}");
    let g = generate(
        &compiled,
        &common::fixture_env(),
        &SystemdOptions::default(),
    );
    assert!(!g.diagnostics.iter().any(|d| d.code.to_string() == "SV317"));
}

// ---------------------------------------------------------------------------
// `%(ENV_X)s` of supervisord's process environment: `--env-mode runtime` (the default)
// writes `$X`/`${X}` into `ExecStart=` (SV333), `inline` the value svconf was given.

/// (file, `ExecStart=` line) of every service.
fn exec_lines(g: &Generated) -> Vec<(String, String)> {
    g.files
        .iter()
        .filter_map(|(name, content)| {
            content
                .lines()
                .find(|l| l.starts_with("ExecStart="))
                .map(|l| (name.clone(), l.to_string()))
        })
        .collect()
}

fn has_code(g: &Generated, code: &str) -> bool {
    g.diagnostics.iter().any(|d| d.code.to_string() == code)
}

#[test]
fn env_mode_runtime_and_inline() {
    let dir = root().join("testdata/systemd/env");
    let env = env_with(Some(&dir.join("runtime.env")));
    let compiled = compile(&dir.join("runtime.conf"), &env, false);
    assert_eq!(SystemdOptions::default().env_mode, EnvMode::Runtime);
    let runtime = generate(&compiled, &env, &SystemdOptions::default());
    let inline = generate(
        &compiled,
        &env,
        &SystemdOptions {
            env_mode: EnvMode::Inline,
            ..SystemdOptions::default()
        },
    );
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect()
    };
    // APP_ROOT as a whole word → `$APP_ROOT`, inside a word or quotes → `${…}`; PORT (the
    // program's `environment`) and LOG_LEVEL (`[supervisord] environment`) stay values;
    // an executable keeps the value (systemd does not expand variables there)
    assert_eq!(
        exec_lines(&runtime),
        pairs(&[
            (
                "api.service",
                "ExecStart=/bin/echo --root $APP_ROOT --conf=${APP_ROOT}/api.toml \"--name ${APP_NAME}\" --port 8080 --level info",
            ),
            (
                "tool.service",
                "ExecStart=/srv/app/bin/tool --root=/srv/app"
            ),
            ("worker@.service", "ExecStart=/bin/echo ${APP_ROOT}/w%i"),
        ]),
        "{}",
        render(&compiled, &runtime)
    );
    assert_eq!(
        exec_lines(&inline),
        pairs(&[
            (
                "api.service",
                "ExecStart=/bin/echo --root /srv/app --conf=/srv/app/api.toml \"--name demo\" --port 8080 --level info",
            ),
            (
                "tool.service",
                "ExecStart=/srv/app/bin/tool --root=/srv/app"
            ),
            ("worker@.service", "ExecStart=/bin/echo /srv/app/w%i"),
        ]),
        "{}",
        render(&compiled, &inline)
    );
    // outside `command` the value is substituted in both modes
    for g in [&runtime, &inline] {
        let api = &g
            .files
            .iter()
            .find(|(n, _)| n == "api.service")
            .expect("api")
            .1;
        assert!(api.contains("WorkingDirectory=/srv/app\n"), "{api}");
        assert!(
            api.contains("StandardOutput=append:/srv/app/api.log\n"),
            "{api}"
        );
        assert!(!api.contains("Environment=\"APP_ROOT"), "{api}");
        assert!(has_code(g, "SV332"));
    }
    assert!(has_code(&runtime, "SV333"));
    assert!(!has_code(&inline, "SV333"));
    common::settings().bind(|| {
        insta::assert_snapshot!("env_runtime", render(&compiled, &runtime));
        insta::assert_snapshot!("env_inline", render(&compiled, &inline));
    });
    if let Some(tool) = verify_tool() {
        assert_eq!(verify(&tool, &runtime, "env-runtime"), "");
        assert_eq!(verify(&tool, &inline, "env-inline"), "");
    }
}

// ---------------------------------------------------------------------------
// Optional features: `--systemd-version` 250/254, `--faithful-kill`, `--on-failure`,
// `--eventlisteners=units`, `--user-units` (`testdata/systemd/options`).

fn options_case() -> (Compiled, Env) {
    let env = common::fixture_env();
    let path = root().join("testdata/systemd/options/supervisord.conf");
    (compile(&path, &env, false), env)
}

/// The content of one generated file.
fn file<'g>(g: &'g Generated, name: &str) -> &'g str {
    g.files
        .iter()
        .find(|(n, _)| n == name)
        .map_or_else(|| panic!("no {name} in {:?}", g.files), |(_, c)| c.as_str())
}

/// The lines of `name` that start with one of `prefixes`, in file order.
fn lines_with(g: &Generated, name: &str, prefixes: &[&str]) -> Vec<String> {
    file(g, name)
        .lines()
        .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
        .map(str::to_string)
        .collect()
}

fn codes_of(g: &Generated, section_word: &str, code: &str) -> usize {
    g.diagnostics
        .iter()
        .filter(|d| d.code.to_string() == code && d.message.contains(section_word))
        .count()
}

/// §2.2: from systemd 250 a bare executable with the program's `PATH` gets
/// `ExecSearchPath=` instead of SV315; before 250, or when the `PATH` has a relative
/// entry, SV315 stays.
#[test]
fn exec_search_path_from_systemd_250() {
    let (compiled, env) = options_case();
    let at = |v: u32| {
        generate(
            &compiled,
            &env,
            &SystemdOptions {
                systemd_version: v,
                ..SystemdOptions::default()
            },
        )
    };
    let (old, new) = (at(249), at(250));
    let exec = ["ExecSearchPath=", "ExecStart=", "Environment="];
    assert_eq!(
        lines_with(&old, "web.service", &exec),
        [
            "Environment=\"PATH=/srv/app/venv/bin:/usr/bin:/bin\"",
            "ExecStart=gunicorn app:wsgi",
        ]
    );
    assert_eq!(codes_of(&old, "`gunicorn`", "SV315"), 1);
    assert_eq!(
        lines_with(&new, "web.service", &exec),
        [
            "Environment=\"PATH=/srv/app/venv/bin:/usr/bin:/bin\"",
            "ExecSearchPath=/srv/app/venv/bin:/usr/bin:/bin",
            "ExecStart=gunicorn app:wsgi",
        ],
        "{}",
        render(&compiled, &new)
    );
    assert_eq!(codes_of(&new, "`gunicorn`", "SV315"), 0);
    // `bin` is relative: systemd would ignore it in ExecSearchPath=, so SV315 stays
    assert_eq!(
        lines_with(&new, "relpath.service", &exec),
        [
            "Environment=\"PATH=bin:/usr/bin\"",
            "ExecStart=tool --serve",
        ]
    );
    assert_eq!(codes_of(&new, "`tool`", "SV315"), 1);
    // the default (240) is unchanged
    assert!(!file(&at(240), "web.service").contains("ExecSearchPath="));
    // verify 252 knows ExecSearchPath= (it does not use it to find the executable)
    if let Some(tool) = verify_tool() {
        assert_eq!(verify(&tool, &new, "search-path"), "");
    }
}

/// §6.2: from systemd 254 `RestartSteps=`/`RestartMaxDelaySec=` = startretries, next to
/// `RestartSec=1`; not without restarts (`autorestart=false`).
#[test]
fn restart_steps_from_systemd_254() {
    let (compiled, env) = options_case();
    let at = |v: u32| {
        generate(
            &compiled,
            &env,
            &SystemdOptions {
                systemd_version: v,
                ..SystemdOptions::default()
            },
        )
    };
    let (old, new) = (at(253), at(254));
    let restart = ["Restart"];
    assert_eq!(
        lines_with(&old, "web.service", &restart),
        [
            "Restart=always",
            "RestartPreventExitStatus=0",
            "RestartSec=1"
        ]
    );
    assert_eq!(
        lines_with(&new, "web.service", &restart),
        [
            "Restart=always",
            "RestartPreventExitStatus=0",
            "RestartSec=1",
            "RestartSteps=5",
            "RestartMaxDelaySec=5",
        ]
    );
    assert_eq!(
        lines_with(&new, "worker@.service", &restart),
        [
            "Restart=always",
            "RestartPreventExitStatus=0",
            "RestartSec=1",
            "RestartSteps=3",
            "RestartMaxDelaySec=3",
        ]
    );
    assert_eq!(
        lines_with(&new, "relpath.service", &restart),
        ["Restart=no", "RestartSec=1"]
    );
    // systemd-analyze verify 252 predates RestartSteps= (254): it reports exactly these
    // two keys as unknown and nothing else, so the expectation is that output instead
    // of an empty one
    if let Some(tool) = verify_tool() {
        let out = verify(&tool, &new, "restart-steps");
        let unknown: Vec<&str> = out.lines().filter(|l| l.contains("Unknown key")).collect();
        let rest: Vec<&str> = out
            .lines()
            .filter(|l| !l.contains("Unknown key") && !l.starts_with("FAIL "))
            .filter(|l| !l.starts_with("verify-units: errors found"))
            .collect();
        assert!(rest.is_empty(), "{out}");
        assert_eq!(unknown.len(), 4, "{out}");
        assert!(
            unknown
                .iter()
                .all(|l| l.contains("Unknown key 'RestartSteps'")
                    || l.contains("Unknown key 'RestartMaxDelaySec'")),
            "{out}"
        );
        assert_eq!(verify(&tool, &old, "restart-steps-253"), "");
    }
}

/// §7: `--faithful-kill` stops programs without `stopasgroup`/`killasgroup` with
/// `KillMode=process` (no SV325 for them); `stopasgroup=true` keeps `control-group`.
#[test]
fn faithful_kill_uses_kill_mode_process() {
    let (compiled, env) = options_case();
    let plain = generate(&compiled, &env, &SystemdOptions::default());
    let faithful = generate(
        &compiled,
        &env,
        &SystemdOptions {
            faithful_kill: true,
            ..SystemdOptions::default()
        },
    );
    assert_eq!(
        lines_with(&plain, "web.service", &["KillMode="]),
        ["KillMode=mixed"]
    );
    assert_eq!(codes_of(&plain, "`web`", "SV325"), 1);
    assert_eq!(
        lines_with(&faithful, "web.service", &["KillMode="]),
        ["KillMode=process"]
    );
    assert_eq!(
        lines_with(&faithful, "worker@.service", &["KillMode="]),
        ["KillMode=control-group"]
    );
    assert!(
        !has_code(&faithful, "SV325"),
        "{}",
        render(&compiled, &faithful)
    );
    if let Some(tool) = verify_tool() {
        assert_eq!(verify(&tool, &faithful, "faithful-kill"), "");
    }
}

/// §9.1: `--on-failure UNIT` adds `OnFailure=UNIT` to the `[Unit]` of every service;
/// invalid unit names are refused (by the CLI with a usage error).
#[test]
fn on_failure_in_every_service() {
    use svconf::emit::systemd::encode::unit_reference;
    let (compiled, env) = options_case();
    let g = generate(
        &compiled,
        &env,
        &SystemdOptions {
            on_failure: Some("notify@%n.service".into()),
            ..SystemdOptions::default()
        },
    );
    for name in ["web.service", "worker@.service", "relpath.service"] {
        assert_eq!(
            lines_with(&g, name, &["[Unit]", "After=", "OnFailure=", "StartLimit"]),
            [
                "[Unit]",
                "After=network.target",
                "OnFailure=notify@%n.service",
                "StartLimitIntervalSec=9",
                "StartLimitBurst=4",
            ]
            .iter()
            .map(|l| match (name, *l) {
                ("web.service", "StartLimitIntervalSec=9") => "StartLimitIntervalSec=13",
                ("web.service", "StartLimitBurst=4") => "StartLimitBurst=6",
                _ => l,
            })
            .collect::<Vec<_>>(),
            "{name}"
        );
    }
    assert!(!file(&g, "worker.target").contains("OnFailure="));
    assert_eq!(
        unit_reference("notify\\x2dme@%n.service").as_deref(),
        Ok("notify\\x2dme@%n.service")
    );
    for bad in [
        "notify",
        "notify me.service",
        "notify.unit",
        "@x.service",
        "notify@.service",
        "n%zx.service",
        "a\\b.service",
    ] {
        assert!(unit_reference(bad).is_err(), "{bad}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_svconf"))
        .args(["convert", "--to", "systemd", "--on-failure", "notify me"])
        .arg(root().join("testdata/systemd/options/supervisord.conf"))
        .output()
        .expect("svconf runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "svconf: error: `--on-failure notify me`: `notify me` is not a unit name (escape it with `systemd-escape`)\n"
    );
    assert!(out.stdout.is_empty());
    if let Some(tool) = verify_tool() {
        assert_eq!(verify(&tool, &g, "on-failure"), "");
    }
}

/// §9.1: `--eventlisteners=units` writes a plain service for an event listener, still
/// with SV309 (now saying what changes).
#[test]
fn eventlistener_units() {
    let (compiled, env) = options_case();
    let plain = generate(&compiled, &env, &SystemdOptions::default());
    assert!(!plain.files.iter().any(|(n, _)| n.starts_with("crashmail")));
    let g = generate(
        &compiled,
        &env,
        &SystemdOptions {
            eventlistener_units: true,
            ..SystemdOptions::default()
        },
    );
    assert_eq!(
        lines_with(
            &g,
            "crashmail.service",
            &[
                "Description=",
                "ExecStart=",
                "Restart=",
                "KillMode=",
                "WantedBy="
            ]
        ),
        [
            "Description=crashmail (supervisord program crashmail)",
            "ExecStart=/usr/local/bin/crashmail -m ops@example.com",
            "Restart=always",
            "KillMode=mixed",
            "WantedBy=multi-user.target",
        ]
    );
    let sv309: Vec<String> = g
        .diagnostics
        .iter()
        .filter(|d| d.code.to_string() == "SV309")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        sv309,
        ["event listener `crashmail` becomes a plain service"]
    );
    // supervisord starts listeners (priority -1) first
    assert_eq!(
        lines_with(&g, "web.service", &["After="]),
        ["After=network.target", "After=crashmail.service"]
    );
    if let Some(tool) = verify_tool() {
        assert_eq!(verify(&tool, &g, "listener-units"), "");
    }
}

/// `--user-units` drops `User=`; SV328 (info) says so once per program.
#[test]
fn user_units_report_the_dropped_user() {
    let (compiled, env) = options_case();
    let g = generate(
        &compiled,
        &env,
        &SystemdOptions {
            user_units: true,
            ..SystemdOptions::default()
        },
    );
    assert!(!file(&g, "web.service").contains("User="));
    let sv328: Vec<String> = g
        .diagnostics
        .iter()
        .filter(|d| d.code.to_string() == "SV328")
        .map(|d| format!("{} {}", d.severity, d.message))
        .collect();
    assert_eq!(
        sv328,
        ["info `user=www-data` of `web` is not written into its user units"]
    );
    let system = generate(&compiled, &env, &SystemdOptions::default());
    assert_eq!(
        lines_with(&system, "web.service", &["User="]),
        ["User=www-data"]
    );
    assert!(!has_code(&system, "SV328"));
    if let Some(tool) = verify_tool() {
        assert_eq!(verify(&tool, &g, "user-units"), "");
    }
}
