//! `svconf convert --to plan`: the launch plan `svconf run` reads.
//!
//! Snapshots of the examples' plans; the committed schema; the round trip through
//! [`plan::parse`]; clear messages for hand-written plans that are wrong
//! (`testdata/plan/bad_*.json`); and, for every case supervisord accepts
//! (`../shared/oracle/cases`, `../shared/corpus/cases`), a plan whose `argv` is the command
//! as supervisord splits it and that accounts for every resolved process exactly once.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use svconf::Env;
use svconf::emit::plan::{self, Plan};

fn laravel_env() -> Env {
    let mut env = common::fixture_env();
    let text = std::fs::read_to_string(Path::new(common::ROOT).join("examples/laravel/app.env"))
        .expect("app.env");
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            env.set(k.trim(), v.trim());
        }
    }
    env
}

fn build(path: &Path, env: &Env) -> Plan {
    let compiled = common::compile_with(path, env);
    match plan::build(&compiled, env) {
        Ok(p) => p,
        Err(d) => panic!("{}: no plan: {d:?}", path.display()),
    }
}

fn example(dir: &str, env: &Env) -> Plan {
    build(
        &Path::new(common::ROOT).join(format!("examples/{dir}/supervisord.conf")),
        env,
    )
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&plan::schema()).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("the plan schema compiles")
}

/// Renders, checks the schema and the round trip, and returns the text.
fn render_checked(p: &Plan, validator: &jsonschema::Validator) -> Result<String, String> {
    let text = plan::render(p);
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "not valid against the schema: {}",
            errors.join("; ")
        ));
    }
    match plan::parse(&text) {
        Ok(back) if back == *p => Ok(text),
        Ok(_) => Err("parse(render(plan)) differs from the plan".into()),
        Err(e) => Err(format!("parse(render(plan)) fails: {e}")),
    }
}

#[test]
fn laravel_snapshot() {
    let p = example("laravel", &laravel_env());
    let text = render_checked(&p, &validator()).expect("laravel");
    common::settings().bind(|| insta::assert_snapshot!("laravel", common::redact(&text)));
}

#[test]
fn docker_snapshot() {
    let p = example("docker", &common::fixture_env());
    let text = render_checked(&p, &validator()).expect("docker");
    common::settings().bind(|| insta::assert_snapshot!("docker", common::redact(&text)));
}

#[test]
fn features_snapshot() {
    // AUTO logs, syslog, server URLs, PATH from `environment`, unusable commands, a group
    // listing a program twice, a shadowed group, an event listener
    let conf = Path::new(common::ROOT).join("testdata/plan/features.conf");
    let env = common::fixture_env();
    let validator = validator();
    check_case(&conf, &env, &validator).expect("features.conf");
    let text = render_checked(&build(&conf, &env), &validator).expect("features");
    common::settings().bind(|| insta::assert_snapshot!("features", common::redact(&text)));
}

#[test]
fn committed_schema_matches_the_code() {
    let path = Path::new(common::ROOT).join("schema/plan.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = plan::schema();
    if std::env::var("SVCONF_WRITE_SCHEMA").is_ok() {
        std::fs::write(&path, &current).expect("write schema");
        return;
    }
    assert!(
        committed == current,
        "schema/plan.schema.json is stale: run `SVCONF_WRITE_SCHEMA=1 cargo test --test plan committed_schema`"
    );
}

#[test]
fn cli_prints_the_plan() {
    let conf = Path::new(common::ROOT).join("examples/laravel/supervisord.conf");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_svconf"))
        .args(["convert", "--to", "plan", "--clear-env", "--env-file"])
        .arg(Path::new(common::ROOT).join("examples/laravel/app.env"))
        .arg(&conf)
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .expect("run svconf");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let p = plan::parse(&text).expect("the CLI's plan parses");
    assert_eq!(p.processes.len(), 9);
    assert_eq!(p.processes[0].full_name, "laravel-scheduler");
    assert_eq!(
        p.processes[1].environment.get("SUPERVISOR_PROCESS_NAME"),
        Some(&"laravel-worker_00".to_string())
    );
}

#[test]
fn cli_refuses_a_config_supervisord_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(
        &conf,
        "[supervisord]\n[program:x]\nautostart=maybe\ncommand=true\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_svconf"))
        .args(["convert", "--to", "plan"])
        .arg(&conf)
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .expect("run svconf");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SV202"));
}

#[test]
fn hand_written_plan_parses() {
    let text = std::fs::read_to_string(Path::new(common::ROOT).join("testdata/plan/minimal.json"))
        .expect("minimal.json");
    let p = plan::parse(&text).expect("minimal.json is a valid plan");
    assert_eq!(
        p.processes[0].argv.as_deref(),
        Some(&["sh".to_string(), "-c".into(), "echo hi; exit 0".into()][..])
    );
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(validator().is_valid(&value));
}

