#!/usr/bin/env bash
# What `make run` runs, in one place: the whole-stack test (clinic/demo/tests/test_stack.py)
# starts exactly this. Prepares the database with the demo centre, then starts the background
# worker (tasks and periodic jobs) and the development server on PORT, with PUBLIC_BASE_URL
# following PORT unless set. Stops the worker when the server stops.
#
#   scripts/serve.sh              prepare, worker, server (make run)
#   PORT=8123 SQLITE_PATH=/tmp/x.sqlite3 LOG_DIR=/tmp/x scripts/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
LOG_DIR="${LOG_DIR:-var}"
MANAGE=(.venv/bin/python manage.py)
export DEBUG=true
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"

mkdir -p var "$LOG_DIR"
"${MANAGE[@]}" migrate --no-input -v 0
"${MANAGE[@]}" createcachetable
"${MANAGE[@]}" load_demo

echo "Background worker (outbox, tasks, periodic jobs): logs in $LOG_DIR/worker.log"
"${MANAGE[@]}" db_worker > "$LOG_DIR/worker.log" 2>&1 &
WORKER=$!
"${MANAGE[@]}" run_jobs >> "$LOG_DIR/worker.log" 2>&1 &
JOBS=$!
trap 'kill $WORKER $JOBS 2>/dev/null' EXIT
echo "Public site: $PUBLIC_BASE_URL/   Staff: $PUBLIC_BASE_URL/staff/   (Ctrl+C to stop)"
"${MANAGE[@]}" runserver "127.0.0.1:$PORT"
