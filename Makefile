# Recombine — build, test, demo and benchmarks.
# `make demo` and `make test` work on a fresh Debian machine: both install what they need first.

SWIFT      ?= swift
DEB_PKGS   := libgsl-dev pkg-config zlib1g-dev liblzma-dev liblz4-dev libzstd-dev libxxhash-dev libcairo2-dev libfreetype-dev fonts-dejavu-core
BIN        := .build/release/recombine
DEMO_OUT   := demo-output

.PHONY: all deps build test demo bench clean install

all: build

## deps: install the Debian packages the build needs, only those that are missing.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present ($(DEB_PKGS))"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "deps: apt-get not found. Install these packages with your system's package manager:$$missing" >&2; exit 1; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else \
	    echo "deps: not root and no sudo. Run as root: apt-get update && apt-get install -y$$missing" >&2; exit 1; fi; \
	fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	  || { echo "deps: apt-get install failed for:$$missing" >&2; exit 1; }

## build: release build of the command-line tool.
build: deps
	$(SWIFT) build -c release --product recombine

## test: dependencies, release build, then every test (Swift Testing).
test: deps build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

## demo: dependencies, release build, then the main job end to end on the repository's own inputs.
demo: deps build
	@rm -rf $(DEMO_OUT) && mkdir -p $(DEMO_OUT)
	@bash Examples/demo.sh $(BIN) $(DEMO_OUT)

## bench: release benchmarks (ratios and throughputs measured in one process). They time the
## project's reference cards, so they need the reference folder: SHARED (default ../shared, set for
## this target alone). demo, test, build and install need nothing beside the checkout.
bench: SHARED ?= ../shared
bench: deps
	@test -d "$(SHARED)/reference" || { echo "bench: $(SHARED)/reference not found: the benchmarks time the reference cards (give SHARED=DIR)" >&2; exit 1; }
	$(SWIFT) build -c release --product RecombineBench
	.build/release/RecombineBench $(SHARED)

## install: the release binary to $(PREFIX)/bin/recombine, and the link $(PREFIX)/bin/combine to it
## (run under that name it takes Combine's command line: combine -M MultiDimFit CARD …).
PREFIX ?= /usr/local
install: build
	install -d "$(PREFIX)/bin"
	install -m 755 $(BIN) "$(PREFIX)/bin/recombine"
	ln -sf recombine "$(PREFIX)/bin/combine"
	@echo "installed $(PREFIX)/bin/recombine and $(PREFIX)/bin/combine"

clean:
	rm -rf .build $(DEMO_OUT)
