"""The server on loopback: ingest in every form, query back, compare with
go tool pprof; bad input; restart; concurrency. Drives the real binary."""
import gzip
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import STACKYARD_BIN, real_profiles
import oracle as oracle_mod

T0 = 1795600800  # 2026-11-25T10:00:00Z, inside the default retention


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, data, extra=()):
        self.data = str(data)
        self.extra = list(extra)
        self.proc = None
        self.start()

    def start(self):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(self.data + ".log"), "ab")
        self.proc = subprocess.Popen(
            [STACKYARD_BIN, "server", "--listen", "127.0.0.1:%d" % self.port,
             "--data", self.data] + self.extra,
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                if self.get("/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            assert self.proc.poll() is None, "server exited: see %s.log" % self.data
            time.sleep(0.05)
        raise AssertionError("server did not become ready")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.log.close()
        return rc

    def request(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def post_oversized(self, path, body):
        """POST a body the server refuses early: it answers 413 and closes
        before reading everything, so writing may hit a closed pipe."""
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.putrequest("POST", path)
        c.putheader("Content-Type", "application/octet-stream")
        c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        try:
            for i in range(0, len(body), 1 << 16):
                c.send(body[i:i + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.getresponse()
        out = (r.status, r.read(), r.headers)
        c.close()
        return out

    def get(self, path, **params):
        q = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self.request("GET", path + q)

    def get_json(self, path, **params):
        status, body, _ = self.get(path, **params)
        assert status == 200, (status, body[:500])
        return json.loads(body)

    def ingest(self, body, name, at=T0, form="raw", ctype=None, **params):
        params.update({"name": name, "from": str(at)})
        if isinstance(at, int):
            params["until"] = str(at + 10)
        headers = {}
        if form == "raw":
            params.setdefault("format", "pprof")
            headers["Content-Type"] = ctype or "application/octet-stream"
        elif form == "multipart":
            boundary = "stackyard-test-boundary-42"
            body = (("--%s\r\nContent-Disposition: form-data; name=\"profile\"; "
                     "filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream"
                     "\r\n\r\n" % boundary).encode() + body +
                    ("\r\n--%s\r\nContent-Disposition: form-data; name=\"sample_type_config\";"
                     " filename=\"sample_type_config.json\"\r\n\r\n{}\r\n--%s--\r\n"
                     % (boundary, boundary)).encode())
            headers["Content-Type"] = "multipart/form-data; boundary=" + boundary
        elif form == "text":
            headers["Content-Type"] = ctype or "text/plain"
        return self.request("POST", "/ingest?" + urllib.parse.urlencode(params), body, headers)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("srv") / "data")
    yield s
    assert s.stop() == 0


def types_of(server, svc):
    got = server.get_json("/api/v1/series", query='{service_name="%s"}' % svc,
                          **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    return sorted({s["profile_type"] for s in got["series"]})


def top_of(server, ptype, selector, frm=T0 - 60, until=T0 + 3600):
    got = server.get_json("/api/v1/query", query=ptype + selector, format="top",
                          **{"from": str(frm), "until": str(until)})
    return got["total"], {r["name"]: (r["flat"], r["cum"]) for r in got["rows"]}


def nonempty(path):
    hdr = oracle_mod.profile_header(str(path))
    return hdr["sample_types"]


PROFILES = [p for p in real_profiles() if os.path.basename(p) not in
            ("etcd-block.pb.gz", "prometheus-block.pb.gz", "prometheus-mutex.pb.gz")]


def check_against_oracle(server, oracle, path, svc):
    types = types_of(server, svc)
    assert types, "nothing stored for %s" % svc
    for ptype in types:
        st = ptype.split(":")[1]
        unit = oracle_mod.sample_unit(str(path), st)
        want = oracle.top([str(path)], st, unit)
        total, rows = top_of(server, ptype, '{service_name="%s"}' % svc)
        assert total == want.total, (ptype, total, want.total)
        assert rows == want.rows, ptype


@pytest.mark.parametrize("path", PROFILES, ids=os.path.basename)
def test_push_raw_and_query_back(server, oracle, path):
    svc = "raw-" + os.path.basename(path).split(".")[0]
    data = open(path, "rb").read()
    status, body, _ = server.ingest(data, svc)
    assert status == 200, body
    check_against_oracle(server, oracle, path, svc)


@pytest.mark.parametrize("path", PROFILES[:4], ids=os.path.basename)
def test_push_multipart_and_uncompressed(server, oracle, path):
    svc = "mp-" + os.path.basename(path).split(".")[0]
    data = open(path, "rb").read()
    status, body, _ = server.ingest(data, svc, form="multipart")
    assert status == 200, body
    check_against_oracle(server, oracle, path, svc)
    svc2 = "gunzipped-" + os.path.basename(path).split(".")[0]
    status, body, _ = server.ingest(gzip.decompress(data), svc2)
    assert status == 200, body
    check_against_oracle(server, oracle, path, svc2)


def test_merge_over_pushes_equals_pprof(server, oracle):
    d = os.path.dirname(PROFILES[0])
    files = [os.path.join(d, f) for f in ("etcd-cpu.pb.gz", "prometheus-cpu.pb.gz",
                                          "gocompile-nethttp-cpu.pb.gz")]
    for i, f in enumerate(files):
        status, body, _ = server.ingest(open(f, "rb").read(), "merged{k=v}", at=T0 + 10 * i)
        assert status == 200, body
    want = oracle.top(files, "cpu", "nanoseconds")
    total, rows = top_of(server, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                         '{service_name="merged"}')
    assert total == want.total
    assert rows == want.rows
    # The same profile again at the same time is stored once.
    status, _, _ = server.ingest(open(files[0], "rb").read(), "merged{k=v}", at=T0)
    assert status == 200
    assert top_of(server, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                  '{service_name="merged"}')[0] == want.total


def test_pprof_output_loads_in_go_tool_pprof(server, oracle, tmp_path):
    path = [p for p in PROFILES if p.endswith("etcd-cpu.pb.gz")][0]
    server.ingest(open(path, "rb").read(), "pprofout")
    status, body, _ = server.get("/api/v1/query", format="pprof",
                                 query='process_cpu:cpu:nanoseconds:cpu:nanoseconds'
                                       '{service_name="pprofout"}',
                                 **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    assert status == 200
    out = tmp_path / "out.pb.gz"
    out.write_bytes(body)
    got = oracle.top([str(out)], "cpu", "nanoseconds")
    want = oracle.top([path], "cpu", "nanoseconds")
    assert got.total == want.total
    assert got.flat() == want.flat()


def test_sums_saturate_instead_of_wrapping(server):
    """Each profile is in range, but their sum passes INT64_MAX: every
    query format saturates at the top of the scale (never a negative or
    wrapped total) and the server keeps answering."""
    big = 1 << 62
    for k in range(6):
        status, body, _ = server.ingest(b"main;a %d\nmain;b 1\n" % big, "satapp.alloc_objects",
                                        at=T0 + 10 * k, form="text", format="folded")
        assert status == 200, body
    q = dict(query='memory:alloc_objects:count:alloc_objects:count{service_name="satapp"}',
             **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    top = server.get_json("/api/v1/query", format="top", **q)
    rows = {r["name"]: r for r in top["rows"]}
    assert rows["a"]["flat"] == (1 << 63) - 1
    assert rows["b"]["flat"] == 6
    fg = server.get_json("/api/v1/query", format="flamegraph", **q)
    assert fg["flamebearer"]["numTicks"] == (1 << 63) - 1
    rng = server.get_json("/api/v1/range", step="3600", **q)
    assert all(v >= 0 for s in rng["series"] for _, v in s["points"]), rng
    status, body, _ = server.get("/api/v1/query", format="pprof", **q)
    assert status == 200, body


def test_folded_and_lines(server):
    status, body, _ = server.ingest(b"main;work;spin 30\nmain;idle 10\n", "foldapp.cpu",
                                    form="text", format="folded", sampleRate="100")
    assert status == 200, body
    status, body, _ = server.get("/api/v1/query", format="folded",
                                 query='process_cpu:cpu:nanoseconds:cpu:nanoseconds'
                                       '{service_name="foldapp"}',
                                 **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    assert status == 200
    assert body.decode() == "main;idle 100000000\nmain;work;spin 300000000\n"
    status, body, _ = server.ingest(b"a;b\na;b\na;c\n", "linesapp.alloc_objects",
                                    form="text", format="lines")
    assert status == 200, body
    got = server.get_json("/api/v1/query", format="top",
                          query="memory:alloc_objects:count:alloc_objects:count"
                                '{service_name="linesapp"}',
                          **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    assert got["total"] == 3


def test_flamegraph_and_range(server):
    path = [p for p in PROFILES if p.endswith("prometheus-cpu.pb.gz")][0]
    data = open(path, "rb").read()
    for i in range(3):
        assert server.ingest(data, "rangeapp{pod=p%d}" % (i % 2), at=T0 + 10 * i)[0] == 200
    q = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="rangeapp"}'
    fg = server.get_json("/api/v1/query", query=q, **{"from": str(T0), "until": str(T0 + 30)})
    total = server.get_json("/api/v1/query", query=q, format="top",
                            **{"from": str(T0), "until": str(T0 + 30)})["total"]
    assert fg["flamebearer"]["numTicks"] == total
    assert fg["flamebearer"]["names"][0] == "total"
    assert all(len(level) % 4 == 0 for level in fg["flamebearer"]["levels"])
    r = server.get_json("/api/v1/range", query=q, step="10s", group_by="pod",
                        **{"from": str(T0), "until": str(T0 + 30)})
    by = {s["labels"]["pod"]: [v for _, v in s["points"]] for s in r["series"]}
    per = total // 3
    assert by == {"p0": [per, 0, per], "p1": [0, per, 0]}


def test_max_nodes(server):
    path = [p for p in PROFILES if p.endswith("gocompile-nethttp-cpu.pb.gz")][0]
    assert server.ingest(open(path, "rb").read(), "bigtree")[0] == 200
    q = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="bigtree"}'
    span = {"from": str(T0 - 60), "until": str(T0 + 3600)}

    def nodes(fg):
        return sum(len(level) // 4 for level in fg["flamebearer"]["levels"])
    full = server.get_json("/api/v1/query", query=q, **span)
    small = server.get_json("/api/v1/query", query=q, max_nodes="100", **span)
    assert nodes(full) > 1000
    assert 100 <= nodes(small) <= 150  # ties at the cut may keep a few more
    assert small["flamebearer"]["numTicks"] == full["flamebearer"]["numTicks"]
    assert server.get("/api/v1/query", query=q, max_nodes="x", **span)[0] == 400


def test_labels_endpoints(server):
    assert server.ingest(open(PROFILES[0], "rb").read(), "labelsapp{team=core,env=dev}")[0] == 200
    span = {"from": str(T0 - 60), "until": str(T0 + 3600)}
    names = server.get_json("/api/v1/labels", **span)["names"]
    assert {"service_name", "team", "env", "__name__", "__profile_type__"} <= set(names)
    vals = server.get_json("/api/v1/labels/team/values", query='{service_name="labelsapp"}',
                           **span)["values"]
    assert vals == ["core"]
    assert server.get("/api/v1/labels/1bad/values")[0] == 400
    types = server.get_json("/api/v1/profile-types", **span)["profile_types"]
    assert "process_cpu:cpu:nanoseconds:cpu:nanoseconds" in types


def test_tenant_header_is_recorded(server):
    data = open(PROFILES[0], "rb").read()
    q = urllib.parse.urlencode({"name": "tenantapp", "format": "pprof", "from": str(T0)})
    st, body, _ = server.request("POST", "/ingest?" + q, data, {"X-Scope-OrgID": "team-a"})
    assert st == 200, body
    got = server.get_json("/api/v1/labels/__tenant__/values", query='{service_name="tenantapp"}',
                          **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    assert got["values"] == ["team-a"]
    st, body, _ = server.request("POST", "/ingest?" + q.replace("tenantapp", "t2"), data,
                                 {"X-Scope-OrgID": "bad tenant"})
    assert st == 400 and b"X-Scope-OrgID" in body


def stored_types(server):
    return server.get_json("/api/v1/profile-types", **{"from": "0", "until": "now+1h"})


def test_bad_input_is_refused_and_stores_nothing(server, tmp_path):
    before = stored_types(server)
    before_series = server.get_json("/api/v1/series", **{"from": "0", "until": "now+1h"})
    good = open(PROFILES[0], "rb").read()
    bomb = gzip.compress(b"\0" * (600 << 20), 9)
    cases = [
        (server.ingest(b"this is not a profile", "bad1"), 422, "not a pprof"),
        (server.ingest(good[: len(good) // 2], "bad2"), 422, "gzip"),
        (server.ingest(good, ""), 400, "name"),
        (server.request("POST", "/ingest?format=pprof", good), 400, "name"),
        (server.ingest(good, "app{1bad=x}"), 400, "1bad"),
        (server.ingest(good, "bad app"), 400, "application name"),
        (server.ingest(good, "app{__name__=x}"), 400, "reserved"),
        (server.ingest(good, "app", at="yesterday-ish"), 400, "from"),
        (server.ingest(good, "app", format="jfr"), 415, "jfr"),
        (server.ingest(bomb, "bomb"), 413, "limit"),
        # Counts that overflow int64 nanoseconds at sampleRate 100, or when a
        # stack repeats (the sum): refused, not stored wrapped.
        (server.ingest(b"main;a %d\n" % (1 << 62), "ovf1", form="text", format="folded"),
         400, "more than"),
        (server.ingest(b"main;a %d\nmain;a %d\n" % ((1 << 62) + (1 << 61), (1 << 62)),
                       "ovf2.alloc_objects", form="text", format="folded"), 400, "add up"),
        (server.post_oversized("/ingest?format=pprof&name=huge", b"x" * (17 << 20)), 413, "limit"),
        (server.get("/api/v1/query", query="nope{"), 400, "selector"),
        (server.get("/api/v1/query", query='{service_name="x"}'), 400, "profile type"),
        (server.get("/api/v1/query", query="a:b:c:d:e", **{"from": "garbage"}), 400, "from"),
        (server.get("/api/v1/query", query="a:b:c:d:e", format="xml"), 400, "format"),
        (server.get("/api/v1/range", query="a:b:c:d:e", step="-1s"), 400, "step"),
        (server.get("/no/such/thing"), 404, "no such"),
        (server.request("DELETE", "/api/v1/query"), 405, "not allowed"),
    ]
    for (status, body, headers), want, text in cases:
        assert status == want, (want, status, body[:300])
        err = json.loads(body)["error"]
        assert text.lower() in err.lower(), (text, err)
    assert stored_types(server) == before
    assert server.get_json("/api/v1/series", **{"from": "0", "until": "now+1h"}) == before_series


def test_metrics(server):
    status, body, headers = server.get("/metrics")
    assert status == 200
    text = body.decode()
    assert "stackyard_ingest_profiles_total" in text
    assert 'stackyard_http_requests_total{route="ingest",code="200"}' in text
    assert "stackyard_store_blocks" in text
    assert "stackyard_store_registry_paths" in text
    assert "stackyard_ingest_errors_total{reason=\"bad_pprof\"}" in text


def test_concurrent_pushes_and_queries(server):
    data = open([p for p in PROFILES if p.endswith("etcd-cpu.pb.gz")][0], "rb").read()
    errors = []

    def pusher(k):
        for i in range(15):
            st, body, _ = server.ingest(data, "conc{w=%d}" % k, at=T0 + 100 + i)
            if st != 200:
                errors.append((st, body))

    def querier():
        for _ in range(15):
            st, body, _ = server.get("/api/v1/query", format="top",
                                     query='process_cpu:cpu:nanoseconds:cpu:nanoseconds'
                                           '{service_name="conc"}',
                                     **{"from": str(T0), "until": str(T0 + 3600)})
            if st != 200:
                errors.append((st, body))

    threads = [threading.Thread(target=pusher, args=(k,)) for k in range(6)]
    threads += [threading.Thread(target=querier) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    one = top_of(server, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                 '{service_name="conc",w="0"}', T0 + 100, T0 + 101)[0]
    total = top_of(server, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                   '{service_name="conc"}', T0, T0 + 3600)[0]
    assert total == one * 6 * 15


def test_restart_keeps_acknowledged_profiles(tmp_path, oracle):
    s = Server(tmp_path / "data")
    path = [p for p in PROFILES if p.endswith("etcd-cpu.pb.gz")][0]
    for i in range(5):
        assert s.ingest(open(path, "rb").read(), "durable", at=T0 + i)[0] == 200
    before = top_of(s, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", '{service_name="durable"}')
    assert s.stop() == 0
    s.start()
    after = top_of(s, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", '{service_name="durable"}')
    assert after == before
    assert after[0] == 5 * oracle.top([path], "cpu", "nanoseconds").total
    # kill -9 right after acknowledged pushes: still all there.
    for i in range(5, 10):
        assert s.ingest(open(path, "rb").read(), "durable", at=T0 + i)[0] == 200
    s.proc.kill()
    s.proc.wait()
    s.log.close()
    s.start()
    assert top_of(s, "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                  '{service_name="durable"}')[0] == 2 * before[0]
    assert s.stop() == 0
