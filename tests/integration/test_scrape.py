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
def goapp_exe(tmp_path_factory):
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
    return exe


def start_goapp(exe):
    port = free_port()
    proc = subprocess.Popen([str(exe), "-listen", "127.0.0.1:%d" % port,
                             "-alloc-rate", str(32 << 20)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, "127.0.0.1:%d" % port


# One scraper per Go process: Go serves one CPU profile at a time, so two
# servers scraping the same program would see each other's 500s.
@pytest.fixture(scope="module")
def goapp(goapp_exe):
    proc, addr = start_goapp(goapp_exe)
    yield addr
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


class _Bad:
    """Fake targets on loopback, one behaviour per server."""

    def __init__(self, kind):
        import http.server
        import threading
        kind_ = kind

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                try:
                    if kind_ == "hang":
                        time.sleep(30)
                    elif kind_ == "500":
                        self.send_response(500)
                        self.end_headers()
                        self.wfile.write(b"internal error")
                    elif kind_ == "garbage":
                        self.send_response(200)
                        self.end_headers()
                        self.wfile.write(b"this is not a profile at all" * 10)
                    elif kind_ == "huge":
                        self.send_response(200)
                        self.send_header("Content-Length", str(200 << 20))
                        self.end_headers()
                        chunk = b"\0" * (1 << 20)
                        for _ in range(200):
                            self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def test_misbehaving_targets_affect_only_themselves(goapp_exe, tmp_path):
    bad = {k: _Bad(k) for k in ("hang", "500", "garbage", "huge")}
    proc, goapp = start_goapp(goapp_exe)
    try:
        cfg = tmp_path / "stackyard.yml"
        cfg.write_text("""scrape_configs:
  - job_name: good
    scrape_interval: 2s
    scrape_timeout: 3s
    static_configs: [{targets: ["%s"]}]
  - job_name: bad
    scrape_interval: 2s
    scrape_timeout: 3s
    static_configs: [{targets: [%s]}]
""" % (goapp, ", ".join('"%s"' % b.addr for b in bad.values())))
        s = Server(tmp_path / "data", extra=["--config", str(cfg)])
        time.sleep(8)
        t = s.get_json("/api/v1/targets")["targets"]
        now_ms = time.time() * 1000
        good = [x for x in t if x["job"] == "good"]
        assert len(good) == 5
        for x in good:
            assert x["health"] == "up", (x["profile_type"], x["last_error"])
            # On time despite the bad targets: scraped within the last
            # interval plus the CPU profile's 2 s and some slack.
            assert now_ms - x["last_scrape"] < 5000, x
        errors = {}
        for x in t:
            if x["job"] == "bad":
                assert x["health"] == "down", x
                errors.setdefault(x["labels"]["instance"], set()).add(x["last_error"])
        expect = {"hang": "timeout", "500": "HTTP 500", "garbage": "not a pprof",
                  "huge": "larger than"}
        for kind, b in bad.items():
            msgs = " | ".join(errors[b.addr])
            assert expect[kind].lower() in msgs.lower(), (kind, msgs)
        assert s.stop() == 0
    finally:
        for b in bad.values():
            b.close()
        proc.kill()
        proc.wait()
