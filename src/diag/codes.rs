//! The registry of diagnostic codes: the one table that names every finding svconf
//! can report (ruff's `codes.rs` model).
//!
//! Codes are stable: never renumber or reuse one. Ranges: `SV0xx` syntax, `SV1xx`
//! includes and `%(name)s` expansion, `SV2xx` meaning of sections and keys, `SV3xx`
//! limits of an output target, `SV9xx` svconf itself. Each entry records whether
//! supervisord 4.3.0 refuses to start on the problem, so `check` can tell "this
//! will fail at deploy" from "this is legal but suspicious".

use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The config cannot work as written.
    Error,
    /// Legal, but almost surely not what the author meant.
    Warning,
    /// Worth knowing.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that `{:<8}` lines columns up
        f.pad(match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        })
    }
}

/// What the registry knows about a code.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// `SV104`.
    pub id: &'static str,
    /// kebab-case problem name.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// True when supervisord 4.3.0 refuses to start on this problem.
    pub refused_by_supervisord: bool,
    /// One-line summary.
    pub summary: &'static str,
    /// Longer documentation shown by `svconf explain`.
    pub docs: &'static str,
}

macro_rules! registry {
    ($( $variant:ident = $id:literal, $name:literal, $sev:ident, $refused:literal, $summary:literal, $docs:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The registry entry.
            pub fn info(self) -> CodeInfo {
                match self {
                    $(Code::$variant => CodeInfo {
                        id: $id,
                        name: $name,
                        severity: Severity::$sev,
                        refused_by_supervisord: $refused,
                        summary: $summary,
                        docs: $docs,
                    },)*
                }
            }
        }
    };
}

