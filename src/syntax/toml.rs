//! The TOML form of a supervisord config, read into the same [`Block`]s as INI.
//!
//! A TOML file is a second *syntax* for supervisord's INI, not a second model: every
//! TOML value is turned into the exact INI string it stands for (`true` → `true`,
//! `[0, 2]` → `0,2`, `{ A = "x y" }` → `A="x y"`), so include merging, `%(...)s`
//! expansion, typing and validation stay the INI pipeline's, and a TOML config
//! behaves exactly as the INI that `svconf convert --to ini` writes from it.
//!
//! Layout (documented in the README):
//!
//! | TOML | supervisord section |
//! |---|---|
//! | `[supervisord]`, `[supervisorctl]`, `[include]`, `[unix_http_server]`, `[inet_http_server]`, `[DEFAULT]` | the same name |
//! | `[program.web]`, `[group.g]`, `[eventlistener.x]`, `[fcgi-program.x]`, `[rpcinterface.x]`, `[ctlplugin.x]` | `kind:name` |
//! | `[section."any name"]` | `any name`, verbatim (sections supervisord ignores, `unix_http_server2`, …) |
//!
//! A value that no INI text can reproduce (leading or trailing whitespace, ` ;`
//! that would start a comment, an environment value with both quote kinds, …) is
//! refused with a finding on the TOML span rather than silently altered: the check
//! is done by writing the option and reading it back with svconf's own INI reader
//! ([`ini_option`]), which is supervisord's reader line for line.

use std::ops::Range;

use toml_edit::{Item, Key, Value};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::keys::{KeyType, SectionKind};
use crate::lower::convert;
use crate::python;
use crate::source::{FileId, Span};

use super::{Block, Cst, Entry, Line, LineKind, Parsed, Piece};

/// Top-level tables whose children are named sections (`[program.web]` → `program:web`).
pub const NAMED_KINDS: [&str; 6] = [
    "program",
    "group",
    "eventlistener",
    "fcgi-program",
    "rpcinterface",
    "ctlplugin",
];

/// Top-level tables that are one section each, named as the table.
pub const SINGLE_KINDS: [&str; 6] = [
    "supervisord",
    "supervisorctl",
    "include",
    "unix_http_server",
    "inet_http_server",
    "DEFAULT",
];

/// The table that carries any other section verbatim: `[section."name"]`.
pub const VERBATIM: &str = "section";

/// Reads one TOML file. Findings go to `diags`; the result is always usable.
pub fn parse(file: FileId, text: &str, diags: &mut Diagnostics) -> Parsed {
    let cst = lossless_lines(file, text);
    let mut reader = Reader {
        file,
        text,
        diags,
        rejected: false,
    };
    let blocks = match toml_edit::Document::parse(text) {
        Ok(doc) => reader.document(doc.as_table()),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let end = if span.end > span.start {
                span.end
            } else {
                // point at one character, so the label is visible
                text.get(span.start..)
                    .and_then(|t| t.chars().next())
                    .map_or(span.start, |c| span.start + c.len_utf8())
            };
            reader.diags.push(
                Diagnostic::new(
                    Code::TomlSyntax,
                    format!("invalid TOML: {}", e.message().trim_end()),
                )
                .at(Span::new(file, span.start, end), "here")
                .help("fix the TOML syntax (https://toml.io)"),
            );
            reader.rejected = true;
            Vec::new()
        }
    };
    Parsed {
        cst,
        blocks,
        rejected: reader.rejected,
    }
}

/// Every line as blank or comment: TOML has no INI structure, but the tree must stay lossless.
fn lossless_lines(file: FileId, text: &str) -> Cst {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            lines.push(line(text, start, end, i + 1));
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(line(text, start, text.len(), text.len()));
    }
    Cst { file, lines }
}

fn line(text: &str, start: usize, end: usize, next: usize) -> Line {
    let blank = text.get(start..end).is_none_or(|l| l.trim().is_empty());
    Line {
        start,
        end,
        next,
        kind: if blank {
            LineKind::Blank
        } else {
            LineKind::Comment
        },
    }
}

