//! supervisord's INI dialect, read losslessly.
//!
//! supervisord reads its config with `CPython` 3.11's `configparser.RawConfigParser`
//! (`inline_comment_prefixes=(';', '#')`, `strict=False`). This module reproduces
//! that reader line by line: the same comment rules (including 3.11's round-based
//! inline comment search), the same continuation rule (deeper indentation than the
//! line that started the option), the same section header and option patterns.
//!
//! It produces two things from one pass:
//! - a [`Cst`]: every line of the file classified, with byte ranges; concatenating
//!   the lines gives back the input exactly (used by formatters and tests);
//! - a list of [`Block`]s: the sections of this one file in order, with their
//!   options already joined as configparser joins them, and a map from value
//!   offsets back to file offsets so later stages can point at a `%(x)s` token
//!   inside a multi-line value.
//!
//! It knows nothing about supervisord's sections or keys, and it never stops: a bad
//! line becomes a diagnostic and reading goes on (taplo's model). Merging blocks
//! across files (and `[DEFAULT]`) is the include stage's job.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::python;
use crate::source::{FileId, Span};

/// After this many bad lines in one file, the rest are summarised in one finding.
const MAX_LINE_ERRORS: usize = 100;

/// What one line of the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Empty or whitespace only.
    Blank,
    /// A whole-line comment, or a line that is empty once its inline comment is removed.
    Comment,
    /// `[name]`; the range is the name between the brackets.
    Section {
        /// Byte range of the section name.
        name: (usize, usize),
    },
    /// `key = value`; ranges of the key and of the (stripped) value.
    Option {
        /// Byte range of the key as written.
        key: (usize, usize),
        /// Byte range of the stripped value (may be empty).
        value: (usize, usize),
    },
    /// A deeper-indented line that continues the previous option's value.
    Continuation {
        /// Byte range of the stripped text.
        value: (usize, usize),
    },
    /// A line configparser rejects.
    Invalid,
}

/// One line: `start..end` is its text, `end..next` its line terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// First byte of the line.
    pub start: usize,
    /// End of the line's text (before `\n`, `\r\n` or `\r`).
    pub end: usize,
    /// First byte of the next line.
    pub next: usize,
    /// What the line is.
    pub kind: LineKind,
}

/// The lossless syntax tree of one file: its lines in order.
#[derive(Debug, Clone)]
pub struct Cst {
    /// The file.
    pub file: FileId,
    /// Every line; together they cover the whole text.
    pub lines: Vec<Line>,
}

impl Cst {
    /// The text again, from the lines (equal to the input: the tree is lossless).
    pub fn reprint(&self, text: &str) -> String {
        self.lines
            .iter()
            .map(|l| text.get(l.start..l.next).unwrap_or(""))
            .collect()
    }
}

/// A piece of a joined value: `value[at..]` starts with text found at `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Offset in the joined value.
    pub at: u32,
    /// Where that text is in the file.
    pub span: Span,
}

/// One option as configparser stores it: lower-cased key, joined value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, lower-cased as configparser does.
    pub key: String,
    /// The key as written.
    pub key_span: Span,
    /// The value: lines joined with `\n`, trailing whitespace removed.
    pub value: String,
    /// From the first to the last character of the value (an empty span after the separator for `key=`).
    pub value_span: Span,
    /// Where each line of a multi-line value came from (empty for a one-line value,
    /// which is `value_span` itself).
    pub pieces: Vec<Piece>,
}

impl Entry {
    /// The file span of `value[start..end]` (clamped to one piece).
    pub fn span_of(&self, start: usize, end: usize) -> Span {
        if self.pieces.is_empty() {
            return self.value_span.sub(start, end);
        }
        let mut found = None;
        for p in &self.pieces {
            if p.at as usize <= start {
                found = Some(p);
            } else {
                break;
            }
        }
        match found {
            Some(p) => {
                let off = start - p.at as usize;
                let len = end.saturating_sub(start);
                p.span.sub(off, off + len)
            }
            None => self.value_span,
        }
    }
}

/// One `[section]` header of this file and the options under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The name as written between the brackets (not stripped: configparser does not).
    pub name: String,
    /// The name's span.
    pub header: Span,
    /// Options in file order (a repeated key appears twice; the later wins).
    pub entries: Vec<Entry>,
}

/// The result of reading one file.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The lossless tree.
    pub cst: Cst,
    /// The sections, in file order.
    pub blocks: Vec<Block>,
    /// True when configparser would reject the file (any syntax error).
    pub rejected: bool,
}

/// Splits text into lines the way Python's universal-newline reading does
/// (`\n`, `\r\n` and a lone `\r` all end a line).
fn split_lines(text: &str) -> Vec<(usize, usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push((start, i, i + 1));
                start = i + 1;
            }
            b'\r' => {
                let next = if bytes.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                };
                out.push((start, i, next));
                start = next;
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push((start, bytes.len(), bytes.len()));
    }
    out
}

