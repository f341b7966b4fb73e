#!/usr/bin/env python3
"""Backlog figure: with the hub stopped, POST N alerts (arrays of 1000) to ibm-customs, sample its RSS,
then start the hub and time the drain. Usage: backlog.py BIN_DIR N"""
import json, os, subprocess, sys, time, urllib.request, datetime, shutil
bin_dir, n = sys.argv[1], int(sys.argv[2])
work = "/tmp/agency-backlog"; shutil.rmtree(work, ignore_errors=True); os.makedirs(work)
ports = dict(ingest=17801, feed=17802, sync=17803, http=17880, agency=17883)
open(f"{work}/hub.yaml", "w").write(f"""endpoints:
  ingest: tcp://127.0.0.1:{ports['ingest']}
  feed: tcp://127.0.0.1:{ports['feed']}
  sync: tcp://127.0.0.1:{ports['sync']}
  http: 127.0.0.1:{ports['http']}
data_dir: {work}/hub
journal:
  durability: os
picture:
  rules: /work/main/Config/correlation.yaml
""")
cfg = open("/work/main/Config/customs.yaml").read()
cfg = cfg.replace("listen: 127.0.0.1:7783", f"listen: 127.0.0.1:{ports['agency']}").replace("ingest_port: 7701", f"ingest_port: {ports['ingest']}") \
    .replace("feed_port: 7702", f"feed_port: {ports['feed']}").replace("sync_port: 7703", f"sync_port: {ports['sync']}")
open(f"{work}/customs.yaml", "w").write(cfg)
def rss(pid): 
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
def health():
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{ports['agency']}/healthz"))
agency = subprocess.Popen([f"{bin_dir}/ibm-customs", "--config", f"{work}/customs.yaml", "--data", f"{work}/customs", "--insecure"],
                          stderr=open(f"{work}/customs.log", "w"))
time.sleep(2)
print("rss at start (MB)", rss(agency.pid))
base = datetime.datetime(2026, 1, 1)
t0 = time.time()
for b in range(0, n, 1000):
    arr = [{"id": f"cus-bl-{i:07d}", "msg_type": "alert", "observed_at": (base + datetime.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "category": "smuggling_goods", "severity": "moderate", "urgency": "expected", "certainty": "observed", "tlp": "green",
            "headline": "Cigarettes in a truck", "location": {"lat": -60 + (i % 1000) * 0.12, "lon": 10.7},
            "subjects": [{"kind": "goods", "commodity": "cigarettes", "quantity": 400, "unit": "cartons"}]} for i in range(b, b + 1000)]
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{ports['agency']}/v1/alerts", data=json.dumps(arr).encode(),
                                                  headers={"Content-Type": "application/json"})).read()
    if b % (n // 5) == 0: print(f"  queued {b + 1000:>8}  rss {rss(agency.pid)} MB")
t1 = time.time()
print(f"intake: {n} alerts in {t1 - t0:.1f} s = {n / (t1 - t0):.0f} alerts/s (arrays of 1000, fsync); rss {rss(agency.pid)} MB; depth {health()['outbox_depth']}")
hub = subprocess.Popen([f"{bin_dir}/ibm-hub", "--config", f"{work}/hub.yaml", "--insecure"], stderr=open(f"{work}/hub.log", "w"))
t2 = time.time(); peak = 0
while True:
    time.sleep(1)
    peak = max(peak, rss(agency.pid)); h = health()
    if h["outbox_depth"] == 0: break
t3 = time.time()
print(f"drain: {n} alerts acked in {t3 - t2:.1f} s = {n / (t3 - t2):.0f} alerts/s; daemon peak rss while draining {peak} MB")
agency.terminate(); print("daemon exit status on SIGTERM", agency.wait(timeout=20))
hub.terminate(); hub.wait(timeout=30)
