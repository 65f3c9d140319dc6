//! The pum.yaml parser: never panics; an error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(pum::error::Error::Config { location, .. }) =
        pum::config::Config::parse(text, std::path::Path::new("pum.yaml"))
    {
        assert_eq!(location.file, std::path::Path::new("pum.yaml"));
        assert!(location.line >= 1);
    }
});
