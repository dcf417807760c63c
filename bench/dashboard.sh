#!/usr/bin/env bash
# Dashboard benchmark: the service page and the JSON API of a service with HITS demo hits over a
# year, for the last 30 days and the last 365 days, cold (first request after a server restart)
# and warm (N further requests), server time measured by curl on loopback (release build).
# Filtered mode (after the unfiltered rows, same table): one filter (the most common country)
# over 30 days and two filters (that country and the most common browser) over 365 days, page
# (`?f=`) and API (`?filters=`), answered from raw rows. Each row also reports the server's peak
# resident memory (VmHWM) while serving it.
# Prints a table and appends it to bench/RESULTS.md with date, commit and machine.
#
# usage: bench/dashboard.sh [HITS=1000000] [N=20]
#   Data goes to an embedded cluster under $BENCH_DIR (default /tmp/shynet-bench-<HITS>); a second
#   run with the same HITS reuses it. SHYNET_BIN=path runs that binary instead of building the
#   release one (to check the script quickly; such numbers are not release numbers).
#   FILTERED_N=k measures the filtered rows with k warm requests instead of N (at 10M hits and
#   more they take seconds each); FILTERED_N=0 leaves them out.
set -euo pipefail
HITS=${1:-1000000}
N=${2:-20}
FILTERED_N=${FILTERED_N:-$N}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SHYNET_BIN:-$ROOT/target/release/shynet}
DIR=${BENCH_DIR:-/tmp/shynet-bench-$HITS}
PORT=${PORT:-18181}
export SHYNET_DATA_DIR=$DIR TIME_ZONE=${TIME_ZONE:-America/New_York} SHYNET_LOG=warn
cd "$ROOT"
[ -n "${SHYNET_BIN:-}" ] || cargo build --release -q -p aggregator
EMAIL=bench@example.com
if [ ! -f "$DIR/bench-service" ]; then
  mkdir -p "$DIR"
  PW=$("$BIN" createadmin $EMAIL | sed -n 's/^Password: //p')
  echo "$PW" > "$DIR/bench-password"
  "$BIN" service create --name Bench --owner $EMAIL | sed -n 1p > "$DIR/bench-service.tmp"
  "$BIN" demo --service "$(cat "$DIR/bench-service.tmp")" --hits "$HITS" --days 365 | tee "$DIR/bench-load"
  mv "$DIR/bench-service.tmp" "$DIR/bench-service"
fi
SVC=$(cat "$DIR/bench-service")
PW=$(cat "$DIR/bench-password")
TOKEN=bench-token-$HITS

start_server() {
  "$BIN" serve --listen 127.0.0.1:$PORT >"$DIR/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap stop_server EXIT

start_server
# A login cookie for the page, and an API token (stored as its sha256, like the dashboard does)
# set through the embedded cluster's socket while the server holds it open.
JAR=$DIR/cookies
rm -f "$JAR"
CSRF=$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORT/accounts/login/" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$CSRF" --data-urlencode "email=$EMAIL" \
  --data-urlencode "password=$PW" "http://127.0.0.1:$PORT/accounts/login/"
TOKEN_HASH=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
psql -q -h "$DIR/run" -p 5432 -U shynet -d shynet -c \
  "UPDATE users SET api_token_hash = decode('$TOKEN_HASH', 'hex') WHERE email = '$EMAIL'"
# The steady state a year of real traffic reaches: autovacuum has long since visited the past
# months. A demo writes that year in minutes, so its tables lack planner statistics (the filtered
# rows' raw reads then get nested-loop plans that cost seconds even at 20k hits) and visibility
# maps, and an autovacuum of the freshly rolled-up tables would otherwise run during the rows.
psql -q -h "$DIR/run" -p 5432 -U shynet -d shynet -c "VACUUM (ANALYZE)"

# The rollup job fills segment rollups for the history in the background (after a fresh demo
# load, or after an upgrade rebuilt them): measure once they cover the oldest day, so the rows
# show the steady state rather than the fill.
covered() { psql -qAt -h "$DIR/run" -p 5432 -U shynet -d shynet -c \
  "SELECT coalesce((SELECT segments_from FROM rollup_state) <= (SELECT (min(start_time) AT TIME ZONE 'UTC')::date FROM sessions),
                   NOT EXISTS (SELECT 1 FROM sessions))"; }
fill_start=$(date +%s)
until [ "$(covered)" = t ]; do
  [ "$(( $(date +%s) - fill_start ))" -lt 3600 ] || { echo "segment rollups did not cover the history within an hour" >&2; exit 1; }
  echo "waiting for the segment rollups to cover the history: from $(psql -qAt -h "$DIR/run" -p 5432 -U shynet -d shynet -c "SELECT segments_from FROM rollup_state")" >&2
  sleep 10
done
[ "$(( $(date +%s) - fill_start ))" -lt 10 ] || echo "segment rollups filled in $(( $(date +%s) - fill_start )) s" >&2

today=$(TZ=$TIME_ZONE date +%F)
d30=$(TZ=$TIME_ZONE date -d '29 days ago' +%F)
d365=$(TZ=$TIME_ZONE date -d '364 days ago' +%F)

measure() { # url, extra curl args…; prints one time in ms
  local url=$1; shift
  curl -s -o /dev/null -w '%{time_total}\n' "$@" "$url" | awk '{printf "%.1f\n", $1*1000}'
}
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }

