//! Pages render without a database connection of their own: the instance name is kept in
//! memory (updated at once when an admin saves it, reloaded from the database at start-up) and
//! the sidebar comes with the session.

mod common;
mod dashboard_support;

use dashboard_support::*;

#[tokio::test]
async fn the_instance_name_and_sidebar_show_without_a_render_query() {
    let d = spawn(dashboard::DashboardArgs::default()).await;
    let admin = d.user("admin@example.com", true).await;
    let anon = Who::anonymous();
    let login = |body: String| body.contains("Acme Analytics");
    assert!(!login(
        d.get(&anon, "/accounts/login/").await.text().await.unwrap()
    ));
    let r = d
        .post(
            &admin,
            "/admin/",
            &[("action", "instance"), ("instance", "Acme Analytics")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    // Shown at once, to anonymous visitors too.
    let page = d.get(&anon, "/accounts/login/").await.text().await.unwrap();
    assert!(login(page), "the saved name is shown");
    // A second process on the same database loads it at start-up.
    let other = spawn_on(
        d.pool.clone(),
        d.cfg.clone(),
        dashboard::DashboardArgs::default(),
    )
    .await;
    let page = other
        .get(&anon, "/accounts/login/")
        .await
        .text()
        .await
        .unwrap();
    assert!(login(page), "another process shows the saved name");
    // The sidebar lists the user's services.
    let (_, _) = d.service(&admin, None, "Sidebar Site").await;
    let page = d.get(&admin, "/dashboard/").await.text().await.unwrap();
    assert!(
        page.contains("Sidebar Site"),
        "the sidebar lists the service"
    );
    // Cleared: back to SHYNET_WHITELABEL.
    let r = d
        .post(
            &admin,
            "/admin/",
            &[("action", "instance"), ("instance", "")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = d.get(&anon, "/accounts/login/").await.text().await.unwrap();
    assert!(
        !login(page.clone()) && page.contains("Shynet"),
        "the default name is back"
    );
}
