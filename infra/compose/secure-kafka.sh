#!/usr/bin/env bash
# docker-compose's secure Kafka (README "Secure Kafka"), run in the apache/kafka image (bash, openssl, its JRE
# and /opt/kafka): the same broker as infra/kafka/kafka.sh with KAFKA_SECURITY=sasl_ssl, for containers.
#   secure-kafka.sh secrets            the one-shot kafka-init: the CA, a certificate per broker host, a SCRAM
#                                      password per principal and the cluster id, into KAFKA_SECRETS_DIR (kept)
#   secure-kafka.sh run                a broker+controller: formats its storage once (--add-scram for every
#                                      principal), then runs Kafka with SASL_SSL and the StandardAuthorizer
#   secure-kafka.sh health             authenticates as kafka-broker over the internal listener (the healthcheck)
#   secure-kafka.sh properties <file>  writes the server.properties `run` starts with (0600; it holds passwords)
# Secrets (the layout of kafka.sh's .run/kafka): ca.pem (+ ca.key), broker-<host>.pem/.key/.p12 for each host in
# KAFKA_BROKER_HOSTS, broker-keystore.password, <principal>.password (0600) for kafka-broker (the one super
# user) and every principal below, cluster-id.
# Environment (defaults: the single broker of docker-compose.yml; docker-compose.three-brokers.yml sets them per node):
#   KAFKA_SECRETS_DIR (/etc/paystream/kafka), KAFKA_BROKER_HOSTS (kafka: the hosts `secrets` certifies),
#   KAFKA_NODE_ID (1), KAFKA_ADVERTISED_HOST (kafka), KAFKA_CONTROLLER_QUORUM_VOTERS (1@kafka:9093),
#   KAFKA_CLUSTER_SIZE (1: the internal topics' replicas, at most 3; min ISR 2 from 3), KAFKA_INTERNAL_PORT (19094),
#   KAFKA_EXTERNAL_PORT (9094, advertised on KAFKA_EXTERNAL_HOST 127.0.0.1: the host's tools), KAFKA_CONTROLLER_PORT
#   (9093), KAFKA_LISTEN_HOST ('': every interface), KAFKA_DATA_DIR (/var/lib/kafka/data), KAFKA_HOME (/opt/kafka).
set -euo pipefail

# the principals: one per service that uses Kafka, the upstream order systems and ops (as kafka.sh's
# SECURE_PRINCIPALS; tools/compose/compose-config.spec.ts checks this list against the ACL plan)
PRINCIPALS="order-payment channel-gateway risk settlement merchant ops upstream dlq-replay auditor"
BROKER_PRINCIPAL="kafka-broker"
CERT_VALIDITY_DAYS=825

secrets_dir="${KAFKA_SECRETS_DIR:-/etc/paystream/kafka}"
kafka_home="${KAFKA_HOME:-/opt/kafka}"
node_id="${KAFKA_NODE_ID:-1}"
advertised_host="${KAFKA_ADVERTISED_HOST:-kafka}"
internal_port="${KAFKA_INTERNAL_PORT:-19094}"
external_port="${KAFKA_EXTERNAL_PORT:-9094}"
external_host="${KAFKA_EXTERNAL_HOST:-127.0.0.1}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
listen_host="${KAFKA_LISTEN_HOST:-}"
voters="${KAFKA_CONTROLLER_QUORUM_VOTERS:-1@$advertised_host:$controller_port}"
cluster_size="${KAFKA_CLUSTER_SIZE:-1}"
data_dir="${KAFKA_DATA_DIR:-/var/lib/kafka/data}"

log() { echo "[secure-kafka] $*" >&2; }
die() { log "$*"; exit 1; }

new_secret() { head -c 24 /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

write_secret() { # file content: written whole, 0600
  (umask 077; printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1")
}

secret() { # the content of a secret file, or why it is missing
  [ -s "$secrets_dir/$1" ] || die "$secrets_dir/$1 is missing (the kafka-init service writes it: secure-kafka.sh secrets)"
  tr -d '\n' <"$secrets_dir/$1"
}

# A Kafka cluster id: 16 random bytes, base64url without padding (as kafka-storage.sh random-uuid), never
# starting with '-' (a command line would read it as an option).
new_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    case "$id" in -*) ;; *) echo "$id"; return ;; esac
  done
}

