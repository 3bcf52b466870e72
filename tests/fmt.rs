//! `svconf fmt`: snapshots of the layout, idempotence, semantic preservation (against
//! svconf's own resolver and, with `$PYTHON`, supervisord 4.3.0 itself), the CLI modes
//! and a property test.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::Config;
use svconf::diag::Diagnostics;
use svconf::emit::fmt::{FmtError, format};
use svconf::source::FileId;
use svconf::syntax::parse;
use svconf::{Env, Options};

fn fmt(text: &str) -> Result<String, FmtError> {
    format(FileId(0), text, &mut Diagnostics::new())
}

/// `../shared`, canonical (paths in the resolved documents are compared as text).
fn shared() -> PathBuf {
    let p = Path::new(common::ROOT).join("../shared");
    fs::canonicalize(&p).unwrap_or(p)
}

/// Every regular file below `dir`, sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------

#[test]
fn examples() {
    common::settings().bind(|| {
        insta::glob!(
            "../examples",
            "{laravel/supervisord.conf,laravel/conf.d/*.conf,docker/supervisord.conf}",
            |path| {
                let text = fs::read_to_string(path).expect("readable");
                let out = fmt(&text).expect("the examples format");
                insta::assert_snapshot!(out);
            }
        );
    });
}

#[test]
fn fixtures() {
    common::settings().bind(|| {
        insta::glob!("../testdata", "fmt/*.conf", |path| {
            let text = fs::read_to_string(path).expect("readable");
            let out = fmt(&text).expect("the fixtures format");
            insta::assert_snapshot!(out);
        });
    });
}

// ---------------------------------------------------------------------------
// Idempotence and block equality over every file we have
// ---------------------------------------------------------------------------

fn all_inputs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(&Path::new(common::ROOT).join("testdata/fmt"), &mut files);
    walk(&Path::new(common::ROOT).join("examples"), &mut files);
    walk(&shared().join("oracle/cases"), &mut files);
    walk(&shared().join("corpus/cases"), &mut files);
    files.retain(|p| {
        !p.to_string_lossy().ends_with(".expected.json") && !p.to_string_lossy().ends_with(".env")
    });
    files
}

#[test]
fn idempotent_on_every_file() {
    let mut accepted = 0;
    let mut refused = 0;
    for path in all_inputs() {
        let Ok(text) = fs::read_to_string(&path) else {
            refused += 1;
            continue;
        };
        match fmt(&text) {
            Ok(once) => {
                accepted += 1;
                let twice = fmt(&once)
                    .unwrap_or_else(|e| panic!("{}: formatted text refused: {e}", path.display()));
                assert_eq!(once, twice, "{}: fmt is not idempotent", path.display());
            }
            Err(FmtError::Syntax) => refused += 1,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    println!("idempotence: {accepted} files formatted, {refused} refused");
    assert!(accepted >= 3);
}

// ---------------------------------------------------------------------------
// Semantic preservation
// ---------------------------------------------------------------------------

/// The fixed environment of `../shared/oracle/conformance.sh`, plus a case's `.env`.
fn oracle_env(cases: &Path, name: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = common::ORACLE_ENV
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    if let Ok(text) = fs::read_to_string(cases.join(format!("{name}.env"))) {
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                vars.push((k.to_string(), v.to_string()));
            }
        }
    }
    vars
}

