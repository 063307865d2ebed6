//! Exports: exactness and minimality of the CIDR cover on the default world,
//! and every format checked by the tools that read it where Debian packages
//! them (`nft`, `ipset`; installed by `.ci/run`).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use bphscore::export::{Entry, Export, Family, Format, Selection};
use bphscore::features::Feature;
use bphscore::{Class, Detector};
use ipnetwork::IpNetwork;

fn detector() -> Detector {
    Detector::default_world().unwrap()
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn span(net: &IpNetwork) -> (u128, u128) {
    (to_u128(net.network()), to_u128(net.broadcast()))
}

/// Merges sorted, disjoint ranges that touch.
fn merge(ranges: impl IntoIterator<Item = (u128, u128)>) -> Vec<(u128, u128)> {
    let mut out: Vec<(u128, u128)> = Vec::new();
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if last.1 != u128::MAX && last.1 + 1 == s => last.1 = e,
            _ => out.push((s, e)),
        }
    }
    out
}

/// The selected address set of one family, by scoring every interval
/// independently of the export code.
fn expected(d: &Detector, sel: &Selection, v6: bool) -> Vec<(u128, u128)> {
    if !sel.includes(if v6 { Family::V6 } else { Family::V4 }) {
        return Vec::new();
    }
    let snap = d.snapshot();
    let ranges: Vec<(IpAddr, IpAddr)> = if v6 {
        snap.intervals_v6()
            .map(|r| (IpAddr::V6(*r.start()), IpAddr::V6(*r.end())))
            .collect()
    } else {
        snap.intervals_v4()
            .map(|r| (IpAddr::V4(*r.start()), IpAddr::V4(*r.end())))
            .collect()
    };
    merge(ranges.into_iter().filter_map(|(s, e)| {
        // Every address of an interval scores the same: check the last one too.
        let (a, b) = (d.score_ip(s), d.score_ip(e));
        assert_eq!((a.class, a.probability), (b.class, b.probability));
        // Guard rails: inside a protected range only listed addresses.
        let f = |x: Feature| a.features.get(x);
        let guarded = f(Feature::GuardProtected) >= 1.0
            && f(Feature::IpListed) == 0.0
            && f(Feature::PrefixInDrop) == 0.0;
        (sel.accepts(a.class, a.probability) && !guarded).then(|| (to_u128(s), to_u128(e)))
    }))
}

fn selections() -> Vec<Selection> {
    vec![
        Selection::default(),
        Selection::default().min_class(Class::Bulletproof),
        Selection::default()
            .min_class(Class::AbusedLegitimate)
            .min_probability(0.05),
        Selection::default().min_class(Class::Clean),
        Selection::default().min_class(Class::Unknown),
        Selection::default().min_probability(0.9).family(Family::V6),
        Selection::default()
            .min_class(Class::BphReseller)
            .min_probability(0.9),
    ]
}

#[test]
fn cover_is_exact_and_minimal_on_the_default_world() {
    let d = detector();
    let mut nonempty = 0;
    for sel in selections() {
        let cidrs = Export::select(&d, sel).cidrs();
        for v6 in [false, true] {
            let blocks: Vec<&IpNetwork> = cidrs.iter().filter(|n| n.is_ipv6() == v6).collect();
            let spans: Vec<(u128, u128)> = blocks.iter().map(|n| span(n)).collect();
            // In order and disjoint.
            for w in spans.windows(2) {
                assert!(w[0].1 < w[1].0, "{sel}: {:?}", w);
            }
            // Exactly the selected addresses.
            let want = expected(&d, &sel, v6);
            assert_eq!(merge(spans.iter().copied()), want, "{sel}, v6 {v6}");
            // Minimal: no two blocks are the halves of one larger block
            // (outside ranges under guard rails, which are never merged).
            let protected = |n: &IpNetwork| {
                d.score_ip(n.network())
                    .features
                    .get(Feature::GuardProtected)
                    >= 1.0
            };
            for w in blocks.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a.prefix() == b.prefix() && a.prefix() > 0 && !protected(a) && !protected(b) {
                    let parent = IpNetwork::new(a.network(), a.prefix() - 1).unwrap();
                    assert!(
                        !(parent.network() == a.network() && parent.contains(b.network())),
                        "{sel}: {a} and {b} merge into {parent}"
                    );
                }
            }
            nonempty += usize::from(!want.is_empty());
        }
    }
    assert!(nonempty >= 8, "the selections exercise both families");
}

