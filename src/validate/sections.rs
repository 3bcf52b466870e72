//! Rules about sections (see the doc comment on each rule for its code).

use super::did_you_mean;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::include::Tree;
use crate::ir::keys::SectionKind;

/// Runs the rules of this module.
pub(crate) fn check(tree: &Tree, diags: &mut Diagnostics) {
    unknown_keys(tree, diags);
    unknown_sections(tree, diags);
    duplicate_sections(tree, diags);
}

/// Every section kind whose keys are a fixed list, in the order findings name them.
const KINDS: [SectionKind; 9] = [
    SectionKind::Supervisord,
    SectionKind::Program,
    SectionKind::Eventlistener,
    SectionKind::FcgiProgram,
    SectionKind::Group,
    SectionKind::UnixHttpServer,
    SectionKind::InetHttpServer,
    SectionKind::Supervisorctl,
    SectionKind::Include,
];

/// How a section kind is written, for messages.
fn form(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Supervisord => "[supervisord]",
        SectionKind::Program => "[program:x]",
        SectionKind::Group => "[group:x]",
        SectionKind::Eventlistener => "[eventlistener:x]",
        SectionKind::FcgiProgram => "[fcgi-program:x]",
        SectionKind::UnixHttpServer => "[unix_http_server]",
        SectionKind::InetHttpServer => "[inet_http_server]",
        SectionKind::Supervisorctl => "[supervisorctl]",
        SectionKind::Rpcinterface => "[rpcinterface:x]",
        SectionKind::Ctlplugin => "[ctlplugin:x]",
        SectionKind::Include => "[include]",
        SectionKind::Unknown => "[?]",
    }
}

/// `a`, `a and b`, `a, b and c` of backticked items.
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// SV240 unknown-key: a key supervisord does not read in this kind of section.
///
/// ## What it checks
/// Every key of a `[supervisord]`, program-like, `[group:x]`, HTTP server,
/// `[supervisorctl]` or `[include]` section that supervisord does not read there,
/// and every `[DEFAULT]` key that no section kind reads. `[rpcinterface:x]` and
/// `[ctlplugin:x]` pass their extra keys to the factory and are skipped.
/// ## Why
/// supervisord silently ignores keys it does not know, so a typo such as
/// `autorestar=true`, or a key that belongs to another kind of section (`events`
/// in a `[program:x]`), simply has no effect.
/// ## Example
/// ```ini
/// [program:web]
/// command=/usr/bin/web
/// autorestar=true
/// ```
/// ## Fix
/// Correct the key (svconf suggests the closest known one) or remove it.
fn unknown_keys(tree: &Tree, diags: &mut Diagnostics) {
    for section in tree.sections.values() {
        let kind = SectionKind::of(&section.name);
        if matches!(
            kind,
            SectionKind::Unknown | SectionKind::Rpcinterface | SectionKind::Ctlplugin
        ) {
            continue;
        }
        for (key, known, v) in section.values.iter_known() {
            // `[DEFAULT]` values copied in by `%(here)s` rewriting are judged below; a key
            // that is not one of the known keys is no kind's
            if v.from_default || known.is_some_and(|n| kind.reads_known(n)) {
                continue;
            }
            let others: Vec<String> = KINDS
                .iter()
                .filter(|k| **k != kind && k.key(key).is_some())
                .map(|k| format!("`{}`", form(*k)))
                .collect();
            let d = if others.is_empty() {
                let names: Vec<&str> = kind.keys().iter().map(|k| k.name).collect();
                let d = Diagnostic::new(
                    Code::UnknownKey,
                    format!("`{key}` is not a key of `[{}]`", section.name),
                )
                .at(v.key_span(), "supervisord ignores this key");
                match did_you_mean(key, &names) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("remove the line"),
                }
            } else {
                Diagnostic::new(
                    Code::UnknownKey,
                    format!("`{key}` only applies to {}", join(&others)),
                )
                .at(v.key_span(), format!("ignored in `[{}]`", section.name))
                .help("remove the line, or move it to the section it belongs to")
            };
            diags.push(d);
        }
    }
    let all: Vec<&str> = KINDS
        .iter()
        .chain(&[SectionKind::Rpcinterface, SectionKind::Ctlplugin])
        .flat_map(|k| k.keys().iter().map(|s| s.name))
        .collect();
    for (key, v) in &tree.defaults {
        if all.contains(&key) {
            continue;
        }
        let d = Diagnostic::new(
            Code::UnknownKey,
            format!("`{key}` in `[DEFAULT]` is not a key of any section"),
        )
        .at(v.key_span(), "no section reads this key");
        diags.push(match did_you_mean(key, &all) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("remove the line"),
        });
    }
}

/// Section kinds named `kind:name`.
const NAMED: [&str; 6] = [
    "program",
    "group",
    "eventlistener",
    "fcgi-program",
    "rpcinterface",
    "ctlplugin",
];
/// Section kinds named by one word.
const PLAIN: [&str; 5] = [
    "supervisord",
    "supervisorctl",
    "include",
    "unix_http_server",
    "inet_http_server",
];

