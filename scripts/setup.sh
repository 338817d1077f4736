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

say "channel keys (generated locally, never committed)"
node tools/run-dist.js dist/tools/keys/generate-channel-keys.js .run/keys
