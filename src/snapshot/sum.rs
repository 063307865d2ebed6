//! The snapshot checksum (format version 4): a Fletcher sum in eight
//! 64-bit lanes, folded into 64 bits.
//!
//! The bytes before the trailer, zero-padded to a multiple of 64, are read
//! as 64-byte blocks `w_1 … w_m`, each eight little-endian `u64` words.
//! Lane `l` (0 to 7) sums word `l` of every block, modulo 2^64:
//!
//! ```text
//! A_l = Σ_j w_j[l]
//! B_l = Σ_j (m − j + 1) · w_j[l]          (the running sum of the A_l)
//! h   = 0x6270_6873_6e61_7034            ("bphsnap4")
//! for l in 0..8: h = mix(h ^ A_l); h = mix(h ^ B_l)
//! checksum = mix(h ^ length in bytes, before padding)
//! ```
//!
//! where `mix` is the 64-bit finaliser of SplitMix64 (a bijection):
//! `z = (z ^ z >> 30) · 0xbf58476d1ce4e5b9; z = (z ^ z >> 27) ·
//! 0x94d049bb133111eb; z ^ z >> 31`.
//!
//! Any change within 64 consecutive bytes changes the lane sums: it
//! changes at most two words of a lane, in consecutive blocks, and if
//! they cancel in `A` they do not in `B`. The fold to 64 bits keeps a
//! change of the sums but for a chance of about 2^-64, which is also the
//! chance that any other change escapes (CRC-32: 2^-32).
//!
//! Why not CRC-32, which versions 1 to 3 used: opening reads every byte of
//! the file, and the sum is most of the work. `crc32fast` runs at 9.4 GB/s
//! a core on this format's reference machine (no VPCLMULQDQ), XXH3 at 15
//! and these lanes at 52 (SSE2, the x86-64 baseline; the compiler
//! vectorises the loop). Sums of consecutive pieces combine in O(1)
//! ([`Sum::then`]), so threads sum pieces of the file apart.

/// Bytes per block: eight lanes of eight bytes.
pub(crate) const BLOCK: usize = 64;

const SEED: u64 = 0x6270_6873_6e61_7034;

/// The sum of some whole blocks, with at most one partial block pending
/// (only the last block of the file may be partial).
#[derive(Clone, Debug)]
pub(crate) struct Sum {
    a: [u64; 8],
    b: [u64; 8],
    /// Whole blocks summed.
    blocks: u64,
    /// Bytes given, in all.
    len: u64,
    pending: [u8; BLOCK],
    pending_len: usize,
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Default for Sum {
    fn default() -> Self {
        Sum {
            a: [0; 8],
            b: [0; 8],
            blocks: 0,
            len: 0,
            pending: [0; BLOCK],
            pending_len: 0,
        }
    }
}

impl Sum {
    /// Adds `data` after the bytes given so far.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < BLOCK {
                return;
            }
            let block = self.pending;
            self.blocks(&block);
            self.pending_len = 0;
        }
        let whole = data.len() / BLOCK * BLOCK;
        self.blocks(&data[..whole]);
        let rest = &data[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// Sums whole blocks. The inner loop over the lanes is what the
    /// compiler turns into vector additions.
    #[inline]
    fn blocks(&mut self, data: &[u8]) {
        let (mut a, mut b) = (self.a, self.b);
        let chunks = data.chunks_exact(BLOCK);
        self.blocks += chunks.len() as u64;
        for chunk in chunks {
            for l in 0..8 {
                let mut w = [0u8; 8];
                w.copy_from_slice(&chunk[l * 8..l * 8 + 8]);
                a[l] = a[l].wrapping_add(u64::from_le_bytes(w));
                b[l] = b[l].wrapping_add(a[l]);
            }
        }
        (self.a, self.b) = (a, b);
    }

    /// Closes a partial last block with zeros.
    fn pad(&mut self) {
        if self.pending_len > 0 {
            self.pending[self.pending_len..].fill(0);
            let block = self.pending;
            self.blocks(&block);
            self.pending_len = 0;
        }
    }

    /// The sum of the bytes of `self` followed by those of `next`; `self`
    /// must hold whole blocks only (any number of bytes divisible by 64).
    pub(crate) fn then(mut self, next: &Sum) -> Sum {
        debug_assert_eq!(self.pending_len, 0, "only the last piece may end mid-block");
        for l in 0..8 {
            self.b[l] = self.b[l]
                .wrapping_add(next.blocks.wrapping_mul(self.a[l]))
                .wrapping_add(next.b[l]);
            self.a[l] = self.a[l].wrapping_add(next.a[l]);
        }
        self.blocks += next.blocks;
        self.len += next.len;
        self.pending = next.pending;
        self.pending_len = next.pending_len;
        self
    }

    /// The checksum of the bytes given.
    pub(crate) fn finish(mut self) -> u64 {
        self.pad();
        let mut h = SEED;
        for l in 0..8 {
            h = mix(h ^ self.a[l]);
            h = mix(h ^ self.b[l]);
        }
        mix(h ^ self.len)
    }
}

