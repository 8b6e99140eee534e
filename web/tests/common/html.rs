//! Just enough HTML reading for the attack suite: the forms of a page and its local links.

#![allow(dead_code)]

/// One `<form method="post">` of a page: where it posts and the fields it would send.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub multipart: bool,
    pub fields: Vec<(String, String)>,
}

/// The value of attribute `name` in a tag's text (`<input type="text" name="x">`).
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&format!("{name}=")) {
        let start = from + at;
        from = start + name.len() + 1;
        // A whole attribute name, not the end of another (`data-name=`).
        if start > 0 && !lower.as_bytes()[start - 1].is_ascii_whitespace() {
            continue;
        }
        let rest = &tag[from..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or_default(),
            _ => rest
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or_default(),
        };
        return Some(unescape(value));
    }
    None
}

/// Undoes the escaping askama applies to text and attributes.
pub fn unescape(text: &str) -> String {
    text.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The tags named `name` in `html`, each as its text from `<` to `>`.
fn tags<'a>(html: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&open) {
        let start = from + at;
        let after = lower.as_bytes().get(start + open.len()).copied();
        from = start + open.len();
        if !matches!(after, Some(b' ' | b'>' | b'\n' | b'\t' | b'/')) {
            continue;
        }
        let end = html[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        found.push((start, &html[start..end]));
    }
    found
}

/// Every form of `html` that posts, with its fields as the browser would send them unchanged
/// (checked boxes, selected options, text areas). A form without an action posts to `page`.
/// Buttons with their own `formaction` count as forms of their own.
pub fn post_forms(html: &str, page: &str) -> Vec<Form> {
    let lower = html.to_ascii_lowercase();
    let mut forms = Vec::new();
    for (start, tag) in tags(html, "form") {
        if attr(tag, "method").map(|m| m.to_ascii_lowercase()) != Some("post".into()) {
            continue;
        }
        let end = lower[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e);
        let body = &html[start..end];
        let mut fields = Vec::new();
        for (_, input) in tags(body, "input") {
            let kind = attr(input, "type").unwrap_or_default().to_ascii_lowercase();
            let Some(name) = attr(input, "name") else {
                continue;
            };
            if matches!(kind.as_str(), "checkbox" | "radio")
                && !input.to_ascii_lowercase().contains("checked")
            {
                continue;
            }
            if kind == "file" {
                continue;
            }
            fields.push((name, attr(input, "value").unwrap_or_default()));
        }
        for (at, select) in tags(body, "select") {
            let Some(name) = attr(select, "name") else {
                continue;
            };
            let close = body[at..].find("</select>").map_or(body.len(), |e| at + e);
            let options = tags(&body[at..close], "option");
            let chosen = options
                .iter()
                .find(|(_, o)| o.contains("selected"))
                .or(options.first())
                .and_then(|(_, o)| attr(o, "value"))
                .unwrap_or_default();
            fields.push((name, chosen));
        }
        for (at, area) in tags(body, "textarea") {
            let Some(name) = attr(area, "name") else {
                continue;
            };
            let text_start = at + area.len();
            let text_end = body[text_start..]
                .find("</textarea>")
                .map_or(body.len(), |e| text_start + e);
            fields.push((name, unescape(&body[text_start..text_end])));
        }
        let action = attr(tag, "action").unwrap_or_else(|| page.to_owned());
        let multipart = attr(tag, "enctype").is_some_and(|e| e.contains("multipart"));
        for (_, button) in tags(body, "button") {
            if let Some(other) = attr(button, "formaction") {
                forms.push(Form {
                    action: other,
                    multipart,
                    fields: fields.clone(),
                });
            }
        }
        forms.push(Form {
            action,
            multipart,
            fields,
        });
    }
    forms
}

/// The local pages `html` links to (`href="/…"`), without assets, downloads or public pages.
pub fn local_links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for (_, tag) in tags(html, "a") {
        let Some(href) = attr(tag, "href") else {
            continue;
        };
        if !href.starts_with('/') || href.starts_with("//") {
            continue;
        }
        let path = href.split('#').next().unwrap_or_default().to_owned();
        links.push(path);
    }
    links
}
