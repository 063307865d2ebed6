//! The writers of each export format.

use std::io::{self, Write};
use std::net::IpAddr;

use super::{Export, Run, for_each_block, label_key};
use crate::score::Class;
use crate::snapshot;

fn comments(e: &Export, what: &str, out: &mut impl Write) -> io::Result<()> {
    for line in e.header(what) {
        writeln!(out, "# {line}")?;
    }
    Ok(())
}

fn families(e: &Export) -> [(&[Run], bool); 2] {
    [(&e.v4, false), (&e.v6, true)]
}

fn wants(e: &Export, v6: bool) -> bool {
    e.selection.includes(if v6 {
        super::Family::V6
    } else {
        super::Family::V4
    })
}

fn set_name(e: &Export, v6: bool) -> String {
    format!("{}_{}", e.name, if v6 { "v6" } else { "v4" })
}

/// nftables: the sets are declared (a no-op when they exist), flushed and
/// refilled in one `nft -f` transaction, so reloading replaces the content
/// atomically and leaves the rest of the table (chains, rules) alone.
pub(super) fn nft(e: &Export, out: &mut impl Write) -> io::Result<()> {
    comments(e, "nftables; load with: nft -f FILE", out)?;
    let table = &e.name;
    writeln!(out, "table inet {table} {{")?;
    for (_, v6) in families(e) {
        if !wants(e, v6) {
            continue;
        }
        writeln!(out, "\tset {} {{", set_name(e, v6))?;
        writeln!(
            out,
            "\t\ttype {}",
            if v6 { "ipv6_addr" } else { "ipv4_addr" }
        )?;
        writeln!(out, "\t\tflags interval")?;
        writeln!(out, "\t}}")?;
    }
    writeln!(out, "}}")?;
    for (runs, v6) in families(e) {
        if !wants(e, v6) {
            continue;
        }
        let set = set_name(e, v6);
        writeln!(out, "flush set inet {table} {set}")?;
        if runs.is_empty() {
            continue;
        }
        writeln!(out, "add element inet {table} {set} {{")?;
        let mut result = Ok(());
        for_each_block(
            runs,
            v6,
            |_| (),
            |net, len, _| {
                if result.is_ok() {
                    result = writeln!(out, "\t{},", snapshot::to_network(net, len, v6));
                }
            },
        );
        result?;
        writeln!(out, "}}")?;
    }
    Ok(())
}

/// `ipset restore` input. Each set is filled under a temporary name and
/// swapped in, so a reload never leaves a half-filled set in use.
pub(super) fn ipset(e: &Export, out: &mut impl Write) -> io::Result<()> {
    comments(e, "ipset; load with: ipset restore < FILE", out)?;
    for (runs, v6) in families(e) {
        if !wants(e, v6) {
            continue;
        }
        let mut blocks = Vec::new();
        for_each_block(
            runs,
            v6,
            |_| (),
            |net, len, _| {
                // hash:net takes prefix lengths from 1: a /0 is two /1s.
                if len == 0 {
                    blocks.push((net, 1));
                    blocks.push((net | (1u128 << if v6 { 127 } else { 31 }), 1));
                } else {
                    blocks.push((net, len));
                }
            },
        );
        let set = set_name(e, v6);
        let tmp = format!("{set}_tmp");
        let family = if v6 { "inet6" } else { "inet" };
        let maxelem = blocks.len().next_power_of_two().max(65_536);
        let hashsize = (blocks.len() / 4).next_power_of_two().clamp(1024, 1 << 20);
        let create = |name: &str| {
            format!(
                "create {name} hash:net family {family} hashsize {hashsize} maxelem {maxelem} -exist"
            )
        };
        writeln!(out, "{}", create(&set))?;
        writeln!(out, "{}", create(&tmp))?;
        writeln!(out, "flush {tmp}")?;
        for (net, len) in blocks {
            writeln!(out, "add {tmp} {}", snapshot::to_network(net, len, v6))?;
        }
        writeln!(out, "swap {tmp} {set}")?;
        writeln!(out, "destroy {tmp}")?;
    }
    Ok(())
}

/// Suricata's category id of a class (fixed, see
/// [`Export::write_suricata_categories`]).
pub(super) fn category(class: Class) -> u8 {
    match class {
        Class::Bulletproof => 1,
        Class::BphReseller => 2,
        Class::AbusedLegitimate => 3,
        Class::Clean => 4,
        Class::Unknown => 5,
    }
}

/// A probability as a Suricata reputation score: 1 to 127 (0 means "no
/// data" to Suricata, so a listed block scores at least 1).
pub(super) fn reputation(probability: f64) -> u8 {
    (probability.clamp(0.0, 1.0) * 127.0).round().max(1.0) as u8
}

pub(super) fn suricata(e: &Export, out: &mut impl Write) -> io::Result<()> {
    comments(e, "Suricata IP reputation file: ip,category,score", out)?;
    for (runs, v6) in families(e) {
        let mut result = Ok(());
        for_each_block(runs, v6, label_key, |net, len, run| {
            if result.is_ok() {
                result = writeln!(
                    out,
                    "{},{},{}",
                    snapshot::to_network(net, len, v6),
                    category(run.class),
                    reputation(run.probability)
                );
            }
        });
        result?;
    }
    Ok(())
}

pub(super) fn suricata_categories(e: &Export, mut out: impl Write) -> io::Result<()> {
    comments(
        e,
        "Suricata IP reputation categories: id,short name,description",
        &mut out,
    )?;
    let about = |c: Class| match c {
        Class::Bulletproof => "Bulletproof hosting: the whole network shelters abuse",
        Class::BphReseller => "Bad block inside a legitimate provider (bulletproof reseller)",
        Class::AbusedLegitimate => "Legitimate network with abused hosts",
        Class::Clean => "Known network without significant abuse",
        Class::Unknown => "Unknown to the snapshot",
    };
    for class in Class::ALL {
        writeln!(
            out,
            "{},{},{} (bphscore)",
            category(class),
            class.name(),
            about(class)
        )?;
    }
    out.flush()
}

/// Zeek Intel framework TSV. Zeek's reader skips `#` lines other than its
/// `#fields` header, so the provenance comment goes first.
pub(super) fn zeek(e: &Export, out: &mut impl Write) -> io::Result<()> {
    comments(e, "Zeek Intel framework; add to Intel::read_files", out)?;
    writeln!(
        out,
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
    )?;
    let built = crate::source::format_date(e.build_time);
    for (runs, v6) in families(e) {
        let mut result = Ok(());
        for_each_block(runs, v6, label_key, |net, len, run| {
            if result.is_err() {
                return;
            }
            let host = len == if v6 { 128 } else { 32 };
            let indicator = if host {
                let ip: IpAddr = snapshot::to_network(net, len, v6).ip();
                ip.to_string()
            } else {
                snapshot::to_network(net, len, v6).to_string()
            };
            result = writeln!(
                out,
                "{indicator}\t{}\t{}\t{} (probability {:.2}; snapshot {built})",
                if host { "Intel::ADDR" } else { "Intel::SUBNET" },
                e.name,
                run.class,
                run.probability
            );
        });
        result?;
    }
    Ok(())
}

pub(super) fn cidr(e: &Export, out: &mut impl Write) -> io::Result<()> {
    comments(e, "aggregated CIDR list", out)?;
    for (runs, v6) in families(e) {
        let mut result = Ok(());
        for_each_block(
            runs,
            v6,
            |_| (),
            |net, len, _| {
                if result.is_ok() {
                    result = writeln!(out, "{}", snapshot::to_network(net, len, v6));
                }
            },
        );
        result?;
    }
    Ok(())
}
