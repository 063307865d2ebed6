//! Hostile inputs: corrupted and truncated snapshots, decompression bombs,
//! huge lines, binary junk in text feeds, cut downloads, and the inputs of
//! past fuzzing crashes. Whatever the bytes, bphscore must answer with a
//! typed error or a valid result, never a panic.
//!
//! The files live in `testdata/hostile/` (see its README); larger inputs are
//! generated here. Two exhaustive sweeps are too slow for a debug build and
//! are `#[ignore]`d; run them with
//! `cargo test --release --test hostile -- --ignored`.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use bphscore::source::{Format, Limits, Parser, Record};
use bphscore::{Detector, Error, Model, Snapshot, SnapshotBuilder, Subject};

// ---- helpers ----

fn hostile(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/hostile")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The default world's snapshot bytes, built once.
fn world_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        bphscore::world::snapshot()
            .expect("the default world builds")
            .as_bytes()
            .to_vec()
    })
}

const TRAILER_LEN: usize = 16;
const HEADER_LEN: usize = 64;
const SECTION_ENTRY_LEN: usize = 24;

const SEC_META: u32 = 1;
const SEC_V6_STARTS: u32 = 6;
const SEC_V6_CELLS: u32 = 7;
const SEC_CELLS: u32 = 8;
const SEC_ROUTES: u32 = 9;
const SEC_ASES: u32 = 10;
const SEC_STRINGS: u32 = 11;
const SEC_AS_ROUTING: u32 = 17;
const SEC_AS_GEO: u32 = 18;
const SEC_TIMED_AS: u32 = 25;
const SEC_CELL_TIMED: u32 = 28;

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The section table of snapshot bytes: (id, offset, length).
fn sections(b: &[u8]) -> Vec<(u32, usize, usize)> {
    let count = u32_le(b, 32) as usize;
    (0..count)
        .map(|i| {
            let e = HEADER_LEN + i * SECTION_ENTRY_LEN;
            (
                u32_le(b, e),
                u64_le(b, e + 8) as usize,
                u64_le(b, e + 16) as usize,
            )
        })
        .collect()
}

fn section(b: &[u8], id: u32) -> std::ops::Range<usize> {
    let (_, off, len) = sections(b)
        .into_iter()
        .find(|s| s.0 == id)
        .expect("section present");
    off..off + len
}

/// Recomputes the trailer's checksum after an edit, as a forger would.
fn reseal(b: &mut [u8]) {
    let body = b.len() - TRAILER_LEN;
    let sum = bphscore::snapshot::checksum(&b[..body]);
    b[body + 8..body + 16].copy_from_slice(&sum.to_le_bytes());
}

/// Replaces one section's content: the new body goes after the old
/// sections, the table entry, the file length and the checksum are updated.
fn replace_section(b: &[u8], id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = b[..b.len() - TRAILER_LEN].to_vec();
    out.resize(out.len().next_multiple_of(16), 0);
    let offset = out.len();
    out.extend_from_slice(body);
    out.resize(out.len().next_multiple_of(16), 0);
    let entry = (0..u32_le(b, 32) as usize)
        .map(|i| HEADER_LEN + i * SECTION_ENTRY_LEN)
        .find(|&e| u32_le(b, e) == id)
        .expect("section present");
    out[entry + 8..entry + 16].copy_from_slice(&(offset as u64).to_le_bytes());
    out[entry + 16..entry + 24].copy_from_slice(&(body.len() as u64).to_le_bytes());
    let len = (out.len() + TRAILER_LEN) as u64;
    out[24..32].copy_from_slice(&len.to_le_bytes());
    out.extend_from_slice(b"BPHEND\0\0");
    out.extend_from_slice(&[0; 8]);
    reseal(&mut out);
    out
}

fn subjects() -> &'static [Subject] {
    static SUBJECTS: OnceLock<Vec<Subject>> = OnceLock::new();
    SUBJECTS.get_or_init(|| {
        let mut v: Vec<Subject> = bphscore::world::QUERIES
            .lines()
            .filter_map(|l| l.parse().ok())
            .collect();
        for s in [
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0.0.0.0/0",
            "::/0",
            "AS0",
            "AS4294967295",
        ] {
            v.push(s.parse().unwrap());
        }
        v
    })
}

/// The subjects cheap to score, for the sweeps that open a snapshot
/// thousands of times: addresses, ASes, prefixes of at most 256 IPv4
/// intervals, and all of IPv6 (a few intervals).
fn light_subjects() -> &'static [Subject] {
    static SUBJECTS: OnceLock<Vec<Subject>> = OnceLock::new();
    SUBJECTS.get_or_init(|| {
        subjects()
            .iter()
            .filter(|s| match s {
                Subject::Prefix(net) => net.is_ipv6() || net.prefix() >= 24,
                _ => true,
            })
            .copied()
            .collect()
    })
}

/// Scores a handful of subjects; every probability must stay in [0, 1].
fn score_some<S: AsRef<[u8]>>(snapshot: Snapshot<S>) {
    score_these(snapshot, subjects());
}

fn score_these<S: AsRef<[u8]>>(snapshot: Snapshot<S>, subjects: &[Subject]) {
    let detector = Detector::new(snapshot, Model::default_model());
    for s in subjects {
        let score = detector.score(s);
        assert!(
            (0.0..=1.0).contains(&score.probability),
            "{s}: {}",
            score.probability
        );
        for r in score.reasons.iter() {
            let _ = r.explain();
        }
    }
}

/// Opens `bytes`: a typed snapshot error, or a snapshot that scores.
fn open_refused_or_valid(bytes: &[u8], what: &str) -> bool {
    match Snapshot::from_bytes(bytes) {
        Ok(snapshot) => {
            score_these(snapshot, light_subjects());
            true
        }
        Err(Error::Snapshot { .. } | Error::UnsupportedVersion { .. }) => false,
        Err(other) => panic!("{what}: unexpected kind of error {other:?}"),
    }
}

/// Runs `check(i)` for every `i` in `positions` on all cores.
fn sweep(positions: &[usize], check: impl Fn(usize, &mut Vec<u8>) + Sync) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(positions.len().max(1));
    std::thread::scope(|scope| {
        for w in 0..workers {
            let check = &check;
            scope.spawn(move || {
                let mut buf = world_bytes().to_vec();
                for &i in positions.iter().skip(w).step_by(workers) {
                    check(i, &mut buf);
                }
            });
        }
    });
}

