#!/usr/bin/env bash
# A single-node Apache Kafka broker+controller in KRaft mode, fetched from Maven Central.
#   infra/kafka/kafka.sh fetch|start|stop|status
#   infra/kafka/kafka.sh secrets      only the secure broker's secrets (below) into KAFKA_SECRETS_DIR, made once and kept;
#                                     for a cluster of another's (the chaos runner's, tools/chaos/own-kafka.ts)
#   infra/kafka/kafka.sh principals   the principals those secrets are for, one kind a line: `broker <name>`,
#                                     `scram <names>` (SCRAM credentials at format time), `plain <names>` (SASL/PLAIN)
# Environment: KAFKA_SECURITY (sasl_ssl), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
#              KAFKA_DATA_DIR (infra/kafka/data-secure), KAFKA_PARTITIONS (6), KAFKA_HEAP (768m),
#              KAFKA_START_TIMEOUT_S (60).
# Starting twice reuses the running broker.
#
# Secure (the default, the demo's and the test suite's): a SASL_SSL listener (SCRAM-SHA-512) on KAFKA_PORT, the
#   controller on KAFKA_CONTROLLER_PORT (127.0.0.1 only, SASL PLAIN as the broker), the StandardAuthorizer denying
#   what no ACL allows. Secrets in KAFKA_SECRETS_DIR (.run/kafka, never committed): ca.pem (+ ca.key), the broker's
#   keystore, <principal>.password (0600) for every principal in SECURE_PRINCIPALS and the broker's own
#   (kafka-broker, the only super user) and PLAIN_PRINCIPALS, client-upstream.json. SCRAM credentials are created when the storage is
#   formatted; a principal added later gets its credential from the running broker at the next start.
#   The ACLs: node tools/run-dist.js dist/tools/kafka-acl/main.js (scripts/setup.sh runs it; README, "Secure Kafka").
# Plaintext (opt-in, anonymous, no ACLs: a scratch broker only): KAFKA_SECURITY=plaintext, data in infra/kafka/data.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
security="${KAFKA_SECURITY:-sasl_ssl}"
default_port=9092; default_controller_port=9093
case "$security" in
  plaintext) default_data_dir="$here/data" ;;
  sasl_ssl) default_data_dir="$here/data-secure" ;;
  *) echo "[kafka] KAFKA_SECURITY must be plaintext or sasl_ssl, not $security" >&2; exit 2 ;;
esac
port="${KAFKA_PORT:-$default_port}"
controller_port="${KAFKA_CONTROLLER_PORT:-$default_controller_port}"
data_dir="${KAFKA_DATA_DIR:-$default_data_dir}"
secrets_dir="${KAFKA_SECRETS_DIR:-$(cd "$here/../.." && pwd)/.run/kafka}"
# the principals of the secure broker: one per service that uses Kafka, the upstream order systems and ops
# (libs/shared/kafka/src/acl-plan.spec.ts and tools/chaos/own-kafka.spec.ts check this list against the ACL plan;
# `kafka.sh principals` prints it for the chaos runner's cluster)
SECURE_PRINCIPALS="order-payment channel-gateway risk settlement merchant ops upstream dlq-replay auditor"
# principals that log in with SASL/PLAIN (over the same TLS listener) because their client speaks no SCRAM: Burrow
# 1.2, the lag checker (infra/burrow). Their passwords are in the broker's own configuration (0600), not in its metadata.
PLAIN_PRINCIPALS="burrow"
broker_principal="kafka-broker"
cert_validity_days=825
libs_dir="$here/libs"
pid_file="$data_dir/kafka.pid"
log_file="$data_dir/kafka.log"
start_timeout_s="${KAFKA_START_TIMEOUT_S:-60}"

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

plaintext_props() {
  cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
PROPS
}

# SASL_SSL (SCRAM-SHA-512) for every client and the broker itself. The controller listener stays on
# 127.0.0.1 without TLS, but authenticated (SASL PLAIN, the broker's password: SCRAM credentials live in the
# metadata the controller serves, so it cannot use them): an anonymous connection to it is no super user.
secure_props() {
  cat <<PROPS
listeners=SASL_SSL://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=SASL_SSL://127.0.0.1:$port
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$broker_principal" password="$(cat "$secrets_dir/$broker_principal.password")";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$(plain_users);
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$broker_principal" password="$(cat "$secrets_dir/$broker_principal.password")" user_$broker_principal="$(cat "$secrets_dir/$broker_principal.password")";
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets_dir/broker.p12
ssl.keystore.password=$(cat "$secrets_dir/broker-keystore.password")
ssl.truststore.type=PEM
ssl.truststore.location=$secrets_dir/ca.pem
ssl.client.auth=none
ssl.endpoint.identification.algorithm=https
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$broker_principal
PROPS
}

# user_<name>="<password>" for every PLAIN principal: the only logins the PLAIN mechanism accepts
plain_users() {
  local p
  for p in $PLAIN_PRINCIPALS; do printf ' user_%s="%s"' "$p" "$(cat "$secrets_dir/$p.password")"; done
}

new_secret() { openssl rand -hex 24; }

write_secret() { # file content: written 0600, never world-readable
  (umask 077; printf '%s\n' "$2" >"$1")
}

