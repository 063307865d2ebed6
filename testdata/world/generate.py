#!/usr/bin/env python3
"""Generate the synthetic "default world" test fixtures.

Every file in this directory except this script is produced by it, in the
published format of the real data source it imitates (ip-location-db CSV,
CAIDA RouteViews prefix2as, Spamhaus DROP / ASN-DROP, FireHOL netsets).

Only documentation and reserved number space is used:
  IPv4  192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737),
        198.18.0.0/15 (RFC 2544), 100.64.0.0/10 (RFC 6598), 240.0.0.0/4
  IPv6  2001:db8::/32 (RFC 3849)
  ASNs  64496-64511, 65536-65551 (RFC 5398)

The output is deterministic: running the script twice produces byte-identical
files. Randomness comes only from random.Random(SEED).getrandbits(), whose
sequence is stable across Python 3 versions.

Usage:  python3 generate.py          (writes next to this script)
Standard library only.
"""

import csv
import datetime
import hashlib
import io
import ipaddress
import json
import os
import random
import sys

SEED = 20261101
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
IP4 = ipaddress.IPv4Network
IP6 = ipaddress.IPv6Network


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


# Dates of the snapshot.
DROP_JSON_TIME = utc(2026, 11, 10, 0, 0, 0)
DROP_TXT_TIME = utc(2026, 11, 12, 8, 0, 0)
DROP_TXT_EXPIRES = utc(2026, 11, 12, 9, 0, 0)
FIREHOL_SOURCE_TIME = utc(2026, 11, 11, 6, 0, 0)
FIREHOL_FILE_TIME = utc(2026, 11, 11, 6, 10, 0)

# ---------------------------------------------------------------------------
# The world.
# ---------------------------------------------------------------------------

NETWORKS = [
    {
        "asn": 64500, "org": "EXAMPLE-EYEBALL", "cc": "NL",
        "kind": "clean eyeball ISP",
        "v4": [IP4("100.64.0.0/12")], "v6": [IP6("2001:db8:100::/40")],
    },
    {
        "asn": 64501, "org": "EXAMPLE-CLOUD", "cc": "US",
        "kind": "large legitimate cloud",
        "v4": [IP4("240.0.0.0/10")], "v6": [IP6("2001:db8:200::/40")],
        # ip-location-db data is fragmented: the /10 appears as 4 x /12.
        "v4_asn_split": 12,
    },
    {
        "asn": 64502, "org": "EXAMPLE-BPH", "cc": "SC",
        "kind": "bulletproof hosting",
        "v4": [IP4("198.18.0.0/20")], "v6": [IP6("2001:db8:300::/48")],
    },
    {
        "asn": 64503, "org": "EXAMPLE-HOSTING", "cc": "DE",
        "kind": "legitimate hosting, one bad customer /24",
        "v4": [IP4("198.18.128.0/17")], "v6": [IP6("2001:db8:400::/40")],
    },
    {
        "asn": 64504, "org": "EXAMPLE-SMALLHOST, Ltd", "cc": "GB",
        "kind": "small clean hosting",
        "v4": [IP4("203.0.113.0/24")], "v6": [IP6("2001:db8:500::/48")],
    },
    {
        "asn": 65536, "org": "EXAMPLE-TRANSIT", "cc": "FR",
        "kind": "transit; prefix only seen multi-origin in pfx2as",
        "v4": [IP4("198.51.100.0/24")], "v6": [],
        "no_asn_csv": True,
    },
]
NET_BY_ASN = {n["asn"]: n for n in NETWORKS}

BAD_BLOCK = IP4("198.18.200.0/24")       # AS64503's bad customer
UNROUTED = IP4("192.0.2.0/24")           # not routed anywhere
REBRAND_BLOCK = IP4("198.18.16.0/22")    # AS64505, the rebrand of AS64502

# RouteViews prefix2as (IPv4): (prefix, origin field).
PFX2AS_V4 = [
    (IP4("100.64.0.0/12"), "64500"),
    (IP4("100.72.0.0/13"), "64500"),
    (IP4("198.18.0.0/20"), "64502"),
    (REBRAND_BLOCK, "64505"),
    (IP4("198.18.128.0/17"), "64503"),
    (BAD_BLOCK, "64503"),
    (IP4("198.51.100.0/24"), "65536_64504"),
    (IP4("203.0.113.0/24"), "64504"),
    (IP4("240.0.0.0/10"), "64501"),
    (IP4("240.16.0.0/12"), "64501"),
    (IP4("240.1.2.0/24"), "64501"),      # the cloud's anycast DNS range
]
PFX2AS_V6 = [
    (IP6("2001:db8:100::/40"), "64500"),
    (IP6("2001:db8:200::/40"), "64501"),
    (IP6("2001:db8:300::/48"), "64502"),
    (IP6("2001:db8:400::/40"), "64503"),
    (IP6("2001:db8:500::/48"), "64504"),
]

# Routing history: the dated prefix2as series before the current
# (2026-11-01) snapshot. Every network announces what it announces now,
# except that AS64502 fragments and churns its space and moves between
# upstreams, the bad customer /24 of AS64503 appears in September, and the
# rebrand AS64505 appears in October.
ANYCAST = IP4("240.1.2.0/24")
HISTORY_DATES = ["20260801", "20260901", "20261001"]
BPH_V4_HISTORY = {
    "20260801": [(IP4("198.18.0.0/21"), "64502"), (IP4("198.18.8.0/22"), "64502"),
                 (IP4("198.18.12.0/24"), "64502")],
    "20260901": [(IP4("198.18.0.0/20"), "64502"), (IP4("198.18.13.0/24"), "64502")],
    "20261001": [(IP4("198.18.0.0/20"), "64502"), (IP4("198.18.14.0/24"), "64502"),
                 (IP4("198.18.15.0/24"), "64502")],
}


def pfx2as_history_v4(date):
    out = []
    for p, o in PFX2AS_V4:
        if o == "64502":
            continue
        if p == BAD_BLOCK and date < "20260901":
            continue
        if p == REBRAND_BLOCK and date < "20261001":
            continue
        out.append((p, o))
    return out + BPH_V4_HISTORY[date]


# CAIDA AS relationships per date: (a, b, rel) with -1 = a provides
# transit to b, 0 = peers. AS65536 (EXAMPLE-TRANSIT) and AS65538 are stable
# transit providers; AS64502 is cut off and moves every month (AS65537 →
# AS65539 → AS65540 → AS65541); AS65540 and AS65541 also carry the rebrand
# AS64505, so they are lax upstreams of both.
AS_REL_DATES = ["20260801", "20260901", "20261001", "20261101"]
AS_REL_STABLE = [
    (65536, 64500, -1), (65536, 64501, -1), (65538, 64501, -1),
    (65536, 64503, -1), (65536, 64504, -1), (65538, 65536, 0),
    (64500, 64501, 0),
]
AS_REL_MOVING = {
    "20260801": [(65537, 64502, -1)],
    "20260901": [(65539, 64502, -1)],
    "20261001": [(65540, 64502, -1), (65540, 64505, -1)],
    "20261101": [(65541, 64502, -1), (65541, 64505, -1)],
}


def build_as_rel(date):
    lines = [
        "# name: AS relationships (synthetic, bphscore default world; CC0 1.0)",
        "# source:topology|BGP|%s|routeviews|route-views2" % date,
        "# inferred clique: 65536 65538",
        "# IXP ASes:",
    ]
    rows = sorted(AS_REL_STABLE + AS_REL_MOVING[date])
    lines += ["%d|%d|%d" % r for r in rows]
    return "".join(l + "\n" for l in lines)


# Guard rails: ranges of clouds, CDNs and anycast services.
def build_protected():
    return ("# Cloud, CDN and anycast ranges under guard rails (synthetic; CC0 1.0)\n"
            "# one IP or CIDR per line; `#` or `;` comments\n"
            "%s ; EXAMPLE-CLOUD anycast DNS\n" % ANYCAST)


# Spamhaus.
DROP_V4 = [
    (IP4("198.18.0.0/21"), "SBL600001", "ripencc"),
    (IP4("198.18.8.0/22"), "SBL600002", "ripencc"),
]
DROP_V6 = [
    (IP6("2001:db8:300::/48"), "SBL600003", "ripencc"),
]
DROP_LEGACY = [
    (BAD_BLOCK, "SBL600010"),
]
ASN_DROP = [
    {"asn": 64502, "rir": "ripencc", "domain": "example-bph.example",
     "cc": "SC", "asname": "EXAMPLE-BPH"},
]
SPAMHAUS_COPYRIGHT = "(c) 2026 The Spamhaus Project SLU"
SPAMHAUS_TERMS = "https://www.spamhaus.org/drop/terms/"

# FireHOL listing plan: (label, space, excluded space, number of distinct IPs,
# addresses that must be listed, addresses that must NOT be listed).
FIREHOL_V4_PLAN = [
    ("AS64500 EXAMPLE-EYEBALL", IP4("100.64.0.0/12"), None, 40,
     ["100.70.12.34"], ["100.64.1.1"]),
    ("AS64501 EXAMPLE-CLOUD", IP4("240.0.0.0/10"), None, 3000,
     ["240.1.2.3"], ["240.32.0.10"]),
    ("AS64502 EXAMPLE-BPH", IP4("198.18.0.0/20"), None, 1000,
     ["198.18.3.7"], ["198.18.14.77", "198.18.9.9"]),
    ("AS64503 EXAMPLE-HOSTING bad /24", BAD_BLOCK, None, 100,
     ["198.18.200.10"], ["198.18.200.200"]),
    ("AS64503 EXAMPLE-HOSTING rest", IP4("198.18.128.0/17"), BAD_BLOCK, 10,
     ["198.18.250.1"], ["198.18.130.5"]),
    ("unrouted 192.0.2.0/24", UNROUTED, None, 2,
     ["192.0.2.1", "192.0.2.2"], []),
]
FIREHOL_V6_PLAN = [
    ("AS64501 EXAMPLE-CLOUD", IP6("2001:db8:200::/40"), None, 2,
     ["2001:db8:200:17::25"], []),
    ("AS64502 EXAMPLE-BPH", IP6("2001:db8:300::/48"), None, 2,
     ["2001:db8:300:1::10"], ["2001:db8:300:ff::1"]),
]

