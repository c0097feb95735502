"""format=pprof is full fidelity: pushed real profiles come back from
/api/v1/query?format=pprof (and /api/v1/profile, stackyard query --format
pprof) with their mappings, addresses, file names, line numbers and inlined
frames, summed across pushes and blocks as `go tool pprof` merges the
original files. The oracle is `go tool pprof` on the inputs: -raw (every
location of every sample), -lines -top, -addresses -top and -list."""
import os
import re
import subprocess

import pytest

from conftest import TESTDATA
import oracle as oracle_mod
from test_server import Server, T0

BLOCK = 7200  # the server's default block duration: pushes span two blocks

CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
# (file, seconds after T0): the same programs again in the next block.
CPU_PUSHES = [("etcd-cpu.pb.gz", 0), ("prometheus-cpu.pb.gz", 10),
              ("gocompile-nethttp-cpu.pb.gz", 20), ("etcd-cpu.pb.gz", BLOCK + 30),
              ("gocompile-nethttp-cpu.pb.gz", BLOCK + 40)]
HEAP_PUSHES = [("etcd-heap.pb.gz", 0), ("prometheus-heap.pb.gz", 10),
               ("etcd-heap.pb.gz", BLOCK + 20)]
RANGE = {"from": str(T0 - 60), "until": str(T0 + 2 * BLOCK)}

SAMPLE_RE = re.compile(r"^\s*(-?\d+(?:\s+-?\d+)*):((?:\s+\d+)*)\s*$")
LOC_RE = re.compile(r"^\s*(\d+): (0x[0-9a-f]+)(?: M=(\d+))? ?(.*)$")
MAP_RE = re.compile(r"^(\d+): (.*?)\s*$")


def path_of(name):
    return os.path.join(TESTDATA, name)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("pprofout") / "data")
    for pushes, svc in ((CPU_PUSHES, "fullcpu"), (HEAP_PUSHES, "fullheap")):
        for name, dt in pushes:
            status, body, _ = s.ingest(open(path_of(name), "rb").read(), svc,
                                       at=T0 + dt)
            assert status == 200, body
    yield s
    assert s.stop() == 0


def download(srv, tmp_path, ptype, svc, name, endpoint="/api/v1/query", **extra):
    params = dict(RANGE, format="pprof", query='%s{service_name="%s"}' % (ptype, svc))
    params.update(extra)
    status, body, headers = srv.get(endpoint, **params)
    assert status == 200, body[:500]
    assert body[:2] == b"\x1f\x8b", "not gzipped pprof"
    out = tmp_path / name
    out.write_bytes(body)
    return str(out)


def parse_raw(text):
    """`go tool pprof -raw` as (header lines, sample types, samples, locations,
    mappings); samples are (values, location ids), locations id -> (address,
    mapping id, [line text, ...]) with inlined lines in order."""
    header, types, samples, locs, maps = {}, [], [], {}, {}
    section, last = None, None
    for line in text.splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            section = line
            continue
        if section is None:
            k, _, v = line.partition(": ")
            header[k] = v
        elif section == "Samples:":
            if not types:
                types = line.split()
                continue
            m = SAMPLE_RE.match(line)
            if m:  # other lines are the sample's labels
                samples.append(([int(v) for v in m.group(1).split()],
                                [int(i) for i in m.group(2).split()]))
        elif section == "Locations":
            m = LOC_RE.match(line)
            if m:
                last = int(m.group(1))
                locs[last] = (m.group(2), m.group(3), [m.group(4)] if m.group(4) else [])
            elif line.strip():
                locs[last][2].append(line.strip())
        elif section == "Mappings":
            m = MAP_RE.match(line)
            if m:
                maps[m.group(1)] = oracle_mod.FLAGS_RE.sub("", m.group(2)).strip()
    return header, types, samples, locs, maps


def stacks(raw, column):
    """Value of sample type `column` per stack of full locations (address,
    mapping, lines): ids are the profile's own, so they are resolved."""
    _, types, samples, locs, maps = raw
    vi = types.index(column)
    out = {}
    for values, ids in samples:
        key = tuple((locs[i][0], maps.get(locs[i][1], ""), tuple(locs[i][2]))
                    for i in ids)
        out[key] = out.get(key, 0) + values[vi]
    return {k: v for k, v in out.items() if v}


def check_raw(oracle, got, inputs, column, start="10:00:00"):
    raw_got = parse_raw(oracle.raw([got]))
    raw_want = parse_raw(oracle.raw(inputs))
    assert raw_got[1] == [column]
    for k in ("PeriodType", "Period"):
        assert raw_got[0].get(k) == raw_want[0].get(k), k
    # Every push said from=at, until=at+10: ten seconds each (pprof prints
    # the Duration string cut to four characters).
    assert len(inputs) < 6
    assert raw_got[0]["Duration"] == ("%ds" % (10 * len(inputs)))[:4]
    assert raw_got[0]["Time"].startswith("2026-11-25 %s " % start)
    got, want = stacks(raw_got, column), stacks(raw_want, column)
    assert len(got) == len(want) > 10
    assert got == want
    # Really symbolized: file names, line numbers and inlined frames.
    lines = [l for _, _, ls in raw_got[3].values() for l in ls]
    assert all(re.search(r" (\S+\.(go|s)|<autogenerated>):\d+ s=\d+", l) for l in lines)
    assert any(len(ls) > 1 for _, _, ls in raw_got[3].values()), "no inlined frames"
    assert all(a != "0x0" for a, _, _ in raw_got[3].values())


