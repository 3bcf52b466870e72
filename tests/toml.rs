//! TOML both ways: the emitter's output, reading TOML back, spans in TOML files, the
//! round trip over the oracle's cases, the value property test and the schema file.

mod common;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use proptest::prelude::*;
use svconf::diag::Diagnostics;
use svconf::emit::toml as emit;
use svconf::ir::declared::{Declared, DeclaredSection, DeclaredValue};
use svconf::ir::keys::SectionKind;
use svconf::source::FileId;
use svconf::syntax::toml as read;
use svconf::{Env, Options};

fn example(dir: &str) -> String {
    let root = Path::new(common::ROOT).join("examples").join(dir);
    let c = common::compile(&root.join("supervisord.conf"));
    common::redact(&emit::render(&c.declared()))
}

#[test]
fn laravel_example_as_toml() {
    common::settings().bind(|| insta::assert_snapshot!(example("laravel")));
}

#[test]
fn docker_example_as_toml() {
    common::settings().bind(|| insta::assert_snapshot!(example("docker")));
}

/// The resolved document without what flattening changes by design (the include list).
fn resolved_json(c: &svconf::Compiled) -> serde_json::Value {
    let mut v = serde_json::to_value(&c.resolved).expect("serialises");
    if let Some(m) = v.as_object_mut() {
        m.remove("included_files");
        // an unmatched include pattern's warning goes with the `[include]` that is flattened
        if let Some(serde_json::Value::Array(w)) = m.get_mut("warnings") {
            w.retain(|x| {
                !x.as_str()
                    .is_some_and(|s| s.starts_with("No file matches via include"))
            });
        }
    }
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("readdir").flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}

/// The environment of `conformance.sh`, plus the case's `NAME.env`.
fn oracle_env(cases: &Path, name: &str, cwd: &Path) -> Env {
    let mut vars: Vec<(String, String)> = common::ORACLE_ENV
        .iter()
        .chain([("NO_COLOR", "1")].iter())
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    if let Ok(text) = std::fs::read_to_string(cases.join(format!("{name}.env"))) {
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((k, v)) = line.split_once('=') {
                vars.retain(|(x, _)| x != k);
                vars.push((k.to_string(), v.to_string()));
            }
        }
    }
    Env {
        vars,
        hostname: "testhost".into(),
        cwd: cwd.to_path_buf(),
        host_checks: false,
        python: None,
    }
}

