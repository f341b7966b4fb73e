#!/usr/bin/env bash
# make demo: the whole IBM Hub network on loopback. Development CURVE keys go to .dev/keys,
# data to demo-data/ (both git-ignored); the hub, ibm-border, ibm-migration and ibm-customs
# start, `ibmctl feed` plays the scenario into the agencies' HTTP intakes, and `ibmctl watch`
# shows the shared picture in the foreground. Ctrl-C stops everything.
#
# Environment:
#   SCENARIO=FILE      alerts to play (default ../shared/scenarios/dev/alerts.jsonl)
#   SPEED=N|max        how much faster than the alerts' own clock (default 600)
#   DEMO_BIN=DIR       folder of the executables (default .build/release; tests use the debug build)
#   DEMO_DATA=DIR      data folder (default demo-data)
#   DEMO_HEADLESS=1    no terminal view: follow the feed into DEMO_DATA/watch.jsonl for
#                      DEMO_SECONDS (default 60), then stop everything and report
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DEMO_BIN:-.build/release}
data=${DEMO_DATA:-demo-data}
keys=.dev/keys   # where the agency configs and ibmctl look by default
scenario=${SCENARIO:-../shared/scenarios/dev/alerts.jsonl}
speed=${SPEED:-600}
headless=${DEMO_HEADLESS:-0}
seconds=${DEMO_SECONDS:-60}
agencies=(border migration customs)
declare -A http_port=([hub]=7780 [border]=7781 [migration]=7782 [customs]=7783)
ports=(7701 7702 7703 7780 7781 7782 7783)

say() { printf '== %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for program in ibm-hub ibm-border ibm-migration ibm-customs ibmctl; do
  [ -x "$bin/$program" ] || fail "$bin/$program is missing: build first (make demo builds in release mode)"
done
[ -f "$scenario" ] || fail "scenario file not found: $scenario (set SCENARIO=FILE)"

# Is something listening on 127.0.0.1:PORT? (bash's /dev/tcp: no curl or ss needed)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Does GET /healthz on PORT answer 200?
healthy() {
  local status
  status=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
    timeout 2 head -n 1 <&3) 2>/dev/null) || return 1
  [[ $status == *" 200 "* ]]
}

