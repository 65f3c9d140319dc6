//! The integration tests: one binary, one throw-away cluster, real `pum` runs.

mod support;

mod check;
mod upgrade_loop;
