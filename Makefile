# Targets are listed by `make help` (the default) from their "## " comments.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
STATIC_LDFLAGS := -s -w -X main.version=$(VERSION)
RELEASE_ARCHS := amd64 arm64

# Fuzz targets as package:FuzzName; `make test` runs each for FUZZTIME, `make fuzz` for FUZZTIME_LONG.
FUZZ_TARGETS := ./linebuf:FuzzSplitter ./fmtjson:FuzzObject ./fmtjson:FuzzWrapped
FUZZTIME ?= 10s
FUZZTIME_LONG ?= 5m

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build static testsvc run test test-docker fuzz lint shape bench release image clean

help: ## show this list
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > w) w = length($$1) } \
			END { for (i = 1; i <= NR; i++) printf "  %-" w "s %s\n", name[i], text[i] }'

build: ## go build -o bin/dinit ./cmd/dinit
	$(GO) build -o bin/dinit ./cmd/dinit

static: ## static bin/dinit (CGO_ENABLED=0, -trimpath, stripped, version from git)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(STATIC_LDFLAGS)' -o bin/dinit ./cmd/dinit

testsvc: ## static bin/testsvc, the test service program (internal/testsvc)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/testsvc ./internal/testsvc

run: build ## run bin/dinit on examples/services (no root needed; Ctrl-C stops it)
	DINIT_DIR=examples/services DINIT_LOG_LEVEL=info ./bin/dinit

test: ## the full suite: go test -race ./... and each fuzz target for FUZZTIME
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME_LONG=$(FUZZTIME)

test-docker: ## the real-container tests alone (needs a Docker engine; under CI=true they fail without one)
	$(GO) test -count=1 -v -run '^TestDocker' ./integration/

fuzz: ## each fuzz target for FUZZTIME_LONG (default 5m)
	@for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME_LONG)"; \
		$(GO) test -list="^$$name\$$" "$$pkg" | grep -x "$$name" >/dev/null || \
			{ echo "fuzz target $$name not found in $$pkg" >&2; exit 1; }; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME_LONG) "$$pkg"; \
	done

lint: ## gofmt, go vet, staticcheck and the x/sys/unix import fence
	@unformatted=$$(gofmt -l .); \
		if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	scripts/importfence.sh

shape: ## lines per file and function, test:code, per package (internal/shape)
	$(GO) run ./internal/shape ./cmd/dinit ./loop ./proc ./proc/relay ./proc/inject ./proc/status ./proc/internal/sys ./linebuf ./fmtjson

bench: ## benchmarks (scripts/bench.sh)
	scripts/bench.sh

release: ## dist/dinit-linux-{amd64,arm64} (static, reproducible) and dist/SHA256SUMS
	@mkdir -p dist
	@for arch in $(RELEASE_ARCHS); do \
		echo "build dist/dinit-linux-$$arch ($(VERSION))"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath \
			-ldflags '$(STATIC_LDFLAGS) -buildid=' -o dist/dinit-linux-$$arch ./cmd/dinit; \
	done
	cd dist && sha256sum $(addprefix dinit-linux-,$(RELEASE_ARCHS)) > SHA256SUMS
	@cat dist/SHA256SUMS

image: release ## docker image dinit:dev from the root Dockerfile
	docker build -t dinit:dev .

clean: ## remove bin/ and dist/
	rm -rf bin dist
