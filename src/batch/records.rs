//! An append-only table of byte records, one per interval of the
//! snapshot, shared by the batch workers: the CSV row parts that every
//! address of one interval has in common, made the first time the interval
//! is met.
//!
//! A record is written once into a chunk of an arena, then published by
//! storing its handle (chunk and offset) into the interval's slot; it is
//! never written again nor moved, and the chunks live as long as the
//! table. Each worker appends to a chunk of its own (a [`Writer`]), so
//! making a record takes no lock and no allocation of its own, and the
//! records sit in a few large chunks (advised to use huge pages where the
//! system has them) rather than scattered over the heap. Several slots may
//! name one record: a writer stores bytes it stored before, or a record
//! made under a key it met before, once ([`Writer::put_shared`],
//! [`Writer::put_keyed`]); on the synthetic benchmark world the IPv4 rows
//! of 526,703 intervals have about 85,000 distinct texts.
//!
//! A slot is 8 bytes: the handle in its low 48 bits and, for IPv4, the
//! interval's search key in its top 16 (as the detector's own slots carry
//! it), so that the search for an address ends on the line that says where
//! its record is: one cache miss for both.
//!
//! `std::sync::OnceLock<Box<[u8]>>` per interval did the same with a
//! 24-byte slot, a heap allocation (and a reallocation) per record and a
//! search in another table; with this table `bphscore score` ran 10 M IPv4
//! lines to CSV about 12% faster in the same run, and with the
//! keyed slots a few per cent more, which is why it is written by hand.

use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use hashbrown::HashTable;

use crate::score::{fold, mix};

/// Bytes per chunk at most, unless a record needs more: two huge pages.
/// A table of few slots takes smaller chunks (128 bytes a slot, at least
/// 64 KiB).
const CHUNK: usize = 4 << 20;
/// The length prefix of a record.
const LEN: usize = 4;
/// A handle: `(chunk + 1) << 32 | offset`; 0 for none.
const HANDLE: u64 = (1 << 48) - 1;
/// At most this many chunks (16 GiB of records in chunks of 4 MiB).
const MAX_CHUNKS: usize = 4096;

/// Slots for `n` records and the chunks holding them.
pub(super) struct Records {
    chunk_size: usize,
    slots: Box<[AtomicU64]>,
    /// Each chunk's first byte, by number: set once, before any handle
    /// naming the chunk is published.
    bases: Box<[AtomicPtr<u8>]>,
    chunks: Mutex<Vec<memmap2::MmapMut>>,
}

impl Records {
    /// A table of `n` records; slot `i` carries `key(i)` in its top 16
    /// bits (its low 48 bits are dropped).
    pub(super) fn new(n: usize, key: impl Fn(usize) -> u64) -> Records {
        Records {
            chunk_size: n.saturating_mul(128).clamp(64 << 10, CHUNK),
            slots: (0..n).map(|i| AtomicU64::new(key(i) & !HANDLE)).collect(),
            bases: (0..MAX_CHUNKS)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            chunks: Mutex::new(Vec::new()),
        }
    }

    /// The slots, for a search by key.
    #[inline]
    pub(super) fn slots(&self) -> &[AtomicU64] {
        &self.slots
    }

    /// The record a slot's bits name, if any.
    #[inline]
    fn record(&self, bits: u64) -> Option<*const u8> {
        let h = bits & HANDLE;
        let chunk = (h >> 32).checked_sub(1)? as usize;
        let base = self.bases.get(chunk)?.load(Ordering::Acquire);
        (!base.is_null()).then(|| base.wrapping_add((h & 0xffff_ffff) as usize).cast_const())
    }

