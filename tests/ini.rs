//! `svconf convert --to ini`: one self-contained file.
//!
//! Snapshots of the examples, and a round trip over every case supervisord accepts
//! (`../shared/oracle/cases`, `../shared/corpus/cases`, `testdata/ini`): the flattened file,
//! written into another directory, must resolve to the same document as the original, under
//! svconf and (when `$PYTHON` has supervisor 4.3.0) under supervisord itself.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use svconf::Env;
use svconf::emit::ini::{IniError, IniOptions, render};

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

fn ini(path: &str, env: &Env, options: IniOptions) -> String {
    let compiled = common::compile_with(&Path::new(common::ROOT).join(path), env);
    match render(&compiled, env, &options) {
        Ok(s) => common::redact(&s),
        Err(e) => panic!("{path}: {e}"),
    }
}

const PLAIN: IniOptions = IniOptions {
    expand_env: false,
    explicit_defaults: false,
};
const EXPAND: IniOptions = IniOptions {
    expand_env: true,
    explicit_defaults: false,
};
const DEFAULTS: IniOptions = IniOptions {
    expand_env: false,
    explicit_defaults: true,
};
const BOTH: IniOptions = IniOptions {
    expand_env: true,
    explicit_defaults: true,
};

#[test]
fn laravel_snapshots() {
    let env = laravel_env();
    common::settings().bind(|| {
        let conf = "examples/laravel/supervisord.conf";
        insta::assert_snapshot!("laravel", ini(conf, &env, PLAIN));
        insta::assert_snapshot!("laravel_expand_env", ini(conf, &env, EXPAND));
        insta::assert_snapshot!("laravel_explicit_defaults", ini(conf, &env, DEFAULTS));
        insta::assert_snapshot!("laravel_both", ini(conf, &env, BOTH));
    });
}

#[test]
fn docker_snapshots() {
    let env = common::fixture_env();
    common::settings().bind(|| {
        let conf = "examples/docker/supervisord.conf";
        insta::assert_snapshot!("docker", ini(conf, &env, PLAIN));
        insta::assert_snapshot!("docker_explicit_defaults", ini(conf, &env, DEFAULTS));
    });
}

#[test]
fn here_and_default_fixture_snapshot() {
    let env = common::fixture_env();
    common::settings().bind(|| {
        insta::assert_snapshot!(
            "here_default",
            ini("testdata/ini/here-default/supervisord.conf", &env, PLAIN)
        );
        insta::assert_snapshot!(
            "here_no_include",
            ini("testdata/ini/here-no-include.conf", &env, PLAIN)
        );
    });
}

#[test]
fn refused_configs_are_not_converted() {
    let env = common::fixture_env();
    let compiled = common::compile_with(
        &Path::new(common::ROOT).join("testdata/ini/refused.ini"),
        &env,
    );
    match render(&compiled, &env, &PLAIN) {
        Err(IniError::Refused(d)) => assert!(!d.is_empty()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn no_include_and_continuations() {
    let env = laravel_env();
    let out = ini("examples/laravel/supervisord.conf", &env, PLAIN);
    assert!(!out.contains("[include]"));
    assert!(out.contains("[program:laravel-worker]"));
    let out = ini("testdata/ini/here-no-include.conf", &env, PLAIN);
    assert!(
        out.contains("command = /bin/sh -c\n    'echo one;\n"),
        "{out}"
    );
}

// ---------------------------------------------------------------- round trip

fn shared() -> PathBuf {
    Path::new(common::ROOT).join("../shared")
}

/// Cases that cannot be flattened, and say so: `process_name=%(here)s` without `[include]`
/// (supervisord checks the raw text for `/`, so the directory cannot be written literally).
const UNREPRESENTABLE: &[&str] = &["15-here-without-include"];

use common::{Case, cases};

/// The fixed environment of `conformance.sh` (`env -i EXTRA... FIXED...`).
fn fixed_vars(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = extra.to_vec();
    for &(k, v) in common::ORACLE_ENV.iter().chain([("NO_COLOR", "1")].iter()) {
        if let Some(slot) = vars.iter_mut().find(|(key, _)| key == k) {
            slot.1 = v.to_string();
        } else {
            vars.push((k.to_string(), v.to_string()));
        }
    }
    vars
}

fn oracle_dir() -> PathBuf {
    shared().join("oracle")
}

fn case_env(case: &Case) -> Env {
    Env {
        vars: fixed_vars(&case.extra),
        hostname: "testhost".into(),
        cwd: oracle_dir().canonicalize().unwrap_or_else(|_| oracle_dir()),
        host_checks: false,
        python: None,
    }
}

/// The document with both directories named, `included_files` and `warnings` dropped.
fn normalise(json: &str, orig_dir: &Path, flat_dir: &Path) -> serde_json::Value {
    let text = json
        .replace(&flat_dir.display().to_string(), "<FLAT>")
        .replace(&orig_dir.display().to_string(), "<HERE>");
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if let Some(map) = doc.as_object_mut() {
        map.remove("included_files");
        map.remove("warnings");
    }
    doc
}

fn svconf_json(conf: &Path, env: &Env) -> Result<String, String> {
    let c = svconf::compile(conf, env, &svconf::Options::default()).map_err(|e| e.to_string())?;
    if c.refused_by_supervisord() {
        let first = c
            .diagnostics
            .sorted()
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_default();
        return Err(format!("svconf refuses: {first}"));
    }
    Ok(svconf::emit::json::render(&c.resolved))
}

fn oracle_json(py: &str, conf: &Path, case: &Case) -> Result<String, String> {
    let out = Command::new(py)
        .arg(oracle_dir().join("supervisord-oracle.py"))
        .args(["--portable", "--raw-paths", "--hostname", "testhost"])
        .arg(conf)
        .current_dir(case_env(case).cwd)
        .env_clear()
        .envs(fixed_vars(&case.extra))
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("supervisord refuses: {}", stdout.trim()))
    }
}

/// First difference between two documents, as a JSON path.
#[allow(clippy::many_single_char_names)]
fn first_diff(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value as V;
    match (a, b) {
        (V::Object(x), V::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_diff(p, q, &format!("{path}.{k}")),
                _ => Some(format!("{path}.{k}: only on one side")),
            })
        }
        (V::Array(x), V::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_diff(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!(
            "{path}: {} vs {}",
            a.to_string().chars().take(120).collect::<String>(),
            b.to_string().chars().take(120).collect::<String>()
        )),
    }
}

