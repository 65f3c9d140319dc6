//! verify-backups (in progress).