/// Why a TOML value cannot be read: where, what, how to fix.
struct Refusal {
    span: Option<Range<usize>>,
    label: String,
    message: String,
    help: String,
}

impl Refusal {
    fn new(span: Option<Range<usize>>, label: &str, message: String, help: &str) -> Self {
        Self {
            span,
            label: label.to_string(),
            message,
            help: help.to_string(),
        }
    }
}

/// An INI value being built, with the TOML spans its parts came from.
#[derive(Default)]
struct Built {
    text: String,
    pieces: Vec<Piece>,
}

struct Reader<'a, 't> {
    file: FileId,
    text: &'t str,
    diags: &'a mut Diagnostics,
    rejected: bool,
}

impl Reader<'_, '_> {
    fn span(&self, r: Option<Range<usize>>) -> Span {
        let r = r.unwrap_or(0..0);
        Span::new(self.file, r.start, r.end)
    }

    fn refuse(&mut self, r: Refusal) {
        let span = self.span(r.span);
        self.diags.push(
            Diagnostic::new(Code::NotExpressibleInIni, r.message)
                .at(span, r.label)
                .help(r.help),
        );
        self.rejected = true;
    }

    fn document(&mut self, root: &toml_edit::Table) -> Vec<Block> {
        // (position in the file, block): sections keep the order they are written in
        let mut blocks: Vec<(usize, Block)> = Vec::new();
        for (name, item) in root {
            let key_span = root.key(name).and_then(Key::span);
            if SINGLE_KINDS.contains(&name) {
                if let Some(b) = self.section(name.to_string(), key_span.clone(), item) {
                    blocks.push((key_span.map_or(0, |r| r.start), b));
                }
                continue;
            }
            let named = NAMED_KINDS.contains(&name);
            if !named && name != VERBATIM {
                self.refuse(Refusal::new(
                    key_span,
                    "not a section kind",
                    format!("`{name}` is not a supervisord section kind"),
                    "use `[program.NAME]`, `[group.NAME]`, … or carry a section verbatim as `[section.\"NAME\"]`",
                ));
                continue;
            }
            let Some(children) = item.as_table_like() else {
                self.refuse(Refusal::new(
                    item.span().or(key_span),
                    "expected a table",
                    format!("`{name}` must be a table of sections"),
                    "write `[program.web]`-style tables",
                ));
                continue;
            };
            for (child, sub) in children.iter() {
                let child_span = children.get_key_value(child).and_then(|(k, _)| k.span());
                let section = if named {
                    format!("{name}:{child}")
                } else {
                    child.to_string()
                };
                if let Some(b) = self.section(section, child_span.clone(), sub) {
                    blocks.push((child_span.map_or(0, |r| r.start), b));
                }
            }
        }
        blocks.sort_by_key(|(at, _)| *at);
        blocks.into_iter().map(|(_, b)| b).collect()
    }

    fn section(
        &mut self,
        name: String,
        header: Option<Range<usize>>,
        item: &Item,
    ) -> Option<Block> {
        let Some(table) = item.as_table_like() else {
            self.refuse(Refusal::new(
                item.span().or(header),
                "expected a table",
                format!("section `{name}` must be a table"),
                "write the section as a `[table]` of keys",
            ));
            return None;
        };
        if let Err(why) = ini_section_header(&name) {
            self.refuse(Refusal::new(
                header,
                "cannot be a section name",
                format!(
                    "section name `{}` cannot be written in supervisord's INI: {why}",
                    name.escape_debug()
                ),
                "rename the section",
            ));
            return None;
        }
        let kind = SectionKind::of(&name);
        let mut entries = Vec::new();
        for (key, value) in table.iter() {
            let key_span = table.get_key_value(key).and_then(|(k, _)| k.span());
            match self.entry(&name, kind, key, key_span.clone(), value) {
                Ok(e) => entries.push(e),
                Err(r) => self.refuse(r),
            }
        }
        Some(Block {
            name,
            header: self.span(header),
            entries,
        })
    }

