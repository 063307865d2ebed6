//! Batch scoring streams: the peak of live heap memory while scoring does
//! not grow with the input. A global allocator keeps the live byte count
//! and its peak; scoring ten times more lines must not raise the peak
//! beyond a small margin (the chunk size bounds it, not the input).
//!
//! One test in this binary, so that no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use bphscore::Detector;
use bphscore::batch::{self, BatchOptions, OutputFormat};

struct Tracking;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters are atomics, which never allocate.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// `lines` generated lines: addresses, prefixes and ASNs.
struct Lines {
    next: u64,
    end: u64,
    pending: Vec<u8>,
    at: usize,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.pending.len() {
            if self.next == self.end {
                return Ok(0);
            }
            let i = self.next;
            let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            self.pending = match i % 4 {
                0 => format!("198.18.{}.{}\n", h & 0xff, (h >> 8) & 0xff),
                1 => format!("2001:db8:{:x}::1\n", h & 0xffff),
                2 => format!("AS{}\n", 64496 + h % 16),
                _ => format!("198.51.100.{}/30\n", (h & 0x3f) * 4),
            }
            .into_bytes();
            self.at = 0;
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The peak of live heap bytes above the level before the run, and the
/// rows written, for `lines` input lines.
fn peak_while_scoring(detector: &Detector, lines: u64, format: OutputFormat) -> (usize, u64) {
    let input = io::BufReader::new(Lines {
        next: 0,
        end: lines,
        pending: Vec::new(),
        at: 0,
    });
    let options = BatchOptions::default().format(format).chunk_lines(4096);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let summary = batch::score_lines(detector, input, io::sink(), options).unwrap();
    (PEAK.load(Ordering::Relaxed) - base, summary.rows)
}

#[test]
fn peak_memory_does_not_grow_with_the_input() {
    let detector = Detector::default_world().unwrap();
    // A first run warms up what lives for the whole process (the thread
    // pool, lazily built tables).
    peak_while_scoring(&detector, 10_000, OutputFormat::Csv);
    for format in [OutputFormat::Csv, OutputFormat::Jsonl] {
        let (small, rows) = peak_while_scoring(&detector, 20_000, format);
        assert_eq!(rows, 20_000);
        let (large, rows) = peak_while_scoring(&detector, 200_000, format);
        assert_eq!(rows, 200_000);
        // The input is about 4 MB and the output about 20 MB: holding
        // either would show here. The margin allows for allocator noise
        // between chunks (buffers of the thread pool's blocks).
        assert!(
            large <= small + small / 4 + (256 << 10),
            "{format:?}: peak {large} bytes for 200,000 lines, {small} for 20,000"
        );
        assert!(small > 0, "the allocator saw nothing");
        println!("{format:?}: peak {small} bytes for 20,000 lines, {large} for 200,000");
    }
}
