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

use std::borrow::Cow;

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

/// [`Entry`] without copies: the key is shared `'static` text when it is one supervisord
/// reads, and a one-line value is the file's own text. This is what the include stage
/// reads configs with (a config of 5000 programs has about 100,000 options: two
/// allocations each add up); [`parse`] gives the owned form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry<'t> {
    /// The key, lower-cased as configparser does.
    pub key: Cow<'static, str>,
    /// The key as written.
    pub key_span: Span,
    /// The value: lines joined with `\n`, trailing whitespace removed. Borrowed exactly when
    /// it is the file's text at `value_span` (a one-line value).
    pub value: Cow<'t, str>,
    /// From the first to the last character of the value (an empty span after the separator for `key=`).
    pub value_span: Span,
    /// Where each line of a multi-line value came from (empty for a one-line value).
    pub pieces: Vec<Piece>,
    /// The key's number when it is one supervisord reads ([`crate::ir::keys::known_key_number`]).
    pub known: Option<u16>,
}

impl From<RawEntry<'_>> for Entry {
    fn from(e: RawEntry<'_>) -> Self {
        Self {
            key: e.key.into_owned(),
            key_span: e.key_span,
            value: e.value.into_owned(),
            value_span: e.value_span,
            pieces: e.pieces,
        }
    }
}

impl From<Entry> for RawEntry<'_> {
    fn from(e: Entry) -> Self {
        Self {
            known: crate::ir::keys::known_key_number(&e.key),
            key: Cow::Owned(e.key),
            key_span: e.key_span,
            value: Cow::Owned(e.value),
            value_span: e.value_span,
            pieces: e.pieces,
        }
    }
}

/// One `[section]` header of this file and the options under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<E = Entry> {
    /// The name as written between the brackets (not stripped: configparser does not).
    pub name: String,
    /// The name's span.
    pub header: Span,
    /// Options in file order (a repeated key appears twice; the later wins).
    pub entries: Vec<E>,
}

/// The result of reading one file.
#[derive(Debug, Clone)]
pub struct Parsed<E = Entry> {
    /// The lossless tree (no lines when read with [`parse_raw`] without them).
    pub cst: Cst,
    /// The sections, in file order.
    pub blocks: Vec<Block<E>>,
    /// True when configparser would reject the file (any syntax error).
    pub rejected: bool,
}

impl<E> Parsed<E> {
    /// The same blocks with every entry converted.
    fn map_entries<T>(self, convert: impl Fn(E) -> T) -> Parsed<T> {
        Parsed {
            cst: self.cst,
            blocks: self
                .blocks
                .into_iter()
                .map(|b| Block {
                    name: b.name,
                    header: b.header,
                    entries: b.entries.into_iter().map(&convert).collect(),
                })
                .collect(),
            rejected: self.rejected,
        }
    }
}

impl Parsed<RawEntry<'_>> {
    /// The owned form of every entry.
    pub fn into_owned(self) -> Parsed {
        self.map_entries(Entry::from)
    }
}

impl Parsed {
    /// The entries as [`RawEntry`]s (owning their text).
    pub fn into_raw<'t>(self) -> Parsed<RawEntry<'t>> {
        self.map_entries(RawEntry::from)
    }
}

/// The lines of a text as Python's universal-newline reading splits them (`\n`, `\r\n`
/// and a lone `\r` all end a line): (start, end of text, start of the next line).
struct Lines<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl Iterator for Lines<'_> {
    type Item = (usize, usize, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let rest = self.bytes.get(start..).filter(|r| !r.is_empty())?;
        let (end, next) = match memchr::memchr2(b'\n', b'\r', rest) {
            None => (self.bytes.len(), self.bytes.len()),
            Some(off) => {
                let end = start + off;
                let crlf = rest.get(off..off + 2) == Some(b"\r\n");
                (end, end + if crlf { 2 } else { 1 })
            }
        };
        self.at = next;
        Some((start, end, next))
    }
}

fn split_lines(text: &str) -> Lines<'_> {
    Lines {
        bytes: text.as_bytes(),
        at: 0,
    }
}

