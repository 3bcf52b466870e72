//! `svconf fmt`: the one canonical layout of a supervisord INI file.
//!
//! The formatter works on the lossless syntax tree ([`crate::syntax::Cst`]), line by
//! line, so comments, blank-line structure and continuation lines survive. It only
//! ever changes *layout*, never a value, and every rule below was chosen so that
//! `CPython` 3.11's `configparser` (what supervisord 4.3.0 reads with) sees the same
//! sections, keys and values before and after:
//!
//! - **Option lines** start at column 0 and read `key = value`. Keys are lower-cased
//!   (configparser lower-cases them anyway); a `:` separator becomes `=` (the first
//!   `=` or `:` ends the key, and keys contain neither). An empty value is `key =`.
//!   When the value starts with `;` or `#` the line reads `key =value`: a space there
//!   would turn the value into an inline comment.
//! - **Continuation lines** are indented by exactly 4 spaces. Only the tree's
//!   classification counts: an indented line that configparser reads as a new option
//!   (the first option of a section, or one at the same depth as the option before
//!   it) moves to column 0; a line it reads as a continuation stays indented, even
//!   when it looks like `key = value` or `[section]`.
//! - **Section headers** start at column 0 and keep the name exactly as written
//!   (`[ program:x ]` stays: names are neither stripped nor case-folded).
//! - **Comments**: whole-line comments start at column 0 (at 4 spaces inside a
//!   multi-line value); an inline comment is separated from the text by one space and
//!   kept verbatim, so 3.11's round-based search still finds the same start.
//! - **Blank lines**: none at the start or end of the file, at most one in a row, and
//!   exactly one before every section header (before the comment lines directly
//!   above it). Blank lines *inside* a multi-line value are part of the value and are
//!   kept as they are, however many.
//! - Trailing whitespace is removed, lines end with `\n` (CRLF and CR become LF) and
//!   the file ends with exactly one newline.
//!
//! Files configparser rejects (any invalid line, text before the first section, a byte
//! order mark) are not formatted: the caller gets the findings instead. As a safety
//! net the output is parsed again and its sections, keys and values are compared
//! with the input's; if they differ, formatting is refused with an internal error.

use crate::diag::Diagnostics;
use crate::python;
use crate::source::FileId;
use crate::syntax::{self, Block, LineKind};

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmtError {
    /// configparser rejects the file; the findings are in the sink.
    #[error("the file has syntax errors")]
    Syntax,
    /// The formatted text would mean something else (a bug in the formatter).
    #[error("internal error: formatting would change the meaning of the file ({0})")]
    Meaning(String),
}

/// How a formatted line is treated by the layout pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Section,
    Option,
    Continuation,
}

struct Out {
    text: String,
    kind: Kind,
    /// Blank or comment line between an option and a later continuation of it.
    in_value: bool,
}

/// Formats `text` (one file). `Err(Syntax)` leaves the findings in `diags`.
pub fn format(file: FileId, text: &str, diags: &mut Diagnostics) -> Result<String, FmtError> {
    let mut local = Diagnostics::new();
    let parsed = syntax::parse(file, text, &mut local);
    let errors = local.has_errors();
    diags.extend(local);
    if parsed.rejected || errors {
        return Err(FmtError::Syntax);
    }
    let mut outs = Vec::with_capacity(parsed.cst.lines.len());
    for line in &parsed.cst.lines {
        let raw = text.get(line.start..line.end).unwrap_or("");
        let (text_out, kind) = match &line.kind {
            LineKind::Blank => (String::new(), Kind::Blank),
            LineKind::Comment => (
                python::strip(raw).to_string(),
                if python::strip(raw).is_empty() {
                    Kind::Blank
                } else {
                    Kind::Comment
                },
            ),
            LineKind::Section { name } => {
                let open = name.0.saturating_sub(1);
                let comment = crate::syntax::inline_comment_start(raw).map(|c| line.start + c);
                let content_end = comment.unwrap_or(line.end);
                let content = text.get(open..content_end).unwrap_or("");
                let mut s = content.trim_end_matches(python::is_space).to_string();
                push_comment(&mut s, text, comment, line.end);
                (s, Kind::Section)
            }
            LineKind::Option { key, value } => {
                let key_text = python::lower(text.get(key.0..key.1).unwrap_or(""));
                let value_text = text.get(value.0..value.1).unwrap_or("");
                let mut s = key_text;
                if value_text.is_empty() {
                    s.push_str(" =");
                } else if value_text.starts_with([';', '#']) {
                    s.push_str(" =");
                    s.push_str(value_text);
                } else {
                    s.push_str(" = ");
                    s.push_str(value_text);
                }
                push_rest(&mut s, text, value.1, line.end);
                (s, Kind::Option)
            }
            LineKind::Continuation { value } => {
                let mut s = String::from("    ");
                s.push_str(text.get(value.0..value.1).unwrap_or(""));
                push_rest(&mut s, text, value.1, line.end);
                (s, Kind::Continuation)
            }
            LineKind::Invalid => return Err(FmtError::Syntax),
        };
        outs.push(Out {
            text: text_out,
            kind,
            in_value: false,
        });
    }
    mark_values(&mut outs);
    let formatted = layout(&outs);
    verify(file, &parsed.blocks, &formatted)?;
    Ok(formatted)
}

