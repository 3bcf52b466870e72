//! The launcher's own log, in supervisord's format: `YYYY-MM-DD HH:MM:SS,mmm LEVEL message`,
//! to stderr (supervisord with `nodaemon` writes to stdout; svconf keeps stdout free) and to
//! `[supervisord] logfile` with its rotation and `loglevel`.

use std::io::Write;
use std::path::Path;

use super::logfile::RotatingFile;
use crate::emit::plan::LogLevel;

/// A level, ordered as supervisord's `loggers.LevelsByName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Blather = 3,
    Trace = 5,
    Debug = 10,
    Info = 20,
    Warn = 30,
    Error = 40,
    Critical = 50,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Blather => "BLAT",
            Level::Trace => "TRAC",
            Level::Debug => "DEBG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERRO",
            Level::Critical => "CRIT",
        }
    }

    pub(crate) fn from_plan(level: LogLevel) -> Level {
        match level {
            LogLevel::Critical => Level::Critical,
            LogLevel::Error => Level::Error,
            LogLevel::Warn => Level::Warn,
            LogLevel::Info => Level::Info,
            LogLevel::Debug => Level::Debug,
            LogLevel::Trace => Level::Trace,
            LogLevel::Blather => Level::Blather,
        }
    }
}

/// Where the launcher's lines go.
#[derive(Debug)]
pub(crate) struct ActivityLog {
    threshold: Level,
    to_stderr: bool,
    file: Option<RotatingFile>,
    to_syslog: bool,
    file_failed: bool,
}

impl ActivityLog {
    /// A log to stderr only, at INFO (used until the plan's settings are known).
    pub(crate) fn stderr() -> ActivityLog {
        ActivityLog {
            threshold: Level::Info,
            to_stderr: true,
            file: None,
            to_syslog: false,
            file_failed: false,
        }
    }

    /// Applies the plan's `logfile`, `logfile_maxbytes`, `logfile_backups`, `loglevel`, `silent`.
    ///
    /// A log file that cannot be opened is reported on stderr and left out.
    pub(crate) fn configure(
        &mut self,
        logfile: &str,
        maxbytes: i64,
        backups: i64,
        level: LogLevel,
        silent: bool,
    ) {
        self.threshold = Level::from_plan(level);
        self.to_stderr = !silent;
        self.file = None;
        self.to_syslog = false;
        self.file_failed = false;
        match logfile {
            "" | "NONE" => {}
            "syslog" => self.to_syslog = true,
            path => match RotatingFile::open(Path::new(path), maxbytes, backups) {
                Ok(file) => self.file = Some(file),
                Err(e) => self.log(
                    Level::Error,
                    &format!("cannot open the log file {path}: {e}; logging to stderr only"),
                ),
            },
        }
    }

    /// Closes and reopens the log file (USR2).
    pub(crate) fn reopen(&mut self) {
        if let Some(file) = self.file.as_mut() {
            let result = file.reopen();
            self.file_failed = false;
            if let Err(e) = result {
                let path = self.file.as_ref().map(|f| f.path().display().to_string());
                self.log(
                    Level::Error,
                    &format!(
                        "cannot reopen the log file {}: {e}",
                        path.unwrap_or_default()
                    ),
                );
            }
        }
    }

    /// True when lines of this level are written.
    pub(crate) fn enabled(&self, level: Level) -> bool {
        level >= self.threshold
    }

    /// Writes one line.
    pub(crate) fn log(&mut self, level: Level, message: &str) {
        if !self.enabled(level) {
            return;
        }
        let line = format!("{} {} {message}\n", timestamp(), level.tag());
        if self.to_stderr {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        if self.to_syslog {
            // supervisord's syslog handler sends the formatted line, one per message line
            for part in line.trim_end_matches('\n').split('\n') {
                super::syslog::send(part);
            }
        }
        if let Some(file) = self.file.as_mut() {
            if let Err(e) = file.write(line.as_bytes()) {
                if !self.file_failed {
                    self.file_failed = true;
                    let warning = format!(
                        "{} ERRO cannot write to the log file {}: {e}\n",
                        timestamp(),
                        file.path().display()
                    );
                    let _ = std::io::stderr().write_all(warning.as_bytes());
                }
            }
        }
    }
}

/// Local time as `YYYY-MM-DD HH:MM:SS,mmm` (Python logging's `asctime`).
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = nix::libc::time_t::try_from(now.as_secs()).unwrap_or(0);
    // SAFETY: localtime_r writes into the zeroed struct we own; it only reads `secs`.
    let tm = unsafe {
        let mut tm: nix::libc::tm = std::mem::zeroed();
        if nix::libc::localtime_r(&raw const secs, &raw mut tm).is_null() {
            return format!("{secs}");
        }
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_pythons_shape() {
        let t = timestamp();
        assert_eq!(t.len(), 23, "{t}");
        assert_eq!(&t[4..5], "-");
        assert_eq!(&t[19..20], ",");
    }

    #[test]
    fn levels_filter_like_supervisord() {
        let mut log = ActivityLog::stderr();
        log.configure("", 0, 0, LogLevel::Warn, true);
        assert!(!log.enabled(Level::Info));
        assert!(log.enabled(Level::Warn));
        assert!(log.enabled(Level::Critical));
    }
}
