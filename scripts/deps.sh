#!/usr/bin/env bash
# Installs the Debian packages mlbench needs, when run as root and they are
# missing; otherwise prints exactly what to install. Usage:
#   scripts/deps.sh run    # what `mlbench run` needs (Python for generated code, bubblewrap)
#   scripts/deps.sh test   # also what the integration tests need (Slurm, munge)
set -euo pipefail
want=(python3 python3-numpy python3-pandas python3-sklearn bubblewrap)
if [ "${1:-run}" = test ]; then
  want+=(slurm-wlm slurmctld slurmd munge)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is not on PATH; install Go 1.26 or newer (https://go.dev/dl) and retry" >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
