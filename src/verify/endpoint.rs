//! Where a token may be sent. HTTPS only, except plain HTTP to this
//! machine's loopback addresses (for tests); SonarQube Cloud is the EU and
//! US regions' official hosts, overridable for tests through
//! `SQSCAN_SONARCLOUD_URL` and `SQSCAN_SONARQUBE_US_URL`.

/// A base URL a token may be sent to: `scheme://host[:port][/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
    host: String,
}

pub const SONARCLOUD_EU: &str = "https://sonarcloud.io";
pub const SONARCLOUD_US: &str = "https://sonarqube.us";

impl Endpoint {
    /// Parses and checks a base URL: HTTPS, or HTTP to loopback only. A
    /// trailing `/` and anything from `/api/` on are dropped.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or_else(|| format!("{url:?} is not a URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        // Credentials in the URL are never sent along.
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let (host, port) = split_authority(authority);
        let host = normalise_host(host).map_err(|why| format!("{url:?}: {why}"))?;
        if port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(format!("{url:?} has a bad port"));
        }
        match scheme.as_str() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(format!("{url:?}: tokens are only sent over HTTPS (plain HTTP only to this machine)"));
            }
            other => return Err(format!("{url:?}: unsupported scheme {other:?}")),
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = path.split("/api/").next().unwrap_or("").trim_end_matches('/');
        let shown_host = if host.contains(':') { format!("[{host}]") } else { host.clone() };
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        Ok(Endpoint { base: format!("{scheme}://{shown_host}{port}{path}"), host })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL of an API path (`/api/...`) under this base.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The host and port of `host[:port]` or `[v6]:port`.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':'));
    }
    match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// A host as every policy decision sees it: lower-case, without the
/// trailing dot of a fully qualified name (`sonarcloud.io.` is
/// `sonarcloud.io`). Names that resolve in ways a plain comparison cannot
/// follow (IDNA, where `sonarcloud。io` is `sonarcloud.io`; percent-escapes)
/// are refused: no token goes to them.
fn normalise_host(host: &str) -> Result<String, String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err("no host".to_string());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':');
    if !host.chars().all(allowed) || host.contains("..") {
        return Err("not a plain ASCII host name (internationalised or escaped names are not sent tokens)".to_string());
    }
    Ok(host)
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// SonarQube Cloud's two regions.
#[derive(Debug, Clone)]
pub struct CloudRegions {
    pub eu: Endpoint,
    pub us: Endpoint,
}

impl CloudRegions {
    /// The official hosts, or the test overrides from the environment.
    pub fn from_env() -> Result<CloudRegions, String> {
        let pick = |var: &str, default: &str| {
            let url = std::env::var(var).unwrap_or_else(|_| default.to_string());
            Endpoint::parse(&url).map_err(|e| format!("{var}: {e}"))
        };
        Ok(CloudRegions {
            eu: pick("SQSCAN_SONARCLOUD_URL", SONARCLOUD_EU)?,
            us: pick("SQSCAN_SONARQUBE_US_URL", SONARCLOUD_US)?,
        })
    }

    /// Whether `endpoint` is SonarQube Cloud, where Server tokens never go.
    pub fn is_cloud(&self, endpoint: &Endpoint) -> bool {
        let host = endpoint.host();
        let official = ["sonarcloud.io", "sonarqube.us"]
            .iter()
            .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")));
        official || endpoint.base == self.eu.base || endpoint.base == self.us.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        assert_eq!(Endpoint::parse("https://sonar.acme.io/").unwrap().base(), "https://sonar.acme.io");
        assert_eq!(
            Endpoint::parse("https://corp.example/sonar/api/system/status").unwrap().base(),
            "https://corp.example/sonar"
        );
        assert_eq!(Endpoint::parse("http://127.0.0.1:9000").unwrap().host(), "127.0.0.1");
        assert_eq!(Endpoint::parse("http://[::1]:9000").unwrap().host(), "::1");
        assert!(Endpoint::parse("http://localhost:9000").is_ok());
        assert_eq!(Endpoint::parse("http://[::1]:9000/x").unwrap().base(), "http://[::1]:9000/x");
        assert!(Endpoint::parse("http://sonar.acme.io").unwrap_err().contains("HTTPS"));
        assert!(Endpoint::parse("ftp://sonar.acme.io").is_err());
        assert!(Endpoint::parse("sonar.acme.io").is_err());
    }

    #[test]
    fn credentials_in_a_url_are_dropped() {
        let endpoint = Endpoint::parse("https://user:pass@sonar.acme.io:8443/x").unwrap();
        assert_eq!(endpoint.base(), "https://sonar.acme.io:8443/x");
    }

    #[test]
    fn cloud_hosts_are_recognised() {
        let regions =
            CloudRegions { eu: Endpoint::parse(SONARCLOUD_EU).unwrap(), us: Endpoint::parse(SONARCLOUD_US).unwrap() };
        for cloud in ["https://sonarcloud.io", "https://api.sonarcloud.io", "https://sonarqube.us"] {
            assert!(regions.is_cloud(&Endpoint::parse(cloud).unwrap()), "{cloud}");
        }
        assert!(!regions.is_cloud(&Endpoint::parse("https://sonar.acme.io").unwrap()));
        assert!(!regions.is_cloud(&Endpoint::parse("https://notsonarcloud.io").unwrap()));
    }

    /// Issue 14.11: `https://sonarcloud.io.` was not Cloud, so a Server
    /// token next to it could be sent there with --verify-found-hosts.
    #[test]
    fn hosts_are_normalised_before_any_policy_decision() {
        let regions =
            CloudRegions { eu: Endpoint::parse(SONARCLOUD_EU).unwrap(), us: Endpoint::parse(SONARCLOUD_US).unwrap() };
        for cloud in ["https://sonarcloud.io.", "https://SonarCloud.IO./api/x", "https://API.sonarqube.us.:443"] {
            let endpoint = Endpoint::parse(cloud).unwrap();
            assert!(regions.is_cloud(&endpoint), "{cloud}: {endpoint:?}");
        }
        assert_eq!(Endpoint::parse("https://sonarcloud.io.:443").unwrap().base(), "https://sonarcloud.io:443");
        for refused in
            ["https://sonarcloud\u{3002}io", "https://xn--sonar.io%2e", "https://sonar..io", "https://a.io:x"]
        {
            assert!(Endpoint::parse(refused).is_err(), "{refused}");
        }
    }
}
