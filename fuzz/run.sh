#!/usr/bin/env bash
# Runs fuzz targets one after the other, each for SECONDS (default 90),
# and prints the runs and executions per second of each.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]     (default: every target)
# Needs a nightly toolchain and cargo-fuzz; run fuzz/seed.sh first.
# Logs go to fuzz/logs/<target>.log; crashes to fuzz/artifacts/<target>/.
set -uo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$fuzz_dir"
seconds="${1:-90}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
mkdir -p logs
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    # No sanitizer: the library has no unsafe code of its own to check (a
    # read-only memory map and a prefetch hint aside), and
    # libFuzzer runs several times faster without AddressSanitizer.
    # A 10-second timeout reports inputs that make a run slow.
    cargo +nightly fuzz run --sanitizer none "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        > "logs/$t.log" 2>&1 || status=1
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    crash=$(grep -c -E '^==[0-9]+== ERROR|panicked at|SUMMARY: libFuzzer' "logs/$t.log")
    printf '%-26s runs %-10s exec/s %-7s findings %s\n' "$t" "${runs:-?}" "${speed:-?}" "$crash"
done
exit $status
