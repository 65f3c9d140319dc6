//! An S3 bucket (or an S3-compatible server) through `object_store`,
//! driven from pum's synchronous code by a small runtime of its own:
//! uploads are multipart in bounded parts, downloads are read as a stream,
//! nothing is held in memory whole. Errors name the `s3://` URL and the
//! endpoint, never a key or token.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{
    ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};

use crate::error::{Error, Result};
use crate::service::Environment;

use super::aws_config::AwsSettings;

/// Size of one uploaded part: S3 wants at least 5 MiB for all but the last.
const PART_SIZE: usize = 8 << 20;
/// Parts in flight at once; with the part being filled this bounds an
/// upload's memory to about `(IN_FLIGHT + 1) × PART_SIZE`.
const IN_FLIGHT: usize = 3;

/// One bucket, its client and the runtime that drives it.
pub struct Bucket {
    store: Arc<AmazonS3>,
    rt: Arc<tokio::runtime::Runtime>,
    pub name: String,
    endpoint: String,
}

/// An object in a listing: its key and size.
#[derive(Debug, Clone)]
pub struct Object {
    pub key: String,
    pub size: u64,
}

impl Bucket {
    /// A client for `bucket` with the settings of `env` (see [`AwsSettings`]).
    pub fn open(bucket: &str, env: &Environment) -> Result<Bucket> {
        let aws = AwsSettings::resolve(env)?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&aws.region)
            .with_access_key_id(&aws.access_key_id)
            .with_secret_access_key(aws.secret_access_key.expose())
            .with_allow_http(aws.allow_http)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..Default::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(Duration::from_secs(300))
                    .with_allow_http(aws.allow_http),
            );
        if let Some(token) = &aws.session_token {
            builder = builder.with_token(token.expose());
        }
        if let Some(url) = &aws.endpoint {
            builder = builder.with_endpoint(url);
        }
        let endpoint = aws.endpoint_shown();
        let store = builder.build().map_err(|e| {
            Error::Usage(format!(
                "s3://{bucket} (endpoint {endpoint}): cannot set up the S3 client: {e}"
            ))
        })?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pum-s3")
            .enable_all()
            .build()
            .map_err(|e| Error::State(format!("cannot start the S3 client's runtime: {e}")))?;
        Ok(Bucket {
            store: Arc::new(store),
            rt: Arc::new(rt),
            name: bucket.to_string(),
            endpoint,
        })
    }

    /// `s3://bucket/key`.
    pub fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    /// The error for a failed request on `key`, naming the URL and endpoint.
    fn error(&self, key: &str, what: &str, e: object_store::Error) -> Error {
        let text = e.to_string();
        let hint = if text.contains("NoSuchBucket") {
            format!(" (bucket {} does not exist)", self.name)
        } else if matches!(e, object_store::Error::NotFound { .. }) {
            " (no such object)".to_string()
        } else {
            String::new()
        };
        Error::State(format!(
            "{} (endpoint {}): {what} failed{hint}: {text}",
            self.url(key),
            self.endpoint
        ))
    }

    /// The objects whose keys start with `prefix` (all of them when empty).
    pub fn list(&self, prefix: &str) -> Result<Vec<Object>> {
        let path = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
        let mut stream = self.store.list(path.as_ref());
        let mut out = Vec::new();
        self.rt.block_on(async {
            while let Some(item) = stream.next().await {
                let meta = item.map_err(|e| self.error(prefix, "listing", e))?;
                out.push(Object {
                    key: meta.location.to_string(),
                    size: meta.size,
                });
            }
            Ok::<_, Error>(())
        })?;
        Ok(out)
    }

    /// A small object read whole (a manifest); `None` when it does not exist.
    pub fn get_small(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = ObjectPath::from(key);
        self.rt.block_on(async {
            match self.store.get(&path).await {
                Ok(got) => got
                    .bytes()
                    .await
                    .map(|b| Some(b.to_vec()))
                    .map_err(|e| self.error(key, "reading", e)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.error(key, "reading", e)),
            }
        })
    }

    /// Writes a small object whole (a manifest).
    pub fn put_small(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let path = ObjectPath::from(key);
        self.rt
            .block_on(self.store.put(&path, PutPayload::from(bytes)))
            .map(|_| ())
            .map_err(|e| self.error(key, "writing", e))
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        let path = ObjectPath::from(key);
        self.rt
            .block_on(self.store.delete(&path))
            .map_err(|e| self.error(key, "deleting", e))
    }

    /// Starts a multipart upload to `key`: nothing is visible under `key`
    /// until [`Upload::finish`]; dropping it unfinished aborts it.
    pub fn upload(&self, key: &str) -> Result<Upload<'_>> {
        let path = ObjectPath::from(key);
        let upload = self
            .rt
            .block_on(self.store.put_multipart(&path))
            .map_err(|e| self.error(key, "starting the upload", e))?;
        Ok(Upload {
            bucket: self,
            key: key.to_string(),
            writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)),
            failed: None,
        })
    }

    /// The object at `key` as a stream of bytes.
    pub fn download(&self, key: &str) -> Result<Download> {
        let path = ObjectPath::from(key);
        let got = self
            .rt
            .block_on(self.store.get(&path))
            .map_err(|e| self.error(key, "reading", e))?;
        Ok(Download {
            rt: Arc::clone(&self.rt),
            shown: format!("{} (endpoint {})", self.url(key), self.endpoint),
            stream: got.into_stream(),
            pending: Bytes::new(),
        })
    }
}

/// A multipart upload written through [`Write`].
pub struct Upload<'a> {
    bucket: &'a Bucket,
    key: String,
    writer: Option<WriteMultipart>,
    /// The first failure, kept to be reported by [`Upload::finish`].
    failed: Option<String>,
}

impl Upload<'_> {
    /// Completes the upload: the object appears under its key whole.
    pub fn finish(mut self) -> Result<()> {
        let writer = self.writer.take().expect("upload still open");
        if let Some(why) = self.failed.take() {
            let _ = self.bucket.rt.block_on(writer.abort());
            return Err(Error::State(why));
        }
        let _guard = self.bucket.rt.enter();
        self.bucket
            .rt
            .block_on(writer.finish())
            .map(|_| ())
            .map_err(|e| self.bucket.error(&self.key, "completing the upload", e))
    }

    /// Aborts the upload: the parts sent so far are discarded by the server.
    pub fn abort(mut self) -> Result<()> {
        let writer = self.writer.take().expect("upload still open");
        self.bucket
            .rt
            .block_on(writer.abort())
            .map_err(|e| self.bucket.error(&self.key, "aborting the upload", e))
    }
}

impl Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let writer = self.writer.as_mut().expect("upload still open");
        let _guard = self.bucket.rt.enter();
        if let Err(e) = self.bucket.rt.block_on(writer.wait_for_capacity(IN_FLIGHT)) {
            let err = self.bucket.error(&self.key, "uploading a part", e);
            self.failed = Some(err.to_string());
            return Err(std::io::Error::other(err.to_string()));
        }
        writer.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            let _ = self.bucket.rt.block_on(writer.abort());
        }
    }
}

/// An object read through [`Read`], one network chunk at a time.
pub struct Download {
    rt: Arc<tokio::runtime::Runtime>,
    /// The URL and endpoint, for errors.
    shown: String,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    pending: Bytes,
}

impl Read for Download {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            match self.rt.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(chunk)) => self.pending = chunk,
                Some(Err(e)) => {
                    return Err(std::io::Error::other(format!(
                        "{}: reading failed: {e}",
                        self.shown
                    )));
                }
            }
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}
