//! The updater against a real HTTP/1.1 server on loopback, serving the
//! default world's files, with faults injected per path: 5xx answers, cut
//! bodies, a server that does not answer, a changed ETag, a missing file,
//! oversized bodies, checksum mismatches and an HTML error page.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use bphscore::update::{Outcome, Status, UpdateConfig, Updater, read_state};

/// What the server answers on a path. Replies are used in order; the last
/// one repeats.
#[derive(Clone)]
enum Reply {
    /// 200 with a body, or 304 when the request's validators match.
    File {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// An empty answer with this status.
    Status(u16),
    /// A `Content-Length` larger than the body, then the connection closes.
    Cut { body: Vec<u8>, claimed: usize },
    /// A body without `Content-Length`, ended by closing the connection.
    Unsized(Vec<u8>),
    /// Waits, without answering, until the test's gate is released.
    Hold,
}

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HashMap<String, String>,
}

#[derive(Clone)]
struct Server {
    base: String,
    routes: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
    log: Arc<Mutex<Vec<Seen>>>,
    gate: Arc<Mutex<Receiver<()>>>,
}

impl Server {
    /// Starts the server; the returned sender is the gate of `Reply::Hold`
    /// (drop it to release held connections).
    fn start() -> (Server, Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (tx, rx) = channel();
        let server = Server {
            base: format!("http://{}", listener.local_addr().unwrap()),
            routes: Arc::default(),
            log: Arc::default(),
            gate: Arc::new(Mutex::new(rx)),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || s.serve(conn));
            }
        });
        (server, tx)
    }

    fn route(&self, path: &str, replies: Vec<Reply>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), replies.into());
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn requests(&self, path: &str) -> Vec<Seen> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    fn serve(&self, conn: TcpStream) {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        self.log.lock().unwrap().push(Seen {
            path: path.clone(),
            headers: headers.clone(),
        });
        let reply = {
            let mut routes = self.routes.lock().unwrap();
            match routes.get_mut(&path) {
                Some(q) if q.len() > 1 => q.pop_front(),
                Some(q) => q.front().cloned(),
                None => None,
            }
        };
        let mut out = conn;
        let head = |status: &str, extra: &str, len: Option<usize>| {
            let len = len.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
            format!("HTTP/1.1 {status}\r\nConnection: close\r\n{extra}{len}\r\n")
        };
        let _ = match reply {
            None => out.write_all(head("404 Not Found", "", Some(0)).as_bytes()),
            Some(Reply::Status(code)) => {
                out.write_all(head(&format!("{code} Fault"), "", Some(0)).as_bytes())
            }
            Some(Reply::File {
                body,
                etag,
                last_modified,
            }) => {
                let fresh = match (&etag, headers.get("if-none-match")) {
                    (Some(e), Some(h)) => e == h,
                    _ => match (&last_modified, headers.get("if-modified-since")) {
                        (Some(l), Some(h)) => l == h,
                        _ => false,
                    },
                };
                let mut extra = String::new();
                if let Some(e) = &etag {
                    extra += &format!("ETag: {e}\r\n");
                }
                if let Some(l) = &last_modified {
                    extra += &format!("Last-Modified: {l}\r\n");
                }
                if fresh {
                    out.write_all(head("304 Not Modified", &extra, None).as_bytes())
                } else {
                    out.write_all(head("200 OK", &extra, Some(body.len())).as_bytes())
                        .and_then(|()| out.write_all(&body))
                }
            }
            Some(Reply::Cut { body, claimed }) => out
                .write_all(head("200 OK", "", Some(claimed)).as_bytes())
                .and_then(|()| out.write_all(&body)),
            Some(Reply::Unsized(body)) => out
                .write_all(head("200 OK", "", None).as_bytes())
                .and_then(|()| out.write_all(&body)),
            Some(Reply::Hold) => {
                // Blocks until the test drops the gate's sender.
                let _ = self.gate.lock().unwrap().recv();
                Ok(())
            }
        };
    }
}

fn world(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/world")
            .join(name),
    )
    .unwrap()
}

fn file(body: &[u8], etag: &str) -> Reply {
    Reply::File {
        body: body.to_vec(),
        etag: Some(etag.to_owned()),
        last_modified: Some("Wed, 11 Nov 2026 06:10:00 GMT".to_owned()),
    }
}

