"""Pull mode against a real Go program with net/http/pprof, built from
tests/scrape/goapp with Debian's Go: the stored profiles show its known
costs in the right proportions."""
import json
import os
import shutil
import subprocess
import time

import pytest

from test_server import Server, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
GOAPP = os.path.join(HERE, "..", "scrape", "goapp", "main.go")


@pytest.fixture(scope="module")
def goapp(tmp_path_factory):
    go = shutil.which("go")
    if not go:
        pytest.fail("`go` not found: Debian's golang-go builds the scrape targets "
                    "(scripts/deps.sh installs it)", pytrace=False)
    d = tmp_path_factory.mktemp("goapp")
    env = dict(os.environ, GOCACHE=str(d / "cache"), GOPATH=str(d / "gopath"),
               GO111MODULE="off", CGO_ENABLED="0")
    exe = d / "goapp"
    subprocess.run([go, "build", "-o", str(exe), GOAPP], check=True, env=env,
                   capture_output=True, timeout=300)
    port = free_port()
    proc = subprocess.Popen([str(exe), "-listen", "127.0.0.1:%d" % port,
                             "-alloc-rate", str(32 << 20)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield "127.0.0.1:%d" % port
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def scraped(goapp, tmp_path_factory):
    d = tmp_path_factory.mktemp("scrape")
    cfg = d / "stackyard.yml"
    cfg.write_text("""scrape_configs:
  - job_name: goapp
    scrape_interval: 2s
    static_configs:
      - targets: ["%s"]
        labels:
          env: test
""" % goapp)
    s = Server(d / "data", extra=["--config", str(cfg)])
    start = time.time()
    time.sleep(9)
    yield s, start
    assert s.stop() == 0


def top(s, ptype, start):
    got = s.get_json("/api/v1/query", format="top", query=ptype + '{job="goapp"}',
                     **{"from": str(int(start) - 5), "until": "now"})
    return got["total"], {r["name"]: (r["flat"], r["cum"]) for r in got["rows"]}


def test_targets_are_up(scraped):
    s, _ = scraped
    t = s.get_json("/api/v1/targets")["targets"]
    kinds = sorted(x["profile_type"] for x in t)
    assert kinds == ["block", "goroutine", "memory", "mutex", "process_cpu"]
    for x in t:
        assert x["health"] == "up", x
        assert x["labels"]["job"] == "goapp"
        assert x["labels"]["env"] == "test"
        assert x["labels"]["service_name"] == "goapp"


def test_cpu_proportions(scraped):
    s, start = scraped
    total, rows = top(s, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", start)
    a = rows["main.hotA"][1] if "main.hotA" in rows else 0
    b = rows["main.hotB"][1] if "main.hotB" in rows else 0
    assert a > 0 and b > 0, sorted(rows)[:20]
    assert 2.0 < a / b < 4.5, (a, b)
    # Consecutive ?seconds=2 profiles cover the timeline: about one core busy.
    assert total > 2e9, total


def test_allocations_are_deltas(scraped):
    s, start = scraped
    span = {"from": str(int(start) - 5), "until": "now", "step": "2s"}
    r = s.get_json("/api/v1/range", query='memory:alloc_space:bytes:space:bytes{job="goapp"}', **span)
    vals = [v for sr in r["series"] for _, v in sr["points"] if v]
    assert vals, r
    # 32 MiB/s for 2 s per scrape: deltas, not totals since start (which
    # would grow with every scrape); heap sampling makes them approximate.
    for v in vals:
        assert 20 << 20 < v < 200 << 20, vals
    total, rows = top(s, "memory:alloc_space:bytes:space:bytes", start)
    assert "main.allocChunk" in rows


def test_goroutines_mutex_block(scraped):
    s, start = scraped
    _, rows = top(s, "goroutine:goroutine:count:goroutine:count", start)
    assert "main.waitForever" in rows
    _, rows = top(s, "mutex:delay:nanoseconds:contentions:count", start)
    assert any("holdLock" in n or "sync" in n for n in rows), sorted(rows)[:10]
    _, rows = top(s, "block:delay:nanoseconds:contentions:count", start)
    assert rows, "no block profile data"


def test_check_config(tmp_path):
    from conftest import STACKYARD_BIN
    good = tmp_path / "good.yml"
    good.write_text("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['h:1']\n")
    r = subprocess.run([STACKYARD_BIN, "server", "--config", str(good), "--check-config"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "valid" in r.stdout
    bad = tmp_path / "bad.yml"
    bad.write_text("scrape_configs:\n  - job_name: a\n    scrape_interval: 10x\n")
    r = subprocess.run([STACKYARD_BIN, "server", "--config", str(bad), "--check-config"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "bad.yml:3" in r.stderr, r.stderr
