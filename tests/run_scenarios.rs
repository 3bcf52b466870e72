//! `svconf run` against the 41 testable scenarios of `../shared/spec/runtime.md` (h), one
//! test each (`sNN_…`), plus the CLI contract of the runtime (`contract_…`).
//!
//! Each test writes a config with the scenario's `[program:x]` keys (every other key keeps
//! its default) into a tempdir, runs the built binary on it with the tempdir as the cwd and a
//! cleared environment (`PATH=/usr/bin:/bin`), and asserts on the activity-log lines (the
//! text after the level) and on the files the children write. "t=" is seconds since the
//! first `spawned:` line; every delay is held to the spec's ±0.3 s ([`TOL`]), measured with
//! the launcher's own timestamps. The harness is `tests/common/launcher.rs`;
//! `SVCONF_RUN_TEST_DUMP=1` prints every launcher's log.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use common::launcher::{
    BIN, Launcher, Line, NOBODY, Sandbox, TOL, WAIT, alive, as_user, gap, is_root, kill,
    live_in_group, parse_log_line, signals_in, sleep_secs, stat, wait_exec, wait_file, wait_member,
    wait_until, zombies_of,
};
use nix::libc::{SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGUSR2};

const FATAL_X: &str = "gave up: x entered FATAL state, too many start retries too quickly";
const RUNNING_X_1: &str =
    "success: x entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)";
const RUNNING_X_0: &str =
    "success: x entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)";

/// A program that waits for its stop signal: `sh` with the given TERM trap.
fn trapping(trap: &str) -> String {
    format!("sh -c 'trap \"{trap}\" TERM; while :; do sleep 0.1; done'")
}

/// The spec's backoff schedule (a): attempt i+1 comes i+1 s after failure i, so the attempts
/// are at t = 0, 1, 3, 6, …; each failure follows its attempt.
fn assert_backoff(l: &Launcher, attempts: &[Line], failures: &[Line]) {
    let mut expected_t = 0.0;
    for (i, a) in attempts.iter().enumerate() {
        if i > 0 {
            #[allow(clippy::cast_precision_loss)] // i < 10
            let step = i as f64;
            expected_t += step;
            let prev = &failures[i - 1];
            l.assert_before(prev, a);
            l.assert_near(
                &format!("attempt {} after failure {i}", i + 1),
                gap(prev, a),
                step,
                TOL,
            );
        }
        l.assert_near(
            &format!("t of attempt {}", i + 1),
            l.time_of(a),
            expected_t,
            TOL,
        );
        if let Some(f) = failures.get(i) {
            if f.index != a.index {
                l.assert_before(a, f);
            }
        }
    }
}

/// After the TERM the launcher exits 0 within [`WAIT`].
fn term_and_exit_0(l: &mut Launcher) {
    l.stop_ok();
}

// ---------------------------------------------------------------------------
// (a) the state machine: quick exits, backoff, FATAL

#[test]
fn s01_quick_exit_backs_off_to_fatal() {
    let sb = Sandbox::new();
    let mut l =
        sb.start("[program:x]\ncommand=sh -c 'echo hi; exit 0'\nstdout_logfile={dir}/x.out\n");
    let gave = l.wait_msg(FATAL_X);
    let spawned = l.lines_with("spawned: 'x' with pid ");
    let exited = l.lines_with("exited: x ");
    assert_eq!(spawned.len(), 4, "spawns\n{}", l.dump());
    assert_eq!(exited.len(), 4, "exits\n{}", l.dump());
    for e in &exited {
        assert_eq!(e.msg, "exited: x (exit status 0; not expected)");
        assert_eq!(e.level, "WARN", "an unexpected exit is WARN: {}", e.raw);
    }
    assert_backoff(&l, &spawned, &exited);
    l.assert_before(&exited[3], &gave);
    l.assert_near(
        "gave up after the 4th exited",
        gap(&exited[3], &gave),
        0.0,
        TOL,
    );
    assert_eq!(gave.level, "INFO");
    sleep_secs(1.2);
    assert_eq!(l.count("spawned: "), 4, "no 5th spawn\n{}", l.dump());
    assert_eq!(sb.read("x.out"), "hi\n".repeat(4));
    term_and_exit_0(&mut l);
}

#[test]
fn s02_startretries_0_gives_up_after_one_attempt() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'echo hi; exit 0'\nstartretries=0\n");
    let gave = l.wait_msg(FATAL_X);
    let exited = l.lines_with("exited: x ");
    assert_eq!(exited.len(), 1, "{}", l.dump());
    assert_eq!(exited[0].msg, "exited: x (exit status 0; not expected)");
    l.assert_before(&exited[0], &gave);
    l.assert_near("gave up after the exit", gap(&exited[0], &gave), 0.0, TOL);
    sleep_secs(1.5);
    assert_eq!(l.count("spawned: "), 1, "no second spawn\n{}", l.dump());
    term_and_exit_0(&mut l);
}

#[test]
fn s03_autorestart_false_still_retries_failed_starts() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'exit 1'\nautorestart=false\n");
    let gave = l.wait_msg(FATAL_X);
    let spawned = l.lines_with("spawned: 'x' with pid ");
    let exited = l.lines_with("exited: x ");
    assert_eq!(spawned.len(), 4, "{}", l.dump());
    assert_eq!(exited.len(), 4, "{}", l.dump());
    for e in &exited {
        assert_eq!(e.msg, "exited: x (exit status 1; not expected)");
    }
    assert_backoff(&l, &spawned, &exited);
    l.assert_near(
        "gave up after the 4th exited",
        gap(&exited[3], &gave),
        0.0,
        TOL,
    );
    term_and_exit_0(&mut l);
}

#[test]
fn s04_crash_after_startsecs_restarts_forever() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'sleep 1.5; exit 3'\nstartretries=0\n");
    l.wait_count("spawned: 'x'", 3);
    l.at(6.0);
    let spawned = l.lines_with("spawned: 'x'");
    let success = l.lines_with("success: x ");
    let exited = l.lines_with("exited: x ");
    assert_eq!(spawned.len(), 3, "spawns by t=6\n{}", l.dump());
    assert_eq!(success[0].msg, RUNNING_X_1);
    l.assert_near("success", l.time_of(&success[0]), 1.0, TOL);
    assert_eq!(exited[0].msg, "exited: x (exit status 3; not expected)");
    assert_eq!(exited[0].level, "WARN");
    l.assert_near("exited", l.time_of(&exited[0]), 1.5, TOL);
    for i in 0..2 {
        l.assert_near(
            "respawn after exited",
            gap(&exited[i], &spawned[i + 1]),
            1.0,
            TOL,
        );
    }
    l.assert_near("2nd spawn", l.time_of(&spawned[1]), 2.5, TOL);
    l.assert_near("3rd spawn", l.time_of(&spawned[2]), 5.0, TOL);
    l.assert_none("gave up:");
    term_and_exit_0(&mut l);
}

#[test]
fn s05_expected_exit_is_not_restarted() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'sleep 1.5; exit 0'\n");
    let success = l.wait_msg("success: x ");
    let exited = l.wait_msg("exited: x ");
    assert_eq!(success.msg, RUNNING_X_1);
    l.assert_near("success", l.time_of(&success), 1.0, TOL);
    assert_eq!(exited.msg, "exited: x (exit status 0; expected)");
    assert_eq!(exited.level, "INFO");
    l.assert_near("exited", l.time_of(&exited), 1.5, TOL);
    l.at(4.0);
    assert_eq!(l.count("spawned: "), 1, "no restart\n{}", l.dump());
    term_and_exit_0(&mut l);
}

#[test]
fn s06_autorestart_true_restarts_expected_exit() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'sleep 1.5; exit 0'\nautorestart=true\n");
    l.wait_count("spawned: 'x'", 3);
    l.at(6.0);
    let spawned = l.lines_with("spawned: 'x'");
    let exited = l.lines_with("exited: x ");
    assert_eq!(spawned.len(), 3, "{}", l.dump());
    assert_eq!(exited[0].msg, "exited: x (exit status 0; expected)");
    l.assert_near("exited", l.time_of(&exited[0]), 1.5, TOL);
    l.assert_near("respawn", gap(&exited[0], &spawned[1]), 1.0, TOL);
    l.assert_near("2nd spawn", l.time_of(&spawned[1]), 2.5, TOL);
    l.assert_near("3rd spawn", l.time_of(&spawned[2]), 5.0, TOL);
    l.assert_none("gave up:");
    term_and_exit_0(&mut l);
}

