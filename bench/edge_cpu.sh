#!/usr/bin/env bash
# Edge worker CPU benchmark in one command: builds the worker (edge-worker/build.sh, release
# profile) and the release aggregator, runs bench/edge_cpu.mjs (workerd CPU per pixel beacon for
# our worker and for a plain-JS control doing only what the platform forces, both under
# Miniflare; see that file's header for the method), prints a table and appends it to
# bench/RESULTS.md with the date, the commit and the machine.
#
# usage: bench/edge_cpu.sh [rounds=30]
#   BEFORE=<commit> first measures that commit's worker the same way (exported with git archive
#   into a scratch directory and built there, cold: about 2 minutes), for a before/after table.
#   Needs Node.js and `npm ci` (./scripts/setup) for Miniflare and the worker build tools.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS="${1:-30}"
command -v node >/dev/null || { echo "node is missing (Node.js >= 20)" >&2; exit 1; }
[ -d node_modules/miniflare ] || { echo "node_modules missing: run ./scripts/setup (npm ci)" >&2; exit 1; }
cargo build --release -q -p aggregator --bin shynet
sh edge-worker/build.sh >/dev/null 2>&1 || { echo "edge-worker/build.sh failed" >&2; exit 1; }

SCRATCH=""
trap 'if [ -n "$SCRATCH" ]; then rm -rf "$SCRATCH"; fi' EXIT
run() { # <label> [worker script]
  SHYNET_BIN="$ROOT/target/release/shynet" EDGE_WORKER_SCRIPT="${2:-}" node bench/edge_cpu.mjs "$ROUNDS" | tail -1 |
    python3 -c 'import json, sys; r = json.load(sys.stdin); r["label"] = sys.argv[1]; print(json.dumps(r))' "$1"
}
RUNS=()
if [ -n "${BEFORE:-}" ]; then
  SCRATCH=$(mktemp -d /tmp/shynet-edge-before.XXXXXX)
  git archive "$BEFORE" | tar -x -C "$SCRATCH"
  WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt" ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild" \
    sh "$SCRATCH/edge-worker/build.sh" >/dev/null 2>&1 || { echo "building $BEFORE's worker failed" >&2; exit 1; }
  OUT=$(run "$(git rev-parse --short "$BEFORE")" "$SCRATCH/edge-worker/build/index.js")
  RUNS+=("$OUT")
fi
COMMIT=$(git rev-parse --short HEAD)
LABEL="$COMMIT"
git diff --quiet HEAD -- edge-worker beacon || LABEL="$COMMIT + uncommitted"
OUT=$(run "$LABEL")
RUNS+=("$OUT")
printf '%s\n' "${RUNS[@]}"

ROWS=$(printf '%s\n' "${RUNS[@]}" | python3 -c '
import json, sys
names = {"total": "total per beacon", "ingress": "ingress (answer + queue send)", "consumer": "consumer share",
         "no_queue": "DNT pixel (no queue)", "not_found": "404 (invocation only)"}
for line in sys.stdin:
    r = json.loads(line)
    for k, name in names.items():
        p = r["ms_per_beacon"][k]
        a = p["attributable"]
        print("| %s | %s | %.3f | %.3f | **%.3f** (%.3f – %.3f) |" % (
            r["label"], name, p["ours"]["median"], p["control"]["median"], a["median"], a["p25"], a["p75"]))
')
BYTES=$(printf '%s\n' "${RUNS[-1]}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["message_bytes"])')
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
TABLE="### Edge worker CPU, $(date -u +%F) commit $COMMIT, $MACHINE
\`bench/edge_cpu.sh $ROUNDS\`: workerd CPU (all threads, schedstat) in ms per request, medians over $ROUNDS rounds × 100 pixel beacons (queue message $BYTES bytes); *ours* = the edge worker, *control* = a plain-JS worker doing only what the platform forces (same answer bytes, one same-size queue message, a consumer that POSTs and acks), both under Miniflare with the same requests; *attributable* = ours − control per round (median, p25 – p75). Release builds; the aggregator's CPU is not counted.

| worker | phase | ours | control | attributable |
|---|---|---|---|---|
$ROWS"
echo "$TABLE"
printf '\n%s\n' "$TABLE" >> "$ROOT/bench/RESULTS.md"
