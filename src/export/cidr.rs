//! Exact CIDR covers of address ranges.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::error::{Error, Result};

/// The largest aligned block that starts at `start` and ends at or before
/// `end`, as `(start, host bits)`. `start <= end`; `bits` is 32 or 128.
#[inline]
fn block_at(start: u128, end: u128, bits: u32) -> u32 {
    // Alignment: the block cannot have more host bits than `start` has
    // trailing zeros. Size: `2^host - 1 <= end - start`.
    let align = start.trailing_zeros().min(bits);
    let span = end - start; // addresses after `start`
    let fit = if span == u128::MAX {
        128
    } else {
        127 - (span + 1).leading_zeros()
    };
    align.min(fit)
}

/// Calls `emit(network, prefix length)` for each block of the minimal exact
/// CIDR cover of `[start, end]`, in address order.
///
/// Taking the largest aligned block at the current start each time is
/// optimal: any cover must hold `start` in a block that begins at `start`
/// (no block may reach below it), and the largest such block leaves the
/// smallest remainder.
pub(crate) fn cover_range(start: u128, end: u128, v6: bool, mut emit: impl FnMut(u128, u8)) {
    let bits = if v6 { 128 } else { 32 };
    let mut s = start;
    loop {
        let host = block_at(s, end, bits);
        emit(s, (bits - host) as u8);
        let last = if host >= 128 {
            u128::MAX
        } else {
            s | ((1u128 << host) - 1)
        };
        if last >= end {
            break;
        }
        s = last + 1;
    }
}

/// The smallest set of CIDR blocks whose union is exactly the addresses
/// from `first` to `last` (both included), in address order.
///
/// ```
/// use bphscore::export::cidr_cover;
///
/// let cover = cidr_cover("192.0.2.1".parse()?, "192.0.2.10".parse()?)?;
/// let text: Vec<String> = cover.iter().map(|n| n.to_string()).collect();
/// assert_eq!(text, ["192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/30", "192.0.2.8/31", "192.0.2.10/32"]);
///
/// // Mixed families, or a range that runs backwards, are errors.
/// assert!(cidr_cover("192.0.2.9".parse()?, "192.0.2.1".parse()?).is_err());
/// assert!(cidr_cover("192.0.2.1".parse()?, "2001:db8::1".parse()?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cidr_cover(first: IpAddr, last: IpAddr) -> Result<Vec<IpNetwork>> {
    let (s, v6) = crate::snapshot::ip_to_u128(first);
    let (e, v6e) = crate::snapshot::ip_to_u128(last);
    if v6 != v6e || s > e {
        return Err(Error::Build {
            message: format!("{first} - {last} is not an address range"),
        });
    }
    let mut out = Vec::new();
    cover_range(s, e, v6, |net, len| {
        out.push(crate::snapshot::to_network(net, len, v6))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cover(s: u128, e: u128, v6: bool) -> Vec<(u128, u8)> {
        let mut v = Vec::new();
        cover_range(s, e, v6, |n, l| v.push((n, l)));
        v
    }

    #[test]
    fn whole_spaces_are_one_block() {
        assert_eq!(cover(0, u128::from(u32::MAX), false), [(0, 0)]);
        assert_eq!(cover(0, u128::MAX, true), [(0, 0)]);
        assert_eq!(cover(u128::MAX, u128::MAX, true), [(u128::MAX, 128)]);
        assert_eq!(
            cover(u128::from(u32::MAX), u128::from(u32::MAX), false),
            [(u128::from(u32::MAX), 32)]
        );
    }

    #[test]
    fn covers_are_exact_and_minimal_on_small_ranges() {
        // Every range inside a /8-sized toy space: the blocks tile the range,
        // and no two neighbours could be merged into their parent block.
        for s in 0u128..64 {
            for e in s..64 {
                let blocks = cover(s, e, false);
                let mut next = s;
                for &(n, l) in &blocks {
                    assert_eq!(n, next);
                    let size = 1u128 << (32 - u32::from(l));
                    assert_eq!(n % size, 0, "aligned");
                    next = n + size;
                }
                assert_eq!(next, e + 1);
                for w in blocks.windows(2) {
                    let ((a, la), (_, lb)) = (w[0], w[1]);
                    let size = 1u128 << (32 - u32::from(la));
                    assert!(!(la == lb && a % (2 * size) == 0), "{s}-{e}: {blocks:?}");
                }
            }
        }
    }
}