#[test]
fn s07_exitcodes_make_exit_3_expected() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'sleep 1.5; exit 3'\nexitcodes=0,3\n");
    let exited = l.wait_msg("exited: x ");
    assert_eq!(exited.msg, "exited: x (exit status 3; expected)");
    assert_eq!(exited.level, "INFO");
    l.assert_near("exited", l.time_of(&exited), 1.5, TOL);
    l.at(4.0);
    assert_eq!(l.count("spawned: "), 1, "no restart\n{}", l.dump());
    term_and_exit_0(&mut l);
}

#[test]
fn s08_startsecs_0_runs_then_exits() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'exit 0'\nstartsecs=0\n");
    l.wait_msg("exited: x ");
    l.at(3.0);
    let msgs: Vec<String> = l
        .lines()
        .into_iter()
        .filter(|l| {
            ["spawned: ", "success: ", "exited: ", "gave up: "]
                .iter()
                .any(|p| l.msg.starts_with(p))
        })
        .map(|l| l.msg)
        .collect();
    assert_eq!(msgs.len(), 3, "{}", l.dump());
    assert!(
        msgs[0].starts_with("spawned: 'x' with pid "),
        "{}",
        l.dump()
    );
    assert_eq!(msgs[1], RUNNING_X_0);
    assert_eq!(msgs[2], "exited: x (exit status 0; expected)");
    term_and_exit_0(&mut l);
}

#[test]
fn s09_startsecs_0_crash_loop_one_spawn_per_second() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'exit 5'\nstartsecs=0\n");
    l.wait_count("spawned: 'x'", 4);
    l.at(3.5);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let spawned = l.lines_with("spawned: 'x'");
    let success = l.lines_with("success: x ");
    let exited = l.lines_with("exited: x ");
    assert_eq!(spawned.len(), 4, "no spawn after the TERM\n{}", l.dump());
    assert_eq!(success.len(), 4, "{}", l.dump());
    assert_eq!(exited.len(), 4, "{}", l.dump());
    for i in 0..4 {
        assert_eq!(success[i].msg, RUNNING_X_0);
        assert_eq!(exited[i].msg, "exited: x (exit status 5; not expected)");
        l.assert_before(&spawned[i], &success[i]);
        l.assert_before(&success[i], &exited[i]);
        #[allow(clippy::cast_precision_loss)] // i < 4
        l.assert_near("t of spawn", l.time_of(&spawned[i]), i as f64, TOL);
        if i > 0 {
            l.assert_before(&exited[i - 1], &spawned[i]);
            l.assert_near("respawn", gap(&exited[i - 1], &spawned[i]), 1.0, TOL);
        }
    }
    l.assert_none("gave up:");
    l.assert_none("stopped:");
}

#[test]
fn s10_signal_death_is_never_expected() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sh -c 'sleep 1.5; kill -9 $$'\n");
    let spawned = l.wait_count("spawned: 'x'", 2);
    let success = l.lines_with("success: x ");
    let exited = l.lines_with("exited: x ");
    l.assert_near("success", l.time_of(&success[0]), 1.0, TOL);
    assert_eq!(
        exited[0].msg,
        "exited: x (terminated by SIGKILL; not expected)"
    );
    assert_eq!(exited[0].level, "WARN");
    l.assert_near("exited", l.time_of(&exited[0]), 1.5, TOL);
    l.assert_near("respawn", gap(&exited[0], &spawned[1]), 1.0, TOL);
    term_and_exit_0(&mut l);
}

#[test]
fn s11_missing_command_is_a_spawn_error() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=/nonexistent/bin/x\n");
    let gave = l.wait_msg(FATAL_X);
    let errs = l.lines_with("spawnerr: ");
    assert_eq!(errs.len(), 4, "{}", l.dump());
    for e in &errs {
        assert_eq!(e.msg, "spawnerr: can't find command '/nonexistent/bin/x'");
        assert_eq!(e.level, "INFO");
    }
    assert_backoff(&l, &errs, &errs);
    l.assert_near("gave up after the 4th", gap(&errs[3], &gave), 0.0, TOL);
    l.assert_none("spawned:");
    sleep_secs(1.0);
    assert_eq!(l.count("spawnerr: "), 4, "{}", l.dump());
    term_and_exit_0(&mut l);
}

#[test]
fn s12_command_not_executable() {
    let sb = Sandbox::new();
    let script = sb.write("notexec.sh", "#!/bin/sh\nexit 0\n");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut l = sb.start(&format!(
        "[program:x]\ncommand={}\nstartretries=0\n",
        script.display()
    ));
    let gave = l.wait_msg(FATAL_X);
    let errs = l.lines_with("spawnerr: ");
    assert_eq!(errs.len(), 1, "{}", l.dump());
    assert_eq!(
        errs[0].msg,
        format!(
            "spawnerr: command at '{}' is not executable",
            script.display()
        )
    );
    l.assert_before(&errs[0], &gave);
    l.assert_none("spawned:");
    term_and_exit_0(&mut l);
}

#[test]
fn s13_bad_directory_exits_127_in_the_child() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'exit 0'\ndirectory=/nonexistent-dir\nstartretries=0\n\
         stderr_logfile={dir}/x.err\n",
    );
    let gave = l.wait_msg(FATAL_X);
    let exited = l.lines_with("exited: x ");
    assert_eq!(exited.len(), 1, "{}", l.dump());
    assert_eq!(exited[0].msg, "exited: x (exit status 127; not expected)");
    l.assert_before(&exited[0], &gave);
    assert_eq!(
        sb.read("x.err"),
        "supervisor: couldn't chdir to /nonexistent-dir: ENOENT\n\
         supervisor: child process was not spawned\n"
    );
    term_and_exit_0(&mut l);
}

// ---------------------------------------------------------------------------
// (a)/(b) stopping

#[test]
fn s14_term_ignored_escalates_to_sigkill() {
    let sb = Sandbox::new();
    let mut l = sb.start(&format!(
        "[program:x]\ncommand={}\nstopwaitsecs=2\n",
        "sh -c 'trap \"\" TERM; while :; do sleep 0.2; done'"
    ));
    l.wait_msg("spawned: 'x'");
    let pid = l.pid_of("x");
    l.at(2.0);
    let group_before: Vec<i32> = live_in_group(pid).iter().map(|s| s.pid).collect();
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let received = l.wait_msg("received SIGTERM indicating exit request");
    assert_eq!(received.level, "WARN");
    let waiting = l.wait_msg("waiting for ");
    assert_eq!(waiting.msg, "waiting for x to die");
    l.assert_near("waiting", l.time_of(&waiting), 2.0, TOL);
    let killing = l.wait_msg("killing ");
    assert_eq!(killing.msg, format!("killing 'x' ({pid}) with SIGKILL"));
    assert_eq!(killing.level, "WARN");
    l.assert_near("SIGKILL after the TERM", gap(&received, &killing), 2.0, TOL);
    let stopped = l.wait_msg("stopped: x ");
    assert_eq!(stopped.msg, "stopped: x (terminated by SIGKILL)");
    assert_eq!(stopped.level, "WARN");
    // the `sleep 0.2` of the killed shell is an orphan now: kill it by pid
    for p in live_in_group(pid) {
        if group_before.contains(&p.pid) || p.comm == "sleep" {
            kill(p.pid, SIGKILL);
        }
    }
}

