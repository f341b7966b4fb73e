#!/usr/bin/env bash
# make demo: run the hub on loopback and publish the development scenario through it.
# Data goes to demo-data/ (git-ignored); `rm -rf demo-data` wipes it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release
scenario=${SCENARIO:-../shared/scenarios/dev/alerts.jsonl}
data=demo-data
mkdir -p "$data"
[ -f "$scenario" ] || { echo "scenario file not found: $scenario" >&2; exit 1; }

cat > "$data/hub.yaml" <<YAML
# Written by scripts/demo.sh: the hub on loopback only, data under demo-data/.
endpoints:
  ingest: tcp://127.0.0.1:7701
  feed: tcp://127.0.0.1:7702
  sync: tcp://127.0.0.1:7703
  http: 127.0.0.1:7780
data_dir: $data/hub
journal:
  durability: fsync
picture:
  rules: Config/correlation.yaml
YAML

"$bin/ibm-hub" --config "$data/hub.yaml" --insecure > "$data/hub.log" 2>&1 &
hub=$!
trap 'kill -TERM $hub 2>/dev/null; wait $hub 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs 127.0.0.1:7780/healthz >/dev/null 2>&1 && break
  kill -0 $hub 2>/dev/null || { cat "$data/hub.log" >&2; exit 1; }
  sleep 0.1
done
echo "== ibm-hub is up (log: $data/hub.log); publishing $scenario"
"$bin/ibmctl" publish --insecure "$scenario" > "$data/acks.jsonl"
echo "== answers by outcome:"
grep -o '"outcome":"[a-z]*"\|"nack"' "$data/acks.jsonl" | sort | uniq -c
echo "== the shared picture now: open incidents (first 10 lines of the snapshot):"
timeout 3 "$bin/ibmctl" watch --insecure --format jsonl > "$data/picture.jsonl" 2>/dev/null || true
echo "$(grep -c '"kind":"snapshot"' "$data/picture.jsonl") open incidents;" \
  "$(grep '"kind":"snapshot"' "$data/picture.jsonl" | grep -c '"corroboration":[23]') corroborated by two or three agencies"
head -10 "$data/picture.jsonl" | cut -c1-240
echo "== journal check:"
"$bin/ibmctl" verify --journal "$data/hub/journal.sqlite"
cat <<TXT

Next, try:
  $bin/ibmctl replay --journal $data/hub/journal.sqlite --format jsonl --from-seq 1 | head
  $bin/ibmctl verify --journal $data/hub/journal.sqlite
  sqlite3 $data/hub/journal.sqlite 'select * from records_readable limit 5'
The hub is stopped when this script ends; run make demo again to publish once more
(every alert then comes back as a duplicate).
TXT
