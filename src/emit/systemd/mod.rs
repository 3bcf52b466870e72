//! `svconf convert --to systemd`: one unit file per program (or a template per numprocs
//! program), targets for numprocs programs and groups, following
//! `spec/systemd-mapping.md`.
//!
//! Input is the [`Resolved`](crate::ir::Resolved) model (what supervisord would run); the
//! raw [`Tree`](crate::include::Tree) is read only for spans and to find how
//! `%(process_num)` is formatted. A numprocs template is derived from the resolved copies
//! and *checked* against every one of them: when `%i` cannot reproduce each copy exactly,
//! the copies become concrete units (never a wrong template). Every value goes through
//! [`encode`], so escaping lives in one place. What systemd cannot express is reported
//! as an `SV3xx` finding; an error finding stops that program's units only.

pub mod encode;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::include::{Tree, VarMap};
use crate::ir::{Group, Process, Signal};
use crate::source::Span;
use crate::{Compiled, Env};

/// How `%(ENV_X)s` from supervisord's process environment is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvMode {
    /// In `command`, a variable of supervisord's process environment becomes a runtime
    /// reference (`$X`, `${X}`) the unit's `Environment=`/`EnvironmentFile=` must define
    /// (SV333); elsewhere its value is substituted as with [`EnvMode::Inline`].
    #[default]
    Runtime,
    /// Substitute the value svconf was given (`-e`, `--env-file`) into the unit.
    Inline,
}

/// Options of the systemd generator.
#[allow(clippy::struct_excessive_bools)] // one flag per command-line switch
#[derive(Debug, Clone)]
pub struct SystemdOptions {
    /// Prepended to every top-level unit name (`--prefix sv-`).
    pub prefix: String,
    /// Write user units (`WantedBy=default.target`, no `User=`).
    pub user_units: bool,
    /// Oldest systemd the units must work on (`--systemd-version`, default 240).
    pub systemd_version: u32,
    /// How `%(ENV_X)s` is written.
    pub env_mode: EnvMode,
    /// Write `logrotate.d/<unit>` snippets for rotated log files.
    pub logrotate: bool,
    /// Every `SV3xx` warning becomes an error (and stops that program's units).
    pub strict: bool,
    /// Also write `<app>.target` wanting every top-level unit (`--app NAME`).
    pub app: Option<String>,
    /// Add `SUPERVISOR_ENABLED`, `SUPERVISOR_PROCESS_NAME`, `SUPERVISOR_GROUP_NAME`.
    pub compat_env: bool,
    /// Always write concrete units for numprocs programs (`--numprocs units`).
    pub numprocs_units: bool,
    /// Emit `After=network.target` (`--no-network-order` turns it off).
    pub network_order: bool,
    /// `KillMode=process` for programs with `stopasgroup=false`/`killasgroup=false`, as
    /// supervisord stopped them (`--faithful-kill`; default `KillMode=mixed`).
    pub faithful_kill: bool,
    /// `OnFailure=` this unit in every service (`--on-failure UNIT`); checked with
    /// [`encode::unit_reference`].
    pub on_failure: Option<String>,
    /// Write plain services for event listeners too (`--eventlisteners=units`).
    pub eventlistener_units: bool,
}

impl Default for SystemdOptions {
    fn default() -> Self {
        Self {
            prefix: String::new(),
            user_units: false,
            systemd_version: 240,
            env_mode: EnvMode::Runtime,
            logrotate: false,
            strict: false,
            app: None,
            compat_env: false,
            numprocs_units: false,
            network_order: true,
            faithful_kill: false,
            on_failure: None,
            eventlistener_units: false,
        }
    }
}

/// What the generator wrote.
#[derive(Debug, Default)]
pub struct Generated {
    /// (file name relative to the output folder, content), in a stable order.
    pub files: Vec<(String, String)>,
    /// `SV3xx` findings.
    pub diagnostics: Vec<Diagnostic>,
}

/// Stands for `%i` while values are encoded: alphanumeric, so no encoder changes it.
const MARKER: &str = "SVCONFxINSTANCExMARKER";

/// Start of the markers that stand for runtime references while a command is split
/// (`SVCONFxVARx0xEND`, …): alphanumeric, so neither shlex nor an encoder changes them.
const VAR_MARKER: &str = "SVCONFxVARx";

/// A `%(ENV_X)s` of `command` that becomes a runtime reference.
struct RuntimeVar {
    /// The variable's name (`X`).
    name: String,
    /// Its marker in the command text.
    marker: String,
}

/// A command whose runtime references are markers.
struct RuntimeCommand {
    /// The expanded command, markers in place of the runtime values.
    command: String,
    vars: Vec<RuntimeVar>,
    /// For each marker occurrence in `command`, in text order: (marker index, an entire
    /// unquoted shlex token).
    occurrences: Vec<(usize, bool)>,
}

/// Names of distribution units a generated file must not replace.
const WELL_KNOWN: &[&str] = &[
    "ssh",
    "sshd",
    "cron",
    "crond",
    "anacron",
    "nginx",
    "apache2",
    "httpd",
    "mysql",
    "mysqld",
    "mariadb",
    "postgresql",
    "redis",
    "redis-server",
    "memcached",
    "docker",
    "containerd",
    "networking",
    "network",
    "rsyslog",
    "syslog",
    "dbus",
    "getty",
    "supervisor",
    "supervisord",
    "php-fpm",
    "multi-user",
    "default",
    "graphical",
    "basic",
    "sysinit",
    "network-online",
    "local-fs",
    "remote-fs",
    "timers",
    "sockets",
    "shutdown",
    "rescue",
    "emergency",
    "ufw",
    "firewalld",
    "chrony",
    "ntp",
    "udev",
    "polkit",
];

/// Generates the unit files for a compiled config.
pub fn generate(compiled: &Compiled, env: &Env, options: &SystemdOptions) -> Generated {
    let mut g = Generator {
        compiled,
        env,
        tree: &compiled.tree,
        options,
        files: BTreeMap::new(),
        owners: BTreeMap::new(),
        diagnostics: Vec::new(),
        start_limit_noted: false,
    };
    g.run();
    let mut diagnostics = g.diagnostics;
    if options.strict {
        for d in &mut diagnostics {
            if d.severity == Severity::Warning {
                d.severity = Severity::Error;
            }
        }
    }
    Generated {
        files: g.files.into_iter().collect(),
        diagnostics,
    }
}

/// One program's planned units (before priority ordering is known).
struct Planned {
    /// The section (`program:x`).
    section: String,
    /// Group key for ordering (group priority).
    key: i64,
    /// The group's index, so members of one group never order each other.
    group: usize,
    /// Units other groups order themselves after (services, or the program target).
    anchors: Vec<String>,
    /// Files, with a slot for priority `After=` lines (`{AFTER}`).
    files: Vec<(String, String)>,
    /// The unit the parent wants (service or program target), when autostart.
    wanted: Option<String>,
    /// Log files to rotate: (paths, maxbytes, backups).
    rotate: Vec<(Vec<String>, i64, i64)>,
    /// Base name for the logrotate file.
    base: String,
    /// Source header for the logrotate file.
    header: String,
}

struct Generator<'a> {
    compiled: &'a Compiled,
    /// The environment `compile` expanded `%(ENV_X)s` with.
    env: &'a Env,
    tree: &'a Tree,
    options: &'a SystemdOptions,
    files: BTreeMap<String, String>,
    owners: BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
    /// The start-limit approximation was explained (once per run).
    start_limit_noted: bool,
}

/// The values of one process that end up in a unit, as text.
#[derive(Clone, PartialEq)]
struct Texts {
    name: String,
    command: String,
    directory: Option<String>,
    user: Option<String>,
    stdout: String,
    stderr: String,
    env: Vec<(String, String)>,
}

