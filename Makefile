# IBM Hub: the two commands a new user needs are `make demo` and `make test`.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: demo test test-faults build release deps protos clean help bench

help:
	@echo "make demo    build and run the hub, the three agency daemons and a scenario feeder"
	@echo "make demo-clean  wipe the demo's data (demo-data/); the development keys in .dev/ stay"
	@echo "make test    install what is missing, build, and run every test"
	@echo "make test-faults  the fault-injection suite's long form (about 20 minutes; root for the disk-full tmpfs)"
	@echo "make release build the executables in release mode (.build/release)"
	@echo "make protos  regenerate Swift code from Protocols/ibm/v1/*.proto"
	@echo "make fuzz    build the libFuzzer targets in Fuzz/ and run each for FUZZ_SECONDS (600)"
	@echo "make fuzz-smoke  the same for a few seconds per target (for CI)"
	@echo "make bench   IBM Hub side by side with zmq_proxy, JetStream, Mosquitto, Redis (bench/README.md)"

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

test: deps
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)

# The quick form of the fault suite runs in `make test`; this adds the long form (FAULT_SEED=N replays a run).
test-faults: deps
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	FAULTS=long FAULT_REPORT=$${FAULT_REPORT:-/tmp/ibm-fault-summary.md} $(SWIFT) test --skip-build --filter FaultTests $(SWIFT_BUILD_FLAGS)

demo: release
	@scripts/demo.sh

.PHONY: demo-clean
demo-clean:
	rm -rf demo-data

protos:
	@scripts/install-deps.sh protobuf-compiler
	Protocols/generate.sh

# BENCH_ARGS: e.g. --long, --alerts 300000, --systems hub-os,jetstream (see bench/run.py --help)
bench:
	@scripts/install-deps.sh nats-server mosquitto libmosquitto-dev redis-server libhiredis-dev \
		golang-go golang-github-nats-io-go-nats-dev gcc python3
	python3 bench/run.py $(BENCH_ARGS)

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
