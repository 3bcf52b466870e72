//! The typed model of a supervisord configuration.
//!
//! [`Resolved`] is what supervisord 4.3.0 makes of a config once it has read it:
//! groups in start order, every process with its name, command and settings filled
//! in (`numprocs` expanded, defaults applied, `%(…)s` expanded). Its JSON form is the
//! shape of the oracle document (`spec/supervisord-config.md` §0), so `svconf convert
//! --to json` can be compared key for key with supervisord's own parser. Field
//! names are supervisord's; no span leaks into this model or its schema.
//!
//! [`declared::Declared`] is the other level: one entry per section as written,
//! typed where no expansion is needed. [`keys`] lists every key supervisord reads.

pub mod declared;
pub mod keys;

use std::borrow::Cow;
use std::sync::Arc;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

/// A value several owners share: the processes of one program hold the same section
/// name, command, settings and environment, so each keeps a reference instead of a
/// copy (a config of 5000 programs has 20,000 processes). Read it through `Deref`;
/// it is serialized and described (JSON Schema) exactly as the value itself.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shared<T: ?Sized>(Arc<T>);

impl<T: ?Sized> Shared<T> {
    /// Shares `value`.
    pub fn new(value: impl Into<Arc<T>>) -> Self {
        Self(value.into())
    }
}

impl Shared<str> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> AsRef<T> for Shared<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Shared<str> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Shared<str> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Shared<str> {
    fn from(s: String) -> Self {
        Self(Arc::from(s))
    }
}

impl From<&str> for Shared<str> {
    fn from(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

impl PartialEq<str> for Shared<str> {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Shared<str> {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Shared<str> {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl<T: ?Sized + Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (*self.0).serialize(serializer)
    }
}

// every method forwards to `T`, so a field's schema is the same as with `T` itself
impl<T: ?Sized + JsonSchema> JsonSchema for Shared<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn _schemars_private_non_optional_json_schema(
        generator: &mut schemars::SchemaGenerator,
    ) -> schemars::Schema {
        T::_schemars_private_non_optional_json_schema(generator)
    }
    fn _schemars_private_is_option() -> bool {
        T::_schemars_private_is_option()
    }
}

/// A whole resolved configuration.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Resolved {
    /// The `[supervisord]` section, typed, with defaults.
    pub supervisord: Supervisord,
    /// Process groups, sorted by (priority, name): the start order.
    pub groups: Vec<Group>,
    /// HTTP servers: every inet section, then every unix section.
    pub http_servers: Vec<HttpServer>,
    /// The server URL handed to children that do not set their own.
    pub serverurl: Option<String>,
    /// `[rpcinterface:x]` sections.
    pub rpcinterfaces: Vec<RpcInterface>,
    /// What supervisorctl makes of `[supervisorctl]` (null when absent).
    pub supervisorctl: Option<Supervisorctl>,
    /// Files read through `[include]`, in read order.
    pub included_files: Vec<String>,
    /// supervisord's own warnings, in its words.
    pub warnings: Vec<String>,
}

/// `[supervisord]`.
#[allow(clippy::struct_excessive_bools)] // supervisord's settings are booleans
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Supervisord {
    /// Directory to chdir to when daemonizing.
    pub directory: Option<String>,
    /// User to switch to.
    pub user: Option<String>,
    /// That user's uid, when known.
    pub uid: Option<i64>,
    /// umask, as an octal string.
    pub umask: Option<String>,
    /// Main log file.
    pub logfile: String,
    /// Rotation size.
    pub logfile_maxbytes: i64,
    /// Rotated files kept.
    pub logfile_backups: i64,
    /// Log level word.
    pub loglevel: String,
    /// Pid file.
    pub pidfile: String,
    /// Identifier.
    pub identifier: String,
    /// Stay in the foreground.
    pub nodaemon: bool,
    /// No log to stdout in the foreground.
    pub silent: bool,
    /// Directory for AUTO child logs.
    pub childlogdir: String,
    /// Keep AUTO logs at start.
    pub nocleanup: bool,
    /// Strip ANSI escapes from child logs.
    pub strip_ansi: bool,
    /// Minimum file descriptors.
    pub minfds: i64,
    /// Minimum processes.
    pub minprocs: i64,
    /// Environment given to every child.
    pub environment: IndexMap<String, String>,
}

/// A process group.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// `program`, `group`, `eventlistener` or `fcgi-program`.
    pub kind: String,
    /// The section that made it.
    pub section: String,
    /// Start priority.
    pub priority: i64,
    /// An earlier group has the same name: the running daemon drops this one.
    pub shadowed: bool,
    /// Processes, in start order.
    pub processes: Vec<Process>,
    /// Event listener buffer size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer_size: Option<i64>,
    /// Event listener subscriptions, sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// Event listener result handler spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_handler: Option<String>,
    /// `FastCGI` socket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<FcgiSocket>,
}

