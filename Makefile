# IBM Hub: the two commands a new user needs are `make demo` and `make test`.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: demo test build release deps protos clean help

help:
	@echo "make demo    build and run the hub, the three agency daemons and a scenario feeder"
	@echo "make test    install what is missing, build, and run every test"
	@echo "make release build the executables in release mode (.build/release)"
	@echo "make protos  regenerate Swift code from Protocols/ibm/v1/*.proto"

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

clean:
	rm -rf .build .build-protoc
