//! Reads the text around a finding for where its token is used: a Sonar
//! server URL (`sonar.host.url=…`, `SONAR_HOST_URL: …`, a URL on the token's
//! own line), SonarQube Cloud markers, and the US region.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::findings::Hints;

static HOST_KEY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    crate::engine::compile(
        r#"(?i)(?:sonar[._-]?host[._-]?url|sonarqube[._-]?(?:host[._-]?)?url|sonar[._-]?(?:server[._-]?)?url|serverUrl)["']?[ \t]*(?:=>|[:=>])[ \t]*["']?(https?://[^\s"'<>`]+)"#,
    )
    .ok()
});
static SONAR_URL: LazyLock<Option<Regex>> =
    LazyLock::new(|| crate::engine::compile(r#"(?i)https?://(?:[^\s/@"'<>]*@)?[^\s/"'<>]*sonar[^\s"'<>`]*"#).ok());
static CLOUD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    crate::engine::compile(r"(?i)sonarcloud|sonarqube\.us|sonar[._-]?organization|sonarcloud-github-action").ok()
});
static REGION_US: LazyLock<Option<Regex>> = LazyLock::new(|| {
    crate::engine::compile(r#"(?i)sonar[._-]?region["']?[ \t]*[:=][ \t]*["']?us\b|sonarqube\.us"#).ok()
});

/// What a whole file or blob says: read once, however many tokens it holds.
pub fn in_file(text: &[u8]) -> Hints {
    let find = |regex: &LazyLock<Option<Regex>>| regex.as_ref().is_some_and(|r| r.is_match(text));
    let host = HOST_KEY.as_ref().and_then(|r| r.captures(text)).and_then(|c| c.get(1)).map(|m| lossy(m.as_bytes()));
    Hints { host, cloud: find(&CLOUD), region_us: find(&REGION_US) }
}

/// The file's hints for one token's `line`: without a host key in the
/// file, a Sonar URL on the line names the server.
pub fn on_line(file: &Hints, line: &[u8]) -> Hints {
    let mut hints = file.clone();
    if hints.host.is_none() {
        hints.host = SONAR_URL.as_ref().and_then(|r| r.find(line)).map(|m| lossy(m.as_bytes()));
    }
    hints
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(text: &[u8], line: &[u8]) -> Hints {
        on_line(&in_file(text), line)
    }

    #[test]
    fn a_host_key_anywhere_in_the_file_names_the_server() {
        let text = b"sonar.projectKey=x\nsonar.host.url=https://sonar.acme.io/sonar\nsonar.login=abc\n";
        let found = hints(text, b"sonar.login=abc");
        assert_eq!(found.host.as_deref(), Some("https://sonar.acme.io/sonar"));
        assert!(!found.cloud && !found.region_us);
        let found = hints(b"-Dsonar.host.url=\"https://sonarcloud.io\"", b"");
        assert_eq!(found.host.as_deref(), Some("https://sonarcloud.io"));
        assert!(found.cloud);
    }

    #[test]
    fn a_url_on_the_token_line_names_the_server() {
        let line = b"curl -u abc: https://sonar.corp.example:9000/api/projects/search";
        assert_eq!(hints(line, line).host.as_deref(), Some("https://sonar.corp.example:9000/api/projects/search"));
    }

    #[test]
    fn the_us_region_is_recognised() {
        assert!(hints(b"sonar.region=us\n", b"").region_us);
        assert!(hints(b"SONAR_REGION: \"us\"\n", b"").region_us);
        assert!(hints(b"url: https://sonarqube.us\n", b"").region_us);
        assert!(!hints(b"sonar.region=eu\n", b"").region_us);
    }
}
