//! Rules about programs (see the doc comment on each rule for its code).

use std::borrow::Cow;

use super::Context;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::expand::{self, Vars};
use crate::include::Value;
use crate::ir::keys::SectionKind;
use crate::lower::convert;
use crate::python;
use crate::source::Span;

/// Runs the rules of this module.
pub(crate) fn check(cx: &Context<'_>, diags: &mut Diagnostics) {
    environment_changed(cx, diags);
    no_processes(cx, diags);
}

/// True for the sections that run processes.
fn is_program_like(kind: SectionKind) -> bool {
    matches!(
        kind,
        SectionKind::Program | SectionKind::Eventlistener | SectionKind::FcgiProgram
    )
}

/// One pair whose value supervisord does not take as written.
#[derive(Debug, PartialEq, Eq)]
struct Changed {
    /// The key.
    key: String,
    /// What supervisord uses.
    becomes: String,
    /// What the author wrote (up to the next `,`, `;` or blank).
    written: String,
    /// Byte range of `written` in the value text.
    start: usize,
    /// End of that range.
    end: usize,
    /// The value stops short of what is written (else only quotes were lost).
    cut: bool,
    /// A `#` comment cut it.
    comment: bool,
}

/// The `environment` pairs of `text` whose value supervisord changes, judged as
/// `dict_of_key_value_pairs` tokenises it. `None` when supervisord refuses the
/// value (SV210's business) or the tokens cannot be placed in the text.
///
/// `%(…)` references are judged as if they expanded to plain word characters.
fn changed_pairs(text: &str) -> Option<Vec<Changed>> {
    // same length, so offsets still point into `text`
    let mut judged = text.to_string();
    for r in expand::references(text) {
        judged.replace_range(r.start..r.end, &"x".repeat(r.end - r.start));
    }
    convert::dict_of_key_value_pairs(&judged).ok()?;
    let tokens = python::shlex_tokens_nonposix(&judged, "/.+-():").ok()?;
    let places = locate(&judged, &tokens)?;
    let blank = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut out = Vec::new();
    for group in places.chunks(4) {
        let [key, _, (vs, ve), ..] = group else {
            continue;
        };
        let rest = &judged[*ve..];
        let tail = rest
            .find(|c: char| c == ',' || c == ';' || blank(c))
            .unwrap_or(rest.len());
        let end = ve + tail;
        let written = &text[*vs..end];
        let quoted = written.len() >= 2
            && (written.starts_with('"') && written.ends_with('"')
                || written.starts_with('\'') && written.ends_with('\''));
        let meant = if quoted {
            &written[1..written.len() - 1]
        } else {
            written
        };
        let becomes = text[*vs..*ve].trim_matches(|c| c == '\'' || c == '"');
        if becomes != meant {
            out.push(Changed {
                key: text[key.0..key.1].to_string(),
                becomes: becomes.to_string(),
                // quotes lost: say what was meant; cut short: what was written
                written: if end > *ve { written } else { meant }.to_string(),
                start: *vs,
                end,
                cut: end > *ve,
                comment: judged[*ve..end].starts_with('#'),
            });
        }
    }
    Some(out)
}

/// The byte range of each token in `text`: tokens follow each other, separated
/// by blanks and `#` comments. `None` when a token is not found where expected
/// (a word that `shlex` continued across a comment).
fn locate(text: &str, tokens: &[Cow<'_, str>]) -> Option<Vec<(usize, usize)>> {
    let mut at = 0;
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        loop {
            let rest = &text[at..];
            let c = rest.chars().next()?;
            if matches!(c, ' ' | '\t' | '\r' | '\n') {
                at += c.len_utf8();
            } else if c == '#' {
                at += rest.find('\n').map_or(rest.len(), |n| n + 1);
            } else {
                break;
            }
        }
        if !text[at..].starts_with(t.as_ref()) {
            return None;
        }
        out.push((at, at + t.len()));
        at += t.len();
    }
    Some(out)
}

/// SV242 environment-changed: an `environment` value that supervisord silently
/// truncates or changes.
///
/// ## What it checks
/// `environment=` of `[supervisord]` and of program-like sections, tokenised the
/// way supervisord does (non-POSIX `shlex`): a value that stops short of what is
/// written (`A=$HOME` gives `$`, `B=café` gives `caf`, `C=x#y` gives `x`) or loses
/// quotes it should keep. Values supervisord refuses are SV210's.
/// ## Why
/// Only ASCII letters, digits and `_/.+-():` form an unquoted value; any other
/// character ends it and the next token is swallowed as the separator, and `#`
/// comments out the rest of the line. supervisord says nothing.
/// ## Example
/// ```ini
/// [program:web]
/// command=/usr/bin/web
/// environment=HOME=$HOME,NAME=café
/// ```
/// ## Fix
/// Quote the value (`NAME="café"`); for a variable of supervisord's environment
/// write `%(ENV_HOME)s`, since supervisord does not expand `$HOME`.
fn environment_changed(cx: &Context<'_>, diags: &mut Diagnostics) {
    let mut seen: rustc_hash::FxHashSet<Span> = rustc_hash::FxHashSet::default();
    // the values supervisord refused after expansion (one pass, not one per section)
    let refused: Vec<Span> = diags
        .iter()
        .filter(|d| d.code == Code::InvalidEnvironment)
        .filter_map(|d| d.primary.as_ref().map(|p| p.span))
        .collect();
    // many programs share one `environment` text: judge each text once
    let mut judged: rustc_hash::FxHashMap<&str, Vec<Changed>> = rustc_hash::FxHashMap::default();
    for section in cx.tree.sections.values() {
        let kind = SectionKind::of(&section.name);
        if kind != SectionKind::Supervisord && !is_program_like(kind) {
            continue;
        }
        let Some(v) = cx.value(&section.name, "environment") else {
            continue;
        };
        if !seen.insert(v.span()) {
            continue;
        }
        // supervisord refused the value after expansion
        if refused.iter().any(|r| within(*r, v.span())) {
            continue;
        }
        let changed = judged
            .entry(v.text.as_str())
            .or_insert_with(|| changed_pairs(&v.text).unwrap_or_default());
        for c in changed.iter() {
            diags.push(report(v, c));
        }
    }
}

fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && inner.start >= outer.start && inner.end <= outer.end
}

fn report(v: &Value, c: &Changed) -> Diagnostic {
    let Changed {
        key,
        becomes,
        written,
        ..
    } = c;
    let env_var = written
        .strip_prefix('$')
        .map(|s| {
            s.strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .unwrap_or(s)
        })
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let help = if let Some(var) = env_var {
        format!("write `{key}=%(ENV_{var})s`, since supervisord does not expand `{written}`")
    } else if !c.cut {
        "keep quotes off the ends of the value, since supervisord strips them all".to_string()
    } else if written.contains('"') {
        format!("quote the value: `{key}='{written}'`")
    } else {
        format!("quote the value: `{key}=\"{written}\"`")
    };
    let label = if c.comment {
        format!("supervisord reads `{becomes}`: `#` starts a comment")
    } else {
        format!("supervisord reads `{becomes}`")
    };
    Diagnostic::new(
        Code::EnvironmentChanged,
        format!("`{key}` becomes `{becomes}`, not `{written}`"),
    )
    .at(v.span_of(c.start, c.end), label)
    .help(help)
}

/// The variables `numprocs` can use (those supervisord offers every program key).
struct NumprocsVars<'a> {
    cx: &'a Context<'a>,
    program: &'a str,
}

impl Vars for NumprocsVars<'_> {
    fn get(&self, name: &str) -> Option<expand::Value<'_>> {
        match name {
            "here" => Some(expand::Value::Str(&self.cx.tree.here)),
            "program_name" => Some(expand::Value::Str(self.program)),
            "host_node_name" => Some(expand::Value::Str(&self.cx.env.hostname)),
            _ => name
                .strip_prefix("ENV_")
                .and_then(|n| self.cx.env.var(n))
                .map(expand::Value::Str),
        }
    }

    fn entries(&self) -> Vec<(String, expand::Value<'_>)> {
        Vec::new()
    }
}

/// SV246 no-processes: `numprocs` is 0 or less, so the program never runs.
///
/// ## What it checks
/// `numprocs` of a program-like section that is an integer below 1.
/// ## Why
/// supervisord accepts it and builds no process at all: the program silently
/// never runs.
/// ## Example
/// ```ini
/// [program:worker]
/// command=/usr/bin/worker
/// numprocs=0
/// ```
/// ## Fix
/// Set `numprocs` to 1 or more, or remove the section.
fn no_processes(cx: &Context<'_>, diags: &mut Diagnostics) {
    for section in cx.tree.sections.values() {
        if !is_program_like(SectionKind::of(&section.name)) {
            continue;
        }
        let Some(v) = cx.value(&section.name, "numprocs") else {
            continue;
        };
        let program = section.name.split_once(':').map_or("", |(_, n)| n.trim());
        let vars = NumprocsVars { cx, program };
        let Ok(text) = expand::expand(&v.text, &vars) else {
            continue;
        };
        let Ok(n) = python::int(&text) else {
            continue;
        };
        if n < 1 {
            diags.push(
                Diagnostic::new(
                    Code::NoProcesses,
                    format!("`[{}]` has `numprocs={n}`: it never runs", section.name),
                )
                .at(v.span(), "no process is built")
                .help("set `numprocs` to 1 or more, or remove the section"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(text: &str) -> Vec<(String, String, String)> {
        changed_pairs(text)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.key, c.becomes, c.written))
            .collect()
    }

    fn one(k: &str, b: &str, w: &str) -> Vec<(String, String, String)> {
        vec![(k.to_string(), b.to_string(), w.to_string())]
    }

    #[test]
    fn cut_values() {
        assert_eq!(changes("A=$HOME"), one("A", "$", "$HOME"));
        assert_eq!(changes("B=café"), one("B", "caf", "café"));
        assert_eq!(changes("A=1,B=x#y,C=3"), one("B", "x", "x#y"));
        assert_eq!(changes("A=x#y"), one("A", "x", "x#y"));
        assert_eq!(changes("A=1,P=a$"), one("P", "a", "a$"));
    }

    #[test]
    fn intact_values() {
        assert!(changes("A=1;B=2").is_empty());
        assert!(changes("A = 1 ,B=2,").is_empty());
        assert!(changes("A=\"$HOME\",B='x y'").is_empty());
        assert!(changes("A=%(ENV_HOME)s/bin,B=\"%(here)s\"").is_empty());
        assert!(changes("A=/usr/bin:/bin,\nB=http").is_empty());
        assert!(changes("A=\"\"").is_empty());
    }

    #[test]
    fn refused_values_are_left_to_sv210() {
        // `,` then starts the next triple: supervisord refuses the value
        assert_eq!(changed_pairs("B=café,C=1"), None);
        assert_eq!(changed_pairs("A=1 B=2"), None);
        assert_eq!(changed_pairs("A=\"x"), None);
    }

    #[test]
    fn stripped_quotes() {
        assert_eq!(changes("A='\"q\"'"), one("A", "q", "\"q\""));
        assert_eq!(changes("A=x\"y\""), one("A", "x\"y", "x\"y\""));
    }
}
