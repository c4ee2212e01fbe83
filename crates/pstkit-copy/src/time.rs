//! Date formats of the written files, from Unix seconds, without a date
//! library: RFC 5322 `Date:` values, the asctime form of mbox separator
//! lines and iCalendar UTC date-times.

use pstkit_ltp::value::civil_from_days;

use pstkit_ltp::FileTime;

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC calendar time split into its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: usize,
}

impl Civil {
    pub fn from_unix(secs: i64) -> Civil {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as usize,
        }
    }

    fn month_name(&self) -> &'static str {
        MONTHS[(self.month as usize - 1) % 12]
    }
}

/// Seconds since the Unix epoch of a FILETIME.
pub(crate) fn unix(t: FileTime) -> i64 {
    t.to_unix_seconds()
}

/// RFC 5322 date-time in UTC: `Thu, 01 Jan 1970 00:00:00 +0000`.
pub(crate) fn rfc5322(secs: i64) -> String {
    let c = Civil::from_unix(secs);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        DAYS[c.weekday],
        c.day,
        c.month_name(),
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// The asctime form of mbox `From ` lines: `Thu Jan  1 00:00:00 1970`.
pub(crate) fn asctime(secs: i64) -> String {
    let c = Civil::from_unix(secs);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[c.weekday],
        c.month_name(),
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// An iCalendar UTC DATE-TIME, `19700101T000000Z`. The format has four
/// year digits, so times outside years 0..=9999 (damaged values) are clamped.
pub fn ical_utc(secs: i64) -> String {
    // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    let secs = secs.clamp(-62_167_219_200, 253_402_300_799);
    let c = Civil::from_unix(secs);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_times() {
        assert_eq!(rfc5322(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ical_utc(0), "19700101T000000Z");
        // 2009-02-13 23:31:30 UTC, a Friday.
        assert_eq!(rfc5322(1_234_567_890), "Fri, 13 Feb 2009 23:31:30 +0000");
        assert_eq!(asctime(1_234_567_890), "Fri Feb 13 23:31:30 2009");
        assert_eq!(ical_utc(1_234_567_890), "20090213T233130Z");
        // A leap day.
        assert_eq!(rfc5322(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn before_the_epoch_and_filetime_extremes() {
        assert_eq!(rfc5322(-1), "Wed, 31 Dec 1969 23:59:59 +0000");
        // FILETIME 0 is 1601-01-01, a Monday.
        let t = unix(FileTime(0));
        assert_eq!(rfc5322(t), "Mon, 01 Jan 1601 00:00:00 +0000");
        assert_eq!(asctime(t), "Mon Jan  1 00:00:00 1601");
        // The largest FILETIME does not panic; iCalendar clamps it.
        let max = unix(FileTime(u64::MAX));
        assert!(rfc5322(max).contains(" 60056 "), "{}", rfc5322(max));
        assert_eq!(ical_utc(max), "99991231T235959Z");
    }

    #[test]
    fn filetime_conversion() {
        // 2009-02-13T23:31:30Z as a FILETIME.
        let ft = FileTime((1_234_567_890 + 11_644_473_600) * 10_000_000 + 5);
        assert_eq!(unix(ft), 1_234_567_890);
    }
}
