#!/usr/bin/env bash
# Direct-ingest benchmark: the original Shynet's wrk workloads (bench/workload/) against
# `shynet serve` (release build, embedded Postgres on the same machine). Reports requests/s and
# latency from wrk, beacons persisted per second counted in Postgres (not inferred), stored rows
# against the workload's expected counts, and peak RSS. Appends a row to bench/RESULTS.md.
#
# The ceiling: after each workload, the hits and sessions it stored are exported and COPYed back
# (under another service id, new session ids) into the same partitioned tables of the same
# Postgres, in one transaction, timed; rows/s of that COPY is the physical limit the writer is
# compared with ("persisted beacons/s ÷ COPY rows/s"). The copies are deleted afterwards.
#
# script_events is script_post with 20 % of the requests custom events bound to their page views
# (bench/workload/script_events.lua, ours): its persisted beacons/s count stored events too, to
# compare with script_post on the same build.
#
# usage: bench/ingest.sh [pixel|script_post|script_events|both|all] [duration, default 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH="${1:-both}"
DURATION="${2:-20s}"
WORKLOAD_DIR="${WORKLOAD_DIR:-$PWD/bench/workload/}"
export WORKLOAD_DIR
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$WORKLOAD_DIR/pixel.lua" ] || { echo "workloads not found in $WORKLOAD_DIR (set WORKLOAD_DIR)" >&2; exit 1; }

cargo build --release -p aggregator --bin shynet >/dev/null
BIN=target/release/shynet
DATA=$(mktemp -d /tmp/shynet-bench.XXXXXX)
PORT=${PORT:-18080}
export SHYNET_DATA_DIR="$DATA" SHYNET_LOG=warn
$BIN createadmin bench@example.com >/dev/null
SVC=$($BIN service create --name bench --owner bench@example.com | sed -n 1p)

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
# Stored events (0 on builds from before custom events, which have no such table).
events_q() {
  if [ "$(psql_q "SELECT to_regclass('events') IS NOT NULL")" = t ]; then
    psql_q "SELECT count(*) FROM events"
  else echo 0; fi
}
metric() { curl -s "http://127.0.0.1:$PORT/healthz?format=json" | python3 -c "import sys,json; print(json.load(sys.stdin)['ingest']['$1'])"; }

# Columns of a table in order, comma-separated, for COPY: `id` and `service_id` replaced by the
# given expressions (`-` drops the column).
cols() { # table id_expr svc_expr
  local c out=()
  for c in $(psql_q "SELECT column_name FROM information_schema.columns
                     WHERE table_schema = 'public' AND table_name = '$1' ORDER BY ordinal_position"); do
    case $c in id) c=$2 ;; service_id) c=$3 ;; esac
    [ "$c" = - ] || out+=("$c")
  done
  (IFS=,; echo "${out[*]}")
}

# COPY of the rows one workload stored (hits with id > $1, sessions started at or after $2);
# prints "rows seconds rows_per_second".
ceiling() {
  local hid0=$1 since=$2 csvdir="$DATA/ceiling" ceil_svc
  ceil_svc=$(python3 -c 'import uuid; print(uuid.uuid4())')
  mkdir -p "$csvdir"; chmod 777 "$csvdir"
  local s_out s_in h_out h_in
  s_out=$(cols sessions 'gen_random_uuid()' "'$ceil_svc'::uuid"); s_in=$(cols sessions id service_id)
  h_out=$(cols hits - "'$ceil_svc'::uuid"); h_in=$(cols hits - service_id)
  psql_q "\\copy (SELECT $s_out FROM sessions WHERE service_id = '$SVC' AND start_time >= '$since') TO '$csvdir/sessions.bin' WITH (FORMAT binary)" >/dev/null
  psql_q "\\copy (SELECT $h_out FROM hits WHERE service_id = '$SVC' AND id > $hid0) TO '$csvdir/hits.bin' WITH (FORMAT binary)" >/dev/null
  local c0 c1 rows
  c0=$(date +%s.%N)
  psql -X -q -v ON_ERROR_STOP=1 -h "$DATA/run" -U shynet -d shynet <<SQL >/dev/null
BEGIN;
\\copy sessions ($s_in) FROM '$csvdir/sessions.bin' WITH (FORMAT binary)
\\copy hits ($h_in) FROM '$csvdir/hits.bin' WITH (FORMAT binary)
COMMIT;
SQL
  c1=$(date +%s.%N)
  rows=$(psql_q "SELECT (SELECT count(*) FROM sessions WHERE service_id = '$ceil_svc') + (SELECT count(*) FROM hits WHERE service_id = '$ceil_svc')")
  psql_q "DELETE FROM hits WHERE service_id = '$ceil_svc'" >/dev/null
  psql_q "DELETE FROM sessions WHERE service_id = '$ceil_svc'" >/dev/null
  rm -rf "$csvdir"
  python3 -c "s=$c1-$c0; print($rows, round(s, 2), round($rows/s))"
}

