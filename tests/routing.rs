//! Routing dynamics (dated prefix2as and AS-relationship series), guard
//! rails for cloud, CDN and anycast ranges, and MMDB geolocation: through
//! the library and the command line.

#[path = "support/mmdb_writer.rs"]
mod mmdb_writer;

use std::path::Path;
use std::process::Command;

use bphscore::export::{Export, Selection};
use bphscore::features::Feature;
use bphscore::source::Format;
use bphscore::{Class, Detector, SnapshotBuilder};
use mmdb_writer::{Value, map};

#[path = "support/handset.rs"]
mod handset;
use handset::{HANDSET, handset};

const T: i64 = 1_794_470_400;

fn detector(b: SnapshotBuilder) -> Detector {
    Detector::new(b.build().unwrap(), handset())
}

// ---- the default world's history ----

#[test]
fn the_bulletproof_as_rewires_churns_and_leans_on_lax_upstreams() {
    let d = Detector::default_world().unwrap();
    let bph = d.score(&"AS64502".parse().unwrap());
    let f = |x: Feature| bph.features.get(x);
    assert_eq!(f(Feature::BgpUpstreams), 4.0);
    assert_eq!(f(Feature::BgpRewiring), 6.0);
    assert_eq!(f(Feature::BgpLaxUpstreams), 0.5);
    // 5/6, 3/5 and 2/4 of its prefixes changed at each step.
    assert!((f(Feature::BgpChurn) - (5.0 / 6.0 + 0.6 + 0.5) / 3.0).abs() < 1e-6);
    // 6 of its 8 announcement runs lasted about a month.
    assert_eq!(f(Feature::BgpShortLived), 0.75);
    assert_eq!(f(Feature::BgpSmallPrefixShare), 0.5);
    let rewiring = bph
        .reasons
        .iter()
        .find(|r| r.feature == Feature::BgpRewiring)
        .expect("rewiring among the reasons");
    assert!(
        rewiring
            .explain()
            .contains("changed upstream providers 6 time(s)")
    );
    assert!(
        rewiring.explain().contains("20261101.as-rel.txt"),
        "{}",
        rewiring.explain()
    );

    // The rebrand moved with it: both its upstreams carry the listed AS.
    let rebrand = d.score(&"AS64505".parse().unwrap());
    assert_eq!(rebrand.features.get(Feature::BgpLaxUpstreams), 1.0);
    assert_eq!(rebrand.features.get(Feature::BgpRewiring), 2.0);
    // Appearing in October is not churn.
    assert_eq!(rebrand.features.get(Feature::BgpChurn), 0.0);

    // Stable networks have none of it.
    for asn in ["AS64500", "AS64501"] {
        let s = d.score(&asn.parse().unwrap());
        for x in [
            Feature::BgpRewiring,
            Feature::BgpLaxUpstreams,
            Feature::BgpChurn,
            Feature::BgpShortLived,
        ] {
            assert_eq!(s.features.get(x), 0.0, "{asn} {x}");
        }
    }
    let cloud = d.score(&"AS64501".parse().unwrap());
    assert_eq!(cloud.features.get(Feature::BgpUpstreams), 2.0);
}

#[test]
fn the_latest_snapshot_is_the_current_routing_whatever_the_order() {
    let mut b = SnapshotBuilder::new().build_time(T);
    b.add_dated(
        "rv2-20261101.pfx2as",
        None,
        &b"198.18.0.0\t24\t64502\n"[..],
        None,
    )
    .unwrap();
    b.add_dated(
        "rv2-20261001.pfx2as",
        None,
        &b"198.18.0.0\t20\t64502\n"[..],
        None,
    )
    .unwrap();
    let d = detector(b);
    assert_eq!(
        d.score(&"198.18.0.1".parse().unwrap()).asn.map(|a| a.get()),
        Some(64502)
    );
    assert_eq!(
        d.score(&"198.18.1.1".parse().unwrap()).class,
        Class::Unknown
    );
    let s = d.score(&"AS64502".parse().unwrap());
    assert_eq!(s.features.get(Feature::BgpChurn), 1.0);
}

