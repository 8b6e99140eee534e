"""Shared pieces of scripts/fault-drill and scripts/soak: the binary and the load generator,
an all-in-one server process, fixed-rate load in the background, and the scan count."""

import http.client
import importlib.machinery
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
smoke = importlib.machinery.SourceFileLoader(
    "split_smoke", os.path.join(ROOT, "scripts", "split-smoke")).load_module()
free_port, find_binary, Failed = smoke.free_port, smoke.find_binary, smoke.Failed

WORK = tempfile.mkdtemp(prefix="scanpage-load-")
os.chmod(WORK, 0o755)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def check(condition, message):
    if not condition:
        raise Failed(message)


def find_loadgen(binary):
    explicit = os.environ.get("LOADGEN_BIN")
    if explicit:
        return explicit
    target = os.path.dirname(os.path.dirname(os.path.abspath(binary)))
    profile = os.path.basename(os.path.dirname(os.path.abspath(binary)))
    path = os.path.join(target, profile, "examples", "loadgen")
    if not os.access(path, os.X_OK):
        log("building the load generator")
        args = ["cargo", "build", "--quiet", "-p", "web", "--example", "loadgen"]
        if profile == "release":
            args.append("--release")
        subprocess.run(args, cwd=ROOT, check=True, env=dict(os.environ, CARGO_TARGET_DIR=target))
    return path


BINARY = find_binary()
LOADGEN = find_loadgen(BINARY)


class Server:
    """One all-in-one scanpage process."""

    def __init__(self, name, env):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, RUST_LOG=os.environ.get("DRILL_RUST_LOG", "warn"), HOST="127.0.0.1", PORT=str(self.port),
                        PUBLIC_BASE_URL=self.base, SHUTDOWN_TIMEOUT_SECS="8", **env)
        for key in ("DATABASE_URL", "REDIS_URL"):
            if key not in env:
                self.env.pop(key, None)
        self.proc = None

    @property
    def database_url(self):
        """Where `loadgen setup` reads the sign-up's confirmation link (the email outbox)."""
        return self.env.get("DATABASE_URL") or sqlite_url(self.env["SCANPAGE_DATA"])

    def start(self):
        logfile = open(os.path.join(WORK, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen([BINARY], env=self.env, stdout=logfile, stderr=logfile,
                                     stdin=subprocess.DEVNULL)
        wait_ready(self.base, self.proc, self.name)

    def terminate(self):
        """SIGTERM; returns the seconds until the process exited."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.monotonic() - started

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.terminate()


def sqlite_url(data_dir):
    return f"sqlite://{os.path.join(data_dir, 'scanpage.db')}"


def wait_ready(base, proc, name, seconds=60):
    host, port = base.rsplit(":", 1)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check(proc is None or proc.poll() is None, f"{name} exited with {proc and proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise Failed(f"{name} did not answer /healthz within {seconds} s")


def loadgen(*args, check_ok=True, timeout=600):
    out = subprocess.run([LOADGEN, *args], capture_output=True, text=True, timeout=timeout)
    if check_ok and out.returncode != 0:
        raise Failed(f"loadgen {' '.join(args)}: {out.stderr.strip()[-800:]}")
    return out.stdout


class Load:
    """A fixed-rate run over the first `codes` codes (scans only by default), in the background."""

    def __init__(self, base, fixture, secs, codes, rate, mix="100,0,0,0", in_flight=256):
        self.args = ["run", "--base", base, "--dir", fixture, "--rate", str(rate),
                     "--secs", str(secs), "--codes-used", str(codes), "--mix", mix,
                     "--in-flight", str(in_flight)]
        self.result = None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        # The run's own length plus its 15 s drain allowance and start-up, never less than 10 min.
        secs = int(self.args[self.args.index("--secs") + 1])
        self.result = json.loads(loadgen(*self.args, timeout=max(600, secs + 120)))

    def wait(self):
        self.thread.join()
        check(self.result is not None, "the load generator did not finish")
        return self.result


def totals(results):
    """(requests, non-2xx/3xx answers, connection errors, scans answered with 302)."""
    requests = bad = errors = scans = 0
    for result in results:
        for kind in result["kinds"].values():
            requests += kind["sent"]
            status = kind["status"]
            bad += sum(n for cls, n in status.items() if cls not in ("2xx", "3xx"))
            errors += kind["errors"]
            scans += status.get("3xx", 0)
    return requests, bad, errors, scans


def counted(base, fixture, expected, seconds=90):
    """Polls the account's scan total until it reaches `expected` (or the time is up)."""
    deadline = time.monotonic() + seconds
    value = -1
    while time.monotonic() < deadline:
        try:
            value = int(loadgen("count", "--base", base, "--dir", fixture).strip())
        except (Failed, ValueError):
            value = -1
        if value >= expected:
            time.sleep(2)  # and not more: a late duplicate would show here
            return int(loadgen("count", "--base", base, "--dir", fixture).strip())
        time.sleep(1)
    return value


def metric(base, name):
    """The sum of a counter over its labels from /metrics (0 before its first increment)."""
    text = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def settle(base, seconds=300):
    """Waits until the analytics writer has nothing queued or buffered, so a run does not share
    the cores with the previous run's backlog."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if metric(base, "bus_backlog_events") + metric(base, "analytics_buffered_events") == 0:
            return
        time.sleep(0.5)
    raise Failed(f"analytics still had events queued after {seconds} s")


def memory(pid):
    """MB from /proc/<pid>/status: VmRSS (resident), RssAnon (the process's own part of it),
    RssFile (the binary's and libraries' file pages) and VmHWM (the peak); none once the process
    has gone."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                    fields[name] = int(value.split()[0]) / 1024
    except FileNotFoundError:
        pass
    return fields
