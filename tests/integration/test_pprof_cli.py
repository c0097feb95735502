"""`stackyard pprof top|merge|convert` against `go tool pprof` as the oracle.

Every comparison is exact: flat and cum per function (pprof's default
"functions" granularity, name -> (flat, cum)) and the total.
"""

import os
import re
import zlib

import pytest

import oracle as oracle_mod
from conftest import TESTDATA, real_profiles

TESTDATA_CASES = []
for _f in real_profiles():
    for _t, _u in oracle_mod.profile_header(_f)["sample_types"]:
        TESTDATA_CASES.append(pytest.param(
            _f, _t, id="%s-%s" % (os.path.basename(_f)[:-len(".pb.gz")], _t)))

# Generated profiles: (id, genprof options).
GEN_CASES = [
    ("seed1", dict(seed=1)),
    ("seed2", dict(seed=2)),
    ("seed3-sparse", dict(seed=3, sparse_ids=True)),
    ("seed4-deep", dict(seed=4, depth=60, functions=5000)),
    ("seed5-3types", dict(seed=5, sample_types=3)),
    ("seed6-7types-sparse", dict(seed=6, sample_types=7, sparse_ids=True)),
    ("seed7-plain", dict(seed=7, labels=False, inline=False)),
    ("seed8-shallow", dict(seed=8, depth=3, functions=40, samples=300)),
]
GEN_TYPES = ["samples", "cpu", "wall", "alloc_objects", "alloc_space",
             "inuse_objects", "inuse_space"]


def gen_type_cases():
    for gid, opts in GEN_CASES:
        k = opts.get("sample_types", 2)
        for t in GEN_TYPES[:k]:
            yield pytest.param(opts, t, id="%s-%s" % (gid, t))


MULTI = [dict(seed=11), dict(seed=12, sparse_ids=True), dict(seed=13),
         dict(seed=14, sparse_ids=True), dict(seed=15, labels=False)]


def rows_of(js):
    return {r["name"]: (r["flat"], r["cum"]) for r in js["rows"]}


def diff_rows(want, got, limit=12):
    """Human-readable differences between two name -> (flat, cum) dicts."""
    out = []
    for name in sorted(set(want) | set(got)):
        w, g = want.get(name), got.get(name)
        if w != g:
            out.append("  %s: expected (flat, cum) %s, got %s" % (name, w, g))
    n = len(out)
    if n > limit:
        out = out[:limit] + ["  ... and %d more" % (n - limit)]
    return n, "\n".join(out)


def assert_top_equal(want, got_js, what):
    """want: oracle Top; got_js: our --json top."""
    got = rows_of(got_js)
    n, text = diff_rows(want.rows, got)
    assert n == 0, "%s: %d functions differ from go tool pprof:\n%s" % (
        what, n, text)
    assert got_js["total"] == want.total, "%s: total %d, pprof says %d" % (
        what, got_js["total"], want.total)


def assert_sorted(js, what):
    keys = [(-abs(r["flat"]), r["name"].encode("utf-8")) for r in js["rows"]]
    assert keys == sorted(keys), "%s: rows not sorted by flat desc, name" % what


# --- a. real profiles ---------------------------------------------------------

@pytest.mark.parametrize("path,stype", TESTDATA_CASES)
def test_top_testdata_matches_pprof(stackyard, oracle, path, stype):
    want = oracle.top(path, stype)
    got = stackyard.top(path, stype)
    what = "%s --sample-type %s" % (os.path.basename(path), stype)
    assert_top_equal(want, got, what)
    unit = oracle_mod.sample_unit(path, stype)
    assert got["sample_type"] == "%s/%s" % (stype, unit), what
    assert_sorted(got, what)


@pytest.mark.parametrize("path", [pytest.param(f, id=os.path.basename(f))
                                  for f in real_profiles()])
def test_top_default_sample_type(stackyard, oracle, path):
    """No --sample-type: default_sample_type, else the last (pprof rule)."""
    dflt = oracle.default_type(path)
    got = stackyard.top(path)
    unit = oracle_mod.sample_unit(path, dflt)
    assert got["sample_type"] == "%s/%s" % (dflt, unit)
    assert_top_equal(oracle.top(path, dflt), got,
                     "%s (default type)" % os.path.basename(path))


