//! The machine-readable report: a versioned JSON document that CI tools and
//! editors can parse.
//!
//! The shape is ours, not miette's JSON handler's, because it is a contract
//! (STYLE.md §3.5, documented in the README): a field is never renamed or
//! removed without bumping `version`, and new fields are only added. Every key
//! is always present (`null` when it does not apply), so consumers need no
//! "missing key" case. Lines and columns are 1-based and columns count chars,
//! as editors and GitHub annotations do; byte offsets are given as well for
//! tools that slice the file themselves.

use std::path::Path;

use serde::Serialize;

use crate::diag::{Diagnostic, Label, Position, Severity};
use crate::source::SourceMap;

/// The document version; bump it on any incompatible change of the shape.
const VERSION: u32 = 1;

/// Renders findings (already sorted, see [`crate::diag::Diagnostics::sorted`])
/// as the pretty-printed version-1 document, ending with a newline:
///
/// ```json
/// {"version": 1,
///  "diagnostics": [{"code", "name", "severity", "message", "file", "line", "column",
///                   "end_line", "end_column", "start_byte", "end_byte", "help",
///                   "supervisord", "refused_by_supervisord",
///                   "labels": [{"file", "line", "column", "end_line", "end_column",
///                               "text", "primary"}]}],
///  "summary": {"errors": 0, "warnings": 0, "infos": 0}}
/// ```
///
/// Paths are shown relative to `cwd` when they are below it. The position
/// fields are `null` for a finding without a primary label; `labels` lists the
/// primary label first, then the secondary ones in order.
pub fn render(map: &SourceMap, diags: &[&Diagnostic], cwd: Option<&Path>) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let doc = Document {
        version: VERSION,
        diagnostics: diags
            .iter()
            .map(|d| JsonDiagnostic::new(map, d, cwd))
            .collect(),
        summary: Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        },
    };
    // Serializing plain structs of strings and numbers cannot fail; should it
    // ever, the consumer still gets valid JSON that says what happened.
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| {
        serde_json::json!({ "version": VERSION, "error": e.to_string() }).to_string()
    });
    out.push('\n');
    out
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    start_byte: Option<u32>,
    end_byte: Option<u32>,
    help: Option<&'a str>,
    supervisord: Option<&'a str>,
    refused_by_supervisord: bool,
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    text: Option<&'a str>,
    primary: bool,
}

impl<'a> JsonDiagnostic<'a> {
    fn new(map: &SourceMap, d: &'a Diagnostic, cwd: Option<&Path>) -> Self {
        let info = d.code.info();
        let primary = d.primary.as_ref().and_then(|l| position(map, l, cwd));
        let labels = d
            .primary
            .iter()
            .map(|l| (l, true))
            .chain(d.secondary.iter().map(|l| (l, false)))
            .filter_map(|(l, is_primary)| {
                let p = position(map, l, cwd)?;
                Some(JsonLabel {
                    file: p.file,
                    line: p.line,
                    column: p.column,
                    end_line: p.end_line,
                    end_column: p.end_column,
                    text: l.text.as_deref(),
                    primary: is_primary,
                })
            })
            .collect();
        // The byte range only makes sense together with a known file.
        let bytes = primary
            .as_ref()
            .and(d.primary.as_ref())
            .map(|l| (l.span.start, l.span.end));
        Self {
            code: info.id,
            name: info.name,
            severity: d.severity,
            message: &d.message,
            line: primary.as_ref().map(|p| p.line),
            column: primary.as_ref().map(|p| p.column),
            end_line: primary.as_ref().map(|p| p.end_line),
            end_column: primary.as_ref().map(|p| p.end_column),
            file: primary.map(|p| p.file),
            start_byte: bytes.map(|b| b.0),
            end_byte: bytes.map(|b| b.1),
            help: d.help.as_deref(),
            supervisord: d.supervisord.as_deref(),
            refused_by_supervisord: info.refused_by_supervisord,
            labels,
        }
    }
}

