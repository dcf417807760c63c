#!/usr/bin/env bash
# Tracking-script size: the bytes `shynet serve` (release build, embedded Postgres under /tmp)
# sends for a fresh service's script.js, raw and with `Accept-Encoding: gzip`, for the normal
# tracker, for the DNT/GPC variant (a no-op `newPageLoad` and `event`) and for the
# automatic-event script a tag with every data attribute loads (`auto.js`, not part of the
# tracker's budget: only pages that ask for it load it). Sizes are what goes over the wire
# (the response body, without headers). Prints a table and appends it to bench/RESULTS.md with
# the date, the commit and the machine.
#
# usage: bench/script_size.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
cargo build --release -q -p aggregator --bin shynet
BIN=$ROOT/target/release/shynet
DATA=$(mktemp -d /tmp/shynet-script-size.XXXXXX)
PORT=${PORT:-18282}
export SHYNET_DATA_DIR="$DATA" SHYNET_LOG=warn
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT

"$BIN" createadmin bench@example.com >/dev/null
SVC=$("$BIN" service create --name script-size --owner bench@example.com | sed -n 1p)
"$BIN" serve --listen 127.0.0.1:$PORT >"$DATA/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
URL="http://127.0.0.1:$PORT/ingress/$SVC/script.js"

# bytes of the body as sent (curl does not decode without --compressed); fails on non-200
size() {
  local out code bytes
  out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$@" "$URL")
  read -r code bytes <<<"$out"
  [ "$code" = 200 ] || { echo "GET script.js answered $code" >&2; exit 1; }
  echo "$bytes"
}
encoding() { curl -s -o /dev/null -D - "$@" "$URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding" {print $2}'; }

raw=$(size)
gz=$(size -H 'Accept-Encoding: gzip')
[ "$(encoding -H 'Accept-Encoding: gzip')" = gzip ] || { echo "script.js was not gzipped" >&2; exit 1; }
dnt_raw=$(size -H 'DNT: 1')
dnt_gz=$(size -H 'DNT: 1' -H 'Accept-Encoding: gzip')
TRACKER_URL=$URL
URL="http://127.0.0.1:$PORT/ingress/$SVC/auto.js?f=outbound,downloads,404"
auto_raw=$(size)
auto_gz=$(size -H 'Accept-Encoding: gzip')
URL=$TRACKER_URL

COMMIT=$(git rev-parse --short HEAD)
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
TABLE="### Tracking script, $(date -u +%F) commit $COMMIT, $MACHINE
Release build, a fresh service (no injected script); bytes of the response body as served.

| variant | raw bytes | gzip bytes |
|---|---|---|
| tracker (script.js) | $raw | $gz |
| DNT/GPC variant | $dnt_raw | $dnt_gz |
| auto.js, every automatic event | $auto_raw | $auto_gz |"
echo "$TABLE"
printf '\n%s\n' "$TABLE" >> "$ROOT/bench/RESULTS.md"
