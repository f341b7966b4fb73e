#!/usr/bin/env python3
"""Publishes alerts at a fixed rate to a hub started with --insecure and prints
publish→ack latency percentiles. A client written only from Protocols/README.md.

usage: ack-latency.py ALERTS.jsonl RATE COUNT [--ingest tcp://127.0.0.1:7701] [--py DIR]
DIR holds the Python classes made by: protoc -I Protocols --python_out=DIR Protocols/ibm/v1/*.proto
"""
import json, sys, time

def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default

path, rate, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, arg("--py", "/tmp/ibmpy"))
import zmq
from google.protobuf import timestamp_pb2
from ibm.v1 import alert_pb2, ingest_pb2

E = {"msg_type": "MSG_TYPE_", "category": "CATEGORY_", "severity": "SEVERITY_", "urgency": "URGENCY_",
     "certainty": "CERTAINTY_", "tlp": "TLP_"}

def to_proto(a):
    m = alert_pb2.Alert(id=a["id"], origin=a["origin"], headline=a["headline"],
                        description=a.get("description", ""), references=a.get("references", []),
                        recipients=a.get("recipients", []))
    for k, p in E.items():
        setattr(m, k, getattr(alert_pb2, p + a[k].upper().replace("+", "_")))
    m.observed_at.FromJsonString(a["observed_at"])
    loc = a["location"]
    m.location.lat, m.location.lon = loc["lat"], loc["lon"]
    m.location.place, m.location.sector = loc.get("place", ""), loc.get("sector", "")
    for s in a["subjects"]:
        kind = s["kind"]
        sub = m.subjects.add()
        msg = getattr(sub, kind)
        for k, v in s.items():
            if k == "kind":
                continue
            if isinstance(v, list):
                getattr(msg, k).extend(v)
            else:
                setattr(msg, k, v)
        msg.SetInParent()
    return m

frames = []
with open(path) as f:
    for line in f:
        if len(frames) >= count:
            break
        frames.append((json.loads(line)["id"], ingest_pb2.IngestRequest(publish=to_proto(json.loads(line))).SerializeToString()))
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.connect(arg("--ingest", "tcp://127.0.0.1:7701"))
poller = zmq.Poller()
poller.register(s, zmq.POLLIN)
sent, lat = {}, []
start = time.perf_counter()
i = 0
while len(lat) < len(frames):
    now = time.perf_counter()
    while i < len(frames) and now >= start + i / rate:
        sent[frames[i][0]] = time.perf_counter()
        s.send(frames[i][1])
        i += 1
    wait = max(0, (start + i / rate - time.perf_counter()) * 1000) if i < len(frames) else 1000
    for _ in poller.poll(min(wait, 1000)):
        while True:
            try:
                body = s.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            r = ingest_pb2.IngestReply.FromString(body)
            aid = r.ack.alert_id if r.HasField("ack") else r.nack.alert_id
            if aid in sent:
                lat.append((time.perf_counter() - sent.pop(aid)) * 1000)
    if time.perf_counter() - start > len(frames) / rate + 30:
        break
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(f"acks {len(lat)}/{len(frames)} at {rate:.0f}/s: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, p99.9 {pct(99.9):.2f} ms, max {lat[-1]:.2f} ms")
