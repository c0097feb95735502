#!/usr/bin/env bash
# Browser tests of the web UI (tests/ui/ui.test.mjs): node's test runner,
# playwright-core (pinned in package-lock.json, installed here with npm ci
# when missing) and Debian's chromium. Ends with "ui: N passed, N failed".
# Skips, saying why, only where node or chromium is missing.
# Environment: BIN (default bin), BUILD (default build), CHROMIUM.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
BUILD=${BUILD:-build}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "ui: skipped: node and npm are not installed (scripts/deps.sh installs them)"
	echo "ui: 0 passed, 0 failed"
	exit 0
fi
if [ ! -x "$CHROMIUM" ]; then
	echo "ui: skipped: $CHROMIUM is missing (Debian package chromium; scripts/deps.sh installs it)"
	echo "ui: 0 passed, 0 failed"
	exit 0
fi
if [ ! -d tests/ui/node_modules/playwright-core ]; then
	# Several checkouts may run this at once: one npm ci at a time.
	if ! (flock 9 && [ -d tests/ui/node_modules/playwright-core ] ||
		(cd tests/ui && npm ci --no-audit --no-fund >&2)) 9>"${TMPDIR:-/tmp}/stackyard-ui-npm.lock"; then
		echo "ui: npm ci in tests/ui failed"
		echo "ui: 0 passed, 1 failed"
		exit 1
	fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
STACKYARD_BIN="$PWD/$BIN/stackyard" UI_ARTIFACTS="$PWD/$BUILD/ui-artifacts" CHROMIUM="$CHROMIUM" \
	node --test --test-reporter=tap --test-concurrency=1 tests/ui/ui.test.mjs >"$log" 2>&1
rc=$?
# TAP: keep the failures' details and the summary; drop the passing noise.
grep -vE '^\s*(# Subtest|---|\.\.\.|duration_ms|type:)' "$log" | grep -vE '^ok ' || true
p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
p=${p:-0}
f=${f:-0}
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "ui: screenshots in $BUILD/ui-artifacts"
echo "ui: $p passed, $f failed"
[ "$f" -eq 0 ]