/// A case's environment, its folder (canonical), its config path, and what svconf makes of it.
fn original(case: &Case) -> Result<(Env, PathBuf, PathBuf, svconf::Compiled), String> {
    let env = case_env(case);
    let orig_dir = case
        .conf
        .parent()
        .expect("a config has a directory")
        .canonicalize()
        .map_err(|e| e.to_string())?;
    let conf = orig_dir.join(case.conf.file_name().expect("a file name"));
    let compiled =
        svconf::compile(&conf, &env, &svconf::Options::default()).map_err(|e| e.to_string())?;
    Ok((env, orig_dir, conf, compiled))
}

/// Round-trips one case with one set of options; `Err` says why it does not.
fn round_trip(case: &Case, options: IniOptions, py: Option<&str>) -> Result<(), String> {
    let (env, orig_dir, conf, compiled) = original(case)?;
    let text = match render(&compiled, &env, &options) {
        Ok(text) => text,
        Err(IniError::Unrepresentable { .. }) if UNREPRESENTABLE.contains(&case.name.as_str()) => {
            return Ok(());
        }
        Err(e) => return Err(format!("not converted: {e}")),
    };
    if UNREPRESENTABLE.contains(&case.name.as_str()) {
        return Err("converted, but it was expected not to be".to_string());
    }
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let flat_dir = tmp.path().join("flat");
    std::fs::create_dir_all(&flat_dir).map_err(|e| e.to_string())?;
    let flat = flat_dir.join("supervisord.conf");
    std::fs::write(&flat, &text).map_err(|e| e.to_string())?;

    let a = normalise(&svconf_json(&conf, &env)?, &orig_dir, &flat_dir);
    let b = normalise(
        &svconf_json(&flat, &env).map_err(|e| format!("flattened: {e}\n{text}"))?,
        &orig_dir,
        &flat_dir,
    );
    if let Some(d) = first_diff(&a, &b, "") {
        return Err(format!("svconf: {d}"));
    }
    if let Some(py) = py {
        let a = normalise(&oracle_json(py, &conf, case)?, &orig_dir, &flat_dir);
        let b = normalise(
            &oracle_json(py, &flat, case).map_err(|e| format!("flattened: {e}"))?,
            &orig_dir,
            &flat_dir,
        );
        if let Some(d) = first_diff(&a, &b, "") {
            return Err(format!("supervisord: {d}"));
        }
    }
    Ok(())
}

