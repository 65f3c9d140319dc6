//! Running `pg_dump` for one dump: the whole database into one archive (a
//! file, or a directory with `-Fd`), or one custom archive per schema. Each
//! file is private from the start and hashed for the manifest; with
//! `verify`, each archive is read back with `pg_restore --list`.

use std::ffi::OsString;
use std::path::Path;

use crate::db::quote_ident;
use crate::error::Result;
use crate::service::ConnParams;

use super::child::{ChildRun, Tools};
use super::manifest::{self, DumpKind, FileEntry, SchemaSelection};
use super::progress::Progress;
use super::schemas::file_safe;
use super::{DumpFormat, DumpOptions};

/// The files `pg_dump` wrote and the schemas they hold, for the manifest.
pub(super) struct Written {
    pub files: Vec<FileEntry>,
    pub schemas: SchemaSelection,
}

/// `pg_dump` runs with one set of options, against one database.
pub(super) struct PgDump<'a> {
    pub params: &'a ConnParams,
    pub opts: &'a DumpOptions,
    pub tools: &'a Tools,
    pub progress: &'a Progress,
}

impl PgDump<'_> {
    /// One custom archive per schema of `names` (in that order), in the new
    /// directory `dir`.
    pub fn schema_wise(&self, dir: &Path, names: Vec<String>) -> Result<Written> {
        crate::private_file::create_dir(dir)?;
        let mut entries = Vec::new();
        for (i, schema) in names.iter().enumerate() {
            let file = format!("{:03}-{}.dump", i + 1, file_safe(schema));
            let path = dir.join(&file);
            crate::private_file::create(&path)?;
            let mut args = self.common_args();
            args.push(DumpFormat::Custom.pg_dump_arg().into());
            args.push(format!("--schema={}", quote_ident(schema)).into());
            args.push(file_arg(&path));
            self.run(args, dir)?;
            let (size, sha256) = manifest::hash_file(&path)?;
            entries.push(FileEntry {
                path: file,
                size,
                sha256,
                schema: Some(schema.clone()),
            });
        }
        if self.opts.verify {
            for e in &entries {
                self.tools.pg_restore_list(&dir.join(&e.path))?;
            }
        }
        Ok(Written {
            files: entries,
            schemas: SchemaSelection {
                included: names,
                excluded: self.opts.exclude_schemas.clone(),
            },
        })
    }

    /// The database (or the schemas `-n`/`-N` select) in one archive at
    /// `tmp`; the manifest records the file under `target`'s name.
    pub fn whole(&self, tmp: &Path, target: &Path) -> Result<Written> {
        let opts = self.opts;
        let kind = opts.format.kind();
        let mut args = self.whole_args();
        if opts.format != DumpFormat::Directory {
            // Created up front so the file is private from its first byte;
            // pg_dump truncates it and keeps the mode.
            crate::private_file::create(tmp)?;
        }
        args.push(file_arg(tmp));
        self.run(args, tmp)?;
        let files = if kind.is_dir() {
            crate::private_file::restrict_tree(tmp)?;
            manifest::entries_under(tmp)?
        } else {
            let (size, sha256) = manifest::hash_file(tmp)?;
            vec![FileEntry {
                path: target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                size,
                sha256,
                schema: None,
            }]
        };
        if opts.verify && kind != DumpKind::Plain {
            self.tools.pg_restore_list(tmp)?;
        }
        Ok(Written {
            files,
            schemas: SchemaSelection {
                included: opts.schemas.clone(),
                excluded: opts.exclude_schemas.clone(),
            },
        })
    }

    /// The arguments of a dump of the whole database (or of the schemas
    /// `-n`/`-N` select), without the output: `--file` or standard output.
    pub fn whole_args(&self) -> Vec<OsString> {
        let opts = self.opts;
        let mut args = self.common_args();
        args.push(opts.format.pg_dump_arg().into());
        if let Some(j) = opts.jobs {
            args.push(format!("--jobs={j}").into());
        }
        for s in &opts.schemas {
            args.push(format!("--schema={s}").into());
        }
        for s in &opts.exclude_schemas {
            args.push(format!("--exclude-schema={s}").into());
        }
        args
    }

    /// Arguments every pg_dump run gets, whatever the format.
    fn common_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if self.progress.visible() {
            args.push("--verbose".into());
        }
        if self.opts.schema_only {
            args.push("--schema-only".into());
        }
        for t in &self.opts.exclude_table_data {
            args.push(format!("--exclude-table-data={t}").into());
        }
        for t in &self.opts.exclude_tables {
            args.push(format!("--exclude-table={t}").into());
        }
        // The database comes from PGDATABASE in the child's environment: no
        // connection detail ever appears on the command line.
        args
    }

    /// The child for `args`, for runs that stream.
    pub fn child(&self, args: Vec<OsString>) -> ChildRun<'_> {
        ChildRun {
            program: "pg_dump",
            exe: &self.tools.pg_dump,
            config_key: "pg_dump_exe",
            args,
            params: self.params,
            watch: None,
            tolerate_failure: false,
        }
    }

    /// One `pg_dump` run; `watch` grows while it runs (the progress bar's bytes).
    fn run(&self, args: Vec<OsString>, watch: &Path) -> Result<()> {
        ChildRun {
            watch: Some(watch),
            ..self.child(args)
        }
        .run(self.progress)
        .map(|_| ())
    }
}

fn file_arg(path: &Path) -> OsString {
    let mut arg = OsString::from("--file=");
    arg.push(path.as_os_str());
    arg
}
