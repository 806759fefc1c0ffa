#!/usr/bin/env bash
# Online forms: submissions per second (20 fields, one 100 KiB PDF) through gunicorn (2 workers) on
# PostgreSQL. Usage: bash bench/eforms_submit.sh   (CLIENTS=8 SECONDS=60 PORT=18731; needs PostgreSQL on
# 127.0.0.1:5432; creates the database eid_bench_eforms_submit, or $DB, and drops it at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18731}
CLIENTS=${CLIENTS:-8}
SECONDS_TO_RUN=${SECONDS:-60}
DB=${DB:-eid_bench_eforms_submit}
WORK=$(mktemp -d)
export DJANGO_SETTINGS_MODULE=bench.settings
export SECRET_KEY=bench-only-secret-key-0123456789abcdef HKID_HASH_KEY=bench-only-hkid-key EID_HKID_ENCRYPTION_KEY=YmVuY2gtb25seS1oa2lkLXNlYWxpbmcta2V5LTAwMDA=
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB PORTAL_VAR_DIR=$WORK/var
export ALLOWED_HOSTS=127.0.0.1,localhost,testserver SITE_URL=http://127.0.0.1:$PORT DB_CONN_MAX_AGE=60 MFA_ENCRYPTION_KEY=bench-only-mfa-key
export PKI_KEY_PASSPHRASE=bench-only-pki OIDC_PAIRWISE_KEY=bench-only-pairwise OIDC_CLIENT_SECRET_KEY=bench-only-secret
IDP_OIDC_PRIVATE_KEY=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)
IDP_OIDC_EC_PRIVATE_KEY=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
export IDP_OIDC_PRIVATE_KEY IDP_OIDC_EC_PRIVATE_KEY
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB"
  rm -rf "$WORK"
}
trap cleanup EXIT
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python -m bench.eforms_submit setup --clients "$CLIENTS" --out "$WORK/cookies.json"
.venv/bin/gunicorn portal.wsgi --workers 2 --bind 127.0.0.1:$PORT --log-level warning &
pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
# CPU seconds (user + system) of processes: what the server spent, whatever the neighbours' load.
cpu() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null; done | awk -v hz="$(getconf CLK_TCK)" '{s += $1} END {printf "%.1f", s / hz}'; }
gunicorn_pids() { echo "$pid" $(pgrep -P "$pid"); }
database_pids() { psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'"; }
uptime
before=$(cpu $(gunicorn_pids))
TIMEFORMAT='load generator CPU: %U s user + %S s system in %R s'
time .venv/bin/python -m bench.eforms_submit run --base http://127.0.0.1:$PORT --cookies "$WORK/cookies.json" --seconds "$SECONDS_TO_RUN"
echo "server CPU during the run: gunicorn $(awk -v a="$(cpu $(gunicorn_pids))" -v b="$before" 'BEGIN {printf "%.1f", a - b}') s, PostgreSQL backends $(cpu $(database_pids)) s"
uptime
