"""Pull mode against a real Go program with net/http/pprof, built from
tests/scrape/goapp with Debian's Go: the stored profiles show its known
costs in the right proportions."""
import json
import os
import subprocess
import time

import pytest

from conftest import go_build
from fake_http import FakeHTTP
from test_server import Server, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
GOAPP = os.path.join(HERE, "..", "scrape", "goapp", "main.go")


@pytest.fixture(scope="module")
def goapp_exe(tmp_path_factory):
    return go_build(tmp_path_factory, "goapp", GOAPP, "the scrape targets")


def start_goapp(exe, *extra):
    port = free_port()
    proc = subprocess.Popen([str(exe), "-listen", "127.0.0.1:%d" % port,
                             "-alloc-rate", str(32 << 20)] + list(extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, "127.0.0.1:%d" % port


def allocated(addr):
    """Bytes the goapp's allocChunk has allocated so far (its own count)."""
    import urllib.request
    with urllib.request.urlopen("http://%s/allocated" % addr, timeout=10) as r:
        return int(r.read())


# One scraper per Go process: Go serves one CPU profile at a time, so two
# servers scraping the same program would see each other's 500s.
# Every allocation is recorded (MemProfileRate 1), so the allocs profile
# is exact rather than sampled and deltas can be checked to a few percent.
@pytest.fixture(scope="module")
def goapp(goapp_exe):
    proc, addr = start_goapp(goapp_exe, "-mem-profile-rate", "1")
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
    a0 = allocated(goapp)
    time.sleep(9)
    rate = (allocated(goapp) - a0) / (time.time() - start)
    s.alloc_rate = rate
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
    rate = s.alloc_rate  # bytes/s, counted by the program itself
    assert 8 << 20 < rate < 40 << 20, rate  # about the asked 32 MiB/s
    span = {"from": str(int(start) - 5), "until": "now", "step": "1s"}
    r = s.get_json("/api/v1/range", query='memory:alloc_space:bytes:space:bytes{job="goapp"}', **span)
    vals = [v for sr in r["series"] for _, v in sr["points"] if v]
    assert len(vals) >= 2, r
    # Each stored profile is what was allocated in its 2 s interval (the
    # profile also holds the program's other, small allocations), not the
    # total since start, which would grow with every scrape.
    for v in vals:
        assert 0.7 * 2 * rate < v < 1.3 * 2 * rate, (v / (2 * rate), vals)
    # Over all intervals, allocChunk's bytes match the program's own count:
    # n deltas cover n scrape intervals of 2 s.
    total, rows = top(s, "memory:alloc_space:bytes:space:bytes", start)
    chunk = rows["main.allocChunk"][0]
    assert abs(chunk / (len(vals) * 2 * rate) - 1) < 0.1, (chunk, len(vals), rate)


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


def bad_target(kind):
    """A fake target that misbehaves in one way."""
    def do_get(h):
        if kind == "hang":
            time.sleep(30)
        elif kind == "500":
            h.send_response(500)
            h.end_headers()
            h.wfile.write(b"internal error")
        elif kind == "garbage":
            h.send_response(200)
            h.end_headers()
            h.wfile.write(b"this is not a profile at all" * 10)
        elif kind == "huge":
            h.send_response(200)
            h.send_header("Content-Length", str(200 << 20))
            h.end_headers()
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                h.wfile.write(chunk)
    return FakeHTTP(do_get)


def test_misbehaving_targets_affect_only_themselves(goapp_exe, tmp_path):
    bad = {k: bad_target(k) for k in ("hang", "500", "garbage", "huge")}
    proc, goapp = start_goapp(goapp_exe)
    s = None
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
        for x in good:
            missed = metric(s, "stackyard_scrape_missed_intervals_total", job="good",
                            profile_type=x["profile_type"])
            assert missed == 0, (x["profile_type"], missed)
        assert s.stop() == 0
    finally:
        if s is not None and s.proc.poll() is None:  # a failed assert: no stray server
            s.proc.kill()
            s.proc.wait()
        for b in bad.values():
            b.close()
        proc.kill()
        proc.wait()


def make_certs(d):
    """A CA and a server certificate for the name target.test only (as a
    cluster's certificate names kubernetes.default.svc, not the address),
    made with openssl."""
    def ssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
        "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=target.test",
        "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
    (d / "ext.cnf").write_text("subjectAltName=DNS:target.test\n")
    ssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.pem"),
        "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "1",
        "-extfile", str(d / "ext.cnf"), "-out", str(d / "server.pem"))


def test_tls_target_with_rotating_bearer_token(goapp_exe, tmp_path):
    """Like kube-apiserver: HTTPS with the cluster CA and a service-account
    token that rotates. Refused without the token (401), scraped with it,
    refused while the server's token changed and ours did not yet, and
    scraped again once the token file is rotated (re-read at every scrape).
    The certificate names target.test, not 127.0.0.1: tls_config's
    server_name makes it verify; without it the TLS check fails."""
    make_certs(tmp_path)
    (tmp_path / "want-token").write_text("token-one\n")
    (tmp_path / "token").write_text("token-one\n")
    proc, addr = start_goapp(goapp_exe, "-tls-cert", str(tmp_path / "server.pem"),
                             "-tls-key", str(tmp_path / "server.key"),
                             "-token-file", str(tmp_path / "want-token"))
    cfg = tmp_path / "stackyard.yml"
    job = """  - job_name: %s
    scheme: https
    scrape_interval: 1s
    static_configs: [{targets: ["%s"]}]
    tls_config: {ca_file: ca.pem%s}
%s    profiling_config:
      pprof_config:
        process_cpu: {enabled: false}
        memory: {enabled: false}
        block: {enabled: false}
        mutex: {enabled: false}
"""
    name = ", server_name: target.test"
    cfg.write_text("scrape_configs:\n"
                   + job % ("apiserver", addr, name, "    authorization: {credentials_file: token}\n")
                   + job % ("anonymous", addr, name, "")
                   + job % ("noname", addr, "", "    authorization: {credentials_file: token}\n"))
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])

    def status():
        return {x["job"]: x for x in s.get_json("/api/v1/targets")["targets"]}

    def wait(pred, what):
        deadline = time.time() + 10
        while time.time() < deadline:
            st = status()
            if pred(st):
                return st
            time.sleep(0.2)
        raise AssertionError("%s: %r" % (what, st))

    try:
        st = wait(lambda st: st["apiserver"]["health"] == "up" and
                  st["anonymous"]["health"] == "down" and st["noname"]["health"] == "down",
                  "first scrapes")
        assert st["anonymous"]["last_error"].startswith("HTTP 401"), st["anonymous"]
        assert "certificate" in st["noname"]["last_error"].lower() or \
            "ssl" in st["noname"]["last_error"].lower(), st["noname"]
        assert st["apiserver"]["url"].startswith("https://127.0.0.1:"), st["apiserver"]
        # The server rotates its token: ours is refused...
        (tmp_path / "want-token").write_text("token-two\n")
        st = wait(lambda st: st["apiserver"]["last_error"].startswith("HTTP 401"), "refused")
        # ...until the token file is rotated too (atomically, as kubelet does).
        (tmp_path / "token.new").write_text("token-two\n")
        os.rename(tmp_path / "token.new", tmp_path / "token")
        t0 = time.time() * 1000
        st = wait(lambda st: st["apiserver"]["health"] == "up" and
                  st["apiserver"]["last_scrape"] > t0, "scraped with the new token")
        got = s.get_json("/api/v1/query", format="top",
                         query='goroutine:goroutine:count:goroutine:count{job="apiserver"}',
                         **{"from": "now-1m", "until": "now"})
        assert "main.waitForever" in {r["name"] for r in got["rows"]}, got
    finally:
        assert s.stop() == 0
        proc.kill()
        proc.wait()


