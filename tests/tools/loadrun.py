"""loadrun: what scripts/bench-load and scripts/soak share.

Starts the fake Bedrock, the gateway and load-peer on loopback, drives calls
with SIPp (tests/sipp/load_call.xml, one port per call from an injection
file), samples the processes' CPU and memory from /proc while they run, and
turns the reports of every side into figures:

  fake Bedrock  <work>/fb/stream-N.json  caller frames heard and the latency of
                                         their loadmarks, barge-in times
  gateway       <work>/calls/*.json      per-call summary (RTP counters, outcome)
  load-peer     <work>/peer.jsonl        per session: pacing, gaps, silences;
                                         last line: merged histograms
  SIPp          <work>/*_rtt.csv         INVITE -> 200 per call

Latency definitions (docs/benchmarks.md has the longer version):
  ingress -> Nova  fake's receive time of an audioInput event minus the send
                   time of the newest caller frame in it, minus the jitter
                   buffer's designed hold (JITTER_MIN_MS - 1 ms: its schedule is
                   whole milliseconds, so the hold is in (min - 1, min] and this
                   errs towards a larger figure)
  Nova -> egress   measured by load-peer on the first frame of each reply
  barge-in         fake's send time of the interruption marker to the arrival of
                   the first silent packet after the interrupted audio
"""
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import wave

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HZ = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_ports(n):
    out = subprocess.run([sys.executable, os.path.join(SRC, "tests/e2e/sip/freeports.py"), str(n)],
                         capture_output=True, text=True, check=True).stdout.split()
    return [int(x) for x in out]


def free_udp_range(span, start=10000, stop=60000, avoid=()):
    """First base (a multiple of 1000) whose span UDP ports are all free and
    hold none of `avoid` (ports picked already but not bound yet: the SIP and
    SIPp ports, which a caller or media port would otherwise take first)."""
    for base in range(start, stop - span, 1000):
        if any(base <= p < base + span for p in avoid):
            continue
        socks, ok = [], True
        try:
            for p in range(base, base + span):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            for s in socks:
                s.close()
        if ok:
            return base
    raise RuntimeError(f"no {span} free UDP ports in a row")


def ensure_build(build, targets):
    """Configure (release) and build what the run needs."""
    path = os.path.join(SRC, build)
    if not os.path.exists(os.path.join(path, "build.ninja")):
        log(f"configuring {build} (release)")
        # -Dwerror=false: GCC 12 at -O3 reports a -Wuse-after-free false positive
        # (tools/tool.c, reference counting).
        subprocess.run(["meson", "setup", path, "--buildtype=release", "-Dwerror=false"], cwd=SRC, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", path, "-j2"] + targets, cwd=SRC, check=True,
                   stdout=subprocess.DEVNULL)
    return path


def write_tone_wav(path, seconds, hz=440, rate=8000):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
                               for i in range(n)))


# ---- /proc ------------------------------------------------------------------

