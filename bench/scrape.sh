#!/usr/bin/env bash
# Scrape benchmark: TARGETS fake Go targets (bench/fake_targets.c, replaying
# the stored profiles in STACKYARD_TESTDATA over loopback, CPU profiles
# answered after ?seconds= as Go does) x 5 profile types, scraped every
# INTERVAL by one `stackyard server --config`. After WARMUP seconds it
# measures for DURATION seconds, from the server's own /metrics and
# /proc/PID/stat:
#   - scrapes finished vs expected (TARGETS x 5 x DURATION / INTERVAL),
#   - missed intervals (stackyard_scrape_missed_intervals_total) and errors,
#   - the mean start delay past the due time,
#   - server CPU (user + system) per scraped profile, and its peak RSS,
#   - per target and type, the fewest and most requests the fake targets
#     served over the whole run (an independent count of missed scrapes).
# docs/BENCHMARKS.md ("Scraping") records results.
# Environment: BUILD (build), BIN (bin), TARGETS (1000), INTERVAL (10),
# WARMUP (30), DURATION (60), BASE_PORT (30000), STACKYARD_TESTDATA
# (/work/shared/testdata/pprof).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=${BIN:-bin}
TARGETS=${TARGETS:-1000}
INTERVAL=${INTERVAL:-10}
WARMUP=${WARMUP:-30}
DURATION=${DURATION:-60}
BASE_PORT=${BASE_PORT:-30000}
TESTDATA=${STACKYARD_TESTDATA:-/work/shared/testdata/pprof}

STACKYARD="$BIN/stackyard"
FAKE="$BUILD/bench/fake_targets"
for f in "$STACKYARD" "$FAKE"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run 'make bench' (or make all $FAKE)" >&2
		exit 1
	fi
done

RUN="$BUILD/bench-scrape-run"
rm -rf "$RUN"
mkdir -p "$RUN"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$port"

{
	echo "scrape_configs:"
	echo "  - job_name: fake"
	echo "    scrape_interval: ${INTERVAL}s"
	echo "    static_configs:"
	echo "      - targets:"
	for ((i = 0; i < TARGETS; i++)); do
		echo "          - 127.0.0.1:$((BASE_PORT + i))"
	done
} >"$RUN/stackyard.yml"

fake_pid= server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
}
trap cleanup EXIT

"$FAKE" --targets "$TARGETS" --base-port "$BASE_PORT" --dir "$TESTDATA" >"$RUN/fake.out" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do
	grep -q '^ready' "$RUN/fake.out" 2>/dev/null && break
	kill -0 "$fake_pid" 2>/dev/null || { cat "$RUN/fake.out" >&2; exit 1; }
	sleep 0.1
done
"$STACKYARD" server --listen "127.0.0.1:$port" --data "$RUN/data" --config "$RUN/stackyard.yml" \
	2>"$RUN/server.log" &
server_pid=$!
for _ in $(seq 100); do
	curl -fsS "$URL/-/ready" >/dev/null 2>&1 && break
	sleep 0.1
done

# metric NAME: the sum of a scrape counter over every job and type.
metric() {
	curl -fsS "$URL/metrics" | awk -v n="$1" 'index($0, n "{") == 1 { s += $NF } END { printf "%.6f\n", s }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "-- scraping: $TARGETS targets x 5 profile types every ${INTERVAL}s (bench/scrape.sh)"
echo "  fake targets: $FAKE --targets $TARGETS --base-port $BASE_PORT --dir $TESTDATA"
echo "  server:       $STACKYARD server --config $RUN/stackyard.yml"
echo "  warm-up ${WARMUP}s, then measuring ${DURATION}s"
sleep "$WARMUP"
s0=$(metric stackyard_scrape_scrapes_total) m0=$(metric stackyard_scrape_missed_intervals_total)
e0=$(metric stackyard_scrape_errors_total) l0=$(metric stackyard_scrape_start_delay_seconds_total)
c0=$(cpu_ticks "$server_pid") f0=$(cpu_ticks "$fake_pid") t0=$(date +%s.%N)
sleep "$DURATION"
s1=$(metric stackyard_scrape_scrapes_total) m1=$(metric stackyard_scrape_missed_intervals_total)
e1=$(metric stackyard_scrape_errors_total) l1=$(metric stackyard_scrape_start_delay_seconds_total)
c1=$(cpu_ticks "$server_pid") f1=$(cpu_ticks "$fake_pid") t1=$(date +%s.%N)
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
profiles=$(curl -fsS "$URL/metrics" | awk '$1 == "stackyard_store_profiles" { print $2 }')
down=$(curl -fsS "$URL/metrics" | awk 'index($0, "stackyard_scrape_targets{") == 1 && /health="down"/ { s += $NF } END { print s + 0 }')

kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=
kill -INT "$fake_pid"
wait "$fake_pid" || true
fake_pid=

awk -v s0="$s0" -v s1="$s1" -v m0="$m0" -v m1="$m1" -v e0="$e0" -v e1="$e1" -v l0="$l0" -v l1="$l1" \
	-v c0="$c0" -v c1="$c1" -v f0="$f0" -v f1="$f1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
	-v n="$TARGETS" -v iv="$INTERVAL" -v rss="$rss" -v down="$down" -v prof="$profiles" 'BEGIN {
	el = t1 - t0; sc = s1 - s0; cpu = (c1 - c0) / hz; fcpu = (f1 - f0) / hz
	printf "  window %.1f s: %d scrapes finished, %.0f expected (%d x 5 x %.1f / %d)\n", el, sc, n * 5 * el / iv, n, el, iv
	printf "  missed intervals: %d   errors: %d   targets down at the end: %d\n", m1 - m0, e1 - e0, down
	printf "  mean start delay past due: %.1f ms\n", sc ? (l1 - l0) / sc * 1000 : 0
	printf "  server CPU: %.2f s over %.1f s (%.1f%% of one core), %.3f ms per scraped profile\n", cpu, el, cpu / el * 100, sc ? cpu / sc * 1000 : 0
	printf "  server peak RSS: %.1f MB; profiles in the store: %d\n", rss / 1024, prof
	printf "  (fake targets used %.2f s CPU in the window)\n", fcpu
}'
echo "  served per target over the whole run (fake_targets):"
sed 's/^/    /' "$RUN/fake.out" | grep -v ready
echo "  server exit status: $rc"
rm -rf "$RUN"
[ "$rc" -eq 0 ]
