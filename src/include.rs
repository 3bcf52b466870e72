//! Reading the root file and its `[include]`s into one configparser state.
//!
//! supervisord parses the main file, then (only if the main file has an
//! `[include]` section) globs each `files` pattern relative to the main file's
//! directory and reads every match into the *same* parser: sections merge, later
//! keys win. Between reads it rewrites every literal `%(here)s` in the values it
//! holds so far (first with the main file's directory, then with each included
//! file's directory), which is how `%(here)s` comes to mean "the directory of the
//! file this value came from". [`resolve`] replays exactly that sequence, so the
//! state it returns is the one supervisord's parser ends up with, while every value
//! keeps the span of the text it came from.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

/// Insertion-ordered map with a fast hasher (keys are config text, not attacker-chosen).
pub type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::env::{Env, absolute};
use crate::expand::{self, ExpandError};
use crate::python;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{self, Piece};

/// Files larger than this are not read. Real configs are a few kilobytes; a limit keeps a
/// wrong path (a log file, a disk image) from costing seconds and gigabytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The text of an option: a range of its file's text, or text of its own (a multi-line
/// value joined, a TOML value written differently, a `%(here)s` rewritten). Either way
/// it is one shared pointer and a range, so most options cost no allocation of their own
/// (a config of 5000 programs has about 100,000 options). Read it as a `&str`.
#[derive(Clone)]
pub struct Text {
    buf: Arc<str>,
    start: u32,
    end: u32,
}

impl Text {
    /// `buf[start..end]`, shared with `buf` (the whole of `buf` when the range is not in it).
    pub fn slice(buf: &Arc<str>, start: usize, end: usize) -> Self {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) if buf.get(start..end).is_some() => Self {
                buf: Arc::clone(buf),
                start: s,
                end: e,
            },
            _ => Self::from(buf.to_string()),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        let end = u32::try_from(s.len()).unwrap_or(u32::MAX);
        Self {
            buf: Arc::from(s),
            start: 0,
            end,
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self::from(s.to_string())
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// What few options have: the places of the lines of a multi-line value, and earlier
/// definitions of the key. Kept apart so that an ordinary option stays small.
#[derive(Debug, Clone, Default)]
struct Rare {
    pieces: Vec<Piece>,
    earlier: Vec<Span>,
}

/// One option in the merged state.
#[derive(Debug, Clone)]
pub struct Value {
    /// The current text (after any `%(here)s` rewriting).
    pub text: Text,
    /// From the first to the last character of the value as written.
    text_span: Span,
    /// The key as written: a range in `text_span`'s file (the same line).
    key_range: (u32, u32),
    /// Line pieces of a multi-line value and earlier definitions (`None`: neither).
    rare: Option<Box<Rare>>,
    /// True when the value came from `[DEFAULT]`.
    pub from_default: bool,
    /// True when `text` differs from what the file says (a `%(here)s` was rewritten).
    pub rewritten: bool,
}

impl Value {
    /// The file span of `text[start..end]`; the whole value when the text was rewritten.
    pub fn span_of(&self, start: usize, end: usize) -> Span {
        if self.rewritten {
            return self.text_span;
        }
        let pieces = self.rare.as_ref().map_or(&[][..], |r| &r.pieces[..]);
        if pieces.is_empty() {
            return self.text_span.sub(start, end);
        }
        // the piece the range starts in (clamped to it), as `syntax::Entry::span_of`
        match pieces.iter().take_while(|p| p.at as usize <= start).last() {
            Some(p) => {
                let off = start - p.at as usize;
                let len = end.saturating_sub(start);
                p.span.sub(off, off + len)
            }
            None => self.text_span,
        }
    }

    /// The whole value's span.
    pub fn span(&self) -> Span {
        self.text_span
    }

    /// The key's span, as written.
    pub fn key_span(&self) -> Span {
        Span {
            file: self.text_span.file,
            start: self.key_range.0,
            end: self.key_range.1,
        }
    }

    /// Earlier definitions this one replaced (same section, any file), in read order.
    pub fn earlier(&self) -> &[Span] {
        self.rare.as_ref().map_or(&[][..], |r| &r.earlier[..])
    }
}

/// Up to this many options, a section finds a key by looking at each (a section has about
/// twenty); beyond, it keeps an index.
const SCAN_LIMIT: usize = 32;

/// The options of one section, in first-definition order.
///
/// A list rather than a hash map: a config of 5000 programs has about 100,000 options in
/// sections of about twenty, where looking at each key is as fast as hashing and a map's
/// index and hashes cost 2 MB. A key is a number (in the value's padding): below
/// [`crate::ir::keys::known_key_count`], one of the keys supervisord reads (no text per
/// option); above, an index in the section's own list of other keys. A section with more
/// than [`SCAN_LIMIT`] options gets an index, so no input makes lookups quadratic.
#[derive(Debug, Clone, Default)]
pub struct Options {
    entries: Vec<(u32, Value)>,
    /// Keys that are not among the known ones, numbered from `known_key_count()` on.
    others: Vec<Box<str>>,
    index: Option<Box<rustc_hash::FxHashMap<Box<str>, usize>>>,
}

impl Options {
    /// No options, room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
            others: Vec::new(),
            index: None,
        }
    }

