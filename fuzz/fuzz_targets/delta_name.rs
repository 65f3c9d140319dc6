//! Delta file names: never panic; a name that parses carries the version
//! it parsed as, up to leading zeros (`delta_01.2.3.sql` is 1.2.3).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some((version, description, _))) = pum::deltas::parse_file_name(name) {
        // delta_<major>.<minor>.<patch>…: the patch ends at its last digit.
        let rest = name.strip_prefix("delta_").unwrap_or_default();
        let mut parts = rest.splitn(3, '.');
        let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let tail = parts.next().unwrap_or("");
        let patch = &tail[..tail.bytes().take_while(u8::is_ascii_digit).count()];
        let unpadded: Vec<&str> = [major, minor, patch]
            .iter()
            .map(|p| match p.trim_start_matches('0') {
                "" => "0",
                digits => digits,
            })
            .collect();
        assert_eq!(unpadded.join("."), version.to_string(), "{name}");
        assert!(name.contains(&description));
    }
});
