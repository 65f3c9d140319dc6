//! Writing a dump into a store: under its key in a local directory (through
//! the ordinary file dump, with its atomic placement), or streamed into an
//! S3 multipart upload that is completed only when pg_dump succeeded and
//! the manifest is written — any failure aborts the upload, so nothing
//! half-written stays in the bucket.

use std::path::PathBuf;

use crate::dump::{self, manifest::Manifest, DumpInfo, DumpOptions, Tools};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::{ConnParams, Environment};

use super::key::{manifest_key, DumpKey};
use super::s3::Bucket;
use super::{object_key, Location};

/// What a dump into a store needs besides the database.
pub struct Put<'a> {
    pub opts: &'a DumpOptions,
    pub tools: &'a Tools,
    pub printer: &'a Printer,
    pub env: &'a Environment,
}

impl Put<'_> {
    /// Dumps the database of `params` into the store at `location` under a
    /// new key (`<database>/<now>[.<name>].dump`).
    pub fn to_store(
        &self,
        location: &Location,
        name: Option<&str>,
        params: &ConnParams,
    ) -> Result<DumpInfo> {
        if self.opts.format != crate::dump::DumpFormat::Custom || self.opts.jobs.is_some() {
            return Err(Error::Usage(
                "a store holds custom archives: -F directory|plain and -j need a FILE".into(),
            ));
        }
        let key = DumpKey::now(params.dbname(), name)?;
        match location {
            Location::Local(dir) => {
                let folder = dir.join(&key.database);
                // Private like the dumps: new folders are 0700.
                std::os::unix::fs::DirBuilderExt::mode(
                    std::fs::DirBuilder::new().recursive(true),
                    0o700,
                )
                .create(&folder)
                .map_err(|e| Error::io(&folder, e))?;
                let path = folder.join(key.file_name());
                dump::dump(params, &path, self.opts, self.tools, self.printer)
            }
            Location::S3 { bucket, prefix } => {
                let bucket = Bucket::open(bucket, self.env)?;
                self.write_object(&bucket, &object_key(prefix, &key.relative()), params)
            }
        }
    }

    /// Dumps the database of `params` to the one object `url`
    /// (`s3://bucket/key.dump`), its manifest beside it.
    pub fn to_url(&self, url: &str, params: &ConnParams) -> Result<DumpInfo> {
        let (bucket, key) = split_object_url(url)?;
        let bucket = Bucket::open(&bucket, self.env)?;
        if !self.opts.overwrite && bucket.get_small(&manifest_key(&key))?.is_some() {
            return Err(Error::Refused(format!(
                "{url} exists; refusing to overwrite it (pass --overwrite to replace it)"
            )));
        }
        self.write_object(&bucket, &key, params)
    }

    fn write_object(&self, bucket: &Bucket, key: &str, params: &ConnParams) -> Result<DumpInfo> {
        let url = bucket.url(key);
        let file_name = key.rsplit('/').next().unwrap_or(key);
        let mut upload = bucket.upload(key)?;
        let dumped = dump::dump_to(
            params,
            self.opts,
            self.tools,
            self.printer,
            file_name,
            &mut upload,
        );
        let (manifest, ms) = match dumped {
            Ok(done) => done,
            Err(e) => {
                let phrase = match upload.abort() {
                    Ok(()) => format!("nothing written to {url} (the upload was aborted)"),
                    Err(_) => format!("the upload to {url} could not be aborted: the bucket's lifecycle rules will clear it"),
                };
                return Err(with_phrase(e, phrase));
            }
        };
        // The manifest first: a manifest without its dump is plainly
        // incomplete, while the dump itself appears only once whole.
        let mkey = manifest_key(key);
        if let Err(e) = bucket.put_small(&mkey, manifest_json(&manifest)) {
            let _ = upload.abort();
            return Err(with_phrase(e, format!("nothing written to {url}")));
        }
        if let Err(e) = upload.finish() {
            let _ = bucket.delete(&mkey);
            return Err(with_phrase(e, format!("nothing written to {url}")));
        }
        Ok(DumpInfo::from_manifest(
            PathBuf::from(&url),
            PathBuf::from(bucket.url(&mkey)),
            &manifest,
            ms,
        ))
    }
}

/// `s3://bucket/key.dump` → (bucket, key).
pub fn split_object_url(url: &str) -> Result<(String, String)> {
    match Location::parse(url)? {
        Location::S3 { bucket, prefix } if prefix.ends_with(super::key::DUMP_SUFFIX) => {
            Ok((bucket, prefix))
        }
        _ => Err(Error::Usage(format!(
            "{url}: name the dump object as s3://BUCKET/KEY.dump (or pass --store LOCATION)"
        ))),
    }
}

fn manifest_json(manifest: &Manifest) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(manifest).expect("manifests always serialise");
    text.push(b'\n');
    text
}

/// Adds what was left behind to an interruption's line, and to any other
/// error's message.
fn with_phrase(e: Error, phrase: String) -> Error {
    match e {
        e @ Error::Interrupted { .. } => crate::interrupt::with_state(e, phrase),
        Error::State(m) => Error::State(format!("{m}; {phrase}")),
        other => Error::State(format!("{other}; {phrase}")),
    }
}