#[test]
fn series_files_need_a_date_and_name_their_bad_lines() {
    let mut b = SnapshotBuilder::new();
    let err = b
        .add_dated("routes.pfx2as", None, &b"198.18.0.0\t20\t1\n"[..], None)
        .unwrap_err();
    assert!(err.to_string().contains("routes.pfx2as"), "{err}");
    assert!(err.to_string().contains("date"), "{err}");
    // Given a date, it is accepted.
    b.add_dated("routes.pfx2as", None, &b"198.18.0.0\t20\t1\n"[..], Some(T))
        .unwrap();
    // An undated AS-relationship file given as a plain source is refused too.
    let err = b
        .add_reader("as-rel.txt", None, &b"64500|64502|-1\n"[..])
        .unwrap_err();
    assert!(err.to_string().contains("date"), "{err}");

    let rel = "# header\n64500|64502|-1\n64500|64502|2\n64500|64503|0|bgp\n";
    let err = SnapshotBuilder::new()
        .add_reader("20261101.as-rel.txt", None, rel.as_bytes())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "20261101.as-rel.txt:3: unknown relationship \"2\"; expected -1 or 0"
    );
    let mut lenient = SnapshotBuilder::new().lenient(true);
    let info = lenient
        .add_reader("20261101.as-rel.txt", None, rel.as_bytes())
        .unwrap()
        .clone();
    assert_eq!(
        (info.format, info.records, info.skipped),
        (Format::AsRel, 2, 1)
    );
    // Something else is not a series.
    let err = SnapshotBuilder::new()
        .add_dated("x-20261101.netset", None, &b"192.0.2.1\n"[..], None)
        .unwrap_err();
    assert!(err.to_string().contains("dated series"), "{err}");
}

// ---- guard rails ----

/// An AS whose only listed space is one anycast /24 (two listings of /25s
/// from two feeds), with or without that /24 under guard rails.
fn anycast_world(protect: bool) -> Detector {
    let mut b = SnapshotBuilder::new().build_time(T);
    b.add_reader("r.pfx2as", None, &b"198.18.0.0\t22\t64501\n"[..])
        .unwrap();
    b.add_reader("a.netset", None, &b"198.18.1.0/25\n"[..])
        .unwrap();
    b.add_reader("b.netset", None, &b"198.18.1.128/25\n"[..])
        .unwrap();
    b.add_reader("drop.txt", None, &b"198.18.1.0/24 ; SBL600099\n"[..])
        .unwrap();
    if protect {
        b.add_protected(
            "anycast.txt",
            &b"# anycast\n198.18.1.0/24 ; anycast DNS\n"[..],
        )
        .unwrap();
    }
    detector(b)
}

#[test]
fn a_protected_range_never_makes_its_as_bulletproof() {
    let open = anycast_world(false);
    let guarded = anycast_world(true);
    let asn = "AS64501".parse().unwrap();
    let ip = "198.18.1.5".parse().unwrap();
    // Unprotected, a quarter of the AS listed and on DROP condemns it.
    assert_eq!(open.score(&asn).class, Class::Bulletproof);
    assert!(matches!(
        open.score(&ip).class,
        Class::Bulletproof | Class::BphReseller
    ));
    // Protected, the AS's evidence leaves the range out...
    let s = guarded.score(&asn);
    assert_eq!(s.features.get(Feature::AsAbuseDensity), 0.0);
    assert_eq!(s.features.get(Feature::AsDropShare), 0.0);
    assert_eq!(s.class, Class::Clean);
    // ...and the range itself is abused-legitimate at most, with the guard
    // among its reasons.
    let s = guarded.score(&ip);
    assert_eq!(s.class, Class::AbusedLegitimate);
    let guard = s
        .reasons
        .iter()
        .find(|r| r.feature == Feature::GuardProtected)
        .expect("guard reason");
    assert!(
        guard.explain().contains("anycast.txt"),
        "{}",
        guard.explain()
    );
    // Unlisted space of the AS is clean.
    assert_eq!(
        guarded.score(&"198.18.2.1".parse().unwrap()).class,
        Class::Clean
    );
}

#[test]
fn a_protected_range_is_exported_no_wider_than_its_listings() {
    let sel = Selection::default().min_class(Class::AbusedLegitimate);
    let cidrs = |d: &Detector| -> Vec<String> {
        Export::select(d, sel)
            .cidrs()
            .iter()
            .map(|n| n.to_string())
            .collect()
    };
    // Unprotected: the two listed halves merge into the /24 (and beyond,
    // as the whole AS is selected).
    assert!(cidrs(&anycast_world(false)).contains(&"198.18.0.0/22".to_owned()));
    // Protected: each listed /25 on its own.
    assert_eq!(
        cidrs(&anycast_world(true)),
        vec!["198.18.1.0/25".to_owned(), "198.18.1.128/25".to_owned()]
    );
}