    /// Record `i`, if it was made.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&[u8]> {
        self.bytes(self.slots.get(i)?.load(Ordering::Acquire))
    }

    /// The handle of record `i`, if it was made: another interval whose
    /// record reads the same can name it ([`Writer::put_handle`]).
    #[inline]
    pub(super) fn handle(&self, i: usize) -> Option<u64> {
        Some(self.slots.get(i)?.load(Ordering::Acquire) & HANDLE).filter(|&h| h != 0)
    }

    /// The record a slot's bits name, if any.
    #[inline]
    fn bytes(&self, bits: u64) -> Option<&[u8]> {
        let p = self.record(bits)?;
        // SAFETY: a handle names a record that a `Writer` wrote whole (its
        // length, then the bytes) before the handle left it: published in a
        // slot with release ordering (read above with acquire), or handed
        // back to the same writer. The chunk is this table's, never freed,
        // moved or written again while the table lives.
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
    /// when it was made (its slot should be in the cache by now); false
    /// when it was not.
    #[inline]
    pub(super) fn prefetch_record(&self, i: usize) -> bool {
        let p = self
            .slots
            .get(i)
            .and_then(|s| self.record(s.load(Ordering::Relaxed)));
        if let Some(p) = p {
            crate::score::prefetch(p);
            crate::score::prefetch(p.wrapping_add(64));
            crate::score::prefetch(p.wrapping_add(128));
        }
        p.is_some()
    }

    /// A writer appending to chunks of its own.
    pub(super) fn writer(&self) -> Writer<'_> {
        Writer {
            records: self,
            chunk: 0,
            at: std::ptr::null_mut(),
            used: 0,
            left: 0,
            interned: HashTable::new(),
            keyed: HashTable::new(),
        }
    }

    /// A fresh chunk of at least `bytes`, kept by the table: its number
    /// and address, and its size.
    fn chunk(&self, bytes: usize) -> Option<(usize, *mut u8, usize)> {
        let size = bytes.max(self.chunk_size);
        // A poisoned lock means another worker panicked while pushing; the
        // list is still whole.
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        if chunks.len() >= MAX_CHUNKS {
            return None;
        }
        let mut map = memmap2::MmapMut::map_anon(size).ok()?;
        #[cfg(target_os = "linux")]
        {
            // Fewer TLB misses; only a hint, so a refusal changes nothing.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        let p = map.as_mut_ptr();
        let number = chunks.len();
        self.bases[number].store(p, Ordering::Release);
        chunks.push(map);
        Some((number, p, size))
    }
}

/// Appends records to the chunk it took last; takes a new one when the
/// record does not fit.
pub(super) struct Writer<'a> {
    records: &'a Records,
    chunk: usize,
    at: *mut u8,
    /// Bytes of the chunk used, and left.
    used: usize,
    left: usize,
    /// The records [`put_shared`](Self::put_shared) appended: hash and
    /// handle.
    interned: HashTable<(u64, u64)>,
    /// The records [`put_keyed`](Self::put_keyed) appended: key and handle.
    keyed: HashTable<(u128, u64)>,
}

impl<'a> Writer<'a> {
    /// Stores `record` as record `i` unless another worker stored it first;
    /// returns the record in the table (the other worker's, then: the same
    /// bytes, as records are a pure function of the interval). `None` when
    /// no memory could be mapped, or the record is over 4 GiB.
    pub(super) fn put(&mut self, i: usize, record: &[u8]) -> Option<&'a [u8]> {
        let handle = self.append(record)?;
        self.publish(i, handle)
    }

    /// [`put`](Self::put), but when this writer stored the same bytes
    /// before (for any record), record `i` names those bytes rather than a
    /// copy: records that many intervals share take their memory, and
    /// their cache lines, once.
    pub(super) fn put_shared(&mut self, i: usize, record: &[u8]) -> Option<&'a [u8]> {
        let h = hash_bytes(record);
        let records = self.records;
        let found = self
            .interned
            .find(h, |&(eh, handle)| {
                eh == h && records.bytes(handle) == Some(record)
            })
            .map(|&(_, handle)| handle);
        let handle = match found {
            Some(handle) => handle,
            None => {
                let handle = self.append(record)?;
                self.interned.insert_unique(h, (h, handle), |&(eh, _)| eh);
                handle
            }
        };
        self.publish(i, handle)
    }

    /// [`put`](Self::put) for a record that is a function of `key`: when
    /// this writer stored a record under the same key before, record `i`
    /// names it, and `make` is not called; else `make` writes the record
    /// into `scratch` (cleared first), which is stored under the key.
    pub(super) fn put_keyed(
        &mut self,
        i: usize,
        key: u128,
        scratch: &mut Vec<u8>,
        make: impl FnOnce(&mut Vec<u8>),
    ) -> Option<&'a [u8]> {
        let h = key_hash(key);
        let handle = match self.keyed.find(h, |&(k, _)| k == key) {
            Some(&(_, handle)) => handle,
            None => {
                scratch.clear();
                make(scratch);
                let handle = self.append(scratch)?;
                self.keyed
                    .insert_unique(h, (key, handle), |&(k, _)| key_hash(k));
                handle
            }
        };
        self.publish(i, handle)
    }

    /// Names as record `i` the record of `handle` (by
    /// [`Records::handle`]), unless another worker published one first;
    /// returns the record in the table.
    pub(super) fn put_handle(&mut self, i: usize, handle: u64) -> Option<&'a [u8]> {
        self.publish(i, handle & HANDLE)
    }

    /// Publishes `handle` as record `i`, unless another worker published
    /// one first; returns the record in the table.
    fn publish(&mut self, i: usize, handle: u64) -> Option<&'a [u8]> {
        let slot = self.records.slots.get(i)?;
        // The first record published wins (the key bits stay); a record
        // that lost is left unused in the chunk.
        let _ = slot.fetch_update(Ordering::AcqRel, Ordering::Acquire, |bits| {
            (bits & HANDLE == 0).then_some(bits | handle)
        });
        self.records.get(i)
    }

    /// Appends `record` to this writer's chunk (a new chunk when it does
    /// not fit); its handle.
    fn append(&mut self, record: &[u8]) -> Option<u64> {
        let len = u32::try_from(record.len()).ok()?;
        let need = LEN + record.len();
        if need > self.left {
            let (chunk, at, size) = self.records.chunk(need)?;
            (self.chunk, self.at, self.used, self.left) = (chunk, at, 0, size);
        }
        let offset = u32::try_from(self.used).ok()?;
        let p = self.at;
        // SAFETY: `p..p + need` lies in a chunk of this table (`left` bytes
        // from `at` are unused) that no one else writes or reads: it is
        // published below, and the writer moves past it.
        unsafe {
            p.cast::<[u8; LEN]>().write_unaligned(len.to_le_bytes());
            std::ptr::copy_nonoverlapping(record.as_ptr(), p.add(LEN), record.len());
            self.at = p.add(need);
        }
        (self.used, self.left) = (self.used + need, self.left - need);
        Some(((self.chunk as u64 + 1) << 32) | u64::from(offset))
    }
}