fn config(server: &Server, extra_defaults: &str, sources: &[(&str, &str, &str)]) -> UpdateConfig {
    let mut text = format!("[defaults]\n{extra_defaults}\n");
    for (key, value) in [("backoff_ms", 0), ("timeout_ms", 5000)] {
        if !extra_defaults.contains(key) {
            text += &format!("{key} = {value}\n");
        }
    }
    for (name, path, more) in sources {
        text += &format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n{more}\n",
            server.url(path)
        );
    }
    UpdateConfig::from_toml("test.toml", &text).unwrap()
}

fn run(config: UpdateConfig, dir: &Path) -> Vec<Outcome> {
    Updater::new(config, dir).unwrap().run().unwrap()
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".bphscore-download")
        })
        .collect()
}

#[test]
fn downloads_then_asks_conditionally_then_follows_a_changed_etag() {
    let (server, _gate) = Server::start();
    let v1 = world("drop_v4.json");
    server.route("/drop_v4.json", vec![file(&v1, "\"v1\"")]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = || {
        config(
            &server,
            "",
            &[("drop_v4.json", "/drop_v4.json", "kind = \"abuse\"")],
        )
    };

    let first = run(cfg(), dir.path());
    assert!(matches!(first[0].status, Status::Updated { bytes, .. } if bytes == v1.len() as u64));
    assert_eq!(std::fs::read(dir.path().join("drop_v4.json")).unwrap(), v1);
    let state = read_state(dir.path()).unwrap();
    let st = &state["drop_v4.json"];
    assert_eq!(st.etag.as_deref(), Some("\"v1\""));
    assert_eq!(st.bytes, v1.len() as u64);
    assert_eq!(st.sha256.as_ref().unwrap().len(), 64);
    assert!(
        !server.requests("/drop_v4.json")[0]
            .headers
            .contains_key("if-none-match")
    );

    // Unchanged: a conditional request, answered 304.
    let second = run(cfg(), dir.path());
    assert_eq!(second[0].status, Status::Unchanged);
    let req = &server.requests("/drop_v4.json")[1];
    assert_eq!(req.headers["if-none-match"], "\"v1\"");
    assert_eq!(
        req.headers["if-modified-since"],
        "Wed, 11 Nov 2026 06:10:00 GMT"
    );

    // The publisher changes the file: new ETag, new content.
    let v2 = world("drop_v6.json");
    server.route("/drop_v4.json", vec![file(&v2, "\"v2\"")]);
    let third = run(cfg(), dir.path());
    assert!(matches!(third[0].status, Status::Updated { .. }));
    assert_eq!(std::fs::read(dir.path().join("drop_v4.json")).unwrap(), v2);
    assert_eq!(
        read_state(dir.path()).unwrap()["drop_v4.json"]
            .etag
            .as_deref(),
        Some("\"v2\"")
    );

    // A deleted copy is fetched again unconditionally, never left missing by a 304.
    std::fs::remove_file(dir.path().join("drop_v4.json")).unwrap();
    let fourth = run(cfg(), dir.path());
    assert!(matches!(fourth[0].status, Status::Updated { .. }));
    assert!(
        !server.requests("/drop_v4.json")[3]
            .headers
            .contains_key("if-none-match")
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let (server, _gate) = Server::start();
    let body = world("asndrop.json");
    server.route(
        "/asndrop.json",
        vec![Reply::Status(500), Reply::Status(503), file(&body, "\"a\"")],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        config(
            &server,
            "retries = 2\nbackoff_ms = 1",
            &[("asndrop.json", "/asndrop.json", "")],
        ),
        dir.path(),
    );
    assert!(matches!(out[0].status, Status::Updated { .. }), "{out:?}");
    assert_eq!(out[0].attempts, 3);
    assert_eq!(server.requests("/asndrop.json").len(), 3);
    assert_eq!(
        std::fs::read(dir.path().join("asndrop.json")).unwrap(),
        body
    );
}

/// Fetches a good copy of `name` first, then runs `faults` and checks that
/// the update failed and the good copy is still there, whole.
fn keeps_last_good_copy(faults: Vec<Reply>, retries: u32, timeout_ms: u64) -> (Outcome, Server) {
    let (server, gate) = Server::start();
    let good = world("firehol_abusers.netset");
    server.route("/list.netset", vec![file(&good, "\"good\"")]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = |t: u64| {
        config(
            &server,
            &format!("retries = {retries}\ntimeout_ms = {t}"),
            &[("list.netset", "/list.netset", "kind = \"abuse\"")],
        )
    };
    let first = run(cfg(5000), dir.path());
    assert!(matches!(first[0].status, Status::Updated { .. }));
    // The publisher changed the file (so the request is not answered 304)
    // but serving it now fails.
    server.route("/list.netset", faults);
    let out = run(cfg(timeout_ms), dir.path());
    drop(gate);
    match &out[0].status {
        Status::Failed { kept, .. } => assert!(kept),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(std::fs::read(dir.path().join("list.netset")).unwrap(), good);
    let state = read_state(dir.path()).unwrap();
    let st = &state["list.netset"];
    assert_eq!(
        st.etag.as_deref(),
        Some("\"good\""),
        "the state still describes the good copy"
    );
    assert!(st.last_error.is_some());
    assert!(leftovers(dir.path()).is_empty());
    // And build --data still finds the good copy.
    let specs = bphscore::update::build_sources(dir.path()).unwrap();
    assert_eq!(specs.len(), 1);
    (out[0].clone(), server)
}

#[test]
fn persistent_500s_keep_the_last_good_copy() {
    let (out, server) = keeps_last_good_copy(vec![Reply::Status(500)], 2, 5000);
    assert_eq!(out.attempts, 3);
    assert_eq!(server.requests("/list.netset").len(), 4);
}

#[test]
fn truncated_bodies_are_retried_then_refused() {
    let body = world("firehol_abusers.netset");
    let cut = Reply::Cut {
        body: body[..body.len() / 2].to_vec(),
        claimed: body.len(),
    };
    let (out, _) = keeps_last_good_copy(vec![cut], 1, 5000);
    assert_eq!(out.attempts, 2);
    let Status::Failed { error, .. } = &out.status else {
        unreachable!()
    };
    assert!(!error.is_empty());
}

#[test]
fn a_server_that_does_not_answer_times_out() {
    // The server holds the connection until the test releases it; the
    // client gives up after its own timeout.
    let (out, _) = keeps_last_good_copy(vec![Reply::Hold], 1, 300);
    assert_eq!(out.attempts, 2);
    let Status::Failed { error, .. } = &out.status else {
        unreachable!()
    };
    assert!(
        error.to_lowercase().contains("timeout") || error.contains("timed out"),
        "{error}"
    );
}

#[test]
fn a_missing_file_is_not_retried() {
    let (out, server) = keeps_last_good_copy(vec![Reply::Status(404)], 3, 5000);
    assert_eq!(out.attempts, 1);
    assert_eq!(server.requests("/list.netset").len(), 2);
}

#[test]
fn an_html_error_page_is_not_taken_for_a_list() {
    let page = b"<!DOCTYPE html>\n<html><body>Service unavailable</body></html>\n".to_vec();
    let (out, _) = keeps_last_good_copy(vec![file(&page, "\"html\"")], 0, 5000);
    let Status::Failed { error, .. } = &out.status else {
        unreachable!()
    };
    assert!(error.contains("not a format"), "{error}");
}

#[test]
fn size_limits_hold_with_and_without_content_length() {
    let (server, _gate) = Server::start();
    let body = world("asn-ipv4-20261101.csv");
    server.route("/sized.csv", vec![file(&body, "\"s\"")]);
    server.route("/unsized.csv", vec![Reply::Unsized(body.clone())]);
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        config(
            &server,
            "retries = 3\nmax_bytes = 100",
            &[
                ("sized.csv", "/sized.csv", ""),
                ("unsized.csv", "/unsized.csv", ""),
            ],
        ),
        dir.path(),
    );
    for o in &out {
        let Status::Failed { error, kept } = &o.status else {
            panic!("{o:?}")
        };
        assert!(error.contains("limit"), "{error}");
        assert!(!kept);
        assert_eq!(o.attempts, 1, "a size limit is not retried");
        assert!(!dir.path().join(&o.name).exists());
    }
    assert!(leftovers(dir.path()).is_empty());
    // Within the limit, a body without Content-Length is read to the end.
    let out = run(
        config(&server, "", &[("unsized.csv", "/unsized.csv", "")]),
        dir.path(),
    );
    assert!(matches!(out[0].status, Status::Updated { .. }));
    assert_eq!(std::fs::read(dir.path().join("unsized.csv")).unwrap(), body);
}

#[test]
fn published_checksums_are_verified() {
    use sha2::Digest;
    let (server, _gate) = Server::start();
    let body = world("drop.txt");
    let sha = sha2::Sha256::digest(&body);
    let sha: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    server.route("/drop.txt", vec![file(&body, "\"d\"")]);
    server.route(
        "/drop.txt.sha256",
        vec![file(format!("{sha}  drop.txt\n").as_bytes(), "\"c\"")],
    );
    server.route(
        "/wrong.sha256",
        vec![file(
            format!("{}  drop.txt\n", "0".repeat(64)).as_bytes(),
            "\"w\"",
        )],
    );
    let md5 = md5_hex(&body);
    server.route(
        "/drop.txt.md5",
        vec![file(
            format!("MD5 (drop.txt) = {md5}\n").as_bytes(),
            "\"m\"",
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let with = |sum: &str, alg: &str| {
        format!(
            "checksum_url = \"{}\"\nchecksum_algorithm = \"{alg}\"",
            server.url(sum)
        )
    };
    let out = run(
        config(
            &server,
            "retries = 1",
            &[
                ("a.txt", "/drop.txt", &with("/drop.txt.sha256", "sha256")),
                ("b.txt", "/drop.txt", &with("/wrong.sha256", "sha256")),
                ("c.txt", "/drop.txt", &with("/drop.txt.md5", "md5")),
            ],
        ),
        dir.path(),
    );
    assert!(
        matches!(out[0].status, Status::Updated { .. }),
        "{:?}",
        out[0]
    );
    let Status::Failed { error, .. } = &out[1].status else {
        panic!("{:?}", out[1])
    };
    assert!(error.contains("does not match"), "{error}");
    assert!(!dir.path().join("b.txt").exists());
    assert!(
        matches!(out[2].status, Status::Updated { .. }),
        "{:?}",
        out[2]
    );
}

fn md5_hex(data: &[u8]) -> String {
    // `md5sum` of the file, computed by the system tool so the test does
    // not check the updater against itself.
    let mut child = std::process::Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("md5sum (coreutils) runs");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn cli_update_then_build_from_the_data_folder() {
    let (server, _gate) = Server::start();
    for name in [
        "asn-ipv4-20261101.csv",
        "drop_v4.json",
        "firehol_abusers.netset",
        "country-ipv4-20261101.csv",
    ] {
        server.route(&format!("/{name}"), vec![file(&world(name), "\"x\"")]);
    }
    server.route("/gone.json", vec![Reply::Status(404)]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sources.toml");
    let data = dir.path().join("data");
    let mut text = "[defaults]\nbackoff_ms = 0\nretries = 0\n".to_owned();
    for (name, kind) in [
        ("asn-ipv4-20261101.csv", "routing"),
        ("country-ipv4-20261101.csv", "geo"),
        ("drop_v4.json", "abuse"),
        ("firehol_abusers.netset", "abuse"),
    ] {
        text += &format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\nkind = \"{kind}\"\n",
            server.url(&format!("/{name}"))
        );
    }
    let bin = || std::process::Command::new(env!("CARGO_BIN_EXE_bphscore"));
    std::fs::write(&cfg, &text).unwrap();
    let out = bin()
        .args(["update", "--config"])
        .arg(&cfg)
        .arg("--dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap = dir.path().join("w.bph");
    let out = bin()
        .args(["build", "--quiet", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let built = bphscore::Snapshot::open(&snap).unwrap();
    let mut names: Vec<&str> = built.sources().iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "asn-ipv4-20261101.csv",
            "country-ipv4-20261101.csv",
            "drop_v4.json",
            "firehol_abusers.netset"
        ]
    );

    // A failing source makes the exit status 4 and says so.
    text += &format!(
        "[[source]]\nname = \"gone.json\"\nurl = \"{}\"\n",
        server.url("/gone.json")
    );
    std::fs::write(&cfg, &text).unwrap();
    let out = bin()
        .args(["update", "-q", "--config"])
        .arg(&cfg)
        .arg("--dir")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gone.json") && err.contains("HTTP 404"),
        "{err}"
    );

    // A bad configuration names the file and line.
    std::fs::write(&cfg, "[[source]]\nname = \"x\"\nurl = 5\n").unwrap();
    let out = bin()
        .args(["update", "--config"])
        .arg(&cfg)
        .arg("--dir")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sources.toml:3"));
}
