//! Who is asking: the context every page handler receives, built once per request from its
//! cookies. Kept apart from the router so pages depend on it without depending on the router
//! that dispatches to them.

use crate::auth::{csrf, session, session::WebSession, token, User};
use crate::date_style::DateStyle;
use crate::http::{self, Req};
use crate::lang::{self, Lang, LangSetting};
use crate::page_error::PageError;
use crate::state::DashboardState;
use std::collections::HashMap;

/// Who is asking, and the CSRF secret their forms carry.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The logged-in session, if any.
    pub session: Option<WebSession>,
    /// The token forms must echo.
    pub csrf: String,
    /// A new anonymous CSRF cookie to set.
    new_csrf_cookie: bool,
    /// Whether cookies get `Secure`.
    pub secure: bool,
    /// Path parameters.
    pub params: HashMap<String, String>,
    /// The services of the logged-in user for the sidebar, loaded with the session on the same
    /// connection so rendering a page needs none (empty when logged out).
    pub sidebar: Vec<models::services::Listed>,
    /// The instance requires two-factor login and this user has not set it up: every page but
    /// the enrolment page is closed to them.
    pub must_enrol: bool,
    /// The language the page is written in: the user's setting, else the browser's.
    pub lang: Lang,
}

impl Ctx {
    /// Reads who is asking from the request's cookies: the session (with the sidebar's
    /// services, on the same connection) or else the anonymous CSRF cookie, made anew if absent.
    pub async fn load(
        state: &DashboardState,
        req: &Req,
        params: HashMap<String, String>,
    ) -> Result<Ctx, PageError> {
        let secure = state.https();
        let (sess, sidebar, must_enrol) =
            match req.cookie(&http::cookie_name(session::COOKIE, secure)) {
                Some(t) => {
                    let c = state.pool().get().await?;
                    let sess = session::load(&**c, t).await?;
                    let (sidebar, must_enrol) = match &sess {
                        Some(s) => (
                            models::services::list_for_user(&**c, s.user.id).await?,
                            models::two_factor::must_enrol(&**c, s.user.id).await?,
                        ),
                        None => (Vec::new(), false),
                    };
                    (sess, sidebar, must_enrol)
                }
                None => (None, Vec::new(), false),
            };
        let csrf_cookie = req.cookie(&http::cookie_name(csrf::COOKIE, secure));
        let (csrf, new_csrf_cookie) = match (&sess, csrf_cookie) {
            (Some(s), _) => (s.csrf.clone(), false),
            (None, Some(c)) if c.len() == 64 => (c.to_owned(), false),
            (None, _) => (token::new_token(), true),
        };
        let setting = sess.as_ref().map(|s| s.language).unwrap_or_default();
        let lang = setting.for_page(req.header("accept-language"));
        // Numbers and dates written deep inside the page follow the same language.
        lang::set_current(lang);
        Ok(Ctx {
            lang,
            session: sess,
            csrf,
            new_csrf_cookie,
            secure,
            params,
            sidebar,
            must_enrol,
        })
    }

    /// How the signed-in user likes dates written (ISO when nobody is signed in).
    pub fn date_style(&self) -> DateStyle {
        self.session
            .as_ref()
            .map(|s| s.date_style)
            .unwrap_or_default()
    }

    /// The signed-in user's language setting (automatic when nobody is signed in).
    pub fn language_setting(&self) -> LangSetting {
        self.session
            .as_ref()
            .map(|s| s.language)
            .unwrap_or_default()
    }

    /// Whether the response must set the anonymous CSRF cookie this request made up.
    pub fn sets_csrf_cookie(&self) -> bool {
        self.new_csrf_cookie
    }

    /// The user, if logged in.
    pub fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|s| &s.user)
    }

    /// The user, or a redirect to the login page.
    pub fn require_user(&self) -> Result<&User, PageError> {
        self.user().ok_or(PageError::Login)
    }

    /// A path parameter.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }
}
