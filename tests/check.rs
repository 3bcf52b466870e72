//! `svconf check` findings: one fixture per diagnostic code, rendered for people
//! (and once for machines), plus the registry's promises and exact spans.

mod common;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use svconf::Compiled;
use svconf::diag::{Code, Diagnostic};

/// `SV202` from a fixture path such as `.../SV202_invalid_boolean_ok.ini` or
/// `.../SV101_include_without_files/supervisord.conf`.
fn fixture_code(path: &Path) -> Option<(String, bool)> {
    let name = if path.file_name().is_some_and(|n| n == "supervisord.conf") {
        path.parent()?.file_name()?.to_str()?
    } else {
        path.file_stem()?.to_str()?
    };
    let id = name.split('_').next()?;
    let is_code =
        id.len() == 5 && id.starts_with("SV") && id[2..].bytes().all(|b| b.is_ascii_digit());
    is_code.then(|| (id.to_string(), name.ends_with("_ok")))
}

/// The findings a fixture must (or, for `_ok`, must not) contain.
fn check_fixture_expectation(path: &Path, compiled: &Compiled) {
    let Some((id, ok)) = fixture_code(path) else {
        return;
    };
    assert!(
        Code::find(&id).is_some(),
        "{}: `{id}` is not a registered code",
        path.display()
    );
    let found = common::codes(compiled);
    if ok {
        assert!(
            !found.contains(&id.as_str()),
            "{}: near-miss fixture must not report {id}, got {found:?}",
            path.display()
        );
    } else {
        assert!(
            found.contains(&id.as_str()),
            "{}: expected {id}, got {found:?}",
            path.display()
        );
    }
}

#[test]
fn validate() {
    common::settings().bind(|| {
        insta::glob!("../testdata", "validate/*.ini", |path| {
            let compiled = common::compile(path);
            check_fixture_expectation(path, &compiled);
            insta::assert_snapshot!(common::render_human(&compiled));
        });
    });
}

#[test]
fn include() {
    common::settings().bind(|| {
        insta::glob!("../testdata", "include/*/supervisord.conf", |path| {
            let compiled = common::compile(path);
            check_fixture_expectation(path, &compiled);
            insta::assert_snapshot!(common::render_human(&compiled));
        });
    });
}

/// The checks against this machine (`--host`): a user and a directory that cannot exist.
#[test]
fn host() {
    common::settings().bind(|| {
        insta::glob!("../testdata", "validate/host/*.ini", |path| {
            let compiled = common::compile_with(path, &common::host_env());
            check_fixture_expectation(path, &compiled);
            insta::assert_snapshot!(common::render_human(&compiled));
        });
    });
}

/// Without `--host` the same fixtures are clean: nothing is looked up.
#[test]
fn host_checks_are_off_by_default() {
    for name in [
        "SV226_invalid_owner",
        "SV228_unknown_user",
        "SV229_missing_directory",
    ] {
        let path = PathBuf::from(common::ROOT).join(format!("testdata/validate/host/{name}.ini"));
        let compiled = common::compile(&path);
        assert!(
            compiled.diagnostics.is_empty(),
            "{name}: {:?}",
            common::codes(&compiled)
        );
    }
}

#[test]
fn include_json() {
    let path = PathBuf::from(common::ROOT).join("testdata/include/multi_file/supervisord.conf");
    let compiled = common::compile(&path);
    common::settings().bind(|| {
        insta::assert_snapshot!(common::render_json(&compiled));
    });
}

// ---------------------------------------------------------------------------
// Codes that need a generated file rather than a committed fixture.

const MAX_FILE_BYTES: u64 = svconf::include::MAX_FILE_BYTES;

/// A temporary directory and the snapshot settings.
fn tempdir_settings() -> (tempfile::TempDir, insta::Settings) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    (dir, common::settings())
}