/// A `FastCGI` socket.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct FcgiSocket {
    /// `unix:///path` or `tcp://host:port`.
    pub url: String,
    /// `unix` or `inet`.
    pub family: String,
    /// Unix socket path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// TCP host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// TCP port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// Unix socket mode (octal string).
    pub mode: Option<String>,
    /// Unix socket owner `[uid, gid]`.
    pub owner: Option<(i64, i64)>,
    /// Listen backlog.
    pub backlog: Option<i64>,
}

/// A stop signal: its canonical name, or a number without a name.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Signal {
    /// Name without `SIG` (`TERM`).
    Name(Shared<str>),
    /// A number with no name (0).
    Number(i64),
}

/// One process.
#[allow(clippy::struct_excessive_bools)] // supervisord's settings are booleans
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Process {
    /// Process name.
    pub name: String,
    /// Section it came from.
    pub section: Shared<str>,
    /// Command line, expanded, before splitting.
    pub command: Shared<str>,
    /// Working directory.
    pub directory: Option<Shared<str>>,
    /// umask (octal string).
    pub umask: Option<Shared<str>>,
    /// Priority.
    pub priority: i64,
    /// Start with supervisord.
    pub autostart: bool,
    /// `true`, `false` or `unexpected`.
    pub autorestart: Shared<str>,
    /// Seconds to count as started.
    pub startsecs: i64,
    /// Start attempts.
    pub startretries: i64,
    /// Expected exit codes.
    pub exitcodes: Shared<Vec<i64>>,
    /// Stop signal.
    pub stopsignal: Signal,
    /// Seconds before SIGKILL.
    pub stopwaitsecs: i64,
    /// Signal the process group on stop.
    pub stopasgroup: bool,
    /// SIGKILL the process group.
    pub killasgroup: bool,
    /// User as configured.
    pub user: Option<Shared<str>>,
    /// Its uid, when known.
    pub uid: Option<i64>,
    /// stderr into stdout.
    pub redirect_stderr: bool,
    /// `AUTO`, `NONE` or a path.
    pub stdout_logfile: Shared<str>,
    /// Rotation size.
    pub stdout_logfile_maxbytes: i64,
    /// Rotated files kept.
    pub stdout_logfile_backups: i64,
    /// Capture mode buffer.
    pub stdout_capture_maxbytes: i64,
    /// Emit log events.
    pub stdout_events_enabled: bool,
    /// Also to syslog.
    pub stdout_syslog: bool,
    /// `AUTO`, `NONE` or a path.
    pub stderr_logfile: Shared<str>,
    /// Rotation size.
    pub stderr_logfile_maxbytes: i64,
    /// Rotated files kept.
    pub stderr_logfile_backups: i64,
    /// Capture mode buffer.
    pub stderr_capture_maxbytes: i64,
    /// Emit log events.
    pub stderr_events_enabled: bool,
    /// Also to syslog.
    pub stderr_syslog: bool,
    /// Environment: `[supervisord]`'s with the program's on top.
    pub environment: Shared<IndexMap<String, String>>,
    /// Server URL for this child (null: unset or AUTO).
    pub serverurl: Option<Shared<str>>,
}

/// An HTTP server section.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct HttpServer {
    /// Section name.
    pub section: String,
    /// Text after `:` in the section name.
    pub name: Option<String>,
    /// `inet` or `unix`.
    pub family: String,
    /// Listen host (`""` = all interfaces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Listen port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// Socket file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Socket mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chmod: Option<String>,
    /// Socket owner `[uid, gid]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chown: Option<(i64, i64)>,
    /// User name.
    pub username: Option<String>,
    /// Password (plain or `{SHA}`).
    pub password: Option<String>,
}

/// An `[rpcinterface:x]`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct RpcInterface {
    /// Name after `:`.
    pub name: String,
    /// Factory spec `module:attr`.
    pub factory: String,
    /// Extra keys, passed to the factory.
    pub options: IndexMap<String, String>,
}

/// `[supervisorctl]`, or the error supervisorctl reports for it.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Supervisorctl {
    /// Parsed settings.
    Settings {
        /// Server URL.
        serverurl: String,
        /// Prompt.
        prompt: String,
        /// User name.
        username: Option<String>,
        /// Password.
        password: Option<String>,
        /// History file.
        history_file: Option<String>,
    },
    /// supervisorctl's error.
    Error {
        /// The message.
        error: String,
    },
}