def test_testdata_present():
    assert len(real_profiles()) >= 10, "testdata missing under %s" % TESTDATA


def test_sample_type_by_index(stackyard, oracle):
    path = os.path.join(TESTDATA, "etcd-heap.pb.gz")
    by_name = stackyard.top(path, "alloc_space")
    by_index = stackyard.top(path, "1")
    assert by_index == by_name
    assert_top_equal(oracle.top(path, "alloc_space"), by_index,
                     "etcd-heap --sample-type 1")


def test_unknown_sample_type_fails(stackyard):
    path = os.path.join(TESTDATA, "etcd-heap.pb.gz")
    r = stackyard("pprof", "top", "--sample-type", "no_such_type", path)
    assert r.returncode != 0, r.describe()
    assert r.stderr.strip(), r.describe()
    assert "no_such_type" in r.stderr, r.describe()


def test_top_limit(stackyard):
    path = os.path.join(TESTDATA, "gocompile-nethttp-cpu.pb.gz")
    full = stackyard.top(path, "cpu")
    five = stackyard.top(path, "cpu", extra=["-n", "5"])
    assert five["rows"] == full["rows"][:5]
    assert five["total"] == full["total"]


def text_rows(text):
    """The rows of a pprof-style text top as (flat, flat%, sum%, cum, cum%,
    name) string tuples, the name without its (inline) suffix."""
    rows, seen = [], False
    for line in text.splitlines():
        if oracle_mod.HEADER_RE.match(line):
            seen = True
            continue
        if seen and line.strip():
            m = oracle_mod.ROW_RE.match(line)
            assert m, "unparsable row %r" % line
            rows.append(m.groups()[:5] + (oracle_mod.strip_suffix(m.group(6)),))
    assert seen, "no column header in:\n" + text[:2000]
    return rows


@pytest.mark.parametrize("path", [pytest.param(f, id=os.path.basename(f))
                                  for f in real_profiles()])
def test_top_text_matches_pprof_text(stackyard, oracle, path):
    """The text report: same rows, values, units and percentages, in the
    same order, as `go tool pprof -top -nodefraction=0` (pprof's header
    lines and (inline) markers aside)."""
    r = stackyard.ok("pprof", "top", path)
    _, want, _ = oracle.run(["-top", "-nodefraction=0", "-nodecount=0",
                             "-symbolize=none", path])
    got_rows, want_rows = text_rows(r.stdout), text_rows(want)
    if got_rows != want_rows:
        import difflib
        d = difflib.unified_diff(["  ".join(x) for x in want_rows],
                                 ["  ".join(x) for x in got_rows],
                                 "go tool pprof -top", "stackyard pprof top",
                                 lineterm="", n=0)
        raise AssertionError("\n".join(list(d)[:30]))
    total = [ln for ln in want.splitlines()
             if ln.startswith("Showing nodes accounting for")]
    assert total and total[0] in r.stdout.splitlines(), \
        "want %r in:\n%s" % (total, r.stdout[:500])


# --- b. generated profiles ------------------------------------------------------

@pytest.mark.parametrize("opts,stype", list(gen_type_cases()))
def test_top_generated_matches_pprof(stackyard, oracle, genprof, opts, stype):
    path = genprof(**opts)
    what = "genprof %s --sample-type %s" % (opts, stype)
    got = stackyard.top(path, stype)
    assert_top_equal(oracle.top(path, stype), got, what)
    assert_sorted(got, what)


@pytest.mark.parametrize("opts", [pytest.param(o, id=i) for i, o in GEN_CASES])
def test_top_generated_default_type(stackyard, oracle, genprof, opts):
    path = genprof(**opts)
    dflt = oracle.default_type(path)
    got = stackyard.top(path)
    assert got["sample_type"].split("/")[0] == dflt
    assert_top_equal(oracle.top(path, dflt), got, "genprof %s default" % opts)


def test_genprof_deterministic(genprof, tmp_path):
    import subprocess
    a = genprof(seed=21, sparse_ids=True)
    b = tmp_path / "again.pb.gz"
    subprocess.run([genprof.tool, "--seed", "21", "--sparse-ids", "-o", str(b)],
                   check=True)
    with open(a, "rb") as f:
        assert f.read() == b.read_bytes()
    assert oracle_mod.profile_header(a)["nsamples"] == 1200


