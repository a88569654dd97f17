#!/usr/bin/env bash
# `make load`: the production way on loopback (gunicorn, PostgreSQL, Redis, two RQ workers), then
# scripts/load.py. Uses its own database (bachata_load) and Redis db 14; stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${LOAD_PORT:-8765}
export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bachata_load}
export REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/14}
export MEDIA_ROOT=${LOAD_MEDIA_ROOT:-$PWD/var/load-media}
export DEBUG=0 SECRET_KEY=load-benchmark-secret-key-not-for-production-0123456789 ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0 API_THROTTLE_ROUTINE_CREATE=1000/hour
# Plain-HTTP on loopback: the secure-cookie settings of production would drop the session.
export LOAD_INSECURE_COOKIES=1
PY=.venv/bin/python
psql -h 127.0.0.1 -U postgres -d test -tc "SELECT 1 FROM pg_database WHERE datname='bachata_load'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE bachata_load" >/dev/null
redis-cli -n 14 flushdb >/dev/null
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo --no-users
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
.venv/bin/gunicorn bachata.wsgi -b 127.0.0.1:$PORT -w 2 --threads 4 --timeout 60 --log-level warning & pids+=($!)
for _ in 1 2; do
  $PY manage.py rqworker gpu default --worker-class bachata.worker.WarmWorker --with-scheduler >/dev/null 2>&1 & pids+=($!)
done
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 1; done
sleep 10  # the workers warm MiniLM, librosa and the index before the first job
$PY scripts/load.py --base "http://127.0.0.1:$PORT" --dancers "${LOAD_DANCERS:-30}" --seconds "${LOAD_SECONDS:-240}"
