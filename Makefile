# IBM Hub: the two commands a new user needs are `make demo` and `make test`.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: demo test build release deps protos clean help

help:
	@echo "make demo    build and run the hub, the three agency daemons and a scenario feeder"
	@echo "make test    install what is missing, build, and run every test"
	@echo "make release build the executables in release mode (.build/release)"
	@echo "make protos  regenerate Swift code from Protocols/ibm/v1/*.proto"
	@echo "make fuzz    build the libFuzzer targets in Fuzz/ and run each for FUZZ_SECONDS (600)"
	@echo "make fuzz-smoke  the same for a few seconds per target (for CI)"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

test: deps
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)

demo: release
	scripts/demo.sh

protos:
	@scripts/install-deps.sh protobuf-compiler
	Protocols/generate.sh

# libFuzzer targets for the decoders (README.md "Fuzzing"); exit 1 if any crashed.
.PHONY: fuzz fuzz-smoke
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 5

fuzz:
	scripts/fuzz.sh --seconds $(FUZZ_SECONDS)

fuzz-smoke:
	scripts/fuzz.sh --seconds $(FUZZ_SMOKE_SECONDS)

clean:
	rm -rf .build .build-protoc