# The batch input. Every line is a query; two are deliberately invalid.
QUERIES = [
    "198.18.3.7",
    "AS64502",
    "240.1.2.3",
    "100.64.1.1",
    "198.18.0.0/20",
    "198.18.14.77",
    "2001:db8:300:1::10",
    "64501",
    "240.32.0.10",
    "198.18.200.10",
    "not-an-ip",
    "198.18.200.0/24",
    "198.18.200.200",
    "198.18.130.5",
    "AS64503",
    "2001:db8:200:17::25",
    "203.0.113.10",
    "240.0.0.0/10",
    "192.0.2.1",
    "AS64500",
    "198.51.100.7",
    "100.70.12.34",
    "2001:db8:300::/48",
    "AS65536",
    "192.0.0.8",
    "2001:db8:100::1",
    "100.64.0.0/12",
    "2001:db8:400::1",
    "AS64511",
    "300.1.2.3",
    "AS64505",
    "198.18.16.9",
    "198.18.13.50",
    "198.18.14.0/24",
    "203.0.113.77",
]

# ---------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------

DOC_V4 = [IP4(p) for p in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                           "198.18.0.0/15", "100.64.0.0/10", "240.0.0.0/4")]
DOC_V6 = [IP6("2001:db8::/32")]


def doc_asn(asn):
    return 64496 <= asn <= 64511 or 65536 <= asn <= 65551


def in_doc_space(net):
    spaces = DOC_V4 if net.version == 4 else DOC_V6
    return any(net.subnet_of(s) for s in spaces)


def below(rng, n):
    """Uniform integer in [0, n) from getrandbits (version-stable)."""
    k = n.bit_length()
    while True:
        r = rng.getrandbits(k)
        if r < n:
            return r


def pick_ips(rng, space, exclude, count, must, must_not):
    """Exactly `count` distinct addresses of `space` (not in `exclude`),
    containing every address of `must` and none of `must_not`."""
    addr = ipaddress.ip_address
    must = [addr(a) for a in must]
    must_not = {addr(a) for a in must_not}
    for a in list(must) + list(must_not):
        assert a in space and (exclude is None or a not in exclude), a
    chosen = set(must)
    assert len(chosen) <= count
    base = int(space.network_address)
    while len(chosen) < count:
        a = addr(base + below(rng, space.num_addresses))
        if a in must_not or (exclude is not None and a in exclude):
            continue
        chosen.add(a)
    return chosen


def aggregate(ips):
    """Minimal sorted CIDR cover of a set of addresses, like FireHOL's iprange."""
    return list(ipaddress.collapse_addresses(sorted(ips)))


def netset_line(net):
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return str(net)


def date_u(t):
    """`date -u` style: 'Wed Nov 11 06:00:00 UTC 2026' (day space-padded)."""
    return "%s %s %2d %s UTC %d" % (t.strftime("%a"), t.strftime("%b"), t.day,
                                    t.strftime("%H:%M:%S"), t.year)


def http_date(t):
    return t.strftime("%a, %d %b %Y %H:%M:%S GMT")


