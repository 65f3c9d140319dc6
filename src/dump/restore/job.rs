//! Running `pg_restore` for one restore job: the arguments every run gets,
//! the schema-wise passes (definitions, data, indexes, then foreign keys,
//! each over every archive), and the stream from a live `pg_dump` with its
//! failures told apart from the `pg_restore` failures they cause.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;

use sha2::Digest;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::output::Printer;
use crate::service::ConnParams;

use super::super::child::{ChildRun, Tools};
use super::super::manifest::{DumpKind, FileEntry, Manifest};
use super::super::progress::Progress;
use super::{OpenStream, RestoreOptions};

/// What a restore reads.
#[derive(Clone, Copy)]
pub(super) enum Source<'a> {
    /// A dump on disk.
    Archive(&'a Path),
    /// A live database, streamed through `pg_dump -Fc | pg_restore`.
    Live(&'a ConnParams),
    /// A custom archive read from a stream (a store's object); with
    /// `expected`, what it must hash to.
    Stream {
        open: &'a OpenStream<'a>,
        expected: Option<&'a FileEntry>,
    },
}

/// One restore to run, independent of where it goes: what to read, how,
/// and with which programs.
pub(super) struct RestoreJob<'a> {
    pub source: Source<'a>,
    pub kind: DumpKind,
    pub manifest: Option<&'a Manifest>,
    pub opts: &'a RestoreOptions,
    pub tools: &'a Tools,
    pub printer: &'a Printer,
}

