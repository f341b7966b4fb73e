#!/usr/bin/env bash
# docker/prepare.sh: makes docker/local/ (git-ignored) for docker/compose.yaml:
#   keys/     CURVE key pairs of the hub, border, migration, customs and a coordinator
#             (kept if they exist: delete a pair to replace it)
#   hub.yaml  docker/config/hub.yaml plus the `identities:` that admit those keys
#   <agency>.yaml  Config/<agency>.yaml with the container's listen address, hub host,
#             key folder (/run/secrets) and data folder (/var/lib/ibm/<agency>)
# Environment: HUB_HOST (default `hub`, the compose service; give the hub's DNS name or IP
# when an agency runs on another host), IBM_IMAGE (default ibm-hub:latest), IBMCTL (an
# ibmctl to use instead of the image's, e.g. .build/release/ibmctl).
set -euo pipefail
cd "$(dirname "$0")/.."
local_dir=docker/local
keys=$local_dir/keys
image=${IBM_IMAGE:-ibm-hub:latest}
hub_host=${HUB_HOST:-hub}
mkdir -p "$keys"

if [ -n "${IBMCTL:-}" ]; then
  export IBMCTL
elif [ -x .build/release/ibmctl ]; then
  export IBMCTL=.build/release/ibmctl
else
  # The image's own ibmctl, writing into the mounted key folder as the calling user.
  export IBMCTL="docker run --rm --user $(id -u):$(id -g) -v $PWD/$keys:/keys $image ibmctl"
  export IBMCTL_OUT=/keys
fi

{
  cat docker/config/hub.yaml
  scripts/dev-keys.sh "$keys"
} > "$local_dir/hub.yaml.tmp"
mv "$local_dir/hub.yaml.tmp" "$local_dir/hub.yaml"

declare -A port=([border]=7781 [migration]=7782 [customs]=7783)
for agency in border migration customs; do
  scripts/yaml-set.py "Config/$agency.yaml" \
    "http.listen=0.0.0.0:${port[$agency]}" "hub.host=$hub_host" \
    "security.key_dir=/run/secrets" "data_dir=/var/lib/ibm/$agency" > "$local_dir/$agency.yaml.tmp"
  mv "$local_dir/$agency.yaml.tmp" "$local_dir/$agency.yaml"
done

# Compose mounts file secrets as they are: the image's user (uid 10001) must read them.
if [ "$(id -u)" -eq 0 ]; then
  chown 10001:10001 "$keys"/*.key
  echo "wrote $local_dir/: keys (secret keys owned by uid 10001, the image's user), hub.yaml, border.yaml, migration.yaml, customs.yaml"
else
  echo "wrote $local_dir/: keys, hub.yaml, border.yaml, migration.yaml, customs.yaml"
  echo "the containers run as uid 10001 and must read the secret keys: sudo chown 10001:10001 $keys/*.key"
fi
echo "the coordinator's key pair is $keys/coordinator.key (+ hub.pub): copy both to the coordinator's machine for ibmctl --key-dir"