def csv_text(rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def json_line(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def spamhaus_json(records):
    body = "".join(json_line(r) + "\n" for r in records)
    meta = {
        "type": "metadata",
        "timestamp": int(DROP_JSON_TIME.timestamp()),
        "size": len(body.encode("ascii")),
        "records": len(records),
        "copyright": SPAMHAUS_COPYRIGHT,
        "terms": SPAMHAUS_TERMS,
    }
    return body + json_line(meta) + "\n"


# ---------------------------------------------------------------------------
# File builders.
# ---------------------------------------------------------------------------

def build_asn_csv(version):
    rows = []
    for n in NETWORKS:
        if n.get("no_asn_csv"):
            continue
        for net in n["v%d" % version]:
            parts = [net]
            split = n.get("v%d_asn_split" % version)
            if split:
                parts = list(net.subnets(new_prefix=split))
            for p in parts:
                rows.append((p, n["asn"], n["org"]))
    rows.sort(key=lambda r: int(r[0].network_address))
    return csv_text([str(p.network_address), str(p.broadcast_address), asn, org]
                    for p, asn, org in rows), [r[0] for r in rows]


def build_country_csv(version):
    rows = []
    for n in NETWORKS:
        for net in n["v%d" % version]:
            rows.append((net, n["cc"]))
    rows.sort(key=lambda r: int(r[0].network_address))
    return csv_text([str(p.network_address), str(p.broadcast_address), cc]
                    for p, cc in rows), [r[0] for r in rows]


def build_pfx2as(entries):
    entries = sorted(entries, key=lambda e: (int(e[0].network_address), e[0].prefixlen))
    return "".join("%s\t%d\t%s\n" % (p.network_address, p.prefixlen, o)
                   for p, o in entries)


def build_drop_json(entries):
    return spamhaus_json([{"cidr": str(p), "sblid": sbl, "rir": rir}
                          for p, sbl, rir in entries])


def build_drop_txt():
    t = DROP_TXT_TIME
    lines = [
        "; Spamhaus DROP List %s - %s" % (t.strftime("%Y/%m/%d"), SPAMHAUS_COPYRIGHT),
        "; https://www.spamhaus.org/drop/drop.txt",
        "; Last-Modified: %s" % http_date(t),
        "; Expires: %s" % http_date(DROP_TXT_EXPIRES),
    ]
    for p, sbl in sorted(DROP_LEGACY, key=lambda e: int(e[0].network_address)):
        lines.append("%s ; %s" % (p, sbl))
    return "".join(l + "\n" for l in lines)


def build_netset(name, version, nets):
    ips = sum(n.num_addresses for n in nets)
    info = ("A synthetic ipset in the format of FireHOL's abusers ipsets "
            "(blocklists that track abusers). All addresses are documentation "
            "or reserved space; the networks behind them are fictional.")
    wrapped, cur = [], ""
    for word in info.split():   # like `fold -w 60 -s`
        if cur and len(cur) + 1 + len(word) > 60:
            wrapped.append(cur)
            cur = word
        else:
            cur = word if not cur else cur + " " + word
    wrapped.append(cur)
    head = [
        "#",
        "# %s" % name,
        "#",
        "# ipv%d hash:net ipset" % version,
        "#",
    ] + ["# " + w for w in wrapped] + [
        "#",
        "# Maintainer      : FireHOL",
        "# Maintainer URL  : http://iplists.firehol.org/",
        "# List source URL : ",
        "# Source File Date: %s" % date_u(FIREHOL_SOURCE_TIME),
        "#",
        "# Category        : abuse",
        "#",
        "# This File Date  : %s" % date_u(FIREHOL_FILE_TIME),
        "# Update Frequency: 1 hour",
        "# Aggregation     : none",
        "# Entries         : %d subnets, %d unique IPs" % (len(nets), ips),
        "#",
        "# Full list analysis, including geolocation map, history,",
        "# retention policy, overlaps with other lists, etc.",
        "# available at:",
        "#",
        "#  http://iplists.firehol.org/?ipset=%s" % name,
        "#",
        "# Generated by FireHOL's update-ipsets.sh",
        "# Processed with FireHOL's iprange",
        "#",
    ]
    return "".join(l + "\n" for l in head + [netset_line(n) for n in nets])


# ---------------------------------------------------------------------------
# Facts for the README.
# ---------------------------------------------------------------------------

def longest_match(addr_net, table):
    best = None
    for p, origin in table:
        if p.version == addr_net.version and addr_net.subnet_of(p):
            if best is None or p.prefixlen > best[0].prefixlen:
                best = (p, origin)
    return best


def count_in(nets, space, exclude=None):
    total = 0
    for n in nets:
        if n.version != space.version or not n.subnet_of(space):
            continue
        if exclude is not None and n.subnet_of(exclude):
            continue
        total += n.num_addresses
    return total


def yesno(b):
    return "yes" if b else "no"


def query_facts(q, fh, pfx, drop):
    """One README row describing what the data says about query `q`."""
    s = q.strip()
    asn_text = s[2:] if s[:2].upper() == "AS" else s
    if asn_text.isdigit() and "." not in s and ":" not in s:
        asn = int(asn_text)
        n = NET_BY_ASN.get(asn)
        if n is None:
            return (q, "ASN", "unknown ASN (in no file)", "-", "-")
        listed = sum(count_in(fh, sp) for sp in n["v4"] + n["v6"])
        in_asndrop = any(a["asn"] == asn for a in ASN_DROP)
        dropped = [str(d) for d in drop if any(d.version == sp.version and d.subnet_of(sp)
                                               for sp in n["v4"] + n["v6"])]
        where = n["org"]
        if n.get("no_asn_csv"):
            where += " (pfx2as multi-origin only)"
        return (q, "ASN", where, str(listed),
                ", ".join((["ASN-DROP"] if in_asndrop else []) + dropped) or "-")
    try:
        net = ipaddress.ip_network(s, strict=True)
    except ValueError:
        return (q, "invalid", "-", "-", "-")
    kind = "IP" if net.prefixlen == net.max_prefixlen else "prefix"
    m = longest_match(net, pfx)
    where = "unrouted" if m is None else "%s (AS%s)" % (m[0], m[1])
    if kind == "IP":
        listed = yesno(any(net.subnet_of(n) for n in fh if n.version == net.version))
    else:
        listed = str(count_in(fh, net))
    dropped = [str(d) for d in drop if d.version == net.version
               and (net.subnet_of(d) or d.subnet_of(net))]
    return (q, kind, where, listed, ", ".join(dropped) or "-")


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out) + "\n"


FORMATS = [
    ("asn-ipv4-20261101.csv",
     "ip-location-db ASN CSV (IPv4), no header: `start,end,asn,org`; RFC 4180 "
     "quoting (one org name contains a comma). Networks 1-5; AS64501's /10 is "
     "split into four /12 rows as real data is fragmented."),
    ("asn-ipv6-20261101.csv", "ip-location-db ASN CSV (IPv6), same layout."),
    ("country-ipv4-20261101.csv",
     "ip-location-db geo country CSV (IPv4), no header: `start,end,country_code`. Networks 1-6."),
    ("country-ipv6-20261101.csv", "ip-location-db geo country CSV (IPv6), same layout."),
    ("routeviews-rv2-20261101-1200.pfx2as",
     "CAIDA RouteViews prefix2as (IPv4): `prefix<TAB>length<TAB>origin`; "
     "multi-origin prefixes join ASNs with `_`. Includes the more-specific "
     "198.18.200.0/24 inside 198.18.128.0/17."),
    ("routeviews-rv6-20261101-1200.pfx2as", "CAIDA RouteViews prefix2as (IPv6), same layout."),
    ("routeviews-rv2-20260801-1200.pfx2as",
     "CAIDA RouteViews prefix2as (IPv4) of 2026-08-01, the oldest of the dated "
     "series: AS64502 announces 198.18.0.0/21, 198.18.8.0/22 and 198.18.12.0/24; "
     "no bad customer /24, no AS64505."),
    ("routeviews-rv6-20260801-1200.pfx2as", "CAIDA RouteViews prefix2as (IPv6) of 2026-08-01."),
    ("routeviews-rv2-20260901-1200.pfx2as",
     "prefix2as (IPv4) of 2026-09-01: AS64502 announces 198.18.0.0/20 and "
     "198.18.13.0/24; AS64503's bad customer /24 appears."),
    ("routeviews-rv6-20260901-1200.pfx2as", "CAIDA RouteViews prefix2as (IPv6) of 2026-09-01."),
    ("routeviews-rv2-20261001-1200.pfx2as",
     "prefix2as (IPv4) of 2026-10-01: AS64502 announces 198.18.0.0/20, "
     "198.18.14.0/24 and 198.18.15.0/24; AS64505 appears with 198.18.16.0/22."),
    ("routeviews-rv6-20261001-1200.pfx2as", "CAIDA RouteViews prefix2as (IPv6) of 2026-10-01."),
    ("20260801.as-rel.txt",
     "CAIDA AS relationships (serial-1): `#` header lines, then `AS|AS|-1` "
     "(provider to customer) or `AS|AS|0` (peers). AS64502's upstream is AS65537."),
    ("20260901.as-rel.txt", "AS relationships of 2026-09-01: AS64502 moved to AS65539."),
    ("20261001.as-rel.txt",
     "AS relationships of 2026-10-01: AS64502 moved to AS65540, which also "
     "carries the rebrand AS64505."),
    ("20261101.as-rel.txt",
     "AS relationships of 2026-11-01: AS64502 and AS64505 moved to AS65541."),
    ("protected-ranges.txt",
     "Guard-rail list (`--protect`): one CIDR per line with a `;` comment. "
     "Holds the cloud's anycast DNS range 240.1.2.0/24 (announced apart in "
     "pfx2as, with listed addresses)."),
    ("drop_v4.json",
     "Spamhaus DROP JSON lines (IPv4): one `{\"cidr\",\"sblid\",\"rir\"}` object per "
     "line, then a metadata object (`timestamp` = 2026-11-10T00:00:00Z, `size` = "
     "bytes of the record lines including their newlines, `records`)."),
    ("drop_v6.json", "Spamhaus DROP JSON lines (IPv6), same layout."),
    ("drop.txt",
     "Legacy Spamhaus DROP text: `; ` header lines, then `cidr ; SBLid`. "
     "Lists only AS64503's bad customer block."),
    ("asndrop.json",
     "Spamhaus ASN-DROP JSON lines: `{\"asn\",\"rir\",\"domain\",\"cc\",\"asname\"}` "
     "per line, then a metadata object as in the DROP files."),
    ("firehol_abusers.netset",
     "FireHOL netset (IPv4): `#` header in update-ipsets style (with correct "
     "`Entries` counts), then one address or CIDR per line, sorted and "
     "aggregated as iprange does (single addresses without `/32`, adjacent "
     "listed addresses merged into small CIDRs)."),
    ("firehol_abusers_v6.netset", "FireHOL netset (IPv6), same layout."),
    ("ripe-20261101.db",
     "RPSL dump in the layout of the RIPE, APNIC and AFRINIC bulk files (one "
     "combined file): `organisation`, `role`, `mntner`, `aut-num`, `inetnum`, "
     "`inet6num` and `route` objects separated by blank lines, personal data "
     "dummified as in the published dumps, one continuation line, repeated "
     "`mnt-by`. Holds the provider allocation of AS64503 with its bad "
     "customer's `SUB-ALLOCATED PA` block 198.18.200.0/24, and the rebrand "
     "AS64505 (new organisation, same maintainer and abuse mailbox as AS64502)."),
    ("arin_db-20261101.txt",
     "ARIN bulk WHOIS records (`OrgID`/`OrgName`, `ASHandle`/`ASNumber`, "
     "`NetHandle`/`NetRange`/`CIDR`/`NetType`/`Parent`): AS64501's direct "
     "allocation and a `Reassigned` /24 to the same shady reseller (spelt "
     "differently) as in the RPSL file."),
    ("delegated-ripencc-extended-20261101",
     "RIR delegated-extended statistics: version line, summary lines, then "
     "`registry|cc|type|start|value|date|status|opaque-id`. 198.18.16.0/22 is "
     "dated after its `inetnum` was created (a transfer) and shares its "
     "opaque id with AS64502's resources."),
    ("queries.txt",
     "Batch input: one query per line (IP, prefix, `ASnnn` or bare ASN); no "
     "comments, no blank lines; two deliberately invalid lines."),
]


def build_readme(hashes, listing_rows, query_rows, line_counts):
    net_rows = []
    for i, n in enumerate(NETWORKS, 1):
        net_rows.append((i, "AS%d" % n["asn"], n["org"], n["kind"],
                         ", ".join(str(p) for p in n["v4"]) or "-",
                         ", ".join(str(p) for p in n["v6"]) or "-", n["cc"]))
    net_rows.append(("7", "-", "-", "not routed, but listed", str(UNROUTED), "-", "-"))

    parts = []
    parts.append("# Default test world\n\n")
    parts.append(
        "A small synthetic Internet used by the tests, benches and examples. "
        "Every file imitates the published format of a real data source, but the "
        "content is invented: all prefixes are documentation or reserved space "
        "(IPv4 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15, "
        "100.64.0.0/10, 240.0.0.0/4; IPv6 2001:db8::/32) and all ASNs are "
        "documentation ASNs (64496-64511, 65536-65551). All organisation names "
        "are fictional.\n\n")
    parts.append("## Networks\n\n")
    parts.append(md_table(("#", "ASN", "Name", "Type", "IPv4", "IPv6", "Country"), net_rows))
    parts.append("\n")
    parts.append(
        "- AS64502 (EXAMPLE-BPH): Spamhaus DROP (JSON) lists 198.18.0.0/21, "
        "198.18.8.0/22 and 2001:db8:300::/48 (198.18.12.0/22 is not in DROP); "
        "ASN-DROP lists AS64502.\n"
        "- AS64503 (EXAMPLE-HOSTING): the bad customer block 198.18.200.0/24 is "
        "announced as a more-specific in the pfx2as file, listed in the legacy "
        "`drop.txt`, and heavily listed in FireHOL. It is not a separate row in "
        "the ASN CSV.\n"
        "- AS65536 (EXAMPLE-TRANSIT): 198.51.100.0/24 appears only in pfx2as as the "
        "multi-origin line `65536_64504` and in the country CSV; it is absent "
        "from the ASN CSV.\n"
        "- 192.0.2.0/24 is in no routing, ASN or country file, yet 192.0.2.1 and "
        "192.0.2.2 are listed in FireHOL.\n"
        "- AS64505 (EXAMPLE-NEWBRAND) is the rebrand of AS64502: it announces "
        "198.18.16.0/22 (pfx2as only), registered in September 2026 to a new "
        "organisation (ORG-NB1-TEST, Example Newbrand Hosting LLC) that shares "
        "AS64502's maintainer (EXAMPLE-BPH-MNT), abuse mailbox and "
        "delegated-stats opaque id; the delegated statistics date the block "
        "after its registration.\n"
        "- Registry data: AS64503's allocation 198.18.128.0/17 (ORG-EH1-TEST, DE) "
        "holds a clean `ASSIGNED PA` customer /24 (198.18.130.0/24, no org of its "
        "own) and the bad customer 198.18.200.0/24, `SUB-ALLOCATED PA` to "
        "ORG-SR1-TEST (Example Shady Reseller Ltd, SC, no abuse contact, created "
        "2026-08-03). The same reseller (as `Example Shady Reseller, Ltd.`) holds a "
        "`Reassigned` /24 (240.48.0.0/24) in AS64501's ARIN allocation.\n"
        "- Time-aware evidence (reference time 2026-11-12T08:00:00Z): passive DNS "
        "shows a fast-flux botnet (6 names under `flux-botnet.test`, each on many "
        "addresses of 198.18.12.0/22, records of a few hours) and a phishing cluster "
        "(16 names `account-verify-NN.test` on 198.18.13.0/24, alive 2 to 4 days) on "
        "AS64502; ThreatFox names four of the flux names as C2 domains and the "
        "generic CSV half of the phishing names. Feodo Tracker, URLhaus and "
        "ThreatFox list C2s and malware URLs on AS64502; AbuseIPDB reports "
        "brute-force and scanning sources, most of them on the cloud.\n"
        "- 203.0.113.0/24 (AS64504) changed hands: delegated statistics date it "
        "2026-10-15, after its 2014 registration. The generic CSV holds 12 spam "
        "listings of the previous holder, last seen before that date: they are "
        "reset, not counted. Listings older than the one-year horizon are "
        "dropped.\n"
        "- Routing history (dated prefix2as series 2026-08-01, 09-01, 10-01 and "
        "the current 11-01; AS relationships of the same four dates): AS64502 "
        "fragments and churns its space (a /21, a /22 and a /24; then the /20 "
        "and another /24; then the /20 and two more /24s; then the /20 alone) "
        "and changes upstream every month (AS65537, AS65539, AS65540, AS65541). "
        "AS65540 and AS65541 also carry the rebrand AS64505: they are lax "
        "upstreams. The other networks keep their upstreams (AS65536, and "
        "AS65538 for the cloud).\n"
        "- Guard rails: the cloud announces its anycast DNS range 240.1.2.0/24 "
        "apart, and `protected-ranges.txt` lists it; its listed addresses "
        "(240.1.2.3 among them) count for the range alone, never for AS64501.\n"
        "- Geolocation (`%s`): AS64502, registered in SC, is geolocated in NL and "
        "RU and flagged as a hosting provider, with an anonymous-VPN /23 "
        "(198.18.14.0/23); the cloud is hosting geolocated in three countries (US, "
        "DE, SG), except its anycast DNS range; the ISP is geolocated where it is registered (NL) and is not "
        "hosting.\n\n" % MMDB_NAME)
    parts.append("## FireHOL listings\n\n")
    parts.append("Distinct listed addresses, counted from the generated netsets:\n\n")
    parts.append(md_table(("Space", "Family", "Listed IPs", "Netset lines"), listing_rows))
    parts.append("\n## Files\n\n")
    parts.append(md_table(("File", "Lines", "Format"),
                          [("`%s`" % f, line_counts[f], d) for f, d in FORMATS]))
    parts.append("\n## Queries\n\n")
    parts.append(
        "What the data says about each line of `queries.txt` (origin = longest "
        "match in pfx2as; FireHOL = listed yes/no for an address, number of "
        "listed addresses for a prefix or ASN; DROP = overlapping DROP entries, "
        "JSON or legacy, and ASN-DROP):\n\n")
    parts.append(md_table(("Query", "Kind", "Origin / network", "FireHOL", "DROP"),
                          [("`%s`" % r[0],) + tuple(r[1:]) for r in query_rows]))
    parts.append("\n## Origin and licence\n\n")
    parts.append(
        "Synthetic, generated by `generate.py` with seed %d; reserved space only. "
        "No real network, organisation or listing is represented. Run "
        "`python3 testdata/world/generate.py` to regenerate; the output is "
        "byte-identical on every run (Python 3, standard library only).\n\n"
        "Licence: CC0 1.0 Universal (public domain dedication), "
        "https://creativecommons.org/publicdomain/zero/1.0/.\n\n" % SEED)
    parts.append("## SHA-256\n\n")
    parts.append(md_table(("File", "SHA-256"),
                          [("`%s`" % f, "`%s`" % h) for f, h in hashes]))
    return "".join(parts)



# ---------------------------------------------------------------------------
# Registry data (WHOIS, delegated statistics).
# ---------------------------------------------------------------------------

RPSL_HEADER = (
    "#\n"
    "# Synthetic RPSL dump (bphscore default world). Reserved address space and\n"
    "# documentation AS numbers only; organisations are fictional. CC0 1.0.\n"
    "# Personal data is dummified as in the published bulk dumps.\n"
    "#\n\n")

DUMMY = ["admin-c:        DUMY-RIPE", "tech-c:         DUMY-RIPE"]


def rpsl_object(lines):
    return "\n".join(lines) + "\n\n"


def build_rpsl():
    objs = []
    objs.append(rpsl_object([
        "mntner:         EXAMPLE-HOSTING-MNT",
        "descr:          Example Hosting maintainer",
        "auth:           BCRYPT-PW # Filtered",
        "mnt-by:         EXAMPLE-HOSTING-MNT",
        "created:        2009-06-01T09:00:00Z",
        "last-modified:  2023-02-01T10:00:00Z",
        "source:         RIPE # Filtered",
    ]))
    roles = [
        ("Example Hosting Abuse", "EHA1-TEST", "abuse@hosting.example", "EXAMPLE-HOSTING-MNT", "2009-06-01T09:00:00Z"),
        ("Example Eyeball Abuse", "EEA1-TEST", "abuse@eyeball.example", "EXAMPLE-EYEBALL-MNT", "2008-01-15T09:00:00Z"),
        ("Example Bulletproof Abuse", "EBA1-TEST", "abuse@bph-example.example", "EXAMPLE-BPH-MNT", "2015-03-01T09:00:00Z"),
        ("Newbrand Abuse Desk", "NBA1-TEST", "Abuse@BPH-Example.example", "EXAMPLE-BPH-MNT", "2026-09-10T11:00:00Z"),
        ("Example Smallhost Abuse", "ESA1-TEST", "abuse@smallhost.example", "EXAMPLE-SMALLHOST-MNT", "2014-04-02T09:00:00Z"),
    ]
    for name, hdl, mbox, mnt, created in roles:
        objs.append(rpsl_object([
            "role:           " + name,
            "address:        Dummy address for %s" % hdl,
            "e-mail:         unread@ripe.net",
            "abuse-mailbox:  " + mbox,
            "nic-hdl:        " + hdl,
            "mnt-by:         " + mnt,
            "created:        " + created,
            "last-modified:  " + created,
            "source:         RIPE # Filtered",
        ]))
    orgs = [
        ("ORG-EE1-TEST", "Example Eyeball B.V.", "NL", "LIR", "EEA1-TEST", "EXAMPLE-EYEBALL-MNT", "2008-01-15T09:00:00Z", "2024-05-02T08:00:00Z"),
        ("ORG-EH1-TEST", "Example Hosting GmbH", "DE", "LIR", "EHA1-TEST", "EXAMPLE-HOSTING-MNT", "2009-06-01T09:00:00Z", "2024-03-11T08:00:00Z"),
        ("ORG-EB1-TEST", "Example Bulletproof Ltd", "SC", "LIR", "EBA1-TEST", "EXAMPLE-BPH-MNT", "2015-03-01T09:00:00Z", "2025-12-01T08:00:00Z"),
        ("ORG-NB1-TEST", "Example Newbrand Hosting LLC", "SC", "LIR", "NBA1-TEST", "EXAMPLE-BPH-MNT", "2026-09-10T11:00:00Z", "2026-09-10T11:00:00Z"),
        ("ORG-SR1-TEST", "Example Shady Reseller Ltd", "SC", "OTHER", None, "SHADY-RESELLER-MNT", "2026-08-01T10:00:00Z", "2026-08-01T10:00:00Z"),
        ("ORG-ES1-TEST", "Example Smallhost Ltd", "GB", "LIR", "ESA1-TEST", "EXAMPLE-SMALLHOST-MNT", "2014-04-02T09:00:00Z", "2026-10-16T09:00:00Z"),
    ]
    for handle, name, cc, kind, abuse, mnt, created, modified in orgs:
        lines = [
            "organisation:   " + handle,
            "org-name:       " + name,
            "country:        " + cc,
            "org-type:       " + kind,
            "address:        Dummy address for " + handle,
            "e-mail:         unread@ripe.net",
        ]
        if abuse:
            lines.append("abuse-c:        " + abuse)
        if kind == "LIR":
            lines.append("mnt-ref:        " + mnt)
            lines.append("mnt-by:         RIPE-NCC-HM-MNT")
        lines += ["mnt-by:         " + mnt, "created:        " + created,
                  "last-modified:  " + modified, "source:         RIPE # Filtered"]
        objs.append(rpsl_object(lines))
    autnums = [
        (64500, "EXAMPLE-EYEBALL", "ORG-EE1-TEST", "EXAMPLE-EYEBALL-MNT", "2008-01-15T09:00:00Z"),
        (64502, "EXAMPLE-BPH", "ORG-EB1-TEST", "EXAMPLE-BPH-MNT", "2015-03-01T09:00:00Z"),
        (64503, "EXAMPLE-HOSTING", "ORG-EH1-TEST", "EXAMPLE-HOSTING-MNT", "2009-06-01T09:00:00Z"),
        (64505, "EXAMPLE-NEWBRAND", "ORG-NB1-TEST", "EXAMPLE-BPH-MNT", "2026-09-12T11:00:00Z"),
    ]
    for asn, name, org, mnt, created in autnums:
        objs.append(rpsl_object([
            "aut-num:        AS%d" % asn,
            "as-name:        " + name,
            "org:            " + org,
            "import:         from AS65536 accept ANY",
            "export:         to AS65536 announce AS%d" % asn,
        ] + DUMMY + [
            "status:         ASSIGNED",
            "mnt-by:         RIPE-NCC-END-MNT",
            "mnt-by:         " + mnt,
            "created:        " + created,
            "last-modified:  " + created,
            "source:         RIPE # Filtered",
        ]))
    # (range, netname, cc, org, status, mnt-by list, created, modified, extra lines)
    nets = [
        ("100.64.0.0 - 100.79.255.255", "EXAMPLE-EYEBALL-NET", "NL", "ORG-EE1-TEST",
         "ALLOCATED PA", ["RIPE-NCC-HM-MNT", "EXAMPLE-EYEBALL-MNT"],
         "2008-01-15T09:00:00Z", "2024-05-02T08:00:00Z", []),
        ("198.18.0.0 - 198.18.15.255", "EXAMPLE-BPH-NET", "SC", "ORG-EB1-TEST",
         "ALLOCATED PA", ["RIPE-NCC-HM-MNT", "EXAMPLE-BPH-MNT"],
         "2015-03-01T09:00:00Z", "2025-12-01T08:00:00Z", []),
        ("198.18.16.0 - 198.18.19.255", "NEWBRAND-NET", "SC", "ORG-NB1-TEST",
         "ALLOCATED PA", ["RIPE-NCC-HM-MNT", "EXAMPLE-BPH-MNT"],
         "2026-09-15T10:00:00Z", "2026-10-02T10:00:00Z", []),
        ("198.18.128.0 - 198.18.255.255", "EXAMPLE-HOSTING-NET", "DE", "ORG-EH1-TEST",
         "ALLOCATED PA", ["RIPE-NCC-HM-MNT", "EXAMPLE-HOSTING-MNT"],
         "2009-06-01T09:00:00Z", "2024-03-11T08:00:00Z",
         ["remarks:        Example Hosting customer space;",
          "                abuse reports to the abuse-c of this allocation"]),
        ("198.18.130.0 - 198.18.130.255", "EXAMPLE-CUSTOMER-NET", "DE", None,
         "ASSIGNED PA", ["EXAMPLE-HOSTING-MNT"],
         "2015-05-04T09:00:00Z", "2015-05-04T09:00:00Z", []),
        ("198.18.200.0 - 198.18.200.255", "SHADY-RESELLER-NET", "SC", "ORG-SR1-TEST",
         "SUB-ALLOCATED PA", ["EXAMPLE-HOSTING-MNT", "SHADY-RESELLER-MNT"],
         "2026-08-03T12:00:00Z", "2026-10-20T08:00:00Z", []),
        # Transferred to its present holder on 2026-10-15 (delegated stats):
        # listings of the previous holder must not stick to it.
        ("203.0.113.0 - 203.0.113.255", "EXAMPLE-SMALLHOST-NET", "GB", "ORG-ES1-TEST",
         "ALLOCATED PA", ["RIPE-NCC-HM-MNT", "EXAMPLE-SMALLHOST-MNT"],
         "2014-04-02T09:00:00Z", "2026-10-16T09:00:00Z", []),
    ]
    for rng, netname, cc, org, status, mnts, created, modified, extra in nets:
        lines = ["inetnum:        " + rng, "netname:        " + netname,
                 "country:        " + cc]
        if org:
            lines.append("org:            " + org)
        lines += DUMMY + ["status:         " + status]
        lines += ["mnt-by:         " + m for m in mnts]
        lines += extra
        lines += ["created:        " + created, "last-modified:  " + modified,
                  "source:         RIPE"]
        objs.append(rpsl_object(lines))
    objs.append(rpsl_object([
        "inet6num:       2001:db8:400::/40",
        "netname:        EXAMPLE-HOSTING-V6",
        "country:        DE",
        "org:            ORG-EH1-TEST",
    ] + DUMMY + [
        "status:         ALLOCATED-BY-RIR",
        "mnt-by:         RIPE-NCC-HM-MNT",
        "mnt-by:         EXAMPLE-HOSTING-MNT",
        "created:        2010-02-01T09:00:00Z",
        "last-modified:  2024-03-11T08:00:00Z",
        "source:         RIPE",
    ]))
    objs.append(rpsl_object([
        "route:          198.18.16.0/22",
        "descr:          Newbrand",
        "origin:         AS64505",
        "mnt-by:         EXAMPLE-BPH-MNT",
        "created:        2026-09-15T10:30:00Z",
        "last-modified:  2026-09-15T10:30:00Z",
        "source:         RIPE",
    ]))
    return RPSL_HEADER + "".join(objs)


def build_arin():
    recs = [
        ["OrgID:          EXCLOUD", "OrgName:        Example Cloud Inc.",
         "Street:         Dummy street", "City:           Dummy", "Country:        US",
         "RegDate:        2005-02-14", "Updated:        2025-01-09",
         "OrgAbuseHandle: ABUSE1-ARIN", "OrgAbuseEmail:  abuse@cloud.example"],
        ["OrgID:          SHADYR", "OrgName:        Example Shady Reseller, Ltd.",
         "Street:         Dummy street", "City:           Victoria", "Country:        SC",
         "RegDate:        2026-07-19", "Updated:        2026-07-19"],
        ["ASHandle:       AS64501", "ASNumber:       64501", "ASName:         EXAMPLE-CLOUD",
         "OrgID:          EXCLOUD", "RegDate:        2005-03-01", "Updated:        2024-11-30"],
        ["NetHandle:      NET-240-0-0-0-1", "OrgID:          EXCLOUD",
         "Parent:         ", "NetName:        EXAMPLE-CLOUD-NET",
         "NetRange:       240.0.0.0 - 240.63.255.255", "CIDR:           240.0.0.0/10",
         "NetType:        Direct Allocation", "RegDate:        2005-03-01",
         "Updated:        2024-11-30", "Comment:        Synthetic record in reserved space"],
        ["NetHandle:      NET-240-48-0-0-1", "OrgID:          SHADYR",
         "Parent:         EXAMPLE-CLOUD-NET (NET-240-0-0-0-1)", "NetName:        SHADYR-NET",
         "NetRange:       240.48.0.0 - 240.48.0.255", "CIDR:           240.48.0.0/24",
         "NetType:        Reassigned", "RegDate:        2026-07-20",
         "Updated:        2026-10-25"],
    ]
    head = "#\n# Synthetic ARIN bulk WHOIS records (bphscore default world). CC0 1.0.\n#\n\n"
    return head + "".join("\n".join(r) + "\n\n" for r in recs)


def build_delegated():
    rows = [
        ("NL", "ipv4", "100.64.0.0", 1048576, "20080115", "allocated", "opq-eyeball"),
        ("SC", "ipv4", "198.18.0.0", 4096, "20150301", "allocated", "opq-bph"),
        ("SC", "ipv4", "198.18.16.0", 1024, "20261001", "allocated", "opq-bph"),
        ("", "ipv4", "198.18.32.0", 8192, "", "available", ""),
        ("DE", "ipv4", "198.18.128.0", 32768, "20090601", "allocated", "opq-hosting"),
        ("DE", "ipv6", "2001:db8:400::", 40, "20100201", "allocated", "opq-hosting"),
        ("GB", "ipv4", "203.0.113.0", 256, "20261015", "allocated", "opq-smallhost"),
        ("NL", "asn", "64500", 1, "20080115", "allocated", "opq-eyeball"),
        ("SC", "asn", "64502", 1, "20150301", "allocated", "opq-bph"),
        ("DE", "asn", "64503", 1, "20090601", "allocated", "opq-hosting"),
        ("SC", "asn", "64505", 1, "20260912", "allocated", "opq-bph"),
    ]
    count = {t: sum(1 for r in rows if r[1] == t) for t in ("asn", "ipv4", "ipv6")}
    out = ["2|ripencc|20261101|%d|19930901|20261031|+0100" % len(rows)]
    for t in ("asn", "ipv4", "ipv6"):
        out.append("ripencc|*|%s|*|%d|summary" % (t, count[t]))
    for cc, t, start, value, date, status, opaque in rows:
        out.append("|".join(("ripencc", cc, t, start, str(value), date, status, opaque)))
    return "\n".join(out) + "\n"

# ---------------------------------------------------------------------------
# Time-aware evidence: abuse feeds with timestamps and passive DNS.
# ---------------------------------------------------------------------------

AS_OF = utc(2026, 11, 12, 8, 0, 0)          # the world's reference time
TRANSFER = utc(2026, 10, 15)                # 203.0.113.0/24 changed hands
DAYS = datetime.timedelta(days=1)
HOURS = datetime.timedelta(hours=1)


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def epoch(t):
    return int(t.timestamp())


def ip4(base, i):
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(base)) + i))


