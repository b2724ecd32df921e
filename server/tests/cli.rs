//! The `shipshape` binary as a person runs it: help, config errors,
//! migrations, and a real server that follows its fleet file and stops
//! cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn shipshape(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shipshape"));
    command
        .current_dir(dir)
        .env_remove("SHIPSHAPE_CONFIG")
        .env_remove("SHIPSHAPE_DATABASE_URL")
        .env("RUST_LOG", "info");
    command
}

#[test]
fn help_explains_every_subcommand_and_the_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let output = shipshape(dir.path()).arg("--help").output().expect("run");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("serve") && help.contains("Start the web UI and API"),
        "{help}"
    );
    assert!(
        help.contains("migrate") && help.contains("Apply pending database migrations"),
        "{help}"
    );
    assert!(help.contains("SHIPSHAPE_DATABASE_URL"), "{help}");
}

#[test]
fn a_typo_in_the_config_file_stops_start_up_naming_file_line_and_key() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[[service]]\nslug = \"a\"\nteam = \"t\"\ntierr = 1\n",
    )
    .expect("write");
    let output = shipshape(dir.path()).arg("serve").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("shipshape.toml:7:1: service[0].tierr: unknown field `tierr`")
            && stderr.contains("did you mean `tier`?"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("shipshape.db").exists(),
        "nothing is started on a bad config"
    );
}

#[test]
fn migrate_creates_the_sqlite_file_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let output = shipshape(dir.path())
        .args(["migrate"])
        .env("SHIPSHAPE_DATABASE_URL", "sqlite://state/../fresh.db")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // `state/` does not exist: the error says which database could not be opened.
    assert!(!output.status.success());
    assert!(
        stderr.contains("could not open the SQLite database sqlite://state/../fresh.db"),
        "{stderr}"
    );

    let output = shipshape(dir.path())
        .args(["migrate"])
        .env("SHIPSHAPE_DATABASE_URL", "sqlite://fresh.db")
        .output()
        .expect("run");
    let stdout2 = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout2.contains("SQLite database sqlite://fresh.db is up to date"),
        "{stdout2}"
    );
    assert!(dir.path().join("fresh.db").is_file());
}

#[test]
fn a_database_password_never_reaches_the_output() {
    let dir = tempfile::tempdir().expect("dir");
    let output = shipshape(dir.path())
        .args(["migrate"])
        .env(
            "SHIPSHAPE_DATABASE_URL",
            "postgres://shipshape:hunter2-secret@127.0.0.1:1/shipshape",
        )
        .output()
        .expect("run");
    assert!(!output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        all.contains("postgres://shipshape:[redacted]@127.0.0.1:1/shipshape"),
        "{all}"
    );
    assert!(!all.contains("hunter2-secret"), "{all}");
}

/// A running `shipshape serve`; killed if the test fails before stopping it.
struct Server {
    child: Child,
    address: String,
    log: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start_server(dir: &Path) -> Server {
    let child = shipshape(dir)
        .arg("serve")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let (sender, log) = mpsc::channel();
    let mut server = Server {
        child,
        address: String::new(),
        log,
    };
    let stderr = server.child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.address.is_empty() {
        let line = server
            .log
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server started");
        if let Some(address) = line.split("listening on http://").nth(1) {
            server.address = address
                .split_whitespace()
                .next()
                .expect("address")
                .to_string();
        }
    }
    server
}

fn http_get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

const FLEET: &str = r#"
[server]
listen = "127.0.0.1:0"

[fleet]
watch_interval = "100ms"

# Read without signing in, as a wallboard would.
[auth]
anonymous = "viewer"

[[service]]
slug = "checkout-api"
team = "payments"
"#;

#[test]
fn the_server_follows_its_fleet_file_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("shipshape.toml");
    std::fs::write(&config, FLEET).expect("write");
    let mut server = start_server(dir.path());

    let (status, body) = http_get(&server.address, "/_internal_/healthcheck");
    assert_eq!((status, body.as_str()), (200, "{\"status\":\"healthy\"}"));
    assert!(
        dir.path().join("shipshape.db").is_file(),
        "the SQLite file is created on first start"
    );
    let (_, body) = http_get(&server.address, "/api/v1/services");
    assert!(body.contains("\"checkout-api\""), "{body}");

    // A service added to the file appears without a restart.
    std::fs::write(
        &config,
        format!("{FLEET}\n[[service]]\nslug = \"ledger\"\nteam = \"payments\"\n"),
    )
    .expect("write");
    wait_until("the new service is served", || {
        http_get(&server.address, "/api/v1/services")
            .1
            .contains("\"ledger\"")
    });

