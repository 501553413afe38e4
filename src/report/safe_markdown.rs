//! Markdown from an author or a candidate as HTML that can do nothing: raw HTML is shown as
//! text, images become their description, and only http(s), mailto and in-page links stay links.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

pub fn to_html(markdown: &str) -> String {
    let events =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).filter_map(|event| {
            match event {
                Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
                // The description stays, as text.
                Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let safe = dest_url.starts_with("https://")
                        || dest_url.starts_with("http://")
                        || dest_url.starts_with("mailto:")
                        || dest_url.starts_with('#');
                    let dest_url = if safe { dest_url } else { "#".into() };
                    Some(Event::Start(Tag::Link {
                        link_type: if safe { link_type } else { LinkType::Inline },
                        dest_url,
                        title,
                        id,
                    }))
                }
                other => Some(other),
            }
        });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_active_survives() {
        let html = super::to_html(
            "# Task\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](https://ok.example) ![p](http://t/i.png) <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<h1>Task</h1>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://ok.example\""), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(">p<") || html.contains(" p"),
            "the image's description stays: {html}"
        );
    }
}