# Botnet C2s on the bulletproof AS (outside its DROP ranges), one on the
# cloud, and one offline for longer than the horizon.
FEODO_JSON = [
    ("198.18.12.10", 443, "online", utc(2026, 9, 2, 10, 11, 12), utc(2026, 11, 11), "QakBot", 64502, "EXAMPLE-BPH", "SC"),
    ("198.18.13.20", 8080, "online", utc(2026, 10, 20, 1, 2, 3), utc(2026, 11, 12), "Pikabot", 64502, "EXAMPLE-BPH", "SC"),
    ("198.18.14.30", 443, "offline", utc(2026, 6, 1, 12, 0, 0), utc(2026, 8, 30), "Emotet", 64502, "EXAMPLE-BPH", "SC"),
    ("240.5.6.7", 443, "offline", utc(2026, 10, 1, 8, 0, 0), utc(2026, 10, 3), "QakBot", 64501, "EXAMPLE-CLOUD", "US"),
    ("100.66.1.2", 2222, "offline", utc(2025, 8, 1, 8, 0, 0), utc(2025, 9, 20), "Dridex", 64500, "EXAMPLE-EYEBALL", "NL"),
]
FEODO_CSV = [
    (utc(2026, 10, 28, 14, 0, 1), "198.18.12.11", 443, "online", utc(2026, 11, 12), "BumbleBee"),
    (utc(2026, 11, 3, 9, 30, 0), "198.18.15.40", 995, "online", utc(2026, 11, 11), "Latrodectus"),
    (utc(2026, 7, 3, 9, 30, 0), "198.18.200.77", 443, "offline", utc(2026, 9, 1), "QakBot"),
]
FEODO_UPDATED = utc(2026, 11, 12, 7, 0, 0)


