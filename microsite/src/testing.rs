//! Test doubles for this crate's boundaries, for its own tests and integration tests (feature
//! `testing`); never in a production build.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::qr_directory::{BoxFuture, QrCheckError, QrDirectory};

/// A test double: a fixed table of `qr_id → (owner, code)`, which can be switched "down", and
/// which counts the questions it was asked.
#[derive(Default)]
pub struct FixedQrDirectory {
    codes: Mutex<HashMap<String, (String, String)>>,
    /// `qr_id → styled SVG`, for codes that have one.
    svgs: Mutex<HashMap<String, String>>,
    down: std::sync::atomic::AtomicBool,
    asked: std::sync::atomic::AtomicUsize,
}

impl FixedQrDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `qr_id` as `owner`'s code `code`.
    pub fn with(self, owner: &str, qr_id: &str, code: &str) -> Self {
        self.add(owner, qr_id, code);
        self
    }

    pub fn add(&self, owner: &str, qr_id: &str, code: &str) {
        if let Ok(mut codes) = self.codes.lock() {
            codes.insert(qr_id.to_owned(), (owner.to_owned(), code.to_owned()));
        }
    }

    /// Gives `qr_id` a styled picture (what qr's `image.svg` would answer).
    pub fn with_svg(self, qr_id: &str, svg: &str) -> Self {
        self.set_svg(qr_id, svg);
        self
    }

    pub fn set_svg(&self, qr_id: &str, svg: &str) {
        if let Ok(mut svgs) = self.svgs.lock() {
            svgs.insert(qr_id.to_owned(), svg.to_owned());
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many checks were asked for so far.
    pub fn asked(&self) -> usize {
        self.asked.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl QrDirectory for FixedQrDirectory {
    fn code_of<'a>(
        &'a self,
        owner_id: &'a str,
        _credential: &'a str,
        qr_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, QrCheckError>> {
        Box::pin(async move {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(QrCheckError::Unavailable("switched off by the test".into()));
            }
            let codes = self
                .codes
                .lock()
                .map_err(|_| QrCheckError::Unavailable("poisoned".into()))?;
            Ok(codes
                .get(qr_id)
                .filter(|(owner, _)| owner == owner_id)
                .map(|(_, code)| code.clone()))
        })
    }

    fn styled_svg<'a>(
        &'a self,
        owner_id: &'a str,
        _credential: &'a str,
        qr_id: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return None;
            }
            let owned = self
                .codes
                .lock()
                .ok()?
                .get(qr_id)
                .is_some_and(|(owner, _)| owner == owner_id);
            let svg = self.svgs.lock().ok()?.get(qr_id).cloned()?;
            if !owned {
                return None;
            }
            crate::qr_directory::acceptable_svg(&svg)
        })
    }
}