/// Copies `from` to `to`, formatting every file `fmt` accepts.
fn copy_formatted(from: &Path, to: &Path) -> usize {
    let mut formatted = 0;
    if from.is_dir() {
        fs::create_dir_all(to).expect("mkdir");
        let mut files = Vec::new();
        walk(from, &mut files);
        for f in files {
            let rel = f.strip_prefix(from).expect("below");
            formatted += copy_formatted(&f, &to.join(rel));
        }
        return formatted;
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    let bytes = fs::read(from).expect("readable");
    let out = match String::from_utf8(bytes.clone()).map(|t| fmt(&t)) {
        Ok(Ok(text)) => {
            formatted += 1;
            text.into_bytes()
        }
        Ok(Err(FmtError::Meaning(m))) => panic!("{}: {m}", from.display()),
        _ => bytes,
    };
    fs::write(to, out).expect("writable");
    formatted
}

struct Case {
    name: String,
    cases: PathBuf,
    /// The root config.
    conf: PathBuf,
}

fn cases_in(cases: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(cases) else {
        return out;
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".expected.json")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    for name in names {
        let flat = cases.join(format!("{name}.conf"));
        let nested = cases.join(&name).join("supervisord.conf");
        let conf = if flat.is_file() {
            flat
        } else if nested.is_file() {
            nested
        } else {
            continue;
        };
        out.push(Case {
            name,
            cases: cases.to_path_buf(),
            conf,
        });
    }
    out
}

/// Mirrors a case into `tmp` with formatted files; returns the root config there.
fn mirror(case: &Case, tmp: &Path) -> PathBuf {
    let flat = case.cases.join(format!("{}.conf", case.name));
    if flat.is_file() {
        copy_formatted(&flat, &tmp.join(format!("{}.conf", case.name)));
    }
    let dir = case.cases.join(&case.name);
    if dir.is_dir() {
        copy_formatted(&dir, &tmp.join(&case.name));
    }
    tmp.join(case.conf.strip_prefix(&case.cases).expect("below"))
}

fn resolved_json(conf: &Path, vars: Vec<(String, String)>, cwd: &Path) -> Option<String> {
    let env = Env {
        vars,
        hostname: "testhost".into(),
        cwd: cwd.to_path_buf(),
        host_checks: false,
        python: None,
    };
    let c = svconf::compile(conf, &env, &Options::default()).ok()?;
    if c.refused_by_supervisord() {
        return None;
    }
    Some(serde_json::to_string_pretty(&c.resolved).expect("serialises"))
}

/// Like `assert_eq!`, but shows only the lines that differ.
fn assert_same(a: &str, b: &str, what: &str) {
    if a != b {
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .take(6)
            .map(|(x, y)| format!("- {x}\n+ {y}"))
            .collect();
        panic!("{what}:\n{}", diff.join("\n"));
    }
}

fn semantic(cases: &Path) -> (usize, usize) {
    let oracle = shared().join("oracle");
    let python = std::env::var("PYTHON").ok().filter(|p| !p.is_empty());
    let (mut compared, mut with_oracle) = (0, 0);
    for case in cases_in(cases) {
        let vars = oracle_env(cases, &case.name);
        let Some(before) = resolved_json(&case.conf, vars.clone(), &oracle) else {
            continue; // only accepted cases
        };
        // not below /tmp: the oracle would write TMPDIR=/tmp as `<HERE>/..` there; one
        // level down, so `%(here)s/..` maps back to the case folder's parent too
        let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        let root = fs::canonicalize(tmp.path()).expect("tempdir");
        let conf2 = mirror(&case, &root.join("cases"));
        let unmirror = |text: String| {
            text.replace(
                &root.join("cases").to_string_lossy().to_string(),
                &cases.to_string_lossy(),
            )
            .replace(
                &root.to_string_lossy().to_string(),
                &cases.parent().unwrap_or(cases).to_string_lossy(),
            )
        };
        let after = unmirror(
            resolved_json(&conf2, vars.clone(), &oracle)
                .unwrap_or_else(|| panic!("{}: the formatted config is refused", case.name)),
        );
        assert_same(
            &before,
            &after,
            &format!("{}: formatting changed the meaning", case.name),
        );
        compared += 1;
        if let Some(py) = &python {
            let run = |conf: &Path| {
                let out = Command::new(py)
                    .arg(oracle.join("supervisord-oracle.py"))
                    .args(["--portable", "--hostname", "testhost"])
                    .arg(conf)
                    .current_dir(&oracle)
                    .env_clear()
                    .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .output()
                    .expect("the oracle runs");
                (
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout).to_string(),
                )
            };
            let (rc1, a) = run(&case.conf);
            let (rc2, b) = run(&conf2);
            assert_eq!(rc1, rc2, "{}: supervisord's verdict changed", case.name);
            assert_same(
                &a,
                &unmirror(b),
                &format!(
                    "{}: supervisord reads the formatted config differently",
                    case.name
                ),
            );
            with_oracle += 1;
        }
    }
    (compared, with_oracle)
}