impl Texts {
    fn of(p: &Process, sup: &crate::ir::Supervisord) -> Self {
        Texts {
            name: p.name.clone(),
            command: p.command.to_string(),
            directory: p
                .directory
                .as_deref()
                .map(str::to_string)
                .or_else(|| sup.directory.clone()),
            user: p
                .user
                .as_deref()
                .map(str::to_string)
                .or_else(|| sup.user.clone()),
            stdout: p.stdout_logfile.to_string(),
            stderr: p.stderr_logfile.to_string(),
            env: p
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    fn map(&self, f: &dyn Fn(&str) -> String) -> Self {
        Texts {
            name: f(&self.name),
            command: f(&self.command),
            directory: self.directory.as_deref().map(f),
            user: self.user.as_deref().map(f),
            stdout: f(&self.stdout),
            stderr: f(&self.stderr),
            env: self.env.iter().map(|(k, v)| (k.clone(), f(v))).collect(),
        }
    }

    fn contains(&self, needle: &str) -> bool {
        let mut all = vec![&self.name, &self.command, &self.stdout, &self.stderr];
        all.extend(self.directory.iter());
        all.extend(self.user.iter());
        all.extend(self.env.iter().map(|(_, v)| v));
        all.iter().any(|s| s.contains(needle))
    }
}

/// One unit to write for one process (or a template for all).
struct UnitPlan<'p> {
    process: &'p Process,
    texts: Texts,
    /// `Some(first instance, first process name)` for a template.
    template: Option<(String, String)>,
}

impl Generator<'_> {
    fn run(&mut self) {
        let resolved = &self.compiled.resolved;
        self.global_notes();
        if let Some(unit) = &self.options.on_failure {
            if let Err(encode::EncodeError::Unrepresentable(why)) = encode::unit_reference(unit) {
                self.push(
                    Diagnostic::new(
                        Code::SystemdUnrepresentableValue,
                        format!("`OnFailure={unit}` is not written: {why}"),
                    )
                    .help("give a valid unit name, e.g. `notify@%n.service`"),
                );
            }
        }
        let mut planned: Vec<Planned> = Vec::new();
        let mut top: Vec<String> = Vec::new();
        let mut top_group_of: Vec<usize> = Vec::new();
        let mut group_targets: Vec<(usize, String, String)> = Vec::new(); // (gi, name, content)
        for (gi, group) in resolved.groups.iter().enumerate() {
            if group.shadowed {
                continue;
            }
            match group.kind.as_str() {
                "eventlistener" if self.options.eventlistener_units => {
                    let span = self.header(&group.section);
                    self.push(
                        Diagnostic::new(
                            Code::SystemdEventListener,
                            format!(
                                "event listener `{}` becomes a plain service",
                                group.name
                            ),
                        )
                        .at(
                            span,
                            "no supervisord events arrive: its stdin is empty (EOF) and nobody reads its replies",
                        )
                        .help(listener_help(group)),
                    );
                }
                "eventlistener" => {
                    let span = self.header(&group.section);
                    self.push(
                        Diagnostic::new(
                            Code::SystemdEventListener,
                            format!("event listener `{}` is not converted", group.name),
                        )
                        .at(span, "no unit is written for this section")
                        .help(listener_help(group)),
                    );
                    continue;
                }
                "fcgi-program" => {
                    let span = self.header(&group.section);
                    self.push(
                        Diagnostic::new(
                            Code::SystemdFcgiProgram,
                            format!("fcgi-program `{}` is not converted", group.name),
                        )
                        .at(span, "no unit is written for this section")
                        .help("write a `.socket` unit with `ListenStream=` and a service with `StandardInput=socket`"),
                    );
                    continue;
                }
                _ => {}
            }
            let in_group = group.kind == "group";
            let (gname, gesc) = encode::unit_name(&group.name);
            let gbase = format!("{}{}", self.options.prefix, gname);
            if in_group && gesc {
                self.escaped(&group.section, &group.name);
            }
            let mut sections: Vec<&str> = Vec::new();
            for p in &group.processes {
                if !sections.contains(&p.section.as_str()) {
                    sections.push(&p.section);
                }
            }
            let mut members: Vec<String> = Vec::new();
            for section in sections {
                let procs: Vec<&Process> = group
                    .processes
                    .iter()
                    .filter(|p| p.section == section)
                    .collect();
                let pname = section.split_once(':').map_or(section, |(_, n)| n);
                let (pesc, escaped) = encode::unit_name(pname);
                if escaped {
                    self.escaped(section, pname);
                }
                let (stem, parent) = if in_group {
                    (format!("{gbase}-"), Some(format!("{gbase}.target")))
                } else {
                    (self.options.prefix.clone(), None)
                };
                let base = format!("{stem}{pesc}");
                if let Some(p) = self.program(
                    section,
                    pname,
                    (&stem, &base),
                    parent.as_deref(),
                    group,
                    gi,
                    &procs,
                ) {
                    if let Some(w) = &p.wanted {
                        if in_group {
                            members.push(w.clone());
                        } else {
                            top.push(w.clone());
                            top_group_of.push(gi);
                        }
                    }
                    planned.push(p);
                }
            }
            if in_group {
                let name = format!("{gbase}.target");
                let mut t = self.head(&group.section, None);
                let _ = writeln!(t, "[Unit]");
                let _ = writeln!(t, "Description=supervisord group {}", plain_or(&group.name));
                for m in &members {
                    let _ = writeln!(t, "Wants={m}");
                }
                let _ = write!(t, "\n[Install]\nWantedBy={}\n", self.top_wanted_by());
                group_targets.push((gi, name.clone(), t));
                top.push(name);
                top_group_of.push(gi);
            }
        }
        // priority → After= between groups of different priority (§5.2)
        let keys: BTreeSet<i64> = planned.iter().map(|p| p.key).collect();
        for p in &planned {
            let mut after = String::new();
            if keys.len() > 1 {
                for q in &planned {
                    if q.group != p.group && q.key < p.key {
                        for a in &q.anchors {
                            let _ = writeln!(after, "After={a}");
                        }
                    }
                }
            }
            for (name, content) in &p.files {
                let content = content.replace("{AFTER}\n", &after);
                self.write(name, content, &p.section);
            }
            if self.options.logrotate && !p.rotate.is_empty() {
                let mut s = p.header.clone();
                for (paths, size, backups) in &p.rotate {
                    let _ = writeln!(
                        s,
                        "{} {{\n    size {size}\n    rotate {backups}\n    copytruncate\n    missingok\n    notifempty\n}}",
                        paths.join(" ")
                    );
                }
                self.write(&format!("logrotate.d/{}", p.base), s, &p.section);
            }
        }
        for (_, name, content) in group_targets {
            let section = name.clone();
            self.write(&name, content, &section);
        }
        let _ = top_group_of;
        if let Some(app) = &self.options.app {
            let (esc, _) = encode::unit_name(app);
            let name = format!("{esc}.target");
            let mut t = format!(
                "# Generated by svconf from {}; do not edit.\n[Unit]\nDescription=supervisord configuration {}\n",
                self.root_name(),
                plain_or(app)
            );
            for u in &top {
                let _ = writeln!(t, "Wants={u}");
            }
            let _ = write!(
                t,
                "\n[Install]\nWantedBy={}\n",
                if self.options.user_units {
                    "default.target"
                } else {
                    "multi-user.target"
                }
            );
            self.shadow_check(&esc, "supervisord", None);
            self.write(&name, t, "--app");
        }
    }

    fn top_wanted_by(&self) -> String {
        match &self.options.app {
            Some(a) => format!("{}.target", encode::unit_name(a).0),
            None if self.options.user_units => "default.target".into(),
            None => "multi-user.target".into(),
        }
    }

