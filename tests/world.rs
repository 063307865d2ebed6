//! The default world end to end: golden outputs, rankings, round trips.
//!
//! Golden files live in `testdata/golden/`. When a change is meant to alter
//! them, regenerate with `BPHSCORE_BLESS=1 cargo test --test world` and say
//! why in the commit.

use std::path::Path;

use bphscore::batch::{self, BatchOptions, OutputFormat};
use bphscore::{Asn, Class, Detector, Model, Snapshot, SnapshotBuilder, Subject};

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/golden")
        .join(name);
    if std::env::var_os("BPHSCORE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with BPHSCORE_BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  expected {a}\n  actual   {b}", i + 1))
            .collect();
        panic!(
            "{} differs from the output ({} vs {} lines):\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

fn run(detector: &Detector<impl AsRef<[u8]> + Sync>, options: BatchOptions) -> String {
    let mut out = Vec::new();
    batch::score_lines(
        detector,
        bphscore::world::QUERIES.as_bytes(),
        &mut out,
        options,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn golden_csv() {
    let d = Detector::default_world().unwrap();
    golden("world-scores.csv", &run(&d, BatchOptions::default()));
}

#[test]
fn golden_jsonl_explained() {
    let d = Detector::default_world().unwrap();
    golden(
        "world-scores.jsonl",
        &run(
            &d,
            BatchOptions::default()
                .format(OutputFormat::Jsonl)
                .explain(true),
        ),
    );
}

#[test]
fn golden_table_explained() {
    let d = Detector::default_world().unwrap();
    golden(
        "world-scores.txt",
        &run(
            &d,
            BatchOptions::default()
                .format(OutputFormat::Table)
                .explain(true),
        ),
    );
}

#[test]
fn one_row_per_line_in_order() {
    let d = Detector::default_world().unwrap();
    let out = run(&d, BatchOptions::default().chunk_lines(3));
    let rows: Vec<&str> = out.lines().skip(1).collect();
    let queries: Vec<&str> = bphscore::world::QUERIES.lines().collect();
    assert_eq!(rows.len(), queries.len());
    for (i, (row, query)) in rows.iter().zip(&queries).enumerate() {
        assert!(
            row.starts_with(&format!("{},{},", i + 1, query.trim())),
            "row {i}: {row}"
        );
    }
}

/// The default world scored by the former hand-set model, whose weights give
/// every feature a say: for the tests of the reasons' sources and texts.
fn handset_world() -> Detector {
    let model = Model::from_json(
        include_str!("../models/handset.json"),
        "models/handset.json",
    )
    .unwrap();
    Detector::new(bphscore::world::snapshot().unwrap(), model)
}

fn score_of(d: &Detector, s: &str) -> (Class, f64) {
    let sc = d.score(&s.parse::<Subject>().unwrap());
    (sc.class, sc.probability)
}

#[test]
fn bulletproof_above_cloud_above_isp() {
    let d = Detector::default_world().unwrap();
    let (bph_class, bph) = score_of(&d, "AS64502");
    let (cloud_class, cloud) = score_of(&d, "AS64501");
    let (isp_class, isp) = score_of(&d, "AS64500");
    assert_eq!(bph_class, Class::Bulletproof);
    assert_eq!(cloud_class, Class::Clean);
    assert_eq!(isp_class, Class::Clean);
    assert!(bph > cloud && cloud > isp, "{bph} {cloud} {isp}");
}

#[test]
fn cloud_has_most_abuse_by_volume_but_low_density() {
    let d = Detector::default_world().unwrap();
    let cloud = d.score_asn(Asn::new(64501));
    let bph = d.score_asn(Asn::new(64502));
    let density =
        |s: &bphscore::Score<'_>| s.features.get(bphscore::features::Feature::AsAbuseDensity);
    assert!(density(&cloud) < 0.01);
    assert!(density(&bph) > 0.2);
    // The listed-address counts behind it: the cloud has more.
    let snap = d.snapshot();
    let listed = |asn: u32| {
        let s = d.score_asn(Asn::new(asn));
        let ann = 2f64.powf(s.features.get(bphscore::features::Feature::AsLog2Announced)) - 1.0;
        (density(&s) * ann).round()
    };
    assert!(
        listed(64501) > listed(64502),
        "{} {}",
        listed(64501),
        listed(64502)
    );
    assert!(snap.counts().ases >= 6);
}

#[test]
fn bad_customer_block_is_a_reseller_and_its_provider_is_clean() {
    let d = Detector::default_world().unwrap();
    assert_eq!(score_of(&d, "198.18.200.0/24").0, Class::BphReseller);
    assert_eq!(score_of(&d, "198.18.200.200").0, Class::BphReseller);
    assert_eq!(score_of(&d, "198.18.130.5").0, Class::Clean);
    assert_eq!(score_of(&d, "AS64503").0, Class::Clean);
}

#[test]
fn listed_host_in_a_legitimate_network_is_abused_legitimate() {
    let d = Detector::default_world().unwrap();
    assert_eq!(score_of(&d, "240.1.2.3").0, Class::AbusedLegitimate);
    assert_eq!(score_of(&d, "240.32.0.10").0, Class::Clean);
    assert_eq!(
        score_of(&d, "2001:db8:200:17::25").0,
        Class::AbusedLegitimate
    );
}

#[test]
fn reasons_name_their_source_and_date() {
    let d = Detector::default_world().unwrap();
    let s = d.score(&"198.18.3.7".parse().unwrap());
    assert!(!s.reasons.is_empty());
    let drop = s
        .reasons
        .iter()
        .find(|r| r.feature == bphscore::features::Feature::AsnDrop)
        .expect("ASN-DROP is a reason");
    let src = drop.source.expect("with its source");
    assert_eq!(src.name, "asndrop.json");
    assert_eq!(src.date_text(), "2026-11-10T00:00:00Z");
    // Reasons are strongest first.
    assert!(
        s.reasons
            .windows(2)
            .all(|w| w[0].contribution >= w[1].contribution)
    );
}

#[test]
fn matched_prefix_origin_name_and_country() {
    let d = Detector::default_world().unwrap();
    let s = d.score_ip("198.18.200.10".parse().unwrap());
    assert_eq!(s.prefix.unwrap().to_string(), "198.18.200.0/24");
    assert_eq!(s.asn, Some(Asn::new(64503)));
    assert_eq!(s.as_name, Some("EXAMPLE-HOSTING"));
    assert_eq!(s.country.unwrap().as_str(), "DE");
    let s = d.score_ip("198.51.100.7".parse().unwrap());
    assert!(s.multi_origin);
    assert_eq!(s.asn, Some(Asn::new(65536)));
}

#[test]
fn batch_equals_one_by_one() {
    let d = Detector::default_world().unwrap();
    let subjects: Vec<Subject> = bphscore::world::QUERIES
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect();
    let batch = d.score_batch(&subjects);
    assert_eq!(batch.len(), subjects.len());
    for (s, b) in subjects.iter().zip(&batch) {
        assert_eq!(&d.score(s), b);
    }
}

#[test]
fn write_open_round_trip_gives_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.bph");
    let built = bphscore::world::snapshot().unwrap();
    built.write(&path).unwrap();
    let mapped = Detector::new(Snapshot::open(&path).unwrap(), Model::default_model());
    let read = Detector::new(Snapshot::read(&path).unwrap(), Model::default_model());
    let fresh = Detector::default_world().unwrap();
    assert_eq!(mapped.snapshot().as_bytes(), fresh.snapshot().as_bytes());
    for line in bphscore::world::QUERIES.lines() {
        let Ok(s) = line.parse::<Subject>() else {
            continue;
        };
        let a = fresh.score(&s);
        assert_eq!(a, mapped.score(&s), "{line}");
        assert_eq!(a, read.score(&s), "{line}");
    }
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("world.bph")]);
}