#[test]
fn s15_stopsignal_int_runs_the_trap() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'trap \"echo got-INT; exit 0\" INT; while :; do sleep 0.1; done'\n\
         stopsignal=INT\nstdout_logfile={dir}/x.out\n",
    );
    l.wait_msg("spawned: 'x'");
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let received = l.wait_msg("received SIGTERM");
    let stopped = l.wait_msg("stopped: x ");
    assert_eq!(stopped.msg, "stopped: x (exit status 0)");
    assert_eq!(stopped.level, "INFO");
    let dt = gap(&received, &stopped);
    assert!(
        (0.0..=0.5).contains(&dt),
        "stopped {dt:.3} s after the TERM\n{}",
        l.dump()
    );
    l.assert_none("killing ");
    assert!(sb.read("x.out").contains("got-INT"), "{}", sb.read("x.out"));
}

#[test]
fn s16_exit_during_stop_is_stopped_not_exited() {
    let sb = Sandbox::new();
    let mut l = sb.start(&format!("[program:x]\ncommand={}\n", trapping("exit 7")));
    l.wait_msg("spawned: 'x'");
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let stopped = l.wait_msg("stopped: x ");
    assert_eq!(stopped.msg, "stopped: x (exit status 7)");
    assert_eq!(stopped.level, "WARN");
    l.assert_none("exited:");
    assert_eq!(l.count("spawned: "), 1, "{}", l.dump());
}

#[test]
fn s17_groups_stop_one_at_a_time_in_reverse_priority() {
    let sb = Sandbox::new();
    let cmd = trapping("sleep 1; exit 0");
    let mut l = sb.start(&format!(
        "[program:A]\ncommand={cmd}\npriority=300\n\n\
         [program:B]\ncommand={cmd}\npriority=400\n\n\
         [program:C]\ncommand={cmd}\npriority=500\n"
    ));
    l.wait_count("spawned: ", 3);
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let received = l.wait_msg("received SIGTERM");
    let c = l.wait_msg("stopped: C ");
    let b = l.wait_msg("stopped: B ");
    let a = l.wait_msg("stopped: A ");
    assert_eq!(c.msg, "stopped: C (exit status 0)");
    assert_eq!(b.msg, "stopped: B (exit status 0)");
    assert_eq!(a.msg, "stopped: A (exit status 0)");
    l.assert_near("C after the TERM", gap(&received, &c), 1.0, TOL);
    l.assert_near("stopped: C at t=3", l.time_of(&c), 3.0, TOL);
    l.assert_near("B after C", gap(&c, &b), 1.0, TOL);
    l.assert_near("A after B", gap(&b, &a), 1.0, TOL);
    l.assert_near("stopped: A at t=5", l.time_of(&a), 5.0, TOL);
    let exit_after = l
        .exited_at()
        .map_or(f64::MAX, |e| e.duration_since(a.at).as_secs_f64());
    assert!(
        exit_after < 0.5,
        "exit {exit_after:.3} s after the last stop"
    );
}

#[test]
fn s18_priority_orders_the_forks_without_waiting() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:p2]\ncommand=sleep 1000\npriority=20\n\n\
         [program:p1]\ncommand=sleep 1000\npriority=10\n",
    );
    let spawned = l.wait_count("spawned: ", 2);
    assert!(spawned[0].msg.starts_with("spawned: 'p1'"), "{}", l.dump());
    assert!(spawned[1].msg.starts_with("spawned: 'p2'"), "{}", l.dump());
    let dt = gap(&spawned[0], &spawned[1]);
    assert!(dt < 0.1, "p2 spawned {dt:.3} s after p1\n{}", l.dump());
    term_and_exit_0(&mut l);
}

#[test]
fn s19_group_sections_win_priority_ties() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:p1]\ncommand=sleep 1000\npriority=5\n\n\
         [group:h]\nprograms=q\npriority=5\n\n\
         [program:q]\ncommand=sleep 1000\n\n\
         [program:z]\ncommand=sleep 1000\npriority=5\n\n\
         [group:g]\nprograms=b,a\n\n\
         [program:a]\ncommand=sleep 1000\npriority=1\n\n\
         [program:b]\ncommand=sleep 1000\npriority=2\n",
    );
    l.wait_count("spawned: ", 5);
    let order: Vec<String> = l.spawned().into_iter().map(|(n, _)| n).collect();
    assert_eq!(order, ["q", "p1", "z", "b", "a"], "{}", l.dump());
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let stopped: Vec<String> = l
        .lines_with("stopped: ")
        .iter()
        .map(|s| s.msg.clone())
        .collect();
    assert_eq!(stopped.len(), 5, "{}", l.dump());
    let mut first_two = vec![stopped[0].clone(), stopped[1].clone()];
    first_two.sort();
    assert_eq!(
        first_two,
        [
            "stopped: a (terminated by SIGTERM)",
            "stopped: b (terminated by SIGTERM)"
        ],
        "{}",
        l.dump()
    );
    assert_eq!(
        stopped[2..],
        [
            "stopped: z (terminated by SIGTERM)",
            "stopped: p1 (terminated by SIGTERM)",
            "stopped: q (terminated by SIGTERM)"
        ],
        "{}",
        l.dump()
    );
}

#[test]
fn s20_group_members_are_named_without_prefix_and_stop_together() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[group:g]\nprograms=a,b\n\n\
         [program:a]\ncommand=sleep 1000\n\n\
         [program:b]\ncommand=sleep 1000\n",
    );
    let spawned = l.wait_count("spawned: ", 2);
    assert!(
        spawned[0].msg.starts_with("spawned: 'a' with pid "),
        "{}",
        l.dump()
    );
    assert!(
        spawned[1].msg.starts_with("spawned: 'b' with pid "),
        "{}",
        l.dump()
    );
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let a = l.wait_msg("stopped: a ");
    let b = l.wait_msg("stopped: b ");
    assert_eq!(a.msg, "stopped: a (terminated by SIGTERM)");
    assert_eq!(b.msg, "stopped: b (terminated by SIGTERM)");
    let dt = gap(&a, &b).abs();
    assert!(dt < 0.1, "a and b stopped {dt:.3} s apart\n{}", l.dump());
    assert!(
        !l.lines()
            .iter()
            .any(|x| x.msg.contains("g:a") || x.msg.contains("g:b")),
        "a `g:` prefix in the log\n{}",
        l.dump()
    );
}

#[test]
fn s21_exit_of_a_group_not_yet_stopped_is_not_restarted() {
    let sb = Sandbox::new();
    let mut l = sb.start(&format!(
        "[program:early]\ncommand=sh -c 'sleep 2; exit 1'\npriority=100\n\n\
         [program:slow]\ncommand={}\nstopwaitsecs=5\npriority=200\n",
        trapping("sleep 3; exit 0")
    ));
    l.wait_count("spawned: ", 2);
    l.at(1.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let waiting = l.wait_msg("waiting for ");
    assert_eq!(waiting.msg, "waiting for early, slow to die");
    l.assert_near("waiting", l.time_of(&waiting), 1.0, TOL);
    let exited = l.wait_msg("exited: early ");
    assert_eq!(exited.msg, "exited: early (exit status 1; not expected)");
    l.assert_near("exited: early", l.time_of(&exited), 2.0, TOL);
    let stopped = l.wait_msg("stopped: slow ");
    assert_eq!(stopped.msg, "stopped: slow (exit status 0)");
    l.assert_before(&exited, &stopped);
    l.assert_near("stopped: slow", l.time_of(&stopped), 4.0, TOL);
    assert_eq!(l.count("spawned: 'early'"), 1, "{}", l.dump());
    l.assert_none("stopped: early");
}

#[test]
fn s22_backoff_process_goes_fatal_silently_at_shutdown() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:bo]\ncommand=/nonexistent/x\nstartretries=10\npriority=100\n\n\
         [program:long]\ncommand=sleep 1000\npriority=200\n",
    );
    l.wait_count("spawnerr: ", 3);
    l.at(4.5);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let errs = l.lines_with("spawnerr: ");
    assert_eq!(
        errs.len(),
        3,
        "no spawn attempt after the TERM\n{}",
        l.dump()
    );
    for (e, t) in errs.iter().zip([0.0, 1.0, 3.0]) {
        assert_eq!(e.msg, "spawnerr: can't find command '/nonexistent/x'");
        l.assert_near("spawnerr", l.time_of(e), t, TOL);
    }
    let waiting = l.wait_msg("waiting for ");
    assert_eq!(waiting.msg, "waiting for bo, long to die");
    let stopped = l.wait_msg("stopped: long ");
    assert_eq!(stopped.msg, "stopped: long (terminated by SIGTERM)");
    l.assert_none("gave up:");
    l.assert_none("stopped: bo");
}

