#!/usr/bin/env bash
# Batch-endpoint benchmark in one command: builds the release binary, runs bench/edge_batch.mjs
# (signed batches of 100 beacons, the edge queue consumer's shape, POSTed to
# `POST /ingest/v1/batch` of a real `shynet serve` with its embedded Postgres, several in flight;
# beacons persisted counted in Postgres), prints a table and appends it to bench/RESULTS.md with
# the date, the commit and the machine.
#
# usage: bench/edge_batch.sh [batches=2000] [concurrency=8] [batch size=100]
#   VISITORS=20000 sets the visitor pool (see edge_batch.mjs). Needs Node.js and `npm ci`
#   (./scripts/setup) for the harness's imports.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v node >/dev/null || { echo "node is missing (Node.js >= 20)" >&2; exit 1; }
[ -d node_modules/miniflare ] || { echo "node_modules missing: run ./scripts/setup (npm ci)" >&2; exit 1; }
cargo build --release -q -p aggregator --bin shynet
OUT=$(SHYNET_BIN="$ROOT/target/release/shynet" node bench/edge_batch.mjs "$@" | tail -1)
echo "$OUT"
ROW=$(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
cells = ["%d × %d" % (r["batches"], r["batch_size"]), r["concurrency"], r["visitors"], r["failed"],
         "%d / %d" % (r["beacons_persisted"], r["beacons_sent"]), r["seconds"], r["batches_per_second"],
         r["beacons_per_second"]]
print("| " + " | ".join(str(c) for c in cells) + " |")
' "$OUT")
COMMIT=$(git rev-parse --short HEAD)
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
TABLE="### Edge batch endpoint, $(date -u +%F) commit $COMMIT, $MACHINE
Release build, embedded Postgres on the same machine, SHYNET_DB_POOL_SIZE=${SHYNET_DB_POOL_SIZE:-8 (default)}, SHYNET_EDGE_POOL_SIZE=${SHYNET_EDGE_POOL_SIZE:-default}, signed batches POSTed over loopback; persisted = new hits + heartbeats counted in Postgres.

| batches | in flight | visitors | failed | persisted / sent | s | batches/s | persisted beacons/s |
|---|---|---|---|---|---|---|---|
$ROW"
echo "$TABLE"
printf '\n%s\n' "$TABLE" >> "$ROOT/bench/RESULTS.md"
