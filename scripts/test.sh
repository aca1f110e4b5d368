#!/usr/bin/env bash
# `make test`: every test, integration tests included. As root it installs
# what the tests need and starts the single-node Slurm cluster
# (scripts/slurm-local.sh) when none answers, and stops what it started.
# Not as root it runs what it can and says which tests were skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
root=false; [ "$(id -u)" -eq 0 ] && root=true

if ! scripts/deps.sh test; then
  $root && exit 1
  echo "test: some test dependencies are missing (above); the tests that need them will be skipped" >&2
fi
duck=$(scripts/deps.sh duckdb-dir)
[ -d "$duck/node_modules" ] && export DUCKDB_NODE_MODULES="${DUCKDB_NODE_MODULES:-$duck/node_modules}"

slurm_answers() { timeout 20 sinfo --noheader --format=%a >/dev/null 2>&1; }
started_slurm=false
if slurm_answers; then
  echo "test: using the Slurm cluster that answers sinfo" >&2
elif $root && [ -x scripts/slurm-local.sh ]; then
  echo "test: starting a single-node Slurm cluster for the integration tests (scripts/slurm-local.sh up)" >&2
  scripts/slurm-local.sh up
  started_slurm=true
  trap 'echo "test: stopping the Slurm cluster it started" >&2; scripts/slurm-local.sh down || true' EXIT
else
  echo "test: Slurm integration tests SKIPPED: no Slurm cluster answers and this is not root; run them with: sudo scripts/slurm-local.sh up && make test" >&2
fi

$GO vet ./...
out=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$out" ]; then echo "not gofmt-formatted:"; echo "$out"; exit 1; fi
$GO test -count=1 -timeout 45m ./...
$GO test -count=1 -race -short ./search/... ./memory/... ./results/... ./scheduler/... ./grader/...
$started_slurm && echo "test: all tests passed (Slurm integration tests included)" >&2 || true
