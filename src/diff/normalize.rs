//! Canonical forms of deparsed SQL, so that two spellings PostgreSQL gives
//! of the same thing compare equal. Two cases matter in practice:
//!
//! - the server deparses an expression differently after a dump and
//!   restore: `x IN ('a', 'b')` on a `varchar` column reads back first as
//!   `(x)::text = ANY ((ARRAY['a'::character varying, …])::text[])` and,
//!   once restored, as `… ANY (ARRAY[('a'::character varying)::text, …])`.
//!   Both are one array of the same literals cast to the same type;
//! - a view lists its output columns in the order its tables had when it
//!   was created (`SELECT *`, or a table that got a column by `ALTER TABLE
//!   … ADD COLUMN` in one database only). That order no more changes what
//!   the view holds than a table's column order does.
//!
//! Everything here works on text outside string literals and quoted
//! identifiers only, so no literal is ever rewritten.

/// The canonical form of a deparsed expression or definition: array casts
/// distributed over the elements, redundant parentheses around cast
/// constants dropped, runs of white space made one space.
pub fn expression(text: &str) -> String {
    let distributed = distribute_array_casts(text);
    let stripped = strip_cast_parens(&distributed);
    collapse_space(&stripped)
}

/// A view definition with its top-level output columns sorted, so that
/// their order does not count. Definitions that combine several queries
/// (`UNION`, `INTERSECT`, `EXCEPT`) pair columns by position across them,
/// and `WITH` queries put their own lists first: those are left as they are.
pub fn unordered_columns(definition: &str) -> String {
    let text = definition.trim_start();
    let offset = definition.len() - text.len();
    if !starts_with_word(text, "SELECT") {
        return definition.to_string();
    }
    let words = top_level_words(definition);
    if words
        .iter()
        .any(|(_, w)| matches!(w.as_str(), "UNION" | "INTERSECT" | "EXCEPT"))
    {
        return definition.to_string();
    }
    let mut start = offset + "SELECT".len();
    // DISTINCT and DISTINCT ON (…) come before the list and stay in place.
    let after = &definition[start..];
    let trimmed = after.trim_start();
    if starts_with_word(trimmed, "DISTINCT") {
        start += after.len() - trimmed.len() + "DISTINCT".len();
        let after = &definition[start..];
        let trimmed = after.trim_start();
        if starts_with_word(trimmed, "ON") {
            let on = start + after.len() - trimmed.len() + "ON".len();
            let rest = &definition[on..];
            let open = on + rest.len() - rest.trim_start().len();
            match matching(definition, open, b'(', b')') {
                Some(close) => start = close + 1,
                None => return definition.to_string(),
            }
        }
    }
    const ENDS: [&str; 8] = [
        "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "OFFSET",
    ];
    let end = words
        .iter()
        .find(|(at, w)| *at >= start && ENDS.contains(&w.as_str()))
        .map(|(at, _)| *at)
        .unwrap_or_else(|| {
            definition[start..]
                .rfind(';')
                .map_or(definition.len(), |i| start + i)
        });
    let mut items: Vec<String> = split_top_level(&definition[start..end], b',')
        .into_iter()
        .map(collapse_space)
        .collect();
    items.sort();
    format!(
        "{} {} {}",
        definition[..start].trim_end(),
        items.join(", "),
        definition[end..].trim_start()
    )
}

/// `(ARRAY[a, b])::T[]` → `ARRAY[a::T, b::T]`: the cast of the array is the
/// cast of each element.
fn distribute_array_casts(text: &str) -> String {
    rewrite_unquoted(text, |text, i, out| {
        if !text[i..].starts_with("(ARRAY[") {
            return None;
        }
        let (elements, ty, next) = array_cast_at(text, i)?;
        let cast: Vec<String> = elements
            .iter()
            .map(|e| {
                let e = distribute_array_casts(e.trim());
                let wrapped =
                    e.starts_with('(') && matching(&e, 0, b'(', b')') == Some(e.len() - 1);
                if wrapped || is_simple(&e) {
                    format!("{e}::{ty}")
                } else {
                    format!("({e})::{ty}")
                }
            })
            .collect();
        out.push_str("ARRAY[");
        out.push_str(&cast.join(", "));
        out.push(']');
        Some(next)
    })
}

