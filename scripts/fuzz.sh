#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a while.
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [TARGET...]   run (default: every target, 600 s each, 2 at a time)
#   FUZZ_ARGS="-max_len=16384" scripts/fuzz.sh …          extra libFuzzer flags for every target
#   scripts/fuzz.sh --seeds                                regenerate the generated seeds (FuzzIngest, FuzzSync, CAP exports)
#
# Seeds are read from Fuzz/Corpus/<target>/ (committed); what libFuzzer finds is kept in
# Fuzz/work/corpus/<target>/ and crash reproducers in Fuzz/work/crashes/<target>/ (git-ignored).
# Prints runs, execs/s, coverage and crashes per target; exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"

SECONDS_EACH=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-2}
ALL_TARGETS=(FuzzIngest FuzzSync FuzzAlertJSON FuzzCAP)
TARGETS=()
SEEDS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --seeds) SEEDS=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

command -v swift >/dev/null || { echo "fuzz: swift is not on PATH (Swift 6.3 toolchain needed)" >&2; exit 1; }
resource_dir=$(dirname "$(command -v swift)")/../lib/clang
if ! ls "$resource_dir"/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
   && ! ls "$resource_dir"/*/lib/*/libclang_rt.fuzzer.a >/dev/null 2>&1; then
  echo "fuzz: this Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer); use the swift.org Linux toolchain" >&2
  exit 1
fi
../scripts/install-deps.sh

if [ $SEEDS -eq 1 ]; then
  swift build --scratch-path .build-seeds --product FuzzSeeds
  .build-seeds/debug/FuzzSeeds Corpus
  exit 0
fi

build_flags=(-c debug -Xswiftc -sanitize=fuzzer,address --scratch-path .build)
for target in "${TARGETS[@]}"; do
  echo "fuzz: building $target"
  swift build "${build_flags[@]}" --product "$target" 2>&1 | grep -Ev 'warning: .*(asan|__sancov|ld.gold)|^$' | tail -3
done
bin=$(swift build "${build_flags[@]}" --show-bin-path)

# The leak checker reports the runtime's one-time allocations (metadata caches) as leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# libFuzzer prints the stack of a crash; the Swift backtracer would only add noise (and trips ASan).
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
run_one() {
  local target=$1
  mkdir -p "work/corpus/$target" "work/crashes/$target" work/logs
  # New inputs go to the first directory; the committed seeds are only read.
  nice -n 19 "$bin/$target" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_ARGS:-} \
    -artifact_prefix="work/crashes/$target/" "work/corpus/$target" "Corpus/$target" \
    >"work/logs/$target.log" 2>&1 || true
}

running=0
for target in "${TARGETS[@]}"; do
  echo "fuzz: running $target for ${SECONDS_EACH}s"
  run_one "$target" &
  running=$((running + 1))
  if [ $running -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
printf '%-14s %12s %9s %7s %7s %8s %8s\n' target runs execs/s cov ft corpus crashes
for target in "${TARGETS[@]}"; do
  log="work/logs/$target.log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "work/corpus/$target" "Corpus/$target" -type f | wc -l)
  # slow-unit-* files are inputs that took over 10 s of wall time (a starved CPU), not crashes.
  crashes=$(find "work/crashes/$target" -type f ! -name 'slow-unit-*' | wc -l)
  if grep -qE '^==[0-9]+==ERROR|deadly signal|Fatal error|invariant broken' "$log"; then
    crashes=$((crashes > 0 ? crashes : 1))
  fi
  printf '%-14s %12s %9s %7s %7s %8s %8s\n' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
  if [ "$crashes" -gt 0 ]; then
    status=1
    echo "  $target crashed; see Fuzz/$log and Fuzz/work/crashes/$target/" >&2
  fi
done
exit $status
