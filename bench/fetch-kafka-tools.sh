#!/usr/bin/env bash
# Kafka's perf tools for the benches (ProducerPerformance/ConsumerPerformance: the broker's own libs do not hold
# them): the broker's libs (kafka.sh fetch) and the kafka-tools jar of its version into infra/kafka/tools-libs
# (not committed), fetched once with mvn (from the local Maven repository when it is there).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/kafka/kafka.sh fetch
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)"
tools=infra/kafka/tools-libs
if [ ! -f "$tools/kafka-tools-$version.jar" ]; then
  echo "[bench] fetching org.apache.kafka:kafka-tools:$version (once)" >&2
  mvn -q -B dependency:copy -Dartifact="org.apache.kafka:kafka-tools:$version" -DoutputDirectory="$tools" >&2
fi
