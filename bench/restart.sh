#!/usr/bin/env bash
# Hub restart time on a given journal, as after a SIGKILL (issues #9, #10): copies the
# journal (journal.sqlite plus its -wal and -shm, as a killed hub left them) to a
# temporary folder, starts ibm-hub on it and times start -> ack of an alert that is
# already in the journal (a duplicate: the hub must have rebuilt its dedup filter and
# picture to answer it). Prints, per run, the wall time, the hub's CPU time to that ack,
# the load average and the start-up phases the hub logged.
#
# usage: bench/restart.sh JOURNAL_DIR [RUNS (default 3)]
# env:   BIN=.build/release (ibm-hub, ibmctl), HUB_NICE=-20 (root: priority on a shared machine)
set -euo pipefail
src=${1:?usage: bench/restart.sh JOURNAL_DIR [RUNS]}
RUNS=${2:-3}
BIN=${BIN:-.build/release}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hub-config.sh"
[ -f "$src/journal.sqlite" ] || { echo "no journal.sqlite in $src" >&2; exit 2; }
dir=$(mktemp -d /tmp/ibm-restart-XXXXXX)
hub_pid=
trap '[ -n "$hub_pid" ] && kill -9 $hub_pid 2>/dev/null; rm -rf "$dir"' EXIT

for k in $(seq 1 "$RUNS"); do
  rm -rf "$dir/data"; mkdir -p "$dir/data"
  for f in journal.sqlite journal.sqlite-wal journal.sqlite-shm; do
    [ -f "$src/$f" ] && cp "$src/$f" "$dir/data/$f"
  done
  sync
  write_hub_config "$dir" os
  if [ ! -s "$dir/probe.jsonl" ]; then
    # The first alert of the journal, resent: read from a scratch copy so the run's copy stays as it was.
    mkdir -p "$dir/probe-src"; cp "$dir"/data/journal.sqlite* "$dir/probe-src/"
    "$BIN/ibmctl" replay --journal "$dir/probe-src/journal.sqlite" --until-seq 100 --format jsonl | head -1 >"$dir/probe.jsonl"
    rm -rf "$dir/probe-src"
    [ -s "$dir/probe.jsonl" ] || { echo "no alert in the first 100 records" >&2; exit 2; }
  fi
  records=$(sqlite3 "file:$dir/data/journal.sqlite?mode=ro" "select max(seq) from records")
  cp_seq=$(sqlite3 "file:$dir/data/journal.sqlite?mode=ro" "select coalesce(max(seq),0) from checkpoints")
  t0=$(ms)
  nice -n "${HUB_NICE:-0}" "$BIN/ibm-hub" --config "$dir/hub.yaml" --insecure --log-level info >"$dir/hub-$k.log" 2>&1 &
  hub_pid=$!
  nice -n "${HUB_NICE:-0}" "$BIN/ibmctl" publish --insecure --hub 127.0.0.1:$p1 --feed-port $p2 --sync-port $p3 \
    --http-port $p4 --timeout 120 "$dir/probe.jsonl" >"$dir/probe-$k.out"
  t_ack=$(ms)
  cpu_ms=$(awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$hub_pid/stat")
  load=$(cut -d' ' -f1 /proc/loadavg)
  kill -TERM "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=
  printf 'run %d: journal %d records (checkpoint at %d, tail %d): first ack after %d ms, hub CPU %d ms, load %s (%s)\n' \
    "$k" "$records" "$cp_seq" $((records - cp_seq)) $((t_ack - t0)) "$cpu_ms" "$load" "$(tr -d '\n' <"$dir/probe-$k.out")"
  grep -E "picture (recovered|published)" "$dir/hub-$k.log" | sed "s/^/  /" || true
done