#[test]
fn s23_stopasgroup_signals_the_whole_group() {
    let sb = Sandbox::new();
    let mut l =
        sb.start("[program:x]\ncommand=sh -c 'sleep 1000 & sleep 1000 & wait'\nstopasgroup=true\n");
    l.wait_msg("spawned: 'x'");
    let pid = l.pid_of("x");
    assert!(
        wait_until(WAIT, || live_in_group(pid).len() == 3),
        "sh and two sleeps in the group: {:?}",
        live_in_group(pid)
    );
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    assert_eq!(
        l.wait_msg("stopped: x ").msg,
        "stopped: x (terminated by SIGTERM)"
    );
    assert!(
        wait_until(Duration::from_secs(2), || live_in_group(pid).is_empty()),
        "left in the group after exit: {:?}",
        live_in_group(pid)
    );
}

#[test]
fn s24_without_stopasgroup_grandchildren_are_orphaned() {
    let sb = Sandbox::new();
    let mut l = sb
        .start("[program:x]\ncommand=sh -c 'sleep 1000 & sleep 1000 & wait'\nstopasgroup=false\n");
    l.wait_msg("spawned: 'x'");
    let pid = l.pid_of("x");
    assert!(
        wait_until(WAIT, || live_in_group(pid).len() == 3),
        "sh and two sleeps in the group: {:?}",
        live_in_group(pid)
    );
    let sleeps: Vec<i32> = live_in_group(pid)
        .iter()
        .filter(|s| s.pid != pid)
        .map(|s| s.pid)
        .collect();
    l.at(2.0);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    let launcher = l.pid();
    let survivors: Vec<_> = sleeps.iter().filter_map(|p| stat(*p)).collect();
    for p in &sleeps {
        kill(*p, SIGKILL); // the orphans this scenario leaves on purpose
    }
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    assert_eq!(
        l.wait_msg("stopped: x ").msg,
        "stopped: x (terminated by SIGTERM)"
    );
    assert_eq!(survivors.len(), 2, "both sleeps survive: {survivors:?}");
    for s in &survivors {
        assert!(s.state != 'Z', "{s:?}");
        assert!(
            s.ppid != pid && s.ppid != launcher,
            "reparented to init or a subreaper: {s:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// (d) and (f): how a child is set up

#[test]
fn s25_child_has_own_group_in_the_launchers_session() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
    l.wait_msg("spawned: 'x'");
    let pid = l.pid_of("x");
    assert!(
        wait_exec(pid, "sleep"),
        "x never ran sleep: {:?}",
        stat(pid)
    );
    let child = stat(pid).expect("child is alive");
    let launcher = stat(l.pid()).expect("launcher is alive");
    assert_eq!(child.pgrp, pid, "pgid == pid: {child:?}");
    assert_eq!(
        child.session, launcher.session,
        "same session: {child:?} {launcher:?}"
    );
    assert_eq!(child.ppid, l.pid());
    term_and_exit_0(&mut l);
}

#[test]
fn s26_child_environment_umask_and_directory() {
    let sb = Sandbox::new();
    let conf = sb.config_with(
        "environment=GLOBALVAR=\"g1\",OVERRIDE=\"global\"",
        "[program:envp]\ncommand=sh -c 'env | sort; umask; sleep 1000'\n\
         environment=OVERRIDE=\"prog\",SUPERVISOR_GROUP_NAME=\"mine\"\n\
         umask=077\ndirectory=/tmp\nstdout_logfile={dir}/envp.out\n",
    );
    let mut l = sb
        .run(&conf)
        // plus the harness's SVCONF_RUN_TEST_TAG, which no assertion looks at
        .env_only(&[("PATH", "/usr/bin:/bin"), ("LAUNCHERVAR", "L1")])
        .start();
    l.wait_msg("spawned: 'envp'");
    let out = wait_file(&sb.p("envp.out"), WAIT, |t| t.contains("\n0077\n"));
    let lines: Vec<&str> = out.lines().collect();
    for want in [
        "SUPERVISOR_ENABLED=1",
        "SUPERVISOR_PROCESS_NAME=envp",
        "SUPERVISOR_GROUP_NAME=mine",
        "GLOBALVAR=g1",
        "OVERRIDE=prog",
        "LAUNCHERVAR=L1",
        "PATH=/usr/bin:/bin",
        "PWD=/tmp",
        "0077",
    ] {
        assert!(lines.contains(&want), "`{want}` missing from:\n{out}");
    }
    assert!(
        !out.contains("SUPERVISOR_SERVER_URL"),
        "no server, no URL:\n{out}"
    );
    term_and_exit_0(&mut l);
}

#[test]
fn s27_user_drops_to_nobody_keeping_home_and_user() {
    if !is_root() {
        eprintln!("skipped: s27 needs a root launcher");
        return;
    }
    let expected_id = Command::new("id")
        .arg("nobody")
        .output()
        .expect("id nobody");
    let expected_id = String::from_utf8_lossy(&expected_id.stdout)
        .trim()
        .to_owned();
    let sb = Sandbox::new();
    let conf = sb.config(
        "[program:x]\ncommand=sh -c 'id; echo HOME=$HOME USER=$USER'\nuser=nobody\n\
         stdout_logfile={dir}/x.out\n",
    );
    let mut l = sb
        .run(&conf)
        .env("HOME", "/root")
        .env("USER", "root")
        .start();
    l.wait_msg("spawned: 'x'");
    let out = wait_file(&sb.p("x.out"), WAIT, |t| t.contains("HOME="));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("uid=65534(nobody)"), "{out}");
    assert_eq!(lines[0], expected_id, "groups are nobody's");
    assert_eq!(lines[1], "HOME=/root USER=root", "HOME and USER unchanged");
    term_and_exit_0(&mut l);
}

#[test]
fn s28_nonroot_launcher_cannot_setuid_root() {
    if !is_root() {
        eprintln!("skipped: s28 needs root to start the launcher as nobody");
        return;
    }
    let sb = Sandbox::new();
    sb.open_to_everyone();
    let conf =
        sb.config("[program:x]\ncommand=sh -c 'id'\nuser=root\nstderr_logfile={dir}/x.err\n");
    let mut l = sb.run(&conf).prefix(&as_user(NOBODY)).start();
    let gave = l.wait_msg(FATAL_X);
    let spawned = l.lines_with("spawned: 'x'");
    let exited = l.lines_with("exited: x ");
    assert_eq!(exited.len(), 4, "{}", l.dump());
    for e in &exited {
        assert_eq!(e.msg, "exited: x (exit status 127; not expected)");
    }
    assert_backoff(&l, &spawned, &exited);
    l.assert_before(&exited[3], &gave);
    assert_eq!(
        sb.read("x.err"),
        "supervisor: couldn't setuid to 0: Can't drop privilege as nonroot user\n\
         supervisor: child process was not spawned\n"
            .repeat(4)
    );
    term_and_exit_0(&mut l);
}

// ---------------------------------------------------------------------------
// (e) child logs

#[test]
fn s29_redirect_stderr_interleaves_into_stdout_log() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'echo out; echo err >&2; sleep 1000'\nredirect_stderr=true\n",
    );
    l.wait_msg("spawned: 'x'");
    let logs = sb.auto_logs("x", "stdout");
    assert_eq!(logs.len(), 1, "one AUTO stdout log: {:?}", sb.names());
    let out = wait_file(&sb.p(&logs[0]), WAIT, |t| t.len() >= 8);
    assert_eq!(out, "out\nerr\n");
    assert!(
        sb.auto_logs("x", "stderr").is_empty(),
        "no stderr log: {:?}",
        sb.names()
    );
    term_and_exit_0(&mut l);
}

