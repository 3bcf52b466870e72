//! supervisord's value converters (`supervisor/datatypes.py`, 4.3.0).
//!
//! Each function takes the option text as supervisord sees it after `%(…)s`
//! expansion and returns either the converted value or, as `Err`, exactly the
//! text of the `ValueError` supervisord raises (`str(e)`), because the oracle
//! compares messages verbatim.  The Python quirks are deliberate: for example
//! [`inet_address`] keeps the trailing space of "not a valid port number:
//! '70000' ", [`auto_restart`] quotes the lower-cased value while
//! [`boolean`] quotes the original, and [`dict_of_key_value_pairs`] inherits
//! `shlex`'s non-POSIX tokenisation.
//!
//! Python integers are unbounded; where a value would not fit the Rust type
//! and supervisord prints it, the exact digits are still used (see
//! [`port_number`]).  Where supervisord would accept a value beyond `i64`
//! ([`integer`], [`byte_size`], [`octal_type`]) an error is returned instead;
//! such values are far outside anything meaningful for these options.

use crate::python;

/// `datatypes.integer`: Python's `int(value)` (both of its attempts are the
/// same call on Python 3).
///
/// # Errors
///
/// Python's `int()` message, e.g. "invalid literal for int() with base 10:
/// '1.5'"; also that message for values beyond `i64`.
pub fn integer(s: &str) -> Result<i64, String> {
    python::int(s)
}

const TRUTHY: [&str; 4] = ["yes", "true", "on", "1"];
const FALSY: [&str; 4] = ["no", "false", "off", "0"];

/// `datatypes.boolean`: case-insensitive `yes/true/on/1` or `no/false/off/0`
/// (no blanks allowed).
///
/// # Errors
///
/// "not a valid boolean value: '…'" quoting the value as written.
pub fn boolean(s: &str) -> Result<bool, String> {
    let ss = python::lower(s);
    if TRUTHY.contains(&ss.as_str()) {
        Ok(true)
    } else if FALSY.contains(&ss.as_str()) {
        Ok(false)
    } else {
        Err(format!("not a valid boolean value: {}", python::repr(s)))
    }
}

/// The three `autorestart` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoRestart {
    /// Restart whenever the process exits (`RestartUnconditionally`).
    True,
    /// Never restart.
    False,
    /// Restart when the exit code is not in `exitcodes`
    /// (`RestartWhenExitUnexpected`).
    Unexpected,
}

/// `datatypes.auto_restart`: a boolean word or `unexpected`, case-insensitive.
///
/// # Errors
///
/// "invalid 'autorestart' value '…'" quoting the **lower-cased** value, as
/// supervisord lower-cases before formatting.
pub fn auto_restart(s: &str) -> Result<AutoRestart, String> {
    let value = python::lower(s);
    if TRUTHY.contains(&value.as_str()) {
        Ok(AutoRestart::True)
    } else if FALSY.contains(&value.as_str()) {
        Ok(AutoRestart::False)
    } else if value == "unexpected" {
        Ok(AutoRestart::Unexpected)
    } else {
        Err(format!("invalid 'autorestart' value {}", python::repr(&value)))
    }
}

/// `datatypes.byte_size`: lower-cases the value; if its last two characters
/// are `kb`, `mb` or `gb` the rest is `int()`ed and multiplied by 1024,
/// 1024² or 1024³, otherwise the whole value is `int()`ed.
///
/// Blanks before the suffix are fine (`"5 mb"`), a one-letter suffix is not
/// (`"10b"`).
///
/// # Errors
///
/// Python's `int()` message about the **lower-cased** text that was
/// converted (`"1.5MB"` gives "invalid literal for int() with base 10:
/// '1.5'"); that same message when the product does not fit in `i64`.
pub fn byte_size(s: &str) -> Result<i64, String> {
    let v = python::lower(s);
    let n = v.chars().count();
    // `v[-2:]` in Python counts characters, not bytes.
    let split = v
        .char_indices()
        .nth(n.saturating_sub(2))
        .map_or(v.len(), |(i, _)| i);
    let (number, multiplier) = match &v[split..] {
        "kb" => (&v[..split], 1024_i64),
        "mb" => (&v[..split], 1024 * 1024),
        "gb" => (&v[..split], 1024 * 1024 * 1024),
        _ => (v.as_str(), 1),
    };
    let overflow = || format!("invalid literal for int() with base 10: {}", python::repr(number));
    python::int_exact(number)?
        .to_i64()
        .and_then(|x| x.checked_mul(multiplier))
        .ok_or_else(overflow)
}