    fn write(&mut self, name: &str, content: String, section: &str) {
        if name.len() > 255 {
            let span = self.header(section);
            self.push(
                Diagnostic::new(
                    Code::SystemdUnitNameCollision,
                    format!("unit name `{name}` is longer than 255 bytes"),
                )
                .at(span, "this section's unit name is too long")
                .help("rename the program or group"),
            );
            return;
        }
        if let Some(first) = self.owners.get(name) {
            let first = first.clone();
            let mut d = Diagnostic::new(
                Code::SystemdUnitNameCollision,
                format!("`[{section}]` and `[{first}]` both become `{name}`"),
            )
            .at(self.header(section), "this section's unit is not written")
            .help("rename a group or program, or use `--prefix`");
            if let Some(s) = self.tree.sections.get(&first) {
                d = d.also(s.header(), "first written for this section");
            }
            self.push(d);
            return;
        }
        self.owners.insert(name.to_string(), section.to_string());
        self.files.insert(name.to_string(), content);
    }

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn header(&self, section: &str) -> Span {
        self.tree
            .sections
            .get(section)
            .map(crate::include::Section::header)
            .unwrap_or_default()
    }

    fn key_span(&self, section: &str, key: &str) -> Span {
        self.tree
            .get(section, key)
            .map_or_else(|| self.header(section), crate::include::Value::span)
    }

