//! A minimal blocking HTTP/1.1 client for tests and benches against the
//! services on loopback: one request per connection, the whole answer
//! read. Raw on purpose: tests also need to send what a real client never
//! would (a Content-Length far beyond the body).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// An HTTP answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `head` (request line and headers, without the blank line) and
/// `body`, and reads the answer. `Content-Length` is added from `body`
/// unless `head` has one.
pub fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = head.trim_end().to_owned();
    request.push_str("\r\nHost: localhost\r\nConnection: close");
    if !head.to_ascii_lowercase().contains("content-length") {
        request.push_str(&format!("\r\nContent-Length: {}", body.len()));
    }
    request.push_str("\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    // The server may answer (413) and close before taking the body.
    let _ = stream.write_all(body);
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    parse(&bytes)
}

fn parse(bytes: &[u8]) -> std::io::Result<Answer> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&bytes[..line_end]).ok()?.trim(), 16).ok()?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(bytes.get(..size)?);
        bytes = bytes.get(size + 2..)?;
    }
}

/// `GET path`.
pub fn get(addr: SocketAddr, path: &str) -> Answer {
    raw(addr, &format!("GET {path} HTTP/1.1"), &[]).expect("GET")
}

/// `POST path` with a body of `content_type`, and extra header lines.
pub fn post(addr: SocketAddr, path: &str, content_type: &str, extra: &str, body: &[u8]) -> Answer {
    let mut head = format!("POST {path} HTTP/1.1\r\nContent-Type: {content_type}");
    if !extra.is_empty() {
        head.push_str("\r\n");
        head.push_str(extra);
    }
    raw(addr, &head, body).expect("POST")
}
