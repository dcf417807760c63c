#!/usr/bin/env bash
# Rollup catch-up benchmark: `shynet demo` writes HITS demo hits over DAYS days into a fresh
# embedded cluster and then rolls all of them up (the work a server does after an import, a
# demo load or downtime). Reports the seconds to write and to roll up, the roll-up rate, and the
# database's size on disk (and per million hits), and appends the row to bench/RESULTS.md.
#
# usage: bench/catchup.sh [HITS=300000] [DAYS=365]
#   SHYNET_BIN=path SHYNET_BIN_COMMIT=abc1234 runs that binary instead of building the release one.
#   The data directory is deleted afterwards unless KEEP=1.
set -euo pipefail
HITS=${1:-300000}
DAYS=${2:-365}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -n "${SHYNET_BIN:-}" ]; then BIN=$SHYNET_BIN; COMMIT="${SHYNET_BIN_COMMIT:-?} (SHYNET_BIN)"; else
  cargo build --release -q -p aggregator --bin shynet
  BIN=$ROOT/target/release/shynet; COMMIT=$(git rev-parse --short HEAD)
fi
DIR=$(mktemp -d /tmp/shynet-catchup.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$DIR"' EXIT
export SHYNET_DATA_DIR=$DIR SHYNET_LOG=warn
"$BIN" createadmin catchup@example.com >/dev/null
SVC=$("$BIN" service create --name Catchup --owner catchup@example.com | sed -n 1p)
# The summary line: "demo: N hits, … written in A s (…), rolled up in B s".
LINE=$("$BIN" demo --service "$SVC" --hits "$HITS" --days "$DAYS" 2>/dev/null | grep '^demo:')
echo "$LINE"
WRITE=$(echo "$LINE" | sed -n 's/.* written in \([0-9.]*\) s.*/\1/p')
ROLL=$(echo "$LINE" | sed -n 's/.* rolled up in \([0-9.]*\) s.*/\1/p')
[ -n "$WRITE" ] && [ -n "$ROLL" ] || { echo "could not read the demo's summary: $LINE" >&2; exit 1; }
# The cluster stops with the CLI; its files are what the data takes on disk.
MIB=$(du -sm "$DIR/pg/base" | cut -f1)
WAL=$(du -sm "$DIR/pg/pg_wal" | cut -f1)
ROW=$(awk -v h="$HITS" -v w="$WRITE" -v r="$ROLL" -v m="$MIB" -v wal="$WAL" -v d="$DAYS" 'BEGIN {
  printf "| %d | %d | %.1f | %.1f | %.0f | %d | %.0f | %d |", h, d, w, r, h / r, m, m / (h / 1e6), wal }')

MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
TABLE="### Rollup catch-up, $(date -u +%F) commit $COMMIT, $MACHINE
Release build, embedded Postgres; \`shynet demo\` writes the hits (COPY) and then rolls every hour up; database = the cluster's base directory after the run, WAL = pg_wal.

| hits | days | write s | roll-up s | roll-up hits/s | database MiB | MiB per million hits | WAL MiB |
|---|---|---|---|---|---|---|---|
$ROW"
echo "$TABLE"
printf '\n%s\n' "$TABLE" >> "$ROOT/bench/RESULTS.md"
