//! Snapshot writes are atomic: `bphscore build`, killed (SIGKILL) at any
//! point, leaves the target holding the old snapshot or the new one, whole
//! and valid, never a partial file; and the temporary files of killed
//! builds do not pile up (the next write of the same target removes them).
//!
//! The kill points follow the build's progress as observed from outside,
//! not a clock: at once, after the first source is read (its report on
//! stderr), when the temporary file appears, when it holds some bytes,
//! when it holds half of them, and as soon as the target changes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use bphscore::Snapshot;

/// Routing input big enough that a debug build takes a while and writes a
/// snapshot of some 14 MB: 120,000 IPv6 /56 prefixes in 2001:db8::/32.
fn write_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let mut text = String::with_capacity(6 << 20);
    for i in 0u32..120_000 {
        text.push_str(&format!(
            "2001:db8:{:x}:{:x}::\t56\t{}\n",
            i >> 8,
            (i & 0xff) << 8,
            64496 + i % 16
        ));
    }
    let routes = dir.join("routes-20261101.pfx2as");
    std::fs::write(&routes, text).unwrap();
    let list = dir.join("list.netset");
    std::fs::write(&list, "# test list\n2001:db8:1:200::/56\n198.51.100.7\n").unwrap();
    (routes, list)
}

fn build_command(routes: &Path, list: &Path, output: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bphscore"));
    cmd.arg("build")
        .arg("--routing")
        .arg(routes)
        .arg("--abuse")
        .arg(list)
        .args(["--build-time", "1794470400", "-o"])
        .arg(output)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// The temporary files in `dir` (written next to the target).
fn temp_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bphscore.tmp"))
        .map(|e| (e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)))
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum KillPoint {
    AtOnce,
    AfterFirstSource,
    TempFileExists,
    TempFileHasBytes,
    TempFileHalfWritten,
    TargetChanged,
}

/// Waits (polling, yielding the CPU) until `ready` or the child exits.
/// Returns whether `ready` was seen while the child ran.
fn wait_for(child: &mut Child, mut ready: impl FnMut() -> bool) -> bool {
    loop {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::yield_now();
    }
}

#[test]
fn killing_build_leaves_the_old_or_the_new_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (routes, list) = write_inputs(dir.path());

    // The new snapshot, built to completion elsewhere (builds are
    // reproducible with a fixed build time).
    let reference = dir.path().join("reference.bph");
    let status = build_command(&routes, &list, &reference)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let new_bytes = std::fs::read(&reference).unwrap();
    Snapshot::from_bytes(new_bytes.as_slice()).unwrap();

    // The old snapshot: the default world, in its own folder with the target.
    let work = dir.path().join("out");
    std::fs::create_dir(&work).unwrap();
    let target = work.join("world.bph");
    let old_bytes = bphscore::world::snapshot().unwrap().as_bytes().to_vec();
    assert_ne!(old_bytes, new_bytes);

    let points = [
        KillPoint::AtOnce,
        KillPoint::AfterFirstSource,
        KillPoint::TempFileExists,
        KillPoint::TempFileHasBytes,
        KillPoint::TempFileHalfWritten,
        KillPoint::TargetChanged,
    ];
    let mut outcomes = Vec::new();
    for (round, point) in points.iter().cycle().take(8).enumerate() {
        // Half the rounds replace an old snapshot, half write a new file.
        let had_old = round % 2 == 0;
        if had_old {
            std::fs::write(&target, &old_bytes).unwrap();
        } else if target.exists() {
            std::fs::remove_file(&target).unwrap();
        }
        let strays_before = temp_files(&work).len();

        let mut child = build_command(&routes, &list, &target)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let half = new_bytes.len() as u64 / 2;
        let reached = match point {
            KillPoint::AtOnce => true,
            // The report of the first source, printed once it is parsed.
            KillPoint::AfterFirstSource => rx.recv().is_ok(),
            KillPoint::TempFileExists => wait_for(&mut child, || !temp_files(&work).is_empty()),
            KillPoint::TempFileHasBytes => {
                wait_for(&mut child, || temp_files(&work).iter().any(|(_, n)| *n > 0))
            }
            KillPoint::TempFileHalfWritten => wait_for(&mut child, || {
                temp_files(&work).iter().any(|(_, n)| *n >= half)
            }),
            // Any change of the target's size: a writer that wrote in place
            // would be caught with a partial file here.
            KillPoint::TargetChanged => wait_for(&mut child, || match std::fs::metadata(&target) {
                Ok(m) => !had_old || m.len() != old_bytes.len() as u64,
                Err(_) => had_old,
            }),
        };
        let _ = child.kill();
        let status = child.wait().unwrap();
        reader.join().unwrap();

        // The target: the old snapshot or the new one, whole and valid.
        let state = match std::fs::read(&target) {
            Ok(bytes) if bytes == new_bytes => "new",
            Ok(bytes) if had_old && bytes == old_bytes => "old",
            Ok(bytes) => panic!(
                "round {round} ({point:?}): the target holds {} bytes that are neither snapshot",
                bytes.len()
            ),
            Err(e) if !had_old && e.kind() == std::io::ErrorKind::NotFound => "absent",
            Err(e) => panic!("round {round} ({point:?}): {e}"),
        };
        if state != "absent" {
            Snapshot::open(&target).unwrap_or_else(|e| panic!("round {round} ({point:?}): {e}"));
        }
        if matches!(point, KillPoint::TargetChanged) && reached {
            assert_eq!(
                state, "new",
                "round {round}: the target changed, but not to the new snapshot"
            );
        }
        // Temporary files do not pile up: a build removes those of killed
        // builds before writing, so at most the one of this build is left.
        let strays = temp_files(&work);
        assert!(
            strays.len() <= 1,
            "round {round} ({point:?}): {} temporary files left ({strays_before} before): {strays:?}",
            strays.len()
        );
        outcomes.push(format!(
            "{point:?}: reached {reached}, killed {}, target {state}, {} stray",
            !status.success(),
            strays.len()
        ));
    }
    println!("{}", outcomes.join("\n"));
    // Some round must have caught the build mid-write, or the test
    // proved nothing about partial files.
    assert!(
        outcomes
            .iter()
            .any(|o| o.starts_with("TempFileHalfWritten: reached true")
                || o.starts_with("TempFileHasBytes: reached true")),
        "no round caught a temporary file being written:\n{}",
        outcomes.join("\n")
    );

    // A build that completes leaves no temporary file at all, however
    // many killed builds came before.
    let status = build_command(&routes, &list, &target)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read(&target).unwrap(), new_bytes);
    assert_eq!(temp_files(&work), Vec::new());
}

