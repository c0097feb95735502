"""Regression finding end to end: `GET /api/v1/regress` and `stackyard
regress` on generated profile sets with a regression of known size
(tests/tools/genregress), on bad input, offline on files, and on a real Go
program in two versions (tests/regress/goapp, -slow makes score() three
times slower) scraped by the server."""
import json
import os
import subprocess
import time

import pytest

from conftest import STACKYARD_BIN, STACKYARD_TOOLS, go_build
from test_server import Server, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
GOAPP = os.path.join(HERE, "..", "regress", "goapp", "main.go")
T0 = 1795600800
CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"


def run(*args, timeout=120):
    p = subprocess.run([STACKYARD_BIN] + [str(a) for a in args],
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def genregress(outdir, prefix, seed, inject=None, kind="cpu", profiles=30, t0=T0):
    tool = os.path.join(STACKYARD_TOOLS, "genregress")
    if not os.access(tool, os.X_OK):
        pytest.fail("genregress %r not found; build it (make tools)" % tool, pytrace=False)
    args = [tool, "--program", "4", "--seed", str(seed), "--profiles", str(profiles),
            "--type", kind, "--time", str(t0), "-o", os.path.join(str(outdir), prefix)]
    if inject is not None:
        args += ["--inject-rank", str(inject), "--by", "0.05"]
    p = subprocess.run(args, capture_output=True, check=True, timeout=60)
    files = sorted(os.path.join(str(outdir), f) for f in os.listdir(str(outdir))
                   if f.startswith(prefix + "-"))
    return p.stdout.decode().strip(), files


def first_function(out):
    """The function of row 1 of the table's function list."""
    for line in out.splitlines():
        if line.split()[:1] == ["1"]:
            return line.split()[-1]
    raise AssertionError("no row 1 in:\n" + out)


def push(server, files, name, t0=T0):
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            status, body, _ = server.ingest(fh.read(), name, at=t0 + 10 * i)
        assert status == 200, body


def type_of(server, svc, sample_type):
    types = server.get_json("/api/v1/profile-types", query='{service_name="%s"}' % svc,
                            **{"from": str(T0 - 60), "until": str(T0 + 3600)})
    got = [t for t in types["profile_types"] if (":%s:" % sample_type) in t]
    assert got, types
    return got[0]


def regress(server, base, target, **params):
    params.update({"base": base, "target": target,
                   "from": params.get("from", str(T0 - 60)),
                   "until": params.get("until", str(T0 + 3600))})
    return server.get("/api/v1/regress", **params)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("regress") / "data")
    yield s
    assert s.stop() == 0


KINDS = [("cpu", "cpu"), ("heap", "alloc_space"), ("goroutine", "goroutine"),
         ("mutex", "delay"), ("block", "contentions")]


@pytest.mark.parametrize("kind,sample_type", KINDS)
def test_injected_regression_ranks_first(server, tmp_path, kind, sample_type):
    svc = "gen-" + kind
    _, base = genregress(tmp_path, "base", seed=1, kind=kind)
    injected, target = genregress(tmp_path, "target", seed=2, inject=2, kind=kind)
    push(server, base, '%s{version=1}' % svc)
    push(server, target, '%s{version=2}' % svc)
    pt = type_of(server, svc, sample_type)
    status, body, _ = regress(server, '%s{service_name="%s",version="1"}' % (pt, svc),
                              '%s{service_name="%s",version="2"}' % (pt, svc),
                              threshold="1%", confidence="0.99")
    assert status == 200, body
    rep = json.loads(body)
    assert rep["base"]["profiles"] == 30 and rep["target"]["profiles"] == 30
    top = rep["functions"][0]
    assert top["name"] == injected, [f["name"] for f in rep["functions"][:5]]
    assert top["verdict"] == "regression" and top["self"]["verdict"] == "regression"
    assert top["self"]["lo"] < 0.05 < top["self"]["hi"], top["self"]
    assert rep["paths"][0]["frames"][-1] == injected
    assert rep["regressed"] is True

    # No injection: two samples of the same program, nothing flagged.
    _, again = genregress(tmp_path, "again", seed=3, kind=kind)
    push(server, again, '%s{version=3}' % svc)
    status, body, _ = regress(server, '%s{service_name="%s",version="1"}' % (pt, svc),
                              '%s{service_name="%s",version="3"}' % (pt, svc),
                              threshold="0", confidence="0.99")
    assert status == 200, body
    rep = json.loads(body)
    assert rep["regressions"] == 0 and rep["improvements"] == 0, rep["functions"][:3]
    assert all(p["verdict"] == "noise" for p in rep["paths"])


