# Sourced by bench/recovery-after-kill.sh and bench/restart.sh.

# Milliseconds since the epoch.
ms() { date +%s%3N; }

# write_hub_config DIR DURABILITY: picks free loopback ports into p1..p4 (ingest, feed, sync,
# http) and writes DIR/hub.yaml for a hub with its data in DIR/data.
write_hub_config() {
  read -r p1 p2 p3 p4 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(4)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
  cat > "$1/hub.yaml" <<YAML
endpoints:
  ingest: tcp://127.0.0.1:$p1
  feed: tcp://127.0.0.1:$p2
  sync: tcp://127.0.0.1:$p3
  http: 127.0.0.1:$p4
data_dir: $1/data
journal:
  durability: $2
picture:
  rules: $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../Config/correlation.yaml
  expire_every: 1h
YAML
}