def proc_cpu_s(pid):
    """utime + stime of a process (and its reaped children) in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / HZ
    except (OSError, IndexError):
        return None


def proc_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def machine_cpu():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


class Sampler(threading.Thread):
    """Samples CPU seconds and RSS of named processes every `every` s."""

    def __init__(self, pids, every=0.5):
        super().__init__(daemon=True)
        self.pids = dict(pids)
        self.every = every
        self.samples = []   # (t, {name: (cpu_s, rss_kb)}, machine (busy, total))
        self.stop_ev = threading.Event()

    def add(self, name, pid):
        self.pids[name] = pid

    def run(self):
        while not self.stop_ev.is_set():
            t = time.monotonic()
            d = {n: (proc_cpu_s(p), proc_rss_kb(p)) for n, p in list(self.pids.items())}
            self.samples.append((t, d, machine_cpu()))
            self.stop_ev.wait(self.every)

    def stop(self):
        self.stop_ev.set()
        self.join()

    def window(self, name, t0, t1):
        """CPU cores used and max RSS of `name` between t0 and t1 (monotonic)."""
        s = [x for x in self.samples if t0 <= x[0] <= t1 and x[1].get(name, (None,))[0] is not None]
        if len(s) < 2:
            return None, None
        cpu = (s[-1][1][name][0] - s[0][1][name][0]) / (s[-1][0] - s[0][0])
        rss = max(x[1][name][1] or 0 for x in s)
        return cpu, rss

    def machine(self, t0, t1):
        s = [x for x in self.samples if t0 <= x[0] <= t1]
        if len(s) < 2:
            return None
        busy = s[-1][2][0] - s[0][2][0]
        total = s[-1][2][1] - s[0][2][1]
        return (os.cpu_count() or 1) * busy / total if total else None

    def rss_series(self, name):
        return [(x[0], x[1][name][1]) for x in self.samples if x[1].get(name, (None, None))[1]]


# ---- the processes ------------------------------------------------------------

class Rig:
    """Fake Bedrock + gateway + load-peer on loopback, in one work directory."""

    def __init__(self, build, work, calls, fake_script, gw_env=None, peer_count=None, nice=0,
                 rt=False, gateway=None):
        self.build = build
        self.gateway = gateway or f"{build}/gateway/nova-gateway"
        self.nice = nice
        # rt: False, True (the gateway and the fake SCHED_FIFO) or "gateway" (the gateway only).
        self.rt = rt if rt and shutil.which("chrt") and os.geteuid() == 0 else False
        self.work = work
        self.calls = calls
        self.procs = {}
        os.makedirs(os.path.join(work, "fb"), exist_ok=True)
        os.makedirs(os.path.join(work, "calls"), exist_ok=True)
        self.sip, self.bedrock, self.admin, self.sipp_port = free_ports(4)
        self.peer_count = peer_count or calls
        # Caller ports, then the gateway's pool, in a stretch nobody uses now
        # (another run may be going on: a soak next to a benchmark).
        self.media_count = 4 * calls + 400
        span = 2 * self.peer_count + 100 + self.media_count
        self.peer_base = free_udp_range(span, avoid=(self.sip, self.bedrock, self.admin, self.sipp_port))
        self.media_base = self.peer_base + 2 * self.peer_count + 100
        with open(os.path.join(work, "script.json"), "w") as f:
            json.dump(fake_script, f)
        write_tone_wav(os.path.join(work, "reply.wav"), 2.0)
        self.gw_env = gw_env or {}

    def _spawn(self, name, argv, env=None, **kw):
        out = open(os.path.join(self.work, f"{name}.log"), "w")
        nice = self.nice
        p = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=out, env=env,
                             cwd=self.work, start_new_session=True,
                             preexec_fn=(lambda: os.nice(nice)) if nice else None, **kw)
        self.procs[name] = p
        return p

    def start(self):
        b = self.build
        # --rt: the gateway and the fake run SCHED_FIFO too, so that the other
        # work on a shared machine cannot preempt them (what dedicated cores
        # would give); below the callers, the gateway above the fake.
        fifo = (lambda prio: ["chrt", "-f", str(prio)]) if self.rt else (lambda prio: [])
        fake_fifo = fifo if self.rt is True else (lambda prio: [])
        self._spawn("fake", fake_fifo(4) + [f"{b}/tests/fakes/bedrock/fake-bedrock",
                             "--listen", f"127.0.0.1:{self.bedrock}",
                             "--cert", f"{b}/tests/fakes/common/test-server.pem",
                             "--key", f"{b}/tests/fakes/common/test-server.key",
                             "--script", os.path.join(self.work, "script.json"),
                             "--reply-wav", os.path.join(self.work, "reply.wav"),
                             "--report-dir", os.path.join(self.work, "fb")])
        wait_tcp(self.bedrock)
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"https://localhost:{self.bedrock}",
            "AWS_CA_BUNDLE": f"{b}/tests/fakes/common/test-ca.pem",
            "SIP_LISTEN": f"127.0.0.1:{self.sip}", "MEDIA_ADDRESS": "127.0.0.1",
            "MEDIA_PORT_BASE": str(self.media_base), "MEDIA_PORT_COUNT": str(self.media_count),
            "MEDIA_PORT_QUARANTINE_S": "2",
            "ADMIN_LISTEN": f"127.0.0.1:{self.admin}", "LOG_LEVEL": "warn",
            "MAX_CALLS": str(self.calls + 100),
            "SIP_RATE_PER_SOURCE": "100000", "SIP_RATE_GLOBAL": "100000",
            "CALL_RECORDS_DIR": os.path.join(self.work, "calls"),
        })
        env.update(self.gw_env)
        self._spawn("gateway", fifo(5) + [self.gateway], env=env)
        wait_tcp(self.admin)
        wait_ready(self.admin)
        # The callers run SCHED_FIFO when allowed: a caller frame sent late
        # makes the gateway's jitter buffer grow, which would show as the
        # gateway's latency. load-peer mostly sleeps (a few % of a core).
        rt = ["chrt", "-f", "6"] if shutil.which("chrt") and os.geteuid() == 0 else []
        self._spawn("peer", rt + [f"{b}/tests/tools/load-peer", "--base", str(self.peer_base),
                             "--count", str(self.peer_count), "--seconds", "0",
                             "--out", os.path.join(self.work, "peer.jsonl")])
        time.sleep(0.5)
        if self.procs["peer"].poll() is not None:
            raise RuntimeError("load-peer did not start: " + read(os.path.join(self.work, "peer.log")))
        with open(os.path.join(self.work, "ports.csv"), "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(self.peer_count):
                f.write(f"{self.peer_base + 2 * i};\n")

    def pid(self, name):
        return self.procs[name].pid

    def sipp(self, calls, rate, hold_ms, limit=None, extra=(), scenario=None, timeout_s=None):
        """Starts SIPp; returns its Popen."""
        argv = ["sipp", "-sf", scenario or os.path.join(SRC, "tests/sipp/load_call.xml"),
                "-inf", os.path.join(self.work, "ports.csv"),
                "-m", str(calls), "-l", str(limit or calls), "-r", str(rate), "-rp", "1000",
                "-d", str(hold_ms), "-i", "127.0.0.1", "-p", str(self.sipp_port),
                f"127.0.0.1:{self.sip}", "-timeout", str(timeout_s or hold_ms // 1000 + 120),
                "-timeout_error",
                "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "5",
                "-trace_err", "-nostdin", "-max_socket", "100000"] + list(extra)
        p = self._spawn("sipp", argv)
        return p

    def _metrics(self):
        """The gateway's /metrics lines ([] when unreachable)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/metrics", timeout=2) as r:
                return r.read().decode().splitlines()
        except OSError:
            return []

    def metric(self, name):
        for line in self._metrics():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.split()[-1])
        return None

    def histogram(self, name):
        """{le: cumulative count} of a histogram on /metrics ({} when unreachable)."""
        out = {}
        for line in self._metrics():
            if line.startswith(name + "_bucket{le=\""):
                le = line.split('"')[1]
                out[float("inf") if le == "+Inf" else float(le)] = float(line.split()[-1])
        return out

    def histogram(self, name):
        """{le: cumulative count} of a histogram on /metrics ({} when unreachable)."""
        out = {}
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/metrics", timeout=2) as r:
                for line in r.read().decode().splitlines():
                    if line.startswith(name + "_bucket{le=\""):
                        le = line.split('"')[1]
                        out[float("inf") if le == "+Inf" else float(le)] = float(line.split()[-1])
        except OSError:
            pass
        return out

    def stop(self):
        """Peer first (it reports on exit), then the gateway, then the fake."""
        for name in ("sipp", "peer", "gateway", "fake"):
            p = self.procs.get(name)
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def wait_tcp(port, tries=100):
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def wait_ready(port, tries=200):
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the gateway never became ready")


