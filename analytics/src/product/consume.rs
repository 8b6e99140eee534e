//! Applies lifecycle events as they arrive (consumer group `analytics-product`). An event is
//! acknowledged only after its change is committed; a database error leaves it pending, so it
//! comes again (Redis) rather than being lost.

use shared::bus::{EventBus, consume, spawn_consumer, topics};
use shared::db::Db;
use shared::events::USER_DELETED;
use shared::shutdown::Shutdown;

use super::event::ProductEvent;
use super::store;

const GROUP: &str = "analytics-product";

pub async fn start(db: &Db, bus: &EventBus, shutdown: &Shutdown) -> Result<(), shared::Error> {
    for topic in topics::PRODUCT {
        let pool = db.pool().clone();
        spawn_consumer(bus, topic, GROUP, GROUP, shutdown, move |event| {
            let pool = pool.clone();
            async move {
                let Some(change) = ProductEvent::decode(&event) else {
                    tracing::warn!(topic = %event.topic, id = %event.id, "malformed lifecycle event dropped");
                    return true;
                };
                match store::apply(&pool, &change).await {
                    Ok(_) => true,
                    Err(err) => {
                        tracing::warn!(%err, "could not record a lifecycle event yet");
                        false
                    }
                }
            }
        })
        .await?;
    }
    let pool = db.pool().clone();
    consume(bus, USER_DELETED, GROUP, GROUP, shutdown, move |user| {
        let pool = pool.clone();
        async move { store::delete_user(&pool, &user.user_id).await.is_ok() }
    })
    .await
}
