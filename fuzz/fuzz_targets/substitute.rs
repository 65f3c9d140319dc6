//! `%(name)s` substitution: never panics; text without `%` is unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pum::deltas::vars::{substitute, Value, Variables};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line is a text value; the rest is the delta.
    let (value, sql) = text.split_once('\n').unwrap_or(("", &text));
    let mut vars = Variables::new();
    vars.insert("N".into(), Value::Int(42));
    vars.insert("F".into(), Value::Float(-1.5e300));
    vars.insert("T".into(), Value::Text(value.to_string()));
    let out = substitute(sql, &vars);
    if !sql.contains('%') {
        assert_eq!(out.as_deref(), Ok(sql));
    }
});
