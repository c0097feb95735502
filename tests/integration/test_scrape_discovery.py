"""file_sd reading against the real server: target files that are slow to
read (megabytes of YAML, re-read at every poll), list 100,000 targets, or
are FIFOs stall neither the scrapes of other targets nor /api/v1/targets; global.max_targets drops
what is over it, and says so in the log, the targets API and /metrics; a
broken file keeps its last good targets through all of it."""
import os
import time

from fake_http import FakeHTTP
from test_scrape_ops import CPU, CPU_ONLY, Target, by_instance, wait_for, write_atomic
from test_server import Server


class Clocked(FakeHTTP):
    """A Target that records when each request came."""

    def __init__(self):
        with open(CPU, "rb") as f:
            body = f.read()
        self.times = []

        def do_get(h):
            self.times.append(time.time())
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        super().__init__(do_get)


def cpu_seconds(pid):
    """User + system CPU of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def heavy_broken_file(path, size=(8 << 20) - 4096):
    """Just under the 8 MiB cap of a target file: one group of some
    400,000 targets, cut before its end, so the whole text is parsed before
    the error and the file never has a good list."""
    item = '"10.0.0.1:6060", '
    with open(path, "w") as f:
        f.write('[{"targets": [' + item * (size // len(item)))


def big_target_file(path, n):
    """n targets on distinct loopback addresses (127.x.y.z:1: refused at
    once, never a hanging connect)."""
    addrs = ('"127.%d.%d.%d:1"' % (1 + (i >> 16), (i >> 8) & 255, i & 255) for i in range(n))
    with open(path, "w") as f:
        f.write('[{"targets": [' + ", ".join(addrs) + "]}]")


def test_slow_file_sd_reads_stall_nothing(tmp_path):
    """Twelve 8 MiB target files that fail at their last byte and a FIFO,
    and a file of 100,000 good targets, all read again at every 2 s poll
    (refresh_interval 1s), the big one relabelled into a plan each time:
    the discovery thread is busy nearly all the time. Another job's target,
    scraped every second, keeps its schedule, and /api/v1/targets answers
    at once. Before the reads moved off the network thread (and out of its
    lock), each poll stopped every scrape and the status API for the
    whole read."""
    fast, good = Clocked(), Target()
    slow = tmp_path / "slow"
    slow.mkdir()
    for i in range(12):
        heavy_broken_file(slow / ("t%d.json" % i))
    os.mkfifo(slow / "pipe.json")
    write_atomic(slow / "z_good.json", '[{"targets": ["%s"]}]' % good.addr)
    (tmp_path / "big").mkdir()
    big_target_file(tmp_path / "big" / "all.json", 100000)
    cfg = tmp_path / "stackyard.yml"
    cfg.write_text("""global:
  max_targets: 1000
scrape_configs:
  - job_name: fast
    scrape_interval: 1s
    static_configs: [{targets: ["%s"]}]
%s  - job_name: slow
    scrape_interval: 1s
    file_sd_configs:
      - files: ["slow/*.json"]
        refresh_interval: 1s
%s  - job_name: big
    scrape_interval: 1h
    file_sd_configs:
      - files: ["big/*.json"]
        refresh_interval: 1s
