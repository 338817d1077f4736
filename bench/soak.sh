#!/usr/bin/env bash
# A long chaos run (soak): the whole stack of its own, two replicas of every service, the seeded faults,
# then the auditor's verdict. The seed is printed first (random unless given), so a failure is repeated
# with the one command the run prints.
#   bash bench/soak.sh [minutes (30)] [seed (random)] [extra chaos options...]
#   e.g. bash bench/soak.sh 60 1234 --brokers 3
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}; shift || true
seed=${1:-$(( (RANDOM << 15 | RANDOM) ))}; shift || true
echo "soak: seed $seed, $minutes minutes"
[ -f dist/tools/chaos/chaos-cli.js ] || npm run --silent build
mkdir -p bench/results
status=0
node tools/run-dist.js dist/tools/chaos/chaos-cli.js --seed "$seed" --minutes "$minutes" "$@" || status=$?
[ -f ".run/chaos/$seed/report.json" ] && cp ".run/chaos/$seed/report.json" "bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ)-seed$seed.json"
echo "soak: seed $seed finished with exit code $status (report: .run/chaos/$seed/report.json)"
exit $status
