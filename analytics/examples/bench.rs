//! Benchmark (not a timed test): loads synthetic scans of one QR code over 90 days through the
//! real pipeline (in-process bus → batching writer → database) and measures the sustained
//! ingestion rate, then the latency of `GET /api/v1/analytics/qr/{id}` over those 90 days.
//!
//! `scripts/bench-analytics` runs it in release mode; flags: `--scans N` (default 1,000,000),
//! `--queries N` (default 200), `--postgres URL` (also run against a fresh PostgreSQL database).

use std::sync::Arc;
use std::time::{Duration, Instant};

use analytics::Settings;
use axum::body::Body;
use clap::Parser;
use http_body_util::BodyExt;
use shared::bus::{Event, EventBus, PublishError, topics};
use shared::config::Service;
use shared::context::ServiceContext;
use shared::events::QrScanned;
use shared::shutdown::Shutdown;
use shared::testing::{self, TestDb};
use shared::visit::Visit;
use tower::ServiceExt;

/// The allocator of the shipped binary (see the workspace manifest), so the figures are the
/// binary's: with the system allocator, its bookkeeping was a fifth of the profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    scans: u64,
    #[arg(long, default_value_t = 200)]
    queries: usize,
    #[arg(long)]
    postgres: Option<String>,
}

#[derive(Parser)]
struct SharedArgs {
    #[command(flatten)]
    settings: shared::config::Settings,
}

/// (weight, user agent, method, prefetch): phones dominate, with previews, scripts, HEADs.
const AGENTS: &[(u32, &str, &str, bool)] = &[
    (
        30,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "GET",
        false,
    ),
    (
        22,
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "GET",
        false,
    ),
    (
        8,
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "GET",
        false,
    ),
    (
        7,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.28.92 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 602541553)",
        "GET",
        false,
    ),
    (
        4,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/458.0.0.36.110;FBBV/577185123;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
        "GET",
        false,
    ),
    (
        4,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US BytedanceWebview/d8a21c6",
        "GET",
        false,
    ),
    (
        6,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "GET",
        false,
    ),
    (
        3,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "GET",
        false,
    ),
    (
        2,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "GET",
        false,
    ),
    (4, "WhatsApp/2.23.20.0", "GET", false),
    (
        2,
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "GET",
        false,
    ),
    (
        2,
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "GET",
        false,
    ),
    (1, "curl/8.4.0", "GET", false),
    (
        3,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "HEAD",
        false,
    ),
    (
        2,
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "GET",
        true,
    ),
];
/// First octets of address blocks in different countries (GB, DE, FR, US, JP, BR, IN, NL, ES, IT).
const NETWORKS: &[u8] = &[81, 88, 90, 24, 126, 177, 49, 145, 83, 79];
const REFERRERS: &[Option<&str>] = &[
    None,
    None,
    Some("https://www.instagram.com/"),
    Some("https://l.facebook.com/"),
    Some("https://www.google.com/"),
    Some("https://t.co/x"),
];
const LANGUAGES: &[&str] = &[
    "en-US,en;q=0.9",
    "de-DE,de;q=0.9",
    "fr-FR,fr;q=0.8",
    "es-ES",
    "ja-JP",
    "pt-BR",
];

/// A small deterministic generator: the same data on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn synthetic_scan(rng: &mut Lcg, qr: &str, owner: &str, at: i64) -> Event {
    let total: u32 = AGENTS.iter().map(|a| a.0).sum();
    let mut pick = rng.below(u64::from(total)) as u32;
    let agent = AGENTS
        .iter()
        .find(|a| {
            if pick < a.0 {
                true
            } else {
                pick -= a.0;
                false
            }
        })
        .unwrap_or(&AGENTS[0]);
    // ~60,000 distinct visitors, so people come back across days.
    let visitor = rng.below(60_000);
    let ip = format!(
        "{}.{}.{}.{}",
        NETWORKS[(visitor % NETWORKS.len() as u64) as usize],
        (visitor >> 8) % 250 + 1,
        visitor % 250 + 1,
        (visitor >> 4) % 250 + 1
    );
    let mut event = Event::new(
        topics::QR_SCANNED,
        QrScanned {
            qr_id: qr.into(),
            owner_id: owner.into(),
            code: "bench1".into(),
            destination: Some("https://example.com/landing".into()),
            rule: if visitor.is_multiple_of(5) {
                "device:ios".into()
            } else {
                "default".into()
            },
            visit: Visit {
                method: agent.2.into(),
                prefetch: agent.3,
                user_agent: Some(agent.1.into()),
                referrer: REFERRERS[rng.below(REFERRERS.len() as u64) as usize].map(str::to_owned),
                accept_language: Some(LANGUAGES[rng.below(LANGUAGES.len() as u64) as usize].into()),
                ip: Some(ip),
            },
        },
    );
    event.occurred_at = at;
    event
}