fn flip_and_open(positions: &[usize]) {
    sweep(positions, |i, buf| {
        for mask in [0xff, 0x01] {
            buf[i] ^= mask;
            let accepted = open_refused_or_valid(buf, &format!("byte {i} ^ {mask:#04x}"));
            assert!(
                !accepted,
                "byte {i} ^ {mask:#04x}: a corrupted snapshot was accepted"
            );
            if (8..12).contains(&i) {
                assert!(
                    matches!(
                        Snapshot::from_bytes(&buf[..]),
                        Err(Error::UnsupportedVersion { .. })
                    ),
                    "byte {i}: a changed version must read as unsupported"
                );
            }
            buf[i] ^= mask;
        }
    });
}

fn reseal_flip_and_open(positions: &[usize]) {
    sweep(positions, |i, buf| {
        for mask in [0xff, 0x01] {
            buf[i] ^= mask;
            reseal(buf);
            open_refused_or_valid(buf, &format!("resealed byte {i} ^ {mask:#04x}"));
            buf[i] ^= mask;
        }
        reseal(buf);
    });
}

// ---- (a) every byte flipped ----

/// Flips every byte of the header, the section table and the trailer, and
/// every 509th byte of the sections, with XOR 0xff and XOR 0x01: each
/// flip is refused: the checksum, the magic, the version or the length
/// catches it.
#[test]
fn flipped_bytes_are_refused() {
    let b = world_bytes();
    let table_end = HEADER_LEN + sections(b).len() * SECTION_ENTRY_LEN;
    let body = table_end..b.len() - TRAILER_LEN;
    let positions: Vec<usize> = (0..table_end)
        .chain(body.clone().step_by(509))
        .chain(body.end..b.len())
        .collect();
    flip_and_open(&positions);
}

/// The same for every byte of the file (about 1.2 million opens).
#[test]
#[ignore = "exhaustive; run with --release -- --ignored"]
fn every_flipped_byte_is_refused() {
    let positions: Vec<usize> = (0..world_bytes().len()).collect();
    flip_and_open(&positions);
}

// ---- (b) truncation ----

#[test]
fn every_truncation_is_refused() {
    let b = world_bytes();
    for len in 0..b.len() {
        match Snapshot::from_bytes(&b[..len]) {
            Err(Error::Snapshot { offset, .. }) => {
                assert!(offset <= len as u64, "cut at {len}: offset {offset}")
            }
            other => panic!("cut at {len}: {other:?}"),
        }
    }
    // Padding is refused as well.
    let mut padded = b.to_vec();
    padded.push(0);
    assert!(matches!(
        Snapshot::from_bytes(padded),
        Err(Error::Snapshot { .. })
    ));
}

// ---- (c) newer format version ----

#[test]
fn other_format_versions_are_refused_with_a_hint() {
    let current = bphscore::snapshot::FORMAT_VERSION;
    for version in [1u32, 2, 3, 5, 7, u32::MAX] {
        assert_ne!(version, current);
        let mut b = world_bytes().to_vec();
        b[8..12].copy_from_slice(&version.to_le_bytes());
        // With the checksum recomputed too: the version is checked first.
        for resealed in [false, true] {
            if resealed {
                reseal(&mut b);
            }
            let err = Snapshot::from_bytes(b.clone()).unwrap_err();
            match &err {
                Error::UnsupportedVersion {
                    found, supported, ..
                } => {
                    assert_eq!((*found, *supported), (version, current));
                }
                other => panic!("version {version}: {other:?}"),
            }
            let text = err.to_string();
            let hint = if version < current {
                "rebuild it from its sources"
            } else {
                "upgrade bphscore"
            };
            assert!(text.contains(hint), "{text}");
            assert!(
                text.contains(&format!("format version {version}")),
                "{text}"
            );
        }
    }
    // A file on disk names its path.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("older.bph");
    let mut b = world_bytes().to_vec();
    b[8..12].copy_from_slice(&3u32.to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    let err = Snapshot::open(&path).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { found: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("older.bph"), "{err}");
    assert!(err.to_string().contains("bphscore build"), "{err}");
}

// ---- (d) gzip bomb ----

fn assert_decompressed_limit(result: Result<&bphscore::source::SourceInfo, Error>, limit: u64) {
    match result {
        Err(e @ Error::Limit { .. }) => {
            let Error::Limit { what, limit: l, .. } = &e else {
                unreachable!()
            };
            assert_eq!((*what, *l), ("decompressed size", limit));
            assert!(
                e.to_string()
                    .contains("decompressed size exceeds the limit of"),
                "{e}"
            );
        }
        other => panic!("expected a decompressed size limit, got {other:?}"),
    }
}

/// `bomb.gz`: 16 KiB that inflate to 16 MiB of NUL bytes with no line end,
/// behind a netset header that passes format detection.
#[test]
fn gzip_bomb_stops_at_the_decompressed_limit() {
    let bomb = hostile("bomb.gz");
    let limits = Limits::default().max_decompressed(1 << 20);
    for format in [None, Some(Format::Netset)] {
        for lenient in [false, true] {
            let mut builder = SnapshotBuilder::new().limits(limits).lenient(lenient);
            assert_decompressed_limit(builder.add_reader("bomb.gz", format, &bomb[..]), 1 << 20);
        }
    }
    // Many small gzip members, concatenated: the limit is on the total.
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..4096u32 {
        writeln!(member, "198.18.{}.{}", (i >> 8) & 0xff, i & 0xff).unwrap();
    }
    let member = member.finish().unwrap();
    let multi: Vec<u8> = std::iter::repeat_n(&member[..], 40)
        .flatten()
        .copied()
        .collect();
    let mut builder = SnapshotBuilder::new().limits(limits);
    assert_decompressed_limit(
        builder.add_reader("multi-member.gz", None, &multi[..]),
        1 << 20,
    );
    // Under the limit, the same members are read in full.
    let mut builder = SnapshotBuilder::new().limits(Limits::default().max_decompressed(8 << 20));
    let info = builder
        .add_reader("multi-member.gz", None, &multi[..])
        .unwrap();
    assert_eq!(info.records, 40 * 4096);
}

/// `corrupt-gzip-checksum.netset.gz`: a whole gzip stream whose CRC-32
/// trailer does not match its content. Regression (found by fuzzing
/// `build_snapshot`): the decompressor's error was reported as a bad line,
/// so that a lenient build skipped it and kept the source.
#[test]
fn a_gzip_stream_with_a_bad_checksum_is_refused() {
    let gz = hostile("corrupt-gzip-checksum.netset.gz");
    for lenient in [false, true] {
        let mut builder = SnapshotBuilder::new().lenient(lenient);
        match builder.add_reader("abusers.netset.gz", None, &gz[..]) {
            Err(e @ Error::Io { .. }) => {
                assert!(e.to_string().starts_with("abusers.netset.gz: "), "{e}");
                assert!(e.to_string().contains("checksum"), "{e}");
            }
            other => panic!("lenient {lenient}: {other:?}"),
        }
    }
}

// ---- (e) one huge line ----

#[test]
fn an_eight_megabyte_line_is_a_limit_error_naming_its_line() {
    let mut feed = b"# header\n192.0.2.1\n".to_vec();
    feed.extend(std::iter::repeat_n(b'7', 8 << 20));
    feed.extend_from_slice(b"\n198.18.0.1\n");
    let limits = Limits::default().max_line_len(1 << 20);

    // The parser reports the line and goes on with the next one.
    let items: Vec<_> = Parser::new("huge.netset", Format::Netset, &feed[..], limits).collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[2].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert!(
        matches!(err, Error::Limit { line: 3, what: "line length", limit, .. } if *limit == 1 << 20),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "huge.netset:3: line length exceeds the limit of 1048576"
    );

    // A build refuses the source, lenient or not.
    for lenient in [false, true] {
        let mut builder = SnapshotBuilder::new().limits(limits).lenient(lenient);
        let err = builder
            .add_reader("huge.netset", None, &feed[..])
            .unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
        assert!(matches!(err, Error::Limit { .. }), "{err:?}");
    }

    // Batch scoring turns it into one error row and goes on.
    let mut out = Vec::new();
    let detector = Detector::default_world().unwrap();
    let summary =
        bphscore::batch::score_lines(&detector, &feed[..], &mut out, Default::default()).unwrap();
    assert_eq!((summary.rows, summary.errors), (4, 2));
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines().nth(3).unwrap().starts_with("3,,,error,"),
        "{text}"
    );
}

