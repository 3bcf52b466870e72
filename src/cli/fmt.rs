//! `svconf fmt`: print, check, diff or rewrite files in the canonical layout.
//!
//! The layout itself is [`svconf::emit::fmt`]; this module is about files. Every file
//! is handled on its own and the worst outcome decides the exit code (0 nothing to
//! report, 1 `--check`/`--diff` found changes or a file has syntax errors, 2 a file
//! could not be read or written), so one bad file does not hide the others.
//!
//! `--write` never leaves a half-written file: the new text goes to a temporary file
//! in the same folder (created exclusively, synced, given the original's permissions)
//! that is then renamed over the original. A file configparser rejects is never
//! written, and neither is one the user cannot write to: a rename would succeed in a
//! writable folder, but a read-only file is a sign that nobody expects it to change.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use svconf::diag::{Code, Diagnostic, Diagnostics};
use svconf::emit::fmt::{FmtError, format};
use svconf::source::{SourceMap, Span};

/// Arguments of `svconf fmt`.
#[derive(Debug, clap::Args)]
pub(crate) struct FmtArgs {
    /// Files to format (default: the config supervisord would find).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print nothing but the files that would change; exit 1 if any would.
    #[arg(long, conflicts_with_all = ["diff", "write"])]
    check: bool,
    /// Print a unified diff of the changes; exit 1 if there are any.
    #[arg(long, conflicts_with = "write")]
    diff: bool,
    /// Replace the files in place (atomically; files with syntax errors are left alone).
    #[arg(long)]
    write: bool,
}

/// How one file went; the exit code is the worst of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Clean,
    Findings,
    Failed,
}

/// Runs `svconf fmt`.
pub(crate) fn run(args: &FmtArgs) -> Result<ExitCode, svconf::Error> {
    let files = if args.files.is_empty() {
        vec![super::find_config(None)?.0]
    } else {
        args.files.clone()
    };
    let mut worst = Status::Clean;
    let mut stdout = String::new();
    for path in &files {
        let status = match one(args, path, &mut stdout) {
            Ok(s) => s,
            Err(message) => {
                eprintln!("svconf: error: {message}");
                Status::Failed
            }
        };
        worst = worst.max(status);
    }
    super::print_stdout(&stdout)?;
    Ok(match worst {
        Status::Clean => ExitCode::SUCCESS,
        Status::Findings => ExitCode::from(1),
        Status::Failed => ExitCode::from(2),
    })
}

/// Formats one file; `Err` is an I/O or internal failure, already worded.
fn one(args: &FmtArgs, path: &Path, stdout: &mut String) -> Result<Status, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut map = SourceMap::new();
    let mut diags = Diagnostics::new();
    let result = match String::from_utf8(bytes) {
        Ok(text) => {
            let id = map.add(path.to_path_buf(), text.clone(), None);
            format(id, &text, &mut diags).map(|out| (text, out))
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = map.add(path.to_path_buf(), text, None);
            diags.push(
                Diagnostic::new(Code::InvalidEncoding, "the file is not valid UTF-8 text")
                    .at(Span::new(id, valid, valid + 1), "undecodable byte here")
                    .help("save the file as UTF-8"),
            );
            Err(FmtError::Syntax)
        }
    };
    let (before, after) = match result {
        Ok(pair) => pair,
        Err(FmtError::Syntax) => {
            let sorted = diags.sorted();
            let rendered = svconf::diag::render::human::render(
                &map,
                &sorted,
                &svconf::diag::render::human::HumanOptions {
                    color: super::use_color(super::stderr_tty()),
                    width: 100,
                    cwd: std::env::current_dir().ok(),
                },
            );
            eprint!("{rendered}");
            eprintln!(
                "svconf: `{}` has syntax errors; not formatted",
                path.display()
            );
            // a file supervisord refuses is a finding (1), like `svconf check`
            return Ok(Status::Findings);
        }
        Err(e @ FmtError::Meaning(_)) => {
            return Err(format!("`{}`: {e}", path.display()));
        }
    };
    let changed = before != after;
    if args.check {
        if changed {
            let _ = writeln!(stdout, "{}", path.display());
        }
    } else if args.diff {
        if changed {
            stdout.push_str(&unified_diff(&path.display().to_string(), &before, &after));
        }
    } else if args.write {
        if changed {
            replace(path, &after)?;
        }
        return Ok(Status::Clean);
    } else {
        stdout.push_str(&after);
        return Ok(Status::Clean);
    }
    Ok(if changed {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// Replaces `path` by `text` atomically, keeping its permissions (and owner, when allowed).
fn replace(path: &Path, text: &str) -> Result<(), String> {
    let shown = path.display();
    // write through a symlink to the file it names, so the link stays a link
    let target = fs::canonicalize(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let meta = fs::metadata(&target).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    // no write bit at all counts even for root, who may write anything
    if meta.permissions().readonly()
        || nix::unistd::access(&target, nix::unistd::AccessFlags::W_OK).is_err()
    {
        return Err(format!(
            "`{shown}` is read-only; not rewritten (make it writable to format it in place)"
        ));
    }
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.svconf-tmp-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        // owner first: chown clears set-id bits, which the mode below restores
        if meta.uid() != nix::unistd::getuid().as_raw()
            || meta.gid() != nix::unistd::getgid().as_raw()
        {
            let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
        }
        f.set_permissions(fs::Permissions::from_mode(meta.permissions().mode()))?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &target)?;
        // make the rename itself durable
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write `{shown}`: {e}; the file was left unchanged")
    })
}

