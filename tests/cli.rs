//! The `bphscore` command line, run as a process.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bphscore"))
}

fn world(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/world")
        .join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("bphscore runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn score_file_on_the_default_world() {
    let out = run(bin().args(["score"]).arg(world("queries.txt")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden/world-scores.csv"),
    )
    .unwrap();
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn score_stdin_mixed_subjects() {
    let mut child = bin()
        .args(["score", "-", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"AS64502\r\n\n198.18.200.0/24\n2001:db8:300::1")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["class"], "bulletproof");
    assert_eq!(rows[1]["class"], "error");
    assert_eq!(rows[1]["error"], "empty line");
    assert_eq!(rows[1]["line"], 2);
    assert_eq!(rows[2]["class"], "bph-reseller");
    assert_eq!(rows[3]["asn"], 64502);
}

#[test]
fn strict_turns_error_rows_into_a_failing_status() {
    let lax = run(bin().args(["score"]).arg(world("queries.txt")));
    assert!(lax.status.success());
    let strict = run(bin().args(["score", "--strict"]).arg(world("queries.txt")));
    assert_eq!(strict.status.code(), Some(3));
    assert!(
        text(&strict.stderr).contains("2 of 35 lines are errors"),
        "{}",
        text(&strict.stderr)
    );
    // Every row is still written.
    assert_eq!(text(&strict.stdout).lines().count(), 36);
}

fn build_world(dir: &Path) -> PathBuf {
    let out_path = dir.join("world.bph");
    let mut cmd = bin();
    cmd.arg("build")
        .arg("--build-time")
        .arg(bphscore::world::BUILD_TIME.to_string());
    for (name, _) in bphscore::world::FILES {
        let flag = if name.starts_with("asn-ipv") || name.contains("pfx2as") {
            "--routing"
        } else if name.contains("as-rel") {
            "--as-rel"
        } else if name.starts_with("country") {
            "--geo"
        } else if name.starts_with("ripe")
            || name.starts_with("arin")
            || name.starts_with("delegated")
        {
            "--whois"
        } else if name.starts_with("pdns") {
            "--pdns"
        } else {
            "--abuse"
        };
        cmd.arg(flag).arg(world(name));
    }
    for (name, _) in bphscore::world::GEOLOCATION {
        cmd.arg("--mmdb").arg(world(name));
    }
    for (name, _) in bphscore::world::HISTORY {
        cmd.arg("--pfx2as").arg(world(name));
    }
    for (name, _) in bphscore::world::PROTECTED {
        cmd.arg("--protect").arg(world(name));
    }
    let out = run(cmd.arg("-o").arg(&out_path));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("read drop.txt (drop-text, drop): 1 records, dated 2026-11-12T08:00:00Z"),
        "{}",
        text(&out.stderr)
    );
    out_path
}

#[test]
fn build_then_score_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let snap = build_world(dir.path());
    let from_file = run(bin()
        .args(["score", "--snapshot"])
        .arg(&snap)
        .arg(world("queries.txt")));
    let embedded = run(bin().args(["score"]).arg(world("queries.txt")));
    assert!(from_file.status.success());
    assert_eq!(from_file.stdout, embedded.stdout);

    let inspect = run(bin().arg("inspect").arg(&snap));
    let t = text(&inspect.stdout);
    assert!(inspect.status.success());
    let version = format!("format      version {}", bphscore::snapshot::FORMAT_VERSION);
    assert!(t.contains(&version), "{t}");
    assert!(t.contains("12 reset by a transfer"), "{t}");
    assert!(t.contains("registry    "), "{t}");
    assert!(t.contains("firehol_abusers.netset"), "{t}");
    assert!(t.contains("2026-11-11T06:10:00Z"), "{t}");
    let json = run(bin().args(["inspect", "--json"]).arg(&snap));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        v["sources"].as_array().unwrap().len(),
        bphscore::world::FILES.len()
            + bphscore::world::GEOLOCATION.len()
            + bphscore::world::HISTORY.len()
            + bphscore::world::PROTECTED.len()
    );
    assert_eq!(v["format_version"], bphscore::snapshot::FORMAT_VERSION);
    let opened = bphscore::Snapshot::open(&snap).unwrap();
    assert_eq!(v["checksum"], format!("{:016x}", opened.checksum()));
    assert_eq!(v["counts"]["whois_blocks"].as_u64().unwrap(), 10);
    assert_eq!(v["timed"]["reset_by_transfer"], 12);
}

#[test]
fn build_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("routes.pfx2as");
    std::fs::write(&bad, "198.18.0.0\t20\t64502\n198.18.16.0\t20\tAS?\n").unwrap();
    let out = run(bin()
        .args(["build", "--routing"])
        .arg(&bad)
        .arg("-o")
        .arg(dir.path().join("x.bph")));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "bphscore: routes.pfx2as:2: invalid origin AS \"AS?\""
    );
    assert!(!dir.path().join("x.bph").exists());
}

