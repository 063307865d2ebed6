//! A small MaxMind DB writer for tests: an IPv6 tree (IPv4 networks under
//! `::/96`), 24-bit records, maps of strings, unsigned integers and
//! booleans, in the published MMDB format (MaxMind DB File Format
//! Specification 2.0). Networks must not overlap.

use std::collections::BTreeMap;

/// A value of a data record.
#[derive(Debug, Clone)]
pub enum Value {
    Str(String),
    U32(u32),
    Bool(bool),
    Map(BTreeMap<String, Value>),
}

/// A map from string keys.
pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (first, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 285 {
        (29, vec![(size - 29) as u8])
    } else {
        let s = size - 285;
        (30, vec![(s >> 8) as u8, s as u8])
    };
    if kind <= 7 {
        out.push((kind << 5) | first);
    } else {
        out.push(first);
        out.push(kind - 7);
    }
    out.extend_from_slice(&extra);
}

fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Str(s) => {
            control(out, 2, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Value::U32(n) => {
            let bytes: Vec<u8> = n
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            control(out, 6, bytes.len());
            out.extend_from_slice(&bytes);
        }
        Value::Bool(b) => control(out, 14, usize::from(*b)),
        Value::Map(m) => {
            control(out, 7, m.len());
            for (k, v) in m {
                encode(&Value::Str(k.clone()), out);
                encode(v, out);
            }
        }
    }
}

fn encode_u16(n: u16, out: &mut Vec<u8>) {
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    control(out, 5, bytes.len());
    out.extend_from_slice(&bytes);
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// Writes an MMDB file holding `networks` (CIDR, data), with `build_epoch`.
pub fn write(database_type: &str, build_epoch: u32, networks: &[(&str, Value)]) -> Vec<u8> {
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    let mut data = Vec::new();
    for (cidr, value) in networks {
        let net: ipnetwork::IpNetwork = cidr.parse().expect("CIDR");
        let (bits, len): (u128, u8) = match net {
            ipnetwork::IpNetwork::V4(n) => (u128::from(u32::from(n.network())), 96 + n.prefix()),
            ipnetwork::IpNetwork::V6(n) => (u128::from(n.network()), n.prefix()),
        };
        let offset = data.len();
        encode(value, &mut data);
        let mut node = 0usize;
        for depth in 0..len {
            let bit = ((bits >> (127 - depth)) & 1) as usize;
            if depth + 1 == len {
                nodes[node][bit] = Rec::Data(offset);
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
                Rec::Data(_) => panic!("overlapping networks"),
            };
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for n in &nodes {
        for r in n {
            let v = match *r {
                Rec::Empty => count,
                Rec::Node(i) => i,
                Rec::Data(off) => count + 16 + off,
            };
            out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    // Metadata map: 9 keys.
    control(&mut out, 7, 9);
    encode(&Value::Str("binary_format_major_version".into()), &mut out);
    encode_u16(2, &mut out);
    encode(&Value::Str("binary_format_minor_version".into()), &mut out);
    encode_u16(0, &mut out);
    encode(&Value::Str("build_epoch".into()), &mut out);
    let epoch: Vec<u8> = u64::from(build_epoch)
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    control(&mut out, 9, epoch.len());
    out.extend_from_slice(&epoch);
    encode(&Value::Str("database_type".into()), &mut out);
    encode(&Value::Str(database_type.into()), &mut out);
    encode(&Value::Str("description".into()), &mut out);
    encode(&Value::Map(BTreeMap::new()), &mut out);
    encode(&Value::Str("ip_version".into()), &mut out);
    encode_u16(6, &mut out);
    encode(&Value::Str("languages".into()), &mut out);
    control(&mut out, 11, 0);
    encode(&Value::Str("node_count".into()), &mut out);
    encode(&Value::U32(count as u32), &mut out);
    encode(&Value::Str("record_size".into()), &mut out);
    encode_u16(24, &mut out);
    out
}
