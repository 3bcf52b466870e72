//! From the merged parser state to what supervisord runs: [`ir::Resolved`].
//!
//! This stage replays supervisord 4.3.0's `read_config`,
//! `process_groups_from_parser`, `processes_from_section` and
//! `server_configs_from_parser` in their order, with the same variables visible to
//! each key, the same defaults and the same converters (see [`convert`]). Where
//! supervisord stops at its first error, this stage reports the problem and goes on
//! with the next key, so one run lists everything; a value that cannot be typed is
//! reported once and left out.

pub mod convert;
pub mod declare;

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use indexmap::IndexMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::env::{Env, absolute};
use crate::expand::{self, Vars};
use crate::include::{Tree, Value, VarMap, report_expand_error};
use crate::ir;
use crate::python;
use crate::source::Span;
use convert::{AutoRestart, LogFile};

/// A lookup of variables: a base map under a local one (the local wins).
struct Scope<'a> {
    base: &'a VarMap,
    local: &'a dyn Vars,
}

impl expand::Vars for Scope<'_> {
    fn get(&self, name: &str) -> Option<expand::Value<'_>> {
        self.local.get(name).or_else(|| self.base.get(name))
    }

    fn entries(&self) -> Vec<(String, expand::Value<'_>)> {
        let mut out = self.base.entries();
        for (k, v) in self.local.entries() {
            if let Some(slot) = out.iter_mut().find(|(n, _)| *n == k) {
                slot.1 = v;
            } else {
                out.push((k, v));
            }
        }
        out
    }
}

fn scope_names(s: &Scope<'_>) -> Vec<String> {
    s.entries().into_iter().map(|(k, _)| k).collect()
}

/// The variables `processes_from_section` gives one program's processes (its
/// `expansions` dict): `here`, `program_name`, `host_node_name`, `group_name`, then
/// `process_num` and `numprocs` once processes are built, then `ENV_*` of the program's
/// `environment` in the order first set, which is the dict's order. Fields rather than a
/// [`VarMap`]: every process reads them several times and sets two of them, and a map
/// of owned names per program is built and dropped 5000 times in a config of 5000
/// programs.
struct ProcessVars<'v> {
    here: &'v str,
    program_name: &'v str,
    host_node_name: &'v str,
    group_name: &'v str,
    /// `process_num` and `numprocs`, from the first process on.
    nums: Option<(i64, i64)>,
    /// The environment's keys (without `ENV_`) and values; a key set again keeps its place.
    env: Vec<(String, String)>,
}

impl ProcessVars<'_> {
    fn set_env(&mut self, key: &str, value: &str) {
        match self.env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => value.clone_into(&mut slot.1),
            None => self.env.push((key.to_string(), value.to_string())),
        }
    }
}

impl expand::Vars for ProcessVars<'_> {
    fn get(&self, name: &str) -> Option<expand::Value<'_>> {
        let text = |t| Some(expand::Value::Str(t));
        match name {
            "here" => text(self.here),
            "program_name" => text(self.program_name),
            "host_node_name" => text(self.host_node_name),
            "group_name" => text(self.group_name),
            "process_num" => self.nums.map(|(n, _)| expand::Value::Int(n)),
            "numprocs" => self.nums.map(|(_, n)| expand::Value::Int(n)),
            _ => {
                let key = name.strip_prefix("ENV_")?;
                let (_, v) = self.env.iter().find(|(k, _)| k == key)?;
                text(v)
            }
        }
    }

    fn entries(&self) -> Vec<(String, expand::Value<'_>)> {
        let text = |k: &str, t| (k.to_string(), expand::Value::Str(t));
        let mut out = vec![
            text("here", self.here),
            text("program_name", self.program_name),
            text("host_node_name", self.host_node_name),
            text("group_name", self.group_name),
        ];
        if let Some((num, procs)) = self.nums {
            out.push(("process_num".to_string(), expand::Value::Int(num)));
            out.push(("numprocs".to_string(), expand::Value::Int(procs)));
        }
        for (k, v) in &self.env {
            out.push((format!("ENV_{k}"), expand::Value::Str(v)));
        }
        out
    }
}

/// What a conversion failure is reported as.
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Bytes,
    Octal,
    Signal,
    ExitCodes,
    AutoRestart,
    LogLevel,
    Environment,
    Name,
    Port,
}

impl Kind {
    fn code(self) -> Code {
        match self {
            Kind::Bool => Code::InvalidBoolean,
            Kind::Int => Code::InvalidInteger,
            Kind::Bytes => Code::InvalidByteSize,
            Kind::Octal => Code::InvalidOctal,
            Kind::Signal => Code::InvalidSignal,
            Kind::ExitCodes => Code::InvalidExitCodes,
            Kind::AutoRestart => Code::InvalidAutorestart,
            Kind::LogLevel => Code::InvalidLogLevel,
            Kind::Environment => Code::InvalidEnvironment,
            Kind::Name => Code::InvalidName,
            Kind::Port => Code::InvalidPort,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Bool => "not a boolean",
            Kind::Int => "not an integer",
            Kind::Bytes => "not a byte size",
            Kind::Octal => "not an octal number",
            Kind::Signal => "not a signal",
            Kind::ExitCodes => "not a list of exit codes",
            Kind::AutoRestart => "not true, false or unexpected",
            Kind::LogLevel => "not a log level",
            Kind::Environment => "cannot be parsed",
            Kind::Name => "invalid name",
            Kind::Port => "invalid port",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Kind::Bool => "use one of `true`, `false` (or yes/no, on/off, 1/0)",
            Kind::Int => "write a whole number such as `10`",
            Kind::Bytes => "write a size such as `50MB`, `1024KB` or `0`",
            Kind::Octal => "write an octal number such as `022`",
            Kind::Signal => {
                "use a signal name such as `TERM`, `INT`, `QUIT`, `KILL`, `HUP`, `USR1`, `USR2`"
            }
            Kind::ExitCodes => "write a comma-separated list of numbers 0..255, such as `0,2`",
            Kind::AutoRestart => "use `true`, `false` or `unexpected`",
            Kind::LogLevel => {
                "use one of `critical`, `error`, `warn`, `info`, `debug`, `trace`, `blather`"
            }
            Kind::Environment => {
                "write `KEY=\"value\",KEY2=\"value2\"`, quoting values that contain anything but letters, digits and `_/.+-():`"
            }
            Kind::Name => "remove spaces, `:` and `/` from the name",
            Kind::Port => "write `port = 127.0.0.1:9001` (a port 1..65535)",
        }
    }
}

/// Lowers the merged state. Findings go to `diags`; the result is the best
/// resolution possible (values that failed are left at their defaults).
pub fn lower(
    tree: &Tree,
    env: &Env,
    options: &crate::Options,
    diags: &mut Diagnostics,
) -> ir::Resolved {
    lower_on(tree, env, options, diags, MAX_THREADS)
}

/// [`lower`] with processes built on at most `threads` threads.
fn lower_on(
    tree: &Tree,
    env: &Env,
    options: &crate::Options,
    diags: &mut Diagnostics,
    threads: usize,
) -> ir::Resolved {
    let mut l = Lowerer {
        reuse: Reuse::default(),
        last_section: None,
        tree,
        env,
        fragment: options.fragment,
        threads,
        diags,
        warnings: tree.warnings.clone(),
        environ: VarMap::new(),
        sup_env: ir::Shared::new(IndexMap::new()),
    };
    for (k, v) in &env.vars {
        l.environ.set(&format!("ENV_{k}"), v);
    }
    l.run()
}

struct Lowerer<'a> {
    /// Shared values made for earlier programs, handed to later ones that have the same.
    reuse: Reuse,
    /// The section last looked up by name: a program's keys are looked up one after the
    /// other, and comparing its name is cheaper than hashing it into the section map.
    last_section: Option<(&'a str, &'a crate::include::Section)>,
    tree: &'a Tree,
    env: &'a Env,
    fragment: bool,
    /// At most this many threads build processes.
    threads: usize,
    diags: &'a mut Diagnostics,
    warnings: Vec<String>,
    /// `environ_expansions`: ENV_* of the process, later extended by `[supervisord] environment`.
    environ: VarMap,
    /// `[supervisord] environment`, which every process's environment starts from.
    sup_env: ir::Shared<IndexMap<String, String>>,
}