/// Replaces the temporary directory's path with `[TMP]`.
fn redact_tmp(text: &str, dir: &tempfile::TempDir) -> String {
    text.replace(&dir.path().display().to_string(), "[TMP]")
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Renders only the findings with `code`.
fn render_only(compiled: &Compiled, code: Code) -> String {
    let picked: Vec<&Diagnostic> = compiled
        .diagnostics
        .sorted()
        .into_iter()
        .filter(|d| d.code == code)
        .collect();
    common::redact(&svconf::diag::render::human::render(
        &compiled.sources,
        &picked,
        &common::human_options(),
    ))
}

/// SV901: a sparse file one byte over the limit, as the root file and as an include.
#[test]
fn file_too_large() {
    let (dir, settings) = tempdir_settings();
    let big = dir.path().join("huge.conf");
    let f = std::fs::File::create(&big).expect("create sparse file");
    f.set_len(MAX_FILE_BYTES + 1).expect("grow sparse file");
    drop(f);

    let compiled = common::compile(&big);
    let codes = common::codes(&compiled);
    assert!(codes.contains(&"SV901"), "root file: {codes:?}");

    let at_limit = dir.path().join("at-limit.conf");
    let f = std::fs::File::create(&at_limit).expect("create sparse file");
    f.set_len(MAX_FILE_BYTES).expect("grow sparse file");
    drop(f);
    // MAX_FILE_BYTES of NUL bytes is read (and is not a config), but it is not too large.
    let compiled = common::compile(&at_limit);
    assert!(
        !common::codes(&compiled).contains(&"SV901"),
        "exactly at the limit"
    );

    let root = dir.path().join("supervisord.conf");
    write(
        &root,
        "[supervisord]\nnodaemon=true\n\n[include]\nfiles = huge.conf\n",
    );
    let compiled = common::compile(&root);
    assert_eq!(common::codes(&compiled), vec!["SV901"], "included file");
    let d = compiled.diagnostics.sorted()[0].clone();
    let label = d.primary.expect("SV901 points at the include pattern");
    assert_eq!(compiled.sources.slice(label.span), "huge.conf");
    settings.bind(|| {
        insta::assert_snapshot!(redact_tmp(&common::render_human(&compiled), &dir));
    });
}

/// SV006: more than 100 bad lines in one file; the first 100 are listed as SV001.
#[test]
fn too_many_syntax_errors() {
    let (dir, settings) = tempdir_settings();
    let path = dir.path().join("supervisord.conf");
    let mut text =
        String::from("[supervisord]\nnodaemon=true\n\n[program:notes]\ncommand=/bin/true\n");
    for i in 0..105 {
        let _ = writeln!(text, "step {i} then restart");
    }
    write(&path, &text);
    let compiled = common::compile(&path);
    let codes = common::codes(&compiled);
    assert_eq!(
        codes.iter().filter(|c| **c == "SV001").count(),
        100,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == "SV006").count(),
        1,
        "{codes:?}"
    );
    settings.bind(|| {
        insta::assert_snapshot!(redact_tmp(
            &render_only(&compiled, Code::TooManySyntaxErrors),
            &dir
        ));
    });

    // exactly 100 bad lines: all listed, no SV006
    let path = dir.path().join("hundred.conf");
    let mut text =
        String::from("[supervisord]\nnodaemon=true\n\n[program:notes]\ncommand=/bin/true\n");
    for i in 0..100 {
        let _ = writeln!(text, "step {i} then restart");
    }
    write(&path, &text);
    let codes = common::codes(&common::compile(&path));
    assert_eq!(codes.iter().filter(|c| **c == "SV001").count(), 100);
    assert!(!codes.contains(&"SV006"), "{codes:?}");
}

// ---------------------------------------------------------------------------
// The registry.

/// Codes no committed fixture triggers, and the test that covers each instead.
const NO_FIXTURE: &[(&str, &str)] = &[
    ("SV006", "too_many_syntax_errors (generated file)"),
    (
        "SV009",
        "tests/toml.rs: findings_point_into_the_toml_file@syntax_error.toml",
    ),
    (
        "SV010",
        "tests/toml.rs: findings_point_into_the_toml_file@bad_values.toml",
    ),
    (
        "SV234",
        "tests/cli.rs: host_checks_that_plugins_import (needs a Python to import with)",
    ),
    ("SV901", "file_too_large (sparse file)"),
];

