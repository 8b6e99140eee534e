//! The in-process bus's overflow: when a consumer group's queue is full, events go to an
//! append-only file in the data folder instead of being dropped, and the consumer reads them
//! back once its queue is empty. A burst of scans that outruns the analytics writer is recorded
//! late, not lost; a file left by a stop is read on the next start (from its beginning: across a
//! restart delivery is at least once; analytics and the product metrics count an event id once).
//!
//! The file is one JSON event per line. Appending is a copy into a buffer (a `write` to the page
//! cache every 64 KiB, never an `fsync`), so the scan path still does not wait on a database or
//! on the disk. Reading renames the file aside first, so appends carry on into a new one.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Event;

const WRITE_BUFFER: usize = 64 * 1024;

/// One consumer group's overflow file (`<dir>/<topic>~<group>.jsonl`) and the one being read.
pub(super) struct Spill {
    appending: PathBuf,
    reading: PathBuf,
    max_bytes: u64,
    /// Events written and not yet read back (an estimate after a restart: the lines found).
    pending: AtomicUsize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    writer: Option<BufWriter<File>>,
    /// Bytes in the appending file plus what is left of the file being read.
    bytes: u64,
    reader: Option<BufReader<File>>,
}

impl Spill {
    /// Picks up what an earlier run of this process left in `dir` for this group. Counts its lines
    /// with blocking reads: it runs once per group when consumers subscribe at start-up, and the
    /// files are bounded by `max_bytes`.
    pub(super) fn open(dir: &Path, topic: &str, group: &str, max_bytes: u64) -> Self {
        let stem = format!("{}~{}", file_safe(topic), file_safe(group));
        let appending = dir.join(format!("{stem}.jsonl"));
        let reading = dir.join(format!("{stem}.reading.jsonl"));
        let (mut lines, mut bytes) = (0, 0);
        for path in [&appending, &reading] {
            if let Ok(file) = File::open(path) {
                bytes += file.metadata().map_or(0, |m| m.len());
                lines += BufReader::new(file).lines().count();
            }
        }
        if lines > 0 {
            tracing::info!(events = lines, file = %appending.display(), "overflowed events from an earlier run will be delivered");
        }
        Self {
            appending,
            reading,
            max_bytes,
            pending: AtomicUsize::new(lines),
            state: Mutex::new(State {
                bytes,
                ..State::default()
            }),
        }
    }