#[test]
fn a_bad_guard_rail_line_names_its_file_and_line() {
    let err = SnapshotBuilder::new()
        .add_protected("cdn.txt", &b"198.18.1.0/24\n198.18.1.1/24\n"[..])
        .unwrap_err();
    assert!(err.to_string().starts_with("cdn.txt:2: "), "{err}");
}

// ---- MMDB ----

fn geo_mmdb() -> Vec<u8> {
    mmdb_writer::write(
        "GeoIP2-Anonymous-IP-and-Country-Test",
        1_794_400_000,
        &[
            (
                "198.18.0.0/24",
                map([
                    ("country", map([("iso_code", Value::Str("SC".into()))])),
                    ("is_hosting_provider", Value::Bool(true)),
                ]),
            ),
            (
                "198.18.1.0/24",
                map([
                    ("country_code", Value::Str("NL".into())),
                    ("is_anonymous_vpn", Value::Bool(true)),
                    ("is_tor_exit_node", Value::Bool(false)),
                ]),
            ),
            (
                "2001:db8:600::/48",
                map([
                    ("autonomous_system_number", Value::U32(64504)),
                    (
                        "autonomous_system_organization",
                        Value::Str("EXAMPLE-SMALLHOST".into()),
                    ),
                ]),
            ),
        ],
    )
}

#[test]
fn our_mmdb_writer_is_read_by_maxminddb() {
    let bytes = geo_mmdb();
    let reader = maxminddb::Reader::from_source(&bytes[..]).unwrap();
    let r = reader.lookup("198.18.0.9".parse().unwrap()).unwrap();
    assert_eq!(r.network().unwrap().to_string(), "198.18.0.0/24");
    assert!(r.has_data());
    assert_eq!(reader.metadata().build_epoch, 1_794_400_000);
}

#[test]
fn mmdb_countries_flags_and_origins() {
    let mut b = SnapshotBuilder::new().build_time(T);
    b.add_reader("r.pfx2as", None, &b"198.18.0.0\t23\t64502\n"[..])
        .unwrap();
    b.add_reader("country.csv", None, &b"198.18.0.0,198.18.1.255,NL\n"[..])
        .unwrap();
    let info = b
        .add_mmdb("anon-20261116.mmdb", &geo_mmdb())
        .unwrap()
        .clone();
    assert_eq!(info.format, Format::Mmdb);
    assert_eq!(info.records, 3);
    assert_eq!(info.date, Some(1_794_400_000));
    let d = detector(b);
    let s = d.score(&"198.18.0.5".parse().unwrap());
    assert_eq!(s.features.get(Feature::GeoCountryMismatch), 1.0);
    assert_eq!(s.features.get(Feature::GeoHosting), 1.0);
    assert_eq!(s.features.get(Feature::GeoAnonymiser), 0.0);
    let reason = s
        .reasons
        .iter()
        .find(|r| r.feature == Feature::GeoCountryMismatch)
        .expect("mismatch reason");
    assert!(
        reason.explain().contains("anon-20261116.mmdb"),
        "{}",
        reason.explain()
    );
    let s = d.score(&"198.18.1.5".parse().unwrap());
    assert_eq!(s.features.get(Feature::GeoCountryMismatch), 0.0);
    assert_eq!(s.features.get(Feature::GeoAnonymiser), 1.0);
    // Half the prefix is flagged as hosting.
    let p = d.score(&"198.18.0.0/23".parse().unwrap());
    assert_eq!(p.features.get(Feature::GeoHosting), 0.5);
    let a = d.score(&"AS64502".parse().unwrap());
    assert_eq!(a.features.get(Feature::GeoAsCountries), 2.0);
    // The ASN record routes its network.
    let v6 = d.score(&"2001:db8:600::1".parse().unwrap());
    assert_eq!(v6.asn.map(|a| a.get()), Some(64504));
    assert_eq!(v6.as_name, Some("EXAMPLE-SMALLHOST"));
}

#[test]
fn a_broken_mmdb_is_refused_with_its_name() {
    let mut bytes = geo_mmdb();
    // Cut inside the search tree.
    bytes.drain(10..40);
    for lenient in [false, true] {
        let err = SnapshotBuilder::new()
            .lenient(lenient)
            .add_mmdb("GeoLite2-Country.mmdb", &bytes)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("GeoLite2-Country.mmdb"),
            "{err}"
        );
    }
    let err = SnapshotBuilder::new()
        .add_reader("x.mmdb", None, &b"\0\0\0"[..])
        .unwrap_err();
    assert!(err.to_string().contains("MMDB"), "{err}");
}

