//! The integration tests: one binary, one throw-away cluster, real `pum` runs.

mod support;

mod bad_input;
mod check;
mod dump_restore;
mod module;
mod python_hooks;
mod rehearsal;
mod safety;
mod service;
mod upgrade_loop;