/// INI → TOML → (read as TOML) → INI: the last file must resolve to the original's
/// document under svconf and, with `py`, under supervisord itself (issue 4).
fn round_trip_via_toml(case: &Case, py: Option<&str>) -> Result<(), String> {
    // a folder whose name holds `%` changes under supervisord's second expansion of log
    // paths, so where such a config lives is part of what it means
    if case.name.contains('%') {
        return Ok(());
    }
    let (env, orig_dir, conf, compiled) = original(case)?;
    let toml = svconf::emit::toml::render(&compiled.declared());
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let flat_dir = tmp.path().join("flat");
    std::fs::create_dir_all(&flat_dir).map_err(|e| e.to_string())?;
    let toml_path = flat_dir.join("supervisord.toml");
    std::fs::write(&toml_path, &toml).map_err(|e| e.to_string())?;
    let from_toml = svconf::compile(&toml_path, &env, &svconf::Options::default())
        .map_err(|e| e.to_string())?;
    if from_toml.refused_by_supervisord() {
        let codes: Vec<String> = from_toml
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        return Err(format!("the TOML form is refused: {codes:?}\n{toml}"));
    }
    let text = match render(&from_toml, &env, &PLAIN) {
        Ok(text) => text,
        Err(IniError::Unrepresentable { .. }) if UNREPRESENTABLE.contains(&case.name.as_str()) => {
            return Ok(());
        }
        Err(e) => return Err(format!("TOML form not converted to INI: {e}")),
    };
    let flat = flat_dir.join("supervisord.conf");
    std::fs::write(&flat, &text).map_err(|e| e.to_string())?;
    // the TOML form is the config as written: like the INI file it came from, its
    // `%(here)s` means the folder it lives in, so both folders compare as one
    let parents =
        [orig_dir.parent(), flat_dir.parent()].map(|p| p.map(|p| p.display().to_string()));
    let same = |v: serde_json::Value| -> serde_json::Value {
        let mut text = v.to_string().replace("<FLAT>", "<HERE>");
        for p in parents.iter().flatten() {
            text = text.replace(p.as_str(), "<PARENT>");
        }
        serde_json::from_str(&text).unwrap_or(v)
    };
    let a = same(normalise(&svconf_json(&conf, &env)?, &orig_dir, &flat_dir));
    let b = same(normalise(
        &svconf_json(&flat, &env).map_err(|e| format!("via TOML: {e}\n{text}"))?,
        &orig_dir,
        &flat_dir,
    ));
    if let Some(d) = first_diff(&a, &b, "") {
        return Err(format!("svconf: {d}"));
    }
    if let Some(py) = py {
        let a = same(normalise(
            &oracle_json(py, &conf, case)?,
            &orig_dir,
            &flat_dir,
        ));
        let b = same(normalise(
            &oracle_json(py, &flat, case).map_err(|e| format!("via TOML: {e}"))?,
            &orig_dir,
            &flat_dir,
        ));
        if let Some(d) = first_diff(&a, &b, "") {
            return Err(format!("supervisord: {d}"));
        }
    }
    Ok(())
}

fn python() -> Option<String> {
    std::env::var("PYTHON")
        .ok()
        .filter(|p| Path::new(p).exists())
}

/// Runs every case of `dir` with every option set; returns (cases, failures).
fn run_dir(dir: &Path) -> (usize, Vec<String>) {
    let all = cases(dir);
    let py = python();
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(case) = all.get(i) else { break };
                    for (label, options) in [
                        ("plain", PLAIN),
                        ("expand-env", EXPAND),
                        ("explicit-defaults", DEFAULTS),
                        ("both", BOTH),
                    ] {
                        // supervisord itself is asked about the plain and the fullest form
                        let py = py
                            .as_deref()
                            .filter(|_| label == "plain" || label == "both");
                        if let Err(e) = round_trip(case, options, py) {
                            failures
                                .lock()
                                .expect("no panics while locked")
                                .push(format!("{} [{label}]: {e}", case.name));
                        }
                    }
                    if let Err(e) = round_trip_via_toml(case, py.as_deref()) {
                        failures
                            .lock()
                            .expect("no panics while locked")
                            .push(format!("{} [via toml]: {e}", case.name));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("no panics while locked");
    failures.sort();
    (all.len(), failures)
}

fn check_dir(dir: &Path) {
    if !dir.exists() {
        eprintln!("skipped: {} not found", dir.display());
        return;
    }
    let (n, failures) = run_dir(dir);
    println!(
        "{}: {n} accepted cases, {} round-trip failures{}",
        dir.display(),
        failures.len(),
        if python().is_some() {
            " (svconf and supervisord)"
        } else {
            " (svconf only; set PYTHON for supervisord)"
        }
    );
    assert!(
        failures.is_empty(),
        "cases that do not round-trip:\n{}",
        failures.join("\n")
    );
    assert!(n > 0, "no cases in {}", dir.display());
}

#[test]
fn golden_cases_round_trip() {
    check_dir(&shared().join("oracle/cases"));
}

#[test]
fn corpus_cases_round_trip() {
    check_dir(&shared().join("corpus/cases"));
}

#[test]
fn own_cases_round_trip() {
    check_dir(&Path::new(common::ROOT).join("testdata/ini"));
}
