//! `scanpage demo seed` / `scanpage demo clear`: about 30 demo users with six weeks of realistic
//! activity, so the founder's console can be seen populated before real users arrive.
//!
//! Everything goes the way real activity does — accounts through auth, lifecycle and scan events
//! through the bus (backdated to when they "happened"), feedback and answers through the web
//! service — so the console's numbers are computed exactly as they will be for real users. Demo
//! accounts are marked (`demo`), use the reserved `.test` domain, cannot sign in, and
//! `demo clear` deletes them and, through `user.deleted`, everything every service holds about
//! them. The script is deterministic: the same seed gives the same numbers.

use std::time::Duration;

use shared::Error;
use shared::bus::{EventBus, Topic};
use shared::events::{
    MICROSITE_PUBLISHED, MicrositePublished, QR_CREATED, QR_SCANNED, QrCreated, QrScanned,
    USER_ACTIVE, UserActive,
};
use shared::shutdown::Shutdown;
use shared::visit::Visit;

use crate::app::Handles;

pub const DEMO_USERS: usize = 30;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// The seed spans this many days before now.
const SPAN_DAYS: i64 = 42;

/// What a seed created (printed by the CLI).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub users: usize,
    pub qr_codes: usize,
    pub scans: usize,
    pub microsites: usize,
    pub feedback: usize,
    pub plans: usize,
    pub interviews: usize,
}

/// A tiny deterministic generator (xorshift): the demo must not depend on a random seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// true with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const SOURCES: [&str; 6] = [
    "invite",
    "invite",
    "utm:newsletter",
    "utm:producthunt",
    "ref:twitter.com",
    "direct",
];

const HUMAN_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
];
const BOT_AGENT: &str = "WhatsApp/2.23.20.0";
/// Documentation-range addresses would classify as no country; these are well-known public
/// resolvers' networks, used only to give the demo scans a spread of countries.
const DEMO_IPS: [&str; 4] = ["8.8.8.8", "1.1.1.1", "9.9.9.9", "208.67.222.222"];

const FEEDBACK: [(&str, u8); 6] = [
    (
        "Love that I can change the link after printing the menus.",
        5,
    ),
    ("The microsite builder needs more fonts.", 3),
    (
        "Scan counts helped me see which poster works. More of this please!",
        5,
    ),
    ("Took me a while to find the download button.", 3),
    ("Would pay for custom domains.", 4),
    ("Export to CSV saved me an afternoon.", 4),
];
const PLANS: [&str; 3] = ["Creator", "Pro", "Business"];

