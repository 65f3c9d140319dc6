//! The integration tests: one binary, one throw-away cluster, real `pum` runs.

mod support;

mod dump_restore;
mod upgrade_loop;
