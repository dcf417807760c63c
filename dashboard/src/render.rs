//! Handlebars templates compiled into the binary, and the page layout around them. Templates
//! only ever print values with `{{…}}` (HTML-escaped); the one raw insertion is the rendered
//! page body and server-made SVG, both built from escaped parts.

use crate::i18n_helpers::Translate;
use handlebars::Handlebars;
use serde_json::Value;

/// The compiled templates.
pub struct Templates {
    hb: Handlebars<'static>,
}

/// Every page template, by name (`pub` so the tests can scan them for text left untranslated).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../templates/layout.hbs")),
    ("message", include_str!("../templates/message.hbs")),
    ("live", include_str!("../templates/live.hbs")),
    ("login", include_str!("../templates/login.hbs")),
    ("login_code", include_str!("../templates/login_code.hbs")),
    ("two_factor", include_str!("../templates/two_factor.hbs")),
    ("preferences", include_str!("../templates/preferences.hbs")),
    ("signup", include_str!("../templates/signup.hbs")),
    (
        "password_change",
        include_str!("../templates/password_change.hbs"),
    ),
    (
        "password_reset",
        include_str!("../templates/password_reset.hbs"),
    ),
    (
        "password_reset_key",
        include_str!("../templates/password_reset_key.hbs"),
    ),
    ("emails", include_str!("../templates/emails.hbs")),
    (
        "account_delete",
        include_str!("../templates/account_delete.hbs"),
    ),
    (
        "email_confirm",
        include_str!("../templates/email_confirm.hbs"),
    ),
    ("overview", include_str!("../templates/overview.hbs")),
    ("service", include_str!("../templates/service.hbs")),
    ("sessions", include_str!("../templates/sessions.hbs")),
    ("session", include_str!("../templates/session.hbs")),
    ("locations", include_str!("../templates/locations.hbs")),
    (
        "service_form",
        include_str!("../templates/service_form.hbs"),
    ),
    (
        "service_delete",
        include_str!("../templates/service_delete.hbs"),
    ),
    ("admin", include_str!("../templates/admin.hbs")),
    ("share", include_str!("../templates/share.hbs")),
    (
        "share_password",
        include_str!("../templates/share_password.hbs"),
    ),
    (
        "share_created",
        include_str!("../templates/share_created.hbs"),
    ),
    (
        "notifications",
        include_str!("../templates/notifications.hbs"),
    ),
];

/// Every partial, by name.
pub const PARTIALS: &[(&str, &str)] = &[
    ("range", include_str!("../templates/partials/range.hbs")),
    (
        "session_table",
        include_str!("../templates/partials/session_table.hbs"),
    ),
    ("rows", include_str!("../templates/partials/rows.hbs")),
    (
        "filter_chips",
        include_str!("../templates/partials/filter_chips.hbs"),
    ),
    ("table", include_str!("../templates/partials/table.hbs")),
    ("tabs", include_str!("../templates/partials/tabs.hbs")),
    ("card", include_str!("../templates/partials/card.hbs")),
    (
        "event_cards",
        include_str!("../templates/partials/event_cards.hbs"),
    ),
    ("pager", include_str!("../templates/partials/pager.hbs")),
    ("snippet", include_str!("../templates/partials/snippet.hbs")),
    (
        "share_cards",
        include_str!("../templates/partials/share_cards.hbs"),
    ),
];

impl Templates {
    /// Compiles every template (an error here is a bug, caught by the tests).
    pub fn new() -> Result<Templates, String> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(false);
        hb.register_helper("t", Box::new(Translate { html: false }));
        hb.register_helper("th", Box::new(Translate { html: true }));
        for (name, src) in PARTIALS {
            hb.register_partial(name, *src)
                .map_err(|e| format!("{name}: {e}"))?;
        }
        for (name, src) in TEMPLATES {
            hb.register_template_string(name, *src)
                .map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(Templates { hb })
    }

    /// Renders one template.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, String> {
        self.hb
            .render(name, data)
            .map_err(|e| format!("{name}: {e}"))
    }
}

/// Escapes text for HTML/SVG built outside templates.
pub fn esc(s: &str) -> String {
    crate::i18n_helpers::escape_html(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_escape() {
        let t = Templates::new().unwrap();
        let out = t
            .render(
                "message",
                &serde_json::json!({"heading": "<script>alert(1)</script>", "text": "x"}),
            )
            .unwrap();
        assert!(!out.contains("<script>"));
        assert!(out.contains("&lt;script&gt;"));
        assert_eq!(
            esc("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"
        );
    }
}
