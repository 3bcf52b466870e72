//! Log files the way supervisord writes them: appended raw, rolled over by size, reopened on
//! request, and the `AUTO` files it names with `mkstemp` (`spec/runtime.md` §e).

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A log file that rolls over when it reaches `maxbytes` (supervisord's `RotatingFileHandler`).
///
/// Rotation happens after a write, when the size is at least `maxbytes`: `.N-1 → .N` … `.1 → .2`,
/// `base → .1`, then `base` is opened empty. With `backups == 0` the file is only truncated.
/// Files that are not regular files (`/dev/stdout`, a FIFO) are never rotated.
#[derive(Debug)]
pub(crate) struct RotatingFile {
    path: PathBuf,
    file: Option<File>,
    size: u64,
    maxbytes: u64,
    backups: u32,
    regular: bool,
}

impl RotatingFile {
    /// Opens `path` for appending (created with mode 0666 minus the umask).
    pub(crate) fn open(path: &Path, maxbytes: i64, backups: i64) -> io::Result<Self> {
        let mut log = RotatingFile {
            path: path.to_path_buf(),
            file: None,
            size: 0,
            maxbytes: u64::try_from(maxbytes).unwrap_or(0),
            backups: u32::try_from(backups.clamp(0, i64::from(u32::MAX))).unwrap_or(0),
            regular: true,
        };
        log.reopen()?;
        Ok(log)
    }

    /// The path written to.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Closes and opens the path again (after an external logrotate moved it away).
    pub(crate) fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        let file = append_options().open(&self.path)?;
        let meta = file.metadata()?;
        self.regular = meta.file_type().is_file();
        self.size = if self.regular { meta.len() } else { 0 };
        self.file = Some(file);
        Ok(())
    }

    /// Writes one chunk, then rolls over if the file reached `maxbytes`.
    ///
    /// After a failed rotation the file stays closed and later writes fail until
    /// [`RotatingFile::reopen`] succeeds.
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the log file is closed after a failed rotation",
            ));
        };
        // a special file such as a terminal or pipe may refuse part of a chunk; write_all
        // retries, which is what supervisord's stream write does
        file.write_all(data)?;
        // the file's real size, as supervisord's `tell()`: another writer or an external
        // `copytruncate` may have changed it
        self.size = if self.regular {
            file.stream_position()?
        } else {
            0
        };
        if self.regular && self.maxbytes > 0 && self.size >= self.maxbytes {
            self.rotate()?;
        }
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.backups > 0 {
            for i in (1..self.backups).rev() {
                let from = numbered(&self.path, i);
                if from.exists() {
                    remove_and_rename(&from, &numbered(&self.path, i + 1));
                }
            }
            remove_and_rename(&self.path, &numbered(&self.path, 1));
        }
        // supervisord reopens with mode "w": the base file starts empty (backups=0 truncates)
        let file = append_options().truncate(true).open(&self.path)?;
        self.size = 0;
        self.file = Some(file);
        Ok(())
    }
}

fn append_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    // O_APPEND through custom_flags: std refuses `append` together with `truncate`
    options
        .write(true)
        .create(true)
        .custom_flags(nix::libc::O_APPEND)
        .mode(0o666);
    options
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// supervisord's `removeAndRename`: a missing source or target is not an error (an external
/// cleaner may have deleted either).
fn remove_and_rename(from: &Path, to: &Path) {
    let _ = std::fs::remove_file(to);
    let _ = std::fs::rename(from, to);
}

