#!/usr/bin/env bash
# Storage benchmark (bench/bench_store.c): durable ingest, bytes on disk
# against the gzipped pprof ingested, maintenance (sealing, roll-ups),
# reopen, and merge queries of 1 h, 24 h and 7 days over 100 series.
# docs/BENCHMARKS.md ("Storage") explains the design and records results.
#
# Inputs: PROGRAMS x FILES_PER genprof profiles (--samples SAMPLES --depth
# DEPTH, --functions 3000+g for program g, seeds g*1000+1..), generated once
# and cached in $BUILD/bench-store-data. The store is written under
# $BUILD/bench-store-run (a few hundred MB) and removed afterwards.
# Environment: BUILD (build), BIN (bin), SERIES (100), PROGRAMS (10),
# FILES_PER (12), SAMPLES (300), DEPTH (25), HOURS (1), INTERVAL (10),
# DAYS (7), OLD_INTERVAL (1200), BATCH (100), RUNS (3).
#
# A second part ingests real Go CPU profiles (bench/goprof: GOPROF_N
# profiles (12) of GOPROF_SECONDS (5) of a busy Go program, built with
# Debian's Go and cached in $BUILD/bench-store-goprof) and the real profiles
# of ../shared/testdata/pprof (TESTDATA), decode included in the timing: the
# genprof profiles above are a worst case (nine locations per sample,
# 800 bytes per sample), these are what Go services send.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
BIN=${BIN:-bin}
SERIES=${SERIES:-100}
PROGRAMS=${PROGRAMS:-10}
FILES_PER=${FILES_PER:-12}
SAMPLES=${SAMPLES:-300}
DEPTH=${DEPTH:-25}
HOURS=${HOURS:-1}
INTERVAL=${INTERVAL:-10}
DAYS=${DAYS:-7}
OLD_INTERVAL=${OLD_INTERVAL:-1200}
BATCH=${BATCH:-100}
RUNS=${RUNS:-3}

GENPROF="$BUILD/tools/genprof"
BENCH_STORE="$BUILD/bench/bench_store"
for f in "$GENPROF" "$BENCH_STORE"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run 'make bench' (or make all $BENCH_STORE)" >&2
		exit 1
	fi
done

# --- inputs, cached ----------------------------------------------------------
DATA="$BUILD/bench-store-data"
stamp="genprof programs=$PROGRAMS per=$FILES_PER samples=$SAMPLES depth=$DEPTH $(sha256sum "$GENPROF" | cut -c1-16)"
if [ ! -f "$DATA/STAMP" ] || [ "$(cat "$DATA/STAMP")" != "$stamp" ]; then
	echo "bench: generating $((PROGRAMS * FILES_PER)) profiles into $DATA"
	rm -rf "$DATA"
	mkdir -p "$DATA"
	for g in $(seq 0 $((PROGRAMS - 1))); do
		for s in $(seq 1 "$FILES_PER"); do
			"$GENPROF" --seed $((g * 1000 + s)) --samples "$SAMPLES" --depth "$DEPTH" \
				--functions $((3000 + g)) \
				-o "$(printf '%s/g%03d-s%04d.pb.gz' "$DATA" "$g" "$s")"
		done
	done
	echo "$stamp" >"$DATA/STAMP"
fi
FILES=("$DATA"/g*.pb.gz)
mb=$(cat "${FILES[@]}" | wc -c | awk '{ printf "%.2f", $1 / 1e6 }')

RUN="$BUILD/bench-store-run"
rm -rf "$RUN"
mkdir -p "$RUN"
trap 'rm -rf "$RUN"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo "== Stackyard storage benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores${cpu:+, $cpu}; $(free -h | awk '/^Mem:/ { print $2 }') RAM; $(df -h "$RUN" | awk 'NR == 2 { print $1 }') for $RUN"
echo "inputs: ${#FILES[@]} profiles from genprof ($PROGRAMS programs, --functions 3000+g; $FILES_PER seeds each;"
echo "        --samples $SAMPLES --depth $DEPTH), $mb MB gzipped, in $DATA (FILES below)"
echo
args=(--series "$SERIES" --programs "$PROGRAMS" --hours "$HOURS" --interval "$INTERVAL"
	--days "$DAYS" --old-interval "$OLD_INTERVAL" --batch "$BATCH" --runs "$RUNS" --dir "$RUN")
echo "  \$ $BENCH_STORE ${args[*]} FILES"
t0=$(date +%s.%N)
"$BENCH_STORE" "${args[@]}" "${FILES[@]}" | sed 's/^/  /'
t1=$(date +%s.%N)
echo "  disk: $(du -sh "$RUN" | cut -f1) in $RUN (du, after the run)"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  whole run: %.0f s wall\n", b - a }'

# --- real profiles: decode + durable ingest ----------------------------------
GOPROF_N=${GOPROF_N:-12}
GOPROF_SECONDS=${GOPROF_SECONDS:-5}
TESTDATA=${TESTDATA:-../shared/testdata/pprof}
GP="$BUILD/bench-store-goprof"
gstamp="goprof n=$GOPROF_N seconds=$GOPROF_SECONDS $(sha256sum bench/goprof/main.go | cut -c1-16) $(go version 2>/dev/null)"
if [ ! -f "$GP/STAMP" ] || [ "$(cat "$GP/STAMP")" != "$gstamp" ]; then
	echo
	echo "bench: writing $GOPROF_N real Go CPU profiles of $GOPROF_SECONDS s into $GP (bench/goprof)"
	rm -rf "$GP"
	mkdir -p "$GP"
	(cd bench/goprof && GO111MODULE=off GOFLAGS= GOCACHE="${GOCACHE:-$PWD/../../$GP/gocache}" \
		go build -o "../../$GP/goprof" .)
	"$GP/goprof" -out "$GP" -n "$GOPROF_N" -seconds "$GOPROF_SECONDS"
	echo "$gstamp" >"$GP/STAMP"
fi
real_run() { # title, programs, files...
	local title=$1 programs=$2
	shift 2
	local rargs=(--series "$SERIES" --programs "$programs" --hours "$HOURS" --interval "$INTERVAL"
		--days 0 --old-interval 0 --batch "$BATCH" --runs 1 --decode 1 --dir "$RUN")
	echo
	echo "$title"
	rm -rf "${RUN:?}"/*
	echo "  \$ $BENCH_STORE ${rargs[*]} FILES"
	"$BENCH_STORE" "${rargs[@]}" "$@" | grep -E '^(bench_store|ingest|  )' | sed 's/^/  /'
}
real_run "the genprof profiles again, decode timed (the worst case):" "$PROGRAMS" "${FILES[@]}"
real_run "real Go CPU profiles (bench/goprof, $GOPROF_N x $GOPROF_SECONDS s; FILES = $GP/cpu-*.pb.gz), decode timed:" 1 "$GP"/cpu-*.pb.gz
if compgen -G "$TESTDATA/*.pb.gz" >/dev/null; then
	real_run "real profiles of ../shared/testdata/pprof (every type; FILES = $TESTDATA/*.pb.gz), decode timed:" 1 "$TESTDATA"/*.pb.gz
fi
