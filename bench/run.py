#!/usr/bin/env python3
"""make bench: IBM Hub side by side with zmq_proxy, an acked ROUTER echo, NATS JetStream,
Mosquitto and Redis Streams, on the same workload, in one run. See bench/README.md.

usage: bench/run.py [--alerts N] [--rate R] [--latency-seconds S] [--systems a,b,...]
                    [--long] [--no-build] [--work DIR]
"""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
AGENCIES = ["border", "migration", "customs"]
SYSTEMS = ["hub-os", "hub-fsync", "zmq-proxy", "zmq-proxy-curve", "router-echo", "jetstream", "mosquitto", "redis"]
LABELS = {
    "hub-os": "IBM Hub, CURVE, durability os",
    "hub-fsync": "IBM Hub, CURVE, durability fsync",
    "zmq-proxy": "zmq_proxy XSUB->XPUB",
    "zmq-proxy-curve": "zmq_proxy XSUB->XPUB, CURVE",
    "router-echo": "ROUTER echo, ack + forward, CURVE",
    "jetstream": "NATS JetStream, file store, Msg-Id",
    "mosquitto": "Mosquitto, QoS 1, persistence",
    "redis": "Redis Streams, AOF everysec",
}


def free_ports(n):
    """n TCP ports free on loopback right now (the kernel's choice, so other helpers' servers are avoided)."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


PORT = {}


def log(*args):
    print(*args, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, **kw)


def out(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # a version probe must not stop the run
        return f"? ({e})"


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def wait_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


def rss_kb(pid, field="VmRSS"):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    """(whole process, busiest thread) CPU seconds (user + system) so far: figures the machine's load does not inflate."""
    def read(path):
        try:
            fields = open(path).read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0
    threads = [read(f"/proc/{pid}/task/{t}/stat") for t in os.listdir(f"/proc/{pid}/task")] if os.path.exists(f"/proc/{pid}/task") else [0.0]
    return read(f"/proc/{pid}/stat"), max(threads)


