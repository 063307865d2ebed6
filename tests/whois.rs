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

#[test]
fn abuse_mailbox_shared_with_a_listed_holder_is_flagged() {
    let mut b = SnapshotBuilder::new().build_time(1_794_470_400);
    b.add_reader(
        "routes-20261112.pfx2as",
        None,
        &b"192.0.2.0\t25\t64510\n192.0.2.128\t25\t64511\n"[..],
    )
    .unwrap();
    b.add_reader(
        "asndrop.json",
        None,
        &b"{\"asn\":64510,\"rir\":\"ripencc\",\"domain\":\"bad.example\",\"cc\":\"SC\",\"asname\":\"BAD\"}\n"[..],
    )
    .unwrap();
    let rpsl = "\
role: Bad Abuse\nnic-hdl: BA1-TEST\nabuse-mailbox: desk@bad.example\n\n\
role: Copy Abuse\nnic-hdl: CA1-TEST\nabuse-mailbox: DESK@bad.example\n\n\
organisation: ORG-BAD1-TEST\norg-name: Bad Hosting\ncountry: SC\nabuse-c: BA1-TEST\n\n\
organisation: ORG-NEW1-TEST\norg-name: Fresh Start Networks\ncountry: SC\n\n\
aut-num: AS64510\nas-name: BAD\norg: ORG-BAD1-TEST\n\n\
aut-num: AS64511\nas-name: FRESH\norg: ORG-NEW1-TEST\n\n\
inetnum: 192.0.2.0 - 192.0.2.127\norg: ORG-BAD1-TEST\nstatus: ALLOCATED PA\n\n\
inetnum: 192.0.2.128 - 192.0.2.255\norg: ORG-NEW1-TEST\nabuse-c: CA1-TEST\nstatus: ALLOCATED PA\n";
    b.add_reader("ripe.db", None, rpsl.as_bytes()).unwrap();
    let d = Detector::new(b.build().unwrap(), Model::default_model());
    // The new holder shares nothing at the organisation level: not linked,
    // but its block's abuse mailbox is the listed holder's.
    let s = d.score(&"192.0.2.200".parse().unwrap());
    assert_eq!(s.features.get(Feature::WhoisAbuseSharedListed), 1.0);
    assert_eq!(s.features.get(Feature::EntityLinkedListed), 0.0);
    // The listed holder's own block is not "shared".
    let own = d.score(&"192.0.2.1".parse().unwrap());
    assert_eq!(own.features.get(Feature::WhoisAbuseSharedListed), 0.0);
    let e = bphscore::entity::lookup(d.snapshot(), "AS64511")
        .unwrap()
        .unwrap();
    assert_eq!(e.orgs.len(), 1);
    assert!(!e.listed);
}
