#!/usr/bin/env bash
# Agent benchmark: what whole-machine CPU profiling costs, for the
# stackyard agent beside `perf record -a -g` and bpftrace sampling the same
# way, at 19 Hz and 99 Hz, while the machine is busy.
# docs/BENCHMARKS.md ("Agent") explains it and records results.
#
# Background for every run: 2 CPU-bound processes (agent_work 0, forever)
# and 50 idle ones (sleep). For each profiler (and once with none):
#   - start it, wait WARMUP s, then measure for WINDOW s:
#     its CPU time (sum of /proc/PID/task/*/schedstat, all threads) per
#     second of wall time, as % of one core; its RSS at the end and its
#     peak (VmHWM);
#     for the BPF ones, the in-kernel time of their sampling program per
#     sample (kernel.bpf_stats_enabled, bpftool prog show), which the
#     sampled processes pay;
#   - during the window, run the fixed workload (agent_work WORK) RUNS
#     times back to back; report the median wall and CPU seconds, so the
#     slowdown of a profiled program can be read against "none".
# The stackyard agent runs as it ships: symbolizing, building pprof each
# INTERVAL and writing it (--output, to a temporary directory); a second
# row selects only the benchmark's processes (--comm agent_work), so that
# symbolizing the rest of the machine (other people's compilers here) is
# told apart from sampling and aggregating; perf
# writes raw samples to a file (symbolization is left to perf report);
# bpftrace counts stacks in a BPF map and symbolizes only at exit.
#
# Needs root (eBPF, perf events). The machine is shared: the wall-time
# figures of the fixed workload carry that noise; the profilers' own CPU
# and memory do not depend on it much.
# Environment: BUILD (build), BIN (bin), WINDOW (30), WARMUP (3), WORK
# (6000 million iterations, ~2 s of CPU), RUNS (3), INTERVAL (10s),
# FREQS ("19 99"), IDLE (50), BUSY (2).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=${BIN:-bin}
WINDOW=${WINDOW:-30}
WARMUP=${WARMUP:-3}
WORK=${WORK:-6000}
RUNS=${RUNS:-3}
INTERVAL=${INTERVAL:-10s}
FREQS=${FREQS:-19 99}
IDLE=${IDLE:-50}
BUSY=${BUSY:-2}

STACKYARD="$BIN/stackyard"
WORKBIN="$BUILD/bench/agent_work"
for f in "$STACKYARD" "$WORKBIN"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run 'make bench' (or make all $WORKBIN)" >&2
		exit 1
	fi
done
if ! "$STACKYARD" agent --check >/dev/null 2>&1; then
	echo "-- agent: skipped: $("$STACKYARD" agent --check 2>&1 | tail -1)"
	exit 0
fi

OUT=$(mktemp -d)
bg=()
prof=
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ -n "$prof" ] && kill -INT "$prof" 2>/dev/null && wait "$prof" 2>/dev/null || true
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null || true

for ((i = 0; i < BUSY; i++)); do "$WORKBIN" 0 >/dev/null & bg+=($!); done
for ((i = 0; i < IDLE; i++)); do sleep 100000 & bg+=($!); done

cpu_ns() { # PID: CPU ns of all its threads
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}
kb() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status
}
# BPF_NAME: "run_time_ns run_cnt" summed over programs with that name
bpf_stats() {
	bpftool prog show 2>/dev/null | awk -v n="$1" '
		$0 ~ "name "n" " { on = 1 }
		on && /run_time_ns/ { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t += $(i+1); if ($i == "run_cnt") c += $(i+1) } on = 0 }
		END { printf "%d %d\n", t, c }'
}

