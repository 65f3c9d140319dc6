//! The integration tests: one binary, one throw-away cluster, real `pum` runs.

mod support;

mod bad_input;
mod bad_input_table;
mod faults;
mod python_hooks;
mod safety;
mod security;
mod service;
mod upgrade_loop;
