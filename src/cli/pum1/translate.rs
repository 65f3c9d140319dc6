//! A parsed pum 1.x command line turned into our own [`Cli`]: each pum 1.x
//! command becomes the command of ours that does the same work, each flag
//! the flag of ours that means the same; a flag whose effect this tool
//! cannot give is refused by name, never dropped. Pure: no file and no
//! database is looked at here ([`prepare`] checks the module directory).

use std::path::{Path, PathBuf};

use super::{
    Pum1AppHooks, Pum1Baseline, Pum1Check, Pum1Cli, Pum1Command, Pum1Db, Pum1DbAction, Pum1Dump,
    Pum1DumpFormat, Pum1ExcludeSchema, Pum1Install, Pum1Parameters, Pum1Restore, Pum1Role,
    Pum1RoleAction, Pum1Upgrade,
};
use crate::cli::{
    AppArgs, BaselineArgs, CheckArgs, CheckFilterArgs, Cli, Command, DbAction, DbArgs, DeltaArgs,
    DirArgs, DumpArgs, GlobalArgs, InfoArgs, InstallArgs, ModuleArgs, RestoreArgs, RolesAction,
    RolesArgs, SchemaArgs, ServiceArg, UninstallArgs, UpgradeArgs,
};
use crate::dump::DumpFormat;
use crate::error::{Error, Result};

/// Our command line, and what [`prepare`] still has to check on disk.
#[derive(Debug)]
pub struct Translated {
    pub cli: Cli,
    /// The module directory the command works on, when it needs one.
    pub module_dir: Option<PathBuf>,
    /// `-c FILE` as given: it must be the module directory's .pum.yaml.
    pub config_file: Option<PathBuf>,
}

/// The refusal of a pum 1.x command or flag this tool does not run yet.
fn unsupported(what: &str, hint: &str) -> Error {
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    };
    Error::Usage(format!(
        "pum 1.x `{what}` is not supported yet by this pum, nothing was done{hint}"
    ))
}

pub fn translate(line: Pum1Cli) -> Result<Translated> {
    let dir = module_dir(line.config.as_deref(), line.dir.as_deref())?;
    let (command, needs_module) = our_command(line.command, line.pg_connection, &dir)?;
    Ok(Translated {
        cli: Cli {
            version: None,
            global: GlobalArgs {
                config: None,
                format: line.format,
                no_color: line.no_color,
                quiet: line.quiet,
            },
            command,
        },
        module_dir: needs_module.then_some(dir),
        config_file: line.config,
    })
}

/// Our command doing what pum 1.x's does, and whether it works on the
/// module directory (which [`prepare`] then checks).
fn our_command(
    command: Pum1Command,
    connection: Option<String>,
    dir: &Path,
) -> Result<(Command, bool)> {
    let service = ServiceArg {
        pg_service: connection.clone(),
    };
    let dirs = DirArgs {
        dirs: vec![dir.to_path_buf()],
    };
    let module = |service, parameters: Pum1Parameters| ModuleArgs {
        service,
        dir: dir.to_path_buf(),
        parameters: parameters.parameters,
    };
    Ok(match command {
        Pum1Command::Info => (
            Command::Info(InfoArgs {
                service,
                dirs,
                ..Default::default()
            }),
            true,
        ),
        Pum1Command::Install(args) => (install(service, dirs, args), true),
        Pum1Command::Upgrade(args) => (upgrade(service, dirs, args), true),
        Pum1Command::Baseline(args) => (baseline(service, dir.to_path_buf(), args), true),
        Pum1Command::Role(args) => (role(service, dir.to_path_buf(), args), true),
        Pum1Command::Check(args) => (check(connection.as_deref(), args)?, false),
        Pum1Command::Dump(args) => (dump(service, args), false),
        Pum1Command::Restore(args) => (restore(service, args), false),
        Pum1Command::Db(args) => (db(service, args), false),
        Pum1Command::Uninstall(args) => (
            Command::Uninstall(UninstallArgs {
                module: module(service, args.parameters),
                force: args.force,
            }),
            true,
        ),
        Pum1Command::Cache(_) => {
            return Err(unsupported(
                "cache",
                "this pum does not fetch module dependencies, so it keeps no cache",
            ))
        }
        Pum1Command::App(args) => (
            Command::App(AppArgs {
                action: args.action,
                module: module(service, args.parameters),
                skip_grant: args.skip_grant,
                suffix: args.suffix,
            }),
            true,
        ),
    })
}

