//! Time from event timestamps.
//!
//! A plugin's clock is the timestamp of the event it handles (RFC 3339): the
//! guest's own clock may be frozen by the host, and scenario tests replay
//! fixed timestamps. These helpers turn such a timestamp into numbers.

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp
/// (`2024-01-01T00:00:00Z`, `2024-01-01T01:00:00.250+01:00`; a space instead
/// of `T` and a lowercase `t`/`z` are accepted). Fractions beyond
/// milliseconds are truncated. `None` for anything else.
pub fn rfc3339_to_unix_millis(ts: &str) -> Option<i64> {
    let b = ts.trim().as_bytes();
    let num = |s: &[u8]| -> Option<i64> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    if b.len() < 20 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // 60 allows a leap second; it counts as the next second's start.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let frac = &rest[1..1 + digits];
        for i in 0..3 {
            millis = millis * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0'));
        }
        rest = &rest[1 + digits..];
    }
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (oh, om) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 60 + om;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::rfc3339_to_unix_millis as ms;

    #[test]
    fn parses() {
        assert_eq!(ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(ms("2024-01-01T00:00:00Z"), Some(1_704_067_200_000));
        assert_eq!(ms("2024-01-01T00:00:01.5Z"), Some(1_704_067_201_500));
        assert_eq!(ms("2024-01-01T00:00:01.123456789Z"), Some(1_704_067_201_123));
        assert_eq!(ms("2024-01-01T01:00:00+01:00"), Some(1_704_067_200_000));
        assert_eq!(ms("2023-12-31T19:00:00-05:00"), Some(1_704_067_200_000));
        assert_eq!(ms("2024-02-29T12:00:00Z"), Some(1_709_208_000_000));
        assert_eq!(ms("1969-12-31T23:59:59Z"), Some(-1_000));
    }

    #[test]
    fn rejects() {
        for bad in ["", "2024-01-01", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z",
                    "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z",
                    "2024-01-01T00:00:00+0100", "not a timestamp at all"] {
            assert_eq!(ms(bad), None, "{bad}");
        }
    }
}
