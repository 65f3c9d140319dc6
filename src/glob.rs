//! Shell-style patterns (`public.s*`, `cust_*`): `*`, `?`, `[seq]` and
//! `[!seq]`, matched against the whole text: the tables of an export or
//! import, the services and databases of a fleet.

/// Whether `text` holds any pattern character (then it is a glob, not a name).
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Whether `pattern` matches all of `text`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    match_from(&p, &t)
}

fn match_from(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        // Any run of characters: try every split, shortest first.
        Some('*') => (0..=t.len()).any(|i| match_from(&p[1..], &t[i..])),
        Some('?') => !t.is_empty() && match_from(&p[1..], &t[1..]),
        Some('[') => match (class(&p[1..]), t.first()) {
            (Some((hit, used)), Some(&c)) => hit(c) && match_from(&p[1 + used..], &t[1..]),
            // An unclosed `[` stands for itself.
            (None, Some('[')) => match_from(&p[1..], &t[1..]),
            _ => false,
        },
        Some(&c) => t.first() == Some(&c) && match_from(&p[1..], &t[1..]),
    }
}

type ClassTest = Box<dyn Fn(char) -> bool>;

/// The class after a `[`: its test and how many pattern characters it
/// used, the closing `]` included; `None` when it is never closed.
fn class(p: &[char]) -> Option<(ClassTest, usize)> {
    let negated = p.first() == Some(&'!');
    let start = usize::from(negated);
    // A `]` right after `[` or `[!` is a member, not the end.
    let close = p
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, c)| **c == ']')
        .map(|(i, _)| i)?;
    let members: Vec<char> = p[start..close].to_vec();
    let test = move |c: char| {
        let mut hit = false;
        let mut i = 0;
        while i < members.len() {
            if i + 2 < members.len() && members[i + 1] == '-' {
                hit |= members[i] <= c && c <= members[i + 2];
                i += 3;
            } else {
                hit |= members[i] == c;
                i += 1;
            }
        }
        hit != negated
    };
    Some((Box::new(test), close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("public.s*", "public.store"));
        assert!(matches("public.s*", "public.s"));
        assert!(!matches("public.s*", "public.product"));
        assert!(!matches("public.s*", "other.store"));
        assert!(matches("*.t?", "app.t1"));
        assert!(!matches("*.t?", "app.t12"));
        assert!(matches("*", "a.b"));
    }

    #[test]
    fn stars_anywhere() {
        assert!(matches("cust_*", "cust_"));
        assert!(!matches("cust_*", "customer"));
        assert!(matches("*_prod", "a_b_prod"));
        assert!(!matches("c?t", "ct"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(!matches("exact", "exactly"));
    }

    #[test]
    fn classes_and_negated_classes() {
        assert!(matches("public.t[12]", "public.t1"));
        assert!(!matches("public.t[12]", "public.t3"));
        assert!(matches("public.t[!12]", "public.t3"));
        assert!(!matches("public.t[!12]", "public.t2"));
        assert!(matches("public.t[a-c]x", "public.tbx"));
        assert!(!matches("public.t[a-c]x", "public.tdx"));
        assert!(matches("a[]]b", "a]b"));
        assert!(matches("a[b", "a[b"));
    }

    #[test]
    fn names_without_pattern_characters_are_not_globs() {
        assert!(!is_glob("public.product"));
        assert!(is_glob("public.s*"));
        assert!(is_glob("public.t[12]"));
    }
}
