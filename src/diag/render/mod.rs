//! Turning findings into text for people and for machines.
//!
//! Every format renders the same sorted `&[&Diagnostic]` against the same
//! [`SourceMap`](crate::source::SourceMap), so the formats cannot disagree about
//! what was found or where (ruff's one-model-many-emitters design). Each format is
//! one module with one `render` function returning a `String`: renderers never
//! write to stdout themselves, which keeps them pure and snapshot-testable, and
//! leaves exit codes and I/O errors to the CLI.
//!
//! - [`human`]: miette's graphical report, with a view that spreads a finding over
//!   several files (miette draws all labels of one diagnostic against one source).
//! - [`json`]: our own versioned document; miette's JSON handler is not our contract.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

#[cfg(test)]
use crate::diag::{Code, Diagnostic};
#[cfg(test)]
use crate::source::{SourceMap, Span};
#[cfg(test)]
use std::path::PathBuf;

/// The findings the renderers' unit tests share: `/proj/supervisord.conf` includes
/// `/proj/conf.d/web.ini`; an error there, a warning with a label in the other file,
/// and a finding without a place.
#[cfg(test)]
pub(crate) fn sample() -> (SourceMap, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let root = "[supervisord]\nlogfile=/tmp/sv.log\n\n[include]\nfiles = conf.d/*.ini\n\n[group:web]\nprograms=web\n";
    let root_id = map.add(
        PathBuf::from("/proj/supervisord.conf"),
        root.to_owned(),
        None,
    );
    let pat = root.find("conf.d/*.ini").unwrap();
    let include = Span::new(root_id, pat, pat + "conf.d/*.ini".len());
    let web = "[program:web]\ncommand=/usr/bin/café --port=%(ENV_PORT)s\n";
    let web_id = map.add(
        PathBuf::from("/proj/conf.d/web.ini"),
        web.to_owned(),
        Some(include),
    );

    let var = web.find("%(ENV_PORT)s").unwrap();
    let group = root.find("[group:web]").unwrap();
    let diags = vec![
        Diagnostic::new(Code::UnknownVariable, "`ENV_PORT` is not set")
            .at(
                Span::new(web_id, var, var + "%(ENV_PORT)s".len()),
                "unknown variable",
            )
            .help("set `PORT`, for example with `svconf check -e PORT=8080`")
            .supervisord("Format string ... contains names ('ENV_PORT') which cannot be expanded"),
        Diagnostic::new(
            Code::ShadowedGroup,
            "program `web` is hidden by group `web`",
        )
        .at(Span::new(web_id, 1, 12), "this program")
        .also(Span::new(root_id, group + 1, group + 10), "shadowing group"),
        Diagnostic::new(
            Code::MissingSupervisordSection,
            "the config has no `[supervisord]` section",
        ),
    ];
    (map, diags)
}
