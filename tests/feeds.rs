//! Timestamped abuse feeds and passive DNS: every published layout parses
//! and is recognised from its content, bad records are counted and named,
//! and the time-aware features decay, expire, reset on transfers and
//! compare ASes with peers of their size.

use bphscore::features::{Feature, TimePolicy};
use bphscore::source::{Category, Format, Limits, Parser, Record, SourceKind, Target};
use bphscore::{Detector, Error, SnapshotBuilder};

#[path = "support/handset.rs"]
mod handset;
use handset::handset;

const AS_OF: i64 = 1_794_470_400; // 2026-11-12T08:00:00Z
const DAY: i64 = 86_400;

fn parse(format: Format, text: &str) -> Vec<Result<Record, Error>> {
    Parser::new("feed", format, text.as_bytes(), Limits::default()).collect()
}

fn indicators(format: Format, text: &str) -> Vec<bphscore::source::Indicator> {
    parse(format, text)
        .into_iter()
        .map(|r| match r.unwrap() {
            Record::Indicator(i) => *i,
            other => panic!("{other:?}"),
        })
        .collect()
}

const FEODO_JSON: &str = r#"[
    {
        "ip_address": "198.18.12.10",
        "port": 443,
        "status": "online",
        "hostname": null,
        "as_number": 64502,
        "as_name": "EXAMPLE-BPH",
        "country": "SC",
        "first_seen": "2026-09-02 10:11:12",
        "last_online": "2026-11-11",
        "malware": "QakBot"
    },
    {
        "ip_address": "2001:db8:300::5",
        "port": 8080,
        "status": "offline",
        "hostname": "c2.example",
        "as_number": 64502,
        "as_name": "EXAMPLE-BPH",
        "country": "SC",
        "first_seen": "2026-10-01 00:00:00",
        "last_online": null,
        "malware": "Pikabot"
    }
]
"#;

const FEODO_CSV: &str = "################################################################\n\
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n\
# Last updated: 2026-11-12 07:00:00 UTC                         #\n\
################################################################\n\
#\n\
# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n\
\"2026-10-28 14:00:01\",\"198.18.12.11\",\"443\",\"online\",\"2026-11-12\",\"BumbleBee\"\n\
# END 1 entries\n";

const URLHAUS: &str = "################################################################\n\
# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #\n\
# Last updated: 2026-11-12 07:30:15 (UTC)                      #\n\
################################################################\n\
#\n\
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n\
\"3312001\",\"2026-11-08 10:01:05\",\"http://198.18.13.5/bins/mozi.m\",\"online\",\"2026-11-12 06:00:00\",\"malware_download\",\"elf,Mozi\",\"https://urlhaus.abuse.ch/url/3312001/\",\"anonymous\"\n\
\"3312003\",\"2026-11-10 09:00:00\",\"https://Update-Flash.example/setup.exe\",\"offline\",\"\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/3312003/\",\"anonymous\"\n";

const THREATFOX: &str = r#"{
    "1500100": [
        {
            "ioc_value": "kq7zp.flux-botnet.test",
            "ioc_type": "domain",
            "threat_type": "botnet_cc",
            "malware_printable": "SmokeLoader",
            "first_seen_utc": "2026-10-28 08:00:00",
            "last_seen_utc": null,
            "confidence_level": 100,
            "tags": "SmokeLoader"
        }
    ],
    "1500110": [
        {
            "ioc_value": "198.18.15.41:443",
            "ioc_type": "ip:port",
            "threat_type": "botnet_cc",
            "first_seen_utc": "2026-11-09 08:00:00",
            "last_seen_utc": "2026-11-12 03:00:00",
            "confidence_level": 75,
            "tags": ["CobaltStrike", "c2"]
        }
    ],
    "1500111": [
        {
            "ioc_value": "3f5b2c9d0e1a4b6c8d7e9f0a1b2c3d4e",
            "ioc_type": "md5_hash",
            "threat_type": "payload",
            "first_seen_utc": "2026-11-10 08:00:00",
            "last_seen_utc": null
        }
    ]
}
"#;

