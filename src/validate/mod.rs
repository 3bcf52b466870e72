//! Checks beyond what supervisord itself refuses.
//!
//! Each rule is a function over the merged tree and the resolved config that pushes
//! findings and never returns early, so one run shows every problem. The rules that
//! supervisord enforces itself live in `lower`, where supervisord enforces them;
//! this module holds the rest and the shared helpers they use.

mod groups;
mod host;
mod laravel;
mod logs;
mod programs;
mod sections;
mod servers;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::env::Env;
use crate::include::{Tree, Value};
use crate::ir;
use crate::source::Span;

/// What every rule may look at.
pub struct Context<'a> {
    /// The merged sections with spans.
    pub tree: &'a Tree,
    /// What supervisord resolves the config to.
    pub resolved: &'a ir::Resolved,
    /// The environment and host the config is judged against (`env.host_checks` for `--host`).
    pub env: &'a Env,
    /// Every process that runs, once (shadowed groups and repeated listings left out).
    pub live: Vec<&'a ir::Process>,
    /// The first of those processes of each section.
    pub per_section: Vec<&'a ir::Process>,
}

impl Context<'_> {
    /// The value of `key` in `section` (or `[DEFAULT]`), with its spans.
    pub fn value(&self, section: &str, key: &str) -> Option<&Value> {
        self.tree.get(section, key)
    }

    /// The span of a section's first header (for findings about a whole section).
    pub fn header(&self, section: &str) -> Span {
        self.tree
            .sections
            .get(section)
            .map(crate::include::Section::header)
            .unwrap_or_default()
    }
}

/// Runs every rule. Rules only add findings; none changes what supervisord accepts.
pub fn validate(tree: &Tree, resolved: &ir::Resolved, env: &Env, diags: &mut Diagnostics) {
    let parallel = resolved
        .groups
        .iter()
        .map(|g| g.processes.len())
        .sum::<usize>()
        >= PARALLEL_PROCESSES
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    validate_with(tree, resolved, env, diags, parallel);
}

/// [`validate`], on two threads when `parallel`.
fn validate_with(
    tree: &Tree,
    resolved: &ir::Resolved,
    env: &Env,
    diags: &mut Diagnostics,
    parallel: bool,
) {
    if !parallel {
        let cx = Context::new(tree, resolved, env);
        duplicate_keys(tree, diags);
        sections::check(tree, diags);
        groups::check(&cx, diags);
        programs::check(&cx, diags);
        logs::check(&cx, diags);
        servers::check(&cx, diags);
        laravel::check(&cx, diags);
        host::check(&cx, diags);
        return;
    }
    // Two threads, each rule's findings kept in the order of running the rules in turn.
    // A helper collects the processes the rules walk (reading 20,000 processes costs
    // milliseconds) and runs the log and server rules with them, while this thread runs
    // the rules that read the sections only, then the others.
    let template = &diags.empty_like();
    let later = std::thread::scope(|scope| {
        let (collected, received) = std::sync::mpsc::channel();
        let helper = crate::threads::spawn_running(scope, move || {
            let cx = Context::new(tree, resolved, env);
            // (the receiver is gone only if this thread's rules panicked)
            let _ = collected.send((cx.live.clone(), cx.per_section.clone()));
            let mut found = template.empty_like();
            logs::check(&cx, &mut found);
            servers::check(&cx, &mut found);
            found
        });
        duplicate_keys(tree, diags);
        sections::check(tree, diags);
        let cx = match crate::threads::receive(&received) {
            Ok((live, per_section)) => Context {
                tree,
                resolved,
                env,
                live,
                per_section,
            },
            // no helper could be made, or it panicked (surfaced at the join below)
            Err(_) => Context::new(tree, resolved, env),
        };
        groups::check(&cx, diags);
        programs::check(&cx, diags);
        let mut laravel_found = template.empty_like();
        laravel::check(&cx, &mut laravel_found);
        let mut host_found = template.empty_like();
        host::check(&cx, &mut host_found);
        let mut found = match helper.map(crate::threads::join) {
            Some(Ok(found)) => found,
            // a panic in a rule is a bug: let it surface as it would have here
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            // no helper could be made: its rules run here
            None => {
                let mut found = template.empty_like();
                logs::check(&cx, &mut found);
                servers::check(&cx, &mut found);
                found
            }
        };
        found.extend(laravel_found);
        found.extend(host_found);
        found
    });
    diags.extend(later);
}

impl<'a> Context<'a> {
    /// The context of the rules, with the processes collected.
    fn new(tree: &'a Tree, resolved: &'a ir::Resolved, env: &'a Env) -> Self {
        // several rules walk the processes: collect them once
        let live = live_processes(resolved);
        let mut sections = rustc_hash::FxHashSet::default();
        let per_section = live
            .iter()
            .copied()
            .filter(|p| sections.insert(p.section.as_str()))
            .collect();
        Self {
            tree,
            resolved,
            env,
            live,
            per_section,
        }
    }
}

/// Below this many processes, the rules run on this thread alone.
const PARALLEL_PROCESSES: usize = 256;

