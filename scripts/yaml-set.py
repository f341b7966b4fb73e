#!/usr/bin/env python3
"""yaml-set.py FILE KEY=VALUE...: prints FILE with each KEY (`top` or `top.child`) set to VALUE,
keeping every other line and comment, so a deployment's config stays the documented default
file with a few keys changed. Keys that are absent are added. VALUE is written as given
(quote it yourself where YAML needs quotes).

Used by docker/prepare.sh and Tests/DeployTests (network namespaces) to derive agency configs
from Config/<agency>.yaml.
"""
import re
import sys


def set_key(lines, path, value):
    parts = path.split(".")
    if len(parts) > 2 or not all(parts):
        sys.exit(f"yaml-set.py: {path}: only `top` or `top.child` keys are supported")
    top = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(parts[0])}:(\s|$)", line)), None)
    if len(parts) == 1:
        entry = f"{parts[0]}: {value}"
        if top is None:
            lines.append(entry)
        else:
            lines[top] = entry + comment_of(lines[top], after_value=True)
        return
    if top is None:
        lines += [f"{parts[0]}:", f"  {parts[1]}: {value}"]
        return
    indent = None
    end = top + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.startswith((" ", "\t", "#")):
            break
        match = re.match(r"^(\s+)([A-Za-z0-9_]+):(\s|$)", line)
        if match:
            indent = indent or match.group(1)
            if match.group(1) == indent and match.group(2) == parts[1]:
                lines[end] = f"{indent}{parts[1]}: {value}" + comment_of(line, after_value=True)
                return
        end += 1
    lines.insert(top + 1, f"{indent or '  '}{parts[1]}: {value}")


def comment_of(line, after_value):
    """The trailing `# comment` of a `key: value  # comment` line, with its spacing."""
    match = re.search(r"(\s+#.*)$", line.split(":", 1)[1] if after_value and ":" in line else line)
    return match.group(1) if match else ""


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: yaml-set.py FILE KEY=VALUE...")
    with open(sys.argv[1], encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    trailing_newline = lines and lines[-1] == ""
    if trailing_newline:
        lines.pop()
    for assignment in sys.argv[2:]:
        key, separator, value = assignment.partition("=")
        if not separator:
            sys.exit(f"yaml-set.py: {assignment} is not KEY=VALUE")
        set_key(lines, key, value)
    sys.stdout.write("\n".join(lines) + ("\n" if trailing_newline else ""))


if __name__ == "__main__":
    main()