impl<'a> Lowerer<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The section named `section`.
    fn section(&mut self, section: &str) -> Option<&'a crate::include::Section> {
        if let Some((name, sec)) = self.last_section {
            if name == section {
                return Some(sec);
            }
        }
        let tree: &'a Tree = self.tree;
        let (name, sec) = tree.sections.get_key_value(section)?;
        self.last_section = Some((name.as_str(), sec));
        Some(sec)
    }

    /// `parser.get(section, key)` ([`Tree::get`]) through [`Lowerer::section`].
    fn value(&mut self, section: &str, key: &str) -> Option<&'a Value> {
        let sec = self.section(section);
        self.tree.get_in(sec, key)
    }

    /// `saneget`: the value of `key` in `section` (or `[DEFAULT]`), expanded with the
    /// environment plus `local`. `Ok(None)` when absent; `Err(())` when expansion failed
    /// (already reported).
    fn get(
        &mut self,
        section: &str,
        key: &str,
        local: &dyn Vars,
    ) -> Result<Option<(Cow<'a, str>, &'a Value)>, ()> {
        self.get_with(section, key, local, true)
    }

    fn get_with(
        &mut self,
        section: &str,
        key: &str,
        local: &dyn Vars,
        do_expand: bool,
    ) -> Result<Option<(Cow<'a, str>, &'a Value)>, ()> {
        let Some(v) = self.value(section, key) else {
            return Ok(None);
        };
        if !do_expand {
            return Ok(Some((Cow::Borrowed(v.text.as_str()), v)));
        }
        let scope = Scope {
            base: &self.environ,
            local,
        };
        match expand::expand(&v.text, &scope) {
            Ok(s) => Ok(Some((s, v))),
            Err(e) => {
                let names = scope_names(&scope);
                report_expand_error(&e, v, &format!("{section}.{key}"), &names, self.diags);
                Err(())
            }
        }
    }

    /// Expands `text` (which came from `value`) once more, as supervisord's bare `expand()`.
    /// A text without `%` (nearly every one, once expanded) comes back borrowed.
    fn expand_again<'t>(
        &mut self,
        text: &'t str,
        value: &Value,
        label: &str,
        scope: &Scope<'_>,
    ) -> Result<Cow<'t, str>, ()> {
        match expand::expand(text, scope) {
            Ok(s) => Ok(s),
            Err(e) => {
                let names = scope_names(scope);
                // positions refer to the once-expanded text: point at the whole value unless unchanged
                let mut shown = value.clone();
                shown.text = crate::include::Text::from(text);
                report_expand_error(&e, &shown, label, &names, self.diags);
                Err(())
            }
        }
    }

    /// Converts a value, reporting a failure on it.
    fn conv<T>(
        &mut self,
        section: &str,
        key: &str,
        got: Option<(Cow<'_, str>, &Value)>,
        default: &str,
        kind: Kind,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match got {
            None => f(default).ok(),
            Some((text, v)) => match f(&text) {
                Ok(t) => Some(t),
                Err(msg) => {
                    self.report_conv(section, key, v, kind, &msg);
                    None
                }
            },
        }
    }

    fn report_conv(&mut self, section: &str, key: &str, v: &Value, kind: Kind, msg: &str) {
        let d = Diagnostic::new(kind.code(), format!("`{key}` in `[{section}]`: {msg}"))
            .at(v.span(), kind.label())
            .help(kind.help())
            .supervisord(msg.to_string());
        self.error(d);
    }

    /// get + convert in one step, with a default for absent keys.
    fn typed<T>(
        &mut self,
        section: &str,
        key: &str,
        local: &dyn Vars,
        default: &str,
        kind: Kind,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let got = self.get(section, key, local).ok()?;
        self.conv(section, key, got, default, kind, f)
    }

    fn run(&mut self) -> ir::Resolved {
        let tree = self.tree;
        if !tree.sections.contains_key("supervisord") && !self.fragment && tree.root_parsed {
            let root = tree.root;
            self.error(
                Diagnostic::new(Code::MissingSupervisordSection, "no `[supervisord]` section")
                    .at(Span::new(root, 0, 0), "this file has no `[supervisord]`")
                    .help("add a `[supervisord]` section, or check a conf.d fragment on its own with `svconf check --fragment`")
                    .supervisord(".ini file does not include supervisord section"),
            );
        }
        let supervisord = self.supervisord();
        // each process's environment is this one with the program's on top
        self.sup_env = ir::Shared::new(supervisord.environment.clone());
        let rpcinterfaces = self.rpcinterfaces();
        let groups = self.groups();
        let http_servers = self.servers();
        let uid = supervisord
            .user
            .as_deref()
            .and_then(|u| self.lookup_user(u, "supervisord", "user"));
        let mut supervisord = supervisord;
        supervisord.uid = uid;
        let serverurl = http_servers
            .iter()
            .find(|s| s.family == "unix")
            .and_then(|s| s.file.as_ref().map(|f| format!("unix://{f}")))
            .or_else(|| {
                http_servers
                    .iter()
                    .rev()
                    .find(|s| s.family == "inet")
                    .map(|s| {
                        let host = s
                            .host
                            .as_deref()
                            .filter(|h| !h.is_empty())
                            .unwrap_or("localhost");
                        format!("http://{host}:{}", s.port.unwrap_or(0))
                    })
            });
        let supervisorctl = self.supervisorctl();
        ir::Resolved {
            supervisord,
            groups,
            http_servers,
            serverurl,
            rpcinterfaces,
            supervisorctl,
            included_files: tree.included_files.clone(),
            warnings: std::mem::take(&mut self.warnings),
        }
    }

    fn here_vars(&self) -> VarMap {
        let mut m = VarMap::new();
        m.set("here", &self.tree.here);
        m
    }

    fn expanduser(&self, p: &str) -> String {
        python::expanduser(p, self.env.home())
    }

    /// `existing_dirpath` / `existing_directory`: `~` expanded always; existence only with `--host`.
    fn check_dir(&mut self, path: &str, whole: bool, v: Option<&Value>, what: &str) {
        if !self.env.host_checks {
            return;
        }
        let dir = if whole {
            path.to_string()
        } else {
            match path.rfind('/') {
                Some(0) => "/".to_string(),
                Some(i) => path[..i].to_string(),
                None => return,
            }
        };
        if !std::path::Path::new(&dir).is_dir() {
            let msg = if whole {
                format!("{path} is not an existing directory")
            } else {
                format!("The directory named as part of the path {path} does not exist")
            };
            let mut d = Diagnostic::new(
                Code::MissingDirectory,
                format!("{what}: directory `{dir}` does not exist on this host"),
            )
            .help("create the directory, or correct the path")
            .supervisord(msg);
            if let Some(v) = v {
                d = d.at(v.span(), "directory missing");
            }
            self.error(d);
        }
    }

    fn supervisord(&mut self) -> ir::Supervisord {
        let sec = "supervisord";
        let here = self.here_vars();
        let minfds = self
            .typed(sec, "minfds", &here, "1024", Kind::Int, convert::integer)
            .unwrap_or(1024);
        let minprocs = self
            .typed(sec, "minprocs", &here, "200", Kind::Int, convert::integer)
            .unwrap_or(200);
        let directory = match self.get(sec, "directory", &here) {
            Ok(Some((t, v))) => {
                let p = self.expanduser(&t);
                self.check_dir(&p, true, Some(v), "`[supervisord] directory`");
                Some(p)
            }
            _ => None,
        };
        let user = self
            .get(sec, "user", &here)
            .ok()
            .flatten()
            .map(|(t, _)| t.into_owned());
        let umask = self
            .typed(sec, "umask", &here, "022", Kind::Octal, convert::octal_type)
            .unwrap_or(0o22);
        let logfile = self.path_key(sec, "logfile", &here, "supervisord.log");
        let logfile_maxbytes = self
            .typed(
                sec,
                "logfile_maxbytes",
                &here,
                "50MB",
                Kind::Bytes,
                convert::byte_size,
            )
            .unwrap_or(52_428_800);
        let logfile_backups = self
            .typed(
                sec,
                "logfile_backups",
                &here,
                "10",
                Kind::Int,
                convert::integer,
            )
            .unwrap_or(10);
        let loglevel = self
            .typed(
                sec,
                "loglevel",
                &here,
                "info",
                Kind::LogLevel,
                convert::logging_level,
            )
            .unwrap_or("info");
        let pidfile = self.path_key(sec, "pidfile", &here, "supervisord.pid");
        let identifier = self
            .get(sec, "identifier", &here)
            .ok()
            .flatten()
            .map_or_else(|| "supervisor".to_string(), |(t, _)| t.into_owned());
        let nodaemon = self
            .typed(
                sec,
                "nodaemon",
                &here,
                "false",
                Kind::Bool,
                convert::boolean,
            )
            .unwrap_or(false);
        let silent = self
            .typed(sec, "silent", &here, "false", Kind::Bool, convert::boolean)
            .unwrap_or(false);
        let childlogdir = match self.get(sec, "childlogdir", &here) {
            Ok(Some((t, v))) => {
                let p = self.expanduser(&t);
                self.check_dir(&p, true, Some(v), "`childlogdir`");
                p
            }
            _ => self.env.temp_dir(),
        };
        let nocleanup = self
            .typed(
                sec,
                "nocleanup",
                &here,
                "false",
                Kind::Bool,
                convert::boolean,
            )
            .unwrap_or(false);
        let strip_ansi = self
            .typed(
                sec,
                "strip_ansi",
                &here,
                "false",
                Kind::Bool,
                convert::boolean,
            )
            .unwrap_or(false);
        let mut environment = IndexMap::new();
        if let Ok(Some((once, v))) = self.get(sec, "environment", &here) {
            let mut second = VarMap::new();
            second.set("here", &self.tree.here);
            second.set("host_node_name", &self.env.hostname);
            let base = self.environ.clone();
            let scope = Scope {
                base: &base,
                local: &second,
            };
            if let Ok(twice) = self.expand_again(&once, v, "environment", &scope) {
                match convert::dict_of_key_value_pairs(&twice) {
                    Ok(pairs) => {
                        for (k, val) in pairs {
                            environment.insert(k, val);
                        }
                    }
                    Err(msg) => self.report_conv(sec, "environment", v, Kind::Environment, &msg),
                }
            }
        }
        for (k, v) in &environment {
            self.environ.set(&format!("ENV_{k}"), v);
        }
        ir::Supervisord {
            directory,
            user,
            uid: None,
            umask: Some(octal(umask)),
            logfile,
            logfile_maxbytes,
            logfile_backups,
            loglevel: loglevel.to_string(),
            pidfile,
            identifier,
            nodaemon,
            silent,
            childlogdir,
            nocleanup,
            strip_ansi,
            minfds,
            minprocs,
            environment,
        }
    }

    /// A path key checked with `existing_dirpath`.
    fn path_key(&mut self, section: &str, key: &str, vars: &VarMap, default: &str) -> String {
        match self.get(section, key, vars) {
            Ok(Some((t, v))) => {
                let p = self.expanduser(&t);
                self.check_dir(&p, false, Some(v), &format!("`{key}`"));
                p
            }
            _ => default.to_string(),
        }
    }

    fn rpcinterfaces(&mut self) -> Vec<ir::RpcInterface> {
        const FACTORY: &str = "supervisor.rpcinterface_factory";
        let mut out = Vec::new();
        let empty = VarMap::new();
        let names: Vec<String> = self
            .tree
            .sections
            .keys()
            .filter(|k| k.starts_with("rpcinterface:"))
            .cloned()
            .collect();
        for section in names {
            let name = section.split_once(':').map_or("", |x| x.1).to_string();
            let factory = match self.get(&section, FACTORY, &empty) {
                Ok(Some((t, v))) => {
                    self.check_import(&t, v, &section);
                    t.into_owned()
                }
                Ok(None) => {
                    let header = self
                        .tree
                        .sections
                        .get(&section)
                        .map(crate::include::Section::header)
                        .unwrap_or_default();
                    self.error(
                        Diagnostic::new(
                            Code::MissingFactory,
                            format!("`[{section}]` has no `{FACTORY}`"),
                        )
                        .at(header, "no factory")
                        .help(format!(
                            "add `{FACTORY} = supervisor.rpcinterface:make_main_rpcinterface`"
                        ))
                        .supervisord(format!("section [{section}] does not specify a {FACTORY}")),
                    );
                    continue;
                }
                Err(()) => continue,
            };
            let mut options = IndexMap::new();
            for k in self
                .tree
                .options(&section)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
            {
                if k != FACTORY {
                    if let Ok(Some((t, _))) = self.get(&section, &k, &empty) {
                        options.insert(k, t.into_owned());
                    }
                }
            }
            out.push(ir::RpcInterface {
                name,
                factory,
                options,
            });
        }
        out
    }

    fn section_header(&self, section: &str) -> Span {
        self.tree
            .sections
            .get(section)
            .map(crate::include::Section::header)
            .unwrap_or_default()
    }

    fn name_check(&mut self, section: &str, raw: &str, span: Span) -> Option<String> {
        match convert::process_or_group_name(raw) {
            Ok(n) => Some(n),
            Err(msg) => {
                self.error(
                    Diagnostic::new(
                        Code::InvalidName,
                        format!("`{raw}` in `[{section}]` is not a valid name"),
                    )
                    .at(span, Kind::Name.label())
                    .help(Kind::Name.help())
                    .supervisord(msg),
                );
                None
            }
        }
    }

    /// The span of the name part of a section header (after the first `:`).
    fn suffix_span(&self, section: &str) -> Span {
        let h = self.section_header(section);
        match section.find(':') {
            Some(i) => h.sub(i + 1, section.len()),
            None => h,
        }
    }

    fn groups(&mut self) -> Vec<ir::Group> {
        let tree: &'a Tree = self.tree;
        let all: Vec<&'a str> = tree.sections.keys().map(String::as_str).collect();
        let mut groups: Vec<ir::Group> = Vec::new();
        let mut exclude: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
        let h = self.here_vars();
        // the processes of `[group:]` members and `[program:]` sections are built after
        // the walk, one task per group, in parallel (see `run_jobs`)
        let mut jobs: Vec<Job> = Vec::new();
        let mut tasks: Vec<Task> = Vec::new();

        for section in all.iter().filter(|s| s.starts_with("group:")) {
            let suffix = section.split_once(':').map_or("", |x| x.1);
            let span = self.suffix_span(section);
            let name = self.name_check(section, suffix, span);
            let programs = match self.get(section, "programs", &h) {
                Ok(Some((t, v))) => Some((convert::list_of_strings(&t), v)),
                _ => None,
            };
            let priority = self
                .typed(section, "priority", &h, "999", Kind::Int, convert::integer)
                .unwrap_or(999);
            let first_job = jobs.len();
            if let Some((programs, v)) = programs {
                let item_spans = list_item_spans(v);
                let mut used = vec![false; item_spans.len()];
                for program in programs {
                    let ps = format!("program:{program}");
                    let fs = format!("fcgi-program:{program}");
                    let has_p = self.tree.sections.contains_key(&ps);
                    let has_f = self.tree.sections.contains_key(&fs);
                    let span = item_span(v, &program, &item_spans, &mut used);
                    if !has_p && !has_f {
                        let known: Vec<&str> = all
                            .iter()
                            .filter_map(|s| {
                                s.strip_prefix("program:")
                                    .or_else(|| s.strip_prefix("fcgi-program:"))
                            })
                            .collect();
                        let mut help = format!(
                            "add a `[program:{program}]` section, or remove `{program}` from `programs`"
                        );
                        if let Some(s) = crate::validate::did_you_mean(&program, &known) {
                            help = format!("did you mean `{s}`? {help}");
                        }
                        self.error(
                            Diagnostic::new(
                                Code::UnknownGroupMember,
                                format!("`[{section}]` lists unknown program `{program}`"),
                            )
                            .at(span, "no such program")
                            .help(help)
                            .supervisord(format!(
                                "[{section}] names unknown program or fcgi-program {program}"
                            )),
                        );
                        continue;
                    }
                    if has_p && has_f {
                        self.error(
                            Diagnostic::new(Code::AmbiguousGroupMember, format!("`{program}` in `[{section}]` is both a program and an fcgi-program"))
                                .at(span, "ambiguous")
                                .also(self.section_header(&ps), "a program")
                                .also(self.section_header(&fs), "an fcgi-program")
                                .help("rename one of the two sections")
                                .supervisord(format!("[{section}] name {program} is ambiguous (exists as program and fcgi-program)")),
                        );
                        continue;
                    }
                    let member = if has_p { ps } else { fs };
                    exclude.insert(member.clone());
                    // the section's own name, borrowed from the tree for the job
                    let member = tree_key(self.tree, &member);
                    if name.is_some() {
                        self.defer_processes(&mut jobs, member);
                    }
                }
            }
            if let Some(name) = name {
                tasks.push(Task {
                    group: groups.len(),
                    jobs: first_job..jobs.len(),
                });
                groups.push(ir::Group {
                    name,
                    kind: "group".into(),
                    section: section.to_string(),
                    priority,
                    shadowed: false,
                    processes: Vec::new(),
                    buffer_size: None,
                    events: None,
                    result_handler: None,
                    socket: None,
                });
            }
        }

        for section in all
            .iter()
            .filter(|s| s.starts_with("program:") && !exclude.contains(**s))
        {
            let suffix = section.split_once(':').map_or("", |x| x.1);
            let span = self.suffix_span(section);
            let Some(name) = self.name_check(section, suffix, span) else {
                continue;
            };
            let priority = self
                .typed(section, "priority", &h, "999", Kind::Int, convert::integer)
                .unwrap_or(999);
            self.defer_processes(&mut jobs, section);
            tasks.push(Task {
                group: groups.len(),
                jobs: jobs.len() - 1..jobs.len(),
            });
            groups.push(ir::Group {
                name,
                kind: "program".into(),
                section: section.to_string(),
                priority,
                shadowed: false,
                processes: Vec::new(),
                buffer_size: None,
                events: None,
                result_handler: None,
                socket: None,
            });
        }

        let built = self.run_jobs(&jobs, &tasks, &groups);
        for (task, processes) in tasks.iter().zip(built) {
            if let Some(g) = groups.get_mut(task.group) {
                g.processes = processes;
            }
        }

        for section in all.iter().filter(|s| s.starts_with("eventlistener:")) {
            groups.push(self.eventlistener(section, &h));
        }

        for section in all
            .iter()
            .filter(|s| s.starts_with("fcgi-program:") && !exclude.contains(**s))
        {
            groups.extend(self.fcgi(section, &h));
        }

        // Python's stable sort on (priority, name)
        groups.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        // the first group of each name (in start order) is the one the daemon keeps
        let mut first_of: std::collections::HashMap<String, String> =
            std::collections::HashMap::new();
        let mut shadowed: Vec<(String, String)> = Vec::new();
        for g in &mut groups {
            if first_of.contains_key(&g.name) {
                g.shadowed = true;
                shadowed.push((g.name.clone(), g.section.clone()));
            } else {
                first_of.insert(g.name.clone(), g.section.clone());
            }
        }
        for (name, section) in shadowed {
            let first = first_of.get(&name).cloned().unwrap_or_default();
            let d = Diagnostic::new(
                Code::ShadowedGroup,
                format!(
                    "group `{name}` from `[{section}]` is ignored: `[{first}]` has the same name"
                ),
            )
            .at(
                self.section_header(&section),
                "ignored by the running supervisord",
            )
            .also(self.section_header(&first), "this group wins")
            .help("rename one of the sections");
            self.error(d);
        }
        groups
    }

    /// Notes that `section`'s processes are to be built where the findings and warnings
    /// stand now.
    fn defer_processes(&mut self, jobs: &mut Vec<Job<'a>>, section: &'a str) {
        jobs.push(Job {
            section,
            diags_at: self.diags.len(),
            warnings_at: self.warnings.len(),
        });
    }

    /// Builds the processes of every task (a group: its members' in order, in one list),
    /// on up to two threads when there are many, and puts each job's findings and warnings
    /// where it was deferred: the result is the same as building them one after the other
    /// in the walk.
    fn run_jobs(
        &mut self,
        jobs: &[Job<'a>],
        tasks: &[Task],
        groups: &[ir::Group],
    ) -> Vec<Vec<ir::Process>> {
        let threads = if jobs.len() >= PARALLEL_JOBS {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(self.threads))
        } else {
            1
        };
        let next = AtomicUsize::new(0);
        let template = self.diags.empty_like();
        // each worker takes the next task until none is left: groups differ in size
        let work = |w: &mut Lowerer<'_>| {
            let mut done = Vec::new();
            loop {
                let t = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(t) else {
                    break;
                };
                let group = groups.get(task.group).map_or("", |g| g.name.as_str());
                let mut processes = Vec::new();
                let mut found = Vec::new();
                for j in task.jobs.clone() {
                    let Some(job) = jobs.get(j) else {
                        continue;
                    };
                    let mine = w.processes(job.section, group);
                    if processes.is_empty() {
                        processes = mine;
                    } else {
                        processes.extend(mine);
                    }
                    let diags = if w.diags.is_empty() {
                        Vec::new()
                    } else {
                        std::mem::replace(&mut *w.diags, template.empty_like()).into_vec()
                    };
                    found.push((diags, std::mem::take(&mut w.warnings)));
                }
                if task.jobs.len() > 1 {
                    // the members' processes were appended one program at a time
                    processes.shrink_to_fit();
                }
                done.push((t, processes, found));
            }
            done
        };
        let tree = self.tree;
        let env = self.env;
        let fragment = self.fragment;
        let most = self.threads;
        let mut outputs: Vec<_> = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads)
                .map(|_| {
                    let environ = self.environ.clone();
                    // its own copy: a shared reference count would bounce between CPUs
                    let sup_env = ir::Shared::new((*self.sup_env).clone());
                    let mut sink = template.empty_like();
                    let work = &work;
                    crate::threads::spawn_running(scope, move || {
                        let mut w = Lowerer {
                            reuse: Reuse::default(),
                            last_section: None,
                            tree,
                            env,
                            fragment,
                            threads: most,
                            diags: &mut sink,
                            warnings: Vec::new(),
                            environ,
                            sup_env,
                        };
                        work(&mut w)
                    })
                })
                .collect();
            let mut sink = template.empty_like();
            let mut own = Lowerer {
                reuse: std::mem::take(&mut self.reuse),
                last_section: None,
                tree,
                env,
                fragment,
                threads: most,
                diags: &mut sink,
                warnings: Vec::new(),
                environ: std::mem::take(&mut self.environ),
                sup_env: self.sup_env.clone(),
            };
            let mut all = work(&mut own);
            self.environ = std::mem::take(&mut own.environ);
            self.reuse = std::mem::take(&mut own.reuse);
            // (a helper that could not be made took no task: this thread did them all)
            for h in helpers.into_iter().flatten() {
                match crate::threads::join(h) {
                    Ok(done) => all.extend(done),
                    // a panic in a helper is a bug: let it surface as it would have here
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            all
        });
        outputs.sort_unstable_by_key(|o| o.0);
        let mut inserts = Vec::new();
        let mut warnings = Vec::new();
        let mut built = Vec::with_capacity(outputs.len());
        for ((_, processes, found), task) in outputs.into_iter().zip(tasks) {
            for ((diags, more), job) in found
                .into_iter()
                .zip(jobs.get(task.jobs.clone()).unwrap_or(&[]))
            {
                if !diags.is_empty() {
                    inserts.push((job.diags_at, diags));
                }
                if !more.is_empty() {
                    warnings.push((job.warnings_at, more));
                }
            }
            built.push(processes);
        }
        self.diags.splice(inserts);
        if !warnings.is_empty() {
            let old = std::mem::take(&mut self.warnings);
            let mut old = old.into_iter().enumerate().peekable();
            for (at, more) in warnings {
                while let Some((_, w)) = old.next_if(|(i, _)| *i < at) {
                    self.warnings.push(w);
                }
                self.warnings.extend(more);
            }
            self.warnings.extend(old.map(|(_, w)| w));
        }
        built
    }

    fn eventlistener(&mut self, section: &str, h: &VarMap) -> ir::Group {
        let pool_name = section.split_once(':').map_or("", |x| x.1).to_string();
        let priority = self
            .typed(section, "priority", h, "-1", Kind::Int, convert::integer)
            .unwrap_or(-1);
        let buffer_size = match self.get(section, "buffer_size", h) {
            Ok(got) => {
                let v = got.as_ref().map(|g| g.1);
                let n = self.conv(
                    section,
                    "buffer_size",
                    got,
                    "10",
                    Kind::Int,
                    convert::integer,
                );
                if let Some(n) = n.filter(|n| *n < 1) {
                    let span = v.map_or(self.section_header(section), super::include::Value::span);
                    self.error(
                        Diagnostic::new(
                            Code::InvalidBufferSize,
                            format!("`buffer_size` of `[{section}]` is {n}"),
                        )
                        .at(span, "must be at least 1")
                        .help("set `buffer_size` to 1 or more (default 10)")
                        .supervisord(format!(
                            "[{section}] section sets invalid buffer_size ({n})"
                        )),
                    );
                }
                n
            }
            Err(()) => None,
        };
        let result_handler = match self.get(section, "result_handler", h) {
            Ok(Some((t, v))) => {
                self.check_import(&t, v, section);
                t.into_owned()
            }
            _ => "supervisor.dispatchers:default_handler".to_string(),
        };
        let mut events = Vec::new();
        if let Ok(got) = self.get(section, "events", h) {
            let (text, v) = got.map_or((String::new(), None), |(t, v)| (t.into_owned(), Some(v)));
            let mut names: Vec<String> = Vec::new();
            for e in convert::list_of_strings(&text) {
                let up = e.to_uppercase();
                if !names.contains(&up) {
                    names.push(up);
                }
            }
            if names.is_empty() {
                let span = v.map_or(self.section_header(section), Value::span);
                self.error(
                    Diagnostic::new(
                        Code::MissingEvents,
                        format!("`[{section}]` subscribes to no events"),
                    )
                    .at(span, "`events` missing or empty")
                    .help("add `events = PROCESS_STATE` (or the event types the listener handles)")
                    .supervisord(format!("[{section}] section requires an \"events\" line")),
                );
            }
            for n in &names {
                if !convert::event_type(n) {
                    let span = v.map_or(self.section_header(section), |v| {
                        let spans: Vec<(String, Span)> = list_item_spans(v)
                            .into_iter()
                            .map(|(t, sp)| (python::upper(&t), sp))
                            .collect();
                        item_span(v, n, &spans, &mut vec![false; spans.len()])
                    });
                    self.error(
                        Diagnostic::new(Code::UnknownEventType, format!("unknown event type `{n}` in `[{section}]`"))
                            .at(span, "unknown event type")
                            .help("use an event type such as `PROCESS_STATE`, `PROCESS_STATE_EXITED` or `TICK_60`")
                            .supervisord(format!("Unknown event type {n} in [{section}] events")),
                    );
                }
            }
            names.sort();
            events = names;
        }
        if let Ok(got) = self.get(section, "redirect_stderr", h) {
            let v = got.as_ref().map(|g| g.1);
            if self.conv(
                section,
                "redirect_stderr",
                got,
                "false",
                Kind::Bool,
                convert::boolean,
            ) == Some(true)
            {
                let span = v.map_or(self.section_header(section), super::include::Value::span);
                self.error(
                    Diagnostic::new(Code::ListenerRedirectStderr, format!("`redirect_stderr=true` in `[{section}]`"))
                        .at(span, "not allowed for event listeners")
                        .help("remove `redirect_stderr` and log stderr with `stderr_logfile`")
                        .supervisord(format!("[{section}] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol")),
                );
            }
        }
        let processes = self.processes(section, &pool_name);
        ir::Group {
            name: pool_name,
            kind: "eventlistener".into(),
            section: section.to_string(),
            priority,
            shadowed: false,
            processes,
            buffer_size: Some(buffer_size.unwrap_or(10)),
            events: Some(events),
            result_handler: Some(result_handler),
            socket: None,
        }
    }

    fn fcgi(&mut self, section: &str, h: &VarMap) -> Option<ir::Group> {
        let suffix = section.split_once(':').map_or("", |x| x.1);
        let span = self.suffix_span(section);
        let program_name = self.name_check(section, suffix, span);
        let priority = self
            .typed(section, "priority", h, "999", Kind::Int, convert::integer)
            .unwrap_or(999);
        let proc_uid = match self.get(section, "user", h) {
            Ok(Some((t, _))) => self.lookup_user(&t, section, "user"),
            _ => None,
        };
        let backlog = match self.get(section, "socket_backlog", h) {
            Ok(Some((t, v))) => match convert::integer(&t) {
                Ok(n) if (1..=65535).contains(&n) => Some(n),
                Ok(n) => {
                    self.socket_error(
                        section,
                        v,
                        &format!("Invalid socket_backlog value {n}"),
                        "backlog must be 1..65535",
                    );
                    None
                }
                Err(msg) => {
                    self.report_conv(section, "socket_backlog", v, Kind::Int, &msg);
                    None
                }
            },
            _ => None,
        };
        let owner = match self.get(section, "socket_owner", h) {
            Ok(Some((t, v))) => Some(self.user_group(&t, v, "Invalid socket_owner value")),
            _ => None,
        };
        let mode = match self.get(section, "socket_mode", h) {
            Ok(Some((t, v))) => {
                if let Ok(m) = convert::octal_type(&t) {
                    Some(m)
                } else {
                    self.socket_error(
                        section,
                        v,
                        &format!("Invalid socket_mode value {t}"),
                        "not an octal number",
                    );
                    None
                }
            }
            _ => None,
        };
        let mut local = h.clone();
        if let Some(n) = &program_name {
            local.set("program_name", n);
        }
        let sock = match self.get(section, "socket", &local) {
            Ok(Some((t, v))) if !t.is_empty() => Some((t, v)),
            Ok(_) => {
                let span = self
                    .tree
                    .get(section, "socket")
                    .map_or(self.section_header(section), Value::span);
                self.error(
                    Diagnostic::new(
                        Code::MissingSocket,
                        format!("`[{section}]` has no `socket`"),
                    )
                    .at(span, "`socket` missing or empty")
                    .help("add `socket = unix:///run/NAME.sock` or `socket = tcp://127.0.0.1:9000`")
                    .supervisord(format!("[{section}] section requires a \"socket\" line")),
                );
                None
            }
            Err(()) => None,
        };
        let socket = sock.and_then(|(t, v)| {
            self.fcgi_socket(section, &t, v, proc_uid, owner.flatten(), mode, backlog)
        });
        let name = program_name?;
        let processes = self.processes(section, &name);
        Some(ir::Group {
            name,
            kind: "fcgi-program".into(),
            section: section.to_string(),
            priority,
            shadowed: false,
            processes,
            buffer_size: None,
            events: None,
            result_handler: None,
            socket,
        })
    }

    fn socket_error(&mut self, section: &str, v: &Value, msg: &str, label: &str) {
        self.socket_error_plain(section, v, msg, msg, label);
    }

    /// `plain` is what we say; `msg` is what supervisord says (two of its socket
    /// messages are printed as a raw Python tuple).
    fn socket_error_plain(
        &mut self,
        section: &str,
        v: &Value,
        plain: &str,
        msg: &str,
        label: &str,
    ) {
        self.error(
            Diagnostic::new(
                Code::InvalidSocket,
                format!("`socket` of `[{section}]`: {plain}"),
            )
            .at(v.span(), label.to_string())
            .help("write `socket = unix:///absolute/path.sock` or `socket = tcp://host:port`")
            .supervisord(format!("{msg} in [{section}] socket")),
        );
    }

    #[allow(clippy::too_many_arguments)] // mirrors supervisord's parse_fcgi_socket
    fn fcgi_socket(
        &mut self,
        section: &str,
        sock: &str,
        v: &Value,
        proc_uid: Option<i64>,
        owner: Option<(i64, i64)>,
        mode: Option<i64>,
        backlog: Option<i64>,
    ) -> Option<ir::FcgiSocket> {
        if let Some(path) = sock.strip_prefix("unix://") {
            if !path.starts_with('/') {
                self.socket_error_plain(
                    section,
                    v,
                    &format!("unix socket path `{path}` is not absolute"),
                    &format!(
                        "('Unix socket path %s is not an absolute path', {})",
                        python::repr(path)
                    ),
                    "not an absolute path",
                );
                return None;
            }
            let path = python::normpath(&absolute(&self.env.cwd, &self.expanduser(path)));
            let owner = owner.or_else(|| {
                let me = i64::from(nix::unistd::getuid().as_raw());
                proc_uid.filter(|u| *u != me).map(|u| (u, gid_for_uid(u)))
            });
            return Some(ir::FcgiSocket {
                url: format!("unix://{path}"),
                family: "unix".into(),
                path: Some(path),
                host: None,
                port: None,
                mode: Some(octal(mode.unwrap_or(0o700))),
                owner,
                backlog,
            });
        }
        if owner.is_some() || mode.is_some() {
            self.socket_error(
                section,
                v,
                "socket_owner and socket_mode params should only be used with a Unix domain socket",
                "not a unix socket",
            );
            return None;
        }
        if let Some(rest) = sock.strip_prefix("tcp://") {
            let rest = rest.strip_suffix('\n').unwrap_or(rest);
            if let Some((host, port)) = rest.rsplit_once(':') {
                let host_ok =
                    !host.is_empty() && !host.contains(':') && !host.chars().any(python::is_space);
                let port_ok = !port.is_empty() && port.chars().all(char::is_numeric);
                if host_ok && port_ok {
                    return match convert::port_number(port) {
                        Ok(p) => Some(ir::FcgiSocket {
                            url: format!("tcp://{}:{p}", python::lower(host)),
                            family: "inet".into(),
                            path: None,
                            host: Some(python::lower(host)),
                            port: Some(i64::from(p)),
                            mode: None,
                            owner: None,
                            backlog,
                        }),
                        Err(msg) => {
                            self.socket_error(section, v, &msg, "port out of range");
                            None
                        }
                    };
                }
            }
        }
        self.socket_error_plain(
            section,
            v,
            &format!("`{sock}` is neither `unix:///PATH` nor `tcp://HOST:PORT`"),
            &format!("('Bad socket format %s', {})", python::repr(sock)),
            "not `unix://PATH` or `tcp://HOST:PORT`",
        );
        None
    }

    /// `colon_separated_user_group`; lookups only with `--host`.
    fn user_group(&mut self, text: &str, v: &Value, prefix: &str) -> Option<(i64, i64)> {
        let (u, g) = match text.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (text, None),
        };
        if !self.env.host_checks {
            return Some((
                python::int(u).unwrap_or(65534),
                g.map_or(-1, |g| python::int(g).unwrap_or(65534)),
            ));
        }
        let uid = lookup_uid(u);
        let gid = match g {
            None => Some(-1),
            Some(g) => lookup_gid(g),
        };
        if let (Some(u), Some(g)) = (uid, gid) {
            Some((u, g))
        } else {
            self.error(
                Diagnostic::new(
                    Code::InvalidOwner,
                    format!("`{text}` is not an existing user[:group] on this host"),
                )
                .at(v.span(), "unknown user or group")
                .help("create the account, or use one that exists")
                .supervisord(format!("{prefix} {text}")),
            );
            None
        }
    }

    /// supervisord imports rpcinterface factories and result handlers while it reads the
    /// config. With `--host`, ask the host's Python (`Env::python`) to import the spec.
    fn check_import(&mut self, spec: &str, v: &Value, section: &str) {
        let Some(python) = self.env.python.as_deref().filter(|_| self.env.host_checks) else {
            return;
        };
        let (module, attr) = spec.split_once(':').unwrap_or((spec, ""));
        let script = "import importlib,sys\nm=importlib.import_module(sys.argv[1])\nfor a in filter(None, sys.argv[2].split('.')):\n    m=getattr(m,a)";
        let ok = std::process::Command::new(python)
            .args(["-c", script, module, attr])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success());
        if matches!(ok, Ok(false)) {
            self.error(
                Diagnostic::new(Code::UnresolvableImport, format!("`{spec}` cannot be imported on this host"))
                    .at(v.span(), format!("not importable by {}", python.display()))
                    .help("install the package that provides it in supervisord's Python, or correct the spec")
                    .supervisord(format!("{spec} cannot be resolved within [{section}]")),
            );
        }
    }

    /// `name_to_uid`; an unknown user is a finding only with `--host`.
    fn lookup_user(&mut self, name: &str, section: &str, key: &str) -> Option<i64> {
        if let Some(uid) = lookup_uid(name) {
            return Some(uid);
        }
        if self.env.host_checks {
            let span = self
                .tree
                .get(section, key)
                .map_or(self.section_header(section), Value::span);
            let msg = if python::int(name).is_ok() {
                format!("Invalid user id {name}")
            } else {
                format!("Invalid user name {name}")
            };
            self.error(
                Diagnostic::new(
                    Code::UnknownUser,
                    format!("user `{name}` does not exist on this host"),
                )
                .at(span, "unknown user")
                .help("create the user, or correct the name")
                .supervisord(msg),
            );
        }
        None
    }

    fn processes(&mut self, section: &str, group_name: &str) -> Vec<ir::Process> {
        let suffix = section.split_once(':').map_or("", |x| x.1);
        let span = self.suffix_span(section);
        let Some(program_name) = self.name_check(section, suffix, span) else {
            return Vec::new();
        };
        let (tree, env) = (self.tree, self.env);
        let common = ProcessVars {
            here: &tree.here,
            program_name: &program_name,
            host_node_name: &env.hostname,
            group_name,
            nums: None,
            env: Vec::new(),
        };
        let c = &common;
        let s = section;
        let priority = self.typed(s, "priority", c, "999", Kind::Int, convert::integer);
        let autostart = self.typed(s, "autostart", c, "true", Kind::Bool, convert::boolean);
        let autorestart = self.typed(
            s,
            "autorestart",
            c,
            "unexpected",
            Kind::AutoRestart,
            convert::auto_restart,
        );
        let startsecs = self.typed(s, "startsecs", c, "1", Kind::Int, convert::integer);
        let startretries = self.typed(s, "startretries", c, "3", Kind::Int, convert::integer);
        let stopsignal = self.typed(
            s,
            "stopsignal",
            c,
            "TERM",
            Kind::Signal,
            convert::signal_number,
        );
        let stopwaitsecs = self.typed(s, "stopwaitsecs", c, "10", Kind::Int, convert::integer);
        let stopasgroup = self.typed(s, "stopasgroup", c, "false", Kind::Bool, convert::boolean);
        let sag_default = if stopasgroup == Some(true) {
            "true"
        } else {
            "false"
        };
        let killasgroup = self.typed(
            s,
            "killasgroup",
            c,
            sag_default,
            Kind::Bool,
            convert::boolean,
        );
        let exitcodes = self.typed(
            s,
            "exitcodes",
            c,
            "0",
            Kind::ExitCodes,
            convert::list_of_exitcodes,
        );
        let redirect_stderr = self.typed(
            s,
            "redirect_stderr",
            c,
            "false",
            Kind::Bool,
            convert::boolean,
        );
        let numprocs = self.typed(s, "numprocs", c, "1", Kind::Int, convert::integer);
        let numprocs_start = self.typed(s, "numprocs_start", c, "0", Kind::Int, convert::integer);
        let environment_raw = self.get_with(s, "environment", c, false).ok().flatten();
        let stdout_cmax = self.typed(
            s,
            "stdout_capture_maxbytes",
            c,
            "0",
            Kind::Bytes,
            convert::byte_size,
        );
        let stdout_events = self.typed(
            s,
            "stdout_events_enabled",
            c,
            "false",
            Kind::Bool,
            convert::boolean,
        );
        let stderr_cmax = self.typed(
            s,
            "stderr_capture_maxbytes",
            c,
            "0",
            Kind::Bytes,
            convert::byte_size,
        );
        let stderr_events = self.typed(
            s,
            "stderr_events_enabled",
            c,
            "false",
            Kind::Bool,
            convert::boolean,
        );
        let serverurl = match self.get(s, "serverurl", c) {
            Ok(Some((t, _))) => {
                if !t.is_empty() && python::upper(python::strip(&t)) == "AUTO" {
                    None
                } else {
                    Some(t.into_owned())
                }
            }
            _ => None,
        };
        let (user, uid) = match self.get(s, "user", c) {
            Ok(Some((t, _))) => {
                let uid = self.lookup_user(&t, s, "user");
                (Some(t.into_owned()), uid)
            }
            _ => (None, None),
        };
        let umask = match self.get(s, "umask", c) {
            Ok(Some((t, v))) => self.conv(
                s,
                "umask",
                Some((t, v)),
                "",
                Kind::Octal,
                convert::octal_type,
            ),
            _ => None,
        };
        let pn_value = self.value(s, "process_name").cloned();
        let process_name_raw = pn_value
            .as_ref()
            .map_or_else(|| "%(program_name)s".to_string(), |v| v.text.to_string());
        let pn_span = pn_value
            .as_ref()
            .map_or(self.section_header(s), Value::span);
        let process_name = self.name_check(s, &process_name_raw, pn_span);

        let numprocs = numprocs.unwrap_or(1);
        if numprocs > 1 {
            if let Some(pn) = &process_name {
                if !pn.contains("%(process_num)") {
                    let np_span = self.tree.get(s, "numprocs").map_or(pn_span, Value::span);
                    self.error(
                        Diagnostic::new(Code::ProcessNumMissing, format!("`[{s}]` runs {numprocs} processes but `process_name` does not contain `%(process_num)`"))
                            .at(pn_span, "every process would get this same name")
                            .also(np_span, "numprocs set here")
                            .help("add `%(process_num)02d` to `process_name`, e.g. `process_name=%(program_name)s_%(process_num)02d`")
                            .supervisord("%(process_num) must be present within process_name when numprocs > 1"),
                    );
                }
            }
        }
        if stopasgroup == Some(true) && killasgroup == Some(false) {
            let span = self
                .tree
                .get(s, "killasgroup")
                .map_or(self.section_header(s), Value::span);
            let mut d = Diagnostic::new(
                Code::StopAsGroupWithoutKillAsGroup,
                format!("`[{s}]` sets `stopasgroup=true` and `killasgroup=false`"),
            )
            .at(span, "conflicts with stopasgroup")
            .help("remove `killasgroup` (it follows `stopasgroup`) or set it to true")
            .supervisord("Cannot set stopasgroup=true and killasgroup=false");
            if let Some(v) = self.tree.get(s, "stopasgroup") {
                d = d.also(v.span(), "stopasgroup set here");
            }
            self.error(d);
        }

        let start = numprocs_start.unwrap_or(0);
        let mut out = Vec::new();
        let mut local = common;
        // the environment does not change while processes are built: lend it out
        let base = std::mem::take(&mut self.environ);
        // every key read per process is looked up once; a value without `%` expands to
        // itself for every process, so what is made of it is computed once (a finding
        // about it would repeat word for word, and `Diagnostics` keeps one)
        let directory_v = self.value(s, "directory");
        let command_v = self.value(s, "command");
        let stderr_v = self.value(s, "stderr_logfile");
        let stdout_keys = LogKeys::new(tree, self.section(s), "stdout");
        let stderr_keys = LogKeys::new(tree, self.section(s), "stderr");
        let mut stdout_memo = LogMemo::default();
        let mut stderr_memo = LogMemo::default();
        let mut directory_memo: Memo<ir::Shared<str>> = Memo::Unknown;
        let mut command_memo: Memo<ir::Shared<str>> = Memo::Unknown;
        // the last environment text parsed, and the whole environment it gives
        let mut env_memo: Option<(String, ir::Shared<IndexMap<String, String>>)> = None;
        // what every process of the section shares
        let section_name: ir::Shared<str> = ir::Shared::from(s);
        let umask = umask.map(|u| ir::Shared::from(octal(u)));
        let autorestart = self
            .reuse
            .text(match autorestart.unwrap_or(AutoRestart::Unexpected) {
                AutoRestart::True => "true",
                AutoRestart::False => "false",
                AutoRestart::Unexpected => "unexpected",
            });
        let exitcodes = self.reuse.exitcodes(exitcodes.unwrap_or_else(|| vec![0]));
        let stopsignal = match stopsignal {
            None => ir::Signal::Name(self.reuse.text("TERM")),
            Some(n) => match convert::signal_name(n) {
                Some(name) => ir::Signal::Name(self.reuse.text(name)),
                None => ir::Signal::Number(i64::from(n)),
            },
        };
        let user = user.map(ir::Shared::from);
        let serverurl = serverurl.map(ir::Shared::from);
        // the log paths of the previous process, reused when they are the same
        let mut stdout_last: Option<(LogFile, ir::Shared<str>)> = None;
        let mut stderr_last: Option<(LogFile, ir::Shared<str>)> = None;
        for process_num in start..start.saturating_add(numprocs.max(0)) {
            local.nums = Some((process_num, numprocs));
            // (`sup_env` is cloned only when the program's own environment is not used: a
            // reference count that both threads change would bounce between their CPUs)
            let mut environment = None;
            if let Some((raw, v)) = &environment_raw {
                let scope = Scope {
                    base: &base,
                    local: &local,
                };
                if let Ok(text) = self.expand_again(raw, v, "environment", &scope) {
                    // most programs expand to the same text for every process: parse it once
                    if let Some((_, e)) = env_memo.as_ref().filter(|(t, _)| **t == *text) {
                        // the `ENV_*` names it defines were set by the process that parsed it,
                        // and only a process that parses another text sets others
                        environment = Some(e.clone());
                    } else {
                        match convert::dict_of_key_value_pairs(&text) {
                            Ok(pairs) => {
                                let mut whole = (*self.sup_env).clone();
                                for (k, val) in pairs {
                                    local.set_env(&k, &val);
                                    whole.insert(k, val);
                                }
                                let whole = ir::Shared::new(whole);
                                env_memo = Some((text.into_owned(), whole.clone()));
                                environment = Some(whole);
                            }
                            Err(msg) => {
                                self.report_conv(s, "environment", v, Kind::Environment, &msg);
                            }
                        }
                    }
                }
            }
            let environment = environment.unwrap_or_else(|| self.sup_env.clone());
            let scope_base = &base;
            let directory = if let Memo::Known(d) = &directory_memo {
                d.clone()
            } else {
                let d = directory_v.and_then(|v| {
                    let d = self.expand_value(s, "directory", v, scope_base, &local)?;
                    Some(self.reuse.text(&d))
                });
                if directory_v.is_none_or(|v| !v.text.contains('%')) {
                    directory_memo = Memo::Known(d.clone());
                }
                d
            };
            let stdout = self.logfile(
                s,
                "stdout",
                &stdout_keys,
                &mut stdout_memo,
                scope_base,
                &local,
            );
            let stderr = self.logfile(
                s,
                "stderr",
                &stderr_keys,
                &mut stderr_memo,
                scope_base,
                &local,
            );
            let mut stderr = stderr;
            if redirect_stderr == Some(true) {
                if !matches!(stderr.file, LogFile::Auto | LogFile::None) {
                    self.warnings.push(format!("For [{s}], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored"));
                    if let Some(v) = stderr_v {
                        let d = Diagnostic::new(
                            Code::RedirectedStderrLogfile,
                            format!("`stderr_logfile` of `[{s}]` is ignored"),
                        )
                        .at(v.span(), "ignored: stderr goes to the stdout log")
                        .help("remove `stderr_logfile`, or set `redirect_stderr=false`");
                        self.error(d);
                    }
                }
                stderr.file = LogFile::None;
            }
            let command = match command_v {
                None => {
                    self.error(
                        Diagnostic::new(Code::MissingCommand, format!("`[{s}]` has no `command`"))
                            .at(self.section_header(s), "program without a command")
                            .help("add `command = /path/to/program --args`")
                            .supervisord(format!("program section {s} does not specify a command")),
                    );
                    None
                }
                Some(v) => {
                    if let Memo::Known(c) = &command_memo {
                        c.clone()
                    } else {
                        let c = self
                            .expand_value(s, "command", v, scope_base, &local)
                            .map(|c| ir::Shared::from(c.as_ref()));
                        if !v.text.contains('%') {
                            command_memo = Memo::Known(c.clone());
                        }
                        c
                    }
                }
            };
            let name = match &process_name {
                Some(pn) => {
                    let scope = Scope {
                        base: scope_base,
                        local: &local,
                    };
                    match (&pn_value, expand::expand(pn, &scope)) {
                        (_, Ok(n)) => {
                            // kept for the whole run: no room to spare (20,000 at 5000 programs)
                            let mut n = n.into_owned();
                            n.shrink_to_fit();
                            Some(n)
                        }
                        (Some(v), Err(e)) => {
                            let names = scope_names(&scope);
                            report_expand_error(&e, v, "process_name", &names, self.diags);
                            None
                        }
                        (None, Err(_)) => None,
                    }
                }
                None => None,
            };
            let (Some(command), Some(name)) = (command, name) else {
                continue;
            };
            let stdout_logfile = shared_log_path(&mut stdout_last, stdout.file);
            let stderr_logfile = shared_log_path(&mut stderr_last, stderr.file);
            out.push(ir::Process {
                name,
                section: section_name.clone(),
                command,
                directory,
                umask: umask.clone(),
                priority: priority.unwrap_or(999),
                autostart: autostart.unwrap_or(true),
                autorestart: autorestart.clone(),
                startsecs: startsecs.unwrap_or(1),
                startretries: startretries.unwrap_or(3),
                exitcodes: exitcodes.clone(),
                stopsignal: stopsignal.clone(),
                stopwaitsecs: stopwaitsecs.unwrap_or(10),
                stopasgroup: stopasgroup.unwrap_or(false),
                killasgroup: killasgroup.unwrap_or(false),
                user: user.clone(),
                uid,
                redirect_stderr: redirect_stderr.unwrap_or(false),
                stdout_logfile,
                stdout_logfile_maxbytes: stdout.maxbytes,
                stdout_logfile_backups: stdout.backups,
                stdout_capture_maxbytes: stdout_cmax.unwrap_or(0),
                stdout_events_enabled: stdout_events.unwrap_or(false),
                stdout_syslog: stdout.syslog,
                stderr_logfile,
                stderr_logfile_maxbytes: stderr.maxbytes,
                stderr_logfile_backups: stderr.backups,
                stderr_capture_maxbytes: stderr_cmax.unwrap_or(0),
                stderr_events_enabled: stderr_events.unwrap_or(false),
                stderr_syslog: stderr.syslog,
                environment,
                serverurl: serverurl.clone(),
            });
        }
        self.environ = base;
        out.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    }

    /// `get` with a base other than the live environ (per-process scopes), for a value
    /// already looked up.
    fn expand_value(
        &mut self,
        section: &str,
        key: &str,
        v: &'a Value,
        base: &VarMap,
        local: &dyn Vars,
    ) -> Option<Cow<'a, str>> {
        let scope = Scope { base, local };
        match expand::expand(&v.text, &scope) {
            Ok(t) => Some(t),
            Err(e) => {
                let names = scope_names(&scope);
                report_expand_error(&e, v, &format!("{section}.{key}"), &names, self.diags);
                None
            }
        }
    }

    /// One channel's log settings for one process. What does not depend on the process
    /// (values without `%`) is kept in `memo` by the first process and reused.
    fn logfile(
        &mut self,
        s: &str,
        channel: &str,
        keys: &LogKeys<'a>,
        memo: &mut LogMemo,
        base: &VarMap,
        local: &dyn Vars,
    ) -> LogSettings {
        let (lf_key, bu_key, mb_key, sy_key) = log_key_names(channel);
        let mut file = match (&memo.file, keys.file) {
            (Some(f), _) => f.clone(),
            (None, None) => LogFile::Auto,
            (None, Some(v)) => {
                let mut file = LogFile::Auto;
                if let Some(once) = self.expand_value(s, lf_key, v, base, local) {
                    let scope = Scope { base, local };
                    if let Ok(twice) = self.expand_again(&once, v, lf_key, &scope) {
                        file = if let Some(special) = convert::special_logfile_name(&twice) {
                            special
                        } else {
                            // the text expanded once or twice is the path: kept, not copied
                            let p = if twice.starts_with('~') {
                                self.expanduser(&twice)
                            } else {
                                match twice {
                                    Cow::Owned(p) => p,
                                    Cow::Borrowed(_) => once.into_owned(),
                                }
                            };
                            if self.env.host_checks {
                                self.check_dir(&p, false, Some(v), &format!("`{lf_key}`"));
                            }
                            LogFile::Path(p)
                        };
                    }
                }
                if !v.text.contains('%') {
                    memo.file = Some(file.clone());
                }
                file
            }
        };
        let backups = self
            .typed_memo(
                s,
                bu_key,
                keys.backups,
                (base, local),
                "10",
                Kind::Int,
                convert::integer,
                &mut memo.backups,
            )
            .unwrap_or(10);
        let maxbytes = self
            .typed_memo(
                s,
                mb_key,
                keys.maxbytes,
                (base, local),
                "50MB",
                Kind::Bytes,
                convert::byte_size,
                &mut memo.maxbytes,
            )
            .unwrap_or(52_428_800);
        let mut syslog = self
            .typed_memo(
                s,
                sy_key,
                keys.syslog,
                (base, local),
                "false",
                Kind::Bool,
                convert::boolean,
                &mut memo.syslog,
            )
            .unwrap_or(false);
        if matches!(file, LogFile::Syslog) {
            self.warnings.push(format!(
                "For [{s}], {lf_key}=syslog but this is deprecated and will be removed.  Use {sy_key}=true to enable syslog instead."
            ));
            if let Some(v) = keys.file {
                let d = Diagnostic::new(
                    Code::DeprecatedSyslogLogfile,
                    format!("`{lf_key}=syslog` is deprecated"),
                )
                .at(v.span(), "deprecated")
                .help(format!(
                    "write `{sy_key}=true` and `{lf_key}=NONE` (or a file)"
                ));
                self.error(d);
            }
            file = LogFile::None;
            syslog = true;
        }
        if matches!(file, LogFile::Auto) && maxbytes == 0 {
            self.warnings.push(format!(
                "For [{s}], AUTO logging used for {lf_key} without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally"
            ));
            let span = keys.maxbytes.map_or(self.section_header(s), Value::span);
            let d = Diagnostic::new(
                Code::AutoLogWithoutRollover,
                format!("AUTO `{lf_key}` of `[{s}]` has no size limit"),
            )
            .at(span, "0 disables rotation")
            .help(format!(
                "set `{channel}_logfile_maxbytes` above 0, or name a log file"
            ));
            self.error(d);
        }
        LogSettings {
            file,
            backups,
            maxbytes,
            syslog,
        }
    }

    /// `typed` for a per-process key already looked up (`v`), in the process's scope
    /// (`base`, `local`). An absent value or one without `%` is the same for every
    /// process: its result is kept in `memo` and reused.
    #[allow(clippy::too_many_arguments)] // a scoped, memoised twin of `typed`
    fn typed_memo<T: Clone>(
        &mut self,
        section: &str,
        key: &str,
        v: Option<&'a Value>,
        (base, local): (&VarMap, &dyn Vars),
        default: &str,
        kind: Kind,
        f: impl Fn(&str) -> Result<T, String>,
        memo: &mut Memo<T>,
    ) -> Option<T> {
        if let Memo::Known(m) = memo {
            return m.clone();
        }
        let result = match v {
            None => f(default).ok(),
            Some(v) => match self.expand_value(section, key, v, base, local) {
                None => None,
                Some(text) => self.conv(section, key, Some((text, v)), default, kind, f),
            },
        };
        if v.is_none_or(|v| !v.text.contains('%')) {
            *memo = Memo::Known(result.clone());
        }
        result
    }

    fn servers(&mut self) -> Vec<ir::HttpServer> {
        let mut out = Vec::new();
        let empty = VarMap::new();
        let sections: Vec<String> = self.tree.sections.keys().cloned().collect();
        for section in sections
            .iter()
            .filter(|s| s.starts_with("inet_http_server"))
        {
            let name = section.split_once(':').map(|x| x.1.to_string());
            let (username, password) = self.auth(section);
            let port = match self.get(section, "port", &empty) {
                Ok(Some((t, v))) => match convert::inet_address(&t) {
                    Ok(hp) => Some(hp),
                    Err(msg) => {
                        self.report_conv(section, "port", v, Kind::Port, &msg);
                        None
                    }
                },
                Ok(None) => {
                    self.error(
                        Diagnostic::new(
                            Code::MissingServerAddress,
                            format!("`[{section}]` has no `port`"),
                        )
                        .at(self.section_header(section), "no port to listen on")
                        .help("add `port = 127.0.0.1:9001`")
                        .supervisord(format!("section [{section}] has no port value")),
                    );
                    None
                }
                Err(()) => None,
            };
            let (host, port) = port.map_or((String::new(), 0), |(h, p)| (h, i64::from(p)));
            out.push(ir::HttpServer {
                section: section.clone(),
                name,
                family: "inet".into(),
                host: Some(host),
                port: Some(port),
                file: None,
                chmod: None,
                chown: None,
                username,
                password,
            });
        }
        for section in sections
            .iter()
            .filter(|s| s.starts_with("unix_http_server"))
        {
            let name = section.split_once(':').map(|x| x.1.to_string());
            let h = self.here_vars();
            let file = match self.get(section, "file", &h) {
                Ok(Some((t, _))) => Some(python::normpath(&absolute(
                    &self.env.cwd,
                    &self.expanduser(python::strip(&t)),
                ))),
                Ok(None) => {
                    self.error(
                        Diagnostic::new(
                            Code::MissingServerAddress,
                            format!("`[{section}]` has no `file`"),
                        )
                        .at(self.section_header(section), "no socket file")
                        .help("add `file = /run/supervisor.sock`")
                        .supervisord(format!("section [{section}] has no file value")),
                    );
                    None
                }
                Err(()) => None,
            };
            let (username, password) = self.auth(section);
            let chown = match self.get(section, "chown", &empty) {
                Ok(Some((t, v))) => self.user_group(&t, v, "Invalid sockchown value"),
                _ => Some((-1, -1)),
            };
            let chmod = match self.get(section, "chmod", &empty) {
                Ok(Some((t, v))) => {
                    if let Ok(m) = convert::octal_type(&t) {
                        m
                    } else {
                        self.report_conv(
                            section,
                            "chmod",
                            v,
                            Kind::Octal,
                            &format!("Invalid chmod value {t}"),
                        );
                        0o700
                    }
                }
                _ => 0o700,
            };
            out.push(ir::HttpServer {
                section: section.clone(),
                name,
                family: "unix".into(),
                host: None,
                port: None,
                file: Some(file.unwrap_or_default()),
                chmod: Some(octal(chmod)),
                chown,
                username,
                password,
            });
        }
        out
    }

    fn auth(&mut self, section: &str) -> (Option<String>, Option<String>) {
        let empty = VarMap::new();
        let username = self
            .get(section, "username", &empty)
            .ok()
            .flatten()
            .map(|x| x.0.into_owned());
        let password = self
            .get(section, "password", &empty)
            .ok()
            .flatten()
            .map(|x| x.0.into_owned());
        if username.is_some() != password.is_some() {
            let (present, missing) = if username.is_some() {
                ("username", "password")
            } else {
                ("password", "username")
            };
            let span = self
                .tree
                .get(section, present)
                .map_or(self.section_header(section), Value::span);
            self.error(
                Diagnostic::new(Code::IncompleteAuth, format!("`[{section}]` has a {present} but no {missing}"))
                    .at(span, format!("{missing} missing"))
                    .help(format!("add `{missing} = ...`, or remove `{present}`"))
                    .supervisord(format!("Section [{section}] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified")),
            );
        }
        (username, password)
    }

    /// supervisorctl reads only the main file, with its own environment.
    fn supervisorctl(&mut self) -> Option<ir::Supervisorctl> {
        let tree: &'a Tree = self.tree;
        let main_only: &'a Tree = tree.main_only.as_deref()?;
        // supervisorctl reads the main file on its own: no includes, no `%(here)s` rewriting
        let saved_tree = std::mem::replace(&mut self.tree, main_only);
        // errors here are supervisorctl's, never supervisord's: collect them separately
        let mut own = Diagnostics::new();
        let saved = std::mem::replace(self.diags, own);
        let environ_saved = std::mem::replace(&mut self.environ, {
            let mut m = VarMap::new();
            for (k, v) in &self.env.vars {
                m.set(&format!("ENV_{k}"), v);
            }
            m
        });
        let s = "supervisorctl";
        let h = self.here_vars();
        let empty = VarMap::new();
        let result = (|| {
            let serverurl = self
                .get(s, "serverurl", &h)?
                .map_or_else(|| "http://localhost:9001".to_string(), |x| x.0.into_owned());
            let serverurl = match serverurl.strip_prefix("unix://") {
                Some(p) => format!(
                    "unix://{}",
                    python::normpath(&absolute(&self.env.cwd, &self.expanduser(p)))
                ),
                None => serverurl,
            };
            let prompt = self
                .get(s, "prompt", &empty)?
                .map_or_else(|| "supervisor".to_string(), |x| x.0.into_owned());
            let username = self.get(s, "username", &empty)?.map(|x| x.0.into_owned());
            let password = self.get(s, "password", &empty)?.map(|x| x.0.into_owned());
            let history = self.get(s, "history_file", &h)?.map(|x| x.0.into_owned());
            let history_file = history
                .filter(|h| !h.is_empty())
                .map(|h| python::normpath(&absolute(&self.env.cwd, &self.expanduser(&h))));
            Ok::<_, ()>(ir::Supervisorctl::Settings {
                serverurl,
                prompt,
                username,
                password,
                history_file,
            })
        })();
        self.environ = environ_saved;
        self.tree = saved_tree;
        own = std::mem::replace(self.diags, saved);
        match result {
            Ok(r) => Some(r),
            Err(()) => Some(ir::Supervisorctl::Error {
                error: own
                    .iter()
                    .next()
                    .and_then(|d| d.supervisord.clone())
                    .unwrap_or_default(),
            }),
        }
    }
}

