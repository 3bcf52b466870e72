//! The config as one self-contained INI file (`svconf convert --to ini`).
//!
//! The output is the parser state supervisord 4.3.0 ends up with after reading the main
//! file and its `[include]`s ([`crate::include::Tree`]), written back so that supervisord
//! resolves it to the same document wherever the file is put. The rules:
//!
//! - **Includes are inlined.** There is no `[include]` section; every section appears once,
//!   in order of first appearance, with its merged keys (the later definition wins, as in
//!   supervisord). Keys supervisord never reads are kept (they are harmless).
//! - **`[supervisorctl]`** is what supervisorctl reads: the main file's section alone
//!   (supervisorctl does not process includes), with the main file's `[DEFAULT]` values
//!   written into it. It is left out when the main file has none. A `[DEFAULT]` key that only
//!   an included file sets and that supervisorctl reads without a default (`username`,
//!   `password`, `history_file`) cannot be hidden from it: a known limitation.
//! - **`%(here)s` is made explicit.** The tree's texts already have the literal `%(here)s`
//!   replaced as supervisord does when `[include]` exists; every `here` reference left
//!   (`%(here)s` without `[include]`, `%(here)20s`, `[DEFAULT]` values) means the main file's
//!   directory and is replaced by it, formatted as Python would, `%` in it written `%%`.
//!   In `stdout_logfile`/`stderr_logfile` of program-like sections and in `[supervisord]
//!   environment`, which supervisord expands twice, a reference that only the second pass
//!   sees (`%%(here)s`) is replaced by the directory with `%` written `%%%%`; a first-pass
//!   reference gets `%%`, so that the second pass sees exactly what it saw before.
//!   `process_name` is checked for ` `, `:` and `/` *before* expansion, so a `%(here)s` in it
//!   cannot be made explicit ([`IniError::Unrepresentable`]).
//! - **Relative paths** stay as written: supervisord resolves them against its working
//!   directory, not the file's.
//! - **`%(ENV_X)s`** stays as written, unless `expand_env`: then each reference is
//!   replaced by the variable's value from the [`Env`] (formatted, `%` written `%%`; in
//!   twice-expanded keys too, since supervisord expands the value's text again in its
//!   second pass). A variable that `[supervisord] environment` defines is **not** expanded
//!   in the sections after `[supervisord]` (nor one that a program's own `environment`
//!   defines, in that program): supervisord gives those sections the configured value, which
//!   the output still configures. In `process_name`, a value with ` `, `:` or `/` stays a
//!   reference (see above).
//! - **`[DEFAULT]`** is kept, except for keys whose text the rules above change (a `here`
//!   reference, or an expanded `ENV_`): those are written into every section that does not
//!   set them, since the replacement can depend on the key's section.
//! - **Multi-line values** are written as continuation lines indented by 4 spaces. A line
//!   whose `;`/`#` would be read as an inline comment gets a trailing ` ;` or ` #` when that
//!   makes `CPython` 3.11's round-based comment search stop at the right place; the result is
//!   read back with svconf's parser and refused ([`IniError::Unrepresentable`]) when it differs.
//! - **Comments** of the original are not kept.
//! - **`explicit_defaults`** writes, in every `[supervisord]`, program-like, `[group:x]`,
//!   HTTP server and `[supervisorctl]` section, each key of [`crate::ir::keys`] that is
//!   absent (also from `[DEFAULT]`) with its default, except where writing it could change
//!   the meaning: keys without a fixed default (`childlogdir` is the machine's temp dir,
//!   `user`, `directory`, `umask`, `environment`, `command`, `socket_backlog`, ...);
//!   `killasgroup`, whose default is the section's `stopasgroup`; an eventlistener's
//!   `priority` (absent, the pool gets -1 and its processes 999); an fcgi-program's
//!   `socket_mode` (an error with a TCP socket).
//! - A config that supervisord refuses is not converted ([`IniError::Refused`]).

use std::fmt::Write as _;

use crate::Compiled;
use crate::diag::Diagnostic;
use crate::env::Env;
use crate::expand;
use crate::include::{Section, VarMap};
use crate::ir::keys::SectionKind;
use crate::source::FileId;
use crate::syntax;

/// How to write the INI file.
#[derive(Debug, Clone, Copy, Default)]
pub struct IniOptions {
    /// Replace `%(ENV_X)s` by the variable's value (`--expand-env`).
    pub expand_env: bool,
    /// Write every known key with its default when absent (`--explicit-defaults`).
    pub explicit_defaults: bool,
}

/// Why no INI file was written.
#[derive(Debug)]
pub enum IniError {
    /// supervisord refuses the config: its errors.
    Refused(Vec<Diagnostic>),
    /// A value cannot be written so that supervisord reads it back unchanged.
    Unrepresentable {
        /// The section.
        section: String,
        /// The key.
        key: String,
    },
}

