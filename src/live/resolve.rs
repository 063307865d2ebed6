//! The live DNS resolver (cargo feature `dns`), on hickory-resolver.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use super::{Answer, DnsblListing, LiveEvidence, OriginAs, Ptr, reversed_name};
use crate::error::{Error, Result};

/// How live DNS look-ups are made.
///
/// ```
/// use bphscore::live::LiveDnsConfig;
/// use std::time::Duration;
///
/// let config = LiveDnsConfig::default()
///     .nameserver("127.0.0.1:5353".parse()?)
///     .dnsbl_zone("zen.spamhaus.org")
///     .timeout(Duration::from_millis(800))
///     .concurrency(16);
/// assert_eq!(config.dnsbl_zones(), ["zen.spamhaus.org"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct LiveDnsConfig {
    nameservers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
    concurrency: usize,
    cache_size: u64,
    dnsbl_zones: Vec<String>,
    origin_zones: Option<(String, String)>,
    reverse: bool,
}

impl Default for LiveDnsConfig {
    /// The system's resolvers (`/etc/resolv.conf`), a 2 s timeout, 2
    /// attempts, 32 queries in flight, a 4,096-entry cache, reverse DNS and
    /// Team Cymru's origin zones on, no DNSBL zone (most DNSBLs need an
    /// agreement or refuse public resolvers: add yours).
    fn default() -> Self {
        LiveDnsConfig {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(2),
            attempts: 2,
            concurrency: 32,
            cache_size: 4096,
            dnsbl_zones: Vec::new(),
            origin_zones: Some((
                "origin.asn.cymru.com".to_owned(),
                "origin6.asn.cymru.com".to_owned(),
            )),
            reverse: true,
        }
    }
}

impl LiveDnsConfig {
    /// Asks this server (UDP, then TCP for truncated answers) instead of
    /// the system's; repeatable.
    pub fn nameserver(mut self, addr: SocketAddr) -> Self {
        self.nameservers.push(addr);
        self
    }

    /// Time allowed for one query.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Tries per query (at least 1).
    pub fn attempts(mut self, n: usize) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// Queries in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Answers kept in the cache, each for its TTL.
    pub fn cache_size(mut self, n: u64) -> Self {
        self.cache_size = n;
        self
    }

    /// Asks this DNSBL zone; repeatable.
    pub fn dnsbl_zone(mut self, zone: &str) -> Self {
        self.dnsbl_zones
            .push(zone.trim_end_matches('.').to_ascii_lowercase());
        self
    }

    /// The zones of origin-AS TXT look-ups for IPv4 and IPv6, or `None` to
    /// skip them.
    pub fn origin_zones(mut self, zones: Option<(&str, &str)>) -> Self {
        self.origin_zones = zones.map(|(a, b)| (a.to_owned(), b.to_owned()));
        self
    }

    /// Whether to look up PTR records.
    pub fn reverse(mut self, on: bool) -> Self {
        self.reverse = on;
        self
    }

    /// The DNSBL zones asked.
    pub fn dnsbl_zones(&self) -> &[String] {
        &self.dnsbl_zones
    }
}

/// A live DNS client: a resolver on its own small runtime, so that callers
/// stay synchronous.
///
/// `LiveDns` is `Send + Sync`; its cache is shared by every look-up.
pub struct LiveDns {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
    config: Arc<LiveDnsConfig>,
}

impl std::fmt::Debug for LiveDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveDns")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One question about one address.
#[derive(Clone, Copy)]
enum Question {
    Ptr,
    Dnsbl(usize),
    Origin,
}

enum Reply {
    Ptr(Answer<String>),
    Dnsbl(DnsblListing),
    Origin(Answer<OriginAs>),
}

fn failure(e: &NetError) -> String {
    match e {
        NetError::Timeout => "timeout".to_owned(),
        other => other.to_string(),
    }
}

