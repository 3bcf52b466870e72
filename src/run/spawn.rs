//! Starting one child the way supervisord's `Subprocess.spawn` does (`spec/runtime.md` §f).
//!
//! Everything that can allocate or consult files happens in [`prepare`], in the launcher,
//! before the clone: the executable lookup (`get_execv_args`), the argv and environment as C
//! strings, the user's groups. Between clone and exec the child only makes async-signal-safe
//! calls, in supervisord's order: new process group, pipes onto 0/1/2, every other fd closed,
//! signal mask and dispositions reset, privileges dropped, `chdir`, `umask`, `execve`. A failure
//! there is written to the child's fd 2 (its stderr log) as `supervisor: couldn't …` followed by
//! `supervisor: child process was not spawned`, and the child exits 127.

use std::ffi::{CString, c_char};
use std::fmt::Write as _;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::rc::Rc;

use nix::errno::Errno;
use nix::libc;

use crate::emit::plan::{Process, find_executable};
use crate::python::repr;

/// Who the child runs as.
#[derive(Debug)]
enum Privileges {
    /// No `user=`, or the launcher already is that user.
    Keep,
    /// supervisord's `drop_privileges` refuses: the whole line the child writes to fd 2.
    Refuse(Vec<u8>),
    /// `setgroups`, `setgid`, `setuid`.
    Drop(Credentials),
}

/// A child ready to be forked: every value the child needs, already in C form.
#[derive(Debug)]
pub(crate) struct Prepared {
    filename: CString,
    argv0: String,
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    _envp: Vec<CString>,
    envp_ptrs: Vec<*const c_char>,
    directory: Option<(CString, String)>,
    umask: Option<libc::mode_t>,
    privileges: Privileges,
    uid_text: String,
    max_fd: libc::c_int,
}

/// Resolves the executable and builds the child's argv, environment (`KEY=VALUE` entries)
/// and credentials.
///
/// # Errors
///
/// The `spawnerr:` message supervisord logs when it cannot start the process at all
/// (no command, command not found, a directory, not executable, no permission).
pub(crate) fn prepare(process: &Process, environment: &[Rc<str>]) -> Result<Prepared, String> {
    if let Some(error) = &process.spawn_error {
        return Err(error.clone());
    }
    let argv = match process.argv.as_deref() {
        Some(argv) if !argv.is_empty() => argv,
        _ => return Err("command is empty".to_string()),
    };
    let program = &argv[0];
    let (filename, meta) = if program.contains('/') {
        (program.clone(), std::fs::metadata(program).ok())
    } else {
        let dirs = process.search_path.as_deref().unwrap_or_default();
        match find_executable(dirs, program) {
            Some(path) => {
                let meta = std::fs::metadata(&path).ok();
                (path, meta)
            }
            None => (program.clone(), None),
        }
    };
    // supervisord's `check_execv_args`
    let Some(meta) = meta else {
        return Err(format!("can't find command {}", repr(&filename)));
    };
    if meta.is_dir() {
        return Err(format!("command at {} is a directory", repr(&filename)));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("command at {} is not executable", repr(&filename)));
    }
    if nix::unistd::access(filename.as_str(), nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(format!("no permission to run command {}", repr(&filename)));
    }

    let c = |s: &str, what: &str| {
        CString::new(s)
            .map_err(|_| format!("{what} of {} contains a NUL byte", repr(&process.name)))
    };
    let filename_c = c(&filename, "the command")?;
    let argv_c = argv
        .iter()
        .map(|a| c(a, "an argument"))
        .collect::<Result<Vec<_>, _>>()?;
    let envp_c = environment
        .iter()
        .map(|entry| c(entry, "the environment"))
        .collect::<Result<Vec<_>, _>>()?;
    let directory = match &process.directory {
        Some(dir) => Some((c(dir, "the directory")?, dir.clone())),
        None => None,
    };
    let umask = match &process.umask {
        Some(text) => Some(
            libc::mode_t::from_str_radix(text.trim_start_matches("0o"), 8)
                .map_err(|_| format!("umask {} is not octal", repr(text)))?,
        ),
        None => None,
    };
    let (privileges, uid_text) = privileges(process);
    let max_fd = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| soft.min(65_536));
    let argv_ptrs = argv_c
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let envp_ptrs = envp_c
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    Ok(Prepared {
        filename: filename_c,
        argv0: program.clone(),
        _argv: argv_c,
        argv_ptrs,
        _envp: envp_c,
        envp_ptrs,
        directory,
        umask,
        privileges,
        uid_text,
        max_fd: libc::c_int::try_from(max_fd).unwrap_or(1024),
    })
}