#[test]
fn s30_rotation_keeps_backups_and_order() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\n\
         command=sh -c 'i=0; while [ $i -lt 200 ]; do printf \"%%039d\\n\" $i; i=$((i+1)); done; sleep 1000'\n\
         stdout_logfile={dir}/rot.log\nstdout_logfile_maxbytes=1KB\nstdout_logfile_backups=2\n",
    );
    let all: String = (0..200).fold(String::new(), |mut acc, i| {
        let _ = writeln!(acc, "{i:039}");
        acc
    });
    assert_eq!(all.len(), 8000);
    let last = format!("{:039}\n", 199);
    let joined = || {
        format!(
            "{}{}{}",
            sb.read("rot.log.2"),
            sb.read("rot.log.1"),
            sb.read("rot.log")
        )
    };
    l.wait_msg("spawned: 'x'");
    assert!(
        wait_until(WAIT, || joined().ends_with(&last)),
        "the last line never reached the logs: {:?}",
        sb.names()
    );
    l.at(2.0);
    let size = |n: &str| fs::metadata(sb.p(n)).map(|m| m.len()).ok();
    let base = size("rot.log").expect("rot.log exists");
    assert!(base < 1024, "rot.log is {base} bytes");
    let one = size("rot.log.1").expect("rot.log.1 exists");
    assert!(one >= 1024, "rot.log.1 is {one} bytes");
    if let Some(two) = size("rot.log.2") {
        assert!(two >= 1024, "rot.log.2 is {two} bytes");
    }
    assert!(size("rot.log.3").is_none(), "no rot.log.3");
    let j = joined();
    assert!(
        all.ends_with(&j),
        "not a contiguous suffix of the output ({} bytes)",
        j.len()
    );
    term_and_exit_0(&mut l);
}

#[test]
fn s31_backups_0_truncates() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\n\
         command=sh -c 'head -c 301 /dev/zero; sleep 1.5; head -c 302 /dev/zero; sleep 1000'\n\
         stdout_logfile={dir}/x.out\nstdout_logfile_maxbytes=200\nstdout_logfile_backups=0\n",
    );
    l.wait_msg("spawned: 'x'");
    let origin = l.lines_with("spawned: ")[0].at;
    while origin.elapsed() < Duration::from_secs(3) {
        assert!(!sb.p("x.out.1").exists(), "x.out.1 exists");
        sleep_secs(0.01);
    }
    let len = fs::metadata(sb.p("x.out")).map(|m| m.len());
    assert_eq!(len.ok(), Some(0), "x.out is truncated to 0 bytes");
    assert!(!sb.p("x.out.1").exists());
    term_and_exit_0(&mut l);
}

#[test]
fn s32_usr2_reopens_logs() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'echo one; sleep 3; echo two; sleep 1000'\n\
         stdout_logfile={dir}/log\n",
    );
    l.wait_msg("spawned: 'x'");
    wait_file(&sb.p("log"), WAIT, |t| t == "one\n");
    l.at(1.0);
    fs::rename(sb.p("log"), sb.p("log.old")).expect("mv log log.old");
    l.signal(SIGUSR2);
    let r = l.wait_msg("received SIGUSR2 indicating log reopen request");
    assert_eq!(r.level, "INFO");
    let reopen = l.wait_msg("supervisord logreopen");
    l.assert_before(&r, &reopen);
    let new = wait_file(&sb.p("log"), WAIT, |t| t.contains("two"));
    assert_eq!(new, "two\n");
    assert_eq!(sb.read("log.old"), "one\n");
    term_and_exit_0(&mut l);
}

/// The AUTO log names of `x` and `y`, both channels, checked: one file each, mode 0600,
/// `NAME-CHANNEL---supervisor-XXXXXXXX.log` with 8 characters of `[a-z0-9_]`.
fn auto_names(sb: &Sandbox) -> Vec<String> {
    let mut names = Vec::new();
    for p in ["x", "y"] {
        for ch in ["stdout", "stderr"] {
            let found = sb.auto_logs(p, ch);
            assert_eq!(found.len(), 1, "one AUTO {p} {ch} log: {:?}", sb.names());
            let n = &found[0];
            let random = n
                .strip_prefix(&format!("{p}-{ch}---supervisor-"))
                .and_then(|r| r.strip_suffix(".log"))
                .expect("name shape");
            assert!(
                random.len() == 8
                    && random
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
                "random part of {n}"
            );
            let mode = fs::metadata(sb.p(n)).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "mode of {n}");
            names.push(n.clone());
        }
    }
    names
}

const AUTO_PROGRAMS: &str =
    "[program:x]\ncommand=sleep 1000\n\n[program:y]\ncommand=sleep 1000\nautostart=false\n";

#[test]
fn s33_auto_logs_are_made_at_start_and_replaced_on_hup() {
    let sb = Sandbox::new();
    let mut l = sb.start(AUTO_PROGRAMS);
    l.wait_msg("spawned: 'x'");
    let before = auto_names(&sb);
    l.at(2.0);
    l.signal(SIGHUP);
    l.wait_msg("received SIGHUP indicating restart request");
    l.wait_count("spawned: 'x'", 2);
    let after = auto_names(&sb);
    for old in &before {
        assert!(!sb.p(old).exists(), "{old} is gone after the HUP");
        assert!(!after.contains(old), "{old} has a new name after the HUP");
    }
    term_and_exit_0(&mut l);
}

#[test]
fn s33_auto_logs_nocleanup_keeps_the_old_files() {
    let sb = Sandbox::new();
    let conf = sb.config_with("nocleanup=true", AUTO_PROGRAMS);
    let mut l = sb.run(&conf).start();
    l.wait_msg("spawned: 'x'");
    let before = auto_names(&sb);
    l.at(2.0);
    l.signal(SIGHUP);
    l.wait_count("spawned: 'x'", 2);
    for old in &before {
        assert!(sb.p(old).exists(), "{old} stays with nocleanup=true");
    }
    for p in ["x", "y"] {
        for ch in ["stdout", "stderr"] {
            assert_eq!(
                sb.auto_logs(p, ch).len(),
                2,
                "old + new {p} {ch}: {:?}",
                sb.names()
            );
        }
    }
    term_and_exit_0(&mut l);
}

// ---------------------------------------------------------------------------
// (c) reaping, restart, signals

const ORPHAN_MAKER: &str =
    "[program:x]\ncommand=sh -c 'sleep 0.5 & exit 0'\nstartsecs=0\nautorestart=false\n";

/// `reaped unknown pid N (exit status 0)` with a number N.
fn assert_reaped_unknown(l: &Launcher) {
    let r = l.wait_msg("reaped unknown pid ");
    let rest = r
        .msg
        .strip_prefix("reaped unknown pid ")
        .and_then(|s| s.strip_suffix(" (exit status 0)"))
        .unwrap_or_default();
    assert!(
        !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit()),
        "{}\n{}",
        r.msg,
        l.dump()
    );
}

