#!/usr/bin/env bash
# Serve the product on http://127.0.0.1:5000 with its Celery worker and beat scheduler.
# With no settings this uses the embedded SQLite database and SQLite broker in instance/.
set -euo pipefail
cd "$(dirname "$0")/.."
LOGS="${MOTCUA_INSTANCE:-instance}"
mkdir -p "$LOGS"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
celery -A tasks.worker worker --loglevel=INFO --concurrency=2 --pool=threads \
  >"$LOGS/worker.log" 2>&1 & pids+=($!)
celery -A tasks.worker beat --loglevel=INFO --schedule="$LOGS/celerybeat-schedule" \
  >"$LOGS/beat.log" 2>&1 & pids+=($!)
echo "worker and scheduler started (logs in $LOGS/worker.log and $LOGS/beat.log)"
echo "demo users: canbo.motcua (counter), canbo.tuphap (officer), lanhdao.phuong (supervisor), admin; password motcua-demo"
echo "API token: flask --app web users token canbo.motcua"
if [ "${MOTCUA_ENV:-development}" = development ]; then
  # workflow/adapters/mailbox.py: without SMTP_HOST, mail (and SMS) land here, kept across restarts
  echo "development mailbox (mail and SMS the product sends): http://${HOST:-127.0.0.1}:${PORT:-5000}/hop-thu" \
    "(sign in as any demo user; files in ${MAILBOX_DIR:-$LOGS/mailbox})"
fi
flask --app web run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