# The CA, the broker's certificate (127.0.0.1 and localhost) and a password per principal, once.
secure_secrets() {
  mkdir -p "$secrets_dir"; chmod 700 "$secrets_dir"
  if [ ! -f "$secrets_dir/ca.pem" ]; then
    log "generating a certificate authority and the broker certificate into $secrets_dir"
    (umask 077
      openssl req -x509 -newkey rsa:2048 -nodes -days "$cert_validity_days" -subj "/CN=Paystream Kafka CA" \
        -keyout "$secrets_dir/ca.key" -out "$secrets_dir/ca.pem" 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$secrets_dir/broker.key" -out "$secrets_dir/broker.csr" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$secrets_dir/broker.ext"
      openssl x509 -req -in "$secrets_dir/broker.csr" -CA "$secrets_dir/ca.pem" -CAkey "$secrets_dir/ca.key" -CAcreateserial \
        -days "$cert_validity_days" -extfile "$secrets_dir/broker.ext" -out "$secrets_dir/broker.pem" 2>/dev/null
      rm -f "$secrets_dir/broker.csr" "$secrets_dir/broker.ext" "$secrets_dir/ca.srl")
    chmod 644 "$secrets_dir/ca.pem"
    rm -f "$secrets_dir/broker.p12"
  fi
  if [ ! -f "$secrets_dir/broker.p12" ]; then
    [ -f "$secrets_dir/broker-keystore.password" ] || write_secret "$secrets_dir/broker-keystore.password" "$(new_secret)"
    (umask 077; openssl pkcs12 -export -in "$secrets_dir/broker.pem" -inkey "$secrets_dir/broker.key" -name broker \
      -passout "file:$secrets_dir/broker-keystore.password" -out "$secrets_dir/broker.p12")
  fi
  local p
  for p in $broker_principal $SECURE_PRINCIPALS $PLAIN_PRINCIPALS; do
    [ -f "$secrets_dir/$p.password" ] || write_secret "$secrets_dir/$p.password" "$(new_secret)"
  done
  write_secret "$secrets_dir/client-upstream.json" "$(cat <<JSON
{
  "brokers": ["127.0.0.1:$port"],
  "ssl": { "ca": "$secrets_dir/ca.pem" },
  "sasl": { "mechanism": "scram-sha-512", "username": "upstream", "password": "$(cat "$secrets_dir/upstream.password")" }
}
JSON
)"
}

# --add-scram for the broker and every principal, from their password files
scram_args() {
  local p
  for p in $broker_principal $SECURE_PRINCIPALS; do
    printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$p" "$(cat "$secrets_dir/$p.password")"
  done
}

start() {
  if port_open "$port"; then
    log "a broker already answers on 127.0.0.1:$port; reusing it"
    running_pid >/dev/null || log "warning: it is not the $security broker of $data_dir (another checkout's, or the other KAFKA_SECURITY mode's: stop it with that mode's kafka.sh stop)"
    return 0
  fi
  fetch
  mkdir -p "$data_dir"
  local props="$data_dir/server.properties"
  local format_args=()
  if [ "$security" = sasl_ssl ]; then
    secure_secrets
    mapfile -t format_args < <(scram_args)
  fi
  (umask 077; cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
$(if [ "$security" = sasl_ssl ]; then secure_props; else plaintext_props; fi)
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
  )
  # the consumers' inbox keeps processed ids INBOX_RETENTION_DAYS (libs/shared/outbox/src/inbox-janitor.ts):
  # keep that well above any topic retention, or a redelivered old message is processed twice
  if [ ! -f "$data_dir/logs/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$libs_dir/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java -Dlog4j.configuration="file:$here/log4j.properties" -cp "$libs_dir/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$props" "${format_args[@]}" >&2
    [ "$security" = sasl_ssl ] && printf '%s\n' $broker_principal $SECURE_PRINCIPALS >"$data_dir/scram-principals"
  fi
  log "starting broker on 127.0.0.1:$port ($security; log: $log_file)"
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
  if [ "$security" = sasl_ssl ]; then add_missing_scram; fi
}

# The super user's client properties for Kafka's own CLI tools (kafka-configs, kafka-acls), 0600 beside the secrets.
admin_client_props() {
  local file="$secrets_dir/kafka-broker.client.properties"
  write_secret "$file" "$(cat <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$broker_principal" password="$(cat "$secrets_dir/$broker_principal.password")";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets_dir/ca.pem
PROPS
)"
  echo "$file"
}

# A principal added to SECURE_PRINCIPALS after the storage was formatted has no SCRAM credential yet: the running
# broker gets it now (kafka-configs as the super user), and the data dir remembers it.
add_missing_scram() {
  local known="$data_dir/scram-principals" p props
  touch "$known"
  for p in $SECURE_PRINCIPALS; do
    grep -qx "$p" "$known" && continue
    props="$(admin_client_props)"
    log "adding the SCRAM credential of $p (a principal newer than this broker's storage)"
    java -Dlog4j.configuration="file:$here/log4j.properties" -cp "$libs_dir/*" kafka.admin.ConfigCommand \
      --bootstrap-server "127.0.0.1:$port" --command-config "$props" --alter --entity-type users --entity-name "$p" \
      --add-config "SCRAM-SHA-512=[password=$(cat "$secrets_dir/$p.password")]" >&2
    echo "$p" >>"$known"
  done
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

# The principal list, for a cluster started by other code from the same secrets (it stays defined here only).
principals() {
  echo "broker $broker_principal"
  echo "scram $broker_principal $SECURE_PRINCIPALS"
  echo "plain $PLAIN_PRINCIPALS"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  secrets) secure_secrets ;;
  principals) principals ;;
  *) echo "usage: $0 fetch|start|stop|status|secrets|principals" >&2; exit 2 ;;
esac
