#!/usr/bin/env python3
"""Validates docker/compose.yaml without a Docker engine.

1. Against the Compose specification's JSON schema (docker/compose-spec.json, vendored from
   Debian's docker-compose 1.29.2 package, Apache-2.0), after YAML anchors and merge keys
   are resolved as Compose resolves them.
2. Against what IBM Hub's deployment needs: the hub and the three agencies, each with a
   restart policy, a health check on /healthz of its own HTTP port, a data volume, its keys
   as secrets (mounted read-only by Compose under /run/secrets), and every secret and
   config it names declared at the top level.

Usage: validate-compose.py [COMPOSE_FILE [SCHEMA_FILE]]. Prints "ok: ..." and exits 0, or
prints each problem and exits 1.
"""
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as error:  # named, so the fix is obvious
    sys.exit(f"validate-compose.py needs Python's jsonschema and PyYAML ({error}); "
             "on Debian: apt-get install python3-jsonschema python3-yaml")

HERE = os.path.dirname(os.path.abspath(__file__))
AGENCY_PORTS = {"border": 7781, "migration": 7782, "customs": 7783}
DAEMONS = {"hub": ("ibm-hub", 7780), **{name: (f"ibm-{name}", port) for name, port in AGENCY_PORTS.items()}}


def problems_in(document):
    problems = []
    schema_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "compose-spec.json")
    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft7Validator(schema)
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        problems.append(f"schema: {where}: {error.message}")
    if problems:
        return problems

    services = document.get("services", {})
    secrets = document.get("secrets", {})
    configs = document.get("configs", {})
    volumes = document.get("volumes", {})
    for name, (executable, port) in DAEMONS.items():
        service = services.get(name)
        if service is None:
            problems.append(f"services.{name} is missing")
            continue
        command = service.get("command", [])
        if not command or command[0] != executable:
            problems.append(f"services.{name}.command must start with {executable}, not {command[:1]}")
        if service.get("restart") not in ("always", "unless-stopped", "on-failure"):
            problems.append(f"services.{name}.restart must restart the daemon, not {service.get('restart')!r}")
        test = " ".join(service.get("healthcheck", {}).get("test", []))
        if f"/{port}" not in test or "/healthz" not in test:
            problems.append(f"services.{name}.healthcheck must probe /healthz on port {port}: {test!r}")
        mounts = [v.split(":")[1] if isinstance(v, str) else v.get("target") for v in service.get("volumes", [])]
        if "/var/lib/ibm" not in mounts:
            problems.append(f"services.{name} keeps no data volume at /var/lib/ibm")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source")
            if source not in volumes:
                problems.append(f"services.{name}: volume {source} is not declared under volumes")
        own_key = f"{name}.key"
        targets = []
        for secret in service.get("secrets", []):
            source = secret if isinstance(secret, str) else secret.get("source")
            targets.append(secret if isinstance(secret, str) else secret.get("target", source))
            if source not in secrets:
                problems.append(f"services.{name}: secret {source} is not declared under secrets")
        if own_key not in targets:
            problems.append(f"services.{name} does not get its secret key {own_key} as a secret")
        if name != "hub" and "hub.pub" not in targets:
            problems.append(f"services.{name} does not get the hub's public key hub.pub as a secret")
        for config in service.get("configs", []):
            source = config if isinstance(config, str) else config.get("source")
            if source not in configs:
                problems.append(f"services.{name}: config {source} is not declared under configs")
        for dependency in service.get("depends_on", {}):
            if dependency not in services:
                problems.append(f"services.{name} depends on unknown service {dependency}")
    for name, service in services.items():
        if name not in DAEMONS and not service.get("profiles"):
            problems.append(f"services.{name} is not a daemon and should sit behind a profile")
    for kind, table in (("secrets", secrets), ("configs", configs)):
        for name, entry in table.items():
            if not str(entry.get("file", "")).startswith("./local/"):
                problems.append(f"{kind}.{name} must come from docker/local/ (made by prepare.sh, git-ignored)")
    return problems


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "compose.yaml")
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    # Compose drops extension fields (x-*) before it reads services; so does the check.
    problems = problems_in(document)
    if problems:
        for problem in problems:
            print(f"{path}: {problem}")
        return 1
    print(f"ok: {path} follows the Compose specification and runs the hub and the three agencies "
          f"({len(document['services'])} services)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
