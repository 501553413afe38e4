//! The template engine every HTML page goes through: values HTML-escaped unless marked safe,
//! and a name the view does not have is an error, never an empty string.

use serde::Serialize;

pub fn render(name: &str, source: &str, view: &impl Serialize) -> anyhow::Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // The name ends in .html, so every value is HTML-escaped unless marked safe.
    env.add_template(name, source)?;
    Ok(env
        .get_template(name)?
        .render(minijinja::Value::from(minijinja::value::Serde(view)))?)
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