impl std::fmt::Display for IniError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IniError::Refused(d) => write!(
                f,
                "supervisord refuses this config ({} error{})",
                d.len(),
                if d.len() == 1 { "" } else { "s" }
            ),
            IniError::Unrepresentable { section, key } => write!(
                f,
                "`{section}.{key}` cannot be written so that supervisord reads it back unchanged"
            ),
        }
    }
}

impl std::error::Error for IniError {}

/// The config as one self-contained INI file.
///
/// `env` must be the environment the config was compiled with (`expand_env` takes the
/// values from it).
pub fn render(compiled: &Compiled, env: &Env, options: &IniOptions) -> Result<String, IniError> {
    if compiled.refused_by_supervisord() || compiled.tree.rejected {
        let errors: Vec<Diagnostic> = compiled
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .cloned()
            .collect();
        return Err(IniError::Refused(errors));
    }
    let tree = &compiled.tree;
    let ctx = Ctx {
        here: &tree.here,
        env,
        options,
        supervisord_env: compiled
            .resolved
            .supervisord
            .environment
            .keys()
            .cloned()
            .collect(),
        compiled,
    };

    // [DEFAULT]: keys whose text would change are written into the sections instead
    let mut kept_defaults: Vec<(String, String)> = Vec::new();
    let mut moved_defaults: Vec<(&str, &str)> = Vec::new();
    for (key, value) in &tree.defaults {
        if ctx.is_location_free(&value.text) {
            kept_defaults.push((key.to_string(), value.text.to_string()));
        } else {
            moved_defaults.push((key, &value.text));
        }
    }

    let mut doc: Vec<(String, Vec<(String, String)>)> = Vec::new();
    if !kept_defaults.is_empty() {
        doc.push(("DEFAULT".to_string(), kept_defaults.clone()));
    }
    for (name, section) in &tree.sections {
        let kind = SectionKind::of(name);
        if kind == SectionKind::Include {
            continue;
        }
        let mut values: Vec<(String, String)> = Vec::new();
        if kind == SectionKind::Supervisorctl {
            let Some(main) = tree.main_only.as_deref() else {
                continue; // only included files have it: supervisorctl never sees it
            };
            let Some(own) = main.sections.get(name) else {
                continue;
            };
            values = supervisorctl_values(&ctx, own, &main.defaults, &tree.defaults)?;
        } else {
            for (key, value) in &section.values {
                values.push((
                    key.to_string(),
                    ctx.transform(name, kind, key, &value.text)?,
                ));
            }
            for (key, text) in &moved_defaults {
                if !section.values.contains_key(key) {
                    values.push(((*key).to_string(), ctx.transform(name, kind, key, text)?));
                }
            }
        }
        if options.explicit_defaults {
            for spec in kind.keys() {
                let Some(default) = spec.default else {
                    continue;
                };
                if !default_is_exact(kind, spec.name) {
                    continue;
                }
                let present = values.iter().any(|(k, _)| k == spec.name)
                    || kept_defaults.iter().any(|(k, _)| k == spec.name);
                if !present {
                    values.push((spec.name.to_string(), default.to_string()));
                }
            }
        }
        doc.push((name.clone(), values));
    }
    write(&doc)
}

/// True when writing `key`'s default from [`crate::ir::keys`] into a section of `kind`
/// means the same as leaving the key out.
fn default_is_exact(kind: SectionKind, key: &str) -> bool {
    // `killasgroup`: its default is the section's `stopasgroup`;
    // eventlistener `priority`: without the key the listener pool gets priority -1 and its
    // processes 999, which no written value gives;
    // fcgi-program `socket_mode`: only allowed with a unix socket
    !matches!(
        (kind, key),
        (_, "killasgroup")
            | (SectionKind::Eventlistener, "priority")
            | (SectionKind::FcgiProgram, "socket_mode")
    )
}

/// What a value's text is transformed with.
struct Ctx<'a> {
    here: &'a str,
    env: &'a Env,
    options: &'a IniOptions,
    /// Names `[supervisord] environment` defines (they shadow the process environment).
    supervisord_env: Vec<String>,
    compiled: &'a Compiled,
}