/// `-d DIR`, else the directory of `-c FILE`, else the current directory.
/// pum 1.x also takes a URL there; this tool reads modules from disk only.
fn module_dir(config: Option<&Path>, dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = dir {
        if d.to_string_lossy().contains("://") {
            return Err(unsupported(
                &format!("-d {}", d.display()),
                "a module is read from a directory on disk; download it first",
            ));
        }
        return Ok(d.to_path_buf());
    }
    match config.map(Path::parent) {
        Some(Some(parent)) if !parent.as_os_str().is_empty() => Ok(parent.to_path_buf()),
        _ => Ok(PathBuf::from(".")),
    }
}

/// Our delta flags for the module and its parameters, with the
/// application hooks `install` and `upgrade` may both leave out.
fn module_deltas(dirs: DirArgs, parameters: Pum1Parameters, hooks: Pum1AppHooks) -> DeltaArgs {
    DeltaArgs {
        dirs,
        parameters: parameters.parameters,
        skip_drop_app: hooks.skip_drop_app,
        skip_create_app: hooks.skip_create_app,
        ..Default::default()
    }
}

fn install(service: ServiceArg, dirs: DirArgs, args: Pum1Install) -> Command {
    Command::Install(InstallArgs {
        service,
        deltas: DeltaArgs {
            max_version: args.max_version,
            // As pum 1.x: granting creates the roles it grants to, so
            // --skip-roles alone still creates them.
            grant: !args.skip_grant,
            create_roles: !args.skip_roles,
            beta_testing: args.beta_testing,
            allow_multiple_modules: args.allow_multiple_modules,
            demo_data: args.demo_data,
            ..module_deltas(dirs, args.parameters, args.app_hooks)
        },
    })
}

fn upgrade(service: ServiceArg, dirs: DirArgs, args: Pum1Upgrade) -> Command {
    Command::Upgrade(UpgradeArgs {
        service,
        deltas: DeltaArgs {
            max_version: args.max_version,
            grant: !args.skip_grant,
            beta_testing: args.beta_testing,
            force: args.force,
            skip_baseline_check: args.skip_baseline_check,
            ..module_deltas(dirs, args.parameters, args.app_hooks)
        },
        ..Default::default()
    })
}

fn baseline(service: ServiceArg, dir: PathBuf, args: Pum1Baseline) -> Command {
    Command::Baseline(BaselineArgs {
        service,
        baseline: args.baseline,
        dirs: vec![dir],
        require_table: !args.create_table,
        allow_multiple_modules: args.allow_multiple_modules,
        ..Default::default()
    })
}

fn role(service: ServiceArg, dir: PathBuf, args: Pum1Role) -> Command {
    Command::Roles(RolesArgs {
        action: match args.action {
            Pum1RoleAction::Create => RolesAction::Create,
            Pum1RoleAction::CreateLogin => RolesAction::CreateLogin,
            Pum1RoleAction::Drop => RolesAction::Drop,
            Pum1RoleAction::DropLogin => RolesAction::DropLogin,
            Pum1RoleAction::Grant => RolesAction::Grant,
            Pum1RoleAction::Revoke => RolesAction::Revoke,
            Pum1RoleAction::List => RolesAction::List,
            Pum1RoleAction::LoginRoles => RolesAction::LoginRoles,
            Pum1RoleAction::Members => RolesAction::Members,
        },
        service,
        dir,
        flags: args.flags,
    })
}

