#!/usr/bin/env bash
# Installs the Debian packages IBM Hub needs, if any are missing.
# As root it uses apt-get; otherwise it names the missing packages and stops.
set -euo pipefail
# python3-jsonschema/-yaml: the compose file check; iproute2, curl, binutils: the deployment
# tests (network namespaces, ldd/readelf of the binaries).
needed=(libzmq3-dev libsqlite3-dev pkg-config python3 python3-jsonschema python3-yaml iproute2 curl binutils "$@")
missing=()
for package in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "IBM Hub needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