    /// Events waiting in the files.
    pub(super) fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Appends the event; false when the files hold `max_bytes` already or the disk refuses.
    pub(super) fn push(&self, event: &Event) -> bool {
        let Ok(mut line) = serde_json::to_vec(event) else {
            return false;
        };
        line.push(b'\n');
        let mut state = self.lock();
        if state.bytes + line.len() as u64 > self.max_bytes {
            return false;
        }
        let written = match state.writer.as_mut() {
            Some(writer) => writer.write_all(&line),
            None => self.create_writer().and_then(|mut writer| {
                writer.write_all(&line)?;
                state.writer = Some(writer);
                Ok(())
            }),
        };
        match written {
            Ok(()) => {
                state.bytes += line.len() as u64;
                self.pending.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "could not write an overflowed event to disk");
                false
            }
        }
    }

    /// Reads up to `max` events back, oldest file first. Blocking file I/O: call it off the
    /// async workers.
    pub(super) fn take(&self, max: usize) -> Vec<Event> {
        let mut out = Vec::new();
        if self.pending() == 0 {
            return out;
        }
        let mut state = self.lock();
        while out.len() < max {
            if state.reader.is_none() && !self.start_reading(&mut state) {
                break;
            }
            let Some(reader) = state.reader.as_mut() else {
                break;
            };
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    // This file is done (or unreadable): drop it and go on with the next.
                    state.reader = None;
                    let _ = fs::remove_file(&self.reading);
                }
                Ok(n) => {
                    state.bytes = state.bytes.saturating_sub(n as u64);
                    let _ = self
                        .pending
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                            Some(p.saturating_sub(1))
                        });
                    match serde_json::from_str::<Event>(&line) {
                        Ok(event) => out.push(event),
                        Err(err) => tracing::warn!(%err, "unreadable overflowed event skipped"),
                    }
                }
            }
        }
        if out.is_empty() && state.reader.is_none() && state.writer.is_none() {
            // Nothing left anywhere: the count must say so even after a torn last line.
            self.pending.store(0, Ordering::Relaxed);
        }
        out
    }

    /// Moves the appending file aside and opens it for reading (or the one a stop left aside).
    fn start_reading(&self, state: &mut State) -> bool {
        if !self.reading.exists() {
            if let Some(mut writer) = state.writer.take()
                && let Err(err) = writer.flush()
            {
                tracing::warn!(%err, "could not flush overflowed events");
            }
            if fs::rename(&self.appending, &self.reading).is_err() {
                return false; // nothing was appended
            }
        }
        match File::open(&self.reading) {
            Ok(file) => {
                state.reader = Some(BufReader::new(file));
                true
            }
            Err(err) => {
                tracing::warn!(%err, "could not read overflowed events");
                false
            }
        }
    }

    fn create_writer(&self) -> std::io::Result<BufWriter<File>> {
        if let Some(dir) = self.appending.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.appending)?;
        Ok(BufWriter::with_capacity(WRITE_BUFFER, file))
    }

    /// Writes the buffer out (at shutdown): what is in the file is delivered on the next start.
    pub(super) fn flush(&self) {
        if let Some(writer) = self.lock().writer.as_mut()
            && let Err(err) = writer.flush()
        {
            tracing::warn!(%err, "could not flush overflowed events");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Topic and group names are ours (`qr.scanned`, `analytics`), but a file name must not be able
/// to climb out of the folder whatever they become.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scanpage-spill-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn event(n: u32) -> Event {
        Event::new("qr.scanned", serde_json::json!({ "n": n }))
    }

    fn numbers(events: &[Event]) -> Vec<u64> {
        events
            .iter()
            .map(|e| e.payload.to_value()["n"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn what_is_pushed_comes_back_in_order_across_files() {
        let dir = dir("order");
        let spill = Spill::open(&dir, "qr.scanned", "analytics", 1 << 20);
        assert_eq!(spill.take(10), vec![], "nothing yet");
        for n in 0..5 {
            assert!(spill.push(&event(n)));
        }
        assert_eq!(spill.pending(), 5);
        assert_eq!(numbers(&spill.take(3)), [0, 1, 2]);
        // Appends while a file is being read go to a new file, read after it.
        for n in 5..8 {
            assert!(spill.push(&event(n)));
        }
        assert_eq!(numbers(&spill.take(100)), [3, 4, 5, 6, 7]);
        assert_eq!(spill.pending(), 0);
        assert_eq!(spill.take(100), vec![]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_size_cap_refuses_instead_of_filling_the_disk() {
        let dir = dir("cap");
        let one_line = serde_json::to_vec(&event(1)).unwrap().len() as u64 + 1;
        let spill = Spill::open(&dir, "qr.scanned", "analytics", one_line * 2);
        assert!(spill.push(&event(1)));
        assert!(spill.push(&event(2)));
        assert!(!spill.push(&event(3)), "over the cap");
        assert_eq!(numbers(&spill.take(1)), [1]);
        assert!(spill.push(&event(4)), "reading made room");
        assert_eq!(numbers(&spill.take(10)), [2, 4]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_new_process_delivers_what_the_last_one_left() {
        let dir = dir("restart");
        {
            let spill = Spill::open(&dir, "qr.scanned", "analytics", 1 << 20);
            for n in 0..4 {
                assert!(spill.push(&event(n)));
            }
            assert_eq!(numbers(&spill.take(1)), [0]);
            spill.push(&event(4));
        } // dropped: the buffer is written out
        // The file being read is read again from its start: 0 comes twice (at least once across
        // a restart; the event id tells a redelivery apart), 4 from the newer file comes last.
        let spill = Spill::open(&dir, "qr.scanned", "analytics", 1 << 20);
        assert_eq!(spill.pending(), 5);
        assert_eq!(numbers(&spill.take(100)), [0, 1, 2, 3, 4]);
        assert_eq!(spill.pending(), 0);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_cannot_leave_the_folder() {
        assert_eq!(file_safe("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_safe("qr.scanned"), "qr.scanned");
    }
}
