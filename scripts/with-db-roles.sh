#!/usr/bin/env bash
# Runs an operator tool as the least database roles it needs (README "Database roles"), with the passwords
# infra/postgres/setup.sh generated (as scripts/stack.sh does for the services):
#   scripts/with-db-roles.sh admin COMMAND...  the admin CLI: MERCHANT_DATABASE_URL the merchant runtime role (its
#                                              changes), MERCHANT_MIGRATION_DATABASE_URL the owner (the registry's
#                                              migrations, before the merchant service first started)
#   scripts/with-db-roles.sh dlq COMMAND...    the DLQ CLI: OPS_DATABASE_URL the ops runtime role (the replay log),
#                                              MERCHANT_DATABASE_URL the merchant read-only role (token checks)
#   scripts/with-db-roles.sh audit COMMAND...  the auditor: every <SERVICE>_DATABASE_URL its read-only role
# A tool's variables already set (all of them or some) are kept as given, none added: URLs pointing somewhere
# else are the caller's choice. A role without a password file (setup not run) is left out, with a warning: the
# tool then connects as the variable's default. Environment: PAYSTREAM_DB_PREFIX (paystream),
# PAYSTREAM_PG_PASSWORD_DIR (.run/postgres of this checkout), PGHOST (127.0.0.1), PGPORT (5432).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 admin|dlq|audit COMMAND [ARGS...]" >&2; exit 2; }
tool=$1
shift
prefix=${PAYSTREAM_DB_PREFIX:-paystream}
password_dir=${PAYSTREAM_PG_PASSWORD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.run/postgres}

# the tool's variables: VARIABLE=<database>:<role kind> (the database as infra/postgres/setup.sh names it)
case "$tool" in
  admin) wanted=(MERCHANT_DATABASE_URL=merchant:app MERCHANT_MIGRATION_DATABASE_URL=merchant:owner) ;;
  dlq) wanted=(OPS_DATABASE_URL=ops:app MERCHANT_DATABASE_URL=merchant:reader) ;;
  audit) wanted=(); for db in order_payment channel_gateway risk settlement ops merchant; do wanted+=("${db^^}_DATABASE_URL=$db:reader"); done ;;
  *) echo "$0: unknown tool $tool (admin, dlq, audit)" >&2; exit 2 ;;
esac

for pair in "${wanted[@]}"; do
  var=${pair%%=*}
  if [ -n "${!var:-}" ]; then exec "$@"; fi
done
for pair in "${wanted[@]}"; do
  var=${pair%%=*} spec=${pair#*=}
  db=${spec%%:*} kind=${spec#*:}
  role="${prefix}_${db}_${kind}"
  if [ ! -s "$password_dir/$role.password" ]; then
    echo "[with-db-roles] no $password_dir/$role.password (npm run setup makes it): $tool connects with $var's default" >&2
    continue
  fi
  export "$var=postgres://$role:$(cat "$password_dir/$role.password")@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/${prefix}_${db}"
done
exec "$@"
