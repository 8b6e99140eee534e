//! One classifier of user agents for the whole product: a person, a crawler, or a link-preview
//! fetcher. qr asks it on every scan (a `max_scans` limit counts people only, and previews get
//! the Open Graph page); analytics asks it for every stored scan and view, so a code's limit and
//! its statistics agree on who was a bot.
//!
//! Its crawlers are the crawler-user-agents list (`data/`, MIT, see `data/README.md`) plus the
//! few HTTP libraries and headless browsers that list leaves out ([`lists`]). The ~1,500 patterns
//! are regexes, but almost all are plain text: each is reduced to a literal every match contains
//! ([`pattern`]), all literals go into one case-insensitive Aho-Corasick automaton, and only the
//! few patterns that are more than their literal run their regex, and only after their literal
//! was found. One pass over the user agent, no allocation.

pub mod lists;
pub mod pattern;

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

/// Who sent a request, as far as its user agent tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agent {
    /// A browser (or an in-app browser) with a person behind it.
    Human,
    /// A crawler, monitor, script or headless browser.
    Crawler,
    /// A chat or social app fetching a link's preview (Slack, WhatsApp, iMessage, …).
    Preview,
}

impl Agent {
    /// Crawlers and preview fetchers alike.
    pub fn is_bot(self) -> bool {
        self != Agent::Human
    }
}

/// The built-in lists, compiled on first use.
static DEFAULT: LazyLock<Classifier> = LazyLock::new(Classifier::default);

/// Compiles the built-in lists now (milliseconds of CPU), so that no request pays for it.
pub fn warm_up() {
    LazyLock::force(&DEFAULT);
}

/// Classifies `user_agent` with the built-in lists. An empty user agent is a crawler: every
/// real browser sends one.
pub fn classify(user_agent: &str) -> Agent {
    DEFAULT.classify(user_agent)
}

/// [`classify`], as a yes/no.
pub fn is_bot(user_agent: &str) -> bool {
    classify(user_agent).is_bot()
}

/// What one literal of the automaton stands for.
#[derive(Debug)]
struct Entry {
    agent: Agent,
    /// The pattern's regex, when the literal alone does not make a match.
    confirm: Option<usize>,
}

pub struct Classifier {
    literals: AhoCorasick,
    entries: Vec<Entry>,
    regexes: Vec<Regex>,
    /// Patterns without a literal to look for: their regex runs on every user agent.
    unanchored: Vec<(Agent, Regex)>,
}

impl Default for Classifier {
    fn default() -> Self {
        let list = lists::crawler_user_agents();
        let crawlers = list
            .iter()
            .map(String::as_str)
            .filter(|p| !lists::DROPPED.iter().any(|(dropped, _)| dropped == p))
            .chain(lists::EXTRA_CRAWLERS.iter().copied());
        Self::new(crawlers, lists::PREVIEWS.iter().copied())
            .expect("the built-in patterns are valid regexes")
    }
}

impl Classifier {
    /// A classifier of `crawlers` and `previews`, both regexes matched case-insensitively
    /// anywhere in the user agent.
    pub fn new<'a>(
        crawlers: impl IntoIterator<Item = &'a str>,
        previews: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, regex::Error> {
        let mut literals = Vec::new();
        let mut entries = Vec::new();
        let mut regexes = Vec::new();
        let mut unanchored = Vec::new();
        let tagged = crawlers
            .into_iter()
            .map(|p| (Agent::Crawler, p))
            .chain(previews.into_iter().map(|p| (Agent::Preview, p)));
        // Only the patterns that are more than their literals are compiled as regexes: a few
        // dozen of ~1,500, which keeps building the classifier to milliseconds.
        let compile = |source: &str| {
            regex::RegexBuilder::new(source)
                .case_insensitive(true)
                .build()
        };
        for (agent, source) in tagged {
            let alternatives = pattern::alternatives(source);
            // The automaton folds ASCII case only: a literal it could miss is no prefilter.
            let usable = alternatives
                .iter()
                .all(|a| a.literal.len() >= 3 && a.literal.is_ascii());
            if !usable {
                unanchored.push((agent, compile(source)?));
                continue;
            }
            let confirm = if alternatives.iter().all(|a| a.exact) {
                None
            } else {
                regexes.push(compile(source)?);
                Some(regexes.len() - 1)
            };
            for alternative in alternatives {
                literals.push(alternative.literal);
                entries.push(Entry { agent, confirm });
            }
        }
        let literals = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&literals)
            .expect("literals make a valid automaton");
        Ok(Self {
            literals,
            entries,
            regexes,
            unanchored,
        })
    }

    pub fn classify(&self, user_agent: &str) -> Agent {
        if user_agent.trim().is_empty() {
            return Agent::Crawler;
        }
        let mut found = Agent::Human;
        for hit in self.literals.find_overlapping_iter(user_agent) {
            let entry = &self.entries[hit.pattern().as_usize()];
            if found == Agent::Crawler && entry.agent == Agent::Crawler {
                continue; // nothing new to learn
            }
            let matches = entry
                .confirm
                .is_none_or(|i| self.regexes[i].is_match(user_agent));
            if matches {
                if entry.agent == Agent::Preview {
                    return Agent::Preview;
                }
                found = Agent::Crawler;
            }
        }
        for (agent, regex) in &self.unanchored {
            let wanted = *agent == Agent::Preview || found == Agent::Human;
            if wanted && regex.is_match(user_agent) {
                if *agent == Agent::Preview {
                    return Agent::Preview;
                }
                found = Agent::Crawler;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_without_a_literal_still_count() {
        let c = Classifier::new([r"^\d+$", "spider"], ["tel[e]gram"]).unwrap();
        assert_eq!(c.classify("12345"), Agent::Crawler);
        assert_eq!(c.classify("a spider"), Agent::Crawler);
        assert_eq!(c.classify("TelegramBot"), Agent::Preview);
        assert_eq!(c.classify("Mozilla/5.0 12345"), Agent::Human);
        assert_eq!(c.classify(""), Agent::Crawler);
    }

    #[test]
    fn a_literal_hit_is_confirmed_by_its_regex() {
        let c = Classifier::new([r"^Seekbot", "AdsBot-Google([^-]|$)"], []).unwrap();
        assert_eq!(c.classify("Seekbot/1.0"), Agent::Crawler);
        assert_eq!(c.classify("Mozilla Seekbot/1.0"), Agent::Human);
        assert_eq!(c.classify("AdsBot-Google"), Agent::Crawler);
        assert_eq!(c.classify("AdsBot-Google-Mobile"), Agent::Human);
    }

    #[test]
    fn a_preview_wins_over_a_crawler_marker() {
        let imessage = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";
        assert_eq!(classify(imessage), Agent::Preview);
    }
}