%s""" % (fast.addr, CPU_ONLY, CPU_ONLY, CPU_ONLY))
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    try:
        # Every bad file is listed with why, and what max_targets dropped;
        # the good file's target is scraped.
        errs = wait_for(lambda: (lambda e: len(e) == 14 and e)(by_instance(s)[1]),
                        timeout=30, what="14 discovery errors")
        by_file = {os.path.basename(e["file"]): e["error"] for e in errs}
        assert "not a regular file" in by_file["pipe.json"], by_file
        assert all("invalid YAML" in by_file["t%d.json" % i] for i in range(12)), by_file
        assert by_file[""] == ("99002 targets (target x profile type) not scraped: "
                               "over global.max_targets (1000)"), by_file
        wait_for(lambda: by_instance(s, "slow")[0].get(good.addr, {}).get("health") == "up",
                 what="the good file's target up")

        # A window in which the files are read again and again.
        start = time.time()
        cpu0 = cpu_seconds(s.proc.pid)
        worst = 0.0
        while time.time() - start < 10:
            t0 = time.time()
            t, _ = by_instance(s)
            worst = max(worst, time.time() - t0)
            assert len(t) == 1000 and fast.addr in t and good.addr in t, len(t)
            time.sleep(0.1)
        end = time.time()
        busy = cpu_seconds(s.proc.pid) - cpu0
        times = [x for x in fast.times if start <= x <= end]
        gaps = [b - a for a, b in zip(times, times[1:])]
        print("slow file_sd: server CPU %.1f s in %.1f s; fast target: %d scrapes, "
              "largest gap %.2f s; slowest /api/v1/targets %.3f s"
              % (busy, end - start, len(times), max(gaps), worst))
        # The reads really happened during the window (some 100 MB of YAML
        # parsed per poll takes seconds of CPU)...
        assert busy > 3, busy
        # ...and neither the schedule nor the status API waited for them.
        assert len(times) >= 9, times
        assert max(gaps) < 1.5, gaps
        assert worst < 0.5, worst
        assert by_instance(s, "fast")[0][fast.addr]["health"] == "up"
    finally:
        assert s.stop() == 0
        fast.close()
        good.close()


def test_max_targets_drops_visibly(tmp_path):
    ts = [Target() for _ in range(3)]
    a, b, c = ts
    sd = tmp_path / "sd"
    sd.mkdir()
    write_atomic(sd / "t.json", '[{"targets": ["%s", "%s", "%s"]}]' % (a.addr, b.addr, c.addr))
    cfg = tmp_path / "stackyard.yml"
    cfg.write_text("""global:
  max_targets: 2
scrape_configs:
  - job_name: sd
    scrape_interval: 1s
    file_sd_configs: [{files: ["sd/*.json"]}]
""" + CPU_ONLY)
    s = Server(tmp_path / "data", extra=["--config", str(cfg)])
    log = str(tmp_path / "data") + ".log"
    try:
        # The first two in the file are scraped; c is not, and that shows.
        t = wait_for(lambda: (lambda t: len(t) == 2 and
                              all(x["health"] == "up" for x in t.values()) and t)(by_instance(s)[0]),
                     what="two targets up")
        assert set(t) == {a.addr, b.addr}, t
        _, errs = by_instance(s)
        assert errs == [{"job": "sd", "file": "",
                         "error": "1 targets (target x profile type) not scraped: "
                                  "over global.max_targets (2)"}], errs
        m = s.get("/metrics")[1].decode()
        assert 'stackyard_scrape_targets_dropped{job="sd"} 1\n' in m, m
        text = open(log).read()
        assert "level=warn" in text and "scrape: job sd: 1 targets" in text, text[-2000:]

        # A broken file keeps its last good list: still two scraped, one
        # dropped, and the file's error besides.
        write_atomic(sd / "t.json", '[{"targets": ["%s"' % a.addr)
        errs = wait_for(lambda: (lambda e: len(e) == 2 and e)(by_instance(s)[1]),
                        what="the file error too")
        assert {e["file"] != "" for e in errs} == {True, False}, errs
        assert set(by_instance(s)[0]) == {a.addr, b.addr}

        # Room again: the drop, its error and its count go; logged too.
        write_atomic(sd / "t.json", '[{"targets": ["%s", "%s"]}]' % (a.addr, c.addr))
        wait_for(lambda: (lambda t, e: set(t) == {a.addr, c.addr} and not e)(*by_instance(s)),
                 what="a and c, no errors")
        m = s.get("/metrics")[1].decode()
        assert 'stackyard_scrape_targets_dropped{job="sd"} 0\n' in m, m
        assert "scrape: job sd: every target is scraped again" in open(log).read()
    finally:
        assert s.stop() == 0
        for t in ts:
            t.close()
