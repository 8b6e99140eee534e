//! Load generator for the fault drill and the soak (`scripts/fault-drill`, `scripts/soak`).
//!
//! `setup` signs a user up and creates codes and microsites through the public API; `run` sends a
//! fixed-rate mix of scans, microsite views, dashboard loads and edits for a bounded time and
//! prints a JSON summary per kind (requests, status classes, connection errors, p50/p99);
//! `count` prints how many scans the account's analytics has recorded.
//!
//! Fixed rate, not closed loop: a request is due at its slot whether or not earlier ones have
//! answered, so a stalled server shows up as latency and errors instead of hiding behind fewer
//! requests. At most `--in-flight` requests are outstanding; a slot that finds no room is counted
//! as `skipped` (the server could not keep up), never silently dropped. Loopback only: the
//! base URL must be a 127.0.0.1/localhost address.
//!
//!     cargo run --release -p web --example loadgen -- setup --base http://127.0.0.1:3000 --dir /tmp/lg \
//!         --database-url sqlite:///path/to/data/scanpage.db   # (or DATABASE_URL) for the confirmation link
//!     cargo run --release -p web --example loadgen -- run --base ... --dir /tmp/lg --rate 500 --secs 30

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use std::fmt::Write as _;
use tokio::sync::Semaphore;

/// A phone camera's user agent: scans from it count as human.
const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Redirect,
    Microsite,
    Dashboard,
    Edit,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Redirect => "redirect",
            Kind::Microsite => "microsite",
            Kind::Dashboard => "dashboard",
            Kind::Edit => "edit",
        }
    }
}

#[derive(Default)]
struct Tally {
    sent: u64,
    by_class: BTreeMap<String, u64>,
    errors: u64,
    skipped: u64,
    micros: Vec<u32>,
}

