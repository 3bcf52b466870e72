//! The GitHub Actions report: one workflow command per finding, which the
//! Actions runner turns into an annotation on the file and line of the pull
//! request (ruff's `message/github.rs`).
//!
//! ```text
//! ::error file=conf.d/web.conf,line=2,col=30,endLine=2,endColumn=42,title=SV104 unknown-variable::`ENV_PORT` is not set%0Ahelp: set `PORT`
//! ```
//!
//! The runner reads each line on its own, so everything a finding says must fit
//! on one line: line breaks and `%` are percent-encoded in the message, and
//! property values also encode `:` and `,`, which would otherwise end the
//! value (STYLE.md §3.5). The help sentence and supervisord's own message follow
//! the message after an encoded line break, so the annotation shows them on
//! lines of their own.
//!
//! Nothing else is printed: no summary line. The runner shows every line that
//! is not a command in the job log, where a count is noise; the annotations
//! already say how many findings there are, and the exit code says whether the
//! check failed. A finding without a primary label (or whose file this map does
//! not know) gets no `file`/`line` properties, which GitHub shows as an
//! annotation on the run rather than on a file.

use std::fmt::Write as _;
use std::path::Path;

use crate::diag::{Diagnostic, Position, Severity};
use crate::source::SourceMap;

/// Renders findings (already sorted, see [`crate::diag::Diagnostics::sorted`])
/// as GitHub Actions workflow commands, one line per finding, each ending with
/// a newline. No findings give the empty string. Paths are shown relative to
/// `cwd` when they are below it, which is what GitHub expects when svconf runs
/// from the repository root.
pub fn render(map: &SourceMap, diags: &[&Diagnostic], cwd: Option<&Path>) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&line(map, d, cwd));
        out.push('\n');
    }
    out
}

/// One workflow command, without the newline.
fn line(map: &SourceMap, d: &Diagnostic, cwd: Option<&Path>) -> String {
    let info = d.code.info();
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props = String::new();
    let position = d
        .primary
        .as_ref()
        .filter(|l| (l.span.file.0 as usize) < map.len())
        .map(|l| Position::of(map, l.span, cwd));
    if let Some(p) = position {
        // Writing to a String cannot fail.
        let _ = write!(
            props,
            "file={},line={},col={},endLine={},endColumn={},",
            escape_property(&p.file),
            p.line,
            p.column,
            p.end_line,
            p.end_column,
        );
    }
    let _ = write!(
        props,
        "title={}",
        escape_property(&format!("{} {}", info.id, info.name))
    );
    format!("::{command} {props}::{}", escape_data(&message(d)))
}

/// The annotation text: the message, then the help and supervisord's own
/// message on lines of their own.
fn message(d: &Diagnostic) -> String {
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

/// Encodes a command's data (the text after `::`): `%`, CR and LF, as the
/// Actions runner's `escapeData` does.
pub(crate) fn escape_data(text: &str) -> String {
    escape(text, "")
}

/// Encodes a property value: what [`escape_data`] encodes, plus `:` and `,`,
/// which separate the properties from each other and from the data
/// (the runner's `escapeProperty`).
pub(crate) fn escape_property(text: &str) -> String {
    escape(text, ":,")
}

/// Percent-encodes `%`, CR, LF and the `extra` characters.
fn escape(text: &str, extra: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '\r' | '\n') || extra.contains(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{:02X}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::diag::Code;
    use crate::source::{FileId, Span};

    fn fixture() -> (SourceMap, Vec<Diagnostic>) {
        super::super::sample()
    }

    fn render_all(map: &SourceMap, diags: &[Diagnostic]) -> String {
        let refs: Vec<&Diagnostic> = diags.iter().collect();
        render(map, &refs, Some(Path::new("/proj")))
    }

    #[test]
    fn data_escapes_percent_cr_lf_only() {
        assert_eq!(escape_data("100%"), "100%25");
        assert_eq!(escape_data("a\r\nb"), "a%0D%0Ab");
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(escape_data("café ✓"), "café ✓");
        assert_eq!(escape_data(""), "");
    }

    #[test]
    fn property_also_escapes_colon_and_comma() {
        assert_eq!(escape_property("C:\\a,b"), "C%3A\\a%2Cb");
        assert_eq!(escape_property("50%\n"), "50%25%0A");
        assert_eq!(escape_property("a\rb"), "a%0Db");
        assert_eq!(
            escape_property("SV104 unknown-variable"),
            "SV104 unknown-variable"
        );
        // `%` is encoded first-come, not re-encoded after the others.
        assert_eq!(escape_property("%3A:"), "%253A%3A");
    }

    #[test]
    fn one_command_per_finding() {
        let (map, diags) = fixture();
        let out = render_all(&map, &diags);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                // `command=/usr/bin/café --port=` is 29 chars: columns count chars.
                "::error file=conf.d/web.ini,line=2,col=30,endLine=2,endColumn=42,\
                 title=SV104 unknown-variable::`ENV_PORT` is not set%0Ahelp: set `PORT`, for example with \
                 `svconf check -e PORT=8080`%0Asupervisord says: Format string ... contains names \
                 ('ENV_PORT') which cannot be expanded",
                "::warning file=conf.d/web.ini,line=1,col=2,endLine=1,endColumn=13,\
                 title=SV233 shadowed-group::program `web` is hidden by group `web`",
                "::error title=SV201 missing-supervisord-section::the config has no `[supervisord]` section",
            ]
        );
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn message_and_path_are_escaped() {
        let mut map = SourceMap::new();
        let id = map.add(
            PathBuf::from("/elsewhere/a,b:c.conf"),
            "x\n".to_owned(),
            None,
        );
        let d = [
            Diagnostic::new(Code::BadFormat, "`50%` in `a, b: c`\r\nnext")
                .at(Span::new(id, 0, 1), "here")
                .supervisord("Format string '50%' is badly formatted"),
        ];
        let out = render_all(&map, &d);
        assert_eq!(
            out,
            "::error file=/elsewhere/a%2Cb%3Ac.conf,line=1,col=1,endLine=1,endColumn=2,\
             title=SV105 bad-format::`50%25` in `a, b: c`%0D%0Anext\
             %0Asupervisord says: Format string '50%25' is badly formatted\n"
        );
    }

    #[test]
    fn info_is_a_notice_and_unknown_file_has_no_position() {
        let (map, _) = fixture();
        let mut d = Diagnostic::new(Code::InvalidLine, "x").at(Span::new(FileId(7), 0, 1), "here");
        d.severity = Severity::Info;
        let out = render_all(&map, &[d]);
        assert_eq!(out, "::notice title=SV001 invalid-line::x\n");
    }

    #[test]
    fn nothing_found_prints_nothing() {
        let (map, _) = fixture();
        assert_eq!(render_all(&map, &[]), "");
    }
}