#[test]
fn formatting_keeps_the_meaning_of_golden_cases() {
    let (n, o) = semantic(&shared().join("oracle/cases"));
    println!("golden cases: {n} compared, {o} also under supervisord");
    assert!(n > 0 || !shared().exists());
}

#[test]
fn formatting_keeps_the_meaning_of_the_corpus() {
    let (n, o) = semantic(&shared().join("corpus/cases"));
    println!("corpus cases: {n} compared, {o} also under supervisord");
    assert!(n > 0 || !shared().exists());
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

const MESSY: &str =
    "[program:x]\ncommand:/bin/cat  \r\n  --flag\r\n\n\n\n[program:y]\nCOMMAND=/bin/true";
const CLEAN: &str =
    "[program:x]\ncommand = /bin/cat\n    --flag\n\n[program:y]\ncommand = /bin/true\n";

fn svconf(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_svconf"))
        .arg("fmt")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .expect("svconf runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn cli_prints_to_stdout() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::write(tmp.path().join("a.conf"), MESSY).expect("write");
    let (rc, out, _) = svconf(tmp.path(), &["a.conf"]);
    assert_eq!((rc, out.as_str()), (0, CLEAN));
    assert_eq!(
        fs::read_to_string(tmp.path().join("a.conf")).expect("read"),
        MESSY
    );
}

#[test]
fn cli_check_lists_changed_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::write(tmp.path().join("a.conf"), MESSY).expect("write");
    fs::write(tmp.path().join("b.conf"), CLEAN).expect("write");
    let (rc, out, _) = svconf(tmp.path(), &["--check", "a.conf", "b.conf"]);
    assert_eq!((rc, out.as_str()), (1, "a.conf\n"));
    let (rc, out, _) = svconf(tmp.path(), &["--check", "b.conf"]);
    assert_eq!((rc, out.as_str()), (0, ""));
}

#[test]
fn cli_diff_is_unified() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::write(tmp.path().join("a.conf"), MESSY).expect("write");
    let (rc, out, _) = svconf(tmp.path(), &["--diff", "a.conf"]);
    assert_eq!(rc, 1);
    common::settings().bind(|| insta::assert_snapshot!(out.replace('\r', "␍")));
    let (rc, out, _) = svconf(tmp.path(), &["--diff", "a.conf"]);
    assert_eq!(rc, 1, "{out}");
    fs::write(tmp.path().join("a.conf"), CLEAN).expect("write");
    let (rc, out, _) = svconf(tmp.path(), &["--diff", "a.conf"]);
    assert_eq!((rc, out.as_str()), (0, ""));
}

#[test]
fn cli_write_replaces_and_keeps_permissions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("a.conf");
    fs::write(&p, MESSY).expect("write");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).expect("chmod");
    let (rc, out, err) = svconf(tmp.path(), &["--write", "a.conf"]);
    assert_eq!((rc, out.as_str()), (0, ""), "{err}");
    assert_eq!(fs::read_to_string(&p).expect("read"), CLEAN);
    let mode = fs::metadata(&p).expect("stat").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
    let before = fs::metadata(&p).expect("stat").modified().expect("mtime");
    let (rc, _, _) = svconf(tmp.path(), &["--write", "a.conf"]);
    assert_eq!(rc, 0);
    assert_eq!(fs::read_to_string(&p).expect("read"), CLEAN);
    // an unchanged file is not rewritten
    assert_eq!(
        fs::metadata(&p).expect("stat").modified().expect("mtime"),
        before
    );
    // no temporary file is left behind
    let names: Vec<_> = fs::read_dir(tmp.path())
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a.conf")]);
}