#[test]
fn bad_plans_are_refused_with_clear_messages() {
    let dir = Path::new(common::ROOT).join("testdata/plan");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata/plan")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bad_") && Path::new(n).extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut report = String::new();
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).expect("read");
        match plan::parse(&text) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => {
                let _ = writeln!(report, "{name}\n  {e}");
            }
        }
    }
    common::settings().bind(|| insta::assert_snapshot!("parse_errors", report));
}

// ---------------------------------------------------------------------------------------------
// every accepted case

fn shared() -> PathBuf {
    Path::new(common::ROOT).join("../shared")
}

/// A case: its name, its config and the extra variables of `NAME.env`.
type Case = (String, PathBuf, Vec<(String, String)>);

/// The accepted cases of a folder (`NAME.expected.json` with groups), with `NAME.env`.
fn cases(dir: &Path) -> Vec<Case> {
    common::cases(dir)
        .into_iter()
        .map(|c| (c.name, c.conf, c.extra))
        .collect()
}

/// The oracle's fixed environment plus a case's `NAME.env`.
fn case_env(extra: &[(String, String)]) -> Env {
    let mut vars: Vec<(String, String)> = extra.to_vec();
    for &(k, v) in common::ORACLE_ENV {
        if let Some(slot) = vars.iter_mut().find(|(key, _)| key == k) {
            slot.1 = v.to_string();
        } else {
            vars.push((k.to_string(), v.to_string()));
        }
    }
    let oracle = shared().join("oracle");
    Env {
        vars,
        hostname: "testhost".into(),
        cwd: oracle.canonicalize().unwrap_or(oracle),
        host_checks: false,
        python: None,
    }
}

/// What a case's plan must satisfy; the first problem found.
fn check_case(conf: &Path, env: &Env, validator: &jsonschema::Validator) -> Result<usize, String> {
    let compiled =
        svconf::compile(conf, env, &svconf::Options::default()).map_err(|e| e.to_string())?;
    let p = plan::build(&compiled, env).map_err(|d| format!("no plan: {d:?}"))?;
    for proc in &p.processes {
        match svconf::python::shlex_split_posix(&proc.command) {
            Ok(argv) if !argv.is_empty() => {
                if proc.argv.as_ref() != Some(&argv) {
                    return Err(format!(
                        "`{}`: argv {:?} != {argv:?}",
                        proc.full_name, proc.argv
                    ));
                }
            }
            _ => {
                if proc.argv.is_some() || proc.spawn_error.is_none() {
                    return Err(format!(
                        "`{}`: unusable command without spawn_error",
                        proc.full_name
                    ));
                }
            }
        }
        let env_name = proc.environment.get("SUPERVISOR_PROCESS_NAME");
        if !proc.environment.contains_key("SUPERVISOR_ENABLED") || env_name.is_none() {
            return Err(format!(
                "`{}`: SUPERVISOR_* variables missing",
                proc.full_name
            ));
        }
    }
    // every resolved process once: in `processes`, or in `skipped` with a reason
    let mut planned: Vec<(&str, &str, &str)> = p
        .processes
        .iter()
        .map(|x| (x.group.as_str(), x.name.as_str(), x.section.as_str()))
        .chain(
            p.skipped
                .iter()
                .map(|x| (x.group.as_str(), x.name.as_str(), x.section.as_str())),
        )
        .collect();
    let mut resolved: Vec<(&str, &str, &str)> = compiled
        .resolved
        .groups
        .iter()
        .flat_map(|g| {
            g.processes
                .iter()
                .map(|x| (g.name.as_str(), x.name.as_str(), x.section.as_str()))
        })
        .collect();
    planned.sort_unstable();
    resolved.sort_unstable();
    if planned != resolved {
        return Err(format!(
            "processes + skipped {planned:?} != resolved {resolved:?}"
        ));
    }
    render_checked(&p, validator)?;
    Ok(p.processes.len())
}

fn check_dir(dir: &Path) {
    let validator = validator();
    let mut failures = Vec::new();
    let mut n = 0;
    for (name, conf, extra) in cases(dir) {
        n += 1;
        if let Err(e) = check_case(&conf, &case_env(&extra), &validator) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "cases whose plan is wrong:\n{}",
        failures.join("\n")
    );
    assert!(n > 0, "no cases in {}", dir.display());
}

#[test]
fn golden_cases_plan() {
    check_dir(&shared().join("oracle/cases"));
}

#[test]
fn corpus_cases_plan() {
    check_dir(&shared().join("corpus/cases"));
}
