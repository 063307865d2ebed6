#!/usr/bin/env bash
# Command-line throughput: `bphscore score` writing full CSV rows for a
# 10,000,000-line IPv4 file, against `grepcidr -c -f` (Debian package
# grepcidr) matching the same file against the CIDRs the snapshot flags,
# timed in turn (A B A B …) in one run; prints medians and the ratio of
# lines per second.
#
# Usage: benches/cli.sh [SNAPSHOT] [RANGES_CSV] [RUNS] [BASELINE_BINARY]
#   default: data/synth.bph and data/synth/asn-ipv4-20260617.csv, made by
#   cargo run --release --example synth_world -- --out data/synth
#   (then run the build command it prints, with -o data/synth.bph), 3 runs.
#   BASELINE_BINARY: another bphscore binary (an earlier release) timed in
#   the same rounds, A B C A B C.
# Needs: grepcidr, /usr/bin/time. Output goes to /dev/null (scoring and
# formatting are measured, not the disk).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
snapshot="${1:-data/synth.bph}"
ranges="${2:-data/synth/asn-ipv4-20260617.csv}"
runs="${3:-3}"
baseline="${4:-}"
lines=10000000
command -v grepcidr >/dev/null || { echo "grepcidr is not installed (apt-get install grepcidr)" >&2; exit 1; }
cargo build --quiet --release --bin bphscore --example queries
queries="data/cli-queries-$lines.txt"
[[ -s "$queries" ]] || target/release/examples/queries --ranges "$ranges" --lines "$lines" >"$queries"
cidrs="data/cli-flagged.cidr"
target/release/bphscore export --snapshot "$snapshot" --format cidr --family 4 \
    --min-class abused-legitimate -q | grep -v '^#' >"$cidrs"
echo "snapshot $snapshot; $(wc -l <"$queries") query lines; $(wc -l <"$cidrs") flagged IPv4 CIDRs; $(nproc) cores"

a=(); b=(); c=()
for _ in $(seq "$runs"); do
    a+=("$( { /usr/bin/time -f %e target/release/bphscore score --snapshot "$snapshot" --format csv "$queries" >/dev/null; } 2>&1 | tail -1)")
    b+=("$( { /usr/bin/time -f %e grepcidr -c -f "$cidrs" "$queries" >/dev/null; } 2>&1 | tail -1)")
    if [[ -n "$baseline" ]]; then
        c+=("$( { /usr/bin/time -f %e "$baseline" score --snapshot "$snapshot" --format csv "$queries" >/dev/null; } 2>&1 | tail -1)")
    fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
echo "bphscore score (full CSV rows): ${a[*]} s; median $ma s, $(awk -v t="$ma" -v n="$lines" 'BEGIN{printf "%.2f", n/t/1e6}') M lines/s"
echo "grepcidr -c -f:                 ${b[*]} s; median $mb s, $(awk -v t="$mb" -v n="$lines" 'BEGIN{printf "%.2f", n/t/1e6}') M lines/s"
echo "bphscore lines/s ÷ grepcidr lines/s: $(awk -v a="$ma" -v b="$mb" 'BEGIN{printf "%.2f", b/a}')"
if [[ -n "$baseline" ]]; then
    mc=$(median "${c[@]}")
    echo "baseline $baseline: ${c[*]} s; median $mc s; its lines/s ÷ grepcidr's: $(awk -v a="$mc" -v b="$mb" 'BEGIN{printf "%.2f", b/a}')"
fi