/// The tree's own key for the section `name` (empty when there is none: callers know it exists).
fn tree_key<'a>(tree: &'a Tree, name: &str) -> &'a str {
    tree.sections
        .get_key_value(name)
        .map_or("", |(k, _)| k.as_str())
}

/// Below this many programs, their processes are built on this thread alone (a thread
/// costs more than it saves).
const PARALLEL_JOBS: usize = 16;

/// At most this many threads build processes (this machine class has 2 cores; more
/// would mostly add memory: each keeps its own copy of the environment).
const MAX_THREADS: usize = 2;

/// Values that many programs have alike (`autorestart`, the stop signal's name, the
/// directory, the exit codes), made once and shared by every program that has them
/// rather than once per program (a config of 5000 programs has 5000 of each).
#[derive(Default)]
struct Reuse {
    texts: Vec<ir::Shared<str>>,
    exitcodes: Option<ir::Shared<Vec<i64>>>,
}

impl Reuse {
    /// Only this many texts are kept: the common ones come back at once.
    const TEXTS: usize = 16;

    /// `text`, shared with an earlier program's when it had the same.
    fn text(&mut self, text: &str) -> ir::Shared<str> {
        if let Some(t) = self.texts.iter().find(|t| t.as_str() == text) {
            return t.clone();
        }
        let t = ir::Shared::from(text);
        if self.texts.len() < Self::TEXTS {
            self.texts.push(t.clone());
        }
        t
    }

