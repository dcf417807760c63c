//! Driving the dashboard's forms in Chromium: filling fields, clicking, and signing in as the
//! admin through the real login form.

use crate::seed::ADMIN_EMAIL;
use crate::ChromeDriver;
use fantoccini::{Client, Locator};

/// What the overview shows once someone is signed in: its "new service" button.
pub const OVERVIEW_READY: &str = "a.button[href='/dashboard/service/new/']";

/// Types `value` into the field matching `css`.
pub async fn fill(b: &Client, css: &str, value: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Waits for the element matching `css` and clicks it.
pub async fn click(b: &Client, css: &str) {
    b.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Fills in and submits the login form the browser shows; does not wait for the next page.
pub async fn submit_login(b: &Client, email: &str, password: &str) {
    b.wait()
        .for_element(Locator::Css("#email"))
        .await
        .expect("the login form");
    fill(b, "#email", email).await;
    fill(b, "#password", password).await;
    click(b, "form button[type=submit]").await;
}

/// Signs the admin in on the login page of `base` and waits for the overview.
pub async fn sign_in(b: &Client, base: &str, password: &str) {
    b.goto(&format!("{base}/accounts/login/"))
        .await
        .expect("open the login page");
    submit_login(b, ADMIN_EMAIL, password).await;
    b.wait()
        .for_element(Locator::Css(OVERVIEW_READY))
        .await
        .expect("the overview after signing in");
}

/// A new Chromium session with the admin signed in on `base`.
pub async fn signed_in_browser(driver: &ChromeDriver, base: &str, password: &str) -> Client {
    let b = crate::browser(driver).await;
    sign_in(&b, base, password).await;
    b
}
