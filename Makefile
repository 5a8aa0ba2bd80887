# Two entry points, both safe on a fresh machine with Go and npm:
#   make demo  — synthesize the stacks (cdk.out/) with the pinned CDK CLI, then
#                run the demo export locally through the synthesized state machines
#   make test  — gofmt, go vet, golangci-lint (.golangci.yml) and every Go test
# Node tooling (Node 22, the CDK CLI, jsonata) is installed into node_modules
# from package-lock.json and put first on PATH, so jsii and the CLI run on
# Node 22 whatever the machine's own Node is.

export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE_DEPS := node_modules/.installed
# golangci-lint, pinned; `go run` builds it once into the Go build cache.
GOLANGCI_LINT := go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

.PHONY: demo synth simulate test lint

demo: synth simulate

synth: $(NODE_DEPS)
	cdk synth --quiet
	@ls -1 cdk.out/*.template.json

simulate: $(NODE_DEPS)
	go run ./cmd/simulate -out out/demo

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