/// Every process of the groups that are not shadowed, the first of each (section, name).
///
/// A section's processes come in runs (one per listing of the program); only a section
/// listed more than once, or a run that repeats a name, needs a set of what was seen:
/// a config of 5000 programs would otherwise keep 20,000 pairs in one (over a megabyte,
/// at the moment memory peaks).
fn live_processes(resolved: &ir::Resolved) -> Vec<&ir::Process> {
    let all = || {
        resolved
            .groups
            .iter()
            .filter(|g| !g.shadowed)
            .flat_map(|g| g.processes.chunk_by(|a, b| a.section == b.section))
    };
    let mut runs: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
    for run in all() {
        if let Some(p) = run.first() {
            *runs.entry(p.section.as_str()).or_default() += 1;
        }
    }
    let mut seen = rustc_hash::FxHashSet::default();
    let mut live = Vec::new();
    for run in all() {
        let alone = run
            .first()
            .is_some_and(|p| runs.get(p.section.as_str()) == Some(&1));
        if alone && distinct_names(run) {
            live.extend(run);
        } else {
            live.extend(
                run.iter()
                    .filter(|p| seen.insert((p.section.as_str(), p.name.as_str()))),
            );
        }
    }
    live
}

/// True when no two processes of `run` have the same name.
fn distinct_names(run: &[ir::Process]) -> bool {
    if run.len() <= 16 {
        return run
            .iter()
            .enumerate()
            .all(|(i, p)| run[..i].iter().all(|q| q.name != p.name));
    }
    let mut names = rustc_hash::FxHashSet::default();
    run.iter().all(|p| names.insert(p.name.as_str()))
}

/// SV007 duplicate-key: a key set twice in one section; the later one wins.
///
/// ## What it checks
/// The same key twice in a section, in one file or across included files.
/// ## Why
/// configparser keeps the last one silently: the first line is dead text that
/// readers still believe.
/// ## Fix
/// Remove one of them.
fn duplicate_keys(tree: &Tree, diags: &mut Diagnostics) {
    // a repeated `[include] files` in an included file is SV106's business
    for section in tree.sections.values().filter(|s| s.name != "include") {
        // (a key is named only for the few values that replaced others)
        for (i, v) in section.values.values().enumerate() {
            // the same line read twice (a file included twice) is SV107's business
            if let Some(first) = v
                .earlier()
                .iter()
                .find(|e| !tree.same_text(**e, v.key_span()))
            {
                let key = section.values.keys().nth(i).unwrap_or("");
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!("`{key}` is set more than once in `[{}]`", section.name),
                    )
                    .at(v.key_span(), "this one wins")
                    .also(*first, "first set here, ignored")
                    .help("remove the line that should not apply"),
                );
            }
        }
    }
}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if *c == word {
            continue;
        }
        let d = edit_distance(&w, &c.to_lowercase());
        // about one edit per five characters: close enough to be a typo, not another word
        let limit = (w.chars().count().max(c.chars().count()) / 5).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Running the rules on two threads finds the same, in the same order.
    #[test]
    fn threads_change_nothing() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut text = String::from(
            "[supervisord]\nlogfile=/tmp/s.log\n[inet_http_server]\nport=0.0.0.0:9001\n\
             [unix_http_server]\nfile=/tmp/x.sock\nchmod=0777\nusername=u\npassword=p\n\
             [group:g]\nprograms=p0,p1,p0\n",
        );
        for i in 0..40 {
            let extra = match i % 6 {
                0 => "stdout_logfile=/tmp/shared.log\n",
                1 => "command=php artisan queue:work\nstopwaitsecs=10\n",
                2 => "autorestar=true\nstartsecs=0\nautorestart=true\n",
                3 => {
                    "numprocs=3\nprocess_name=%(program_name)s_%(process_num)d\nstdout_logfile_backups=0\n"
                }
                4 => "priority=1\npriority=2\nexitcodes=0,137\n",
                _ => "redirect_stderr=true\nstderr_logfile=/tmp/e.log\n",
            };
            let _ = write!(text, "[program:p{i}]\ncommand=/bin/cat {i}\n{extra}\n");
        }
        text.push_str("[Program:x]\ncommand=/bin/true\n");
        let path = dir.path().join("supervisord.conf");
        std::fs::write(&path, text).expect("write");
        let env = Env::for_test(dir.path(), &[("HOME", "/root")]);
        let compiled = crate::compile(&path, &env, &crate::Options::default()).expect("readable");
        let (tree, resolved) = (&compiled.tree, &compiled.resolved);
        let run = |parallel| {
            let mut diags = Diagnostics::new();
            validate_with(tree, resolved, &env, &mut diags, parallel);
            diags.into_vec()
        };
        let one = run(false);
        let two = run(true);
        let mut codes: Vec<Code> = one.iter().map(|d| d.code).collect();
        codes.dedup();
        // findings of every rule module, in several runs
        assert!(codes.len() >= 8, "{codes:?}");
        assert_eq!(one, two);
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("ENV_APP_ROT", &["ENV_APP_ROOT", "here"]),
            Some("ENV_APP_ROOT")
        );
        assert_eq!(
            did_you_mean("progam_name", &["program_name", "here"]),
            Some("program_name")
        );
        assert_eq!(did_you_mean("xyz", &["program_name", "here"]), None);
    }
}
