//! Identifiers and time, in the portable shapes every table uses: ids are text (UUIDv7, so they
//! sort by creation time), timestamps are integer milliseconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// A new time-ordered, globally unique id as a 36-character string.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Milliseconds since the Unix epoch, as stored in every `*_at` column.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `as_str` and `Display` for a validated id or name kept as a `String` newtype (a media id, a
/// short code, a slug): once parsed, the text is shown and borrowed as it is.
#[macro_export]
macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert_ne!(a, b);
        assert!(a < b, "UUIDv7 ids must sort by creation time: {a} !< {b}");
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn now_is_after_2025() {
        assert!(now_ms() > 1_735_689_600_000);
    }
}
