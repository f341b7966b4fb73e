#!/usr/bin/env bash
# dev-keys.sh KEY_DIR: makes the CURVE key pairs of a development or test network (the hub,
# border, migration, customs and a coordinator) with `ibmctl keys generate`, keeping pairs
# that already exist, and prints the `identities:` block of hub.yaml that admits them.
# IBMCTL names the ibmctl to run (default .build/release/ibmctl); it may be a command line,
# e.g. IBMCTL="docker run --rm -v $PWD/docker/local:/out ibm-hub:latest ibmctl".
# Used by scripts/demo.sh and docker/prepare.sh.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 KEY_DIR" >&2; exit 2; }
keys=$1
ibmctl=${IBMCTL:-.build/release/ibmctl}
# Where ibmctl writes, seen from ibmctl (a container sees the folder at another path).
out=${IBMCTL_OUT:-$keys}
mkdir -p "$keys"
chmod 700 "$keys"
identities=(border:agency migration:agency customs:agency coordinator:coordinator)
for entry in hub:server "${identities[@]}"; do
  name=${entry%%:*}
  role=${entry#*:}
  [ -f "$keys/$name.key" ] && [ -f "$keys/$name.pub" ] && continue
  rm -f "$keys/$name.key" "$keys/$name.pub"
  if [ "$role" = server ]; then
    $ibmctl keys generate --name "$name" --out "$out" > /dev/null
  else
    $ibmctl keys generate --name "$name" --role "$role" --out "$out" > /dev/null
  fi
done
echo "identities:"
for entry in "${identities[@]}"; do
  name=${entry%%:*}
  printf '  - name: %s\n    role: %s\n    public_key: "%s"\n' "$name" "${entry#*:}" "$(tr -d '[:space:]' < "$keys/$name.pub")"
done