const ABUSEIPDB_BLACKLIST: &str = r#"{"meta":{"generatedAt":"2026-11-12T07:00:00+00:00"},"data":[{"ipAddress":"240.2.3.4","countryCode":"US","abuseConfidenceScore":100,"lastReportedAt":"2026-11-12T06:59:00+00:00"},{"ipAddress":"2001:db8:200::9","countryCode":null,"abuseConfidenceScore":100,"lastReportedAt":"2026-11-11T06:59:00+00:00"}]}
"#;

const ABUSEIPDB_CHECK_BLOCK: &str = r#"{
  "data": {
    "networkAddress": "198.18.200.0",
    "netmask": "255.255.255.0",
    "minAddress": "198.18.200.1",
    "maxAddress": "198.18.200.254",
    "numPossibleHosts": 254,
    "addressSpaceDesc": "Internet",
    "reportedAddress": [
      {
        "ipAddress": "198.18.200.10",
        "numReports": 3,
        "mostRecentReport": "2026-11-11T23:00:00+00:00",
        "abuseConfidenceScore": 60,
        "countryCode": "SC"
      }
    ]
  }
}
"#;

const GENERIC: &str = "# comment\nindicator,first_seen,last_seen,category,source\n\
https://account-verify-00.test/signin,2026-10-20 01:00:00,2026-10-22 00:00:00,phishing,example-phish-feed\n\
203.0.113.70,,2026-09-01,spam,trap\n\
account-verify-01.test,2026-10-21,2026-10-23T00:00:00Z,Phishing,feed\n";

const COF: &str = r#"{"rrname":"www.example.com.","rrtype":"A","rdata":"203.0.113.10","time_first":1551398400,"time_last":1794463200,"count":1000,"bailiwick":"example.com."}
{"rrname":"ff.flux-botnet.test","rrtype":"A","rdata":["198.18.12.50","198.18.13.51"],"zone_time_first":1794000000,"zone_time_last":1794003600}
{"rrname":"example.com.","rrtype":"NS","rdata":"ns1.example.com.","time_first":1551398400,"time_last":1794463200}
"#;

#[test]
fn every_feed_is_recognised_from_its_content() {
    for (text, want) in [
        (FEODO_JSON, Format::FeodoJson),
        (FEODO_CSV, Format::FeodoCsv),
        (URLHAUS, Format::UrlhausCsv),
        (THREATFOX, Format::ThreatfoxJson),
        (ABUSEIPDB_BLACKLIST, Format::AbuseipdbJson),
        (ABUSEIPDB_CHECK_BLOCK, Format::AbuseipdbJson),
        (GENERIC, Format::AbuseCsv),
        (COF, Format::PdnsCof),
    ] {
        assert_eq!(Format::detect(text.as_bytes()), Ok(want), "{text}");
        let kind = if want == Format::PdnsCof {
            SourceKind::PassiveDns
        } else {
            SourceKind::AbuseFeed
        };
        assert_eq!(want.kind(), kind);
    }
    // The Spamhaus JSON-lines feeds are not mistaken for documents.
    assert_eq!(
        Format::detect(b"{\"cidr\":\"198.18.0.0/21\",\"sblid\":\"SBL1\",\"rir\":\"ripencc\"}\n"),
        Ok(Format::DropJson)
    );
}

