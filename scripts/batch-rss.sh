#!/usr/bin/env bash
# Peak memory (maximum resident set size) of `bphscore score` reading N
# generated lines from standard input: IPv4 and IPv6 addresses, ASNs and
# prefixes in documentation space, 1% garbage. Prints the rows written
# (header included), the peak RSS and the elapsed time.
#
# Usage: scripts/batch-rss.sh N [BPHSCORE]   (default: target/release/bphscore)
# Needs GNU time (/usr/bin/time).
set -euo pipefail
n="${1:-1000000}"
bin="${2:-${CARGO_TARGET_DIR:-target}/release/bphscore}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
awk -v n="$n" 'BEGIN {
    for (i = 0; i < n; i++) {
        if (i % 100 == 99) { print "not-an-ip-" i; continue }
        k = i % 4
        if (k == 0) printf "198.18.%d.%d\n", int(i / 256) % 256, i % 256
        else if (k == 1) printf "2001:db8:%x::1\n", i % 65536
        else if (k == 2) printf "AS%d\n", 64496 + i % 16
        else printf "198.51.100.%d/30\n", (i % 64) * 4
    }
}' | /usr/bin/time -v -o "$report" "$bin" score - --format csv | wc -l | sed 's/^/rows (with header): /'
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$report"
