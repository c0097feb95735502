#!/usr/bin/env bash
# Stackyard benchmarks (`make bench`); figures go to stdout. docs/BENCHMARKS.md
# explains them and records results.
#
#   1. pprof top:   stackyard pprof top FILES   vs  go tool pprof -top FILES
#   2. pprof merge: stackyard pprof merge -o OUT FILES
#                                        vs  go tool pprof -proto FILES > OUT
#   3. bench_decode: in-process pprof_decode, and decode + top, over FILES
#   then bench/store.sh, bench/server.sh and bench/ui.sh (the web UI in chromium)
#
# FILES are NPROF profiles from tests/tools/genprof (seeds 1..NPROF, SAMPLES
# samples, depth DEPTH), generated once and cached in $BUILD/bench-data.
# Environment: BUILD (default build), BIN (default bin), NPROF (200),
# SAMPLES (1200), DEPTH (30), RUNS (3), PASSES (5, for bench_decode),
# GO (go).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=${BIN:-bin}
NPROF=${NPROF:-200}
SAMPLES=${SAMPLES:-1200}
DEPTH=${DEPTH:-30}
RUNS=${RUNS:-3}
PASSES=${PASSES:-5}
GO=${GO:-go}

STACKYARD="$BIN/stackyard"
GENPROF="$BUILD/tools/genprof"
BENCH_DECODE="$BUILD/bench/bench_decode"

for f in "$STACKYARD" "$GENPROF" "$BENCH_DECODE"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run 'make bench' (or make all $BENCH_DECODE)" >&2
		exit 1
	fi
done
if ! command -v "$GO" >/dev/null 2>&1; then
	echo "bench: '$GO' not found; Debian's golang-go is needed for the reference" >&2
	exit 1
fi

# --- inputs, cached ----------------------------------------------------------
DATA="$BUILD/bench-data"
stamp="genprof n=$NPROF samples=$SAMPLES depth=$DEPTH $(sha256sum "$GENPROF" | cut -c1-16)"
if [ ! -f "$DATA/STAMP" ] || [ "$(cat "$DATA/STAMP")" != "$stamp" ]; then
	echo "bench: generating $NPROF profiles into $DATA"
	rm -rf "$DATA"
	mkdir -p "$DATA"
	for i in $(seq 1 "$NPROF"); do
		"$GENPROF" --seed "$i" --samples "$SAMPLES" --depth "$DEPTH" \
			-o "$(printf '%s/p%04d.pb.gz' "$DATA" "$i")"
	done
	echo "$stamp" >"$DATA/STAMP"
fi
FILES=("$DATA"/p*.pb.gz)
nfiles=${#FILES[@]}
bytes=$(cat "${FILES[@]}" | wc -c)
samples=$((nfiles * SAMPLES))
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e6 }')

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo "== Stackyard benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores${cpu:+, $cpu}; $($GO version 2>/dev/null)"
echo "stackyard: $("$STACKYARD" --version 2>/dev/null || echo '?')"
echo "inputs: $nfiles profiles from genprof (seeds 1..$nfiles, --samples $SAMPLES --depth $DEPTH), $mb MB gzipped, $samples samples"
echo "        in $DATA (the file list below is abbreviated as FILES)"
echo

# time_cmd NAME CMD... : runs CMD $RUNS times (output to files in $OUT),
# sets BEST and MEDIAN (seconds).
time_cmd() {
	local name=$1 i t0 t1 rc
	shift
	local times=()
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s.%N)
		set +e
		"$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
		rc=$?
		set -e
		t1=$(date +%s.%N)
		if [ "$rc" -ne 0 ]; then
			echo "bench: '$name' failed (exit $rc):" >&2
			tail -5 "$OUT/$name.err" >&2
			exit 1
		fi
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
	done
	BEST=$(printf '%s\n' "${times[@]}" | sort -g | head -1)
	MEDIAN=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
}

report() { # LABEL BEST MEDIAN
	awk -v l="$1" -v b="$2" -v m="$3" -v by="$bytes" -v s="$samples" 'BEGIN {
		printf "  %-22s best %7.3f s  median %7.3f s  %8.2f MB/s  %10.0f samples/s\n",
			l, b, m, by / 1e6 / b, s / b }'
}

