#!/usr/bin/env bash
# Command one: sets everything up on a fresh machine, starts the whole stack, drives a stream of
# orders with a progress bar and prints the report. Options:
#   --count N   orders to drive (default 500)
#   --rate N    orders per second (default 10)
#   --outage C  the outage drill: channel C (alipay, wechatpay, unionpay) goes down for the middle
#               half of the run (default wechatpay; none to skip it)
#   --plant-breaks yes|no  plant a break in each of today's three bills before reconciling them (default yes)
#   --keep      leave the stack running afterwards (stop it with: npm run stack:stop)
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --count|--rate|--merchants|--outage|--plant-breaks) args+=("$1" "$2"); shift ;;
    --count=*|--rate=*|--merchants=*|--outage=*|--plant-breaks=*) args+=("$1") ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
started_here=0
bash scripts/stack.sh status >/dev/null 2>&1 || started_here=1
bash scripts/stack.sh start
echo "status page: http://${HOST:-127.0.0.1}:${OPS_PORT:-3005}/ (lag, health, ratios, breakers, dead letters; it asks for an sre's operator token: paste the one in .run/operator-token)"
status=0
# the driver plays an upstream order system: on the secure broker it logs in as the upstream principal, which may
# write payment.requested.v1 and read the outcomes, nothing else (.run/kafka/client-upstream.json has the same login)
upstream_login=()
if [ "${KAFKA_SECURITY:-sasl_ssl}" = sasl_ssl ]; then
  kafka_secrets=${KAFKA_SECRETS_DIR:-.run/kafka}
  upstream_login=("KAFKA_SSL_CA_FILE=$kafka_secrets/ca.pem" "KAFKA_SASL_USERNAME=upstream" "KAFKA_SASL_PASSWORD_FILE=$kafka_secrets/upstream.password")
fi
env "${upstream_login[@]}" node tools/run-dist.js dist/tools/load/drive-orders.js "${args[@]}" || status=$?
echo "(report saved to .run/demo-report.json; service logs in .run/)"
if [ "$keep" = 0 ] && [ "$started_here" = 1 ]; then
  bash scripts/stack.sh stop
else
  echo "the stack is still running: npm run stack:status, npm run stack:stop"
fi
exit $status
