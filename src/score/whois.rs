//! The WHOIS features of an address, from the most specific registration
//! block of its cell (see the table in [`crate::features`]).

use crate::features::whois::{
    BLOCK_ABUSE_SHARED_LISTED, BLOCK_COUNTRY_MISMATCH, BLOCK_CUSTOMER, BLOCK_NO_ABUSE,
    BLOCK_OTHER_ORG, BLOCK_TRANSFERRED, NO_DATE, NONE,
};
use crate::features::{Feature, FeatureVector};
use crate::snapshot::Snapshot;

const DAY: f64 = 86_400.0;
/// A registration younger than this is "young" (linearly less so with age).
const YOUNG_DAYS: f64 = 730.0;
/// A modification within this many days is "recent".
const RECENT_DAYS: f64 = 180.0;

fn flag(flags: u16, bit: u16) -> f64 {
    if flags & bit != 0 { 1.0 } else { 0.0 }
}

/// Sets the block-scope WHOIS features of block `i`.
#[inline]
pub(super) fn block_features<S: AsRef<[u8]>>(snap: &Snapshot<S>, i: u32, x: &mut FeatureVector) {
    let b = snap.whois_block(i);
    x.set(
        Feature::WhoisReassignedOtherOrg,
        flag(b.flags, crate::features::whois::BLOCK_OTHER_ORG),
    );
    x.set(Feature::WhoisDepth, f64::from(b.depth));
    let units = if b.is_v6() {
        ((b.end - b.start) >> crate::features::compile::V6_UNIT_SHIFT) as f64 + 1.0
    } else {
        (b.end - b.start) as f64 + 1.0
    };
    x.set(Feature::WhoisBlockLog2Size, (1.0 + units).log2());
    let now = snap.as_of();
    let age = |t: i64| {
        now.filter(|_| t != NO_DATE)
            .map(|n| n.saturating_sub(t) as f64 / DAY)
    };
    if let Some(days) = age(b.created) {
        x.set(
            Feature::WhoisBlockYoung,
            (1.0 - days.max(0.0) / YOUNG_DAYS).max(0.0),
        );
    }
    // Churn: a modification after the day of creation.
    if b.modified != NO_DATE
        && (b.created == NO_DATE || b.modified.saturating_sub(b.created) > 86_400)
        && let Some(days) = age(b.modified)
    {
        x.set(
            Feature::WhoisRecentlyModified,
            (1.0 - days.max(0.0) / RECENT_DAYS).max(0.0),
        );
    }
    x.set(
        Feature::WhoisCountryMismatch,
        flag(b.flags, BLOCK_COUNTRY_MISMATCH),
    );
    x.set(Feature::WhoisNoAbuseContact, flag(b.flags, BLOCK_NO_ABUSE));
    if b.flags & BLOCK_CUSTOMER != 0 && b.flags & BLOCK_OTHER_ORG != 0 && b.org != NONE {
        x.set(
            Feature::WhoisOrgProviders,
            f64::from(snap.whois_org(b.org).providers),
        );
    }
    x.set(
        Feature::WhoisAbuseSharedListed,
        flag(b.flags, BLOCK_ABUSE_SHARED_LISTED),
    );
    x.set(
        Feature::WhoisRecentTransfer,
        flag(b.flags, BLOCK_TRANSFERRED),
    );
}