/// A unified diff (3 lines of context) of `before` → `after`, with `a/` and `b/` headers.
fn unified_diff(name: &str, before: &str, after: &str) -> String {
    let a: Vec<&str> = before.split_inclusive(['\n']).flat_map(split_cr).collect();
    let b: Vec<&str> = after.split_inclusive('\n').collect();
    let ops = diff_ops(&a, &b);
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    let context = 3;
    // group the operations into hunks
    let mut i = 0;
    while i < ops.len() {
        if ops[i].0 == ' ' {
            i += 1;
            continue;
        }
        let start = i.saturating_sub(context);
        let mut end = i;
        let mut last_change = i;
        while end < ops.len() {
            if ops[end].0 != ' ' {
                last_change = end;
            } else if end - last_change > 2 * context {
                break;
            }
            end += 1;
        }
        let end = (last_change + context + 1).min(ops.len());
        let (mut la, mut lb) = (0, 0);
        for op in &ops[..start] {
            match op.0 {
                ' ' => {
                    la += 1;
                    lb += 1;
                }
                '-' => la += 1,
                _ => lb += 1,
            }
        }
        let na = ops[start..end].iter().filter(|o| o.0 != '+').count();
        let nb = ops[start..end].iter().filter(|o| o.0 != '-').count();
        let _ = writeln!(out, "@@ -{} +{} @@", range(la, na), range(lb, nb));
        for (tag, line) in &ops[start..end] {
            out.push(*tag);
            let body = line
                .strip_suffix("\r\n")
                .or_else(|| line.strip_suffix('\n'))
                .or_else(|| line.strip_suffix('\r'));
            if let Some(body) = body {
                out.push_str(body);
                out.push('\n');
            } else {
                out.push_str(line);
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        i = end;
    }
    out
}

/// `start,count` of a hunk header (1-based; an empty range names the line before it).
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

/// Splits a `\n`-terminated piece further at lone `\r` line ends.
fn split_cr(piece: &str) -> Vec<&str> {
    let bytes = piece.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            out.push(&piece[start..=i]);
            start = i + 1;
        }
    }
    if start < piece.len() {
        out.push(&piece[start..]);
    }
    out
}

/// The edit script between two line lists (longest common subsequence), as
/// `(' ' | '-' | '+', line)` in order.
fn diff_ops<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, &'a str)> {
    // config files are small; beyond this the diff is one replacement hunk
    const MAX_CELLS: usize = 16_000_000;
    if old.len().saturating_mul(new.len()) > MAX_CELLS {
        return old
            .iter()
            .map(|l| ('-', *l))
            .chain(new.iter().map(|l| ('+', *l)))
            .collect();
    }
    let (rows, cols) = (old.len(), new.len());
    // lcs[i][j] = length of the LCS of a[i..] and b[j..]
    let mut lcs = vec![0u32; (rows + 1) * (cols + 1)];
    for i in (0..rows).rev() {
        for j in (0..cols).rev() {
            lcs[i * (cols + 1) + j] = if old[i] == new[j] {
                lcs[(i + 1) * (cols + 1) + j + 1] + 1
            } else {
                lcs[(i + 1) * (cols + 1) + j].max(lcs[i * (cols + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(rows + cols);
    while i < rows || j < cols {
        if i < rows && j < cols && old[i] == new[j] {
            ops.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if j < cols
            && (i == rows || lcs[i * (cols + 1) + j + 1] >= lcs[(i + 1) * (cols + 1) + j])
        {
            ops.push(('+', new[j]));
            j += 1;
        } else {
            ops.push(('-', old[i]));
            i += 1;
        }
    }
    // show removals before additions within a change
    let mut k = 0;
    while k < ops.len() {
        if ops[k].0 == ' ' {
            k += 1;
            continue;
        }
        let s = k;
        while k < ops.len() && ops[k].0 != ' ' {
            k += 1;
        }
        ops[s..k].sort_by_key(|o| u8::from(o.0 == '+'));
    }
    ops
}
