//! Making text a candidate controls safe to show: no terminal escapes, no control characters.

/// Text a candidate controls, made plain: no ANSI escape sequences (CSI, OSC and others), no
/// control characters but newline and tab, no bidirectional overrides that could disguise it.
/// Safe to place anywhere once the renderer escapes it for its format.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters then one final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('_') | Some('^') => {
                    chars.next();
                    // OSC and friends end with BEL or ESC \
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\n' | '\t' => out.push(c),
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            c if c.is_control() => {}
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of a value a candidate or an author controls, quoted, with a count
/// of what was cut, so one pathological value cannot blow up a message.
pub fn quoted(value: &str, max: usize) -> String {
    let mut chars = value.char_indices();
    match chars.nth(max) {
        None => format!("{value:?}"),
        Some((end, _)) => format!("{:?}… ({} more bytes)", &value[..end], value.len() - end),
    }
}

/// The first 12 hex digits of a hash (`sha256:` prefix dropped), as messages show one.
pub fn short_hash(hash: &str) -> &str {
    let hash = hash.strip_prefix("sha256:").unwrap_or(hash);
    let end = hash.char_indices().nth(12).map(|(i, _)| i).unwrap_or(hash.len());
    &hash[..end]
}

/// A single line safe to print on a terminal.
pub fn terminal_safe(text: &str) -> String {
    plain(text).replace(['\n', '\t'], " ")
}

/// Shell-style glob: `*` any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(plain("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(plain("\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7}"), "link");
        assert_eq!(plain("\u{1b}]52;c;aGk=\u{1b}\\after"), "after");
        assert_eq!(plain("a\u{0}b\rc\u{202e}d\ne"), "abcd\ne");
        assert_eq!(plain("\u{1b}[2J\u{1b}[Hclear"), "clear");
        assert_eq!(terminal_safe("two\nlines"), "two lines");
    }

    #[test]
    fn short_hashes() {
        assert_eq!(short_hash("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_hash("abc"), "abc");
        assert_eq!(short_hash("ééééééééééééé"), "éééééééééééé");
    }

    #[test]
    fn quoted_values_are_cut() {
        assert_eq!(quoted("abc", 5), "\"abc\"");
        assert_eq!(quoted("abcdef", 3), "\"abc\"… (3 more bytes)");
        assert_eq!(quoted("ééé", 1), "\"é\"… (4 more bytes)");
    }

    #[test]
    fn globs() {
        assert!(glob_match("test_x::test_edge_*", "test_x::test_edge_empty"));
        assert!(glob_match("*empty*", "test_x::test_edge_empty_text"));
        assert!(glob_match("t?st", "test"));
        assert!(!glob_match("test_a*", "test_b"));
        assert!(glob_match("*", ""));
    }
}