// ---- (f) NUL bytes and invalid UTF-8 ----

/// `nul-and-invalid-utf8.netset`: good entries on lines 4, 6, 9 and 11; a
/// NUL after an address (5), a UTF-16 byte order mark (7), NUL bytes only
/// (8), a cut UTF-8 sequence (10).
#[test]
fn nul_bytes_and_invalid_utf8_in_a_netset() {
    let feed = hostile("nul-and-invalid-utf8.netset");
    let bad_lines = [5, 7, 8, 10];

    let mut errors = Vec::new();
    let mut records = 0;
    for item in Parser::new(
        "corrupt.netset",
        Format::Netset,
        &feed[..],
        Limits::default(),
    ) {
        match item {
            Ok(Record::Listing { .. }) => records += 1,
            Ok(other) => panic!("{other:?}"),
            Err(e @ Error::Parse { .. }) => errors.push(e),
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(records, 4);
    let lines: Vec<u64> = errors.iter().filter_map(Error::line).collect();
    assert_eq!(lines, bad_lines);
    assert!(
        errors[1].to_string().contains("invalid UTF-8 at byte 0"),
        "{}",
        errors[1]
    );
    assert!(
        errors[3].to_string().contains("invalid UTF-8 at byte 9"),
        "{}",
        errors[3]
    );

    // Strict: the first bad line fails the source.
    let err = SnapshotBuilder::new()
        .add_reader("corrupt.netset", None, &feed[..])
        .unwrap_err();
    assert!(matches!(err, Error::Parse { line: 5, .. }), "{err:?}");

    // Lenient: bad lines are skipped and counted.
    let mut builder = SnapshotBuilder::new().lenient(true);
    let info = builder
        .add_reader("corrupt.netset", None, &feed[..])
        .unwrap();
    assert_eq!((info.records, info.skipped), (4, 4));
    let snapshot = builder.build().unwrap();
    let detector = Detector::new(snapshot, Model::default_model());
    for (ip, listed) in [
        ("192.0.2.1", true),
        ("192.0.2.2", false),
        ("198.18.0.2", false),
        ("198.18.0.4", true),
    ] {
        let score = detector.score_ip(ip.parse().unwrap());
        assert_eq!(
            score.features.get(bphscore::features::Feature::IpListed) > 0.0,
            listed,
            "{ip}"
        );
    }
}

// ---- (g) CRLF ----

fn build_world(transform: impl Fn(&[u8]) -> Vec<u8>) -> Snapshot {
    let mut builder = SnapshotBuilder::new().build_time(bphscore::world::BUILD_TIME);
    for (name, bytes) in bphscore::world::FILES {
        builder
            .add_reader(name, None, &transform(bytes)[..])
            .unwrap();
    }
    builder.build().unwrap()
}

fn to_crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() * 2);
    for &c in b {
        if c == b'\n' {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

#[test]
fn crlf_line_ends_build_the_same_snapshot() {
    let lf = build_world(<[u8]>::to_vec);
    let crlf = build_world(to_crlf);
    assert_eq!(lf.counts(), crlf.counts());
    for (a, b) in lf.sources().iter().zip(crlf.sources()) {
        assert_eq!(
            (&a.name, a.format, a.date, a.records, a.skipped),
            (&b.name, b.format, b.date, b.records, b.skipped)
        );
        assert_eq!(b.skipped, 0);
        assert_ne!(a.sha256, b.sha256);
    }
    // Every table after the metadata (which holds the hashes) is identical.
    let (lb, cb) = (lf.as_bytes(), crlf.as_bytes());
    for id in 2..=SEC_STRINGS {
        assert_eq!(&lb[section(lb, id)], &cb[section(cb, id)], "section {id}");
    }
    let (lf, crlf) = (
        Detector::new(lf, Model::default_model()),
        Detector::new(crlf, Model::default_model()),
    );
    for s in subjects() {
        let (a, b) = (lf.score(s), crlf.score(s));
        assert_eq!(
            (
                a.probability,
                a.class,
                a.prefix,
                a.asn,
                a.as_name,
                a.country
            ),
            (
                b.probability,
                b.class,
                b.prefix,
                b.asn,
                b.as_name,
                b.country
            ),
            "{s}"
        );
    }
}

// ---- (h) truncated DROP JSON ----

/// `truncated-drop-metadata.json`: one record, and a metadata line that
/// says there are two. Regression: the mismatch was reported on the last
/// line, so a lenient build skipped it like a bad record and kept the cut
/// file.
#[test]
fn truncated_drop_json_is_refused() {
    let feed = hostile("truncated-drop-metadata.json");
    let items: Vec<_> = Parser::new(
        "drop_v4.json",
        Format::DropJson,
        &feed[..],
        Limits::default(),
    )
    .collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert!(
        err.to_string()
            .contains("declares 2 records but 1 were read"),
        "{err}"
    );

    // Refused by strict and lenient builds alike: lenient builds skip bad
    // records, not cut files.
    for lenient in [false, true] {
        let mut builder = SnapshotBuilder::new().lenient(lenient);
        let err = builder
            .add_reader("drop_v4.json", None, &feed[..])
            .unwrap_err();
        assert!(matches!(err, Error::Parse { .. }), "{err:?}");
        assert!(err.to_string().contains("truncated or altered"), "{err}");
    }

    // A bad record skipped in a lenient build still counts toward the total.
    let feed = b"{\"cidr\":\"198.18.0.0/21\",\"sblid\":\"SBL1\"}\n{\"cidr\":\"198.18.0.0/99\"}\n{\"type\":\"metadata\",\"records\":2}\n";
    let mut builder = SnapshotBuilder::new().lenient(true);
    let info = builder.add_reader("drop_v4.json", None, &feed[..]).unwrap();
    assert_eq!((info.records, info.skipped), (1, 1));
}

// ---- (i) valid checksum, corrupt internals ----

/// Flips, with the checksum recomputed, every byte of the first and the last
/// record of the cell, route and AS tables, of the IPv6 cells and of the
/// AS names; every 5th byte of the IPv6 starts, every 61st of the metadata
/// and every 4099th of the rest (the IPv4 partition and both indexes). Each
/// result is refused or valid, and a valid one scores. (Opening validates
/// the whole file, some 15 ms in a debug build: the exhaustive sweep below
/// is for release builds.)
#[test]
fn resealed_corruption_is_refused_or_valid() {
    let b = world_bytes();
    let mut positions = Vec::new();
    for (id, unit) in [(SEC_CELLS, 16), (SEC_ROUTES, 80), (SEC_ASES, 80)] {
        let r = section(b, id);
        positions.extend(r.start..r.start + unit);
        positions.extend(r.end - unit..r.end);
    }
    positions.extend(section(b, SEC_V6_CELLS));
    positions.extend(section(b, SEC_STRINGS));
    positions.extend(section(b, SEC_V6_STARTS).step_by(5));
    positions.extend(section(b, SEC_META).step_by(61));
    let table_end = HEADER_LEN + sections(b).len() * SECTION_ENTRY_LEN;
    positions.extend((table_end..b.len() - TRAILER_LEN).step_by(4099));
    positions.sort_unstable();
    positions.dedup();
    reseal_flip_and_open(&positions);
}

/// The same for every byte between the section table and the trailer.
#[test]
#[ignore = "exhaustive; run with --release -- --ignored"]
fn every_resealed_corruption_is_refused_or_valid() {
    let b = world_bytes();
    let table_end = HEADER_LEN + sections(b).len() * SECTION_ENTRY_LEN;
    let positions: Vec<usize> = (table_end..b.len() - TRAILER_LEN).collect();
    reseal_flip_and_open(&positions);
}

/// Section table entries pointing anywhere: every offset and length field
/// set to edge values, with the checksum recomputed.
#[test]
fn resealed_section_table_edits_are_refused_or_valid() {
    let b = world_bytes();
    let mut buf = b.to_vec();
    let n = sections(b).len();
    let len = b.len() as u64;
    for i in 0..n {
        let e = HEADER_LEN + i * SECTION_ENTRY_LEN;
        for (field, values) in [
            (e, vec![0u64, 1, 12, u64::from(u32::MAX), (1 << 32) | 1]),
            (
                e + 8,
                vec![0, 1, 63, 64, len - 16, len, u64::MAX, u64::MAX - 7],
            ),
            (e + 16, vec![0, 1, 15, 17, len, u64::MAX, 1 << 63]),
        ] {
            let saved: [u8; 8] = buf[field..field + 8].try_into().unwrap();
            for v in values {
                buf[field..field + 8].copy_from_slice(&v.to_le_bytes());
                reseal(&mut buf);
                open_refused_or_valid(&buf, &format!("section entry {i}, field at {field} = {v}"));
            }
            buf[field..field + 8].copy_from_slice(&saved);
        }
    }
    // The section count and the header length.
    for (field, v) in [
        (32usize, 0u32),
        (32, 10),
        (32, 12),
        (32, u32::MAX),
        (12, 0),
        (12, 65),
    ] {
        let mut buf = b.to_vec();
        buf[field..field + 4].copy_from_slice(&v.to_le_bytes());
        reseal(&mut buf);
        assert!(!open_refused_or_valid(
            &buf,
            &format!("header field {field} = {v}")
        ));
    }
}

// ---- crafted metadata ----

fn meta_json(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(&b[section(b, SEC_META)]).unwrap()
}

/// Regression: metadata listing more than 64 abuse sources made opening
/// shift a `u64` by 64 (a panic in debug builds) before the count was
/// checked.
#[test]
fn metadata_with_more_than_64_abuse_sources_is_refused() {
    let b = world_bytes();
    let mut meta = meta_json(b);
    let sources = meta["sources"].as_array_mut().unwrap();
    let netset = sources
        .iter()
        .find(|s| s["format"] == "netset")
        .unwrap()
        .clone();
    for i in 0..70 {
        let mut s = netset.clone();
        s["name"] = format!("extra-{i}.netset").into();
        sources.push(s);
    }
    let forged = replace_section(b, SEC_META, &serde_json::to_vec(&meta).unwrap());
    match Snapshot::from_bytes(forged) {
        Err(Error::Snapshot { message, .. }) => {
            assert!(message.contains("more than 64 abuse sources"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

/// Metadata edits that keep the JSON valid: fewer sources than the tables
/// refer to, a source of another kind, a wrong version, odd dates.
#[test]
fn forged_metadata_is_refused_or_valid() {
    let b = world_bytes();
    let edits: Vec<fn(&mut serde_json::Value)> = vec![
        |m| m["sources"] = serde_json::json!([]),
        |m| {
            m["sources"].as_array_mut().unwrap().truncate(3);
        },
        |m| {
            for s in m["sources"].as_array_mut().unwrap() {
                s["format"] = "pfx2as".into();
            }
        },
        |m| {
            for s in m["sources"].as_array_mut().unwrap() {
                s["format"] = "netset".into();
                s["date"] = i64::MAX.into();
            }
        },
        |m| {
            for s in m["sources"].as_array_mut().unwrap() {
                s["date"] = i64::MIN.into();
                s["name"] = "\u{202e}\0".into();
            }
            m["as_of"] = i64::MIN.into();
        },
        |m| m["version"] = 2.into(),
        |m| m["format"] = "something-else".into(),
        |m| *m = serde_json::json!([]),
    ];
    for (i, edit) in edits.iter().enumerate() {
        let mut meta = meta_json(b);
        edit(&mut meta);
        let forged = replace_section(b, SEC_META, &serde_json::to_vec(&meta).unwrap());
        open_refused_or_valid(&forged, &format!("metadata edit {i}"));
    }
    // Non-JSON metadata.
    for body in [&b""[..], b"\xff\xfe", b"{", b"null", &[b'['; 4096][..]] {
        let forged = replace_section(b, SEC_META, body);
        assert!(!open_refused_or_valid(&forged, "non-JSON metadata"));
    }
}

// ---- builder edge cases found by fuzzing ----

/// Regression: a route and a country range that both cover the whole IPv6
/// space made the compiler count 2^128 addresses in a `u128`, and split in
/// pieces the sum of the pieces overflowed (overflow panics in debug builds).
#[test]
fn whole_ipv6_space_route_and_country() {
    for split in [false, true] {
        let mut builder = SnapshotBuilder::new();
        let mut files = vec!["whole-ipv6-space.pfx2as", "whole-ipv6-space-country.csv"];
        if split {
            files.push("whole-ipv6-space-split.netset");
        }
        for name in files {
            builder.add_reader(name, None, &hostile(name)[..]).unwrap();
        }
        let snapshot = builder.build().unwrap();
        let detector = Detector::new(snapshot, Model::default_model());
        for ip in ["2001:db8::1", "8000::", "198.18.0.1"] {
            let score = detector.score_ip(ip.parse::<IpAddr>().unwrap());
            assert_eq!(score.asn.map(|a| a.get()), Some(64500), "{ip}");
            assert_eq!(
                score.country.map(|c| c.to_string()).as_deref(),
                Some("NL"),
                "{ip}"
            );
        }
        let as_score = detector.score_asn(bphscore::Asn::new(64500));
        assert_eq!(
            as_score.country.map(|c| c.to_string()).as_deref(),
            Some("NL")
        );
        score_some(Snapshot::from_bytes(detector.snapshot().as_bytes().to_vec()).unwrap());
    }
}

/// A reader that gives one line, then fails on every read (a dying disk, a
/// closed socket); after many failed reads it ends, so that a regression
/// shows as a failed assertion rather than a hung test.
struct FailingReader {
    served: usize,
    failures: u32,
}

impl std::io::Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let line = b"192.0.2.1\n";
        if self.served < line.len() {
            let n = buf.len().min(line.len() - self.served);
            buf[..n].copy_from_slice(&line[self.served..self.served + n]);
            self.served += n;
            return Ok(n);
        }
        if self.failures >= 100_000 {
            return Ok(0);
        }
        self.failures += 1;
        Err(std::io::Error::other("device failure"))
    }
}

/// Regression: a read error was reported as a bad line, so that a lenient
/// caller, and batch scoring, skipped it and read again, failing again,
/// without end (one error row per failed read).
#[test]
fn a_failing_reader_ends_the_source() {
    let reader = || {
        std::io::BufReader::new(FailingReader {
            served: 0,
            failures: 0,
        })
    };
    let items: Vec<_> = Parser::new("dying.netset", Format::Netset, reader(), Limits::default())
        .take(10)
        .collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("device failure"), "{err}");

    let mut builder = SnapshotBuilder::new().lenient(true);
    let err = builder
        .add_reader(
            "dying.netset",
            Some(Format::Netset),
            FailingReader {
                served: 0,
                failures: 0,
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");

    let detector = Detector::default_world().unwrap();
    let mut out = Vec::new();
    let err = bphscore::batch::score_lines(&detector, reader(), &mut out, Default::default())
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(out.len() < 4096, "{} bytes of output", out.len());
}

// ---- registry data (RPSL, ARIN, delegated statistics) ----

fn add_hostile(
    builder: &mut SnapshotBuilder,
    name: &str,
) -> Result<bphscore::source::SourceInfo, Error> {
    builder.add_reader(name, None, &hostile(name)[..]).cloned()
}

#[test]
fn rpsl_continuation_before_attribute_names_its_line() {
    let name = "rpsl-continuation-before-attribute.db";
    // The format cannot be told from a continuation line: it must be named.
    let err = add_hostile(&mut SnapshotBuilder::new(), name).unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
    let err = SnapshotBuilder::new()
        .add_reader(name, Some(Format::Rpsl), &hostile(name)[..])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rpsl-continuation-before-attribute.db:3: continuation line with no attribute to continue"
    );
    let mut lenient = SnapshotBuilder::new().lenient(true);
    let info = lenient
        .add_reader(name, Some(Format::Rpsl), &hostile(name)[..])
        .cloned()
        .unwrap();
    // The orphan object is skipped whole; the good one is kept.
    assert_eq!((info.records, info.skipped), (1, 1));
    assert_eq!(lenient.build().unwrap().counts().whois_blocks, 1);
}

#[test]
fn rpsl_unterminated_continuation_hits_the_object_limit() {
    let limits = bphscore::source::Limits::default().max_object_len(4096);
    for lenient in [false, true] {
        let mut b = SnapshotBuilder::new().limits(limits).lenient(lenient);
        let err = add_hostile(&mut b, "rpsl-unterminated-continuation.db").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Limit {
                    what: "object size",
                    limit: 4096,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("rpsl-unterminated-continuation.db:"),
            "{err}"
        );
    }
    // Within the default limit the 400 continuation lines make one value.
    let mut b = SnapshotBuilder::new();
    let info = add_hostile(&mut b, "rpsl-unterminated-continuation.db").unwrap();
    assert_eq!(info.records, 2);
}

#[test]
fn rpsl_attribute_without_colon_is_skipped_only_when_asked() {
    let err = add_hostile(
        &mut SnapshotBuilder::new(),
        "rpsl-attribute-without-colon.db",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rpsl-attribute-without-colon.db:2: expected \"attribute: value\", found \"netname         NO-COLON\""
    );
    let mut b = SnapshotBuilder::new().lenient(true);
    let info = add_hostile(&mut b, "rpsl-attribute-without-colon.db").unwrap();
    assert_eq!((info.records, info.skipped), (1, 1));
}

#[test]
fn rpsl_overlapping_blocks_build_a_valid_hierarchy() {
    let mut b = SnapshotBuilder::new();
    add_hostile(&mut b, "rpsl-overlapping-blocks.db").unwrap();
    let snap = b.build().unwrap();
    assert_eq!(snap.counts().whois_blocks, 7);
    // Reopening validates every parent (before its child, containing it).
    let snap = Snapshot::from_bytes(snap.as_bytes().to_vec()).unwrap();
    let d = bphscore::Detector::new(snap, bphscore::Model::default_model());
    for q in [
        "198.51.100.150",
        "198.51.100.250",
        "198.51.100.0/24",
        "2001:db8::",
        "10.0.0.1",
    ] {
        let s = d.score(&q.parse().unwrap());
        assert!(s.probability.is_finite(), "{q}");
    }
    let e = bphscore::entity::lookup(d.snapshot(), "198.51.100.150")
        .unwrap()
        .unwrap();
    assert_eq!(e.orgs[0].handle, "ORG-D");
}

#[test]
fn arin_netrange_reversed_is_an_error_naming_its_line() {
    let err = add_hostile(&mut SnapshotBuilder::new(), "arin-netrange-reversed.txt").unwrap_err();
    assert_eq!(
        err.to_string(),
        "arin-netrange-reversed.txt:3: NetRange \"198.51.100.255 - 198.51.100.0\" is reversed or mixes families"
    );
    let mut b = SnapshotBuilder::new().lenient(true);
    let info = add_hostile(&mut b, "arin-netrange-reversed.txt").unwrap();
    assert_eq!(info.format.name(), "arin-whois");
    assert_eq!((info.records, info.skipped), (1, 1));
}

#[test]
fn delegated_bad_date_is_an_error_naming_its_line() {
    let err = add_hostile(&mut SnapshotBuilder::new(), "delegated-bad-date.txt").unwrap_err();
    assert_eq!(
        err.to_string(),
        "delegated-bad-date.txt:2: invalid date \"20261399\" (expected YYYYMMDD)"
    );
    let mut b = SnapshotBuilder::new().lenient(true);
    let info = add_hostile(&mut b, "delegated-bad-date.txt").unwrap();
    assert_eq!(info.format.name(), "delegated");
    assert_eq!((info.records, info.skipped), (1, 1));
    assert_eq!(info.date, Some(1_793_491_200));
}

#[test]
fn rpsl_truncated_gzip_is_an_error_never_a_short_source() {
    for lenient in [false, true] {
        let mut b = SnapshotBuilder::new().lenient(lenient);
        let err = add_hostile(&mut b, "rpsl-truncated.db.gz").unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("rpsl-truncated.db.gz"), "{err}");
    }
}
// ---- (j) a 100 MB line, streamed ----

/// A netset whose third line is `len` bytes of digits, generated as it
/// is read (nothing of its size is ever held in memory by the test).
struct HugeLine {
    parts: Vec<(Vec<u8>, u64)>,
    part: usize,
    at: u64,
}

impl HugeLine {
    fn new(len: u64) -> Self {
        HugeLine {
            parts: vec![
                (b"# header\n192.0.2.1\n".to_vec(), 1),
                (vec![b'7'; 1 << 16], len.div_ceil(1 << 16)),
                (b"\n198.18.0.1\n".to_vec(), 1),
            ],
            part: 0,
            at: 0,
        }
    }
}

impl std::io::Read for HugeLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some((chunk, times)) = self.parts.get(self.part) {
            let total = chunk.len() as u64 * times;
            if self.at < total {
                let off = (self.at % chunk.len() as u64) as usize;
                let n = buf.len().min(chunk.len() - off);
                buf[..n].copy_from_slice(&chunk[off..off + n]);
                self.at += n as u64;
                return Ok(n);
            }
            self.part += 1;
            self.at = 0;
        }
        Ok(0)
    }
}

/// A single line of 100 MB: the default limits (1 MiB per line in a
/// source, 4 KiB per line in batch input) make it one typed error naming
/// line 3, the next line is read, and no buffer grows past the limit
/// (the line reader keeps at most the limit of a line).
#[test]
fn a_hundred_megabyte_line_is_one_error_and_reading_goes_on() {
    const LEN: u64 = 100 << 20;
    let items: Vec<_> = Parser::new(
        "huge.netset",
        Format::Netset,
        std::io::BufReader::new(HugeLine::new(LEN)),
        Limits::default(),
    )
    .collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[0].is_ok() && items[2].is_ok(), "{items:?}");
    assert!(
        matches!(&items[1], Err(Error::Limit { line: 3, what: "line length", limit, .. }) if *limit == 1 << 20),
        "{:?}",
        items[1]
    );

    // Lenient or not, a build refuses the source with the limit error.
    let err = SnapshotBuilder::new()
        .lenient(true)
        .add_reader("huge.netset", None, HugeLine::new(LEN))
        .unwrap_err();
    assert!(matches!(err, Error::Limit { line: 3, .. }), "{err:?}");

    // Batch scoring: one error row for it, in its place, among four rows.
    let detector = Detector::default_world().unwrap();
    let mut out = Vec::new();
    let summary = bphscore::batch::score_lines(
        &detector,
        std::io::BufReader::new(HugeLine::new(LEN)),
        &mut out,
        Default::default(),
    )
    .unwrap();
    assert_eq!((summary.rows, summary.errors), (4, 2));
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(rows[2].starts_with("2,192.0.2.1,ip,"), "{text}");
    assert!(
        rows[3].starts_with("3,,,error,") && rows[3].ends_with("line longer than 4096 bytes"),
        "{text}"
    );
    assert!(rows[4].starts_with("4,198.18.0.1,ip,"), "{text}");
}

// ---- (k) a file that grows while it is read ----

/// Reads a real file and appends `extra` lines to it (through another
/// handle, as a feed downloader would) after each of its first reads:
/// the file grows under the reader, deterministically.
struct Growing {
    file: std::fs::File,
    appender: std::fs::File,
    appends_left: u32,
    appended: u64,
}

impl std::io::Read for Growing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Reads smaller than a line, so that the file grows faster than it
        // is read until the appends stop; none after the end is seen.
        let n = buf.len().min(8);
        let got = self.file.read(&mut buf[..n])?;
        if got > 0 && self.appends_left > 0 {
            self.appends_left -= 1;
            let line = format!(
                "198.18.{}.{}\n",
                100 + self.appended / 250,
                self.appended % 250
            );
            self.appender.write_all(line.as_bytes())?;
            self.appended += 1;
        }
        Ok(got)
    }
}

