//! The template engine every HTML page goes through: values HTML-escaped unless marked safe,
//! and a name the view does not have is an error, never an empty string.

use serde::Serialize;

use super::RenderError;

pub fn render(name: &str, source: &str, view: &impl Serialize) -> Result<String, RenderError> {
    render_with(&[], name, source, view)
}

/// `render`, with other templates (a layout the page extends) available by name.
pub fn render_with(
    others: &[(&str, &str)],
    name: &str,
    source: &str,
    view: &impl Serialize,
) -> Result<String, RenderError> {
    let failed = |source| RenderError::Template {
        name: name.to_string(),
        source,
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // The names end in .html, so every value is HTML-escaped unless marked safe.
    for (other, text) in others {
        env.add_template(other, text).map_err(failed)?;
    }
    env.add_template(name, source).map_err(failed)?;
    let template = env.get_template(name).map_err(failed)?;
    template
        .render(minijinja::Value::from(minijinja::value::Serde(view)))
        .map_err(failed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_misspelt_name_is_an_error() {
        #[derive(serde::Serialize)]
        struct View {
            name: &'static str,
        }
        let view = View { name: "<b>" };
        assert_eq!(super::render("t.html", "{{ name }}", &view).unwrap(), "&lt;b&gt;");
        assert!(super::render("t.html", "{{ nmae }}", &view).is_err());
    }
}
