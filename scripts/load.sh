#!/usr/bin/env bash
# `make load`: the production way on loopback, then scripts/load.py, in two parts:
#  1. 30 dancers: gunicorn, PostgreSQL, Redis, two RQ workers, media in a local folder.
#  2. Many machines, simulated: a web process and two workers, each with its own empty MEDIA_ROOT and
#     scratch folder, sharing only PostgreSQL, Redis and a bucket on an S3-compatible server (moto) on
#     loopback; dancers upload songs and build 20 routines on them.
# Uses its own database (bachata_load) and Redis db 14; stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${LOAD_PORT:-8765}
MOTO_PORT=${LOAD_MOTO_PORT:-5056}
export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bachata_load}
export REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/14}
export MEDIA_ROOT=${LOAD_MEDIA_ROOT:-$PWD/var/load-media}
export DEBUG=0 SECRET_KEY=load-benchmark-secret-key-not-for-production-0123456789 ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0 API_THROTTLE_ROUTINE_CREATE=1000/hour API_THROTTLE_SONG_UPLOAD=1000/hour
# Plain-HTTP on loopback: the secure-cookie settings of production would drop the session.
export LOAD_INSECURE_COOKIES=1
PY=.venv/bin/python
db=${DATABASE_URL##*/}
psql -h 127.0.0.1 -U postgres -d test -tc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE \"$db\"" >/dev/null
pids=()
stop_all() {  # TERM, then KILL what is still running after 20 s (a worker's scheduler can linger)
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 20); do
    local alive=0 pid
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 1
  done
  pkill -KILL -P "$(IFS=,; echo "${pids[*]}")" 2>/dev/null || true
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  pids=()
}
trap stop_all EXIT

serve() {  # a web process and two workers; each may get its own MEDIA_ROOT and scratch folder (arg: a folder)
  local home=${1:-}
  if [ -n "$home" ]; then
    mkdir -p "$home/web/media" "$home/web/scratch"
    MEDIA_ROOT=$home/web/media MEDIA_SCRATCH_DIR=$home/web/scratch \
      .venv/bin/gunicorn bachata.wsgi -b 127.0.0.1:$PORT -w 2 --threads 4 --timeout 60 --log-level warning & pids+=($!)
  else
    .venv/bin/gunicorn bachata.wsgi -b 127.0.0.1:$PORT -w 2 --threads 4 --timeout 60 --log-level warning & pids+=($!)
  fi
  for n in 1 2; do
    if [ -n "$home" ]; then
      mkdir -p "$home/worker$n/media" "$home/worker$n/scratch"
      MEDIA_ROOT=$home/worker$n/media MEDIA_SCRATCH_DIR=$home/worker$n/scratch \
        $PY manage.py rqworker gpu default --worker-class bachata.worker.WarmWorker --with-scheduler >/dev/null 2>&1 & pids+=($!)
    else
      $PY manage.py rqworker gpu default --worker-class bachata.worker.WarmWorker --with-scheduler >/dev/null 2>&1 & pids+=($!)
    fi
  done
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 1; done
  sleep 10  # the workers warm MiniLM, librosa and the index before the first job
}

parts=" ${LOAD_PARTS:-1 2} "  # LOAD_PARTS=2 runs the simulation alone
redis-cli -n "${REDIS_URL##*/}" flushdb >/dev/null
$PY manage.py migrate --noinput -v0
if [[ $parts == *" 1 "* ]]; then
  echo "== 1. ${LOAD_DANCERS:-30} dancers, media in a local folder" >&2
  $PY manage.py seed_demo --no-users
  serve
  $PY scripts/load.py --base "http://127.0.0.1:$PORT" --dancers "${LOAD_DANCERS:-30}" --seconds "${LOAD_SECONDS:-240}"
  stop_all
fi
[[ $parts == *" 2 "* ]] || exit 0

echo "== 2. many machines: web + two workers sharing only PostgreSQL, Redis and a bucket" >&2
.venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 30); do curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" && break; sleep 1; done
export MEDIA_BUCKET=load-media MEDIA_S3_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-load} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-load}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
$PY -c "import boto3, os; boto3.client('s3', endpoint_url=os.environ['MEDIA_S3_ENDPOINT_URL']).create_bucket(Bucket='load-media')"
machines=$(mktemp -d /tmp/bachata-machines-XXXXXX)
# The seed puts the demo clips and songs in the bucket. It renders clips in its scratch folder, kept in
# var/ across runs and started from part 1's clips (hard links), so it renders nothing new.
seed_scratch=$PWD/var/load-seed-scratch
if [ ! -d "$seed_scratch/clips/demo" ] && [ -d "$MEDIA_ROOT/clips/demo" ]; then
  mkdir -p "$seed_scratch/clips"
  cp -al "$MEDIA_ROOT/clips/demo" "$seed_scratch/clips/demo" 2>/dev/null || cp -a "$MEDIA_ROOT/clips/demo" "$seed_scratch/clips/demo"
fi
MEDIA_SCRATCH_DIR=$seed_scratch $PY manage.py seed_demo --no-users
$PY scripts/load.py --make-songs "${LOAD_SONGS:-4}" --songs "$machines/songs"
serve "$machines"
$PY scripts/load.py --base "http://127.0.0.1:$PORT" --songs "$machines/songs" \
  --routines-per-song "${LOAD_ROUTINES_PER_SONG:-5}" --seconds "${LOAD_SECONDS:-240}"
files=$(find "$machines"/web/media "$machines"/worker*/media -type f | wc -l)
echo "{\"media_files_under_the_machines_MEDIA_ROOTs\": $files}"
stop_all
rm -rf "$machines"
