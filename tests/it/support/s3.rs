//! A real S3-compatible server for the store tests: ONE `moto_server`
//! (PyPI's `moto[server]`, installed by `.ci/run`) per test run on a free
//! loopback port, buckets made per test, and a few plain HTTP requests to
//! look at (or damage) what pum wrote. Missing `moto_server` fails the tests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::Pum;

/// The secret key every store test hands pum: it must never be printed.
pub const SECRET: &str = "pumTestSecretKey0123456789abcdefXYZ";
pub const KEY_ID: &str = "pumtestkeyid";

static SERVER: OnceLock<Server> = OnceLock::new();
static CHILD: Mutex<Option<Child>> = Mutex::new(None);
static BUCKETS: AtomicUsize = AtomicUsize::new(0);

pub struct Server {
    pub port: u16,
}

extern "C" fn stop_server() {
    if let Ok(mut child) = CHILD.lock() {
        if let Some(c) = child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The shared server, started on first use.
pub fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto_server ({e}): the S3 store tests need it; pip install 'moto[server]'")
            });
        *CHILD.lock().unwrap() = Some(child);
        // SAFETY: registering a plain extern "C" function with atexit.
        unsafe {
            libc::atexit(stop_server);
        }
        let server = Server { port };
        super::wait_up_to(
            std::time::Duration::from_secs(30),
            "moto_server answers",
            || server.try_request("GET", "/", &[]).is_ok(),
        );
        server
    })
}

impl Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new, empty bucket.
    pub fn bucket(&self) -> String {
        let name = format!(
            "pum-test-{}-{}",
            std::process::id(),
            BUCKETS.fetch_add(1, Ordering::SeqCst)
        );
        let (status, body) = self.request("PUT", &format!("/{name}"), &[]);
        assert!(status == 200, "creating bucket {name}: {status} {body}");
        name
    }

    /// Every key in `bucket`.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{bucket}?list-type=2"), &[]);
        assert_eq!(status, 200, "{body}");
        tags(&body, "Key")
    }

    /// The multipart uploads begun and neither completed nor aborted.
    pub fn open_uploads(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{bucket}?uploads"), &[]);
        assert_eq!(status, 200, "{body}");
        tags(&body, "UploadId")
    }

    /// Objects are private to the key that wrote them: reading and
    /// replacing one goes through a signed client with the test key.
    fn client(&self, bucket: &str) -> pum::store::s3::Bucket {
        let env = pum::service::Environment::from_vars(
            [
                ("AWS_ACCESS_KEY_ID", KEY_ID.to_string()),
                ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
                ("AWS_ENDPOINT_URL", self.endpoint()),
                ("AWS_ALLOW_HTTP", "true".to_string()),
            ],
            None,
        );
        pum::store::s3::Bucket::open(bucket, &env).expect("an S3 client for the test server")
    }

    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        self.client(bucket)
            .put_small(key, bytes.to_vec())
            .expect("replace the object");
    }

    pub fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.client(bucket)
            .get_small(key)
            .expect("read the object")
            .expect("the object exists")
    }

    /// `pum` with this server's endpoint and the test credentials.
    pub fn pum(&self, pum: Pum) -> Pum {
        pum.env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ALLOW_HTTP", "true")
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let (status, bytes) = self.request_bytes(method, path, body);
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn request_bytes(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        self.try_request(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// One HTTP/1.0 request (the server closes the connection after it).
    fn try_request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port))?;
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\r\n",
            self.port,
            body.len()
        );
        conn.write_all(head.as_bytes())?;
        conn.write_all(body)?;
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no HTTP header"))?;
        let status = String::from_utf8_lossy(&raw[..split])
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
        Ok((status, raw[split + 4..].to_vec()))
    }
}

/// The text of every `<tag>…</tag>` in `xml`.
fn tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|part| part.split_once(&close).map(|(v, _)| v.to_string()))
        .collect()
}