    /// `codes`, shared with the previous program's when they are the same.
    fn exitcodes(&mut self, codes: Vec<i64>) -> ir::Shared<Vec<i64>> {
        match &self.exitcodes {
            Some(last) if **last == codes => last.clone(),
            _ => {
                let shared: ir::Shared<Vec<i64>> = ir::Shared::new(codes);
                self.exitcodes = Some(shared.clone());
                shared
            }
        }
    }
}

/// The jobs of one group, run in order by one thread: its processes in one list.
struct Task {
    group: usize,
    jobs: std::ops::Range<usize>,
}

/// A `[program:]` (or group member) whose processes are built after the walk over the
/// groups, and where the findings and warnings stood when it was met.
struct Job<'a> {
    section: &'a str,
    diags_at: usize,
    warnings_at: usize,
}

/// The values of one log channel's keys in a section, looked up once for all its processes.
/// A channel's log keys: file, backups, maxbytes, syslog.
fn log_key_names(channel: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    if channel == "stdout" {
        (
            "stdout_logfile",
            "stdout_logfile_backups",
            "stdout_logfile_maxbytes",
            "stdout_syslog",
        )
    } else {
        (
            "stderr_logfile",
            "stderr_logfile_backups",
            "stderr_logfile_maxbytes",
            "stderr_syslog",
        )
    }
}

