"""Fixtures for the integration tests: the binary under test, the profile
generator, the `go tool pprof` oracle and generated inputs.

Environment:
  STACKYARD_BIN    the stackyard binary (default /work/main/bin/stackyard,
                   else <repo>/bin/stackyard)
  STACKYARD_TOOLS  directory holding genprof (default <repo>/build/tools)
  STACKYARD_TESTDATA  real profiles (default /work/shared/testdata/pprof)

Missing prerequisites (binary, genprof, go) FAIL the tests that need them,
with a message saying what is missing; nothing is skipped.
"""

import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import zlib

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle as oracle_mod  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _first_existing(*paths):
    for p in paths:
        if p and os.path.exists(p):
            return p
    return paths[0]


STACKYARD_BIN = os.environ.get("STACKYARD_BIN") or _first_existing(
    "/work/main/bin/stackyard", os.path.join(REPO, "bin", "stackyard"))
STACKYARD_TOOLS = os.environ.get("STACKYARD_TOOLS") or _first_existing(
    "/work/main/build/tools", os.path.join(REPO, "build", "tools"))
TESTDATA = os.environ.get("STACKYARD_TESTDATA") or _first_existing(
    "/work/shared/testdata/pprof", os.path.join(REPO, "testdata", "pprof"))

TIMEOUT = 120


def real_profiles():
    return sorted(glob.glob(os.path.join(TESTDATA, "*.pb.gz")))


class Result:
    def __init__(self, args, p):
        self.args = args
        self.returncode = p.returncode
        self.stdout_bytes = p.stdout
        self.stdout = p.stdout.decode("utf-8", "replace")
        self.stderr = p.stderr.decode("utf-8", "replace")

    def describe(self):
        return "$ %s\nexit %d\nstderr: %s\nstdout: %s" % (
            " ".join(self.args), self.returncode, self.stderr[-3000:],
            self.stdout[:1000])

    def json(self):
        assert self.returncode == 0, self.describe()
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise AssertionError("output is not JSON (%s)\n%s" %
                                 (e, self.describe()))


class Stackyard:
    def __init__(self, path):
        self.path = path

    def __call__(self, *args, timeout=TIMEOUT, stdin=None):
        args = [str(a) for a in args]
        full = [self.path] + args
        p = subprocess.run(full, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout,
                           stdin=stdin if stdin is not None
                           else subprocess.DEVNULL)
        return Result(full, p)

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, r.describe()
        return r

    def top(self, paths, sample_type=None, extra=()):
        """`stackyard pprof top --json` parsed."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        args = ["pprof", "top", "--json"]
        if sample_type is not None:
            args += ["--sample-type", sample_type]
        return self.ok(*(args + list(extra) + list(paths))).json()


def go_build(tmp_path_factory, name, src, what):
    """Builds the Go program src (GOPATH mode, no cgo) with Debian's Go into
    a fresh temporary directory and returns the executable. A missing `go`
    fails the test, saying that it builds `what`."""
    go = shutil.which("go")
    if not go:
        pytest.fail("`go` not found: Debian's golang-go builds %s "
                    "(scripts/deps.sh installs it)" % what, pytrace=False)
    d = tmp_path_factory.mktemp(name)
    env = dict(os.environ, GOCACHE=str(d / "cache"), GOPATH=str(d / "gopath"),
               GO111MODULE="off", CGO_ENABLED="0")
    exe = d / name
    subprocess.run([go, "build", "-o", str(exe), src], check=True, env=env,
                   capture_output=True, timeout=300)
    return exe


@pytest.fixture(scope="session")
def stackyard():
    if not (os.path.isfile(STACKYARD_BIN) and os.access(STACKYARD_BIN, os.X_OK)):
        pytest.fail("stackyard binary %r not found or not executable; build "
                    "it (make) or set STACKYARD_BIN" % STACKYARD_BIN,
                    pytrace=False)
    return Stackyard(STACKYARD_BIN)


@pytest.fixture(scope="session")
def oracle():
    o = oracle_mod.Oracle()
    if not o.go:
        pytest.fail("`go` not found: Debian's golang-go (go tool pprof) is a "
                    "declared test dependency and the oracle of these "
                    "tests; install it (scripts/deps.sh)", pytrace=False)
    return o


class Genprof:
    """Generates profiles once per session, cached by arguments."""

    def __init__(self, tool, outdir):
        self.tool = tool
        self.outdir = outdir
        self.cache = {}

    def __call__(self, seed=1, **opts):
        args = ["--seed", str(seed)]
        for k in sorted(opts):
            v = opts[k]
            flag = "--" + k.replace("_", "-")
            if v is True:
                args.append(flag)
            elif v is False:
                args.append("--no-" + k.replace("_", "-"))
            else:
                args += [flag, str(v)]
        key = tuple(args)
        if key in self.cache:
            return self.cache[key]
        name = "gen" + "".join(a.strip("-").replace("-", "") + "_"
                               for a in args).rstrip("_") + ".pb.gz"
        out = os.path.join(self.outdir, name)
        p = subprocess.run([self.tool] + args + ["-o", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        assert p.returncode == 0, "genprof %s failed: %s" % (
            " ".join(args), p.stderr.decode("utf-8", "replace"))
        self.cache[key] = out
        return out


@pytest.fixture(scope="session")
def genprof(tmp_path_factory):
    tool = os.path.join(STACKYARD_TOOLS, "genprof")
    if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
        pytest.fail("genprof %r not found; build it (make tools) or set "
                    "STACKYARD_TOOLS" % tool, pytrace=False)
    return Genprof(tool, str(tmp_path_factory.mktemp("gen")))


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory):
    """Invalid input files, by kind -> path."""
    d = tmp_path_factory.mktemp("bad")
    files = {}

    p = d / "notes.txt"
    p.write_text("this is not a profile\njust text\n")
    files["text"] = str(p)

    p = d / "empty.pb.gz"
    p.write_bytes(b"")
    files["empty"] = str(p)

    real = os.path.join(TESTDATA, "etcd-cpu.pb.gz")
    with open(real, "rb") as f:
        data = f.read()
    p = d / "truncated.pb.gz"
    p.write_bytes(data[: len(data) // 2])
    files["truncated-gzip"] = str(p)

    raw = gzip.decompress(data)
    p = d / "truncated-raw.pb"
    p.write_bytes(raw[: len(raw) * 2 // 3])
    files["truncated-raw"] = str(p)

    p = d / "garbage.pb.gz"
    p.write_bytes(gzip.compress(bytes(range(256)) * 64))
    files["gzipped-garbage"] = str(p)

    # 200 MiB of zeros, gzipped at level 9 (~200 KB on disk).
    p = d / "bomb.pb.gz"
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    with open(p, "wb") as f:
        for _ in range(200):
            f.write(co.compress(chunk))
        f.write(co.flush())
    files["gzip-bomb"] = str(p)

    files["missing"] = str(d / "does-not-exist.pb.gz")
    return files