    /// The text of key number `k`.
    fn name(&self, k: u32) -> &str {
        let known = u32::from(crate::ir::keys::known_key_count());
        match u16::try_from(k) {
            Ok(n) if k < known => crate::ir::keys::known_key_name(n).unwrap_or(""),
            _ => usize::try_from(k - known)
                .ok()
                .and_then(|i| self.others.get(i))
                .map_or("", |s| &**s),
        }
    }

    /// The number of `key`, known not to be one of the known keys, in this section.
    fn other_number(&self, key: &str) -> Option<u32> {
        self.others
            .iter()
            .position(|o| &**o == key)
            .and_then(|i| u32::try_from(i).ok())
            .and_then(|i| i.checked_add(u32::from(crate::ir::keys::known_key_count())))
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.locate(key, crate::ir::keys::known_key_number(key))
    }

    /// [`Self::position`] of `key` whose known-key number (`None`: it has none) the
    /// reader already found.
    fn locate(&self, key: &str, known: Option<u16>) -> Option<usize> {
        if let Some(index) = &self.index {
            return index.get(key).copied();
        }
        let n = match known {
            Some(n) => u32::from(n),
            None => self.other_number(key)?,
        };
        self.entries.iter().position(|(k, _)| *k == n)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// The value of `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// True when `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key`: in place when it is set, else last.
    pub fn insert(&mut self, key: &str, value: Value) {
        if let Some(slot) = self.get_mut(key) {
            *slot = value;
            return;
        }
        self.push_new(key, value);
    }

    /// Sets `key`, known not to be set yet, last.
    fn push_new(&mut self, key: &str, value: Value) {
        self.push_new_known(key, crate::ir::keys::known_key_number(key), value);
    }

    /// [`Self::push_new`] of a key whose known-key number the reader already found.
    fn push_new_known(&mut self, key: &str, known: Option<u16>, value: Value) {
        let n = if let Some(n) = known {
            u32::from(n)
        } else if let Some(n) = self.other_number(key) {
            n
        } else {
            let Some(n) = u32::try_from(self.others.len())
                .ok()
                .and_then(|i| i.checked_add(u32::from(crate::ir::keys::known_key_count())))
            else {
                // four billion keys: a file of at most 16 MB cannot have them
                return;
            };
            self.others.push(Box::from(key));
            n
        };
        if let Some(index) = &mut self.index {
            index.insert(Box::from(key), self.entries.len());
        } else if self.entries.len() == SCAN_LIMIT {
            let mut index: rustc_hash::FxHashMap<Box<str>, usize> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (Box::from(self.name(*k)), i))
                .collect();
            index.insert(Box::from(key), self.entries.len());
            self.index = Some(Box::new(index));
        }
        self.entries.push((n, value));
    }

    /// Sets `key` as a file defines it once more: in place when it is set (the definitions
    /// it replaces are kept in the new value's `earlier`, before those it replaced itself),
    /// else last.
    fn define(&mut self, key: &str, known: Option<u16>, mut new: Value) {
        let at = self.locate(key, known);
        match at.and_then(|i| self.entries.get_mut(i)).map(|(_, v)| v) {
            Some(old) => {
                let mut earlier = old.rare.take().map(|r| r.earlier).unwrap_or_default();
                earlier.push(old.key_span());
                let rare = new.rare.get_or_insert_with(Box::default);
                earlier.append(&mut rare.earlier);
                rare.earlier = earlier;
                *old = new;
            }
            None => self.push_new_known(key, known, new),
        }
    }

    /// [`Self::define`]s every option of `self` in `target`, in order: the same as defining
    /// the ones `self` was made of there one after the other.
    fn define_all_in(self, target: &mut Options) {
        let known = crate::ir::keys::known_key_count();
        let Self {
            entries, others, ..
        } = self;
        for (k, value) in entries {
            if let Some(n) = u16::try_from(k).ok().filter(|n| *n < known) {
                let name = crate::ir::keys::known_key_name(n).unwrap_or("");
                target.define(name, Some(n), value);
            } else if let Some(name) = usize::try_from(k - u32::from(known))
                .ok()
                .and_then(|i| others.get(i))
            {
                target.define(name, None, value);
            }
        }
    }

    /// Number of options.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (key, value) in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (self.name(*k), v))
    }

    /// (key, its number when it is a key some section reads, value) in order.
    pub fn iter_known(&self) -> impl Iterator<Item = (&str, Option<u16>, &Value)> {
        let known = crate::ir::keys::known_key_count();
        self.entries.iter().map(move |(k, v)| {
            let n = u16::try_from(*k).ok().filter(|n| *n < known);
            (self.name(*k), n, v)
        })
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| self.name(*k))
    }

    /// The values in order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<'o> IntoIterator for &'o Options {
    type Item = (&'o str, &'o Value);
    type IntoIter = Box<dyn Iterator<Item = (&'o str, &'o Value)> + 'o>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// One merged section.
#[derive(Debug, Clone)]
pub struct Section {
    /// The exact name between the brackets.
    pub name: String,
    /// Every header that opened this section, in read order.
    pub headers: Vec<Span>,
    /// The file that introduced the section (supervisord names it in errors).
    pub file: FileId,
    /// Options, in first-definition order, by key.
    pub values: Options,
}

impl Section {
    /// The first header's span.
    pub fn header(&self) -> Span {
        self.headers.first().copied().unwrap_or_default()
    }
}

