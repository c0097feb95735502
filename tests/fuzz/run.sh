#!/usr/bin/env bash
# Runs each libFuzzer target in $BUILD/fuzz for SECONDS seconds.
#   usage: BUILD=build bash tests/fuzz/run.sh SECONDS
# Each target fuzz_<name> starts from tests/fuzz/corpus/<name>/ (copied to a
# scratch directory, so the checked-in seeds never change) and prints
# "fuzz: <name>: ok (<N> runs)". On a crash it prints the log's tail and the
# path of the crashing input. Exits non-zero if any target fails.
set -u
SECONDS_PER_TARGET=${1:-10}
BUILD=${BUILD:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
shopt -s nullglob

bins=("$BUILD"/fuzz/fuzz_*)
if [ ${#bins[@]} -eq 0 ]; then
	echo "fuzz: no targets in $BUILD/fuzz (run make fuzz-build)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/stackyard-fuzz.XXXXXX")
# Keep the scratch directory if something failed: it holds the crash input.
failed=0
cleanup() { [ "$failed" -eq 0 ] && rm -rf "$work"; }
trap cleanup EXIT

for bin in "${bins[@]}"; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds="$HERE/corpus/$name"
	corpus="$work/$name/corpus"
	artifacts="$work/$name/artifacts/"
	log="$work/$name/log"
	mkdir -p "$corpus" "$artifacts"
	dirs=("$corpus")
	if [ -d "$seeds" ]; then
		cp "$seeds"/* "$corpus"/ 2>/dev/null
		# Seeds go last: libFuzzer writes new inputs to the first only.
		dirs+=("$seeds")
	fi
	"$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
		-max_len=1048576 -artifact_prefix="$artifacts" -print_final_stats=1 \
		"${dirs[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $name: ok (${runs:-?} runs)"
	else
		failed=1
		echo "fuzz: $name: FAILED (exit $rc); log: $log"
		tail -n 40 "$log"
		for c in "$artifacts"*; do
			echo "fuzz: $name: crashing input: $c"
		done
	fi
done
exit "$failed"
