//! Rules about groups (see the doc comment on each rule for its code).

use super::Context;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::include::Map;
use crate::ir::keys::SectionKind;
use crate::python;
use crate::source::Span;

/// Runs the rules of this module.
pub(crate) fn check(cx: &Context<'_>, diags: &mut Diagnostics) {
    let listings = listings(cx);
    program_in_several_groups(cx, &listings, diags);
    fcgi_program_in_group(cx, &listings, diags);
}

/// One item of a group's `programs=` (borrowed from the tree: 5000 programs in groups
/// are 5000 items).
struct Listing<'a> {
    /// The group section.
    group: &'a str,
    /// The listed program name, stripped.
    name: &'a str,
    /// The item's span.
    span: Span,
}

/// `prefix` + `name` in `buf` (reused: a lookup per listing needs no allocation).
fn prefixed<'b>(buf: &'b mut String, prefix: &str, name: &str) -> &'b str {
    buf.clear();
    buf.push_str(prefix);
    buf.push_str(name);
    buf
}

/// Every non-empty item of every `[group:x]`'s `programs=`, in read order.
fn listings<'a>(cx: &Context<'a>) -> Vec<Listing<'a>> {
    let mut out = Vec::new();
    for section in cx.tree.sections.values() {
        if SectionKind::of(&section.name) != SectionKind::Group {
            continue;
        }
        let Some(v) = cx.tree.get(&section.name, "programs") else {
            continue;
        };
        let mut offset = 0;
        for item in v.text.split(',') {
            let name = python::strip(item);
            if !name.is_empty() {
                // `strip` only removes from the ends: the name is a sub-slice of `item`
                let lead = item.len() - item.trim_start_matches(python::is_space).len();
                let start = offset + lead;
                out.push(Listing {
                    group: &section.name,
                    name,
                    span: v.span_of(start, start + name.len()),
                });
            }
            offset += item.len() + 1;
        }
    }
    out
}

/// SV244 program-in-several-groups: a program listed in two groups, or twice in one.
///
/// ## What it checks
/// A name that appears more than once across the `programs=` lists of all
/// `[group:x]` sections.
/// ## Why
/// supervisord builds the program's processes again for every listing: the same
/// command runs twice, under two names, and both copies fight over the same ports
/// and log files.
/// ## Example
/// ```ini
/// [group:web]
/// programs=nginx,php
///
/// [group:all]
/// programs=nginx
/// ```
/// ## Fix
/// List each program in one group only.
fn program_in_several_groups(cx: &Context<'_>, listings: &[Listing], diags: &mut Diagnostics) {
    let sections = &cx.tree.sections;
    let mut first: Map<&str, &Listing> = Map::default();
    let mut name = String::new();
    for l in listings {
        // an unknown name is SV215's business
        if !sections.contains_key(prefixed(&mut name, "program:", l.name))
            && !sections.contains_key(prefixed(&mut name, "fcgi-program:", l.name))
        {
            continue;
        }
        match first.get(l.name) {
            Some(f) => {
                let message = if f.group == l.group {
                    format!("`{}` is listed twice in `[{}]`", l.name, l.group)
                } else {
                    format!(
                        "`{}` is listed in both `[{}]` and `[{}]`",
                        l.name, f.group, l.group
                    )
                };
                diags.push(
                    Diagnostic::new(Code::ProgramInSeveralGroups, message)
                        .at(l.span, "its processes are built and started again here")
                        .also(f.span, "first listed here")
                        .help(format!("list `{}` only once", l.name)),
                );
            }
            None => {
                first.insert(l.name, l);
            }
        }
    }
}

/// SV245 fcgi-program-in-group: an `[fcgi-program:x]` listed in a `[group:x]` loses its socket.
///
/// ## What it checks
/// A `programs=` item that names an `[fcgi-program:x]` (and no `[program:x]`).
/// ## Why
/// A grouped fcgi-program is built as a plain program: supervisord never creates
/// its socket, so the `FastCGI` processes start without one.
/// ## Example
/// ```ini
/// [fcgi-program:php]
/// command=/usr/bin/php-cgi
/// socket=unix:///run/php.sock
///
/// [group:web]
/// programs=php
/// ```
/// ## Fix
/// Remove the fcgi-program from the group; it gets a group of its own.
fn fcgi_program_in_group(cx: &Context<'_>, listings: &[Listing], diags: &mut Diagnostics) {
    let sections = &cx.tree.sections;
    let mut name = String::new();
    for l in listings {
        let Some(section) = sections.get(prefixed(&mut name, "fcgi-program:", l.name)) else {
            continue;
        };
        let fcgi = name.clone();
        // both kinds: supervisord refuses the name as ambiguous (SV216)
        if sections.contains_key(prefixed(&mut name, "program:", l.name)) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::FcgiProgramInGroup,
                format!("`[{fcgi}]` in `[{}]` loses its socket", l.group),
            )
            .at(l.span, "built as a plain program here, without its socket")
            .also(section.header(), "the fcgi-program")
            .help(format!("remove `{}` from `programs`", l.name)),
        );
    }
}