registry! {
    InvalidLine = "SV001", "invalid-line", Error, true,
        "a line that is neither a section header, a `key = value` option nor a comment",
        "supervisord reads its config with Python's configparser. A line that has no `=` or `:` \
(for example a bare `autostart`) is a parsing error, and supervisord refuses the whole file, \
listing every such line.\n\nExample:\n    [program:web]\n    command=/usr/bin/web\n    autostart\n\nFix: write `key = value`.";
    EmptyKey = "SV002", "empty-key", Error, true,
        "an option line with nothing before its `=` or `:`",
        "`=value` or `: value` has an empty key. configparser reports the line as a parsing error.\n\nFix: write the key name before the separator.";
    NoSectionHeader = "SV003", "no-section-header", Error, true,
        "text before the first `[section]` header",
        "Everything but blank lines and comments must come after a `[section]` header. supervisord stops with \
\"File contains no section headers\".\n\nFix: move the text into a section, or comment it out.";
    InvalidEncoding = "SV004", "invalid-encoding", Error, true,
        "the file is not valid UTF-8 text",
        "supervisord opens config files as text in the locale's encoding (UTF-8 in practice). Undecodable bytes \
abort the start with the decoder's message. A binary file matched by an `[include]` glob does the same.\n\nFix: save the file as UTF-8, or exclude it from the include pattern.";
    ByteOrderMark = "SV005", "byte-order-mark", Error, true,
        "the file starts with a UTF-8 byte order mark",
        "Python's configparser does not skip a BOM: the first line then is not a section header and supervisord \
stops with \"File contains no section headers\".\n\nFix: save the file as UTF-8 without BOM.";
    TooManySyntaxErrors = "SV006", "too-many-syntax-errors", Error, true,
        "more bad lines than are worth listing one by one",
        "After 100 bad lines in one file svconf stops listing them: the file is probably not a supervisord config at all.";
    DuplicateKey = "SV007", "duplicate-key", Warning, false,
        "a key set twice in one section; the later one wins",
        "configparser keeps the last value silently (also across included files that reopen a section). The earlier line is dead text.\n\nFix: remove the line that should not apply.";
    UnusedSuppression = "SV008", "unused-suppression", Warning, false,
        "a `; svconf: allow CODE` comment that suppresses nothing",
        "A suppression comment silences the named codes on the next non-comment line. One that silences nothing (the problem was fixed, or the code is wrong) is reported so stale comments do not pile up. Codes supervisord refuses to start on cannot be suppressed.\n\nFix: remove the comment or the code from it.";
    TomlSyntax = "SV009", "toml-syntax", Error, false,
        "a `.toml` config that is not valid TOML",
        "svconf reads `.toml` configs (see the README's TOML section). A file that is not valid TOML cannot be read or converted.\n\nFix: correct the TOML syntax.";
    NotExpressibleInIni = "SV010", "not-expressible-in-ini", Error, false,
        "a TOML value that supervisord's INI dialect cannot carry",
        "A `.toml` config must mean something supervisord can read once converted to INI. Leading or trailing whitespace, a `;` or `#` after whitespace, a line break in the wrong place, or an environment value with both quote kinds cannot be written in supervisord's dialect.\n\nFix: change the value, or write it the way the help suggests.";
    IncludeWithoutFiles = "SV101", "include-without-files", Error, true,
        "an `[include]` section without a `files` key",
        "supervisord refuses \".ini file has [include] section, but no files setting\".\n\nFix: add `files = conf.d/*.conf`, or remove the section.";
    UnreadableInclude = "SV102", "unreadable-include", Warning, false,
        "a file matched by `[include] files` cannot be read",
        "A match that cannot be opened (a directory, a file without read permission, a broken link) is silently \
skipped by supervisord, yet counted as included. Its programs then simply do not exist.\n\nFix: make the file readable, or narrow the pattern.";
    IncludeMatchesNothing = "SV103", "include-matches-nothing", Warning, false,
        "an `[include] files` pattern that matches no file",
        "supervisord logs `No file matches via include \"...\"` and goes on. Usually a wrong path or a missing deploy step.\n\nFix: correct the pattern or remove it.";
    UnknownVariable = "SV104", "unknown-variable", Error, true,
        "`%(name)s` names a variable that is not defined there",
        "Values are expanded with Python's `%` operator. A name that is not available in that key (an unset \
environment variable in `%(ENV_X)s`, `%(process_num)d` in a key read once per section, a typo) is an error: \
\"Format string ... contains names ('X') which cannot be expanded\". Which names exist where is listed in the README.\n\n\
Fix: set the variable (in CI: `svconf check -e X=value` or `--env-file`), or use a name available in that key.";
    BadFormat = "SV105", "bad-format", Error, true,
        "a `%` in a value that is not a valid Python format",
        "A lone `%` (write `%%`), a `%(name)` without a conversion character, or a type mismatch such as \
`%(program_name)d` makes supervisord stop with \"Format string ... is badly formatted\". Log file paths are expanded twice, so a literal `%` there needs `%%%%`.\n\nFix: escape a literal percent sign as `%%`.";
    NestedInclude = "SV106", "nested-include", Warning, false,
        "an `[include]` section in an included file, which supervisord ignores",
        "Only the main file's `[include]` is read. An `[include]` in a file it includes has no effect.\n\nFix: list the pattern in the main file's `[include] files`.";
    IncludedTwice = "SV107", "included-twice", Warning, false,
        "a file is read twice (the main file through its own `[include]`, or two patterns matching one file)",
        "supervisord reads every match, even the main file itself (`files = *.conf` next to `supervisord.conf`). The second reading merges every section with itself: harmless for keys, but its programs' keys are applied twice and later includes may override them in surprising order.\n\nFix: narrow the pattern (for example `conf.d/*.conf`) so each file is read once.";
    MissingSupervisordSection = "SV201", "missing-supervisord-section", Error, true,
        "the config has no `[supervisord]` section",
        "supervisord refuses \".ini file does not include supervisord section\". A `conf.d` fragment has none by design: check it with `svconf check --fragment`.";
    InvalidBoolean = "SV202", "invalid-boolean", Error, true,
        "a boolean key whose value is not one of yes/no, true/false, on/off, 1/0",
        "supervisord accepts `yes true on 1` and `no false off 0` in any case, nothing else (not even an empty value).";
    InvalidInteger = "SV203", "invalid-integer", Error, true,
        "an integer key whose value is not an integer",
        "Python's `int()` decides: blanks around, a sign and `_` between digits are fine; `1.5`, `0x10`, `` are not.";
    InvalidByteSize = "SV204", "invalid-byte-size", Error, true,
        "a size key whose value is not an integer with an optional KB/MB/GB suffix",
        "`50MB`, `1024`, `5 kb` are sizes; `10b`, `1.5MB` are not.";
    InvalidOctal = "SV205", "invalid-octal", Error, true,
        "a mode key (`umask`, `chmod`, `socket_mode`) that is not an octal number",
        "Written as `022`, `0o22` or `7`; digits 8 and 9 are not octal.";
    InvalidSignal = "SV206", "invalid-signal", Error, true,
        "`stopsignal` names no signal",
        "A signal name (`TERM`, `SIGINT`, case-insensitive) or a number that is a valid Linux signal.";
    InvalidExitCodes = "SV207", "invalid-exitcodes", Error, true,
        "`exitcodes` is not a comma-separated list of integers 0..255",
        "Write `exitcodes = 0,2`. A trailing comma or a code above 255 is refused.";
    InvalidAutorestart = "SV208", "invalid-autorestart", Error, true,
        "`autorestart` is not true, false or unexpected",
        "supervisord accepts the boolean words and `unexpected`.";
    InvalidLogLevel = "SV209", "invalid-loglevel", Error, true,
        "`loglevel` is not a supervisord log level",
        "One of `critical error warn info debug trace blather`. `warning` and `crit` are refused.";
    InvalidEnvironment = "SV210", "invalid-environment", Error, true,
        "`environment` is not a list of KEY=\"value\" pairs supervisord can parse",
        "supervisord tokenises `environment` with Python's shlex: values with characters other than letters, \
digits and `_/.+-():` must be quoted, pairs are separated by commas.";
    InvalidName = "SV211", "invalid-name", Error, true,
        "a program, group or process name contains a space, `:` or `/`",
        "These characters break supervisorctl's `group:process` names and the web UI.";
    MissingCommand = "SV212", "missing-command", Error, true,
        "a program section without `command`",
        "Every program needs a command (unless numprocs is 0).";
    ProcessNumMissing = "SV213", "process-num-missing", Error, true,
        "`numprocs` > 1 but `process_name` does not contain `%(process_num)`",
        "Each process needs a distinct name. Write `process_name=%(program_name)s_%(process_num)02d`.";
    StopAsGroupWithoutKillAsGroup = "SV214", "stopasgroup-without-killasgroup", Error, true,
        "`stopasgroup=true` with `killasgroup=false`",
        "supervisord refuses the combination: a group that is stopped as a group must also be killed as one.";
    UnknownGroupMember = "SV215", "unknown-group-member", Error, true,
        "a `[group:x]` lists a program that does not exist",
        "Each name in `programs` must be a `[program:name]` or `[fcgi-program:name]` section.";
    AmbiguousGroupMember = "SV216", "ambiguous-group-member", Error, true,
        "a `[group:x]` lists a name that is both a program and an fcgi-program",
        "Rename one of the two sections.";
    MissingEvents = "SV217", "missing-events", Error, true,
        "an `[eventlistener:x]` without `events`",
        "An event listener must subscribe to at least one event type.";
    UnknownEventType = "SV218", "unknown-event-type", Error, true,
        "`events` names an unknown event type",
        "See supervisord's list of event types (PROCESS_STATE, TICK_60, ...).";
    ListenerRedirectStderr = "SV219", "listener-redirect-stderr", Error, true,
        "`redirect_stderr=true` in an event listener",
        "It would mix stderr into the event listener protocol on stdout; supervisord refuses it.";
    InvalidBufferSize = "SV220", "invalid-buffer-size", Error, true,
        "`buffer_size` below 1",
        "An event listener's buffer must hold at least one event.";
    MissingSocket = "SV221", "missing-socket", Error, true,
        "an `[fcgi-program:x]` without `socket`",
        "FastCGI programs need `socket = unix:///path` or `tcp://host:port`.";
    InvalidSocket = "SV222", "invalid-socket", Error, true,
        "an fcgi `socket` (or its backlog, owner, mode) that supervisord cannot use",
        "`unix://` needs an absolute path; `tcp://HOST:PORT` with a port 1..65535; owner and mode only with unix sockets.";
    IncompleteAuth = "SV223", "incomplete-auth", Error, true,
        "an HTTP server section with `username` but no `password`, or the reverse",
        "Give both or neither.";
    MissingServerAddress = "SV224", "missing-server-address", Error, true,
        "`[inet_http_server]` without `port` or `[unix_http_server]` without `file`",
        "The server needs an address to listen on.";
    InvalidPort = "SV225", "invalid-port", Error, true,
        "`port` is not `[host:]port` with a port 1..65535",
        "Write `port = 127.0.0.1:9001`.";
    InvalidOwner = "SV226", "invalid-owner", Error, true,
        "`chown`/`socket_owner` is not `user[:group]` of existing accounts",
        "Checked against this machine's accounts only with `--host`.";
    MissingFactory = "SV227", "missing-factory", Error, true,
        "`[rpcinterface:x]` without `supervisor.rpcinterface_factory`",
        "Write `supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface`.";
    UnknownUser = "SV228", "unknown-user", Error, true,
        "`user` names an account that does not exist on this machine (with `--host`)",
        "supervisord looks the user up when it reads the config.";
    MissingDirectory = "SV229", "missing-directory", Error, true,
        "a directory the config names does not exist (with `--host`)",
        "supervisord checks that `[supervisord] directory` and `childlogdir` exist, and the parent directories of `logfile`, `pidfile` and program log files. (A program's `directory` is only checked when the process starts.)";
    DeprecatedSyslogLogfile = "SV230", "deprecated-syslog-logfile", Warning, false,
        "`stdout_logfile=syslog` is deprecated",
        "supervisord rewrites it to `stdout_syslog=true` and no log file, with a warning.";
    AutoLogWithoutRollover = "SV231", "auto-log-without-rollover", Warning, false,
        "an AUTO log file with `maxbytes=0` grows without limit",
        "supervisord warns: set `*_logfile_maxbytes` above 0.";
    RedirectedStderrLogfile = "SV232", "redirected-stderr-logfile", Warning, false,
        "`stderr_logfile` is ignored because `redirect_stderr=true`",
        "supervisord warns and writes stderr into the stdout log.";
    ShadowedGroup = "SV233", "shadowed-group", Warning, false,
        "two groups have the same name; supervisord runs only the first",
        "A `[program:x]` and a `[group:x]` (or an eventlistener) with the same name: the running daemon silently drops the later one.";
    UnresolvableImport = "SV234", "unresolvable-import", Error, true,
        "an rpcinterface factory or result handler cannot be imported (with `--host`)",
        "svconf cannot import Python code; with `--host` it reports specs outside the `supervisor` package it knows.";
    UnknownKey = "SV240", "unknown-key", Warning, false,
        "a key supervisord does not read in this kind of section",
        "supervisord silently ignores keys it does not know, so a typo (`autorestar=true`) simply has no effect.\n\nFix: correct the key (svconf suggests the closest known one) or remove it.";
    UnknownSection = "SV241", "unknown-section", Warning, false,
        "a section supervisord does not recognise, such as `[Program:x]` or `[programs:x]`",
        "Section kinds are matched by exact, case-sensitive prefix. An unknown section is silently ignored, with everything in it.\n\nFix: correct the section name.";
    EnvironmentChanged = "SV242", "environment-changed", Warning, false,
        "an `environment` value that supervisord silently truncates or changes",
        "supervisord tokenises `environment` with Python's shlex. An unquoted value with `$`, non-ASCII letters or `#` is cut short (`A=$HOME` becomes `A=$`), and the rest may be swallowed.\n\nFix: quote the value: `A=\"$HOME\"` (supervisord does not expand `$VAR`; use `%(ENV_HOME)s`).";
    DuplicateSection = "SV243", "duplicate-section", Warning, false,
        "the same section is defined in two places; supervisord merges them",
        "Sections with the same name merge, later keys win, even across included files. Usually one of them is a copy that was meant to be removed or renamed.\n\nFix: keep one definition.";
    ProgramInSeveralGroups = "SV244", "program-in-several-groups", Warning, false,
        "a program listed in two groups, or twice in one",
        "supervisord builds the program's processes again for every listing: the same command runs twice, under two names.\n\nFix: list each program once.";
    FcgiProgramInGroup = "SV245", "fcgi-program-in-group", Warning, false,
        "an `[fcgi-program:x]` listed in a `[group:x]` loses its socket",
        "A grouped fcgi-program is built as a plain program: supervisord never creates its socket.\n\nFix: do not group fcgi-programs.";
    NoProcesses = "SV246", "no-processes", Warning, false,
        "`numprocs` is 0 or less: the program never runs",
        "supervisord accepts it and starts nothing.\n\nFix: set `numprocs` to 1 or more, or remove the section.";
    EmptyCommand = "SV247", "empty-command", Error, false,
        "`command` is empty",
        "supervisord accepts an empty command and fails every start attempt until the program is FATAL.\n\nFix: give the command to run.";
    SharedLogFile = "SV248", "shared-log-file", Error, false,
        "two processes write the same log file",
        "Each process rotates its log on its own; two writers to one file corrupt each other's rotation and interleave output. With `numprocs`, add `%(process_num)02d` to the path.\n\nFix: give every process its own log file.";
    LogTruncatedWithoutBackups = "SV250", "log-without-backups", Warning, false,
        "`*_logfile_backups=0` with a size limit: the log is truncated, output lost",
        "When the log reaches `maxbytes` and there are no backups, supervisord truncates it and the old output is gone.\n\nFix: keep at least one backup, or set `maxbytes=0` for an unbounded log.";
    CrashLoopWithoutBackoff = "SV251", "crash-loop-without-backoff", Warning, false,
        "`startsecs=0` with `autorestart`: a crashing program restarts at once, forever",
        "With `startsecs=0` every start counts as successful, so supervisord never reaches BACKOFF or FATAL: a program that dies immediately is restarted in a tight loop.\n\nFix: set `startsecs` to the time the program needs to come up (1 or more).";
    UnexpectedExitCodes = "SV252", "exitcodes-without-effect", Warning, false,
        "`exitcodes` that change nothing or can never be expected",
        "`exitcodes` only matter with `autorestart=unexpected`; an empty list makes every exit unexpected.\n\nFix: remove `exitcodes`, or use `autorestart=unexpected`.";
    ExposedHttpServer = "SV253", "exposed-http-server", Error, false,
        "`[inet_http_server]` listens beyond loopback without a password",
        "Anyone who can reach the port can start, stop and reconfigure every program (and run commands as supervisord's user).\n\nFix: listen on `127.0.0.1`, or set `username` and a `{SHA}` password.";
    PlaintextPassword = "SV254", "plaintext-password", Warning, false,
        "an HTTP server password written in plain text",
        "supervisord accepts a SHA-1 hex digest written as `{SHA}...`.\n\nFix: write `password = {SHA}` followed by `echo -n secret | sha1sum`.";
    OpenUnixSocket = "SV255", "open-unix-socket", Warning, false,
        "`[unix_http_server] chmod` lets every local user control supervisord",
        "A socket writable by others lets any local user run supervisorctl commands.\n\nFix: use `chmod = 0700` (or `0770` with `chown` to a trusted group).";
    LaravelTimeoutKill = "SV256", "laravel-stopwaitsecs-too-short", Warning, false,
        "`queue:work --timeout=N` with `stopwaitsecs` not greater than N",
        "On stop, supervisord sends SIGKILL after `stopwaitsecs`. A job that may run N seconds is then killed mid-run.\n\nFix: set `stopwaitsecs` above the `--timeout` (Laravel's docs suggest longer than the longest job).";
    LaravelQueueListen = "SV257", "laravel-queue-listen", Warning, false,
        "`artisan queue:listen` under supervisord",
        "`queue:listen` boots the framework for every job; under a process manager `queue:work` is meant (restart it on deploy with `queue:restart`).\n\nFix: use `queue:work`.";
    CommandNotFound = "SV258", "command-not-found", Error, false,
        "the program's executable is not found or not executable (with `--host`)",
        "supervisord searches `PATH` for a command without `/` and fails every start when it is missing.\n\nFix: install the program, or give its absolute path.";
    UserWithoutRoot = "SV259", "user-without-root", Warning, false,
        "`user=` set while svconf does not run as root (with `--host`)",
        "supervisord can only switch users when it runs as root; otherwise it refuses to start the process (or itself, for `[supervisord] user`).\n\nFix: run supervisord as root, or remove `user`.";
    MissingWorkingDirectory = "SV260", "missing-working-directory", Error, false,
        "a program's `directory` does not exist (with `--host`)",
        "supervisord only finds out when it starts the process: the chdir fails and the program goes FATAL.\n\nFix: create the directory or correct the path.";
    SystemdRelativeExecutable = "SV301", "systemd-relative-executable", Error, false,
        "the command's executable cannot be started by systemd as written",
        "systemd needs an absolute path or a bare name in `ExecStart=` (bare names only from systemd 239); `bin/worker` or `./artisan` is refused as a fatal error.\n\nFix: write the absolute path of the executable.";
    SystemdInvalidEnvironmentName = "SV302", "systemd-invalid-environment-name", Error, false,
        "an environment variable name systemd refuses",
        "supervisord passes any name; systemd's `Environment=` accepts only `[A-Za-z_][A-Za-z0-9_]*` and drops other assignments with a warning.\n\nFix: rename the variable.";
    SystemdUnrepresentableValue = "SV303", "systemd-unrepresentable-value", Error, false,
        "a value that no systemd unit line can carry",
        "Newlines or edge spaces in plain values, bytes that are not UTF-8, quotes or backslashes in the executable, a `..` in a log path: systemd would drop or change the line.\n\nFix: rename or move the file, or write the real path.";
    SystemdUnitNameCollision = "SV304", "systemd-unit-name-collision", Error, false,
        "two programs would be written to the same unit file, or a unit name is too long",
        "`[group:a]`+`b-c` and `[group:a-b]`+`c` both become `a-b-c.service`; svconf never overwrites one with the other. Unit names are limited to 255 bytes.\n\nFix: rename a group or program, or use `--prefix`.";
    SystemdRelativeDirectory = "SV305", "systemd-relative-directory", Error, false,
        "`directory` is not an absolute, normalized path",
        "systemd refuses `WorkingDirectory=` that is relative or contains `..` (a fatal error when the unit loads).\n\nFix: write the absolute, normalized path.";
    SystemdLogRotationLost = "SV306", "systemd-log-rotation-lost", Warning, false,
        "log rotation settings have no systemd equivalent",
        "supervisord rotates `*_logfile` at `*_logfile_maxbytes` and keeps `*_logfile_backups` files; systemd only appends to the file forever.\n\nFix: use `--logrotate` (writes a logrotate snippet), or log to the journal.";
    SystemdStartsecs = "SV307", "systemd-startsecs", Warning, false,
        "`startsecs` has no exact systemd equivalent",
        "systemd reports a start as successful once `execve` worked (`Type=exec`); it has no \"still running after N seconds\" check.\n\nFix: nothing to change; the start limit approximates it (see SV308).";
    SystemdStartLimitApproximation = "SV308", "systemd-start-limit-approximation", Warning, false,
        "`startretries`/`startsecs` are approximated with a start rate limit",
        "`StartLimitBurst=startretries+1` in a window of `(startretries+1)*(startsecs+1)+1` seconds stops a program that keeps dying at start, like FATAL. It also counts manual starts and restarts of long-running processes, needs `systemctl reset-failed` after a hit, and with `autorestart=unexpected` an early exit with an expected code is not retried.\n\nFix: review the limits in the generated `[Unit]` sections.";
    SystemdEventListener = "SV309", "systemd-eventlistener", Warning, false,
        "an event listener is not converted",
        "Event listeners speak supervisord's event protocol on stdin; under systemd nobody talks to them.\n\nFix: use `OnFailure=` hooks for process-state events, or a `.timer` for TICK events.";
    SystemdUnitNameEscaped = "SV310", "systemd-unit-name-escaped", Warning, false,
        "a program or group name needed `\\x` escaping in its unit name",
        "Names with spaces, `@`, `/` or non-ASCII bytes become `\\xNN` in unit names, which must be quoted in shells.\n\nFix: rename the program or group.";
    SystemdShadowsUnit = "SV311", "systemd-shadows-unit", Warning, false,
        "a generated unit name equals a well-known system unit",
        "Placed in `/etc/systemd/system`, the generated file would override the distribution's unit of the same name.\n\nFix: use `--prefix` (e.g. `--prefix sv-`).";
    SystemdNoStartupRetries = "SV312", "systemd-no-startup-retries", Warning, false,
        "`autorestart=false` loses supervisord's retries during startup",
        "supervisord retries a process that dies within `startsecs` up to `startretries` times even with `autorestart=false`; systemd has no restart-only-while-starting mode.\n\nFix: use `autorestart=unexpected` if the retries matter.";
    SystemdFcgiProgram = "SV313", "systemd-fcgi-program", Warning, false,
        "an fcgi-program is not converted",
        "supervisord opens the socket and passes it as fd 0; the systemd shape is a `.socket` unit plus a service with `StandardInput=socket`, which svconf does not write yet.\n\nFix: write the `.socket` unit by hand.";
    SystemdJoinedExecutable = "SV314", "systemd-joined-executable", Warning, false,
        "a relative executable was joined with `directory`",
        "systemd refuses relative executables, so svconf wrote `directory`/`command`. supervisord resolved it against its own working directory after the chdir.\n\nFix: check the result, or write the absolute path.";
    SystemdPathIgnored = "SV315", "systemd-path-ignored", Warning, false,
        "a bare executable name while the program's environment sets `PATH`",
        "systemd looks bare names up in a fixed search path, not in the unit's `PATH`.\n\nFix: write the absolute path of the executable.";
    SystemdLogDirectory = "SV316", "systemd-log-directory", Warning, false,
        "a log file's directory may not exist",
        "systemd does not create the directory of an `append:` file; a missing one fails the start with status 209/STDOUT.\n\nFix: use `LogsDirectory=` (under `/var/log`) or a `tmpfiles.d` line.";
    SystemdAppendUnavailable = "SV317", "systemd-append-unavailable", Warning, false,
        "`StandardOutput=append:` needs systemd 240",
        "With an older `--systemd-version` the output goes to the journal instead of the file.\n\nFix: raise `--systemd-version`, or read the journal.";
    SystemdFileAndSyslog = "SV318", "systemd-file-and-syslog", Warning, false,
        "a log file and syslog at the same time",
        "systemd cannot write output to a file and the journal at once; the file is kept.\n\nFix: keep the file, or log to the journal only.";
    SystemdEventsLost = "SV319", "systemd-events-lost", Warning, false,
        "capture mode or log events have no systemd equivalent",
        "`*_capture_maxbytes` and `*_events_enabled` feed supervisord's event listeners, which do not exist under systemd.\n\nFix: remove the settings.";
    SystemdSecretInUnit = "SV320", "systemd-secret-in-unit", Warning, false,
        "a secret-looking variable is written into a world-readable unit",
        "Unit files are world-readable and `systemctl show` prints `Environment=` to any local user.\n\nFix: move the value into an `EnvironmentFile=` with mode 0600.";
    SystemdNonPortableUser = "SV321", "systemd-non-portable-user", Warning, false,
        "a user name outside systemd's strict rules",
        "systemd accepts it with a warning (uppercase, dots, leading digits).\n\nFix: use a lowercase name.";
    SystemdStripAnsi = "SV322", "systemd-strip-ansi", Warning, false,
        "`strip_ansi` has no systemd equivalent",
        "supervisord removed ANSI escapes from child logs; systemd writes output unchanged.\n\nFix: strip escapes in the program.";
    SystemdSupervisorctl = "SV323", "systemd-supervisorctl", Warning, false,
        "the command runs `supervisorctl`",
        "There is no supervisord under systemd to talk to.\n\nFix: rewrite it for `systemctl`.";
    SystemdJournal = "SV324", "systemd-journal", Info, false,
        "output goes to the journal",
        "`AUTO` log files (and `/dev/stdout`-style targets) become the journal: `journalctl -u UNIT`.\n\nFix: nothing to do.";
    SystemdKillModeMixed = "SV325", "systemd-kill-mode-mixed", Info, false,
        "`KillMode=mixed` was chosen",
        "supervisord signals only the main process and leaves its children running; systemd's `mixed` sends the stop signal to the main process and SIGKILL to whatever remains.\n\nFix: set `stopasgroup=true` to stop the whole group.";
    SystemdBareExecutable = "SV326", "systemd-bare-executable", Info, false,
        "a bare executable name is looked up in systemd's fixed search path",
        "systemd resolves a name without `/` in `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin`, not in supervisord's `PATH`; a venv or `/opt` binary is not found.\n\nFix: write the absolute path.";
    SystemdEnvironment = "SV327", "systemd-environment", Info, false,
        "the environment now comes from systemd",
        "supervisord passed its own environment to children; a systemd service starts from a near-empty one, plus `HOME`, `USER`, `LOGNAME` and `SHELL` when `User=` is set.\n\nFix: add what the programs need to `environment`.";
    SystemdIgnored = "SV328", "systemd-ignored", Info, false,
        "a section or setting that systemd makes unnecessary",
        "HTTP servers, `[supervisorctl]`, `[rpcinterface:x]` and supervisord's own log settings have no role under systemd (systemctl does their job). With `--user-units`, a program's `user=` is not written either: a `systemd --user` manager runs every unit as its own user.\n\nFix: nothing to do (for `user=`: run the user manager as that user, or write system units).";
    SystemdWorkingDirectory = "SV329", "systemd-working-directory", Info, false,
        "the working directory is `/` under systemd",
        "supervisord children inherited supervisord's working directory; systemd services start in `/`.\n\nFix: set `directory`.";
    SystemdShellSyntax = "SV330", "systemd-shell-syntax", Info, false,
        "the command looks like shell syntax",
        "Neither supervisord nor systemd runs a shell, so `|`, `&&` and `>` are passed as arguments.\n\nFix: wrap the command in `/bin/sh -c '...'` if a shell was intended.";
    SystemdConcreteUnits = "SV331", "systemd-concrete-units", Info, false,
        "numprocs copies became concrete units instead of a template",
        "`%(process_num)` is formatted differently in different keys (or values differ in other ways), so one `%i` template cannot express every copy.\n\nFix: use one format for `%(process_num)` everywhere.";
    SystemdInlinedEnvironment = "SV332", "systemd-inlined-environment", Info, false,
        "a value from svconf's environment was written into the unit",
        "`%(ENV_X)s` from supervisord's process environment was substituted when the unit was generated; the unit does not follow later changes of X.\n\nFix: define X in `environment` to make it explicit.";
    SystemdRuntimeVariable = "SV333", "systemd-runtime-variable", Warning, false,
        "`%(ENV_X)s` in `command` became a runtime `$X`/`${X}`",
        "With `--env-mode runtime` (the default), a `%(ENV_X)s` of `command` whose X came from supervisord's process environment (not from the program's `environment` nor from `[supervisord] environment`) is written as `$X` when it was an entire unquoted word, else as `${X}`; systemd substitutes the value when the unit starts, so the unit must define X with `Environment=` or `EnvironmentFile=`. Undefined, it is empty.\n\nThis is exact only for values without whitespace, quotes or backslashes: supervisord substituted the value before splitting the command with shlex, so `--x=%(ENV_X)s` with `X=\"a b\"` gave two arguments where `${X}` gives one, inside `\"...\"` shlex still processed `\\\"` and `\\\\` in the value, and for `$X` systemd also treats backslashes inside `'...'` as escapes where shlex does not.\n\nFix: add `EnvironmentFile=` (or `Environment=`) defining X in a drop-in, or use `--env-mode inline` to write the value svconf was given.";
    FileTooLarge = "SV901", "file-too-large", Error, false,
        "a config file larger than svconf reads",
        "Files above 16 MiB are not read: real supervisord configs are a few kilobytes, and a file that large is almost surely a wrong path (a log, a dump). supervisord would read it; svconf refuses it with this error instead of spending seconds and gigabytes.";
}

impl Code {
    /// Looks a code up by id (`SV104`, case-insensitive) or name.
    pub fn find(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| {
            let i = c.info();
            i.id.eq_ignore_ascii_case(text) || i.name == text
        })
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().id)
    }
}