impl RestoreJob<'_> {
    /// Runs pg_restore into `params`' database; returns the number of
    /// errors ignored. `shown` is the database name the user knows (a swap
    /// restores into a temporary one).
    pub fn run(&self, params: &ConnParams, shown: &str) -> Result<u64> {
        let progress = Progress::new(self.printer, &format!("restoring {shown}"), false);
        let result = if self.kind == DumpKind::SchemaWise {
            self.run_schema_wise(params, &progress)
        } else {
            let mut args = self.common_args(&progress);
            for s in &self.opts.schemas {
                args.push(format!("--schema={s}").into());
            }
            for s in &self.opts.exclude_schemas {
                args.push(format!("--exclude-schema={s}").into());
            }
            match self.source {
                Source::Archive(path) => {
                    args.push(path.as_os_str().to_os_string());
                    self.pg_restore(params, args, &progress)
                }
                Source::Live(from) => self.pg_restore_streamed(from, params, args, &progress),
                Source::Stream { open, expected } => {
                    self.pg_restore_fed(params, args, &progress, open, expected)
                }
            }
        };
        progress.finish();
        result
    }

    /// Each archive holds one schema; restoring all definitions first, then
    /// all data, then all indexes and constraints lets a foreign key in one
    /// schema point at a table in another, whatever the file order.
    fn run_schema_wise(&self, params: &ConnParams, progress: &Progress) -> Result<u64> {
        let manifest = self.manifest.expect("checked by the caller");
        let Source::Archive(source) = self.source else {
            unreachable!("a stream is one custom archive")
        };
        let files: Vec<_> = manifest
            .files
            .iter()
            .filter(|f| {
                let schema = f.schema.as_deref().unwrap_or_default();
                (self.opts.schemas.is_empty() || self.opts.schemas.iter().any(|s| s == schema))
                    && !self.opts.exclude_schemas.iter().any(|s| s == schema)
            })
            .collect();
        // Each archive is restored through a list file (`pg_restore -L`):
        // `pg_dump -n public` writes `CREATE SCHEMA public`, which every new
        // (or cleaned) database already has, and foreign keys must wait for
        // the primary keys of every schema, so they get a pass of their own.
        let mut lists = Vec::new();
        for file in &files {
            lists.push(self.split_list(
                &source.join(&file.path),
                file.schema.as_deref() == Some("public"),
            )?);
        }
        let mut errors = 0;
        let passes = [
            ("pre-data", false),
            ("data", false),
            ("post-data", false),
            ("post-data", true),
        ];
        for (section, foreign_keys) in passes {
            for (file, (main, fks)) in files.iter().zip(&lists) {
                let list = if foreign_keys { fks } else { main };
                let Some(list) = list else { continue };
                let mut args = self.common_args(progress);
                args.push(format!("--section={section}").into());
                let mut arg = OsString::from("--use-list=");
                arg.push(list.path());
                args.push(arg);
                args.push(source.join(&file.path).into_os_string());
                errors += self.pg_restore(params, args, progress)?;
            }
        }
        Ok(errors)
    }

    /// The archive's table of contents split in two list files: everything
    /// but foreign keys (and without `CREATE SCHEMA public` when
    /// `skip_public`), and the foreign keys alone (`None` when there are none).
    fn split_list(
        &self,
        archive: &Path,
        skip_public: bool,
    ) -> Result<(
        Option<tempfile::NamedTempFile>,
        Option<tempfile::NamedTempFile>,
    )> {
        let toc = self.tools.pg_restore_list(archive)?;
        let (mut main, mut fks) = (String::new(), String::new());
        for line in toc.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with(';') || words.len() < 5 || !words[0].ends_with(';') {
                continue;
            }
            if words[3] == "FK" && words[4] == "CONSTRAINT" {
                fks.push_str(line);
                fks.push('\n');
            } else if !(skip_public && is_schema_entry(line, "public")) {
                main.push_str(line);
                main.push('\n');
            }
        }
        Ok((list_file(&main)?, list_file(&fks)?))
    }

    fn common_args(&self, progress: &Progress) -> Vec<OsString> {
        // An empty --dbname makes pg_restore connect (rather than print a
        // script) while libpq takes the database from PGDATABASE: the
        // command line carries no connection detail at all.
        let mut args: Vec<OsString> = vec!["--dbname=".into()];
        if progress.visible() {
            args.push("--verbose".into());
        }
        if self.opts.exit_on_error {
            args.push("--exit-on-error".into());
        }
        if self.opts.no_owner {
            args.push("--no-owner".into());
        }
        if let Some(j) = self.opts.jobs {
            args.push(format!("--jobs={j}").into());
        }
        args
    }

    /// `pg_dump -Fc` of `from` piped into pg_restore; a failure of
    /// pg_dump is reported as such, since pg_restore only sees the stream end.
    fn pg_restore_streamed(
        &self,
        from: &ConnParams,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
    ) -> Result<u64> {
        use std::io::Read;
        use std::process::{Command, Stdio};
        let mut dump = Command::new(&self.tools.pg_dump);
        dump.arg("--format=custom")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        from.export_to(&mut dump, None);
        for key in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            dump.env_remove(key);
        }
        let mut child = dump
            .spawn()
            .map_err(|e| Error::io(&self.tools.pg_dump, e))?;
        let _watch = crate::interrupt::watch_child(&child);
        let stream = child.stdout.take().expect("stdout was piped");
        let mut dump_stderr = child.stderr.take().expect("stderr was piped");
        let drain = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = dump_stderr.read_to_string(&mut text);
            text
        });
        let restored = self.pg_restore_from(params, args, progress, Stdio::from(stream));
        let mut killed = false;
        if restored.is_err() {
            // A pg_dump that failed has closed the stream, which is what
            // made pg_restore fail ("input file is too short"): give it a
            // moment to be seen exiting before stopping one that still runs
            // and would stay blocked on the pipe.
            if !exited_within(&mut child, std::time::Duration::from_secs(2)) {
                let _ = child.kill();
                killed = true;
            }
        }
        let status = child
            .wait()
            .map_err(|e| Error::io(&self.tools.pg_dump, e))?;
        let stderr = drain.join().unwrap_or_default();
        // A pg_dump ended by the closed pipe only followed pg_restore's failure.
        let broken_pipe = std::os::unix::process::ExitStatusExt::signal(&status)
            == Some(libc::SIGPIPE)
            || stderr.contains("Broken pipe");
        if status.success() || killed || (restored.is_err() && broken_pipe) {
            return restored;
        }
        // The producer's failure is the cause; the consumer's only follows.
        let mut stderr = stderr.trim().to_string();
        if let Err(consumer) = &restored {
            stderr.push_str(&format!(
                "\n  then, reading the cut-off stream: {}",
                consumer.to_string().replace('\n', "\n    ")
            ));
        }
        let err = Error::Child {
            program: "pg_dump".into(),
            command: format!("{} --format=custom", self.tools.pg_dump.display()),
            status: status.to_string(),
            stderr,
        };
        Err(crate::interrupt::mark(err, "pg_dump"))
    }

    /// pg_restore reading its standard input from `open`'s stream, hashed
    /// on the way: a stream that does not hash as `expected` fails the run
    /// even when pg_restore did not notice.
    fn pg_restore_fed(
        &self,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
        open: &OpenStream<'_>,
        expected: Option<&FileEntry>,
    ) -> Result<u64> {
        let label = expected.map(|e| e.path.clone()).unwrap_or_default();
        let mut feed = |stdin: &mut dyn std::io::Write| -> Result<()> {
            let mut reader = open()?;
            let (size, sha) = copy_hashed(
                &mut *reader,
                "the dump",
                stdin,
                "pg_restore's standard input",
            )?;
            match expected.and_then(|e| mismatch(e, size, &sha)) {
                Some(problem) => Err(Error::Refused(format!(
                    "dump {label} changed while it was being restored: {problem}"
                ))),
                None => Ok(()),
            }
        };
        let child = self.pg_restore_child(params, args);
        let out = child.run_feeding(progress, &mut feed)?;
        Ok(ignored_errors(&out.stderr))
    }

    fn pg_restore_child<'a>(&'a self, params: &'a ConnParams, args: Vec<OsString>) -> ChildRun<'a> {
        ChildRun {
            program: "pg_restore",
            exe: &self.tools.pg_restore,
            config_key: "pg_restore_exe",
            args,
            params,
            watch: None,
            tolerate_failure: !self.opts.exit_on_error,
        }
    }

    fn pg_restore(
        &self,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
    ) -> Result<u64> {
        self.pg_restore_from(params, args, progress, std::process::Stdio::null())
    }

    fn pg_restore_from(
        &self,
        params: &ConnParams,
        args: Vec<OsString>,
        progress: &Progress,
        stdin: std::process::Stdio,
    ) -> Result<u64> {
        let child = self.pg_restore_child(params, args);
        let out = child.run_with_stdin(progress, stdin)?;
        let errors = ignored_errors(&out.stderr);
        if out.failed && errors == 0 {
            // Failed without the "errors ignored" summary (could not
            // connect, unreadable archive): not an error we may go past.
            return Err(Error::Child {
                program: "pg_restore".into(),
                command: child.display(),
                status: "exit status 1".into(),
                stderr: out.stderr.trim().to_string(),
            });
        }
        Ok(errors)
    }
}

