#!/usr/bin/env bash
# Server benchmark over HTTP (bench/loadgen.c): sustained pprof pushes from
# concurrent clients (profiles/s, samples/s, server CPU per profile), then
# query latency percentiles on the loaded store while pushes go on.
# docs/BENCHMARKS.md ("Server (HTTP)") explains it and records results.
#
# Starts `stackyard server` on a free 127.0.0.1 port with a fresh data dir
# $BUILD/bench-server-run (removed afterwards). Inputs: NFILES genprof files
# (seeds 1..NFILES, --samples SAMPLES --depth DEPTH), generated once and
# cached in $BUILD/bench-server-data. Runs, against the same server:
#   1. push only, for each of PUSH_LEVELS push clients, DURATION s each
#   2. queries alone (QUERY_CLIENTS clients, QDURATION s), no pushes
#   3. queries with pushes (MIXED_PUSH push clients + QUERY_CLIENTS), QDURATION s
# Server CPU comes from /proc/PID/stat (utime + stime) around each phase.
# At the end the server gets SIGTERM and must exit 0.
# Environment: BUILD (build), BIN (bin), NFILES (60), SAMPLES (300),
# DEPTH (25), SERVICES (100), PUSH_LEVELS ("1 4 16"), DURATION (20),
# QUERY_CLIENTS (2), MIXED_PUSH (4), QDURATION (30).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=${BIN:-bin}
NFILES=${NFILES:-60}
SAMPLES=${SAMPLES:-300}
DEPTH=${DEPTH:-25}
SERVICES=${SERVICES:-100}
PUSH_LEVELS=${PUSH_LEVELS:-1 4 16}
DURATION=${DURATION:-20}
QUERY_CLIENTS=${QUERY_CLIENTS:-2}
MIXED_PUSH=${MIXED_PUSH:-4}
QDURATION=${QDURATION:-30}

STACKYARD="$BIN/stackyard"
GENPROF="$BUILD/tools/genprof"
LOADGEN="$BUILD/bench/loadgen"
for f in "$STACKYARD" "$GENPROF" "$LOADGEN"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run 'make bench' (or make all $LOADGEN)" >&2
		exit 1
	fi
done

# --- inputs, cached ----------------------------------------------------------
DATA="$BUILD/bench-server-data"
stamp="genprof n=$NFILES samples=$SAMPLES depth=$DEPTH $(sha256sum "$GENPROF" | cut -c1-16)"
if [ ! -f "$DATA/STAMP" ] || [ "$(cat "$DATA/STAMP")" != "$stamp" ]; then
	echo "bench: generating $NFILES profiles into $DATA"
	rm -rf "$DATA"
	mkdir -p "$DATA"
	for i in $(seq 1 "$NFILES"); do
		"$GENPROF" --seed "$i" --samples "$SAMPLES" --depth "$DEPTH" \
			-o "$(printf '%s/p%04d.pb.gz' "$DATA" "$i")"
	done
	echo "$stamp" >"$DATA/STAMP"
fi
FILES=("$DATA"/p*.pb.gz)
mb=$(cat "${FILES[@]}" | wc -c | awk '{ printf "%.2f", $1 / 1e6 }')

# --- server --------------------------------------------------------------------
RUN="$BUILD/bench-server-run"
rm -rf "$RUN"
mkdir -p "$RUN"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SPID=
cleanup() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID" 2>/dev/null || true
		wait "$SPID" 2>/dev/null || true
	fi
	rm -rf "$RUN"
}
trap cleanup EXIT
"$STACKYARD" server --listen "127.0.0.1:$PORT" --data "$RUN/data" >"$RUN/server.log" 2>&1 &
SPID=$!
for _ in $(seq 1 100); do
	curl -sf "$URL/-/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
if ! curl -sf "$URL/-/ready" >/dev/null; then
	echo "bench: server did not become ready; its log:" >&2
	tail -20 "$RUN/server.log" >&2
	exit 1
fi