fn growing(dir: &std::path::Path, name: &str, start: &str, appends: u32) -> (PathBuf, Growing) {
    let path = dir.join(name);
    std::fs::write(&path, start).unwrap();
    let reader = Growing {
        file: std::fs::File::open(&path).unwrap(),
        appender: std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap(),
        appends_left: appends,
        appended: 0,
    };
    (path, reader)
}

/// A plain list that grows while it is read: every line that reached the
/// file before the end was seen is read, and the source's recorded size
/// and SHA-256 are those of exactly the bytes read (the whole final file,
/// as the appends stop before the reader reaches the end). A FireHOL
/// netset that states its entry count and grows is refused (the count no
/// longer matches: a file rewritten under the reader). Batch scoring of a
/// growing file gives one row per line read.
#[test]
fn a_file_that_grows_while_it_is_read() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let start: String = (0..40).map(|i| format!("192.0.2.{i}\n")).collect();

    let (path, reader) = growing(dir.path(), "growing.txt", &start, 200);
    let mut builder = SnapshotBuilder::new();
    let info = builder
        .add_reader("growing.txt", None, reader)
        .unwrap()
        .clone();
    let final_bytes = std::fs::read(&path).unwrap();
    assert_eq!(final_bytes.iter().filter(|&&b| b == b'\n').count(), 240);
    assert_eq!(info.records, 240);
    assert_eq!(info.bytes, final_bytes.len() as u64);
    let digest: String = sha2::Sha256::digest(&final_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(info.sha256, digest);
    let detector = Detector::new(builder.build().unwrap(), Model::default_model());
    for ip in ["192.0.2.39", "198.18.100.199"] {
        let score = detector.score_ip(ip.parse().unwrap());
        assert_eq!(
            score.features.get(bphscore::features::Feature::IpListed),
            1.0,
            "{ip}"
        );
    }

    // A netset stating its count, which the growth breaks.
    let header = format!("#\n# Entries         : 40 subnets, 40 unique IPs\n#\n{start}");
    let (_, reader) = growing(dir.path(), "growing.netset", &header, 5);
    let err = SnapshotBuilder::new()
        .lenient(true)
        .add_reader("growing.netset", None, reader)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Parse { line: 0, message, .. } if message.contains("declares 40 records but 45")),
        "{err:?}"
    );

    // Batch scoring: one row per line read, in order.
    let (path, reader) = growing(dir.path(), "growing-queries.txt", &start, 30);
    let mut out = Vec::new();
    let summary = bphscore::batch::score_lines(
        &Detector::default_world().unwrap(),
        std::io::BufReader::with_capacity(64, reader),
        &mut out,
        Default::default(),
    )
    .unwrap();
    let lines = std::fs::read_to_string(&path).unwrap().lines().count() as u64;
    assert_eq!(lines, 70);
    assert_eq!((summary.rows, summary.errors), (70, 0));
}