#[test]
fn s34_pid1_reaps_orphans() {
    // a container without CAP_SYS_ADMIN cannot make a pid namespace; the reaping itself is
    // also covered by s34_subreaper_reaps_orphans
    let can_unshare = Command::new("unshare")
        .args(["-pf", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !is_root() || !can_unshare {
        eprintln!("skipped: s34 needs root and a working `unshare -pf --mount-proc`");
        return;
    }
    let sb = Sandbox::new();
    let conf = sb.config(ORPHAN_MAKER);
    let mut l = sb
        .run(&conf)
        .forking_prefix(&["unshare", "-pf", "--mount-proc", "--kill-child"])
        .start();
    let first = l.wait_msg("supervisord started with pid ");
    assert_eq!(first.msg, "supervisord started with pid 1", "{}", l.dump());
    l.wait_msg("exited: x ");
    assert_reaped_unknown(&l);
    let launcher = l.pid();
    assert!(
        wait_until(Duration::from_secs(2), || zombies_of(launcher).is_empty()),
        "zombies under PID 1: {:?}",
        zombies_of(launcher)
    );
    let in_ns = l.tagged_pids();
    let zombies: Vec<_> = in_ns
        .iter()
        .filter_map(|p| stat(*p))
        .filter(|s| s.state == 'Z')
        .collect();
    assert!(zombies.is_empty(), "zombies in the namespace: {zombies:?}");
    term_and_exit_0(&mut l);
}

#[test]
fn s34_subreaper_reaps_orphans() {
    let sb = Sandbox::new();
    let conf = sb.config(ORPHAN_MAKER);
    let mut l = sb.run(&conf).flags(&["--subreaper"]).start();
    l.wait_msg("exited: x ");
    assert_reaped_unknown(&l);
    let launcher = l.pid();
    assert!(
        wait_until(Duration::from_secs(2), || zombies_of(launcher).is_empty()),
        "zombies under the launcher: {:?}",
        zombies_of(launcher)
    );
    term_and_exit_0(&mut l);
}

#[test]
fn s35_hup_restarts_in_place_and_resets_fatal() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sleep 1000\n\n\
         [program:f]\ncommand=/nonexistent/y\nstartretries=0\n",
    );
    l.wait_msg("spawned: 'x'");
    l.wait_msg("gave up: f ");
    let old_pid = l.pid_of("x");
    l.at(2.0);
    l.signal(SIGHUP);
    let hup = l.wait_msg("received SIGHUP indicating restart request");
    assert_eq!(hup.level, "WARN");
    let stopped = l.wait_msg("stopped: x ");
    assert_eq!(stopped.msg, "stopped: x (terminated by SIGTERM)");
    let spawned = l.wait_count("spawned: 'x'", 2);
    l.assert_before(&stopped, &spawned[1]);
    assert_ne!(l.pid_of("x"), old_pid, "a new pid");
    let gave = l.wait_count("gave up: f entered FATAL state", 2);
    let errs = l.lines_with("spawnerr: can't find command '/nonexistent/y'");
    assert_eq!(errs.len(), 2, "{}", l.dump());
    l.assert_before(&hup, &errs[1]);
    l.assert_before(&errs[1], &gave[1]);
    assert!(l.is_running(), "the launcher did not exit\n{}", l.dump());
    for s in l.lines_with("supervisord started with pid ") {
        assert_eq!(
            s.msg,
            format!("supervisord started with pid {}", l.pid()),
            "same pid"
        );
    }
    term_and_exit_0(&mut l);
}

#[test]
fn s36_second_term_during_shutdown_changes_nothing() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
    l.wait_msg("spawned: 'x'");
    l.at(2.0);
    l.signal(SIGTERM);
    sleep_secs(0.1);
    if l.is_running() {
        l.signal(SIGTERM);
    }
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    assert_eq!(l.count("stopped: "), 1, "{}", l.dump());
    assert_eq!(l.count("stopped: x (terminated by SIGTERM)"), 1);
    assert!(!l.dump().contains("panicked"), "{}", l.dump());
}

#[test]
fn s37_inherited_fds_do_not_leak() {
    let sb = Sandbox::new();
    let conf = sb.config(
        "[program:x]\ncommand=sh -c 'exec 3>&-; ls -l /proc/self/fd'\nstdout_logfile={dir}/x.out\n",
    );
    let mut l = sb
        .run(&conf)
        .prefix(&["sh", "-c", "exec 7</dev/null; exec \"$0\" \"$@\""])
        .start();
    l.wait_msg("exited: x ");
    let out = wait_file(&sb.p("x.out"), WAIT, |t| t.contains(" 2 -> "));
    let mut fds = Vec::new();
    for line in out.lines().filter(|l| l.contains(" -> ")) {
        let before = line.split(" -> ").next().unwrap_or_default();
        let fd: i32 = before
            .split_whitespace()
            .last()
            .and_then(|f| f.parse().ok())
            .expect("fd number");
        let target = line.split(" -> ").nth(1).unwrap_or_default();
        if fd > 2 {
            assert!(
                target.starts_with("/proc/") && target.ends_with("/fd"),
                "fd {fd} -> {target} leaked into the child:\n{out}"
            );
        }
        fds.push(fd);
    }
    assert!(
        fds.contains(&0) && fds.contains(&1) && fds.contains(&2),
        "{out}"
    );
    assert!(!fds.contains(&7), "fd 7 leaked:\n{out}");
    term_and_exit_0(&mut l);
}

#[test]
fn s38_drain_after_reap_loses_nothing() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'head -c 300000 /dev/zero | tr \"\\0\" a; echo; exit 0'\n\
         startsecs=0\nstdout_logfile={dir}/x.out\n",
    );
    let exited = l.wait_msg("exited: x ");
    assert_eq!(exited.msg, "exited: x (exit status 0; expected)");
    wait_until(Duration::from_secs(2), || {
        fs::metadata(sb.p("x.out")).is_ok_and(|m| m.len() >= 300_001)
    });
    let bytes = fs::read(sb.p("x.out")).expect("x.out");
    assert_eq!(bytes.len(), 300_001, "stdout log size");
    assert!(bytes[..300_000].iter().all(|&b| b == b'a') && bytes[300_000] == b'\n');
    term_and_exit_0(&mut l);
}

#[test]
fn s39_stdin_is_an_open_pipe() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=cat\n");
    let success = l.wait_msg("success: x ");
    l.assert_near("success", l.time_of(&success), 1.0, TOL);
    l.at(2.0);
    l.assert_none("exited:");
    term_and_exit_0(&mut l);
}

#[test]
fn s40_autostart_false_never_spawns_and_does_not_block_exit_when_idle() {
    let sb = Sandbox::new();
    let conf = sb.config(
        "[program:x]\ncommand=sleep 1000\nautostart=false\n\n\
         [program:y]\ncommand=sh -c 'exit 0'\nstartsecs=0\nautorestart=false\n",
    );
    let mut l = sb.run(&conf).flags(&["--exit-when-idle"]).start();
    let st = l.wait_exit(Duration::from_secs(10));
    l.assert_none("spawned: 'x'");
    assert_eq!(l.count("spawned: 'y'"), 1, "{}", l.dump());
    // x never ran, so it did not fail: y's expected exit decides, and that is 0 (spec (g)).
    assert_eq!(st.code(), Some(0), "{}", l.dump());
}

#[test]
fn s41_children_start_with_default_signal_dispositions() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'grep -E \"^Sig(Ign|Blk)\" /proc/self/status; sleep 1000'\n\
         stdout_logfile={dir}/x.out\n",
    );
    l.wait_msg("spawned: 'x'");
    let out = wait_file(&sb.p("x.out"), WAIT, |t| t.lines().count() >= 2);
    // What the launcher itself was handed: started by this test process through
    // `posix_spawn`, glibc leaves its internal signals 32 and 33 ignored
    // (SigIgn 0000000180000000), which a child inherits unless the launcher resets them.
    let launcher_status =
        fs::read_to_string(format!("/proc/{}/status", l.pid())).unwrap_or_default();
    let launcher_masks: Vec<&str> = launcher_status
        .lines()
        .filter(|l| l.starts_with("SigIgn:") || l.starts_with("SigBlk:"))
        .collect();
    for key in ["SigBlk:", "SigIgn:"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in {out}"));
        let mask = line[key.len()..].trim();
        assert!(
            !mask.is_empty() && mask.bytes().all(|c| c == b'0'),
            "child's {line} is not all zeros: signals {:?} (the launcher has {launcher_masks:?})",
            signals_in(mask)
        );
    }
    term_and_exit_0(&mut l);
}

// ---------------------------------------------------------------------------
// the CLI contract of `svconf run` (not in (h))

#[test]
fn contract_activity_log_format_on_stderr_and_in_logfile() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
    l.wait_msg("spawned: 'x'");
    l.stop_ok();
    let lines = l.lines();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(
            parse_log_line(&line.raw).is_some(),
            "not in the log format: {:?}\n{}",
            line.raw,
            l.dump()
        );
    }
    assert_eq!(lines[0].level, "INFO");
    assert_eq!(
        lines[0].msg,
        format!("supervisord started with pid {}", l.pid())
    );
    let file = sb.read("supervisord.log");
    let file_lines: Vec<&str> = file.lines().collect();
    let stderr_lines: Vec<&str> = lines.iter().map(|l| l.raw.as_str()).collect();
    assert_eq!(file_lines, stderr_lines, "the logfile has the same lines");
}

