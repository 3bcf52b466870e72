//! Shared helpers for the integration tests: one snapshot directory, one fixed
//! environment, one way to render findings.
#![allow(dead_code)] // each test crate uses a different subset

pub(crate) mod launcher;

use std::path::{Path, PathBuf};

use svconf::diag::render::{human, json};
use svconf::{Compiled, Env, Options};

/// The crate root; fixtures and snapshots live below it.
pub(crate) const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// insta settings: snapshots in the top-level `snapshots/`.
pub(crate) fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s
}

/// The filter every snapshot goes through: the machine's checkout path (it
/// shows up through `%(here)s` and in paths outside the cwd) becomes `[ROOT]`.
/// A plain replacement, because insta's `filters` feature (regex) is not enabled.
pub(crate) fn redact(text: &str) -> String {
    text.replace(ROOT, "[ROOT]")
}

/// A fixed, small environment: the same on every machine and in CI.
pub(crate) fn fixture_env() -> Env {
    Env {
        vars: vec![
            ("HOME".into(), "/home/svconf".into()),
            ("APP_ROOT".into(), "/srv/app".into()),
            ("PATH".into(), "/usr/bin:/bin".into()),
        ],
        hostname: "testhost".into(),
        cwd: PathBuf::from(ROOT),
        host_checks: false,
        python: None,
    }
}

/// [`fixture_env`] with the checks against this machine turned on (`--host`).
pub(crate) fn host_env() -> Env {
    Env {
        host_checks: true,
        ..fixture_env()
    }
}

/// Compiles a file with the fixture environment; panics when svconf cannot run.
pub(crate) fn compile(path: &Path) -> Compiled {
    compile_with(path, &fixture_env())
}

/// Compiles a file with the given environment; panics when svconf cannot run.
pub(crate) fn compile_with(path: &Path, env: &Env) -> Compiled {
    match svconf::compile(path, env, &Options::default()) {
        Ok(c) => c,
        Err(e) => panic!("svconf could not check {}: {e}", path.display()),
    }
}

/// The human report, as `svconf check` prints it without colour at 80 columns.
pub(crate) fn render_human(c: &Compiled) -> String {
    let sorted = c.diagnostics.sorted();
    redact(&human::render(&c.sources, &sorted, &human_options()))
}

/// No colour, 80 columns, paths relative to the crate root.
pub(crate) fn human_options() -> human::HumanOptions {
    human::HumanOptions {
        color: false,
        width: 80,
        cwd: Some(PathBuf::from(ROOT)),
    }
}

/// The JSON report.
pub(crate) fn render_json(c: &Compiled) -> String {
    let sorted = c.diagnostics.sorted();
    redact(&json::render(&c.sources, &sorted, Some(Path::new(ROOT))))
}

/// The ids of every finding, in report order.
pub(crate) fn codes(c: &Compiled) -> Vec<&'static str> {
    c.diagnostics
        .sorted()
        .iter()
        .map(|d| d.code.info().id)
        .collect()
}

/// The fixed environment `../shared/oracle/conformance.sh` runs svconf and the oracle in
/// (a case's `NAME.env` adds to it). `NO_COLOR` is svconf's side only.
pub(crate) const ORACLE_ENV: &[(&str, &str)] = &[
    ("HOME", "/home/oracle"),
    ("PATH", "/usr/bin:/bin"),
    ("LANG", "C.UTF-8"),
    ("LC_ALL", "C.UTF-8"),
    ("TMPDIR", "/tmp"),
    ("SVCONF_FOO", "foo-value"),
    ("SVCONF_NUM", "2"),
    ("SVCONF_SPACE", "has space"),
    ("SVCONF_PASS", "s3cret"),
];

/// One case: its config and the extra variables of `NAME.env`.
pub(crate) struct Case {
    /// `NAME`.
    pub(crate) name: String,
    /// `NAME.conf` or `NAME/supervisord.conf`.
    pub(crate) conf: PathBuf,
    /// The variables of `NAME.env`.
    pub(crate) extra: Vec<(String, String)>,
}

/// The accepted cases of a folder (those whose `NAME.expected.json` has groups, or every
/// case when there are no expected files, as in `testdata/ini`).
pub(crate) fn cases(dir: &Path) -> Vec<Case> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in &names {
        let (name, conf) = if let Some(stem) = n.strip_suffix(".conf") {
            (stem.to_string(), dir.join(n))
        } else if dir.join(n).join("supervisord.conf").is_file() {
            (n.clone(), dir.join(n).join("supervisord.conf"))
        } else {
            continue;
        };
        let expected = dir.join(format!("{name}.expected.json"));
        if expected.exists() {
            let text = std::fs::read_to_string(&expected).unwrap_or_default();
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if doc.get("groups").is_none() {
                continue;
            }
        }
        let mut extra = Vec::new();
        if let Ok(text) = std::fs::read_to_string(dir.join(format!("{name}.env"))) {
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                if let Some((k, v)) = line.split_once('=') {
                    extra.push((k.to_string(), v.to_string()));
                }
            }
        }
        out.push(Case { name, conf, extra });
    }
    out
}
