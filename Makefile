# mlbench — make help lists the targets.
GO       ?= go
BIN      := bin/mlbench
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -X main.buildVersion=$(VERSION)
PKGS     := ./...
BENCHTIME ?= 1x

.PHONY: help build test test-unit test-integration test-race bench lint demo deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## build bin/mlbench
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/mlbench

deps: ## install the Debian packages for running (as root), or say what to install
	@scripts/deps.sh run

test: ## every test, integration included; as root installs deps and starts/stops a local Slurm
	@GO=$(GO) scripts/test.sh

test-unit: ## run the tests that need nothing but Go
	$(GO) test -count=1 -short $(PKGS)

test-integration: ## run only the integration tests (real bwrap, python3, Slurm)
	$(GO) test -count=1 -run Integration -timeout 45m $(PKGS)

test-race: ## run the concurrent packages under the race detector
	$(GO) test -count=1 -race -short ./search/... ./memory/... ./results/... ./scheduler/... ./grader/...

bench: ## run the Go benchmarks (BENCHTIME=1x by default; e.g. make bench BENCHTIME=3s)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

lint: ## go vet and gofmt check
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

demo: ## the main job: install deps (as root), build, run the demo suite, print the medal table
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh

clean: ## remove build outputs
	rm -rf bin
