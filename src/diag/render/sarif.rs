//! The SARIF 2.1.0 report, the format GitHub code scanning, Azure DevOps and
//! most IDE result viewers import (ruff's `message/sarif.rs`).
//!
//! One log with one run. `tool.driver.rules` lists every code of the registry,
//! in registry order, so a result's `ruleIndex` is the code's position in
//! [`Code::ALL`] and viewers can show a rule's documentation even for rules
//! that found nothing. Each result carries:
//!
//! - `message.text`: the message, then the help and supervisord's own message
//!   on lines of their own (SARIF messages are plain text; newlines are allowed);
//! - `locations[0]`: the primary label, with the label's text as the location's
//!   message. A finding without a primary label (or whose file this map does
//!   not know) has no `locations`: SARIF allows that, but GitHub code scanning
//!   ignores such results;
//! - `relatedLocations`: the secondary labels, ids 1, 2, … in order.
//!
//! Positions are 1-based; `endColumn` is exclusive, as SARIF defines it. SARIF
//! counts columns in UTF-16 code units unless told otherwise, and we count
//! chars, so the run sets `columnKind` to `unicodeCodePoints`.
//!
//! Paths below `cwd` are relative URIs against the `%SRCROOT%` base (declared
//! in `originalUriBaseIds` when `cwd` is known), with forward slashes and
//! percent-encoding; other paths are absolute `file://` URIs.
//!
//! The output is serde structs printed with `serde_json::to_string_pretty`:
//! field order is fixed by the structs and nothing depends on a hash order, so
//! the same input gives the same bytes. Optional SARIF properties that we have
//! nothing for (`helpUri`, `artifacts`, fingerprints) are left out.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::diag::{Code, Diagnostic, Label, Position, Severity};
use crate::source::SourceMap;

/// The schema the document declares.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base id relative artifact URIs are resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// Renders findings (already sorted, see [`crate::diag::Diagnostics::sorted`])
/// as a pretty-printed SARIF 2.1.0 log, ending with a newline. Paths below
/// `cwd` become URIs relative to `%SRCROOT%`, which is `cwd` itself.
pub fn render(map: &SourceMap, diags: &[&Diagnostic], cwd: Option<&Path>) -> String {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "svconf",
                    information_uri: information_uri(),
                    version: env!("CARGO_PKG_VERSION"),
                    rules: Code::ALL.iter().map(|&c| Rule::new(c)).collect(),
                },
            },
            original_uri_base_ids: cwd.map(|cwd| BaseIds {
                srcroot: ArtifactLocation {
                    uri: directory_uri(cwd),
                    uri_base_id: None,
                },
            }),
            column_kind: "unicodeCodePoints",
            results: diags
                .iter()
                .map(|d| SarifResult::new(map, d, cwd))
                .collect(),
        }],
    };
    // Serializing plain structs of strings and numbers cannot fail; should it
    // ever, the consumer still gets JSON that says what happened.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_else(|e| {
        serde_json::json!({ "version": "2.1.0", "runs": [], "error": e.to_string() }).to_string()
    });
    out.push('\n');
    out
}

/// The SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The project's homepage or repository from `Cargo.toml`, if it names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    srcroot: ArtifactLocation,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

impl Rule {
    fn new(code: Code) -> Self {
        let info = code.info();
        Self {
            id: info.id,
            name: info.name,
            short_description: Text {
                text: info.summary.to_owned(),
            },
            full_description: Text {
                text: info.docs.to_owned(),
            },
            default_configuration: Configuration {
                level: level(info.severity),
            },
            properties: RuleProperties {
                refused_by_supervisord: info.refused_by_supervisord,
            },
        }
    }
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    refused_by_supervisord: bool,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

impl SarifResult {
    fn new(map: &SourceMap, d: &Diagnostic, cwd: Option<&Path>) -> Self {
        let info = d.code.info();
        let locations = d
            .primary
            .iter()
            .filter_map(|l| Location::new(map, l, None, cwd))
            .collect();
        let related_locations = d
            .secondary
            .iter()
            .filter_map(|l| Location::new(map, l, Some(0), cwd))
            .enumerate()
            .map(|(i, mut loc)| {
                loc.id = Some(i + 1);
                loc
            })
            .collect();
        Self {
            rule_id: info.id,
            rule_index: Code::ALL.iter().position(|&c| c == d.code).unwrap_or(0),
            level: level(d.severity),
            message: Text {
                text: message_text(d),
            },
            locations,
            related_locations,
        }
    }
}

/// The message, then the help and supervisord's own message on lines of their own.
fn message_text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    if let Some(s) = &d.supervisord {
        text.push_str("\nsupervisord says: ");
        text.push_str(s);
    }
    text
}