# The segment of the filtered rows: the service's most common country and browser.
top() { psql -qAt -h "$DIR/run" -p 5432 -U shynet -d shynet -c \
  "SELECT $1 FROM sessions WHERE service_id = '$SVC' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
COUNTRY=$(top country)
BROWSER=$(top browser)
F1="country:$(enc "$COUNTRY")"
F2="browser:$(enc "$BROWSER")"

ROWS=""
row() { # warm requests, target (page|api), window days, label, filters (FIELD:VALUE, URL-encoded)
  local n=$1 target=$2 win=$3 label=$4; shift 4
  local from q="" url args
  from=$([ "$win" = 30 ] && echo "$d30" || echo "$d365")
  for f in "$@"; do
    if [ "$target" = page ]; then q+="&f=$f"; else q+="&filters=$f"; fi
  done
  if [ "$target" = page ]; then
    url="http://127.0.0.1:$PORT/dashboard/service/$SVC/?startDate=$from&endDate=$today$q"; args=(-b "$JAR")
  else
    url="http://127.0.0.1:$PORT/api/v1/dashboard/?uuid=$SVC&startDate=$from&endDate=$today$q"; args=(-H "Authorization: Token $TOKEN")
  fi
  local code cold times p50 p95
  code=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "$url")
  stop_server; start_server
  cold=$(measure "$url" "${args[@]}")
  times=$(for _ in $(seq "$n"); do measure "$url" "${args[@]}"; done)
  p50=$(echo "$times" | pct 50); p95=$(echo "$times" | pct 95)
  # The server restarted before this row, so its high-water mark is this row's peak.
  rss=$(awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$SERVER/status")
  ROWS+="| $target$label | $win days | $HITS | $code | $cold | $p50 | $p95 | $n | $rss |"$'\n'
}
for target in page api; do
  for win in 30 365; do row "$N" $target $win ""; done
done
# Filtered mode.
if [ "$FILTERED_N" -gt 0 ]; then
  for target in page api; do
    row "$FILTERED_N" $target 30 ", country=$COUNTRY" "$F1"
    row "$FILTERED_N" $target 365 ", country=$COUNTRY, browser=$BROWSER" "$F1" "$F2"
  done
fi

# Disk: the database's size (tables, indexes, rollups; not WAL), in all and per million hits.
DB_MIB=$(psql -qAt -h "$DIR/run" -p 5432 -U shynet -d shynet -c "SELECT pg_database_size('shynet') / 1048576")
DISK="database $DB_MIB MiB on disk ($(awk -v m="$DB_MIB" -v h="$HITS" 'BEGIN {printf "%.0f", m / (h / 1e6)}') MiB per million hits)"
LOAD=$(grep -h '^demo:' "$DIR/bench-load" 2>/dev/null || true)
[ -z "$LOAD" ] || DISK="$DISK; load: ${LOAD#demo: }"
COMMIT=$(git rev-parse --short HEAD)
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
TABLE="### Dashboard, $(date -u +%F) commit $COMMIT, $MACHINE
Release build, embedded Postgres, TIME_ZONE=$TIME_ZONE, demo data over 365 days; cold = first request after a server restart (OS page cache not dropped); warm = the row's warm requests; peak RSS = VmHWM of the shynet serve process (restarted before each row) after the row; measured after VACUUM (ANALYZE); $DISK.

| what | window | hits | status | cold ms | warm p50 ms | warm p95 ms | warm requests | peak RSS MiB |
|---|---|---|---|---|---|---|---|---|
$ROWS"
echo "$TABLE"
printf '\n%s\n' "$TABLE" >> "$ROOT/bench/RESULTS.md"