impl LiveDns {
    /// A client with `config`.
    pub fn new(config: LiveDnsConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Build {
                message: format!("cannot start the DNS runtime: {e}"),
            })?;
        let mut opts = ResolverOpts::default();
        opts.timeout = config.timeout;
        opts.attempts = config.attempts;
        opts.cache_size = config.cache_size;
        // Names are always absolute: no search domains.
        opts.ndots = 0;
        let builder = if config.nameservers.is_empty() {
            let mut b = TokioResolver::builder_tokio().map_err(|e| Error::Build {
                message: format!("cannot read the system's DNS configuration: {e}"),
            })?;
            *b.options_mut() = opts;
            b
        } else {
            let servers = config
                .nameservers
                .iter()
                .map(|a| {
                    let conns = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                        .into_iter()
                        .map(|mut c| {
                            c.port = a.port();
                            c
                        })
                        .collect();
                    NameServerConfig::new(a.ip(), true, conns)
                })
                .collect();
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
            .with_options(opts)
        };
        let resolver = {
            let _guard = runtime.enter();
            builder.build().map_err(|e| Error::Build {
                message: format!("cannot build the DNS resolver: {e}"),
            })?
        };
        Ok(LiveDns {
            runtime,
            resolver,
            config: Arc::new(config),
        })
    }

    /// Looks up one address.
    pub fn probe(&self, ip: IpAddr) -> LiveEvidence {
        self.probe_many(&[ip])
            .pop()
            .unwrap_or_else(|| empty(ip, &self.config))
    }

    /// Looks up many addresses, at most the configured number of queries
    /// in flight at once; the results are in input order.
    pub fn probe_many(&self, ips: &[IpAddr]) -> Vec<LiveEvidence> {
        let config = &self.config;
        let mut out: Vec<LiveEvidence> = ips.iter().map(|&ip| empty(ip, config)).collect();
        let mut questions = Vec::new();
        for i in 0..ips.len() {
            if config.reverse {
                questions.push((i, Question::Ptr));
            }
            for z in 0..config.dnsbl_zones.len() {
                questions.push((i, Question::Dnsbl(z)));
            }
            if config.origin_zones.is_some() {
                questions.push((i, Question::Origin));
            }
        }
        let replies = self.runtime.block_on(async {
            let gate = Arc::new(tokio::sync::Semaphore::new(config.concurrency));
            let mut tasks = tokio::task::JoinSet::new();
            for (i, q) in questions {
                let resolver = self.resolver.clone();
                let config = Arc::clone(config);
                let gate = Arc::clone(&gate);
                let ip = ips[i];
                tasks.spawn(async move {
                    // The semaphore is never closed, so acquiring only waits.
                    let _permit = gate.acquire_owned().await.ok();
                    (i, ask(&resolver, &config, ip, q).await)
                });
            }
            let mut replies = Vec::new();
            while let Some(done) = tasks.join_next().await {
                if let Ok(r) = done {
                    replies.push(r);
                }
            }
            replies
        });
        for (i, reply) in replies {
            let e = &mut out[i];
            match reply {
                Reply::Ptr(Answer::Found(name)) => e.ptr = Ptr::classify(e.ip, Some(&name)),
                Reply::Ptr(Answer::Absent) => e.ptr = Ptr::Missing,
                Reply::Ptr(Answer::Failed(m)) => e.ptr = Ptr::Failed(m),
                Reply::Dnsbl(l) => {
                    if let Some(slot) = e.dnsbl.iter_mut().find(|x| x.zone == l.zone) {
                        *slot = l;
                    }
                }
                Reply::Origin(o) => e.origin = o,
            }
        }
        out
    }
}

/// Evidence before any answer: every question failed until answered.
fn empty(ip: IpAddr, config: &LiveDnsConfig) -> LiveEvidence {
    let pending = || "not asked".to_owned();
    LiveEvidence {
        ip,
        ptr: Ptr::Failed(pending()),
        dnsbl: config
            .dnsbl_zones
            .iter()
            .map(|z| DnsblListing {
                zone: z.clone(),
                answer: Answer::Failed(pending()),
            })
            .collect(),
        origin: Answer::Failed(pending()),
    }
}

async fn ask(resolver: &TokioResolver, config: &LiveDnsConfig, ip: IpAddr, q: Question) -> Reply {
    match q {
        Question::Ptr => {
            let zone = if ip.is_ipv4() {
                "in-addr.arpa"
            } else {
                "ip6.arpa"
            };
            Reply::Ptr(
                match resolver.reverse_lookup(reversed_name(ip, zone)).await {
                    Ok(l) => l
                        .answers()
                        .iter()
                        .find_map(|r| match &r.data {
                            RData::PTR(p) => Some(p.0.to_ascii()),
                            _ => None,
                        })
                        .map_or(Answer::Absent, Answer::Found),
                    Err(e) if e.is_no_records_found() => Answer::Absent,
                    Err(e) => Answer::Failed(failure(&e)),
                },
            )
        }
        Question::Dnsbl(z) => {
            let zone = &config.dnsbl_zones[z];
            Reply::Dnsbl(match resolver.ipv4_lookup(reversed_name(ip, zone)).await {
                Ok(l) => {
                    let codes: Vec<_> = l
                        .answers()
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::A(a) => Some(a.0),
                            _ => None,
                        })
                        .collect();
                    DnsblListing::from_codes(zone, &codes)
                }
                Err(e) if e.is_no_records_found() => DnsblListing {
                    zone: zone.clone(),
                    answer: Answer::Absent,
                },
                Err(e) => DnsblListing {
                    zone: zone.clone(),
                    answer: Answer::Failed(failure(&e)),
                },
            })
        }
        Question::Origin => {
            let Some((v4, v6)) = &config.origin_zones else {
                return Reply::Origin(Answer::Failed("not asked".to_owned()));
            };
            let zone = if ip.is_ipv4() { v4 } else { v6 };
            Reply::Origin(match resolver.txt_lookup(reversed_name(ip, zone)).await {
                Ok(l) => {
                    let texts: Vec<String> = l
                        .answers()
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::TXT(t) => Some(
                                t.txt_data
                                    .iter()
                                    .map(|s| String::from_utf8_lossy(s).into_owned())
                                    .collect::<String>(),
                            ),
                            _ => None,
                        })
                        .collect();
                    match texts.iter().find_map(|t| OriginAs::parse_txt(t)) {
                        Some(o) => Answer::Found(o),
                        None if texts.is_empty() => Answer::Absent,
                        None => Answer::Failed(format!("unparsable TXT {:?}", texts[0])),
                    }
                }
                Err(e) if e.is_no_records_found() => Answer::Absent,
                Err(e) => Answer::Failed(failure(&e)),
            })
        }
    }
}
