"""The eBPF agent on this machine: real workloads (C built with frame
pointers, a stripped Go binary, a syscall-heavy program), the real agent,
`go tool pprof` and the real server as oracles.

eBPF needs root (or CAP_BPF and CAP_PERFMON). Where `stackyard agent
--check` says it is not permitted, these tests are skipped with its
message; everywhere else they run.
"""
import glob
import gzip
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import STACKYARD_BIN
from test_server import Server, free_port
import oracle as oracle_mod

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent")
FREQ = "499"          # high, so that a few seconds give thousands of samples
RATIO = 0.75          # heavy / (heavy + light) by construction
TOLERANCE = 0.05      # +-5 percentage points


@pytest.fixture(scope="module")
def permitted(stackyard):
    r = stackyard("agent", "--check")
    if r.returncode != 0:
        pytest.skip("eBPF sampling is not permitted here: %s" % r.stderr.strip())


@pytest.fixture(scope="module")
def workloads(tmp_path_factory):
    d = tmp_path_factory.mktemp("workloads")
    exe = {n: str(d / n) for n in ("burn_c", "sysc", "burn_go")}
    for src, name in (("burn.c", "burn_c"), ("sysc.c", "sysc")):
        subprocess.run(["cc", "-O1", "-fno-omit-frame-pointer", "-o", exe[name],
                        os.path.join(HERE, src)], check=True)
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="",
               GOCACHE=os.environ.get("GOCACHE", str(d / "gocache")))
    subprocess.run(["go", "build", "-ldflags=-s -w", "-o", exe["burn_go"],
                    os.path.join(HERE, "burn.go")], check=True, env=env)
    sections = subprocess.run(["readelf", "-S", exe["burn_go"]], check=True,
                              stdout=subprocess.PIPE, text=True).stdout
    assert ".symtab" not in sections and ".gopclntab" in sections, \
        "burn_go should be stripped (no .symtab) and keep .gopclntab"
    return exe


class Agent:
    """`stackyard agent ARGS` in the background, its log in a file."""

    def __init__(self, tmp, *args):
        self.logpath = str(tmp / ("agent-%d.log" % time.monotonic_ns()))
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen([STACKYARD_BIN, "agent"] + [str(a) for a in args],
                                     stdout=self.logf, stderr=self.logf)
        deadline = time.time() + 20
        while "sampling every CPU" not in self.log():
            assert self.proc.poll() is None, "agent exited:\n" + self.log()
            assert time.time() < deadline, "agent did not start:\n" + self.log()
            time.sleep(0.05)

    def log(self):
        with open(self.logpath, encoding="utf-8", errors="replace") as f:
            return f.read()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=30)
        self.logf.close()
        assert rc == 0, "agent exited %d:\n%s" % (rc, self.log())
        return self.log()


def sanitized():
    """Whether the binary under test is an AddressSanitizer build."""
    with open(STACKYARD_BIN, "rb") as f:
        return b"__asan_init" in f.read()


def top(stackyard, files):
    """{function: flat cpu ns} of the merge of files."""
    rows = stackyard.top(files, sample_type="cpu")["rows"]
    return {r["name"]: r["flat"] for r in rows}


def comments(path):
    """The profile's comments (the agent writes its labels there)."""
    raw = subprocess.run(["go", "tool", "pprof", "-comments", path], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True).stdout
    return dict(line.split("=", 1) for line in raw.splitlines() if "=" in line)


def profile_span(path):
    """(time_nanos, duration_nanos) of a gzipped pprof."""
    with open(path, "rb") as f:
        data = gzip.decompress(f.read())
    got = {f: v for f, w, v in oracle_mod._fields(data) if f in (9, 10) and w == 0}
    return got.get(9, 0), got.get(10, 0)


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else ""


