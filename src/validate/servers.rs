//! Rules about supervisord's HTTP servers (see the doc comment on each rule for its code).

use super::Context;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::python;

/// Runs the rules of this module.
pub(crate) fn check(cx: &Context<'_>, diags: &mut Diagnostics) {
    exposed_http_server(cx, diags);
    plaintext_password(cx, diags);
    open_unix_socket(cx, diags);
}

/// True when `host` (as supervisord keeps it: lower-cased, `""` for all
/// interfaces, IPv6 possibly in brackets) only accepts connections from this machine.
fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h == "localhost" || h.ends_with(".localhost") || h == "localhost.localdomain" {
        return true;
    }
    match h.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// SV253 exposed-http-server
///
/// ## What it checks
/// An `[inet_http_server]` that listens on more than loopback (`port=9001`,
/// `*:9001`, `0.0.0.0:9001`, `[::]:9001`, a public address or host name) without
/// `username` and `password`.
/// ## Why
/// Anyone who reaches the port can stop, start and reconfigure every program
/// through the XML-RPC API, and read their logs. In a container, `*:9001` is
/// reachable from every other container on the network.
/// ## Example
/// ```ini
/// [inet_http_server]
/// port=*:9001
/// ```
/// ## Fix
/// Listen on `127.0.0.1:9001`, or set `username` and a `{SHA}` `password`.
fn exposed_http_server(cx: &Context<'_>, diags: &mut Diagnostics) {
    for s in &cx.resolved.http_servers {
        // port 0: `port` is missing or invalid, which lower reports
        if s.family != "inet"
            || s.port.is_none_or(|p| p <= 0)
            || s.username.is_some()
            || s.password.is_some()
        {
            continue;
        }
        let host = s.host.as_deref().unwrap_or("");
        if is_loopback(host) {
            continue;
        }
        let Some(v) = cx.value(&s.section, "port") else {
            continue;
        };
        // label the host part of `host:port` when there is one
        let text = &v.text;
        let lead = text.len() - text.trim_start().len();
        let (span, label) = match text.rfind(':') {
            Some(colon) if !python::strip(&text[..colon]).is_empty() => {
                let h = python::strip(&text[..colon]);
                let label = if h == "*" {
                    "all interfaces"
                } else {
                    "reachable beyond this machine"
                };
                (v.span_of(lead, lead + h.len()), label)
            }
            _ => (v.span(), "no host: all interfaces"),
        };
        let what = if host.is_empty() {
            "all interfaces".to_string()
        } else {
            format!("`{host}`")
        };
        diags.push(
            Diagnostic::new(
                Code::ExposedHttpServer,
                format!("`[{}]` listens on {what} without a password", s.section),
            )
            .at(span, label)
            .help("listen on `127.0.0.1`, or set `username` and a `{SHA}` `password`"),
        );
    }
}

/// SV254 plaintext-password
///
/// ## What it checks
/// A `password` in `[inet_http_server]` or `[unix_http_server]` written in
/// plain text, not as `{SHA}` and a SHA-1 hex digest. A password that comes
/// from `%(ENV_X)s` is not in the file and is left alone.
/// ## Why
/// Config files end up in repositories, images and backups; a plain-text
/// password there gives control of every program to whoever reads them.
/// ## Example
/// ```ini
/// [inet_http_server]
/// port=127.0.0.1:9001
/// username=admin
/// password=secret
/// ```
/// ## Fix
/// Write `password={SHA}` followed by the output of `printf %s secret | sha1sum`.
fn plaintext_password(cx: &Context<'_>, diags: &mut Diagnostics) {
    for s in &cx.resolved.http_servers {
        let Some(pw) = &s.password else {
            continue;
        };
        if pw.starts_with("{SHA}") {
            continue;
        }
        let Some(v) = cx.value(&s.section, "password") else {
            continue;
        };
        if v.text.contains("%(ENV_") {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::PlaintextPassword,
                format!("the password of `[{}]` is written in plain text", s.section),
            )
            .at(v.span(), "plain text")
            .help("write `{SHA}` followed by the SHA-1 hex digest of the password"),
        );
    }
}

/// SV255 open-unix-socket
///
/// ## What it checks
/// A `[unix_http_server]` `chmod` that gives other users any permission on the
/// socket (`0777`, `0766`, `0701`).
/// ## Why
/// Whoever may connect to the socket may run every supervisorctl command: stop
/// and start programs, and through them run commands as supervisord's user
/// (often root). Other local users should not have that.
/// ## Example
/// ```ini
/// [unix_http_server]
/// file=/run/supervisor.sock
/// chmod=0777
/// ```
/// ## Fix
/// Use `chmod=0700`, or `0770` with `chown` to a trusted group.
fn open_unix_socket(cx: &Context<'_>, diags: &mut Diagnostics) {
    for s in &cx.resolved.http_servers {
        if s.family != "unix" {
            continue;
        }
        let Some(mode) = s
            .chmod
            .as_deref()
            .and_then(|m| i64::from_str_radix(m, 8).ok())
        else {
            continue;
        };
        let others = mode & 0o007;
        if others == 0 {
            continue;
        }
        let Some(v) = cx.value(&s.section, "chmod") else {
            continue;
        };
        let who = if others & 0o002 == 0 {
            "other users have access"
        } else {
            "any local user can connect"
        };
        diags.push(
            Diagnostic::new(
                Code::OpenUnixSocket,
                format!(
                    "`chmod` of `[{}]` opens the socket to every local user",
                    s.section
                ),
            )
            .at(v.span(), who)
            .help("use `chmod=0700`, or `0770` with `chown` to a trusted group"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "app.localhost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "",
            "*",
            "0.0.0.0",
            "::",
            "[::]",
            "10.0.0.1",
            "example.com",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
