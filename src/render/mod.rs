//! Rendering of reports that more than one command prints (`info` in the
//! demo, upgrade summaries after `upgrade` and `install`), kept out of the
//! commands so that no command imports another.

pub mod info;
pub mod junit;
pub mod measure;
pub mod upgrade;