# ---- figures --------------------------------------------------------------------

class Hist:
    """Merges loadmark histograms ({"buckets":{edge_us:count}})."""

    def __init__(self):
        self.b = {}
        self.max = None

    def add_json(self, h):
        if not h:
            return
        for k, v in h.get("buckets", {}).items():
            self.b[int(k)] = self.b.get(int(k), 0) + v
        if h.get("n"):
            self.max = h["max_us"] if self.max is None else max(self.max, h["max_us"])

    def add(self, us):
        edge = (int(us) // 10 + 1) * 10 if us < 10000 else 10000 + ((int(us) - 10000) // 1000 + 1) * 1000
        self.b[edge] = self.b.get(edge, 0) + 1
        self.max = us if self.max is None else max(self.max, us)

    def n(self):
        return sum(self.b.values())

    def quantile(self, q):
        n = self.n()
        if not n:
            return None
        want, seen = int((n - 1) * q) + 1, 0
        for edge in sorted(self.b):
            seen += self.b[edge]
            if seen >= want:
                return edge
        return self.max


def load_json_files(d, prefix):
    out = []
    for name in sorted(os.listdir(d)):
        if name.startswith(prefix) and name.endswith(".json") and "transcript" not in name:
            try:
                with open(os.path.join(d, name)) as f:
                    out.append(json.load(f))
            except (OSError, ValueError):
                pass
    return out


def peer_report(work):
    sessions, summary = [], None
    for line in read(os.path.join(work, "peer.jsonl")).splitlines():
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        if d.get("summary"):
            summary = d
        else:
            sessions.append(d)
    return sessions, summary


def sipp_stats(work):
    """(successful, failed) from SIPp's -trace_stat file, and setup times (ms)."""
    ok = failed = None
    for name in os.listdir(work):
        if name.endswith("_.csv"):   # -trace_stat: <scenario>_<pid>_.csv
            rows = [r.split(";") for r in read(os.path.join(work, name)).splitlines() if r]
            if len(rows) >= 2:
                head, last = rows[0], rows[-1]
                try:
                    ok = int(last[head.index("SuccessfulCall(C)")])
                    failed = int(last[head.index("FailedCall(C)")])
                except (ValueError, IndexError):
                    pass
    setup = []
    for name in os.listdir(work):
        if name.endswith("_rtt.csv"):
            for r in read(os.path.join(work, name)).splitlines()[1:]:
                f = r.split(";")
                if len(f) >= 2:
                    try:
                        setup.append(float(f[1]))
                    except ValueError:
                        pass
    return ok, failed, setup


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int((len(v) - 1) * q + 0.5))]


