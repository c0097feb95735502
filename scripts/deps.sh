#!/usr/bin/env bash
# Install every Debian package that building, running and testing Stackyard
# needs. Idempotent: when everything is present it only runs dpkg-query and
# exits; apt-get update runs only when something is missing.
set -euo pipefail

PKGS=(
	build-essential make pkg-config clang llvm
	libclang-rt-dev # libFuzzer and sanitizer runtimes: only a Recommends of clang
	libdeflate-dev libzstd-dev libxxhash-dev libsqlite3-dev libyaml-dev
	libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libcmocka-dev
	golang-go python3 python3-pytest curl sqlite3
	libbpf-dev bpftool libelf-dev # the eBPF agent (CO-RE, skeleton, ELF symbols)
	libiberty-dev # the agent demangles C++ and Rust names with cplus_demangle
	chromium fonts-dejavu-core # UI tests drive headless Chromium through playwright-core
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

# Node.js runs the Pyroscope SDK test (tests/sdk/nodejs). The machine image
# has NodeSource's nodejs 20, which bundles npm; Debian's npm package would
# conflict with it, so install Debian's pair only where there is no node.
if ! command -v node >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