def test_formats_and_cli_exit_codes(server, tmp_path):
    _, base = genregress(tmp_path, "base", seed=11)
    injected, target = genregress(tmp_path, "target", seed=12, inject=1)
    push(server, base, 'cli{version=1}')
    push(server, target, 'cli{version=2}')
    b = CPU + '{service_name="cli",version="1"}'
    t = CPU + '{service_name="cli",version="2"}'
    status, body, headers = regress(server, b, t, format="markdown")
    assert status == 200 and "text/markdown" in headers["Content-Type"]
    md = body.decode()
    assert "**Verdict: REGRESSION**" in md and "| 1 | `%s` |" % injected in md
    status, body, _ = regress(server, b, t, format="table")
    assert status == 200 and injected in body.decode()

    common = ["--server", server.url, "--from", str(T0 - 60), "--until", str(T0 + 3600)]
    rc, out, err = run("regress", *common, "--base", b, "--target", t, "--threshold", "2%")
    assert rc == 1, (out, err)
    assert "REGRESSION" in out and first_function(out) == injected, out
    rc, out, err = run("regress", *common, "--base", b, "--target", t, "--format", "markdown")
    assert rc == 1 and "| 1 | `%s` |" % injected in out, (out, err)
    rc, out, err = run("regress", *common, "--base", b, "--target", t, "--format", "json")
    assert rc == 1 and json.loads(out)["functions"][0]["name"] == injected, err
    # The other way round it is an improvement: exit 0.
    rc, out, err = run("regress", *common, "--base", t, "--target", b)
    assert rc == 0, (out, err)
    assert "improvement" in out
    # A threshold above the injected size: nothing beyond it, exit 0.
    rc, out, err = run("regress", *common, "--base", b, "--target", t, "--threshold", "20%")
    assert rc == 0, (out, err)


def test_bad_input(server, tmp_path):
    _, base = genregress(tmp_path, "base", seed=21, profiles=3)
    push(server, base, 'few{version=1}')
    _, heap = genregress(tmp_path, "heap", seed=22, kind="heap", profiles=6)
    push(server, heap, 'few{version=2}')
    few = CPU + '{service_name="few",version="1"}'
    cases = [
        ({"base": CPU + '{service_name="nothing"}', "target": few}, 422,
         "base: no profiles match"),
        ({"base": few, "target": few}, 422, "too few profiles to judge: base has 3"),
        ({"base": few, "target": 'memory:alloc_space:bytes:space:bytes{service_name="few"}'},
         400, "incompatible profile types"),
        ({"base": few, "target": few, "threshold": "5"}, 400, "threshold"),
        ({"base": few, "target": few, "confidence": "2"}, 400, "confidence"),
        ({"base": few, "target": few, "format": "xml"}, 400, "format"),
        ({"target": few}, 400, "base: missing"),
        ({"base": "{service_name=\"few\"}", "target": few}, 400, "must name a profile type"),
        ({"base": few, "target": "cpu{", }, 400, "target"),
        ({"base": few, "target": few, "from": "yesterday"}, 400, "from"),
        # strtoull() skips blanks and wraps "-5"; 21 digits overflow: both
        # used to read as "every row" instead of an error.
        ({"base": few, "target": few, "limit": " -5"}, 400, "limit"),
        ({"base": few, "target": few, "limit": "999999999999999999999"}, 400, "limit"),
    ]
    for params, code, msg in cases:
        params.setdefault("from", str(T0 - 60))
        params.setdefault("until", str(T0 + 3600))
        status, body, _ = server.get("/api/v1/regress", **params)
        assert status == code, (params, status, body)
        assert msg in json.loads(body)["error"], (params, body)

    common = ["--server", server.url, "--from", str(T0 - 60), "--until", str(T0 + 3600)]
    rc, out, err = run("regress", *common, "--base", few, "--target", few)
    assert rc == 2 and "too few profiles to judge" in err, (rc, err)
    rc, out, err = run("regress", *common, "--base", few)
    assert rc == 2 and "--base and --target" in err
    rc, out, err = run("regress", "--server", "http://127.0.0.1:%d" % free_port(),
                       "--base", few, "--target", few)
    assert rc == 2 and "127.0.0.1" in err
    rc, out, err = run("regress", *common, "--base", few, "--target", few, "--threshold", "x")
    assert rc == 2 and "threshold" in err


def test_offline_files(tmp_path):
    _, base = genregress(tmp_path, "base", seed=31)
    injected, target = genregress(tmp_path, "target", seed=32, inject=3)
    _, same = genregress(tmp_path, "same", seed=33)
    rc, out, err = run("regress", "--base-files", *base, "--target-files", *target)
    assert rc == 1, (out, err)
    assert first_function(out) == injected, out
    # Quoted globs are expanded by stackyard itself.
    rc, out, err = run("regress", "--base-files", os.path.join(str(tmp_path), "base-*.pb.gz"),
                       "--target-files", os.path.join(str(tmp_path), "same-*.pb.gz"),
                       "--format", "json")
    assert rc == 0, (out, err)
    rep = json.loads(out)
    assert rep["regressions"] == 0 and rep["base"]["profiles"] == 30
    assert rep["profile_type"] == CPU
    # Incompatible types, too few files, no match, unreadable files.
    _, heap = genregress(tmp_path, "heap", seed=34, kind="heap", profiles=5)
    rc, out, err = run("regress", "--base-files", *base, "--target-files", *heap)
    assert rc == 2 and "incompatible profile types" in err, err
    rc, out, err = run("regress", "--base-files", *base[:4], "--target-files", *target)
    assert rc == 2 and "too few profiles to judge: base has 4" in err, err
    rc, out, err = run("regress", "--base-files", os.path.join(str(tmp_path), "none-*.pb.gz"),
                       "--target-files", *target)
    assert rc == 2 and "no files match" in err, err
    bad = tmp_path / "bad.pb.gz"
    bad.write_bytes(b"not a profile")
    rc, out, err = run("regress", "--base-files", *base, str(bad), "--target-files", *target)
    assert rc == 2 and "bad.pb.gz" in err, err