// ---- the command line ----

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bphscore"))
}

fn write(dir: &Path, name: &str, text: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn build_with_series_guard_rails_and_mmdb_then_explain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let older = write(
        d,
        "routeviews-rv2-20261001-1200.pfx2as",
        b"198.18.0.0\t21\t64502\n198.18.12.0\t24\t64502\n",
    );
    let undated = write(
        d,
        "rv2-latest.pfx2as",
        b"198.18.0.0\t20\t64502\n240.0.0.0\t16\t64501\n",
    );
    let rel1 = write(
        d,
        "20261001.as-rel.txt",
        b"# x\n65537|64502|-1\n65538|64501|-1\n",
    );
    let rel2 = write(
        d,
        "20261101.as-rel.txt",
        b"65539|64502|-1\n65538|64501|-1\n",
    );
    let protect = write(d, "anycast.txt", b"240.0.1.0/24 ; anycast\n");
    let listed = write(d, "abuse.netset", b"198.18.3.0/24\n240.0.1.0/24\n");
    let mmdb = write(d, "geo.mmdb", &geo_mmdb());
    let out = d.join("w.bph");
    let run = bin()
        .args([
            "build",
            "--build-time",
            &T.to_string(),
            "--date",
            "2026-11-01",
        ])
        .arg("--pfx2as")
        .arg(&older)
        .arg("--pfx2as")
        .arg(&undated)
        .arg("--as-rel")
        .arg(&rel1)
        .arg("--as-rel")
        .arg(&rel2)
        .arg("--protect")
        .arg(&protect)
        .arg("--abuse")
        .arg(&listed)
        .arg("--mmdb")
        .arg(&mmdb)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("read rv2-latest.pfx2as (pfx2as, routing): 2 records, dated 2026-11-01"),
        "{stderr}"
    );
    assert!(
        stderr.contains("read geo.mmdb (mmdb, geo): 3 records"),
        "{stderr}"
    );
    let score = |q: &str| {
        let o = bin()
            .args([
                "score",
                "-",
                "--explain",
                "--format",
                "jsonl",
                "--model",
                HANDSET,
            ])
            .arg("--snapshot")
            .arg(&out)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(q.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let bph = score("AS64502\n");
    assert!(bph.contains("bgp_rewiring"), "{bph}");
    assert!(
        bph.contains("changed upstream providers 2 time(s)"),
        "{bph}"
    );
    let anycast = score("240.0.1.7\n");
    assert!(anycast.contains("abused-legitimate"), "{anycast}");
    assert!(anycast.contains("guard_protected"), "{anycast}");

    // Without --date, the undated snapshot is refused, naming it and the flag.
    let run = bin()
        .arg("build")
        .arg("--pfx2as")
        .arg(&undated)
        .arg("-o")
        .arg(d.join("x.bph"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr.contains("rv2-latest.pfx2as") && stderr.contains("--pfx2as"),
        "{stderr}"
    );
    assert!(!d.join("x.bph").exists());
}

// ---- leasing ----

#[test]
fn space_announced_by_another_organisation_than_its_holder_is_leased() {
    let rpsl = "\
organisation:   ORG-BR1-TEST
org-name:       Example Address Broker
country:        NL
source:         RIPE

organisation:   ORG-LS1-TEST
org-name:       Example Lessee Hosting
country:        SC
source:         RIPE

aut-num:        AS64509
as-name:        EXAMPLE-BROKER
org:            ORG-BR1-TEST
source:         RIPE

aut-num:        AS64510
as-name:        EXAMPLE-LESSEE
org:            ORG-LS1-TEST
source:         RIPE

inetnum:        198.18.0.0 - 198.18.3.255
netname:        BROKER-NET
country:        NL
org:            ORG-BR1-TEST
status:         ALLOCATED PA
source:         RIPE
";
    let mut b = SnapshotBuilder::new().build_time(T);
    b.add_reader(
        "r.pfx2as",
        None,
        &b"198.18.0.0\t24\t64510\n198.18.1.0\t24\t64509\n"[..],
    )
    .unwrap();
    b.add_reader("ripe.db", None, rpsl.as_bytes()).unwrap();
    let d = detector(b);
    let leased = d.score(&"198.18.0.1".parse().unwrap());
    assert_eq!(leased.features.get(Feature::BgpLeased), 1.0);
    let reason = leased
        .reasons
        .iter()
        .find(|r| r.feature == Feature::BgpLeased)
        .expect("leasing reason");
    assert!(reason.explain().contains("leased"), "{}", reason.explain());
    assert_eq!(
        d.score(&"198.18.1.1".parse().unwrap())
            .features
            .get(Feature::BgpLeased),
        0.0
    );
    // Half of the allocation is leased.
    let p = d.score(&"198.18.0.0/23".parse().unwrap());
    assert_eq!(p.features.get(Feature::BgpLeased), 0.5);
}

// ---- MRT RIB dumps (feature `mrt`) ----

/// A TABLE_DUMP_V2 RIB dump written by bgpkit-parser's own encoder: three
/// peers; AS64502 seen through AS65537 and AS65539, and 198.51.100.0/24
/// originated by two ASes.
#[cfg(feature = "mrt")]
fn rib(timestamp: f64) -> Vec<u8> {
    use bgpkit_parser::encoder::MrtRibEncoder;
    use bgpkit_parser::models::{AsPath, BgpElem, NetworkPrefix};
    let mut enc = MrtRibEncoder::new();
    let entries: [(&str, u32, &str, &[u32]); 4] = [
        ("192.0.2.1", 64496, "198.18.0.0/20", &[64496, 65537, 64502]),
        ("192.0.2.2", 64497, "198.18.0.0/20", &[64497, 65539, 64502]),
        ("192.0.2.1", 64496, "198.51.100.0/24", &[64496, 65536]),
        ("192.0.2.2", 64497, "198.51.100.0/24", &[64497, 64504]),
    ];
    for (peer, peer_asn, prefix, path) in entries {
        let elem = BgpElem {
            timestamp,
            peer_ip: peer.parse().unwrap(),
            peer_asn: peer_asn.into(),
            prefix: prefix.parse::<NetworkPrefix>().unwrap(),
            as_path: Some(AsPath::from_sequence(path)),
            ..Default::default()
        };
        enc.process_elem(&elem).unwrap();
    }
    enc.export_bytes().unwrap().to_vec()
}

#[cfg(feature = "mrt")]
#[test]
fn a_rib_dump_gives_routes_origins_and_upstreams() {
    let mut b = SnapshotBuilder::new().build_time(T);
    let info = b
        .add_mrt("rib.20261101.0000", &rib(1_793_491_200.0)[..], None)
        .unwrap()
        .clone();
    assert_eq!(info.format, Format::Mrt);
    assert_eq!(info.records, 2);
    assert_eq!(info.date, Some(1_793_491_200));
    let d = detector(b);
    let s = d.score(&"198.18.3.7".parse().unwrap());
    assert_eq!(s.asn.map(|a| a.get()), Some(64502));
    let moas = d.score(&"198.51.100.7".parse().unwrap());
    assert!(moas.multi_origin);
    let bph = d.score(&"AS64502".parse().unwrap());
    assert_eq!(bph.features.get(Feature::BgpUpstreams), 2.0);
    // Gzip'd, the same dump is read the same.
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&rib(1_793_491_200.0)).unwrap();
    let gz = gz.finish().unwrap();
    let mut b = SnapshotBuilder::new();
    assert_eq!(b.add_mrt("rib.gz", &gz[..], None).unwrap().records, 2);
    // Garbage is an error naming the file, never a panic.
    let err = SnapshotBuilder::new()
        .add_mrt("rib.bad", &b"\x00\x00\x00\x01garbage"[..], None)
        .map(|i| i.records);
    if let Err(e) = err {
        assert!(e.to_string().starts_with("rib.bad"), "{e}");
    }
}

// ---- CAIDA AS2org ----

#[test]
fn as2org_names_ases_and_tells_holders_apart() {
    let as2org = "\
# name: AS Org (synthetic)
# format:aut|changed|aut_name|org_id|opaque_id|source
64509|20260101|EXAMPLE-BROKER|ORG-BR1-TEST|opq-1|RIPE
64510|20260101|EXAMPLE-LESSEE|ORG-LS1-TEST|opq-2|RIPE
# format:org_id|changed|name|country|source
ORG-BR1-TEST|20260101|Example Address Broker|NL|RIPE
ORG-LS1-TEST|20260101|Example Lessee Hosting|SC|RIPE
";
    let rpsl = "\
inetnum:        198.18.0.0 - 198.18.3.255
netname:        BROKER-NET
country:        NL
org:            ORG-BR1-TEST
status:         ALLOCATED PA
source:         RIPE
";
    let mut b = SnapshotBuilder::new().build_time(T);
    b.add_reader(
        "r.pfx2as",
        None,
        &b"198.18.0.0\t24\t64510\n198.18.1.0\t24\t64509\n"[..],
    )
    .unwrap();
    let info = b
        .add_reader("20260101.as-org2info.txt", None, as2org.as_bytes())
        .unwrap()
        .clone();
    assert_eq!((info.format, info.records), (Format::As2org, 4));
    b.add_reader("ripe.db", None, rpsl.as_bytes()).unwrap();
    let d = detector(b);
    let s = d.score(&"198.18.0.1".parse().unwrap());
    assert_eq!(s.as_name, Some("EXAMPLE-LESSEE"));
    assert_eq!(s.features.get(Feature::BgpLeased), 1.0);
    let s = d.score(&"198.18.1.1".parse().unwrap());
    assert_eq!(s.features.get(Feature::BgpLeased), 0.0);

    let err = SnapshotBuilder::new()
        .add_reader(
            "x.as-org2info.txt",
            Some(Format::As2org),
            &b"# format:aut|changed|aut_name|org_id|opaque_id|source\n64509|2026|N|O|q|RIPE\n"[..],
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.as-org2info.txt:2: invalid date \"2026\"; expected YYYYMMDD"
    );
}

#[test]
fn the_as2org_fixture_is_read_whole_and_dated_by_its_name() {
    let bytes = include_bytes!("../testdata/routing/20261101.as-org2info.txt");
    let mut b = SnapshotBuilder::new().build_time(T);
    let info = b
        .add_reader("20261101.as-org2info.txt", None, &bytes[..])
        .unwrap()
        .clone();
    assert_eq!(
        (info.format, info.records, info.skipped),
        (Format::As2org, 8, 0)
    );
    assert_eq!(info.date_text(), "2026-11-01T00:00:00Z");
}

// ---- MaxMind's official test databases (fetched by scripts/fetch-real-data.sh) ----

/// Reads MaxMind's own test databases when `scripts/fetch-real-data.sh`
/// has put them in `data/maxmind-test/` (skips otherwise): the real
/// Anonymous-IP, Country and ASN schemas, and the broken ones refused.
#[test]
fn maxmind_official_test_databases_when_fetched() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/maxmind-test");
    let anon = dir.join("GeoIP2-Anonymous-IP-Test.mmdb");
    if !anon.exists() {
        eprintln!("skipped: run scripts/fetch-real-data.sh to fetch MaxMind's test databases");
        return;
    }
    let mut b = SnapshotBuilder::new().build_time(T);
    // Flags count on known (routed) space: route everything.
    b.add_reader(
        "all.pfx2as",
        None,
        &b"0.0.0.0\t0\t64496\n::\t0\t64496\n"[..],
    )
    .unwrap();
    let info = b.add_path(&anon, None).unwrap().clone();
    assert_eq!(info.format, Format::Mmdb);
    assert!(info.records > 0);
    for name in ["GeoIP2-Country-Test.mmdb", "GeoLite2-ASN-Test.mmdb"] {
        let info = b.add_path(dir.join(name), None).unwrap().clone();
        assert!(info.records > 0, "{name}");
    }
    let snapshot = b.build().unwrap();
    // Some cells carry the Anonymous-IP flags: scoring every interval
    // finds hosting and anonymiser space.
    let d = Detector::new(snapshot, handset());
    let (mut hosting, mut anonymiser) = (0, 0);
    for r in d.snapshot().intervals_v4() {
        let s = d.score_ip(std::net::IpAddr::V4(*r.start()));
        hosting += usize::from(s.features.get(Feature::GeoHosting) > 0.0);
        anonymiser += usize::from(s.features.get(Feature::GeoAnonymiser) > 0.0);
    }
    assert!(hosting > 0 && anonymiser > 0, "{hosting} {anonymiser}");
    // A database with a broken search tree is refused with its name.
    let broken = dir.join("MaxMind-DB-test-broken-search-tree-24.mmdb");
    if broken.exists() {
        let mut b = SnapshotBuilder::new();
        if let Err(e) = b.add_path(&broken, None) {
            assert!(e.to_string().contains("broken-search-tree"), "{e}");
        }
    }
}