// ---- (l) deep nesting, re-encoded text, CRLF ----

/// `deeply-nested.drop.json`: line 2 is a DROP record whose `cidr` is an
/// array nested 100,000 deep. A recursive JSON parser without a depth
/// limit would overflow its stack; it is one parse error naming line 2.
/// Format detection, which parses JSON lines too, and the model loader
/// refuse such nesting the same way.
#[test]
fn deeply_nested_json_is_a_parse_error() {
    let feed = hostile("deeply-nested.drop.json");
    let items: Vec<_> =
        Parser::new("deep.json", Format::DropJson, &feed[..], Limits::default()).collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[2].is_ok(), "{items:?}");
    assert!(
        matches!(&items[1], Err(Error::Parse { line: 2, .. })),
        "{:?}",
        items[1]
    );

    let err = SnapshotBuilder::new()
        .add_reader("deep.json", None, &feed[..])
        .unwrap_err();
    assert!(matches!(err, Error::Parse { line: 2, .. }), "{err:?}");
    let mut builder = SnapshotBuilder::new().lenient(true);
    let info = builder.add_reader("deep.json", None, &feed[..]).unwrap();
    assert_eq!((info.records, info.skipped), (2, 1));

    // Detection sees the nested line first when it leads the file.
    let second_line = feed.split(|&b| b == b'\n').nth(1).unwrap();
    assert!(Format::detect(second_line).is_err());
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let model = format!(r#"{{"format":"bphscore-model","format_version":1,"x":{nested}}}"#);
    assert!(matches!(
        Model::from_json(&model, "deep.json"),
        Err(Error::Model { .. })
    ));
}

