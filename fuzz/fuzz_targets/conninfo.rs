//! conninfo strings and URIs: never panic; every key parsed is a libpq
//! keyword.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pum::service::parsers::{parse_conninfo, parse_uri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let uri = format!("postgresql://{text}");
    for parsed in [parse_conninfo(text), parse_uri(text), parse_uri(&uri)] {
        if let Ok(map) = parsed {
            for key in map.keys() {
                assert!(pum::service::KEYWORDS.contains(&key.as_str()), "{key}");
            }
        }
    }
});
