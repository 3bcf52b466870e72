//! The report people read: miette's graphical handler, one block per finding,
//! then a one-line summary.
//!
//! miette draws every label of a diagnostic against its single `source_code()`
//! (labels across files are still an open request, zkat/miette#193), but it
//! renders each `related()` diagnostic against that child's own source. So each
//! [`Diagnostic`] is wrapped in a `View`:
//!
//! - the primary label's file is the view's source; the primary label and every
//!   secondary label in that same file are its `labels()`;
//! - each secondary label in another file becomes a related `Note` carrying its
//!   own file;
//! - when the primary file was pulled in by `[include]`, the include chain is
//!   added as notes too, so the reader can see how that file got into the config.
//!
//! File texts are copied into a [`NamedSource`] once per file and shared through
//! an `Arc`, however many findings point into the file. The output depends only
//! on the input (no terminal probing, no clock), so it can be snapshot-tested.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::diag::{Diagnostic, Position, Severity};
use crate::source::{FileId, SourceMap, Span};

/// How to draw the human report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanOptions {
    /// Use ANSI colours (the CLI decides from the terminal and `--color`).
    pub color: bool,
    /// Wrap text at this many columns.
    pub width: usize,
    /// Show paths relative to this directory when they are below it.
    pub cwd: Option<PathBuf>,
}

impl Default for HumanOptions {
    /// No colour, 80 columns, absolute paths: the settings snapshots use.
    fn default() -> Self {
        Self {
            color: false,
            width: 80,
            cwd: None,
        }
    }
}

/// Renders findings (already sorted, see [`crate::diag::Diagnostics::sorted`])
/// as miette reports followed by a summary line such as `2 errors, 1 warning`
/// (or `no problems found`). The text ends with a newline.
pub fn render(map: &SourceMap, diags: &[&Diagnostic], options: &HumanOptions) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Links would print terminal escape sequences (or URLs) that depend on the
    // terminal; codes are explained by `svconf explain` instead.
    let handler = GraphicalReportHandler::new_themed(theme)
        .without_syntax_highlighting()
        .with_links(false)
        .with_width(options.width);

    let mut sources = Sources::new(map, options.cwd.as_deref());
    let mut out = String::new();
    for d in diags {
        let d = &visible_diagnostic(d);
        let view = View::new(d, &mut sources);
        let mut block = String::new();
        if handler.render_report(&mut block, &view).is_err() {
            // miette only fails on a formatter error; still show the finding
            // rather than lose it.
            block = plain(map, d, options.cwd.as_deref());
        }
        // miette leaves trailing blanks (`Advice: `, empty context lines);
        // they are noise in terminals and in snapshot diffs.
        for line in block.trim_end_matches('\n').lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        // A blank line between blocks, so one finding's notes are not read as
        // the start of the next one.
        out.push('\n');
    }
    out.push_str(&summary(diags));
    out.push('\n');
    out
}

