//! `git http-backend` behind a loopback HTTP server that asks for Basic
//! credentials, as a forge does: clones through it work only when git is
//! given the right user name and token.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

pub struct GitHttp {
    pub port: u16,
    /// The `Authorization` headers git sent, in order (None: without one).
    pub seen: Arc<Mutex<Vec<Option<String>>>>,
}

impl GitHttp {
    /// Serves the repositories under `root`, to `user`:`token` only.
    pub fn start(root: &Path, user: &str, token: &str) -> GitHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let expected = format!("Basic {}", base64(&format!("{user}:{token}")));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (root, log) = (root.to_path_buf(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, expected, log) = (root.clone(), expected.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &root, &expected, &log));
            }
        });
        GitHttp { port, seen }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}

fn serve(stream: TcpStream, root: &PathBuf, expected: &str, log: &Mutex<Vec<Option<String>>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or("GET").to_string(), parts.next().unwrap_or("/").to_string());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let authorization = header("authorization");
    log.lock().unwrap().push(authorization.clone());
    let mut out = stream;
    if authorization.as_deref() != Some(expected) {
        let _ = out.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let mut body = Vec::new();
    if let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(length, 0);
        let _ = reader.read_exact(&mut body);
    } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            let _ = reader.read_line(&mut size);
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                let _ = reader.read_line(&mut size);
                break;
            }
            let mut chunk = vec![0; n + 2];
            let _ = reader.read_exact(&mut chunk);
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("GIT_PROTOCOL", header("git-protocol").unwrap_or_default())
        .env("REMOTE_USER", "git")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git http-backend");
    let _ = cgi.stdin.take().expect("stdin").write_all(&body);
    let output = cgi.wait_with_output().expect("http-backend output");
    let split = output.stdout.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, 4));
    let split = split.or_else(|| output.stdout.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let Some((at, gap)) = split else { return };
    let head = String::from_utf8_lossy(&output.stdout[..at]).to_string();
    let status = head
        .lines()
        .find_map(|l| l.strip_prefix("Status:").map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "200 OK".to_string());
    let rest = &output.stdout[at + gap..];
    let mut response = format!("HTTP/1.1 {status}\r\n");
    for line in head.lines().filter(|l| !l.starts_with("Status:")) {
        response.push_str(line.trim_end());
        response.push_str("\r\n");
    }
    response.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", rest.len()));
    let _ = out.write_all(response.as_bytes());
    let _ = out.write_all(rest);
}

fn base64(text: &str) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