struct Fixture {
    token: String,
    /// (id, short code)
    codes: Vec<(String, String)>,
    slugs: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen setup --base URL --dir DIR --database-url URL [--codes N] [--microsites N]\n       \
         loadgen run --base URL --dir DIR --rate PER_SEC --secs S [--mix R,M,D,E] [--codes-used N] [--in-flight N]\n       \
         loadgen count --base URL --dir DIR"
    );
    std::process::exit(2)
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(args: &[String], name: &str, default: u64) -> u64 {
    flag(args, name).map_or(default, |v| v.parse().unwrap_or_else(|_| usage()))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first().cloned() else {
        usage()
    };
    let base = flag(&args, "--base").unwrap_or_else(|| usage());
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    if !loopback.iter().any(|p| base.starts_with(p)) {
        eprintln!("loadgen only targets loopback addresses, not {base}");
        std::process::exit(2);
    }
    let dir = PathBuf::from(flag(&args, "--dir").unwrap_or_else(|| usage()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    match command.as_str() {
        "setup" => {
            let codes = number(&args, "--codes", 10_000) as usize;
            let microsites = number(&args, "--microsites", 20) as usize;
            // Sign-up is confirmed through the emailed link: read it from the server's outbox.
            let database = flag(&args, "--database-url")
                .or_else(|| std::env::var("DATABASE_URL").ok())
                .unwrap_or_else(|| {
                    eprintln!(
                        "setup needs the server's database (--database-url or DATABASE_URL) to \
                         read the sign-up's confirmation link from the email outbox"
                    );
                    std::process::exit(2);
                });
            setup(&client, &base, &dir, &database, codes, microsites).await;
        }
        "run" => {
            let rate = number(&args, "--rate", 200);
            let secs = number(&args, "--secs", 10);
            let in_flight = number(&args, "--in-flight", 256) as usize;
            let mix: Vec<u64> = flag(&args, "--mix")
                .unwrap_or_else(|| "100,0,0,0".into())
                .split(',')
                .map(|n| n.trim().parse().unwrap_or_else(|_| usage()))
                .collect();
            if mix.len() != 4 || mix.iter().sum::<u64>() == 0 {
                usage();
            }
            let mut fixture = load(&dir);
            if let Some(n) = flag(&args, "--codes-used") {
                fixture
                    .codes
                    .truncate(n.parse().unwrap_or_else(|_| usage()));
            }
            let summary = run(client, &base, fixture, rate, secs, &mix, in_flight).await;
            println!("{}", serde_json::to_string_pretty(&summary).unwrap());
        }
        "count" => {
            let fixture = load(&dir);
            println!("{}", count(&client, &base, &fixture.token).await);
        }
        _ => usage(),
    }
}

async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut request = client.request(method, &url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn setup(
    client: &reqwest::Client,
    base: &str,
    dir: &Path,
    database: &str,
    codes: usize,
    microsites: usize,
) {
    std::fs::create_dir_all(dir).expect("the fixture directory");
    let email = format!("load-{}@example.com", std::process::id());
    api(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/signup"),
        None,
        Some(json!({"email": email, "password": "correct horse battery staple 42"})),
    )
    .await;
    let db = shared::db::Db::connect(&shared::config::DatabaseTarget {
        url: database.to_owned(),
        source: "--database-url".into(),
    })
    .await
    .expect("the server's database");
    let bodies = email::Outbox::new(db.pool().clone())
        .bodies_for(&email)
        .await
        .expect("the email outbox");
    let link_token = bodies
        .iter()
        .rev()
        .find_map(|b| {
            let at = b.find("/verify/")? + "/verify/".len();
            b[at..].split_whitespace().next().map(str::to_owned)
        })
        .expect("a confirmation link in the outbox");
    let signup = api(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/verify"),
        None,
        Some(json!({"token": link_token})),
    )
    .await;
    let token = signup["access_token"].as_str().expect("a token").to_owned();

    // Eight creators at a time: setup is not what is measured.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let created = Arc::new(Mutex::new(Vec::with_capacity(codes)));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (client, base, token) = (client.clone(), base.to_owned(), token.clone());
        let (next, created) = (next.clone(), created.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= codes {
                    break;
                }
                let qr = api(
                    &client,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/qr"),
                    Some(&token),
                    Some(json!({"name": format!("load {i}"), "destination": format!("https://example.com/p/{i}")})),
                )
                .await;
                let row = (
                    qr["id"].as_str().unwrap().to_owned(),
                    qr["code"].as_str().unwrap().to_owned(),
                );
                created.lock().unwrap().push(row);
            }
        }));
    }
    for worker in workers {
        worker.await.expect("a creator");
    }
    let mut slugs = Vec::new();
    let tag = std::process::id();
    for i in 0..microsites {
        let slug = format!("load-{tag}-{i}");
        let page = api(
            client,
            reqwest::Method::POST,
            format!("{base}/api/v1/microsites"),
            Some(&token),
            Some(json!({"slug": slug, "title": format!("Load page {i}"),
                "blocks": [{"type": "link", "label": "Menu", "url": "https://example.com/menu"}]})),
        )
        .await;
        let id = page["id"].as_str().expect("a microsite id");
        api(
            client,
            reqwest::Method::POST,
            format!("{base}/api/v1/microsites/{id}/publish"),
            Some(&token),
            None,
        )
        .await;
        slugs.push(slug);
    }
    let codes = created.lock().unwrap();
    let lines: String = codes.iter().fold(String::new(), |mut lines, (id, code)| {
        let _ = writeln!(lines, "{id}\t{code}");
        lines
    });
    std::fs::write(dir.join("codes.tsv"), lines).unwrap();
    std::fs::write(dir.join("slugs.txt"), slugs.join("\n")).unwrap();
    std::fs::write(dir.join("token"), &token).unwrap();
    eprintln!(
        "created {} codes and {} microsites in {}",
        codes.len(),
        slugs.len(),
        dir.display()
    );
}

