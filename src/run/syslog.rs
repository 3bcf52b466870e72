//! `stdout_syslog` / `stderr_syslog` and `logfile=syslog`: one `syslog(3)` call per line at
//! `LOG_INFO` with the default facility, as supervisord's `SyslogHandler` does.

use std::ffi::CString;

/// Sends one message at `LOG_INFO` (bytes after a NUL are dropped: syslog takes a C string).
pub(crate) fn send(message: &str) {
    let text = message.split('\0').next().unwrap_or_default();
    let Ok(text) = CString::new(text) else { return };
    // SAFETY: both pointers are valid C strings for the duration of the call, and the format
    // string takes exactly one `%s` argument.
    unsafe {
        nix::libc::syslog(nix::libc::LOG_INFO, c"%s".as_ptr(), text.as_ptr());
    }
}

/// Sends each line of a child's output chunk as `NAME LINE`.
pub(crate) fn send_lines(name: &str, chunk: &[u8]) {
    let text = String::from_utf8_lossy(chunk);
    // supervisord: `message.rstrip('\n').split('\n')`
    for line in text.trim_end_matches('\n').split('\n') {
        send(&format!("{name} {line}"));
    }
}