def build_feodo_json():
    recs = [{"ip_address": ip, "port": port, "status": st, "hostname": None,
             "as_number": asn, "as_name": asname, "country": cc,
             "first_seen": ts(first), "last_online": last.strftime("%Y-%m-%d"),
             "malware": mw}
            for ip, port, st, first, last, mw, asn, asname, cc in FEODO_JSON]
    return json.dumps(recs, indent=4) + "\n"


def build_feodo_csv():
    head = [
        "################################################################",
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #",
        "# Last updated: %s UTC                         #" % ts(FEODO_UPDATED),
        "#                                                              #",
        "# Terms of Use: https://feodotracker.abuse.ch/blocklist/       #",
        "# For questions please contact feodotracker [at] abuse.ch      #",
        "################################################################",
        "#",
        '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
    ]
    rows = ['"%s","%s","%d","%s","%s","%s"' % (ts(f), ip, port, st, last.strftime("%Y-%m-%d"), mw)
            for f, ip, port, st, last, mw in FEODO_CSV]
    return "\n".join(head + rows) + "\n# END 3 entries\n"


# Phishing kits: short-lived names on the bulletproof AS, a few days each,
# all gone a day or more before the reference time.
PHISH = [("account-verify-%02d.test" % i, ip4("198.18.13.0", 40 + i % 20),
          utc(2026, 10, 20) + i * DAYS, 2 + i % 3) for i in range(16)]