ratio() { # GO_BEST OURS_BEST GO_MEDIAN OURS_MEDIAN
	awk -v gb="$1" -v ob="$2" -v gm="$3" -v om="$4" 'BEGIN {
		printf "  ratio go/stackyard:    %.1fx (best), %.1fx (median)\n", gb / ob, gm / om }'
}

# --- 1. top ------------------------------------------------------------------
echo "-- 1. top of all $nfiles files ($RUNS runs each)"
echo "  \$ $STACKYARD pprof top FILES > /dev/null"
echo "  \$ $GO tool pprof -top FILES > /dev/null"
time_cmd ours_top "$STACKYARD" pprof top "${FILES[@]}"
ob=$BEST om=$MEDIAN
time_cmd go_top "$GO" tool pprof -top "${FILES[@]}"
gb=$BEST gm=$MEDIAN
report "stackyard pprof top" "$ob" "$om"
report "go tool pprof -top" "$gb" "$gm"
ratio "$gb" "$ob" "$gm" "$om"
echo

# --- 2. merge ----------------------------------------------------------------
echo "-- 2. merge of all $nfiles files into one gzipped pprof ($RUNS runs each)"
echo "  \$ $STACKYARD pprof merge -o $OUT/ours.pb.gz FILES"
echo "  \$ $GO tool pprof -proto FILES > $OUT/go.pb.gz"
time_cmd ours_merge "$STACKYARD" pprof merge -o "$OUT/ours.pb.gz" "${FILES[@]}"
ob=$BEST om=$MEDIAN
time_cmd go_merge sh -c '"$0" tool pprof -proto "$@" > "'"$OUT"'/go.pb.gz"' "$GO" "${FILES[@]}"
gb=$BEST gm=$MEDIAN
report "stackyard pprof merge" "$ob" "$om"
report "go tool pprof -proto" "$gb" "$gm"
ratio "$gb" "$ob" "$gm" "$om"
echo "  output: stackyard $(wc -c <"$OUT/ours.pb.gz") bytes, go $(wc -c <"$OUT/go.pb.gz") bytes"
echo

# --- 3. in-process decode ------------------------------------------------------
echo "-- 3. in-process decode (bench/bench_decode.c, one thread, $PASSES passes)"
echo "  \$ $BENCH_DECODE -n $PASSES FILES"
"$BENCH_DECODE" -n "$PASSES" "${FILES[@]}" | sed 's/^/  /'

# --- 4. symbolizer -------------------------------------------------------------
# The agent's symbolizer on big Go binaries (the go tool; docker, a Go 1.20+
# binary, where installed) and libc's ELF symbols.
BENCH_SYM="$BUILD/bench/bench_symbolize"
if [ -x "$BENCH_SYM" ]; then
	echo
	echo "-- 4. symbolization (bench/bench_symbolize.c, one thread)"
	for b in "$(command -v "$GO")" /usr/local/bin/docker /usr/lib/x86_64-linux-gnu/libc.so.6; do
		[ -x "$b" ] || continue
		echo "  \$ $BENCH_SYM $b"
		"$BENCH_SYM" "$b" | sed 's/^/  /'
	done
fi

echo
BUILD="$BUILD" BIN="$BIN" bash bench/store.sh
# Store registries under code churn: RSS and merge times over 30 simulated days.
if [ -x "$BUILD/bench/bench_registry" ]; then
	REGDIR="$BUILD/bench-registry-run"
	rm -rf "$REGDIR"
	mkdir -p "$REGDIR"
	echo
	echo "-- store registries under code churn (bench/bench_registry.c)"
	echo "  \$ $BUILD/bench/bench_registry --days 30 --dir $REGDIR"
	"$BUILD/bench/bench_registry" --days 30 --dir "$REGDIR" | sed 's/^/  /'
	rm -rf "$REGDIR"
fi
echo; BUILD="$BUILD" BIN="$BIN" bash bench/reopen.sh
echo; BUILD="$BUILD" BIN="$BIN" bash bench/server.sh
echo; BUILD="$BUILD" BIN="$BIN" bash bench/agent.sh
echo; BUILD="$BUILD" BIN="$BIN" bash bench/scrape.sh
echo; BUILD="$BUILD" BIN="$BIN" bash bench/ui.sh
echo; BUILD="$BUILD" BIN="$BIN" bash bench/regress.sh
