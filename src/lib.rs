//! svconf: a compiler for supervisord configuration.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! ```text
//! files ─▶ source ─▶ syntax::parse ─▶ include::resolve ─▶ lower (+ expand) ─▶ validate ─▶ emit
//! ```
//!
//! Every stage writes findings to one [`diag::Diagnostics`] sink and returns the
//! best output it can; `Err` ([`Error`]) means svconf itself could not run.
//!
//! This library's API exists for svconf's own binary and tests; it is not stable.

pub mod diag;
pub mod emit;
pub mod env;
pub mod expand;
pub mod include;
pub mod ir;
pub mod lower;
pub mod python;
pub mod run;
pub mod source;
pub mod syntax;
mod threads;
pub mod validate;

use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics};
pub use env::Env;

/// Why svconf could not do its job (as opposed to findings about the config).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The root config file cannot be read.
    #[error("cannot read `{}`: {source}", .path.display())]
    #[diagnostic(code(svconf::read), help("check the path and its permissions"))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No config file was given and none was found where supervisord looks.
    #[error("no config file given, and none found at {}", .searched.join(", "))]
    #[diagnostic(
        code(svconf::no_config),
        help("pass the path: `svconf check path/to/supervisord.conf`")
    )]
    NoConfig {
        /// The places searched.
        searched: Vec<String>,
    },
    /// An `--env-file` cannot be read or parsed.
    #[error("cannot use env file `{}`: {message}", .path.display())]
    #[diagnostic(
        code(svconf::env_file),
        help("write one KEY=VALUE per line; `#` starts a comment")
    )]
    EnvFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Writing output failed.
    #[error("cannot write `{}`: {source}", .path.display())]
    #[diagnostic(code(svconf::write))]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A command-line value is wrong.
    #[error("{0}")]
    #[diagnostic(code(svconf::usage))]
    Usage(String),
}

/// How to compile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Check a `conf.d` fragment on its own: a missing `[supervisord]` is not a finding.
    pub fragment: bool,
    /// Codes whose findings are dropped (`--allow`); never codes supervisord refuses.
    pub allow: Vec<diag::Code>,
    /// Codes whose findings become errors (`--deny`).
    pub deny: Vec<diag::Code>,
}

/// Everything one compilation produced.
#[derive(Debug)]
pub struct Compiled {
    /// Every file read.
    pub sources: source::SourceMap,
    /// The merged parser state.
    pub tree: include::Tree,
    /// What supervisord would run (best effort when there are errors).
    pub resolved: ir::Resolved,
    /// Every finding.
    pub diagnostics: Diagnostics,
}

impl Compiled {
    /// True when supervisord would refuse this config (or svconf found an error).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// True when supervisord 4.3.0 itself would refuse this config, or svconf cannot read
    /// it (too large, not valid TOML, a TOML value INI cannot carry). This is what `convert`
    /// goes by: svconf's own lint rules never change which configs it converts.
    pub fn refused_by_supervisord(&self) -> bool {
        self.diagnostics.iter().any(|d| {
            d.severity == diag::Severity::Error
                && (d.code.info().refused_by_supervisord
                    || matches!(
                        d.code,
                        diag::Code::FileTooLarge
                            | diag::Code::TomlSyntax
                            | diag::Code::NotExpressibleInIni
                    ))
        })
    }

    /// The sections as written, typed where possible (built on demand: `check` does not need it).
    pub fn declared(&self) -> ir::declared::Declared {
        lower::declare::declare(&self.tree, &self.sources)
    }
}

/// Reads, resolves, lowers and validates the config at `path`.
pub fn compile(path: &Path, env: &Env, options: &Options) -> Result<Compiled, Error> {
    let mut sources = source::SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let tree = include::resolve(path, env, &mut sources, &mut diagnostics)?;
    // without a `svconf:` comment in any file, an allowed finding can only be removed in
    // the end (as below): drop it as it comes instead of keeping it until then
    if !sources.files().any(|(_, f)| f.text.contains("svconf:")) {
        diagnostics.drop_codes(
            options
                .allow
                .iter()
                .copied()
                .filter(|c| !c.info().refused_by_supervisord)
                .collect(),
        );
    }
    let resolved = lower::lower(&tree, env, options, &mut diagnostics);
    validate::validate(&tree, &resolved, env, &mut diagnostics);
    let mut diagnostics = diag::suppress::apply(&sources, diagnostics);
    for d in diagnostics.iter_mut() {
        if options.deny.contains(&d.code) {
            d.severity = diag::Severity::Error;
        }
    }
    let diagnostics = diagnostics
        .retain(|d| !options.allow.contains(&d.code) || d.code.info().refused_by_supervisord);
    Ok(Compiled {
        sources,
        tree,
        resolved,
        diagnostics,
    })
}