#[test]
fn feeds_parse_in_their_published_layouts() {
    let f = indicators(Format::FeodoJson, FEODO_JSON);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].category, Category::C2);
    assert_eq!(f[0].first_seen, Some(1_788_343_872));
    assert_eq!(f[0].last_seen, AS_OF - 32 * 3_600);
    assert_eq!(f[0].reference.as_deref(), Some("QakBot"));
    // No last_online: the first sighting is the last.
    assert_eq!(Some(f[1].last_seen), f[1].first_seen);

    let mut p = Parser::new(
        "feodo.csv",
        Format::FeodoCsv,
        FEODO_CSV.as_bytes(),
        Limits::default(),
    );
    let c: Vec<_> = p.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(p.date(), Some(AS_OF - 3_600));

    let u = indicators(Format::UrlhausCsv, URLHAUS);
    assert_eq!(u[0].target, Target::Address("198.18.13.5".parse().unwrap()));
    assert_eq!(u[1].target, Target::Domain("update-flash.example".into()));
    assert!(u.iter().all(|i| i.category == Category::Malware));

    let t = indicators(Format::ThreatfoxJson, THREATFOX);
    assert_eq!(t.len(), 2, "the MD5 hash is not a network indicator");
    assert_eq!(t[0].target, Target::Domain("kq7zp.flux-botnet.test".into()));
    assert_eq!(
        t[1].target,
        Target::Address("198.18.15.41".parse().unwrap())
    );
    assert_eq!(t[1].category, Category::C2);

    let mut p = Parser::new(
        "blacklist.json",
        Format::AbuseipdbJson,
        ABUSEIPDB_BLACKLIST.as_bytes(),
        Limits::default(),
    );
    assert_eq!(p.by_ref().filter(Result::is_ok).count(), 2);
    assert_eq!(p.date(), Some(AS_OF - 3_600));
    assert_eq!(
        indicators(Format::AbuseipdbJson, ABUSEIPDB_CHECK_BLOCK).len(),
        1
    );

    let g = indicators(Format::AbuseCsv, GENERIC);
    assert_eq!(g.len(), 3);
    assert_eq!(g[0].category, Category::Phishing);
    assert_eq!(g[1].first_seen, None);
    assert_eq!(g[2].target, Target::Domain("account-verify-01.test".into()));

    let d: Vec<_> = parse(Format::PdnsCof, COF)
        .into_iter()
        .map(|r| match r.unwrap() {
            Record::DnsObservation(o) => o,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(d[0].rrname, "www.example.com");
    assert_eq!(d[1].addrs.len(), 2);
    assert_eq!(d[1].time_first, 1_794_000_000);
    assert!(d[2].addrs.is_empty());
}

#[test]
fn taxonomy_maps_the_feeds_labels() {
    for (label, want) in [
        ("botnet_cc", Category::C2),
        ("payload_delivery", Category::Malware),
        ("Malware Download", Category::Malware),
        ("phishing", Category::Phishing),
        ("email spam", Category::Spam),
        ("Port Scan", Category::Scanning),
        ("brute-force", Category::BruteForce),
        ("ddos", Category::Other),
    ] {
        assert_eq!(Category::from_label(label), Some(want), "{label}");
    }
    assert_eq!(Category::from_label("weather"), None);
    for c in Category::ALL {
        assert_eq!(c.name().parse::<Category>(), Ok(c));
    }
}

/// Each kind of bad record: a typed error naming the source and the line
/// in a strict build; skipped and counted in a lenient one; never a panic.
#[test]
fn bad_records_are_named_and_counted() {
    let head = "indicator,first_seen,last_seen,category,source\n";
    let cases: &[(&str, Format, String, &str)] = &[
        ("future.csv", Format::AbuseCsv, format!("{head}192.0.2.1,,2999-01-01,spam,x\n"), "future"),
        ("old.csv", Format::AbuseCsv, format!("{head}192.0.2.1,,1989-12-31,spam,x\n"), "before 1990"),
        ("garbled.csv", Format::AbuseCsv, format!("{head}192.0.2.1,,yesterday,spam,x\n"), "unparseable"),
        ("category.csv", Format::AbuseCsv, format!("{head}192.0.2.1,,2026-11-01,weather,x\n"), "unknown category"),
        ("target.csv", Format::AbuseCsv, format!("{head}not a host!,,2026-11-01,spam,x\n"), "not an address"),
        (
            "rdata.jsonl",
            Format::PdnsCof,
            "{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"ns.example.\",\"time_first\":1794000000,\"time_last\":1794000000}\n".into(),
            "not an IPv4 address",
        ),
        (
            "future.jsonl",
            Format::PdnsCof,
            "{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1794000000,\"time_last\":32503680000}\n".into(),
            "future",
        ),
        (
            "feodo.json",
            Format::FeodoJson,
            "[\n{\"ip_address\": \"198.18.0.300\", \"first_seen\": \"2026-11-01 00:00:00\"}\n]\n".into(),
            "not an address",
        ),
    ];
    for (name, format, text, why) in cases {
        let good_line = "192.0.2.7,,2026-11-01,spam,x\n";
        let err = SnapshotBuilder::new()
            .add_reader(name, None, text.as_bytes())
            .unwrap_err();
        assert!(err.to_string().starts_with(&format!("{name}:")), "{err}");
        assert!(err.to_string().contains(why), "{err}");
        assert!(err.line().is_some(), "{err}");
        // Lenient: skipped and counted; the good records are kept.
        let mut body = text.clone();
        if *format == Format::AbuseCsv {
            body.push_str(good_line);
        }
        let mut b = SnapshotBuilder::new().lenient(true);
        let info = b
            .add_reader(name, Some(*format), body.as_bytes())
            .unwrap()
            .clone();
        assert_eq!(info.skipped, 1, "{name}");
        b.build().unwrap();
    }
    // Invalid UTF-8 in a name: the line is named, and skipped when lenient.
    let mut bytes = b"{\"rrname\":\"caf\xe9.example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1794000000,\"time_last\":1794000000}\n".to_vec();
    let err = SnapshotBuilder::new()
        .add_reader("latin1.jsonl", Some(Format::PdnsCof), &bytes[..])
        .unwrap_err();
    assert!(
        err.to_string().contains("latin1.jsonl:1: invalid UTF-8"),
        "{err}"
    );
    bytes.extend_from_slice(COF.as_bytes());
    let mut b = SnapshotBuilder::new().lenient(true);
    let info = b
        .add_reader("latin1.jsonl", Some(Format::PdnsCof), &bytes[..])
        .unwrap();
    assert_eq!((info.records, info.skipped), (3, 1));
}

#[test]
fn a_cut_json_document_is_refused_even_when_lenient() {
    let cut = &FEODO_JSON[..FEODO_JSON.len() / 2];
    let err = SnapshotBuilder::new()
        .lenient(true)
        .add_reader("ipblocklist.json", Some(Format::FeodoJson), cut.as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("cut short"), "{err}");
}

#[test]
fn repeated_records_are_merged_and_counted() {
    let mut cof = COF.to_owned();
    cof.push_str(COF.lines().next().unwrap());
    cof.push('\n');
    let mut b = SnapshotBuilder::new();
    let info = b.add_reader("pdns.jsonl", None, cof.as_bytes()).unwrap();
    assert_eq!((info.records, info.duplicates), (4, 1));
    let mut generic = GENERIC.to_owned();
    generic.push_str("203.0.113.70,,2026-09-02,spam,trap\n");
    b.add_reader("feed.csv", None, generic.as_bytes()).unwrap();
    let s = b.build().unwrap();
    assert_eq!(s.timed_summary().unwrap().duplicates, 2);
}

fn routes() -> &'static str {
    // AS64501: a /12 cloud; AS64502: a /20 host; AS64503..64506: /12s;
    // AS64507..64510: /20s. Sizes make two peer groups.
    "240.0.0.0\t12\t64501\n198.18.0.0\t20\t64502\n240.16.0.0\t12\t64503\n240.32.0.0\t12\t64504\n\
240.48.0.0\t12\t64505\n198.18.16.0\t20\t64507\n198.18.32.0\t20\t64508\n198.18.48.0\t20\t64509\n"
}