@pytest.mark.parametrize("stype", ["samples", "cpu"])
def test_top_multi_file_matches_pprof(stackyard, oracle, genprof, stype):
    paths = [genprof(**o) for o in MULTI]
    got = stackyard.top(paths, stype)
    assert_top_equal(oracle.top(paths, stype), got,
                     "top of 5 generated files, %s" % stype)


def test_top_multi_file_equals_sum_of_singles(stackyard, genprof):
    """Sanity of the oracle comparison: totals add up across files."""
    paths = [genprof(**o) for o in MULTI]
    total = sum(stackyard.top(p, "cpu")["total"] for p in paths)
    assert stackyard.top(paths, "cpu")["total"] == total


# --- c. merge -------------------------------------------------------------------

def merge_sets(genprof):
    return {
        "generated-5": [genprof(**o) for o in MULTI],
        "generated-3types": [genprof(seed=s, sample_types=3) for s in (31, 32)],
        "prometheus-cpu-x3": [os.path.join(TESTDATA, "prometheus-cpu.pb.gz")] * 3,
        "prometheus+etcd-cpu": [os.path.join(TESTDATA, "prometheus-cpu.pb.gz"),
                                os.path.join(TESTDATA, "etcd-cpu.pb.gz")],
        "prometheus+etcd-heap": [os.path.join(TESTDATA, "prometheus-heap.pb.gz"),
                                 os.path.join(TESTDATA, "etcd-heap.pb.gz")],
        "gocompile+gen": [os.path.join(TESTDATA, "gocompile-nethttp-cpu.pb.gz"),
                          genprof(seed=41)],
        # default_sample_type: the first non-empty (allocs has one).
        "prometheus-heap+allocs": [
            os.path.join(TESTDATA, "prometheus-heap.pb.gz"),
            os.path.join(TESTDATA, "prometheus-allocs.pb.gz")],
        # All-zero samples are dropped by the merge.
        "etcd+prometheus-block": [
            os.path.join(TESTDATA, "etcd-block.pb.gz"),
            os.path.join(TESTDATA, "prometheus-block.pb.gz")],
        "node-heap-x2": [os.path.join(TESTDATA, "node-heap.pb.gz")] * 2,
        "etcd+prometheus-goroutine": [
            os.path.join(TESTDATA, "etcd-goroutine.pb.gz"),
            os.path.join(TESTDATA, "prometheus-goroutine.pb.gz")],
    }


MERGE_IDS = ["generated-5", "generated-3types", "prometheus-cpu-x3",
             "prometheus+etcd-cpu", "prometheus+etcd-heap", "gocompile+gen",
             "prometheus-heap+allocs", "etcd+prometheus-block", "node-heap-x2",
             "etcd+prometheus-goroutine"]


@pytest.mark.parametrize("which", MERGE_IDS)
def test_merge_matches_pprof(stackyard, oracle, genprof, tmp_path, which):
    inputs = merge_sets(genprof)[which]
    out = tmp_path / "out.pb.gz"
    r = stackyard("pprof", "merge", "-o", out, *inputs)
    assert r.returncode == 0, r.describe()
    data = out.read_bytes()
    assert data[:2] == b"\x1f\x8b", "merge output is not gzipped"
    ok, err = oracle.loads(out)
    assert ok, "go tool pprof -raw cannot load the merge: %s" % err
    types = oracle_mod.profile_header(inputs[0])["sample_types"]
    assert oracle_mod.profile_header(out)["sample_types"] == types
    for stype, _ in types:
        want = oracle.top(inputs, stype)
        theirs = oracle.top([out], stype)
        n, text = diff_rows(want.rows, theirs.rows)
        assert n == 0, "%s/%s: pprof's top of our merge differs from " \
            "pprof's top of the inputs (%d functions):\n%s" % (
                which, stype, n, text)
        assert theirs.total == want.total
        assert_top_equal(want, stackyard.top(out, stype),
                         "%s: our top of our merge, %s" % (which, stype))
    # The whole merged profile, as `go tool pprof -raw` prints it (samples,
    # labels, locations, functions, mappings, header), equals pprof's own
    # merge of the inputs.
    assert_same_raw(oracle.raw(inputs), oracle.raw([out]), which)