# Fast-flux botnet domains: each resolves to many addresses in many /24s of
# the bulletproof AS, each record lasting a few hours.
FLUX = ["%s.flux-botnet.test" % w for w in
        ("kq7zp", "m3vtx", "b8rwn", "zz41c", "tr0pa", "hy6dq")]
FLUX_IPS = [ip4("198.18.%d.0" % third, 50 + k) for third in (12, 13, 14, 15) for k in range(5)]
# Benign sites with stable names on the cloud, the ISP and the small host.
BENIGN = ([("www.example.com", "203.0.113.10"), ("mail.example.com", "203.0.113.11"),
           ("www.example.net", "100.64.3.3"), ("files.example.org", "2001:db8:200:1::80")] +
          [("shop%02d.example.org" % i, ip4("240.1.0.0", 16 * i + 5)) for i in range(24)])


def cof(rrname, rrtype, rdata, first, last, **extra):
    r = {"rrname": rrname, "rrtype": rrtype, "rdata": rdata}
    if extra.pop("zone", False):
        r["zone_time_first"] = epoch(first)
        r["zone_time_last"] = epoch(last)
    else:
        r["time_first"] = epoch(first)
        r["time_last"] = epoch(last)
    r.update(extra)
    return json_line(r)


def build_pdns(rng):
    out = []
    for i, (name, ip) in enumerate(BENIGN):
        rrtype = "AAAA" if ":" in ip else "A"
        first = utc(2019, 3, 1) + (i * 17) * DAYS
        rrname = name + "." if i % 2 else name      # trailing dots, as servers emit
        out.append(cof(rrname, rrtype, ip, first, AS_OF - 2 * HOURS,
                       count=1000 + 37 * i, bailiwick=".".join(name.split(".")[-2:]) + "."))
    out.append(cof("example.com.", "NS", "ns1.example.com.", utc(2019, 3, 1), AS_OF - HOURS,
                   count=88, bailiwick="com."))
    out.append(cof("www.example.com.", "CNAME", "example.com.", utc(2019, 3, 1), utc(2020, 1, 1),
                   zone=True))
    # A name from the zone files only (zone_time_*), and one beyond the horizon.
    out.append(cof("static.example.net", "A", "100.64.3.4", utc(2021, 5, 1), AS_OF - DAYS, zone=True))
    out.append(cof("old-campaign.example", "A", "198.18.12.99", utc(2024, 1, 2), utc(2025, 2, 1)))
    for name, ip, first, days in PHISH:
        out.append(cof(name + ".", "A", ip, first, first + days * DAYS, count=3 + days,
                       bailiwick="test."))
    for d, name in enumerate(FLUX):
        t = AS_OF - 18 * DAYS + d * 5 * HOURS
        for step in range(12):
            ips = sorted({FLUX_IPS[below(rng, len(FLUX_IPS))] for _ in range(3)},
                         key=lambda a: int(ipaddress.IPv4Address(a)))
            rdata = ips if step % 3 == 0 else ips[0]
            first = t + step * 31 * HOURS
            out.append(cof(name, "A", rdata, first, first + (2 + step % 5) * HOURS,
                           count=1 + step))
    # The same record from a second sensor: a duplicate, merged and counted.
    out.append(out[0])
    return "".join(l + "\n" for l in out)


URLHAUS = [
    (3312001, utc(2026, 11, 8, 10, 1, 5), "http://198.18.13.5/bins/mozi.m", "online", utc(2026, 11, 12, 6, 0, 0), "malware_download", "elf,Mozi"),
    (3312002, utc(2026, 11, 9, 11, 0, 0), "http://198.18.14.60:8080/i.sh", "online", utc(2026, 11, 12, 5, 0, 0), "malware_download", "mirai,sh"),
    (3312003, utc(2026, 11, 10, 9, 0, 0), "https://update-flash.example/setup.exe", "offline", None, "malware_download", "exe,RedLine"),
    (3312004, utc(2026, 10, 30, 9, 0, 0), "http://240.7.8.9/a.sh", "offline", utc(2026, 10, 31, 9, 0, 0), "malware_download", "sh"),
]
URLHAUS_UPDATED = utc(2026, 11, 12, 7, 30, 15)


def build_urlhaus():
    head = [
        "################################################################",
        "# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #",
        "# Last updated: %s (UTC)                      #" % ts(URLHAUS_UPDATED),
        "#                                                              #",
        "# Terms Of Use: https://urlhaus.abuse.ch/api/                  #",
        "# For questions please contact urlhaus [at] abuse.ch           #",
        "################################################################",
        "#",
        "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter",
    ]
    rows = []
    for i, added, url, st, last, threat, tags in URLHAUS:
        rows.append(",".join('"%s"' % v for v in (
            i, ts(added), url, st, ts(last) if last else "", threat, tags,
            "https://urlhaus.abuse.ch/url/%d/" % i, "anonymous")))
    return "\n".join(head + rows) + "\n"


def build_threatfox():
    iocs = {}
    n = 1500100
    for d, name in enumerate(FLUX[:4]):
        iocs[str(n + d)] = [{
            "ioc_value": name, "ioc_type": "domain", "threat_type": "botnet_cc",
            "malware": "win.smokeloader", "malware_alias": None,
            "malware_printable": "SmokeLoader",
            "first_seen_utc": ts(AS_OF - (15 - d) * DAYS), "last_seen_utc": None,
            "confidence_level": 100, "reference": None, "tags": "SmokeLoader",
            "anonymous": "0", "reporter": "example-reporter"}]
    iocs[str(n + 10)] = [{
        "ioc_value": "198.18.15.41:443", "ioc_type": "ip:port", "threat_type": "botnet_cc",
        "malware": "win.cobalt_strike", "malware_alias": "Agentemis",
        "malware_printable": "Cobalt Strike",
        "first_seen_utc": ts(AS_OF - 3 * DAYS), "last_seen_utc": ts(AS_OF - 5 * HOURS),
        "confidence_level": 75, "reference": None, "tags": "CobaltStrike,c2",
        "anonymous": "0", "reporter": "example-reporter"}]
    iocs[str(n + 11)] = [{
        "ioc_value": "3f5b2c9d0e1a4b6c8d7e9f0a1b2c3d4e", "ioc_type": "md5_hash",
        "threat_type": "payload", "malware": "win.redline_stealer", "malware_alias": None,
        "malware_printable": "RedLine Stealer",
        "first_seen_utc": ts(AS_OF - 2 * DAYS), "last_seen_utc": None,
        "confidence_level": 100, "reference": None, "tags": "RedLine",
        "anonymous": "0", "reporter": "example-reporter"}]
    return json.dumps(iocs, indent=4) + "\n"


def build_abuseipdb_blacklist(rng):
    # Brute-force and scanning sources, mostly on the cloud (by volume).
    data = []
    for k in range(60):
        data.append(("240.%d.%d.%d" % (2 + below(rng, 60), below(rng, 256), 1 + below(rng, 254)),
                     100, AS_OF - (1 + below(rng, 60)) * HOURS))
    for k in range(6):
        data.append(("100.%d.%d.%d" % (65 + k, below(rng, 256), 1 + below(rng, 254)),
                     100, AS_OF - (5 + k) * DAYS))
    for k in range(8):
        data.append(("198.18.%d.%d" % (12 + k % 4, 100 + k), 100, AS_OF - (2 + k) * HOURS))
    data = sorted(set(data))
    doc = {"meta": {"generatedAt": (AS_OF - HOURS).strftime("%Y-%m-%dT%H:%M:%S+00:00")},
           "data": [{"ipAddress": ip, "countryCode": None, "abuseConfidenceScore": sc,
                     "lastReportedAt": t.strftime("%Y-%m-%dT%H:%M:%S+00:00")}
                    for ip, sc, t in data]}
    return json.dumps(doc, separators=(",", ":")) + "\n"