#[test]
fn builds_are_reproducible() {
    let a = bphscore::world::snapshot().unwrap();
    let b = bphscore::world::snapshot().unwrap();
    assert_eq!(a.as_bytes(), b.as_bytes());
}

#[test]
fn world_files_match_their_readme_hashes() {
    use sha2::{Digest, Sha256};
    let readme = include_str!("../testdata/world/README.md");
    let all = bphscore::world::FILES
        .iter()
        .chain(bphscore::world::GEOLOCATION)
        .chain(bphscore::world::HISTORY)
        .chain(bphscore::world::PROTECTED);
    for (name, bytes) in all {
        let hex: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            readme.contains(&hex),
            "{name}: SHA-256 {hex} is not in testdata/world/README.md"
        );
    }
}

#[test]
fn sources_record_dates_hashes_and_counts() {
    let s = bphscore::world::snapshot().unwrap();
    let by_name = |n: &str| s.sources().iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by_name("drop.txt").date_text(), "2026-11-12T08:00:00Z");
    assert_eq!(
        by_name("firehol_abusers.netset").date_text(),
        "2026-11-11T06:10:00Z"
    );
    assert_eq!(
        by_name("asn-ipv4-20261101.csv").date_text(),
        "2026-11-01T00:00:00Z"
    );
    assert_eq!(by_name("drop_v4.json").records, 2);
    assert_eq!(by_name("firehol_abusers.netset").records, 4001);
    assert_eq!(s.as_of(), Some(bphscore::world::BUILD_TIME));
}

