//! `cargo bench -p botcheck`: one classification, as the scan path pays it.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn classify(c: &mut Criterion) {
    // Built before measuring: the first call compiles the lists once per process.
    botcheck::classify("warm-up");
    let mut group = c.benchmark_group("classify");
    for (name, ua) in [
        (
            "iphone_safari",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1",
        ),
        (
            "android_chrome",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Mobile Safari/537.36",
        ),
        (
            "googlebot",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
        (
            "imessage_preview",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        ),
    ] {
        group.bench_function(name, |b| b.iter(|| botcheck::classify(black_box(ua))));
    }
    group.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
