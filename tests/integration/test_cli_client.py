"""`stackyard push` and `stackyard query` against a real server on loopback,
with `go tool pprof` as the oracle for what comes back."""
import gzip
import os
import pty
import subprocess

import pytest

import oracle as oracle_mod
from conftest import STACKYARD_BIN, TESTDATA
from test_server import T0, Server, free_port

CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
SPAN = ("--from", str(T0 - 60), "--until", str(T0 + 3600))


def td(name):
    return os.path.join(TESTDATA, name)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("cli") / "data")
    yield s
    assert s.stop() == 0


def push(stackyard, srv, name, *files, at=T0):
    args = ["push", "--server", srv.url, "--name", name]
    if at is not None:
        args += ["--at", str(at)]
    return stackyard(*(args + list(files)))


def query(stackyard, srv, selector, *extra):
    return stackyard("query", "--server", srv.url, *(SPAN + extra + (selector,)))


def types_of(srv, svc):
    got = srv.get_json("/api/v1/series", query='{service_name="%s"}' % svc,
                       **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    return sorted({s["profile_type"] for s in got["series"]})


def query_pprof(stackyard, srv, selector, out):
    r = query(stackyard, srv, selector, "--format", "pprof", "-o", str(out))
    assert r.returncode == 0, r.describe()
    assert r.stdout == "", r.describe()
    return str(out)


def test_help(stackyard):
    r = stackyard.ok("push", "--help")
    assert "usage: stackyard push" in r.stdout
    assert "T + i seconds" in r.stdout
    r = stackyard.ok("query", "--help")
    assert "usage: stackyard query" in r.stdout
    assert "STACKYARD_SERVER" in r.stdout
    assert "query" in stackyard.ok("--help").stdout
    assert stackyard("push", "x.pb.gz").returncode == 2      # no --name
    assert stackyard("query").returncode == 2                # no selector
    assert stackyard("query", "--format", "xml", CPU).returncode == 2
    assert stackyard("query", "--from", "yesterday", CPU).returncode == 2


@pytest.mark.parametrize("fname", ["etcd-cpu.pb.gz", "prometheus-heap.pb.gz",
                                   "etcd-goroutine.pb.gz"])
def test_push_then_query_matches_pprof(stackyard, oracle, srv, tmp_path, fname):
    path = td(fname)
    svc = "cli-" + fname.split(".")[0]
    r = push(stackyard, srv, svc + "{env=test}", path)
    assert r.returncode == 0, r.describe()
    assert r.stdout.startswith("pushed 1 profile (") and srv.url in r.stdout, r.stdout
    types = types_of(srv, svc)
    assert types, "nothing stored for %s" % svc
    for ptype in types:
        st = ptype.split(":")[1]
        unit = oracle_mod.sample_unit(path, st)
        want = oracle.top([path], st, unit)
        sel = '%s{service_name="%s",env="test"}' % (ptype, svc)
        # pprof out: exact flat and cum per function and total.
        out = query_pprof(stackyard, srv, sel, tmp_path / ("%s.pb.gz" % st))
        got = oracle.top([out], st, unit)
        assert got.total == want.total, ptype
        assert got.rows == want.rows, ptype
        # top text: the same report `stackyard pprof top` prints for the file.
        r = query(stackyard, srv, sel, "--format", "top")
        assert r.returncode == 0, r.describe()
        local = stackyard.ok("pprof", "top", "--sample-type", st, path).stdout
        assert r.stdout == local, (ptype, r.stdout[:500], local[:500])


def test_folded_flamegraph_and_defaults(stackyard, oracle, srv, monkeypatch):
    path = td("prometheus-cpu.pb.gz")
    assert push(stackyard, srv, "cli-fmt", path).returncode == 0
    want = oracle.top([path], "cpu", "nanoseconds").total
    sel = CPU + '{service_name="cli-fmt"}'
    r = query(stackyard, srv, sel, "--format", "folded")
    assert r.returncode == 0, r.describe()
    lines = [ln for ln in r.stdout.splitlines() if ln]
    assert lines and sum(int(ln.rsplit(" ", 1)[1]) for ln in lines) == want
    fg = query(stackyard, srv, sel, "--format", "flamegraph").json()
    assert fg["flamebearer"]["numTicks"] == want
    # STACKYARD_SERVER is the default server; top is the default format.
    monkeypatch.setenv("STACKYARD_SERVER", srv.url)
    r = stackyard("query", *(SPAN + (sel,)))
    assert r.returncode == 0, r.describe()
    assert r.stdout.startswith("Type: cpu\n"), r.stdout[:300]
    # The default range is the last hour: the profile at T0 is not in it
    # unless T0 is recent, and either way the command succeeds.
    assert stackyard("query", sel).returncode == 0


def test_several_files_with_at_are_all_stored(stackyard, oracle, srv, tmp_path):
    cpu = [td(f) for f in ("etcd-cpu.pb.gz", "prometheus-cpu.pb.gz",
                           "gocompile-nethttp-cpu.pb.gz")]
    files = cpu * 2 + cpu[:1]   # 7 files, the same ones repeated
    r = push(stackyard, srv, "cli-multi{k=v}", *files, at=T0 + 100)
    assert r.returncode == 0, r.describe()
    assert "pushed 7/7" in r.stderr, r.stderr
    assert r.stdout.startswith("pushed 7 profiles ("), r.stdout
    want = oracle.top(files, "cpu", "nanoseconds")
    out = query_pprof(stackyard, srv, CPU + '{service_name="cli-multi"}',
                      tmp_path / "multi.pb.gz")
    got = oracle.top([out], "cpu", "nanoseconds")
    assert got.total == want.total
    assert got.rows == want.rows
    # One profile per second from --at: the 7th is at T0+106 and alone there.
    sel = CPU + '{service_name="cli-multi"}'
    r = stackyard("query", "--server", srv.url, "--from", str(T0 + 106),
                  "--until", str(T0 + 107), "--format", "folded", sel)
    assert r.returncode == 0, r.describe()
    one = oracle.top(cpu[:1], "cpu", "nanoseconds").total
    assert sum(int(ln.rsplit(" ", 1)[1]) for ln in r.stdout.splitlines() if ln) == one


def test_push_uses_profile_time_without_at(stackyard, oracle, srv):
    path = td("etcd-heap.pb.gz")
    tn = None
    data = gzip.decompress(open(path, "rb").read())
    for f, w, v in oracle_mod._fields(data):
        if f == 9 and w == 0:
            tn = v
    assert tn, "testdata profile has no time_nanos"
    assert push(stackyard, srv, "cli-own-time", path, at=None).returncode == 0
    sel = 'memory:inuse_space:bytes:space:bytes{service_name="cli-own-time"}'
    r = stackyard("query", "--server", srv.url, "--from", str(tn),
                  "--until", str(tn + 1), "--format", "folded", sel)
    assert r.returncode == 0, r.describe()
    want = oracle.top([path], "inuse_space", "bytes").total
    assert sum(int(ln.rsplit(" ", 1)[1]) for ln in r.stdout.splitlines() if ln) == want


def test_bad_file_is_named_and_the_others_pushed(stackyard, oracle, srv, bad_inputs):
    good = [td("etcd-cpu.pb.gz"), td("prometheus-cpu.pb.gz")]
    bad = bad_inputs["truncated-gzip"]
    r = push(stackyard, srv, "cli-bad", good[0], bad, bad_inputs["missing"], good[1],
             at=T0 + 500)
    assert r.returncode == 1, r.describe()
    errs = r.stderr.strip().splitlines()
    assert len(errs) == 2, r.stderr
    assert errs[0].startswith("stackyard: " + bad + ": "), errs
    assert errs[1].startswith("stackyard: " + bad_inputs["missing"] + ": "), errs
    assert "pushed 2 profiles" in r.stdout and "2 of 4 failed" in r.stdout, r.stdout
    want = oracle.top(good, "cpu", "nanoseconds").total
    r = query(stackyard, srv, CPU + '{service_name="cli-bad"}', "--format", "folded")
    assert sum(int(ln.rsplit(" ", 1)[1]) for ln in r.stdout.splitlines() if ln) == want


def test_server_refusal_is_shown(stackyard, srv):
    # Decodes locally, refused by the server: its JSON message is shown.
    r = push(stackyard, srv, "bad app name", td("etcd-cpu.pb.gz"))
    assert r.returncode == 1, r.describe()
    assert "application name" in r.stderr and "etcd-cpu.pb.gz" in r.stderr, r.stderr
    assert '{"error"' not in r.stderr


def test_bad_selector_shows_server_message(stackyard, srv):
    r = query(stackyard, srv, "nope{")
    assert r.returncode == 1, r.describe()
    assert r.stderr.startswith("stackyard: query: "), r.stderr
    assert "selector" in r.stderr and '{"error"' not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = query(stackyard, srv, '{service_name="x"}')
    assert r.returncode == 1 and "profile type" in r.stderr, r.describe()


def test_server_down(stackyard, tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    r = stackyard("query", "--server", url, CPU)
    assert r.returncode == 1, r.describe()
    assert r.stderr == "stackyard: server %s: connection refused\n" % url
    r = stackyard("push", "--server", url, "--name", "x", td("etcd-cpu.pb.gz"),
                  td("prometheus-cpu.pb.gz"))
    assert r.returncode == 1, r.describe()
    assert r.stderr == "stackyard: server %s: connection refused\n" % url
    out = tmp_path / "never.pb.gz"
    r = stackyard("query", "--server", url, "--format", "pprof", "-o", out, CPU)
    assert r.returncode == 1 and not out.exists()


def test_pprof_refuses_a_terminal(stackyard, srv):
    master, slave = pty.openpty()
    try:
        p = subprocess.run([STACKYARD_BIN, "query", "--server", srv.url,
                            "--format", "pprof", CPU], stdout=slave,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 2
    assert b"-o FILE" in p.stderr
    # Not a terminal: the gzipped profile goes to standard output.
    assert push(stackyard, srv, "cli-stdout", td("etcd-cpu.pb.gz")).returncode == 0
    r = query(stackyard, srv, CPU + '{service_name="cli-stdout"}', "--format", "pprof")
    assert r.returncode == 0 and r.stdout_bytes[:2] == b"\x1f\x8b", r.describe()