/// `datatypes.octal_type`: Python's `int(value, 8)` (`"022"`, `"0o22"`,
/// `" 7 "`, `"-2"`).
///
/// # Errors
///
/// "<value> can not be converted to an octal type" with the value as written
/// (no quotes); also for values beyond `i64`.
pub fn octal_type(s: &str) -> Result<i64, String> {
    python::int_base8(s).map_err(|()| format!("{s} can not be converted to an octal type"))
}

/// Signal attribute names of Python's `signal` module on Linux (with their
/// numbers), including aliases and the non-signal `SIG_*` constants, which
/// supervisord accepts too because it uses `getattr(signal, name)`.
const SIGNAL_ATTRS: [(&str, i32); 41] = [
    ("SIGABRT", 6),
    ("SIGALRM", 14),
    ("SIGBUS", 7),
    ("SIGCHLD", 17),
    ("SIGCLD", 17),
    ("SIGCONT", 18),
    ("SIGFPE", 8),
    ("SIGHUP", 1),
    ("SIGILL", 4),
    ("SIGINT", 2),
    ("SIGIO", 29),
    ("SIGIOT", 6),
    ("SIGKILL", 9),
    ("SIGPIPE", 13),
    ("SIGPOLL", 29),
    ("SIGPROF", 27),
    ("SIGPWR", 30),
    ("SIGQUIT", 3),
    ("SIGRTMAX", 64),
    ("SIGRTMIN", 34),
    ("SIGSEGV", 11),
    ("SIGSTKFLT", 16),
    ("SIGSTOP", 19),
    ("SIGSYS", 31),
    ("SIGTERM", 15),
    ("SIGTRAP", 5),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGUSR1", 10),
    ("SIGUSR2", 12),
    ("SIGVTALRM", 26),
    ("SIGWINCH", 28),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIG_BLOCK", 0),
    ("SIG_DFL", 0),
    ("SIG_IGN", 1),
    ("SIG_SETMASK", 2),
    ("SIG_UNBLOCK", 1),
];

/// `datatypes.SIGNUMS`: the values of those attributes, i.e. 0..=31, 34
/// (SIGRTMIN) and 64 (SIGRTMAX) but not 32, 33 or 35..=63.
fn is_signum(n: i64) -> bool {
    matches!(n, 0..=31 | 34 | 64)
}

/// `datatypes.signal_number` with Linux numbering.
///
/// A value that `int()` accepts must be one of the known numbers (0 counts,
/// through `SIG_DFL`); anything else is stripped, upper-cased, prefixed with
/// `SIG` when missing and looked up by name (`term`, ` int `, `IOT`,
/// `RTMIN`, `_DFL`).
///
/// # Errors
///
/// "value '…' is not a valid signal number" / "value '…' is not a valid
/// signal name", quoting the value as written.
pub fn signal_number(s: &str) -> Result<i32, String> {
    let num = if let Ok(n) = python::int_exact(s) {
        n.to_i64().filter(|&n| is_signum(n))
    } else {
        let mut name = python::upper(python::strip(s));
        if !name.starts_with("SIG") {
            name.insert_str(0, "SIG");
        }
        match SIGNAL_ATTRS.iter().find(|(n, _)| *n == name) {
            Some(&(_, num)) => return Ok(num),
            None => return Err(format!("value {} is not a valid signal name", python::repr(s))),
        }
    };
    num.and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| format!("value {} is not a valid signal number", python::repr(s)))
}