# The CA, a key and certificate for every broker host (its name, localhost and 127.0.0.1: the host's tools
# reach every broker's external listener on 127.0.0.1), a password per principal and the cluster id; once each.
secrets() {
  command -v openssl >/dev/null || die "openssl is needed to make the certificates"
  (umask 077; mkdir -p "$secrets_dir")
  chmod 700 "$secrets_dir"
  if [ ! -f "$secrets_dir/ca.pem" ]; then
    log "generating a certificate authority into $secrets_dir"
    (umask 077; openssl req -x509 -newkey rsa:2048 -nodes -days "$CERT_VALIDITY_DAYS" -subj "/CN=Paystream Kafka CA" \
      -keyout "$secrets_dir/ca.key" -out "$secrets_dir/ca.pem" 2>/dev/null)
    chmod 644 "$secrets_dir/ca.pem"
    rm -f "$secrets_dir"/broker-*.pem "$secrets_dir"/broker-*.p12
  fi
  [ -f "$secrets_dir/broker-keystore.password" ] || write_secret "$secrets_dir/broker-keystore.password" "$(new_secret)"
  local host
  for host in ${KAFKA_BROKER_HOSTS:-kafka}; do
    case "$host" in *[!A-Za-z0-9.-]*|'') die "not a host name: $host" ;; esac
    [ -f "$secrets_dir/broker-$host.p12" ] && continue
    log "generating the certificate of broker $host"
    (umask 077
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$host" -keyout "$secrets_dir/broker-$host.key" -out "$secrets_dir/broker-$host.csr" 2>/dev/null
      printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$host" >"$secrets_dir/broker-$host.ext"
      openssl x509 -req -in "$secrets_dir/broker-$host.csr" -CA "$secrets_dir/ca.pem" -CAkey "$secrets_dir/ca.key" -CAcreateserial \
        -days "$CERT_VALIDITY_DAYS" -extfile "$secrets_dir/broker-$host.ext" -out "$secrets_dir/broker-$host.pem" 2>/dev/null
      openssl pkcs12 -export -in "$secrets_dir/broker-$host.pem" -inkey "$secrets_dir/broker-$host.key" -name broker \
        -passout "file:$secrets_dir/broker-keystore.password" -out "$secrets_dir/broker-$host.p12"
      rm -f "$secrets_dir/broker-$host.csr" "$secrets_dir/broker-$host.ext" "$secrets_dir/ca.srl")
  done
  local p
  for p in $BROKER_PRINCIPAL $PRINCIPALS; do
    [ -s "$secrets_dir/$p.password" ] || write_secret "$secrets_dir/$p.password" "$(new_secret)"
  done
  if [ ! -s "$secrets_dir/cluster-id" ]; then
    printf '%s\n' "$(new_cluster_id)" >"$secrets_dir/cluster-id.tmp" && mv "$secrets_dir/cluster-id.tmp" "$secrets_dir/cluster-id"
  fi
  log "secrets in place in $secrets_dir"
}

replication_factor() { if [ "$cluster_size" -ge 3 ]; then echo 3; else echo "$cluster_size"; fi; }
min_insync() { if [ "$cluster_size" -ge 3 ]; then echo 2; else echo 1; fi; }

# Every listener SASL_SSL: INTERNAL (the services, the brokers among themselves: SCRAM-SHA-512), EXTERNAL (the
# host's tools on 127.0.0.1: SCRAM-SHA-512) and CONTROLLER (the KRaft quorum: PLAIN as kafka-broker over TLS,
# since SCRAM credentials live in the metadata the controllers serve). Nothing is allowed without an ACL.
properties() {
  local out="$1" password keystore_password rf isr
  password="$(secret "$BROKER_PRINCIPAL.password")"
  keystore_password="$(secret broker-keystore.password)"
  [ -f "$secrets_dir/broker-$advertised_host.p12" ] || die "$secrets_dir/broker-$advertised_host.p12 is missing: add $advertised_host to KAFKA_BROKER_HOSTS of the kafka-init service"
  rf="$(replication_factor)"; isr="$(min_insync)"
  (umask 077; cat >"$out" <<PROPS
process.roles=broker,controller
node.id=$node_id
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=INTERNAL://$listen_host:$internal_port,EXTERNAL://$listen_host:$external_port,CONTROLLER://$listen_host:$controller_port
advertised.listeners=INTERNAL://$advertised_host:$internal_port,EXTERNAL://$external_host:$external_port
listener.security.protocol.map=INTERNAL:SASL_SSL,EXTERNAL:SASL_SSL,CONTROLLER:SASL_SSL
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$BROKER_PRINCIPAL" password="$password";
listener.name.external.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$BROKER_PRINCIPAL" password="$password" user_$BROKER_PRINCIPAL="$password";
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets_dir/broker-$advertised_host.p12
ssl.keystore.password=$keystore_password
ssl.truststore.type=PEM
ssl.truststore.location=$secrets_dir/ca.pem
ssl.client.auth=none
ssl.endpoint.identification.algorithm=https
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$BROKER_PRINCIPAL
log.dirs=$data_dir
auto.create.topics.enable=false
num.partitions=6
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  )
}

run() {
  local config_dir props
  config_dir="$(mktemp -d)"
  props="$config_dir/server.properties"
  properties "$props"
  mkdir -p "$data_dir"
  if [ ! -f "$data_dir/meta.properties" ]; then
    # the SCRAM credentials of every principal go into the metadata as the storage is formatted
    local args=() p password
    for p in $BROKER_PRINCIPAL $PRINCIPALS; do
      password="$(secret "$p.password")"
      args+=(--add-scram "SCRAM-SHA-512=[name=$p,password=$password]")
    done
    log "formatting $data_dir (node $node_id, cluster $(secret cluster-id))"
    "$kafka_home/bin/kafka-storage.sh" format --cluster-id "$(secret cluster-id)" --config "$props" "${args[@]}" >&2
  fi
  log "starting node $node_id: SASL_SSL on $advertised_host:$internal_port and $external_host:$external_port, controller on :$controller_port"
  exec "$kafka_home/bin/kafka-server-start.sh" "$props"
}

health() {
  local config password
  password="$(secret "$BROKER_PRINCIPAL.password")"
  config="$(mktemp)"
  (umask 077; cat >"$config" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$BROKER_PRINCIPAL" password="$password";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets_dir/ca.pem
PROPS
  )
  local status=0
  "$kafka_home/bin/kafka-broker-api-versions.sh" --bootstrap-server "$advertised_host:$internal_port" --command-config "$config" >/dev/null || status=$?
  rm -f "$config"
  return "$status"
}

case "${1:-}" in
  secrets) secrets ;;
  run) run ;;
  health) health ;;
  properties) [ -n "${2:-}" ] || die "usage: $0 properties <file>"; properties "$2" ;;
  *) echo "usage: $0 secrets|run|health|properties <file>" >&2; exit 2 ;;
esac