def build_abuseipdb_check_block():
    reported = [{"ipAddress": "198.18.200.%d" % (10 + 7 * k), "numReports": 3 + k,
                 "mostRecentReport": (AS_OF - (k + 1) * 9 * HOURS).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                 "abuseConfidenceScore": 60 + 5 * k, "countryCode": "SC"} for k in range(6)]
    doc = {"data": {"networkAddress": "198.18.200.0", "netmask": "255.255.255.0",
                    "minAddress": "198.18.200.1", "maxAddress": "198.18.200.254",
                    "numPossibleHosts": 254, "addressSpaceDesc": "Internet",
                    "reportedAddress": reported}}
    return json.dumps(doc, indent=2) + "\n"


def build_generic_csv():
    rows = [("indicator", "first_seen", "last_seen", "category", "source")]
    # Phishing kits seen by a phishing feed: half of the kits' names.
    for name, ip, first, days in PHISH[::2]:
        rows.append(("https://%s/signin" % name, ts(first + HOURS), ts(first + days * DAYS),
                     "phishing", "example-phish-feed"))
    # The previous holder of 203.0.113.0/24 sent spam until shortly before
    # the transfer: these listings must not stick to the new holder.
    for k in range(12):
        last = TRANSFER - (3 + 9 * k) * DAYS
        rows.append(("203.0.113.%d" % (70 + k), ts(last - 40 * DAYS), ts(last), "spam",
                     "example-spam-trap"))
    # Older than the one-year horizon: dropped.
    for k in range(3):
        rows.append(("100.72.9.%d" % (1 + k), "2025-01-05 00:00:00", "2025-03-%02d 00:00:00" % (1 + k),
                     "scanning", "example-scan-feed"))
    rows.append(("100.70.12.34", ts(AS_OF - 20 * DAYS), ts(AS_OF - 2 * DAYS), "brute-force",
                 "example-ssh-honeypot"))
    return "# Generic abuse CSV (bphscore): indicator,first_seen,last_seen,category,source\n" + csv_text(rows)


TIMED_FORMATS = [
    ("pdns-20261112.jsonl",
     "Passive DNS, Common Output Format (JSON lines): benign stable names on the "
     "small host, the ISP and the cloud; a fast-flux botnet (6 names under "
     "`flux-botnet.test`, each on many addresses of 198.18.12.0/22, records of a few "
     "hours); a phishing cluster (16 short-lived `account-verify-NN.test` names on "
     "198.18.13.0/24). Variants: trailing dots, `rdata` arrays, `zone_time_first`/"
     "`zone_time_last`, `count`, `bailiwick`, NS and CNAME records, one record beyond "
     "the horizon, one duplicated record."),
    ("feodo-ipblocklist-20261112.json",
     "abuse.ch Feodo Tracker `ipblocklist.json`: a pretty-printed array of "
     "`ip_address`, `port`, `status`, `hostname`, `as_number`, `as_name`, `country`, "
     "`first_seen`, `last_online`, `malware`. C2s on AS64502, one on the cloud, one "
     "offline beyond the horizon."),
    ("feodo-ipblocklist-20261112.csv",
     "abuse.ch Feodo Tracker `ipblocklist.csv`: `#` banner with `Last updated`, "
     "commented column header, quoted rows."),
    ("urlhaus-20261112.csv",
     "abuse.ch URLhaus CSV dump: `#` banner with `Last updated`, commented header "
     "`id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter`, "
     "quoted rows; URLs on AS64502 addresses, on a domain, on the cloud."),
    ("threatfox-20261112.json",
     "abuse.ch ThreatFox JSON export: an object of IOC id to an array of records "
     "(`ioc_value`, `ioc_type`, `threat_type`, `first_seen_utc`, `last_seen_utc`, …): "
     "four of the fast-flux names as `botnet_cc` domains, an `ip:port` C2, and an MD5 "
     "hash (not a network indicator: ignored)."),
    ("abuseipdb-blacklist-20261112.json",
     "AbuseIPDB `blacklist` API response, minified on one line: `meta.generatedAt` and "
     "`data` of `ipAddress`, `countryCode`, `abuseConfidenceScore`, `lastReportedAt`. "
     "Mostly cloud addresses (volume), a few on the ISP and on AS64502."),
    ("abuseipdb-check-block-20261112.json",
     "AbuseIPDB `check-block` API response for 198.18.200.0/24 (pretty-printed): "
     "`reportedAddress` entries with `mostRecentReport`."),
    ("abuse-generic-20261112.csv",
     "Generic abuse CSV (documented by bphscore): a `#` comment, the header "
     "`indicator,first_seen,last_seen,category,source`, then one address, domain or URL "
     "per line. Phishing URLs of half the phishing cluster; spam listings of "
     "203.0.113.0/24's previous holder, last seen before its transfer on 2026-10-15 "
     "(reset); three listings older than the one-year horizon (dropped)."),
]


def build_timed(rng):
    return {
        "pdns-20261112.jsonl": build_pdns(rng),
        "feodo-ipblocklist-20261112.json": build_feodo_json(),
        "feodo-ipblocklist-20261112.csv": build_feodo_csv(),
        "urlhaus-20261112.csv": build_urlhaus(),
        "threatfox-20261112.json": build_threatfox(),
        "abuseipdb-blacklist-20261112.json": build_abuseipdb_blacklist(rng),
        "abuseipdb-check-block-20261112.json": build_abuseipdb_check_block(),
        "abuse-generic-20261112.csv": build_generic_csv(),
    }

# ---------------------------------------------------------------------------
# Geolocation: a MaxMind DB file (MMDB).
# ---------------------------------------------------------------------------

MMDB_NAME = "geo-anonymous-20261101.mmdb"
MMDB_BUILD_TIME = utc(2026, 11, 1, 0, 0, 0)
MMDB_DATABASE_TYPE = "bphscore-World-Geo-Anonymous"

# (network, geolocated country, Anonymous-IP flags). Country and
# Anonymous-IP data in one database, as GeoIP2 Enterprise has them. The
# bulletproof AS (registered SC) is geolocated in NL and RU, all of it a
# hosting provider, a slice an anonymous VPN; the cloud is hosting spread
# over three countries; the ISP is where it is registered and not hosting.
# The cloud's anycast DNS range is not a hosting provider's: a
# more-specific network, cut out of the /12 around it. AS64503, AS64504,
# AS64505 and the transit are in no network of the file.
MMDB_NETWORKS = [
    (IP4("100.64.0.0/12"), "NL", ()),
    (IP4("198.18.0.0/21"), "NL", ("is_hosting_provider",)),
    (IP4("198.18.8.0/22"), "RU", ("is_hosting_provider",)),
    (IP4("198.18.12.0/23"), "RU", ("is_hosting_provider",)),
    (IP4("198.18.14.0/23"), "RU", ("is_anonymous_vpn", "is_hosting_provider")),
    (IP4("240.0.0.0/12"), "US", ("is_hosting_provider",)),
    (ANYCAST, "US", ()),
    (IP4("240.16.0.0/12"), "DE", ("is_hosting_provider",)),
    (IP4("240.32.0.0/12"), "US", ("is_hosting_provider",)),
    (IP4("240.48.0.0/12"), "SG", ("is_hosting_provider",)),
    (IP6("2001:db8:100::/40"), "NL", ()),
    (IP6("2001:db8:200::/40"), "US", ("is_hosting_provider",)),
    (IP6("2001:db8:300::/48"), "NL", ("is_hosting_provider",)),
]

# Data types of the MaxMind DB format 2.0 used here.
MMDB_UTF8, MMDB_UINT16, MMDB_UINT32, MMDB_MAP = 2, 5, 6, 7
MMDB_UINT64, MMDB_ARRAY, MMDB_BOOLEAN = 9, 11, 14


def mmdb_control(kind, size):
    """The control byte(s) of a field: type (extended above 7) and size."""
    if size < 29:
        first, extra = size, b""
    elif size < 285:
        first, extra = 29, bytes([size - 29])
    else:
        first, extra = 30, (size - 285).to_bytes(2, "big")
    if kind <= 7:
        return bytes([(kind << 5) | first]) + extra
    return bytes([first, kind - 7]) + extra


def mmdb_uint(kind, n):
    raw = n.to_bytes(8, "big").lstrip(b"\0")
    return mmdb_control(kind, len(raw)) + raw


