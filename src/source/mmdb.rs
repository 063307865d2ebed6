//! MaxMind DB files (MMDB): GeoIP2/GeoLite2 Country and ASN, the
//! Anonymous-IP database, and the same format as DB-IP and ip-location-db
//! publish it. Read with the `maxminddb` crate over the file's bytes (a
//! memory map from the command line).
//!
//! Each network of the tree (IPv4 networks of an IPv6 database come out as
//! IPv4; the aliases `::ffff:0:0/96` and `2002::/16` are skipped) gives:
//!
//! - its geolocated country: `country.iso_code` (GeoIP2), else
//!   `country_code` (ip-location-db), else `registered_country.iso_code`;
//! - its AS: `autonomous_system_number` and `autonomous_system_organization`
//!   (GeoLite2-ASN), as a routed range;
//! - the Anonymous-IP flags `is_hosting_provider`, `is_anonymous_vpn`,
//!   `is_public_proxy`, `is_residential_proxy` and `is_tor_exit_node`.
//!
//! The database's `build_epoch` dates the source.

use serde::Deserialize;

use super::{GeoFlags, IpRange, Limits, Record};
use crate::error::Error;
use crate::subject::{Asn, Country};

#[derive(Debug, Default, Deserialize)]
struct IsoCode {
    iso_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Entry {
    country: Option<IsoCode>,
    registered_country: Option<IsoCode>,
    country_code: Option<String>,
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
    is_hosting_provider: Option<bool>,
    is_anonymous_vpn: Option<bool>,
    is_public_proxy: Option<bool>,
    is_residential_proxy: Option<bool>,
    is_tor_exit_node: Option<bool>,
}

/// The records of an MMDB file, and its build date.
pub(crate) fn read(
    name: &str,
    bytes: &[u8],
    limits: Limits,
) -> Result<(Vec<Record>, Option<i64>), Error> {
    let invalid =
        |e: maxminddb::MaxMindDbError| Error::parse(name, 0, format!("invalid MMDB: {e}"));
    let reader = maxminddb::Reader::from_source(bytes).map_err(invalid)?;
    let date = i64::try_from(reader.metadata().build_epoch)
        .ok()
        .filter(|&t| t > 0);
    let mut out = Vec::new();
    for item in reader
        .networks(maxminddb::WithinOptions::default())
        .map_err(invalid)?
    {
        let found = item.map_err(invalid)?;
        let net = found.network().map_err(invalid)?;
        let Some(entry) = found.decode::<Entry>().map_err(invalid)? else {
            continue;
        };
        let range = IpRange::from(net);
        let cc = entry
            .country
            .and_then(|c| c.iso_code)
            .or(entry.country_code)
            .or(entry.registered_country.and_then(|c| c.iso_code));
        let country = match cc {
            Some(cc) => Some(cc.parse::<Country>().map_err(|_| {
                Error::parse(
                    name,
                    0,
                    format!("invalid country code {cc:?} for {net} in MMDB"),
                )
            })?),
            None => None,
        };
        let mut flags = GeoFlags::default();
        for (set, bit) in [
            (entry.is_hosting_provider, GeoFlags::HOSTING),
            (entry.is_anonymous_vpn, GeoFlags::VPN),
            (entry.is_public_proxy, GeoFlags::PUBLIC_PROXY),
            (entry.is_residential_proxy, GeoFlags::RESIDENTIAL_PROXY),
            (entry.is_tor_exit_node, GeoFlags::TOR_EXIT),
        ] {
            if set == Some(true) {
                flags = flags.with(bit);
            }
        }
        if country.is_some() || !flags.is_empty() {
            out.push(Record::Geolocation {
                range,
                country,
                flags,
            });
        }
        if let Some(asn) = entry.autonomous_system_number {
            out.push(Record::Route {
                range,
                origin: Asn::new(asn),
                as_name: entry
                    .autonomous_system_organization
                    .filter(|n| !n.is_empty()),
                multi_origin: false,
                other_origins: Vec::new(),
            });
        }
        if out.len() as u64 > limits.records() {
            return Err(Error::Limit {
                source_name: name.to_owned(),
                line: 0,
                what: "number of records",
                limit: limits.records(),
            });
        }
    }
    Ok((out, date))
}