/// Where `CPython` 3.11 starts the inline comment of `line`, if anywhere.
///
/// 3.11 searches in rounds: round k looks at the k-th `;` and the k-th `#`, and
/// stops at the first round where one of them is preceded by whitespace (or starts
/// the line). So `b#c #d ;e` keeps `b#c #d`; `CPython` 3.13 would keep only `b#c`.
pub(crate) fn inline_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut positions: [Option<usize>; 2] = [None, None];
    let mut alive = [true, true];
    let prefixes = [b';', b'#'];
    loop {
        if !alive.iter().any(|a| *a) {
            return None;
        }
        let mut best: Option<usize> = None;
        for k in 0..2 {
            if !alive[k] {
                continue;
            }
            let from = positions[k].map_or(0, |p| p + 1);
            let found = bytes
                .get(from..)
                .and_then(|rest| rest.iter().position(|b| *b == prefixes[k]))
                .map(|p| p + from);
            match found {
                None => alive[k] = false,
                Some(idx) => {
                    positions[k] = Some(idx);
                    let qualifies = idx == 0
                        || line
                            .get(..idx)
                            .and_then(|s| s.chars().next_back())
                            .is_some_and(python::is_space);
                    if qualifies {
                        best = Some(best.map_or(idx, |b: usize| b.min(idx)));
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
    }
}

/// The byte range of `python::strip(text[start..end])`, as absolute offsets.
fn strip_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let s = text.get(start..end).unwrap_or("");
    let lead = s.len() - s.trim_start_matches(python::is_space).len();
    let trail = s.trim_end_matches(python::is_space).len();
    if trail <= lead {
        (start + lead, start + lead)
    } else {
        (start + lead, start + trail)
    }
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    blocks: Vec<Block>,
    /// Index of the block and entry of the option being continued.
    current: Option<(usize, usize)>,
    /// Value parts of the current option: (text range) — empty range for blank lines.
    parts: Vec<Option<(usize, usize)>>,
    errors: usize,
    /// The first bad line that was not listed on its own.
    first_unlisted: Option<Span>,
}

impl Builder<'_> {
    fn finish_option(&mut self) {
        let Some((b, e)) = self.current.take() else {
            self.parts.clear();
            return;
        };
        let parts = std::mem::take(&mut self.parts);
        let multi_line = parts.len() > 1;
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut first_start = None;
        let mut last_end = None;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                value.push('\n');
            }
            if let Some((s, t)) = *part {
                if first_start.is_none() {
                    first_start = Some(s);
                }
                if t > s {
                    last_end = Some(t);
                }
                if multi_line {
                    pieces.push(Piece {
                        at: u32::try_from(value.len()).unwrap_or(u32::MAX),
                        span: Span::new(self.file, s, t),
                    });
                }
                value.push_str(self.text.get(s..t).unwrap_or(""));
            }
        }
        // configparser joins with "\n" and rstrips the result
        let trimmed = value.trim_end_matches(python::is_space).len();
        value.truncate(trimmed);
        if let Some(entry) = self
            .blocks
            .get_mut(b)
            .and_then(|blk| blk.entries.get_mut(e))
        {
            let start = first_start.unwrap_or(entry.value_span.start as usize);
            let end = last_end.unwrap_or(start).max(start);
            entry.value_span = Span::new(self.file, start, end);
            entry.value = value;
            entry.pieces = pieces;
        }
    }
}

