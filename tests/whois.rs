//! Registry samples of each flavour (`testdata/whois/`): RPSL as APNIC and
//! AFRINIC publish it, ARIN bulk WHOIS, AFRINIC delegated statistics, and
//! the signals bphscore derives from them.

use std::path::Path;

use bphscore::features::Feature;
use bphscore::{Detector, Model, SnapshotBuilder};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/whois")
            .join(name),
    )
    .unwrap()
}

const FILES: [&str; 4] = [
    "apnic.db.inetnum",
    "afrinic.db.inet6num",
    "arin_db.txt",
    "delegated-afrinic-extended-20261101",
];

fn detector() -> Detector {
    let mut b = SnapshotBuilder::new().build_time(1_794_470_400);
    // Announcements, so that the addresses are known.
    b.add_reader(
        "routes-20261112.pfx2as",
        None,
        &b"203.0.113.0\t24\t64496\n198.51.100.0\t24\t64497\n2001:db8:f000::\t36\t65540\n"[..],
    )
    .unwrap();
    for name in FILES {
        b.add_reader(name, None, &sample(name)[..]).unwrap();
    }
    Detector::new(b.build().unwrap(), Model::default_model())
}

#[test]
fn every_flavour_is_detected_and_read() {
    let d = detector();
    let formats: Vec<(&str, &str, u64)> = d.snapshot().sources()[1..]
        .iter()
        .map(|s| (s.name.as_str(), s.format.name(), s.records))
        .collect();
    assert_eq!(
        formats,
        [
            ("apnic.db.inetnum", "rpsl", 3),
            ("afrinic.db.inet6num", "rpsl", 2),
            ("arin_db.txt", "arin-whois", 5),
            ("delegated-afrinic-extended-20261101", "delegated", 2),
        ]
    );
    // The delegated file states its date; 2 APNIC + 2 AFRINIC + 3 ARIN blocks.
    assert_eq!(d.snapshot().sources()[4].date, Some(1_793_491_200));
    assert_eq!(d.snapshot().counts().whois_blocks, 7);
}

#[test]
fn apnic_customer_under_another_maintainer_is_flagged() {
    let d = detector();
    let s = d.score(&"203.0.113.70".parse().unwrap());
    let f = |x| s.features.get(x);
    assert_eq!(f(Feature::WhoisReassignedOtherOrg), 1.0);
    assert_eq!(f(Feature::WhoisCountryMismatch), 1.0);
    // The allocation's abuse contact applies to a customer without a holder.
    assert_eq!(f(Feature::WhoisNoAbuseContact), 0.0);
    assert_eq!(f(Feature::WhoisDepth), 1.0);
    // The provider's own space: none of it.
    let p = d.score(&"203.0.113.10".parse().unwrap());
    assert_eq!(p.features.get(Feature::WhoisReassignedOtherOrg), 0.0);
    assert_eq!(p.features.get(Feature::WhoisDepth), 0.0);
}

#[test]
fn afrinic_sub_allocation_with_legacy_changed_dates() {
    let d = detector();
    let s = d.score(&"2001:db8:f100::1".parse().unwrap());
    let f = |x| s.features.get(x);
    assert_eq!(f(Feature::WhoisReassignedOtherOrg), 1.0);
    assert_eq!(f(Feature::WhoisNoAbuseContact), 1.0);
    assert_eq!(f(Feature::WhoisCountryMismatch), 1.0);
    // `changed: … 20261015`, 28 days before the data date (2026-11-12).
    assert!((f(Feature::WhoisBlockYoung) - (1.0 - 28.0 / 730.0)).abs() < 0.01);
    // The allocation matches its delegated-stats line, dated as created: no transfer.
    let a = d.score(&"2001:db8:f000::1".parse().unwrap());
    assert_eq!(a.features.get(Feature::WhoisRecentTransfer), 0.0);
    assert_eq!(a.features.get(Feature::WhoisBlockYoung), 0.0);
}

#[test]
fn arin_reallocation_and_reassignment_nest_by_cidr_span() {
    let d = detector();
    let s = d.score(&"198.51.100.204".parse().unwrap());
    assert_eq!(s.features.get(Feature::WhoisDepth), 2.0);
    assert_eq!(s.features.get(Feature::WhoisReassignedOtherOrg), 1.0);
    let r = d.score(&"198.51.100.130".parse().unwrap());
    assert_eq!(r.features.get(Feature::WhoisDepth), 1.0);
    // Example Resale LLC is registered in BZ, its provider in US.
    assert_eq!(r.features.get(Feature::WhoisCountryMismatch), 1.0);
    assert_eq!(r.features.get(Feature::WhoisNoAbuseContact), 1.0);
    // 198.51.100.128/26 + /27 is one 96-address span: log2(97).
    assert!((r.features.get(Feature::WhoisBlockLog2Size) - 97f64.log2()).abs() < 1e-9);
    let e = bphscore::entity::lookup(d.snapshot(), "198.51.100.204")
        .unwrap()
        .unwrap();
    assert_eq!(e.orgs[0].handle, "CUST-12");
}
