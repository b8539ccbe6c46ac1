#!/usr/bin/env bash
# A fuzz campaign: JOBS tvk_fuzz processes with seeds BASE_SEED.. for SECONDS each, failures
# under OUT/seed-S/, then each process's summary and the totals.
#   scripts/fuzz-campaign.sh [JOBS (nproc)] [SECONDS (3600)] [OUT (fuzz-campaign)]
# TVK_FUZZ picks the binary (default build-asan/tvk_fuzz, else build/tvk_fuzz).
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-$(nproc)}
SECS=${2:-3600}
OUT=${3:-fuzz-campaign}
BASE=${BASE_SEED:-1000}
BIN=${TVK_FUZZ:-build-asan/tvk_fuzz}
[[ -x $BIN ]] || BIN=build/tvk_fuzz
mkdir -p "$OUT"
echo "fuzz campaign: $JOBS x $BIN for $SECS s, seeds $BASE..$((BASE + JOBS - 1)), output in $OUT"
for ((i = 0; i < JOBS; i++)); do
  s=$((BASE + i))
  "$BIN" --seed "$s" --seconds "$SECS" --crash-dir "$OUT/seed-$s" --quiet >"$OUT/seed-$s.out" 2>&1 &
done
wait
cat "$OUT"/seed-*.out | grep '^fuzz:'
cat "$OUT"/seed-*.out | grep '^fuzz:' | awk '
  { for (i = 2; i <= NF; ++i) { split($i, kv, "="); t[kv[1]] += kv[2] } }
  END { printf "total: executions=%d failures=%d hangs=%d invalid_spirv=%d cpu_seconds=%.0f\n",
        t["executions"], t["failures"], t["hangs"], t["invalid_spirv"], t["seconds"];
        exit (t["failures"] + t["hangs"] + t["invalid_spirv"] > 0) }'
