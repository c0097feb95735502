#!/usr/bin/env bash
# Runs every test tier and ends with one summary line, "N passed, N failed".
#   unit:        each build/tests/*/test_* binary (cmocka)
#   integration: pytest against the real bin/stackyard on loopback
#   ui:          browser tests of the web UI (tests/ui/run.sh)
#   fuzz smoke:  each libFuzzer target for FUZZ_SMOKE seconds (0 = skip,
#                which `make check` uses since it already runs sanitized)
# Environment: BUILD, BIN, PYTHON, FUZZ_SMOKE.
set -u
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
PYTHON=${PYTHON:-/usr/bin/python3}
FUZZ_SMOKE=${FUZZ_SMOKE:-10}
# The real profiles shared by every project checkout (../shared beside it).
export STACKYARD_TESTDATA=${STACKYARD_TESTDATA:-$(cd .. && pwd)/shared/testdata/pprof}
if [ ! -d "$STACKYARD_TESTDATA" ]; then
	echo "test data not found at $STACKYARD_TESTDATA (set STACKYARD_TESTDATA)"
	echo "0 passed, 1 failed"
	exit 1
fi
passed=0
failed=0
failures=()

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)".
for t in $(find "$BUILD/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
	out=$("$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$t")
		printf '%s\n' "$out"
	fi
	echo "unit: $t: $p passed, $f failed"
done

# Integration tests need the real binary; STACKYARD_BIN tells pytest which.
if [ -d tests/integration ]; then
	log=$(mktemp)
	STACKYARD_BIN="$PWD/$BIN/stackyard" STACKYARD_TOOLS="$PWD/$BUILD/tools" \
		"$PYTHON" -m pytest -q -p no:cacheprovider tests/integration 2>&1 | tee "$log"
	summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)' "$log" | tail -1)
	p=$(printf '%s' "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(printf '%s' "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	e=$(printf '%s' "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
	p=${p:-0}; f=${f:-0}; e=${e:-0}
	if [ -z "$summary" ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f + e))
	[ $((f + e)) -ne 0 ] && failures+=("integration")
	rm -f "$log"
fi

# Browser tests of the web UI; tests/ui/run.sh ends with "ui: N passed, N failed"
# (and skips, saying why, only where node or chromium is missing).
if [ -f tests/ui/run.sh ]; then
	out=$(BIN="$BIN" BUILD="$BUILD" bash tests/ui/run.sh 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^ui: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(printf '%s' "$line" | sed -n 's/^ui: \([0-9]*\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
	p=${p:-0}; f=${f:-0}
	if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then f=$((f + 1)); fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -ne 0 ] && failures+=("ui")
fi

if [ "$FUZZ_SMOKE" != 0 ]; then
	if make --no-print-directory -s fuzz-build BUILD="$BUILD" >/dev/null 2>&1; then
		if BUILD="$BUILD" bash tests/fuzz/run.sh "$FUZZ_SMOKE"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1)); failures+=("fuzz smoke")
		fi
	else
		echo "fuzz: building the fuzz targets failed"
		failed=$((failed + 1)); failures+=("fuzz build")
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failing: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