struct LogKeys<'a> {
    file: Option<&'a Value>,
    backups: Option<&'a Value>,
    maxbytes: Option<&'a Value>,
    syslog: Option<&'a Value>,
}

impl<'a> LogKeys<'a> {
    fn new(tree: &'a Tree, section: Option<&'a crate::include::Section>, channel: &str) -> Self {
        let (file, backups, maxbytes, syslog) = log_key_names(channel);
        Self {
            file: tree.get_in(section, file),
            backups: tree.get_in(section, backups),
            maxbytes: tree.get_in(section, maxbytes),
            syslog: tree.get_in(section, syslog),
        }
    }
}

/// What the first process of a section made of its log keys, for the values that
/// are the same for every process (see [`Lowerer::logfile`]).
#[derive(Default)]
struct LogMemo {
    file: Option<LogFile>,
    backups: Memo<i64>,
    maxbytes: Memo<i64>,
    syslog: Memo<bool>,
}

/// A result kept for the next processes of a section: not computed yet, or what the
/// first process got (`None` when the value could not be used).
#[derive(Default)]
enum Memo<T> {
    #[default]
    Unknown,
    Known(Option<T>),
}

struct LogSettings {
    file: LogFile,
    backups: i64,
    maxbytes: i64,
    syslog: bool,
}