def mmdb_encode(value):
    """Strings, booleans, uint32 (ints), maps (sorted keys) and lists."""
    if isinstance(value, bool):
        return mmdb_control(MMDB_BOOLEAN, int(value))
    if isinstance(value, int):
        return mmdb_uint(MMDB_UINT32, value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return mmdb_control(MMDB_UTF8, len(raw)) + raw
    if isinstance(value, dict):
        out = mmdb_control(MMDB_MAP, len(value))
        for key in sorted(value):
            out += mmdb_encode(key) + mmdb_encode(value[key])
        return out
    if isinstance(value, list):
        return mmdb_control(MMDB_ARRAY, len(value)) + b"".join(mmdb_encode(v) for v in value)
    raise TypeError(value)


def mmdb_key(net):
    """(bits, prefix length) in the IPv6 tree: IPv4 networks under ::/96."""
    if net.version == 4:
        return int(net.network_address), 96 + net.prefixlen
    return int(net.network_address), net.prefixlen


def build_mmdb(networks, database_type, build_epoch, description):
    """A MaxMind DB file (format 2.0): an IPv6 search tree with 24-bit
    records, a 16-byte zero separator, the data section (one record per
    distinct value) and the metadata. Networks must not overlap."""
    nodes = [[None, None]]          # None: empty; ("node", i); ("data", offset)
    data = b""
    offsets = {}
    for net, value in networks:
        encoded = mmdb_encode(value)
        if encoded not in offsets:
            offsets[encoded] = len(data)
            data += encoded
        bits, length = mmdb_key(net)
        node = 0
        for depth in range(length):
            bit = (bits >> (127 - depth)) & 1
            if depth + 1 == length:
                assert nodes[node][bit] is None, net
                nodes[node][bit] = ("data", offsets[encoded])
                break
            rec = nodes[node][bit]
            if rec is None:
                nodes.append([None, None])
                rec = nodes[node][bit] = ("node", len(nodes) - 1)
            assert rec[0] == "node", net
            node = rec[1]
    count = len(nodes)
    tree = bytearray()
    for pair in nodes:
        for rec in pair:
            if rec is None:
                v = count
            elif rec[0] == "node":
                v = rec[1]
            else:
                v = count + 16 + rec[1]
            tree += v.to_bytes(3, "big")
    meta = mmdb_control(MMDB_MAP, 9)
    for key, field in [
        ("binary_format_major_version", mmdb_uint(MMDB_UINT16, 2)),
        ("binary_format_minor_version", mmdb_uint(MMDB_UINT16, 0)),
        ("build_epoch", mmdb_uint(MMDB_UINT64, build_epoch)),
        ("database_type", mmdb_encode(database_type)),
        ("description", mmdb_encode({"en": description})),
        ("ip_version", mmdb_uint(MMDB_UINT16, 6)),
        ("languages", mmdb_encode(["en"])),
        ("node_count", mmdb_uint(MMDB_UINT32, count)),
        ("record_size", mmdb_uint(MMDB_UINT16, 24)),
    ]:
        meta += mmdb_encode(key) + field
    return bytes(tree) + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta


def build_geo_mmdb():
    """The MMDB networks: a network holding a more-specific one of the
    list is cut into the CIDRs around it (the tree's leaves cannot nest)."""
    networks = []
    for net, cc, flags in MMDB_NETWORKS:
        value = {"country": {"iso_code": cc}}
        for flag in flags:
            value[flag] = True
        pieces = [net]
        for inner, _, _ in MMDB_NETWORKS:
            if inner != net and inner.version == net.version and inner.subnet_of(net):
                pieces = [q for p in pieces
                          for q in (p.address_exclude(inner) if inner.subnet_of(p) else [p])]
        networks.extend((p, value) for p in sorted(pieces))
    return build_mmdb(
        networks, MMDB_DATABASE_TYPE, epoch(MMDB_BUILD_TIME),
        "Synthetic geolocation and Anonymous-IP data (bphscore default world); "
        "reserved space only; CC0 1.0")


GEO_FORMATS = [
    (MMDB_NAME,
     "MaxMind DB (binary, format 2.0; IPv6 tree with IPv4 under `::/96`, 24-bit "
     "records, `build_epoch` 2026-11-01T00:00:00Z), GeoIP2 Country and Anonymous-IP "
     "fields in one database: `country.iso_code` and the flags `is_hosting_provider` "
     "and `is_anonymous_vpn`. AS64502 (registered SC) is geolocated in NL "
     "(198.18.0.0/21, 2001:db8:300::/48) and RU (198.18.8.0/21), all of it hosting, "
     "198.18.14.0/23 an anonymous VPN; the cloud is hosting in US, DE and SG (four "
     "/12s, and its IPv6 /40 in US) except its anycast DNS range 240.1.2.0/24 "
     "(US, not hosting); the ISP is in NL, not hosting. Written by "
     "`build_mmdb` in `generate.py`."),
]


# ---------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------

def check_world():
    for n in NETWORKS:
        assert doc_asn(n["asn"]), n
        for p in n["v4"] + n["v6"]:
            assert in_doc_space(p), p
    for p, origin in PFX2AS_V4 + PFX2AS_V6:
        assert in_doc_space(p), p
        assert all(doc_asn(int(a)) for a in origin.split("_")), origin
    for p, _, _ in DROP_V4 + DROP_V6:
        assert in_doc_space(p), p
    assert in_doc_space(UNROUTED)
    for date in HISTORY_DATES:
        for p, origin in pfx2as_history_v4(date):
            assert in_doc_space(p), p
            assert all(doc_asn(int(a)) for a in origin.split("_")), origin
    for date in AS_REL_DATES:
        for a, b, _ in AS_REL_STABLE + AS_REL_MOVING[date]:
            assert doc_asn(a) and doc_asn(b), (a, b)
    assert in_doc_space(ANYCAST)
    for p, _, _ in MMDB_NETWORKS:
        assert in_doc_space(p), p


def check_non_overlapping(nets, what):
    for a, b in zip(nets, nets[1:]):
        assert int(a.broadcast_address) < int(b.network_address), (what, a, b)


def main():
    check_world()
    rng = random.Random(SEED)

    files = {}
    asn4, asn4_nets = build_asn_csv(4)
    asn6, asn6_nets = build_asn_csv(6)
    cc4, cc4_nets = build_country_csv(4)
    cc6, cc6_nets = build_country_csv(6)
    for nets, what in ((asn4_nets, "asn4"), (asn6_nets, "asn6"),
                       (cc4_nets, "cc4"), (cc6_nets, "cc6")):
        check_non_overlapping(nets, what)
    files["asn-ipv4-20261101.csv"] = asn4
    files["asn-ipv6-20261101.csv"] = asn6
    files["country-ipv4-20261101.csv"] = cc4
    files["country-ipv6-20261101.csv"] = cc6
    files["routeviews-rv2-20261101-1200.pfx2as"] = build_pfx2as(PFX2AS_V4)
    files["routeviews-rv6-20261101-1200.pfx2as"] = build_pfx2as(PFX2AS_V6)
    for date in HISTORY_DATES:
        files["routeviews-rv2-%s-1200.pfx2as" % date] = build_pfx2as(pfx2as_history_v4(date))
        files["routeviews-rv6-%s-1200.pfx2as" % date] = build_pfx2as(PFX2AS_V6)
    for date in AS_REL_DATES:
        files["%s.as-rel.txt" % date] = build_as_rel(date)
    files["protected-ranges.txt"] = build_protected()
    files["drop_v4.json"] = build_drop_json(DROP_V4)
    files["drop_v6.json"] = build_drop_json(DROP_V6)
    files["drop.txt"] = build_drop_txt()
    files["asndrop.json"] = spamhaus_json(ASN_DROP)

    listing_rows = []
    fh = {}
    for version, plan in ((4, FIREHOL_V4_PLAN), (6, FIREHOL_V6_PLAN)):
        all_ips = set()
        for label, space, exclude, count, must, must_not in plan:
            ips = pick_ips(rng, space, exclude, count, must, must_not)
            assert not (ips & all_ips)
            all_ips |= ips
        nets = aggregate(all_ips)
        fh[version] = nets
        assert sum(n.num_addresses for n in nets) == len(all_ips)
        for label, space, exclude, count, _, _ in plan:
            got = count_in(nets, space, exclude)
            assert got == count, (label, got, count)
            lines = sum(1 for n in nets if n.subnet_of(space)
                        and not (exclude is not None and n.subnet_of(exclude)))
            where = str(space) + (" minus %s" % exclude if exclude else "")
            listing_rows.append(("%s (%s)" % (label, where), "IPv%d" % version, got, lines))
    files["firehol_abusers.netset"] = build_netset("firehol_abusers", 4, fh[4])
    files["firehol_abusers_v6.netset"] = build_netset("firehol_abusers_v6", 6, fh[6])
    files["ripe-20261101.db"] = build_rpsl()
    files["arin_db-20261101.txt"] = build_arin()
    files["delegated-ripencc-extended-20261101"] = build_delegated()
    files.update(build_timed(random.Random(SEED + 1)))
    files[MMDB_NAME] = build_geo_mmdb()
    files["queries.txt"] = "".join(q + "\n" for q in QUERIES)

    pfx = PFX2AS_V4 + PFX2AS_V6
    drop = [p for p, _, _ in DROP_V4 + DROP_V6] + [p for p, _ in DROP_LEGACY]
    query_rows = [query_facts(q, fh[4] + fh[6], pfx, drop) for q in QUERIES]

    # The time-aware sources go before the queries in the README's table.
    FORMATS[len(FORMATS) - 1:len(FORMATS) - 1] = TIMED_FORMATS + GEO_FORMATS
    names = [f for f, _ in FORMATS]
    assert sorted(names) == sorted(files), "FORMATS and files disagree"
    hashes, line_counts = [], {}
    for name in names:
        data = files[name]
        binary = isinstance(data, bytes)
        if not binary:
            data = data.encode("ascii")
        with open(os.path.join(OUT_DIR, name), "wb") as fp:
            fp.write(data)
        hashes.append((name, hashlib.sha256(data).hexdigest()))
        line_counts[name] = "- (%d bytes)" % len(data) if binary else data.count(b"\n")
    readme = build_readme(hashes, listing_rows, query_rows, line_counts)
    with open(os.path.join(OUT_DIR, "README.md"), "wb") as fp:
        fp.write(readme.encode("utf-8"))

    for name, h in hashes:
        sys.stdout.write("%s  %s\n" % (h, name))


if __name__ == "__main__":
    main()
