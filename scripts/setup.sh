#!/usr/bin/env bash
# Everything a fresh clone needs before it can run: npm packages, the Kafka broker (fetched from
# Maven Central and started in KRaft mode), the Postgres databases, and the compiled services.
# Safe to run again: each step skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "[setup] Node 20 or newer is required (found $(node -v))" >&2
  exit 1
fi

# A JDK 17+ (not only a JRE): the Kafka broker runs on it, and the bill specs use java.util.zip through
# the source launcher (which needs jdk.compiler) as their independent reference ZIP implementation.
if ! java --list-modules 2>/dev/null | grep -q '^jdk.compiler'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing a JDK (openjdk-17-jdk-headless)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless
  else
    echo "[setup] a JDK 17 or newer is required (Debian: apt-get install openjdk-17-jdk-headless)" >&2
    exit 1
  fi
fi

# npm ci when node_modules is missing or older than the lock file
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "starting Kafka"
bash infra/kafka/kafka.sh start

say "creating databases"
bash infra/postgres/setup.sh "$@"

if [ "${1:-}" = "--with-test" ]; then
  say "monitoring tools for the tests (Prometheus, promtool, Burrow)"
  bash scripts/install-monitoring.sh
fi

say "compiling"
npx tsc -p tsconfig.build.json

if [ "${KAFKA_SECURITY:-sasl_ssl}" = sasl_ssl ]; then
  say "Kafka ACLs: each service writes only the topics it owns and reads only what it consumes (README \"Secure Kafka\")"
  KAFKA_SECRETS_DIR="${KAFKA_SECRETS_DIR:-.run/kafka}" node tools/run-dist.js dist/tools/kafka-acl/main.js >/dev/null
fi

say "credentials: the pepper, a first admin token, the demo operator, the monitoring and settlement service tokens (.run/, 0600)"
mkdir -p .run
if [ ! -s .run/credential-pepper ]; then
  (umask 077; node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64"))' > .run/credential-pepper)
fi
export CREDENTIAL_PEPPER="$(cat .run/credential-pepper)"
# try_issue FILE FIELD admin-args...: runs the admin CLI once and keeps one field of its answer (a token is shown
# only then); on failure prints the CLI's errors and returns 1
try_issue() {
  local file=$1 field=$2; shift 2
  [ -s "$file" ] && return 0
  local answer errors
  errors=$(mktemp)
  # the CLI acts as the token it is given (--token-file), never as one the caller's environment holds; it writes as the
  # merchant runtime role and migrates as the owner (scripts/with-db-roles.sh, README "Database roles")
  if ! answer=$(PAYSTREAM_OPERATOR_TOKEN= bash scripts/with-db-roles.sh admin node tools/run-dist.js dist/tools/admin/admin.js "$@" 2>"$errors"); then
    cat "$errors" >&2; rm -f "$errors"
    return 1
  fi
  rm -f "$errors"
  (umask 077; printf '%s' "$answer" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s)[process.argv[1]]))' "$field" > "$file")
}
issue() {
  try_issue "$@" || { echo "[setup] npm run admin -- ${*:3} failed (see above)" >&2; exit 1; }
}
# the first admin is the one change the CLI makes without a token (as system:setup, while the registry has no
# usable admin token); everything after it is done as that admin. A registry that has an admin already while
# this checkout holds no token for it (another checkout's setup on this machine, or a deleted .run/) gets
# one more admin by break glass, which the audit log records as system:break-glass.
if [ ! -s .run/admin-token ] && ! try_issue .run/admin-token token operator create --id admin --roles admin 2>/dev/null; then
  say "the merchant registry has an admin operator this checkout holds no token for: creating one by --break-glass (audited)"
  issue .run/admin-token token operator create --id admin --roles admin --break-glass
fi
issue .run/operator-token token operator create --id demo-operator --roles finance,risk,sre,admin --token-file .run/admin-token
issue .run/monitoring-token token service-token create --service monitoring --token-file .run/admin-token
issue .run/settlement-credential-id credentialId service-token create --service settlement --token-file .run/admin-token

say "channel keys (generated locally, never committed)"
node tools/run-dist.js dist/tools/keys/generate-channel-keys.js .run/keys
