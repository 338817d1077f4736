#!/usr/bin/env bash
# Creates one PostgreSQL database per service and its two roles (idempotent). Schema comes only from
# each service's TypeORM migrations, which each service runs at start-up.
# Per service <svc> (database <prefix>_<svc>):
#   <prefix>_<svc>_owner  owns the schema DB_SCHEMA and everything in it: the service's migrations run as it
#                         (<SVC>_MIGRATION_DATABASE_URL)
#   <prefix>_<svc>_app    the runtime role (<SVC>_DATABASE_URL; the admin CLI's and the DLQ CLI's writes):
#                         SELECT, INSERT, UPDATE, DELETE on the schema's tables, no DDL, no TRUNCATE; only SELECT
#                         on typeorm_migrations; the service's start-up takes UPDATE and DELETE on its append-only
#                         tables from it (restrictRuntimeRole, libs/shared/persistence), and a later run of this
#                         script gives none of that back
#   <prefix>_<svc>_reader read-only (the auditor; the DLQ CLI's token check in the merchant registry): CONNECT,
#                         USAGE on the schema, SELECT on its tables, nothing else
# Tables a later migration creates get the same grants, in any schema of the database (default privileges of the
# owner role: a stack's own DB_SCHEMA, a test's schema).
# Only a service's own roles (and superusers) may connect to its database. Passwords (SCRAM-SHA-256 verifiers
# on the server) are generated once into $PAYSTREAM_PG_PASSWORD_DIR/<role>.password (0600) and kept.
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PAYSTREAM_DB_PREFIX (paystream),
# DB_SCHEMA (paystream), PAYSTREAM_PG_PASSWORD_DIR (.run/postgres of this checkout),
# PAYSTREAM_DB_SERVICES (the services, space-separated; default all). --with-test: the test database
# <prefix>_test too, with the same three roles (every service under test migrates and runs as them).
set -euo pipefail
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
prefix="${PAYSTREAM_DB_PREFIX:-paystream}"
schema="${DB_SCHEMA:-paystream}"
password_dir="${PAYSTREAM_PG_PASSWORD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.run/postgres}"
read -r -a services <<<"${PAYSTREAM_DB_SERVICES:-order_payment channel_gateway risk settlement ops merchant}"
with_test=false
[ "${1:-}" = "--with-test" ] && with_test=true

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  echo "[postgres] not answering on $PGHOST:$PGPORT; trying to start the local cluster" >&2
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || { echo "[postgres] still down" >&2; exit 1; }
fi

create_database() {
  local db=$1
  if [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    psql -d postgres -qc "CREATE DATABASE \"$db\"" && echo "[postgres] created $db" >&2
  fi
}

# password_of ROLE: the role's password, generated on first use (24 random bytes, URL-safe characters)
password_of() {
  local file="$password_dir/$1.password"
  if [ ! -s "$file" ]; then
    (umask 077; mkdir -p "$password_dir"; head -c 24 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_' | tr -d '=' >"$file")
  fi
  chmod 600 "$file"
  cat "$file"
}

# ensure_role ROLE: a login role with only its password (SCRAM-SHA-256), no attribute beyond LOGIN
ensure_role() {
  psql -d postgres -q -v ON_ERROR_STOP=1 -v role="$1" -v password="$(password_of "$1")" <<'SQL'
SET password_encryption = 'scram-sha-256';
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'password';
SQL
}

# grant_service DB OWNER APP READER: who may connect, who owns the schema and its objects, what the runtime and
# read-only roles may do. One transaction: a concurrent session never sees a grant half made.
grant_service() {
  psql -d "$1" -q -1 -v ON_ERROR_STOP=1 -v db="$1" -v owner="$2" -v app="$3" -v reader="$4" -v schema="$schema" <<'SQL'
SET client_min_messages = warning;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"db" TO :"owner";
GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT CONNECT ON DATABASE :"db" TO :"reader";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"owner";
ALTER SCHEMA :"schema" OWNER TO :"owner";
-- what earlier runs migrated as another user (postgres) becomes the owner's, so its migrations may alter it;
-- sequences of a table's column follow their table
SELECT format('ALTER %s %I.%I OWNER TO %I', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, n.nspname, c.relname, :'owner')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> :'owner'
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
 ORDER BY c.relkind = 'S' \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = :'schema' AND pg_get_userbyid(p.proowner) <> :'owner' \gexec
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, :'owner')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = :'schema' AND t.typtype IN ('e', 'd', 'r') AND pg_get_userbyid(t.typowner) <> :'owner' \gexec
GRANT USAGE ON SCHEMA :"schema" TO :"app";
GRANT USAGE ON SCHEMA :"schema" TO :"reader";
-- the runtime role's DML on tables it holds nothing on yet (made before the roles, as postgres); never again on a
-- table it has a grant on: what the service's start-up took from it (UPDATE and DELETE on the append-only tables)
-- stays taken when this script runs again
-- (the CASE: the privilege functions only ever see this schema's tables and sequences, whatever order the planner picks)
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %I', n.nspname, c.relname, :'app')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'v', 'm') THEN NOT has_table_privilege(:'app', c.oid, 'SELECT') ELSE false END \gexec
SELECT format('GRANT USAGE, SELECT ON SEQUENCE %I.%I TO %I', n.nspname, c.relname, :'app')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN n.nspname = :'schema' AND c.relkind = 'S' THEN NOT has_sequence_privilege(:'app', c.oid, 'SELECT') ELSE false END \gexec
-- which migrations ran is the owner's to write (a runtime role may only read it: a start-up's migration check);
-- the service's start-up takes the same after each migration run (restrictRuntimeRole)
SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM %I', t, :'app')
  FROM to_regclass(format('%I.typeorm_migrations', :'schema')) t WHERE t IS NOT NULL \gexec
SELECT format('REVOKE USAGE, UPDATE ON SEQUENCE %s FROM %I', s, :'app')
  FROM to_regclass(format('%I.typeorm_migrations', :'schema')) t, pg_get_serial_sequence(t::text, 'id') s WHERE s IS NOT NULL \gexec
-- what the owner creates later, in this schema or another of this database (a stack's own DB_SCHEMA, a test's):
-- the schema's use and the tables' DML for the runtime role, SELECT for the reader
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE ON SCHEMAS TO :"app", :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE, SELECT ON SEQUENCES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT SELECT ON TABLES TO :"reader";
-- the read-only role: SELECT on every table and view, now and later; no sequence, no function, no write
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"reader";
SQL
}

# the test database gets the same three roles: every service under test migrates its own schema there as
# <prefix>_test_owner and runs as <prefix>_test_app (libs/shared/testing testServiceEnv)
if $with_test; then services+=(test); fi
for svc in "${services[@]}"; do
  db="${prefix}_${svc}" owner="${prefix}_${svc}_owner" app="${prefix}_${svc}_app" reader="${prefix}_${svc}_reader"
  create_database "$db"
  ensure_role "$owner"
  ensure_role "$app"
  ensure_role "$reader"
  grant_service "$db" "$owner" "$app" "$reader"
done