/// Creates the demo users and their activity, then waits until this process's consumers have
/// recorded it (in-process bus) or it has been handed to Redis (split mode).
pub async fn seed(handles: &Handles, shutdown: &Shutdown) -> Result<Seeded, Error> {
    let auth = handles
        .auth
        .as_ref()
        .ok_or_else(|| Error::Config("demo seed needs the auth service in this process".into()))?;
    let beta = handles
        .beta
        .as_ref()
        .ok_or_else(|| Error::Config("demo seed needs the web service in this process".into()))?;
    let now = shared::ids::now_ms();
    let start = now - SPAN_DAYS * DAY_MS;
    let mut dice = Dice(0x5eed_5ca9_0000_0001);

    let people: Vec<(String, i64, String)> = (0..DEMO_USERS)
        .map(|i| {
            let at = start
                + (i as i64 * SPAN_DAYS * DAY_MS) / DEMO_USERS as i64
                + dice.below(20) as i64 * HOUR_MS;
            let source = SOURCES[dice.below(SOURCES.len() as u64) as usize].to_owned();
            (format!("demo-{:02}@demo.scanpage.test", i + 1), at, source)
        })
        .collect();
    let ids = auth
        .create_demo_users(&people)
        .await
        .map_err(|e| Error::Config(format!("demo users: {e}")))?;

    let mut seeded = Seeded {
        users: ids.len(),
        ..Seeded::default()
    };
    let bus = &handles.bus;
    for (i, (user_id, (_, signed_up_at, _))) in ids.iter().zip(&people).enumerate() {
        let signed_up_at = *signed_up_at;
        let mut last = signed_up_at;
        // Three in four make a QR code within two days.
        if dice.chance(75) {
            let codes = 1 + dice.below(4) as usize;
            for c in 0..codes {
                let at = signed_up_at + (1 + dice.below(48) as i64) * HOUR_MS;
                let qr_id = format!("demo-qr-{}-{c}", i + 1);
                publish(
                    bus,
                    QR_CREATED,
                    QrCreated {
                        qr_id: qr_id.clone(),
                        owner_id: user_id.clone(),
                    },
                    at,
                );
                seeded.qr_codes += 1;
                last = last.max(at);
                // Most printed codes get scanned: humans on phones, and a link preview or two.
                if dice.chance(70) {
                    let scans = 3 + dice.below(38);
                    for _ in 0..scans {
                        let when = at
                            + (1 + dice.below(((now - at) / HOUR_MS).max(1) as u64) as i64)
                                * HOUR_MS;
                        let bot = dice.chance(12);
                        let agent = if bot {
                            BOT_AGENT
                        } else {
                            HUMAN_AGENTS[dice.below(HUMAN_AGENTS.len() as u64) as usize]
                        };
                        let ip = DEMO_IPS[dice.below(DEMO_IPS.len() as u64) as usize];
                        publish(
                            bus,
                            QR_SCANNED,
                            QrScanned {
                                qr_id: qr_id.clone(),
                                owner_id: user_id.clone(),
                                code: format!("demo{}", i + 1),
                                destination: Some("https://example.com/menu".into()),
                                rule: "default".into(),
                                visit: Visit {
                                    method: "GET".into(),
                                    prefetch: false,
                                    user_agent: Some(agent.into()),
                                    referrer: None,
                                    accept_language: Some("en-GB,en;q=0.9".into()),
                                    ip: Some(ip.into()),
                                },
                            },
                            when.min(now - 60_000),
                        );
                        seeded.scans += 1;
                    }
                }
            }
            // Some go on to publish a microsite.
            if dice.chance(45) {
                let at = signed_up_at + (2 + dice.below(96) as i64) * HOUR_MS;
                publish(
                    bus,
                    MICROSITE_PUBLISHED,
                    MicrositePublished {
                        microsite_id: format!("demo-page-{}", i + 1),
                        owner_id: user_id.clone(),
                    },
                    at.min(now),
                );
                seeded.microsites += 1;
                last = last.max(at);
            }
        }
        // Roughly half come back in later weeks.
        if dice.chance(50) {
            let mut at = signed_up_at + 7 * DAY_MS;
            while at < now {
                if dice.chance(65) {
                    publish(
                        bus,
                        USER_ACTIVE,
                        UserActive {
                            user_id: user_id.clone(),
                        },
                        at,
                    );
                    last = last.max(at);
                }
                at += 7 * DAY_MS;
            }
        }
        let later = |dice: &mut Dice| (last + dice.below(72) as i64 * HOUR_MS).min(now);
        if dice.chance(25) {
            let (message, rating) = FEEDBACK[dice.below(FEEDBACK.len() as u64) as usize];
            let at = later(&mut dice);
            beta.record_feedback(user_id, message, Some(rating), Some("/app"), Some(at))
                .await
                .map_err(|e| Error::Config(format!("demo feedback: {}", e.message())))?;
            seeded.feedback += 1;
        }
        if dice.chance(35) {
            let plan = PLANS[dice.below(PLANS.len() as u64) as usize];
            let at = later(&mut dice);
            // A configured plan list may not have this name: then the demo skips it.
            if beta.choose_plan(user_id, plan, Some(at)).await.is_ok() {
                seeded.plans += 1;
            }
        }
        if dice.chance(30) {
            let yes = dice.chance(70);
            let at = later(&mut dice);
            beta.answer_interview(
                user_id,
                yes,
                "demo contact (not real)",
                "Europe/London",
                Some(at),
            )
            .await
            .map_err(|e| Error::Config(format!("demo interview: {}", e.message())))?;
            if yes {
                seeded.interviews += 1;
            }
        }
    }
    settle(bus, shutdown).await;
    Ok(seeded)
}

/// Deletes every demo account and, through `user.deleted`, their data in every service.
pub async fn clear(handles: &Handles, shutdown: &Shutdown) -> Result<usize, Error> {
    let auth = handles
        .auth
        .as_ref()
        .ok_or_else(|| Error::Config("demo clear needs the auth service in this process".into()))?;
    let removed = auth
        .clear_demo()
        .await
        .map_err(|e| Error::Config(format!("demo clear: {e}")))?;
    if let Some(beta) = &handles.beta {
        crate::beta::store::delete_demo(beta.pool()).await?;
    }
    settle(&handles.bus, shutdown).await;
    Ok(removed)
}

fn publish<T: serde::Serialize + Send + Sync + 'static>(
    bus: &EventBus,
    topic: Topic<T>,
    payload: T,
    at: i64,
) {
    let mut event = topic.event(payload);
    event.occurred_at = at;
    if let Err(err) = bus.publish(event) {
        tracing::warn!(%err, topic = topic.name(), "demo event not queued");
    }
}

/// Waits until this process's consumers have taken every queued event (in-process bus) or the
/// events are in Redis, then drains (the analytics writer flushes its last batch).
async fn settle(bus: &EventBus, shutdown: &Shutdown) {
    for _ in 0..600 {
        if bus.backlog().is_none_or(|n| n == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Consumers may still be applying the last batch they took.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    shutdown.trigger();
    shutdown.drain(Duration::from_secs(10)).await;
}
