#!/bin/sh
# Entry point of mlbench's example external agent. It follows MLE-Bench's
# agent contract: data in /home/data, a submission in $SUBMISSION_DIR, logs
# in $LOGS_DIR, code in $CODE_DIR, the validation server at localhost:5000.
set -eu
cd "$(dirname "$0")"
exec "${MLBENCH_PYTHON:-python3}" agent.py "$@"
