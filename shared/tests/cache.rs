//! The two-level cache: the local level alone, and with Redis behind it (TEST_REDIS_URL), where
//! one instance sees what another stored and invalidation reaches Redis.

use std::time::Duration;

use bytes::Bytes;
use shared::cache::Cache;
use shared::testing;

#[tokio::test]
async fn local_cache_stores_and_invalidates() {
    let cache = Cache::memory("test", 100, Duration::from_mins(1));
    assert!(cache.get("k").await.is_none());
    cache.set("k", Bytes::from_static(b"v")).await;
    assert_eq!(cache.get("k").await.as_deref(), Some(&b"v"[..]));
    assert_eq!(cache.get_local("k").as_deref(), Some(&b"v"[..]));
    cache.invalidate("k").await;
    assert!(cache.get("k").await.is_none());
}

#[tokio::test]
async fn instances_share_entries_through_redis() {
    let Some(url) = testing::redis_url("instances_share_entries_through_redis") else {
        return;
    };
    let namespace = format!("test-{}", uuid::Uuid::new_v4().simple());
    let conn = shared::context::connect_redis(&shared::context::RedisTarget::new(url.as_str()))
        .await
        .unwrap();
    let a = Cache::layered(&namespace, 100, Duration::from_mins(1), conn.clone());
    let b = Cache::layered(&namespace, 100, Duration::from_mins(1), conn);
    a.set("code:abc", Bytes::from_static(b"https://example.com"))
        .await;
    assert!(b.get_local("code:abc").is_none(), "b has not loaded it yet");
    assert_eq!(
        b.get("code:abc").await.as_deref(),
        Some(&b"https://example.com"[..])
    );
    a.invalidate("code:abc").await;
    b.invalidate_local("code:abc");
    assert!(b.get("code:abc").await.is_none(), "gone from Redis too");
}

#[tokio::test]
async fn entries_expire_after_their_ttl() {
    let cache = Cache::memory("test", 1, Duration::from_millis(50));
    cache.set("k", Bytes::from_static(b"v")).await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert!(
        cache.get("k").await.is_none(),
        "entries expire after their TTL"
    );
}
