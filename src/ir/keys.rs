//! Every key supervisord 4.3.0 reads, per section kind, with its type and default.
//!
//! One table serves the declared model (typing values as written), the "unknown
//! key" check with its "did you mean", and the documentation. Defaults are written
//! the way supervisord writes them in its source (`50MB`, `unexpected`).

use schemars::JsonSchema;
use serde::Serialize;

/// The kinds of section supervisord recognises (by prefix, case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// `[supervisord]`
    Supervisord,
    /// `[program:x]`
    Program,
    /// `[group:x]`
    Group,
    /// `[eventlistener:x]`
    Eventlistener,
    /// `[fcgi-program:x]`
    FcgiProgram,
    /// `[unix_http_server]` (any name starting so)
    UnixHttpServer,
    /// `[inet_http_server]` (any name starting so)
    InetHttpServer,
    /// `[supervisorctl]`
    Supervisorctl,
    /// `[rpcinterface:x]`
    Rpcinterface,
    /// `[ctlplugin:x]`
    Ctlplugin,
    /// `[include]`
    Include,
    /// Anything else: supervisord ignores it.
    Unknown,
}

impl SectionKind {
    /// The kind of a section name, by supervisord's prefix rules.
    pub fn of(name: &str) -> Self {
        match name {
            "supervisord" => return Self::Supervisord,
            "supervisorctl" => return Self::Supervisorctl,
            "include" => return Self::Include,
            _ => {}
        }
        let prefixes = [
            ("program:", Self::Program),
            ("group:", Self::Group),
            ("eventlistener:", Self::Eventlistener),
            ("fcgi-program:", Self::FcgiProgram),
            ("unix_http_server", Self::UnixHttpServer),
            ("inet_http_server", Self::InetHttpServer),
            ("rpcinterface:", Self::Rpcinterface),
            ("ctlplugin:", Self::Ctlplugin),
        ];
        prefixes
            .iter()
            .find(|(p, _)| name.starts_with(p))
            .map_or(Self::Unknown, |(_, k)| *k)
    }

    /// The keys supervisord reads in this kind of section.
    pub fn keys(self) -> &'static [KeySpec] {
        match self {
            Self::Supervisord => SUPERVISORD,
            Self::Program => PROGRAM,
            Self::Eventlistener => EVENTLISTENER,
            Self::FcgiProgram => FCGI_PROGRAM,
            Self::Group => GROUP,
            Self::UnixHttpServer => UNIX_HTTP_SERVER,
            Self::InetHttpServer => INET_HTTP_SERVER,
            Self::Supervisorctl => SUPERVISORCTL,
            Self::Include => INCLUDE,
            // factory keys are known; every other key is passed to the factory
            Self::Rpcinterface => RPCINTERFACE,
            Self::Ctlplugin => CTLPLUGIN,
            Self::Unknown => &[],
        }
    }

    /// The spec of `key` in this kind of section.
    pub fn key(self, key: &str) -> Option<&'static KeySpec> {
        self.keys().iter().find(|k| k.name == key)
    }

    /// True when this kind of section reads the key numbered `n` ([`known_key_number`]):
    /// [`Self::key`] for a key whose number is known, without comparing names.
    pub fn reads_known(self, n: u16) -> bool {
        let bit = 1u16 << (self as u16);
        known_keys()
            .2
            .get(usize::from(n))
            .is_some_and(|kinds| kinds & bit != 0)
    }
}

/// How a value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    /// Free text.
    Text,
    /// yes/no, true/false, on/off, 1/0.
    Bool,
    /// An integer.
    Int,
    /// Bytes, with an optional KB/MB/GB suffix.
    ByteSize,
    /// An octal number.
    Octal,
    /// A signal name or number.
    Signal,
    /// Comma-separated integers 0..255.
    ExitCodes,
    /// true, false or unexpected.
    AutoRestart,
    /// A log level word.
    LogLevel,
    /// `KEY="value",...` pairs.
    Environment,
    /// Comma-separated names.
    List,
    /// A log file path, `AUTO`, `NONE` or `syslog`.
    LogFile,
    /// A path.
    Path,
    /// A command line.
    Command,
    /// `[host:]port`.
    Address,
}

/// One key supervisord reads.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// The key.
    pub name: &'static str,
    /// Its type.
    pub ty: KeyType,
    /// supervisord's default, as text (`None`: unset by default, or required).
    pub default: Option<&'static str>,
}

const fn k(name: &'static str, ty: KeyType, default: Option<&'static str>) -> KeySpec {
    KeySpec { name, ty, default }
}

use KeyType as T;