fn csv(rows: &[(String, i64, &str)]) -> String {
    let mut s = "indicator,first_seen,last_seen,category,source\n".to_owned();
    for (ip, last, cat) in rows {
        s.push_str(&format!("{ip},,{last},{cat},test\n"));
    }
    s
}

fn detector(feed: &str, policy: TimePolicy) -> Detector {
    let mut b = SnapshotBuilder::new().as_of(AS_OF).time_policy(policy);
    b.add_reader("routes.pfx2as", None, routes().as_bytes())
        .unwrap();
    b.add_reader("feed.csv", None, feed.as_bytes()).unwrap();
    Detector::new(b.build().unwrap(), handset())
}

#[test]
fn listings_decay_and_expire() {
    let feed = csv(&[
        ("198.18.0.1".into(), AS_OF, "c2"),
        ("198.18.0.2".into(), AS_OF - 30 * DAY, "c2"),
        ("198.18.0.3".into(), AS_OF - 400 * DAY, "c2"),
    ]);
    let d = detector(&feed, TimePolicy::default());
    let f = |ip: &str| {
        d.score(&ip.parse().unwrap())
            .features
            .get(Feature::IpAbuseRecency)
    };
    assert!((f("198.18.0.1") - 1.0).abs() < 1e-6);
    assert!((f("198.18.0.2") - 0.5).abs() < 1e-6, "one half-life: half");
    assert_eq!(f("198.18.0.3"), 0.0, "beyond the horizon: dropped");
    assert_eq!(d.snapshot().timed_summary().unwrap().expired, 1);
    // Two kept listings in the /24: (1 + 0.5) / 256.
    let block = d.score(&"198.18.0.9".parse().unwrap());
    assert!((block.features.get(Feature::BlockAbuseRecentDensity) - 1.5 / 256.0).abs() < 1e-6);
    // A longer half-life and horizon keep more.
    let mut long = TimePolicy::default();
    long.half_life_days = 60.0;
    long.horizon_days = 500.0;
    let d = detector(&feed, long);
    let f = |ip: &str| {
        d.score(&ip.parse().unwrap())
            .features
            .get(Feature::IpAbuseRecency)
    };
    assert!((f("198.18.0.2") - 0.5f64.sqrt()).abs() < 1e-6);
    assert!(f("198.18.0.3") > 0.0);
    // Every address of the partition's intervals scores the same as the
    // fast look-up says.
    for ip in ["198.18.0.1", "198.18.0.2", "198.18.0.4", "198.18.1.1"] {
        let ip = ip.parse().unwrap();
        assert_eq!(d.lookup(ip).class, d.score_ip(ip).class);
    }
}

