"""Pull mode operations against real servers on loopback: file_sd targets
added, removed and broken; reload by SIGHUP and POST /-/reload (good and
bad files); every relabel action end to end; hashmod splitting a target
list between two servers.

The targets are small HTTP servers in this process that answer every path
with a real CPU profile from the test data, so scrapes succeed and store."""
import hashlib
import os
import signal
import time

import pytest

from conftest import TESTDATA
from fake_http import FakeHTTP
from test_server import Server

CPU = os.path.join(TESTDATA, "etcd-cpu.pb.gz")


class Target(FakeHTTP):
    """A /debug/pprof stand-in: any GET returns the same CPU profile."""

    def __init__(self):
        with open(CPU, "rb") as f:
            body = f.read()

        def do_get(h):
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        super().__init__(do_get)


@pytest.fixture
def targets():
    ts = [Target() for _ in range(3)]
    yield ts
    for t in ts:
        t.close()


CPU_ONLY = """    profiling_config:
      pprof_config:
        memory: {enabled: false}
        block: {enabled: false}
        mutex: {enabled: false}
        goroutine: {enabled: false}
"""


def write_atomic(path, text):
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def by_instance(s, job=None):
    t = s.get_json("/api/v1/targets")
    return {x["labels"]["instance"]: x for x in t["targets"]
            if job is None or x["job"] == job}, t["discovery_errors"]


