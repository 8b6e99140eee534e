//! What the user-agent parser costs (issue 25: where idle memory went): resident memory read
//! before and after it is built, its build time, and three first parses.
//!
//!     cargo run --release -p analytics --example heap

/// Resident memory of this process, from /proc/self/statm (pages of 4 KiB).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn main() {
    let start = rss();
    let t = std::time::Instant::now();
    let parser = analytics::classify::user_agent::UserAgentParser::new().unwrap();
    println!(
        "user-agent parser: +{:.1} MB resident, built in {:?}",
        mb(rss() - start),
        t.elapsed()
    );
    let before = rss();
    for ua in [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    ] {
        let t = std::time::Instant::now();
        let agent = parser.parse(ua);
        println!(
            "  {} {} {} in {:?}",
            agent.device,
            agent.os,
            agent.browser,
            t.elapsed()
        );
    }
    println!("after three parses: +{:.1} MB live", mb(rss() - before));
}