/// Where `CPython` 3.11 starts the inline comment of `line`, if anywhere.
///
/// 3.11 searches in rounds: round k looks at the k-th `;` and the k-th `#`, and
/// stops at the first round where one of them is preceded by whitespace (or starts
/// the line). So `b#c #d ;e` keeps `b#c #d`; `CPython` 3.13 would keep only `b#c`.
pub(crate) fn inline_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    // most lines have neither prefix: one search settles them
    memchr::memchr2(b';', b'#', bytes)?;
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

/// The leading run of [`python::is_space`] characters of `s`: (its length in bytes, in chars).
/// ASCII is settled byte by byte; the first non-ASCII byte hands over to `char`s.
fn leading_space(s: &str) -> (usize, usize) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii() {
            let rest = s.get(i..).unwrap_or("");
            let tail = rest.trim_start_matches(python::is_space);
            let more = rest.len() - tail.len();
            let chars = rest.get(..more).map_or(0, |m| m.chars().count());
            return (i + more, i + chars);
        }
        if !python::is_space(char::from(b)) {
            break;
        }
        i += 1;
    }
    (i, i)
}

/// The length of `s` without its trailing [`python::is_space`] characters.
fn trimmed_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut n = bytes.len();
    while let Some(&b) = n.checked_sub(1).and_then(|i| bytes.get(i)) {
        if !b.is_ascii() {
            return s
                .get(..n)
                .map_or(0, |t| t.trim_end_matches(python::is_space).len());
        }
        if !python::is_space(char::from(b)) {
            break;
        }
        n -= 1;
    }
    n
}

/// The byte range of `python::strip(text[start..end])`, as absolute offsets.
fn strip_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let s = text.get(start..end).unwrap_or("");
    let (lead, _) = leading_space(s);
    let trail = trimmed_end(s);
    if trail <= lead {
        (start + lead, start + lead)
    } else {
        (start + lead, start + trail)
    }
}

/// The key as configparser stores it (`optionxform`: lower-cased), as shared `'static`
/// text and with its number when it is a key supervisord reads.
fn key_of(written: &str) -> (Cow<'static, str>, Option<u16>) {
    if !written
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        return match crate::ir::keys::known_key_entry(written) {
            Some((known, n)) => (Cow::Borrowed(known), Some(n)),
            None => (Cow::Owned(written.to_string()), None),
        };
    }
    let lower = python::lower(written);
    match crate::ir::keys::known_key_entry(&lower) {
        Some((known, n)) => (Cow::Borrowed(known), Some(n)),
        None => (Cow::Owned(lower), None),
    }
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    blocks: Vec<Block<RawEntry<'t>>>,
    /// Index of the block and entry of the option being continued.
    current: Option<(usize, usize)>,
    /// Value parts of the current option: (text range) — empty range for blank lines.
    parts: Vec<Option<(usize, usize)>>,
    errors: usize,
    /// The first bad line that was not listed on its own.
    first_unlisted: Option<Span>,
    /// Every line, unless the caller wants the sections only.
    lines: Option<Vec<Line>>,
}

impl<'t> Builder<'t> {
    fn line(&mut self, start: usize, end: usize, next: usize, kind: LineKind) {
        if let Some(lines) = &mut self.lines {
            lines.push(Line {
                start,
                end,
                next,
                kind,
            });
        }
    }

    fn finish_option(&mut self) {
        let Some((b, e)) = self.current.take() else {
            self.parts.clear();
            return;
        };
        let text: &'t str = self.text;
        // a one-line value is the file's text as it stands (already stripped)
        if let [Some((s, t))] = self.parts[..] {
            self.parts.clear();
            if let Some(entry) = self
                .blocks
                .get_mut(b)
                .and_then(|blk| blk.entries.get_mut(e))
            {
                entry.value_span = Span::new(self.file, s, t.max(s));
                entry.value = Cow::Borrowed(text.get(s..t).unwrap_or(""));
            }
            return;
        }
        let multi_line = self.parts.len() > 1;
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut first_start = None;
        let mut last_end = None;
        for (i, part) in self.parts.iter().enumerate() {
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
                value.push_str(text.get(s..t).unwrap_or(""));
            }
        }
        self.parts.clear();
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
            entry.value = Cow::Owned(value);
            entry.pieces = pieces;
        }
    }
}

