//! The service file parser on arbitrary text: never panics, and a section
//! it finds holds only libpq keywords.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line names the section to look up; the rest is the file.
    let (name, file) = text.split_once('\n').unwrap_or(("svc", &text));
    if let Ok(Some(map)) =
        pum::service::parsers::parse_service_file(file, name, std::path::Path::new("f.conf"))
    {
        for key in map.keys() {
            assert!(pum::service::KEYWORDS.contains(&key.as_str()), "{key}");
        }
    }
});