/// The name supervisord prints for a signal number, without `SIG`:
/// `signal.Signals(num).name[3:]`.  Aliases resolve to the alphabetically
/// first name (6 is `ABRT`, 17 `CHLD`, 29 `IO`).
///
/// `None` for numbers that are not signals (0, 32, 33, 35..=63, …).
#[must_use]
pub fn signal_name(num: i32) -> Option<&'static str> {
    Some(match num {
        1 => "HUP",
        2 => "INT",
        3 => "QUIT",
        4 => "ILL",
        5 => "TRAP",
        6 => "ABRT",
        7 => "BUS",
        8 => "FPE",
        9 => "KILL",
        10 => "USR1",
        11 => "SEGV",
        12 => "USR2",
        13 => "PIPE",
        14 => "ALRM",
        15 => "TERM",
        16 => "STKFLT",
        17 => "CHLD",
        18 => "CONT",
        19 => "STOP",
        20 => "TSTP",
        21 => "TTIN",
        22 => "TTOU",
        23 => "URG",
        24 => "XCPU",
        25 => "XFSZ",
        26 => "VTALRM",
        27 => "PROF",
        28 => "WINCH",
        29 => "IO",
        30 => "PWR",
        31 => "SYS",
        34 => "RTMIN",
        64 => "RTMAX",
        _ => return None,
    })
}

/// `datatypes.list_of_exitcodes`: empty → no codes; otherwise split at `,`,
/// each part `int()`ed (blanks around it are fine) and within 0..=255.
///
/// # Errors
///
/// "not a valid list of exit codes: '…'" quoting the whole value, for any
/// failure.
pub fn list_of_exitcodes(s: &str) -> Result<Vec<i64>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            python::int_exact(part)
                .ok()
                .and_then(|v| v.to_i64())
                .filter(|v| (0..=255).contains(v))
        })
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| format!("not a valid list of exit codes: {}", python::repr(s)))
}

/// `datatypes.list_of_strings`: empty → empty list; otherwise split at `,`
/// and Python-strip each item (empty items are kept).
#[must_use]
pub fn list_of_strings(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',').map(|x| python::strip(x).to_string()).collect()
}

/// `datatypes.dict_of_key_value_pairs` (the `environment` option).
///
/// The value is tokenised by non-POSIX `shlex` with `/.+-():` added to the
/// word characters, then consumed as `KEY = VALUE <separator>` groups of four
/// tokens where the separator can be any token (it is never checked to be a
/// comma).  Quotes are stripped from both ends of the value only.  Later
/// duplicate keys replace the earlier value but keep its position, like a
/// Python dict.  Quirks that follow: `A=$HOME` gives `A="$"`, `B=café` alone
/// gives `B="caf"`, `#` comments out the rest of the line.
///
/// # Errors
///
/// "Unexpected end of key/value pairs in value '…'" with the raw value
/// between plain quotes (not a repr), or shlex's "No closing quotation".
pub fn dict_of_key_value_pairs(s: &str) -> Result<Vec<(String, String)>, String> {
    let tokens = python::shlex_tokens_nonposix(s, "/.+-():")?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for group in tokens.chunks(4) {
        let [key, eq, value, ..] = group else {
            return Err(unexpected_end(s));
        };
        if eq != "=" {
            return Err(unexpected_end(s));
        }
        let value = value.trim_matches(|c| c == '\'' || c == '"').to_string();
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => pairs.push((key.clone(), value)),
        }
    }
    Ok(pairs)
}

fn unexpected_end(s: &str) -> String {
    format!("Unexpected end of key/value pairs in value '{s}'")
}

/// `datatypes.logging_level`: one of `critical error warn info debug trace
/// blather`, case-insensitive; returns that lower-case word.
///
/// # Errors
///
/// "bad logging level name '…'" quoting the value as written.  Python also
/// accepts dunder attribute names such as `__module__` by accident; those
/// are errors here.
pub fn logging_level(s: &str) -> Result<&'static str, String> {
    const LEVELS: [&str; 7] = ["critical", "error", "warn", "info", "debug", "trace", "blather"];
    let lowered = python::lower(s);
    LEVELS
        .iter()
        .find(|l| **l == lowered)
        .copied()
        .ok_or_else(|| format!("bad logging level name {}", python::repr(s)))
}

/// What a log file option names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFile {
    /// `auto`: supervisord picks a file in `childlogdir`.
    Auto,
    /// `none` / `off`: no log file.
    None,
    /// `syslog` (deprecated special name).
    Syslog,
    /// A path, exactly as written (not yet `~`-expanded).
    Path(String),
}