/// Reads one file's text. Findings go to `diags`; the result is always usable.
pub fn parse(file: FileId, text: &str, diags: &mut Diagnostics) -> Parsed {
    let mut lines = Vec::with_capacity(text.len() / 24 + 1);
    let mut b = Builder {
        file,
        text,
        blocks: Vec::new(),
        current: None,
        parts: Vec::new(),
        errors: 0,
        first_unlisted: None,
    };
    let mut rejected = false;
    let mut in_section = false;
    let mut indent_level = 0usize;
    let mut reported_no_header = false;

    let mut line_list = split_lines(text);
    if text.starts_with('\u{feff}') {
        rejected = true;
        diags.push(
            Diagnostic::new(
                Code::ByteOrderMark,
                "the file starts with a byte order mark",
            )
            .at(Span::new(file, 0, 3), "invisible U+FEFF here")
            .help("save the file as UTF-8 without a byte order mark")
            .supervisord("File contains no section headers."),
        );
        // read the rest as if the mark were not there, to report what else is wrong
        if let Some(first) = line_list.first_mut() {
            first.0 = 3.min(first.1);
            lines.push(Line {
                start: 0,
                end: 3.min(first.1),
                next: 3.min(first.1),
                kind: LineKind::Comment,
            });
        }
    }

    for (start, end, next) in line_list {
        let line = text.get(start..end).unwrap_or("");
        let full_comment = {
            let s = python::strip(line);
            s.starts_with('#') || s.starts_with(';')
        };
        let comment_start = if full_comment {
            Some(0)
        } else {
            inline_comment_start(line)
        };
        let content_end = start + comment_start.unwrap_or(line.len());
        let (vs, ve) = strip_range(text, start, content_end);
        if vs == ve {
            // blank lines (without a comment) become empty lines of the current value
            if comment_start.is_none() && b.current.is_some() {
                b.parts.push(None);
            }
            let kind = if comment_start.is_some() {
                LineKind::Comment
            } else {
                LineKind::Blank
            };
            lines.push(Line {
                start,
                end,
                next,
                kind,
            });
            continue;
        }
        let indent = line.chars().take_while(|c| python::is_space(*c)).count();
        if in_section && b.current.is_some() && indent > indent_level {
            b.parts.push(Some((vs, ve)));
            lines.push(Line {
                start,
                end,
                next,
                kind: LineKind::Continuation { value: (vs, ve) },
            });
            continue;
        }
        indent_level = indent;
        let value = text.get(vs..ve).unwrap_or("");
        if let Some(close) = section_header(value) {
            b.finish_option();
            let name_range = (vs + 1, vs + close);
            b.blocks.push(Block {
                name: text
                    .get(name_range.0..name_range.1)
                    .unwrap_or("")
                    .to_string(),
                header: Span::new(file, name_range.0, name_range.1),
                entries: Vec::new(),
            });
            in_section = true;
            lines.push(Line {
                start,
                end,
                next,
                kind: LineKind::Section { name: name_range },
            });
            continue;
        }
        if !in_section {
            rejected = true;
            if !reported_no_header {
                reported_no_header = true;
                diags.push(
                    Diagnostic::new(
                        Code::NoSectionHeader,
                        "text before the first section header",
                    )
                    .at(Span::new(file, vs, ve), "not inside any `[section]`")
                    .help("move this line below a `[section]` header, or comment it out with `;`")
                    .supervisord("File contains no section headers."),
                );
            }
            lines.push(Line {
                start,
                end,
                next,
                kind: LineKind::Invalid,
            });
            continue;
        }
        let Some(sep) = value.find(['=', ':']) else {
            // configparser keeps the current option open across a bad line
            rejected = true;
            b.errors += 1;
            if b.errors == MAX_LINE_ERRORS + 1 {
                b.first_unlisted = Some(Span::new(file, vs, ve));
            }
            if b.errors <= MAX_LINE_ERRORS {
                diags.push(
                    Diagnostic::new(Code::InvalidLine, "line is not `key = value`")
                        .at(Span::new(file, vs, ve), "no `=` or `:` on this line")
                        .help("write `key = value`, or comment the line out with `;`")
                        .supervisord("Source contains parsing errors"),
                );
            }
            lines.push(Line {
                start,
                end,
                next,
                kind: LineKind::Invalid,
            });
            continue;
        };
        b.finish_option();
        let key_raw = &value[..sep];
        let key_len = key_raw.trim_end_matches(python::is_space).len();
        let key_range = (vs, vs + key_len);
        let (value_start, value_end) = strip_range(text, vs + sep + 1, ve);
        if key_len == 0 {
            rejected = true;
            b.errors += 1;
            if b.errors == MAX_LINE_ERRORS + 1 {
                b.first_unlisted = Some(Span::new(file, vs, ve));
            }
            if b.errors <= MAX_LINE_ERRORS {
                diags.push(
                    Diagnostic::new(Code::EmptyKey, "option has no name")
                        .at(
                            Span::new(file, vs, vs + sep + 1),
                            "nothing before the separator",
                        )
                        .help("write the key name before `=`")
                        .supervisord("Source contains parsing errors"),
                );
            }
            lines.push(Line {
                start,
                end,
                next,
                kind: LineKind::Invalid,
            });
            continue;
        }
        let blk_index = b.blocks.len() - 1;
        if let Some(blk) = b.blocks.last_mut() {
            blk.entries.push(Entry {
                key: python::lower(&value[..key_len]),
                key_span: Span::new(file, key_range.0, key_range.1),
                value: String::new(),
                value_span: Span::new(file, value_start, value_end),
                pieces: Vec::new(),
            });
            b.current = Some((blk_index, blk.entries.len() - 1));
            b.parts.push(Some((value_start, value_end)));
        }
        lines.push(Line {
            start,
            end,
            next,
            kind: LineKind::Option {
                key: key_range,
                value: (value_start, value_end),
            },
        });
    }
    b.finish_option();
    if b.errors > MAX_LINE_ERRORS {
        diags.push(
            Diagnostic::new(
                Code::TooManySyntaxErrors,
                format!("{} more bad lines in this file", b.errors - MAX_LINE_ERRORS),
            )
            .at(
                b.first_unlisted.unwrap_or(Span::new(file, 0, 0)),
                "first of the lines not listed",
            )
            .help("check that this is a supervisord config file at all"),
        );
    }
    Parsed {
        cst: Cst { file, lines },
        blocks: b.blocks,
        rejected,
    }
}

/// If `value` (stripped, comment-free) is a section header, the offset of its closing
/// bracket. configparser's pattern is `\[(?P<header>.+)\]` matched at the start:
/// the name runs to the *last* `]` and must not be empty; text after it is ignored.
fn section_header(value: &str) -> Option<usize> {
    if !value.starts_with('[') {
        return None;
    }
    let close = value.rfind(']')?;
    (close >= 2).then_some(close)
}

#[cfg(test)]
mod tests;
pub mod toml;
