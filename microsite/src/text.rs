//! User text into HTML: plain text with its line breaks, or a small Markdown subset (bold,
//! italic, links). The converter only ever emits escaped text and four tags it wrote itself;
//! ammonia then cleans the result again with an allow-list, so a mistake here stays harmless.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::block::link_url;

/// A validation failure and the path of the field it is about (`blocks[3].url`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Escapes the five characters that matter in HTML text and quoted attributes.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {}
            '\n' => out.push_str("<br>\n"),
            c => out.push(c),
        }
    }
}

/// Plain text: escaped, line breaks kept.
pub fn plain_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    escape(text, &mut out);
    out
}

/// The Markdown subset, sanitised.
pub fn markdown_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    inline(text, &mut out, 0);
    sanitizer().clean(&out).to_string()
}

/// Every `[label](url)` in a Markdown text must be a link we would render.
pub fn check_markdown_links(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else { break };
        let url = &after[..end];
        link_url(url).map_err(|why| format!("the link to {url:?}: {why}"))?;
        rest = &after[end..];
    }
    Ok(())
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(HashSet::from(["a", "strong", "em", "br"]))
            .add_tag_attributes("a", ["href"])
            .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("nofollow noopener noreferrer ugc"));
        builder
    })
}

const MAX_DEPTH: u8 = 3;

fn inline(src: &str, out: &mut String, depth: u8) {
    let mut rest = src;
    let mut prev = ' ';
    while let Some(c) = rest.chars().next() {
        // `snake_case` is a word, not emphasis (as in CommonMark).
        let intraword = c == '_' && prev.is_alphanumeric();
        if depth < MAX_DEPTH {
            if let Some(inner) = rest.strip_prefix("**")
                && let Some(end) = inner
                    .find("**")
                    .filter(|&e| e > 0 && !inner[..e].contains('\n'))
            {
                out.push_str("<strong>");
                inline(&inner[..end], out, depth + 1);
                out.push_str("</strong>");
                rest = &inner[end + 2..];
                continue;
            }
            if (c == '*' || (c == '_' && !intraword))
                && let Some(end) = rest[1..]
                    .find(c)
                    .filter(|&e| e > 0 && !rest[1..=e].contains('\n'))
            {
                out.push_str("<em>");
                inline(&rest[1..=end], out, depth + 1);
                out.push_str("</em>");
                rest = &rest[2 + end..];
                continue;
            }
            if c == '['
                && let Some((label, after)) = rest[1..].split_once("](")
                && !label.contains(['[', '\n'])
                && let Some((url, tail)) = after.split_once(')')
                && let Ok(href) = link_url(url)
            {
                out.push_str("<a href=\"");
                escape(&href, out);
                out.push_str("\">");
                escape(label, out);
                out.push_str("</a>");
                rest = tail;
                continue;
            }
        }
        let mut buf = [0u8; 4];
        escape(c.encode_utf8(&mut buf), out);
        rest = &rest[c.len_utf8()..];
        prev = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_escaped_with_line_breaks() {
        assert_eq!(
            plain_html("<script>alert(1)</script>\n\"a\" & 'b'"),
            "&lt;script&gt;alert(1)&lt;/script&gt;<br>\n&quot;a&quot; &amp; &#39;b&#39;"
        );
    }

    #[test]
    fn markdown_subset_renders() {
        let html =
            markdown_html("**Fresh** bread, *daily*.\nSee [our menu](https://example.com/menu)");
        assert!(html.contains("<strong>Fresh</strong>"), "{html}");
        assert!(html.contains("<em>daily</em>"), "{html}");
        assert!(html.contains("<br>"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.com/menu\" rel=\"nofollow noopener noreferrer ugc\">our menu</a>"),
            "{html}"
        );
    }

    #[test]
    fn markdown_cannot_smuggle_html_or_scripts() {
        for evil in [
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "[<b onmouseover=alert(1)>x</b>](https://a.example)",
            "**<script>alert(1)</script>**",
            "[x](https://a.example\" onclick=\"alert(1))",
        ] {
            let html = markdown_html(evil);
            // Every tag is one of ours; anything else the user typed is text.
            for tag in html.split('<').skip(1) {
                assert!(
                    [
                        "a href=\"https://",
                        "/a>",
                        "strong>",
                        "/strong>",
                        "em>",
                        "/em>",
                        "br>"
                    ]
                    .iter()
                    .any(|ok| tag.starts_with(ok)),
                    "{evil} => {html}"
                );
            }
        }
    }

    #[test]
    fn markdown_links_are_checked() {
        assert!(check_markdown_links("[a](https://a.example) and [b](mailto:b@c.de)").is_ok());
        assert!(check_markdown_links("[a](javascript:alert(1))").is_err());
    }

    #[test]
    fn unbalanced_markers_stay_text() {
        assert_eq!(markdown_html("2 * 3 = 6"), "2 * 3 = 6");
        assert_eq!(markdown_html("snake_case"), "snake_case");
        assert_eq!(markdown_html("a_snake_case_name"), "a_snake_case_name");
        assert_eq!(
            markdown_html("an _emphasis_ here"),
            "an <em>emphasis</em> here"
        );
    }
}
