#!/usr/bin/env bash
# The benchmark's tools from Debian's packages: pgbench (the reference every target is a
# ratio to) and wrk (the HTTP load tool: C and a Lua script, so the load costs the server
# little of the CPU it shares). Without wrk the benchmark falls back to locust.
set -euo pipefail
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v pgbench >/dev/null || missing+=(postgresql-contrib)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
