"""The reference implementation the integration tests compare against:
Debian's `go tool pprof` (Go 1.19), plus a tiny independent protobuf reader
for the few header fields the tests need at collection time.

Facts this module relies on (checked on the test machines):
- `go tool pprof -top -nodefraction=0 -nodecount=0 -symbolize=none
  -sample_index=NAME [-unit=U] FILE...` lists every node (no "Dropped" line),
  merging the files first. With -unit equal to the sample unit (ns, B ...)
  values print as exact integers with a unit suffix; for "count" and unknown
  units no -unit is given and values print raw.
- The column header is "      flat  flat%   sum%        cum   cum%", then
  one row per function: flat flat% sum% cum cum% name, where the name may
  end in " (inline)" or " (partial-inline)" and may contain spaces.
- "Showing nodes accounting for X, P% of T total" gives the total (sum of
  absolute values), T.
- `-symbolize=none` keeps pprof from looking for binaries on this machine
  (it only removes a "Main binary filename not available." notice for the
  Node.js testdata; the report is the same).
"""

import gzip
import os
import re
import shutil
import subprocess
import threading

# pprof unit names for -unit, per sample unit, when the value must print
# exactly. Units not listed (count, objects, ...) are printed raw by pprof.
PPROF_UNIT = {
    "nanoseconds": "ns",
    "microseconds": "us",
    "milliseconds": "ms",
    "seconds": "s",
    "bytes": "B",
}

HEADER_RE = re.compile(r"^\s+flat\s+flat%\s+sum%\s+cum\s+cum%\s*$")
ROW_RE = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s*$")
TOTAL_RE = re.compile(r"^Showing nodes accounting for (\S+), \S+ of (\S+) total")
TYPE_RE = re.compile(r"^Type: (\S+)\s*$")
FLAGS_RE = re.compile(r"(?:\[(?:FN|FL|LN|IN)\])+$", re.M)
SUFFIXES = (" (inline)", " (partial-inline)")


class OracleError(AssertionError):
    pass


def go_binary():
    """Path of the go command, or None."""
    env = os.environ.get("GO")
    if env and os.access(env, os.X_OK):
        return env
    found = shutil.which("go")
    if found:
        return found
    if os.access("/usr/bin/go", os.X_OK):
        return "/usr/bin/go"
    return None


def parse_value(s):
    """'1212696B' -> 1212696, '5080000000ns' -> 5080000000, '-3' -> -3."""
    m = re.match(r"^(-?\d+)(?:\.0+)?([^\d.].*)?$", s)
    if not m:
        raise OracleError("pprof printed a non-integer value %r; "
                          "is -unit right for this sample type?" % s)
    return int(m.group(1))


def strip_suffix(name):
    for suf in SUFFIXES:
        if name.endswith(suf):
            return name[: -len(suf)]
    return name


class Top:
    """A parsed `go tool pprof -top`: total, type and name -> (flat, cum)."""

    def __init__(self, total, sample_type, rows, order, accounted):
        self.total = total
        self.sample_type = sample_type
        self.rows = rows          # dict name -> (flat, cum)
        self.order = order        # names in pprof's printed order
        self.accounted = accounted

    def flat(self):
        return {n: fc[0] for n, fc in self.rows.items()}

    def __repr__(self):
        return "Top(total=%d, type=%s, %d rows)" % (
            self.total, self.sample_type, len(self.rows))


def parse_top(text):
    lines = text.splitlines()
    total = accounted = None
    sample_type = None
    i = 0
    for i, line in enumerate(lines):
        if line.startswith("Dropped ") or line.startswith("Showing top "):
            raise OracleError("pprof trimmed nodes (%r); the oracle must see "
                              "them all" % line)
        m = TYPE_RE.match(line)
        if m:
            sample_type = m.group(1)
        m = TOTAL_RE.match(line)
        if m:
            accounted = parse_value(m.group(1))
            total = parse_value(m.group(2))
        if HEADER_RE.match(line):
            break
    else:
        raise OracleError("no column header in pprof output:\n" + text[:2000])
    if total is None:
        raise OracleError("no 'Showing nodes accounting for' line:\n"
                          + text[:2000])
    rows = {}
    order = []
    for line in lines[i + 1:]:
        if not line.strip():
            continue
        m = ROW_RE.match(line)
        if not m:
            raise OracleError("unparsable pprof row %r" % line)
        flat = parse_value(m.group(1))
        cum = parse_value(m.group(4))
        name = strip_suffix(m.group(6))
        if name in rows:
            # Two nodes printing the same name: keep both visible in the
            # comparison instead of silently summing them.
            raise OracleError("pprof printed function %r twice" % name)
        rows[name] = (flat, cum)
        order.append(name)
    return Top(total, sample_type, rows, order, accounted)