/// Creates an AUTO log file as `mkstemp(prefix, suffix, dir)` does: a new file with 8 random
/// characters from `[a-z0-9_]` between prefix and suffix, mode 0600.
pub(crate) fn make_auto(dir: &str, prefix: &str, suffix: &str) -> io::Result<PathBuf> {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut last = None;
    for attempt in 0..100u64 {
        let mut bits = random_u64(attempt);
        let mut name = String::with_capacity(prefix.len() + 8 + suffix.len());
        name.push_str(prefix);
        for _ in 0..8 {
            let i = usize::try_from(bits % LETTERS.len() as u64).unwrap_or(0);
            name.push(char::from(LETTERS[i]));
            bits /= LETTERS.len() as u64;
        }
        name.push_str(suffix);
        let path = Path::new(dir).join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free AUTO log file name")))
}

/// 64 random bits: std's per-process random hash keys, mixed with the time and a counter.
fn random_u64(salt: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(salt);
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

/// supervisord's `clear_autochildlogdir`: deletes the files of `dir` whose names match
/// `.+?---IDENTIFIER-\S+\.log` at their start (AUTO logs and their rotated copies, of any
/// launcher using the same directory and identifier). Returns the paths it could not delete
/// and whether the directory could be listed.
pub(crate) fn clear_auto_dir(dir: &str, identifier: &str) -> Result<Vec<PathBuf>, io::Error> {
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_auto_name(name, identifier) {
            let path = entry.path();
            if std::fs::remove_file(&path).is_err() {
                failed.push(path);
            }
        }
    }
    Ok(failed)
}

/// `re.match(r'.+?---ID-\S+\.log', name)` with the identifier taken literally.
fn is_auto_name(name: &str, identifier: &str) -> bool {
    let marker = format!("---{identifier}-");
    // `.+?`: the marker starts after at least one character (of any width)
    let first = name.chars().next().map_or(0, char::len_utf8);
    let mut from = first;
    while let Some(found) = name.get(from..).and_then(|rest| rest.find(&marker)) {
        let start = from + found + marker.len();
        let rest = &name[start..];
        // `\S+\.log`: at least one non-space character, then `.log`, all without spaces
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_end];
        let after_first = word.chars().next().map_or(0, char::len_utf8);
        if !word.is_empty() && word[after_first..].contains(".log") {
            return true;
        }
        from += found + marker.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_names_match_supervisords_pattern() {
        assert!(is_auto_name(
            "x-stdout---supervisor-ab_c1234.log",
            "supervisor"
        ));
        assert!(is_auto_name(
            "x-stdout---supervisor-ab_c1234.log.3",
            "supervisor"
        ));
        assert!(!is_auto_name("---supervisor-abc.log", "supervisor"));
        assert!(!is_auto_name("x-stdout---supervisor-.log", "supervisor"));
        assert!(!is_auto_name("x-stdout---other-abc.log", "supervisor"));
        assert!(!is_auto_name("app.log", "supervisor"));
        assert!(is_auto_name("éx-stdout---supervisor-é1.log", "supervisor"));
    }

    #[test]
    fn rotation_shifts_backups_and_truncates_without_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("rot.log");
        let mut log = RotatingFile::open(&base, 10, 2).expect("open");
        for chunk in [&b"0123456789"[..], b"abcdefghij", b"ABCDEFGHIJ", b"xy"] {
            log.write(chunk).expect("write");
        }
        let read = |p: &Path| std::fs::read(p).unwrap_or_default();
        assert_eq!(read(&base), b"xy");
        assert_eq!(read(&numbered(&base, 1)), b"ABCDEFGHIJ");
        assert_eq!(read(&numbered(&base, 2)), b"abcdefghij");
        assert!(!numbered(&base, 3).exists());

        let trunc = dir.path().join("trunc.log");
        let mut log = RotatingFile::open(&trunc, 5, 0).expect("open");
        log.write(b"123456").expect("write");
        assert_eq!(read(&trunc), b"");
        assert!(!numbered(&trunc, 1).exists());
    }

    #[test]
    fn auto_files_are_private_and_unique() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_str().expect("utf-8");
        let a = make_auto(d, "x-stdout---supervisor-", ".log").expect("a");
        let b = make_auto(d, "x-stdout---supervisor-", ".log").expect("b");
        assert_ne!(a, b);
        let mode = std::fs::metadata(&a).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(clear_auto_dir(d, "supervisor").expect("clear").is_empty());
        assert!(!a.exists() && !b.exists());
    }
}
