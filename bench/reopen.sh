#!/usr/bin/env bash
# Reopening a large store: how long `stackyard server` takes from start to
# /-/ready on a store of about TARGET_GB gigabytes (default 10).
#
# Building 10 GB by ingest alone takes about 25 minutes on these machines,
# so the store is made in two steps: bench_store writes 7 days of 100
# series (at one profile per 20 min, ~0.8 GB, 84 sealed blocks); then its
# sealed blocks are cloned into earlier weeks (a copy of the file with its
# meta start/end moved back by whole weeks, and the matching file name)
# until the store holds TARGET_GB. Blocks are complete SQLite files, so a
# clone is indistinguishable from a block that ingest wrote.
# Reopen is timed twice: after dropping the page cache (as root; otherwise
# said) and warm. Environment: BUILD, BIN, TARGET_GB (10).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
TARGET_GB=${TARGET_GB:-10}
DATA="$BUILD/bench-store-data"
RUN="$BUILD/bench-reopen-run"
PORT=${PORT:-17399}

if [ ! -d "$DATA" ] || ! ls "$DATA"/g*.pb.gz >/dev/null 2>&1; then
	echo "bench: $DATA is missing: run bench/store.sh first (it generates the inputs)" >&2
	exit 1
fi
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 (Debian sqlite3) is needed" >&2; exit 1; }
rm -rf "$RUN"
mkdir -p "$RUN"
trap 'rm -rf "$RUN"' EXIT

echo "== reopen of a ~${TARGET_GB} GB store, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "  \$ $BUILD/bench/bench_store --series 100 --programs 10 --hours 0.2 --days 7 --old-interval 1200 --runs 1 --dir $RUN FILES"
"$BUILD/bench/bench_store" --series 100 --programs 10 --hours 0.2 --days 7 --old-interval 1200 \
	--runs 1 --dir "$RUN" "$DATA"/g*.pb.gz | grep -E '^(ingest all|stats after)' | sed 's/^/  /'
S=$(ls -d "$RUN"/store-*)
sealed=()
for f in "$S"/blocks/*.db; do
	[ "$(sqlite3 "$f" "select value from meta where key='sealed'")" = 1 ] && sealed+=("$f")
done
week=$((7 * 86400))
c=0
while [ "$(du -sb "$S" | cut -f1)" -lt $((TARGET_GB * 1000000000)) ]; do
	c=$((c + 1))
	for f in "${sealed[@]}"; do
		n=$(basename "$f" .db)
		st=$((${n%-*} - c * week))
		en=$((${n#*-} - c * week))
		cp "$f" "$S/blocks/$st-$en.db"
		sqlite3 "$S/blocks/$st-$en.db" "update meta set value=$st*1000000000 where key='start';
			update meta set value=$en*1000000000 where key='end';"
	done
done
echo "  cloned ${#sealed[@]} sealed blocks $c times: $(ls "$S"/blocks/*.db | wc -l) blocks, $(du -sh "$S" | cut -f1)"

reopen() {
	local t0 t1 pid
	t0=$(date +%s.%N)
	"$BIN/stackyard" server --listen "127.0.0.1:$PORT" --data "$S" --retention 3650d 2>/dev/null &
	pid=$!
	until curl -fs "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; do
		kill -0 $pid 2>/dev/null || { echo "bench: server exited" >&2; exit 1; }
		sleep 0.01
	done
	t1=$(date +%s.%N)
	blocks=$(curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^stackyard_store_blocks /{print $2}')
	kill $pid; wait $pid || true
	awk -v a="$t0" -v b="$t1" -v n="$blocks" -v w="$1" \
		'BEGIN { printf "  reopen (%s): %.2f s from start to /-/ready, %d blocks\n", w, b - a, n }'
}
echo "  \$ $BIN/stackyard server --data $S --retention 3650d   (timed to /-/ready)"
sync
if [ "$(id -u)" = 0 ] && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
	reopen "page cache dropped"
else
	echo "  (not root: cannot drop the page cache; the cold figure is missing)"
fi
reopen "warm"