/// `2 errors, 1 warning`: only the non-zero counts, in severity order.
fn summary(diags: &[&Diagnostic]) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let parts: Vec<String> = [
        (count(Severity::Error), "error", "errors"),
        (count(Severity::Warning), "warning", "warnings"),
        (count(Severity::Info), "info", "infos"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
    .collect();
    if parts.is_empty() {
        "no problems found".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The code as shown in the report header: `SV104(unknown-variable)`. The id is
/// what `svconf explain` and `--deny` take; the name says what it is about.
fn code_label(d: &Diagnostic) -> String {
    let info = d.code.info();
    format!("{}({})", info.id, info.name)
}

/// The help line, plus what supervisord prints for the same problem: users
/// searching for that message should find this finding.
fn help_text(d: &Diagnostic) -> Option<String> {
    match (&d.help, &d.supervisord) {
        (Some(h), Some(s)) => Some(format!("{h}\nsupervisord says: {s}")),
        (Some(h), None) => Some(h.clone()),
        (None, Some(s)) => Some(format!("supervisord says: {s}")),
        (None, None) => None,
    }
}

/// A one-line fallback (`error[SV104]: message at file:line:col`) used only if
/// miette fails to render.
fn plain(map: &SourceMap, d: &Diagnostic, cwd: Option<&Path>) -> String {
    let mut s = format!("{}[{}]: {}", d.severity, code_label(d), d.message);
    if let Some(p) = &d.primary
        && (p.span.file.0 as usize) < map.len()
    {
        let pos = Position::of(map, p.span, cwd);
        // Writing to a String cannot fail.
        let _ = write!(s, "\n  --> {}:{}:{}", pos.file, pos.line, pos.column);
    }
    s.push('\n');
    s
}

/// Named sources, built once per file and shared by every finding in it.
struct Sources<'m> {
    map: &'m SourceMap,
    cwd: Option<&'m Path>,
    cache: BTreeMap<FileId, Arc<NamedSource<String>>>,
}

impl<'m> Sources<'m> {
    fn new(map: &'m SourceMap, cwd: Option<&'m Path>) -> Self {
        Self {
            map,
            cwd,
            cache: BTreeMap::new(),
        }
    }

    /// The file's source, or `None` for an id this map does not know (a bug
    /// elsewhere, but the finding is still worth printing without its snippet).
    fn get(&mut self, id: FileId) -> Option<Arc<NamedSource<String>>> {
        if id.0 as usize >= self.map.len() {
            return None;
        }
        let (map, cwd) = (self.map, self.cwd);
        let src = self.cache.entry(id).or_insert_with(|| {
            Arc::new(NamedSource::new(
                visible(&map.display_path(id, cwd)),
                visible(&map.file(id).text),
            ))
        });
        Some(Arc::clone(src))
    }

    /// Where the file was included from, if it was and the id is known.
    fn included_from(&self, id: FileId) -> Option<Span> {
        if id.0 as usize >= self.map.len() {
            return None;
        }
        self.map.file(id).included_from
    }
}

/// A span that miette can read: inside the text and on char boundaries.
/// miette refuses to draw a snippet for a span past the end of the text, and
/// slicing inside a UTF-8 sequence would panic, so a slightly wrong span from
/// an earlier stage is widened to the nearest valid one instead.
fn clamp(text: &str, span: Span) -> SourceSpan {
    let len = text.len();
    let mut start = (span.start as usize).min(len);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, len);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    SourceSpan::from(start..end)
}

/// One finding as miette sees it.
#[derive(Debug)]
struct View<'a> {
    d: &'a Diagnostic,
    code: String,
    help: Option<String>,
    src: Option<Arc<NamedSource<String>>>,
    labels: Vec<LabeledSpan>,
    notes: Vec<Note>,
}

impl<'a> View<'a> {
    fn new(d: &'a Diagnostic, sources: &mut Sources<'_>) -> Self {
        let primary_file = d.primary.as_ref().map(|l| l.span.file);
        let src = primary_file.and_then(|f| sources.get(f));

        let mut labels = Vec::new();
        if let (Some(p), Some(s)) = (&d.primary, &src) {
            labels.push(LabeledSpan::new_primary_with_span(
                p.text.clone(),
                clamp(s.inner(), p.span),
            ));
        }

        let mut notes = Vec::new();
        for l in &d.secondary {
            match &src {
                Some(s) if Some(l.span.file) == primary_file => {
                    labels.push(LabeledSpan::new_with_span(
                        l.text.clone(),
                        clamp(s.inner(), l.span),
                    ));
                }
                _ => {
                    if let Some(other) = sources.get(l.span.file) {
                        let message = l
                            .text
                            .clone()
                            .unwrap_or_else(|| "related location".to_owned());
                        notes.push(Note::new(message, other, l.span));
                    }
                }
            }
        }

        // The include chain, innermost first. `seen` guards against a cyclic
        // chain, which the include resolver should have refused already.
        if let Some(mut current) = primary_file {
            let mut seen = BTreeSet::from([current]);
            while let Some(from) = sources.included_from(current) {
                if !seen.insert(from.file) {
                    break;
                }
                let Some(including) = sources.get(from.file) else {
                    break;
                };
                let included = sources
                    .get(current)
                    .map_or_else(String::new, |s| s.name().to_owned());
                notes.push(Note::new(
                    format!("`{included}` is included from here"),
                    including,
                    from,
                ));
                current = from.file;
            }
        }

        Self {
            d,
            code: code_label(d),
            help: help_text(d),
            src,
            labels,
            notes,
        }
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_deref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.src.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.notes.is_empty() {
            return None;
        }
        Some(Box::new(
            self.notes.iter().map(|n| n as &dyn miette::Diagnostic),
        ))
    }
}

/// A place in another file, shown after the finding as an advice with its own
/// snippet. The message says what the place is; the snippet only underlines it,
/// so the text is not printed twice.
#[derive(Debug)]
struct Note {
    message: String,
    src: Arc<NamedSource<String>>,
    span: SourceSpan,
}

