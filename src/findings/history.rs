//! Where a secret entered a git history: each commit that introduced it at
//! a path (a blob holding it appeared there), oldest first by the commit
//! graph, and whether HEAD still holds it.

use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Commit {
    pub id: String,
    pub author: String,
    pub email: String,
    /// The author date, RFC 3339 with the author's offset.
    pub date: String,
}

#[derive(Debug, Clone)]
pub struct Occurrence {
    /// `None` for a blob reachable only from a tag that names a tree or blob.
    pub commit: Option<Arc<Commit>>,
    pub path: String,
    pub blob: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct History {
    /// Every introduction of the secret at the finding's path, oldest first;
    /// never empty.
    pub occurrences: Vec<Occurrence>,
    /// Whether HEAD still holds the secret at this path; `None` where the
    /// scan did not ask (a range, staged changes).
    pub at_head: Option<bool>,
}

impl History {
    /// Where the secret first entered.
    pub fn first(&self) -> &Occurrence {
        &self.occurrences[0]
    }
}

/// Formats a git time (seconds since the epoch, offset in minutes) as RFC 3339.
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        offset / 60,
        offset % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_times_format_as_rfc3339() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(rfc3339(1_709_164_800, -300), "2024-02-28T19:00:00-05:00");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00+00:00");
    }
}
