//! The qr domain service: the parts a request needs (resolution, rendering, scan counting,
//! moderation, storage, the bus), and the workflows that span several of them — editing codes
//! (`codes`) and the founder's moderation (`founder`). Knows nothing of HTTP.

mod codes;
mod founder;
mod trash;

use std::sync::Arc;

use shared::bus::EventBus;
use shared::features::Features;

use crate::destination::Blocklist;
use crate::gate::Attempts;
use crate::images::Images;
use crate::microsite::MicrositeDirectory;
use crate::moderation::Moderation;
use crate::resolve::Resolver;
use crate::scans::ScanCounter;
use crate::store::Store;

pub struct QrService {
    store: Store,
    bus: EventBus,
    /// Disabled codes and owners, and the blocklist (the file's and the founder's domains).
    moderation: Moderation,
    public_base_url: Arc<str>,
    resolver: Resolver,
    images: Images,
    scans: ScanCounter,
    directory: Arc<dyn MicrositeDirectory>,
    attempts: Attempts,
    /// The future services switched on (A/B tests, print sheets).
    features: Features,
}

/// What a [`QrService`] is built from besides its store and bus.
pub struct Parts {
    pub blocklist: Blocklist,
    pub public_base_url: Arc<str>,
    pub counted: tokio::sync::mpsc::Sender<String>,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub directory: Arc<dyn MicrositeDirectory>,
}

impl QrService {
    pub fn new(store: Store, bus: EventBus, parts: Parts) -> Self {
        let Parts {
            blocklist,
            public_base_url,
            counted,
            redis,
            directory,
        } = parts;
        Self {
            resolver: Resolver::new(store.clone(), redis),
            scans: ScanCounter::new(store.clone(), counted),
            images: Images::default(),
            directory,
            attempts: Attempts::default(),
            store,
            bus,
            moderation: Moderation::new(blocklist),
            public_base_url,
            features: Features::default(),
        }
    }

    /// Which future services are on (`FEATURES`); all off unless this is called.
    pub fn with_features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }

    pub fn features(&self) -> Features {
        self.features
    }

    /// Where logos come from: ownership is checked on save, bytes fetched on render.
    pub fn with_media(mut self, media: media::Media) -> Self {
        self.images = self.images.with_media(media);
        self
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    pub fn attempts(&self) -> &Attempts {
        &self.attempts
    }

    pub fn moderation(&self) -> &Moderation {
        &self.moderation
    }

    /// Short code → target, for the redirect.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Rendered images and their cache.
    pub fn images(&self) -> &Images {
        &self.images
    }

    /// Human scans towards `max_scans`.
    pub fn scans(&self) -> &ScanCounter {
        &self.scans
    }
}
