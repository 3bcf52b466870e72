//! The machine formats for CI (`--format github|sarif`), rendered from a real
//! multi-file check: snapshots of both, and the SARIF log validated against
//! the SARIF 2.1.0 JSON schema (vendored in `testdata/formats/`, see its README).
//!
//! The fixture `testdata/formats/multi/` has an error in an included file
//! (SV104, whose texts contain `%`, `,` and `:`), a warning whose secondary
//! label is in another included file (SV007), and an included file whose name
//! has a `,`, which GitHub property values must encode.

mod common;

use std::path::Path;

use serde_json::Value;
use svconf::Compiled;
use svconf::diag::Code;
use svconf::diag::render::{github, sarif};

fn compiled() -> Compiled {
    // Paths are shown relative to the crate root, the fixture environment's cwd.
    common::compile(&Path::new(common::ROOT).join("testdata/formats/multi/supervisord.conf"))
}

fn render_github(c: &Compiled) -> String {
    let sorted = c.diagnostics.sorted();
    common::redact(&github::render(
        &c.sources,
        &sorted,
        Some(Path::new(common::ROOT)),
    ))
}

fn render_sarif(c: &Compiled, cwd: Option<&Path>) -> String {
    let sorted = c.diagnostics.sorted();
    sarif::render(&c.sources, &sorted, cwd)
}

fn sarif_value(c: &Compiled) -> Value {
    serde_json::from_str(&render_sarif(c, Some(Path::new(common::ROOT)))).expect("SARIF is JSON")
}

/// The vendored SARIF 2.1.0 schema, compiled with format checks on.
fn schema_validator() -> jsonschema::Validator {
    let path = Path::new(common::ROOT).join("testdata/formats/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("vendored SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_schema_valid(log: &Value) {
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF log violates the 2.1.0 schema:\n{}\n{log:#}",
        errors.join("\n")
    );
}

#[test]
fn fixture_has_what_the_snapshots_are_about() {
    let c = compiled();
    let codes = common::codes(&c);
    assert!(codes.contains(&"SV104"), "{codes:?}");
    assert!(codes.contains(&"SV007"), "{codes:?}");
    let sorted = c.diagnostics.sorted();
    let unknown = sorted
        .iter()
        .find(|d| d.code == Code::UnknownVariable)
        .expect("SV104");
    assert!(unknown.message.contains('%'), "{}", unknown.message);
    let supervisord = unknown.supervisord.as_deref().unwrap_or_default();
    assert!(
        supervisord.contains(',') && supervisord.contains(':'),
        "{supervisord}"
    );
    let dup = sorted
        .iter()
        .find(|d| d.code == Code::DuplicateKey)
        .expect("SV007");
    assert_eq!(dup.secondary.len(), 1);
    let primary = dup.primary.as_ref().expect("SV007 has a primary label");
    assert_ne!(primary.span.file, dup.secondary[0].span.file);
}

#[test]
fn github() {
    let c = compiled();
    let out = render_github(&c);
    // One command per finding and nothing else; no raw line break inside one.
    assert_eq!(out.lines().count(), c.diagnostics.len());
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
    assert!(out.contains("worker%2Cqueue.conf"), "{out}");
    common::settings().bind(|| insta::assert_snapshot!("github", out));
}

/// The SARIF log with what changes for reasons unrelated to this fixture
/// taken out: the crate version, and the registry (every code is a rule, so
/// any new code or docs edit would change this snapshot). The rules the
/// results use are kept, and `ruleIndex` is checked against the full list
/// before it is redacted.
fn sarif_for_snapshot(c: &Compiled) -> String {
    let mut log = sarif_value(c);
    let run = &mut log["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    let mut used = Vec::new();
    for r in run["results"].as_array_mut().expect("results") {
        let index = usize::try_from(r["ruleIndex"].as_u64().expect("ruleIndex")).expect("index");
        assert_eq!(rules[index]["id"], r["ruleId"]);
        if !used.contains(&rules[index]) {
            used.push(rules[index].clone());
        }
        r["ruleIndex"] = "[index]".into();
    }
    let driver = &mut run["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    driver["version"] = "[VERSION]".into();
    driver["rules"] = Value::Array(used);
    let text = serde_json::to_string_pretty(&log).expect("JSON");
    common::redact(&text)
}

#[test]
fn sarif() {
    let c = compiled();
    let out = sarif_for_snapshot(&c);
    common::settings().bind(|| insta::assert_snapshot!("sarif", out));
}

#[test]
fn sarif_matches_the_official_schema() {
    let c = compiled();
    assert_schema_valid(&sarif_value(&c));
    // Absolute URIs, without `originalUriBaseIds`.
    let no_cwd: Value = serde_json::from_str(&render_sarif(&c, None)).expect("JSON");
    assert_schema_valid(&no_cwd);
    // No findings at all.
    let empty: Value = serde_json::from_str(&sarif::render(&c.sources, &[], None)).expect("JSON");
    assert_schema_valid(&empty);
}

#[test]
fn sarif_without_a_location_matches_the_schema() {
    let c = compiled();
    let mut d = svconf::diag::Diagnostic::new(
        Code::MissingSupervisordSection,
        "the config has no `[supervisord]` section",
    );
    d.severity = svconf::diag::Severity::Info;
    let log: Value = serde_json::from_str(&sarif::render(&c.sources, &[&d], None)).expect("JSON");
    assert_eq!(log["runs"][0]["results"][0]["level"], "note");
    assert_schema_valid(&log);
}

#[test]
fn schema_rejects_what_it_should() {
    // Guards against a validator that accepts anything (for example a schema
    // file that failed to load its definitions).
    let c = compiled();
    let validator = schema_validator();
    let mut log = sarif_value(&c);
    log["runs"][0]["columnKind"] = "bytes".into();
    assert!(!validator.is_valid(&log));
    let mut log = sarif_value(&c);
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!validator.is_valid(&log));
    let mut log = sarif_value(&c);
    log["version"] = "2.0.0".into();
    assert!(!validator.is_valid(&log));
}

#[test]
fn sarif_lists_every_code_as_a_rule() {
    let log = sarif_value(&compiled());
    let driver = &log["runs"][0]["tool"]["driver"];
    let ids: Vec<&str> = driver["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let registry: Vec<&str> = Code::ALL.iter().map(|c| c.info().id).collect();
    assert_eq!(ids, registry);
    assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn formats_are_deterministic() {
    let c = compiled();
    assert_eq!(render_github(&c), render_github(&compiled()));
    let cwd = Some(Path::new(common::ROOT));
    assert_eq!(render_sarif(&c, cwd), render_sarif(&compiled(), cwd));
}