#[test]
fn labelled_entries_cover_the_same_addresses_with_their_verdicts() {
    let d = detector();
    for sel in selections() {
        let export = Export::select(&d, sel);
        let entries: Vec<Entry> = export.entries();
        let plain = merge(export.cidrs().iter().map(span));
        let labelled = merge(entries.iter().map(|e| span(&e.network)));
        assert_eq!(plain, labelled, "{sel}");
        assert!(entries.len() >= export.cidrs().len());
        for e in &entries {
            for ip in [e.network.network(), e.network.broadcast()] {
                let s = d.score_ip(ip);
                assert_eq!(s.class, e.class, "{ip}");
                let rep = |p: f64| (p * 127.0).round().max(1.0);
                assert_eq!(rep(s.probability), rep(e.probability), "{ip}");
            }
        }
    }
}

#[test]
fn protected_ranges_are_never_exported() {
    let d = detector();
    let sel = Selection::default().min_class(Class::Clean);
    let all = merge(Export::select(&d, sel).cidrs().iter().map(span));
    let protect: Vec<IpNetwork> = ["198.18.4.0/22", "100.64.1.1/32", "2001:db8:380::/41"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let mut export = Export::select(&d, sel);
    export.protect(&protect);
    let got = merge(export.cidrs().iter().map(span));
    // Expected: the full set minus the protected ranges, address by range.
    let cuts: Vec<(u128, u128)> = protect.iter().map(span).collect();
    let mut want = Vec::new();
    for (s, e) in all {
        let mut pieces = vec![(s, e)];
        for &(cs, ce) in &cuts {
            pieces = pieces
                .into_iter()
                .flat_map(|(s, e)| {
                    let mut v = Vec::new();
                    if ce < s || cs > e {
                        v.push((s, e));
                    } else {
                        if cs > s {
                            v.push((s, cs - 1));
                        }
                        if ce < e {
                            v.push((ce + 1, e));
                        }
                    }
                    v
                })
                .collect();
        }
        want.extend(pieces);
    }
    let want = merge(want);
    assert_eq!(got, want);
    assert!(got.len() > 3);
    for net in export.cidrs() {
        for p in &protect {
            assert!(
                !net.contains(p.network()) && !p.contains(net.network()),
                "{net} vs {p}"
            );
        }
    }
}

fn write(export: &Export, format: Format) -> String {
    let mut out = Vec::new();
    export.write(format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn networks_in(text: &str) -> BTreeSet<IpNetwork> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
        .filter_map(|t| {
            t.parse::<IpNetwork>()
                .ok()
                .or_else(|| t.parse::<IpAddr>().ok().map(IpNetwork::from))
        })
        .collect()
}

#[test]
fn every_format_carries_provenance_and_the_blocks() {
    let d = detector();
    let export = Export::select(&d, Selection::default().min_class(Class::AbusedLegitimate));
    let snap = d.snapshot();
    let crc = format!("{:016x}", snap.checksum());
    let cidrs: BTreeSet<IpNetwork> = export.cidrs().into_iter().collect();
    for format in Format::ALL {
        let text = write(&export, format);
        let head: Vec<&str> = text.lines().take_while(|l| l.starts_with("# ")).collect();
        let head = head.join("\n");
        assert!(head.contains(&crc), "{format}: {head}");
        assert!(head.contains("2026-11-12T08:00:00Z"), "{format}");
        assert!(head.contains("min-class abused-legitimate"), "{format}");
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let found = networks_in(&body);
        match format {
            Format::Nft | Format::Ipset | Format::Cidr => assert_eq!(found, cidrs, "{format}"),
            _ => {
                let entries: BTreeSet<IpNetwork> =
                    export.entries().into_iter().map(|e| e.network).collect();
                assert_eq!(found, entries, "{format}");
            }
        }
    }
}

#[test]
fn suricata_lines_follow_the_iprep_grammar() {
    // Suricata is not packaged for this Debian release, so its reader's
    // rules are checked here: `ip,category,score`, category in
    // categories.txt (id below 60, short name under 32 bytes), score 1–127.
    let d = detector();
    let export = Export::select(&d, Selection::default().min_class(Class::AbusedLegitimate));
    let mut cats = Vec::new();
    export.write_suricata_categories(&mut cats).unwrap();
    let cats = String::from_utf8(cats).unwrap();
    let mut ids = std::collections::BTreeMap::new();
    for line in cats.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.splitn(3, ',').collect();
        assert_eq!(f.len(), 3, "{line}");
        let id: u8 = f[0].parse().unwrap();
        assert!(id > 0 && id < 60);
        assert!(f[1].len() < 32 && !f[1].contains(' '));
        ids.insert(id, f[1].to_owned());
    }
    assert_eq!(ids.len(), Class::ALL.len());
    let rep = write(&export, Format::Suricata);
    let mut n = 0;
    for line in rep.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 3, "{line}");
        let net: IpNetwork = f[0].parse().unwrap();
        let cat: u8 = f[1].parse().unwrap();
        let score: u8 = f[2].parse().unwrap();
        assert!((1..=127).contains(&score), "{line}");
        let class: Class = ids[&cat].parse().unwrap();
        let s = d.score_ip(net.network());
        assert_eq!(s.class, class);
        assert_eq!(
            i64::from(score),
            ((s.probability * 127.0).round() as i64).max(1)
        );
        n += 1;
    }
    assert_eq!(n, export.entries().len());
}

