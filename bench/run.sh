#!/usr/bin/env bash
# bench/run.sh [N ...]: supervisord 4.3.0's parser vs `svconf check` / `svconf convert --to json`
# on generated configs of N programs (default: 100 1000 5000), measured side by side in one run.
#
#   SVCONF=path/to/svconf   binary to measure (default: target/release/svconf, built if missing)
#   PYTHON=path/to/python   a python with supervisor==4.3.0 (default: ../shared/oracle/venv.sh)
#   SVCONF_RUNS=5 SUPERVISORD_RUNS=3   runs per measurement (the median time is reported)
#
# Exits non-zero if any command fails, or if svconf / supervisord do not report the expected
# 4*N processes for a generated config (that would be a bug in svconf: report it).
set -eu

die() { echo "bench/run.sh: $*" >&2; exit 1; }

bench_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
shared_rel="$(dirname "$0")/../../shared"
[ -d "$shared_rel/bench" ] ||
  die "shared benchmark inputs not found at $shared_rel/bench (expected ../shared next to the repository, with bench/gen-config.py and bench/supervisord-parse.py)"
shared="$(cd "$shared_rel" && pwd)"
gen="$shared/bench/gen-config.py"
parse="$shared/bench/supervisord-parse.py"
[ -f "$gen" ] || die "missing $gen"
[ -f "$parse" ] || die "missing $parse"
command -v python3 >/dev/null || die "python3 is required"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is required for peak RSS (apt-get install time)"

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 5000)
for n in "${sizes[@]}"; do
  case "$n" in '' | *[!0-9]* | 0) die "not a positive program count: $n" ;; esac
done
svconf_runs="${SVCONF_RUNS:-5}"
sup_runs="${SUPERVISORD_RUNS:-3}"

