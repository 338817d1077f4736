#!/usr/bin/env bash
# What TLS + SCRAM costs our Kafka traffic (bench/kafka-security.ts): fetches Kafka's perf tools once (the
# kafka-tools jar of the broker's version, into infra/kafka/tools-libs: the broker's own libs do not hold
# ProducerPerformance/ConsumerPerformance), builds, and runs the bench. Options go to the bench, e.g.
#   bash bench/kafka-security.sh --perf-records 400000 --events 40000
# It starts and stops brokers of its own (free ports, /tmp); the shared broker is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/kafka/kafka.sh fetch
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)"
tools=infra/kafka/tools-libs
if [ ! -f "$tools/kafka-tools-$version.jar" ]; then
  echo "[kafka-bench] fetching org.apache.kafka:kafka-tools:$version from Maven Central (once)" >&2
  mvn -q -B dependency:copy -Dartifact="org.apache.kafka:kafka-tools:$version" -DoutputDirectory="$tools" >&2
fi
npx tsc -p tsconfig.build.json
exec node tools/run-dist.js dist/bench/kafka-security.js "$@"
