#!/usr/bin/env bash
# Anomaly-alert quality on demo data: `cargo run --example alerts_eval` writes ten weeks of
# `shynet demo` traffic for a small, a medium and a large site into a throwaway Postgres, injects
# drops (×0.3, 3 h), spikes (×4, 2 h) and outages (0, 3 h) at random hours of the last six
# weeks, and runs the detector with its default thresholds hour by hour as the maintenance job
# does. Prints a table and appends it to bench/RESULTS.md with the date, commit and machine.
#
# usage: bench/alerts_eval.sh [SEED]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SEED=${1:-7}
ROWS=$(SHYNET_LOG=warn cargo run -q -p aggregator --example alerts_eval -- "$SEED")
COMMIT=$(git rev-parse --short HEAD)
MACHINE="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m) (shared machine)"
TABLE="### Anomaly alerts, $(date -u +%F) commit $COMMIT, $MACHINE
\`bench/alerts_eval.sh $SEED\`: \`shynet demo\` traffic over 10 weeks, 40 injected episodes per site in the last 6 weeks (drop ×0.3 for 3 h, spike ×4 for 2 h, outage 0 for 3 h); minimum volume 20 page views/hour, 4 baseline weeks, threshold (robust z) 6 (the default), 4 and 5. Hours the demo leaves empty (the partial UTC day at the end of each chunk it writes) are not judged. Precision: alerts that fell in an injected episode; recall: episodes alerted; false alarms: alerts per week on the same data without injections.

| site | demo hits | median views/h | threshold | hours judged | episodes | alerts | precision | recall | false alarms / week |
|---|---|---|---|---|---|---|---|---|---|
$ROWS
"
echo "$TABLE"
printf '\n%s' "$TABLE" >> bench/RESULTS.md
