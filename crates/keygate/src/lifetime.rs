//! Lifetime settings with units: `30s`, `15m`, `1h`, `365d` (any unit `humantime` reads), or a
//! plain number of seconds as before. Short values let a test suite watch tokens expire.

use std::str::FromStr;

use serde::Deserialize;

/// A lifetime in whole seconds, at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetime(pub i64);

/// Why a lifetime could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a lifetime: use seconds (3600) or a number with a unit (30s, 15m, 1h, 365d)")]
pub(crate) struct LifetimeError(String);

impl FromStr for Lifetime {
    type Err = LifetimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let seconds = match t.parse::<i64>() {
            Ok(n) => n,
            Err(_) => humantime::parse_duration(t)
                .ok()
                .and_then(|d| i64::try_from(d.as_secs()).ok())
                .ok_or_else(|| LifetimeError(s.to_owned()))?,
        };
        if seconds <= 0 {
            return Err(LifetimeError(s.to_owned()));
        }
        Ok(Self(seconds))
    }
}

impl<'de> Deserialize<'de> for Lifetime {
    /// A config file may say `3600` or `"1h"`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Seconds(n) => n.to_string().parse(),
            Raw::Text(s) => s.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_plain_seconds_and_every_common_unit() {
        for (text, seconds) in [
            ("3600", 3600),
            ("30s", 30),
            ("15m", 900),
            ("1h", 3600),
            ("365d", 365 * 86400),
            (" 2h 30m ", 9000),
        ] {
            assert_eq!(
                text.parse::<Lifetime>().unwrap(),
                Lifetime(seconds),
                "{text}"
            );
        }
    }

    #[test]
    fn zero_negative_and_unknown_lifetimes_are_refused() {
        for text in ["0", "-5", "0s", "soon", "", "5 parsecs"] {
            assert!(text.parse::<Lifetime>().is_err(), "{text}");
        }
    }

    #[test]
    fn a_config_file_may_give_a_lifetime_as_a_number_or_a_string() {
        #[derive(Deserialize)]
        struct File {
            a: Lifetime,
            b: Lifetime,
        }
        let f: File = toml::from_str("a = 60\nb = \"2m\"").unwrap();
        assert_eq!((f.a, f.b), (Lifetime(60), Lifetime(120)));
        assert!(toml::from_str::<File>("a = 0\nb = \"2m\"").is_err());
    }
}
