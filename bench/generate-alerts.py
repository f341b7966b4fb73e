#!/usr/bin/env python3
"""Writes N alerts in the JSON form, shaped like the dev scenario, with fresh ids,
identifiers and times, split into one JSONL file per agency.

usage: generate-alerts.py N OUT_DIR [--seed S]

Each output alert copies a random dev-scenario alert of the same agency, gets a new
id (`<prefix>-b<counter>`), an observed_at advancing by ~2 s per alert from a fixed
start, and its identifiers (plates, documents, serials, MMSI/IMO, references)
suffixed with a per-event tag and a location moved by up to ±1.5° per event, so
correlation does real work (the three reports of one event share identifiers and
place) without proximity merging unrelated events that copy the same dev place.
Updates and cancels are dropped."""
import json, random, sys, os, datetime

def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    rng = random.Random(seed)
    here = os.path.dirname(os.path.abspath(__file__))
    dev = os.path.join(here, "..", "..", "shared", "scenarios", "dev", "alerts.jsonl")
    by_origin = {}
    for line in open(dev):
        a = json.loads(line)
        if a["msg_type"] == "alert":
            by_origin.setdefault(a["origin"], []).append(a)
    os.makedirs(out, exist_ok=True)
    files = {o: open(os.path.join(out, o + ".jsonl"), "w") for o in by_origin}
    start = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
    prefix = {"border": "bor", "migration": "mig", "customs": "cus"}
    origins = sorted(by_origin)
    offsets = {}
    for i in range(n):
        origin = origins[i % len(origins)]
        event = i // 3
        if event not in offsets:
            offsets.clear()
            offsets[event] = (rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5))
        a = json.loads(json.dumps(rng.choice(by_origin[origin])))
        tag = "%d" % (i // 3)  # three agencies report each synthetic event
        a["id"] = "%s-b%08d" % (prefix[origin], i)
        t = start + datetime.timedelta(seconds=2 * (i // 3), milliseconds=rng.randint(0, 900))
        a["observed_at"] = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        dlat, dlon = offsets[event]
        a["location"]["lat"] = round(max(-89.9, min(89.9, a["location"]["lat"] + dlat)), 5)
        a["location"]["lon"] = round(max(-179.9, min(179.9, a["location"]["lon"] + dlon)), 5)
        for s in a["subjects"]:
            for k in ("plate", "document", "serial", "mmsi", "imo", "reference"):
                if k in s:
                    s[k] = s[k] + "X" + tag
        files[origin].write(json.dumps(a, ensure_ascii=False, separators=(",", ":")) + "\n")
    for f in files.values():
        f.close()

if __name__ == "__main__":
    main()
