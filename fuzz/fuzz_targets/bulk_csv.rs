//! Bulk-create CSV bodies: no panic; every row read has a name, a destination and tags, and its
//! destination goes through the destination validator without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qr::bulk::{MAX_ROWS, parse_csv};
use qr::destination::{Blocklist, Destination};

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = parse_csv(data) {
        assert!(!rows.is_empty() && rows.len() <= MAX_ROWS);
        let blocklist = Blocklist::default();
        for (line, changes) in rows {
            assert!(line >= 2, "the header is line 1");
            let tags = changes.tags.expect("tags");
            assert!(tags.iter().all(|t| !t.is_empty() && t.trim() == t));
            let _ = Destination::parse(&changes.destination.expect("a destination"), &blocklist);
        }
    }
});
