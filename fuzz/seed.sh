#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs: the default world's source
# files, the hostile test files, gzip'd and combined sources, the shipped
# model, and a default-world snapshot built with the command-line tool.
#
# Usage: fuzz/seed.sh            (from anywhere; corpus/ is git-ignored)
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
world="$root/testdata/world"
hostile="$root/testdata/hostile"
corpus="$fuzz_dir/corpus"

seed() { # seed TARGET FILE...
    local target="$1"
    shift
    mkdir -p "$corpus/$target"
    local f
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$corpus/$target/"
    done
    return 0
}

seed parse_iplocation_asn "$world"/asn-ipv4-*.csv "$world"/asn-ipv6-*.csv
seed parse_iplocation_country "$world"/country-ipv4-*.csv "$world"/country-ipv6-*.csv
seed parse_pfx2as "$world"/*.pfx2as
seed parse_drop_json "$world"/drop_v4.json "$world"/drop_v6.json "$hostile"/truncated-drop-metadata.json
seed parse_drop_text "$world"/drop.txt
seed parse_asn_drop "$world"/asndrop.json
seed parse_netset "$world"/*.netset "$hostile"/nul-and-invalid-utf8.netset
seed parse_rpsl "$world"/ripe-*.db "$hostile"/rpsl-*.db
seed parse_arin_whois "$world"/arin_db-*.txt "$hostile"/arin-*.txt
seed parse_delegated "$world"/delegated-* "$hostile"/delegated-*.txt
seed parse_pdns_cof "$world"/pdns-*.jsonl
seed parse_feodo_json "$world"/feodo-ipblocklist-*.json
seed parse_feodo_csv "$world"/feodo-ipblocklist-*.csv
seed parse_urlhaus_csv "$world"/urlhaus-*.csv
seed parse_threatfox_json "$world"/threatfox-*.json
seed parse_abuseipdb_json "$world"/abuseipdb-*.json
seed parse_abuse_csv "$world"/abuse-generic-*.csv
seed subject_parse "$world"/queries.txt
seed batch_lines "$world"/queries.txt
seed model_json "$root"/models/*.json
seed labels_file "$root"/testdata/labels/*.csv
seed update_config "$root"/src/update/default-sources.toml
seed protect_list "$world"/*.netset "$world"/protected-ranges.txt
seed parse_as_rel "$world"/*.as-rel.txt
seed parse_as2org "$root"/testdata/routing/*.as-org2info.txt
seed build_series "$world"/routeviews-rv2-*.pfx2as "$world"/*.as-rel.txt
# MMDB seeds: the default world's database, and the real databases
# scripts/fetch-real-data.sh puts in data/, when there.
seed parse_mmdb "$world"/*.mmdb
for f in "$root"/data/*.mmdb "$root"/data/maxmind-test/*.mmdb; do seed parse_mmdb "$f"; done
seed live_dns_answers "$world"/queries.txt

sources=(
    "$world"/asn-ipv4-*.csv "$world"/asn-ipv6-*.csv
    "$world"/routeviews-rv2-*.pfx2as "$world"/routeviews-rv6-*.pfx2as
    "$world"/country-ipv4-*.csv "$world"/country-ipv6-*.csv
    "$world"/drop_v4.json "$world"/drop_v6.json "$world"/drop.txt "$world"/asndrop.json
    "$world"/firehol_abusers.netset "$world"/firehol_abusers_v6.netset
    "$world"/ripe-*.db "$world"/arin_db-*.txt "$world"/delegated-*
    "$world"/pdns-*.jsonl "$world"/feodo-ipblocklist-*.json "$world"/feodo-ipblocklist-*.csv
    "$world"/urlhaus-*.csv "$world"/threatfox-*.json "$world"/abuseipdb-*.json
    "$world"/abuse-generic-*.csv
)
seed detect_format "${sources[@]}"
seed build_snapshot "${sources[@]}" "$hostile"/nul-and-invalid-utf8.netset

# Gzip'd sources: the builder recognises the magic bytes.
for f in "$world"/routeviews-rv2-*.pfx2as "$world"/drop_v4.json "$world"/firehol_abusers_v6.netset; do
    gzip -n -c "$f" > "$corpus/build_snapshot/$(basename "$f").gz"
done

# Several sources in one input, separated by the line `--8<--` (see
# fuzz_targets/build_snapshot.rs): routing, geo and abuse together, as a
# real build has them. The large IPv4 netset is left out to keep runs fast.
combine() { # combine OUTPUT FILE...
    local out="$1"
    shift
    local first=1 f
    : > "$out"
    for f in "$@"; do
        if [ "$first" = 0 ]; then printf '\n--8<--\n' >> "$out"; fi
        first=0
        cat "$f" >> "$out"
    done
}
combine "$corpus/build_snapshot/world-small.txt" \
    "$world"/routeviews-rv2-20261101-1200.pfx2as "$world"/routeviews-rv6-20261101-1200.pfx2as \
    "$world"/country-ipv4-*.csv "$world"/country-ipv6-*.csv \
    "$world"/drop_v4.json "$world"/drop.txt "$world"/asndrop.json "$world"/firehol_abusers_v6.netset
combine "$corpus/build_snapshot/asn-csv-and-drop.txt" \
    "$world"/asn-ipv4-*.csv "$world"/asn-ipv6-*.csv "$world"/drop_v6.json
combine "$corpus/build_snapshot/world-timed.txt" \
    "$world"/routeviews-rv2-*.pfx2as "$world"/pdns-*.jsonl "$world"/abuse-generic-*.csv \
    "$world"/feodo-ipblocklist-*.csv "$world"/threatfox-*.json
combine "$corpus/build_snapshot/whole-ipv6-space.txt" \
    "$hostile"/whole-ipv6-space.pfx2as "$hostile"/whole-ipv6-space-country.csv \
    "$hostile"/whole-ipv6-space-split.netset

# A default-world snapshot, built by the command-line tool in the same
# source order as the embedded world (routing, geo, abuse, registry, MMDB, AS
# relationships, earlier prefix2as snapshots, guard rails).
snapshot="$corpus/open_snapshot/world.bph"
mkdir -p "$corpus/open_snapshot"
(
    cd "$root"
    cargo run --quiet --release --bin bphscore -- build \
        --routing "$world"/asn-ipv4-20261101.csv --routing "$world"/asn-ipv6-20261101.csv \
        --routing "$world"/routeviews-rv2-20261101-1200.pfx2as --routing "$world"/routeviews-rv6-20261101-1200.pfx2as \
        --geo "$world"/country-ipv4-20261101.csv --geo "$world"/country-ipv6-20261101.csv \
        --abuse "$world"/drop_v4.json --abuse "$world"/drop_v6.json --abuse "$world"/drop.txt \
        --abuse "$world"/asndrop.json --abuse "$world"/firehol_abusers.netset \
        --abuse "$world"/firehol_abusers_v6.netset \
        --whois "$world"/ripe-20261101.db --whois "$world"/arin_db-20261101.txt \
        --whois "$world"/delegated-ripencc-extended-20261101 \
        --pdns "$world"/pdns-20261112.jsonl \
        --abuse "$world"/feodo-ipblocklist-20261112.json --abuse "$world"/feodo-ipblocklist-20261112.csv \
        --abuse "$world"/urlhaus-20261112.csv --abuse "$world"/threatfox-20261112.json \
        --abuse "$world"/abuseipdb-blacklist-20261112.json \
        --abuse "$world"/abuseipdb-check-block-20261112.json \
        --abuse "$world"/abuse-generic-20261112.csv \
        --mmdb "$world"/geo-anonymous-20261101.mmdb \
        --as-rel "$world"/20260801.as-rel.txt --as-rel "$world"/20260901.as-rel.txt \
        --as-rel "$world"/20261001.as-rel.txt --as-rel "$world"/20261101.as-rel.txt \
        --pfx2as "$world"/routeviews-rv2-20260801-1200.pfx2as --pfx2as "$world"/routeviews-rv6-20260801-1200.pfx2as \
        --pfx2as "$world"/routeviews-rv2-20260901-1200.pfx2as --pfx2as "$world"/routeviews-rv6-20260901-1200.pfx2as \
        --pfx2as "$world"/routeviews-rv2-20261001-1200.pfx2as --pfx2as "$world"/routeviews-rv6-20261001-1200.pfx2as \
        --protect "$world"/protected-ranges.txt \
        --build-time 1794470400 --quiet --output "$snapshot"
    # A second one with a single IPv4 interval and the whole IPv6 space routed.
    cargo run --quiet --release --bin bphscore -- build \
        --routing "$hostile"/whole-ipv6-space.pfx2as --geo "$hostile"/whole-ipv6-space-country.csv \
        --abuse "$hostile"/whole-ipv6-space-split.netset \
        --build-time 1794470400 --quiet --output "$corpus/open_snapshot/whole-space.bph"
    # Trained models (format 2) of both kinds, on the default world's labels.
    for kind in logistic gbdt; do
        cargo run --quiet --release --bin bphscore -- train --quiet --kind "$kind" \
            --labels testdata/labels/world-labels.csv --folds 2 \
            --output "$corpus/model_json/trained-$kind.json"
    done
)

for d in "$corpus"/*/; do
    printf '%-28s %3d files\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