def stop(proc, sig=signal.SIGTERM):
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def results(text):
    lines = [l for l in text.splitlines() if l.startswith("RESULT ")]
    if not lines:
        return None
    return {k: v for k, v in (kv.split("=", 1) for kv in lines[-1].split()[1:])}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.bin = os.path.join(self.work, "bin")
        self.hub_build = os.environ.get("HUB_BUILD", os.path.join(self.work, "hub-build"))
        self.pkg_build = os.environ.get("BENCH_PKG_BUILD", os.path.join(self.work, "bench-build"))
        self.table = {}
        self.extra = {}

    # MARK: setup

    def build(self):
        os.makedirs(self.bin, exist_ok=True)
        t = time.time()
        for product in ["ibm-hub", "ibmctl"]:
            sh(["swift", "build", "-c", "release", "--scratch-path", self.hub_build, "--product", product], cwd=ROOT)
        sh(["swift", "build", "-c", "release", "--scratch-path", self.pkg_build], cwd=BENCH)
        c = os.path.join(BENCH, "c")
        sh(["gcc", "-O2", "-Wall", "-o", f"{self.bin}/zmqproxy", f"{c}/zmqproxy.c", "-lzmq"])
        sh(["gcc", "-O2", "-Wall", "-o", f"{self.bin}/mqttbench", f"{c}/mqttbench.c", "-lmosquitto", "-lpthread"])
        sh(["gcc", "-O2", "-Wall", "-o", f"{self.bin}/redisbench", f"{c}/redisbench.c", "-lhiredis"])
        env = dict(os.environ, GOPATH="/usr/share/gocode", GO111MODULE="off", GOCACHE=os.path.join(self.work, "gocache"))
        sh(["go", "build", "-o", f"{self.bin}/natsbench", "natsbench.go"], cwd=os.path.join(BENCH, "go"), env=env)
        log(f"== built in {time.time() - t:.0f} s")

    def tool(self, name):
        return {"ibm-hub": f"{self.hub_build}/release/ibm-hub", "ibmctl": f"{self.hub_build}/release/ibmctl",
                "ibm-bench": f"{self.pkg_build}/release/ibm-bench"}.get(name, f"{self.bin}/{name}")

    def data(self, n):
        frames = os.path.join(self.work, f"frames-{n}")
        # Any prepared set at least this large will do: publishers send the first N/3 of theirs.
        for name in sorted(os.listdir(self.work)):
            m = re.fullmatch(r"frames-(\d+)", name)
            if m and int(m.group(1)) >= n and os.path.exists(os.path.join(self.work, name, "customs.frames")):
                return os.path.join(self.work, name)
        alerts = os.path.join(self.work, f"alerts-{n}")
        t = time.time()
        sh([sys.executable, os.path.join(BENCH, "generate-alerts.py"), str(n), alerts])
        sh([self.tool("ibm-bench"), "prepare", "--alerts", alerts, "--out", frames])
        shutil.rmtree(alerts)
        log(f"== {n} alerts generated and encoded in {time.time() - t:.0f} s")
        return frames

    def keys(self):
        self.keydir = os.path.join(self.work, "keys")
        shutil.rmtree(self.keydir, ignore_errors=True)
        for name, role in [("hub", "agency")] + [(a, "agency") for a in AGENCIES] + [("watcher", "coordinator")]:
            sh([self.tool("ibmctl"), "keys", "generate", "--name", name, "--out", self.keydir, "--role", role],
               stdout=subprocess.DEVNULL)

    def machine(self):
        log("== machine")
        log(f"cores: {os.cpu_count()}; load average: {' '.join(loadavg())}; memory: "
            + out("free -g | awk '/Mem:/ {print $2 \" GiB\"}'"))
        log("cpu: " + out("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip())
        log("kernel: " + out("uname -r") + "; " + out("swift --version 2>&1 | head -1"))
        log("libzmq: " + out("pkg-config --modversion libzmq") + "; nats-server: " + out("nats-server --version")
            + "; mosquitto: " + out("mosquitto -h | head -1") + "; redis: " + out("redis-server --version | cut -d' ' -f3")
            + "; go: " + out("go version | cut -d' ' -f3") + "; go-nats: "
            + out("dpkg-query -W -f='${Version}' golang-github-nats-io-go-nats-dev") + "; hiredis: "
            + out("dpkg-query -W -f='${Version}' libhiredis-dev") + "; libmosquitto: "
            + out("dpkg-query -W -f='${Version}' libmosquitto-dev"))
        log("hub commit: " + out(f"git -C {ROOT} rev-parse --short HEAD") + (" (tree modified)" if out(f"git -C {ROOT} status --porcelain --untracked-files=no") else ""))

    # MARK: servers

    def hub_config(self, durability, data):
        pub = lambda n: open(os.path.join(self.keydir, n + ".pub")).read().strip()
        # The benchmark measures capacity, so the per-identity rate limit (where the hub has one) is lifted.
        if not hasattr(self, "rate_keys"):
            self.rate_keys = b"publish_rate" in open(self.tool("ibm-hub"), "rb").read()
        limit = "    publish_rate: 10000000\n    publish_burst: 10000000\n" if self.rate_keys else ""
        ids = "".join(f"  - name: {a}\n    role: agency\n    public_key: \"{pub(a)}\"\n{limit}" for a in AGENCIES)
        ids += f"  - name: watcher\n    role: coordinator\n    public_key: \"{pub('watcher')}\"\n"
        p = self.hub_ports = free_ports(4)
        config = f"""# written by bench/run.py
endpoints:
  ingest: tcp://127.0.0.1:{p[0]}
  feed: tcp://127.0.0.1:{p[1]}
  sync: tcp://127.0.0.1:{p[2]}
  http: 127.0.0.1:{p[3]}
data_dir: {data}
journal:
  durability: {durability}
picture:
  rules: {ROOT}/Config/correlation.yaml
feed:
  send_hwm: 1000000
security:
  server_secret_key_file: {self.keydir}/hub.key
identities:
{ids}"""
        path = os.path.join(os.path.dirname(data), "hub.yaml")
        open(path, "w").write(config)
        return path

    def start(self, system, fresh=True):
        """Starts a server on loopback; returns (process, client settings)."""
        d = os.path.join(self.work, "run", system)
        if fresh:
            shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d, exist_ok=True)
        logf = open(os.path.join(d, "server.log"), "a")
        k = self.keydir
        if system.startswith("hub"):
            config = self.hub_config(system.split("-")[1], os.path.join(d, "data"))
            proc = subprocess.Popen([self.tool("ibm-hub"), "--config", config, "--log-level", "warning"], stdout=logf, stderr=logf)
            p = self.hub_ports
            self.wait_http(p[3], proc)
            return proc, dict(kind="hub", ingest=f"tcp://127.0.0.1:{p[0]}", feed=f"tcp://127.0.0.1:{p[1]}")
        names = ["proxy", "proxy_feed", "echo", "echo_feed", "nats", "mqtt", "redis"]
        PORT.update(zip(names, free_ports(len(names))))
        if system.startswith("zmq-proxy"):
            p, q = PORT["proxy"], PORT["proxy_feed"]
            cmd = [self.tool("zmqproxy"), f"tcp://127.0.0.1:{p}", f"tcp://127.0.0.1:{q}"]
            if system.endswith("curve"):
                cmd.append(f"{k}/hub.key")
            proc = subprocess.Popen(cmd, stdout=logf, stderr=logf)
            wait_port(q, proc)
            return proc, dict(kind="proxy", ingest=f"tcp://127.0.0.1:{p}", feed=f"tcp://127.0.0.1:{q}",
                              curve=system.endswith("curve"))
        if system == "router-echo":
            p, q = PORT["echo"], PORT["echo_feed"]
            proc = subprocess.Popen([self.tool("ibm-bench"), "echo", "--ingest", f"tcp://127.0.0.1:{p}",
                                     "--feed", f"tcp://127.0.0.1:{q}", "--keys", k], stdout=logf, stderr=logf)
            wait_port(q, proc)
            return proc, dict(kind="echo", ingest=f"tcp://127.0.0.1:{p}", feed=f"tcp://127.0.0.1:{q}")
        if system == "jetstream":
            proc = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(PORT["nats"]), "-sd", d],
                                    stdout=logf, stderr=logf)
            wait_port(PORT["nats"], proc)
            sh([self.tool("natsbench"), "setup", "--url", f"nats://127.0.0.1:{PORT['nats']}"])
            return proc, dict(kind="nats")
        if system == "mosquitto":
            conf = os.path.join(d, "mosquitto.conf")
            open(conf, "w").write(f"""listener {PORT['mqtt']} 127.0.0.1
allow_anonymous true
user root
persistence true
persistence_location {d}/
set_tcp_nodelay true
max_inflight_messages 1000
max_queued_messages 0
""")
            proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=logf, stderr=logf)
            wait_port(PORT["mqtt"], proc)
            return proc, dict(kind="mqtt")
        if system == "redis":
            proc = subprocess.Popen(["redis-server", "--port", str(PORT["redis"]), "--bind", "127.0.0.1", "--dir", d,
                                     "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "no"],
                                    stdout=logf, stderr=logf)
            wait_port(PORT["redis"], proc)
            return proc, dict(kind="redis")
        raise ValueError(system)

    def wait_http(self, port, proc, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"ibm-hub exited with {proc.returncode}; see its server.log")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("ibm-hub did not answer /healthz")

    # MARK: clients

    def client_cmds(self, s, frames, agency, count, rate, ack_file, settle=None):
        k = self.keydir
        f = os.path.join(frames, agency + ".frames")
        common = ["--count", str(count), "--rate", str(rate), "--window", "1000"]
        if s["kind"] in ("hub", "echo", "proxy"):
            mode = {"hub": "hub", "echo": "echo", "proxy": "pub"}[s["kind"]]
            cmd = [self.tool("ibm-bench"), "publish", "--mode", mode, "--frames", f, "--endpoint", s["ingest"],
                   "--ack-samples", ack_file] + common
            if s["kind"] != "proxy" or s.get("curve"):
                cmd += ["--keys", k, "--identity", agency]
            if settle is not None:
                cmd += ["--settle-ms", str(settle)]
            return cmd
        if s["kind"] == "nats":
            return [self.tool("natsbench"), "pub", "--url", f"nats://127.0.0.1:{PORT['nats']}", "--frames", f,
                    "--subject", "alerts." + agency, "--samples", ack_file] + common
        if s["kind"] == "mqtt":
            return [self.tool("mqttbench"), "pub", "--port", str(PORT["mqtt"]), "--frames", f, "--topic", "alerts/" + agency,
                    "--samples", ack_file] + common
        return [self.tool("redisbench"), "pub", "--port", str(PORT["redis"]), "--frames", f, "--samples", ack_file] + common

    def sub_cmd(self, s, expect, samples, ready):
        if s["kind"] in ("hub", "echo", "proxy"):
            cmd = [self.tool("ibm-bench"), "subscribe", "--mode", "hub" if s["kind"] == "hub" else "zmq",
                   "--endpoint", s["feed"], "--expect", str(expect), "--samples", samples, "--ready-file", ready]
            if s["kind"] != "proxy" or s.get("curve"):
                cmd += ["--keys", self.keydir, "--identity", "watcher"]
            return cmd
        tool, port = {"nats": ("natsbench", ["--url", f"nats://127.0.0.1:{PORT['nats']}"]),
                      "mqtt": ("mqttbench", ["--port", str(PORT["mqtt"])]),
                      "redis": ("redisbench", ["--port", str(PORT["redis"])])}[s["kind"]]
        return [self.tool(tool), "sub"] + port + ["--expect", str(expect), "--samples", samples, "--ready-file", ready]

    def hist(self, files):
        files = [f for f in files if os.path.exists(f) and os.path.getsize(f) > 0]
        if not files:
            return None
        text = subprocess.run([self.tool("ibm-bench"), "hist"] + files, capture_output=True, text=True, check=True).stdout
        return {k: float(v) for k, v in (kv.split("=") for kv in text.split())}

    def run(self, system, kind, frames, per_publisher, rate_total=0, keep=False):
        """One run: a fresh server, 1 subscriber, 3 publishers. Returns the measures."""
        load = " ".join(loadavg())
        proc, s = self.start(system)
        d = os.path.join(self.work, "run", system)
        ready = os.path.join(d, "sub.ready")
        expect = per_publisher * len(AGENCIES)
        sub = subprocess.Popen(self.sub_cmd(s, expect, f"{d}/{kind}-receipt.lat", ready), stdout=subprocess.PIPE,
                               stderr=open(f"{d}/{kind}-sub.err", "w"), text=True)
        deadline = time.time() + 20
        while not os.path.exists(ready) and time.time() < deadline and sub.poll() is None:
            time.sleep(0.05)
        rate = rate_total // len(AGENCIES) if rate_total else 0
        pubs = [subprocess.Popen(self.client_cmds(s, frames, a, per_publisher, rate, f"{d}/{kind}-ack-{a}.lat"),
                                 stdout=subprocess.PIPE, stderr=open(f"{d}/{kind}-pub-{a}.err", "w"), text=True)
                for a in AGENCIES]
        peak = 0
        limit = time.time() + self.args.run_timeout
        while any(p.poll() is None for p in pubs) and time.time() < limit:
            peak = max(peak, rss_kb(proc.pid))
            time.sleep(0.25)
        pub_results = []
        for p in pubs:
            if p.poll() is None:
                p.kill()
            pub_results.append(results(p.communicate()[0]))
        try:
            sub_out = sub.communicate(timeout=max(10, limit - time.time()))[0]
        except subprocess.TimeoutExpired:
            sub.kill()
            sub_out = sub.communicate()[0]
        peak = max(peak, rss_kb(proc.pid), rss_kb(proc.pid, "VmHWM"))
        rss_end = rss_kb(proc.pid)
        cpu, busiest = cpu_seconds(proc.pid)
        sub_result = results(sub_out)
        if not keep:
            stop(proc)
        m = dict(system=system, kind=kind, load=load, expect=expect, peak_rss_mb=round(peak / 1024), rss_end_mb=round(rss_end / 1024),
                 cpu_us_per_alert=round(cpu * 1e6 / expect, 1), busiest_thread_us_per_alert=round(busiest * 1e6 / expect, 1))
        if all(pub_results):
            start = min(int(r["start_ns"]) for r in pub_results)
            end = max(int(r["end_ns"]) for r in pub_results)
            acked = sum(int(r["acked"]) for r in pub_results)
            m.update(sent=sum(int(r["sent"]) for r in pub_results), acked=acked,
                     nacks=sum(int(r["nacks"]) for r in pub_results),
                     acked_per_s=round(acked / ((end - start) / 1e9)) if s["kind"] != "proxy" else None)
            if sub_result and int(sub_result["last_ns"]) > start:
                m.update(received=int(sub_result["received"]),
                         received_per_s=round(int(sub_result["received"]) / ((int(sub_result["last_ns"]) - start) / 1e9)))
            else:
                m.update(received=int(sub_result["received"]) if sub_result else 0, received_per_s=0)
        else:
            m["error"] = "a publisher failed: see " + d
        m["receipt"] = self.hist([f"{d}/{kind}-receipt.lat"])
        m["ack"] = self.hist([f"{d}/{kind}-ack-{a}.lat" for a in AGENCIES]) if s["kind"] != "proxy" else None
        lost = m.get("received", 0) != expect
        log(f"   {kind:10} {system:16} load {load}: acked/s {m.get('acked_per_s')}, received/s {m.get('received_per_s')}, "
            f"received {m.get('received')}/{expect}{' (LOST SOME)' if lost else ''}, peak RSS {m['peak_rss_mb']} MB, "
            f"server CPU {m['cpu_us_per_alert']} µs/alert (busiest thread {m['busiest_thread_us_per_alert']})"
            + (f", receipt p99 {m['receipt']['p99_ms']} ms" if m["receipt"] else "")
            + (f", ack p99 {m['ack']['p99_ms']} ms" if m["ack"] else ""))
        return (m, proc) if keep else m

    # MARK: the extra hub measures

    def replay_and_restart(self, proc):
        """With the hub-os journal of the throughput run: replay speed, then SIGKILL → first ack."""
        import sqlite3
        d = os.path.join(self.work, "run", "hub-os")
        journal = os.path.join(d, "data", "journal.sqlite")
        stop(proc, signal.SIGKILL)
        t0 = time.monotonic_ns()
        restarted, s = None, None
        first_frames = os.path.join(self.work, "restart-frames")
        os.makedirs(first_frames, exist_ok=True)
        # One alert already in the journal: the restarted hub must rebuild dedup to ack it as a duplicate.
        src = os.path.join(self.frames, "border.frames")
        with open(src, "rb") as f:
            n = int.from_bytes(f.read(4), "little")
            open(os.path.join(first_frames, "border.frames"), "wb").write(n.to_bytes(4, "little") + f.read(n))
        pub = subprocess.Popen([self.tool("ibm-bench"), "publish", "--mode", "hub", "--frames",
                                os.path.join(first_frames, "border.frames"), "--endpoint", f"tcp://127.0.0.1:{self.hub_ports[0]}",
                                "--keys", self.keydir, "--identity", "border", "--settle-ms", "0"],
                               stdout=subprocess.PIPE, text=True)
        logf = open(os.path.join(d, "server.log"), "a")
        restarted = subprocess.Popen([self.tool("ibm-hub"), "--config", os.path.join(d, "hub.yaml"), "--log-level", "warning"],
                                     stdout=logf, stderr=logf)
        r = results(pub.communicate(timeout=120)[0])
        restart_s = (int(r["end_ns"]) - t0) / 1e9 if r and r["acked"] == "1" else None
        stop(restarted)
        # `--format jsonl` replays the alerts (the default `--records alerts`): count those, not the events.
        db = sqlite3.connect(journal)
        total = db.execute("SELECT count(*) FROM records").fetchone()[0]
        records = db.execute("SELECT count(*) FROM records WHERE kind = 1").fetchone()[0]
        import resource
        t, before = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        sh(f"{self.tool('ibmctl')} replay --journal {journal} --format jsonl > /dev/null")
        replay_s = time.time() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        replay_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        # The measure is journal records per second; the alerts printed are a third of them.
        self.extra.update(restart_s=restart_s, journal_records=total, replayed_alerts=records, replay_per_s=round(records / replay_s),
                          replay_records_per_s=round(total / replay_s), replay_per_cpu_s=round(records / max(replay_cpu, 1e-6)))
        log(f"== restart with a {total}-record journal (SIGKILL -> first ack): {restart_s:.2f} s" if restart_s else "== restart: no ack")
        log(f"== replay of {records} alerts ({total}-record journal) as JSONL: {replay_s:.1f} s, {total / replay_s:,.0f} records/s, "
            f"{records / replay_s:,.0f} alerts/s ({self.extra['replay_per_cpu_s']:,} per CPU-second)")

    # MARK: main

    def main(self):
        a = self.args
        t0 = time.time()
        self.machine()
        if not a.no_build:
            self.build()
        self.keys()
        self.frames = self.data(a.alerts)
        per = a.alerts // len(AGENCIES)
        lat_per = a.rate * a.latency_seconds // len(AGENCIES)
        systems = a.systems.split(",")
        for system in systems:
            log(f"== {LABELS[system]}")
            keep = system == "hub-os"
            r = self.run(system, "throughput", self.frames, per, keep=keep)
            if keep:
                r, proc = r
                self.extra["hub_rss_1m_mb"] = r["rss_end_mb"]
                self.replay_and_restart(proc)
            self.table[system] = dict(throughput=r, latency=self.run(system, "latency", self.frames, lat_per, a.rate))
        if a.long:
            frames5 = self.data(5 * a.alerts)
            log("== IBM Hub, durability os, 5x alerts, for RSS")
            r = self.run("hub-os", "long", frames5, 5 * per)
            self.extra.update(hub_rss_5m_mb=r["rss_end_mb"], hub_long_acked_per_s=r.get("acked_per_s"))
        self.report(time.time() - t0)

    def report(self, elapsed):
        def f(v, fmt="{:,.0f}"):
            return "—" if v is None else fmt.format(v)

        def lat(h):
            return "—" if not h else f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f} / {h['p999_ms']:.2f}"
        log("")
        log(f"| system | acked/s | received/s | delivered | publish→receipt p50/p99/p99.9 ms at {self.args.rate:,}/s "
            f"| publish→ack p50/p99/p99.9 ms | peak RSS MB | server CPU µs/alert (busiest thread) |")
        log("|---|---:|---:|---:|---|---|---:|---:|")
        for system, r in self.table.items():
            t, l = r["throughput"], r["latency"]
            log(f"| {LABELS[system]} | {f(t.get('acked_per_s'))} | {f(t.get('received_per_s'))} | "
                f"{t.get('received', 0)}/{t['expect']} | {lat(l['receipt'])} | {lat(l['ack'])} | {t['peak_rss_mb']} | "
                f"{t['cpu_us_per_alert']} ({t['busiest_thread_us_per_alert']}) |")
        e = self.extra
        log("")
        if "replay_per_s" in e:
            log(f"replay: {e['replay_records_per_s']:,} records/s, {e['replay_per_s']:,} alerts/s ({e['replay_per_cpu_s']:,} per CPU-second), "
                f"{e['replayed_alerts']:,} alerts "
                f"of a {e['journal_records']:,}-record journal; "
                "restart (SIGKILL -> first ack): "
                + (f"{e['restart_s']:.2f} s" if e.get("restart_s") else "no ack"))
        if "hub_rss_1m_mb" in e:
            log(f"hub RSS after {self.args.alerts:,} alerts: {e['hub_rss_1m_mb']} MB"
                + (f"; after {5 * self.args.alerts:,}: {e['hub_rss_5m_mb']} MB" if "hub_rss_5m_mb" in e else ""))
        log(f"load average at the end: {' '.join(loadavg())}; wall time {elapsed / 60:.1f} min")
        json.dump(dict(table=self.table, extra=e), open(os.path.join(self.work, "results.json"), "w"), indent=1)

        def get(system, kind, key):
            try:
                return self.table[system][kind][key]
            except KeyError:
                return None

        def ratio(a, b):
            return f"{a / b:.2f}" if a and b else "nan"
        hub = get("hub-os", "throughput", "acked_per_s")
        hub_rx = get("hub-os", "throughput", "received_per_s")
        p99 = (get("hub-os", "latency", "receipt") or {}).get("p99_ms")
        p99f = (get("hub-fsync", "latency", "receipt") or {}).get("p99_ms")
        log(f"summary: hub_acked_per_s={hub or 0} ratio_vs_jetstream={ratio(hub, get('jetstream', 'throughput', 'acked_per_s'))} "
            f"ratio_vs_redis={ratio(hub, get('redis', 'throughput', 'acked_per_s'))} "
            f"ratio_vs_zmq_proxy_curve={ratio(hub_rx, get('zmq-proxy-curve', 'throughput', 'received_per_s'))} "
            f"p99_ms={p99 if p99 is not None else 'nan'} p99_fsync_ms={p99f if p99f is not None else 'nan'}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--alerts", type=int, default=1_000_000, help="alerts per throughput run (3 publishers share them)")
    p.add_argument("--rate", type=int, default=10_000, help="total alerts/s of the latency run")
    p.add_argument("--latency-seconds", type=int, default=10, help="length of each latency run")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: " + ",".join(SYSTEMS))
    p.add_argument("--long", action="store_true", help="also publish 5x alerts to the hub and report its RSS")
    p.add_argument("--no-build", action="store_true", help="use the binaries already built in --work")
    p.add_argument("--run-timeout", type=int, default=400, help="seconds one run may take")
    p.add_argument("--work", default=os.path.join(ROOT, ".build-bench"), help="builds, data and logs (git-ignored)")
    Bench(p.parse_args()).main()