    fn root_name(&self) -> String {
        let root = &self.compiled.sources.file(self.tree.root).path;
        root.file_name().map_or_else(
            || root.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The file holding `section`, relative to the root file's folder.
    fn file_of(&self, section: &str) -> String {
        let Some(s) = self.tree.sections.get(section) else {
            return self.root_name();
        };
        let root = &self.compiled.sources.file(self.tree.root).path;
        let dir = root.parent().unwrap_or(Path::new(""));
        let p = &self.compiled.sources.file(s.file).path;
        p.strip_prefix(dir).unwrap_or(p).display().to_string()
    }

    fn head(&self, section: &str, _extra: Option<&str>) -> String {
        format!(
            "# Generated by svconf from {} [{section}]; do not edit.\n",
            self.file_of(section)
        )
    }

    fn escaped(&mut self, section: &str, name: &str) {
        let span = self.header(section);
        self.push(
            Diagnostic::new(
                Code::SystemdUnitNameEscaped,
                format!("`{name}` needs `\\x` escaping in a unit name"),
            )
            .at(span, "escaped in the unit name")
            .help("rename it to letters, digits, `_`, `.` and `-`"),
        );
    }

    fn shadow_check(&mut self, base: &str, section: &str, span: Option<Span>) {
        let plain = base.strip_suffix('@').unwrap_or(base);
        if WELL_KNOWN.contains(&plain) || plain.starts_with("systemd-") {
            let span = span.unwrap_or_else(|| self.header(section));
            self.push(
                Diagnostic::new(
                    Code::SystemdShadowsUnit,
                    format!("unit `{plain}` would replace the system's unit of that name"),
                )
                .at(span, "named after a well-known unit")
                .help(format!(
                    "use `--prefix`, e.g. `--prefix sv-` → `sv-{plain}`"
                )),
            );
        }
    }

    fn global_notes(&mut self) {
        let sup = &self.compiled.resolved.supervisord;
        if sup.strip_ansi {
            let span = self.key_span("supervisord", "strip_ansi");
            self.push(
                Diagnostic::new(
                    Code::SystemdStripAnsi,
                    "`strip_ansi` has no systemd equivalent",
                )
                .at(span, "ANSI escapes reach the logs unchanged")
                .help("strip escapes in the programs themselves"),
            );
        }
        let ignored: Vec<String> = self
            .tree
            .sections
            .keys()
            .filter(|s| {
                s.as_str() == "unix_http_server"
                    || s.as_str() == "inet_http_server"
                    || s.as_str() == "supervisorctl"
                    || s.starts_with("rpcinterface:")
                    || s.starts_with("ctlplugin:")
            })
            .cloned()
            .collect();
        if let Some(first) = ignored.first() {
            let span = self.header(first);
            let list = ignored
                .iter()
                .map(|s| format!("`[{s}]`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.push(
                Diagnostic::new(
                    Code::SystemdIgnored,
                    format!("{list} have no role under systemd"),
                )
                .at(span, "ignored")
                .help("use `systemctl` instead of supervisorctl"),
            );
        }
    }

    /// Plans the units of one program (all its processes in `procs`).
    #[allow(clippy::too_many_arguments, clippy::too_many_lines)] // one call site; a struct would only rename them
    fn program(
        &mut self,
        section: &str,
        pname: &str,
        (stem, base): (&str, &str),
        parent: Option<&str>,
        group: &Group,
        gi: usize,
        procs: &[&Process],
    ) -> Option<Planned> {
        let first = procs.first()?;
        let sup = &self.compiled.resolved.supervisord;
        let errors_before = self.error_count();
        self.shadow_check(base, section, None);
        let many = procs.len() > 1;
        let mut plans: Vec<UnitPlan> = Vec::new();
        let mut target_wants: Vec<String> = Vec::new();
        if many {
            match self.template(section, procs) {
                Some((texts, first_instance)) if !self.options.numprocs_units => {
                    for p in procs {
                        let inst = texts_instance(&texts, &Texts::of(p, sup));
                        target_wants.push(format!("{base}@{inst}.service"));
                    }
                    plans.push(UnitPlan {
                        process: first,
                        texts,
                        template: Some((first_instance, first.name.clone())),
                    });
                }
                other => {
                    if other.is_none() {
                        let span = self.key_span(section, "numprocs");
                        self.push(
                            Diagnostic::new(
                                Code::SystemdConcreteUnits,
                                format!(
                                    "`{pname}` becomes {} concrete units instead of a template",
                                    procs.len()
                                ),
                            )
                            .at(span, "one unit per process")
                            .help("use one format for `%(process_num)` in every key"),
                        );
                    }
                    for p in procs {
                        let (n, _) = encode::unit_name(&p.name);
                        let unit = format!("{stem}{n}.service");
                        target_wants.push(unit);
                        plans.push(UnitPlan {
                            process: p,
                            texts: Texts::of(p, sup),
                            template: None,
                        });
                    }
                }
            }
        } else {
            plans.push(UnitPlan {
                process: first,
                texts: Texts::of(first, sup),
                template: None,
            });
        }

        let program_target = many.then(|| format!("{base}.target"));
        let header = self.head(section, None);
        let mut files = Vec::new();
        let mut rotate: Vec<(Vec<String>, i64, i64)> = Vec::new();
        let mut warned_dirs = BTreeSet::new();
        let mut info_once = BTreeSet::new();
        for (i, plan) in plans.iter().enumerate() {
            let unit_parent = program_target
                .clone()
                .or_else(|| parent.map(str::to_string));
            let name = match (&plan.template, many) {
                (Some(_), _) => format!("{base}@.service"),
                (None, true) => target_wants[i].clone(),
                (None, false) => format!("{base}.service"),
            };
            let body = self.service(
                section,
                pname,
                group,
                plan,
                unit_parent.as_deref(),
                &mut warned_dirs,
                &mut info_once,
                &mut rotate,
            )?;
            files.push((name, format!("{header}{body}")));
        }
        if self.error_count() > errors_before {
            return None;
        }
        let mut anchors: Vec<String> = Vec::new();
        let wanted_unit;
        if let Some(t) = &program_target {
            let mut s = header.clone();
            let _ = writeln!(s, "[Unit]");
            let _ = writeln!(
                s,
                "Description=supervisord program {} ({} processes)",
                plain_or(pname),
                procs.len()
            );
            if let Some(p) = parent {
                let _ = writeln!(s, "PartOf={p}");
            }
            s.push_str("{AFTER}\n");
            for w in &target_wants {
                let _ = writeln!(s, "Wants={w}");
            }
            let wb = parent.map_or_else(|| self.top_wanted_by(), str::to_string);
            let _ = write!(s, "\n[Install]\nWantedBy={wb}\n");
            files.push((t.clone(), s));
            anchors.push(t.clone());
            wanted_unit = t.clone();
        } else {
            anchors.push(files[0].0.clone());
            wanted_unit = files[0].0.clone();
        }
        let _ = pname;
        Some(Planned {
            section: section.to_string(),
            key: group.priority,
            group: gi,
            anchors,
            files,
            wanted: first.autostart.then_some(wanted_unit),
            rotate,
            base: base.to_string(),
            header,
        })
    }

    fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| {
                d.severity == Severity::Error
                    || (self.options.strict && d.severity == Severity::Warning)
            })
            .count()
    }

    /// A `%i` template for every process of a numprocs program, checked against each copy.
    fn template(&self, section: &str, procs: &[&Process]) -> Option<(Texts, String)> {
        let sup = &self.compiled.resolved.supervisord;
        let mut formats = BTreeSet::new();
        for key in self.tree.options(section) {
            let Some(v) = self.tree.get(section, key) else {
                continue;
            };
            for r in crate::expand::references(&v.text) {
                if r.name == "process_num" {
                    formats.insert(v.text[r.start..r.end].to_string());
                }
            }
        }
        if formats.len() != 1 {
            return None;
        }
        let format = formats.into_iter().next()?;
        let start = self
            .tree
            .get(section, "numprocs_start")
            .map_or(Ok(0), |v| crate::python::int(&v.text))
            .ok()?;
        let render = |n: i64| -> Option<String> {
            let mut vars = VarMap::new();
            vars.set_int("process_num", n);
            crate::expand::expand(&format, &vars)
                .ok()
                .map(std::borrow::Cow::into_owned)
        };
        let texts: Vec<Texts> = procs.iter().map(|p| Texts::of(p, sup)).collect();
        if texts.iter().any(|t| t.contains(MARKER)) {
            return None;
        }
        let r0 = render(start)?;
        let r1 = render(start + 1)?;
        // the marker goes where copies 0 and 1 differ by exactly r0 → r1 (a literal "00"
        // in `--max-time=3600` stays), then every copy is checked against the template
        let t1 = &texts[1];
        let t0 = &texts[0];
        let d = match (&t0.directory, &t1.directory) {
            (Some(a), Some(b)) => Some(align(a, b, &r0, &r1)?),
            (None, None) => None,
            _ => return None,
        };
        let u = match (&t0.user, &t1.user) {
            (Some(a), Some(b)) => Some(align(a, b, &r0, &r1)?),
            (None, None) => None,
            _ => return None,
        };
        if t0.env.len() != t1.env.len() {
            return None;
        }
        let mut env = Vec::new();
        for ((k0, v0), (k1, v1)) in t0.env.iter().zip(&t1.env) {
            if k0 != k1 {
                return None;
            }
            env.push((k0.clone(), align(v0, v1, &r0, &r1)?));
        }
        let tpl = Texts {
            name: align(&t0.name, &t1.name, &r0, &r1)?,
            command: align(&t0.command, &t1.command, &r0, &r1)?,
            directory: d,
            user: u,
            stdout: align(&t0.stdout, &t1.stdout, &r0, &r1)?,
            stderr: align(&t0.stderr, &t1.stderr, &r0, &r1)?,
            env,
        };
        for (k, (p, t)) in procs.iter().zip(&texts).enumerate() {
            let rk = render(start + i64::try_from(k).ok()?)?;
            if rk.is_empty()
                || !rk
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return None;
            }
            if tpl.map(&|s| s.replace(MARKER, &rk)) != *t {
                return None;
            }
            let mut same = (*p).clone();
            same.name.clone_from(&procs[0].name);
            same.command.clone_from(&procs[0].command);
            same.directory.clone_from(&procs[0].directory);
            same.user.clone_from(&procs[0].user);
            same.stdout_logfile.clone_from(&procs[0].stdout_logfile);
            same.stderr_logfile.clone_from(&procs[0].stderr_logfile);
            same.environment.clone_from(&procs[0].environment);
            if same != *procs[0] {
                return None;
            }
        }
        // the instance must be recoverable from the process name
        if !tpl.name.contains(MARKER) {
            return None;
        }
        Some((tpl, r0))
    }

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)] // the one place a service is written, in file order
    fn service(
        &mut self,
        section: &str,
        pname: &str,
        group: &Group,
        plan: &UnitPlan,
        parent: Option<&str>,
        warned_dirs: &mut BTreeSet<String>,
        info_once: &mut BTreeSet<Code>,
        rotate: &mut Vec<(Vec<String>, i64, i64)>,
    ) -> Option<String> {
        let p = plan.process;
        let t = &plan.texts;
        let tpl = plan.template.is_some();
        let fin = |s: String| s.replace(MARKER, "%i");
        let mut out = String::new();
        if let Some((inst, name)) = &plan.template {
            let _ = writeln!(
                out,
                "# One instance per supervisord process: instance \"{inst}\" is process {}.",
                name.replace(['\n', '\r'], " ")
            );
        }
        // [Unit]
        let _ = writeln!(out, "[Unit]");
        let owner = if group.kind == "group" {
            format!("{}:{pname}", group.name)
        } else {
            pname.to_string()
        };
        let desc = if tpl {
            format!("{pname} process {MARKER} (supervisord program {owner})")
        } else {
            format!("{} (supervisord program {owner})", t.name)
        };
        let desc = self.plain(section, "process_name", &desc)?;
        let _ = writeln!(out, "Description={}", fin(desc));
        if let Some(parent) = parent {
            let _ = writeln!(out, "PartOf={parent}");
        }
        if self.options.network_order {
            let _ = writeln!(out, "After=network.target");
        }
        out.push_str("{AFTER}\n");
        if let Some(unit) = &self.options.on_failure {
            if let Ok(unit) = encode::unit_reference(unit) {
                let _ = writeln!(out, "OnFailure={unit}");
            }
        }
        // a burst systemd cannot count to is no limit at all (it would never trip anyway)
        if p.startsecs == 0 || p.startretries >= i64::from(u32::MAX) - 1 {
            let _ = writeln!(out, "StartLimitIntervalSec=0");
        } else {
            let burst = p.startretries + 1;
            let _ = writeln!(
                out,
                "StartLimitIntervalSec={}",
                burst * (p.startsecs + 1) + 1
            );
            let _ = writeln!(out, "StartLimitBurst={burst}");
        }
        // [Service]
        let _ = write!(out, "\n[Service]\nType=exec\n");
        if let Some(user) = &t.user {
            if self.options.user_units {
                // a user manager cannot switch users; the units run as the manager's user
                if info_once.insert(Code::SystemdIgnored) {
                    let span = if self.tree.get(section, "user").is_some() {
                        self.key_span(section, "user")
                    } else {
                        self.key_span("supervisord", "user")
                    };
                    self.push(
                        Diagnostic::new(
                            Code::SystemdIgnored,
                            format!(
                                "`user={}` of `{pname}` is not written into its user units",
                                user.replace(MARKER, "%i")
                            ),
                        )
                        .at(span, "a `systemd --user` manager cannot switch users")
                        .help(
                            "run the manager as this user, or drop `--user-units` to write `User=`",
                        ),
                    );
                }
            } else {
                if !portable_user(user) && !user.contains(MARKER) {
                    let span = self.key_span(section, "user");
                    self.push(
                        Diagnostic::new(
                            Code::SystemdNonPortableUser,
                            format!("user name `{user}` is outside systemd's strict rules"),
                        )
                        .at(span, "systemd warns about this name")
                        .help("use a lowercase name of letters, digits, `_` and `-`"),
                    );
                }
                let u = self.plain(section, "user", user)?;
                let _ = writeln!(out, "User={}", fin(u));
            }
        }
        match &t.directory {
            Some(dir) => {
                if !dir.starts_with('/') || dir.split('/').any(|c| c == "..") {
                    let span = self.key_span(section, "directory");
                    self.push(
                        Diagnostic::new(
                            Code::SystemdRelativeDirectory,
                            format!(
                                "`{}` is not an absolute, normalized path",
                                dir.replace(MARKER, "%i")
                            ),
                        )
                        .at(span, "systemd refuses this WorkingDirectory=")
                        .help("write the absolute path without `..`"),
                    );
                    return None;
                }
                let d = self.plain(section, "directory", dir)?;
                let _ = writeln!(out, "WorkingDirectory={}", fin(d));
            }
            None => {
                if info_once.insert(Code::SystemdWorkingDirectory) {
                    let span = self.header(section);
                    self.push(
                        Diagnostic::new(
                            Code::SystemdWorkingDirectory,
                            format!("`{pname}` starts in `/` under systemd"),
                        )
                        .at(span, "no `directory` here or in `[supervisord]`")
                        .help("set `directory`"),
                    );
                }
            }
        }
        let umask = p
            .umask
            .as_deref()
            .or(self.compiled.resolved.supervisord.umask.as_deref())
            .and_then(|u| crate::python::int_base8(u).ok());
        if let Some(u) = umask {
            if u != 0o022 {
                let _ = writeln!(out, "UMask={u:04o}");
            }
        }
        // environment
        let mut env = t.env.clone();
        if self.options.compat_env {
            env.push(("SUPERVISOR_ENABLED".into(), "1".into()));
            env.push(("SUPERVISOR_PROCESS_NAME".into(), t.name.clone()));
            env.push(("SUPERVISOR_GROUP_NAME".into(), group.name.clone()));
        }
        for (k, v) in &env {
            let valid = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let span = self.key_span(section, "environment");
            if !valid {
                self.push(
                    Diagnostic::new(
                        Code::SystemdInvalidEnvironmentName,
                        format!("systemd refuses the variable name `{k}`"),
                    )
                    .at(span, "in this environment")
                    .help("rename the variable to letters, digits and `_`"),
                );
                return None;
            }
            let upper = k.to_ascii_uppercase();
            if ["PASS", "SECRET", "TOKEN", "KEY"]
                .iter()
                .any(|s| upper.contains(s))
            {
                self.push(
                    Diagnostic::new(
                        Code::SystemdSecretInUnit,
                        format!("`{k}` looks secret and is written into a world-readable unit"),
                    )
                    .at(span, "written as `Environment=`")
                    .help("move the value into an `EnvironmentFile=` with mode 0600"),
                );
            }
            match encode::environment(k, v) {
                Ok(line) => {
                    let _ = writeln!(out, "Environment={}", fin(line));
                }
                Err(encode::EncodeError::Unrepresentable(why)) => {
                    self.push(
                        Diagnostic::new(
                            Code::SystemdUnrepresentableValue,
                            format!("`{k}` cannot be written as `Environment=`: {why}"),
                        )
                        .at(span, "in this environment")
                        .help("change the value"),
                    );
                    return None;
                }
            }
        }
        {
            if info_once.insert(Code::SystemdEnvironment) {
                let span = self.header(section);
                let extra = if t.user.is_some() && !self.options.user_units {
                    ", and systemd sets `HOME`, `USER`, `LOGNAME` and `SHELL` for `User=`"
                } else {
                    ""
                };
                self.push(
                    Diagnostic::new(
                        Code::SystemdEnvironment,
                        format!("`{pname}` no longer inherits supervisord's environment{extra}"),
                    )
                    .at(span, "only `environment` is written into the unit")
                    .help("add the variables the program needs to `environment`"),
                );
            }
        }
        let runtime = if self.options.env_mode == EnvMode::Runtime {
            self.runtime_command(section, group, plan)
        } else {
            None
        };
        let runtime_names: BTreeSet<String> = runtime
            .iter()
            .flat_map(|r| r.vars.iter().map(|v| v.name.clone()))
            .collect();
        self.inlined_env(section, pname, info_once, &runtime_names);
        if !runtime_names.is_empty() && info_once.insert(Code::SystemdRuntimeVariable) {
            self.runtime_note(section, pname, &runtime_names);
        }
        // ExecStart
        let command = runtime.as_ref().map_or(&t.command, |r| &r.command);
        let (exec, search_path) = self.exec_start(
            section,
            command,
            t.directory.as_deref(),
            &env,
            runtime.as_ref(),
        )?;
        if let Some(path) = search_path {
            let _ = writeln!(out, "ExecSearchPath={}", fin(path));
        }
        let _ = writeln!(out, "ExecStart={}", fin(exec));
        // restart
        let expected: Vec<String> = p.exitcodes.iter().map(i64::to_string).collect();
        let nonzero: Vec<String> = p
            .exitcodes
            .iter()
            .filter(|c| **c != 0)
            .map(i64::to_string)
            .collect();
        match p.autorestart.as_str() {
            "false" => {
                let _ = writeln!(out, "Restart=no");
                if p.startretries > 0 {
                    let span = self.key_span(section, "autorestart");
                    self.push(
                        Diagnostic::new(
                            Code::SystemdNoStartupRetries,
                            format!("`{pname}` is no longer retried when it dies during startup"),
                        )
                        .at(span, "systemd cannot restart only while starting")
                        .help("use `autorestart=unexpected` if the retries matter"),
                    );
                }
            }
            "true" => {
                let _ = writeln!(out, "Restart=always");
            }
            _ => {
                let _ = writeln!(out, "Restart=always");
                if !expected.is_empty() {
                    let _ = writeln!(out, "RestartPreventExitStatus={}", expected.join(" "));
                }
            }
        }
        if !nonzero.is_empty() {
            let _ = writeln!(out, "SuccessExitStatus={}", nonzero.join(" "));
        }
        let _ = writeln!(out, "RestartSec=1");
        // §6.2: supervisord's growing BACKOFF delay, approximated from systemd 254 on; not
        // without restarts, without retries (a zero maximum delay would make systemd warn)
        // or with `startsecs=0` (supervisord never backs off then)
        if self.options.systemd_version >= 254
            && p.autorestart != "false"
            && p.startsecs != 0
            && (1..i64::from(u32::MAX)).contains(&p.startretries)
        {
            let _ = writeln!(out, "RestartSteps={}", p.startretries);
            let _ = writeln!(out, "RestartMaxDelaySec={}", p.startretries);
        }
        if p.startsecs != 0 && !self.start_limit_noted {
            self.start_limit_noted = true;
            self.push(
                Diagnostic::new(
                    Code::SystemdStartLimitApproximation,
                    "`startretries` and `startsecs` are approximated with a start rate limit",
                )
                .at(self.header(section), "see `StartLimitBurst=` and `StartLimitIntervalSec=`")
                .help("`svconf explain SV308` lists where systemd differs (manual starts count; with `autorestart=unexpected` an early expected exit is not retried)"),
            );
        }
        if p.startsecs != 0 && info_once.insert(Code::SystemdStartsecs) {
            let span = self.key_span(section, "startsecs");
            self.push(
                Diagnostic::new(
                    Code::SystemdStartsecs,
                    format!(
                        "`startsecs={}` has no exact systemd equivalent",
                        p.startsecs
                    ),
                )
                .at(
                    span,
                    "`systemctl start` succeeds as soon as the program was executed",
                )
                .help("nothing to change; a start rate limit approximates it"),
            );
        }
        // stop
        let mode = if p.stopasgroup {
            "control-group"
        } else if self.options.faithful_kill && !p.killasgroup {
            // §7: supervisord signalled only the main process and left its children running
            "process"
        } else {
            if info_once.insert(Code::SystemdKillModeMixed) {
                let span = self.header(section);
                self.push(
                    Diagnostic::new(
                        Code::SystemdKillModeMixed,
                        format!("`{pname}` stops with `KillMode=mixed`"),
                    )
                    .at(span, "children are SIGKILLed after the main process")
                    .help("set `stopasgroup=true` to signal the whole process group"),
                );
            }
            "mixed"
        };
        let _ = writeln!(out, "KillMode={mode}");
        let sig = match &p.stopsignal {
            Signal::Name(n) => format!("SIG{n}"),
            Signal::Number(n) => {
                let span = self.key_span(section, "stopsignal");
                self.push(
                    Diagnostic::new(
                        Code::SystemdUnrepresentableValue,
                        format!("systemd cannot send signal number {n} on stop"),
                    )
                    .at(span, "`KillSignal=` needs a signal name")
                    .help("use a signal name such as `TERM`"),
                );
                return None;
            }
        };
        let _ = writeln!(out, "KillSignal={sig}");
        let _ = writeln!(out, "TimeoutStopSec={}", p.stopwaitsecs.max(1));
        let sup = &self.compiled.resolved.supervisord;
        if self.tree.get("supervisord", "minfds").is_some() && sup.minfds > 1024 {
            let _ = writeln!(out, "LimitNOFILE={}", sup.minfds);
        }
        // logs
        let (so, so_journal) = self.log(
            section,
            pname,
            "stdout",
            &t.stdout,
            p.stdout_syslog,
            p.stdout_logfile_maxbytes,
            p.stdout_logfile_backups,
            t.directory.as_deref(),
            warned_dirs,
            info_once,
            rotate,
            plan,
        )?;
        let _ = writeln!(out, "StandardOutput={}", fin(so));
        let mut journal = so_journal;
        if p.redirect_stderr {
            let _ = writeln!(out, "StandardError=inherit");
        } else {
            let (err_out, err_journal) = self.log(
                section,
                pname,
                "stderr",
                &t.stderr,
                p.stderr_syslog,
                p.stderr_logfile_maxbytes,
                p.stderr_logfile_backups,
                t.directory.as_deref(),
                warned_dirs,
                info_once,
                rotate,
                plan,
            )?;
            let _ = writeln!(out, "StandardError={}", fin(err_out));
            journal |= err_journal;
        }
        if journal {
            let id = self.plain(section, "process_name", &t.name)?;
            let _ = writeln!(out, "SyslogIdentifier={}", fin(id));
        }
        if p.stdout_capture_maxbytes != 0
            || p.stderr_capture_maxbytes != 0
            || p.stdout_events_enabled
            || p.stderr_events_enabled
        {
            let span = self.header(section);
            self.push(
                Diagnostic::new(
                    Code::SystemdEventsLost,
                    format!("capture mode and log events of `{pname}` have no systemd equivalent"),
                )
                .at(span, "no event listener exists under systemd")
                .help("remove `*_capture_maxbytes` and `*_events_enabled`"),
            );
        }
        // [Install]
        let wb = parent.map_or_else(|| self.top_wanted_by(), str::to_string);
        let _ = write!(out, "\n[Install]\nWantedBy={wb}\n");
        Some(out)
    }

    /// The command of `plan` with a marker wherever a `%(ENV_X)s` of supervisord's process
    /// environment stood (spec §2.2 item 5), checked to reproduce the resolved command;
    /// `None` keeps every value inline.
    fn runtime_command(
        &self,
        section: &str,
        group: &Group,
        plan: &UnitPlan,
    ) -> Option<RuntimeCommand> {
        let raw = &self.tree.get(section, "command")?.text;
        let p = plan.process;
        let sup_env = &self.compiled.resolved.supervisord.environment;
        let mut names: Vec<String> = Vec::new();
        let mut other: BTreeSet<String> = BTreeSet::new();
        for r in crate::expand::references(raw) {
            let Some(x) = r.name.strip_prefix("ENV_") else {
                continue;
            };
            if raw[r.start..r.end] != format!("%({})s", r.name) {
                // padded or converted (`%(ENV_X)5s`, `%(ENV_X)r`): only the value is exact
                other.insert(x.to_string());
            } else if !p.environment.contains_key(x)
                && !sup_env.contains_key(x)
                && is_env_name(x)
                && !names.iter().any(|n| n == x)
            {
                names.push(x.to_string());
            }
        }
        names.retain(|n| !other.contains(n));
        if names.is_empty() || raw.contains(VAR_MARKER) || p.command.contains(VAR_MARKER) {
            return None;
        }
        let vars: Vec<RuntimeVar> = names
            .iter()
            .enumerate()
            .map(|(i, n)| RuntimeVar {
                name: n.clone(),
                marker: format!("{VAR_MARKER}{i}xEND"),
            })
            .collect();
        let env = self.env;
        let unmark = |s: &str| -> Option<String> {
            let mut s = s.to_string();
            for v in &vars {
                s = s.replace(&v.marker, env_value(env, &v.name)?);
            }
            Some(s)
        };
        // the variables supervisord expands `command` with (spec/supervisord-config.md)
        let mut vm = VarMap::new();
        for (k, v) in &self.env.vars {
            vm.set(&format!("ENV_{k}"), v);
        }
        for (k, v) in sup_env {
            vm.set(&format!("ENV_{k}"), v);
        }
        vm.set("here", &self.tree.here);
        vm.set(
            "program_name",
            section.split_once(':').map_or(section, |(_, n)| n),
        );
        vm.set("host_node_name", &self.env.hostname);
        vm.set("group_name", &group.name);
        for (k, v) in p.environment.iter() {
            vm.set(&format!("ENV_{k}"), v);
        }
        for v in &vars {
            vm.set(&format!("ENV_{}", v.name), &v.marker);
        }
        let copies = i64::try_from(
            group
                .processes
                .iter()
                .filter(|q| q.section == section)
                .count(),
        )
        .ok()?;
        vm.set_int("numprocs", copies);
        let start = self
            .tree
            .get(section, "numprocs_start")
            .map_or(Ok(0), |v| crate::python::int(&v.text))
            .ok()?;
        let mut marked = None;
        for n in start..start.saturating_add(copies) {
            vm.set_int("process_num", n);
            let text = crate::expand::expand(raw, &vm).ok()?;
            if unmark(&text)? == *p.command {
                marked = Some(text.into_owned());
                break;
            }
        }
        let mut command = marked?;
        if let Some((r0, _)) = &plan.template {
            command = merge_instance(&plan.texts.command, &command, &vars, env, r0)?;
        }
        let argv = crate::python::shlex_split_posix(&command).ok()?;
        if argv.first()?.contains(VAR_MARKER) {
            return None; // systemd does not expand variables in the executable
        }
        let bytes = command.as_bytes();
        let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        let mut occurrences = Vec::new();
        let mut pos = 0;
        while let Some(off) = command[pos..].find(VAR_MARKER) {
            let at = pos + off;
            let (i, v) = vars
                .iter()
                .enumerate()
                .find(|(_, v)| command[at..].starts_with(&v.marker))?;
            let end = at + v.marker.len();
            let whole = (at == 0 || ws(bytes[at - 1])) && (end == bytes.len() || ws(bytes[end]));
            occurrences.push((i, whole));
            pos = end;
        }
        Some(RuntimeCommand {
            command,
            vars,
            occurrences,
        })
    }

    /// W107: the runtime references of `command` need the unit's environment.
    fn runtime_note(&mut self, section: &str, pname: &str, names: &BTreeSet<String>) {
        let span = self.key_span(section, "command");
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let files = names
            .iter()
            .map(|n| format!("{n}=…"))
            .collect::<Vec<_>>()
            .join(", ");
        self.push(
            Diagnostic::new(
                Code::SystemdRuntimeVariable,
                format!(
                    "the command of `{pname}` reads {list} from the unit's environment when it starts"
                ),
            )
            .at(
                span,
                "`%(ENV_X)s` of supervisord's environment became `$X` or `${X}`",
            )
            .help(format!(
                "define them in the unit: add `EnvironmentFile=/etc/default/{pname}` (holding {files}) \
                 or `Environment=` in a drop-in (`systemctl edit`), or use `--env-mode inline`; \
                 exact only for values without whitespace, quotes or backslashes \
                 (supervisord substituted before splitting the command)"
            )),
        );
    }

    /// Notes `%(ENV_X)s` values that came from svconf's own environment (those of
    /// `command` in `runtime` were not written into the unit).
    fn inlined_env(
        &mut self,
        section: &str,
        pname: &str,
        once: &mut BTreeSet<Code>,
        runtime: &BTreeSet<String>,
    ) {
        let sup_env = &self.compiled.resolved.supervisord.environment;
        // the program's own `environment` is written into the unit too: known, not inlined
        let own: BTreeSet<String> = self
            .tree
            .get(section, "environment")
            .and_then(|v| crate::lower::convert::dict_of_key_value_pairs(&v.text).ok())
            .map(|pairs| pairs.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default();
        let mut names = BTreeSet::new();
        for key in self.tree.options(section) {
            if key == "environment" {
                continue;
            }
            let Some(v) = self.tree.get(section, key) else {
                continue;
            };
            for r in crate::expand::references(&v.text) {
                if let Some(x) = r.name.strip_prefix("ENV_") {
                    let converted = key == "command" && runtime.contains(x);
                    if !sup_env.contains_key(x) && !own.contains(x) && !converted {
                        names.insert(x.to_string());
                    }
                }
            }
        }
        if !names.is_empty() && once.insert(Code::SystemdInlinedEnvironment) {
            let span = self.header(section);
            let list = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.push(
                Diagnostic::new(
                    Code::SystemdInlinedEnvironment,
                    format!("the values of {list} were written into the units of `{pname}`"),
                )
                .at(span, "expanded with the environment svconf was given")
                .help("regenerate the units when these values change"),
            );
        }
    }

    fn plain(&mut self, section: &str, key: &str, value: &str) -> Option<String> {
        match encode::plain(value) {
            Ok(v) => Some(v),
            Err(encode::EncodeError::Unrepresentable(why)) => {
                let span = self.key_span(section, key);
                self.push(
                    Diagnostic::new(
                        Code::SystemdUnrepresentableValue,
                        format!("`{key}` cannot be written into a unit: {why}"),
                    )
                    .at(span, "no systemd line can carry this value")
                    .help("change the value"),
                );
                None
            }
        }
    }

    #[allow(clippy::too_many_lines)] // §2.2 step 3, case by case
    fn exec_start(
        &mut self,
        section: &str,
        command: &str,
        directory: Option<&str>,
        env: &[(String, String)],
        runtime: Option<&RuntimeCommand>,
    ) -> Option<(String, Option<String>)> {
        let span = self.key_span(section, "command");
        let mut search_path = None;
        let mut argv = match crate::python::shlex_split_posix(command) {
            Ok(a) if !a.is_empty() => a,
            _ => {
                self.push(
                    Diagnostic::new(
                        Code::SystemdUnrepresentableValue,
                        "the command cannot be split into arguments",
                    )
                    .at(span, "supervisord cannot split this either")
                    .help("balance the quotes"),
                );
                return None;
            }
        };
        let exe = argv[0].clone();
        let bad_char = exe
            .chars()
            .any(|c| c == '"' || c == '\'' || c == '\\' || c.is_control());
        if bad_char || (!exe.contains('/') && exe.starts_with(['-', '@', ':', '+', '!'])) {
            self.push(
                Diagnostic::new(
                    Code::SystemdUnrepresentableValue,
                    format!("systemd cannot run the executable `{exe}`"),
                )
                .at(
                    span,
                    "quotes, backslashes, control characters or a systemd prefix character",
                )
                .help("rename or move the executable, or write its absolute path"),
            );
            return None;
        }
        if exe.starts_with('/') {
        } else if exe.contains('/') {
            match directory {
                Some(dir) if dir.starts_with('/') => {
                    let joined = crate::python::normpath(&format!("{dir}/{exe}"));
                    self.push(
                        Diagnostic::new(
                            Code::SystemdJoinedExecutable,
                            format!("`{exe}` became `{}`", joined.replace(MARKER, "%i")),
                        )
                        .at(span, "systemd refuses relative executables")
                        .help("check the result, or write the absolute path"),
                    );
                    argv[0] = joined;
                }
                _ => {
                    self.push(
                        Diagnostic::new(
                            Code::SystemdRelativeExecutable,
                            format!("systemd cannot start the relative executable `{exe}`"),
                        )
                        .at(span, "neither an absolute path nor a bare name")
                        .help("write the absolute path of the executable"),
                    );
                    return None;
                }
            }
        } else if self.options.systemd_version < 239 {
            self.push(
                Diagnostic::new(
                    Code::SystemdRelativeExecutable,
                    format!(
                        "systemd {} cannot start the bare name `{exe}`",
                        self.options.systemd_version
                    ),
                )
                .at(span, "bare names need systemd 239")
                .help("write the absolute path of the executable"),
            );
            return None;
        } else if let Some(path) = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .and_then(|(_, v)| search_path_value(v))
            .filter(|_| self.options.systemd_version >= 250)
        {
            search_path = Some(path);
        } else if env.iter().any(|(k, _)| k == "PATH") {
            self.push(
                Diagnostic::new(
                    Code::SystemdPathIgnored,
                    format!("`{exe}` is looked up in systemd's fixed search path, not in the program's `PATH`"),
                )
                .at(span, "a bare name")
                .help("write the absolute path of the executable"),
            );
        } else {
            self.push(
                Diagnostic::new(
                    Code::SystemdBareExecutable,
                    format!("`{exe}` is looked up in `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin`"),
                )
                .at(span, "a bare name")
                .help("write the absolute path if the executable lives elsewhere (a venv, `/opt`)"),
            );
        }
        if argv
            .iter()
            .any(|a| a.rsplit('/').next() == Some("supervisorctl"))
        {
            self.push(
                Diagnostic::new(
                    Code::SystemdSupervisorctl,
                    "the command runs `supervisorctl`",
                )
                .at(span, "there is no supervisord to talk to under systemd")
                .help("rewrite it for `systemctl`"),
            );
        }
        let shell = ["|", "||", "&&", ";", ">", ">>", "<", "2>&1", "&"];
        if argv
            .iter()
            .skip(1)
            .any(|a| shell.contains(&a.as_str()) || a.contains('`') || a.starts_with("$("))
        {
            self.push(
                Diagnostic::new(
                    Code::SystemdShellSyntax,
                    "the command looks like shell syntax",
                )
                .at(span, "passed as literal arguments, as supervisord did")
                .help("wrap the command in `/bin/sh -c '...'` if a shell was intended"),
            );
        }
        let encoded = match runtime {
            None => encode::exec_start(&argv),
            Some(r) => encode::exec_start_with_vars(&runtime_pieces(&argv, r)),
        };
        match encoded {
            Ok(s) => Some((s, search_path)),
            Err(encode::EncodeError::Unrepresentable(why)) => {
                self.push(
                    Diagnostic::new(
                        Code::SystemdUnrepresentableValue,
                        format!("the command cannot be written as `ExecStart=`: {why}"),
                    )
                    .at(span, "no systemd line can carry this argument")
                    .help("change the argument"),
                );
                None
            }
        }
    }

    /// `StandardOutput=`/`StandardError=` for one log setting; true when it is the journal.
    #[allow(clippy::too_many_arguments)] // one stream's settings, called twice
    fn log(
        &mut self,
        section: &str,
        pname: &str,
        stream: &str,
        value: &str,
        syslog: bool,
        maxbytes: i64,
        backups: i64,
        directory: Option<&str>,
        warned_dirs: &mut BTreeSet<String>,
        info_once: &mut BTreeSet<Code>,
        rotate: &mut Vec<(Vec<String>, i64, i64)>,
        plan: &UnitPlan,
    ) -> Option<(String, bool)> {
        let key = format!("{stream}_logfile");
        let span = self.key_span(section, &key);
        let journal_note = |g: &mut Self, once: &mut BTreeSet<Code>| {
            if once.insert(Code::SystemdJournal) {
                g.push(
                    Diagnostic::new(
                        Code::SystemdJournal,
                        format!("output of `{pname}` goes to the journal"),
                    )
                    .at(span, "read it with `journalctl -u UNIT`")
                    .help("nothing to do; set a log file path to keep a file"),
                );
            }
        };
        let upper = value.to_ascii_uppercase();
        if upper == "NONE" {
            return Some(("null".into(), false));
        }
        if upper == "AUTO"
            || upper == "SYSLOG"
            || [
                "/dev/stdout",
                "/dev/stderr",
                "/proc/self/fd/1",
                "/proc/self/fd/2",
            ]
            .contains(&value)
        {
            journal_note(self, info_once);
            return Some(("journal".into(), true));
        }
        if !value.starts_with('/') || value.split('/').any(|c| c == "..") {
            self.push(
                Diagnostic::new(
                    Code::SystemdUnrepresentableValue,
                    format!(
                        "log path `{}` is not absolute and normalized",
                        value.replace(MARKER, "%i")
                    ),
                )
                .at(span, "systemd ignores this path")
                .help("write the real, absolute path"),
            );
            return None;
        }
        if self.options.systemd_version < 240 {
            self.push(
                Diagnostic::new(
                    Code::SystemdAppendUnavailable,
                    format!("`append:` needs systemd 240; `{pname}` logs to the journal"),
                )
                .at(span, "not written to this file")
                .help("raise `--systemd-version`, or read the journal"),
            );
            return Some(("journal".into(), true));
        }
        if syslog {
            self.push(
                Diagnostic::new(
                    Code::SystemdFileAndSyslog,
                    format!("`{pname}` cannot log to a file and to syslog at once"),
                )
                .at(
                    self.key_span(section, &format!("{stream}_syslog")),
                    "the file is kept",
                )
                .help("remove the syslog setting, or log to the journal only"),
            );
        }
        if maxbytes != 0 {
            let real: Vec<String> = match &plan.template {
                None => vec![value.to_string()],
                Some(_) => Vec::new(),
            };
            let _ = real;
            self.push(
                Diagnostic::new(
                    Code::SystemdLogRotationLost,
                    format!(
                        "`{}` is no longer rotated at {maxbytes} bytes × {backups}",
                        value.replace(MARKER, "%i")
                    ),
                )
                .at(
                    self.key_span(section, &format!("{stream}_logfile_maxbytes")),
                    "systemd appends forever",
                )
                .help("use `--logrotate` (a logrotate snippet), or log to the journal"),
            );
            rotate.push((vec![value.replace(MARKER, "*")], maxbytes, backups));
        }
        let dir = value
            .rsplit_once('/')
            .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d });
        if Some(dir) != directory && dir != "/" && warned_dirs.insert(dir.to_string()) {
            self.push(
                Diagnostic::new(
                    Code::SystemdLogDirectory,
                    format!("`{}` is not known to exist", dir.replace(MARKER, "%i")),
                )
                .at(
                    span,
                    "a missing directory fails the start with status 209/STDOUT",
                )
                .help(if let Some(rel) = dir.strip_prefix("/var/log/") {
                    format!("add `LogsDirectory={rel}` in a drop-in, or create it with tmpfiles.d")
                } else {
                    "create it with a `tmpfiles.d` line".to_string()
                }),
            );
        }
        let v = self.plain(section, &key, value)?;
        Some((format!("append:{v}"), false))
    }
}