/// Who to become: a uid, its primary gid, and its groups (the primary one first).
#[derive(Debug)]
pub(crate) struct Credentials {
    pub(crate) uid: libc::uid_t,
    pub(crate) gid: libc::gid_t,
    pub(crate) groups: Vec<libc::gid_t>,
}

/// supervisord's `drop_privileges` decision for `uid`: nothing to do (`None`) when this
/// process already runs as it, else the credentials to switch to, or why that cannot be done
/// (supervisord's words). Used for the children and for the launcher itself.
pub(crate) fn switch_to(uid: i64) -> Result<Option<Credentials>, String> {
    let raw = libc::uid_t::try_from(uid).map_err(|_| format!("Can't find uid {uid}"))?;
    let current = nix::unistd::getuid().as_raw();
    if current == raw {
        return Ok(None);
    }
    if current != 0 {
        return Err("Can't drop privilege as nonroot user".into());
    }
    let Ok(Some(user)) = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(raw)) else {
        return Err(format!("Can't find uid {uid}"));
    };
    let gid = user.gid.as_raw();
    let mut groups = vec![gid];
    if let Ok(name) = CString::new(user.name.as_str()) {
        if let Ok(list) = nix::unistd::getgrouplist(&name, user.gid) {
            for g in list {
                if !groups.contains(&g.as_raw()) {
                    groups.push(g.as_raw());
                }
            }
        }
    }
    Ok(Some(Credentials {
        uid: raw,
        gid,
        groups,
    }))
}

/// supervisord's `drop_privileges` for a child, decided in the parent.
fn privileges(process: &Process) -> (Privileges, String) {
    let Some(uid) = process.uid else {
        return (Privileges::Keep, String::new());
    };
    let privileges = match switch_to(uid) {
        Ok(None) => Privileges::Keep,
        Ok(Some(credentials)) => Privileges::Drop(credentials),
        Err(why) => Privileges::Refuse(
            format!("supervisor: couldn't setuid to {uid}: {why}\n").into_bytes(),
        ),
    };
    (privileges, uid.to_string())
}

/// The pipes a child gets as fds 0, 1 and 2 (`stderr` None: fd 2 is fd 1, `redirect_stderr`).
pub(crate) struct ChildStdio<'a> {
    pub(crate) stdin: &'a OwnedFd,
    pub(crate) stdout: &'a OwnedFd,
    pub(crate) stderr: Option<&'a OwnedFd>,
}

/// Forks and execs the prepared child. Returns its pid.
///
/// # Errors
///
/// The errno of a failed `clone` (EAGAIN when the process table is full).
pub(crate) fn spawn(
    prepared: &Prepared,
    stdio: &ChildStdio<'_>,
    parent: libc::pid_t,
) -> Result<libc::pid_t, Errno> {
    let fd1 = stdio.stdout.as_raw_fd();
    let args = ChildArgs {
        prepared,
        fd0: stdio.stdin.as_raw_fd(),
        fd1,
        fd2: stdio.stderr.map_or(fd1, AsRawFd::as_raw_fd),
        parent,
    };
    // The child borrows the launcher's memory until it execs (CLONE_VM | CLONE_VFORK, what
    // posix_spawn does): no page tables to copy and no copy-on-write faults afterwards, which
    // is most of the cost of a fork from a launcher with hundreds of children. The launcher
    // waits, suspended, until the child has exec'd or exited. A `directory=` is the exception:
    // a chdir into a hung network mount would hold the launcher with it, so such a child is
    // forked (as supervisord forks every child) and only the child waits.
    // uninitialised: zeroing it would make all of it resident for nothing
    let mut stack: Vec<u8> = Vec::with_capacity(CHILD_STACK);
    let top = stack.as_mut_ptr().wrapping_add(CHILD_STACK);
    let top = top.wrapping_sub(top as usize % 16);
    // SAFETY: every signal is blocked around the clone, so no handler of the launcher runs on
    // the child's stack before the child resets them; the child only runs `child_main` on its
    // own stack with `args`, which outlive it (the launcher is suspended until the exec), and
    // never returns into the launcher's code.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&raw mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const all, &raw mut old);
        let pid = if prepared.directory.is_some() {
            match libc::fork() {
                0 => exec_child(prepared, args.fd0, args.fd1, args.fd2, parent),
                pid => pid,
            }
        } else {
            libc::clone(
                child_main,
                top.cast(),
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                (&raw const args).cast_mut().cast(),
            )
        };
        let errno = Errno::last();
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
        drop(stack);
        if pid == -1 { Err(errno) } else { Ok(pid) }
    }
}

/// The child's stack until it execs.
const CHILD_STACK: usize = 128 * 1024;

/// What the cloned child gets.
struct ChildArgs<'a> {
    prepared: &'a Prepared,
    fd0: libc::c_int,
    fd1: libc::c_int,
    fd2: libc::c_int,
    parent: libc::pid_t,
}

extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `ChildArgs` that `spawn` passed to clone, alive until the exec.
    unsafe {
        let args = &*arg.cast::<ChildArgs<'_>>();
        exec_child(args.prepared, args.fd0, args.fd1, args.fd2, args.parent)
    }
}

/// The child's side, from clone to exec.
///
/// It shares the launcher's memory, so it only makes raw system calls on data prepared
/// before the clone: glibc's `setuid` family would try to change the credentials of every
/// thread of what it believes is its own process (the launcher), so those are raw syscalls.
///
/// # Safety
///
/// Only to be called in a child cloned or forked by [`spawn`], with every signal blocked.
unsafe fn exec_child(
    p: &Prepared,
    stdin: libc::c_int,
    stdout: libc::c_int,
    stderr: libc::c_int,
    parent: libc::pid_t,
) -> ! {
    unsafe {
        libc::setpgid(0, 0);
        libc::dup2(stdin, 0);
        libc::dup2(stdout, 1);
        libc::dup2(stderr, 2);
        close_from(3, p.max_fd);
        reset_signals();

        match &p.privileges {
            Privileges::Keep => {}
            Privileges::Refuse(line) => {
                write_all(line);
                not_spawned();
            }
            Privileges::Drop(Credentials { uid, gid, groups }) => {
                let why = if libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) != 0
                {
                    Some("Could not set groups of effective user")
                } else if libc::syscall(libc::SYS_setgid, *gid) != 0 {
                    Some("Could not set group id of effective user")
                } else {
                    None
                };
                if let Some(why) = why {
                    let mut msg = StackText::new();
                    let _ = writeln!(msg, "supervisor: couldn't setuid to {}: {why}", p.uid_text);
                    write_all(msg.bytes());
                    not_spawned();
                }
                // supervisord's `os.setuid` is not guarded: its failure only reaches the
                // final `child process was not spawned`
                if libc::syscall(libc::SYS_setuid, *uid) != 0 {
                    not_spawned();
                }
            }
        }

        // A launcher killed by SIGKILL cannot stop its children: the kernel does it for the
        // direct child. Set after the uid change, which clears it.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != parent {
            libc::_exit(127);
        }

        if let Some((dir, text)) = &p.directory {
            if libc::chdir(dir.as_ptr()) != 0 {
                let errno = Errno::last();
                let mut msg = StackText::new();
                let _ = writeln!(msg, "supervisor: couldn't chdir to {text}: {errno:?}");
                write_all(msg.bytes());
                not_spawned();
            }
        }
        if let Some(mask) = p.umask {
            libc::umask(mask);
        }
        libc::execve(
            p.filename.as_ptr(),
            p.argv_ptrs.as_ptr(),
            p.envp_ptrs.as_ptr(),
        );
        let errno = Errno::last();
        let mut msg = StackText::new();
        let _ = writeln!(msg, "supervisor: couldn't exec {}: {errno:?}", p.argv0);
        write_all(msg.bytes());
        not_spawned();
    }
}

unsafe fn not_spawned() -> ! {
    unsafe {
        write_all(b"supervisor: child process was not spawned\n");
        libc::_exit(127)
    }
}

unsafe fn write_all(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(n) if n > 0 => bytes = &bytes[n..],
            _ if Errno::last() == Errno::EINTR => {}
            _ => return,
        }
    }
}

/// Closes every fd from `first` on (`close_range`, or one by one on kernels without it).
unsafe fn close_from(first: libc::c_int, max_fd: libc::c_int) {
    unsafe {
        let first_u = libc::c_uint::try_from(first).unwrap_or(3);
        if libc::syscall(libc::SYS_close_range, first_u, libc::c_uint::MAX, 0) == 0 {
            return;
        }
        for fd in first..max_fd {
            libc::close(fd);
        }
    }
}

/// Empty signal mask and every disposition back to the default: a disposition set to "ignore"
/// would survive the exec (supervisord's children inherit SIGPIPE and SIGXFSZ ignored; svconf's
/// do not, spec §c).
unsafe fn reset_signals() {
    unsafe {
        // dispositions first, while everything is still blocked: a handler of the launcher
        // must never run in the child. The raw call, because glibc's refuses the signals it
        // reserves (32, 33), which a launcher started by posix_spawn may have inherited
        // ignored. An all-zero kernel sigaction is SIG_DFL with no flags and an empty mask.
        let default = [0u64; 4];
        for sig in 1..=libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    default.as_ptr(),
                    std::ptr::null_mut::<libc::c_void>(),
                    8usize,
                );
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const set, std::ptr::null_mut());
    }
}

/// A fixed buffer to format a message without allocating (after fork).
struct StackText {
    buf: [u8; 1024],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        StackText {
            buf: [0; 1024],
            len: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
