//! Live DNS evidence against a real DNS server on loopback (UDP), built on
//! hickory-proto's message encoding: PTR, DNSBL and origin-AS TXT answers,
//! NXDOMAIN, NODATA, SERVFAIL, silence (timeouts), TTL caching and the
//! bound on queries in flight.
#![cfg(feature = "dns")]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bphscore::Detector;
use bphscore::live::{Answer, LiveDns, LiveDnsConfig, LiveSignal, Ptr};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

#[derive(Clone)]
enum Behaviour {
    Answer(Vec<RData>, u32),
    NxDomain,
    NoData,
    ServFail,
    Silent,
}

#[derive(Default)]
struct Stats {
    /// Queries received per (name, type).
    queries: HashMap<(String, RecordType), usize>,
    /// The largest number of queries seen waiting for an answer at once.
    max_waiting: usize,
}

struct DnsServer {
    addr: SocketAddr,
    stats: Arc<Mutex<Stats>>,
}

impl DnsServer {
    /// Serves `zone` on a loopback UDP port. Queries are answered in
    /// batches: everything that has arrived is read first (until the socket
    /// has been idle for `idle`), then answered, so the batch size is the
    /// number of queries the client had in flight.
    fn start(zone: HashMap<(String, RecordType), Behaviour>, idle: Duration) -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let stats = Arc::new(Mutex::new(Stats::default()));
        let st = Arc::clone(&stats);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut waiting: Vec<(Message, SocketAddr)> = Vec::new();
            loop {
                // Block for the first query of a batch, then drain the rest.
                socket
                    .set_read_timeout(if waiting.is_empty() { None } else { Some(idle) })
                    .unwrap();
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    if let Ok(m) = Message::from_vec(&buf[..n]) {
                        waiting.push((m, from));
                    }
                    continue;
                }
                let mut s = st.lock().unwrap();
                s.max_waiting = s.max_waiting.max(waiting.len());
                for (query, from) in waiting.drain(..) {
                    let Some(q) = query.queries.first().cloned() else {
                        continue;
                    };
                    let key = (q.name().to_ascii().to_ascii_lowercase(), q.query_type());
                    *s.queries.entry(key.clone()).or_default() += 1;
                    let behaviour = zone.get(&key).cloned().unwrap_or(Behaviour::NxDomain);
                    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
                    reply.metadata.recursion_desired = query.metadata.recursion_desired;
                    reply.metadata.recursion_available = true;
                    reply.add_query(q.clone());
                    match behaviour {
                        Behaviour::Silent => continue,
                        Behaviour::Answer(rdata, ttl) => {
                            for r in rdata {
                                reply.add_answer(Record::from_rdata(q.name().clone(), ttl, r));
                            }
                        }
                        Behaviour::NxDomain => {
                            reply.metadata.response_code = ResponseCode::NXDomain
                        }
                        Behaviour::NoData => {}
                        Behaviour::ServFail => {
                            reply.metadata.response_code = ResponseCode::ServFail
                        }
                    }
                    let _ = socket.send_to(&reply.to_vec().unwrap(), from);
                }
            }
        });
        DnsServer { addr, stats }
    }

    fn count(&self, name: &str, t: RecordType) -> usize {
        let s = self.stats.lock().unwrap();
        s.queries.get(&(name.to_owned(), t)).copied().unwrap_or(0)
    }
}

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn ptr(target: &str) -> Behaviour {
    Behaviour::Answer(vec![RData::PTR(PTR(name(target)))], 300)
}

fn a(ip: &str, ttl: u32) -> Behaviour {
    Behaviour::Answer(vec![RData::A(A(ip.parse().unwrap()))], ttl)
}

fn txt(text: &str) -> Behaviour {
    Behaviour::Answer(vec![RData::TXT(TXT::new(vec![text.to_owned()]))], 300)
}

fn key(n: &str, t: RecordType) -> (String, RecordType) {
    (n.to_owned(), t)
}