@pytest.fixture(scope="module")
def run(permitted, workloads, tmp_path_factory):
    """One agent run (2 s intervals, files to a directory) over workloads all
    started after the agent: C and Go CPU burners (2 s of CPU each: about
    1000 samples at 499 Hz however loaded the machine is), a syscall-heavy
    program and a short one that exits in the middle of an interval."""
    tmp = tmp_path_factory.mktemp("agentrun")
    out = tmp / "out"
    agent = Agent(tmp, "--output", out, "--frequency", FREQ, "--interval", "2s",
                  "--comm", "burn_c", "--comm", "burn_go", "--comm", "sysc",
                  "--label", "env=agenttest")
    started = time.time()
    procs = {
        "c": subprocess.Popen([workloads["burn_c"], "2"]),
        "go": subprocess.Popen([workloads["burn_go"], "2"]),
        "sysc": subprocess.Popen([workloads["sysc"], "1.5"]),
        "short": subprocess.Popen([workloads["burn_c"], "0.3", "--short"]),
    }
    exited = {}
    while len(exited) < len(procs):
        for k, p in procs.items():
            if k not in exited and p.poll() is not None:
                assert p.returncode == 0, "workload %s failed" % k
                exited[k] = time.time()
        time.sleep(0.02)
    time.sleep(0.5)
    log = agent.stop()
    return {"out": str(out), "pids": {k: p.pid for k, p in procs.items()},
            "started": started, "exited": exited, "log": log, "exe": workloads}


def files_of(run, key, comm):
    files = sorted(glob.glob(os.path.join(run["out"], "%s-%d-*.pb.gz" %
                                          (comm, run["pids"][key]))))
    assert files, "no profile of %s (pid %d) in %s: %s\nagent log:\n%s" % (
        comm, run["pids"][key], run["out"], os.listdir(run["out"]), run["log"])
    return files


def assert_ratio(flat, heavy, light, where):
    assert heavy in flat and light in flat, \
        "%s: %s and %s not both named; top: %s" % (where, heavy, light,
                                                   sorted(flat.items(), key=lambda x: -x[1])[:10])
    share = flat[heavy] / (flat[heavy] + flat[light])
    assert abs(share - RATIO) <= TOLERANCE, \
        "%s: %s has %.1f%% of %s+%s, want %.0f%% +- %.0f" % (
            where, heavy, 100 * share, heavy, light, 100 * RATIO, 100 * TOLERANCE)


def test_c_workload_functions_and_ratio(stackyard, run):
    flat = top(stackyard, files_of(run, "c", "burn_c"))
    assert_ratio(flat, "heavy_work", "light_work", "C workload")


def test_stripped_go_workload_functions_and_ratio(stackyard, run):
    flat = top(stackyard, files_of(run, "go", "burn_go"))
    assert_ratio(flat, "main.heavyWork", "main.lightWork", "stripped Go workload")


def test_kernel_frames_of_a_syscall_heavy_workload(stackyard, run):
    files = files_of(run, "sysc", "sysc")
    merged = os.path.join(run["out"], "..", "sysc-merged.pb.gz")
    stackyard.ok("pprof", "merge", "-o", merged, *files)
    folded = stackyard.ok("pprof", "convert", "--to", "folded", "--sample-type", "cpu",
                          merged).stdout
    total = in_read = 0
    for line in folded.splitlines():
        stack, n = line.rsplit(" ", 1)
        frames = stack.split(";")
        total += int(n)
        # The kernel's read path above the program's main, both named. (The
        # caller of libc's read, read_zeros, is skipped by any frame-pointer
        # walk while inside the syscall: read keeps no frame of its own.)
        if "main" in frames and "ksys_read" in frames and \
                frames.index("main") < frames.index("ksys_read"):
            in_read += int(n)
    assert total > 0
    assert in_read / total >= 0.5, \
        "only %d of %d ns under main -> ksys_read:\n%s" % (in_read, total, folded[:3000])


def test_process_exiting_mid_interval_is_reported(stackyard, run):
    files = files_of(run, "short", "burn_c")
    flat = top(stackyard, files)
    assert flat.get("short_work", 0) > 0, flat
    # The process was gone before its interval ended: its profile was
    # emitted after it exited, symbolized from what was read while it ran.
    # (The exit time is when this test saw it, up to 20 ms late.)
    start, duration = profile_span(files[-1])
    assert run["exited"]["short"] <= (start + duration) / 1e9 + 0.1, \
        (run["exited"]["short"], start, duration)