#[test]
fn a_transfer_resets_older_listings() {
    let transfer = "2026-10-15";
    let delegated = format!(
        "2|ripencc|20261101|1|19930901|20261031|+0100\nripencc|*|ipv4|*|1|summary\nripencc|GB|ipv4|198.18.0.0|4096|{}|allocated|opq\n",
        transfer.replace('-', "")
    );
    let rpsl = "inetnum: 198.18.0.0 - 198.18.15.255\nnetname: X\ncountry: GB\nstatus: ALLOCATED PA\ncreated: 2014-04-02T09:00:00Z\nlast-modified: 2026-10-16T09:00:00Z\nsource: RIPE\n";
    let feed = csv(&[
        ("198.18.0.1".into(), AS_OF - 60 * DAY, "spam"),
        ("198.18.0.2".into(), AS_OF - 5 * DAY, "spam"),
    ]);
    let mut b = SnapshotBuilder::new().as_of(AS_OF);
    b.add_reader("routes.pfx2as", None, routes().as_bytes())
        .unwrap();
    b.add_reader("ripe.db", None, rpsl.as_bytes()).unwrap();
    b.add_reader("delegated-ripencc-extended", None, delegated.as_bytes())
        .unwrap();
    b.add_reader("feed.csv", None, feed.as_bytes()).unwrap();
    let d = Detector::new(b.build().unwrap(), handset());
    let old = d.score(&"198.18.0.1".parse().unwrap());
    assert_eq!(old.features.get(Feature::IpAbuseRecency), 0.0);
    assert_eq!(old.features.get(Feature::AbuseResetByTransfer), 1.0);
    let reset = old
        .reasons
        .iter()
        .find(|r| r.feature == Feature::AbuseResetByTransfer)
        .expect("the reset is shown");
    assert!(
        reset.explain().contains("predate the transfer"),
        "{}",
        reset.explain()
    );
    let new = d.score(&"198.18.0.2".parse().unwrap());
    assert!(new.features.get(Feature::IpAbuseRecency) > 0.8);
    assert_eq!(d.snapshot().timed_summary().unwrap().reset_by_transfer, 1);
}

