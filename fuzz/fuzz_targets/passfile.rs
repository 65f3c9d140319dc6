//! The passfile matcher on arbitrary bytes: never panics, and a returned
//! password has no line break in it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (host, port, db, user) in [
        ("localhost", "5432", "db", "user"),
        ("*", "*", "*", "*"),
        ("", "", "", ""),
    ] {
        if let Some(pw) = pum::service::parsers::find_password(data, host, port, db, user) {
            assert!(!pw.contains('\n'));
        }
    }
});