fn check(connection: Option<&str>, args: Pum1Check) -> Result<Command> {
    let Some(first) = connection else {
        return Err(Error::Usage(
            "check: give the first database as -p PG_CONNECTION before the command \
             (pum -p A check B)"
                .into(),
        ));
    };
    Ok(Command::Check(CheckArgs {
        pg_service1: first.to_string(),
        pg_service2: args.compared,
        filters: CheckFilterArgs {
            ignore: args.ignore,
            exclude_schema: args.exclude_schema,
            exclude_field_pattern: args.exclude_field_pattern,
            ..Default::default()
        },
        output: args.output,
        output_format: args.format,
        ..Default::default()
    }))
}

fn dump(service: ServiceArg, args: Pum1Dump) -> Command {
    Command::Dump(DumpArgs {
        services: service.pg_service.into_iter().collect(),
        file: Some(args.file.display().to_string()),
        dump_format: match args.format {
            Pum1DumpFormat::Custom => DumpFormat::Custom,
            Pum1DumpFormat::Plain => DumpFormat::Plain,
        },
        schemas: args.exclude.into(),
        ..Default::default()
    })
}

fn restore(service: ServiceArg, args: Pum1Restore) -> Command {
    Command::Restore(RestoreArgs {
        service,
        file: Some(args.file.display().to_string()),
        ignore_errors: args.ignore_errors,
        schemas: args.exclude.into(),
        ..Default::default()
    })
}

impl From<Pum1ExcludeSchema> for SchemaArgs {
    fn from(exclude: Pum1ExcludeSchema) -> Self {
        SchemaArgs {
            exclude_schemas: exclude.exclude_schema,
            ..Default::default()
        }
    }
}

fn db(service: ServiceArg, args: Pum1Db) -> Command {
    Command::Db(DbArgs {
        action: match args.action {
            Pum1DbAction::Create => DbAction::Create,
            Pum1DbAction::Drop => DbAction::Drop,
            Pum1DbAction::Access => DbAction::Access,
        },
        name: args.dbname,
        service,
        template: args.template,
        yes: args.force,
        access: args.access,
    })
}

