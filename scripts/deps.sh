#!/usr/bin/env bash
# Installs what mlbench needs, when run as root and it is missing; otherwise
# prints exactly what to install. Usage:
#   scripts/deps.sh run    # what `mlbench run` needs (Python for generated code, bubblewrap)
#   scripts/deps.sh test   # also what the tests need (Slurm, munge, Chromium, DuckDB's Node.js API)
set -euo pipefail
mode=${1:-run}
if [ "$mode" = duckdb-dir ]; then
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/mlbench-ci/duckdb"
  exit 0
fi
want=(python3 python3-numpy python3-pandas python3-sklearn python3-scipy python3-pil bubblewrap)
if [ "$mode" = test ]; then
  want+=(slurm-wlm slurmctld slurmd munge chromium)
  # Node.js runs DuckDB's reader in a test; a Node.js from elsewhere counts.
  command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is not on PATH; install Go 1.26 or newer (https://go.dev/dl) and retry" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$mode" = test ]; then
  # DuckDB's Node.js API reads our Parquet files in a test: proof that a
  # reader sharing no code with ours gets the same data. Cached per user.
  duck=$(scripts/deps.sh duckdb-dir)
  if [ ! -d "$duck/node_modules/@duckdb/node-api" ]; then
    echo "deps: installing @duckdb/node-api into $duck" >&2
    mkdir -p "$duck"
    npm install --silent --no-audit --no-fund --prefix "$duck" @duckdb/node-api@1.5.6-r.1 >/dev/null
  fi
fi
