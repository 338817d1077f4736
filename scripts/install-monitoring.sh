#!/usr/bin/env bash
# Installs the monitoring tools the test suite runs for real: Debian's `prometheus` (with `promtool`)
# for the alert-rule tests and the Prometheus integration spec, and `burrow` (its binary is
# /usr/bin/Burrow) for the Burrow spec, plus the Kafka jars whose ZooKeeper Burrow 1.2 needs, and
# `chromium` (/usr/bin/chromium) for the ops status page's headless browser spec (playwright-core).
# Skips what is already on PATH. The tests start their own Prometheus and Burrow on free ports with
# their own config and storage, so the packages' own daemons must not start (nor hold :9090 or
# :8000): a policy-rc.d that refuses service starts is put in place for the install when there is
# none, and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[monitoring]\033[0m %s\n' "$*"; }

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || { [[ " ${missing[*]:-} " == *" prometheus "* ]] || missing+=(prometheus); }
has_burrow() { command -v Burrow >/dev/null 2>&1 || command -v burrow >/dev/null 2>&1; }
has_burrow || missing+=(burrow)
[ -x /usr/bin/chromium ] || missing+=(chromium)

# Burrow 1.2 will not start without a ZooKeeper for its own coordination, and the KRaft broker has
# none: the Burrow spec runs one from the Kafka jars (ZooKeeper is among them). kafka.sh start skips
# the fetch when it reuses a running broker, so make sure of the jars here.
if ! ls infra/kafka/libs/zookeeper-*.jar >/dev/null 2>&1 || [ ! -f infra/kafka/libs/.complete ]; then
  bash infra/kafka/kafka.sh fetch
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -n bash "$0" "$@"
  fi
  echo "[monitoring] ${missing[*]} missing and not root: install them with apt-get install prometheus burrow" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
placed_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# placed by paystream scripts/install-monitoring.sh for the install only\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  placed_policy=1
fi
cleanup() { if [ "$placed_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

say "installing ${missing[*]} (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=300 -q "$@"; }
# a fresh machine may have no package lists yet, or old ones
if ! apt_get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
  apt_get update >/dev/null
  apt_get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

for bin in prometheus promtool; do
  command -v "$bin" >/dev/null 2>&1 || { echo "[monitoring] $bin still missing after the install" >&2; exit 1; }
done
has_burrow || { echo "[monitoring] Burrow still missing after the install" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "[monitoring] chromium still missing after the install" >&2; exit 1; }
say "$(prometheus --version 2>&1 | head -n 1); burrow $(dpkg-query -W -f '${Version}' burrow)"