# ---- a real Go program in two versions, scraped --------------------------------

@pytest.fixture(scope="module")
def goapp_exe(tmp_path_factory):
    return go_build(tmp_path_factory, "regressapp", GOAPP, "the test program")


def wait_for_verdict(s, base, target, start, deadline):
    """Polls the regress API until score's regression is clear of the noise
    or the deadline passes; returns the last report. Under a loaded machine
    the programs get little CPU, so profiles hold few samples and it takes
    more of them to see past the sampling noise."""
    rep = None
    while time.time() < deadline:
        time.sleep(2)
        status, body, _ = s.get("/api/v1/regress", base=base, target=target,
                                threshold="5%", **{"from": str(start), "until": "now"})
        if status != 200:
            assert status == 422, body  # not enough profiles yet
            continue
        rep = json.loads(body)
        if (min(rep["base"]["profiles"], rep["target"]["profiles"]) >= 8 and
                rep["functions"][0]["verdict"] == "regression"):
            break
    return rep


def test_go_program_two_versions(goapp_exe, tmp_path):
    # Without async preemption the loops' samples stay in their own
    # functions instead of landing in runtime.asyncPreempt.
    env = dict(os.environ, GODEBUG="asyncpreemptoff=1")
    procs, addrs, s = [], [], None
    for extra in ([], ["-slow"]):
        port = free_port()
        procs.append(subprocess.Popen([str(goapp_exe), "-listen", "127.0.0.1:%d" % port] + extra,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env=env))
        addrs.append("127.0.0.1:%d" % port)
    cfg = tmp_path / "stackyard.yml"
    cfg.write_text("""scrape_configs:
  - job_name: app
    scrape_interval: 2s
    static_configs:
      - targets: ["%s"]
        labels: {version: "1"}
      - targets: ["%s"]
        labels: {version: "2"}
    profiling_config:
      pprof_config:
        memory: {enabled: false, path: /debug/pprof/allocs}
        block: {enabled: false, path: /debug/pprof/block}
        mutex: {enabled: false, path: /debug/pprof/mutex}
        goroutine: {enabled: false, path: /debug/pprof/goroutine}
        fgprof: {enabled: false, path: /debug/fgprof}
""" % tuple(addrs))
    base = CPU + '{job="app",version="1"}'
    target = CPU + '{job="app",version="2"}'
    start = int(time.time()) - 5
    try:
        s = Server(tmp_path / "data", extra=["--config", str(cfg)])
        rep = wait_for_verdict(s, base, target, start, time.time() + 70)
        assert rep is not None, "no regress answer within 70 s"
        top = rep["functions"][0]
        assert top["name"] == "main.score", [f["name"] for f in rep["functions"][:4]]
        assert top["verdict"] == "regression", top
        # score does a third of the work in version 1 and 60% in version 2.
        assert 0.1 < top["self"]["delta"] < 0.45, top["self"]
        path = rep["paths"][0]["frames"]
        assert path[-2:] == ["main.handle", "main.score"], path

        common = ["--server", s.url, "--from", str(start), "--until", "now"]
        rc, out, err = run("regress", *common, "--base", base, "--target", target,
                           "--threshold", "5%", "--format", "markdown")
        assert rc == 1, (out, err)
        assert "| 1 | `main.score` |" in out and "`main.handle` → `main.score`" in out, out
        # A threshold above the change: nothing regressed beyond it, exit 0.
        rc, out, err = run("regress", *common, "--base", base, "--target", target,
                           "--threshold", "50%")
        assert rc == 0, (out, err)
        # The other way round score improves (and parse and encode, which
        # keep their cost, take a larger share: the exit status may say so).
        rc, out, err = run("regress", *common, "--base", target, "--target", base,
                           "--threshold", "5%", "--format", "json")
        assert rc in (0, 1), (out, err)
        back = {f["name"]: f for f in json.loads(out)["functions"]}
        assert back["main.score"]["self"]["verdict"] == "improvement", back["main.score"]
    finally:
        if s is not None:
            assert s.stop() == 0
        for p in procs:
            p.kill()
            p.wait()
