//! The real binary under SIGTERM: a request that is in flight when the signal arrives still gets
//! its whole answer, and the process then exits 0 within the shutdown budget.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_zero() {
    let data = std::env::temp_dir().join(format!("scanpage-sigterm-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_scanpage"))
        .env_clear()
        .env("PORT", "0")
        .env("SCANPAGE_DATA", &data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");

    // "Scanpage (all-in-one) is running at http://localhost:PORT", after any start-up warnings
    // (in a container the throw-away temp folder is, rightly, warned about).
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map(|line| line.expect("stdout is readable"))
        .find(|line| line.contains("is running at"))
        .expect("the binary says where it listens");
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .expect(&line);

    // Start a login whose body arrives in two halves, with SIGTERM in between.
    let body = br#"{"email":"nobody@example.com","password":"not the right password"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..20]).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[20..]).unwrap();

    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the in-flight request was answered in full: {answer}"
    );
    assert!(answer.contains("invalid_credentials"), "{answer}");

    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    println!("exited 0 after {:?}", signalled.elapsed());
    let _ = std::fs::remove_dir_all(&data);
}