const SUPERVISORD: &[KeySpec] = &[
    k("logfile", T::Path, Some("supervisord.log")),
    k("logfile_maxbytes", T::ByteSize, Some("50MB")),
    k("logfile_backups", T::Int, Some("10")),
    k("loglevel", T::LogLevel, Some("info")),
    k("pidfile", T::Path, Some("supervisord.pid")),
    k("umask", T::Octal, Some("022")),
    k("nodaemon", T::Bool, Some("false")),
    k("silent", T::Bool, Some("false")),
    k("minfds", T::Int, Some("1024")),
    k("minprocs", T::Int, Some("200")),
    k("nocleanup", T::Bool, Some("false")),
    k("childlogdir", T::Path, None),
    k("user", T::Text, None),
    k("directory", T::Path, None),
    k("strip_ansi", T::Bool, Some("false")),
    k("environment", T::Environment, None),
    k("identifier", T::Text, Some("supervisor")),
];

macro_rules! program_keys {
    ($($extra:expr),* $(,)?) => {
        &[
            k("command", T::Command, None),
            k("process_name", T::Text, Some("%(program_name)s")),
            k("numprocs", T::Int, Some("1")),
            k("numprocs_start", T::Int, Some("0")),
            k("priority", T::Int, Some("999")),
            k("autostart", T::Bool, Some("true")),
            k("startsecs", T::Int, Some("1")),
            k("startretries", T::Int, Some("3")),
            k("autorestart", T::AutoRestart, Some("unexpected")),
            k("exitcodes", T::ExitCodes, Some("0")),
            k("stopsignal", T::Signal, Some("TERM")),
            k("stopwaitsecs", T::Int, Some("10")),
            k("stopasgroup", T::Bool, Some("false")),
            k("killasgroup", T::Bool, Some("false")),
            k("user", T::Text, None),
            k("redirect_stderr", T::Bool, Some("false")),
            k("stdout_logfile", T::LogFile, Some("AUTO")),
            k("stdout_logfile_maxbytes", T::ByteSize, Some("50MB")),
            k("stdout_logfile_backups", T::Int, Some("10")),
            k("stdout_capture_maxbytes", T::ByteSize, Some("0")),
            k("stdout_events_enabled", T::Bool, Some("false")),
            k("stdout_syslog", T::Bool, Some("false")),
            k("stderr_logfile", T::LogFile, Some("AUTO")),
            k("stderr_logfile_maxbytes", T::ByteSize, Some("50MB")),
            k("stderr_logfile_backups", T::Int, Some("10")),
            k("stderr_capture_maxbytes", T::ByteSize, Some("0")),
            k("stderr_events_enabled", T::Bool, Some("false")),
            k("stderr_syslog", T::Bool, Some("false")),
            k("environment", T::Environment, None),
            k("directory", T::Path, None),
            k("umask", T::Octal, None),
            k("serverurl", T::Text, Some("AUTO")),
            $($extra,)*
        ]
    };
}

const PROGRAM: &[KeySpec] = program_keys!();
const EVENTLISTENER: &[KeySpec] = program_keys!(
    k("buffer_size", T::Int, Some("10")),
    k("events", T::List, None),
    k(
        "result_handler",
        T::Text,
        Some("supervisor.dispatchers:default_handler")
    ),
);
const FCGI_PROGRAM: &[KeySpec] = program_keys!(
    k("socket", T::Text, None),
    k("socket_backlog", T::Int, None),
    k("socket_owner", T::Text, None),
    k("socket_mode", T::Octal, Some("0700")),
);
const GROUP: &[KeySpec] = &[
    k("programs", T::List, None),
    k("priority", T::Int, Some("999")),
];
const UNIX_HTTP_SERVER: &[KeySpec] = &[
    k("file", T::Path, None),
    k("chmod", T::Octal, Some("0700")),
    k("chown", T::Text, None),
    k("username", T::Text, None),
    k("password", T::Text, None),
];
const INET_HTTP_SERVER: &[KeySpec] = &[
    k("port", T::Address, None),
    k("username", T::Text, None),
    k("password", T::Text, None),
];
const SUPERVISORCTL: &[KeySpec] = &[
    k("serverurl", T::Text, Some("http://localhost:9001")),
    k("username", T::Text, None),
    k("password", T::Text, None),
    k("prompt", T::Text, Some("supervisor")),
    k("history_file", T::Path, None),
];
const INCLUDE: &[KeySpec] = &[k("files", T::List, None)];
const RPCINTERFACE: &[KeySpec] = &[k("supervisor.rpcinterface_factory", T::Text, None)];
const CTLPLUGIN: &[KeySpec] = &[k("supervisor.ctl_factory", T::Text, None)];

/// The keys some section reads, each once: by number, by length (name, number), and the
/// section kinds that read each (one bit per kind, by number).
type KnownKeys = (Vec<&'static str>, Vec<Vec<(&'static str, u16)>>, Vec<u16>);

