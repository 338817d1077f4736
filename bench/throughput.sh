#!/usr/bin/env bash
# Throughput and latency benchmark: drives the running stack at increasing rates and records each
# run's report under bench/results/. Timing targets live here, never in the test suite.
#   bash bench/throughput.sh [count per step] [rates...]     e.g. bash bench/throughput.sh 2000 100 200 400
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}; shift || true
rates=("${@:-100 200 400}")
[ $# -eq 0 ] && rates=(100 200 400)
mkdir -p bench/results
bash scripts/stack.sh start
stamp=$(date -u +%Y%m%dT%H%M%SZ)
for rate in "${rates[@]}"; do
  echo "== $count orders at $rate/s"
  node tools/run-dist.js dist/tools/load/drive-orders.js --count "$count" --rate "$rate" || true
  cp .run/demo-report.json "bench/results/$stamp-rate$rate.json"
done
node -e '
const fs = require("fs");
const files = fs.readdirSync("bench/results").filter((f) => f.startsWith(process.argv[1]));
for (const f of files) {
  const r = JSON.parse(fs.readFileSync("bench/results/" + f, "utf8"));
  console.log(`${f}: ${r.paymentsPerSecond.toFixed(1)} payments/s, p50 ${r.latencyMs.p50?.toFixed(0)} ms, p99 ${r.latencyMs.p99?.toFixed(0)} ms, missing ${r.missing}`);
}' "$stamp"
echo "(the stack is still running: npm run stack:stop)"