#[test]
fn zeek_intel_rows_are_typed_tab_separated() {
    // Down to abused-legitimate: the listed single hosts of the cloud give
    // `Intel::ADDR` rows beside the blocks' `Intel::SUBNET` rows.
    let export = Export::select(
        &detector(),
        Selection::default().min_class(Class::AbusedLegitimate),
    );
    let text = write(&export, Format::Zeek);
    let mut lines = text.lines().skip_while(|l| l.starts_with("# "));
    assert_eq!(
        lines.next(),
        Some("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc")
    );
    let mut kinds = BTreeSet::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "{line}");
        match f[1] {
            "Intel::ADDR" => {
                f[0].parse::<IpAddr>().unwrap();
            }
            "Intel::SUBNET" => {
                let net: IpNetwork = f[0].parse().unwrap();
                assert!(net.prefix() < if net.is_ipv6() { 128 } else { 32 });
            }
            other => panic!("indicator type {other}"),
        }
        kinds.insert(f[1]);
        assert_eq!(f[2], "bphscore");
        assert!(
            ["bulletproof", "bph-reseller", "abused-legitimate"]
                .iter()
                .any(|c| f[3].starts_with(c)),
            "{line}"
        );
    }
    assert_eq!(kinds.len(), 2, "both indicator types occur");
}

// ---- the real tools ----

fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        eprintln!("SKIPPED: {name} is not installed (.ci/run installs it)");
    }
    found
}

fn export_file(dir: &Path, export: &Export, format: Format) -> std::path::PathBuf {
    let path = dir.join(format!("export.{format}"));
    export
        .write(format, std::fs::File::create(&path).unwrap())
        .unwrap();
    path
}

/// The address set of some blocks, as merged ranges (ipset writes a /0 as
/// two /1s, and kernels list in their own order).
fn spans<'a>(nets: impl IntoIterator<Item = &'a IpNetwork>) -> [Vec<(u128, u128)>; 2] {
    let mut v: [Vec<(u128, u128)>; 2] = Default::default();
    for n in nets {
        v[usize::from(n.is_ipv6())].push(span(n));
    }
    v.map(|mut f| {
        f.sort_unstable();
        merge(f)
    })
}

