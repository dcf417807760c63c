#!/usr/bin/env bash
# Embedded Postgres settings, measured: the same ingest run (wrk, the script_post workload:
# page views and heartbeats, i.e. inserts plus upserts of the live-state tables) against a
# fresh cluster per profile, each profile adding settings to postgresql.conf and/or SQL run
# before the server starts. Reports persisted beacons/s, WAL written per 1000 beacons,
# checkpoints, the share of live-state updates that were HOT (no index write) and the size of
# the live-state tables afterwards. Appends the table to bench/RESULTS.md.
#
# usage: bench/pg_tuning.sh [duration per profile, default 60s] [profile ...]
#   SHYNET_BIN=path SHYNET_BIN_COMMIT=abc1234 runs an already-built release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-60s}
shift || true
WORKLOAD_DIR="${WORKLOAD_DIR:-$PWD/bench/workload/}"
export WORKLOAD_DIR
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# name | postgresql.conf lines (';'-separated) | SQL before serving (';'-separated)
PROFILES=(
  "shipped|"
  "buffers-512MB|shared_buffers = 512MB|"
  "wal-lz4|wal_compression = lz4|"
  "wal-2GB|max_wal_size = 2GB;checkpoint_timeout = 15min|"
  "wal-4GB|max_wal_size = 4GB;checkpoint_timeout = 15min|"
  "live-ff70||ALTER TABLE active_sessions SET (fillfactor = 70);ALTER TABLE active_hits SET (fillfactor = 70)"
  "live-ff70-noidx||ALTER TABLE active_sessions SET (fillfactor = 70);ALTER TABLE active_hits SET (fillfactor = 70);DROP INDEX active_sessions_last_seen_idx;DROP INDEX active_hits_last_seen_idx"
)
[ $# -gt 0 ] && { sel=(); for p in "${PROFILES[@]}"; do for w in "$@"; do [ "${p%%|*}" = "$w" ] && sel+=("$p"); done; done; PROFILES=("${sel[@]}"); }

if [ -n "${SHYNET_BIN:-}" ]; then BIN=$SHYNET_BIN; else
  cargo build --release -q -p aggregator --bin shynet
  BIN=$PWD/target/release/shynet
fi
PORT=${PORT:-18083}
ROWS=()
for profile in "${PROFILES[@]}"; do
  IFS='|' read -r name conf sql <<<"$profile"
  DATA=$(mktemp -d /tmp/shynet-pgtune.XXXXXX)
  export SHYNET_DATA_DIR="$DATA" SHYNET_LOG=warn
  $BIN createadmin bench@example.com >/dev/null
  SVC=$($BIN service create --name bench --owner bench@example.com | sed -n 1p)
  # The cluster is stopped between commands: settings appended now apply from the next start.
  if [ -n "$conf" ]; then
    { echo "# bench profile $name"; tr ';' '\n' <<<"$conf"; } >> "$DATA/pg/postgresql.conf"
  fi
  $BIN serve --listen 127.0.0.1:$PORT > "$DATA/serve.out" 2> "$DATA/serve.err" &
  PID=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
  q() { psql -X -A -t -F ' ' -h "$DATA/run" -U shynet -d shynet -c "$1"; }
  [ -n "$sql" ] && q "$sql" >/dev/null
  read -r wal0 ck0 < <(q "SELECT pg_current_wal_lsn(), checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
  t0=$(date +%s.%N)
  out=$(wrk -t2 -c32 -d"$DURATION" -s "$WORKLOAD_DIR/script_post.lua" "http://127.0.0.1:$PORT/ingress/$SVC/script.js")
  for _ in $(seq 1 600); do
    h=$(curl -s "http://127.0.0.1:$PORT/healthz?format=json")
    python3 -c "import sys,json; i=json.loads(sys.argv[1])['ingest']; sys.exit(0 if i['written_beacons'] >= i['accepted'] else 1)" "$h" && break
    sleep 0.1
  done
  t1=$(date +%s.%N)
  sleep 1 # cumulative statistics are flushed at most once a second
  read -r beacons wal ck hot live settings < <(q "
    SELECT (SELECT count(*) + coalesce(sum(heartbeats), 0) FROM hits),
           pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal0'),
           (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) - $ck0,
           (SELECT round(100.0 * sum(n_tup_hot_upd) / nullif(sum(n_tup_upd), 0), 1) FROM pg_stat_user_tables
             WHERE relname IN ('active_sessions', 'active_hits')),
           round((pg_total_relation_size('active_sessions') + pg_total_relation_size('active_hits')) / 1048576.0, 1),
           (SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ',' ORDER BY name) FROM pg_settings
             WHERE name IN ('wal_compression', 'max_wal_size', 'checkpoint_timeout'))")
  kill -TERM $PID; wait $PID || true
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')
  persisted=$(python3 -c "print(round($beacons / ($t1 - $t0)))")
  wal_per_k=$(python3 -c "print(round($wal / 1048576 / ($beacons / 1000), 3))")
  ROWS+=("| $name | ${conf//;/, } ${sql:+(SQL: ${sql//;/; })} | $rps | $persisted | $wal_per_k | $ck | ${hot:-0} % | $live |")
  echo "${ROWS[-1]}"
  rm -rf "$DATA"
done
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
{
  printf '\n### Embedded Postgres profiles, %s commit %s, %s\n' "$(date -u +%F)" "${SHYNET_BIN_COMMIT:-$(git rev-parse --short HEAD)}" "$MACHINE"
  printf 'Release build, fresh cluster per profile, wrk -t2 -c32 -d%s script_post; "shipped" is the configuration shynet writes.\n\n' "$DURATION"
  printf '| profile | change | req/s | persisted beacons/s | WAL MiB per 1000 beacons | checkpoints | HOT updates (live state) | live-state MiB |\n|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${ROWS[@]}"
} >> bench/RESULTS.md