/// `text` copied with `at` offered every position outside quotes: where it
/// writes a replacement to `out` it returns where the copy goes on.
fn rewrite_unquoted(
    text: &str,
    mut at: impl FnMut(&str, usize, &mut String) -> Option<usize>,
) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = skip_quoted(bytes, i) {
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        if let Some(next) = at(text, i, &mut out) {
            i = next;
            continue;
        }
        let c = text[i..].chars().next().expect("inside the text");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// At `(ARRAY[…])::T[]` starting at `at`: the elements, `T` and where the
/// cast ends.
fn array_cast_at(text: &str, at: usize) -> Option<(Vec<&str>, &str, usize)> {
    let open = at + "(ARRAY".len();
    let close = matching(text, open, b'[', b']')?;
    let rest = &text[close + 1..];
    let after = rest.strip_prefix(")::")?;
    let type_start = close + 1 + 3;
    let type_len = type_before_brackets(after)?;
    let ty = &text[type_start..type_start + type_len];
    let elements = split_top_level(&text[open + 1..close], b',');
    Some((elements, ty.trim(), type_start + type_len + 2))
}

/// The length of a type name followed by `[]` at the start of `text`
/// (`character varying(10)[]`), if that is what is there.
fn type_before_brackets(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for (i, b) in unquoted(bytes, 0) {
        match b {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b'[' if depth == 0 => {
                return (i > 0 && bytes.get(i + 1) == Some(&b']')).then_some(i);
            }
            b')' | b',' | b']' | b':' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// `('a'::character varying)::text` → `'a'::character varying::text`: the
/// parentheses around a constant with casts change nothing.
fn strip_cast_parens(text: &str) -> String {
    rewrite_unquoted(text, |text, i, out| {
        if text.as_bytes()[i] != b'(' {
            return None;
        }
        let close = matching(text, i, b'(', b')')?;
        let inner = &text[i + 1..close];
        if !(text[close + 1..].starts_with("::") && is_simple(inner)) {
            return None;
        }
        out.push_str(inner);
        Some(close + 1)
    })
}

/// A constant or a plain name, possibly with casts: `'a'::text`, `2`,
/// `-1.5`, `t.x`, `'a'::character varying::text`.
fn is_simple(text: &str) -> bool {
    let text = text.trim();
    let bytes = text.as_bytes();
    let head_end = if bytes.first() == Some(&b'\'') {
        match skip_quoted(bytes, 0) {
            Some(end) => end,
            None => return false,
        }
    } else {
        let n = text
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count();
        if n == 0 {
            return false;
        }
        n
    };
    let mut rest = &text[head_end..];
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix("::") else {
            return false;
        };
        // A type name: words, dots, quotes and a parenthesised modifier.
        let len = after.find("::").unwrap_or(after.len());
        let ty = &after[..len];
        if ty.trim().is_empty()
            || ty
                .bytes()
                .any(|b| matches!(b, b',' | b'[' | b']') || b == b'\'')
            || ty.matches('(').count() != ty.matches(')').count()
        {
            return false;
        }
        rest = &after[len..];
    }
    true
}

/// Runs of white space outside literals become one space; none at the ends.
fn collapse_space(text: &str) -> String {
    // Trimmed first, every run left has text after it: its space is due.
    rewrite_unquoted(text.trim(), |text, i, out| {
        let run: usize = text[i..]
            .chars()
            .take_while(|c| c.is_whitespace())
            .map(char::len_utf8)
            .sum();
        if run == 0 {
            return None;
        }
        out.push(' ');
        Some(i + run)
    })
}

/// Where a string literal or quoted identifier starting at `at` ends (one
/// past its closing quote); `None` when `at` is not an opening quote. An
/// unterminated one runs to the end.
fn skip_quoted(bytes: &[u8], at: usize) -> Option<usize> {
    let quote = *bytes.get(at)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let mut i = at + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    Some(bytes.len())
}

/// The bytes from `from` on that are outside string literals and quoted
/// identifiers, each with its offset: what every scan here looks at.
fn unquoted(bytes: &[u8], from: usize) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut i = from;
    std::iter::from_fn(move || {
        while let Some(end) = skip_quoted(bytes, i) {
            i = end;
        }
        let b = *bytes.get(i)?;
        i += 1;
        Some((i - 1, b))
    })
}

/// The index of the bracket closing the one at `open`.
fn matching(text: &str, open: usize, left: u8, right: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(open) != Some(&left) {
        return None;
    }
    let mut depth = 0usize;
    for (i, b) in unquoted(bytes, open) {
        if b == left {
            depth += 1;
        } else if b == right {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// `text` cut at `sep` outside brackets and quotes.
fn split_top_level(text: &str, sep: u8) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, b) in unquoted(bytes, 0) {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b if b == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The upper-cased words outside brackets and quotes, with their offsets.
fn top_level_words(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut depth = 0usize;
    for (i, b) in unquoted(bytes, 0) {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            // The rest of a word is word bytes, which start no word of
            // their own: walking through it finds nothing more.
            _ if depth == 0
                && (b.is_ascii_alphabetic() || b == b'_')
                && (i == 0 || !is_word_byte(bytes[i - 1])) =>
            {
                let len = bytes[i..].iter().take_while(|b| is_word_byte(**b)).count();
                words.push((i, text[i..i + len].to_ascii_uppercase()));
            }
            _ => {}
        }
    }
    words
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn starts_with_word(text: &str, word: &str) -> bool {
    // Compared as bytes: `text` may have a multi-byte character where the
    // word would end.
    let bytes = text.as_bytes();
    bytes.len() >= word.len()
        && bytes[..word.len()].eq_ignore_ascii_case(word.as_bytes())
        && !bytes.get(word.len()).copied().is_some_and(is_word_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists_read_back_after_a_restore_are_the_same() {
        let before = "CHECK (((y)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))";
        let after = "CHECK (((y)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text])))";
        assert_eq!(expression(before), expression(after));
        assert_eq!(
            expression(after),
            "CHECK ((y::text = ANY (ARRAY['a'::character varying::text, 'b'::character varying::text])))"
        );
        // Index predicates and view filters have the same two forms.
        let idx_a = "CREATE INDEX ti ON public.t USING btree (y) WHERE ((y)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))";
        let idx_b = "CREATE INDEX ti ON public.t USING btree (y) WHERE ((y)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))";
        assert_eq!(expression(idx_a), expression(idx_b));
    }

    #[test]
    fn real_changes_stay_different() {
        let a = "CHECK (((y)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))";
        let b = "CHECK (((y)::text = ANY (ARRAY[('a'::character varying)::text, ('c'::character varying)::text])))";
        assert_ne!(expression(a), expression(b));
        assert_ne!(
            expression("CHECK ((a > 0))"),
            expression("CHECK ((a >= 0))")
        );
        // Literals are never touched: spaces and look-alikes inside them count.
        assert_ne!(
            expression("CHECK ((x = 'a  b'::text))"),
            expression("CHECK ((x = 'a b'::text))")
        );
        assert_eq!(
            expression("CHECK ((x = '(ARRAY[1])::int[]'::text))"),
            "CHECK ((x = '(ARRAY[1])::int[]'::text))"
        );
    }

    #[test]
    fn layout_and_redundant_parentheses_do_not_count() {
        assert_eq!(expression("  a\n   =  b  "), "a = b");
        assert_eq!(
            expression("ARRAY[1.5, (2)::numeric]"),
            expression("ARRAY[1.5, 2::numeric]")
        );
        assert_eq!(
            expression("(ARRAY[(x + 1), 2])::bigint[]"),
            "ARRAY[(x + 1)::bigint, 2::bigint]"
        );
        // Broken input is returned, never a panic.
        for odd in [
            "(ARRAY[",
            "(ARRAY[1])::",
            "('a",
            "(ARRAY['a'])::text[",
            "é(ARRAY[é])::é[]",
        ] {
            let _ = expression(odd);
        }
    }

    #[test]
    fn view_columns_in_another_order_are_the_same() {
        let a = " SELECT t.a,\n    t.b,\n    t.c\n   FROM t\n  WHERE (t.a > 0);";
        let b = " SELECT t.a,\n    t.c,\n    t.b\n   FROM t\n  WHERE (t.a > 0);";
        assert_ne!(expression(a), expression(b));
        assert_eq!(
            unordered_columns(&expression(a)),
            unordered_columns(&expression(b))
        );
        // Another filter is another view.
        let c = " SELECT t.a,\n    t.c,\n    t.b\n   FROM t\n  WHERE (t.a > 1);";
        assert_ne!(
            unordered_columns(&expression(a)),
            unordered_columns(&expression(c))
        );
        // Expressions with commas inside stay whole.
        assert_eq!(
            unordered_columns("SELECT coalesce(t.b, t.a) AS x, t.a FROM t"),
            "SELECT coalesce(t.b, t.a) AS x, t.a FROM t"
        );
        assert_eq!(
            unordered_columns("SELECT t.b, coalesce(t.b, t.a) AS x FROM t"),
            unordered_columns("SELECT coalesce(t.b, t.a) AS x, t.b FROM t")
        );
        // No FROM at all.
        assert_eq!(
            unordered_columns("SELECT 2 AS b, 1 AS a;"),
            "SELECT 1 AS a, 2 AS b ;"
        );
        // DISTINCT ON stays in front of the list.
        assert_eq!(
            unordered_columns("SELECT DISTINCT ON (t.b) t.b, t.a FROM t"),
            "SELECT DISTINCT ON (t.b) t.a, t.b FROM t"
        );
    }

    const ROUNDS: usize = 5000;

    #[test]
    fn arbitrary_text_never_panics() {
        // A fixed pseudo-random walk over the characters that matter here.
        let alphabet: Vec<char> = "SELECT FROM ARRAY[]()::,'\"é ;DISTINCT ON UNION a1_\n"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..ROUNDS {
            let len = next() % 60;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = unordered_columns(&expression(&text));
            let _ = unordered_columns(&text);
        }
    }

    #[test]
    fn set_operations_keep_their_column_order() {
        let u = "SELECT t.b, t.a FROM t UNION SELECT u.b, u.a FROM u";
        assert_eq!(unordered_columns(u), u);
        let w = "WITH x AS (SELECT 1 AS a) SELECT x.a FROM x";
        assert_eq!(unordered_columns(w), w);
    }
}