/// `a` (copy 0) with [`MARKER`] wherever `b` (copy 1) has `r1` in place of `r0`.
#[allow(clippy::many_single_char_names)] // two strings and their two numbers
fn align(a: &str, b: &str, r0: &str, r1: &str) -> Option<String> {
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() {
        let (ra, rb) = (&a[i..], &b[j..]);
        if r0 != r1 && ra.starts_with(r0) && rb.starts_with(r1) && !rb.starts_with(r0) {
            out.push_str(MARKER);
            i += r0.len();
            j += r1.len();
            continue;
        }
        let c = ra.chars().next()?;
        if !rb.starts_with(c) {
            return None;
        }
        out.push(c);
        i += c.len_utf8();
        j += c.len_utf8();
    }
    (j == b.len()).then_some(out)
}

/// The template command `tpl` (with [`MARKER`]) with the runtime markers of `marked`
/// (the first copy's command, with `r0` where `tpl` has [`MARKER`]).
#[allow(clippy::many_single_char_names)] // two strings and their positions, as in `align`
fn merge_instance(
    tpl: &str,
    marked: &str,
    vars: &[RuntimeVar],
    env: &Env,
    r0: &str,
) -> Option<String> {
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < tpl.len() || j < marked.len() {
        let (t, m) = (&tpl[i..], &marked[j..]);
        if let Some(v) = vars.iter().find(|v| m.starts_with(&v.marker)) {
            let val = env_value(env, &v.name)?;
            if !t.starts_with(val) || val.contains(MARKER) {
                return None;
            }
            out.push_str(&v.marker);
            i += val.len();
            j += v.marker.len();
            continue;
        }
        if t.starts_with(MARKER) {
            if !m.starts_with(r0) || r0.contains(VAR_MARKER) {
                return None;
            }
            out.push_str(MARKER);
            i += MARKER.len();
            j += r0.len();
            continue;
        }
        let c = t.chars().next()?;
        if !m.starts_with(c) {
            return None;
        }
        out.push(c);
        i += c.len_utf8();
        j += c.len_utf8();
    }
    Some(out)
}