/// Appends the inline comment that follows `from` on the line (if any), after one space.
fn push_rest(s: &mut String, text: &str, from: usize, end: usize) {
    let rest = text.get(from..end).unwrap_or("");
    let comment = python::strip(rest);
    if !comment.is_empty() {
        s.push(' ');
        s.push_str(comment);
    }
}

/// Appends the comment starting at `start` (absolute) up to `end`, after one space.
fn push_comment(s: &mut String, text: &str, start: Option<usize>, end: usize) {
    if let Some(c) = start {
        let comment = text
            .get(c..end)
            .unwrap_or("")
            .trim_end_matches(python::is_space);
        if !comment.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(comment);
        }
    }
}

/// Marks blank and comment lines that sit inside a multi-line value: between an
/// option (or continuation) line and a later continuation line.
fn mark_values(outs: &mut [Out]) {
    let mut next_is_continuation = false;
    for o in outs.iter_mut().rev() {
        match o.kind {
            Kind::Blank | Kind::Comment => o.in_value = next_is_continuation,
            Kind::Continuation => next_is_continuation = true,
            Kind::Section | Kind::Option => next_is_continuation = false,
        }
    }
}

/// Joins the lines with the blank-line rules of the module docs.
fn layout(outs: &[Out]) -> String {
    // indices of lines that need one blank line before them: a section header (not at
    // the start of the file), or the first of the comment lines directly above it
    let mut blank_before = vec![false; outs.len()];
    for (i, o) in outs.iter().enumerate() {
        if o.kind != Kind::Section {
            continue;
        }
        let mut first = i;
        while first > 0 && outs[first - 1].kind == Kind::Comment && !outs[first - 1].in_value {
            first -= 1;
        }
        blank_before[first] = true;
    }
    let mut lines: Vec<String> = Vec::with_capacity(outs.len());
    let mut last_blank = true; // the start of the file counts as blank
    for (i, o) in outs.iter().enumerate() {
        if o.kind == Kind::Blank && !o.in_value {
            if !last_blank {
                lines.push(String::new());
                last_blank = true;
            }
            continue;
        }
        if blank_before[i] && !last_blank {
            lines.push(String::new());
        }
        if o.kind == Kind::Comment && o.in_value {
            // a comment inside a value sits with the continuation lines
            lines.push(format!("    {}", o.text));
        } else {
            lines.push(o.text.clone());
        }
        last_blank = o.kind == Kind::Blank;
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in &lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Parses the output again and compares sections, keys and values with the input's.
fn verify(file: FileId, before: &[Block], formatted: &str) -> Result<(), FmtError> {
    let mut diags = Diagnostics::new();
    let again = syntax::parse(file, formatted, &mut diags);
    if again.rejected || diags.has_errors() {
        return Err(FmtError::Meaning("the output does not parse".into()));
    }
    if again.blocks.len() != before.len() {
        return Err(FmtError::Meaning("the sections differ".into()));
    }
    for (a, b) in before.iter().zip(&again.blocks) {
        if a.name != b.name {
            return Err(FmtError::Meaning(format!(
                "section `{}` became `{}`",
                a.name, b.name
            )));
        }
        if a.entries.len() != b.entries.len() {
            return Err(FmtError::Meaning(format!(
                "the options of section `{}` differ",
                a.name
            )));
        }
        for (x, y) in a.entries.iter().zip(&b.entries) {
            if x.key != y.key || x.value != y.value {
                return Err(FmtError::Meaning(format!(
                    "`{}.{}` would change",
                    a.name, x.key
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format(FileId(0), text, &mut Diagnostics::new()).expect("formats")
    }

    #[test]
    fn spacing_and_separator() {
        assert_eq!(
            fmt("[x]\n  k  =  v  ;c  \r\n  A:b=c\r\n  s = \n"),
            "[x]\nk = v ;c\na = b=c\ns =\n"
        );
    }

    #[test]
    fn value_starting_with_comment_char() {
        assert_eq!(fmt("[x]\na=;y\nb:#z\n"), "[x]\na =;y\nb =#z\n");
    }

    #[test]
    fn continuation_is_kept() {
        assert_eq!(
            fmt("[x]\ncommand=a\n\t\tb\n\n\n  c\n   ; note\n  d\n\n\n\ne=1\n"),
            "[x]\ncommand = a\n    b\n\n\n    c\n    ; note\n    d\n\ne = 1\n"
        );
    }

    #[test]
    fn sections_get_one_blank_line() {
        assert_eq!(
            fmt("\n\n[a]\nx=1\n; about b\n[b]\n\n\n\n[ c ] junk ;c\n"),
            "[a]\nx = 1\n\n; about b\n[b]\n\n[ c ] junk ;c\n"
        );
    }

    #[test]
    fn refuses_syntax_errors() {
        let mut d = Diagnostics::new();
        assert_eq!(
            format(FileId(0), "[x]\nbare\n", &mut d),
            Err(FmtError::Syntax)
        );
        assert!(d.has_errors());
        assert_eq!(
            format(FileId(0), "\u{feff}[x]\n", &mut Diagnostics::new()),
            Err(FmtError::Syntax)
        );
    }
}
