#!/usr/bin/env bash
# A single-node Apache Kafka broker+controller in KRaft mode, fetched from Maven Central.
#   infra/kafka/kafka.sh fetch|start|stop|status
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (infra/kafka/data),
#              KAFKA_PARTITIONS (6), KAFKA_HEAP (768m).
# Starting twice reuses the running broker.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
data_dir="${KAFKA_DATA_DIR:-$here/data}"
libs_dir="$here/libs"
pid_file="$data_dir/kafka.pid"
log_file="$data_dir/kafka.log"
start_timeout_s=60

log() { echo "[kafka] $*" >&2; }

port_open() { (echo >"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

fetch() {
  if [ -f "$libs_dir/.complete" ]; then return 0; fi
  log "fetching Apache Kafka from Maven Central (once)"
  rm -rf "$libs_dir"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs_dir" >&2
  touch "$libs_dir/.complete"
}

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid; pid="$(cat "$pid_file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if port_open "$port"; then log "a broker already answers on 127.0.0.1:$port; reusing it"; return 0; fi
  fetch
  mkdir -p "$data_dir"
  local props="$data_dir/server.properties"
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir/logs
num.partitions=${KAFKA_PARTITIONS:-6}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
  # the consumers' inbox keeps processed ids INBOX_RETENTION_DAYS (libs/shared/outbox/src/inbox-janitor.ts):
  # keep that well above any topic retention, or a redelivered old message is processed twice
  if [ ! -f "$data_dir/logs/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$libs_dir/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java -Dlog4j.configuration="file:$here/log4j.properties" -cp "$libs_dir/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >&2
  fi
  log "starting broker on 127.0.0.1:$port (log: $log_file)"
  nohup java -Xms256m -Xmx"${KAFKA_HEAP:-768m}" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$here/log4j.properties" -cp "$libs_dir/*" \
    kafka.Kafka "$props" >"$log_file" 2>&1 &
  echo $! >"$pid_file"
  local waited=0
  until port_open "$port"; do
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then log "broker exited; last lines:"; tail -n 20 "$log_file" >&2; exit 1; fi
    if [ "$waited" -ge $((start_timeout_s * 2)) ]; then log "broker did not answer within ${start_timeout_s}s"; exit 1; fi
    sleep 0.5; waited=$((waited + 1))
  done
  log "broker is up"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    log "stopping broker (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$pid_file"
  else
    log "no broker started by this script is running"
  fi
}

status() {
  if port_open "$port"; then echo "kafka: up on 127.0.0.1:$port"; else echo "kafka: down"; return 1; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
