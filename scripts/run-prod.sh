#!/usr/bin/env bash
# Production start where PostgreSQL and Redis already run: migrate the database, then start
# the Procfile's processes (all of them, or only the types named as arguments) and watch them.
#   scripts/run-prod.sh                          # this machine runs everything, beat included
#   MIGRATE=0 scripts/run-prod.sh web worker-notifications worker-sweeps   # one more machine
# SIGTERM or SIGINT stops every process gracefully (exit 0 when all stop cleanly). If one
# process dies on its own the others are stopped and the exit status is 1, so the service
# manager restarts the whole set. Processes still running STOP_TIMEOUT seconds after the
# stop was asked are killed.
set -uo pipefail
cd "$(dirname "$0")/.."
export MOTCUA_ENV="${MOTCUA_ENV:-production}"
procfile="${PROCFILE:-Procfile}"
grace="${STOP_TIMEOUT:-45}"
mkdir -p "${MOTCUA_INSTANCE:-instance}"

declare -A command=()
order=()
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^([A-Za-z0-9_-]+):[[:space:]]*(.+)$ ]]; then
    command[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
    order+=("${BASH_REMATCH[1]}")
  fi
done <"$procfile"
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${order[@]}")
for name in "${wanted[@]}"; do
  [ -n "${command[$name]+set}" ] || { echo "run-prod: no process '$name' in $procfile" >&2; exit 2; }
done

if [ "${MIGRATE:-1}" = 1 ]; then
  flask --app web db upgrade || { echo "run-prod: migration failed" >&2; exit 1; }
fi

declare -A alive=()  # pid -> process type
stopping=0
status=0
killer=""
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo "run-prod: stopping ${alive[*]}"
  kill -TERM "${!alive[@]}" 2>/dev/null
  (trap 'kill "$nap" 2>/dev/null; exit 0' TERM
   sleep "$grace" & nap=$!
   wait "$nap"
   echo "run-prod: still running after ${grace}s, killing" >&2
   kill -KILL "${!alive[@]}" 2>/dev/null) &
  killer=$!
}
trap stop TERM INT

for name in "${wanted[@]}"; do
  [ "$stopping" = 0 ] || break  # asked to stop while starting
  bash -c "exec ${command[$name]}" > >(sed -u "s/^/$name | /") 2>&1 &
  alive[$!]=$name
  echo "run-prod: started $name (pid $!)"
done

while [ ${#alive[@]} -gt 0 ]; do
  done_pid=""
  wait -n -p done_pid "${!alive[@]}"
  rc=$?
  [ -n "${done_pid:-}" ] || continue  # a signal interrupted the wait
  name=${alive[$done_pid]}
  unset "alive[$done_pid]"
  echo "run-prod: $name exited with status $rc"
  if [ "$stopping" = 0 ]; then
    echo "run-prod: $name died, stopping the others" >&2
    status=1
    stop
  elif [ "$rc" != 0 ]; then
    status=1
  fi
done
[ -z "$killer" ] || kill "$killer" 2>/dev/null
exit "$status"
