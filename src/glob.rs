//! Shell-style patterns (`public.s*`, `cust_*`): `*`, `?`, `[seq]` and
//! `[!seq]`, matched against the whole text: the tables of an export or
//! import, the services and databases of a fleet.

/// Whether `text` holds any pattern character (then it is a glob, not a name).
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Whether `pattern` matches all of `text`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p = tokens(pattern);
    let t: Vec<char> = text.chars().collect();
    // Every token but `*` takes exactly one character, so one way back (to
    // the last `*`, taking one more character) is enough: linear in
    // practice, never exponential however many stars a pattern has.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Token::Star) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(one) if one.takes(t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| matches!(t, Token::Star))
}

/// One element of a pattern.
enum Token {
    /// Any run of characters.
    Star,
    /// Any one character.
    Any,
    Char(char),
    /// `[seq]` or `[!seq]`: members, with `a-z` ranges.
    Class {
        members: Vec<char>,
        negated: bool,
    },
}

impl Token {
    /// Whether this token (not `*`) takes `c`.
    fn takes(&self, c: char) -> bool {
        match self {
            Token::Star => false,
            Token::Any => true,
            Token::Char(own) => *own == c,
            Token::Class { members, negated } => {
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
                hit != *negated
            }
        }
    }
}

fn tokens(pattern: &str) -> Vec<Token> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let (token, used) = match p[i] {
            '*' => (Token::Star, 1),
            '?' => (Token::Any, 1),
            // An unclosed `[` stands for itself.
            '[' => class(&p[i + 1..]).unwrap_or((Token::Char('['), 1)),
            c => (Token::Char(c), 1),
        };
        out.push(token);
        i += used;
    }
    out
}

/// The class after a `[` and how many pattern characters it used, both
/// brackets included; `None` when it is never closed.
fn class(p: &[char]) -> Option<(Token, usize)> {
    let negated = p.first() == Some(&'!');
    let start = usize::from(negated);
    // A `]` right after `[` or `[!` is a member, not the end.
    let close = p
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, c)| **c == ']')
        .map(|(i, _)| i)?;
    let members = p[start..close].to_vec();
    Some((Token::Class { members, negated }, close + 2))
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
    fn many_stars_are_matched_in_linear_time() {
        let text = "a".repeat(60);
        assert!(!matches(&format!("{}b", "*a".repeat(20)), &text));
        assert!(matches(&"*a".repeat(20), &text));
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
