//! **ml**, with the pages it drafts (microsite's). The real service drafts a microsite from a description with a language model,
//! suggests better link labels and destinations, and flags unusual scan patterns.
//!
//! Stand-in: "describe your page" → a draft chosen from the five microsite templates by keyword
//! rules and filled from the prompt's own words. **No model and no network**: the same prompt
//! always gives the same draft, and nothing leaves the server. The draft is plain microsite
//! content (title, description, theme, blocks), validated by the microsite service like any
//! other page when it is saved. Flag: `ml`.

use serde::Serialize;
use serde_json::{Value, json};
use shared::error::ApiError;
use shared::features::{Feature, Features};

/// Longest prompt accepted (characters).
pub const MAX_PROMPT: usize = 500;

/// A microsite draft: the fields of a microsite create request.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Draft {
    /// Which of the five starters it follows.
    pub template: &'static str,
    pub title: String,
    pub description: String,
    pub theme: &'static str,
    /// Microsite blocks (see the microsite schemas).
    #[schema(value_type = Vec<Object>)]
    pub blocks: Vec<Value>,
}

/// The boundary: a description in, a draft out.
pub trait PageDrafter: Send + Sync {
    fn draft(&self, prompt: &str) -> Result<Draft, ApiError>;
}

/// The keyword-rules stand-in.
pub struct RuleDrafter {
    pub features: Features,
}

/// Template, theme, and the words that pick it (checked in this order; the first with the most
/// hits wins, `creator` when none match).
const RULES: &[(&str, &str, &[&str])] = &[
    (
        "restaurant_menu",
        "sunset",
        &[
            "restaurant",
            "menu",
            "cafe",
            "café",
            "bar",
            "food",
            "kitchen",
            "dish",
            "pizza",
            "bakery",
            "coffee",
            "taco",
            "brunch",
            "dinner",
            "lunch",
        ],
    ),
    (
        "event",
        "candy",
        &[
            "event",
            "party",
            "concert",
            "festival",
            "wedding",
            "market",
            "conference",
            "meetup",
            "gig",
            "show",
            "tickets",
            "launch party",
            "workshop",
        ],
    ),
    (
        "business_card",
        "mono",
        &[
            "architect",
            "lawyer",
            "consultant",
            "freelance",
            "agency",
            "studio",
            "business",
            "contact",
            "card",
            "accountant",
            "realtor",
            "designer",
            "plumber",
            "services",
        ],
    ),
    (
        "product_launch",
        "ocean",
        &[
            "product",
            "launch",
            "app",
            "startup",
            "preorder",
            "pre-order",
            "shop",
            "store",
            "release",
            "kickstarter",
            "beta",
            "saas",
            "gadget",
        ],
    ),
    (
        "creator",
        "dark",
        &[
            "creator",
            "youtube",
            "tiktok",
            "instagram",
            "podcast",
            "music",
            "artist",
            "videos",
            "streamer",
            "writer",
            "photographer",
            "band",
            "influencer",
        ],
    ),
];

impl RuleDrafter {
    fn pick(prompt: &str) -> (&'static str, &'static str) {
        let lower = prompt.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '-' && c != 'é')
            .filter(|w| !w.is_empty())
            .collect();
        let hits = |keywords: &[&str]| {
            keywords
                .iter()
                .filter(|k| {
                    if k.contains(' ') {
                        lower.contains(*k)
                    } else {
                        words
                            .iter()
                            .any(|w| w == *k || w.strip_suffix('s') == Some(**k))
                    }
                })
                .count()
        };
        let mut best = ("creator", "dark", 0);
        for (template, theme, keywords) in RULES {
            let n = hits(keywords);
            if n > best.2 {
                best = (template, theme, n);
            }
        }
        (best.0, best.1)
    }

    /// A name for the page: a quoted phrase, else the capitalised words after "called" or
    /// "named", else the first words of the prompt.
    fn title(prompt: &str) -> String {
        if let Some(start) = prompt.find('"')
            && let Some(len) = prompt[start + 1..].find('"')
            && len > 0
        {
            return clip(&prompt[start + 1..start + 1 + len], 60);
        }
        let words: Vec<&str> = prompt.split_whitespace().collect();
        if let Some(at) = words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("called") || w.eq_ignore_ascii_case("named"))
        {
            let mut name = Vec::new();
            for word in words[at + 1..].iter().take(5) {
                if !word.starts_with(char::is_uppercase) {
                    break;
                }
                name.push(word.trim_end_matches([',', '.', ';', ':', '!']));
                if word.ends_with([',', '.', ';', ':', '!']) {
                    break;
                }
            }
            if !name.is_empty() {
                return clip(&name.join(" "), 60);
            }
        }
        let title = clip(
            &words.iter().take(6).copied().collect::<Vec<_>>().join(" "),
            60,
        );
        let mut chars = title.chars();
        chars
            .next()
            .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
    }
}