#[test]
fn a_large_network_is_compared_with_large_networks() {
    // The cloud AS64501 has the most listed addresses by far, but among the
    // /12s its density is in the middle; AS64502 is small and dense.
    let mut rows = Vec::new();
    for i in 0..400 {
        rows.push((
            format!("240.0.{}.{}", i / 200, 1 + i % 200),
            AS_OF,
            "scanning",
        ));
    }
    for i in 0..800 {
        rows.push((
            format!("240.16.{}.{}", i / 200, 1 + i % 200),
            AS_OF,
            "scanning",
        ));
    }
    for i in 0..100 {
        rows.push((format!("240.32.0.{}", 1 + i), AS_OF, "scanning"));
    }
    for i in 0..40 {
        rows.push((format!("198.18.0.{}", 1 + i), AS_OF, "c2"));
        rows.push((format!("198.18.1.{}", 1 + i), AS_OF, "phishing"));
    }
    for (k, n) in [(16, 1), (32, 2), (48, 3)] {
        for i in 0..n {
            rows.push((format!("198.18.{k}.{}", 1 + i), AS_OF, "spam"));
        }
    }
    let d = detector(&csv(&rows), TimePolicy::default());
    let get = |asn: &str, f: Feature| d.score(&asn.parse().unwrap()).features.get(f);
    let cloud = get("AS64501", Feature::AsAbusePeerPercentile);
    let bph = get("AS64502", Feature::AsAbusePeerPercentile);
    // Peers of the cloud: the other /12s (AS64503 denser, AS64504 sparser,
    // AS64505 clean): above 2 of 3.
    assert!((cloud - 2.0 / 3.0).abs() < 1e-6, "{cloud}");
    assert_eq!(bph, 1.0);
    assert!(
        get("AS64501", Feature::AsAbuseRecentDensity)
            < get("AS64502", Feature::AsAbuseRecentDensity)
    );
    assert_eq!(get("AS64502", Feature::AsAbuseCategories), 2.0);
    assert_eq!(get("AS64505", Feature::AsAbusePeerPercentile), 0.0);
}

#[test]
fn fast_flux_and_short_lived_names_are_found() {
    let mut cof = String::new();
    // A flux name on 6 addresses in 3 /24s over 10 days, records of an hour.
    for k in 0..6 {
        let t = AS_OF - 11 * DAY + k * 2 * DAY;
        cof.push_str(&format!(
            "{{\"rrname\":\"ff.flux-botnet.test\",\"rrtype\":\"A\",\"rdata\":\"198.18.{}.{}\",\"time_first\":{t},\"time_last\":{}}}\n",
            k % 3,
            10 + k,
            t + 3_600
        ));
    }
    // A phishing name alive two days, gone a week ago, named by a feed.
    let t = AS_OF - 9 * DAY;
    cof.push_str(&format!(
        "{{\"rrname\":\"login-check.example.\",\"rrtype\":\"A\",\"rdata\":\"198.18.0.10\",\"time_first\":{t},\"time_last\":{}}}\n",
        t + 2 * DAY
    ));
    // A stable benign name in the same /24.
    cof.push_str(&format!(
        "{{\"rrname\":\"www.example.com\",\"rrtype\":\"A\",\"rdata\":\"198.18.0.20\",\"time_first\":{},\"time_last\":{}}}\n",
        AS_OF - 300 * DAY,
        AS_OF - 3_600
    ));
    let feed = "indicator,first_seen,last_seen,category,source\nhttps://login-check.example/x,,2026-11-04,phishing,feed\n";
    let mut b = SnapshotBuilder::new().as_of(AS_OF);
    b.add_reader("routes.pfx2as", None, routes().as_bytes())
        .unwrap();
    b.add_reader("pdns.jsonl", None, cof.as_bytes()).unwrap();
    b.add_reader("feed.csv", None, feed.as_bytes()).unwrap();
    let d = Detector::new(b.build().unwrap(), handset());
    let s = d.score(&"198.18.0.10".parse().unwrap());
    let f = |x: Feature| s.features.get(x);
    assert_eq!(f(Feature::PdnsIpDomains), 2.0);
    assert_eq!(f(Feature::PdnsBlockDomains), 3.0);
    assert!((f(Feature::PdnsFastFluxShare) - 1.0 / 3.0).abs() < 1e-9);
    assert!((f(Feature::PdnsShortLivedShare) - 1.0 / 3.0).abs() < 1e-9);
    assert!((f(Feature::PdnsAbuseOverlap) - 1.0 / 3.0).abs() < 1e-9);
    assert!((f(Feature::PdnsNewDomainShare) - 2.0 / 3.0).abs() < 1e-9);
    let src = s
        .reasons
        .iter()
        .find(|r| r.feature == Feature::PdnsFastFluxShare)
        .and_then(|r| r.source)
        .expect("a passive-DNS reason names its source");
    assert_eq!(src.name, "pdns.jsonl");
}