/// A hash of a record's key: both halves move every bit.
fn key_hash(k: u128) -> u64 {
    mix(k as u64 ^ mix((k >> 64) as u64))
}

/// A hash of a record's bytes, 8-byte words folded in, then mixed, so
/// that the table's bucket (low bits) and tag (top bits) both depend on
/// every byte.
fn hash_bytes(b: &[u8]) -> u64 {
    let mut words = b.chunks_exact(8);
    let mut h = (&mut words).fold(b.len() as u64, |h, w| {
        fold(
            h,
            u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
        )
    });
    for &byte in words.remainder() {
        h = fold(h, u64::from(byte));
    }
    mix(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_published_once_and_read_back() {
        let records = Records::new(4, |i| (i as u64 + 1) << 48 | 0xdead);
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
        // The keys stay in the top bits; the low bits given are dropped.
        let keys: Vec<u64> = records
            .slots()
            .iter()
            .map(|s| s.load(Ordering::Relaxed) >> 48)
            .collect();
        assert_eq!(keys, [1, 2, 3, 4]);
        assert_eq!(records.slots()[0].load(Ordering::Relaxed) & HANDLE, 0);
    }

    #[test]
    fn shared_records_are_stored_once_per_writer() {
        let records = Records::new(6, |_| 0);
        let mut w = records.writer();
        let a = w.put_shared(0, b"same text").unwrap().as_ptr();
        let b = w.put_shared(1, b"same text").unwrap().as_ptr();
        let c = w.put_shared(2, b"other text").unwrap().as_ptr();
        // A text that is a prefix of another is a record of its own.
        let d = w.put_shared(3, b"same").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(d, b"same");
        // `put` always copies.
        assert_ne!(w.put(4, b"same text").unwrap().as_ptr(), a);
        // Another writer keeps its own copies; the first published wins.
        let mut other = records.writer();
        assert_ne!(other.put_shared(5, b"same text").unwrap().as_ptr(), a);
        assert_eq!(other.put_shared(0, b"lost").unwrap().as_ptr(), a);
        // Keyed records: `make` runs once per key and writer.
        let keyed = Records::new(4, |_| 0);
        let mut w = keyed.writer();
        let mut scratch = Vec::new();
        let mut made = 0;
        for (i, key) in [(0, 7u128 << 70), (1, 7 << 70), (2, 7), (3, 7 << 70)] {
            let r = w.put_keyed(i, key, &mut scratch, |b| {
                made += 1;
                b.extend_from_slice(format!("key {key}").as_bytes());
            });
            assert_eq!(r, Some(format!("key {key}").as_bytes()));
        }
        assert_eq!(made, 2);
        assert_eq!(
            keyed.get(0).unwrap().as_ptr(),
            keyed.get(3).unwrap().as_ptr()
        );
        for (i, text) in [
            &b"same text"[..],
            b"same text",
            b"other text",
            b"same",
            b"same text",
            b"same text",
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(records.get(i), Some(*text));
        }
    }

    #[test]
    fn large_records_and_many_chunks() {
        let n = 3000;
        let records = Records::new(n, |_| 0);
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
        assert!(records.chunks.lock().unwrap().len() > 2);
        // A record larger than a chunk gets a chunk of its own.
        let alone = Records::new(1, |_| 0);
        assert_eq!(
            alone.writer().put(0, &big).map(<[u8]>::len),
            Some(big.len())
        );
        assert_eq!(alone.get(0), Some(&big[..]));
    }
}
