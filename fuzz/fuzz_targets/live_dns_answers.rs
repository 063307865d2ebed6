//! Live DNS answers: any TXT string is an origin record or `None`, any PTR
//! name classifies without a panic, and any DNSBL codes give a listing only
//! within 127.0.0.0/8.
#![no_main]

use bphscore::live::{Answer, DnsblListing, OriginAs, Ptr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(o) = OriginAs::parse_txt(&text) {
        assert!(!o.asns.is_empty());
    }
    for ip in ["192.0.2.7", "2001:db8::1"] {
        let ip = ip.parse().unwrap();
        match Ptr::classify(ip, Some(&text)) {
            Ptr::Named(n) | Ptr::Generic(n) => assert!(!n.ends_with('.'), "{n}"),
            other => panic!("{other:?}"),
        }
    }
    let codes: Vec<std::net::Ipv4Addr> = data
        .chunks_exact(4)
        .map(|c| std::net::Ipv4Addr::new(c[0], c[1], c[2], c[3]))
        .collect();
    if let Answer::Found(listed) = DnsblListing::from_codes("zone.example", &codes).answer {
        assert!(listed.iter().all(|c| c.octets()[0] == 127));
    }
});