/// The world's bph-reseller block, a clean ISP address and a dead address,
/// with answers in the formats real services use.
fn zone() -> HashMap<(String, RecordType), Behaviour> {
    use RecordType::*;
    HashMap::from([
        // 198.18.200.10: generic PTR, listed by one DNSBL, origin differs.
        (
            key("10.200.18.198.in-addr.arpa.", PTR),
            ptr("198-18-200-10.pool.hoster.example."),
        ),
        (key("10.200.18.198.bl.example.", A), a("127.0.0.2", 300)),
        (key("10.200.18.198.bl2.example.", A), Behaviour::NxDomain),
        (
            key("10.200.18.198.origin.example.", TXT),
            txt("64510 | 198.18.200.0/24 | ZZ | arin | 2026-01-02"),
        ),
        // 100.64.1.1: a named host, not listed, same origin as the snapshot.
        (
            key("1.1.64.100.in-addr.arpa.", PTR),
            ptr("mail.isp.example."),
        ),
        (key("1.1.64.100.bl.example.", A), Behaviour::NxDomain),
        (key("1.1.64.100.bl2.example.", A), Behaviour::NoData),
        (
            key("1.1.64.100.origin.example.", TXT),
            txt("64500 | 100.64.0.0/12 | ZZ | arin | 2020-01-01"),
        ),
        // 198.18.3.7: every server fails.
        (key("7.3.18.198.in-addr.arpa.", PTR), Behaviour::Silent),
        (key("7.3.18.198.bl.example.", A), Behaviour::ServFail),
        (key("7.3.18.198.bl2.example.", A), a("127.255.255.254", 300)),
        (key("7.3.18.198.origin.example.", TXT), Behaviour::ServFail),
        // 2001:db8:300::1: no PTR (NXDOMAIN); a short TTL on the DNSBL.
        (
            key(
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.8.b.d.0.1.0.0.2.bl.example.",
                A,
            ),
            a("127.0.0.4", 0),
        ),
    ])
}

