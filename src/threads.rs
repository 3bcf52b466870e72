//! Starting helper threads so that they run at once.

use std::sync::mpsc::{Receiver, RecvError, TryRecvError};
use std::thread::{Scope, ScopedJoinHandle};

/// Spawns `work` on a thread of `scope` and returns once that thread runs.
///
/// Linux puts a new thread on its parent's CPU. While the parent keeps that CPU busy, the
/// new thread can wait for the scheduler's next load balancing (measured at 0.7–4.8 ms on a
/// 2-CPU machine) before it moves to an idle CPU, which is as long as the work it was made
/// to share. While the parent waits here, the new thread runs on the parent's CPU at once,
/// and the parent is woken on the idle one.
///
/// The helper also keeps off the CPU this thread runs on when it has others: woken on the
/// same CPU, the two could share it for milliseconds until the scheduler balances them.
///
/// `None` when no thread can be made (a process limit, no memory): every caller can do the
/// helper's share itself, so that is no error.
pub(crate) fn spawn_running<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Option<ScopedJoinHandle<'scope, T>> {
    let (started, running) = std::sync::mpsc::sync_channel(1);
    let parent_cpu = nix::sched::sched_getcpu().ok();
    let handle = std::thread::Builder::new()
        .spawn_scoped(scope, move || {
            if let Some(cpu) = parent_cpu {
                avoid_cpu(cpu);
            }
            // (the receiver waits for this; if it is gone there is no one to tell)
            let _ = started.send(());
            work()
        })
        .ok()?;
    // an error means the thread ended before it could tell (a panic), surfaced at join
    let _ = running.recv();
    Some(handle)
}

/// How long [`receive`] waits awake before it sleeps.
const SPIN: std::time::Duration = std::time::Duration::from_micros(500);

/// `receiver.recv()`, first watching for the message awake for a while: when it comes from a
/// thread that is about to send it, this saves the wake-up from sleep, which on a small VM
/// costs about half a millisecond.
pub(crate) fn receive<T>(receiver: &Receiver<T>) -> Result<T, RecvError> {
    let start = std::time::Instant::now();
    loop {
        match receiver.try_recv() {
            Ok(message) => return Ok(message),
            Err(TryRecvError::Disconnected) => return Err(RecvError),
            Err(TryRecvError::Empty) if start.elapsed() < SPIN => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return receiver.recv(),
        }
    }
}

/// `handle.join()`, first watching for the thread to end awake for a while (as [`receive`]).
pub(crate) fn join<T>(handle: ScopedJoinHandle<'_, T>) -> std::thread::Result<T> {
    let start = std::time::Instant::now();
    while !handle.is_finished() && start.elapsed() < SPIN {
        std::hint::spin_loop();
    }
    handle.join()
}

/// Keeps the calling thread off `cpu`, if it may run on another one (else changes nothing:
/// this only helps the scheduler, and a failure to ask costs nothing but that help).
fn avoid_cpu(cpu: usize) {
    let this = nix::unistd::Pid::from_raw(0);
    let Ok(mut allowed) = nix::sched::sched_getaffinity(this) else {
        return;
    };
    let others = (0..nix::sched::CpuSet::count())
        .filter(|c| *c != cpu && allowed.is_set(*c).unwrap_or(false))
        .count();
    if others > 0 && allowed.unset(cpu).is_ok() {
        let _ = nix::sched::sched_setaffinity(this, &allowed);
    }
}
