#!/usr/bin/env bash
# Rotates one principal's SCRAM-SHA-512 password on the secure broker (README "Rotating a SCRAM password"):
#   infra/kafka/rotate-scram.sh <principal>
# 1. a new random password into <principal>.password.new (0600); 2. the broker's credential altered to it,
# as kafka-broker (the super user), with kafka-configs; 3. the new file moved over <principal>.password (and,
# for upstream, client-upstream.json rewritten). Connections already authenticated stay open (the broker
# does not re-authenticate them); new ones need the new password: restart the processes of that principal
# now (they read the password file at start). kafka-broker itself is rotated with a broker restart (README).
# Environment: KAFKA_BROKERS (127.0.0.1:9092), KAFKA_SECRETS_DIR (.run/kafka: ca.pem, kafka-broker.password,
# <principal>.password), KAFKA_CONFIGS (the kafka-configs command; default /opt/kafka/bin/kafka-configs.sh
# in the apache/kafka image, else the jars kafka.sh fetched: java -cp 'infra/kafka/libs/*' kafka.admin.ConfigCommand).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
broker_principal="kafka-broker"

log() { echo "[rotate-scram] $*" >&2; }
die() { log "$*"; exit 1; }

principal="${1:-}"
[ -n "$principal" ] || die "usage: $0 <principal>"
case "$principal" in *[!a-z0-9-]*) die "not a principal name: $principal" ;; esac
[ "$principal" != "$broker_principal" ] || die "$broker_principal is in every broker's configuration: rotate it with a rolling broker restart (README, Rotating a SCRAM password)"
brokers="${KAFKA_BROKERS:-127.0.0.1:9092}"
secrets_dir="${KAFKA_SECRETS_DIR:-$(cd "$here/../.." && pwd)/.run/kafka}"
password_file="$secrets_dir/$principal.password"
[ -s "$password_file" ] || die "$password_file is missing: $principal is no principal of this broker"
for f in ca.pem "$broker_principal.password"; do [ -s "$secrets_dir/$f" ] || die "$secrets_dir/$f is missing"; done

if [ -n "${KAFKA_CONFIGS:-}" ]; then
  read -r -a configs <<<"$KAFKA_CONFIGS"
elif [ -x /opt/kafka/bin/kafka-configs.sh ]; then
  configs=(/opt/kafka/bin/kafka-configs.sh)
elif [ -f "$here/libs/.complete" ]; then
  configs=(java -Dlog4j.configuration="file:$here/log4j.properties" -cp "$here/libs/*" kafka.admin.ConfigCommand)
else
  die "no kafka-configs: run infra/kafka/kafka.sh fetch, or set KAFKA_CONFIGS"
fi

work="$(mktemp -d)"
altered=0
# the new password is dropped only while the broker does not have it
trap 'rm -rf "$work"; [ "$altered" = 1 ] || rm -f "$password_file.new"' EXIT
chmod 700 "$work"
new_password="$(head -c 24 /dev/urandom | od -An -v -tx1 | tr -d ' \n')"
(umask 077
  printf '%s\n' "$new_password" >"$password_file.new"
  cat >"$work/admin.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$broker_principal" password="$(tr -d '\n' <"$secrets_dir/$broker_principal.password")";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets_dir/ca.pem
PROPS
)

# kafka-configs takes a SCRAM password on its command line only (its --add-config-file refuses SCRAM
# entries): it is visible to this machine's process list for the second the tool runs
if ! "${configs[@]}" --bootstrap-server "$brokers" --command-config "$work/admin.properties" \
  --alter --add-config "SCRAM-SHA-512=[password=$new_password]" --entity-type users --entity-name "$principal" >"$work/out" 2>&1; then
  sed "s/$new_password/<new password>/g" "$work/out" >&2
  die "kafka-configs failed; $password_file is unchanged (had the broker taken the new password after all, $principal's new connections are refused: run this again)"
fi
altered=1
mv "$password_file.new" "$password_file"
if [ "$principal" = upstream ] && [ -f "$secrets_dir/client-upstream.json" ]; then
  (umask 077; sed "s/\"password\": \"[^\"]*\"/\"password\": \"$new_password\"/" "$secrets_dir/client-upstream.json" >"$work/client-upstream.json")
  mv "$work/client-upstream.json" "$secrets_dir/client-upstream.json"
fi
log "$principal: the broker takes only the new password in $password_file for new connections"
if [ "$principal" = upstream ]; then
  log "give the upstream order systems the new password (client-upstream.json) and restart their clients"
else
  log "restart every process of $principal now (it reads the password at start; under docker compose: docker compose restart $principal)"
fi
