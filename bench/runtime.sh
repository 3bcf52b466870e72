#!/usr/bin/env bash
# bench/runtime.sh: `svconf run` vs supervisord 4.3.0 as launchers, side by side in one run, on
# the same config: [program:sleep] command=sleep 1000, numprocs=200, startsecs=1.
#
# For each launcher and run: time from the launcher's start until its log holds 200 `spawned:`
# lines (and first -> 200th `spawned:` by the log's own stamps, and the launcher's own CPU time
# until then), the launcher's VmRSS/VmHWM once all 200 are RUNNING, and its CPU time and wake-ups
# (voluntary context switches) over an idle window. Then SIGTERM, the time to exit, and a check
# that no `sleep` child is left behind. Prints a markdown table of medians and the verdicts on
# issue 6's targets. Linux only (/proc); needs python3, nothing else beyond coreutils.
#
#   SVCONF=path/to/svconf   binary to measure (default: $CARGO_TARGET_DIR or target, /release/svconf,
#                           built with `cargo build --release` if missing)
#   PYTHON=path/to/python   a python with supervisor==4.3.0 (default: ../shared/oracle/venv.sh)
#   RUNTIME_RUNS=3          runs per launcher (the median is reported; the two launchers alternate)
#   IDLE_SECS=10            the idle window over which CPU time and wake-ups are counted
#   NUMPROCS=200            processes in the config
#   CHILD_LOGS=AUTO         stdout_logfile/stderr_logfile of the program: AUTO (default) or NONE
#   LAUNCHERS="supervisord svconf"   which launchers to run (one alone: no ratios)
#   RUNTIME_TIMEOUT=60      seconds allowed for each phase (all spawned, all RUNNING, exit after TERM)
#
# Exits non-zero if a launcher fails: it exits early, does not spawn/start all processes in time,
# respawns a process, does not log a `stopped:` line per process, does not exit 0 within the
# timeout after SIGTERM, or leaves a `sleep` child behind (those are killed by pid, and reported).
# Missing a performance target does not make it fail: it prints the verdicts.
set -eu

die() { echo "bench/runtime.sh: $*" >&2; exit 1; }

bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
command -v python3 >/dev/null || die "python3 is required"
[ -d /proc/self ] || die "/proc is required (Linux)"

runs="${RUNTIME_RUNS:-3}"
idle="${IDLE_SECS:-10}"
numprocs="${NUMPROCS:-200}"
child_logs="${CHILD_LOGS:-AUTO}"
timeout="${RUNTIME_TIMEOUT:-60}"
launchers="${LAUNCHERS:-supervisord svconf}"
case "$runs" in '' | *[!0-9]* | 0) die "RUNTIME_RUNS must be a positive integer, not '$runs'" ;; esac
case "$numprocs" in '' | *[!0-9]* | 0) die "NUMPROCS must be a positive integer, not '$numprocs'" ;; esac
[ "$numprocs" -le 1000 ] || die "NUMPROCS must be at most 1000 (process_name uses 3 digits)"
case "$idle" in '' | *[!0-9.]* | .) die "IDLE_SECS must be a number of seconds, not '$idle'" ;; esac
case "$timeout" in '' | *[!0-9]* | 0) die "RUNTIME_TIMEOUT must be a positive integer, not '$timeout'" ;; esac
case "$child_logs" in AUTO | NONE) ;; *) die "CHILD_LOGS must be AUTO or NONE, not '$child_logs'" ;; esac
want_sup=false want_svconf=false
for l in $launchers; do
  case "$l" in
    supervisord) want_sup=true ;;
    svconf) want_svconf=true ;;
    *) die "LAUNCHERS: unknown launcher '$l' (supervisord, svconf)" ;;
  esac
done
$want_sup || $want_svconf || die "LAUNCHERS is empty"