fn load(dir: &Path) -> Fixture {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("run setup first");
    Fixture {
        token: read("token").trim().to_owned(),
        codes: read("codes.tsv")
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(id, code)| (id.to_owned(), code.to_owned()))
            .collect(),
        slugs: read("slugs.txt")
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// Total scans the account's analytics has recorded (the overview's default range: 30 days).
async fn count(client: &reqwest::Client, base: &str, token: &str) -> i64 {
    let overview = api(
        client,
        reqwest::Method::GET,
        format!("{base}/api/v1/analytics/overview"),
        Some(token),
        None,
    )
    .await;
    overview["total_scans"].as_i64().expect("total_scans")
}

/// A small, fast, deterministic generator: which code or page each slot uses.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

async fn run(
    client: reqwest::Client,
    base: &str,
    fixture: Fixture,
    rate: u64,
    secs: u64,
    mix: &[u64],
    in_flight: usize,
) -> Value {
    let fixture = Arc::new(fixture);
    let tallies: Arc<Mutex<BTreeMap<Kind, Tally>>> = Arc::default();
    let room = Arc::new(Semaphore::new(in_flight));
    let period = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let total = rate * secs;
    let deadline = Instant::now() + Duration::from_secs(secs) + Duration::from_secs(15);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut rng = Lcg(7);
    let weights: u64 = mix.iter().sum();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for slot in 0..total {
        ticker.tick().await;
        let mut pick = (slot * 7_919) % weights;
        let kind = [Kind::Redirect, Kind::Microsite, Kind::Dashboard, Kind::Edit]
            .into_iter()
            .zip(mix)
            .find(|(_, w)| {
                if pick < **w {
                    true
                } else {
                    pick -= **w;
                    false
                }
            })
            .map_or(Kind::Redirect, |(k, _)| k);
        let Ok(permit) = room.clone().try_acquire_owned() else {
            tallies.lock().unwrap().entry(kind).or_default().skipped += 1;
            continue;
        };
        let request = build(&client, base, &fixture, kind, &mut rng, slot);
        let tallies = tallies.clone();
        tasks.spawn(async move {
            let t = Instant::now();
            let result = request.send().await;
            let outcome = match result {
                Ok(response) => {
                    let status = response.status();
                    // Read the body: a page is not served until it has arrived.
                    let ok = response.bytes().await.is_ok();
                    ok.then(|| format!("{}xx", status.as_u16() / 100))
                }
                Err(_) => None,
            };
            let micros = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
            drop(permit);
            let mut tallies = tallies.lock().unwrap();
            let tally = tallies.entry(kind).or_default();
            tally.sent += 1;
            tally.micros.push(micros);
            match outcome {
                Some(class) => *tally.by_class.entry(class).or_default() += 1,
                None => tally.errors += 1,
            }
        });
        // Reap finished requests so memory stays flat over a long run.
        while let Some(done) = tasks.try_join_next() {
            done.expect("a request task");
        }
        if Instant::now() > deadline {
            break;
        }
    }
    let sending = started.elapsed();
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let mut kinds = serde_json::Map::new();
    let mut answered = 0;
    for (kind, tally) in tallies.lock().unwrap().iter_mut() {
        tally.micros.sort_unstable();
        let pct = |p: f64| {
            let n = tally.micros.len();
            if n == 0 {
                return 0.0;
            }
            f64::from(tally.micros[((n as f64 * p) as usize).min(n - 1)]) / 1000.0
        };
        answered += tally.sent;
        kinds.insert(
            kind.name().into(),
            json!({
                "sent": tally.sent,
                "status": tally.by_class,
                "errors": tally.errors,
                "skipped": tally.skipped,
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
                "max_ms": pct(1.0),
            }),
        );
    }
    json!({
        "rate": rate,
        "seconds": elapsed.as_secs_f64(),
        "sending_seconds": sending.as_secs_f64(),
        "requests": answered,
        "throughput": answered as f64 / elapsed.as_secs_f64(),
        "kinds": kinds,
    })
}

fn build(
    client: &reqwest::Client,
    base: &str,
    fixture: &Fixture,
    kind: Kind,
    rng: &mut Lcg,
    slot: u64,
) -> reqwest::RequestBuilder {
    match kind {
        Kind::Redirect => {
            let (_, code) = &fixture.codes[rng.below(fixture.codes.len())];
            client
                .get(format!("{base}/r/{code}"))
                .header("user-agent", PHONE_UA)
        }
        Kind::Microsite => {
            let slug = &fixture.slugs[rng.below(fixture.slugs.len())];
            client
                .get(format!("{base}/m/{slug}"))
                .header("user-agent", PHONE_UA)
        }
        Kind::Dashboard => {
            let (id, _) = &fixture.codes[rng.below(fixture.codes.len())];
            client
                .get(format!("{base}/app/qr/{id}/analytics"))
                .header("cookie", format!("sp_access={}", fixture.token))
        }
        Kind::Edit => {
            let (id, _) = &fixture.codes[rng.below(fixture.codes.len())];
            client
                .patch(format!("{base}/api/v1/qr/{id}"))
                .bearer_auth(&fixture.token)
                .json(&json!({"destination": format!("https://example.com/edited/{slot}")}))
        }
    }
}
