#!/usr/bin/env bash
# Runs the demo stack in the background: Kafka, Postgres databases, the five services (merchant first) and the
# channel emulator, and the ops app (status page http://127.0.0.1:3005/), each logging to .run/<service>.log.
#   scripts/stack.sh start   set up (install, Kafka, databases, build) and start everything
#   scripts/stack.sh stop    stop the services (and the Kafka broker this script started)
#   scripts/stack.sh status  health of every service
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=.run
SERVICES=(channel-emulator merchant risk channel-gateway settlement order-payment ops)
declare -A PORTS=([order-payment]=${ORDER_PAYMENT_PORT:-3001} [channel-gateway]=${CHANNEL_GATEWAY_PORT:-3002} [risk]=${RISK_PORT:-3003} [settlement]=${SETTLEMENT_PORT:-3004} [channel-emulator]=${CHANNEL_EMULATOR_PORT:-3100} [ops]=${OPS_PORT:-3005} [merchant]=${MERCHANT_PORT:-3006})
HOST=${HOST:-127.0.0.1}
# The sandbox closes outcomes still unknown after 20 s (production default 15 min), so ..56 orders
# settle within a demo run; override any of these from the environment.
export CHANNEL_UNKNOWN_MAX_AGE_MS=${CHANNEL_UNKNOWN_MAX_AGE_MS:-20000}
export SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED=${SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED:-true}  # demo only: the demo settles as of days ahead (production leaves it off)
# The emulator keeps the channels' and the bank's books here, so a restart (a second demo run the same
# day, stack:stop/start) still bills, answers queries and knows payouts of the earlier run, as real
# channels do. Remove the directory (or POST /sandbox/reset) to start from empty books.
export CHANNEL_EMULATOR_STATE_DIR=${CHANNEL_EMULATOR_STATE_DIR:-$RUN/channel-emulator}
# The demo's load driver registers every shopper's identity and card with one merchant key as fast as it
# can: the sandbox stack runs with every rate limit 100 times its default (production runs the defaults;
# README "Abuse protection").
export RATE_LIMIT_SCALE=${RATE_LIMIT_SCALE:-100}
# How long a service may take to become ready, in seconds.
READY_TIMEOUT_S=60

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start() {
  mkdir -p "$RUN"
  bash infra/kafka/kafka.sh status >/dev/null 2>&1 || touch "$RUN/kafka.started-by-stack"
  bash scripts/setup.sh
  # every service connects as its runtime role (DML on its own tables only) and migrates as its schema's owner
  # role, with the passwords infra/postgres/setup.sh generated (README "Database roles")
  local db_prefix=${PAYSTREAM_DB_PREFIX:-paystream} password_dir=${PAYSTREAM_PG_PASSWORD_DIR:-$RUN/postgres} db env_prefix
  pg_url() { printf 'postgres://%s:%s@%s:%s/%s' "$1" "$(cat "$password_dir/$1.password")" "${PGHOST:-127.0.0.1}" "${PGPORT:-5432}" "$2"; }
  for db in order_payment channel_gateway risk settlement ops merchant; do
    env_prefix=${db^^}
    export "${env_prefix}_DATABASE_URL=$(pg_url "${db_prefix}_${db}_app" "${db_prefix}_${db}")"
    export "${env_prefix}_MIGRATION_DATABASE_URL=$(pg_url "${db_prefix}_${db}_owner" "${db_prefix}_${db}")"
  done
  # every service verifies credentials with the deployment's pepper (setup wrote it); settlement bears its service token to the gateway
  export CREDENTIAL_PEPPER="$(cat "$RUN/credential-pepper")"
  export SETTLEMENT_SERVICE_CREDENTIAL_ID="$(cat "$RUN/settlement-credential-id")"
  export OPS_MONITORING_TOKEN_FILE="$RUN/monitoring-token"
  # every service but the emulator logs in to the broker as its own principal (SCRAM over TLS; the ACLs let it write
  # only the topics it owns): KAFKA_SECURITY=plaintext for an anonymous scratch broker instead
  local kafka_secrets=${KAFKA_SECRETS_DIR:-$RUN/kafka}
  kafka_login() {
    [ "${KAFKA_SECURITY:-sasl_ssl}" = sasl_ssl ] && [ "$1" != channel-emulator ] || return 0
    printf '%s\n' "KAFKA_SSL_CA_FILE=$kafka_secrets/ca.pem" "KAFKA_SASL_USERNAME=$1" "KAFKA_SASL_PASSWORD_FILE=$kafka_secrets/$1.password"
  }
  for svc in "${SERVICES[@]}"; do
    if alive "$svc"; then echo "[stack] $svc already running (pid $(cat "$RUN/$svc.pid"))"; continue; fi
    local login=()
    mapfile -t login < <(kafka_login "$svc")
    nohup env "${login[@]}" node tools/run-dist.js "dist/apps/$svc/src/main.js" >>"$RUN/$svc.log" 2>&1 &
    echo $! >"$RUN/$svc.pid"
    echo "[stack] started $svc (pid $!, port ${PORTS[$svc]}, log $RUN/$svc.log)"
  done
  for svc in "${SERVICES[@]}"; do
    local deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
    until curl -fsS "http://$HOST:${PORTS[$svc]}/health" >/dev/null 2>&1; do
      if ! alive "$svc"; then echo "[stack] $svc exited; last log lines:" >&2; tail -20 "$RUN/$svc.log" >&2; exit 1; fi
      if [ "$(date +%s)" -gt "$deadline" ]; then echo "[stack] $svc not ready after ${READY_TIMEOUT_S}s; see $RUN/$svc.log" >&2; exit 1; fi
      sleep 0.5
    done
    echo "[stack] $svc ready on http://$HOST:${PORTS[$svc]}"
  done
}

stop() {
  for svc in "${SERVICES[@]}"; do
    if alive "$svc"; then
      local pid; pid=$(cat "$RUN/$svc.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
      echo "[stack] stopped $svc"
    fi
    rm -f "$RUN/$svc.pid"
  done
  if [ -f "$RUN/kafka.started-by-stack" ]; then
    bash infra/kafka/kafka.sh stop
    rm -f "$RUN/kafka.started-by-stack"
  fi
}

status() {
  local rc=0
  bash infra/kafka/kafka.sh status || rc=1
  for svc in "${SERVICES[@]}"; do
    if curl -fsS "http://$HOST:${PORTS[$svc]}/health" >/dev/null 2>&1; then echo "$svc: ready (port ${PORTS[$svc]})"; else echo "$svc: down"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