async fn run(label: &str, db: TestDb, args: &Args) {
    db.db
        .migrate(Service::Analytics, analytics::migrator())
        .await
        .expect("migrations");
    let bus = EventBus::memory(100_000);
    let shutdown = Shutdown::new();
    // A key of the bench's own: queries carry a token like a real client's.
    let pair = shared::identity::KeyPair::generate();
    let identity = shared::identity::Identity::new(pair.public_bytes());
    let signer = shared::identity::Signer::new(&pair).expect("signer");
    let ctx = ServiceContext {
        db: db.db.clone(),
        bus: bus.clone(),
        redis: None,
        settings: Arc::new(
            SharedArgs::try_parse_from(["scanpage", "--database-url", &db.url])
                .unwrap()
                .settings,
        ),
        public_base_url: "http://localhost".into(),
        shutdown: shutdown.clone(),
        identity: identity.clone(),
    };
    // The generated scans are up to 90 days old; keep their days' salts so uniques are computed
    // as they would have been live (in production a salt lives one day plus an hour).
    let settings = Settings {
        salt_grace: Duration::from_hours(2184),
        ..Settings::default()
    };
    let (router, ingestor) = analytics::start(ctx, settings).await.expect("start");

    let (qr, owner) = (
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
    );
    let now = shared::ids::now_ms();
    let token = {
        let secs = now / 1000;
        signer
            .sign(&shared::identity::Claims {
                iss: shared::identity::ISSUER.into(),
                aud: shared::identity::AUDIENCE.into(),
                sub: owner.clone(),
                exp: secs + 3_600,
                iat: secs,
                jti: shared::ids::new_id(),
                role: shared::identity::Role::User,
                sid: "bench".into(),
                scopes: shared::identity::Scope::all_strings(),
            })
            .expect("a token")
    };
    let span = 90 * 86_400_000_i64;
    let n = args.scans;
    let started = Instant::now();
    let producer = {
        let (bus, qr, owner) = (bus.clone(), qr.clone(), owner.clone());
        tokio::spawn(async move {
            let mut rng = Lcg(42);
            let mut full_waits = 0u64;
            for i in 0..n {
                let at = now - span + (i as i64 * span / n as i64);
                // A full bus keeps the event, so it is made again from the same generator state:
                // every run writes the same scans.
                let state = rng.0;
                let mut event = synthetic_scan(&mut rng, &qr, &owner, at);
                loop {
                    match bus.publish(event) {
                        Ok(()) => break,
                        Err(PublishError::Full) => {
                            full_waits += 1;
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            event = synthetic_scan(&mut Lcg(state), &qr, &owner, at);
                        }
                        Err(PublishError::Closed) => panic!("bus closed"),
                    }
                }
                if i % 1_000 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            full_waits
        })
    };
    let mut last_report = Instant::now();
    loop {
        let written = ingestor
            .stats
            .written
            .load(std::sync::atomic::Ordering::Relaxed);
        if written >= n {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  {label}: {written} written after {:.0?}",
                started.elapsed()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ingest_time = started.elapsed();
    let full_waits = producer.await.unwrap();

    let path = format!(
        "/api/v1/analytics/qr/{qr}?from={}&to={}",
        jiff::Timestamp::from_millisecond(now - span)
            .unwrap()
            .strftime("%Y-%m-%d"),
        jiff::Timestamp::from_millisecond(now)
            .unwrap()
            .strftime("%Y-%m-%d"),
    );
    let mut latencies = Vec::with_capacity(args.queries);
    let mut body_sample = serde_json::Value::Null;
    for i in 0..args.queries + 5 {
        let request = axum::http::Request::get(&path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let t = Instant::now();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let elapsed = t.elapsed();
        assert_eq!(status, 200);
        if i >= 5 {
            latencies.push(elapsed); // the first few warm the caches and pool
        } else {
            body_sample = serde_json::from_slice(&bytes).unwrap();
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!("== {label}: {n} scans over 90 days, one QR code ==");
    println!(
        "ingestion: {:.1} s, {:.0} events/s (producer waited on a full bus {full_waits} times)",
        ingest_time.as_secs_f64(),
        n as f64 / ingest_time.as_secs_f64()
    );
    let secs = |a: &std::sync::atomic::AtomicU64| {
        a.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e9
    };
    println!(
        "  of which classifying {:.1} s, database writes {:.1} s",
        secs(&ingestor.stats.classify_nanos),
        secs(&ingestor.stats.write_nanos)
    );
    println!(
        "GET qr stats (90 days, by day, {} requests): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "answer: total {} human {} bots {} unique {} ({} series points)",
        body_sample["total_scans"],
        body_sample["human_scans"],
        body_sample["bot_scans"],
        body_sample["unique_scanners"],
        body_sample["series"].as_array().map_or(0, Vec::len)
    );
    assert_eq!(
        body_sample["total_scans"].as_u64(),
        Some(n),
        "every generated scan is counted once"
    );
    shutdown.trigger();
    shutdown.drain(Duration::from_secs(10)).await;
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        run("SQLite", testing::sqlite().await, &args).await;
        if let Some(url) = &args.postgres {
            run("PostgreSQL", testing::postgres(url).await, &args).await;
        }
    });
}
