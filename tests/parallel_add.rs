//! Adding several source files at once (`SnapshotBuilder::add_paths`):
//! parsed on several threads, added in the order given, the same snapshot
//! and the same first error as adding them one by one.

use std::path::{Path, PathBuf};

use bphscore::snapshot::SourceSpec;
use bphscore::source::SourceKind;
use bphscore::{Error, SnapshotBuilder, world};

fn world_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/world")
        .join(name)
}

#[test]
fn world_added_at_once_is_byte_identical_to_one_by_one() {
    // The order of `world::snapshot`: the sources, the MMDB file, then the
    // AS-relationship series (every kind of source, several abuse lists
    // and time-aware feeds, so that their numbering is exercised).
    let (series, others): (Vec<_>, Vec<_>) = world::FILES
        .iter()
        .partition(|(name, _)| name.ends_with(".as-rel.txt"));
    let specs: Vec<SourceSpec> = others
        .iter()
        .copied()
        .chain(world::GEOLOCATION)
        .chain(series.iter().copied())
        .map(|(name, _)| SourceSpec::new(world_path(name), None))
        .collect();
    let mut builder = SnapshotBuilder::new().build_time(world::BUILD_TIME);
    let added = builder.add_paths(&specs).unwrap();
    assert_eq!(added.len(), specs.len());
    for (name, bytes) in world::HISTORY {
        builder.add_dated(name, None, *bytes, None).unwrap();
    }
    for (name, bytes) in world::PROTECTED {
        builder.add_protected(name, *bytes).unwrap();
    }
    let at_once = builder.build().unwrap();
    let one_by_one = world::snapshot().unwrap();
    assert!(at_once.as_bytes() == one_by_one.as_bytes());
    assert_eq!(at_once.sources(), one_by_one.sources());
}

/// Writes `files` (name, content) into a new directory.
fn files(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<SourceSpec>) {
    let dir = tempfile::tempdir().unwrap();
    let specs = files
        .iter()
        .map(|(name, content)| {
            let path = dir.path().join(name);
            if !name.starts_with("missing") {
                std::fs::write(&path, content).unwrap();
            }
            SourceSpec::new(path, None)
        })
        .collect();
    (dir, specs)
}

fn one_by_one(specs: &[SourceSpec]) -> (SnapshotBuilder, Option<String>) {
    let mut b = SnapshotBuilder::new().build_time(1_794_000_000);
    for s in specs {
        if let Err(e) = b.add_path(&s.path, s.format) {
            return (b, Some(e.to_string()));
        }
    }
    (b, None)
}

fn at_once(specs: &[SourceSpec]) -> (SnapshotBuilder, Option<String>) {
    let mut b = SnapshotBuilder::new().build_time(1_794_000_000);
    let err = b.add_paths(specs).err().map(|e| e.to_string());
    (b, err)
}

#[test]
fn many_small_sources_keep_their_order_and_abuse_bits() {
    // More sources than threads, of mixed kinds: the abuse bits and source
    // numbers are given in the order given, whichever finishes first.
    let mut list: Vec<(String, String)> = vec![(
        "routes.pfx2as".to_owned(),
        "198.18.0.0\t16\t64501\n".to_owned(),
    )];
    for i in 0..12 {
        list.push((format!("list-{i}.netset"), format!("198.18.{i}.0/24\n")));
        list.push((
            format!("drop-{i}.txt"),
            format!("198.18.{}.0/24 ; SBL{i}\n", 100 + i),
        ));
    }
    let list: Vec<(&str, &str)> = list.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    let (_dir, specs) = files(&list);
    let (a, ea) = one_by_one(&specs);
    let (b, eb) = at_once(&specs);
    assert_eq!((ea, eb), (None, None));
    assert_eq!(a.sources(), b.sources());
    let (a, b) = (a.build().unwrap(), b.build().unwrap());
    assert!(a.as_bytes() == b.as_bytes());
}

#[test]
fn the_first_error_in_the_order_given_wins() {
    let cases: &[&[(&str, &str)]] = &[
        // A parse error before a missing file and another parse error.
        &[
            ("routes.pfx2as", "198.18.0.0\t20\t64502\n"),
            ("bad.pfx2as", "198.18.0.0\t20\t1\n198.18.16.0\t99\t1\n"),
            ("missing.txt", ""),
            ("bad2.netset", "not an address\n"),
        ],
        // A missing file before a parse error.
        &[
            ("missing.netset", ""),
            ("bad.pfx2as", "198.18.0.0\t99\t1\n"),
        ],
        // The same content twice: refused when added, after the first.
        &[
            ("a.netset", "192.0.2.1\n"),
            ("b.netset", "192.0.2.1\n"),
            ("c.pfx2as", "198.18.0.0\t99\t1\n"),
        ],
        // An unknown format after good sources.
        &[
            ("a.netset", "192.0.2.1\n"),
            ("what.txt", "\u{1}\u{2}\u{3}\n"),
            ("missing.csv", ""),
        ],
    ];
    for files_ in cases {
        let (_dir, specs) = files(files_);
        let (a, ea) = one_by_one(&specs);
        let (b, eb) = at_once(&specs);
        assert!(ea.is_some(), "{files_:?}");
        assert_eq!(ea, eb, "{files_:?}");
        assert_eq!(a.sources(), b.sources(), "{files_:?}");
    }
}

#[test]
fn an_error_of_the_hook_stops_where_it_is_returned() {
    let (_dir, specs) = files(&[
        ("routes.pfx2as", "198.18.0.0\t20\t64502\n"),
        ("list.netset", "198.18.1.1\n"),
        ("bad.pfx2as", "198.18.0.0\t99\t1\n"),
    ]);
    let mut b = SnapshotBuilder::new();
    let mut seen = Vec::new();
    let err = b
        .add_paths_with(
            &specs,
            |_, file| file,
            |i, info| {
                seen.push(i);
                if info.kind() != SourceKind::Routing {
                    return Err(Error::Build {
                        message: format!("{} is not routing", info.name),
                    });
                }
                Ok(())
            },
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "build: list.netset is not routing");
    assert_eq!(seen, [0, 1]);
    // Added before the hook refused it, as with one by one.
    assert_eq!(b.sources().len(), 2);
}

#[test]
fn no_sources_is_nothing_to_do() {
    let mut b = SnapshotBuilder::new();
    assert!(b.add_paths(&[]).unwrap().is_empty());
    assert!(b.sources().is_empty());
}