#[test]
fn format_override_and_kind_check() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "198.18.0.1\n").unwrap();
    // A blocklist given as routing data is refused.
    let out = run(bin()
        .args(["build", "--routing"])
        .arg(&list)
        .arg("-o")
        .arg(dir.path().join("a.bph")));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is a blocklist source (netset), but was given with --routing"),
        "{}",
        text(&out.stderr)
    );
    // FORMAT:PATH forces a format: the same bytes read as legacy DROP text.
    let out = run(bin()
        .arg("build")
        .arg("--abuse")
        .arg(format!("drop-text:{}", list.display()))
        .arg("-o")
        .arg(dir.path().join("b.bph")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("(drop-text, drop)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn corrupt_snapshot_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let snap = build_world(dir.path());
    let mut bytes = std::fs::read(&snap).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&snap, &bytes).unwrap();
    let out = run(bin()
        .args(["score", "--snapshot"])
        .arg(&snap)
        .arg(world("queries.txt")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("checksum mismatch"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn closed_pipe_exits_quietly() {
    let mut child = bin()
        .args(["score", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let line = b"198.18.3.7\n";
        for _ in 0..400_000 {
            if stdin.write_all(line).is_err() {
                break;
            }
        }
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 64`
    let status = child.wait().unwrap();
    writer.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(err.is_empty(), "{err}");
    assert!(text(&first).starts_with("line,input,"));
}

#[test]
fn unknown_model_feature_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let text_model =
        include_str!("../models/default.json").replace("\"ip_listed\"", "\"ip_listd\"");
    std::fs::write(&model, text_model).unwrap();
    let out = run(bin()
        .args(["score", "--model"])
        .arg(&model)
        .arg(world("queries.txt")));
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(e.contains("m.json: unknown feature \"ip_listd\""), "{e}");
}

#[test]
fn entity_links_the_rebrand_and_says_why() {
    let out = run(bin().args(["entity", "AS64505"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("holding a listed AS"), "{t}");
    assert!(t.contains("AS64502") && t.contains("EXAMPLE-BPH"), "{t}");
    assert!(
        t.contains("ORG-NB1-TEST") && t.contains("ORG-EB1-TEST"),
        "{t}"
    );
    assert!(t.contains("same maintainer (EXAMPLE-BPH-MNT)"), "{t}");
    assert!(
        t.contains("same abuse mailbox (abuse@bph-example.example)"),
        "{t}"
    );
    assert!(t.contains("same opaque id (ripencc:opq-bph)"), "{t}");
    // By org handle and by prefix: the same entity.
    let by_org = run(bin().args(["entity", "org-eb1-test"]));
    assert_eq!(by_org.stdout, out.stdout);
    let by_prefix = run(bin().args(["entity", "198.18.16.0/24"]));
    assert_eq!(by_prefix.stdout, out.stdout);
    // The provider is an entity of its own.
    let provider = run(bin().args(["entity", "AS64503"]));
    let p = text(&provider.stdout);
    assert!(
        p.contains("ORG-EH1-TEST") && !p.contains("ORG-EB1-TEST"),
        "{p}"
    );
    let none = run(bin().args(["entity", "AS64511"]));
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no registration found"));
}

#[test]
fn whois_build_skip_bad_counts_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("ripe.db.inetnum");
    std::fs::write(
        &dump,
        "inetnum: 198.51.100.0 - 198.51.100.255\nnetname: A\nstatus: ALLOCATED PA\n\n\
         inetnum: 198.51.100.0 - oops\nstatus: ASSIGNED PA\n\n\
         inetnum: 198.51.100.128 - 198.51.100.191\nstatus: ASSIGNED PA\n",
    )
    .unwrap();
    let strict = run(bin()
        .args(["build", "--whois"])
        .arg(&dump)
        .arg("-o")
        .arg(dir.path().join("a.bph")));
    assert!(!strict.status.success());
    assert!(
        text(&strict.stderr).contains("ripe.db.inetnum:5: invalid inetnum \"198.51.100.0 - oops\""),
        "{}",
        text(&strict.stderr)
    );
    let out_path = dir.path().join("b.bph");
    let lax = run(bin()
        .args(["build", "--skip-bad", "--whois"])
        .arg(&dump)
        .arg("-o")
        .arg(&out_path));
    assert!(lax.status.success(), "{}", text(&lax.stderr));
    let e = text(&lax.stderr);
    assert!(
        e.contains("read ripe.db.inetnum (rpsl, whois): 2 records"),
        "{e}"
    );
    assert!(e.contains("1 bad record(s) SKIPPED"), "{e}");
    assert!(e.contains("skipped 1 bad record(s) in total"), "{e}");
    let inspect = run(bin().arg("inspect").arg(&out_path));
    let t = text(&inspect.stdout);
    assert!(
        t.contains("registry    2 blocks, 0 organisations, 0 links, 1 bad record(s) skipped"),
        "{t}"
    );
}

/// A snapshot written through a temporary file gets the mode of any other
/// new file (readable as the umask allows), not the owner-only mode of a
/// temporary file.
#[cfg(unix)]
#[test]
fn built_snapshot_is_readable_like_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let snapshot = build_world(dir.path());
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o444;
    assert_eq!(mode(&snapshot), mode(&plain));
}

#[test]
fn score_max_line_len_turns_long_lines_into_error_rows() {
    let mut child = bin()
        .args(["score", "-", "--max-line-len", "12"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"198.18.3.7\n2001:db8:ffff::1\nAS64502\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{stdout}");
    assert!(rows[1].starts_with("1,198.18.3.7,ip,"), "{stdout}");
    assert!(
        rows[2].starts_with("2,,,error,") && rows[2].ends_with("line longer than 12 bytes"),
        "{stdout}"
    );
    assert!(rows[3].starts_with("3,AS64502,asn,"), "{stdout}");
}