# the binary under test
if $want_svconf; then
  target_dir="${CARGO_TARGET_DIR:-$repo/target}"
  case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
  svconf="${SVCONF:-$target_dir/release/svconf}"
  if [ ! -x "$svconf" ]; then
    [ -z "${SVCONF:-}" ] || die "SVCONF=$SVCONF is not an executable file"
    echo "building $svconf (cargo build --release)..." >&2
    (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
    [ -x "$svconf" ] || die "cargo build did not produce $svconf"
  fi
  svconf="$(cd "$(dirname "$svconf")" && pwd)/$(basename "$svconf")"
  "$svconf" run --help >/dev/null 2>&1 || die "$svconf has no working \`run\` subcommand (\`svconf run --help\` failed)"
fi

# supervisord 4.3.0's python
if $want_sup; then
  if [ -z "${PYTHON:-}" ]; then
    venv="$(dirname "$0")/../../shared/oracle/venv.sh"
    [ -x "$venv" ] || die "no PYTHON given and $venv not found (expected ../shared next to the repository)"
    PYTHON="$("$venv")" || die "could not set up the supervisor 4.3.0 venv ($venv)"
  fi
  sup_version="$("$PYTHON" -c 'import supervisor.supervisord, importlib.metadata as m; print(m.version("supervisor"))')" ||
    die "$PYTHON cannot import supervisor.supervisord"
  [ "$sup_version" = "4.3.0" ] || echo "warning: supervisor $sup_version, not 4.3.0" >&2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/svconf-runtime-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# write_config DIR NAME: the config both launchers get (only the directory differs per run)
write_config() {
  mkdir -p "$1/logs"
  cat >"$1/$2.conf" <<EOF
[supervisord]
nodaemon=true
logfile=$1/$2.log
pidfile=$1/$2.pid
childlogdir=$1/logs

[program:sleep]
command=sleep 1000
numprocs=$numprocs
process_name=%(program_name)s_%(process_num)03d
stdout_logfile=$child_logs
stderr_logfile=$child_logs
startsecs=1
EOF
}

# One run of one launcher: python3 -c "$measure_py" NAME RUN LOGFILE DIR -- CMD...
# Prints one JSON line of figures on stdout; exits 1 (with the launcher's output) if the launcher
# fails in a way that makes the figures meaningless. Problems found after the measurement (exit
# status, missing `stopped:` lines, children left behind) are returned in "problems".
measure_py='
import json, os, re, signal, subprocess, sys, time

name, run, log, rundir = sys.argv[1:5]
assert sys.argv[5] == "--"
cmd = sys.argv[6:]
N = int(os.environ["BENCH_NUMPROCS"])
IDLE = float(os.environ["BENCH_IDLE"])
TIMEOUT = float(os.environ["BENCH_TIMEOUT"])
SETTLE = 0.5      # after the last `success:` line, before the idle window opens
POLL = 0.005      # log polling interval
TICK = os.sysconf("SC_CLK_TCK")

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ([A-Z]{4}) (.*)$")
SPAWNED = re.compile(r"^spawned: \x27([^\x27]*)\x27 with pid (\d+)$")
SUCCESS = re.compile(r"^success: (\S+) entered RUNNING state")
STOPPED = re.compile(r"^stopped: (\S+) \(")

def stamp(day_time, ms):
    return time.mktime(time.strptime(day_time, "%Y-%m-%d %H:%M:%S")) + int(ms) / 1000.0

class Tail:
    def __init__(self, path):
        self.path, self.pos, self.rest = path, 0, b""
    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self.pos += len(data)
        data = self.rest + data
        *done, self.rest = data.split(b"\n")
        return [l.decode("utf-8", "replace") for l in done]

out_path, err_path = os.path.join(rundir, "stdout"), os.path.join(rundir, "stderr")

def tail_of(path, n=3000):
    try:
        return open(path, errors="replace").read()[-n:]
    except OSError:
        return "(none)"

def fail(msg):
    sys.stderr.write("%s (run %s): %s\n" % (name, run, msg))
    sys.stderr.write("--- its stderr (end):\n%s\n--- its log (end):\n%s\n" % (tail_of(err_path), tail_of(log)))
    sys.exit(1)

def status(pid):
    d = {}
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            k, _, v = l.partition(":")
            d[k] = v.split()
    return d

def sample(pid):
    """CPU (ticks, and ns from schedstat when present) and context switches, summed over threads."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])   # utime + stime (fields 14, 15)
    ns, wait_ns, vol, invol = 0, 0, 0, 0
    have_ns = True
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            status_path = "/proc/%d/task/%s/status" % (pid, tid)
            with open(status_path) as f:
                for l in f:
                    if l.startswith("voluntary_ctxt_switches:"):
                        vol += int(l.split()[1])
                    elif l.startswith("nonvoluntary_ctxt_switches:"):
                        invol += int(l.split()[1])
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    run_wait = f.read().split()
                    ns += int(run_wait[0])
                    wait_ns += int(run_wait[1])
            except OSError:
                have_ns = False
        except FileNotFoundError:
            pass  # a thread that just ended
    return {"t": time.monotonic(), "ticks": ticks, "ns": ns if have_ns else None,
            "wait_ns": wait_ns if have_ns else None, "vol": vol, "invol": invol}

def is_our_sleep(pid):
    """the pid is a live `sleep 1000` (not a zombie, not a reused pid)"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return state != "Z" and len(argv) >= 2 and os.path.basename(argv[0]) == b"sleep" and argv[1] == b"1000"

tail = Tail(log)
pids = {}          # name -> pid, from `spawned:` lines
spawn_stamps = []  # log stamps of the `spawned:` lines
respawned = []
running = set()
stopped = set()
other_idle_lines = []
phase = "spawn"

def consume(lines):
    for l in lines:
        m = LINE.match(l)
        if not m:
            continue
        text = m.group(4)
        s = SPAWNED.match(text)
        if s:
            if s.group(1) in pids:
                respawned.append(s.group(1))
            pids[s.group(1)] = int(s.group(2))
            spawn_stamps.append(stamp(m.group(1), m.group(2)))
            if phase == "idle":
                other_idle_lines.append(l)
            continue
        s = SUCCESS.match(text)
        if s:
            running.add(s.group(1))
            continue
        s = STOPPED.match(text)
        if s:
            stopped.add(s.group(1))
            continue
        if phase == "idle":
            other_idle_lines.append(l)

out, err = open(out_path, "wb"), open(err_path, "wb")
wall0 = time.time()
t0 = time.monotonic()
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
problems = []
try:
    # (1) until N `spawned:` lines
    while len(pids) < N:
        lines = tail.lines()
        now = time.monotonic()
        consume(lines)
        if len(pids) >= N:
            break
        if proc.poll() is not None:
            fail("exited with status %s after %d of %d spawns" % (proc.returncode, len(pids), N))
        if now - t0 > TIMEOUT:
            fail("only %d of %d processes spawned after %.0f s" % (len(pids), N, TIMEOUT))
        time.sleep(POLL)
    spawn_total = now - t0
    spawn_cpu = sample(proc.pid)
    first_to_last = max(spawn_stamps[:N]) - min(spawn_stamps[:N])
    start_to_first_stamp = min(spawn_stamps) - wall0

    # (2) until all are RUNNING, then the memory
    phase = "running"
    while len(running) < N:
        consume(tail.lines())
        if len(running) >= N:
            break
        if proc.poll() is not None:
            fail("exited with status %s with %d of %d RUNNING" % (proc.returncode, len(running), N))
        if time.monotonic() - t0 > 2 * TIMEOUT:
            fail("only %d of %d processes RUNNING after %.0f s" % (len(running), N, 2 * TIMEOUT))
        time.sleep(0.05)
    t_running = time.monotonic() - t0
    time.sleep(SETTLE)
    consume(tail.lines())
    st = status(proc.pid)
    rss_kb, hwm_kb, threads = int(st["VmRSS"][0]), int(st["VmHWM"][0]), int(st["Threads"][0])
    anon_kb, file_kb = int(st["RssAnon"][0]), int(st["RssFile"][0])
    fds = len(os.listdir("/proc/%d/fd" % proc.pid))

    # (3) the idle window
    phase = "idle"
    a = sample(proc.pid)
    time.sleep(IDLE)
    b = sample(proc.pid)
    if proc.poll() is not None:
        fail("exited with status %s during the idle window" % proc.returncode)
    hwm_kb = int(status(proc.pid)["VmHWM"][0])
    consume(tail.lines())
    phase = "stop"
    window = b["t"] - a["t"]
    cpu_ticks = b["ticks"] - a["ticks"]
    cpu_ns = None if a["ns"] is None or b["ns"] is None else b["ns"] - a["ns"]

    # stop: SIGTERM, wait for the exit
    t_term = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=TIMEOUT)
        stop_secs = time.monotonic() - t_term
        if rc != 0:
            problems.append("exited with status %d after SIGTERM (expected 0)" % rc)
    except subprocess.TimeoutExpired:
        stop_secs = None
        problems.append("still running %.0f s after SIGTERM: killed with SIGKILL" % TIMEOUT)
        proc.kill()
        proc.wait()
    time.sleep(0.05)
    consume(tail.lines())
    if len(stopped) != N:
        problems.append("%d `stopped:` lines for %d processes" % (len(stopped), N))
    if respawned:
        problems.append("respawned: %s" % ", ".join(sorted(set(respawned))[:10]))
    if other_idle_lines:
        problems.append("logged during the idle window: %s" % " | ".join(other_idle_lines[:3]))
