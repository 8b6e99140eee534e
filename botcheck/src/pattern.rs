//! What the prefilter needs of a crawler-user-agents pattern: for each top-level alternative, a
//! literal that every match must contain, and whether the alternative *is* that literal (then a
//! literal hit is a match, with no regex to run). The list's patterns are simple regexes
//! (escaped punctuation, classes, groups, anchors, a few quantifiers); anything this reader does
//! not understand only makes it choose a shorter literal or none, never a wrong one.

/// One alternative of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// The longest literal every match of the alternative contains (may be empty).
    pub literal: String,
    /// The alternative is exactly `literal`: no anchors, classes, groups or quantifiers.
    pub exact: bool,
}

/// Splits `pattern` at its top-level `|`s and reads each alternative.
pub fn alternatives(pattern: &str) -> Vec<Alternative> {
    split_top_level(pattern).iter().map(|a| read(a)).collect()
}

fn split_top_level(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut depth, mut in_class) = (0usize, false);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                current.extend(chars.next());
                continue;
            }
            ']' if in_class => in_class = false,
            '[' if !in_class => in_class = true,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out
}

/// Runs of literal characters, broken at anything that is not one; an optional character
/// (`?`, `*`, `{0,…}`) is dropped from its run.
fn read(alternative: &str) -> Alternative {
    let chars: Vec<char> = alternative.chars().collect();
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    let mut exact = true;
    let mut last_was_literal = false;
    let mut i = 0;
    let end_run = |run: &mut String, runs: &mut Vec<String>| {
        if !run.is_empty() {
            runs.push(std::mem::take(run));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                match chars.get(i + 1) {
                    // `\d`, `\s`, `\b`, … : a class or an assertion, not a character.
                    Some(n) if n.is_alphanumeric() => {
                        end_run(&mut run, &mut runs);
                        exact = false;
                        last_was_literal = false;
                    }
                    Some(n) => {
                        run.push(*n);
                        last_was_literal = true;
                    }
                    None => exact = false,
                }
                i += 2;
            }
            '[' => {
                end_run(&mut run, &mut runs);
                exact = false;
                last_was_literal = false;
                i = skip_class(&chars, i);
            }
            '(' => {
                end_run(&mut run, &mut runs);
                exact = false;
                last_was_literal = false;
                i = skip_group(&chars, i);
            }
            '?' | '*' | '+' | '{' => {
                exact = false;
                let optional = if c == '{' {
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == '}')
                        .map_or(chars.len(), |p| i + p);
                    let min: String = chars[i + 1..close]
                        .iter()
                        .take_while(|c| **c != ',')
                        .collect();
                    i = close + 1;
                    min.trim() == "0"
                } else {
                    i += 1;
                    c != '+'
                };
                // A lazy quantifier's `?`.
                if chars.get(i) == Some(&'?') {
                    i += 1;
                }
                if last_was_literal && optional {
                    run.pop();
                }
                end_run(&mut run, &mut runs);
                last_was_literal = false;
            }
            '.' | '^' | '$' => {
                end_run(&mut run, &mut runs);
                exact = false;
                last_was_literal = false;
                i += 1;
            }
            _ => {
                run.push(c);
                last_was_literal = true;
                i += 1;
            }
        }
    }
    end_run(&mut run, &mut runs);
    let literal = runs
        .iter()
        .max_by_key(|r| r.chars().count())
        .cloned()
        .unwrap_or_default();
    Alternative {
        exact: exact && runs.len() == 1,
        literal,
    }
}

/// The index just past the class that starts at `start` (`[`).
fn skip_class(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    while i < chars.len() && chars[i] != ']' {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// The index just past the group that starts at `start` (`(`).
fn skip_group(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => {
                i = skip_class(chars, i);
                continue;
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(pattern: &str) -> (String, bool) {
        let mut all = alternatives(pattern);
        assert_eq!(all.len(), 1, "{pattern}");
        let a = all.remove(0);
        (a.literal, a.exact)
    }

    #[test]
    fn plain_and_escaped_text_is_exact() {
        assert_eq!(one(r"Googlebot\/"), ("Googlebot/".into(), true));
        assert_eq!(one(r"grub\.org"), ("grub.org".into(), true));
        assert_eq!(
            one("Gluten Free Crawler"),
            ("Gluten Free Crawler".into(), true)
        );
    }

    #[test]
    fn anchors_classes_and_groups_leave_the_longest_required_run() {
        assert_eq!(one("^Seekbot"), ("Seekbot".into(), false));
        assert_eq!(one("[wW]get"), ("get".into(), false));
        assert_eq!(
            one("AdsBot-Google([^-]|$)"),
            ("AdsBot-Google".into(), false)
        );
        assert_eq!(
            one(r"(sistrix|SISTRIX) [cC]rawler"),
            ("rawler".into(), false)
        );
        assert_eq!(
            one(r"BlogTraffic\/\d\.\d+ Feed-Fetcher"),
            (" Feed-Fetcher".into(), false)
        );
    }

    #[test]
    fn optional_characters_are_not_required() {
        assert_eq!(one("Bots?Crawl"), ("Crawl".into(), false));
        assert_eq!(one("Bots?"), ("Bot".into(), false));
        assert_eq!(one("ab{0,2}cdef"), ("cdef".into(), false));
        assert_eq!(one("x+yz"), ("yz".into(), false));
    }

    #[test]
    fn top_level_alternatives_are_read_one_by_one() {
        let all = alternatives(r"Mail\.RU_Bot|^Yahoo");
        assert_eq!(all[0].literal, "Mail.RU_Bot");
        assert!(all[0].exact);
        assert_eq!(all[1].literal, "Yahoo");
        assert!(!all[1].exact);
    }
}