#[test]
fn strict_and_lenient_builds() {
    let feed = "192.0.2.1\nnot-an-address\n192.0.2.3\n";
    let mut strict = SnapshotBuilder::new();
    let err = strict
        .add_reader("bad.netset", None, feed.as_bytes())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad.netset:2: not an IP address or CIDR: \"not-an-address\""
    );
    let mut lenient = SnapshotBuilder::new().lenient(true);
    let info = lenient
        .add_reader("bad.netset", None, feed.as_bytes())
        .unwrap();
    assert_eq!((info.records, info.skipped), (2, 1));
}

#[test]
fn same_source_twice_is_refused() {
    let mut b = SnapshotBuilder::new();
    b.add_reader("a.netset", None, &b"192.0.2.1\n"[..]).unwrap();
    let err = b
        .add_reader("b.netset", None, &b"192.0.2.1\n"[..])
        .unwrap_err();
    assert!(
        err.to_string().contains("same content as a.netset"),
        "{err}"
    );
}

#[test]
fn gzip_sources_are_read_and_hashed_compressed() {
    use std::io::Write;
    let (_, plain) = bphscore::world::FILES[0];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain).unwrap();
    let gz = gz.finish().unwrap();
    let mut b = SnapshotBuilder::new();
    let info = b
        .add_reader("asn-ipv4.csv.gz", None, &gz[..])
        .unwrap()
        .clone();
    assert_eq!(info.format.name(), "iplocation-asn");
    assert_eq!(info.bytes, gz.len() as u64);
    assert_eq!(
        info.records,
        plain.iter().filter(|&&c| c == b'\n').count() as u64
    );
}

// ---- registry data: the reseller block, its provider, the rebrand ----

use bphscore::features::Feature;

/// The default world without its registry sources.
fn world_without_whois() -> Detector {
    let mut b = SnapshotBuilder::new().build_time(bphscore::world::BUILD_TIME);
    for (name, bytes) in bphscore::world::FILES {
        if !(name.starts_with("ripe") || name.starts_with("arin") || name.starts_with("delegated"))
        {
            b.add_reader(name, None, *bytes).unwrap();
        }
    }
    Detector::new(b.build().unwrap(), Model::default_model())
}

