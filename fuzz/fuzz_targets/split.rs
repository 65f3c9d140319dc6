//! The SQL statement splitter: never panics; the statements lie in order
//! inside the input, and joining them with what lies between gives it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pum::deltas::sql_lexer;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let mut rebuilt = String::new();
    let mut at = 0;
    for s in sql_lexer::split(sql) {
        assert!(at <= s.start && s.start <= s.end && s.end <= sql.len());
        assert_eq!(s.text, &sql[s.start..s.end]);
        rebuilt.push_str(&sql[at..s.start]);
        rebuilt.push_str(s.text);
        at = s.end;
    }
    rebuilt.push_str(&sql[at..]);
    assert_eq!(rebuilt, sql);
    let _ = sql_lexer::manages_transaction(sql);
});