/// The label's position, or `None` for a file id this map does not know (a bug
/// elsewhere; the finding is still reported, just without that place).
fn position(map: &SourceMap, label: &Label, cwd: Option<&Path>) -> Option<Position> {
    ((label.span.file.0 as usize) < map.len()).then(|| Position::of(map, label.span, cwd))
}

#[cfg(test)]
mod tests {

    use serde_json::Value;

    use super::*;
    use crate::diag::Code;
    use crate::source::{FileId, Span};

    /// `/proj/supervisord.conf` includes `/proj/conf.d/web.ini`, whose second
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
    fn document_shape_and_summary() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        assert_eq!(v["version"], 1);
        assert_eq!(v["diagnostics"].as_array().unwrap().len(), 3);
        assert_eq!(v["summary"]["errors"], 2);
        assert_eq!(v["summary"]["warnings"], 1);
        assert_eq!(v["summary"]["infos"], 0);
    }

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        let d = &v["diagnostics"][0];
        assert_eq!(d["code"], "SV104");
        assert_eq!(d["name"], "unknown-variable");
        assert_eq!(d["severity"], "error");
        assert_eq!(d["message"], "`ENV_PORT` is not set");
        assert_eq!(d["file"], "conf.d/web.ini");
        assert_eq!(d["line"], 2);
        // `command=/usr/bin/café --port=` is 29 chars but 30 bytes.
        assert_eq!(d["column"], 30);
        assert_eq!(d["end_line"], 2);
        assert_eq!(d["end_column"], 42);
        let var = map.file(FileId(1)).text.find("%(ENV_PORT)s").unwrap();
        assert_eq!(d["start_byte"], var);
        assert_eq!(d["end_byte"], var + 12);
        assert_eq!(
            d["help"],
            "set `PORT`, for example with `svconf check -e PORT=8080`"
        );
        assert_eq!(
            d["supervisord"],
            "Format string ... contains names ('ENV_PORT') which cannot be expanded"
        );
        assert_eq!(d["refused_by_supervisord"], true);
        let labels = d["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0]["text"], "unknown variable");
        assert_eq!(labels[0]["primary"], true);
        assert_eq!(labels[0]["column"], 30);
    }

    #[test]
    fn secondary_label_in_other_file() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        let d = &v["diagnostics"][1];
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["refused_by_supervisord"], false);
        assert_eq!(
            (d["line"].clone(), d["column"].clone()),
            (1.into(), 2.into())
        );
        assert_eq!(d["help"], Value::Null);
        let labels = d["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0]["file"], "conf.d/web.ini");
        assert_eq!(labels[0]["primary"], true);
        assert_eq!(labels[1]["file"], "supervisord.conf");
        assert_eq!(labels[1]["text"], "shadowing group");
        assert_eq!(labels[1]["primary"], false);
        assert_eq!(labels[1]["line"], 7);
        assert_eq!(labels[1]["column"], 2);
        assert_eq!(labels[1]["end_line"], 7);
        assert_eq!(labels[1]["end_column"], 11);
    }

    #[test]
    fn no_primary_means_null_position() {
        let (map, diags) = fixture();
        let v = parse(&map, &diags);
        let d = &v["diagnostics"][2];
        assert_eq!(d["code"], "SV201");
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "start_byte",
            "end_byte",
        ] {
            assert_eq!(d[key], Value::Null, "{key}");
            assert!(d.as_object().unwrap().contains_key(key), "{key}");
        }
        assert_eq!(d["labels"], Value::Array(Vec::new()));
    }

    #[test]
    fn empty_and_unknown_file() {
        let (map, _) = fixture();
        let v = parse(&map, &[]);
        assert_eq!(v["diagnostics"], Value::Array(Vec::new()));
        assert_eq!(v["summary"]["errors"], 0);
        let d = [Diagnostic::new(Code::InvalidLine, "x").at(Span::new(FileId(7), 0, 1), "here")];
        let v = parse(&map, &d);
        assert_eq!(v["diagnostics"][0]["file"], Value::Null);
        assert_eq!(v["diagnostics"][0]["start_byte"], Value::Null);
    }
}
