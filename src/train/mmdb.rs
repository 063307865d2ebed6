//! A small MaxMind DB writer for the synthetic worlds: an IPv6 search tree
//! (IPv4 networks under `::/96`), 32-bit records, and data records that are
//! maps of strings and booleans, in the published MMDB format (MaxMind DB
//! File Format Specification 2.0).
//!
//! A network inside another one cuts it: the addresses of the inner network
//! get the inner data, the rest of the outer network keeps the outer data,
//! as a published database holds them (its networks never overlap).

/// A value of a data record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A UTF-8 string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A map, written in the given key order.
    Map(Vec<(String, Value)>),
}

/// One network of the database: the address as a 128-bit number (an IPv4
/// address `a` is `u128::from(a)`, under `::/96`), its prefix length in the
/// IPv6 tree (96 + the IPv4 length), and its data.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub(crate) bits: u128,
    pub(crate) len: u8,
    pub(crate) value: Value,
}

impl Network {
    /// An IPv4 network.
    pub(crate) fn v4(start: u32, len: u8, value: Value) -> Network {
        Network {
            bits: u128::from(start),
            len: 96 + len.min(32),
            value,
        }
    }
}

// Data types of the format.
const UTF8: u8 = 2;
const UINT16: u8 = 5;
const UINT32: u8 = 6;
const MAP: u8 = 7;
const UINT64: u8 = 9;
const ARRAY: u8 = 11;
const BOOLEAN: u8 = 14;

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (low, extra): (u8, &[u8]) = if size < 29 {
        (size as u8, &[])
    } else if size < 29 + 256 {
        (29, &[(size - 29) as u8][..])
    } else {
        let s = (size - 285).min(0xffff);
        push_type(out, kind, 30);
        out.extend_from_slice(&[(s >> 8) as u8, s as u8]);
        return;
    };
    push_type(out, kind, low);
    out.extend_from_slice(extra);
}

fn push_type(out: &mut Vec<u8>, kind: u8, low: u8) {
    if kind <= 7 {
        out.push((kind << 5) | low);
    } else {
        // Extended type: type 0 in the control byte, then type - 7.
        out.push(low);
        out.push(kind - 7);
    }
}

fn uint(out: &mut Vec<u8>, kind: u8, n: u64) {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    control(out, kind, bytes.len() - skip);
    out.extend_from_slice(&bytes[skip..]);
}

fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Str(s) => {
            control(out, UTF8, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bool(b) => control(out, BOOLEAN, usize::from(*b)),
        Value::Map(m) => {
            control(out, MAP, m.len());
            for (k, v) in m {
                control(out, UTF8, k.len());
                out.extend_from_slice(k.as_bytes());
                encode(v, out);
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// Gives every empty record under `node` the data at `offset`.
fn fill(nodes: &mut [[Rec; 2]], node: usize, offset: usize) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        for rec in nodes[n].iter_mut() {
            match *rec {
                Rec::Empty => *rec = Rec::Data(offset),
                Rec::Node(c) => stack.push(c),
                Rec::Data(_) => {}
            }
        }
    }
}

/// Writes an MMDB file of `networks` (any order; a more specific network
/// cuts the one around it), with `database_type` and `build_epoch` in its
/// metadata.
pub(crate) fn write(database_type: &str, build_epoch: u64, networks: &[Network]) -> Vec<u8> {
    let mut order: Vec<&Network> = networks.iter().collect();
    // Less specific first, so that an inner network splits an outer one.
    order.sort_by_key(|n| n.len);
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    let mut data = Vec::new();
    for net in order {
        let len = net.len.clamp(1, 128);
        let offset = data.len();
        encode(&net.value, &mut data);
        let mut node = 0usize;
        for depth in 0..len {
            let bit = ((net.bits >> (127 - u32::from(depth))) & 1) as usize;
            if depth + 1 == len {
                match nodes[node][bit] {
                    Rec::Node(c) => fill(&mut nodes, c, offset),
                    _ => nodes[node][bit] = Rec::Data(offset),
                }
                break;
            }
            node = match nodes[node][bit] {
                Rec::Node(n) => n,
                Rec::Empty => {
                    nodes.push([Rec::Empty, Rec::Empty]);
                    let n = nodes.len() - 1;
                    nodes[node][bit] = Rec::Node(n);
                    n
                }
                Rec::Data(outer) => {
                    // Split the outer network: both halves keep its data.
                    nodes.push([Rec::Data(outer), Rec::Data(outer)]);
                    let n = nodes.len() - 1;
                    nodes[node][bit] = Rec::Node(n);
                    n
                }
            };
        }
    }
    let count = nodes.len();
    let mut out = Vec::with_capacity(count * 8 + 16 + data.len() + 512);
    for n in &nodes {
        for r in n {
            let v = match *r {
                Rec::Empty => count,
                Rec::Node(i) => i,
                Rec::Data(off) => count + 16 + off,
            };
            out.extend_from_slice(&(v as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    control(&mut out, MAP, 9);
    let key = |out: &mut Vec<u8>, k: &str| encode(&Value::Str(k.into()), out);
    key(&mut out, "binary_format_major_version");
    uint(&mut out, UINT16, 2);
    key(&mut out, "binary_format_minor_version");
    uint(&mut out, UINT16, 0);
    key(&mut out, "build_epoch");
    uint(&mut out, UINT64, build_epoch);
    key(&mut out, "database_type");
    encode(&Value::Str(database_type.into()), &mut out);
    key(&mut out, "description");
    encode(
        &Value::Map(vec![(
            "en".into(),
            Value::Str("Synthetic geolocation of a bphscore training world".into()),
        )]),
        &mut out,
    );
    key(&mut out, "ip_version");
    uint(&mut out, UINT16, 6);
    key(&mut out, "languages");
    control(&mut out, ARRAY, 1);
    encode(&Value::Str("en".into()), &mut out);
    key(&mut out, "node_count");
    uint(&mut out, UINT32, count as u64);
    key(&mut out, "record_size");
    uint(&mut out, UINT16, 32);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn geo(cc: &str, hosting: bool) -> Value {
        Value::Map(vec![
            (
                "country".into(),
                Value::Map(vec![("iso_code".into(), Value::Str(cc.into()))]),
            ),
            ("is_hosting_provider".into(), Value::Bool(hosting)),
        ])
    }

    #[derive(serde::Deserialize)]
    struct Country {
        iso_code: String,
    }
    #[derive(serde::Deserialize)]
    struct Rec {
        country: Country,
        is_hosting_provider: bool,
    }

    #[test]
    fn maxminddb_reads_what_we_write_and_inner_networks_cut_outer_ones() {
        let bytes = write(
            "test",
            1_793_491_200,
            &[
                // Given inner first: the order must not matter.
                Network::v4(0xf000_0100, 24, geo("RU", true)),
                Network::v4(0xf000_0000, 20, geo("NL", false)),
            ],
        );
        let r = maxminddb::Reader::from_source(&bytes[..]).unwrap();
        assert_eq!(r.metadata().build_epoch, 1_793_491_200);
        assert_eq!(r.metadata().record_size, 32);
        let at = |a: &str| -> Option<(String, bool)> {
            let ip: IpAddr = a.parse().unwrap();
            r.lookup(ip)
                .unwrap()
                .decode::<Rec>()
                .unwrap()
                .map(|x| (x.country.iso_code, x.is_hosting_provider))
        };
        assert_eq!(at("240.0.0.1"), Some(("NL".into(), false)));
        assert_eq!(at("240.0.1.9"), Some(("RU".into(), true)));
        assert_eq!(at("240.0.2.0"), Some(("NL".into(), false)));
        assert_eq!(at("240.0.16.0"), None);
        assert_eq!(at("10.0.0.1"), None);
    }
}