/// The command line: a strict build names the first bad record; a lenient
/// one reports how many it skipped, and the duplicates it merged.
#[test]
fn the_command_line_reports_bad_and_repeated_records() {
    let dir = tempfile::tempdir().unwrap();
    let pdns = dir.path().join("pdns.jsonl");
    let mut text = COF.to_owned();
    text.push_str(COF.lines().next().unwrap());
    text.push('\n');
    text.push_str("{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":100,\"time_last\":1794000000}\n");
    text.push_str("{\"rrname\":\"b.example\",\"rrtype\":\"AAAA\",\"rdata\":\"192.0.2.1\",\"time_first\":1794000000,\"time_last\":1794000000}\n");
    std::fs::write(&pdns, text).unwrap();
    let out = dir.path().join("out.bph");
    let run = |lenient: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bphscore"));
        cmd.arg("build")
            .arg("--pdns")
            .arg(&pdns)
            .arg("-o")
            .arg(&out);
        if lenient {
            cmd.arg("--lenient");
        }
        cmd.output().unwrap()
    };
    let strict = run(false);
    assert_eq!(strict.status.code(), Some(1));
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(
        err.contains("pdns.jsonl:5: time_first: timestamp 100 is before 1990"),
        "{err}"
    );
    let lenient = run(true);
    assert!(lenient.status.success());
    let err = String::from_utf8_lossy(&lenient.stderr);
    assert!(err.contains("2 bad record(s) SKIPPED"), "{err}");
    assert!(err.contains("1 duplicate(s) merged"), "{err}");
    assert!(err.contains("(pdns-cof, passive-dns)"), "{err}");
}

/// Fuzzing found it: a record of a JSON document with an overlong line in
/// it was still completed after the line's error, and its own error then
/// named an earlier line. The record is dropped with the line; errors
/// never go backwards.
#[test]
fn a_record_cut_by_an_overlong_line_is_dropped() {
    let long = "x".repeat(200);
    let doc = format!(
        "{{\"data\":[{{\"ipAddress\":\"192.0.2.1\",\n\"note\":\"{long}\",\n\"lastReportedAt\":\"nonsense\"}},\n{{\"ipAddress\":\"192.0.2.2\",\"lastReportedAt\":\"2026-11-11T00:00:00+00:00\"}}]}}\n"
    );
    let limits = Limits::default().max_line_len(100);
    let items: Vec<_> =
        Parser::new("check.json", Format::AbuseipdbJson, doc.as_bytes(), limits).collect();
    let mut last = 0;
    for item in &items {
        if let Err(e) = item {
            let line = e.line().unwrap_or(u64::MAX);
            assert!(line >= last, "{e}");
            last = line;
        }
    }
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 1);
}
