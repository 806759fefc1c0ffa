#!/usr/bin/env bash
# Foundation pages under gunicorn (2 workers) on PostgreSQL at concurrency 16.
# Usage: bash bench/portal_pages.sh   (needs PostgreSQL on 127.0.0.1:5432; creates database eid_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8100}
export DJANGO_SETTINGS_MODULE=bench.settings
export SECRET_KEY=bench-only-secret-key-0123456789abcdef HKID_HASH_KEY=bench-only-hkid-key EID_HKID_ENCRYPTION_KEY=YmVuY2gtb25seS1oa2lkLXNlYWxpbmcta2V5LTAwMDA=
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/eid_bench}
export ALLOWED_HOSTS=127.0.0.1,localhost,testserver SITE_URL=http://127.0.0.1:$PORT DB_CONN_MAX_AGE=60 MFA_ENCRYPTION_KEY=bench-only-mfa-key
export PKI_KEY_PASSPHRASE=bench-only-pki OIDC_PAIRWISE_KEY=bench-only-pairwise OIDC_CLIENT_SECRET_KEY=bench-only-secret
IDP_OIDC_PRIVATE_KEY=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)
export IDP_OIDC_PRIVATE_KEY
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS eid_bench" -c "CREATE DATABASE eid_bench"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --noinput -v0
# seed_demo refuses production settings: load the demo data under the dev settings, same database.
DJANGO_SETTINGS_MODULE=portal.settings.dev .venv/bin/python manage.py seed_demo >/dev/null
cookie=$(.venv/bin/python - <<'PY'
import django, os
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
c = Client(HTTP_HOST="127.0.0.1")
c.force_login(get_user_model().objects.get(email="low@demo.local"))
print(f"sessionid={c.cookies['sessionid'].value}")
PY
)
.venv/bin/gunicorn portal.wsgi --workers 2 --bind 127.0.0.1:$PORT --log-level warning &
pid=$!
trap 'kill $pid' EXIT
for _ in $(seq 1 50); do curl -fs http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
.venv/bin/python -m bench.http_load --concurrency 16 --requests 2000 \
  --url http://127.0.0.1:$PORT/healthz --url http://127.0.0.1:$PORT/en/services/
.venv/bin/python -m bench.http_load --concurrency 16 --requests 2000 --cookie "$cookie" \
  --url http://127.0.0.1:$PORT/en/my/ --url http://127.0.0.1:$PORT/en/services/inbox/
.venv/bin/python -m bench.sign_in --base http://127.0.0.1:$PORT --concurrency 16 --per-client 8