/// The JSON form of a process's log file, sharing the previous process's text when
/// it is the same file (`last` remembers it).
fn shared_log_path(
    last: &mut Option<(LogFile, ir::Shared<str>)>,
    file: LogFile,
) -> ir::Shared<str> {
    if let Some((f, text)) = last.as_ref() {
        if *f == file {
            return text.clone();
        }
    }
    let text = ir::Shared::from(file.json_text());
    *last = Some((file, text.clone()));
    text
}

impl LogFile {
    fn json_text(&self) -> &str {
        match self {
            LogFile::Auto => "AUTO",
            LogFile::None => "NONE",
            LogFile::Syslog => "SYSLOG",
            LogFile::Path(p) => p,
        }
    }
}

/// Each comma-separated item of a list value, stripped, with its span (the whole
/// value's span for every item when the text was rewritten).
fn list_item_spans(v: &Value) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut start = 0;
    for part in v.text.split(',') {
        let lead = part.len() - part.trim_start_matches(python::is_space).len();
        let item = python::strip(part);
        let s = start + lead;
        out.push((item.to_string(), v.span_of(s, s + item.len())));
        start += part.len() + 1;
    }
    out
}

/// The span of the first not-yet-used item equal to `item`.
fn item_span(v: &Value, item: &str, spans: &[(String, Span)], used: &mut [bool]) -> Span {
    // every item before the first unused one is used: start there (a group's programs are
    // looked up in the order they are listed, so this is usually the one)
    let first_unused = used.iter().position(|u| !u).unwrap_or(used.len());
    for (i, (text, span)) in spans.iter().enumerate().skip(first_unused) {
        if text == item && !used.get(i).copied().unwrap_or(true) {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            return *span;
        }
    }
    v.span()
}

