#!/usr/bin/env bash
# Direct-ingest benchmark: the original Shynet's wrk workloads (../shared/bench/workload) against
# `shynet serve` (release build, embedded Postgres on the same machine). Reports requests/s and
# latency from wrk, beacons persisted per second counted in Postgres (not inferred), stored rows
# against the workload's expected counts, and peak RSS. Appends a row to bench/RESULTS.md.
#
# usage: bench/ingest.sh [pixel|script_post|both] [duration, default 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH="${1:-both}"
DURATION="${2:-20s}"
WORKLOAD_DIR="${WORKLOAD_DIR:-$(cd .. && pwd)/shared/bench/workload/}"
export WORKLOAD_DIR
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$WORKLOAD_DIR/pixel.lua" ] || { echo "workloads not found in $WORKLOAD_DIR (set WORKLOAD_DIR)" >&2; exit 1; }

cargo build --release -p aggregator --bin shynet >/dev/null
BIN=target/release/shynet
DATA=$(mktemp -d /tmp/shynet-bench.XXXXXX)
PORT=${PORT:-18080}
export SHYNET_DATA_DIR="$DATA" SHYNET_LOG=warn
$BIN createadmin bench@example.com >/dev/null
SVC=$($BIN service create --name bench --owner bench@example.com | head -1)

start_serve() {
  $BIN serve --listen 127.0.0.1:$PORT > "$DATA/serve.out" 2> "$DATA/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "serve did not start" >&2; cat "$DATA/serve.err" >&2; exit 1
}
psql_q() { psql -X -A -t -h "$DATA/run" -U shynet -d shynet -c "$1"; }
metric() { curl -s "http://127.0.0.1:$PORT/healthz?format=json" | python3 -c "import sys,json; print(json.load(sys.stdin)['ingest']['$1'])"; }

run_one() {
  local name=$1 path=$2
  local hits0 sess0 beats0 t0 t1 out accepted written
  hits0=$(psql_q "SELECT count(*) FROM hits"); sess0=$(psql_q "SELECT count(*) FROM sessions")
  beats0=$(psql_q "SELECT coalesce(sum(heartbeats), 0) FROM hits")
  t0=$(date +%s.%N)
  out=$(wrk -t2 -c32 -d"$DURATION" --latency -s "$WORKLOAD_DIR/$name.lua" "http://127.0.0.1:$PORT/ingress/$SVC/$path")
  # wait until every accepted beacon is committed
  for _ in $(seq 1 600); do
    accepted=$(metric accepted); written=$(metric written_beacons)
    [ "$written" -ge "$accepted" ] && break
    sleep 0.1
  done
  t1=$(date +%s.%N)
  local hits sess beats reqs rps p50 p99 secs persisted bad
  hits=$(( $(psql_q "SELECT count(*) FROM hits") - hits0 ))
  beats=$(( $(psql_q "SELECT coalesce(sum(heartbeats), 0) FROM hits") - beats0 ))
  sess=$(( $(psql_q "SELECT count(*) FROM sessions") - sess0 ))
  reqs=$(echo "$out" | awk '/^requests:/ {print $2}')
  rps=$(echo "$out" | awk '/^requests:/ {print $6}')
  p50=$(echo "$out" | awk '/^latency p50/ {print $3}')
  p99=$(echo "$out" | awk '/^latency p50/ {print $9}')
  bad=$(echo "$out" | awk '/^non-2xx:/ {print $2}')
  secs=$(python3 -c "print(round($t1-$t0,2))")
  # beacons persisted = new hits + heartbeats applied, counted in Postgres
  persisted=$(python3 -c "print(round(($hits+$beats)/($t1-$t0)))")
  local expected=""
  if [ "$name" = script_post ]; then
    expected=$(python3 -c "
n=$reqs; pv=128+(n-128)/6; v=128+(pv-128)/3
print(f'expected ~{round(pv)} hits / ~{round(v)} sessions')")
  else
    expected="expected $((reqs - bad)) hits"
  fi
  echo "$name: $reqs requests ($bad answered 503 under overload), $rps req/s, p50 ${p50} ms, p99 ${p99} ms"
  echo "  persisted $persisted beacons/s counted in Postgres ($hits hits + $beats heartbeats, all committed ${secs}s after the start); $sess sessions ($expected for the 2xx share)"
  RESULTS+=("| $(date -u +%F) | $(git rev-parse --short HEAD) | $name | $rps | ${p50} / ${p99} | $bad | $persisted | $hits hits, $beats heartbeats, $sess sessions ($expected) |")
}

RESULTS=()
start_serve
case "$WHICH" in
  pixel) run_one pixel pixel.gif ;;
  script_post) run_one script_post script.js ;;
  both) run_one pixel pixel.gif; run_one script_post script.js ;;
esac
RSS=$(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$SERVE_PID/status)
kill -TERM $SERVE_PID; wait $SERVE_PID || true
echo "peak RSS of shynet serve: $RSS"
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
{
  [ -f bench/RESULTS.md ] || printf '# Benchmark results\n\n'
  printf '\n## ingest (%s, wrk -t2 -c32 -d%s, Postgres on the same machine), peak RSS %s\n\n' "$MACHINE" "$DURATION" "$RSS"
  printf '| date | commit | workload | req/s | p50 / p99 ms | 503s | persisted beacons/s | stored |\n|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${RESULTS[@]}"
} >> bench/RESULTS.md
rm -rf "$DATA"