/// INI → TOML → (read as TOML) gives the same resolved document. Returns the cases that
/// do not, with why.
fn round_trip(cases: &Path) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut failed = Vec::new();
    let Ok(dir) = std::fs::read_dir(cases) else {
        return (0, failed);
    };
    let mut names: Vec<String> = dir
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".expected.json"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    for name in names {
        let expected = std::fs::read_to_string(cases.join(format!("{name}.expected.json")))
            .unwrap_or_default();
        if !expected.contains("\"groups\"") {
            continue; // supervisord rejects it: nothing to round-trip
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let root: PathBuf = if cases.join(format!("{name}.conf")).is_file() {
            let to = tmp.path().join(format!("{name}.conf"));
            std::fs::copy(cases.join(format!("{name}.conf")), &to).expect("copy");
            to
        } else if cases.join(&name).join("supervisord.conf").is_file() {
            copy_dir(&cases.join(&name), &tmp.path().join(&name));
            tmp.path().join(&name).join("supervisord.conf")
        } else {
            continue;
        };
        let env = oracle_env(cases, &name, tmp.path());
        let Ok(ini) = svconf::compile(&root, &env, &Options::default()) else {
            continue;
        };
        if ini.refused_by_supervisord() {
            continue;
        }
        checked += 1;
        let toml_path = root.with_file_name("svconf-roundtrip.toml");
        std::fs::write(&toml_path, emit::render(&ini.declared())).expect("write");
        let back = svconf::compile(&toml_path, &env, &Options::default()).expect("compiles");
        if back.refused_by_supervisord() {
            failed.push(format!(
                "{name}: refused: {}",
                common::render_human(&back)
                    .lines()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        } else if resolved_json(&ini) != resolved_json(&back) {
            let (a, b) = (resolved_json(&ini), resolved_json(&back));
            let keys: Vec<String> = a
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                        .map(|(k, v)| {
                            format!("{k}: {v} vs {}", b[k.as_str()])
                                .chars()
                                .take(300)
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            failed.push(format!("{name}: resolved documents differ in {keys:?}"));
        }
    }
    (checked, failed)
}

fn shared() -> PathBuf {
    Path::new(common::ROOT).join("../shared")
}

#[test]
fn oracle_cases_round_trip_through_toml() {
    let (n, failed) = round_trip(&shared().join("oracle/cases"));
    eprintln!("oracle: {n} accepted cases, {} differ", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn corpus_cases_round_trip_through_toml() {
    let (n, failed) = round_trip(&shared().join("corpus/cases"));
    eprintln!("corpus: {n} accepted cases, {} differ", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn toml_examples_read_back_to_the_same_resolved_document() {
    for dir in ["laravel", "docker"] {
        let src = Path::new(common::ROOT).join("examples").join(dir);
        let tmp = tempfile::tempdir().expect("tempdir");
        copy_dir(&src, tmp.path());
        let mut env = common::fixture_env();
        env.cwd = tmp.path().to_path_buf();
        let ini = common::compile_with(&tmp.path().join("supervisord.conf"), &env);
        let toml = tmp.path().join("supervisord.toml");
        std::fs::write(&toml, emit::render(&ini.declared())).expect("write");
        let back = common::compile_with(&toml, &env);
        assert_eq!(resolved_json(&ini), resolved_json(&back), "{dir}");
        assert_eq!(common::codes(&ini), common::codes(&back), "{dir}");
    }
}

#[test]
fn findings_point_into_the_toml_file() {
    common::settings().bind(|| {
        insta::glob!("../testdata", "toml/*.toml", |path| {
            let rel = path.strip_prefix(common::ROOT).unwrap_or(path);
            let c = common::compile(rel);
            insta::assert_snapshot!(common::render_human(&c));
        });
    });
}

#[test]
fn typed_values_become_supervisord_text() {
    let text = r#"
[supervisord]
nodaemon = true
logfile_maxbytes = "50MB"
umask = 0o022

[program.web]
command = "php artisan %(ENV_X)s"
numprocs = "%(ENV_N)s"
exitcodes = [0, 2]
environment = { A = "two words", B = 'say "hi" now' }
stopsignal = 15

[group.g]
programs = ["web", "x"]

[section."unix_http_server2"]
file = "/tmp/s"
"#;
    let mut diags = Diagnostics::new();
    let parsed = read::parse(FileId(0), text, &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    let got: Vec<(String, Vec<(String, String)>)> = parsed
        .blocks
        .iter()
        .map(|b| {
            (
                b.name.clone(),
                b.entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.clone()))
                    .collect(),
            )
        })
        .collect();
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        got,
        vec![
            (
                "supervisord".into(),
                vec![
                    s("nodaemon", "true"),
                    s("logfile_maxbytes", "50MB"),
                    s("umask", "022")
                ]
            ),
            (
                "program:web".into(),
                vec![
                    s("command", "php artisan %(ENV_X)s"),
                    s("numprocs", "%(ENV_N)s"),
                    s("exitcodes", "0,2"),
                    s("environment", "A=\"two words\",B='say \"hi\" now'"),
                    s("stopsignal", "15"),
                ]
            ),
            ("group:g".into(), vec![s("programs", "web,x")]),
            ("unix_http_server2".into(), vec![s("file", "/tmp/s")]),
        ]
    );
    // the span of a template inside a string is exact
    let cmd = &parsed.blocks[1].entries[0];
    let span = cmd.span_of(12, 21);
    assert_eq!(&text[span.start as usize..span.end as usize], "%(ENV_X)s");
}

fn one_program(key: &str, text: &str) -> Declared {
    let mut keys = IndexMap::new();
    let kind = SectionKind::Program;
    let ty = kind.key(key).map(|k| k.ty);
    keys.insert(
        key.to_string(),
        DeclaredValue {
            text: text.to_string(),
            ty,
            typed: ty.and_then(|t| svconf::lower::declare::type_value(t, text)),
        },
    );
    Declared {
        sections: vec![DeclaredSection {
            section: "program:web".into(),
            kind,
            name: Some("web".into()),
            file: "x.conf".into(),
            keys,
        }],
        defaults: IndexMap::new(),
    }
}

/// Text with the characters that matter to INI, TOML and supervisord.
fn tricky() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("%".to_string()),
            Just("%%".to_string()),
            Just("%(ENV_X)s".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just(";".to_string()),
            Just("#".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just(",".to_string()),
            Just("=".to_string()),
            Just("\\".to_string()),
            Just("é".to_string()),
            Just("日本".to_string()),
            "[a-z0-9]{1,3}",
        ],
        0..8,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every value either reads back from the TOML unchanged, or is refused with a finding.
    #[test]
    fn values_round_trip_or_are_refused(key in prop_oneof![
        Just("command"), Just("numprocs"), Just("autostart"), Just("exitcodes"),
        Just("environment"), Just("stdout_logfile_maxbytes"), Just("umask"), Just("x_unknown")
    ], text in tricky()) {
        let declared = one_program(key, &text);
        let toml = emit::render(&declared);
        let mut diags = Diagnostics::new();
        let parsed = read::parse(FileId(0), &toml, &mut diags);
        if diags.is_empty() {
            let entry = &parsed.blocks[0].entries[0];
            let ty = declared.sections[0].keys[key].ty;
            let original = &declared.sections[0].keys[key];
            // the same text, or a text that types to the same value
            let same = entry.value == text
                || (original.typed.is_some()
                    && ty.and_then(|t| svconf::lower::declare::type_value(t, &entry.value)) == original.typed);
            prop_assert!(same, "{text:?} came back as {:?} via\n{toml}", entry.value);
        } else {
            prop_assert!(parsed.rejected);
            // only values INI cannot carry are refused
            prop_assert!(read::ini_option(key, &text).is_err()
                || key == "environment", "{text:?} refused: {diags:?}");
        }
    }

    /// Environment tables: each pair round-trips or is refused.
    #[test]
    fn environment_tables_round_trip_or_are_refused(value in tricky()) {
        let toml = format!("[program.web]\nenvironment = {{ A = {} }}\n", toml_edit::Value::from(value.as_str()));
        let mut diags = Diagnostics::new();
        let parsed = read::parse(FileId(0), &toml, &mut diags);
        if diags.is_empty() {
            let text = &parsed.blocks[0].entries[0].value;
            let pairs = svconf::lower::convert::dict_of_key_value_pairs(text);
            prop_assert_eq!(pairs, Ok(vec![("A".to_string(), value.clone())]));
        } else {
            prop_assert!(parsed.rejected);
        }
    }
}

#[test]
fn committed_schema_matches_the_code() {
    let path = Path::new(common::ROOT).join("schema/svconf.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = emit::schema();
    if std::env::var("SVCONF_WRITE_SCHEMA").is_ok() {
        std::fs::write(&path, &current).expect("write schema");
        return;
    }
    assert_eq!(
        committed, current,
        "schema/svconf.schema.json is stale: run `SVCONF_WRITE_SCHEMA=1 cargo test --test toml committed_schema`"
    );
}

#[test]
fn schema_knows_every_key_and_accepts_the_examples() {
    let schema: serde_json::Value = serde_json::from_str(&emit::schema()).expect("json");
    let kinds = [
        (SectionKind::Supervisord, "supervisord_section"),
        (SectionKind::Program, "program_section"),
        (SectionKind::Eventlistener, "eventlistener_section"),
        (SectionKind::FcgiProgram, "fcgi-program_section"),
        (SectionKind::Group, "group_section"),
        (SectionKind::UnixHttpServer, "unix_http_server_section"),
        (SectionKind::InetHttpServer, "inet_http_server_section"),
        (SectionKind::Supervisorctl, "supervisorctl_section"),
        (SectionKind::Rpcinterface, "rpcinterface_section"),
        (SectionKind::Ctlplugin, "ctlplugin_section"),
        (SectionKind::Include, "include_section"),
    ];
    for (kind, def) in kinds {
        for k in kind.keys() {
            assert!(
                schema["$defs"][def]["properties"][k.name].is_object(),
                "{def} lacks {}",
                k.name
            );
        }
    }
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    for dir in ["laravel", "docker"] {
        let toml = example(dir);
        let doc: toml_edit::DocumentMut = toml.parse().expect("toml");
        let json = toml_to_json(doc.as_item());
        assert!(validator.is_valid(&json), "{dir}: {json}");
    }
}

fn toml_to_json(item: &toml_edit::Item) -> serde_json::Value {
    use serde_json::Value as J;
    match item {
        toml_edit::Item::None => J::Null,
        toml_edit::Item::Value(v) => value_to_json(v),
        toml_edit::Item::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.to_string(), toml_to_json(v)))
                .collect(),
        ),
        toml_edit::Item::ArrayOfTables(a) => J::Array(
            a.iter()
                .map(|t| toml_to_json(&toml_edit::Item::Table(t.clone())))
                .collect(),
        ),
    }
}

fn value_to_json(v: &toml_edit::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml_edit::Value::String(s) => J::from(s.value().clone()),
        toml_edit::Value::Integer(i) => J::from(*i.value()),
        toml_edit::Value::Float(f) => J::from(*f.value()),
        toml_edit::Value::Boolean(b) => J::from(*b.value()),
        toml_edit::Value::Datetime(d) => J::from(d.to_string()),
        toml_edit::Value::Array(a) => J::Array(a.iter().map(value_to_json).collect()),
        toml_edit::Value::InlineTable(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.to_string(), value_to_json(v)))
                .collect(),
        ),
    }
}
