//! A website on another loopback origin that carries the tracker, as a visitor's browser sees it.

use warp::Filter;

/// A minimal HTML page: `body`, then `snippet` (the install snippet or a script tag).
pub fn page(title: &str, snippet: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body>{body}{snippet}</body></html>"
    )
}

/// Serves `pages` (file name, HTML) on a new loopback port until the test ends; returns its
/// base URL (`http://127.0.0.1:port`). Other names answer 404.
pub async fn serve_pages(pages: Vec<(&'static str, String)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("its address");
    let routes = warp::path::param()
        .and(warp::path::end())
        .and_then(move |name: String| {
            let page = pages.iter().find(|p| p.0 == name).map(|p| p.1.clone());
            async move {
                page.map(warp::reply::html)
                    .ok_or_else(warp::reject::not_found)
            }
        });
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    format!("http://{addr}")
}