    fn entry(
        &self,
        section: &str,
        kind: SectionKind,
        key: &str,
        key_span: Option<Range<usize>>,
        item: &Item,
    ) -> Result<Entry, Refusal> {
        let lower = python::lower(key);
        let ty = kind.key(&lower).map(|k| k.ty);
        let Some(value) = item.as_value() else {
            return Err(Refusal::new(
                item.span().or(key_span),
                "a table here",
                format!("`{section}.{key}` must be a value, not a table"),
                "write `key = value`",
            ));
        };
        let whole = value.span();
        let built = if kind == SectionKind::Include && lower == "files" {
            self.words(value)?
        } else {
            self.value(ty, value)?
        };
        if let Err(why) = ini_option(key, &built.text) {
            return Err(Refusal::new(
                whole,
                "cannot be written as INI",
                format!("`{section}.{key}` cannot be written in supervisord's INI: {why}"),
                "change the value so that supervisord can read it back unchanged",
            ));
        }
        let (value_span, pieces) = match built.pieces.as_slice() {
            [one] if one.at == 0 => (one.span, Vec::new()),
            _ => (self.span(whole), built.pieces),
        };
        Ok(Entry {
            key: lower,
            key_span: self.span(key_span),
            value: built.text,
            value_span,
            pieces,
        })
    }

    /// The span of a string's characters when they appear literally in the file (no escapes).
    fn content_span(&self, v: &Value, s: &str) -> Span {
        let Some(r) = v.span() else {
            return Span::default();
        };
        let raw = self.text.get(r.clone()).unwrap_or("");
        for q in [3, 1] {
            if let Some(inner) = raw.get(q..raw.len().saturating_sub(q)) {
                for skip in [0, 1, 2] {
                    if inner.get(skip..) == Some(s) {
                        return Span::new(self.file, r.start + q + skip, r.end - q);
                    }
                }
            }
        }
        Span::new(self.file, r.start, r.end)
    }

    fn scalar(&self, v: &Value, out: &mut Built) -> Result<(), Refusal> {
        let at = u32::try_from(out.text.len()).unwrap_or(u32::MAX);
        let (text, span) = match v {
            Value::String(s) => (s.value().clone(), self.content_span(v, s.value())),
            Value::Integer(i) => (i.value().to_string(), self.span(v.span())),
            Value::Boolean(b) => (b.value().to_string(), self.span(v.span())),
            Value::Float(_) | Value::Datetime(_) => {
                return Err(Refusal::new(
                    v.span(),
                    "not a string, integer or boolean",
                    "supervisord has no floating point or date values".to_string(),
                    "write it as a string: `\"...\"`",
                ));
            }
            Value::Array(_) | Value::InlineTable(_) => {
                return Err(Refusal::new(
                    v.span(),
                    "a list or table here",
                    "expected a single value here".to_string(),
                    "write a string, an integer or a boolean",
                ));
            }
        };
        out.pieces.push(Piece { at, span });
        out.text.push_str(&text);
        Ok(())
    }