def pprof_top(oracle, paths, st, unit, *flags):
    args = ["-top", "-nodefraction=0", "-edgefraction=0", "-nodecount=0",
            "-symbolize=none", "-sample_index=" + st] + list(flags)
    if unit in oracle_mod.PPROF_UNIT:
        args.append("-unit=" + oracle_mod.PPROF_UNIT[unit])
    return oracle_mod.parse_top(oracle.run(args + list(paths))[1])


def test_query_pprof_equals_merged_inputs(srv, oracle, tmp_path):
    got = download(srv, tmp_path, CPU, "fullcpu", "cpu.pb.gz")
    inputs = [path_of(n) for n, _ in CPU_PUSHES]
    check_raw(oracle, got, inputs, "cpu/nanoseconds")
    for flags in (["-lines"], ["-addresses"]):
        g = pprof_top(oracle, [got], "cpu", "nanoseconds", *flags)
        w = pprof_top(oracle, inputs, "cpu", "nanoseconds", *flags)
        assert g.total == w.total
        assert g.rows == w.rows, flags
        assert any(re.search(r"\.go:\d+$", n) for n in g.rows), flags
        if flags == ["-addresses"]:
            assert all(re.match(r"^[0-9a-f]{16} ", n) for n in g.rows)


def test_list_shows_the_same_source_lines(srv, oracle, tmp_path):
    got = download(srv, tmp_path, CPU, "fullcpu", "cpu.pb.gz")
    inputs = [path_of(n) for n, _ in CPU_PUSHES]
    goroot = subprocess.run([oracle.go, "env", "GOROOT"], stdout=subprocess.PIPE,
                            check=True).stdout.decode().strip()
    src = os.path.join(goroot, "src")
    w = pprof_top(oracle, inputs, "cpu", "nanoseconds")
    # The hottest functions (cum) whose source Debian's Go ships: the
    # runtime's (etcd, Prometheus) and the compiler's (absolute paths).
    names = [n for n in sorted(w.rows, key=lambda n: -w.rows[n][1])
             if n.startswith(("runtime.", "cmd/compile/"))][:3]
    assert len(names) == 3
    for name in names:
        args = ["-list", "^" + re.escape(name) + "$", "-source_path=" + src,
                "-symbolize=none", "-sample_index=cpu"]
        g = oracle.run(args + [got])[1]
        want = oracle.run(args + inputs)[1]
        assert "ROUTINE" in g and "could not find file" not in g, g[:500]
        assert re.search(r"^\s+\S+\s+\S+\s+\d+:", g, re.M), "no source lines"
        assert g == want, name


def test_heap_every_sample_type(srv, oracle, tmp_path):
    inputs = [path_of(n) for n, _ in HEAP_PUSHES]
    for st, unit in (("inuse_space", "bytes"), ("alloc_objects", "count")):
        ptype = "memory:%s:%s:space:bytes" % (st, unit)
        got = download(srv, tmp_path, ptype, "fullheap", st + ".pb.gz")
        check_raw(oracle, got, inputs, "%s/%s" % (st, unit))


def test_profile_endpoint_and_cli(srv, oracle, stackyard, tmp_path):
    """The single-profile view and `stackyard query --format pprof` give the
    same full profile."""
    name, dt = CPU_PUSHES[2]
    got = download(srv, tmp_path, CPU, "fullcpu", "one.pb.gz", endpoint="/api/v1/profile",
                   at=str(T0 + dt))
    check_raw(oracle, got, [path_of(name)], "cpu/nanoseconds", start="10:00:%02d" % dt)
    out = tmp_path / "cli.pb.gz"
    stackyard.ok("query", "--server", srv.url, CPU + '{service_name="fullcpu"}',
                 "--from", RANGE["from"], "--until", RANGE["until"],
                 "--format", "pprof", "-o", str(out))
    check_raw(oracle, str(out), [path_of(n) for n, _ in CPU_PUSHES], "cpu/nanoseconds")


def test_empty_selection_is_a_valid_profile(srv, oracle, tmp_path):
    got = download(srv, tmp_path, CPU, "nosuchservice", "empty.pb.gz")
    ok, err = oracle.loads(got)
    assert ok, err
    raw = parse_raw(oracle.raw([got]))
    assert raw[1] == ["cpu/nanoseconds"] and raw[2] == []


def test_concurrent_pprof_queries_while_pushing(srv, oracle, tmp_path):
    """pprof merges share store-wide caches with each other and with flame
    graph merges: run them side by side while profiles arrive, then check
    the final answer against go tool pprof."""
    import threading
    files = [path_of(n) for n in ("etcd-cpu.pb.gz", "gocompile-nethttp-cpu.pb.gz")]
    errors = []
    params = dict(RANGE, query=CPU + '{service_name="conc"}')

    def pusher():
        for k in range(8):
            status, body, _ = srv.ingest(open(files[k % 2], "rb").read(), "conc",
                                         at=T0 + 1000 + k)
            if status != 200:
                errors.append(("push", status, body[:200]))

    def querier(fmt):
        for _ in range(6):
            status, body, _ = srv.get("/api/v1/query", format=fmt, **params)
            if status != 200:
                errors.append((fmt, status, body[:200]))

    threads = [threading.Thread(target=pusher)] + [
        threading.Thread(target=querier, args=(f,)) for f in ("pprof", "pprof", "flamegraph")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    got = download(srv, tmp_path, CPU, "conc", "conc.pb.gz")
    raw_got = parse_raw(oracle.raw([got]))
    raw_want = parse_raw(oracle.raw([files[k % 2] for k in range(8)]))
    assert stacks(raw_got, "cpu/nanoseconds") == stacks(raw_want, "cpu/nanoseconds")