mkdir -p "$data"
pidfile=$data/demo.pids
# A previous run that was killed outright may have left daemons: stop those (and only those).
if [ -f "$pidfile" ]; then
  while read -r pid; do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    if [[ $exe == "$(cd "$bin" && pwd)"/* ]]; then
      say "stopping pid $pid left over from an earlier run ($exe)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < "$pidfile"
  rm -f "$pidfile"
fi
for port in "${ports[@]}"; do
  listening "$port" && fail "port $port on 127.0.0.1 is already in use (another hub or demo?); stop it first"
done

say "development CURVE keys in $keys (hub, border, migration, customs, coordinator)"
hub_config=$data/hub.yaml
{
  cat <<YAML
# Written by scripts/demo.sh: the hub on loopback with the development keys of $keys.
endpoints:
  ingest: tcp://127.0.0.1:7701
  feed: tcp://127.0.0.1:7702
  sync: tcp://127.0.0.1:7703
  http: 127.0.0.1:7780
data_dir: $data/hub
picture:
  rules: Config/correlation.yaml
  # The scenario's alerts were observed weeks before today: with the usual 1m, every
  # incident would close as idle at once. The demo keeps them open.
  expire_every: 3650d
security:
  server_secret_key_file: $keys/hub.key
YAML
  IBMCTL=$bin/ibmctl scripts/dev-keys.sh "$keys"
} > "$hub_config.tmp"
mv "$hub_config.tmp" "$hub_config"
if [ -f "$data/hub/journal.sqlite" ]; then
  say "$data/ holds an earlier run: the network resumes from it; alerts it already holds are answered as before and change nothing (make demo-clean starts afresh)"
fi

pids=()
names=()
# start NAME OUT COMMAND...: runs COMMAND in its own session (so that Ctrl-C reaches only the
# foreground view, and this script stops the daemons in order), stdout to OUT, stderr to
# DATA/NAME.log.
start() {
  local name=$1 out=$2
  shift 2
  if [ "$out" = "$data/$name.log" ]; then
    setsid "$@" > "$out" 2>&1 < /dev/null &
  else
    setsid "$@" > "$out" 2> "$data/$name.log" < /dev/null &
  fi
  pids+=($!)
  names+=("$name")
  echo $! >> "$pidfile"
}

stopped=0
stop_all() {
  [ $stopped -eq 1 ] && return
  stopped=1
  trap '' INT TERM
  echo
  say "stopping the feeder, the agencies, then the hub"
  local index pid
  # Reverse start order: the feeder and the agencies go before the hub they talk to.
  for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
    pid=${pids[$index]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "${names[$index]} (pid $pid) did not stop within 15 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  rm -f "$pidfile"
  local busy=()
  for port in "${ports[@]}"; do
    for _ in $(seq 1 50); do listening "$port" || break; sleep 0.1; done
    listening "$port" && busy+=("$port")
  done
  [ ${#busy[@]} -eq 0 ] || say "ports still in use: ${busy[*]}"
  say "stopped; every port is free again"
}

report() {
  local journal=$data/hub/journal.sqlite
  cat <<TXT

The journal is $journal; the logs are $data/*.log; the feeder's answers are $data/feed.jsonl.
Next, try:
  $bin/ibmctl verify --journal $journal
  $bin/ibmctl replay --journal $journal --records events --format table | head -20
  $bin/ibmctl replay --journal $journal --category arms_trafficking --format jsonl | head -3
  $bin/ibmctl status            # while the network runs (make demo again)
  curl -s 127.0.0.1:7781/v1/picture | head -c 600   # an agency's own view, while it runs
  curl -s 127.0.0.1:7783/v1/alerts/<id>             # an alert's delivery state (from $data/feed.jsonl)
  make demo-clean               # wipe $data/ and start afresh
TXT
}

finish() {
  local status=$?
  stop_all
  report
  exit $status
}
trap finish EXIT
# Ctrl-C is how the demo ends: not an error.
trap 'exit 0' INT TERM

wait_healthy() {
  local name=$1 port=$2 pid=$3
  for _ in $(seq 1 300); do
    healthy "$port" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$data/$name.log" >&2; fail "$name exited during start-up (log: $data/$name.log)"; }
    sleep 0.1
  done
  tail -20 "$data/$name.log" >&2
  fail "$name did not answer /healthz on port $port within 30 s (log: $data/$name.log)"
}

say "starting ibm-hub (log: $data/hub.log)"
start hub "$data/hub.log" "$bin/ibm-hub" --config "$hub_config"
wait_healthy hub 7780 "${pids[-1]}"
for agency in "${agencies[@]}"; do
  say "starting ibm-$agency on 127.0.0.1:${http_port[$agency]} (log: $data/$agency.log)"
  start "$agency" "$data/$agency.log" "$bin/ibm-$agency" --config "Config/$agency.yaml" --data "$data/$agency"
done
for index in 1 2 3; do
  wait_healthy "${names[$index]}" "${http_port[${names[$index]}]}" "${pids[$index]}"
done
say "feeding $scenario at ${speed}x into the agencies' intakes (answers: $data/feed.jsonl, log: $data/feed.log)"
start feed "$data/feed.jsonl" "$bin/ibmctl" feed --speed "$speed" "$scenario"

if [ "$headless" = 1 ]; then
  say "headless: following the picture into $data/watch.jsonl for $seconds s"
  start watch "$data/watch.jsonl" "$bin/ibmctl" watch --format jsonl
  sleep "$seconds"
  acked=$(grep -c '"state":"acked"' "$data/feed.jsonl" || true)
  snapshot=$(grep -c '"kind":"snapshot"' "$data/watch.jsonl" || true)
  live=$(grep -vc '"kind":"snapshot"' "$data/watch.jsonl" || true)
  say "after $seconds s: $acked alerts acked by the hub (via the agencies); the coordinator's view got $snapshot snapshot lines and $live live events"
  [ "$acked" -gt 0 ] || fail "no alert was acked: see $data/feed.log and $data/*.log"
  [ $((snapshot + live)) -gt 0 ] || fail "the coordinator's view received nothing: see $data/watch.log"
  exit 0
fi

say "the coordinator's live view; Ctrl-C stops the whole network"
sleep 1
set +e
"$bin/ibmctl" watch
