"""A real Pyroscope SDK pushes to the server and its data can be queried.

tests/sdk/nodejs/app.js is a small Node program profiled by @pyroscope/nodejs
(pinned in tests/sdk/nodejs/package-lock.json). It burns CPU in hotAlphaHash
and hotBetaSort, allocates in allocateChunks, and pushes wall (with CPU time)
and heap profiles to POST /ingest every 2 s. Version 0.6.4 sends
`POST /ingest?format=pprof&from=<unix s>&name=nodeapp{otel.scope.name=...,env=sdk-test}
&spyName=nodespy&until=<unix s>[&sampleRate=17]` with
`Content-Type: application/octet-stream` and a gzipped pprof as the body.

Needs node and npm on PATH. Without them, or if `npm ci` fails, the test
FAILS with a message saying so; nothing is skipped. node_modules is installed
once with `npm ci` (from the npm registry or the npm cache) and reused.
"""
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import REPO, STACKYARD_BIN
from test_server import Server

SDK_DIR = os.path.join(REPO, "tests", "sdk", "nodejs")
APP = "nodeapp"
RUN_SECONDS = 8
SELECTOR = '{service_name="%s"}' % APP
WALL_TYPES = {"wall:samples:count:wall:nanoseconds",
              "wall:wall:nanoseconds:wall:nanoseconds",
              "wall:cpu:nanoseconds:wall:nanoseconds"}
BUSY = ("hotAlphaHash", "hotBetaSort")


def _tool(name):
    path = shutil.which(name)
    if not path:
        pytest.fail("%s is not on PATH: this test runs a real Node program with the "
                    "@pyroscope/nodejs SDK, which needs Node.js >= 20.20.2 and npm "
                    "(Debian 12's own nodejs is 18: use the NodeSource nodejs 20 package, "
                    "which includes npm)" % name)
    return path