/// A snapshot written to a new path gets the mode of any new file, and a
/// replaced one keeps its mode (a temporary file is private by default).
#[cfg(unix)]
#[test]
fn written_snapshots_keep_a_readable_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.bph");
    let world = bphscore::world::snapshot().unwrap();
    world.write(&path).unwrap();
    // A file created the ordinary way, under the same umask.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), mode(&plain));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    world.write(&path).unwrap();
    assert_eq!(mode(&path), 0o640);
}

/// A write removes the temporary files of earlier, dead writes of the same
/// target (unlocked), and leaves alone those of a write in progress
/// (locked) and those of other targets.
#[test]
fn stale_temporary_files_are_removed_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("world.bph");
    let stale = dir.path().join(".world.bph.a1b2c3.bphscore.tmp");
    let live = dir.path().join(".world.bph.d4e5f6.bphscore.tmp");
    let other = dir.path().join(".other.bph.a1b2c3.bphscore.tmp");
    for p in [&stale, &live, &other] {
        std::fs::write(p, b"partial").unwrap();
    }
    let writer = std::fs::File::open(&live).unwrap();
    writer.lock().unwrap();
    bphscore::world::snapshot().unwrap().write(&target).unwrap();
    assert!(!stale.exists());
    assert!(live.exists());
    assert!(other.exists());
    Snapshot::open(&target).unwrap();
    drop(writer);
    // Once its writer is gone, the next write removes it too.
    bphscore::world::snapshot().unwrap().write(&target).unwrap();
    assert!(!live.exists());
}

/// Makes a FIFO at `path` with mkfifo(1) (coreutils).
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Reads the FIFO at `path` to its end on another thread.
fn drain(path: &Path) -> std::thread::JoinHandle<Vec<u8>> {
    let path = path.to_owned();
    std::thread::spawn(move || std::fs::read(path).unwrap())
}

/// An output that is a device or a pipe (`-o /dev/stdout`, `/dev/null`, a
/// FIFO) is written in place: a rename over it would replace the device
/// with a regular file, for every other program on the machine.
#[test]
fn a_fifo_target_is_written_in_place_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let world = bphscore::world::snapshot().unwrap();

    let fifo = dir.path().join("snapshot.fifo");
    mkfifo(&fifo);
    let reader = drain(&fifo);
    world.write(&fifo).unwrap();
    // Checked before joining: a reader left waiting on a replaced FIFO
    // would never return.
    let is_fifo = |p: &Path| std::fs::metadata(p).unwrap().file_type().is_fifo();
    assert!(is_fifo(&fifo));
    let bytes = reader.join().unwrap();
    let plain = dir.path().join("plain.bph");
    world.write(&plain).unwrap();
    assert_eq!(bytes, std::fs::read(&plain).unwrap());
    assert!(Snapshot::from_bytes(bytes).is_ok());

    // The command line's outputs: build -o and export -o.
    let routes = dir.path().join("routes-20261101.pfx2as");
    std::fs::write(&routes, "192.0.2.0\t24\t64496\n").unwrap();
    let reader = drain(&fifo);
    let status = Command::new(env!("CARGO_BIN_EXE_bphscore"))
        .args(["build", "-q", "--build-time", "1794470400", "--routing"])
        .arg(&routes)
        .arg("-o")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(is_fifo(&fifo));
    let built = reader.join().unwrap();
    assert!(Snapshot::from_bytes(built).is_ok());
    let reader = drain(&fifo);
    let status = Command::new(env!("CARGO_BIN_EXE_bphscore"))
        .args(["export", "-q", "--format", "cidr", "-o"])
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(is_fifo(&fifo));
    let text = String::from_utf8(reader.join().unwrap()).unwrap();
    assert!(text.lines().any(|l| l.contains('/')), "{text}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
