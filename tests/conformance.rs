//! Differential tests against supervisord 4.3.0 itself.
//!
//! `../shared/oracle/conformance.sh` runs `svconf convert --to json` on every case
//! and compares verdict and resolved document with what supervisord's own parser
//! produced (the `*.expected.json` files). This test runs it over the golden cases,
//! the public corpus and the project's own `testdata/conformance/`.
//!
//! It needs `../shared` and a Python with supervisor 4.3.0 (`$PYTHON`, else the
//! oracle's `venv.sh` makes one). When either is missing the test says so and
//! passes, unless `SVCONF_REQUIRE_ORACLE=1` (set by `.ci/run`), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn required() -> bool {
    std::env::var("SVCONF_REQUIRE_ORACLE").is_ok_and(|v| v == "1")
}

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("PYTHON") {
        return Some(p);
    }
    let out = Command::new("bash")
        .arg(shared().join("oracle/venv.sh"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn run(cases: &Path) {
    let script = shared().join("oracle/conformance.sh");
    if !script.exists() {
        assert!(
            !required(),
            "../shared/oracle is missing but SVCONF_REQUIRE_ORACLE=1"
        );
        eprintln!("skipped: {} not found", script.display());
        return;
    }
    let Some(py) = python() else {
        assert!(
            !required(),
            "no python with supervisor 4.3.0 but SVCONF_REQUIRE_ORACLE=1"
        );
        eprintln!("skipped: no python with supervisor 4.3.0 (set PYTHON)");
        return;
    };
    let out = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_svconf"))
        .arg(cases)
        .env("PYTHON", py)
        .output()
        .expect("conformance.sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    let last = stdout.lines().last().unwrap_or_default().to_string();
    assert!(
        out.status.success(),
        "{} disagrees with supervisord:\n{stdout}\n{}",
        cases.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        last.starts_with("conformance: "),
        "unexpected output: {last}"
    );
}

#[test]
fn golden_cases_agree_with_supervisord() {
    run(&shared().join("oracle/cases"));
}

#[test]
fn public_corpus_agrees_with_supervisord() {
    run(&shared().join("corpus/cases"));
}

#[test]
fn own_cases_agree_with_supervisord() {
    run(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance"));
}
