//! The integration tests: one binary, one throw-away cluster, real `pum` runs.

mod support;

mod bad_input;
mod bad_input_table;
mod check;
mod ci_reports;
mod dropin;
mod dump_restore;
mod export;
mod faults;
mod fleet;
mod identity;
mod interrupt;
mod lint;
mod measure;
mod module;
mod module_python_hooks;
mod nothing_lost;
mod physical_copy;
mod pum1_cli;
mod pum1_roles;
mod pum1_turns;
mod python_hooks;
mod rehearsal;
mod rehearsal_role;
mod repair;
mod safety;
mod security;
mod service;
mod session_state;
mod single_transaction;
mod store;
mod tls;
mod upgrade_loop;
mod verify;
