#!/usr/bin/env bash
# The web UI's flame graph in Debian's chromium: draw and zoom times for a
# profile of about 100,000 nodes (bench/ui_flame.mjs). Part of `make bench`.
# Environment: BUILD (build), BIN (bin), UI_RUNS (20), UI_SAMPLES (3000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
UI_RUNS=${UI_RUNS:-20}
UI_SAMPLES=${UI_SAMPLES:-3000}

echo "-- UI: flame graph draw and zoom in chromium (bench/ui_flame.mjs)"
if ! command -v node >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ]; then
	echo "  skipped: node or /usr/bin/chromium is missing (scripts/deps.sh installs them)"
	exit 0
fi
if [ ! -d tests/ui/node_modules/playwright-core ]; then
	(cd tests/ui && npm ci --no-audit --no-fund >&2)
fi
prof="$BUILD/bench-data/ui-100k.pb.gz"
mkdir -p "$(dirname "$prof")"
"$BUILD/tools/genprof" --seed 1 --samples "$UI_SAMPLES" --depth 40 --functions 3000 --sample-types 2 -o "$prof"
echo "  input: genprof --seed 1 --samples $UI_SAMPLES --depth 40 --functions 3000 --sample-types 2"
echo "  \$ STACKYARD_BIN=$BIN/stackyard node bench/ui_flame.mjs $prof $UI_RUNS"
STACKYARD_BIN="$PWD/$BIN/stackyard" node bench/ui_flame.mjs "$prof" "$UI_RUNS"

echo "-- UI: the comparison's \"what changed\" panel over 2 x 360 profiles (bench/ui_regress.mjs)"
echo "  \$ STACKYARD_BIN=$BIN/stackyard node bench/ui_regress.mjs $BUILD/tools/genregress 10"
STACKYARD_BIN="$PWD/$BIN/stackyard" node bench/ui_regress.mjs "$BUILD/tools/genregress" 10
