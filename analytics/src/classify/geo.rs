//! Country from the client IP, offline. By default the `iptocc` crate's embedded regional
//! registry data (no file, no setup); when `GEOIP_DB` names an MMDB file (e.g. DB-IP Lite country,
//! CC BY 4.0) that database instead. A file that is missing or unreadable is a start-up warning
//! and the default, never a crash: a scan must be counted even without a country.

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

pub enum Geo {
    Embedded,
    Mmdb(maxminddb::Reader<Vec<u8>>),
}

/// Both record layouts seen in the wild: ip-location-db's `{country_code}` and GeoIP2's
/// `{country: {iso_code}}`.
#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(borrow)]
    country: Option<GeoIp2Country<'a>>,
}

#[derive(Deserialize)]
struct GeoIp2Country<'a> {
    iso_code: Option<&'a str>,
}

impl Geo {
    /// The MMDB at `path` when given and readable, else the embedded data (with a warning).
    pub fn from_setting(path: Option<&Path>) -> Geo {
        let Some(path) = path else {
            return Geo::Embedded;
        };
        match Self::open_mmdb(path) {
            Ok(geo) => {
                tracing::info!(path = %path.display(), "GEOIP_DB: using this MMDB for countries");
                geo
            }
            Err(why) => {
                tracing::warn!(path = %path.display(), %why, "GEOIP_DB: cannot use this file; falling back to the embedded country data");
                Geo::Embedded
            }
        }
    }

    pub fn open_mmdb(path: &Path) -> Result<Geo, String> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| e.to_string())?;
        // A truncated file can have intact metadata; one lookup proves the tree is readable.
        reader
            .lookup(IpAddr::from([8, 8, 8, 8]))
            .map_err(|e| e.to_string())?;
        Ok(Geo::Mmdb(reader))
    }

    /// The credit the data's licence asks for, shown next to country figures. DB-IP Lite is
    /// CC BY 4.0; the embedded registry data needs none.
    pub fn attribution(&self) -> Option<&'static str> {
        match self {
            Geo::Mmdb(reader)
                if reader
                    .metadata()
                    .database_type
                    .to_ascii_lowercase()
                    .contains("dbip") =>
            {
                Some("IP Geolocation by DB-IP (https://db-ip.com)")
            }
            _ => None,
        }
    }

    pub fn is_mmdb(&self) -> bool {
        matches!(self, Geo::Mmdb(_))
    }

    /// ISO 3166 alpha-2 code, upper case, or `None` for private, reserved or unknown addresses.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        if !is_public(ip) {
            return None;
        }
        let code = match self {
            Geo::Embedded => iptocc::country_code(ip).map(str::to_owned),
            Geo::Mmdb(reader) => reader
                .lookup(ip)
                .ok()
                .and_then(|found| found.decode::<CountryRecord<'_>>().ok().flatten())
                .and_then(|r| r.country_code.or(r.country.and_then(|c| c.iso_code)))
                .map(str::to_owned),
        }?;
        let code = code.to_ascii_uppercase();
        (code.len() == 2 && code != "ZZ").then_some(code)
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation())
        }
        IpAddr::V6(v6) => {
            let unique_local = (v6.segments()[0] & 0xfe00) == 0xfc00;
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            !(v6.is_loopback() || v6.is_unspecified() || unique_local || link_local)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/country.mmdb")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_mmdb_fixture_answers_in_both_layouts() {
        let geo = Geo::from_setting(Some(&fixture()));
        assert!(geo.is_mmdb());
        assert_eq!(geo.country(ip("81.2.69.160")).as_deref(), Some("SE"));
        assert_eq!(geo.country(ip("2.125.160.216")).as_deref(), Some("NL"));
        assert_eq!(geo.country(ip("8.8.8.8")), None, "no record");
        assert_eq!(geo.attribution(), None);
        let dbip = Geo::from_setting(Some(&fixture().with_file_name("dbip-country.mmdb")));
        assert_eq!(dbip.country(ip("81.2.69.160")).as_deref(), Some("SE"));
        assert_eq!(
            dbip.attribution(),
            Some("IP Geolocation by DB-IP (https://db-ip.com)")
        );
    }

    #[test]
    fn the_embedded_data_needs_no_file() {
        let geo = Geo::from_setting(None);
        assert!(!geo.is_mmdb());
        assert_eq!(geo.country(ip("81.2.69.160")).as_deref(), Some("GB"));
        assert_eq!(geo.country(ip("10.0.0.1")), None);
    }

    #[test]
    fn missing_or_corrupt_files_fall_back_to_the_embedded_data() {
        let dir = std::env::temp_dir().join(format!("geo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let corrupt = dir.join("corrupt.mmdb");
        std::fs::write(&corrupt, b"this is not an mmdb file at all").unwrap();
        let truncated = dir.join("truncated.mmdb");
        let bytes = std::fs::read(fixture()).unwrap();
        std::fs::write(&truncated, &bytes[..100]).unwrap();
        for path in [dir.join("missing.mmdb"), corrupt, truncated] {
            let geo = Geo::from_setting(Some(&path));
            assert!(!geo.is_mmdb(), "{}", path.display());
            assert_eq!(geo.country(ip("81.2.69.160")).as_deref(), Some("GB"));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