def assert_same_raw(want, got, what):
    if want == got:
        return
    import difflib
    d = list(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                  "pprof", "stackyard", lineterm="", n=1))
    raise AssertionError("%s: go tool pprof -raw differs (%d diff lines):\n%s"
                         % (what, len(d), "\n".join(d[:40])))


def test_merge_single_file_roundtrip(stackyard, oracle, tmp_path):
    src = os.path.join(TESTDATA, "node-wall.pb.gz")
    out = tmp_path / "one.pb.gz"
    stackyard.ok("pprof", "merge", "-o", out, src)
    for stype, _ in oracle_mod.profile_header(src)["sample_types"]:
        want = oracle.top(src, stype)
        got = oracle.top(out, stype)
        assert got.rows == want.rows and got.total == want.total, stype


def test_merge_incompatible_fails(stackyard, tmp_path):
    out = tmp_path / "bad.pb.gz"
    cpu = os.path.join(TESTDATA, "prometheus-cpu.pb.gz")
    heap = os.path.join(TESTDATA, "prometheus-heap.pb.gz")
    r = stackyard("pprof", "merge", "-o", out, cpu, heap)
    assert r.returncode == 1, r.describe()
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.describe()
    assert re.search(r"sample[ _]type|period[ _]type", lines[0], re.I), \
        r.describe()
    assert not out.exists(), "merge left %s behind" % out


def test_top_incompatible_fails(stackyard):
    cpu = os.path.join(TESTDATA, "etcd-cpu.pb.gz")
    heap = os.path.join(TESTDATA, "etcd-heap.pb.gz")
    r = stackyard("pprof", "top", cpu, heap)
    assert r.returncode == 1, r.describe()
    assert len(r.stderr.strip().splitlines()) == 1, r.describe()
    assert re.search(r"sample[ _]type|period[ _]type", r.stderr, re.I), \
        r.describe()


# --- d. convert -----------------------------------------------------------------

CONVERT_CASES = [
    pytest.param("gen", "cpu", id="genprof-seed1-cpu"),
    pytest.param("gen-deep", "samples", id="genprof-deep-samples"),
    pytest.param("gocompile-nethttp-cpu.pb.gz", "cpu", id="gocompile-cpu"),
    pytest.param("etcd-heap.pb.gz", "alloc_space", id="etcd-heap-alloc_space"),
    pytest.param("node-wall.pb.gz", "wall", id="node-wall-wall"),
    pytest.param("prometheus-goroutine.pb.gz", "goroutine",
                 id="prometheus-goroutine"),
    pytest.param("etcd-block.pb.gz", "delay", id="etcd-block-all-zero"),
]


def convert_input(genprof, which):
    if which == "gen":
        return genprof(seed=1)
    if which == "gen-deep":
        return genprof(seed=4, depth=60, functions=5000)
    return os.path.join(TESTDATA, which)


def parse_folded(text):
    per_leaf = {}
    total = 0
    nlines = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        assert stack and re.fullmatch(r"\d+", count), \
            "bad folded line %r" % line
        n = int(count)
        leaf = stack.split(";")[-1]
        per_leaf[leaf] = per_leaf.get(leaf, 0) + n
        total += n
        nlines += 1
    return per_leaf, total, nlines


@pytest.mark.parametrize("which,stype", CONVERT_CASES)
def test_convert_folded(stackyard, oracle, genprof, which, stype):
    path = convert_input(genprof, which)
    r = stackyard.ok("pprof", "convert", "--to", "folded",
                     "--sample-type", stype, path)
    per_leaf, total, nlines = parse_folded(r.stdout)
    want = oracle.top(path, stype)
    assert total == want.total
    want_flat = {n: f for n, f in want.flat().items() if f}
    got_flat = {n: f for n, f in per_leaf.items() if f}
    n, text = diff_rows(want_flat, got_flat)
    assert n == 0, "folded: self per leaf function differs from pprof " \
        "flat (%d):\n%s" % (n, text)
    if which.startswith("gen"):
        assert all(ln.startswith("runtime.goexit;") or
                   ln.startswith("runtime.goexit ")
                   for ln in r.stdout.splitlines() if ln), "root frame"


