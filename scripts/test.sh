#!/usr/bin/env bash
# The whole test suite: lint (incl. module boundaries), typecheck+build, then every unit,
# integration (real Postgres + Kafka) and end-to-end (real service processes) spec in one Jest run.
# Extra arguments go to Jest (e.g. a path filter).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

kafka_was_up=0
bash infra/kafka/kafka.sh status >/dev/null 2>&1 && kafka_was_up=1
stop_kafka() {
  # leave a broker the user already had running; stop the one this run started
  if [ "$kafka_was_up" = 0 ]; then bash infra/kafka/kafka.sh stop >/dev/null 2>&1 || true; fi
}
trap stop_kafka EXIT

bash scripts/setup.sh --with-test
# the bench's smoke spec (bench/bench.e2e-spec.ts) runs Kafka's perf tools: fetched once
bash bench/fetch-kafka-tools.sh
echo "[test] lint"
npm run --silent lint
echo "[test] jest"
status=0
PAYSTREAM_SKIP_INFRA=1 npx jest --ci "$@" || status=$?
echo "[test] finished in $(( $(date +%s) - started ))s with status $status"
exit $status