/// `latin1-as-name.csv`: an ip-location-db ASN file re-encoded to
/// Latin-1, so that line 2's AS name is not UTF-8. The record is refused
/// with its line (never stored with a mangled name); a lenient build keeps
/// the two others.
#[test]
fn a_latin1_as_name_is_refused_with_its_line() {
    let feed = hostile("latin1-as-name.csv");
    let err = SnapshotBuilder::new()
        .add_reader("latin1.csv", None, &feed[..])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Parse { line: 2, message, .. } if message.contains("invalid UTF-8")),
        "{err:?}"
    );
    let mut builder = SnapshotBuilder::new().lenient(true);
    let info = builder.add_reader("latin1.csv", None, &feed[..]).unwrap();
    assert_eq!((info.records, info.skipped), (2, 1));
    let detector = Detector::new(builder.build().unwrap(), Model::default_model());
    assert_eq!(
        detector.score_ip("198.18.0.1".parse().unwrap()).as_name,
        Some("EXAMPLE-BPH")
    );
    assert_eq!(detector.score_ip("198.18.16.1".parse().unwrap()).asn, None);
}

/// `crlf-line-ends.pfx2as`: CRLF line ends and no line end after the last
/// line. It gives the same records as the same lines with LF, and the
/// last line is not lost.
#[test]
fn crlf_line_ends_in_a_committed_feed() {
    let crlf = hostile("crlf-line-ends.pfx2as");
    assert!(crlf.windows(2).any(|w| w == b"\r\n") && !crlf.ends_with(b"\n"));
    let lf: Vec<u8> = String::from_utf8(crlf.clone())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    let parse = |b: &[u8]| -> Vec<Record> {
        Parser::new("routes.pfx2as", Format::Pfx2as, b, Limits::default())
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let records = parse(&crlf);
    assert_eq!(records.len(), 5);
    assert_eq!(records, parse(&lf));
    assert_eq!(Format::detect(&crlf), Ok(Format::Pfx2as));
    let mut builder = SnapshotBuilder::new();
    builder
        .add_reader("routes.pfx2as", None, &crlf[..])
        .unwrap();
    let detector = Detector::new(builder.build().unwrap(), Model::default_model());
    // The last line, without a line end, is there.
    let last = detector.score_ip("2001:db8:8000::1".parse().unwrap());
    assert_eq!(last.asn.map(|a| a.get()), Some(64511));
}

/// Gives at most one byte per read, as a pipe or a socket may.
struct OneByteReads<'a>(&'a [u8]);