#[test]
fn cli_never_writes_a_file_with_syntax_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("bad.conf");
    let bad = "[program:x]\ncommand = /bin/cat  \nautostart\n";
    fs::write(&p, bad).expect("write");
    for mode in ["--write", "--check", "--diff"] {
        let (rc, out, err) = svconf(tmp.path(), &[mode, "bad.conf"]);
        assert_eq!((rc, out.as_str()), (1, ""), "{mode}");
        assert!(err.contains("SV001"), "{err}");
        assert!(err.contains("not formatted"), "{err}");
    }
    assert_eq!(fs::read_to_string(&p).expect("read"), bad);
    // a byte order mark is a syntax error for supervisord too
    fs::write(&p, "\u{feff}[x]\na=1\n").expect("write");
    let (rc, _, err) = svconf(tmp.path(), &["--write", "bad.conf"]);
    assert_eq!(rc, 1, "{err}");
    assert_eq!(fs::read_to_string(&p).expect("read"), "\u{feff}[x]\na=1\n");
    // so is text that is not UTF-8
    fs::write(&p, b"[x]\na=\xff\n").expect("write");
    let (rc, _, err) = svconf(tmp.path(), &["--write", "bad.conf"]);
    assert_eq!(rc, 1, "{err}");
    assert!(err.contains("SV004"), "{err}");
}

#[test]
fn cli_refuses_read_only_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("ro.conf");
    fs::write(&p, MESSY).expect("write");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).expect("chmod");
    let (rc, _, err) = svconf(tmp.path(), &["--write", "ro.conf"]);
    assert_eq!(rc, 2);
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(fs::read_to_string(&p).expect("read"), MESSY);
}

#[test]
fn cli_missing_file_is_an_io_failure() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::write(tmp.path().join("a.conf"), MESSY).expect("write");
    let (rc, out, err) = svconf(tmp.path(), &["--check", "missing.conf", "a.conf"]);
    assert_eq!(rc, 2);
    assert_eq!(out, "a.conf\n", "the other files are still checked");
    assert!(err.contains("cannot read `missing.conf`"), "{err}");
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn blocks(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    parse(FileId(0), text, &mut Diagnostics::new())
        .blocks
        .into_iter()
        .map(|b| {
            (
                b.name,
                b.entries.into_iter().map(|e| (e.key, e.value)).collect(),
            )
        })
        .collect()
}

const PIECES: &[&str] = &[
    "[x]",
    "[ y ]",
    "[a] junk",
    "key",
    "KEY",
    "Command",
    "=",
    ":",
    " = ",
    ";",
    "#",
    " ;c",
    " #c",
    "a;b",
    "b#c #d ;e",
    " ",
    "  ",
    "\t",
    "\u{a0}",
    "\x0c",
    "\u{3000}",
    "\u{85}",
    "\u{2028}",
    "\r\n",
    "\r",
    "\n",
    "\n",
    "\n",
    "\n  ",
    "\n    ",
    "\n\t",
    "\n ",
    "v",
    "x y",
    "%(here)s",
    "İ",
    "ẞ",
    "\u{feff}",
    "[",
    "]",
];

fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match fmt(text) {
        Ok(once) => {
            let twice = fmt(&once);
            prop_assert_eq!(twice.as_ref(), Ok(&once), "not idempotent");
            prop_assert_eq!(blocks(text), blocks(&once), "blocks differ");
            prop_assert!(once.is_empty() || once.ends_with('\n'));
            prop_assert!(!once.contains('\r'));
        }
        Err(FmtError::Syntax) => {}
        Err(e) => prop_assert!(false, "{e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 2048, failure_persistence: None, ..Config::default() })]

    #[test]
    fn fmt_never_panics_and_is_idempotent(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn fmt_on_ini_soup(text in soup()) {
        check(&format!("[s]\n{text}"))?;
        check(&text)?;
    }
}