    fn value(&self, ty: Option<KeyType>, v: &Value) -> Result<Built, Refusal> {
        let mut out = Built::default();
        match (ty, v) {
            (Some(KeyType::Octal), Value::Integer(i)) => {
                let raw = v.span().and_then(|r| self.text.get(r)).unwrap_or("");
                if !raw.starts_with("0o") || *i.value() < 0 {
                    return Err(Refusal::new(
                        v.span(),
                        "a decimal integer",
                        "a mode must be written in octal".to_string(),
                        "write it as a string (`\"022\"`) or in TOML's octal notation (`0o022`)",
                    ));
                }
                out.text = format!("0{:o}", i.value());
                out.pieces.push(Piece {
                    at: 0,
                    span: self.span(v.span()),
                });
            }
            (Some(KeyType::ExitCodes | KeyType::List), Value::Array(items)) => {
                let mut names = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.text.push(',');
                    }
                    let before = out.text.len();
                    self.scalar(item, &mut out)?;
                    names.push(out.text[before..].to_string());
                }
                if convert::list_of_strings(&out.text) != names {
                    return Err(Refusal::new(
                        v.span(),
                        "cannot be a comma-separated list",
                        "an item of this list is empty or has a comma or surrounding whitespace"
                            .to_string(),
                        "remove commas, empty items and surrounding spaces from the items",
                    ));
                }
            }
            (Some(KeyType::Environment), Value::InlineTable(table)) => {
                let mut pairs = Vec::new();
                for (i, (k, item)) in table.iter().enumerate() {
                    if i > 0 {
                        out.text.push(',');
                    }
                    let Some(s) = item.as_str() else {
                        return Err(Refusal::new(
                            item.span(),
                            "not a string",
                            format!("environment variable `{k}` must be a string"),
                            "quote the value",
                        ));
                    };
                    let quoted = env_pair(k, s).map_err(|why| {
                        Refusal::new(
                            item.span(),
                            "cannot be written for supervisord",
                            format!("environment variable `{k}`: {why}"),
                            "supervisord's `environment` cannot carry this value; set it in the process's own environment",
                        )
                    })?;
                    let key_span = table.key(k).and_then(Key::span);
                    out.pieces.push(Piece {
                        at: u32::try_from(out.text.len()).unwrap_or(u32::MAX),
                        span: self.span(key_span),
                    });
                    let q = quoted.chars().next_back().unwrap_or('"');
                    out.text.push_str(k);
                    out.text.push('=');
                    out.text.push(q);
                    out.pieces.push(Piece {
                        at: u32::try_from(out.text.len()).unwrap_or(u32::MAX),
                        span: self.content_span(item, s),
                    });
                    out.text.push_str(s);
                    out.text.push(q);
                    pairs.push((k.to_string(), s.to_string()));
                }
                if convert::dict_of_key_value_pairs(&out.text).ok() != Some(pairs) {
                    return Err(Refusal::new(
                        v.span(),
                        "cannot be written for supervisord",
                        "these environment variables cannot be written as supervisord's `KEY=\"value\"` list".to_string(),
                        "write `environment` as the string supervisord reads",
                    ));
                }
            }
            (_, Value::Array(_)) => {
                return Err(Refusal::new(
                    v.span(),
                    "a list",
                    "a list is only valid for `exitcodes`, `programs`, `events` and `files`"
                        .to_string(),
                    "write a single value",
                ));
            }
            (_, Value::InlineTable(_)) => {
                return Err(Refusal::new(
                    v.span(),
                    "a table",
                    "a table is only valid for `environment`".to_string(),
                    "write a single value",
                ));
            }
            _ => self.scalar(v, &mut out)?,
        }
        Ok(out)
    }

    /// `[include] files`: a list of patterns separated by whitespace.
    fn words(&self, v: &Value) -> Result<Built, Refusal> {
        let Value::Array(items) = v else {
            return self.value(None, v);
        };
        let mut out = Built::default();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.text.push(' ');
            }
            let before = out.text.len();
            self.scalar(item, &mut out)?;
            let word = &out.text[before..];
            if word.is_empty() || word.chars().any(python::is_space) {
                return Err(Refusal::new(
                    item.span(),
                    "empty or has whitespace",
                    "an include pattern cannot be empty or contain whitespace".to_string(),
                    "supervisord splits `files` on whitespace; use a glob (`?`) for the space",
                ));
            }
        }
        Ok(out)
    }
}

/// `KEY="value"` (or `'value'`) as supervisord's `environment` parser reads it back, or why not.
pub fn env_pair(key: &str, value: &str) -> Result<String, String> {
    if value.contains(['\n', '\r']) {
        return Err("a value cannot contain a line break".into());
    }
    for q in ['"', '\''] {
        if value.contains(q) {
            continue;
        }
        let text = format!("{key}={q}{value}{q}");
        if convert::dict_of_key_value_pairs(&text).ok()
            == Some(vec![(key.to_string(), value.to_string())])
        {
            return Ok(text);
        }
    }
    if value.contains('"') && value.contains('\'') {
        Err("a value cannot contain both `\"` and `'`".into())
    } else {
        Err(
            "supervisord drops quotes at the ends of a value, and reads some keys differently"
                .into(),
        )
    }
}