fn config(server: &DnsServer) -> LiveDnsConfig {
    LiveDnsConfig::default()
        .nameserver(server.addr)
        .dnsbl_zone("bl.example")
        .dnsbl_zone("bl2.example")
        .origin_zones(Some(("origin.example", "origin6.example")))
        .timeout(Duration::from_millis(400))
        .attempts(1)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn evidence_and_live_reasons_for_a_bad_block() {
    let server = DnsServer::start(zone(), Duration::from_millis(20));
    let dns = LiveDns::new(config(&server)).unwrap();
    let e = dns.probe(ip("198.18.200.10"));
    assert_eq!(
        e.ptr,
        Ptr::Generic("198-18-200-10.pool.hoster.example".into())
    );
    assert_eq!(e.dnsbl[0].zone, "bl.example");
    assert_eq!(
        e.dnsbl[0].answer,
        Answer::Found(vec!["127.0.0.2".parse().unwrap()])
    );
    assert_eq!(e.dnsbl[1].answer, Answer::Absent);
    let origin = e.origin.found().expect("origin TXT");
    assert_eq!(origin.asns[0].get(), 64510);
    assert_eq!(origin.prefix.unwrap().to_string(), "198.18.200.0/24");

    let detector = Detector::default_world().unwrap();
    let score = detector.score_ip(e.ip);
    let live = e.adjust(&score);
    let signals: Vec<LiveSignal> = live.reasons.iter().map(|r| r.signal).collect();
    assert_eq!(
        signals,
        [
            LiveSignal::DnsblListed,
            LiveSignal::OriginMismatch,
            LiveSignal::PtrGeneric
        ]
    );
    assert!(
        live.reasons
            .iter()
            .all(|r| r.signal.name().starts_with("live:"))
    );
    assert!(
        live.reasons[1].detail.contains("AS64510") && live.reasons[1].detail.contains("AS64503")
    );
    assert_eq!(live.snapshot_probability, score.probability);
    assert!(live.live_probability > score.probability);
    // The snapshot's own features are untouched.
    assert_eq!(detector.score_ip(e.ip).features, score.features);
}

#[test]
fn a_clean_named_host_gets_no_live_reason() {
    let server = DnsServer::start(zone(), Duration::from_millis(20));
    let dns = LiveDns::new(config(&server)).unwrap();
    let e = dns.probe(ip("100.64.1.1"));
    assert_eq!(e.ptr, Ptr::Named("mail.isp.example".into()));
    assert_eq!(e.dnsbl[0].answer, Answer::Absent, "NXDOMAIN");
    assert_eq!(e.dnsbl[1].answer, Answer::Absent, "NODATA");
    let detector = Detector::default_world().unwrap();
    let score = detector.score_ip(e.ip);
    let live = e.adjust(&score);
    assert!(live.reasons.is_empty(), "{:?}", live.reasons);
    assert!((live.live_probability - score.probability).abs() < 1e-9);
}

#[test]
fn timeouts_servfail_and_refusals_are_failures_not_evidence() {
    let server = DnsServer::start(zone(), Duration::from_millis(20));
    let dns = LiveDns::new(config(&server)).unwrap();
    let e = dns.probe(ip("198.18.3.7"));
    match &e.ptr {
        Ptr::Failed(m) => assert!(m.contains("timeout") || m.contains("timed out"), "{m}"),
        other => panic!("PTR: {other:?}"),
    }
    assert!(
        matches!(e.dnsbl[0].answer, Answer::Failed(_)),
        "SERVFAIL: {:?}",
        e.dnsbl[0]
    );
    match &e.dnsbl[1].answer {
        Answer::Failed(m) => assert!(m.contains("refused"), "{m}"),
        other => panic!("127.255.255.254: {other:?}"),
    }
    assert!(matches!(e.origin, Answer::Failed(_)), "{:?}", e.origin);
    assert!(e.reasons(None).is_empty());
    // Missing PTR is different from a failed one.
    let v6 = dns.probe(ip("2001:db8:300::1"));
    assert_eq!(v6.ptr, Ptr::Missing);
    assert!(matches!(v6.origin, Answer::Absent));
}

#[test]
fn answers_are_cached_for_their_ttl() {
    let server = DnsServer::start(zone(), Duration::from_millis(20));
    let dns = LiveDns::new(config(&server)).unwrap();
    let first = dns.probe(ip("198.18.200.10"));
    let second = dns.probe(ip("198.18.200.10"));
    assert_eq!(first, second);
    assert_eq!(server.count("10.200.18.198.bl.example.", RecordType::A), 1);
    assert_eq!(
        server.count("10.200.18.198.in-addr.arpa.", RecordType::PTR),
        1
    );
    // A TTL of 0 is not kept.
    let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.8.b.d.0.1.0.0.2.bl.example.";
    dns.probe(ip("2001:db8:300::1"));
    dns.probe(ip("2001:db8:300::1"));
    assert_eq!(server.count(v6, RecordType::A), 2);
}

#[test]
fn queries_in_flight_stay_within_the_bound() {
    // 12 addresses, PTR only: with at most 3 queries in flight the server
    // never sees more than 3 waiting, however it batches.
    let server = DnsServer::start(HashMap::new(), Duration::from_millis(30));
    let dns = LiveDns::new(
        LiveDnsConfig::default()
            .nameserver(server.addr)
            .origin_zones(None)
            .concurrency(3)
            .timeout(Duration::from_secs(5))
            .attempts(1),
    )
    .unwrap();
    let ips: Vec<IpAddr> = (1..=12).map(|i| ip(&format!("192.0.2.{i}"))).collect();
    let out = dns.probe_many(&ips);
    assert_eq!(out.len(), 12);
    for (e, want) in out.iter().zip(&ips) {
        assert_eq!(e.ip, *want, "input order kept");
        assert_eq!(e.ptr, Ptr::Missing);
    }
    let s = server.stats.lock().unwrap();
    assert_eq!(s.queries.values().sum::<usize>(), 12);
    assert!(
        (1..=3).contains(&s.max_waiting),
        "{} in flight",
        s.max_waiting
    );
}

#[test]
fn cli_live_writes_one_json_row_per_input_line() {
    let server = DnsServer::start(zone(), Duration::from_millis(20));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bphscore"))
        .args([
            "live",
            "198.18.200.10",
            "not-an-ip",
            "100.64.1.1",
            "--nameserver",
        ])
        .arg(server.addr.to_string())
        .args([
            "--dnsbl",
            "bl.example",
            "--origin-zones",
            "origin.example",
            "origin6.example",
        ])
        .args(["--timeout-ms", "400"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["class"], "bph-reseller");
    assert_eq!(rows[0]["live_reasons"][0]["signal"], "live:dnsbl_listed");
    assert_eq!(
        rows[0]["live_evidence"]["origin"]["value"]["asns"][0],
        64510
    );
    assert!(rows[0]["live_probability"].as_f64() > rows[0]["snapshot_probability"].as_f64());
    assert_eq!(rows[1]["line"], 2);
    assert!(rows[1]["error"].as_str().unwrap().contains("not an IP"));
    assert_eq!(rows[2]["live_reasons"].as_array().unwrap().len(), 0);
    assert_eq!(rows[2]["live_evidence"]["ptr"]["name"], "mail.isp.example");
}