#[test]
fn reseller_block_is_classed_by_its_registration_with_whois_reasons() {
    let d = Detector::default_world().unwrap();
    let s = d.score(&"198.18.200.200".parse().unwrap());
    assert_eq!(s.class, Class::BphReseller);
    let f = |x: Feature| s.features.get(x);
    assert_eq!(f(Feature::WhoisReassignedOtherOrg), 1.0);
    assert_eq!(f(Feature::WhoisDepth), 1.0);
    assert_eq!(f(Feature::WhoisCountryMismatch), 1.0);
    assert_eq!(f(Feature::WhoisNoAbuseContact), 1.0);
    // The reseller also holds a reassigned block in AS64501's ARIN space.
    assert_eq!(f(Feature::WhoisOrgProviders), 2.0);
    // Registered 2026-08-03, 101 days before the data date 2026-11-12.
    assert!((f(Feature::WhoisBlockYoung) - (1.0 - 101.0 / 730.0)).abs() < 0.01);
    assert!(f(Feature::WhoisRecentlyModified) > 0.8);
    let whois: Vec<_> = s
        .reasons
        .iter()
        .filter(|r| r.feature.name().starts_with("whois_"))
        .collect();
    assert!(whois.len() >= 2, "{:?}", s.reasons);
    assert_eq!(
        whois[0]
            .source
            .expect("a WHOIS reason names its source")
            .name,
        "ripe-20261101.db"
    );
    // The hand-set model puts the reassignment first among them.
    let handset = handset_world();
    let hs = handset.score(&"198.18.200.200".parse().unwrap());
    assert_eq!(hs.class, Class::BphReseller);
    let whois: Vec<_> = hs
        .reasons
        .iter()
        .filter(|r| r.feature.name().starts_with("whois_"))
        .collect();
    assert_eq!(whois[0].feature, Feature::WhoisReassignedOtherOrg);
    let src = whois[0].source.expect("a WHOIS reason names its source");
    assert_eq!(src.name, "ripe-20261101.db");
    assert!(
        whois[0]
            .explain()
            .contains("sub-allocated or reassigned to another organisation")
    );
    // Without the registry data the unlisted address scores far lower (in
    // log-odds: the timestamped feeds already make it likely without them).
    let plain = world_without_whois();
    let before = plain.score(&"198.18.200.200".parse().unwrap());
    let logit = |p: f64| (p / (1.0 - p)).ln();
    assert!(
        logit(s.probability) > logit(before.probability) + 2.0,
        "{} {}",
        s.probability,
        before.probability
    );
    // The prefix, too, carries WHOIS reasons.
    let p = d.score(&"198.18.200.0/24".parse().unwrap());
    assert_eq!(p.class, Class::BphReseller);
    assert!(
        p.reasons
            .iter()
            .any(|r| r.feature.name().starts_with("whois_")),
        "{:?}",
        p.reasons
    );
    let hp = handset.score(&"198.18.200.0/24".parse().unwrap());
    assert!(
        hp.reasons
            .iter()
            .any(|r| r.feature == Feature::WhoisReassignedOtherOrg)
    );
}

#[test]
fn provider_of_the_reseller_stays_legitimate() {
    let d = Detector::default_world().unwrap();
    for q in [
        "198.18.130.5",
        "AS64503",
        "198.18.128.0/17",
        "2001:db8:400::1",
    ] {
        let s = d.score(&q.parse().unwrap());
        assert!(
            matches!(s.class, Class::Clean | Class::AbusedLegitimate),
            "{q}: {:?}",
            s.class
        );
    }
    // Its customer assignment without an org of its own is the provider's:
    // not another organisation, and the allocation's abuse contact applies.
    let s = d.score(&"198.18.130.5".parse().unwrap());
    assert_eq!(s.features.get(Feature::WhoisReassignedOtherOrg), 0.0);
    assert_eq!(s.features.get(Feature::WhoisNoAbuseContact), 0.0);
    assert_eq!(s.features.get(Feature::WhoisDepth), 1.0);
    assert_eq!(
        d.score_asn(Asn::new(64503))
            .features
            .get(Feature::EntityLinkedListed),
        0.0
    );
}

#[test]
fn rebrand_is_linked_and_inherits_discounted_evidence() {
    let d = Detector::default_world().unwrap();
    let e = bphscore::entity::lookup(d.snapshot(), "AS64505")
        .unwrap()
        .unwrap();
    let asns: Vec<u32> = e.ases.iter().map(|a| a.asn.get()).collect();
    assert_eq!(asns, [64502, 64505]);
    assert!(e.listed);
    let reasons: Vec<_> = e.links.iter().map(|l| l.reason).collect();
    use bphscore::features::LinkReason;
    for r in [
        LinkReason::Maintainer,
        LinkReason::AbuseMailbox,
        LinkReason::OpaqueId,
    ] {
        assert!(reasons.contains(&r), "{reasons:?}");
    }
    let s = d.score_asn(Asn::new(64505));
    assert_eq!(
        s.features.get(Feature::EntityLinkedListed),
        bphscore::features::ENTITY_LINK_DISCOUNT
    );
    assert!(
        s.reasons
            .iter()
            .any(|r| r.feature == Feature::EntityLinkedListed && r.contribution > 1.0),
        "{:?}",
        s.reasons
    );
    // With no listing of its own, the link and its routing make it
    // bulletproof, as its label says.
    assert_eq!(s.class, Class::Bulletproof);
    assert_eq!(s.as_name, Some("EXAMPLE-NEWBRAND"));
    // The listed AS itself carries its own evidence, not the inherited one.
    assert_eq!(
        d.score_asn(Asn::new(64502))
            .features
            .get(Feature::EntityLinkedListed),
        0.0
    );
    // The rebrand's block was transferred (delegated stats after creation);
    // the hand-set model shows it among the reasons.
    let handset = handset_world();
    let b = handset.score(&"198.18.16.9".parse().unwrap());
    assert_eq!(b.features.get(Feature::WhoisRecentTransfer), 1.0);
    let transfer = b
        .reasons
        .iter()
        .find(|r| r.feature == Feature::WhoisRecentTransfer)
        .unwrap();
    assert_eq!(
        transfer.source.unwrap().name,
        "delegated-ripencc-extended-20261101"
    );
    // Inheriting evidence raises it above an unlinked AS of its size.
    assert!(s.probability > d.score_asn(Asn::new(65536)).probability);
    // Without the registry data nothing links it.
    let plain_world = world_without_whois();
    let plain = plain_world.score_asn(Asn::new(64505));
    assert_eq!(plain.features.get(Feature::EntityLinkedListed), 0.0);
    assert!(plain.probability < s.probability);
}