def test_processes_started_after_the_agent_are_labelled(stackyard, run):
    files = files_of(run, "c", "burn_c")
    c = comments(files[0])
    assert c["pid"] == str(run["pids"]["c"])
    assert c["comm"] == "burn_c" and c["service_name"] == "burn_c"
    assert c["exe"] == run["exe"]["burn_c"]
    assert c["build_id"] == build_id(run["exe"]["burn_c"]) != ""
    assert c["node"] == socket.gethostname()
    assert c["env"] == "agenttest"
    with open("/proc/self/cgroup") as f:
        mine = [l.split(":", 2)[2].strip() for l in f if l.startswith("0::")]
    if mine:  # the workload inherited the test's cgroup
        assert c["cgroup"] == mine[0]


def test_output_files_decode_with_go_tool_pprof(oracle, run):
    files = glob.glob(os.path.join(run["out"], "*.pb.gz"))
    assert files
    for f in files:
        raw = oracle.raw(f)
        assert "PeriodType: cpu nanoseconds" in raw, raw[:500]
        assert "samples/count cpu/nanoseconds" in raw, raw[:500]
        assert "Period: %d" % (10**9 // int(FREQ)) in raw, raw[:500]


def test_nothing_lost_and_filters_count(run):
    last = [l for l in run["log"].splitlines() if "agent: stopped" in l][-1]
    m = re.search(r"(\d+) samples, (\d+) lost", last)
    # 5.8 s of CPU time at 499 Hz: about 2900 samples
    assert m and int(m.group(1)) > 2000 and int(m.group(2)) == 0, last


def query_top(srv, selector):
    q = urllib.parse.urlencode({"query": selector, "from": "now-10m", "until": "now",
                                "format": "top"})
    status, body, _ = srv.get("/api/v1/query?" + q)
    assert status == 200, body
    import json
    return {r["name"]: r["flat"] for r in json.loads(body)["rows"]}


def test_push_to_a_real_server(stackyard, permitted, workloads, tmp_path):
    srv = Server(tmp_path / "data")
    try:
        agent = Agent(tmp_path, "--server", srv.url, "--frequency", FREQ,
                      "--interval", "1s", "--comm", "burn_c", "--label", "env=pushtest")
        p = subprocess.Popen([workloads["burn_c"], "2"])
        assert p.wait(timeout=60) == 0
        time.sleep(0.3)
        log = agent.stop()
        assert re.search(r"push: [1-9]\d* sent, 0 rejected, 0 dropped", log), log
        flat = query_top(srv, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'
                         '{service_name="burn_c",env="pushtest",pid="%d"}' % p.pid)
        assert_ratio(flat, "heavy_work", "light_work", "pushed profiles")
    finally:
        srv.stop()


def test_down_server_costs_bounded_memory_and_drops_are_counted(
        permitted, workloads, tmp_path):
    cap = 6000
    port = free_port()  # nothing listens there
    agent = Agent(tmp_path, "--server", "http://127.0.0.1:%d" % port, "--frequency", FREQ,
                  "--interval", "100ms", "--comm", "burn_c", "--comm", "sysc",
                  "--queue-bytes", cap)
    # The symbolizer loads tables once, when it first needs them: the
    # binaries' at their first frames, /proc/kallsyms (~6 MB here) at the
    # first kernel frame, which a CPU-bound burn_c may give only seconds in
    # on a loaded machine (a failed run grew 16 -> 22 MB after the first
    # reading). sysc, in the kernel all the time, gives kernel frames at
    # once; it ends before the first reading.
    assert subprocess.run([workloads["sysc"], "0.3"], timeout=60).returncode == 0
    p = subprocess.Popen([workloads["burn_c"], "3"])
    # The first reading once the queue is full: by then the workload's
    # binaries are symbolized (their symbol tables loaded) and the queue holds
    # its cap, so what grows after it would be the queue's doing.
    deadline = time.time() + 30
    while "queue full" not in agent.log():
        assert time.time() < deadline, agent.log()
        time.sleep(0.05)
    rss_early = agent.rss_kb()
    assert p.wait(timeout=60) == 0
    rss_late = agent.rss_kb()
    log = agent.stop()
    full = re.findall(r"queue full: dropped the \d+ oldest profile\(s\) \((\d+) dropped so far\); "
                      r"(\d+) bytes in \d+ profiles queued, cap (\d+) bytes", log)
    assert full, log
    assert all(int(b) <= cap and int(c) == cap for _, b, c in full), full
    assert int(full[-1][0]) >= 5, full[-1]
    m = re.search(r"push: 0 sent, 0 rejected, (\d+) dropped", log)
    assert m and int(m.group(1)) >= int(full[-1][0]), log
    # Dozens of intervals of profiles were made after the first RSS reading
    # and none could be sent; memory did not follow. (Not under ASan, whose
    # quarantine keeps freed memory resident by design.)
    if not sanitized():
        assert rss_late - rss_early < 4096, (rss_early, rss_late)
        assert rss_late < 40 * 1024, rss_late


def test_not_permitted_says_what_is_missing(stackyard, permitted, tmp_path):
    """As an unprivileged user (setpriv drops root): one line naming the
    capabilities and the sysctls, exit 1, nothing written."""
    import shutil
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    out = tmp_path / "out"
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        STACKYARD_BIN, "agent", "--output", str(out)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for word in ("not permitted", "CAP_BPF", "CAP_PERFMON", "kernel.perf_event_paranoid",
                 "kernel.unprivileged_bpf_disabled"):
        assert word in lines[0], lines[0]
    assert not out.exists() or not os.listdir(out)


def test_per_service_and_pid_filter(stackyard, permitted, workloads, tmp_path):
    """--per-service: one profile for two burn_c processes, each sample with a
    numeric pid label; --pid selects processes (a third burn_c is left out)."""
    a = subprocess.Popen([workloads["burn_c"], "1"])
    b = subprocess.Popen([workloads["burn_c"], "1"])
    c = subprocess.Popen([workloads["burn_c"], "1"])  # not selected
    out = tmp_path / "out"
    agent = Agent(tmp_path, "--output", out, "--frequency", FREQ, "--interval", "1s",
                  "--per-service", "--pid", a.pid, "--pid", b.pid)
    for p in (a, b, c):
        assert p.wait(timeout=60) == 0
    time.sleep(0.3)
    log = agent.stop()
    files = sorted(glob.glob(str(out / "*.pb.gz")))
    assert files and all(re.search(r"/burn_c-\d+\.pb\.gz$", f) for f in files), (files, log)
    raw = subprocess.run(["go", "tool", "pprof", "-raw", files[0]], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    pids = set(int(x) for x in re.findall(r"pid:\[(\d+)\]", raw))
    assert pids == {a.pid, b.pid}, (pids, a.pid, b.pid, c.pid)


def test_server_with_agent_profiles_the_machine_into_its_store(permitted, workloads, tmp_path):
    """`stackyard server --agent`: no HTTP between them; the last interval
    is stored when the server stops, and is there after a restart."""
    srv = Server(tmp_path / "data", extra=["--agent"])
    try:
        p = subprocess.Popen([workloads["burn_c"], "2"])
        assert p.wait(timeout=60) == 0
        srv.stop()
        srv.start()
        flat = query_top(srv, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'
                         '{service_name="burn_c",pid="%d"}' % p.pid)
        # 19 Hz for 2 s of CPU: about 38 samples, too few for the ratio.
        assert flat.get("heavy_work", 0) > flat.get("light_work", 0) > 0, flat
    finally:
        srv.stop()


RELABEL = """\
scrape_configs:
  - job_name: agent
    relabel_configs:
      - source_labels: [exe]
        regex: ".*/([^/]*)"
        replacement: "svc-$1"
        target_label: service_name
      - source_labels: [comm]
        regex: sysc
        action: drop
      - target_label: __scratch
        replacement: x
      - target_label: team
        replacement: perf
"""


def test_relabel_rules_name_services_and_drop_processes(stackyard, permitted, workloads,
                                                        tmp_path):
    cfg = tmp_path / "stackyard.yml"
    cfg.write_text(RELABEL)
    out = tmp_path / "out"
    agent = Agent(tmp_path, "--output", out, "--frequency", FREQ, "--interval", "1s",
                  "--config", cfg, "--comm", "burn_c", "--comm", "sysc")
    c = subprocess.Popen([workloads["burn_c"], "0.5"])
    s = subprocess.Popen([workloads["sysc"], "0.5"])
    assert c.wait(timeout=60) == 0 and s.wait(timeout=60) == 0
    time.sleep(0.3)
    log = agent.stop()
    names = sorted(os.path.basename(f) for f in glob.glob(str(out / "*.pb.gz")))
    assert names and all(n.startswith("svc-burn_c-%d-" % c.pid) for n in names), (names, log)
    got = comments(str(out / names[0]))
    assert got["service_name"] == "svc-burn_c" and got["team"] == "perf", got
    assert got["comm"] == "burn_c" and not any(k.startswith("__") for k in got), got


def test_bad_relabel_config_is_one_clear_error(stackyard, tmp_path):
    cfg = tmp_path / "bad.yml"
    cfg.write_text(RELABEL.replace("action: drop", "action: explode"))
    r = stackyard("agent", "--config", cfg, "--output", tmp_path / "out")
    assert r.returncode == 1 and "bad.yml:10: action: 'explode'" in r.stderr, r.describe()
    assert not (tmp_path / "out").exists()
    cfg.write_text("scrape_configs:\n  - job_name: api\n")
    r = stackyard("agent", "--config", cfg, "--output", tmp_path / "out")
    assert r.returncode == 1 and "no job named 'agent'" in r.stderr, r.describe()


def own_files(out, pid):
    return glob.glob(os.path.join(str(out), "stackyard-%d-*.pb.gz" % pid))


def test_never_profiles_itself_unless_asked(permitted, tmp_path):
    """At 4999 Hz the agent works hard enough (about 10,000 samples a second
    to aggregate) to be sampled itself: skipped and counted by default,
    profiled with --profile-self."""
    for asked in (False, True):
        out = tmp_path / ("out-%s" % asked)
        args = ["--output", out, "--frequency", "4999", "--interval", "1s",
                "--comm", "stackyard"] + (["--profile-self"] if asked else [])
        agent = Agent(tmp_path, *args)
        time.sleep(2)
        log = agent.stop()
        skipped = int(re.search(r"(\d+) of its own skipped", log).group(1))
        if asked:
            assert own_files(out, agent.proc.pid) and skipped == 0, (skipped, log)
        else:
            assert not own_files(out, agent.proc.pid) and skipped > 0, (skipped, log)


def test_cgroup_filter(permitted, workloads, tmp_path):
    """--cgroup selects the processes in a cgroup v2 path or below it."""
    with open("/proc/self/cgroup") as f:
        mine = [l.split(":", 2)[2].strip() for l in f if l.startswith("0::")]
    if not mine:
        pytest.skip("no cgroup v2 line in /proc/self/cgroup")
    parent = os.path.dirname(mine[0].rstrip("/")) or "/"
    for cg, expect in ((parent, True), (mine[0] + "-not-this-one", False)):
        out = tmp_path / ("out%d" % expect)
        agent = Agent(tmp_path, "--output", out, "--frequency", FREQ, "--interval", "1s",
                      "--comm", "burn_c", "--cgroup", cg)
        p = subprocess.Popen([workloads["burn_c"], "0.3"])
        assert p.wait(timeout=60) == 0
        time.sleep(0.3)
        log = agent.stop()
        files = glob.glob(str(out / ("burn_c-%d-*.pb.gz" % p.pid)))
        assert bool(files) == expect, (cg, files, log)