def check_flamebearer(fb, what):
    """Structure of Pyroscope's flamebearer; returns name -> self."""
    names, levels = fb["names"], fb["levels"]
    assert isinstance(names, list) and isinstance(levels, list)
    self_by_name = {}
    prev = None  # [(x, total, self)] of the previous level
    max_self = 0
    sum_self = 0
    for d, level in enumerate(levels):
        assert len(level) % 4 == 0, "%s: level %d length %d" % (
            what, d, len(level))
        nodes = []
        x = 0
        for i in range(0, len(level), 4):
            dx, tot, slf, ni = level[i:i + 4]
            assert dx >= 0 and tot >= 0 and 0 <= slf <= tot, (what, d, i)
            assert 0 <= ni < len(names), (what, d, i, ni)
            x += dx
            nodes.append((x, tot, slf))
            x += tot
            if d > 0:
                self_by_name[names[ni]] = self_by_name.get(names[ni], 0) + slf
            max_self = max(max_self, slf)
            sum_self += slf
        if d == 0:
            assert len(nodes) == 1 and nodes[0][1] == fb["numTicks"], \
                "%s: level 0 must be the single root" % what
        else:
            # Each node lies inside a parent, and children fit in
            # parent.total - parent.self.
            room = {}
            for (x0, tot, _) in nodes:
                parent = [p for p in prev if p[0] <= x0 and
                          x0 + tot <= p[0] + p[1]]
                assert parent, "%s: level %d node at %d has no parent" % (
                    what, d, x0)
                room[parent[0][0]] = room.get(parent[0][0], 0) + tot
            for (px, ptot, pself) in prev:
                assert room.get(px, 0) + pself == ptot, \
                    "%s: level %d: children of node at x=%d sum to %d, " \
                    "total %d self %d" % (what, d, px, room.get(px, 0),
                                          ptot, pself)
        prev = nodes
    if prev is not None:
        for (_, tot, slf) in prev:
            assert tot == slf, "%s: leaf level node total != self" % what
    assert fb["maxSelf"] == max_self, "%s: maxSelf" % what
    assert sum_self == fb["numTicks"], "%s: self sums to %d, numTicks %d" % (
        what, sum_self, fb["numTicks"])
    return self_by_name


@pytest.mark.parametrize("which,stype", CONVERT_CASES)
def test_convert_json(stackyard, oracle, genprof, which, stype):
    path = convert_input(genprof, which)
    js = stackyard.ok("pprof", "convert", "--to", "json",
                      "--sample-type", stype, path).json()
    assert js["version"] == 1
    assert "metadata" in js
    fb = js["flamebearer"]
    want = oracle.top(path, stype)
    assert fb["numTicks"] == want.total
    self_by_name = check_flamebearer(fb, "%s %s" % (which, stype))
    want_flat = {n: f for n, f in want.flat().items() if f}
    got_flat = {n: f for n, f in self_by_name.items() if f}
    n, text = diff_rows(want_flat, got_flat)
    assert n == 0, "flamebearer self per function differs from pprof " \
        "flat (%d):\n%s" % (n, text)


@pytest.mark.parametrize("which,stype", CONVERT_CASES)
def test_convert_pprof(stackyard, oracle, genprof, tmp_path, which, stype):
    path = convert_input(genprof, which)
    out = tmp_path / "conv.pb.gz"
    stackyard.ok("pprof", "convert", "--to", "pprof", "-o", out, path)
    ok, err = oracle.loads(out)
    assert ok, "go tool pprof -raw cannot load the conversion: %s" % err
    want = oracle.top(path, stype)
    got = oracle.top(out, stype)
    n, text = diff_rows(want.rows, got.rows)
    assert n == 0 and got.total == want.total, \
        "pprof top of converted file differs (%d):\n%s" % (n, text)
    assert_same_raw(oracle.raw([path]), oracle.raw([out]), "convert " + which)


def test_top_raw_uncompressed_input(stackyard, oracle, tmp_path):
    """profile.proto without gzip is accepted too (pprof accepts both)."""
    import gzip
    src = os.path.join(TESTDATA, "etcd-heap.pb.gz")
    raw = tmp_path / "etcd-heap.pb"
    raw.write_bytes(gzip.decompress(open(src, "rb").read()))
    for stype in ("alloc_space", "inuse_objects"):
        assert_top_equal(oracle.top(src, stype), stackyard.top(raw, stype),
                         "uncompressed etcd-heap " + stype)