/// Codes whose fixture lives in `testdata/validate/host/` (checked with `--host`).
const HOST_ONLY: &[&str] = &["SV226", "SV228", "SV229", "SV258", "SV259", "SV260"];

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[test]
fn registry() {
    let snapshots = PathBuf::from(common::ROOT).join("snapshots");
    let snaps: Vec<(String, String)> = std::fs::read_dir(&snapshots)
        .expect("read snapshots/")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let text = std::fs::read_to_string(e.path()).ok()?;
            e.path()
                .extension()
                .is_some_and(|x| x == "snap")
                .then_some((name, text))
        })
        .collect();

    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for code in Code::ALL {
        let info = code.info();
        assert!(ids.insert(info.id), "{}: id used twice", info.id);
        assert!(
            names.insert(info.name),
            "{}: name `{}` used twice",
            info.id,
            info.name
        );
        assert!(
            info.id.len() == 5
                && info.id.starts_with("SV")
                && info.id[2..].bytes().all(|b| b.is_ascii_digit()),
            "{}: id is not SVnnn",
            info.id
        );
        assert!(
            is_kebab(info.name),
            "{}: `{}` is not kebab-case",
            info.id,
            info.name
        );
        assert!(
            !info.summary.trim().is_empty(),
            "{}: empty summary",
            info.id
        );
        assert!(!info.docs.trim().is_empty(), "{}: empty docs", info.id);
        assert_eq!(code.to_string(), info.id);
        assert_eq!(Code::find(info.id), Some(*code));
        assert_eq!(Code::find(info.name), Some(*code));

        if NO_FIXTURE.iter().any(|(id, _)| *id == info.id) {
            continue;
        }
        // target limits (SV3xx) come from `convert --to systemd`, not from `check`: their
        // fixtures are testdata/systemd/ and their snapshots `systemd__*` (tests/systemd.rs)
        if info.id.starts_with("SV3") {
            let shown = snaps
                .iter()
                .any(|(n, text)| n.starts_with("systemd__") && text.contains(info.id));
            let mentioned =
                std::fs::read_to_string(PathBuf::from(common::ROOT).join("tests/systemd.rs"))
                    .is_ok_and(|t| t.contains(info.id) || t.contains(info.name));
            assert!(
                shown || mentioned,
                "{}: neither a systemd snapshot nor tests/systemd.rs shows it",
                info.id
            );
            continue;
        }
        let (dir, test) = if HOST_ONLY.contains(&info.id) {
            ("validate/host", "host")
        } else {
            ("validate", "validate")
        };
        let prefix = format!("{}_", info.id);
        let fixture_exists = |d: &str| {
            std::fs::read_dir(PathBuf::from(common::ROOT).join("testdata").join(d))
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .any(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.starts_with(&prefix) && !n.contains("_ok"))
                })
        };
        assert!(
            fixture_exists(dir) || fixture_exists("include"),
            "{}: no fixture testdata/{dir}/{prefix}*.ini or testdata/include/{prefix}*/",
            info.id
        );
        let header = format!("{}({})", info.id, info.name);
        let covered = snaps.iter().any(|(n, text)| {
            let ours = n.starts_with(&format!("check__{test}@{prefix}"))
                || n.starts_with(&format!("check__include@{prefix}"));
            ours && !n.contains("_ok") && text.contains(&header)
        });
        assert!(
            covered,
            "{}: no snapshot of its fixture shows `{header}`",
            info.id
        );
    }
}

// ---------------------------------------------------------------------------
// Exact spans of primary labels.

/// The primary label of the only finding with `code`: (start, end, text).
fn primary(fixture: &str, code: Code) -> (u32, u32, String) {
    let path = PathBuf::from(common::ROOT).join("testdata").join(fixture);
    let compiled = common::compile(&path);
    let mut found = compiled.diagnostics.iter().filter(|d| d.code == code);
    let d = found
        .next()
        .unwrap_or_else(|| panic!("{fixture}: no {code}"));
    assert!(
        found.next().is_none(),
        "{fixture}: {code} reported more than once"
    );
    let label = d
        .primary
        .as_ref()
        .unwrap_or_else(|| panic!("{fixture}: {code} has no primary label"));
    let text = compiled.sources.slice(label.span).to_string();
    (label.span.start, label.span.end, text)
}

#[test]
fn span_sv104_starts_at_the_variable_token() {
    let (start, end, text) = primary("validate/SV104_unknown_variable.ini", Code::UnknownVariable);
    assert_eq!(start, 139, "{text:?}");
    assert!((154..=155).contains(&end), "{text:?}");
    assert!(text.starts_with("%(ENV_APP_HOME)"), "{text:?}");
}

/// STYLE §3.3: the label covers the whole `%(ENV_X)s` token. Today it stops
/// before the conversion character (`%(ENV_APP_HOME)`, 139..154).
#[test]
fn span_sv104_is_the_whole_variable_token() {
    assert_eq!(
        primary("validate/SV104_unknown_variable.ini", Code::UnknownVariable),
        (139, 155, "%(ENV_APP_HOME)s".into())
    );
}

#[test]
fn span_sv202_is_the_value() {
    assert_eq!(
        primary("validate/SV202_invalid_boolean.ini", Code::InvalidBoolean),
        (169, 173, "ture".into())
    );
}

#[test]
fn span_sv215_is_the_program_name_in_programs() {
    assert_eq!(
        primary(
            "validate/SV215_unknown_group_member.ini",
            Code::UnknownGroupMember
        ),
        (249, 256, "php-fmp".into())
    );
}

