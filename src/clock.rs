//! UTC wall-clock times as text, without a date crate for a few lines:
//! report time stamps and the sortable keys of dump stores.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment in UTC: date, time of day and milliseconds.
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
    pub millis: u32,
}

impl Utc {
    pub fn at(at: SystemTime) -> Utc {
        let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = since.as_secs();
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let t = secs % 86_400;
        Utc {
            year,
            month,
            day,
            hour: t / 3600,
            minute: t / 60 % 60,
            second: t % 60,
            millis: since.subsec_millis(),
        }
    }

    pub fn now() -> Utc {
        Utc::at(SystemTime::now())
    }

    /// `2026-12-01T09:26:02Z`.
    pub fn iso_seconds(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01
/// (Howard Hinnant's well-known days-to-civil algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_788), (2026, 12, 1));
        assert_eq!(Utc::at(UNIX_EPOCH).iso_seconds(), "1970-01-01T00:00:00Z");
    }
}