def bargein_delays(fake_reports, peer_sessions):
    """Barge-in -> silence (µs) for every barge-in the fake sent."""
    silences = {}
    for s in peer_sessions:
        for arr, fid in s.get("silences", []):
            silences.setdefault(fid, []).append(arr)
    out, unmatched = [], 0
    for r in fake_reports:
        sil = sorted(silences.get(r["stream"], []))
        for b in r.get("bargeins_us", []):
            later = [a for a in sil if a >= b]
            if later:
                out.append(later[0] - b)
            else:
                unmatched += 1
    return out, unmatched


def caller_audio_check(fake_reports, peer_sessions):
    """Per caller session, the caller frames the fake heard over all of the
    call's streams (renewals included). A frame never heard was sent late by
    the load generator itself, or is before the first one heard (the call's
    start), inside one stream's span (the jitter buffer concealed it) or
    between two streams (a renewal lost it). Returns a dict of counts."""
    per = {}
    for r in fake_reports:
        for p in r.get("caller_sessions", []):
            per.setdefault(p["id"], []).append([tuple(x) for x in p["runs"]])
    # Frames the load generator itself sent more than 15 ms late (its
    # session id is port << 8 | session, like the marks): the jitter buffer
    # may have dropped them wherever they fell.
    late = {}
    for s in peer_sessions:
        late[(s["port"] << 8) | (s["sess"] & 0xFF)] = [tuple(x) for x in s.get("late_frames", [])]
    out = {"sessions": 0, "sessions_with_holes": 0, "missing_in_stream": 0,
           "missing_at_renewal": 0, "missing_at_start": 0, "missing_sent_late": 0}
    for cid, streams in per.items():
        out["sessions"] += 1
        spans = [(min(lo for lo, _ in rs), max(hi for _, hi in rs)) for rs in streams]
        runs = sorted(x for rs in streams for x in rs)
        lt = late.get(cid, [])
        missing = list(range(0, runs[0][0]))
        hi = runs[0][1]
        for lo, h in runs[1:]:
            missing.extend(range(hi + 1, lo))
            hi = max(hi, h)
        if missing:
            out["sessions_with_holes"] += 1
        for f in missing:
            if any(a - 2 <= f <= b + 2 for a, b in lt):
                out["missing_sent_late"] += 1
            elif f < runs[0][0]:
                out["missing_at_start"] += 1
            elif any(a <= f <= b for a, b in spans):
                out["missing_in_stream"] += 1
            else:
                out["missing_at_renewal"] += 1
    out["frames_sent"] = sum(s.get("sent", 0) for s in peer_sessions)
    return out


def histogram_quantile(before, after, q):
    """Upper bound (bucket edge) of quantile q of what a histogram counted
    between two snapshots; None without observations."""
    edges = sorted(after)
    counts = [after[e] - before.get(e, 0) for e in edges]
    if not counts or counts[-1] <= 0:
        return None
    for e, c in zip(edges, counts):
        if c >= q * counts[-1]:
            return e
    return edges[-1]