fn clip(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

impl PageDrafter for RuleDrafter {
    fn draft(&self, prompt: &str) -> Result<Draft, ApiError> {
        self.features.require(Feature::Ml)?;
        let prompt = prompt.trim();
        if prompt.is_empty() {
            return Err(ApiError::invalid(
                "prompt",
                "Describe your page in a few words.",
            ));
        }
        if prompt.chars().count() > MAX_PROMPT {
            return Err(ApiError::invalid(
                "prompt",
                format!("Keep the description under {MAX_PROMPT} characters."),
            ));
        }
        // Control characters never reach a page; the microsite service escapes the rest.
        let prompt: String = prompt.chars().filter(|c| !c.is_control()).collect();
        let (template, theme) = Self::pick(&prompt);
        let title = Self::title(&prompt);
        let description = clip(&prompt, 160);
        let blocks = match template {
            "restaurant_menu" => vec![
                json!({"type": "profile", "name": title, "bio": description}),
                json!({"type": "heading", "text": "Menu"}),
                json!({"type": "text", "text": "Add your dishes here."}),
                json!({"type": "divider"}),
                json!({"type": "text", "text": "Opening hours: add them here."}),
            ],
            "event" => vec![
                json!({"type": "heading", "text": title}),
                json!({"type": "text", "text": description}),
                json!({"type": "heading", "text": "Programme"}),
                json!({"type": "text", "text": "Add the times and acts here."}),
            ],
            "business_card" => vec![
                json!({"type": "profile", "name": title, "bio": description}),
                json!({"type": "heading", "text": "Services"}),
                json!({"type": "text", "text": "Describe what you offer here."}),
            ],
            "product_launch" => vec![
                json!({"type": "heading", "text": title}),
                json!({"type": "text", "text": description}),
                json!({"type": "heading", "text": "Why you'll love it"}),
                json!({"type": "text", "text": "Add three reasons here."}),
            ],
            _ => vec![
                json!({"type": "profile", "name": title, "bio": description}),
                json!({"type": "text", "text": "Add links to your work here."}),
            ],
        };
        Ok(Draft {
            template,
            title,
            description,
            theme,
            blocks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> RuleDrafter {
        RuleDrafter {
            features: Features::default().with(Feature::Ml),
        }
    }

    #[test]
    fn off_answers_feature_not_enabled() {
        let off = RuleDrafter {
            features: Features::default(),
        };
        assert_eq!(
            off.draft("a cafe").unwrap_err().code(),
            "feature_not_enabled"
        );
    }

    #[test]
    fn keywords_choose_the_template() {
        let cases = [
            (
                "A taco restaurant called Casa Lupe with our menu",
                "restaurant_menu",
            ),
            ("Our summer festival: tickets and the line-up", "event"),
            ("Freelance architect, contact details", "business_card"),
            (
                "We launch our new app next week, preorder now",
                "product_launch",
            ),
            ("I make YouTube videos and music", "creator"),
            ("something with no keyword at all", "creator"),
        ];
        for (prompt, template) in cases {
            assert_eq!(on().draft(prompt).unwrap().template, template, "{prompt}");
        }
    }

    #[test]
    fn the_draft_is_filled_from_the_prompt() {
        let draft = on()
            .draft("A taco restaurant called Casa Lupe, with our menu and hours")
            .unwrap();
        assert_eq!(draft.title, "Casa Lupe");
        assert_eq!(draft.theme, "sunset");
        assert!(draft.description.starts_with("A taco restaurant"));
        assert_eq!(draft.blocks[0]["name"], "Casa Lupe");
        let quoted = on()
            .draft("page for \"Spring Night Market\" event")
            .unwrap();
        assert_eq!(quoted.title, "Spring Night Market");
    }

    #[test]
    fn bad_prompts_name_the_field() {
        let empty = on().draft("  ").unwrap_err();
        assert_eq!(empty.field(), Some("prompt"));
        let long = on().draft(&"x".repeat(MAX_PROMPT + 1)).unwrap_err();
        assert_eq!(long.field(), Some("prompt"));
        let cleaned = on().draft("my\u{7}page").unwrap();
        assert!(!cleaned.description.contains('\u{7}'));
    }
}