impl std::io::Read for OneByteReads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Regression (found while testing a file that grows under its reader):
/// the gzip magic and the format were detected from the first read
/// alone, so a reader returning a few bytes at a time (a pipe, a socket, a
/// file being written) got `UnknownFormat` for a cut first line, or had
/// its gzip stream taken for text. Every default-world source, plain and
/// gzip'd, read a byte at a time, now gives the same source as read whole.
#[test]
fn one_byte_reads_detect_the_same_format() {
    let world = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/world");
    let mut names: Vec<_> = std::fs::read_dir(&world)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".py") && !n.ends_with(".md") && n != "queries.txt")
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let plain = std::fs::read(world.join(&name)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        // An MMDB file is read whole as a binary database, never gunzipped.
        let inputs = if name.ends_with(".mmdb") {
            vec![&plain]
        } else {
            vec![&plain, &gz]
        };
        for bytes in inputs {
            // A guard-rail list is never detected: it is named.
            let format =
                (name == "protected-ranges.txt").then_some(bphscore::source::Format::Protect);
            let mut whole = SnapshotBuilder::new();
            let want = whole.add_reader(&name, format, &bytes[..]).unwrap().clone();
            let mut slow = SnapshotBuilder::new();
            let got = slow
                .add_reader(&name, format, OneByteReads(bytes))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .clone();
            assert_eq!(got, want, "{name}");
            assert!(got.records > 0, "{name}");
        }
    }
}

