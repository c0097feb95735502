"""The server's own CPU profile: /debug/pprof/profile read by `go tool
pprof`, one profile at a time, Go-only endpoints refused, and a server
scraping itself stores its own process_cpu data."""
import os
import subprocess
import threading
import time

import pytest

from conftest import TESTDATA
from test_server import Server

CPU = os.path.join(TESTDATA, "etcd-cpu.pb.gz")

# Functions of the server that a loaded server runs (ingest and query).
OURS = {"on_request", "h_ingest", "h_query", "pprof_decode", "normalize", "store_append",
        "dispatch", "prepare", "store_items", "merged", "blob_accumulate"}


class Load:
    """Pushes and queries in a loop, so that the server burns CPU."""

    def __init__(self, s):
        self.s = s
        self.stop = False
        with open(CPU, "rb") as f:
            self.body = f.read()
        self.threads = [threading.Thread(target=self.run, args=(k,), daemon=True) for k in range(2)]
        for t in self.threads:
            t.start()

    def run(self, k):
        i = 0
        while not self.stop:
            i += 1
            self.s.ingest(self.body, "load%d" % k, at=1700000000 + i)
            self.s.get("/api/v1/query", format="top", query='process_cpu:cpu:nanoseconds:cpu:'
                       'nanoseconds{service_name="load%d"}' % k, **{"from": "1690000000",
                                                                    "until": "now"})

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join()


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data")
    yield s
    assert s.stop() == 0


def test_go_tool_pprof_reads_the_servers_cpu_profile(server, oracle, tmp_path):
    load = Load(server)
    out = {}

    def second():
        time.sleep(0.5)
        out["second"] = server.get("/debug/pprof/profile", seconds="1")

    t = threading.Thread(target=second)
    t.start()
    try:
        status, body, hdr = server.get("/debug/pprof/profile", seconds="3")
    finally:
        load.close()
        t.join()
    assert status == 200, body[:300]
    # One profile at a time, as in Go.
    assert out["second"][0] == 429, out["second"]
    assert b"one at a time" in out["second"][1]
    path = tmp_path / "self.pb.gz"
    path.write_bytes(body)
    raw = subprocess.run([oracle.go, "tool", "pprof", "-raw", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert raw.returncode == 0, raw.stderr
    assert "PeriodType: cpu nanoseconds" in raw.stdout, raw.stdout[:500]
    assert "samples/count cpu/nanoseconds" in raw.stdout, raw.stdout[:500]
    names = set(raw.stdout.split())
    assert names & OURS, sorted(names)[:80]
    # The main binary comes first, so pprof names it.
    top = subprocess.run([oracle.go, "tool", "pprof", "-top", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert "File: stackyard" in top.stdout, top.stdout[:300]


def test_debug_pprof_endpoints(server):
    status, body, _ = server.get("/debug/pprof/")
    assert status == 200 and b"profile" in body
    for name in ("heap", "goroutine", "allocs", "block", "mutex", "threadcreate", "trace"):
        status, body, _ = server.get("/debug/pprof/" + name)
        assert status == 404 and b"C program" in body, (name, status, body)
    for bad in ("0", "x", "301", "-1", ""):
        status, body, _ = server.get("/debug/pprof/profile", seconds=bad)
        assert status == 400 and b"seconds" in body, (bad, status, body)
    status, body, _ = server.get("/debug/pprof/cmdline")
    assert status == 200 and body.split(b"\0")[1] == b"server", body


def test_server_scraping_itself_stores_its_cpu(tmp_path):
    cfg = tmp_path / "stackyard.yml"
    job = """scrape_configs:
  - job_name: self
    scrape_interval: 2s
    static_configs: [{targets: ["%s"]}]
    profiling_config:
      pprof_config:
        memory: {enabled: false}
        block: {enabled: false}
        mutex: {enabled: false}
        goroutine: {enabled: false}
"""
    cfg.write_text(job % "127.0.0.1:1")
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    # Now that the port is known, point the job at the server itself.
    cfg.write_text(job % ("127.0.0.1:%d" % s.port))
    assert s.request("POST", "/-/reload")[0] == 200
    load = Load(s)
    try:
        time.sleep(7)
    finally:
        load.close()
    try:
        t = s.get_json("/api/v1/targets")["targets"]
        assert len(t) == 1 and t[0]["health"] == "up", t
        assert t[0]["url"].endswith("/debug/pprof/profile?seconds=2"), t
        got = s.get_json("/api/v1/query", format="top",
                         query='process_cpu:cpu:nanoseconds:cpu:nanoseconds{job="self"}',
                         **{"from": "now-1m", "until": "now"})
        names = {r["name"] for r in got["rows"]}
        assert names & OURS, sorted(names)[:50]
        assert got["total"] > 0
    finally:
        assert s.stop() == 0
