//! The integration tests: one binary, one throw-away cluster, real `pum` runs.

mod support;

mod service;
mod upgrade_loop;
