//! Findings about the user's configuration, and the sink every stage writes them to.
//!
//! A finding is data, not an `Err`: each stage reports what it found and goes on
//! with the best output it can make, so one run shows every problem (taplo's and
//! ruff's model). `Err` is kept for "svconf itself could not run" (see
//! [`crate::Error`]).

pub mod codes;
pub mod render;
pub mod suppress;

pub use codes::{Code, Severity};

use crate::source::{SourceMap, Span};

/// A label: a span and what it says about that place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The place.
    pub span: Span,
    /// What is wrong or noteworthy there.
    pub text: Option<String>,
}

impl Label {
    /// A label with text.
    pub fn new(span: Span, text: impl Into<String>) -> Self {
        Self {
            span,
            text: Some(text.into()),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code (`SV104`).
    pub code: Code,
    /// Severity; starts as the code's default.
    pub severity: Severity,
    /// Lowercase one-line message, user names in backticks.
    pub message: String,
    /// The exact offending token; `None` for findings about no place in particular.
    pub primary: Option<Label>,
    /// Other places involved ("first defined here"), possibly in other files.
    pub secondary: Vec<Label>,
    /// One imperative sentence that fixes it.
    pub help: Option<String>,
    /// What supervisord itself prints for this problem, when it refuses the config.
    pub supervisord: Option<String>,
}

impl Diagnostic {
    /// A finding with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.info().severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            supervisord: None,
        }
    }

    /// Sets the primary label.
    #[must_use]
    pub fn at(mut self, span: Span, text: impl Into<String>) -> Self {
        self.primary = Some(Label::new(span, text));
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn also(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, text));
        self
    }

    /// Sets the help sentence.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Records supervisord's own message for the same problem.
    #[must_use]
    pub fn supervisord(mut self, message: impl Into<String>) -> Self {
        self.supervisord = Some(message.into());
        self
    }
}

/// The sink all stages write findings to.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// (code, place or message) of every finding, to keep one of each.
    seen: std::collections::HashSet<(Code, Option<Span>, String)>,
    /// Codes whose findings are dropped as they come (see [`Diagnostics::drop_codes`]).
    dropped: Vec<Code>,
}

impl Diagnostics {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a finding. The same code at the same place is kept once: a template
    /// expanded for eight processes fails eight times, but it is one mistake.
    pub fn push(&mut self, d: Diagnostic) {
        if self.dropped.contains(&d.code) {
            return;
        }
        // one mistake expanded for many processes repeats code, place and message;
        // different files matched by one include pattern differ in the message
        let place = d.primary.as_ref().map(|l| l.span);
        let text = d.message.clone();
        if self.seen.insert((d.code, place, text)) {
            self.items.push(d);
        }
    }

    /// All findings, in the order they were reported.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Number of findings.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// True when any finding has error severity.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Counts of (errors, warnings).
    pub fn counts(&self) -> (usize, usize) {
        let e = self
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let w = self
            .items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        (e, w)
    }

    /// Findings sorted by (file load order, offset, code): the order they are shown in.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        v.sort_by_key(|d| {
            let (f, s) = d
                .primary
                .as_ref()
                .map_or((u32::MAX, u32::MAX), |l| (l.span.file.0, l.span.start));
            (f, s, d.code)
        });
        v
    }

    /// Takes the findings out.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }

    /// Appends another sink's findings.
    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }

    /// Keeps the findings for which `keep` is true.
    #[must_use]
    pub fn retain(self, keep: impl Fn(&Diagnostic) -> bool) -> Self {
        let mut out = Self::new();
        for d in self.items {
            if keep(&d) {
                out.push(d);
            }
        }
        out
    }

    /// From now on, findings of these codes are not kept (`--allow` when no suppression
    /// comment can refer to them: a big config can have thousands of them).
    pub fn drop_codes(&mut self, codes: Vec<Code>) {
        self.dropped = codes;
    }

    /// Mutable access, for severity overrides.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Diagnostic> {
        self.items.iter_mut()
    }

    /// False when findings of `code` are dropped as they come (so a rule need not build them).
    pub fn keeps(&self, code: Code) -> bool {
        !self.dropped.contains(&code)
    }

    /// An empty sink that drops the same codes as this one: findings made apart (on
    /// another thread) and [`Diagnostics::splice`]d in later.
    pub(crate) fn empty_like(&self) -> Self {
        Self {
            dropped: self.dropped.clone(),
            ..Self::default()
        }
    }

    /// Inserts other sinks' findings as if each had been pushed when this sink held its
    /// first `at` findings (`at` in increasing order). The result is what pushing
    /// everything in that order gives, duplicates dropped included.
    pub(crate) fn splice(&mut self, inserts: Vec<(usize, Vec<Diagnostic>)>) {
        if inserts.iter().all(|(_, d)| d.is_empty()) {
            return;
        }
        let items = std::mem::take(&mut self.items);
        self.seen.clear();
        let mut items = items.into_iter().enumerate().peekable();
        for (at, other) in inserts {
            while let Some((_, d)) = items.next_if(|(i, _)| *i < at) {
                self.push(d);
            }
            for d in other {
                self.push(d);
            }
        }
        for (_, d) in items {
            self.push(d);
        }
    }
}

/// A resolved position for renderers: path, 1-based lines and char columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Display path.
    pub file: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (chars) of the start.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column (chars) of the end (exclusive).
    pub end_column: usize,
}

impl Position {
    /// Resolves a span.
    pub fn of(map: &SourceMap, span: Span, cwd: Option<&std::path::Path>) -> Self {
        let f = map.file(span.file);
        let (line, column) = f.line_col(span.start);
        let (end_line, end_column) = f.line_col(span.end);
        Self {
            file: map.display_path(span.file, cwd),
            line,
            column,
            end_line,
            end_column,
        }
    }
}