class Oracle:
    """Runs `go tool pprof`, caching results for the session."""

    def __init__(self, go=None, timeout=120):
        self.go = go or go_binary()
        self.timeout = timeout
        self._cache = {}
        self._lock = threading.Lock()
        self.calls = 0

    def require(self):
        if not self.go:
            raise OracleError(
                "`go` was not found (PATH, $GO or /usr/bin/go): Debian's "
                "golang-go is a declared test dependency (go tool pprof is "
                "the oracle); install it with scripts/deps.sh")

    def run(self, args, check=True):
        self.require()
        cmd = [self.go, "tool", "pprof"] + list(args)
        env = dict(os.environ)
        env.setdefault("PPROF_TMPDIR", "/tmp")
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=self.timeout, env=env)
        self.calls += 1
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise OracleError("%s failed (exit %d):\n%s" %
                              (" ".join(cmd), p.returncode, err[-2000:]))
        return p.returncode, out, err

    def top(self, paths, sample_type=None, unit=None):
        """Top of the merge of paths. sample_type is a name (or None for
        pprof's default); unit is the sample unit (to choose -unit)."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        paths = tuple(str(p) for p in paths)
        if unit is None and sample_type is not None:
            unit = sample_unit(paths[0], sample_type)
        key = ("top", paths, sample_type, unit)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        args = ["-top", "-nodefraction=0", "-edgefraction=0", "-nodecount=0",
                "-symbolize=none"]
        if sample_type is not None:
            args.append("-sample_index=" + sample_type)
        if unit in PPROF_UNIT:
            args.append("-unit=" + PPROF_UNIT[unit])
        _, out, _ = self.run(args + list(paths))
        top = parse_top(out)
        with self._lock:
            self._cache[key] = top
        return top

    def default_type(self, path):
        """The sample type name pprof picks with no -sample_index."""
        key = ("default", str(path))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        _, out, _ = self.run(["-top", "-nodecount=1", "-symbolize=none",
                              str(path)])
        t = None
        for line in out.splitlines():
            m = TYPE_RE.match(line)
            if m:
                t = m.group(1)
                break
        if t is None:
            raise OracleError("no 'Type:' line from pprof for %s" % path)
        with self._lock:
            self._cache[key] = t
        return t

    def raw(self, paths):
        """`go tool pprof -raw` of the merge of paths, with the mapping
        has_* flags ([FN][FL][LN][IN]) removed: our encoder raises them to
        say what is symbolized (see src/pprof/encode.h), Go's runtime sets
        only has_functions, and pprof's Merge copies them through."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        _, out, _ = self.run(["-raw", "-symbolize=none"] +
                             [str(p) for p in paths])
        return FLAGS_RE.sub("", out)

    def loads(self, path):
        """(ok, stderr) of `go tool pprof -raw path`."""
        rc, out, err = self.run(["-raw", "-symbolize=none", str(path)],
                                check=False)
        ok = rc == 0 and "Samples:" in out
        return ok, err


# --- A minimal, independent profile.proto header reader --------------------

def _varint(b, i):
    r = s = 0
    while True:
        if i >= len(b):
            raise ValueError("truncated varint")
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v


_HEADER_CACHE = {}


def profile_header(path):
    """{'sample_types': [(type, unit), ...], 'default': name or None,
    'nsamples': N} read directly from the (gzipped) proto."""
    path = str(path)
    if path in _HEADER_CACHE:
        return _HEADER_CACHE[path]
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings = []
    st = []
    default = 0
    nsamples = 0
    for f, w, v in _fields(data):
        if f == 1 and w == 2:
            t = u = 0
            for ff, ww, vv in _fields(v):
                if ff == 1:
                    t = vv
                elif ff == 2:
                    u = vv
            st.append((t, u))
        elif f == 2:
            nsamples += 1
        elif f == 6 and w == 2:
            strings.append(v.decode("utf-8", "replace"))
        elif f == 14 and w == 0:
            default = v
    types = [(strings[t], strings[u]) for t, u in st]
    hdr = {"sample_types": types,
           "default": strings[default] if default else None,
           "nsamples": nsamples}
    _HEADER_CACHE[path] = hdr
    return hdr


def sample_unit(path, sample_type):
    for t, u in profile_header(path)["sample_types"]:
        if t == sample_type:
            return u
    raise KeyError("%s has no sample type %r" % (path, sample_type))