impl Ctx<'_> {
    /// True when a `[DEFAULT]` text needs no change in any section.
    fn is_location_free(&self, text: &str) -> bool {
        // both levels: a twice-expanded key may inherit it
        self.transform_level(text, 2, &|_| true) == text
    }

    /// The text to write for `section.key`.
    fn transform(
        &self,
        section: &str,
        kind: SectionKind,
        key: &str,
        text: &str,
    ) -> Result<String, IniError> {
        let program_like = matches!(
            kind,
            SectionKind::Program | SectionKind::Eventlistener | SectionKind::FcgiProgram
        );
        let twice = (program_like && matches!(key, "stdout_logfile" | "stderr_logfile"))
            || (kind == SectionKind::Supervisord && key == "environment");
        // names whose value supervisord takes from the config, not the process environment
        let mut shadowed: Vec<String> = Vec::new();
        if !matches!(kind, SectionKind::Supervisord | SectionKind::Supervisorctl) {
            shadowed.extend(self.supervisord_env.iter().cloned());
        }
        if program_like {
            for g in &self.compiled.resolved.groups {
                for p in g.processes.iter().filter(|p| p.section == section) {
                    shadowed.extend(p.environment.keys().cloned());
                }
            }
        }
        if program_like && key == "process_name" {
            // supervisord checks the raw text for ` `, `:` and `/` before expanding it:
            // a value with such characters must stay a reference
            let forbidden = |v: &str| v.contains([' ', ':', '/']);
            let keep_env = |var: &str| {
                !shadowed.iter().any(|s| s == var) && !self.env.var(var).is_some_and(forbidden)
            };
            let out = self.transform_level(text, 1, &keep_env);
            if forbidden(&out) && !forbidden(text) {
                // `%(here)s` in a process name: only `here` can say where the file is
                return Err(unrepresentable(section, key));
            }
            return Ok(out);
        }
        let expandable = |var: &str| !shadowed.iter().any(|s| s == var);
        Ok(self.transform_level(text, if twice { 2 } else { 1 }, &expandable))
    }

    /// The replacement of one reference, unescaped; `None` to keep it as written.
    fn replacement(
        &self,
        spec: &str,
        name: &str,
        expandable: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        let mut vars = VarMap::new();
        if name == "here" {
            vars.set("here", self.here);
        } else if let Some(var) = name.strip_prefix("ENV_") {
            if !self.options.expand_env || !expandable(var) {
                return None;
            }
            vars.set(name, self.env.var(var)?);
        } else {
            return None;
        }
        expand::expand(spec, &vars)
            .ok()
            .map(std::borrow::Cow::into_owned)
    }

    /// Replaces the references of `text` that depend on the file's location (or, with
    /// `expand_env`, on the environment). `levels == 2` also handles references that only
    /// a second expansion pass sees.
    fn transform_level(&self, text: &str, levels: u8, expandable: &dyn Fn(&str) -> bool) -> String {
        if !text.contains('%') {
            return text.to_string();
        }
        let refs = expand::references(text);
        // (start, end, replacement) in source offsets
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        for r in &refs {
            if let Some(rep) = self.replacement(&text[r.start..r.end], &r.name, expandable) {
                edits.push((r.start, r.end, rep.replace('%', "%%")));
            }
        }
        if levels == 2 {
            edits.extend(self.second_pass_edits(text, &refs, expandable));
            edits.sort_by_key(|e| e.0);
        }
        let mut result = String::with_capacity(text.len());
        let mut pos = 0;
        for (s, e, rep) in edits {
            if s < pos {
                continue; // overlapping (cannot happen with well-formed references)
            }
            result.push_str(&text[pos..s]);
            result.push_str(&rep);
            pos = e;
        }
        result.push_str(&text[pos..]);
        result
    }

    /// Edits for the references only a second expansion pass sees (`%%(here)s`).
    fn second_pass_edits(
        &self,
        text: &str,
        refs: &[expand::Reference],
        expandable: &dyn Fn(&str) -> bool,
    ) -> Vec<(usize, usize, String)> {
        // the first pass's output, every first-pass reference a placeholder (U+E000);
        // `map[i]` = source offset of output byte i
        const HOLE: char = '\u{E000}';
        let mut out = String::new();
        let mut map: Vec<usize> = Vec::new();
        let mut pos = 0;
        let mut next_ref = refs.iter().peekable();
        while pos < text.len() {
            if let Some(r) = next_ref.peek() {
                if r.start == pos {
                    map.extend(std::iter::repeat_n(usize::MAX, HOLE.len_utf8()));
                    out.push(HOLE);
                    pos = r.end;
                    next_ref.next();
                    continue;
                }
            }
            let rest = &text[pos..];
            if rest.starts_with("%%") {
                out.push('%');
                map.push(pos);
                pos += 2;
                continue;
            }
            let Some(ch) = rest.chars().next() else { break };
            map.extend((0..ch.len_utf8()).map(|i| pos + i));
            out.push(ch);
            pos += ch.len_utf8();
        }
        let mut edits = Vec::new();
        for r in expand::references(&out) {
            let inner = &out[r.start..r.end];
            if inner.contains(HOLE) {
                continue;
            }
            let (Some(&s), Some(&last)) = (map.get(r.start), map.get(r.end - 1)) else {
                continue;
            };
            // the leading `%` came from `%%`; the last character maps one to one
            if let Some(rep) = self.replacement(inner, &r.name, expandable) {
                edits.push((s, last + 1, rep.replace('%', "%%%%")));
            }
        }
        edits
    }
}

