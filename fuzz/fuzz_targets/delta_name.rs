//! Delta file names: never panic; a name that parses renders back to the
//! same version text it carries.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some((version, description, _))) = pum::deltas::parse_file_name(name) {
        let prefix = format!("delta_{version}");
        assert!(name.starts_with(&prefix), "{name} parsed as {version}");
        assert!(name.contains(&description));
    }
});
