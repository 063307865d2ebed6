//! Registration data types shared by the RPSL, ARIN and delegated-stats
//! decoders: what a registry says about a block, an organisation, an AS
//! and a contact. Decoders live in `rpsl.rs`, `arin.rs` and `delegated.rs`.

use std::fmt;

use super::IpRange;
use crate::subject::{Asn, Country};

/// Where a block sits in the registration hierarchy, as its status says.
///
/// RIPE, APNIC and AFRINIC write `status:` values (`ALLOCATED PA`,
/// `SUB-ALLOCATED PA`, `ASSIGNED PA`, …); ARIN writes `NetType:`
/// (`Direct Allocation`, `Reallocated`, `Reassigned`, …); delegated
/// statistics write `allocated` / `assigned`.
///
/// ```
/// use bphscore::source::BlockStatus;
/// assert_eq!(BlockStatus::from_rpsl("SUB-ALLOCATED PA"), BlockStatus::SubAllocation);
/// assert_eq!(BlockStatus::from_arin("Reassigned"), BlockStatus::Assignment);
/// assert!(BlockStatus::Assignment.is_customer());
/// assert!(!BlockStatus::Allocation.is_customer());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum BlockStatus {
    /// Allocated by the registry to a provider (LIR).
    Allocation,
    /// Assigned by the registry directly to an end user (provider independent).
    DirectAssignment,
    /// Sub-allocated (ARIN: reallocated) by a provider to another provider or reseller.
    SubAllocation,
    /// Assigned (ARIN: reassigned) by a provider to a customer.
    Assignment,
    /// Legacy space registered before the registries.
    Legacy,
    /// A status bphscore does not know.
    Other,
}

impl BlockStatus {
    /// From an RPSL `status:` value (case-insensitive).
    pub fn from_rpsl(s: &str) -> Self {
        let s = s.trim().to_ascii_uppercase();
        match s.as_str() {
            "ALLOCATED PA"
            | "ALLOCATED PI"
            | "ALLOCATED UNSPECIFIED"
            | "ALLOCATED-BY-RIR"
            | "ALLOCATED PORTABLE"
            | "ALLOCATED NON-PORTABLE" => BlockStatus::Allocation,
            "ASSIGNED PI" | "ASSIGNED ANYCAST" | "ASSIGNED PORTABLE" => {
                BlockStatus::DirectAssignment
            }
            "SUB-ALLOCATED PA" | "ALLOCATED-BY-LIR" => BlockStatus::SubAllocation,
            "ASSIGNED PA" | "ASSIGNED" | "AGGREGATED-BY-LIR" | "ASSIGNED NON-PORTABLE" => {
                BlockStatus::Assignment
            }
            "LEGACY" => BlockStatus::Legacy,
            _ => BlockStatus::Other,
        }
    }

    /// From an ARIN `NetType:` value (whois text or bulk spelling).
    pub fn from_arin(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "direct allocation" | "allocation" | "allocated" => BlockStatus::Allocation,
            "direct assignment" | "assignment" | "assigned" => BlockStatus::DirectAssignment,
            "reallocated" | "reallocation" => BlockStatus::SubAllocation,
            "reassigned" | "reassignment" => BlockStatus::Assignment,
            "legacy" => BlockStatus::Legacy,
            _ => BlockStatus::Other,
        }
    }

    /// Delegated by a provider to a customer (sub-allocation or assignment),
    /// rather than by the registry itself.
    pub fn is_customer(self) -> bool {
        matches!(self, BlockStatus::SubAllocation | BlockStatus::Assignment)
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            BlockStatus::Allocation => 1,
            BlockStatus::DirectAssignment => 2,
            BlockStatus::SubAllocation => 3,
            BlockStatus::Assignment => 4,
            BlockStatus::Legacy => 5,
            BlockStatus::Other => 6,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => BlockStatus::Allocation,
            2 => BlockStatus::DirectAssignment,
            3 => BlockStatus::SubAllocation,
            4 => BlockStatus::Assignment,
            5 => BlockStatus::Legacy,
            6 => BlockStatus::Other,
            _ => return None,
        })
    }
}

impl fmt::Display for BlockStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockStatus::Allocation => "allocation",
            BlockStatus::DirectAssignment => "direct-assignment",
            BlockStatus::SubAllocation => "sub-allocation",
            BlockStatus::Assignment => "assignment",
            BlockStatus::Legacy => "legacy",
            BlockStatus::Other => "other",
        })
    }
}

/// A registered address block (RPSL `inetnum`/`inet6num`, ARIN `NetRange`).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Registration {
    /// The addresses.
    pub range: Option<IpRange>,
    /// The registry's handle of the block (ARIN `NetHandle`).
    pub handle: Option<String>,
    /// The handle of the parent block, when the registry names it (ARIN `Parent`).
    pub parent: Option<String>,
    /// `netname` / `NetName`.
    pub name: Option<String>,
    /// Where the block sits in the hierarchy.
    pub status: Option<BlockStatus>,
    /// The holder organisation's handle (`org` / `OrgID`).
    pub org: Option<String>,
    /// The registered country.
    pub country: Option<Country>,
    /// Creation date (unix seconds).
    pub created: Option<i64>,
    /// Last modification date (unix seconds).
    pub modified: Option<i64>,
    /// Maintainers (`mnt-by`).
    pub maintainers: Vec<String>,
    /// The abuse contact's handle (`abuse-c`).
    pub abuse_c: Option<String>,
    /// An abuse mailbox given on the object itself.
    pub abuse_mailbox: Option<String>,
}

/// An organisation (RPSL `organisation`, ARIN `OrgID` record).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Organisation {
    /// Its handle.
    pub handle: String,
    /// Its name.
    pub name: Option<String>,
    /// Its country.
    pub country: Option<Country>,
    /// Maintainers (`mnt-by`, `mnt-ref`).
    pub maintainers: Vec<String>,
    /// The abuse contact's handle (`abuse-c`).
    pub abuse_c: Option<String>,
    /// An abuse mailbox given on the object itself (ARIN `OrgAbuseEmail`).
    pub abuse_mailbox: Option<String>,
    /// Creation date (unix seconds).
    pub created: Option<i64>,
    /// Last modification date (unix seconds).
    pub modified: Option<i64>,
}

/// An autonomous system's registration (RPSL `aut-num`, ARIN `ASNumber`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AutNum {
    /// The AS.
    pub asn: Asn,
    /// `as-name` / `ASName`.
    pub name: Option<String>,
    /// The holder organisation's handle.
    pub org: Option<String>,
    /// Maintainers (`mnt-by`).
    pub maintainers: Vec<String>,
    /// The abuse contact's handle.
    pub abuse_c: Option<String>,
    /// Creation date (unix seconds).
    pub created: Option<i64>,
    /// Last modification date (unix seconds).
    pub modified: Option<i64>,
}

/// One line of an RIR's delegated-extended statistics.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delegation {
    /// The registry (`ripencc`, `arin`, `apnic`, `lacnic`, `afrinic`).
    pub registry: String,
    /// The country of the holder.
    pub country: Option<Country>,
    /// The delegated addresses, for `ipv4` / `ipv6` lines.
    pub range: Option<IpRange>,
    /// The first AS and the count, for `asn` lines.
    pub asns: Option<(Asn, u32)>,
    /// The date of the delegation (the last transfer, when transferred).
    pub date: Option<i64>,
    /// `allocated`, `assigned`, `available` or `reserved`.
    pub status: String,
    /// The registry's opaque holder id (the same for every resource of one holder).
    pub opaque_id: Option<String>,
}