/// Regression: a read error in the middle of the input returned at once,
/// and the rows of the lines already read in the same chunk were never
/// written. They are now written, in order, before the error is returned.
#[test]
fn rows_read_before_a_read_error_are_written() {
    struct ThreeLinesThenFailure(&'static [u8]);
    impl std::io::Read for ThreeLinesThenFailure {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("connection reset"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let detector = Detector::default_world().unwrap();
    let mut out = Vec::new();
    let err = bphscore::batch::score_lines(
        &detector,
        std::io::BufReader::new(ThreeLinesThenFailure(b"198.18.3.7\nnot-an-ip\nAS64502\n")),
        &mut out,
        Default::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows[0].starts_with("1,198.18.3.7,"), "{text}");
    assert!(rows[1].starts_with("2,not-an-ip,,error,"), "{text}");
    assert!(rows[2].starts_with("3,AS64502,"), "{text}");
}

// ---- (m) committed broken snapshots ----

/// Opens a committed hostile snapshot from a file (memory-mapped) and
/// from bytes: both refuse it with `Error::Snapshot` at `offset`, and the
/// message says why.
fn refused_at(name: &str, offset: u64, why: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/hostile")
        .join(name);
    let from_file = Snapshot::open(&path).unwrap_err();
    let from_bytes = Snapshot::from_bytes(hostile(name)).unwrap_err();
    for err in [from_file, from_bytes] {
        assert!(
            matches!(&err, Error::Snapshot { offset: o, .. } if *o == offset),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
}

/// `truncated-snapshot.bph`: a snapshot cut inside its IPv6 index, as a
/// copy between machines interrupted half-way leaves it.
#[test]
fn a_truncated_snapshot_file_is_refused() {
    refused_at("truncated-snapshot.bph", 24, "truncated or padded");
}

/// `bit-flipped-snapshot.bph`: one bit flipped in the route table (a bad
/// disk or memory): the checksum catches it.
#[test]
fn a_bit_flipped_snapshot_file_is_refused() {
    refused_at("bit-flipped-snapshot.bph", 526_504, "checksum mismatch");
}

/// `resealed-route-out-of-range.bph`: a cell pointing at route 1,000 of 2,
/// with the checksum recomputed (a forger, or a bug in a writer): the
/// reference check catches what the checksum cannot.
#[test]
fn a_resealed_snapshot_with_a_route_out_of_range_is_refused() {
    refused_at(
        "resealed-route-out-of-range.bph",
        526_120,
        "cell refers to a missing route",
    );
}

// ---- (n) parallel tables stored empty ----

/// A snapshot of routing data alone stores its tables parallel to the
/// cells and ASes (routing behaviour, geolocated countries, timed
/// evidence) empty, since every record would be the default. Written out
/// in full with those defaults (and resealed), the same snapshot scores
/// every subject the same, reason for reason.
#[test]
fn empty_parallel_tables_read_as_defaults() {
    let mut builder = SnapshotBuilder::new().build_time(1_794_470_400);
    for name in ["asn-ipv4-20261101.csv", "asn-ipv6-20261101.csv"] {
        let (_, bytes) = bphscore::world::FILES
            .iter()
            .find(|f| f.0 == name)
            .expect("a world file");
        builder.add_reader(name, None, *bytes).unwrap();
    }
    let sparse = builder.build().unwrap();
    let counts = sparse.counts();
    let bytes = sparse.as_bytes().to_vec();
    let mut full = bytes.clone();
    for (id, record, n) in [
        (SEC_AS_ROUTING, vec![0u8; 32], counts.ases),
        (SEC_AS_GEO, vec![0u8; 8], counts.ases),
        (SEC_TIMED_AS, vec![0u8; 32], counts.ases),
        (SEC_CELL_TIMED, vec![0xffu8; 8], counts.cells),
    ] {
        assert!(section(&bytes, id).is_empty(), "section {id} is stored");
        full = replace_section(&full, id, &record.repeat(n));
    }
    assert!(full.len() > bytes.len());
    let sparse = Detector::new(Snapshot::from_bytes(bytes).unwrap(), Model::default_model());
    let full = Detector::new(
        Snapshot::from_bytes(full).expect("the full tables are valid"),
        Model::default_model(),
    );
    for s in subjects() {
        let (a, b) = (sparse.score(s), full.score(s));
        assert_eq!(a.probability.to_bits(), b.probability.to_bits(), "{s}");
        assert_eq!(a.class, b.class, "{s}");
        let reasons =
            |r: &bphscore::Score<'_>| r.reasons.iter().map(|x| x.explain()).collect::<Vec<_>>();
        assert_eq!(reasons(&a), reasons(&b), "{s}");
    }
    // A parallel table of the wrong length is refused.
    let sparse_bytes = sparse.snapshot().as_bytes();
    let short = replace_section(sparse_bytes, SEC_TIMED_AS, &vec![0; 32 * (counts.ases + 1)]);
    assert!(matches!(
        Snapshot::from_bytes(short),
        Err(Error::Snapshot { .. })
    ));
}
