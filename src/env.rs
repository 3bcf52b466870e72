//! The outside world a config is judged against, as plain data.
//!
//! No library code reads the process environment, the host name or the clock:
//! the CLI builds an [`Env`] (from the real machine, or from `-e`, `--env-file`
//! and `--hostname` when CI checks a config meant for another host) and passes it
//! down. Tests build one by hand.

use std::path::PathBuf;

/// Environment variables, host name and paths that expansion depends on.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Environment variables in the order the process received them (Python's
    /// `os.environ` order, which shows in the rare `%s` that formats every variable).
    pub vars: Vec<(String, String)>,
    /// What `%(host_node_name)s` expands to.
    pub hostname: String,
    /// The working directory (relative unix socket paths are made absolute against it).
    pub cwd: PathBuf,
    /// Run the checks that depend on this machine (users, directories).
    pub host_checks: bool,
    /// The Python supervisord runs on, to check that plugin specs import (`--host`).
    pub python: Option<PathBuf>,
}

impl Env {
    /// A fixed environment for tests: these variables, host name `h`, working directory
    /// `cwd`, no host checks.
    #[cfg(test)]
    pub(crate) fn for_test(cwd: &std::path::Path, vars: &[(&str, &str)]) -> Self {
        Self {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            hostname: "h".into(),
            cwd: cwd.to_path_buf(),
            host_checks: false,
            python: None,
        }
    }

    /// The value of a variable; the last definition wins, as in a process environment.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a variable, replacing an earlier value in place.
    pub fn set(&mut self, name: &str, value: &str) {
        if let Some(slot) = self.vars.iter_mut().find(|(k, _)| k == name) {
            slot.1 = value.to_string();
        } else {
            self.vars.push((name.to_string(), value.to_string()));
        }
    }

    /// `$HOME`, used for `~` in paths.
    pub fn home(&self) -> Option<&str> {
        self.var("HOME")
    }

    /// Python's `tempfile.gettempdir()`: `$TMPDIR`, `$TEMP`, `$TMP`, then `/tmp`,
    /// `/var/tmp`, `/usr/tmp`, the first that is a directory.
    pub fn temp_dir(&self) -> String {
        let mut candidates: Vec<String> = ["TMPDIR", "TEMP", "TMP"]
            .iter()
            .filter_map(|k| self.var(k).map(str::to_string))
            .collect();
        candidates.extend(["/tmp", "/var/tmp", "/usr/tmp"].map(str::to_string));
        for c in &candidates {
            if std::path::Path::new(c).is_dir() {
                return crate::python::normpath(&absolute(&self.cwd, c));
            }
        }
        self.cwd.display().to_string()
    }
}

/// `os.path.abspath`: joined to `cwd` when relative, then normalised.
pub fn absolute(cwd: &std::path::Path, p: &str) -> String {
    if p.starts_with('/') {
        crate::python::normpath(p)
    } else {
        crate::python::normpath(&format!("{}/{}", cwd.display(), p))
    }
}