/// The checksum of `body`, the bytes of a snapshot before its trailer, as
/// the trailer stores it (format version 4: see the `format` module).
///
/// For tools that write or repair snapshot files; opening a snapshot
/// computes it on all cores.
///
/// ```
/// let snapshot = bphscore::world::snapshot()?;
/// let bytes = snapshot.as_bytes();
/// let body = &bytes[..bytes.len() - 16];
/// assert_eq!(bphscore::snapshot::checksum(body), snapshot.checksum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn checksum(body: &[u8]) -> u64 {
    let mut s = Sum::default();
    s.update(body);
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, word by word, with the weights written out.
    fn by_definition(body: &[u8]) -> u64 {
        let mut padded = body.to_vec();
        padded.resize(body.len().next_multiple_of(BLOCK), 0);
        let m = (padded.len() / BLOCK) as u64;
        let (mut a, mut b) = ([0u64; 8], [0u64; 8]);
        for (j, block) in padded.chunks(BLOCK).enumerate() {
            let weight = m - j as u64;
            for l in 0..8 {
                let w = u64::from_le_bytes(block[l * 8..l * 8 + 8].try_into().unwrap());
                a[l] = a[l].wrapping_add(w);
                b[l] = b[l].wrapping_add(weight.wrapping_mul(w));
            }
        }
        let mut h = SEED;
        for l in 0..8 {
            h = mix(h ^ a[l]);
            h = mix(h ^ b[l]);
        }
        mix(h ^ body.len() as u64)
    }

    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn streaming_and_combined_sums_equal_the_definition() {
        for n in [0, 1, 63, 64, 65, 127, 128, 1000, 4096, 10_007] {
            let data = bytes(n, n as u64);
            let want = by_definition(&data);
            assert_eq!(checksum(&data), want, "{n} bytes whole");
            // Given in uneven slices.
            for step in [1, 7, 13, 64, 100] {
                let mut s = Sum::default();
                data.chunks(step).for_each(|c| s.update(c));
                assert_eq!(s.finish(), want, "{n} bytes in slices of {step}");
            }
            // Summed in pieces of whole blocks, combined in order.
            for piece in [64, 128, 640, 4096] {
                let sums: Vec<Sum> = data
                    .chunks(piece)
                    .map(|c| {
                        let mut s = Sum::default();
                        s.update(c);
                        s
                    })
                    .collect();
                let total = sums.iter().fold(Sum::default(), |acc, s| acc.then(s));
                assert_eq!(total.finish(), want, "{n} bytes in pieces of {piece}");
            }
        }
    }

    /// Values from a separate implementation of the definition (Python,
    /// arbitrary-precision integers masked to 64 bits), which also agreed
    /// with the checksums of the committed snapshots in `testdata/hostile`.
    #[test]
    fn known_answers() {
        assert_eq!(checksum(b""), 0x6491_3568_5cdd_9831);
        let ramp: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        assert_eq!(checksum(&ramp), 0x0c42_d53f_abaa_fdc2);
        assert_eq!(checksum(&[0xff; 4096]), 0xfd18_9249_8e12_857c);
    }

    #[test]
    fn every_bit_flip_and_every_short_burst_changes_the_sum() {
        let data = bytes(1000, 7);
        let clean = checksum(&data);
        let mut d = data.clone();
        for i in 0..d.len() {
            for bit in 0..8 {
                d[i] ^= 1 << bit;
                assert_ne!(checksum(&d), clean, "byte {i} bit {bit}");
                d[i] ^= 1 << bit;
            }
        }
        // Two words of one lane (64 bytes apart) changed by +x and -x: `A`
        // does not move, `B` does.
        for at in [0, 8, 200, 928] {
            let mut d = data.clone();
            let w = |d: &[u8], at: usize| u64::from_le_bytes(d[at..at + 8].try_into().unwrap());
            let (x, y) = (w(&d, at), w(&d, at + 64));
            d[at..at + 8].copy_from_slice(&x.wrapping_add(1 << 40).to_le_bytes());
            d[at + 64..at + 72].copy_from_slice(&y.wrapping_sub(1 << 40).to_le_bytes());
            assert_ne!(checksum(&d), clean, "cancelling pair at {at}");
        }
        // Trailing zeros change the length, hence the sum.
        let mut longer = data.clone();
        longer.push(0);
        assert_ne!(checksum(&longer), clean);
        // Swapped blocks.
        let mut swapped = data.clone();
        swapped[..64].copy_from_slice(&data[64..128]);
        swapped[64..128].copy_from_slice(&data[..64]);
        assert_ne!(checksum(&swapped), clean);
    }
}
