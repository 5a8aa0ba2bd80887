# Two entry points, both safe on a fresh machine with Go and npm:
#   make demo  — synthesize the stacks (cdk.out/) with the pinned CDK CLI, and
#                run the demo export locally through the synthesized state machines
#   make test  — gofmt, go vet, golangci-lint (.golangci.yml) and every Go test
# Node tooling (Node 22, the CDK CLI, jsonata) is installed into node_modules
# from package-lock.json and put first on PATH, so jsii and the CLI run on
# Node 22 whatever the machine's own Node is.

export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE_DEPS := node_modules/.installed
# golangci-lint, pinned; `go run` builds it once into the Go build cache.
GOLANGCI_LINT := go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

# The app and cmd/simulate, built once. `go build` downloads only the modules
# of the packages it builds (not DuckDB, which only tests use).
BIN := out/bin

.PHONY: demo build synth simulate test lint

# On a fresh machine the time goes to compiling aws-cdk-go (CPU) and to npm ci
# (network): they run side by side, then synthesis and the local run (two
# independent Node-bound processes) do too; -O keeps each one's output whole.
# BUILT=1 tells the second step the binaries are fresh: `go build` of both,
# even with nothing to do, takes 3-4 s.
demo:
	@$(MAKE) --no-print-directory -j2 -O $(NODE_DEPS) build
	@$(MAKE) --no-print-directory -j2 -O synth simulate BUILT=1

# -s -w: no symbol table or DWARF, which only a debugger reads; linking the
# two binaries takes 4 s instead of 6 (measured with /usr/bin/time).
build:
	go build -ldflags="-s -w" -o $(BIN)/ . ./cmd/simulate

# `cdk synth` alone runs the app as cdk.json says (`go run .`); here it runs
# the binary just built. --no-notices: the demo does not fetch the CLI's
# notices from the network (about 1 s; `cdk deploy` still shows them).
synth: $(NODE_DEPS) $(if $(BUILT),,build)
	cdk synth --quiet --no-notices --app $(BIN)/snapshotlake
	@ls -1 cdk.out/*.template.json

simulate: $(NODE_DEPS) $(if $(BUILT),,build)
	$(BIN)/simulate -out out/demo

test: $(NODE_DEPS) lint
	go test ./...

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	$(GOLANGCI_LINT) run ./...

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@node --version
	@touch $@
