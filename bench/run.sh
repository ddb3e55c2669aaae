#!/usr/bin/env bash
# Load-test authme against a standard-library ceiling (and the Express original, when
# running), as issue 7 asks. Everything happens in bench/runner; this only finds the
# repository root and records the command line for the report.
#
#   bench/run.sh [--express http://127.0.0.1:8100 [--express-db sqlite|postgres]] [--postgres URL]
#                [--duration 15s] [--markdown BENCHMARKS.md]
#   bench/run.sh --reset-flood [--duration 15s] [--json bench/reset-flood.json] [--profile FILE]
#
# --reset-flood runs issue 13's case alone: log-ins, then log-ins beside a flood of password-reset
# requests, then log-ins again, with mail going to a Mailpit it starts (~/go/bin/mailpit).
#
# authme runs on SQLite, or on PostgreSQL when --postgres or DATABASE_URL gives a URL.
#
# Paths are relative to the repository root. Needs go and wrk (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
BENCH_COMMAND="bench/run.sh$(printf ' %q' "$@")"
export BENCH_COMMAND
exec go run ./bench/runner "$@"