// The field names are SARIF's (`physicalLocation` in a `location`).
#[allow(clippy::struct_field_names)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

impl Location {
    /// The label's location, or `None` for a file id this map does not know (a
    /// bug elsewhere; the finding is still reported, just without that place).
    fn new(map: &SourceMap, label: &Label, id: Option<usize>, cwd: Option<&Path>) -> Option<Self> {
        if label.span.file.0 as usize >= map.len() {
            return None;
        }
        let p = Position::of(map, label.span, cwd);
        Some(Self {
            id,
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&p.file),
                region: Region {
                    start_line: p.line,
                    start_column: p.column,
                    end_line: p.end_line,
                    end_column: p.end_column,
                },
            },
            message: label.text.as_ref().map(|t| Text { text: t.clone() }),
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// A display path as an artifact location: relative paths against
/// `%SRCROOT%`, absolute ones as `file://` URIs.
fn artifact_location(path: &str) -> ArtifactLocation {
    let slashed = path.replace('\\', "/");
    if let Some(absolute) = absolute_uri(&slashed) {
        return ArtifactLocation {
            uri: absolute,
            uri_base_id: None,
        };
    }
    let relative = slashed.trim_start_matches("./");
    ArtifactLocation {
        uri: encode_path(relative),
        uri_base_id: Some(SRCROOT),
    }
}

/// `file:///…` for an absolute path (`/etc/x` or `C:/x`), `None` otherwise.
fn absolute_uri(slashed: &str) -> Option<String> {
    if slashed.starts_with('/') {
        return Some(format!("file://{}", encode_path(slashed)));
    }
    let b = slashed.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        // The drive letter's `:` stays as it is, as in `file:///C:/x`.
        return Some(format!(
            "file:///{}:{}",
            &slashed[..1],
            encode_path(&slashed[2..])
        ));
    }
    None
}

/// The URI of `%SRCROOT%`: the directory, ending with `/` as SARIF requires.
fn directory_uri(dir: &Path) -> String {
    let slashed = dir.display().to_string().replace('\\', "/");
    let mut uri = absolute_uri(&slashed).unwrap_or_else(|| encode_path(&slashed));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Percent-encodes a path for a URI: every byte but the unreserved characters,
/// `/` and a few sub-delimiters. `:` is encoded too, so that a relative path's
/// first segment is never read as a scheme.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {

    use serde_json::Value;

    use super::*;
    use crate::source::{FileId, Span};

    fn fixture() -> (SourceMap, Vec<Diagnostic>) {
        super::super::sample()
    }

    fn parse(map: &SourceMap, diags: &[Diagnostic]) -> Value {
        let refs: Vec<&Diagnostic> = diags.iter().collect();
        let out = render(map, &refs, Some(Path::new("/proj")));
        assert!(out.ends_with("}\n"), "{out}");
        serde_json::from_str(&out).unwrap()
    }

    #[test]
    fn log_run_and_rules() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        assert_eq!(v["$schema"], SCHEMA);
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(v["runs"].as_array().unwrap().len(), 1);
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///proj/"
        );
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "svconf");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        for (rule, code) in rules.iter().zip(Code::ALL) {
            let info = code.info();
            assert_eq!(rule["id"], info.id);
            assert_eq!(rule["name"], info.name);
            assert_eq!(rule["shortDescription"]["text"], info.summary);
            assert_eq!(rule["fullDescription"]["text"], info.docs);
            assert_eq!(rule["defaultConfiguration"]["level"], level(info.severity));
            assert_eq!(
                rule["properties"]["refused_by_supervisord"],
                info.refused_by_supervisord
            );
        }
    }

    #[test]
    fn results_point_at_rules_and_count_chars() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        let run = &v["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        for r in results {
            let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(run["tool"]["driver"]["rules"][index]["id"], r["ruleId"]);
        }
        let r = &results[0];
        assert_eq!(r["ruleId"], "SV104");
        assert_eq!(r["level"], "error");
        assert_eq!(
            r["message"]["text"],
            "`ENV_PORT` is not set\nhelp: set `PORT`, for example with `svconf check -e PORT=8080`\nsupervisord says: Format string ... contains names ('ENV_PORT') which cannot be expanded"
        );
        let loc = &r["locations"][0];
        assert_eq!(loc["message"]["text"], "unknown variable");
        let phys = &loc["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "conf.d/web.ini");
        assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        // `command=/usr/bin/café --port=` is 29 chars but 30 bytes.
        assert_eq!(phys["region"]["startLine"], 2);
        assert_eq!(phys["region"]["startColumn"], 30);
        assert_eq!(phys["region"]["endLine"], 2);
        assert_eq!(phys["region"]["endColumn"], 42);
        assert!(r.get("relatedLocations").is_none());
    }

    #[test]
    fn secondary_labels_are_related_locations() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        let r = &v["runs"][0]["results"][1];
        assert_eq!(r["level"], "warning");
        let related = r["relatedLocations"].as_array().unwrap();
        assert_eq!(related.len(), 1);
        assert_eq!(related[0]["id"], 1);
        assert_eq!(related[0]["message"]["text"], "shadowing group");
        let phys = &related[0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "supervisord.conf");
        assert_eq!(phys["region"]["startLine"], 7);
        assert_eq!(phys["region"]["startColumn"], 2);
        assert_eq!(phys["region"]["endColumn"], 11);
    }

    #[test]
    fn no_primary_or_unknown_file_means_no_location() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        let r = &v["runs"][0]["results"][2];
        assert_eq!(r["ruleId"], "SV201");
        assert!(r.get("locations").is_none());
        let mut d = Diagnostic::new(Code::InvalidLine, "x").at(Span::new(FileId(7), 0, 1), "here");
        d.severity = Severity::Info;
        let v = parse(&map, &[d]);
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["level"], "note");
        assert!(r.get("locations").is_none());
    }

    #[test]
    fn uris() {
        assert_eq!(artifact_location("a/b.conf").uri, "a/b.conf");
        assert_eq!(artifact_location("./a.conf").uri, "a.conf");
        assert_eq!(
            artifact_location("conf.d\\x y.conf").uri,
            "conf.d/x%20y.conf"
        );
        assert_eq!(artifact_location("a:b%#?.conf").uri, "a%3Ab%25%23%3F.conf");
        assert_eq!(artifact_location("café.ini").uri, "caf%C3%A9.ini");
        let abs = artifact_location("/etc/supervisor/x.conf");
        assert_eq!(abs.uri, "file:///etc/supervisor/x.conf");
        assert_eq!(abs.uri_base_id, None);
        assert_eq!(
            artifact_location("C:\\a b\\x.conf").uri,
            "file:///C:/a%20b/x.conf"
        );
        assert_eq!(directory_uri(Path::new("/proj")), "file:///proj/");
        assert_eq!(directory_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn empty_and_deterministic() {
        let (map, diags) = fixture();
        let v = parse(&map, &[]);
        assert_eq!(v["runs"][0]["results"], Value::Array(Vec::new()));
        let refs: Vec<&Diagnostic> = diags.iter().collect();
        assert_eq!(render(&map, &refs, None), render(&map, &refs, None));
        let v: Value = serde_json::from_str(&render(&map, &refs, None)).unwrap();
        assert!(v["runs"][0].get("originalUriBaseIds").is_none());
        assert_eq!(
            v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "file:///proj/conf.d/web.ini"
        );
    }
}
