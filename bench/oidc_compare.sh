#!/usr/bin/env bash
# The portal's OIDC provider against node-oidc-provider and django-oauth-toolkit, configured alike,
# under the same load (bench/oidc_load.py) in one run; prints a table and the ratios.
#
# Usage: bash bench/oidc_compare.sh            (BENCH_HASHER=production, the default: PBKDF2-SHA256
#        BENCH_HASHER=fast bash bench/oidc_compare.sh    at 1,000,000 iterations for every password;
#        SECONDS_EACH=6 CONCURRENCY=16                    fast: a cheap salted hash everywhere)
#        ONLY="portal node" (a subset of: portal node node-redis dot; node keeps its state in memory,
#        node-redis in Redis through the library's example adapter, as in production)
#        PORTAL_REF=HEAD (the commit whose portal is measured, exported with `git archive`, so other
#        uncommitted work in the tree does not leak in; PORTAL_REF=worktree runs the working tree)
#        BENCH_LOGS=DIR (keep the servers' logs and the JSON results there)
#        BENCH_CACHE_URL=redis://127.0.0.1:6379/12 (the portal's shared cache: allauth keeps
#        authorization codes in Django's cache, so the two workers must share it, as in production)
#        NODE_REDIS_URL=redis://127.0.0.1:6379/13 (node-redis's store: flushed before and after the run)
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379, node and npm, openssl. Creates and drops the
# databases eid_bench_oidc and eid_bench_oidc_dot; installs node-oidc-provider under
# bench/oidc_compare/node/node_modules and django-oauth-toolkit into .venv-bench-dot (both reused).
# Every server is bound to 127.0.0.1 on a free port and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_HASHER=${BENCH_HASHER:-production}
SECONDS_EACH=${SECONDS_EACH:-6}
MINT_SECONDS=${MINT_SECONDS:-20} # codes for the token phase: the portal mints ~100/s, so 8 s ran out in ~4 s
CONCURRENCY=${CONCURRENCY:-16}
ONLY=${ONLY:-portal node node-redis dot}
NODE_REDIS_URL=${NODE_REDIS_URL:-redis://127.0.0.1:6379/13}
PORTAL_REF=${PORTAL_REF:-HEAD}
PORTAL_DB=eid_bench_oidc
DOT_DB=eid_bench_oidc_dot
DEMO_EMAIL=low@demo.local
DEMO_PASSWORD=portal-demo-2026 # the demo residents' password (portal/demo.py)
REDIRECT_URI=http://127.0.0.1:18999/callback # never contacted: the load generator stops at the redirect
WORK=$(mktemp -d)
PIDS=()
NODE_REDIS_STARTED=

cleanup() {
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$WORK"/*.log "$WORK"/*.json "$BENCH_LOGS"/ 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$NODE_REDIS_STARTED" ]; then redis-cli -u "$NODE_REDIS_URL" flushdb >/dev/null 2>&1 || true; fi
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $PORTAL_DB WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $DOT_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { # a free loopback port at or above $1
  .venv/bin/python - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            print(port)
            break
        except OSError:
            port += 1
PY
}

wait_for() { # URL: until it answers 200, at most 5 minutes (setup runs first)
  for _ in $(seq 1 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
  echo "no answer from $1" >&2
  return 1
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/key.pem" 2>/dev/null
SIGNING_KEY_PEM=$(cat "$WORK/key.pem")
EC_KEY_PEM=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
CLIENT_ID=bench-rp
CLIENT_SECRET=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')
if [ "$PORTAL_REF" = worktree ]; then
  PORTAL_SRC=$ROOT
  PORTAL_COMMIT="$(git rev-parse --short HEAD) + uncommitted changes"
else
  PORTAL_SRC=$WORK/portal
  PORTAL_COMMIT=$(git rev-parse --short "$PORTAL_REF")
  mkdir "$PORTAL_SRC" && git archive "$PORTAL_REF" | tar -x -C "$PORTAL_SRC"
  # The built stylesheet and scripts are not in git (`make assets`): the tree's current build.
  cp -r static/build "$PORTAL_SRC/static/"
fi
echo "hasher: $BENCH_HASHER; concurrency $CONCURRENCY; $SECONDS_EACH s per endpoint; portal at $PORTAL_COMMIT"

# --- the portal: gunicorn, 2 workers, bench.settings (production, DEBUG off), PostgreSQL ----------
start_portal() {
  PORTAL_PORT=$(free_port 18711)
  (
    cd "$PORTAL_SRC"
    export DJANGO_SETTINGS_MODULE=bench.settings
    export SECRET_KEY=bench-only-secret-key-0123456789abcdef HKID_HASH_KEY=bench-only-hkid-key EID_HKID_ENCRYPTION_KEY=YmVuY2gtb25seS1oa2lkLXNlYWxpbmcta2V5LTAwMDA=
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$PORTAL_DB DB_CONN_MAX_AGE=60
    export ALLOWED_HOSTS=127.0.0.1,localhost SITE_URL=http://127.0.0.1:$PORTAL_PORT MFA_ENCRYPTION_KEY=bench-only-mfa-key
    export PKI_KEY_PASSPHRASE=bench-only-pki OIDC_PAIRWISE_KEY=bench-only-pairwise OIDC_CLIENT_SECRET_KEY=bench-only-secret
    export IDP_OIDC_PRIVATE_KEY=$SIGNING_KEY_PEM STATIC_ROOT=$WORK/static
    export IDP_OIDC_EC_PRIVATE_KEY=$EC_KEY_PEM # FAPI clients' ES256 ID tokens (unused by the bench client)
    export CACHE_URL=${BENCH_CACHE_URL:-redis://127.0.0.1:6379/12}
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $PORTAL_DB WITH (FORCE)" \
      -c "CREATE DATABASE $PORTAL_DB"
    "$ROOT"/.venv/bin/python manage.py migrate -v0
    "$ROOT"/.venv/bin/python manage.py collectstatic --noinput -v0
    # seed_demo refuses production settings: the demo data under the dev settings, same database.
    DJANGO_SETTINGS_MODULE=portal.settings.dev "$ROOT"/.venv/bin/python manage.py seed_demo >/dev/null
    "$ROOT"/.venv/bin/python manage.py pki_init >/dev/null
    # The bench client, and the demo password hashed with this run's hasher.
    "$ROOT"/.venv/bin/python - "$CLIENT_SECRET" >"$WORK/portal_client" <<'PY'
import sys

import django

django.setup()
from allauth.idp.oidc.models import Client
from django.contrib.auth import get_user_model

from eid.oidc.client_secrets import client_secret_hash
from eid.oidc.clients import client_create

user = get_user_model().objects.get(email="low@demo.local")
user.set_password("portal-demo-2026")
user.save(update_fields=["password"])
new = client_create(name="Bench RP", redirect_uris=["http://127.0.0.1:18999/callback"],
                    scopes=["openid", "profile", "email"])
# The same secret as the comparators' client (the portal generates its own otherwise).
Client.objects.filter(pk=new.client.pk).update(secret=client_secret_hash(sys.argv[1]))
print(new.client.id)
PY
    exec "$ROOT"/.venv/bin/gunicorn portal.wsgi -c gunicorn.conf.py --workers 2 --bind 127.0.0.1:"$PORTAL_PORT" --log-level warning
  ) >"$WORK/portal.log" 2>&1 &
  PIDS+=($!)
}

# --- node-oidc-provider: one process, in-memory store (node) or Redis (node-redis) ----------------
NODE_INSTALLED=
node_install() {
  [ -n "$NODE_INSTALLED" ] && return 0
  (cd bench/oidc_compare/node && npm ci --no-audit --no-fund --silent >/dev/null 2>&1 || npm install --no-audit --no-fund --silent)
  NODE_INSTALLED=1
}

node_server() { # PORT STORE LOG
  (
    cd bench/oidc_compare/node
    export NODE_ENV=production PORT=$1 ISSUER=http://127.0.0.1:$1 NODE_STORE=$2 REDIS_URL=$NODE_REDIS_URL
    export CLIENT_ID CLIENT_SECRET REDIRECT_URI DEMO_EMAIL DEMO_PASSWORD SIGNING_KEY_PEM
    exec node server.js
  ) >"$3" 2>&1 &
  PIDS+=($!)
}

start_node() {
  NODE_PORT=$(free_port 18721)
  node_install
  node_server "$NODE_PORT" memory "$WORK/node.log"
}

start_node_redis() {
  NODE_REDIS_PORT=$(free_port 18741)
  node_install
  redis-cli -u "$NODE_REDIS_URL" flushdb >/dev/null
  NODE_REDIS_STARTED=1
  node_server "$NODE_REDIS_PORT" redis "$WORK/node-redis.log"
}

# --- django-oauth-toolkit: gunicorn, 2 workers, PostgreSQL, its own virtualenv -------------------
start_dot() {
  DOT_PORT=$(free_port 18731)
  if [ ! -x .venv-bench-dot/bin/gunicorn ]; then
    python3 -m venv .venv-bench-dot
    .venv-bench-dot/bin/pip install -q Django==5.2.19 django-oauth-toolkit==3.4.1 gunicorn==27.0.1 \
      'psycopg[binary]==3.3.9'
  fi
  (
    cd bench/oidc_compare/dot
    export PYTHONPATH=$PWD DJANGO_SETTINGS_MODULE=dotbench.settings SECRET_KEY=bench-only-dot-secret-key-0123456789
    export DOT_DB_NAME=$DOT_DB ISSUER=http://127.0.0.1:$DOT_PORT/o CLIENT_ID CLIENT_SECRET REDIRECT_URI
    export DEMO_EMAIL DEMO_PASSWORD SIGNING_KEY_PEM
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DOT_DB WITH (FORCE)" \
      -c "CREATE DATABASE $DOT_DB"
    "$ROOT"/.venv-bench-dot/bin/django-admin migrate -v0
    "$ROOT"/.venv-bench-dot/bin/django-admin bench_setup
    exec "$ROOT"/.venv-bench-dot/bin/gunicorn dotbench.wsgi -c "$PORTAL_SRC/gunicorn.conf.py" --workers 2 --bind 127.0.0.1:"$DOT_PORT" \
      --log-level warning
  ) >"$WORK/dot.log" 2>&1 &
  PIDS+=($!)
}

load() { # NAME ISSUER CLIENT_ID
  echo "--- $1: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  BENCH_PASSWORD=$DEMO_PASSWORD .venv/bin/python -m bench.oidc_load --provider "$1" --issuer "$2" \
    --client-id "$3" --client-secret "$CLIENT_SECRET" --redirect-uri "$REDIRECT_URI" --user "$DEMO_EMAIL" \
    --concurrency "$CONCURRENCY" --seconds "$SECONDS_EACH" --mint-seconds "$MINT_SECONDS" --json "$WORK/$1.json"
}

for name in $ONLY; do "start_${name//-/_}"; done
TABLE=()
for name in $ONLY; do
  case $name in
    portal)
      wait_for "http://127.0.0.1:$PORTAL_PORT/.well-known/openid-configuration" || { cat "$WORK/portal.log"; exit 1; }
      load portal "http://127.0.0.1:$PORTAL_PORT" "$(cat "$WORK/portal_client")" ;;
    node)
      wait_for "http://127.0.0.1:$NODE_PORT/.well-known/openid-configuration" || { cat "$WORK/node.log"; exit 1; }
      load node "http://127.0.0.1:$NODE_PORT" "$CLIENT_ID" ;;
    node-redis)
      wait_for "http://127.0.0.1:$NODE_REDIS_PORT/.well-known/openid-configuration" || { cat "$WORK/node-redis.log"; exit 1; }
      load node-redis "http://127.0.0.1:$NODE_REDIS_PORT" "$CLIENT_ID"
      echo "node-redis: $(redis-cli -u "$NODE_REDIS_URL" dbsize) keys in $NODE_REDIS_URL after the load" ;;
    dot)
      wait_for "http://127.0.0.1:$DOT_PORT/o/.well-known/openid-configuration" || { cat "$WORK/dot.log"; exit 1; }
      load dot "http://127.0.0.1:$DOT_PORT/o" "$CLIENT_ID" ;;
  esac
  TABLE+=("$name=$WORK/$name.json")
done
echo
echo "hasher $BENCH_HASHER, concurrency $CONCURRENCY, $SECONDS_EACH s per endpoint, portal at $PORTAL_COMMIT, $(uptime)"
.venv/bin/python -m bench.oidc_load --table "${TABLE[@]}"
