#!/usr/bin/env bash
# Regression-finding benchmark: a regress query over 2 x NPROF profiles.
#   1. bench/bench_regress.c: in the store, profiles shaped like a real CPU
#      profile (SHAPE), what GET /api/v1/regress does minus HTTP, beside the
#      merge of the same profiles
#      and the same query over HTTP (a server on that store, curl)
#   2. stackyard regress --base-files --target-files on NPROF + NPROF
#      generated files (tests/tools/genregress), end to end
# docs/BENCHMARKS.md ("Regression finding") records results.
# Environment: BUILD (build), BIN (bin), NPROF (360), RUNS (3),
# STACKYARD_TESTDATA (/work/shared/testdata/pprof), SHAPE (its
# gocompile-nethttp-cpu.pb.gz).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=${BIN:-bin}
NPROF=${NPROF:-360}
RUNS=${RUNS:-3}
TESTDATA=${STACKYARD_TESTDATA:-/work/shared/testdata/pprof}
SHAPE=${SHAPE:-$TESTDATA/gocompile-nethttp-cpu.pb.gz}

BENCH="$BUILD/bench/bench_regress"
GEN="$BUILD/tools/genregress"
for f in "$BENCH" "$GEN" "$BIN/stackyard"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run 'make bench'" >&2
		exit 1
	fi
done

echo "== Regression finding, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "-- 1. regress query in the store, $NPROF + $NPROF profiles ($RUNS runs)"
echo "  \$ $BENCH --profiles $NPROF --runs $RUNS --dir $BUILD/bench-regress-store --keep $SHAPE"
STORE="$BUILD/bench-regress-store"
"$BENCH" --profiles "$NPROF" --runs "$RUNS" --dir "$STORE" --keep "$SHAPE" | sed 's/^/  /'

# The same query over HTTP: a server on that store, curl for the JSON.
port=$((20000 + RANDOM % 20000))
"$BIN/stackyard" server --listen "127.0.0.1:$port" --data "$STORE" 2>"$BUILD/bench-regress-server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$STORE"' EXIT
for _ in $(seq 1 150); do
	curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
T0=1795600800
T1=$((T0 + 10 * NPROF))
CPU='process_cpu:cpu:nanoseconds:cpu:nanoseconds'
echo
echo "-- 2. the same over HTTP ($RUNS runs)"
echo "  \$ curl -G 127.0.0.1:$port/api/v1/regress --data-urlencode 'base=$CPU{version=\"1\"}' --data-urlencode 'target=$CPU{version=\"2\"}' -d from=$T0 -d until=$T1"
times=()
for ((i = 0; i < RUNS; i++)); do
	t=$(curl -sf -o "$BUILD/bench-regress.json" -w '%{time_total}' -G "http://127.0.0.1:$port/api/v1/regress" \
		--data-urlencode "base=$CPU{version=\"1\"}" --data-urlencode "target=$CPU{version=\"2\"}" \
		-d "from=$T0" -d "until=$T1")
	times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -g | awk -v b="$(wc -c <"$BUILD/bench-regress.json")" '{ v[NR] = $1 } END {
	printf "  GET /api/v1/regress (%d bytes)   best %7.3f s  median %7.3f s\n", b, v[1], v[int((NR + 1) / 2)] }'
kill "$server"
wait "$server" 2>/dev/null || true
trap - EXIT
rm -rf "$STORE" "$BUILD/bench-regress.json"

DATA="$BUILD/bench-regress-files"
stamp="genregress n=$NPROF $(sha256sum "$GEN" | cut -c1-16)"
if [ ! -f "$DATA/STAMP" ] || [ "$(cat "$DATA/STAMP")" != "$stamp" ]; then
	rm -rf "$DATA"
	mkdir -p "$DATA"
	"$GEN" --seed 1 --profiles "$NPROF" -o "$DATA/base" >/dev/null
	"$GEN" --seed 2 --profiles "$NPROF" --inject-rank 2 -o "$DATA/target" >/dev/null
	echo "$stamp" >"$DATA/STAMP"
fi
echo
echo "-- 3. stackyard regress on files, $NPROF + $NPROF genregress profiles ($RUNS runs)"
echo "  \$ $BIN/stackyard regress --base-files $DATA/base-*.pb.gz --target-files $DATA/target-*.pb.gz"
times=()
for ((i = 0; i < RUNS; i++)); do
	t0=$(date +%s.%N)
	set +e
	"$BIN/stackyard" regress --base-files "$DATA"/base-*.pb.gz --target-files "$DATA"/target-*.pb.gz >/dev/null
	rc=$?
	set -e
	t1=$(date +%s.%N)
	if [ "$rc" -ne 1 ]; then
		echo "bench: regress on files exited $rc, expected 1 (a regression)" >&2
		exit 1
	fi
	times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
done
printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END {
	printf "  stackyard regress (files)          best %7.3f s  median %7.3f s\n", v[1], v[int((NR + 1) / 2)] }'