def wait_for(fn, timeout=10, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def phase(x, interval_ms=1000):
    return x["last_scrape"] % interval_ms


def same_phase(a, b, interval_ms=1000, slack=150):
    d = abs(phase(a, interval_ms) - phase(b, interval_ms))
    return min(d, interval_ms - d) <= slack


def test_file_sd_add_remove_and_bad_file(tmp_path, targets):
    a, b, c = targets
    sd = tmp_path / "targets"
    sd.mkdir()
    write_atomic(sd / "a.json", '[{"targets": ["%s"], "labels": {"team": "x"}}]' % a.addr)
    write_atomic(sd / "b.yml", "- targets: [%s]\n" % b.addr)
    cfg = tmp_path / "stackyard.yml"
    # A relative path: resolved against the configuration's directory.
    cfg.write_text("""scrape_configs:
  - job_name: sd
    scrape_interval: 1s
    file_sd_configs:
      - files: ["targets/*.json", "targets/*.yml"]
""" + CPU_ONLY)
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    try:
        up = lambda *addrs: (lambda: (lambda t: all(
            x in t and t[x]["health"] == "up" for x in addrs) and t)(by_instance(s)[0]))
        t = wait_for(up(a.addr, b.addr), what="a and b up")
        assert t[a.addr]["labels"]["team"] == "x"
        assert set(t) == {a.addr, b.addr}
        before = t[a.addr]

        # Add c to a.json: a keeps its schedule (same phase) and status.
        write_atomic(sd / "a.json", '[{"targets": ["%s", "%s"], "labels": {"team": "x"}}]'
                     % (a.addr, c.addr))
        t = wait_for(up(a.addr, b.addr, c.addr), what="c added and up")
        assert same_phase(before, t[a.addr]), (before, t[a.addr])
        assert t[a.addr]["last_scrape"] >= before["last_scrape"]

        # A broken file keeps its last good targets and says why.
        write_atomic(sd / "a.json", '[{"targets": ["%s"' % a.addr)
        errs = wait_for(lambda: by_instance(s)[1], what="a discovery error")
        assert errs[0]["job"] == "sd" and errs[0]["file"].endswith("targets/a.json"), errs
        assert "a.json:" in errs[0]["error"] and "invalid YAML" in errs[0]["error"], errs
        log = open(str(tmp_path / "data") + ".log").read()
        assert "level=warn" in log and "file_sd:" in log and "a.json:" in log, log[-2000:]
        time.sleep(2.5)
        log = open(str(tmp_path / "data") + ".log").read()
        assert log.count("file_sd:") == 1, log[-2000:]   # once, not at every poll
        t, _ = by_instance(s)
        assert set(t) == {a.addr, b.addr, c.addr}
        assert all(x["health"] == "up" for x in t.values()), t

        # Removing b.yml removes b only; fixing a.json clears the error.
        os.unlink(sd / "b.yml")
        wait_for(lambda: b.addr not in by_instance(s)[0], what="b removed")
        write_atomic(sd / "a.json", '[{"targets": ["%s"]}]' % a.addr)
        # (a lost its team label: a new unit, scraped on its own schedule)
        wait_for(lambda: (lambda t, e: set(t) == {a.addr} and not e and
                          t[a.addr]["health"] == "up")(*by_instance(s)),
                 what="a alone and up, no error")
        m = s.get("/metrics")[1].decode()
        assert 'stackyard_scrape_targets{job="sd",profile_type="process_cpu",health="up"} 1' in m, m
    finally:
        assert s.stop() == 0


def test_reload_by_signal_and_http(tmp_path, targets):
    a, b, _ = targets
    cfg = tmp_path / "stackyard.yml"
    one = """scrape_configs:
  - job_name: one
    scrape_interval: 1s
    static_configs: [{targets: ["%s"]}]
""" % a.addr + CPU_ONLY
    two = one + """  - job_name: two
    scrape_interval: 1s
    static_configs: [{targets: ["%s"]}]
""" % b.addr + CPU_ONLY
    bad = "scrape_configs:\n  - job_name: one\n    scrape_interval: 10x\n"
    cfg.write_text(one)
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    log = str(tmp_path / "data") + ".log"
    try:
        jobs = lambda: {x["job"]: x for x in s.get_json("/api/v1/targets")["targets"]}
        before = wait_for(lambda: (lambda j: j.get("one", {}).get("health") == "up" and j)(jobs()),
                          what="one up")["one"]

        # SIGHUP with a good file: job two appears, job one keeps its unit.
        cfg.write_text(two)
        s.proc.send_signal(signal.SIGHUP)
        j = wait_for(lambda: (lambda j: j.get("two", {}).get("health") == "up" and j)(jobs()),
                     what="two up after SIGHUP")
        assert j["one"]["health"] == "up" and same_phase(before, j["one"]), (before, j["one"])

        # SIGHUP with a bad file: logged with file:line, nothing changes.
        cfg.write_text(bad)
        s.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "stackyard.yml:3" in open(log).read(), what="the error in the log")
        assert "running configuration stays" in open(log).read()
        time.sleep(1.5)
        assert set(jobs()) == {"one", "two"}

        # POST /-/reload with a bad file: 400, the error with file:line.
        status, body, _ = s.request("POST", "/-/reload")
        assert status == 400, body
        assert b"stackyard.yml:3" in body and b"not a duration" in body, body
        m = s.get("/metrics")[1].decode()
        assert "stackyard_config_last_reload_successful 0" in m

        # POST /-/reload with a good file: job two goes, job one stays.
        cfg.write_text(one)
        status, body, _ = s.request("POST", "/-/reload")
        assert status == 200 and b"reloaded" in body, body
        j = jobs()
        assert set(j) == {"one"} and j["one"]["health"] == "up"
        assert same_phase(before, j["one"])
        m = s.get("/metrics")[1].decode()
        assert "stackyard_config_last_reload_successful 1" in m
        assert "stackyard_config_reloads_total 2" in m
        assert s.request("GET", "/-/reload")[0] == 405
    finally:
        assert s.stop() == 0


def test_reload_without_config_is_refused(tmp_path):
    s = Server(tmp_path / "data")
    try:
        status, body, _ = s.request("POST", "/-/reload")
        assert status == 400 and b"without --config" in body, body
    finally:
        assert s.stop() == 0


