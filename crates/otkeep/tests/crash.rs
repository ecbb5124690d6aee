//! Crash safety: the real `otkeep serve` is killed with SIGKILL at random points while clients
//! write through the API (records created and edited, electronic signatures) and
//! `otkeep import` loads a large CSV into the same database. After every kill:
//!
//! - the database opens and `otkeep verify-audit` passes,
//! - the import is all or nothing (its rows are all there or none are),
//! - every write the server acknowledged (2xx) is there, at least at the acknowledged version.
//!
//! On SQLite and on PostgreSQL. `OTKEEP_CRASH_ITERATIONS` sets the kills per backend (default
//! 5, CI's figure; `OTKEEP_CRASH_ITERATIONS=100 cargo test -p otkeep --test crash -- --nocapture`
//! is the long run) and `OTKEEP_CRASH_SEED` repeats a run's random kill points.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the database is: arguments naming it for every `otkeep` command.
#[derive(Clone)]
struct Db {
    args: Vec<String>,
}

impl Db {
    fn otkeep(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_otkeep"));
        c.args(&self.args)
            .args(args)
            .env_remove("OTKEEP_DATABASE_URL")
            .env_remove("OTKEEP_DATA_DIR")
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.otkeep(args).output().expect("run otkeep")
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A small deterministic random source (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One HTTP/1.1 request with a bearer token; the status and the JSON body (Null if none).
fn request(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {text:?}")))?;
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Ok((status, json))
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(db: &Db) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = db
            .otkeep(&["serve", "--listen", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start otkeep serve");
        let mut server = Server { child, addr };
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = request(&server.addr, "", "GET", "/readyz", None) {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("otkeep serve exited at start: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "otkeep serve did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the server acknowledged: asset id → (version, name) of the last acknowledged write,
/// and the signatures acknowledged (asset id, signature id).
#[derive(Default)]
struct Acks {
    assets: std::collections::BTreeMap<i64, (i64, String)>,
    signatures: Vec<(i64, i64)>,
}

#[test]
fn sigkill_during_writes_sqlite() {
    let dir = std::env::temp_dir().join(format!("otkeep-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db {
        args: vec!["--data-dir".into(), dir.display().to_string()],
    };
    sigkill_during_writes(&db, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_during_writes_postgres() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let Some(pg) = runtime.block_on(otkeep_store::testing::TestDb::postgres()) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("otkeep-crash-pg-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let db = Db {
        args: vec!["--database-url".into(), pg.url.clone()],
    };
    sigkill_during_writes(&db, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    drop(pg);
}

fn sigkill_during_writes(db: &Db, dir: &std::path::Path) {
    let iterations: usize = std::env::var("OTKEEP_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("OTKEEP_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| jiff::Timestamp::now().as_microsecond() as u64 | 1);
    println!("crash test: {iterations} kills, OTKEEP_CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    // Setup: a site, an administrator with a token and a password (to sign with).
    let o = db.run(&["demo", "--sites", "1", "--assets-per-site", "5"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = db.run(&["user", "add", "crash", "--role", "admin"]);
    assert!(o.status.success(), "{}", text(&o));
    let password = String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    let o = db.run(&["user", "token", "crash", "--name", "crash test"]);
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let server = Server::start(db);
    let (status, sites) = request(&server.addr, &token, "GET", "/api/v1/sites", None).unwrap();
    assert_eq!(status, 200, "{sites}");
    let site = &sites["items"][0];
    let (site_id, site_code) = (
        site["id"].as_i64().expect("site id"),
        site["code"].as_str().expect("site code").to_string(),
    );
    server.kill();

    let acks = Arc::new(Mutex::new(Acks::default()));
    let (mut kills, mut imports_whole, mut imports_none) = (0, 0, 0);
    for iteration in 0..iterations {
        let server = Server::start(db);
        // Everything acknowledged before the last kill is there.
        check_acks(&server.addr, &token, &acks.lock().unwrap());

        // The import: a CSV of 100 to 4,000 assets (so some finish before the kill and some
        // are killed in the middle), run as its own process.
        let rows = 100 + rng.below(3_900) as usize;
        let csv = dir.join(format!("import-{iteration}.csv"));
        let mut body = String::from("name,asset_type,criticality,owner,lifecycle\n");
        for row in 0..rows {
            body.push_str(&format!(
                "import-{iteration}-{row},plc,high,Crash Test,operational\n"
            ));
        }
        std::fs::write(&csv, body).unwrap();
        let csv_path = csv.display().to_string();
        let mut import = db
            .otkeep(&["import", "assets", &csv_path, "--site", &site_code])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start import");

        // Writers: each creates assets and edits them, one signs them.
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for writer in 0..3 {
            let (addr, token, acks, stop) = (
                server.addr.clone(),
                token.clone(),
                acks.clone(),
                stop.clone(),
            );
            let password = password.clone();
            writers.push(std::thread::spawn(move || {
                write_until_stopped(
                    iteration, writer, &addr, &token, &password, site_id, &acks, &stop,
                )
            }));
        }
        let delay = 150 + rng.below(1_500);
        std::thread::sleep(Duration::from_millis(delay));
        server.kill();
        let _ = import.kill();
        let _ = import.wait();
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().expect("writer thread");
        }

        // The database opens and its audit chain verifies.
        let o = db.run(&["verify-audit"]);
        assert!(
            o.status.success(),
            "after kill {iteration} (at {delay} ms): {}",
            text(&o)
        );
        // The import is all or nothing.
        let server = Server::start(db);
        let (status, found) = request(
            &server.addr,
            &token,
            "GET",
            &format!("/api/v1/assets?q=import-{iteration}-&per_page=1"),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{found}");
        let imported = found["total"].as_u64().expect("total");
        assert!(
            imported == 0 || imported == rows as u64,
            "kill {iteration} at {delay} ms left {imported} of {rows} import rows"
        );
        if imported == 0 {
            imports_none += 1;
        } else {
            imports_whole += 1;
        }
        server.kill();
    }
    let server = Server::start(db);
    let acks = acks.lock().unwrap();
    check_acks(&server.addr, &token, &acks);
    server.kill();
    let o = db.run(&["verify-audit"]);
    assert!(o.status.success(), "{}", text(&o));
    println!(
        "crash test: {kills} kills, 0 failures; {} acknowledged assets and {} signatures all present; imports whole {imports_whole}, none {imports_none}",
        acks.assets.len(),
        acks.signatures.len()
    );
    assert!(!acks.assets.is_empty(), "the writers got acknowledgements");
}

#[allow(clippy::too_many_arguments)]
fn write_until_stopped(
    iteration: usize,
    writer: usize,
    addr: &str,
    token: &str,
    password: &str,
    site_id: i64,
    acks: &Mutex<Acks>,
    stop: &AtomicBool,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("crash-{iteration}-{writer}-{n}");
        let asset = json!({"site_id": site_id, "name": name, "asset_type": "plc",
            "criticality": "high", "owner": "Crash Test", "lifecycle": "operational"});
        let Ok((201, created)) = request(addr, token, "POST", "/api/v1/assets", Some(&asset))
        else {
            return; // the server is gone (or refused): nothing acknowledged
        };
        let id = created["id"].as_i64().expect("id");
        acks.lock().unwrap().assets.insert(id, (1, name.clone()));
        // An edit of the record just made, at the version the server gave.
        let mut edit = created.clone();
        edit["name"] = json!(format!("{name}-edited"));
        let Ok((200, updated)) = request(
            addr,
            token,
            "PUT",
            &format!("/api/v1/assets/{id}"),
            Some(&edit),
        ) else {
            return;
        };
        let version = updated["version"].as_i64().expect("version");
        acks.lock()
            .unwrap()
            .assets
            .insert(id, (version, format!("{name}-edited")));
        if writer == 0 {
            let sign = json!({"version": version, "meaning": "approved", "password": password,
                "comment": "crash test approval"});
            let Ok((201, signature)) = request(
                addr,
                token,
                "POST",
                &format!("/api/v1/assets/{id}/signatures"),
                Some(&sign),
            ) else {
                return;
            };
            let sid = signature["id"].as_i64().expect("signature id");
            acks.lock().unwrap().signatures.push((id, sid));
        }
    }
}

/// Every acknowledged asset exists at least at its acknowledged version (a write in flight at
/// the kill may have committed after it), with the acknowledged name at that version; every
/// acknowledged signature is listed.
fn check_acks(addr: &str, token: &str, acks: &Acks) {
    for (id, (version, name)) in &acks.assets {
        let (status, asset) =
            request(addr, token, "GET", &format!("/api/v1/assets/{id}"), None).unwrap();
        assert_eq!(status, 200, "acknowledged asset #{id} is missing: {asset}");
        let now = asset["version"].as_i64().unwrap_or(0);
        assert!(
            now >= *version,
            "asset #{id} went back from v{version} to v{now}"
        );
        if now == *version {
            assert_eq!(asset["name"].as_str(), Some(name.as_str()), "asset #{id}");
        }
    }
    let mut by_asset: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (asset, sid) in &acks.signatures {
        by_asset.entry(*asset).or_default().push(*sid);
    }
    for (asset, sids) in by_asset {
        let (status, list) = request(
            addr,
            token,
            "GET",
            &format!("/api/v1/assets/{asset}/signatures"),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{list}");
        let listed: Vec<i64> = list
            .as_array()
            .or_else(|| list["items"].as_array())
            .map(|a| a.iter().filter_map(|s| s["id"].as_i64()).collect())
            .unwrap_or_default();
        for sid in sids {
            assert!(
                listed.contains(&sid),
                "acknowledged signature #{sid} of asset #{asset} is missing: {list}"
            );
        }
    }
}