/// Every key some section reads, each once, numbered; and the numbers by name length
/// (a handful of keys per length: finding one compares a few strings, no hashing).
fn known_keys() -> &'static KnownKeys {
    use std::sync::OnceLock;
    static ALL: OnceLock<KnownKeys> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut names: Vec<&'static str> = Vec::new();
        let mut by_len: Vec<Vec<(&'static str, u16)>> = Vec::new();
        let tables = [
            SUPERVISORD,
            PROGRAM,
            EVENTLISTENER,
            FCGI_PROGRAM,
            GROUP,
            UNIX_HTTP_SERVER,
            INET_HTTP_SERVER,
            SUPERVISORCTL,
            INCLUDE,
            RPCINTERFACE,
            CTLPLUGIN,
        ];
        for name in tables.iter().flat_map(|keys| keys.iter().map(|k| k.name)) {
            if names.contains(&name) {
                continue;
            }
            let Ok(n) = u16::try_from(names.len()) else {
                break;
            };
            if by_len.len() <= name.len() {
                by_len.resize_with(name.len() + 1, Vec::new);
            }
            if let Some(same) = by_len.get_mut(name.len()) {
                same.push((name, n));
            }
            names.push(name);
        }
        let kinds = names
            .iter()
            .map(|name| {
                KINDS_WITH_KEYS
                    .iter()
                    .filter(|kind| kind.key(name).is_some())
                    .fold(0u16, |bits, kind| bits | 1 << (*kind as u16))
            })
            .collect();
        (names, by_len, kinds)
    })
}

/// Every kind of section that reads keys.
const KINDS_WITH_KEYS: [SectionKind; 11] = [
    SectionKind::Supervisord,
    SectionKind::Program,
    SectionKind::Group,
    SectionKind::Eventlistener,
    SectionKind::FcgiProgram,
    SectionKind::UnixHttpServer,
    SectionKind::InetHttpServer,
    SectionKind::Supervisorctl,
    SectionKind::Rpcinterface,
    SectionKind::Ctlplugin,
    SectionKind::Include,
];

/// `name` as the `'static` text of a key some section reads, if it is one.
///
/// The reader keys its options with this text instead of a copy per option: a config of
/// 5000 programs has about 100,000 options, nearly all of them spelled as one of these.
pub fn known_key(name: &str) -> Option<&'static str> {
    known_key_entry(name).map(|(k, _)| k)
}

/// The number of a key some section reads (see [`known_key_name`]), if `name` is one.
pub fn known_key_number(name: &str) -> Option<u16> {
    known_key_entry(name).map(|(_, n)| n)
}

/// [`known_key`] and [`known_key_number`] in one lookup.
pub fn known_key_entry(name: &str) -> Option<(&'static str, u16)> {
    let last = *name.as_bytes().last()?;
    // keys of one length mostly differ in their last byte: compare it before the rest
    known_keys()
        .1
        .get(name.len())?
        .iter()
        .find(|(k, _)| k.as_bytes().last() == Some(&last) && *k == name)
        .copied()
}

/// The key numbered `n` by [`known_key_number`].
pub fn known_key_name(n: u16) -> Option<&'static str> {
    known_keys().0.get(usize::from(n)).copied()
}

/// How many keys [`known_key_number`] numbers (they are `0..count`).
pub fn known_key_count() -> u16 {
    u16::try_from(known_keys().0.len()).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_known_agrees_with_key() {
        let count = known_key_count();
        assert!(count > 50);
        for kind in KINDS_WITH_KEYS.iter().chain(&[SectionKind::Unknown]) {
            for n in 0..count {
                let name = known_key_name(n).expect("numbered key");
                assert_eq!(
                    kind.reads_known(n),
                    kind.key(name).is_some(),
                    "{kind:?} {name}"
                );
            }
        }
    }

    #[test]
    fn kinds_follow_supervisords_prefix_rules() {
        assert_eq!(SectionKind::of("program:web"), SectionKind::Program);
        assert_eq!(SectionKind::of("Program:web"), SectionKind::Unknown);
        assert_eq!(SectionKind::of("program"), SectionKind::Unknown);
        assert_eq!(
            SectionKind::of("inet_http_serverX"),
            SectionKind::InetHttpServer
        );
        assert_eq!(SectionKind::of(" program:x "), SectionKind::Unknown);
        assert_eq!(SectionKind::of("supervisord"), SectionKind::Supervisord);
    }

    #[test]
    fn program_keys_include_eventlistener_extras_only_there() {
        assert!(SectionKind::Eventlistener.key("events").is_some());
        assert!(SectionKind::Program.key("events").is_none());
        assert!(SectionKind::FcgiProgram.key("socket").is_some());
        assert_eq!(
            SectionKind::Program.key("autorestart").map(|k| k.ty),
            Some(KeyType::AutoRestart)
        );
    }
}