/// Checks that `[name]` reads back as the section `name`.
pub fn ini_section_header(name: &str) -> Result<(), String> {
    let text = format!("[{name}]\n");
    let mut diags = Diagnostics::new();
    let parsed = super::parse(FileId(0), &text, &mut diags);
    match parsed.blocks.as_slice() {
        [b] if diags.is_empty() && b.name == name => Ok(()),
        _ if name.is_empty() => Err("a section name cannot be empty".into()),
        _ if name.contains(['\n', '\r']) => {
            Err("a section name cannot contain a line break".into())
        }
        _ => Err(
            "supervisord would read `[...]` back differently (` ;` and ` #` start comments)".into(),
        ),
    }
}

/// The INI text of the option `key = value` that supervisord's reader gives back exactly
/// (a multi-line value becomes continuation lines), or why there is none.
pub fn ini_option(key: &str, value: &str) -> Result<String, String> {
    let mut lines = value.split('\n');
    let first = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    let tail: String = rest.iter().fold(String::new(), |mut t, l| {
        t.push_str("\n    ");
        t.push_str(l);
        t
    });
    // `b#c #d ;` keeps `b#c #d`: CPython 3.11 stops at the first round with a comment
    for (sep, end) in [(" = ", ""), ("=", ""), (" = ", " ;")] {
        let option = format!("{key}{sep}{first}{tail}{end}");
        let text = format!("[s]\n{option}\n");
        let mut diags = Diagnostics::new();
        let parsed = super::parse(FileId(0), &text, &mut diags);
        if let [b] = parsed.blocks.as_slice() {
            if let [e] = b.entries.as_slice() {
                if diags.is_empty() && e.key == python::lower(key) && e.value == value {
                    return Ok(option);
                }
            }
        }
    }
    Err(why_not(key, value))
}

fn why_not(key: &str, value: &str) -> String {
    let key_ok = !key.is_empty()
        && python::strip(key) == key
        && !key.contains(['=', ':', '\n', '\r'])
        && !key.starts_with(['[', ';', '#']);
    if !key_ok {
        return format!(
            "the key `{}` cannot be written (empty, `=`, `:`, surrounding whitespace or a leading `[`, `;`, `#`)",
            key.escape_debug()
        );
    }
    if value.contains('\r') {
        return "a carriage return ends a line".into();
    }
    if value.split('\n').any(|l| python::strip(l) != l) {
        return "leading and trailing whitespace is dropped".into();
    }
    if value.contains('\n') {
        return "a line of a multi-line value cannot be empty or start with `;` or `#`, and the value cannot end with a line break".into();
    }
    let chars: Vec<char> = value.chars().collect();
    if chars
        .windows(2)
        .any(|w| python::is_space(w[0]) && (w[1] == ';' || w[1] == '#'))
    {
        return "a `;` or `#` after whitespace starts a comment".into();
    }
    "supervisord would read it back differently".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_option_refuses_what_ini_cannot_carry() {
        assert_eq!(ini_option("command", "a b").as_deref(), Ok("command = a b"));
        assert_eq!(ini_option("x", "#y").as_deref(), Ok("x=#y"));
        assert!(ini_option("x", " y").is_err());
        assert!(ini_option("x", "y ;z").is_err());
        assert_eq!(ini_option("x", "a\nb").as_deref(), Ok("x = a\n    b"));
        assert!(ini_option("x", "a\n b").is_err());
    }

    #[test]
    fn env_pairs_are_requoted() {
        assert_eq!(env_pair("A", "x y").as_deref(), Ok("A=\"x y\""));
        assert_eq!(
            env_pair("A", "say \"hi\" now").as_deref(),
            Ok("A='say \"hi\" now'")
        );
        assert!(env_pair("A", "\"'").is_err());
    }
}