/// `argv` (split from [`RuntimeCommand::command`]) as pieces for
/// [`encode::exec_start_with_vars`]: a marker that was an entire unquoted token is
/// `$X`, any other `${X}`.
fn runtime_pieces(argv: &[String], r: &RuntimeCommand) -> Vec<Vec<encode::Piece>> {
    let mut occurrences = r.occurrences.iter();
    argv.iter()
        .map(|arg| {
            let mut pieces = Vec::new();
            let mut rest = arg.as_str();
            while let Some(off) = rest.find(VAR_MARKER) {
                let Some(v) = r.vars.iter().find(|v| rest[off..].starts_with(&v.marker)) else {
                    break;
                };
                let whole = occurrences.next().is_some_and(|&(_, w)| w);
                if off > 0 {
                    pieces.push(encode::Piece::Text(rest[..off].to_string()));
                }
                if whole && arg == &v.marker {
                    pieces.push(encode::Piece::Words(v.name.clone()));
                } else {
                    pieces.push(encode::Piece::Var(v.name.clone()));
                }
                rest = &rest[off + v.marker.len()..];
            }
            if !rest.is_empty() || pieces.is_empty() {
                pieces.push(encode::Piece::Text(rest.to_string()));
            }
            pieces
        })
        .collect()
}

/// The value `compile` expanded `%(ENV_name)s` with (the last assignment wins).
fn env_value<'e>(env: &'e Env, name: &str) -> Option<&'e str> {
    env.vars
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A name systemd expands in `$X`/`${X}`.
fn is_env_name(x: &str) -> bool {
    x.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The instance string of a concrete copy, read back from its name through the template.
fn texts_instance(tpl: &Texts, t: &Texts) -> String {
    let (pre, post) = tpl.name.split_once(MARKER).unwrap_or((&tpl.name, ""));
    t.name
        .strip_prefix(pre)
        .and_then(|s| s.strip_suffix(post))
        .unwrap_or_default()
        .to_string()
}

/// `ExecSearchPath=` for a `PATH` value (systemd.exec(5): `:`-separated absolute paths,
/// systemd ≥ 250), or `None` when systemd would ignore or change a part of it (an empty or
/// relative entry, which `execvp` searched relative to the working directory, `..`, or a
/// backslash, which systemd unescapes there).
fn search_path_value(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(':').collect();
    let ok = parts
        .iter()
        .all(|d| d.starts_with('/') && !d.contains('\\') && !d.split('/').any(|c| c == ".."));
    if !ok {
        return None;
    }
    let encoded = parts
        .iter()
        .map(|d| encode::plain(d).ok())
        .collect::<Option<Vec<_>>>()?;
    Some(encoded.join(":"))
}

/// A plain value, or the name with `%` doubled when it cannot be encoded (descriptions).
fn plain_or(v: &str) -> String {
    encode::plain(v).unwrap_or_else(|_| v.replace('%', "%%").replace(['\n', '\r'], " "))
}

fn portable_user(u: &str) -> bool {
    u.bytes().all(|b| b.is_ascii_digit())
        || (u
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && u.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'))
}

fn listener_help(g: &Group) -> String {
    let events = g.events.clone().unwrap_or_default();
    if events.iter().any(|e| e.starts_with("PROCESS_STATE")) {
        "add `OnFailure=<notify>@%n.service` to the watched services".into()
    } else if events.iter().any(|e| e.starts_with("TICK")) {
        "use a `.timer` with `OnUnitActiveSec=` driving a oneshot service".into()
    } else {
        "no equivalent; rewrite it as a systemd timer or `OnFailure=` hook".into()
    }
}