#[test]
fn span_sv218_is_the_event_name() {
    assert_eq!(
        primary(
            "validate/SV218_unknown_event_type.ini",
            Code::UnknownEventType
        ),
        (196, 216, "PROCESS_STATE_FAILED".into())
    );
}

#[test]
fn span_sv206_is_the_value() {
    assert_eq!(
        primary("validate/SV206_invalid_signal.ini", Code::InvalidSignal),
        (174, 182, "SIGQUITE".into())
    );
}

#[test]
fn span_sv105_is_the_bad_format() {
    let (start, end, text) = primary("validate/SV105_bad_format.ini", Code::BadFormat);
    // `%(program_name).lo` is a complete spec: precision `.`, length `l`, conversion `o`
    assert_eq!(
        (start, end, text.as_str()),
        (196, 214, "%(program_name).lo")
    );
}

#[test]
fn span_sv005_is_the_byte_order_mark() {
    assert_eq!(
        primary("validate/SV005_byte_order_mark.ini", Code::ByteOrderMark),
        (0, 3, "\u{feff}".into())
    );
}

#[test]
fn span_sv002_is_key_and_separator() {
    assert_eq!(
        primary("validate/SV002_empty_key.ini", Code::EmptyKey),
        (159, 160, "=".into())
    );
}

#[test]
fn span_sv103_is_the_pattern() {
    assert_eq!(
        primary(
            "include/SV103_include_matches_nothing/supervisord.conf",
            Code::IncludeMatchesNothing
        ),
        (105, 119, "workers/*.conf".into())
    );
}

/// A `%(name)s` token inside a continuation line: the span is still exact.
#[test]
fn span_sv104_in_a_continuation_line() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("supervisord.conf");
    let text = "[supervisord]\nnodaemon=true\n\n[program:celery]\ncommand=celery -A proj worker\nenvironment=A=\"1\",\n  BROKER_URL=\"%(ENV_BROKER_URL)s\"\n";
    write(&path, text);
    let compiled = common::compile(&path);
    let d = compiled
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnknownVariable)
        .expect("SV104");
    let span = d.primary.as_ref().expect("primary label").span;
    let start = text.find("%(ENV_BROKER_URL)").expect("token");
    assert_eq!(span.start as usize, start);
    assert!(
        compiled
            .sources
            .slice(span)
            .starts_with("%(ENV_BROKER_URL)")
    );
}

/// The primary label of `code` in a generated file.
fn generated_primary(text: &str, code: Code) -> (usize, usize) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("supervisord.conf");
    write(&path, text);
    let compiled = common::compile(&path);
    let d = compiled
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code}"));
    let span = d.primary.as_ref().expect("primary label").span;
    (span.start as usize, span.end as usize)
}

/// The unknown name is also a prefix of an earlier, valid member: the label must
/// be on the second list item, not inside `queue-worker`.
#[test]
fn span_sv215_is_the_listed_item_not_a_substring() {
    let text = "[supervisord]\nnodaemon=true\n\n[program:queue-worker]\ncommand=/bin/true\n\n[group:queue]\nprograms=queue-worker,queue\n";
    let start = text.find(",queue\n").expect("item") + 1;
    assert_eq!(
        generated_primary(text, Code::UnknownGroupMember),
        (start, start + "queue".len())
    );
}

#[test]
fn span_sv218_is_the_listed_item_not_a_substring() {
    let text = "[supervisord]\nnodaemon=true\n\n[eventlistener:crashmail]\ncommand=crashmail -a\nevents=PROCESS_STATE_EXITED,PROCESS_STATE_EXIT\n";
    let start = text.find(",PROCESS_STATE_EXIT\n").expect("item") + 1;
    assert_eq!(
        generated_primary(text, Code::UnknownEventType),
        (start, start + "PROCESS_STATE_EXIT".len())
    );
}

// ---------------------------------------------------------------------------
// One problem, one diagnostic (STYLE §3.3).

/// A root file that cannot be decoded is reported once; it does have a
/// `[supervisord]` section, so SV201 must not follow.
#[test]
fn unreadable_root_reports_no_missing_section() {
    let path = PathBuf::from(common::ROOT).join("testdata/validate/SV004_invalid_encoding.ini");
    assert_eq!(common::codes(&common::compile(&path)), vec!["SV004"]);
}

/// The ignored nested `[include]` is not a second value of the main `files`.
#[test]
fn nested_include_reports_no_duplicate_key() {
    let path =
        PathBuf::from(common::ROOT).join("testdata/include/SV106_nested_include/supervisord.conf");
    assert_eq!(common::codes(&common::compile(&path)), vec!["SV106"]);
}