def test_convert_to_stdout_and_file_agree(stackyard, genprof, tmp_path):
    path = genprof(seed=2)
    out = tmp_path / "f.txt"
    a = stackyard.ok("pprof", "convert", "--to", "folded", path).stdout
    stackyard.ok("pprof", "convert", "--to", "folded", "-o", out, path)
    assert out.read_text() == a


# --- e. bad input ---------------------------------------------------------------

BAD_KINDS = ["text", "empty", "truncated-gzip", "truncated-raw",
             "gzipped-garbage", "gzip-bomb", "missing"]

CRASH_MARKERS = ("Traceback", "Segmentation", "AddressSanitizer",
                 "runtime error", "panic", "core dumped", "Aborted",
                 "assert")


def check_one_line_error(r, path):
    assert r.returncode == 1, r.describe()
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), \
        "want exactly one stderr line:\n" + r.describe()
    assert path in lines[0] or os.path.basename(path) in lines[0], \
        "error does not name the file:\n" + r.describe()
    for m in CRASH_MARKERS:
        assert m not in r.stderr, r.describe()


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_top(stackyard, bad_inputs, kind):
    path = bad_inputs[kind]
    r = stackyard("pprof", "top", path, timeout=60)
    check_one_line_error(r, path)
    assert r.stdout == "", r.describe()


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_among_good_files(stackyard, bad_inputs, kind):
    good = os.path.join(TESTDATA, "etcd-cpu.pb.gz")
    path = bad_inputs[kind]
    r = stackyard("pprof", "top", good, path, good, timeout=60)
    check_one_line_error(r, path)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_merge_writes_nothing(stackyard, bad_inputs, tmp_path, kind):
    good = os.path.join(TESTDATA, "etcd-cpu.pb.gz")
    path = bad_inputs[kind]
    out = tmp_path / "merged.pb.gz"
    r = stackyard("pprof", "merge", "-o", out, good, path, timeout=60)
    check_one_line_error(r, path)
    assert not out.exists(), "merge left %s behind" % out
    assert os.listdir(tmp_path) == [], "stray files: %s" % os.listdir(tmp_path)


@pytest.mark.parametrize("to", ["pprof", "folded", "json"])
@pytest.mark.parametrize("kind", ["text", "truncated-gzip", "gzip-bomb"])
def test_bad_input_convert_writes_nothing(stackyard, bad_inputs, tmp_path,
                                          kind, to):
    path = bad_inputs[kind]
    out = tmp_path / ("out." + to)
    r = stackyard("pprof", "convert", "--to", to, "-o", out, path, timeout=60)
    check_one_line_error(r, path)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_bad_input_keeps_existing_output(stackyard, bad_inputs, tmp_path):
    out = tmp_path / "keep.pb.gz"
    out.write_bytes(b"previous contents")
    path = bad_inputs["truncated-gzip"]
    r = stackyard("pprof", "merge", "-o", out, path)
    check_one_line_error(r, path)
    assert out.read_bytes() == b"previous contents"


def test_huge_gzip_bomb_rejected(stackyard, tmp_path):
    """1 GiB of zeros (over the 512 MiB decompressed cap) in ~1 MB."""
    path = tmp_path / "bomb1g.pb.gz"
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(4 << 20)
    with open(path, "wb") as f:
        for _ in range(256):
            f.write(co.compress(chunk))
        f.write(co.flush())
    r = stackyard("pprof", "top", path, timeout=60)
    check_one_line_error(r, str(path))


# --- f. version and help --------------------------------------------------------

def test_version(stackyard):
    r = stackyard.ok("--version")
    assert re.fullmatch(r"stackyard \S+\n?", r.stdout), r.describe()


@pytest.mark.parametrize("args", [["--help"], ["pprof", "--help"],
                                  ["pprof", "top", "--help"],
                                  ["pprof", "merge", "--help"],
                                  ["pprof", "convert", "--help"]],
                         ids=lambda a: " ".join(a))
def test_help(stackyard, args):
    r = stackyard.ok(*args)
    assert "usage" in r.stdout.lower(), r.describe()


def test_unknown_command_fails(stackyard):
    r = stackyard("pprof", "no-such-command")
    assert r.returncode != 0
    assert r.stderr.strip(), r.describe()