/// The parser state after reading the root file and its includes.
#[derive(Debug, Default)]
pub struct Tree {
    /// The root file.
    pub root: FileId,
    /// Directory of the root file (what `%(here)s` means there), absolute.
    pub here: String,
    /// The root path as given (supervisord names it in messages).
    pub root_path: String,
    /// Sections in order of first appearance, `[DEFAULT]` excluded.
    pub sections: Map<String, Section>,
    /// `[DEFAULT]` options, inherited by every section.
    pub defaults: Options,
    /// (section, key) of values that hold a literal `%(here)s` not yet rewritten.
    pending_here: Vec<(String, String)>,
    /// Included files, as supervisord lists them (joined pattern matches, read order).
    pub included_files: Vec<String>,
    /// supervisord's own parse warnings so far, in its words.
    pub warnings: Vec<String>,
    /// True when supervisord would stop while reading (syntax, encoding, include errors).
    pub rejected: bool,
    /// The main file alone, as supervisorctl reads it (no includes, no `%(here)s` rewriting);
    /// kept only when it has a `[supervisorctl]` section.
    pub main_only: Option<Box<Tree>>,
    /// False when the root file could not be decoded or was too large (nothing was parsed).
    pub root_parsed: bool,
    /// Files read a second time (the same file through two patterns, or the main file through
    /// its own `[include]`), mapped to their first reading: their text is the same text.
    pub rereads: std::collections::HashMap<FileId, FileId>,
}

impl Tree {
    /// True when two spans are the same text, even if read twice under two file ids.
    pub fn same_text(&self, a: Span, b: Span) -> bool {
        let first = |f: FileId| self.rereads.get(&f).copied().unwrap_or(f);
        first(a.file) == first(b.file) && (a.start, a.end) == (b.start, b.end)
    }
}

impl Tree {
    /// `parser.get(section, key)`: the section's value, else `[DEFAULT]`'s.
    pub fn get(&self, section: &str, key: &str) -> Option<&Value> {
        self.get_in(self.sections.get(section), key)
    }

    /// [`Tree::get`] for a section already looked up (`None`: there is no such section).
    pub fn get_in<'t>(&'t self, section: Option<&'t Section>, key: &str) -> Option<&'t Value> {
        let found = section.and_then(|s| s.values.get(key));
        if found.is_none() && !self.defaults.is_empty() {
            return self.defaults.get(key);
        }
        found
    }

    /// `parser.options(section)`: the section's keys plus `[DEFAULT]`'s.
    pub fn options(&self, section: &str) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        if let Some(s) = self.sections.get(section) {
            keys.extend(s.values.keys());
        }
        for k in self.defaults.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// Merges a file's blocks, as configparser reads them into its state: sections merge
    /// across files, later keys win.
    fn merge(&mut self, blocks: Vec<ReadBlock>, file: FileId) {
        for block in blocks {
            let ReadBlock {
                name,
                header,
                values,
                here_keys,
            } = block;
            if name == "DEFAULT" {
                values.define_all_in(&mut self.defaults);
                continue;
            }
            for key in here_keys {
                self.pending_here.push((name.clone(), key));
            }
            match self.sections.get_mut(&name) {
                Some(sec) => {
                    sec.headers.push(header);
                    values.define_all_in(&mut sec.values);
                }
                // most sections are one block: its options become the section's as they are
                None => {
                    self.sections.insert(
                        name.clone(),
                        Section {
                            name,
                            // nearly every section has one header: no room for four
                            headers: vec![header],
                            file,
                            values,
                        },
                    );
                }
            }
        }
    }

    /// `UnhosedConfigParser.expand_here`: every literal `%(here)s` in every section's
    /// items (defaults included, which are thereby copied into the section) becomes `here`.
    fn expand_here(&mut self, here: &str) {
        const HERE: &str = "%(here)s";
        // `items(section)` includes [DEFAULT]: such a value is copied into every section
        let defaults: Vec<(String, Value)> = self
            .defaults
            .iter()
            .filter(|(_, d)| d.text.contains(HERE))
            .map(|(k, d)| (k.to_string(), d.clone()))
            .collect();
        if !defaults.is_empty() {
            for (name, sec) in &mut self.sections {
                for (k, d) in &defaults {
                    if !sec.values.contains_key(k) {
                        sec.values.insert(k, d.clone());
                        self.pending_here.push((name.clone(), k.clone()));
                    }
                }
            }
        }
        // only values read since the last rewrite can still hold the literal
        for (section, key) in std::mem::take(&mut self.pending_here) {
            if let Some(v) = self
                .sections
                .get_mut(&section)
                .and_then(|s| s.values.get_mut(key.as_str()))
            {
                if v.text.contains(HERE) {
                    v.text = Text::from(v.text.replace(HERE, here));
                    v.rewritten = true;
                }
            }
        }
    }
}

/// One `[section]` block of a file, its options already as configparser holds them after
/// reading the block alone (a repeated key defined again in place). Made where the file is
/// parsed, so that merging it costs the main thread little.
#[derive(Debug, Clone)]
struct ReadBlock {
    name: String,
    header: Span,
    values: Options,
    /// Keys whose value holds a literal `%(here)s` (none for `[DEFAULT]`).
    here_keys: Vec<String>,
}

