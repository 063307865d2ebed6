//! An append-only table of byte records, one per interval of the
//! snapshot, shared by the batch workers: the CSV row parts that every
//! address of one interval has in common, made the first time the interval
//! is met.
//!
//! A record is written once into a chunk of an arena, then published by
//! storing its address into the interval's slot; it is never written again
//! nor moved, and the chunks live as long as the table. Each worker appends
//! to a chunk of its own (a [`Writer`]), so making a record takes no lock
//! and no allocation of its own, and the records of one table sit in a few
//! large chunks (advised to use huge pages where the system has them)
//! rather than scattered over the heap: a slot is 8 bytes, a record is its
//! text with an 8- or 32-byte route, and a look-up reads both with one
//! cache miss each.
//!
//! `std::sync::OnceLock<Box<[u8]>>` per interval did the same with a
//! 24-byte slot, a heap allocation per record and its header; the CSV
//! path of `bphscore score` spent a tenth of its time waiting on those
//! misses, which is why this is written by hand.

use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Bytes per chunk, unless a record needs more: two huge pages.
const CHUNK: usize = 4 << 20;
/// The length prefix of a record.
const LEN: usize = 4;

/// Slots for `n` records and the chunks holding them.
pub(super) struct Records {
    slots: Box<[AtomicPtr<u8>]>,
    chunks: Mutex<Vec<memmap2::MmapMut>>,
}

impl Records {
    pub(super) fn new(n: usize) -> Records {
        Records {
            slots: (0..n)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            chunks: Mutex::new(Vec::new()),
        }
    }

    /// Record `i`, if it was made.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&[u8]> {
        let p = self.slots.get(i)?.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: a non-null slot holds the address of a record published
        // by `Writer::put` with release ordering after all its bytes were
        // written (its length, then the bytes), in a chunk this table owns
        // and never frees, moves or writes again while it lives; the
        // acquire load above makes those bytes visible here.
        unsafe {
            let len = u32::from_le_bytes(p.cast::<[u8; LEN]>().read_unaligned()) as usize;
            Some(std::slice::from_raw_parts(p.add(LEN), len))
        }
    }

    /// Asks the CPU to fetch the cache line of slot `i`.
    #[inline]
    pub(super) fn prefetch_slot(&self, i: usize) {
        crate::score::prefetch(self.slots.as_ptr().wrapping_add(i));
    }

    /// Asks the CPU to fetch the first three cache lines of record `i`,
    /// when it was made (its slot should be in the cache by now).
    #[inline]
    pub(super) fn prefetch_record(&self, i: usize) {
        if let Some(slot) = self.slots.get(i) {
            let p = slot.load(Ordering::Relaxed);
            if !p.is_null() {
                crate::score::prefetch(p);
                crate::score::prefetch(p.wrapping_add(64));
                crate::score::prefetch(p.wrapping_add(128));
            }
        }
    }

    /// A writer appending to chunks of its own.
    pub(super) fn writer(&self) -> Writer<'_> {
        Writer {
            records: self,
            at: std::ptr::null_mut(),
            left: 0,
        }
    }

    /// A fresh chunk of at least `bytes`, kept by the table; its address.
    fn chunk(&self, bytes: usize) -> std::io::Result<(*mut u8, usize)> {
        let size = bytes.max(CHUNK);
        let mut map = memmap2::MmapMut::map_anon(size)?;
        #[cfg(target_os = "linux")]
        {
            // Fewer TLB misses; only a hint, so a refusal changes nothing.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        let p = map.as_mut_ptr();
        // A poisoned lock means another worker panicked while pushing; the
        // list is still whole.
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        chunks.push(map);
        Ok((p, size))
    }
}

/// Appends records to the chunk it took last; takes a new one when the
/// record does not fit.
pub(super) struct Writer<'a> {
    records: &'a Records,
    at: *mut u8,
    left: usize,
}

impl<'a> Writer<'a> {
    /// Stores `record` as record `i` unless another worker stored it first;
    /// returns the record in the table (the other worker's, then: the same
    /// bytes, as records are a pure function of the interval). `None` when
    /// no memory could be mapped, or the record is over 4 GiB.
    pub(super) fn put(&mut self, i: usize, record: &[u8]) -> Option<&'a [u8]> {
        let slot = self.records.slots.get(i)?;
        let len = u32::try_from(record.len()).ok()?;
        let need = LEN + record.len();
        if need > self.left {
            let (at, size) = self.records.chunk(need).ok()?;
            (self.at, self.left) = (at, size);
        }
        let p = self.at;
        // SAFETY: `p..p + need` lies in a chunk of this table (`left` bytes
        // from `at` are unused) that no one else writes or reads: it is
        // published below, and the writer moves past it.
        unsafe {
            p.cast::<[u8; LEN]>().write_unaligned(len.to_le_bytes());
            std::ptr::copy_nonoverlapping(record.as_ptr(), p.add(LEN), record.len());
            self.at = p.add(need);
        }
        self.left -= need;
        // The first record published wins; a record that lost is left
        // unused in the chunk.
        let _ = slot.compare_exchange(std::ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire);
        self.records.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_published_once_and_read_back() {
        let records = Records::new(4);
        assert_eq!(records.get(0), None);
        assert_eq!(records.get(9), None);
        let mut w = records.writer();
        assert_eq!(w.put(1, b"first"), Some(&b"first"[..]));
        // A second put of the same record keeps the first.
        assert_eq!(w.put(1, b"other"), Some(&b"first"[..]));
        assert_eq!(w.put(9, b"x"), None);
        assert_eq!(records.get(1), Some(&b"first"[..]));
        assert_eq!(w.put(2, b""), Some(&b""[..]));
        assert_eq!(records.get(0), None);
    }

    #[test]
    fn large_records_and_many_chunks() {
        let n = 3000;
        let records = Records::new(n);
        let big = vec![7u8; CHUNK + 5];
        std::thread::scope(|s| {
            for t in 0..2 {
                let records = &records;
                let big = &big;
                s.spawn(move || {
                    let mut w = records.writer();
                    for i in (t..n).step_by(2) {
                        let text = format!("record {i} {}", "x".repeat(i));
                        assert_eq!(w.put(i, text.as_bytes()), Some(text.as_bytes()));
                    }
                    if t == 0 {
                        assert_eq!(w.put(0, big), Some(&b"record 0 "[..]));
                    }
                });
            }
        });
        for i in 0..n {
            assert_eq!(
                records.get(i),
                Some(format!("record {i} {}", "x".repeat(i)).as_bytes())
            );
        }
        // A record larger than a chunk gets a chunk of its own.
        let alone = Records::new(1);
        assert_eq!(
            alone.writer().put(0, &big).map(<[u8]>::len),
            Some(big.len())
        );
        assert_eq!(alone.get(0), Some(&big[..]));
    }
}