#[test]
fn contract_config_with_errors_exits_2() {
    for body in [
        "[program:x]\ncommand=sleep 1000\nuser=no-such-user-svconf-test\n",
        "[program:x]\ncommand=sleep 1000\nstdout_logfile={dir}/missing-dir/x.out\n",
        "[program:x]\n",
    ] {
        let sb = Sandbox::new();
        let mut l = sb.start(body);
        let st = l.wait_exit(WAIT);
        assert_eq!(st.code(), Some(2), "{body}\n{}", l.dump());
        assert!(!l.lines().is_empty(), "diagnostics on stderr for {body}");
        l.assert_none("spawned:");
        l.assert_none("supervisord started");
    }
}

#[test]
fn contract_usage_errors_exit_2() {
    let sb = Sandbox::new();
    let conf = sb.config("[program:x]\ncommand=sleep 1000\n");
    for args in [
        vec!["run", "/nonexistent/supervisord.conf"],
        vec!["run", "--no-such-flag", conf.to_str().expect("utf-8")],
        vec!["run", "--plan", "/nonexistent/plan.json"],
    ] {
        let mut l = sb.run(&conf).replace_args(&args).start();
        let st = l.wait_exit(WAIT);
        assert_eq!(st.code(), Some(2), "{args:?}\n{}", l.dump());
        l.assert_none("spawned:");
    }
    let mut l = sb.run(&conf).replace_args(&["run", "--help"]).start();
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "run --help\n{}", l.dump());
}

#[test]
fn contract_runs_a_plan_file() {
    let sb = Sandbox::new();
    let conf = sb.config("[program:x]\ncommand=sleep 1000\n");
    let out = Command::new(BIN)
        .args(["convert", "--to", "plan"])
        .arg(&conf)
        .current_dir(sb.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("svconf convert");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = sb.write("plan.json", &out.stdout);
    let mut l = sb
        .run(&conf)
        .replace_args(&["run", "--plan", plan.to_str().expect("utf-8")])
        .start();
    l.wait_msg("spawned: 'x'");
    let pid = l.pid_of("x");
    assert!(alive(pid));
    term_and_exit_0(&mut l);
}

#[test]
fn contract_exit_when_idle_is_0_for_expected_exits_and_1_after_fatal() {
    let sb = Sandbox::new();
    let conf = sb.config("[program:x]\ncommand=sh -c 'exit 0'\nstartsecs=0\n");
    let mut l = sb.run(&conf).flags(&["--exit-when-idle"]).start();
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    assert_eq!(
        l.wait_msg("exited: x ").msg,
        "exited: x (exit status 0; expected)"
    );

    let sb = Sandbox::new();
    let conf = sb.config("[program:x]\ncommand=/nonexistent/bin/x\nstartretries=0\n");
    let mut l = sb.run(&conf).flags(&["--exit-when-idle"]).start();
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(1), "{}", l.dump());
    l.wait_msg(FATAL_X);
}

#[test]
fn contract_env_flags_build_the_child_environment() {
    let sb = Sandbox::new();
    let conf = sb.config(
        "[program:x]\ncommand=sh -c 'env | sort; exec sleep 1000'\nstdout_logfile={dir}/x.out\n",
    );
    let mut l = sb
        .run(&conf)
        .env("LAUNCHERVAR", "L1")
        .flags(&["--clear-env", "-e", "FOO=bar", "-e", "PATH=/usr/bin:/bin"])
        .start();
    l.wait_msg("spawned: 'x'");
    let out = wait_file(&sb.p("x.out"), WAIT, |t| t.contains("SUPERVISOR_ENABLED"));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"FOO=bar"), "{out}");
    assert!(
        !out.contains("LAUNCHERVAR"),
        "--clear-env drops the real environment:\n{out}"
    );
    term_and_exit_0(&mut l);
}

#[test]
fn contract_int_and_quit_shut_down_like_term() {
    for (sig, name) in [(SIGINT, "SIGINT"), (SIGQUIT, "SIGQUIT")] {
        let sb = Sandbox::new();
        let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
        l.wait_msg("spawned: 'x'");
        // a stop signal that reaches the child before its exec is a separate case:
        // run_faults.rs `stop_signal_right_after_spawn_is_not_lost`
        assert!(wait_exec(l.pid_of("x"), "sleep"));
        l.signal(sig);
        let st = l.wait_exit(WAIT);
        assert_eq!(st.code(), Some(0), "{name}\n{}", l.dump());
        let r = l.wait_msg("received ");
        assert_eq!(r.msg, format!("received {name} indicating exit request"));
        assert_eq!(r.level, "WARN");
        assert_eq!(
            l.wait_msg("stopped: x ").msg,
            "stopped: x (terminated by SIGTERM)"
        );
    }
}

#[test]
fn contract_hup_during_shutdown_is_ignored() {
    let sb = Sandbox::new();
    let mut l = sb.start(&format!(
        "[program:x]\ncommand={}\n",
        trapping("sleep 1; exit 0")
    ));
    l.wait_msg("spawned: 'x'");
    assert!(wait_member(l.pid_of("x"), "sleep"), "the trap is set");
    l.signal(SIGTERM);
    l.wait_msg("waiting for x to die");
    sleep_secs(0.3);
    l.signal(SIGHUP);
    l.wait_msg("ignored SIGHUP indicating restart request (shutdown in progress)");
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    assert_eq!(l.count("spawned: "), 1, "no restart\n{}", l.dump());
    assert_eq!(l.count("supervisord started"), 1, "{}", l.dump());
}

#[test]
fn contract_term_during_hup_stop_phase_turns_it_into_a_shutdown() {
    let sb = Sandbox::new();
    let mut l = sb.start(&format!(
        "[program:x]\ncommand={}\n",
        trapping("sleep 1; exit 0")
    ));
    l.wait_msg("spawned: 'x'");
    assert!(wait_member(l.pid_of("x"), "sleep"), "the trap is set");
    l.signal(SIGHUP);
    l.wait_msg("received SIGHUP indicating restart request");
    sleep_secs(0.3);
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    l.wait_msg("received SIGTERM indicating exit request");
    assert_eq!(l.count("spawned: "), 1, "no restart\n{}", l.dump());
    assert_eq!(l.wait_msg("stopped: x ").msg, "stopped: x (exit status 0)");
}

#[test]
fn contract_none_log_is_still_drained() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'head -c 1000000 /dev/zero; exit 0'\nstartsecs=0\n\
         stdout_logfile=NONE\n",
    );
    let exited = l.wait_msg("exited: x ");
    assert_eq!(exited.msg, "exited: x (exit status 0; expected)");
    assert!(sb.auto_logs("x", "stdout").is_empty(), "{:?}", sb.names());
    term_and_exit_0(&mut l);
}

#[test]
fn contract_path_lookup_stops_at_the_first_match() {
    let sb = Sandbox::new();
    let d1 = sb.write("d1/tool", "#!/bin/sh\nexit 0\n");
    fs::set_permissions(&d1, fs::Permissions::from_mode(0o644)).expect("chmod");
    let d2 = sb.write("d2/tool", "#!/bin/sh\nexec sleep 1000\n");
    fs::set_permissions(&d2, fs::Permissions::from_mode(0o755)).expect("chmod");
    let d3 = sb.write("d3/only-here", "#!/bin/sh\nexec sleep 1000\n");
    fs::set_permissions(&d3, fs::Permissions::from_mode(0o755)).expect("chmod");
    let conf = sb.config_with(
        "environment=PATH=\"{dir}/d1:{dir}/d2:{dir}/d3:/usr/bin:/bin\"",
        "[program:x]\ncommand=tool\nstartretries=0\n\n\
         [program:y]\ncommand=only-here\n",
    );
    let mut l = sb.run(&conf).start();
    l.wait_msg("gave up: x ");
    assert_eq!(
        l.wait_msg("spawnerr: ").msg,
        format!("spawnerr: command at '{}' is not executable", d1.display())
    );
    l.wait_msg("spawned: 'y'");
    l.assert_none("spawned: 'x'");
    term_and_exit_0(&mut l);
}