/// A file's blocks as [`ReadBlock`]s; `source` is the file's text (`file`).
fn read_blocks(
    blocks: Vec<syntax::Block<syntax::RawEntry<'_>>>,
    file: FileId,
    source: &Arc<str>,
) -> Vec<ReadBlock> {
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let is_default = block.name == "DEFAULT";
        let mut values = Options::with_capacity(block.entries.len());
        let mut here_keys = Vec::new();
        for entry in block.entries {
            let syntax::RawEntry {
                key,
                key_span,
                value,
                value_span,
                pieces,
                known,
            } = entry;
            // (most values have no `%` at all: one byte search settles them)
            if !is_default && value.as_bytes().contains(&b'%') && value.contains("%(here)s") {
                here_keys.push(key.to_string());
            }
            // the text as the file has it is shared with the file; other text is its own
            // (a borrowed value is the file's text at its span: the reader says so)
            let (vs, ve) = (value_span.start as usize, value_span.end as usize);
            let text = match value {
                Cow::Borrowed(_) if value_span.file == file => Text::slice(source, vs, ve),
                Cow::Owned(v) if value_span.file == file && source.get(vs..ve) == Some(&v) => {
                    Text::slice(source, vs, ve)
                }
                other => Text::from(other.into_owned()),
            };
            let rare = (!pieces.is_empty()).then(|| {
                Box::new(Rare {
                    pieces,
                    earlier: Vec::new(),
                })
            });
            let new = Value {
                text,
                text_span: value_span,
                key_range: (key_span.start, key_span.end),
                rare,
                from_default: is_default,
                rewritten: false,
            };
            values.define(&key, known, new);
        }
        out.push(ReadBlock {
            name: block.name,
            header: block.header,
            values,
            here_keys,
        });
    }
    out
}

/// Reads one file's text with the reader its extension calls for (`.toml`, else INI).
fn parse_file<'t>(
    path: &Path,
    id: FileId,
    text: &'t str,
    diags: &mut Diagnostics,
) -> syntax::Parsed<syntax::RawEntry<'t>> {
    if path.extension().is_some_and(|e| e == "toml") {
        syntax::toml::parse(id, text, diags).into_raw()
    } else {
        syntax::parse_raw(id, text, false, diags)
    }
}

/// Reads a file into the source map. `Err` carries the finding for an unreadable file.
fn load(
    map: &mut SourceMap,
    path: &Path,
    included_from: Option<Span>,
    diags: &mut Diagnostics,
) -> Result<(FileId, bool), std::io::Error> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::other("is a directory"));
    }
    if meta.len() > MAX_FILE_BYTES {
        let id = map.add(path.to_path_buf(), String::new(), included_from);
        diags.push(
            Diagnostic::new(
                Code::FileTooLarge,
                format!(
                    "`{}` is {} bytes; svconf reads at most {MAX_FILE_BYTES}",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned()
                    ),
                    meta.len()
                ),
            )
            .at(
                included_from.unwrap_or(Span::new(id, 0, 0)),
                "this file is too large",
            )
            .help("check that the path names a supervisord config file"),
        );
        return Ok((id, false));
    }
    let bytes = std::fs::read(path)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok((map.add(path.to_path_buf(), text, included_from), true)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // the lossy text has the same prefix, so the offset is valid in it
            let id = map.add(path.to_path_buf(), text, included_from);
            diags.push(
                Diagnostic::new(
                    Code::InvalidEncoding,
                    format!(
                        "`{}` is not valid UTF-8 text",
                        path.file_name().map_or_else(
                            || path.display().to_string(),
                            |n| n.to_string_lossy().into_owned()
                        )
                    ),
                )
                .at(Span::new(id, valid, valid + 1), "undecodable byte here")
                .help("save the file as UTF-8, or keep binary files out of the include pattern")
                .supervisord(format!(
                    "'utf-8' codec can't decode byte 0x{:02x} in position {valid}: {}",
                    e.as_bytes().get(valid).copied().unwrap_or(0),
                    utf8_reason(e.as_bytes(), valid, e.utf8_error().error_len())
                )),
            );
            Ok((id, false))
        }
    }
}

/// Expands a value with `here`, `host_node_name` and `ENV_*`, reporting failures on the
/// exact token. Returns `None` on failure.
pub fn report_expand_error(
    err: &ExpandError,
    value: &Value,
    key_label: &str,
    available: &[String],
    diags: &mut Diagnostics,
) {
    match err {
        ExpandError::UnknownName { name, start, end } => {
            // the error stops at the name; the label covers the whole `%(name)s` spec
            let end = &expand::references(&value.text)
                .iter()
                .find(|r| r.start == *start)
                .map_or(*end, |r| r.end.max(*end));
            let mut names: Vec<&str> = available.iter().map(String::as_str).collect();
            names.sort_unstable();
            let env_count = names.iter().filter(|n| n.starts_with("ENV_")).count();
            let shown: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !n.starts_with("ENV_"))
                .collect();
            let suggestion = crate::validate::did_you_mean(name, &names);
            let mut help = if let Some(var) = name.strip_prefix("ENV_") {
                format!(
                    "set `{var}` in the environment (in CI: `svconf check -e {var}=...`), or define it in `[supervisord] environment`"
                )
            } else {
                format!(
                    "available here: {}{}",
                    shown
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if env_count > 0 {
                        format!(" and {env_count} `ENV_*` variables")
                    } else {
                        String::new()
                    }
                )
            };
            if let Some(s) = suggestion {
                help = format!("did you mean `{s}`? {help}");
            }
            diags.push(
                Diagnostic::new(
                    Code::UnknownVariable,
                    format!("`%({name})` cannot be expanded in `{key_label}`"),
                )
                .at(
                    value.span_of(*start, *end),
                    if name.starts_with("ENV_") {
                        "environment variable is not set"
                    } else {
                        "unknown name"
                    },
                )
                .help(help)
                .supervisord(format!(
                    "Format string {} for {} contains names ({}) which cannot be expanded. Available names: {}",
                    python::repr(&value.text),
                    python::repr(key_label),
                    python::repr(name),
                    names.join(", ")
                )),
            );
        }
        ExpandError::BadFormat {
            message,
            start,
            end,
        } => {
            diags.push(
                Diagnostic::new(
                    Code::BadFormat,
                    format!("`{key_label}` is badly formatted: {message}"),
                )
                .at(value.span_of(*start, *end), "not a valid `%` format")
                .help(
                    if matches!(key_label, "stdout_logfile" | "stderr_logfile") {
                        // the second of the two expansions of a log path failed
                        "log file paths are expanded twice: write a literal percent sign as `%%%%`"
                            .to_string()
                    } else {
                        bad_format_help(&value.text, *start, *end)
                    },
                )
                .supervisord(format!(
                    "Format string {} for {} is badly formatted: {message}",
                    python::repr(&value.text),
                    python::repr(key_label)
                )),
            );
        }
    }
}