finally:
    if proc.poll() is None:   # an error above: stop the launcher, then kill what is left
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        time.sleep(0.05)
    # no `sleep` child may be left behind
    left = [p for p in pids.values() if is_our_sleep(p)]
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if left:
        msg = "LEFT %d `sleep` children running after it exited (killed now by pid: %s)" % (
            len(left), " ".join(map(str, left[:20])) + (" ..." if len(left) > 20 else ""))
        sys.stderr.write("%s (run %s): %s\n" % (name, run, msg))
        problems.append(msg)

print(json.dumps({
    "launcher": name, "run": int(run),
    "spawn_total": spawn_total, "first_to_last": first_to_last,
    "start_to_first_stamp": start_to_first_stamp, "all_running": t_running,
    "rss_kb": rss_kb, "hwm_kb": hwm_kb, "anon_kb": anon_kb, "file_kb": file_kb, "threads": threads, "fds": fds,
    "spawn_cpu_ns": spawn_cpu["ns"], "spawn_cpu_ticks": spawn_cpu["ticks"],
    "spawn_wait_s": None if spawn_cpu["wait_ns"] is None else spawn_cpu["wait_ns"] / 1e9,
    "window": window, "cpu_ticks": cpu_ticks, "tick_hz": TICK, "cpu_ns": cpu_ns,
    "wakeups": b["vol"] - a["vol"], "invol": b["invol"] - a["invol"],
    "stop_secs": stop_secs, "problems": problems,
}))
'
export BENCH_NUMPROCS="$numprocs" BENCH_IDLE="$idle" BENCH_TIMEOUT="$timeout"