/// Reads one file's text. Findings go to `diags`; the result is always usable.
pub fn parse(file: FileId, text: &str, diags: &mut Diagnostics) -> Parsed {
    parse_raw(file, text, true, diags).into_owned()
}

/// [`parse`] without copying keys and one-line values out of `text`, and without the
/// lines of the [`Cst`] unless `with_lines` (the include stage needs only the sections).
#[allow(clippy::too_many_lines)] // one pass over the lines, as configparser's `_read`
pub fn parse_raw<'t>(
    file: FileId,
    text: &'t str,
    with_lines: bool,
    diags: &mut Diagnostics,
) -> Parsed<RawEntry<'t>> {
    let mut b = Builder {
        file,
        text,
        blocks: Vec::new(),
        current: None,
        parts: Vec::new(),
        errors: 0,
        first_unlisted: None,
        lines: with_lines.then(|| Vec::with_capacity(text.len() / 24 + 1)),
    };
    let mut rejected = false;
    let mut in_section = false;
    let mut indent_level = 0usize;
    let mut reported_no_header = false;

    let mut line_list = split_lines(text);
    let bom = text.starts_with('\u{feff}');
    if bom {
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
    }

    // (a first line without the byte order mark, which is read as if it were not there)
    let first = line_list.next().map(|(start, end, next)| {
        if bom {
            b.line(0, 3.min(end), 3.min(end), LineKind::Comment);
            (3.min(end), end, next)
        } else {
            (start, end, next)
        }
    });
    for (start, end, next) in first.into_iter().chain(line_list) {
        let line = text.get(start..end).unwrap_or("");
        // `indent` counts chars, as Python's `len(line) - len(line.lstrip())`
        let (lead, indent) = leading_space(line);
        let full_comment = matches!(line.as_bytes().get(lead), Some(b'#' | b';'));
        let comment_start = if full_comment {
            Some(0)
        } else {
            inline_comment_start(line)
        };
        let content_end = comment_start.unwrap_or(line.len());
        // the content starts at the first non-space character: an inline comment that
        // qualifies cannot start inside the leading whitespace
        let (vs, ve) = if full_comment || lead >= content_end {
            (start, start)
        } else {
            let content = line.get(lead..content_end).unwrap_or("");
            (start + lead, start + lead + trimmed_end(content))
        };
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
            b.line(start, end, next, kind);
            continue;
        }
        if in_section && b.current.is_some() && indent > indent_level {
            b.parts.push(Some((vs, ve)));
            b.line(start, end, next, LineKind::Continuation { value: (vs, ve) });
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
            b.line(start, end, next, LineKind::Section { name: name_range });
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
            b.line(start, end, next, LineKind::Invalid);
            continue;
        }
        let Some(sep) = memchr::memchr2(b'=', b':', value.as_bytes()) else {
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
            b.line(start, end, next, LineKind::Invalid);
            continue;
        };
        b.finish_option();
        let key_raw = value.get(..sep).unwrap_or("");
        let key_len = trimmed_end(key_raw);
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
            b.line(start, end, next, LineKind::Invalid);
            continue;
        }
        let blk_index = b.blocks.len() - 1;
        if let Some(blk) = b.blocks.last_mut() {
            let (key, known) = key_of(value.get(..key_len).unwrap_or(""));
            blk.entries.push(RawEntry {
                key,
                known,
                key_span: Span::new(file, key_range.0, key_range.1),
                value: Cow::Borrowed(""),
                value_span: Span::new(file, value_start, value_end),
                pieces: Vec::new(),
            });
            b.current = Some((blk_index, blk.entries.len() - 1));
            b.parts.push(Some((value_start, value_end)));
        }
        b.line(
            start,
            end,
            next,
            LineKind::Option {
                key: key_range,
                value: (value_start, value_end),
            },
        );
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
        cst: Cst {
            file,
            lines: b.lines.unwrap_or_default(),
        },
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
