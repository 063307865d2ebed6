#!/usr/bin/env bash
# Fetches real public routing data into data/ (ignored by git) and builds
# data/real.bph from it.
#
# Data: ip-location-db ASN ranges (@ip-location-db/asn on npm), built from
# RouteViews, DB-IP and NRO data, licensed CC BY 4.0. Its README warns of
# known errors: fit for scale and demos, not as ground truth. Cite the
# licence wherever results built on it are shown.
#
# Usage: scripts/fetch-real-data.sh          (needs npm and cargo; pip for
#                                             MaxMind's test databases)
# Then:  cargo bench --bench score -- real   (times score_ip on data/real.bph)
set -euo pipefail

PACKAGE="@ip-location-db/asn@2.3.2026061719"
# The country MMDB a user would consult for the same addresses: the peer of
# the score_ip benchmark (maxminddb look-up + decode). CC0.
MMDB_PACKAGE="@ip-location-db/geo-whois-asn-country-mmdb@2.3.2026061719"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/data"
mkdir -p "$data"
cd "$data"

if [[ ! -s asn-ipv4.csv || ! -s asn-ipv6.csv ]]; then
    work="$(mktemp -d "$data/.fetch-XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    echo "fetching $PACKAGE" >&2
    tarball="$(cd "$work" && npm pack --silent "$PACKAGE" | tail -n 1)"
    tar -xzf "$work/$tarball" -C "$work" package/asn-ipv4.csv package/asn-ipv6.csv
    mv "$work/package/asn-ipv4.csv" "$work/package/asn-ipv6.csv" "$data/"
    (cd "$work" && sha256sum "$tarball") >"$data/asn-package.sha256"
fi
if [[ ! -s geo-whois-asn-country.mmdb ]]; then
    work="$(mktemp -d "$data/.fetch-XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    echo "fetching $MMDB_PACKAGE" >&2
    tarball="$(cd "$work" && npm pack --silent "$MMDB_PACKAGE" | tail -n 1)"
    tar -xzf "$work/$tarball" -C "$work" package/geo-whois-asn-country.mmdb
    mv "$work/package/geo-whois-asn-country.mmdb" "$data/"
    (cd "$work" && sha256sum "$tarball") >"$data/mmdb-package.sha256"
fi
# MaxMind's official MMDB test databases (real schema: Country, ASN,
# Anonymous-IP, ...), from the maxminddb Python package's source
# distribution (MIT / Apache-2.0): tests/routing.rs reads them when present.
MAXMIND_SDIST="maxminddb==3.2.0"
if [[ ! -s maxmind-test/GeoIP2-Anonymous-IP-Test.mmdb ]] && command -v pip >/dev/null; then
    work="$(mktemp -d "$data/.fetch-XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    echo "fetching $MAXMIND_SDIST (sdist, test databases)" >&2
    pip download --quiet --no-deps --no-binary :all: "$MAXMIND_SDIST" -d "$work"
    tarball="$(cd "$work" && ls maxminddb-*.tar.gz | head -n 1)"
    tar -xzf "$work/$tarball" -C "$work"
    mkdir -p maxmind-test
    cp "$work"/maxminddb-*/tests/data/test-data/*.mmdb maxmind-test/
    (cd "$work" && sha256sum "$tarball") >"$data/maxmind-test.sha256"
fi
wc -l asn-ipv4.csv asn-ipv6.csv >&2
ls -l geo-whois-asn-country.mmdb >&2

cd "$root"
cargo run --release -- build \
    --routing data/asn-ipv4.csv \
    --routing data/asn-ipv6.csv \
    -o data/real.bph
ls -l data/real.bph >&2
