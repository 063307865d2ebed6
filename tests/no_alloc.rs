//! Scoring does not allocate: a counting global allocator sees no
//! allocation while addresses, prefixes and ASes are scored.
//!
//! The counter is per thread, so allocations of the test harness's other
//! threads do not count; the test first checks that the counter does see
//! an allocation made in the measured window, so that a silent counter
//! cannot make it pass.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::net::IpAddr;

use bphscore::{Asn, Detector};
use ipnetwork::IpNetwork;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn scoring_makes_no_allocation() {
    // The counter works: a boxed value in the window is seen.
    assert_eq!(
        allocations(|| drop(black_box(Box::new(black_box(7u64))))),
        1
    );

    let detector = Detector::default_world().expect("default world builds");
    let ips: Vec<IpAddr> = [
        "198.18.3.7",     // bulletproof, listed, on DROP
        "198.18.200.200", // bad customer block
        "100.64.1.1",     // clean
        "240.1.2.3",      // large cloud
        "198.51.100.9",   // multi-origin
        "192.0.2.1",      // listed but not routed
        "192.0.0.8",      // unknown
        "8.8.8.8",        // outside the world
        "2001:db8:300::1",
        "2001:db8:100::5",
        "2001:db8:ffff::1",
        "::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "0.0.0.0",
        "255.255.255.255",
    ]
    .iter()
    .map(|s| s.parse().expect("valid address"))
    .collect();
    let nets: Vec<IpNetwork> = [
        "198.18.200.0/24",
        "198.18.128.0/17",
        "198.18.0.0/15",
        "100.64.0.0/10",
        "0.0.0.0/0",
        "2001:db8::/32",
        "2001:db8:300::/48",
        "::/0",
        "203.0.113.7/32",
    ]
    .iter()
    .map(|s| s.parse().expect("valid prefix"))
    .collect();
    let asns: Vec<Asn> = [64500, 64501, 64502, 64503, 64504, 65536, 64511, 1, u32::MAX]
        .into_iter()
        .map(Asn::new)
        .collect();

    // Anything allocated lazily on first use is not a per-call allocation.
    for ip in &ips {
        black_box(detector.score_ip(*ip));
    }
    for net in &nets {
        black_box(detector.score_prefix(*net));
    }
    for asn in &asns {
        black_box(detector.score_asn(*asn));
    }

    const ROUNDS: usize = 200;
    let v4 = allocations(|| {
        for _ in 0..ROUNDS {
            for ip in ips.iter().filter(|ip| ip.is_ipv4()) {
                black_box(detector.score_ip(black_box(*ip)));
            }
        }
    });
    let v6 = allocations(|| {
        for _ in 0..ROUNDS {
            for ip in ips.iter().filter(|ip| ip.is_ipv6()) {
                black_box(detector.score_ip(black_box(*ip)));
            }
        }
    });
    let prefixes = allocations(|| {
        for _ in 0..ROUNDS {
            for net in &nets {
                black_box(detector.score_prefix(black_box(*net)));
            }
        }
    });
    let ases = allocations(|| {
        for _ in 0..ROUNDS {
            for asn in &asns {
                black_box(detector.score_asn(black_box(*asn)));
            }
        }
    });
    let any = allocations(|| {
        for _ in 0..ROUNDS {
            for ip in &ips {
                black_box(detector.score(&black_box(bphscore::Subject::Ip(*ip))));
            }
        }
    });
    assert_eq!(
        (v4, v6, prefixes, ases, any),
        (0, 0, 0, 0, 0),
        "allocations while scoring (IPv4, IPv6, prefixes, ASes, any subject)"
    );

    // Reading a score's reasons does not allocate either (explaining them
    // in words does, by design: `Reason::explain` returns a String).
    let score = detector.score_ip(ips[0]);
    assert!(!score.reasons.is_empty());
    let read = allocations(|| {
        for r in score.reasons.iter() {
            black_box((
                r.feature,
                r.value,
                r.contribution,
                r.source.map(|s| s.name.len()),
            ));
        }
    });
    assert_eq!(read, 0);
}