    // A broken file keeps the fleet and is shown on the Overview.
    std::fs::write(
        &config,
        format!("{FLEET}\n[[service]]\nslug = \"ledger\"\nteam = \"payments\"\ntier = \"one\"\n"),
    )
    .expect("write");
    wait_until("the error is shown", || {
        http_get(&server.address, "/").1.contains("service[1].tier")
    });
    let (_, body) = http_get(&server.address, "/api/v1/services");
    assert!(
        body.contains("\"ledger\"") && body.contains("\"checkout-api\""),
        "{body}"
    );

    // Removing a service from the file retires it.
    std::fs::write(&config, FLEET).expect("write");
    wait_until("the removed service is gone", || {
        !http_get(&server.address, "/api/v1/services")
            .1
            .contains("\"ledger\"")
    });

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let log: Vec<String> = server.log.try_iter().collect();
    assert!(
        log.iter().any(|l| l.contains("Shipshape stopped")),
        "{log:#?}"
    );
}

/// `scan` and `check` against the fake registries, as a CI job would run them.
#[test]
fn scan_prints_a_table_and_check_fails_the_build_over_budget() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fakes = runtime
        .block_on(shipshape_fakes::Fakes::start(
            shipshape_fakes::demo::demo_state(),
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("fakes");
    let dir = tempfile::tempdir().expect("dir");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let with_registries = |command: &mut Command| {
        for (var, path) in [("CARGO", "cargo"), ("NPM", "npm"), ("PYTHON", "pypi")] {
            command.env(format!("SHIPSHAPE_REGISTRY_{var}_URL"), fakes.url(path));
        }
    };

    let mut scan = shipshape(dir.path());
    with_registries(&mut scan);
    let output = scan
        .arg("scan")
        .arg(examples.join("checkout-api"))
        .output()
        .expect("scan runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let reqwest = stdout.lines().nth(1).unwrap_or_default();
    assert!(
        reqwest.starts_with("cargo      reqwest     dev     0.11.27"),
        "{stdout}"
    );
    assert!(
        stdout.contains("8 dependencies: 2 major, 1 minor, 2 patch, 3 up to date"),
        "{stdout}"
    );

    let mut within = shipshape(dir.path());
    with_registries(&mut within);
    let output = within
        .args(["check", "--max-libyear", "100"])
        .arg(examples.join("recommendations"))
        .output()
        .expect("check runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let mut over = shipshape(dir.path());
    with_registries(&mut over);
    let output = over
        .args(["check", "--fail-on", "major"])
        .arg(examples.join("checkout-api"))
        .output()
        .expect("check runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("over budget: reqwest 0.11.27 is major behind (0.11.27 → 0.13.5)"),
        "{stdout}"
    );
}

/// Runs `shipshape ARGS` on the SQLite file in `dir`, with `stdin` as its
/// input; returns whether it succeeded, and its stdout and stderr.
fn run_with_input(dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = shipshape(dir)
        .args(args)
        .env("SHIPSHAPE_DATABASE_URL", "sqlite://accounts.db")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn accounts_are_added_listed_given_roles_and_disabled_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| run_with_input(dir.path(), args, "");
    let (ok, out, err) = run_with_input(
        dir.path(),
        &["user", "add", "--admin", "ada"],
        "first admin password\n",
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("created admin account ada"), "{out}");
    let (ok, _, err) = run_with_input(dir.path(), &["user", "add", "vic"], "short\n");
    assert!(!ok);
    assert!(err.contains("at least 12 characters"), "{err}");
    let (ok, out, err) = run_with_input(
        dir.path(),
        &["user", "add", "--role", "viewer", "vic"],
        "viewer password 1\n",
    );
    assert!(ok, "{out}{err}");

    let (ok, out, err) = run(&["user", "role", "vic", "operator"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("vic is now operator"), "{out}");
    let (ok, out, _) = run(&["user", "list"]);
    assert!(ok);
    let vic = out
        .lines()
        .find(|l| l.starts_with("vic "))
        .expect("vic listed");
    assert!(vic.contains("operator") && vic.contains("never"), "{out}");

    // The only admin can be neither disabled nor demoted: the error says why.
    for args in [
        &["user", "disable", "ada"][..],
        &["user", "role", "ada", "viewer"],
    ] {
        let (ok, _, err) = run(args);
        assert!(!ok, "{args:?}");
        assert!(err.contains("`ada` is the last enabled admin"), "{err}");
    }
    let (ok, out, err) = run(&["user", "disable", "vic"]);
    assert!(ok, "{out}{err}");
    let (_, out, _) = run(&["user", "list"]);
    let vic = out
        .lines()
        .find(|l| l.starts_with("vic "))
        .expect("vic listed");
    assert!(vic.contains("disabled since"), "{out}");
    let (ok, _, _) = run(&["user", "enable", "vic"]);
    assert!(ok);
    let (_, out, _) = run(&["user", "list"]);
    assert!(!out.contains("disabled"), "{out}");
    let (ok, _, err) = run(&["user", "disable", "nobody"]);
    assert!(!ok);
    assert!(err.contains("no account named `nobody`"), "{err}");
}
