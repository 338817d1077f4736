#!/usr/bin/env bash
# npm run bench (bench/bench.ts): fetches Kafka's perf tools once, builds, and runs the bench on a stack of its own
# (free ports, its own topic prefix and schema; the shared broker and Postgres are used, not restarted).
# Options go to the bench: --smoke, --rates 10,20,40,80, --seconds 30, --pgbench-seconds 15, --perf-records 100000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/fetch-kafka-tools.sh
npx tsc -p tsconfig.build.json
exec node tools/run-dist.js dist/bench/bench.js "$@"
