#!/usr/bin/env python3
"""Writes N alerts in the JSON form, shaped like the dev scenario, with fresh ids,
identifiers and times, split into one JSONL file per agency.

usage: generate-alerts.py N OUT_DIR [--seed S]

Each output alert copies a random dev-scenario alert of the same agency, gets a new
id (`<prefix>-b<counter>`), an observed_at advancing by ~2 s per alert from a fixed
start, and its identifiers (plates, documents, serials, MMSI/IMO, references)
suffixed with a per-copy tag, so correlation does real work (copies of one event
share identifiers) without merging everything. Updates and cancels are dropped."""
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
    for i in range(n):
        origin = origins[i % len(origins)]
        a = json.loads(json.dumps(rng.choice(by_origin[origin])))
        tag = "%d" % (i // 3)  # three agencies report each synthetic event
        a["id"] = "%s-b%08d" % (prefix[origin], i)
        t = start + datetime.timedelta(seconds=2 * (i // 3), milliseconds=rng.randint(0, 900))
        a["observed_at"] = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        for s in a["subjects"]:
            for k in ("plate", "document", "serial", "mmsi", "imo", "reference"):
                if k in s:
                    s[k] = s[k] + "X" + tag
        files[origin].write(json.dumps(a, ensure_ascii=False, separators=(",", ":")) + "\n")
    for f in files.values():
        f.close()

if __name__ == "__main__":
    main()