results="$tmp/results.jsonl"
: >"$results"
# one_run NAME RUN: writes the config, runs the launcher on it, appends the figures to $results
one_run() {
  local dir="$tmp/run$2-$1"
  write_config "$dir" "$1"
  local conf="$dir/$1.conf"
  local cmd
  case "$1" in
    supervisord) cmd=("$PYTHON" -m supervisor.supervisord -n -c "$conf") ;;
    svconf) cmd=("$svconf" run "$conf") ;;
  esac
  echo "run $2/$runs: $1 ..." >&2
  python3 -c "$measure_py" "$1" "$2" "$dir/$1.log" "$dir" -- "${cmd[@]}" >>"$results" ||
    die "$1 failed (run $2): see above"
  rm -rf "$dir"
}

order=()
$want_sup && order+=(supervisord)
$want_svconf && order+=(svconf)
est=$(awk -v n="${#order[@]}" -v r="$runs" -v i="$idle" 'BEGIN { printf "%d", n * r * (i + 4) }')
echo "$numprocs x sleep 1000, child logs $child_logs, $runs run(s) per launcher, idle window ${idle} s (about ${est} s in all)" >&2
for r in $(seq 1 "$runs"); do
  # alternate which launcher goes first, so that drift on the machine hits both alike
  if [ $((r % 2)) -eq 1 ]; then
    for l in "${order[@]}"; do one_run "$l" "$r"; done
  else
    for ((k = ${#order[@]} - 1; k >= 0; k--)); do one_run "${order[k]}" "$r"; done
  fi
done

echo
$want_svconf && echo "svconf: $svconf ($("$svconf" --version 2>/dev/null || echo 'no --version'))"
$want_sup && echo "supervisor $sup_version ($("$PYTHON" -c 'import platform; print(platform.python_implementation(), platform.python_version())')), $PYTHON -m supervisor.supervisord -n -c CONFIG"
echo "$(nproc) cores, Linux $(uname -r), ulimit -n $(ulimit -n), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$numprocs" "$idle" "$child_logs" "$runs" <<'EOF' || exit 1
import json, statistics, sys

path, N, IDLE, LOGS, RUNS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
rows = [json.loads(l) for l in open(path)]
by = {}
for r in rows:
    by.setdefault(r["launcher"], []).append(r)

def med(name, key):
    vals = [r[key] for r in by[name] if r[key] is not None]
    return statistics.median(vals) if vals else None

def cpu_s(r):
    return r["cpu_ns"] / 1e9 if r["cpu_ns"] is not None else r["cpu_ticks"] / r["tick_hz"]

for rs in by.values():
    for r in rs:
        r["cpu_s"] = cpu_s(r)
        r["spawn_cpu_s"] = (r["spawn_cpu_ns"] / 1e9 if r["spawn_cpu_ns"] is not None
                            else r["spawn_cpu_ticks"] / r["tick_hz"])
        r["cpu_pct"] = 100.0 * r["cpu_s"] / r["window"]
        r["wakeups_per_s"] = r["wakeups"] / r["window"]
have_ns = all(r["cpu_ns"] is not None for r in rows)

def fs(t):
    if t is None: return "-"
    return "%.1f ms" % (t * 1000) if t < 0.1 else "%.2f s" % t
def fmb(k): return "%.1f MB" % (k / 1024.0)
def fcpu(s): return "%.1f ms (%.3f%%)" % (s * 1000, 100.0 * s / IDLE)
def fn(x): return "%g" % x

names = [n for n in ("supervisord", "svconf") if n in by]
label = {"supervisord": "supervisord 4.3.0", "svconf": "svconf run"}
both = len(names) == 2

def ratio(key):
    if not both: return None
    s, v = med("supervisord", key), med("svconf", key)
    if s is None or v is None: return None
    if v == 0: return float("inf")
    return s / v

def fr(x):
    if x is None: return ""
    if x == float("inf"): return "inf"
    return "%.1fx" % x if x < 10 else "%.0fx" % x

metrics = [
    ("start -> %d spawned (log polled every 5 ms)" % N, "spawn_total", fs),
    ("first -> %dth `spawned:` (the log's stamps, 1 ms)" % N, "first_to_last", fs),
    ("start -> first `spawned:` (log stamp)", "start_to_first_stamp", fs),
    ("launcher CPU time, start -> %d spawned" % N, "spawn_cpu_s", fs),
    ("launcher runnable but waiting for a CPU, start -> %d spawned" % N, "spawn_wait_s", fs),
    ("start -> all RUNNING (startsecs=1; polled every 50 ms)", "all_running", fs),
    ("VmRSS once all RUNNING", "rss_kb", fmb),
    ("  of it RssAnon (heap, stack: private)", "anon_kb", fmb),
    ("  of it RssFile (binary, libraries: shareable)", "file_kb", fmb),
    ("VmHWM (peak RSS) at the end of the idle window", "hwm_kb", fmb),
    ("CPU time over the %g s idle window" % IDLE, "cpu_s", lambda s: fcpu(s)),
    ("wake-ups over the idle window (voluntary context switches)", "wakeups", fn),
    ("involuntary context switches over the idle window", "invol", fn),
    ("threads / open fds once all RUNNING", None, None),
    ("SIGTERM -> exit (%d processes stopped)" % N, "stop_secs", fs),
]
print()
print("Medians of %d run(s); %d x `sleep 1000`, startsecs=1, child logs %s; CPU from %s." % (
    RUNS, N, LOGS, "/proc/PID/task/*/schedstat (ns)" if have_ns else "/proc/PID/stat utime+stime (ticks)"))
print()
head = "| | " + " | ".join(label[n] for n in names) + (" | supervisord / svconf |" if both else " |")
print(head)
print("|---|" + "---:|" * len(names) + ("---:|" if both else ""))
for title, key, f in metrics:
    if key is None:
        cells = ["%g / %g" % (med(n, "threads"), med(n, "fds")) for n in names]
        print("| %s | %s |%s" % (title, " | ".join(cells), " |" if both else ""))
        continue
    cells = [f(med(n, key)) if med(n, key) is not None else "-" for n in names]
    rt = fr(ratio(key)) if key not in ("start_to_first_stamp", "spawn_wait_s", "invol", "all_running", "wakeups", "cpu_s", "stop_secs") else ""
    print("| %s | %s |%s" % (title, " | ".join(cells), (" %s |" % rt) if both else ""))

print()
print("Per run:")
for n in names:
    for r in by[n]:
        print("  %-11s run %d: spawn %s (first->last %s), RSS %s, HWM %s, idle CPU %s, %d wake-ups, stop %s%s" % (
            n, r["run"], fs(r["spawn_total"]), fs(r["first_to_last"]), fmb(r["rss_kb"]), fmb(r["hwm_kb"]),
            fcpu(r["cpu_s"]), r["wakeups"], fs(r["stop_secs"]),
            ("  PROBLEMS: " + "; ".join(r["problems"])) if r["problems"] else ""))

if both:
    print()
    print("Targets (issue 6), judged on this run:")
    def verdict(ok): return "met" if ok else "NOT met"
    a, b = ratio("spawn_total"), ratio("first_to_last")
    print("- spawn >= 10x faster, start -> all %d spawned: %s -> %s" % (N, fr(a), verdict(a >= 10)))
    print("  (informative, without supervisord's 1 s wait before its first pass: first -> %dth spawned: %s)" % (N, fr(b)))
    a, b = ratio("rss_kb"), ratio("hwm_kb")
    # the issue's measure is the launcher's RSS while it runs; the peak (which includes
    # start-up) is printed beside it
    print("- at most a fifth of supervisord's memory (VmRSS once all RUNNING): %s smaller -> %s" % (fr(a), verdict(a >= 5)))
    print("  (peak, VmHWM: %s smaller -> %s)" % (fr(b), verdict(b >= 5)))
    cpu, wk = med("svconf", "cpu_s"), med("svconf", "wakeups")
    limit = 0.001 if have_ns else 1.0 / rows[0]["tick_hz"]
    print("- near-zero idle CPU, no periodic wake-ups: svconf %s and %g wake-ups in %g s (supervisord: %s, %g) "
          "[met if <= %g ms and <= 1 wake-up] -> %s" % (
        fcpu(cpu), wk, IDLE, fcpu(med("supervisord", "cpu_s")), med("supervisord", "wakeups"),
        limit * 1000, verdict(cpu <= limit and wk <= 1)))

bad = [(r["launcher"], r["run"], p) for r in rows for p in r["problems"]]
if bad:
    print()
    print("FAILURES (the figures above are suspect):")
    for n, run, p in bad:
        print("- %s, run %d: %s" % (n, run, p))
    sys.exit(1)
EOF