# run_one LABEL BPF_NAME CMD...: one row of the table
run_one() {
	local label=$1 bpfname=$2 c0 c1 t0 t1 b0 b1 r rss hwm i
	shift 2
	local walls=() cpus=()
	prof=
	if [ "$#" -gt 0 ]; then
		"$@" >"$OUT/prof.log" 2>&1 &
		prof=$!
	fi
	sleep "$WARMUP"
	if [ -n "$prof" ] && ! kill -0 "$prof" 2>/dev/null; then
		echo "bench: '$*' exited early:" >&2
		tail -5 "$OUT/prof.log" >&2
		exit 1
	fi
	b0=$(bpf_stats "$bpfname")
	t0=$(date +%s%N)
	c0=0
	[ -n "$prof" ] && c0=$(cpu_ns "$prof")
	for ((i = 0; i < RUNS; i++)); do
		r=$("$WORKBIN" "$WORK")
		walls+=("${r% *}")
		cpus+=("${r#* }")
	done
	while [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt "$WINDOW" ]; do sleep 0.2; done
	t1=$(date +%s%N)
	b1=$(bpf_stats "$bpfname")
	if [ -n "$prof" ]; then
		c1=$(cpu_ns "$prof")
		rss=$(kb "$prof" VmRSS)
		hwm=$(kb "$prof" VmHWM)
		kill -INT "$prof"
		wait "$prof" || true
		prof=
	fi
	local wmed cmed
	wmed=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	cmed=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	if [ "$#" -eq 0 ]; then
		printf "  %-34s %9s %8s %8s %10s %9s %9s\n" "$label" - - - - "$wmed" "$cmed"
		return
	fi
	awk -v l="$label" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v rss="$rss" \
		-v hwm="$hwm" -v b0="$b0" -v b1="$b1" -v w="$wmed" -v c="$cmed" 'BEGIN {
		split(b0, x, " "); split(b1, y, " ");
		dn = y[2] - x[2]; bpf = dn > 0 ? sprintf("%d", (y[1] - x[1]) / dn) : "-";
		printf "  %-34s %8.3f%% %8.1f %8.1f %10s %9s %9s\n", l,
			100 * (c1 - c0) / (t1 - t0), rss / 1024, hwm / 1024, bpf, w, c }'
}

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo "-- agent: whole-machine CPU profiling cost ($(nproc) cores${cpu:+, $cpu}; kernel $(uname -r))"
echo "  background: $BUSY CPU-bound processes ($WORKBIN 0) and $IDLE idle ones (sleep)"
echo "  each row: ${WARMUP} s warm-up, then ${WINDOW} s measured; fixed workload '$WORKBIN $WORK' run $RUNS times in the window (median)"
echo "  \$ $STACKYARD agent --frequency HZ --interval $INTERVAL --output DIR"
echo "  \$ perf record -F HZ -a -g -o FILE"
echo "  \$ bpftrace -e 'profile:hz:HZ { @[kstack, ustack, pid, comm] = count(); }'"
printf "  %-34s %9s %8s %8s %10s %9s %9s\n" profiler "cpu/core" "rss MB" "peak MB" "bpf ns/smp" "work wall" "work cpu"
run_one "none" "" 
for hz in $FREQS; do
	rm -rf "$OUT/agent-$hz" "$OUT/only-$hz"
	run_one "stackyard agent -F $hz" sample_cpu \
		"$STACKYARD" agent --frequency "$hz" --interval "$INTERVAL" --output "$OUT/agent-$hz"
	nfiles=$(find "$OUT/agent-$hz" -name '*.pb.gz' | wc -l)
	run_one "  the same, --comm agent_work" sample_cpu \
		"$STACKYARD" agent --frequency "$hz" --interval "$INTERVAL" --output "$OUT/only-$hz" \
		--comm agent_work
	if command -v perf >/dev/null 2>&1; then
		run_one "perf record -F $hz -a -g" "" perf record -F "$hz" -a -g -o "$OUT/perf-$hz.data"
		rm -f "$OUT/perf-$hz.data"
	fi
	if command -v bpftrace >/dev/null 2>&1; then
		run_one "bpftrace profile:hz:$hz" "$hz" \
			bpftrace -e "profile:hz:$hz { @[kstack, ustack, pid, comm] = count(); }"
	fi
	echo "  (stackyard at $hz Hz wrote $nfiles pprof files)"
done
run_one "none (again, for the noise)" ""