/// Help for a bad `%` spec: a named spec with another conversion than `s` most
/// likely lost its `s` (`%(program_name).log`); anything else wants `%%`.
fn bad_format_help(text: &str, start: usize, end: usize) -> String {
    let spec = text.get(start..end).unwrap_or("");
    if let Some(rest) = spec.strip_prefix("%(") {
        if let Some(close) = rest.find(')') {
            let name = &rest[..close];
            if !rest[close + 1..].ends_with('s') {
                return format!(
                    "to insert `{name}` as text, write `%({name})s`; a literal percent sign is `%%`"
                );
            }
        }
    }
    "write a literal percent sign as `%%`".to_string()
}

/// Simple `Vars` over owned pairs, in insertion order (Python dict semantics).
#[derive(Debug, Clone, Default)]
pub struct VarMap {
    entries: Map<String, VarValue>,
}

/// An owned variable value.
#[derive(Debug, Clone, PartialEq)]
pub enum VarValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
}

impl VarMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` variables.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Map::with_capacity_and_hasher(n, FxBuildHasher),
        }
    }

    /// Sets a string variable (keeping its position when it exists, as a dict does).
    pub fn set(&mut self, k: &str, v: &str) {
        if let Some(slot) = self.entries.get_mut(k) {
            *slot = VarValue::Str(v.to_string());
        } else {
            self.entries
                .insert(k.to_string(), VarValue::Str(v.to_string()));
        }
    }

    /// Sets an integer variable.
    pub fn set_int(&mut self, k: &str, v: i64) {
        if let Some(slot) = self.entries.get_mut(k) {
            *slot = VarValue::Int(v);
        } else {
            self.entries.insert(k.to_string(), VarValue::Int(v));
        }
    }

    /// `dict.update(other)`.
    pub fn update(&mut self, other: &VarMap) {
        for (k, v) in &other.entries {
            if let Some(slot) = self.entries.get_mut(k) {
                slot.clone_from(v);
            } else {
                self.entries.insert(k.clone(), v.clone());
            }
        }
    }

    /// Every name.
    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }
}

impl expand::Vars for VarMap {
    fn get(&self, name: &str) -> Option<expand::Value<'_>> {
        self.entries.get(name).map(|v| match v {
            VarValue::Str(s) => expand::Value::Str(s),
            VarValue::Int(i) => expand::Value::Int(*i),
        })
    }

    fn entries(&self) -> Vec<(String, expand::Value<'_>)> {
        self.entries
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    match v {
                        VarValue::Str(s) => expand::Value::Str(s),
                        VarValue::Int(i) => expand::Value::Int(*i),
                    },
                )
            })
            .collect()
    }
}

/// Reads `root` and everything its `[include]` names.
///
/// `Err` only when the root file itself cannot be read: then svconf cannot run.
pub fn resolve(
    root: &Path,
    env: &Env,
    map: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<Tree, crate::Error> {
    resolve_with(root, env, map, diags, PARALLEL_PARSE_BYTES)
}

/// [`resolve`], parsing a pattern's files on two threads from `parallel_bytes` of text on.
fn resolve_with(
    root: &Path,
    env: &Env,
    map: &mut SourceMap,
    diags: &mut Diagnostics,
    parallel_bytes: usize,
) -> Result<Tree, crate::Error> {
    let root_abs = PathBuf::from(absolute(&env.cwd, &root.display().to_string()));
    let (root_id, readable) =
        load(map, root, None, diags).map_err(|source| crate::Error::Read {
            path: root.to_path_buf(),
            source,
        })?;
    let here = root_abs
        .parent()
        .map_or_else(|| "/".to_string(), |p| p.display().to_string());
    let mut tree = Tree {
        root: root_id,
        here: here.clone(),
        root_path: root.display().to_string(),
        ..Tree::default()
    };
    if !readable {
        tree.rejected = true;
        return Ok(tree);
    }
    tree.root_parsed = true;
    let mut first_read: std::collections::HashMap<PathBuf, FileId> =
        std::collections::HashMap::new();
    if let Ok(c) = std::fs::canonicalize(root) {
        first_read.insert(c, root_id);
    }
    let text = map.file(root_id).text.clone();
    let parsed = parse_file(root, root_id, &text, diags);
    tree.rejected |= parsed.rejected;
    if parsed.blocks.iter().any(|b| b.name == "supervisorctl") {
        let mut main_only = Tree {
            root: root_id,
            here: here.clone(),
            root_path: tree.root_path.clone(),
            ..Tree::default()
        };
        main_only.merge(read_blocks(parsed.blocks.clone(), root_id, &text), root_id);
        tree.main_only = Some(Box::new(main_only));
    }
    tree.merge(read_blocks(parsed.blocks, root_id, &text), root_id);

    if !tree.sections.contains_key("include") {
        return Ok(tree);
    }
    tree.expand_here(&here);
    let include_header = tree
        .sections
        .get("include")
        .map(Section::header)
        .unwrap_or_default();
    let Some(files) = tree.get("include", "files").cloned() else {
        tree.rejected = true;
        diags.push(
            Diagnostic::new(Code::IncludeWithoutFiles, "`[include]` has no `files` key")
                .at(include_header, "section without `files`")
                .help("add `files = conf.d/*.conf`, or remove the section")
                .supervisord(".ini file has [include] section, but no files setting"),
        );
        return Ok(tree);
    };
    let mut vars = VarMap::new();
    vars.set("here", &here);
    vars.set("host_node_name", &env.hostname);
    for (k, v) in &env.vars {
        vars.set(&format!("ENV_{k}"), v);
    }
    let expanded = match expand::expand(&files.text, &vars) {
        Ok(s) => s.into_owned(),
        Err(e) => {
            tree.rejected = true;
            report_expand_error(&e, &files, "include.files", &vars.names(), diags);
            return Ok(tree);
        }
    };
    let base = root_abs.parent().map(Path::to_path_buf).unwrap_or_default();
    for pattern in expanded.split(python::is_space).filter(|p| !p.is_empty()) {
        let joined = if pattern.starts_with('/') {
            pattern.to_string()
        } else {
            let b = base.display().to_string();
            if b.ends_with('/') {
                format!("{b}{pattern}")
            } else {
                format!("{b}/{pattern}")
            }
        };
        let span = pattern_span(&files, &expanded, pattern);
        let mut matches: Vec<String> = python::glob(&joined)
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        if matches.is_empty() {
            tree.warnings
                .push(format!("No file matches via include \"{joined}\""));
            diags.push(
                Diagnostic::new(
                    Code::IncludeMatchesNothing,
                    format!("`{pattern}` matches no file"),
                )
                .at(
                    span,
                    format!("looked for `{}`", relative(&joined, &env.cwd)),
                )
                .help("correct the pattern, or remove it if the files are optional"),
            );
            continue;
        }
        matches.sort();
        // every match is read first (file ids and "read twice" go by the order of the
        // matches), then parsed, on two threads when there is much text, and merged in order
        let mut jobs: Vec<Option<ParseJob>> = Vec::with_capacity(matches.len());
        let mut read_findings: Vec<Diagnostics> = Vec::with_capacity(matches.len());
        for m in &matches {
            tree.included_files.push(m.clone());
            let path = PathBuf::from(m);
            let mut found = diags.empty_like();
            let job = match load(map, &path, Some(span), &mut found) {
                Err(e) => {
                    found.push(
                        Diagnostic::new(Code::UnreadableInclude, format!("cannot read included `{}`: {e}", relative(m, &env.cwd)))
                            .at(span, "matched here")
                            .help("make the file readable, or narrow the pattern; supervisord skips it silently"),
                    );
                    None
                }
                Ok((id, ok)) => {
                    if let Ok(c) = std::fs::canonicalize(&path) {
                        if let Some(first) = first_read.get(&c) {
                            tree.rereads.insert(id, *first);
                            let what = if *first == root_id {
                                "the main file"
                            } else {
                                "a file already included"
                            };
                            found.push(
                                Diagnostic::new(
                                    Code::IncludedTwice,
                                    format!("`{}` is read twice: it is {what}", relative(m, &env.cwd)),
                                )
                                .at(span, "matches it again")
                                .help("narrow the pattern so each file is included once; its sections merge with themselves"),
                            );
                        } else {
                            first_read.insert(c, id);
                        }
                    }
                    if ok {
                        let text = map.file(id).text.clone();
                        Some(ParseJob { path, id, text })
                    } else {
                        tree.rejected = true;
                        None
                    }
                }
            };
            jobs.push(job);
            read_findings.push(found);
        }
        let template = diags.empty_like();
        let mut read_findings = read_findings.into_iter();
        parse_in_order(&jobs, &template, parallel_bytes, |i, parsed| {
            if let Some(found) = read_findings.next() {
                diags.extend(found);
            }
            let (Some(Some(job)), Some((rejected, blocks, found))) = (jobs.get(i), parsed) else {
                return;
            };
            diags.extend(found);
            tree.rejected |= rejected;
            for b in blocks
                .iter()
                .filter(|b| b.name == "include" && !tree.rereads.contains_key(&job.id))
            {
                diags.push(
                    Diagnostic::new(
                        Code::NestedInclude,
                        "`[include]` in an included file has no effect",
                    )
                    .at(b.header, "ignored by supervisord")
                    .help("list the pattern in the main file's `[include] files`"),
                );
            }
            tree.merge(blocks, job.id);
            let m = matches.get(i).map_or("", String::as_str);
            let dir = PathBuf::from(absolute(&env.cwd, m));
            let dir = dir
                .parent()
                .map_or_else(|| "/".to_string(), |p| p.display().to_string());
            tree.expand_here(&dir);
        });
    }
    // the map doubled as sections came: give back the room no section will take
    tree.sections.shrink_to_fit();
    Ok(tree)
}

/// An included file, read and decoded, to be parsed.
struct ParseJob {
    path: PathBuf,
    id: FileId,
    text: Arc<str>,
}

/// A parsed file: whether configparser rejects it, its blocks, and what parsing it found.
type ParseResult = (bool, Vec<ReadBlock>, Diagnostics);

/// Included files with at least this much text in all (per pattern) are parsed on two threads.
const PARALLEL_PARSE_BYTES: usize = 128 * 1024;

/// Parses each job (`None`: a file that could not be read) and hands the results to
/// `merge` in the jobs' order: the same calls as parsing them one after the other.
/// Two threads parse from `parallel_bytes` of text on.
///
/// With much text a helper thread parses too: both take the next file in turn, and this
/// thread merges, parsing ahead itself while the file it needs is still being parsed. A
/// parsed file is already the options the tree keeps, so results waiting to be merged cost
/// no memory of their own, and neither thread has to sleep while the other works: a
/// sleeping thread is woken only after a context switch, which costs a small VM half a
/// millisecond, as long as parsing two files.
fn parse_in_order<'t>(
    jobs: &'t [Option<ParseJob>],
    template: &Diagnostics,
    parallel_bytes: usize,
    mut merge: impl FnMut(usize, Option<ParseResult>),
) {
    let parse = |job: &'t Option<ParseJob>| {
        job.as_ref().map(|job| {
            let mut found = template.empty_like();
            let parsed = parse_file(&job.path, job.id, &job.text, &mut found);
            let blocks = read_blocks(parsed.blocks, job.id, &job.text);
            (parsed.rejected, blocks, found)
        })
    };
    let readable = || jobs.iter().flatten();
    let parallel = readable().nth(1).is_some()
        && readable().map(|j| j.text.len()).sum::<usize>() >= parallel_bytes
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    if !parallel {
        for (i, job) in jobs.iter().enumerate() {
            merge(i, parse(job));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let (parse, next) = (&parse, &next);
    std::thread::scope(|scope| {
        let (done, results) = std::sync::mpsc::channel();
        let helper = crate::threads::spawn_running(scope, move || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else {
                    break;
                };
                if done.send((i, parse(job))).is_err() {
                    break;
                }
            }
        });
        // parsed out of turn: by this thread ahead of the one it needs, or by the helper
        let mut waiting: Vec<(usize, Option<ParseResult>)> = Vec::new();
        for want in 0..jobs.len() {
            let result = loop {
                if let Some(k) = waiting.iter().position(|(i, _)| *i == want) {
                    break waiting.swap_remove(k).1;
                }
                if let Ok(finished) = results.try_recv() {
                    waiting.push(finished);
                    continue;
                }
                // `want` is the helper's: parse the next file meanwhile
                let i = next.fetch_add(1, Ordering::Relaxed);
                if let Some(job) = jobs.get(i) {
                    let parsed = parse(job);
                    if i == want {
                        break parsed;
                    }
                    waiting.push((i, parsed));
                    continue;
                }
                // the helper is parsing the last files: wait for `want`, briefly awake
                match crate::threads::receive(&results) {
                    Ok(finished) => waiting.push(finished),
                    // the helper stopped without sending `want`: it panicked (surfaced
                    // below); parsing it here gives the same result or the same panic
                    Err(_) => break jobs.get(want).and_then(parse),
                }
            };
            merge(want, result);
        }
        drop(results);
        // (without a helper, this thread has parsed every file itself)
        if let Some(Err(panic)) = helper.map(crate::threads::join) {
            std::panic::resume_unwind(panic);
        }
    });
}

/// Python's reason for a UTF-8 decoding failure at `at`.
fn utf8_reason(bytes: &[u8], at: usize, error_len: Option<usize>) -> &'static str {
    match (bytes.get(at), error_len) {
        (_, None) => "unexpected end of data",
        (Some(0xc2..=0xf4), Some(_)) => "invalid continuation byte",
        _ => "invalid start byte",
    }
}

/// `path` relative to `cwd` when it is below it, for messages.
fn relative(path: &str, cwd: &Path) -> String {
    Path::new(path)
        .strip_prefix(cwd)
        .map_or_else(|_| path.to_string(), |p| p.display().to_string())
}

/// The span of one pattern inside the `files` value (the whole value when the text
/// was changed by expansion).
fn pattern_span(files: &Value, expanded: &str, pattern: &str) -> Span {
    if !files.rewritten && expanded == files.text.as_str() {
        let base = pattern.as_ptr() as usize - expanded.as_ptr() as usize;
        files.span_of(base, base + pattern.len())
    } else {
        files.span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// A key defined again, in one block and across files, keeps its first place; the value
    /// read last wins and lists every earlier definition in read order.
    #[test]
    fn redefinitions_keep_place_and_list_earlier_ones_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::write(
            root.join("supervisord.conf"),
            "[program:a]\nx=1\nz=0\nX=2\n[include]\nfiles=b.conf\n[program:a]\nx=2b\n",
        )
        .expect("write");
        std::fs::write(
            root.join("b.conf"),
            "[program:a]\nx=3\nother=1\nx=4\n[program:a]\nx=5\n",
        )
        .expect("write");
        let env = Env::for_test(root, &[]);
        let mut sources = SourceMap::new();
        let mut diags = Diagnostics::new();
        let tree = resolve(
            &root.join("supervisord.conf"),
            &env,
            &mut sources,
            &mut diags,
        )
        .expect("readable");
        let section = tree.sections.get("program:a").expect("section");
        assert_eq!(
            section.values.keys().collect::<Vec<_>>(),
            ["x", "z", "other"]
        );
        let x = section.values.get("x").expect("x");
        assert_eq!(x.text, "5");
        let earlier: Vec<&str> = x.earlier().iter().map(|s| sources.slice(*s)).collect();
        assert_eq!(earlier, ["x", "X", "x", "x", "x"]);
        let files: Vec<u32> = x.earlier().iter().map(|s| s.file.0).collect();
        assert_eq!(files, [0, 0, 0, 1, 1]);
        assert_eq!(section.headers.len(), 4);
    }

    /// Parsing a pattern's files on two threads gives the same state and the same findings,
    /// in the same order, as parsing them one after the other.
    #[test]
    fn threads_change_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::write(
            root.join("supervisord.conf"),
            "[supervisord]\nlogfile=%(here)s/x.log\n[include]\nfiles=a/*.conf b/*.ini a/0*.conf nothing/*.conf\n",
        )
        .expect("write");
        for sub in ["a", "b"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
        }
        for file in 0..12 {
            let mut text = String::new();
            // (files large enough for both threads to take some)
            for i in 0..(file * 70 % 110 + 200) {
                let extra = match (file + i) % 6 {
                    0 => "no separator here\n",
                    1 => "[include]\nfiles=x\n",
                    2 => "directory=%(here)s/run\n",
                    3 => "Command = /bin/false\n  continued\n\n  more\n",
                    4 => "=empty key\n",
                    _ => "priority=5\npriority=6\n",
                };
                let _ = write!(text, "[program:p{file}_{i}]\ncommand=/bin/cat\n{extra}");
            }
            let name = if file % 3 == 0 {
                format!("b/{file:02}.ini")
            } else {
                format!("a/{file:02}.conf")
            };
            std::fs::write(root.join(name), text).expect("write");
        }
        std::fs::write(root.join("a/05b.conf"), b"[program:bin]\ncommand=\xff\n").expect("write");
        std::fs::create_dir(root.join("a/06dir.conf")).expect("mkdir");
        let env = Env::for_test(root, &[]);
        let run = |parallel_bytes| {
            let mut sources = SourceMap::new();
            let mut diags = Diagnostics::new();
            let mut tree = resolve_with(
                &root.join("supervisord.conf"),
                &env,
                &mut sources,
                &mut diags,
                parallel_bytes,
            )
            .expect("readable");
            // (a hash map: in order to compare)
            let rereads: std::collections::BTreeMap<u32, u32> = std::mem::take(&mut tree.rereads)
                .into_iter()
                .map(|(a, b)| (a.0, b.0))
                .collect();
            (format!("{tree:?} {rereads:?}"), diags.into_vec())
        };
        let (one, one_diags) = run(usize::MAX);
        let (two, two_diags) = run(0);
        let codes: Vec<Code> = one_diags.iter().map(|d| d.code).collect();
        for code in [
            Code::InvalidLine,
            Code::NestedInclude,
            Code::IncludedTwice,
            Code::InvalidEncoding,
            Code::UnreadableInclude,
            Code::IncludeMatchesNothing,
        ] {
            assert!(codes.contains(&code), "{code:?} not in {codes:?}");
        }
        assert_eq!(one_diags, two_diags);
        assert_eq!(one, two);
    }

    /// A section past the scan limit finds its keys through the index, keeps them in
    /// first-definition order and replaces a repeated key in place.
    #[test]
    fn large_sections_keep_order_and_replace_in_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut text = String::from("[s]\n");
        for i in 0..80 {
            let _ = writeln!(text, "k{i} = {i}");
        }
        text.push_str("k3 = again\nK70 = upper\nnew = last\n");
        let path = dir.path().join("a.conf");
        std::fs::write(&path, text).expect("write");
        let env = Env::for_test(dir.path(), &[]);
        let mut sources = SourceMap::new();
        let mut diags = Diagnostics::new();
        let tree = resolve(&path, &env, &mut sources, &mut diags).expect("readable");
        let s = tree.sections.get("s").expect("section");
        let keys: Vec<&str> = s.values.keys().map(AsRef::as_ref).collect();
        let mut want: Vec<String> = (0..80).map(|i| format!("k{i}")).collect();
        want.push("new".into());
        assert_eq!(keys, want);
        for i in 0..80 {
            let v = tree.get("s", &format!("k{i}")).expect("key");
            let expected = match i {
                3 => "again".to_string(),
                70 => "upper".to_string(),
                _ => i.to_string(),
            };
            assert_eq!(v.text, expected.as_str());
        }
        assert_eq!(tree.get("s", "k3").map(|v| v.earlier().len()), Some(1));
        assert!(tree.get("s", "k80").is_none());
        assert_eq!(
            tree.get("s", "new").map(|v| v.text.to_string()),
            Some("last".into())
        );
    }
}