/// `datatypes.logfile_name` without its `existing_dirpath` step: `none`,
/// `off`, `auto` and `syslog` are recognised case-insensitively (no blanks
/// allowed); anything else is a path.  The caller must `~`-expand the path
/// and check that its directory exists.
#[must_use]
pub fn logfile_name(s: &str) -> LogFile {
    match python::lower(s).as_str() {
        "none" | "off" => LogFile::None,
        "auto" => LogFile::Auto,
        "syslog" => LogFile::Syslog,
        _ => LogFile::Path(s.to_string()),
    }
}

/// `datatypes.process_or_group_name`: the Python-stripped name, which must
/// not contain a space, `:` or `/` (tabs and other blanks inside are fine).
///
/// # Errors
///
/// "Invalid name: '<name as written>' because of character: ' '", naming
/// the first of space, `:`, `/` that occurs.
pub fn process_or_group_name(s: &str) -> Result<String, String> {
    let stripped = python::strip(s);
    for c in [' ', ':', '/'] {
        if stripped.contains(c) {
            return Err(format!(
                "Invalid name: {} because of character: {}",
                python::repr(s),
                python::repr(c.encode_utf8(&mut [0; 4]))
            ));
        }
    }
    Ok(stripped.to_string())
}

/// `datatypes.inet_address`: `[host:]port`, split at the last `:`.  The
/// host is lower-cased; an empty host or `*` means all interfaces (`""`).
///
/// # Errors
///
/// With a colon: "no port number specified in ''" when the port is empty,
/// else the [`port_number`] message.  Without a colon every failure becomes
/// "not a valid port number: '…' " (with supervisord's trailing space).
pub fn inet_address(s: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some((host, port)) = s.rsplit_once(':') {
        if port.is_empty() {
            return Err(format!("no port number specified in {}", python::repr(port)));
        }
        (python::lower(host), port_number(port)?)
    } else {
        let port = port_number(s)
            .map_err(|_| format!("not a valid port number: {} ", python::repr(s)))?;
        (String::new(), port)
    };
    let host = if host == "*" { String::new() } else { host };
    Ok((host, port))
}

/// `datatypes.port_number`: `int()` then range 1..=65535.
///
/// # Errors
///
/// Python's `int()` message, or "N is below lower bound (1)" / "N is above
/// upper bound (65535)" with N in canonical decimal form at any size.
pub fn port_number(s: &str) -> Result<u16, String> {
    let v = python::int_exact(s)?;
    match v.to_i64() {
        Some(n) if n < 1 => Err(format!("{v} is below lower bound (1)")),
        Some(n) if n <= 0xffff => u16::try_from(n).map_err(|_| format!("{v} is above upper bound (65535)")),
        _ if v.is_negative() => Err(format!("{v} is below lower bound (1)")),
        _ => Err(format!("{v} is above upper bound (65535)")),
    }
}

/// Attribute names of `supervisor.events.EventTypes` (4.3.0), abstract
/// types included.
const EVENT_TYPES: [&str; 27] = [
    "EVENT",
    "PROCESS_STATE",
    "PROCESS_STATE_STOPPED",
    "PROCESS_STATE_EXITED",
    "PROCESS_STATE_STARTING",
    "PROCESS_STATE_STOPPING",
    "PROCESS_STATE_BACKOFF",
    "PROCESS_STATE_FATAL",
    "PROCESS_STATE_RUNNING",
    "PROCESS_STATE_UNKNOWN",
    "PROCESS_COMMUNICATION",
    "PROCESS_COMMUNICATION_STDOUT",
    "PROCESS_COMMUNICATION_STDERR",
    "PROCESS_LOG",
    "PROCESS_LOG_STDOUT",
    "PROCESS_LOG_STDERR",
    "REMOTE_COMMUNICATION",
    "SUPERVISOR_STATE_CHANGE",
    "SUPERVISOR_STATE_CHANGE_RUNNING",
    "SUPERVISOR_STATE_CHANGE_STOPPING",
    "TICK",
    "TICK_5",
    "TICK_60",
    "TICK_3600",
    "PROCESS_GROUP",
    "PROCESS_GROUP_ADDED",
    "PROCESS_GROUP_REMOVED",
];

/// Whether `name` (already upper-cased by the caller, as supervisord does)
/// is an event type, i.e. an attribute of `supervisor.events.EventTypes`.
#[must_use]
pub fn event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}
