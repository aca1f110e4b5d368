#!/usr/bin/env bash
# The main job on the embedded defaults: run the agent on the bundled demo
# tasks with the offline baseline coder and the local scheduler, then print
# the medal table. Budget knobs: DEMO_STEPS, DEMO_TIME, DEMO_JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bin/mlbench run --suite demo \
  --steps "${DEMO_STEPS:-12}" --time-limit "${DEMO_TIME:-8m}" --jobs "${DEMO_JOBS:-2}" "$@"
