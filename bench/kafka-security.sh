#!/usr/bin/env bash
# What TLS + SCRAM costs our Kafka traffic (bench/kafka-security.ts): fetches Kafka's perf tools once (the
# kafka-tools jar of the broker's version, into infra/kafka/tools-libs: the broker's own libs do not hold
# ProducerPerformance/ConsumerPerformance), builds, and runs the bench. Options go to the bench, e.g.
#   bash bench/kafka-security.sh --perf-records 400000 --events 40000
# It starts and stops brokers of its own (free ports, /tmp); the shared broker is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/fetch-kafka-tools.sh
npx tsc -p tsconfig.build.json
exec node tools/run-dist.js dist/bench/kafka-security.js "$@"
