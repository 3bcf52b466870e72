//! Rules about Laravel queue workers (see the doc comment on each rule for its code).
//!
//! They look at the words of `command` (shell wrappers such as `bash -c "php
//! artisan queue:work"` included): an `artisan` word followed by `queue:work` or
//! `queue:listen`.

use super::Context;
use super::logs::one_per_section;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::include::Value;
use crate::source::Span;

/// Laravel's `queue:work --timeout` when the flag is absent.
const DEFAULT_TIMEOUT: i64 = 60;

/// Runs the rules of this module.
pub(crate) fn check(cx: &Context<'_>, diags: &mut Diagnostics) {
    for p in one_per_section(cx) {
        let words = words(&p.command);
        let Some((i, sub)) = artisan_queue(&words) else {
            continue;
        };
        let Some(v) = cx.value(&p.section, "command") else {
            continue;
        };
        if sub == "queue:listen" {
            queue_listen(&p.section, find(v, words[i]), diags);
        } else {
            stopwaitsecs_too_short(cx, p, &words, i, v, diags);
        }
    }
}

/// The blank-separated words of a command, with surrounding quotes removed.
fn words(command: &str) -> Vec<&str> {
    command
        .split_ascii_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// True for a word that ends one shell command (`;`, `&&`, `|`, …) or a word
/// that ends with `;`.
fn ends_command(word: &str) -> bool {
    matches!(word, ";" | "&&" | "||" | "|" | "&") || word.ends_with(';')
}

/// The index of `queue:work`/`queue:listen` after an `artisan` word, and which one it is.
fn artisan_queue<'a>(words: &[&'a str]) -> Option<(usize, &'a str)> {
    let artisan = words
        .iter()
        .position(|w| *w == "artisan" || w.ends_with("/artisan"))?;
    for (i, w) in words.iter().enumerate().skip(artisan + 1) {
        let bare = w.trim_end_matches(';');
        if matches!(bare, "queue:work" | "queue:listen") {
            return Some((i, bare));
        }
        if ends_command(w) {
            break;
        }
    }
    None
}

/// The `--timeout` of the `queue:work` at `words[i]`: `(value, the word to label)`.
/// `None` when the flag is absent; a value that is not a number is `Some((None, _))`.
fn timeout<'a>(words: &[&'a str], i: usize) -> Option<(Option<i64>, &'a str)> {
    if ends_command(words[i]) {
        return None;
    }
    let mut k = i + 1;
    while k < words.len() {
        let w = words[k];
        let bare = w.trim_end_matches(';');
        if let Some(n) = bare.strip_prefix("--timeout=") {
            return Some((n.parse().ok(), bare));
        }
        if bare == "--timeout" {
            let n = words
                .get(k + 1)
                .and_then(|n| n.trim_end_matches(';').parse().ok());
            return Some((n, bare));
        }
        if ends_command(w) {
            break;
        }
        k += 1;
    }
    None
}

/// The span of `word` in the command's text, else the whole value.
fn find(v: &Value, word: &str) -> Span {
    v.text
        .find(word)
        .map_or_else(|| v.span(), |at| v.span_of(at, at + word.len()))
}