def prom_hashmod(value, modulus):
    """Prometheus: the low 8 bytes of the MD5 sum, big endian, mod m."""
    return int.from_bytes(hashlib.md5(value.encode()).digest()[8:], "big") % modulus


def test_every_relabel_action(tmp_path, targets):
    a = targets[0]
    cfg = tmp_path / "stackyard.yml"
    cfg.write_text("""scrape_configs:
  - job_name: rl
    scrape_interval: 1s
    static_configs:
      - targets: ["%s", "127.0.0.1:1"]
        labels: {env: prod, keepme: "yes", tmp_a: "1", extra: z, __meta_zone: eu1}
      - targets: ["127.0.0.1:2"]
        labels: {env: dev, keepme: "yes"}
      - targets: ["127.0.0.1:3"]
        labels: {env: staging}
    relabel_configs:
      - {source_labels: [env], regex: dev, action: drop}
      - {source_labels: [keepme], regex: "yes", action: keep}
      - {source_labels: [__address__], regex: "(.*):(.*)", target_label: port, replacement: "p$2"}
      - {source_labels: [env, keepme], separator: "/", target_label: combo}
      - {regex: "__meta_(.*)", replacement: "meta_$1", action: labelmap}
      - {regex: "tmp_.*", action: labeldrop}
      - {source_labels: [__address__], modulus: 4, target_label: shard, action: hashmod}
      - {regex: "__.*|job|env|port|combo|meta_zone|shard|keepme", action: labelkeep}
""" % a.addr + CPU_ONLY)
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    try:
        t, _ = by_instance(s)
        assert set(t) == {a.addr, "127.0.0.1:1"}, sorted(t)
        for addr, x in t.items():
            want = {"job": "rl", "env": "prod", "keepme": "yes", "instance": addr,
                    "port": "p" + addr.rsplit(":", 1)[1], "combo": "prod/yes",
                    "meta_zone": "eu1", "shard": str(prom_hashmod(addr, 4)),
                    "service_name": "rl"}
            assert x["labels"] == want, (x["labels"], want)
        # The relabelled labels are the stored series' labels.
        wait_for(lambda: by_instance(s)[0][a.addr]["health"] == "up", what="a up")
        time.sleep(1.5)
        got = s.get_json("/api/v1/labels/meta_zone/values", query='{job="rl"}',
                         **{"from": "now-1h", "until": "now"})
        assert got["values"] == ["eu1"], got
        got = s.get_json("/api/v1/labels", query='{job="rl"}', **{"from": "now-1h", "until": "now"})
        assert "tmp_a" not in got["names"] and "extra" not in got["names"], got
        assert {"port", "combo", "shard", "meta_zone"} <= set(got["names"]), got
    finally:
        assert s.stop() == 0


def test_hashmod_splits_targets_between_two_servers(tmp_path):
    addrs = ["127.0.0.1:%d" % p for p in range(10001, 10041)]
    servers, got = [], []
    try:
        for shard in (0, 1):
            cfg = tmp_path / ("shard%d.yml" % shard)
            cfg.write_text("""scrape_configs:
  - job_name: split
    scrape_interval: 5s
    static_configs: [{targets: [%s]}]
    relabel_configs:
      - {source_labels: [__address__], modulus: 2, target_label: __tmp_hash, action: hashmod}
      - {source_labels: [__tmp_hash], regex: "%d", action: keep}
""" % (", ".join('"%s"' % x for x in addrs), shard) + CPU_ONLY)
            servers.append(Server(tmp_path / ("data%d" % shard), extra=["--config", str(cfg)]))
        for s in servers:
            got.append(set(by_instance(s)[0]))
        assert got[0] and got[1]
        assert not (got[0] & got[1]), got[0] & got[1]
        assert got[0] | got[1] == set(addrs)
        for shard in (0, 1):
            assert got[shard] == {x for x in addrs if prom_hashmod(x, 2) == shard}
    finally:
        for s in servers:
            assert s.stop() == 0