/// Checks on disk what the translation could not: that the module
/// directory holds a .pum.yaml, and that `-c` names that very file (this
/// tool reads a module's configuration from its directory only).
pub fn prepare(translated: Translated) -> Result<Cli> {
    if let Some(dir) = &translated.module_dir {
        let own = dir.join(crate::module::config::FILE_NAME);
        if !own.is_file() {
            return Err(Error::Usage(format!(
                "{}: not found; a pum 1.x command line (-p before the command) works on a \
                 module directory holding .pum.yaml (-d DIR, default the current directory)",
                own.display()
            )));
        }
        if let Some(config) = &translated.config_file {
            let same = match (config.canonicalize(), own.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            if !same {
                return Err(unsupported(
                    &format!("-c {}", config.display()),
                    &format!(
                        "a module's configuration is read from its directory's .pum.yaml ({})",
                        own.display()
                    ),
                ));
            }
        }
    }
    Ok(translated.cli)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn run(args: &[&str]) -> Result<Translated> {
        let line = Pum1Cli::try_parse_from(args).expect("parses");
        translate(line)
    }

    fn refusal(args: &[&str]) -> String {
        match run(args) {
            Err(Error::Usage(why)) => why,
            other => panic!("{args:?}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn upgrade_takes_parameters_and_grants_by_default() {
        let t = run(&[
            "pum",
            "-p",
            "prod",
            "-d",
            "mod",
            "upgrade",
            "-p",
            "SRID",
            "2056",
            "--parameter",
            "lang",
            "-1",
            "-u",
            "1.2.0",
        ])
        .unwrap();
        assert_eq!(t.module_dir, Some(PathBuf::from("mod")));
        let Command::Upgrade(u) = t.cli.command else {
            panic!("{:?}", t.cli.command)
        };
        assert_eq!(u.service.pg_service.as_deref(), Some("prod"));
        assert_eq!(u.deltas.dirs.dirs, [PathBuf::from("mod")]);
        assert_eq!(u.deltas.parameters, ["SRID", "2056", "lang", "-1"]);
        assert_eq!(u.deltas.max_version.as_deref(), Some("1.2.0"));
        assert!(u.deltas.grant);
        assert!(!u.dry_run && u.table.table.is_none());

        let t = run(&["pum", "-p", "prod", "upgrade", "--skip-grant"]).unwrap();
        let Command::Upgrade(u) = t.cli.command else {
            panic!()
        };
        assert!(!u.deltas.grant);
        assert_eq!(u.deltas.dirs.dirs, [PathBuf::from(".")]);
    }

    #[test]
    fn install_maps_max_version_and_the_role_skips() {
        let t = run(&[
            "pum",
            "-p",
            "db",
            "install",
            "--max-version",
            "1.9.0",
            "-p",
            "A",
            "b",
        ])
        .unwrap();
        let Command::Install(i) = t.cli.command else {
            panic!()
        };
        assert_eq!(i.deltas.max_version.as_deref(), Some("1.9.0"));
        assert_eq!(i.deltas.parameters, ["A", "b"]);
        assert!(i.deltas.grant);
        let t = run(&["pum", "-p", "db", "install", "--skip-roles", "--skip-grant"]).unwrap();
        let Command::Install(i) = t.cli.command else {
            panic!()
        };
        assert!(!i.deltas.grant && !i.deltas.create_roles);
        let t = run(&["pum", "-p", "db", "install", "--skip-grant"]).unwrap();
        let Command::Install(i) = t.cli.command else {
            panic!()
        };
        assert!(!i.deltas.grant && i.deltas.create_roles);
        let t = run(&["pum", "-p", "db", "install", "--skip-roles"]).unwrap();
        let Command::Install(i) = t.cli.command else {
            panic!()
        };
        assert!(i.deltas.grant && !i.deltas.create_roles);
        let t = run(&["pum", "-p", "db", "install", "-d", "demo"]).unwrap();
        let Command::Install(i) = t.cli.command else {
            panic!()
        };
        assert_eq!(i.deltas.demo_data.as_deref(), Some("demo"));
        let t = run(&[
            "pum",
            "-p",
            "db",
            "install",
            "--beta-testing",
            "--skip-drop-app",
            "--skip-create-app",
            "--allow-multiple-modules",
        ])
        .unwrap();
        let Command::Install(i) = t.cli.command else {
            panic!()
        };
        assert!(i.deltas.beta_testing && i.deltas.skip_drop_app && i.deltas.skip_create_app);
        assert!(i.deltas.allow_multiple_modules);
    }

    #[test]
    fn info_baseline_and_roles() {
        let t = run(&["pum", "-q", "-p", "db", "-d", "m", "info"]).unwrap();
        assert!(t.cli.global.quiet);
        assert!(matches!(&t.cli.command, Command::Info(i) if i.dirs.dirs == [PathBuf::from("m")]));
        let t = run(&[
            "pum",
            "-p",
            "db",
            "baseline",
            "-b",
            "1.0.0",
            "--create-table",
        ])
        .unwrap();
        let Command::Baseline(b) = t.cli.command else {
            panic!()
        };
        assert_eq!(
            (b.baseline.as_str(), b.dirs.as_slice()),
            ("1.0.0", &[PathBuf::from(".")][..])
        );
        let t = run(&["pum", "-p", "db", "-d", "m", "role", "grant"]).unwrap();
        assert!(matches!(t.cli.command, Command::Roles(r) if r.action == RolesAction::Grant));
        let t = run(&[
            "pum", "-p", "db", "role", "grant", "--to", "u", "--roles", "a", "b", "--suffix", "x",
        ])
        .unwrap();
        let Command::Roles(r) = t.cli.command else {
            panic!()
        };
        assert_eq!(
            (r.flags.to.as_deref(), r.flags.suffix.as_deref()),
            (Some("u"), Some("x"))
        );
        assert_eq!(r.flags.roles, ["a", "b"]);
        let t = run(&["pum", "-p", "db", "role", "members", "--roles", "v"]).unwrap();
        assert!(matches!(t.cli.command, Command::Roles(r) if r.action == RolesAction::Members));
    }

    #[test]
    fn check_dump_and_restore() {
        let t = run(&[
            "pum", "-p", "a", "check", "b", "-i", "views", "triggers", "-N", "s1", "-N", "s2",
            "-P", "x%", "-o", "out.json", "-f", "json",
        ])
        .unwrap();
        assert_eq!(t.module_dir, None);
        let Command::Check(c) = t.cli.command else {
            panic!()
        };
        assert_eq!((c.pg_service1.as_str(), c.pg_service2.as_str()), ("a", "b"));
        assert_eq!(c.filters.ignore, ["views", "triggers"]);
        assert_eq!(c.filters.exclude_schema, ["s1", "s2"]);
        assert_eq!(c.filters.exclude_field_pattern, ["x%"]);
        assert_eq!(c.output, Some(PathBuf::from("out.json")));
        assert_eq!(c.output_format, Some(crate::cli::CheckFormat::Json));
        assert!(c.silent.is_none() && c.verbose_level.is_none());

        let t = run(&["pum", "-p", "a", "dump", "f.sql"]).unwrap();
        let Command::Dump(d) = t.cli.command else {
            panic!()
        };
        assert_eq!(
            d.dump_format,
            DumpFormat::Plain,
            "pum 1.x dumps plain by default"
        );
        assert_eq!(d.file, Some("f.sql".to_string()));
        let t = run(&[
            "pum", "-p", "a", "dump", "-f", "CUSTOM", "-N", "x", "f.backup",
        ])
        .unwrap();
        let Command::Dump(d) = t.cli.command else {
            panic!()
        };
        assert_eq!(
            (d.dump_format, d.schemas.exclude_schemas),
            (DumpFormat::Custom, vec!["x".into()])
        );
        assert!(!d.overwrite);

        let t = run(&["pum", "-p", "a", "restore", "-x", "-N", "s", "f.backup"]).unwrap();
        let Command::Restore(r) = t.cli.command else {
            panic!()
        };
        assert!(r.ignore_errors && !r.clean && !r.swap && !r.create);
        assert_eq!(r.schemas.exclude_schemas, ["s"]);
    }

    #[test]
    fn config_file_gives_the_directory_and_urls_are_refused() {
        let t = run(&["pum", "--config_file", "m/.pum.yaml", "-p", "a", "info"]).unwrap();
        assert_eq!(t.module_dir, Some(PathBuf::from("m")));
        assert_eq!(t.config_file, Some(PathBuf::from("m/.pum.yaml")));
        let t = run(&["pum", "--config_file", ".pum.yaml", "-p", "a", "info"]).unwrap();
        assert_eq!(t.module_dir, Some(PathBuf::from(".")));
        assert!(
            refusal(&["pum", "-p", "a", "-d", "https://x/m.zip", "info"]).contains("-d https://")
        );
    }

    #[test]
    fn unsupported_commands_are_refused_by_name() {
        let why = refusal(&["pum", "-p", "a", "cache", "clear"]);
        assert!(
            why.contains("`cache`") && why.contains("not supported yet"),
            "{why}"
        );
        assert!(refusal(&["pum", "check", "b"]).contains("-p PG_CONNECTION"));
        let t = run(&[
            "pum",
            "-p",
            "a",
            "db",
            "access",
            "d",
            "--grant-connect",
            "r1",
            "r2",
            "--keep-public",
        ])
        .unwrap();
        let Command::Db(d) = t.cli.command else {
            panic!()
        };
        assert_eq!((d.action, d.name.as_str()), (DbAction::Access, "d"));
        assert_eq!(d.access.grant_connect, ["r1", "r2"]);
        assert!(d.access.keep_public && d.access.revoke_connect.is_empty());
        let t = run(&["pum", "-p", "a", "db", "drop", "d", "--force"]).unwrap();
        assert!(matches!(t.cli.command, Command::Db(d) if d.yes && d.action == DbAction::Drop));
    }
}