/// Size and sha256 of everything `reader` yields.
pub(super) fn hash_stream(reader: &mut dyn Read, label: &str) -> Result<(u64, String)> {
    copy_hashed(reader, label, &mut std::io::sink(), "nowhere")
}

/// Copies `reader` (named `label` in errors) into `sink` (named
/// `sink_label`), returning the size and sha256 of what went through.
fn copy_hashed(
    reader: &mut dyn Read,
    label: &str,
    sink: &mut dyn Write,
    sink_label: &str,
) -> Result<(u64, String)> {
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| Error::State(format!("reading {label}: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        sink.write_all(&buf[..n])
            .map_err(|e| Error::io(sink_label, e))?;
    }
    Ok((size, super::super::stream::hex(&hasher.finalize())))
}

/// What differs between a manifest's entry and what was read, if anything.
pub(super) fn mismatch(entry: &FileEntry, size: u64, sha: &str) -> Option<String> {
    if size != entry.size {
        Some(format!(
            "{}: size {size} bytes, the manifest says {}",
            entry.path, entry.size
        ))
    } else if sha != entry.sha256 {
        Some(format!(
            "{}: sha256 {sha}, the manifest says {}",
            entry.path, entry.sha256
        ))
    } else {
        None
    }
}

/// A temporary `pg_restore -L` file holding `entries`, or `None` when there are none.
fn list_file(entries: &str) -> Result<Option<tempfile::NamedTempFile>> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut file =
        tempfile::NamedTempFile::new().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    std::io::Write::write_all(&mut file, entries.as_bytes())
        .map_err(|e| Error::io(file.path(), e))?;
    Ok(Some(file))
}

/// Whether a `pg_restore --list` line is the entry creating schema `name`
/// (`2; 2615 2200 SCHEMA - public postgres`).
fn is_schema_entry(line: &str, name: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    !line.starts_with(';')
        && words.len() >= 6
        && words[0].ends_with(';')
        && words[3] == "SCHEMA"
        && words[4] == "-"
        && words[5] == name
}

/// The count in pg_restore's closing `warning: errors ignored on restore: N`.
fn ignored_errors(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| l.split_once("errors ignored on restore:"))
        .filter_map(|(_, n)| n.trim().parse::<u64>().ok())
        .sum()
}

/// Whether `child` exits within `wait` (polled; its status stays to be reaped).
fn exited_within(child: &mut std::process::Child, wait: std::time::Duration) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return true,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_schema_entry_in_a_list() {
        assert!(is_schema_entry(
            "2; 2615 2200 SCHEMA - public pg_database_owner",
            "public"
        ));
        assert!(!is_schema_entry("; 2615 2200 SCHEMA - public x", "public"));
        assert!(!is_schema_entry(
            "3; 2615 2201 SCHEMA - app postgres",
            "public"
        ));
        assert!(!is_schema_entry(
            "4; 0 0 COMMENT - SCHEMA public x",
            "public"
        ));
    }

    #[test]
    fn counts_ignored_errors() {
        let text = "pg_restore: error: could not execute query\npg_restore: warning: errors ignored on restore: 3\n";
        assert_eq!(ignored_errors(text), 3);
        assert_eq!(ignored_errors("nothing"), 0);
    }
}
