//! Every file svconf reads, kept in one arena so that any location in any file
//! can be turned back into a path, a line and a column.
//!
//! Locations are byte offsets (`Span`) into a file's text. Lines and columns are
//! computed on demand, because most spans are never shown: only the ones that end
//! up in a diagnostic are.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in the [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// True for an empty range.
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    /// The sub-range `start..end` (offsets relative to this span's start).
    #[must_use]
    pub fn sub(self, start: usize, end: usize) -> Self {
        let base = self.start as usize;
        Self::new(
            self.file,
            (base + start).min(self.end as usize),
            (base + end).min(self.end as usize),
        )
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// One file's text and identity.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as svconf opened it (as given for the root file; joined for includes).
    pub path: PathBuf,
    /// The text; lossily decoded when the file was not valid UTF-8 (a diagnostic says so).
    pub text: Arc<str>,
    /// Where the file was included from, if it was.
    pub included_from: Option<Span>,
    /// Offsets of line starts, computed when a position in the file is first shown.
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    /// 1-based line and 1-based column (in chars) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line_starts = self.line_starts.get_or_init(|| line_starts(&self.text));
        let line = match line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = line_starts.get(line).copied().unwrap_or(0) as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Where each line of `text` starts (after `\n`, `\r\n` or a lone `\r`).
fn line_starts(text: &str) -> Vec<u32> {
    let mut line_starts = vec![0u32];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX)),
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
            _ => {}
        }
        i += 1;
    }
    line_starts
}

/// The arena of files.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: String, included_from: Option<Span>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            path,
            text: Arc::from(text),
            included_from,
            line_starts: OnceLock::new(),
        });
        id
    }

    /// The file with this id.
    ///
    /// # Panics
    /// Only on an id from another map, which is a bug in svconf.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The text a span covers ("" for an out-of-range span).
    pub fn slice(&self, span: Span) -> &str {
        self.file(span.file)
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// All files in load order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file was added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// A path for display: relative to `cwd` when it is below it.
    pub fn display_path(&self, id: FileId, cwd: Option<&Path>) -> String {
        let p = &self.file(id).path;
        if let Some(cwd) = cwd {
            if let Ok(rel) = p.strip_prefix(cwd) {
                return rel.display().to_string();
            }
        }
        p.display().to_string()
    }
}
