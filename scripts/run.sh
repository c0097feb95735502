#!/usr/bin/env bash
# `make run`: what the product can do today. The server (`stackyard server`,
# issue 4) is not built yet; until it is, this shows the offline tools on a
# real profile so that a fresh checkout does something useful at once.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
sample=${1:-}
if [ -z "$sample" ]; then
	for f in examples/etcd-cpu.pb.gz ../shared/testdata/pprof/etcd-cpu.pb.gz; do
		[ -f "$f" ] && { sample=$f; break; }
	done
fi
"$BIN/stackyard" --version
if [ -z "$sample" ]; then
	echo "no sample profile found; try: $BIN/stackyard pprof top FILE.pb.gz"
	exit 0
fi
echo "\$ $BIN/stackyard pprof top -n 15 $sample"
"$BIN/stackyard" pprof top -n 15 "$sample"