impl Note {
    fn new(message: String, src: Arc<NamedSource<String>>, span: Span) -> Self {
        let span = clamp(src.inner(), span);
        Self { message, src, span }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Note {}

impl miette::Diagnostic for Note {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&*self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}

/// `text` with control characters made harmless for a terminal: a config file must
/// not be able to move the cursor or retitle the window of whoever checks it. Each
/// control character becomes as many `?` as it has bytes, so byte offsets (spans) stay valid.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' | '\r' => c.to_string(),
            c if c.is_control() => "?".repeat(c.len_utf8()),
            c => c.to_string(),
        })
        .collect()
}

/// A copy of `d` whose texts went through [`visible`].
fn visible_diagnostic(d: &Diagnostic) -> Diagnostic {
    let mut d = d.clone();
    d.message = visible(&d.message);
    d.help = d.help.as_deref().map(visible);
    d.supervisord = d.supervisord.as_deref().map(visible);
    for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
        l.text = l.text.as_deref().map(visible);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    fn fixture() -> (SourceMap, Vec<Diagnostic>) {
        super::super::sample()
    }

    fn render_plain(map: &SourceMap, diags: &[Diagnostic]) -> String {
        let refs: Vec<&Diagnostic> = diags.iter().collect();
        let options = HumanOptions {
            color: false,
            width: 80,
            cwd: Some(PathBuf::from("/proj")),
        };
        render(map, &refs, &options)
    }

    #[test]
    fn renders_files_labels_codes_and_summary() {
        let (map, diags) = fixture();
        let out = render_plain(&map, &diags);
        // Paths are relative to the cwd, with the position of the snippet.
        assert!(out.contains("[conf.d/web.ini:2:"), "{out}");
        assert!(out.contains("[supervisord.conf:7:"), "{out}");
        assert!(out.contains("[supervisord.conf:5:"), "{out}");
        assert!(!out.contains("/proj/"), "{out}");
        // Codes with their names, messages, labels, notes, help.
        assert!(out.contains("SV104(unknown-variable)"), "{out}");
        assert!(out.contains("SV233(shadowed-group)"), "{out}");
        assert!(out.contains("SV201(missing-supervisord-section)"), "{out}");
        assert!(out.contains("`ENV_PORT` is not set"), "{out}");
        assert!(out.contains("unknown variable"), "{out}");
        assert!(out.contains("this program"), "{out}");
        assert!(out.contains("shadowing group"), "{out}");
        assert!(
            out.contains("`conf.d/web.ini` is included from here"),
            "{out}"
        );
        assert!(out.contains("help: set `PORT`"), "{out}");
        assert!(out.contains("supervisord says: Format string"), "{out}");
        assert!(out.trim_end().ends_with("2 errors, 1 warning"), "{out}");
        // No colour escapes when colour is off.
        assert!(!out.contains('\u{1b}'), "{out}");
    }

    #[test]
    fn finding_without_primary_has_no_snippet() {
        let (map, diags) = fixture();
        let out = render_plain(&map, &diags[2..]);
        assert!(
            out.contains("the config has no `[supervisord]` section"),
            "{out}"
        );
        assert!(!out.contains("╭─["), "{out}");
        assert!(out.trim_end().ends_with("1 error"), "{out}");
    }

    #[test]
    fn empty_report_says_so_and_is_deterministic() {
        let (map, diags) = fixture();
        assert_eq!(render_plain(&map, &[]), "no problems found\n");
        assert_eq!(render_plain(&map, &diags), render_plain(&map, &diags));
    }

    #[test]
    fn bad_spans_do_not_panic() {
        let (map, _) = fixture();
        // Past the end of the file, and inside the two bytes of `é`.
        let web = FileId(1);
        let e = map.file(web).text.find('é').unwrap();
        let diags = vec![
            Diagnostic::new(Code::InvalidLine, "past the end").at(Span::new(web, 500, 900), "here"),
            Diagnostic::new(Code::InvalidLine, "mid char").at(Span::new(web, e + 1, e + 2), "here"),
            Diagnostic::new(Code::InvalidLine, "unknown file")
                .at(Span::new(FileId(9), 0, 1), "here"),
        ];
        let out = render_plain(&map, &diags);
        assert!(out.contains("past the end"), "{out}");
        assert!(out.contains("mid char"), "{out}");
        assert!(out.contains("unknown file"), "{out}");
        assert!(out.trim_end().ends_with("3 errors"), "{out}");
    }

    #[test]
    fn colour_uses_escapes() {
        let (map, diags) = fixture();
        let refs: Vec<&Diagnostic> = diags.iter().collect();
        let options = HumanOptions {
            color: true,
            ..HumanOptions::default()
        };
        assert!(render(&map, &refs, &options).contains('\u{1b}'));
    }
}
