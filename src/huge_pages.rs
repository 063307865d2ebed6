//! A global allocator that puts large blocks in transparent huge pages.
//!
//! Scoring reads tables of a few MiB at random: the detector's search
//! index, and in batch scoring the row cache's slots, the routes per range,
//! the records per cell and the evaluation memo. With 4 KiB pages nearly
//! every such look-up also misses the TLB, and in a virtual machine a page
//! walk costs several memory reads. [`HugePages`] maps blocks of at least
//! 1 MiB on 2 MiB boundaries and advises the kernel to back them with huge
//! pages (`madvise(MADV_HUGEPAGE)`, which takes effect with the kernel's
//! default `madvise` setting); smaller blocks, and every block on other
//! systems than Linux, go to the system allocator.
//!
//! The `bphscore` tool, the benches and the `peer_ratios` example install
//! it. On the synthetic benchmark world, `bphscore score` on 10 M IPv4
//! lines took about 10% less CPU time with it, and [`Detector::lookup`]
//! about a fifth less time on the real data (see the README's Performance
//! section). A program that embeds the library opts in the same way:
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: bphscore::huge_pages::HugePages = bphscore::huge_pages::HugePages;
//!
//! let big = vec![0u64; 1 << 20]; // 8 MiB, in huge pages where the system allows
//! assert_eq!(big.iter().sum::<u64>(), 0);
//! ```
//!
//! [`Detector::lookup`]: crate::Detector::lookup

use std::alloc::{GlobalAlloc, Layout, System};

/// The huge page size on x86-64 and most AArch64 kernels.
const HUGE: usize = 2 << 20;
/// Blocks from this size on get huge pages (sizes are rounded up to
/// [`HUGE`], so smaller blocks would waste too much).
const MIN: usize = 1 << 20;

/// The system allocator, but for large blocks (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct HugePages;

/// Whether `layout` is mapped here rather than by the system allocator.
fn is_large(layout: Layout) -> bool {
    cfg!(target_os = "linux") && layout.size() >= MIN && layout.align() <= HUGE
}

/// `size` rounded up to whole huge pages.
fn mapped_len(size: usize) -> usize {
    size.div_ceil(HUGE) * HUGE
}

// SAFETY: large blocks are fresh private anonymous maps, aligned to 2 MiB
// (at least the layout's alignment), of at least the layout's size, owned
// by the caller until `dealloc`, which unmaps exactly what `alloc` kept
// (the same length, from the layout's size). Other blocks are the system
// allocator's; a block's size decides which path it took both ways.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            map(mapped_len(layout.size()))
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            // Anonymous maps are zeroed by the kernel.
            map(mapped_len(layout.size()))
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout) {
            // SAFETY: `ptr` is a block `alloc` mapped for a layout of this
            // size: `mapped_len` bytes from `ptr`.
            unsafe { unmap(ptr, mapped_len(layout.size())) }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

/// A new block of `len` bytes (a multiple of [`HUGE`]) on a [`HUGE`]
/// boundary, advised to use huge pages; null when none could be mapped.
#[cfg(target_os = "linux")]
fn map(len: usize) -> *mut u8 {
    let Some(total) = len.checked_add(HUGE) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a new private anonymous map; nothing else is touched.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            total,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    // Keep the aligned `len` bytes; give back the head and the tail.
    let base = p as usize;
    let start = base.next_multiple_of(HUGE);
    let (head, tail) = (start - base, base + total - (start + len));
    // SAFETY: both ranges lie in the map just made and are not used;
    // `madvise` is a hint about the kept range, and a refusal changes
    // nothing but speed.
    unsafe {
        if head > 0 {
            libc::munmap(p, head);
        }
        if tail > 0 {
            libc::munmap((start + len) as *mut libc::c_void, tail);
        }
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
    start as *mut u8
}

/// Unmaps a block that [`map`] made of `len` bytes.
///
/// # Safety
///
/// `ptr` and `len` are a block from [`map`], not used afterwards.
#[cfg(target_os = "linux")]
unsafe fn unmap(ptr: *mut u8, len: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        libc::munmap(ptr.cast(), len);
    }
}

#[cfg(not(target_os = "linux"))]
fn map(_len: usize) -> *mut u8 {
    unreachable!("no block is large on this system")
}

#[cfg(not(target_os = "linux"))]
unsafe fn unmap(_ptr: *mut u8, _len: usize) {
    unreachable!("no block is large on this system")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_blocks_are_aligned_zeroed_and_usable() {
        let a = HugePages;
        for size in [MIN, MIN + 1, 3 * HUGE + 5] {
            let aligned = cfg!(target_os = "linux") && size >= MIN;
            let layout = Layout::from_size_align(size, 64).expect("layout");
            // SAFETY: a layout of nonzero size; the block is used within
            // its size and freed with the same layout.
            unsafe {
                let p = a.alloc_zeroed(layout);
                assert!(!p.is_null());
                assert!(!aligned || (p as usize).is_multiple_of(HUGE), "{size}");
                let block = std::slice::from_raw_parts_mut(p, size);
                assert!(block.iter().all(|&b| b == 0));
                block[size - 1] = 7;
                let q = a.realloc(p, layout, size / 2);
                assert_eq!(*q.add(size / 2 - 1), 0);
                a.dealloc(q, Layout::from_size_align(size / 2, 64).expect("layout"));
            }
        }
        // Small blocks are the system allocator's.
        let v: Vec<u8> = vec![1; 100];
        assert_eq!(v.iter().map(|&b| u32::from(b)).sum::<u32>(), 100);
    }
}