/// The section name supervisord would recognise that `name` most likely means,
/// with why the written one is not it.
fn suggest_section(name: &str) -> Option<(String, String)> {
    if name.eq_ignore_ascii_case("default") {
        return Some((
            "DEFAULT".to_string(),
            "only `[DEFAULT]`, in capitals, is inherited by every section".to_string(),
        ));
    }
    let mut reason: Option<String> = None;
    let trimmed = name.trim();
    if trimmed != name {
        reason = Some("the spaces inside the brackets are part of the name".to_string());
    }
    // `program : x`, `group x`: the colon
    let (head, rest) = match trimmed.split_once(':') {
        Some((h, r)) => {
            if h != h.trim_end() || r != r.trim_start() {
                reason.get_or_insert_with(|| {
                    "the spaces around `:` are part of the name".to_string()
                });
            }
            (h.trim_end().to_string(), Some(r.trim_start().to_string()))
        }
        None => match trimmed.split_once(char::is_whitespace) {
            Some((h, r)) if NAMED.contains(&h.to_lowercase().as_str()) => {
                reason.get_or_insert_with(|| {
                    "the kind and the name are separated by `:`".to_string()
                });
                (h.to_string(), Some(r.trim_start().to_string()))
            }
            _ => (trimmed.to_string(), None),
        },
    };
    let lower = head.to_lowercase();
    if lower != head && (NAMED.contains(&lower.as_str()) || PLAIN.contains(&lower.as_str())) {
        reason.get_or_insert_with(|| "section names are case-sensitive".to_string());
    }
    let fixed_head = if NAMED.contains(&lower.as_str()) || PLAIN.contains(&lower.as_str()) {
        lower
    } else {
        let pool: Vec<&str> = if rest.is_some() {
            NAMED.to_vec()
        } else {
            NAMED.iter().chain(&PLAIN).copied().collect()
        };
        let s = did_you_mean(&lower, &pool)?;
        reason.get_or_insert_with(|| format!("no section kind is called `{head}`"));
        s.to_string()
    };
    let candidate = match rest {
        Some(r) => format!("{fixed_head}:{r}"),
        None if NAMED.contains(&fixed_head.as_str()) => {
            reason.get_or_insert_with(|| "the kind needs a name after `:`".to_string());
            format!("{fixed_head}:name")
        }
        None => fixed_head,
    };
    (SectionKind::of(&candidate) != SectionKind::Unknown && candidate != name)
        .then(|| (candidate, reason.unwrap_or_default()))
}

/// SV241 unknown-section: a section supervisord does not recognise.
///
/// ## What it checks
/// Section names that match none of supervisord's section kinds, such as
/// `[Program:x]`, `[programs:x]`, `[program]`, `[group x]` or `[ program:x ]`.
/// ## Why
/// Section kinds are matched by exact, case-sensitive prefix. An unknown section
/// is silently ignored, with everything in it.
/// ## Example
/// ```ini
/// [Program:web]
/// command=/usr/bin/web
/// ```
/// ## Fix
/// Correct the section name (svconf suggests the one it most likely means).
fn unknown_sections(tree: &Tree, diags: &mut Diagnostics) {
    for section in tree.sections.values() {
        if SectionKind::of(&section.name) != SectionKind::Unknown {
            continue;
        }
        let d = Diagnostic::new(
            Code::UnknownSection,
            format!(
                "`[{}]` is not a section supervisord reads; it is ignored",
                section.name
            ),
        );
        diags.push(match suggest_section(&section.name) {
            Some((s, reason)) => d
                .at(section.header(), reason)
                .help(format!("rename it to `[{s}]`")),
            None => d
                .at(section.header(), "no section kind is called that")
                .help("remove the section, or rename it to a section kind supervisord reads"),
        });
    }
}

/// SV243 duplicate-section: the same section is opened twice; supervisord merges them.
///
/// ## What it checks
/// A section header that names a section already opened earlier, in the same
/// file or in another included file (`[include]` excepted).
/// ## Why
/// Sections with the same name merge and later keys win, so the two halves no
/// longer say what they seem to. Usually one of them is a copy that was meant
/// to be removed or renamed.
/// ## Example
/// ```ini
/// [program:web]
/// command=/usr/bin/web
///
/// [program:web]
/// command=/usr/bin/web --debug
/// ```
/// ## Fix
/// Keep one definition.
fn duplicate_sections(tree: &Tree, diags: &mut Diagnostics) {
    for section in tree.sections.values() {
        if section.name == "include" || SectionKind::of(&section.name) == SectionKind::Unknown {
            continue;
        }
        let Some((first, later)) = section.headers.split_first() else {
            continue;
        };
        for header in later {
            // the same header read twice (a file included twice) is SV107's business
            if tree.same_text(*first, *header) {
                continue;
            }
            diags.push(
                Diagnostic::new(
                    Code::DuplicateSection,
                    format!("`[{}]` is defined more than once", section.name),
                )
                .at(*header, "merged into the earlier one; later keys win")
                .also(*first, "first defined here")
                .help(format!(
                    "keep one `[{}]` section and remove or rename the other",
                    section.name
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(name: &str) -> Option<String> {
        suggest_section(name).map(|(s, _)| s)
    }

    #[test]
    fn suggests_the_section_meant() {
        assert_eq!(fix("Program:web").as_deref(), Some("program:web"));
        assert_eq!(fix("PROGRAM:web").as_deref(), Some("program:web"));
        assert_eq!(fix("programs:web").as_deref(), Some("program:web"));
        assert_eq!(fix(" program:web ").as_deref(), Some("program:web"));
        assert_eq!(fix("program : web").as_deref(), Some("program:web"));
        assert_eq!(fix("group web").as_deref(), Some("group:web"));
        assert_eq!(fix("program").as_deref(), Some("program:name"));
        assert_eq!(fix("Supervisord").as_deref(), Some("supervisord"));
        assert_eq!(fix("supervisor").as_deref(), Some("supervisord"));
        assert_eq!(fix("unix-http-server").as_deref(), Some("unix_http_server"));
        assert_eq!(fix("default").as_deref(), Some("DEFAULT"));
        assert_eq!(fix("celery-beat"), None);
        assert_eq!(fix("x"), None);
    }
}
