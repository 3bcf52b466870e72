//! Inline suppressions: `; svconf: allow SV231` on the line above a finding.
//!
//! A comment of that form silences the named codes for findings whose primary label
//! starts on the next line that is not a comment or blank. A suppression that
//! silences nothing is itself reported (SV008), so stale ones do not pile up. Codes
//! supervisord refuses to start on cannot be silenced: `check` passing must keep
//! meaning that supervisord accepts the config.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};

/// One `svconf: allow` comment.
#[derive(Debug, Clone)]
struct Directive {
    /// The comment's span (for "unused" findings).
    span: Span,
    /// Byte offset of the start of the line it applies to.
    target_line_start: u32,
    codes: Vec<(Code, Span)>,
    used: Vec<bool>,
}

/// Finds the directives in one file.
fn directives(file: FileId, text: &str, out: &mut Vec<Directive>, diags: &mut Diagnostics) {
    let lines: Vec<(usize, &str)> = {
        let mut v = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            v.push((start, line.trim_end_matches(['\n', '\r'])));
            start += line.len();
        }
        v
    };
    for (i, (start, line)) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed
            .strip_prefix(';')
            .or_else(|| trimmed.strip_prefix('#'))
        else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(list) = rest.strip_prefix("svconf:") else {
            continue;
        };
        let list = list.trim_start();
        let Some(list) = list.strip_prefix("allow") else {
            continue;
        };
        let base = start + (line.len() - list.len());
        let mut codes = Vec::new();
        let mut offset = 0;
        for word in list.split(|c: char| c == ',' || c.is_whitespace()) {
            let at = base + offset;
            offset += word.len() + 1;
            if word.is_empty() {
                continue;
            }
            let span = Span::new(file, at, at + word.len());
            match Code::find(word) {
                Some(code) if code.info().refused_by_supervisord => diags.push(
                    Diagnostic::new(Code::UnusedSuppression, format!("`{word}` cannot be allowed: supervisord refuses to start on it"))
                        .at(span, "not suppressible")
                        .help("fix the problem instead; svconf check passing means supervisord accepts the config"),
                ),
                Some(code) => codes.push((code, span)),
                None => diags.push(
                    Diagnostic::new(Code::UnusedSuppression, format!("`{word}` is not a svconf code"))
                        .at(span, "unknown code")
                        .help("write a code such as `SV231`; `svconf explain --list` lists them"),
                ),
            }
        }
        // the next line that is neither blank nor a comment
        let target = lines.iter().skip(i + 1).find(|(_, l)| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with(';') && !t.starts_with('#')
        });
        let Some((target_start, _)) = target else {
            continue;
        };
        let used = vec![false; codes.len()];
        out.push(Directive {
            span: Span::new(
                file,
                *start + (line.len() - trimmed.len()),
                start + line.len(),
            ),
            target_line_start: u32::try_from(*target_start).unwrap_or(u32::MAX),
            codes,
            used,
        });
    }
}

/// Removes the findings that a directive allows, and reports directives that allow nothing.
pub fn apply(sources: &SourceMap, diags: Diagnostics) -> Diagnostics {
    let mut found = Vec::new();
    let mut out = Diagnostics::new();
    for (id, file) in sources.files() {
        if file.text.contains("svconf:") {
            directives(id, &file.text, &mut found, &mut out);
        }
    }
    for d in diags.into_vec() {
        let mut keep = true;
        if let Some(label) = d.primary.as_ref().filter(|_| !found.is_empty()) {
            let f = sources.file(label.span.file);
            let line_start = f
                .text
                .get(..label.span.start as usize)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1);
            for dir in found.iter_mut().filter(|x| {
                x.span.file == label.span.file && x.target_line_start as usize == line_start
            }) {
                for (i, (code, _)) in dir.codes.iter().enumerate() {
                    if *code == d.code && !d.code.info().refused_by_supervisord {
                        keep = false;
                        if let Some(u) = dir.used.get_mut(i) {
                            *u = true;
                        }
                    }
                }
            }
        }
        if keep {
            out.push(d);
        }
    }
    for dir in &found {
        for ((code, span), used) in dir.codes.iter().zip(&dir.used) {
            if !used {
                out.push(
                    Diagnostic::new(
                        Code::UnusedSuppression,
                        format!("`svconf: allow {code}` suppresses nothing"),
                    )
                    .at(*span, "no such finding on the next line")
                    .help("remove the code from the comment"),
                );
            }
        }
    }
    out
}