/// `[supervisorctl]` as supervisorctl reads it: the main file's section and `[DEFAULT]`
/// only, every value written into the section.
fn supervisorctl_values(
    ctx: &Ctx<'_>,
    own: &Section,
    main_defaults: &crate::include::Options,
    all_defaults: &crate::include::Options,
) -> Result<Vec<(String, String)>, IniError> {
    let kind = SectionKind::Supervisorctl;
    let mut values: Vec<(String, String)> = Vec::new();
    for (k, v) in &own.values {
        values.push((k.to_string(), ctx.transform(&own.name, kind, k, &v.text)?));
    }
    for (k, v) in main_defaults {
        if !own.values.contains_key(k) {
            values.push((k.to_string(), ctx.transform(&own.name, kind, k, &v.text)?));
        }
    }
    // a [DEFAULT] key from an included file would reach supervisorctl: mask it where
    // supervisorctl's own default can be written
    for k in all_defaults.keys() {
        if values.iter().any(|(key, _)| key == k) {
            continue;
        }
        if let Some(default) = kind.key(k).and_then(|s| s.default) {
            values.push((k.to_string(), default.to_string()));
        }
    }
    Ok(values)
}

/// Writes the sections and checks that the text reads back as intended.
fn write(doc: &[(String, Vec<(String, String)>)]) -> Result<String, IniError> {
    let mut out = String::from(
        "; one self-contained file written by `svconf convert --to ini` (comments are not kept)\n",
    );
    for (name, values) in doc {
        let _ = write!(out, "\n[{name}]\n");
        for (key, text) in values {
            let mut lines = text.split('\n');
            let first = lines.next().unwrap_or("");
            let first = safe_line(first, false).ok_or_else(|| unrepresentable(name, key))?;
            if first.is_empty() {
                let _ = writeln!(out, "{key} =");
            } else {
                let _ = writeln!(out, "{key} = {first}");
            }
            for line in lines {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let line = safe_line(line, true).ok_or_else(|| unrepresentable(name, key))?;
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    // read it back: every section and value as intended
    let mut sink = crate::diag::Diagnostics::new();
    let parsed = syntax::parse(FileId(0), &out, &mut sink);
    let got: Vec<(String, Vec<(String, String)>)> = parsed
        .blocks
        .into_iter()
        .map(|b| {
            (
                b.name,
                b.entries.into_iter().map(|e| (e.key, e.value)).collect(),
            )
        })
        .collect();
    if parsed.rejected || got.len() != doc.len() {
        return Err(unrepresentable("", ""));
    }
    for ((got_name, got_values), (name, values)) in got.iter().zip(doc) {
        if got_name != name {
            return Err(unrepresentable(name, ""));
        }
        if got_values != values {
            let key = values
                .iter()
                .enumerate()
                .find(|(i, w)| got_values.get(*i) != Some(*w))
                .map_or(String::new(), |(_, w)| w.0.clone());
            return Err(unrepresentable(name, &key));
        }
    }
    Ok(out)
}

fn unrepresentable(section: &str, key: &str) -> IniError {
    IniError::Unrepresentable {
        section: section.to_string(),
        key: key.to_string(),
    }
}

/// The line to write so that configparser reads `line` back (with a trailing ` ;` or ` #`
/// where an inline comment would otherwise start too early). `continuation`: the line
/// continues a value rather than starting one.
fn safe_line(line: &str, continuation: bool) -> Option<String> {
    if !line.contains([';', '#']) {
        return Some(line.to_string());
    }
    let want = if continuation {
        format!("x\n{line}")
    } else {
        line.to_string()
    };
    for suffix in ["", " ;", " #"] {
        let candidate = format!("{line}{suffix}");
        let doc = if continuation {
            format!("[s]\nk = x\n    {candidate}\n")
        } else {
            format!("[s]\nk = {candidate}\n")
        };
        let mut sink = crate::diag::Diagnostics::new();
        let parsed = syntax::parse(FileId(0), &doc, &mut sink);
        let ok = !parsed.rejected
            && parsed
                .blocks
                .first()
                .and_then(|b| b.entries.first())
                .is_some_and(|e| e.value == want);
        if ok {
            return Some(candidate);
        }
    }
    None
}