/// SV256 laravel-stopwaitsecs-too-short
///
/// ## What it checks
/// A program running `artisan queue:work --timeout=N` whose `stopwaitsecs` is
/// not above N. Without `--timeout`, Laravel's default of 60 seconds applies,
/// and supervisord's default `stopwaitsecs` is 10.
/// ## Why
/// On stop (every deploy, every `supervisorctl restart`), supervisord sends
/// SIGTERM, waits `stopwaitsecs`, then sends SIGKILL. The worker finishes its
/// current job before it exits, and a job may run up to `--timeout` seconds: a
/// shorter `stopwaitsecs` kills it mid-job, and the job is run again or lost.
/// ## Example
/// ```ini
/// [program:laravel-worker]
/// command=php /var/www/artisan queue:work --timeout=90
/// stopwaitsecs=30
/// ```
/// ## Fix
/// Set `stopwaitsecs` above the `--timeout` (Laravel's docs use `stopwaitsecs=3600`).
fn stopwaitsecs_too_short(
    cx: &Context<'_>,
    p: &crate::ir::Process,
    words: &[&str],
    i: usize,
    command: &Value,
    diags: &mut Diagnostics,
) {
    // with the code allowed (`--allow SV256`) the finding would be dropped as it comes:
    // a config of 5000 workers would build 5000 messages for nothing
    if !diags.keeps(Code::LaravelTimeoutKill) {
        return;
    }
    let (limit, flag) = match timeout(words, i) {
        Some((Some(n), word)) => (n, Some(word)),
        Some((None, _)) => return,
        None => (DEFAULT_TIMEOUT, None),
    };
    // `--timeout=0` means jobs never time out: there is no bound to compare with
    if limit <= 0 || p.stopwaitsecs > limit {
        return;
    }
    let section = &p.section;
    let (span, label) = match cx.value(section, "stopwaitsecs") {
        Some(v) => (
            v.span(),
            format!("SIGKILL after {} seconds", p.stopwaitsecs),
        ),
        None => (
            cx.header(section),
            format!("`stopwaitsecs` defaults to {} seconds", p.stopwaitsecs),
        ),
    };
    let (message, also) = match flag {
        Some(word) => (
            format!(
                "`[{section}]` can kill a running job: `stopwaitsecs` ({}) is not above `--timeout` ({limit})",
                p.stopwaitsecs
            ),
            (
                find(command, word),
                format!("a job may run {limit} seconds"),
            ),
        ),
        None => (
            format!(
                "`[{section}]` can kill a running job: `stopwaitsecs` ({}) is not above Laravel's default `--timeout` of {limit} seconds",
                p.stopwaitsecs
            ),
            (
                find(command, words[i]),
                format!("no `--timeout`: Laravel's default is {limit} seconds"),
            ),
        ),
    };
    diags.push(
        Diagnostic::new(Code::LaravelTimeoutKill, message)
            .at(span, label)
            .also(also.0, also.1)
            .help(format!("set `stopwaitsecs` above {limit}")),
    );
}

/// SV257 laravel-queue-listen
///
/// ## What it checks
/// A program running `artisan queue:listen`.
/// ## Why
/// `queue:listen` boots the whole framework again for every job: it is meant
/// for development, where code changes must be picked up. Under a process
/// manager, `queue:work` is the long-running worker Laravel documents.
/// ## Example
/// ```ini
/// [program:queue]
/// command=php /var/www/artisan queue:listen --tries=3
/// ```
/// ## Fix
/// Use `queue:work`, and run `php artisan queue:restart` on deploy.
fn queue_listen(section: &str, span: Span, diags: &mut Diagnostics) {
    diags.push(
        Diagnostic::new(
            Code::LaravelQueueListen,
            format!("`[{section}]` runs `artisan queue:listen`"),
        )
        .at(span, "boots the framework for every job")
        .help("use `queue:work`, and run `artisan queue:restart` on deploy"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed<'a> = Option<(&'a str, Option<(Option<i64>, &'a str)>)>;

    fn parse(cmd: &str) -> Parsed<'_> {
        let w = words(cmd);
        let (i, sub) = artisan_queue(&w)?;
        Some((sub, timeout(&w, i)))
    }

    #[test]
    fn finds_the_queue_command() {
        assert_eq!(
            parse("php /var/www/artisan queue:work"),
            Some(("queue:work", None))
        );
        assert_eq!(
            parse("php artisan queue:listen --tries=3"),
            Some(("queue:listen", None))
        );
        assert_eq!(parse("php artisan horizon"), None);
        assert_eq!(parse("php worker.php queue:work"), None);
        assert_eq!(parse("php artisan migrate; php other queue:work"), None);
    }

    #[test]
    fn parses_timeout() {
        let t = |c| parse(c).and_then(|(_, t)| t);
        assert_eq!(
            t("php artisan queue:work --timeout=90"),
            Some((Some(90), "--timeout=90"))
        );
        assert_eq!(
            t("php artisan queue:work redis --sleep=3 --timeout 120 --tries=3"),
            Some((Some(120), "--timeout"))
        );
        assert_eq!(
            t(r#"bash -c "php artisan queue:work --timeout=30""#),
            Some((Some(30), "--timeout=30"))
        );
        assert_eq!(
            t("sh -c 'php artisan queue:work --timeout=30;'"),
            Some((Some(30), "--timeout=30"))
        );
        assert_eq!(
            t("php artisan queue:work --timeout=abc"),
            Some((None, "--timeout=abc"))
        );
        assert_eq!(t("php artisan queue:work --tries=3"), None);
        assert_eq!(t("php artisan queue:work && sleep --timeout=5"), None);
    }
}