run_one() {
  local name=$1 path=$2
  local hits0 sess0 beats0 ev0 t0 t1 out accepted written hid0 since
  hits0=$(psql_q "SELECT count(*) FROM hits"); sess0=$(psql_q "SELECT count(*) FROM sessions")
  ev0=$(events_q)
  beats0=$(psql_q "SELECT coalesce(sum(heartbeats), 0) FROM hits")
  hid0=$(psql_q "SELECT coalesce(max(id), 0) FROM hits"); since=$(psql_q "SELECT now()")
  t0=$(date +%s.%N)
  out=$(wrk -t2 -c32 -d"$DURATION" --latency -s "$WORKLOAD_DIR/$name.lua" "http://127.0.0.1:$PORT/ingress/$SVC/$path")
  # wait until every accepted beacon is committed
  for _ in $(seq 1 600); do
    accepted=$(metric accepted); written=$(metric written_beacons)
    [ "$written" -ge "$accepted" ] && break
    sleep 0.1
  done
  t1=$(date +%s.%N)
  local hits sess beats evs reqs rps p50 p99 secs persisted bad
  hits=$(( $(psql_q "SELECT count(*) FROM hits") - hits0 ))
  evs=$(( $(events_q) - ev0 ))
  beats=$(( $(psql_q "SELECT coalesce(sum(heartbeats), 0) FROM hits") - beats0 ))
  sess=$(( $(psql_q "SELECT count(*) FROM sessions") - sess0 ))
  reqs=$(echo "$out" | awk '/^requests:/ {print $2}')
  rps=$(echo "$out" | awk '/^requests:/ {print $6}')
  p50=$(echo "$out" | awk '/^latency p50/ {print $3}')
  p99=$(echo "$out" | awk '/^latency p50/ {print $9}')
  bad=$(echo "$out" | awk '/^non-2xx:/ {print $2}')
  secs=$(python3 -c "print(round($t1-$t0,2))")
  # beacons persisted = new hits + heartbeats applied + events, counted in Postgres
  persisted=$(python3 -c "print(round(($hits+$beats+$evs)/($t1-$t0)))")
  local expected=""
  if [ "$name" = script_events ]; then
    expected="$evs events"
  elif [ "$name" = script_post ]; then
    expected=$(python3 -c "
n=$reqs; pv=128+(n-128)/6; v=128+(pv-128)/3
print(f'expected ~{round(pv)} hits / ~{round(v)} sessions')")
  else
    expected="expected $((reqs - bad)) hits"
  fi
  local crows csecs crps ratio
  read -r crows csecs crps <<<"$(ceiling "$hid0" "$since")"
  ratio=$(python3 -c "print(f'{100*$persisted/$crps:.0f} %')")
  echo "$name: $reqs requests ($bad answered 503 under overload), $rps req/s, p50 ${p50} ms, p99 ${p99} ms"
  echo "  persisted $persisted beacons/s counted in Postgres ($hits hits + $beats heartbeats, all committed ${secs}s after the start); $sess sessions ($expected for the 2xx share)"
  echo "  ceiling: COPY of the same $crows rows (sessions + hits) into the same Postgres took ${csecs}s = $crps rows/s; persisted beacons/s ÷ COPY rows/s = $ratio"
  RESULTS+=("| $(date -u +%F) | $(git rev-parse --short HEAD) | $name | $rps | ${p50} / ${p99} | $bad | $persisted | $crps | $ratio | $hits hits, $beats heartbeats, $sess sessions ($expected) |")
}

RESULTS=()
start_serve
case "$WHICH" in
  pixel) run_one pixel pixel.gif ;;
  script_post) run_one script_post script.js ;;
  script_events) run_one script_events script.js ;;
  both) run_one pixel pixel.gif; run_one script_post script.js ;;
  all) run_one pixel pixel.gif; run_one script_post script.js; run_one script_events script.js ;;
esac
RSS=$(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$SERVE_PID/status)
kill -TERM $SERVE_PID; wait $SERVE_PID || true
echo "peak RSS of shynet serve: $RSS"
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
{
  [ -f bench/RESULTS.md ] || printf '# Benchmark results\n\n'
  printf '\n## ingest (%s, wrk -t2 -c32 -d%s, Postgres on the same machine), peak RSS %s\n\n' "$MACHINE" "$DURATION" "$RSS"
  printf '| date | commit | workload | req/s | p50 / p99 ms | 503s | persisted beacons/s | COPY ceiling rows/s | persisted ÷ ceiling | stored |\n|---|---|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${RESULTS[@]}"
} >> bench/RESULTS.md
rm -rf "$DATA"