# Timestamps: newest first from NOW back over WINDOW seconds at 10 s steps,
# all inside the current 2 h block when possible (a window whose end is
# more than 10 minutes old is sealed and refuses profiles).
NOW=$(date +%s)
WINDOW=$(( NOW - NOW / 7200 * 7200 - 30 ))
if [ "$WINDOW" -gt 3000 ]; then WINDOW=3000; fi
if [ "$WINDOW" -lt 600 ]; then
	echo "bench: note: only $((WINDOW + 30)) s into the current 2 h block; timestamps reach into" \
		"the previous block, which is sealed (and refuses pushes) 10 minutes after it ends"
	WINDOW=600
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo "== Stackyard server benchmark (HTTP), $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores${cpu:+, $cpu}; $(free -h | awk '/^Mem:/ { print $2 }') RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $STACKYARD server --listen 127.0.0.1:$PORT --data $RUN/data  (pid $SPID)"
echo "inputs: ${#FILES[@]} profiles from genprof (seeds 1..${#FILES[@]}, --samples $SAMPLES --depth $DEPTH), $mb MB gzipped,"
echo "        in $DATA (FILES below); $SERVICES services, timestamps $NOW - 10..$WINDOW s, newest first"
echo "note: loadgen runs on the same $(nproc) cores as the server"
echo

SEQ=0
cputime() { awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$SPID/stat"; }
run_loadgen() { # TITLE ARGS...
	local title=$1 out
	shift
	local args=(--url "$URL" --services "$SERVICES" --now "$NOW" --window "$WINDOW" --step 10
		--seq-start "$SEQ" --pid "$SPID" "$@")
	echo "-- $title"
	echo "  \$ $LOADGEN ${args[*]} FILES"
	out=$("$LOADGEN" "${args[@]}" "${FILES[@]}")
	echo "$out" | grep -v '^next-seq' | sed 's/^/  /'
	SEQ=$(echo "$out" | awk '/^next-seq/ { print $2 }')
	echo
}

t0=$(date +%s.%N)
for c in $PUSH_LEVELS; do
	run_loadgen "push only, $c client(s), ${DURATION} s" \
		--push-clients "$c" --query-clients 0 --duration "$DURATION"
done
run_loadgen "queries alone, $QUERY_CLIENTS clients, ${QDURATION} s (store holds the pushes above)" \
	--push-clients 0 --query-clients "$QUERY_CLIENTS" --duration 0 --query-duration "$QDURATION"
run_loadgen "queries while pushing: $MIXED_PUSH push clients for ${DURATION} s, then + $QUERY_CLIENTS query clients for ${QDURATION} s" \
	--push-clients "$MIXED_PUSH" --query-clients "$QUERY_CLIENTS" --duration "$DURATION" \
	--query-duration "$QDURATION"
t1=$(date +%s.%N)

metrics=$(curl -sf "$URL/metrics" || true)
echo "-- server totals"
echo "  stored (from /metrics): $(echo "$metrics" | awk '/^stackyard_ingest_profiles_total/ { p = $2 }
	/^stackyard_ingest_samples_total/ { s = $2 } /^stackyard_store_series / { se = $2 }
	END { printf "%d profiles, %d samples, %d series", p, s, se }')"
echo "  server cpu: $(cputime) s total; data dir $(du -sh "$RUN/data" | cut -f1); peak RSS $(awk '/VmHWM/ { print $2 " " $3 }' "/proc/$SPID/status")"
kill -TERM "$SPID"
ts=$(date +%s.%N)
set +e
wait "$SPID"
rc=$?
set -e
te=$(date +%s.%N)
SPID=
awk -v a="$ts" -v b="$te" -v rc="$rc" 'BEGIN { printf "  SIGTERM: exit %d after %.2f s\n", rc, b - a }'
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  load phases: %.0f s wall\n", b - a }'
if [ "$rc" -ne 0 ]; then
	echo "bench: server exited $rc after SIGTERM; its log:" >&2
	tail -20 "$RUN/server.log" >&2
	exit 1
fi