# the binary under test
svconf="${SVCONF:-$repo/target/release/svconf}"
if [ ! -x "$svconf" ]; then
  [ -z "${SVCONF:-}" ] || die "SVCONF=$SVCONF is not an executable file"
  echo "building $svconf (cargo build --release)..." >&2
  (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
  [ -x "$svconf" ] || die "cargo build did not produce $svconf"
fi
svconf="$(cd "$(dirname "$svconf")" && pwd)/$(basename "$svconf")"

# supervisord 4.3.0's python
if [ -z "${PYTHON:-}" ]; then
  PYTHON="$("$shared/oracle/venv.sh")" || die "could not set up the supervisor 4.3.0 venv ($shared/oracle/venv.sh)"
fi
sup_version="$("$PYTHON" -c 'import supervisor.options, importlib.metadata as m; print(m.version("supervisor"))')" ||
  die "$PYTHON cannot import supervisor"
[ "$sup_version" = "4.3.0" ] || echo "warning: supervisor $sup_version, not 4.3.0" >&2

tmp="$(mktemp -d "${TMPDIR:-/tmp}/svconf-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# the generated configs use %(ENV_HOME)s
if [ -z "${HOME:-}" ]; then HOME="$tmp/home"; mkdir -p "$HOME"; fi
export HOME

# measure RUNS EXPECT_STDOUT_REGEX CMD...: runs CMD RUNS times (stdout and stderr captured), fails
# with the command's output if it exits non-zero or its stdout does not match the regex; prints
# "MEDIAN_SECONDS PEAK_RSS_KB" (wall time from spawn to exit, ~1 ms of it GNU time's own start-up;
# the largest peak RSS, "%M", that GNU time reports over the runs).
measure_py='
import os, re, statistics, subprocess, sys, time
runs, expect, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times, rss = [], []
for _ in range(runs):
    out = open(os.environ["BENCH_OUT"], "wb")
    err = open(os.environ["BENCH_ERR"], "wb")
    # GNU time for the peak RSS: a child forked from this python would inherit its high-water mark
    timed = ["/usr/bin/time", "-f", "%M", "-o", os.environ["BENCH_RSS"]] + cmd
    t0 = time.perf_counter()
    code = subprocess.call(timed, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    t1 = time.perf_counter()
    out.close(); err.close()
    if code != 0:
        sys.stderr.write("FAILED (exit %d): %s\n" % (code, " ".join(cmd)))
        sys.stderr.write(open(os.environ["BENCH_ERR"], errors="replace").read()[-4000:])
        sys.stderr.write(open(os.environ["BENCH_OUT"], errors="replace").read()[-4000:])
        sys.exit(1)
    text = open(os.environ["BENCH_OUT"], errors="replace").read(1 << 16)
    if not re.search(expect, text):
        sys.stderr.write("UNEXPECTED OUTPUT (wanted /%s/): %s\n%s\n" % (expect, " ".join(cmd), text[:4000]))
        sys.stderr.write(open(os.environ["BENCH_ERR"], errors="replace").read()[-4000:])
        sys.exit(1)
    times.append(t1 - t0)
    rss.append(int(open(os.environ["BENCH_RSS"]).read().split()[-1]))
print("%.4f %d" % (statistics.median(times), max(rss)))
'
export BENCH_OUT="$tmp/out" BENCH_ERR="$tmp/err" BENCH_RSS="$tmp/rss"
measure() { python3 -c "$measure_py" "$@"; }

# fmt_s SECONDS, fmt_mb KB
fmt_s() { awk -v t="$1" 'BEGIN { if (t < 0.1) printf "%.1f ms", t * 1000; else printf "%.2f s", t }'; }
fmt_mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

rows=()
lin=()
per_prog=()
for n in "${sizes[@]}"; do
  dir="$tmp/n$n"
  python3 "$gen" "$n" "$dir" || die "gen-config.py $n failed"
  conf="$dir/supervisord.conf"
  procs=$((n * 4))
  echo "N=$n: supervisord x$sup_runs, svconf check x$svconf_runs, svconf convert x$svconf_runs ..." >&2

  sup="$(measure "$sup_runs" "^$procs\b" "$PYTHON" "$parse" "$conf")" || die "supervisord's parser failed on $conf"
  # The generated workers run `artisan queue:work` without --timeout and stopwaitsecs=10,
  # so every program trips SV256 (Laravel's default job timeout is 60 s). The rule still
  # runs; --allow only keeps 5000 identical warnings out of what is being timed.
  chk="$(measure "$svconf_runs" "[^0-9]$procs processes \(supervisord 4\.3\.0 would accept it\)" "$svconf" check --allow SV256 "$conf")" ||
    die "svconf check did not accept the generated $n-program config (expected $procs processes): this is an svconf bug"
  # convert: also check the document holds every process and no warnings
  "$svconf" convert --to json "$conf" >"$tmp/doc.json" || die "svconf convert --to json failed on $conf"
  python3 - "$tmp/doc.json" "$procs" <<'EOF' || die "svconf convert --to json gave a wrong document for the $n-program config: this is an svconf bug"
import json, sys
d = json.load(open(sys.argv[1]))
got = sum(len(g["processes"]) for g in d["groups"] if not g.get("shadowed"))
if got != int(sys.argv[2]) or d.get("warnings"):
    sys.exit("convert: %d processes (expected %s), warnings: %r" % (got, sys.argv[2], d.get("warnings")))
EOF
  cnv="$(measure "$svconf_runs" '"groups"' "$svconf" convert --to json "$conf")" || die "svconf convert --to json failed on $conf"

  read -r sup_t sup_k <<<"$sup"
  read -r chk_t chk_k <<<"$chk"
  read -r cnv_t cnv_k <<<"$cnv"
  ratio="$(awk -v a="$sup_t" -v b="$chk_t" 'BEGIN { printf "%.0fx", a / b }')"
  rows+=("| $n | $procs | $(fmt_s "$sup_t") | $(fmt_s "$chk_t") | $ratio | $(fmt_s "$cnv_t") | $(fmt_mb "$sup_k") | $(fmt_mb "$chk_k") | $(fmt_mb "$cnv_k") |")
  lin+=("N=$n: $(awk -v t="$chk_t" -v n="$n" 'BEGIN { printf "%.1f", t * 1e6 / n }') µs/program (check), $(awk -v t="$cnv_t" -v n="$n" 'BEGIN { printf "%.1f", t * 1e6 / n }') µs/program (convert)")
  last_n="$n" last_ratio="${ratio%x}"
  max_k="$(( ${max_k:-0} > chk_k ? ${max_k:-0} : chk_k ))"
  per_prog+=("$(awk -v t="$chk_t" -v n="$n" 'BEGIN { print t / n }')")
done

echo
echo "svconf: $svconf ($(env | grep -c '^[A-Za-z_][A-Za-z0-9_]*=') environment variables: svconf's time depends on it)"
echo "supervisor $sup_version ($("$PYTHON" -c 'import platform; print(platform.python_implementation(), platform.python_version())')), $(nproc) cores, $(date -u +%Y-%m-%d), medians of $sup_runs (supervisord) / $svconf_runs (svconf) runs, peak RSS = max of GNU time %M"
echo
echo "| programs | processes | supervisord parse | svconf check | ratio | svconf convert --to json | supervisord peak RSS | svconf check peak RSS | svconf convert peak RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "Linearity (svconf time per program): $(IFS=';'; echo "${lin[*]}" | sed 's/;/; /g')"

# the issue's targets, judged on this run
echo
if [ "$last_ratio" -ge 100 ]; then v=met; else v="NOT met"; fi
echo "- check >= 100x faster than supervisord at N=$last_n: ${last_ratio}x -> $v"
if [ ${#per_prog[@]} -ge 2 ]; then
  k=$((${#per_prog[@]} - 1))
  growth="$(awk -v a="${per_prog[k-1]}" -v b="${per_prog[k]}" 'BEGIN { printf "%.2f", b / a }')"
  if awk -v g="$growth" 'BEGIN { exit !(g <= 1.15) }'; then v=met; else v="NOT met"; fi
  echo "- time linear in input: check time/program at N=$last_n is ${growth}x that at N=${sizes[k-1]} (<= 1.15x counts as linear) -> $v"
fi
if [ "$max_k" -lt $((30 * 1024)) ]; then v=met; else v="NOT met"; fi
echo "- check peak RSS < 30 MB: $(fmt_mb "$max_k") at most -> $v"
