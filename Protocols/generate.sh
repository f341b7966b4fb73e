#!/usr/bin/env bash
# Regenerates the Swift code for Protocols/ibm/v1/*.proto into Sources/IBMProtocol/Generated.
# The generated code is committed; run this only after changing a .proto file.
# Needs protoc (Debian: protobuf-compiler) and builds swift-protobuf's protoc-gen-swift
# once, at the version Package.swift pins, into .build-protoc/ (git-ignored).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(sed -n 's/.*swift-protobuf.*from: "\([0-9.]*\)".*/\1/p' Package.swift)
plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
  src=.build-protoc/swift-protobuf
  if [ ! -d "$src" ]; then
    mkdir -p .build-protoc
    git clone --quiet https://github.com/apple/swift-protobuf "$src"
  fi
  git -C "$src" checkout --quiet "$version"
  (cd "$src" && swift build -c release --product protoc-gen-swift)
  plugin="$src/.build/release/protoc-gen-swift"
fi
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
out=Sources/IBMProtocol/Generated
rm -f "$out"/*.pb.swift
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$out" --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
  -I Protocols Protocols/ibm/v1/*.proto
echo "generated: $(ls "$out")"