def metric(s, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in s.get("/metrics")[1].decode().splitlines():
        if line.startswith(name + "{"):
            got = ",".join(sorted(line[len(name) + 1:line.index("}")].split(",")))
            if got == want:
                return float(line.rsplit(" ", 1)[1])
    return None


def test_reload_keeps_the_delta_baseline(goapp_exe, tmp_path):
    """Allocations are cumulative: a unit's first scrape only sets the
    baseline. A reload that keeps the target keeps its baseline, so every
    later scrape stores a delta: exactly one scrape per unit is not stored,
    however many reloads happen."""
    proc, addr = start_goapp(goapp_exe)
    cfg = tmp_path / "stackyard.yml"
    job = """  - job_name: %s
    scrape_interval: 1s
    static_configs: [{targets: ["%s"]}]
    profiling_config:
      pprof_config:
        process_cpu: {enabled: false}
        block: {enabled: false}
        mutex: {enabled: false}
        goroutine: {enabled: false}
"""
    cfg.write_text("scrape_configs:\n" + job % ("mem", addr))
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    try:
        time.sleep(3.5)
        for k in range(3):
            cfg.write_text("scrape_configs:\n" + job % ("mem", addr) + job % ("other%d" % k, addr))
            assert s.request("POST", "/-/reload")[0] == 200
            time.sleep(1.5)
        # (a scrape counts when its transfer ends, a store a moment later)
        for _ in range(20):
            m = {k: metric(s, "stackyard_scrape_%s_total" % k, job="mem", profile_type="memory")
                 for k in ("scrapes", "stored", "errors")}
            if m["stored"] == m["scrapes"] - 1:
                break
            time.sleep(0.1)
        assert m["scrapes"] >= 6 and m["errors"] == 0, m
        assert m["stored"] == m["scrapes"] - 1, m
    finally:
        assert s.stop() == 0
        proc.kill()
        proc.wait()