// ---- geolocation: the MMDB file ----

#[test]
fn mmdb_geolocates_the_bulletproof_as_away_from_its_registration() {
    let d = Detector::default_world().unwrap();
    let score = |q: &str| d.score(&q.parse().unwrap());

    // AS64502 is registered in SC, geolocated in NL and RU, all hosting.
    let s = score("198.18.3.7");
    assert_eq!(s.class, Class::Bulletproof);
    assert_eq!(s.features.get(Feature::GeoCountryMismatch), 1.0);
    assert_eq!(s.features.get(Feature::GeoHosting), 1.0);
    assert_eq!(s.features.get(Feature::GeoAnonymiser), 0.0);
    // Its anonymous-VPN slice, 198.18.14.0/23: all of a /24 in it, an
    // eighth of the /20.
    let s = score("198.18.14.0/24");
    assert_eq!(s.features.get(Feature::GeoAnonymiser), 1.0);
    let s = score("198.18.0.0/20");
    assert!((s.features.get(Feature::GeoAnonymiser) - 0.125).abs() < 1e-9);
    assert_eq!(s.features.get(Feature::GeoCountryMismatch), 1.0);

    // Countries per AS: the bulletproof AS 2, the cloud 3, the ISP 1.
    for (asn, countries) in [("AS64502", 2.0), ("AS64501", 3.0), ("AS64500", 1.0)] {
        let s = score(asn);
        assert_eq!(s.features.get(Feature::GeoAsCountries), countries, "{asn}");
    }
    // The ISP is where it is registered, and not hosting.
    let s = score("100.64.1.1");
    assert_eq!(s.features.get(Feature::GeoCountryMismatch), 0.0);
    assert_eq!(s.features.get(Feature::GeoHosting), 0.0);

    // The cloud's reasons name the MMDB file and its build date: hosting,
    // half of its /10 geolocated outside the US, three countries.
    let s = score("240.0.0.0/10");
    assert_eq!(s.class, Class::Clean);
    // The hand-set model gives both flags a weight, so both show.
    let handset = handset_world();
    let s = handset.score(&"240.0.0.0/10".parse().unwrap());
    for feature in [Feature::GeoHosting, Feature::GeoCountryMismatch] {
        let r = s
            .reasons
            .iter()
            .find(|r| r.feature == feature)
            .unwrap_or_else(|| panic!("no {} reason: {:?}", feature.name(), s.reasons));
        let src = r.source.expect("a geolocation reason names its source");
        assert_eq!(src.name, "geo-anonymous-20261101.mmdb");
        assert_eq!(src.date_text(), "2026-11-01T00:00:00Z");
    }
    let s = score("AS64501");
    let r = s
        .reasons
        .iter()
        .find(|r| r.feature == Feature::GeoAsCountries)
        .expect("a countries-per-AS reason");
    assert!(
        r.explain().contains("geolocated in 3 countries"),
        "{}",
        r.explain()
    );

    // The ranking holds: bulletproof AS, then the cloud, then the ISP.
    let p = |q: &str| score(q).probability;
    assert!(p("AS64502") > 0.99);
    assert!(p("AS64501") > p("AS64500"));
}
