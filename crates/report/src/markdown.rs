//! Markdown bodies of documents rendered as HTML that is safe to put in otkeep's pages.
//!
//! Document text is written by users, so it must not be able to run script in otkeep's
//! origin: raw HTML in the Markdown is shown as text (escaped), and links and images keep
//! their destination only when it is a relative path, a fragment or an `http`, `https` or
//! `mailto` address (`javascript:` and `data:` become `#`). Everything else is what CommonMark
//! with tables and strikethrough renders, which escapes text itself.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Whether a link or image destination may stay as written.
fn safe_destination(dest: &str) -> bool {
    let d = dest.trim().to_ascii_lowercase();
    let scheme_end = d.find(':');
    let first_separator = d.find(['/', '?', '#']);
    match scheme_end {
        // No scheme, or the colon comes after a path/query/fragment separator: relative.
        None => true,
        Some(c) if first_separator.is_some_and(|s| s < c) => true,
        Some(_) => ["http:", "https:", "mailto:"]
            .iter()
            .any(|s| d.starts_with(s)),
    }
}

fn neutralized(dest: CowStr<'_>) -> CowStr<'_> {
    if safe_destination(&dest) {
        dest
    } else {
        CowStr::Borrowed("#")
    }
}

/// Renders `markdown` as HTML safe to embed in a page.
pub fn to_safe_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: neutralized(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: neutralized(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_markdown() {
        let html = to_safe_html("# Scope\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Scope</h1>"));
        assert!(html.contains("<strong>two</strong>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html("Hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn unsafe_link_destinations_are_neutralized() {
        let html = to_safe_html(
            "[a](javascript:alert(1)) [b](JavaScript:x) ![c](data:image/svg+xml,x) [d](https://example.com) [e](/documents/1) [f](#top)",
        );
        assert!(!html.to_lowercase().contains("javascript"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(html.contains("href=\"https://example.com\""));
        assert!(html.contains("href=\"/documents/1\""));
        assert!(html.contains("href=\"#top\""));
    }
}
