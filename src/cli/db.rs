//! Arguments of `db`: a whole database created or dropped on the server,
//! or who may connect to it.

use clap::{Args, ValueEnum};

use super::ServiceArg;

/// What `db` does with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DbAction {
    /// CREATE DATABASE NAME (from template1, or --template).
    Create,
    /// DROP DATABASE NAME, after a confirmation (or --yes); refused while
    /// others are connected to it or when pum.yaml protects it.
    Drop,
    /// Set who may connect: CONNECT revoked from PUBLIC (unless
    /// --keep-public), then from --revoke-connect roles, then granted to
    /// --grant-connect roles, in one transaction.
    Access,
}

#[derive(Debug, Args)]
pub struct DbArgs {
    pub action: DbAction,
    /// The database to create or drop, on the server the service reaches
    /// (through its maintenance database).
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub service: ServiceArg,
    /// create: copy this database instead of template1 (nobody may be
    /// connected to it).
    #[arg(long = "template", value_name = "DATABASE")]
    pub template: Option<String>,
    /// drop: do not ask for confirmation (pum 1.x: --force).
    #[arg(short = 'y', long = "yes", visible_alias = "force")]
    pub yes: bool,
    #[command(flatten)]
    pub access: DbAccessArgs,
}

/// Who may connect, for `db access`; the same flags in both command-line
/// shapes.
#[derive(Debug, Args, Clone, Default)]
pub struct DbAccessArgs {
    /// access: grant CONNECT on the database to these roles.
    #[arg(long = "grant-connect", value_name = "ROLE", num_args = 1..)]
    pub grant_connect: Vec<String>,
    /// access: revoke CONNECT on the database from these roles.
    #[arg(long = "revoke-connect", value_name = "ROLE", num_args = 1..)]
    pub revoke_connect: Vec<String>,
    /// access: leave PUBLIC's CONNECT as it is.
    #[arg(long = "keep-public")]
    pub keep_public: bool,
}