#[test]
fn contract_hup_rereads_the_config() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
    l.wait_msg("spawned: 'x'");
    l.wait_exec_of("x", "sleep");
    sb.config("[program:x]\ncommand=sleep 1000\n\n[program:y]\ncommand=sleep 1000\n");
    l.signal(SIGHUP);
    l.wait_msg("received SIGHUP indicating restart request");
    l.wait_msg("spawned: 'y'");
    l.wait_count("spawned: 'x'", 2);
    l.wait_exec_of("x", "sleep");
    l.wait_exec_of("y", "sleep");
    term_and_exit_0(&mut l);
}

#[test]
fn contract_hup_with_a_broken_config_keeps_the_old_one() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
    l.wait_msg("spawned: 'x'");
    l.wait_exec_of("x", "sleep");
    let before = l.lines().len();
    sb.config("[program:x]\ncommand=sleep 1000\nstartsecs=not-a-number\n");
    l.signal(SIGHUP);
    l.wait_msg("received SIGHUP indicating restart request");
    // spec (c) [svconf] deviation: log the error, restart with the old plan, do not exit 2
    l.wait_count("spawned: 'x'", 2);
    l.wait_exec_of("x", "sleep");
    assert!(l.is_running(), "the launcher exited\n{}", l.dump());
    let errors = l.lines_matching(|x| x.index >= before && x.level == "ERRO");
    assert!(
        !errors.is_empty(),
        "the config error is logged\n{}",
        l.dump()
    );
    term_and_exit_0(&mut l);
    // the contract: every line on stderr is an activity-log line, also this report
    let odd: Vec<String> = l
        .lines()
        .into_iter()
        .filter(|x| x.stamp.is_none())
        .map(|x| x.raw)
        .collect();
    assert!(
        odd.is_empty(),
        "{} stderr lines are not in the log format, e.g. {:?}\n{}",
        odd.len(),
        odd.first(),
        l.dump()
    );
}

#[test]
fn contract_usr2_reopens_the_activity_log() {
    let sb = Sandbox::new();
    let mut l = sb.start("[program:x]\ncommand=sleep 1000\n");
    l.wait_msg("spawned: 'x'");
    l.wait_exec_of("x", "sleep");
    fs::rename(sb.p("supervisord.log"), sb.p("supervisord.log.old")).expect("mv");
    l.signal(SIGUSR2);
    l.wait_msg("supervisord logreopen");
    term_and_exit_0(&mut l);
    let old = sb.read("supervisord.log.old");
    let new = sb.read("supervisord.log");
    assert!(old.contains("spawned: 'x'"), "old log:\n{old}");
    assert!(
        new.contains("received SIGTERM indicating exit request"),
        "the reopened log gets the later lines:\n{new}"
    );
    assert!(!new.contains("spawned: 'x'"), "new log:\n{new}");
}

#[test]
fn contract_spawn_error_for_a_directory() {
    let sb = Sandbox::new();
    sb.mkdir("adir");
    let mut l = sb.start("[program:x]\ncommand={dir}/adir\nstartretries=0\n");
    l.wait_msg(FATAL_X);
    assert_eq!(
        l.wait_msg("spawnerr: ").msg,
        format!(
            "spawnerr: command at '{}' is a directory",
            sb.p("adir").display()
        )
    );
    term_and_exit_0(&mut l);
}

#[test]
fn contract_killasgroup_kills_the_whole_group() {
    // the trap makes TERM ignored in the shell and in the `sleep 1000` it starts, so only
    // the SIGKILL to the group (killasgroup follows stopasgroup) ends them
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'trap \"\" TERM; sleep 1000 & while :; do sleep 0.2; done'\n\
         stopasgroup=true\nstopwaitsecs=1\n",
    );
    l.wait_msg("spawned: 'x'");
    let pid = l.pid_of("x");
    assert!(wait_member(pid, "sleep"), "the trap is set");
    l.signal(SIGTERM);
    let st = l.wait_exit(WAIT);
    assert_eq!(st.code(), Some(0), "{}", l.dump());
    let received = l.wait_msg("received SIGTERM");
    let killing = l.wait_msg("killing ");
    assert_eq!(killing.msg, format!("killing 'x' ({pid}) with SIGKILL"));
    l.assert_near(
        "SIGKILL at stopwaitsecs",
        gap(&received, &killing),
        1.0,
        TOL,
    );
    assert_eq!(
        l.wait_msg("stopped: x ").msg,
        "stopped: x (terminated by SIGKILL)"
    );
    assert!(
        wait_until(Duration::from_secs(2), || live_in_group(pid).is_empty()),
        "left in the group: {:?}",
        live_in_group(pid)
    );
}

#[test]
fn contract_realtime_stopsignal_is_sent() {
    // RTMIN is 34 on Linux; a silent fallback to TERM would print nothing and be killed
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sh -c 'trap \"echo got-34; exit 0\" 34; while :; do sleep 0.1; done'\n\
         stopsignal=RTMIN\nstdout_logfile={dir}/x.out\n",
    );
    l.wait_msg("success: x ");
    l.signal(SIGTERM);
    assert_eq!(l.wait_exit(WAIT).code(), Some(0), "{}", l.dump());
    assert_eq!(l.wait_msg("stopped: x ").msg, "stopped: x (exit status 0)");
    assert_eq!(sb.read("x.out"), "got-34\n");
}

#[test]
fn contract_huge_startsecs_and_stopwaitsecs_do_not_overflow_the_clock() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sleep 1000\nstartsecs=9223372036854775807\n\
         stopwaitsecs=9223372036854775807\n\
         [program:y]\ncommand=sleep 1000\nstopwaitsecs=9223372036854775807\n",
    );
    l.wait_msg("spawned: 'y'");
    l.wait_msg("success: y ");
    l.assert_none("success: x ");
    l.signal(SIGTERM);
    assert_eq!(l.wait_exit(WAIT).code(), Some(0), "{}", l.dump());
    assert_eq!(l.count("stopped: "), 2, "{}", l.dump());
}

#[test]
fn contract_inherited_blocked_sigchld_is_unblocked() {
    // a parent that blocks SIGCHLD passes the mask on through exec
    let sb = Sandbox::new();
    let conf = sb.config("[program:x]\ncommand=sh -c 'exit 3'\nstartretries=0\n");
    let mut l = sb
        .run(&conf)
        .prefix(&[
            "perl",
            "-e",
            "use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD)); exec @ARGV or die",
        ])
        .start();
    let spawned = l.wait_msg("spawned: 'x'");
    let exited = l.wait_msg("exited: x ");
    l.assert_near("the exit is seen at once", gap(&spawned, &exited), 0.0, TOL);
    l.wait_msg("gave up: x ");
    l.signal(SIGTERM);
    assert_eq!(l.wait_exit(WAIT).code(), Some(0), "{}", l.dump());
}

#[test]
fn contract_debug_loglevel_copies_child_output() {
    let sb = Sandbox::new();
    let conf = sb.config_with(
        "loglevel=debug",
        "[program:x]\ncommand=sh -c 'echo hello; sleep 1000'\n",
    );
    let mut l = sb.run(&conf).start();
    let line = l.wait_msg("'x' stdout output:");
    assert_eq!(line.level, "DEBG");
    l.stop_ok();
    assert!(
        sb.read("supervisord.log")
            .contains("DEBG 'x' stdout output:\nhello\n"),
        "{}",
        l.dump()
    );
}

#[test]
fn contract_supervisords_parse_warnings_are_logged_before_start() {
    let sb = Sandbox::new();
    let mut l = sb.start(
        "[program:x]\ncommand=sleep 1000\nredirect_stderr=true\nstderr_logfile={dir}/e.log\n",
    );
    let warning = l.wait_for_line(|line| line.msg.contains("SV232"), WAIT);
    assert_eq!(warning.level, "WARN");
    let started = l.wait_msg("supervisord started with pid ");
    l.assert_before(&warning, &started);
    l.stop_ok();
}