def _installed_version():
    try:
        with open(os.path.join(SDK_DIR, "node_modules", "@pyroscope", "nodejs",
                               "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def _wanted_version():
    with open(os.path.join(SDK_DIR, "package-lock.json")) as f:
        lock = json.load(f)
    return lock["packages"]["node_modules/@pyroscope/nodejs"]["version"]


@pytest.fixture(scope="module")
def node():
    node_bin, npm_bin = _tool("node"), _tool("npm")
    ver = subprocess.run([node_bin, "--version"], stdout=subprocess.PIPE,
                         timeout=30).stdout.decode().strip()
    m = re.match(r"v(\d+)\.", ver)
    if not m or int(m.group(1)) < 20:
        pytest.fail("node %s is too old: @pyroscope/nodejs %s declares engines node "
                    ">=20.20.2" % (ver or "?", _wanted_version()))
    want = _wanted_version()
    if _installed_version() != want:
        # Several checkouts/engineers may run this at once: one npm ci at a time.
        lock_path = os.path.join(tempfile.gettempdir(), "stackyard-sdk-nodejs-npm.lock")
        with open(lock_path, "w") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            if _installed_version() != want:
                p = subprocess.run([npm_bin, "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=600)
                if p.returncode != 0 or _installed_version() != want:
                    pytest.fail("`npm ci` in %s failed (rc %d), @pyroscope/nodejs %s "
                                "not installed:\n%s\n%s" % (
                                    SDK_DIR, p.returncode, want,
                                    p.stdout.decode(errors="replace")[-3000:],
                                    p.stderr.decode(errors="replace")[-3000:]))
    return node_bin


@pytest.fixture(scope="module")
def run(node, tmp_path_factory):
    """Start the server, run the SDK program against it, yield what happened."""
    assert os.path.exists(STACKYARD_BIN), "no server binary at %s (set STACKYARD_BIN)" % \
        STACKYARD_BIN
    data = tmp_path_factory.mktemp("sdk") / "data"
    srv = Server(data)
    t0 = time.time()
    env = dict(os.environ, DEBUG="pyroscope", SDK_FLUSH_MS="2000")
    env.pop("PYROSCOPE_SERVER_ADDRESS", None)
    env.pop("PYROSCOPE_ADHOC_SERVER_ADDRESS", None)  # would override serverAddress
    try:
        p = subprocess.run([node, "app.js", srv.url, str(RUN_SECONDS)], cwd=SDK_DIR, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=RUN_SECONDS + 40)
    except subprocess.TimeoutExpired:
        srv.stop()
        pytest.fail("node app.js did not finish within %d s" % (RUN_SECONDS + 40))
    t1 = time.time()
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    result = {"server": srv, "rc": p.returncode, "output": out,
              "from": str(int(t0) - 60), "until": str(int(t1) + 60),
              "log": str(data) + ".log"}
    yield result
    assert srv.stop() == 0


def _diag(run):
    with open(run["log"], errors="replace") as f:
        log = f.read()[-3000:]
    return "\n--- node output ---\n%s\n--- server log ---\n%s" % (run["output"][-3000:], log)


def _ingest_counts(srv):
    status, body, _ = srv.get("/metrics")
    assert status == 200
    counts = {}
    for m in re.finditer(r'^stackyard_http_requests_total\{route="ingest",code="(\d+)"\} (\d+)$',
                         body.decode(), re.M):
        counts[int(m.group(1))] = int(m.group(2))
    return counts


def _top(run, ptype, selector=SELECTOR):
    return run["server"].get_json("/api/v1/query", query=ptype + selector, format="top",
                                  **{"from": run["from"], "until": run["until"]})


def _find(rows, func):
    # The SDK names functions "<file>:<function>:<line>", e.g. ./app.js:hotBetaSort:46.
    return [i for i, r in enumerate(rows) if (":%s:" % func) in r["name"]]


def test_sdk_program_ran_and_every_push_was_accepted(run):
    assert run["rc"] == 0, "node app.js exited %d%s" % (run["rc"], _diag(run))
    assert "Server rejected" not in run["output"] and \
        "Error sending" not in run["output"], _diag(run)
    counts = _ingest_counts(run["server"])
    # 8 s at a 2 s flush: about 3 rounds x (wall + heap) plus the final wall profile.
    assert counts.get(200, 0) >= 4, ("too few pushes accepted", counts, _diag(run))
    assert set(counts) == {200}, ("some pushes were refused", counts, _diag(run))


def test_series_for_the_sdk_profile_types(run):
    got = run["server"].get_json("/api/v1/series", query=SELECTOR,
                                 **{"from": run["from"], "until": run["until"]})
    types = {s["profile_type"] for s in got["series"]}
    assert WALL_TYPES <= types, (types, _diag(run))
    mem = [t for t in types if t.startswith("memory:") and "space:bytes" in t]
    assert mem, ("no heap (memory) series", types)
    for s in got["series"]:
        lb = s["labels"]
        assert lb["service_name"] == APP
        assert lb["env"] == "sdk-test", lb
        assert lb["process.runtime.name"] == "nodejs", lb
        assert lb["otel.scope.name"] == "com.grafana.pyroscope/nodejs", lb


def test_env_label_is_queryable(run):
    srv = run["server"]
    vals = srv.get_json("/api/v1/labels/env/values", query=SELECTOR,
                        **{"from": run["from"], "until": run["until"]})
    assert vals["values"] == ["sdk-test"]
    names = srv.get_json("/api/v1/labels", **{"from": run["from"], "until": run["until"]})
    assert {"service_name", "env", "otel.scope.version"} <= set(names["names"])
    ptype = "wall:cpu:nanoseconds:wall:nanoseconds"
    assert _top(run, ptype, '{service_name="%s",env="sdk-test"}' % APP)["total"] > 0
    assert _top(run, ptype, '{service_name="%s",env="prod"}' % APP)["total"] == 0


@pytest.mark.parametrize("ptype", ["wall:cpu:nanoseconds:wall:nanoseconds",
                                   "wall:wall:nanoseconds:wall:nanoseconds"])
def test_busy_functions_lead_the_top(run, ptype):
    got = _top(run, ptype)
    rows = got["rows"]
    assert got["total"] > 0 and rows, got
    head = [r["name"] for r in rows[:8]]
    for func in BUSY:
        at = _find(rows, func)
        assert at and at[0] < 8, (func, "not among the top rows", head)
        flat = sum(rows[i]["flat"] for i in at)
        assert flat >= got["total"] * 0.05, (func, flat, got["total"], head)


def test_heap_profile_shows_the_allocating_function(run):
    got = run["server"].get_json("/api/v1/series", query=SELECTOR,
                                 **{"from": run["from"], "until": run["until"]})
    mem = sorted(s["profile_type"] for s in got["series"]
                 if s["profile_type"].startswith("memory:") and ":bytes:" in s["profile_type"])
    assert mem
    top = _top(run, mem[0])
    assert top["total"] > 0
    assert _find(top["rows"], "allocateChunks"), [r["name"] for r in top["rows"][:10]]