/// Runs `script` in a private network namespace, so that loading sets
/// touches nothing on the host.
fn in_netns(script: &str) -> std::process::Output {
    let out = Command::new("unshare")
        .args(["--net", "sh", "-c", script])
        .output()
        .expect("unshare runs");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn nft_checks_loads_and_reloads_the_export() {
    if !tool("nft") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = detector();
    for sel in selections() {
        let export = Export::select(&d, sel);
        let path = export_file(dir.path(), &export, Format::Nft);
        let check = Command::new("nft")
            .arg("-c")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "nft -c: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        // Load twice (a reload), then read the sets back from the kernel.
        let p = path.display();
        let out = in_netns(&format!(
            "nft -f {p} && nft -f {p} && nft list table inet bphscore"
        ));
        let listed = networks_in(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(spans(&listed), spans(&export.cidrs()), "{sel}");
    }
}

#[test]
fn ipset_restores_and_reloads_the_export() {
    if !tool("ipset") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = detector();
    for sel in selections() {
        let export = Export::select(&d, sel).name("blk").unwrap();
        let path = export_file(dir.path(), &export, Format::Ipset);
        let p = path.display();
        let out = in_netns(&format!(
            "ipset restore < {p} && ipset restore < {p} && ipset list"
        ));
        let text = String::from_utf8_lossy(&out.stdout);
        // The temporary sets are gone.
        assert!(!text.contains("_tmp"), "{text}");
        let listed = networks_in(&text);
        assert_eq!(spans(&listed), spans(&export.cidrs()), "{sel}");
    }
}

// ---- the command line ----

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bphscore"))
}

/// The former hand-set logistic model, which this test's thresholds were
/// chosen for.
const HANDSET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/handset.json");

#[test]
fn cli_writes_suricata_files_and_honours_protect_lists() {
    let dir = tempfile::tempdir().unwrap();
    let protect = dir.path().join("protect.txt");
    std::fs::write(&protect, "# never block\n198.18.0.0/21 ; half the AS\n").unwrap();
    let rep = dir.path().join("bphscore.list");
    let out = bin()
        .args(["export", "--model", HANDSET])
        .args(["--format", "suricata", "--family", "4", "--min-prob", "0.5"])
        .arg("--protect")
        .arg(&protect)
        .arg("-o")
        .arg(&rep)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("before merging"), "{stderr}");
    let cats = std::fs::read_to_string(dir.path().join("categories.txt")).unwrap();
    assert!(cats.contains("\n1,bulletproof,"));
    let text = std::fs::read_to_string(&rep).unwrap();
    let nets = networks_in(
        &text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(',').next().unwrap())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert!(nets.contains(&"198.18.8.0/21".parse().unwrap()));
    let half: IpNetwork = "198.18.0.0/21".parse().unwrap();
    assert!(
        nets.iter()
            .all(|n| n.is_ipv4() && !half.contains(n.network()))
    );
    assert!(text.contains("min-prob 0.5, family ipv4"));
}

#[test]
fn cli_export_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let protect = dir.path().join("protect.txt");
    std::fs::write(&protect, "192.0.2.0/24\n192.0.2.7/24\n").unwrap();
    let out = bin()
        .args(["export", "--format", "cidr", "--protect"])
        .arg(&protect)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("protect.txt:2:"), "{err}");
    // Suricata needs somewhere to put categories.txt.
    let out = bin()
        .args(["export", "--format", "suricata"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Unknown class.
    let out = bin()
        .args(["export", "--format", "nft", "--min-class", "evil"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_cidr_export_to_stdout_matches_the_library() {
    let out = bin()
        .args([
            "export",
            "--format",
            "cidr",
            "--min-class",
            "abused-legitimate",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<IpNetwork> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.parse().unwrap())
        .collect();
    let want = Export::select(
        &detector(),
        Selection::default().min_class(Class::AbusedLegitimate),
    )
    .cidrs();
    assert_eq!(got, want);
}