/// supervisord's octal rendering: at least 3 digits, `-` for negatives.
fn octal(v: i64) -> String {
    if v >= 0 {
        format!("{v:03o}")
    } else {
        format!("-{:03o}", -v)
    }
}

fn lookup_uid(name: &str) -> Option<i64> {
    if let Ok(n) = python::int(name) {
        let uid = u32::try_from(n).ok()?;
        return nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|_| n);
    }
    nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .map(|u| i64::from(u.uid.as_raw()))
}

fn lookup_gid(name: &str) -> Option<i64> {
    if let Ok(n) = python::int(name) {
        let gid = u32::try_from(n).ok()?;
        return nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
            .ok()
            .flatten()
            .map(|_| n);
    }
    nix::unistd::Group::from_name(name)
        .ok()
        .flatten()
        .map(|g| i64::from(g.gid.as_raw()))
}

fn gid_for_uid(uid: i64) -> i64 {
    u32::try_from(uid)
        .ok()
        .and_then(|u| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(u))
                .ok()
                .flatten()
        })
        .map_or(uid, |u| i64::from(u.gid.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// Building processes on two threads gives exactly what one thread gives: the same
    /// document, and the same findings and warnings in the same order.
    #[test]
    fn threads_change_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut main =
            String::from("[supervisord]\nlogfile=/tmp/x.log\n[include]\nfiles=conf.d/*.conf\n");
        main.push_str("[group:g1]\nprograms=p0,p1,nope,p2,p3\n[group:g2]\nprograms=p5,p4\n");
        std::fs::write(dir.path().join("supervisord.conf"), main).expect("write");
        std::fs::create_dir(dir.path().join("conf.d")).expect("mkdir");
        for file in 0..3 {
            let mut text = String::new();
            for i in (file * 12)..(file * 12 + 12) {
                // a different mistake every few programs, some repeated word for word
                let extra = match i % 7 {
                    0 => "process_name=%(program_name)s_%(nope)s\n".to_string(),
                    1 => "numprocs=2\nprocess_name=%(program_name)s_%(process_num)d\nstdout_logfile=/tmp/shared.log\n".to_string(),
                    2 => "stderr_logfile=/tmp/e%(process_num)s.log\nredirect_stderr=true\n".to_string(),
                    3 => "stdout_logfile=syslog\nstartsecs=x\n".to_string(),
                    4 => format!("environment=A=\"%(ENV_MISSING_{})s\"\n", i % 2),
                    5 => "stdout_logfile_maxbytes=0\nnumprocs=3\nprocess_name=%(process_num)s\n".to_string(),
                    _ => "command=\n".to_string(),
                };
                let _ = write!(text, "[program:p{i}]\ncommand=/bin/cat {i}\n{extra}\n");
            }
            std::fs::write(dir.path().join(format!("conf.d/{file}.conf")), text).expect("write");
        }
        let env = Env::for_test(dir.path(), &[("HOME", "/root")]);
        let run = |threads| {
            let mut sources = crate::source::SourceMap::new();
            let mut diags = Diagnostics::new();
            let tree = crate::include::resolve(
                &dir.path().join("supervisord.conf"),
                &env,
                &mut sources,
                &mut diags,
            )
            .expect("readable");
            let resolved = lower_on(&tree, &env, &crate::Options::default(), &mut diags, threads);
            (resolved, diags.into_vec())
        };
        let (one, one_diags) = run(1);
        let (two, two_diags) = run(2);
        assert!(one_diags.len() > 10, "{one_diags:#?}");
        assert!(one.warnings.len() > 3, "{:#?}", one.warnings);
        assert_eq!(one_diags, two_diags);
        assert_eq!(one, two);
    }

    /// `ProcessVars` answers as the `VarMap` supervisord's `expansions` dict was built as:
    /// the same values, the same names in the same order (a bare `%s` prints them all).
    #[test]
    fn process_vars_read_like_the_dict() {
        let mut map = VarMap::new();
        map.set("here", "/etc");
        map.set("program_name", "web");
        map.set("host_node_name", "h");
        map.set("group_name", "g");
        let mut vars = ProcessVars {
            here: "/etc",
            program_name: "web",
            host_node_name: "h",
            group_name: "g",
            nums: None,
            env: Vec::new(),
        };
        let names = [
            "here",
            "program_name",
            "host_node_name",
            "group_name",
            "process_num",
            "numprocs",
            "ENV_A",
            "ENV_B",
            "A",
            "ENV_",
            "",
        ];
        let same = |map: &VarMap, vars: &ProcessVars<'_>| {
            assert_eq!(map.entries(), vars.entries());
            for n in names {
                assert_eq!(map.get(n), vars.get(n), "{n}");
            }
        };
        same(&map, &vars);
        for (num, env) in [(3, [("B", "1"), ("A", "2")]), (4, [("A", "3"), ("C", "")])] {
            map.set_int("process_num", num);
            map.set_int("numprocs", 2);
            vars.nums = Some((num, 2));
            same(&map, &vars);
            for (k, v) in env {
                map.set(&format!("ENV_{k}"), v);
                vars.set_env(k, v);
            }
            same(&map, &vars);
        }
    }
}
