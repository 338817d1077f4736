#!/usr/bin/env bash
# Creates one PostgreSQL database per service (idempotent). Schema comes only from each service's
# TypeORM migrations, which each service runs at start-up.
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PAYSTREAM_DB_PREFIX (paystream).
set -euo pipefail
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
prefix="${PAYSTREAM_DB_PREFIX:-paystream}"
services=(order_payment channel_gateway risk settlement ops merchant)
[ "${1:-}" = "--with-test" ] && services+=(test)

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  echo "[postgres] not answering on $PGHOST:$PGPORT; trying to start the local cluster" >&2
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || { echo "[postgres] still down" >&2; exit 1; }
fi

for svc in "${services[@]}"; do
  db="${prefix}_${svc}"
  if [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    psql -d postgres -qc "CREATE DATABASE \"$db\"" && echo "[postgres] created $db" >&2
  fi
done
